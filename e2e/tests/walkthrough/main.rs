//! The README's walkthrough, done entirely in the three real apps against one real server, with no call
//! to the API but to check what the apps did: a manager sets up a new restaurant in the admin app, builds
//! its menu there (a category, and a dish with its picture chosen through the file input), and pairs a
//! kiosk and a kitchen screen with the codes the admin app shows; a customer orders at the kiosk; the cook
//! works the ticket on the kitchen screen; the manager's dashboard follows it live and agrees with the
//! server's reports; none of the three webviews runs text as code (their content security policy). Each
//! app runs on a display of its own; screenshots land in
//! `<target>/tmp/screenshots/walkthrough/`.
//!
//! Run by `cargo xtask test` after it has built the apps (`--features ui`).

use std::time::{Duration, Instant};

use ordera_e2e::server::{TestServer, PASSWORD};
use ordera_e2e::webview::{app_binary, artifacts, AppSession};
use serde_json::{json, Value};
use uuid::Uuid;

/// Opens `package` (`ordera-kiosk`…) on a display of its own, talking to `url`, with its data in `dir`.
async fn launch(package: &str, url: &str, dir: &std::path::Path) -> AppSession {
    let kind = package.trim_start_matches("ordera-").to_uppercase();
    let mut env = vec![("ORDERA_SERVER_URL", url.to_owned())];
    let data = dir.join(package).display().to_string();
    env.push(match kind.as_str() {
        "KIOSK" => ("ORDERA_KIOSK_DATA_DIR", data),
        "KDS" => ("ORDERA_KDS_DATA_DIR", data),
        _ => ("ORDERA_ADMIN_DATA_DIR", data),
    });
    // The customer takes their time: no idle reset in the middle of the walkthrough.
    env.push(("ORDERA_KIOSK_IDLE_SECONDS", "600".into()));
    AppSession::launch(&app_binary(env!("CARGO_TARGET_TMPDIR"), package), &env).await
}

/// What the server answers `path` for the person who logs in with `email`: only to check the apps' work.
async fn as_owner(url: &str, email: &str, path: &str) -> Value {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let login = http.post(format!("{url}/api/v1/login")).json(&json!({"email": email, "password": PASSWORD}));
    let session: Value = login.send().await.unwrap().json().await.unwrap();
    let token = session["token"].as_str().expect("the owner logs in");
    http.get(format!("{url}/api/v1/{path}")).bearer_auth(token).send().await.unwrap().json().await.unwrap()
}

/// Waits until the attribute `name` of `css` is `Some(value)`.
async fn attribute_until(app: &AppSession, css: &str, name: &str, value: &str) {
    let start = Instant::now();
    loop {
        let shown = app.attribute(css, name).await;
        if shown.as_deref() == Some(value) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{css} never had {name}={value}; it has {shown:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether text that reached the page can run as code there: as an inline script added to the page, or
/// through `eval`. Each app's content security policy forbids both, so text from the server (a dish's name,
/// a customer's note) can never become code in a webview.
async fn runs_text_as_code(app: &AppSession) -> bool {
    let script = "const s = document.createElement('script'); s.textContent = 'window.__injected = true;'; \
        document.body.appendChild(s); let evaluated = false; \
        try { evaluated = eval('1 + 1') === 2; } catch (e) {} \
        return window.__injected === true || evaluated;";
    app.script(script).await == json!(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restaurant_is_set_up_and_run_entirely_in_the_three_apps() {
    let shots = artifacts(env!("CARGO_TARGET_TMPDIR"), "walkthrough");
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(&format!("sqlite://{}", data.path().join("server.db").display()), None, data.path());
    let url = format!("http://{}", server.addr);

    // The manager sets up the restaurant from the admin app's first screen, and lands on its dashboard.
    let admin = launch("ordera-admin", &url, data.path()).await;
    admin.element("#sign-in").await;
    admin.click("#use-sign-up").await;
    let email = format!("{}@example.com", Uuid::now_v7().simple());
    admin.type_into("#signup-restaurant_name", "Sizzling Bistro - Camden").await;
    admin.replace_in("#signup-timezone", "Europe/London").await;
    admin.replace_in("#signup-currency", "GBP").await;
    admin.type_into("#signup-owner_name", "Nadia").await;
    admin.type_into("#signup-email", &email).await;
    admin.type_into("#signup-password", PASSWORD).await;
    admin.click("#sign-up-button").await;
    admin.element("#dashboard").await;
    admin.text_until("#connection", "online", |t| t.starts_with("Online")).await;

    // The menu: a category, and a dish with its price typed as money and its picture from a file.
    let picture = data.path().join("burger.png");
    std::fs::write(&picture, ordera_server::demo::picture([196, 92, 38], 0)).unwrap();
    admin.click("#tab-menu").await;
    admin.type_into("#new-category-name", "Burgers").await;
    admin.click("#add-category").await;
    admin.text_until("#products-title", "the new category", |t| t.contains("Burgers")).await;
    admin.click("#add-product").await;
    admin.element("#product-form").await;
    admin.type_into("#product-name", "Classic Smash Burger").await;
    admin.type_into("#product-price", "10.95").await;
    admin.type_into("#product-image", &picture.display().to_string()).await;
    admin.element("#product-image-preview").await;
    admin.click("#product-save").await;
    admin.gone("#product-form").await;
    admin.text_until("#menu-notice", "the dish reached the devices", |t| t.contains("every kiosk")).await;
    admin.screenshot(&shots, "1-menu").await;
    let products = as_owner(&url, &email, "products").await;
    let burger = products.as_array().unwrap().iter().find(|p| p["name"] == "Classic Smash Burger").expect("made");
    assert_eq!(burger["price"], 1095);
    assert!(burger["image"]["id"].is_string(), "with its picture: {burger}");

    // Two pairing codes from the devices page: the kiosk's and the kitchen screen's.
    admin.click("#tab-devices").await;
    let mut codes = Vec::new();
    for (kind, name) in [("kiosk", "Front kiosk"), ("kds", "Kitchen pass")] {
        admin.click(&format!("#kind-{kind}")).await;
        admin.replace_in("#device-name", name).await;
        admin.click("#make-pairing-code").await;
        let label = admin.text_until("#pairing-code-shown", "the code", |t| t.contains(name)).await;
        assert!(label.contains(name), "{label:?}");
        codes.push(admin.text("#new-pairing-code").await);
    }

    // The kiosk, paired with its code, shows the dish with its picture.
    let kiosk = launch("ordera-kiosk", &url, data.path()).await;
    kiosk.pair_with(&codes[0]).await;
    kiosk.element("#attract").await;
    let welcome = kiosk.text_until("#attract h2", "the restaurant's name", |t| t.contains("Camden")).await;
    assert!(welcome.contains("Sizzling Bistro - Camden"), "{welcome:?}");

    // The kitchen screen, paired with its code, set up as the expo screen.
    let kds = launch("ordera-kds", &url, data.path()).await;
    kds.pair_with(&codes[1]).await;
    kds.element("#setup").await;
    kds.click("#role-expo").await;
    kds.click("#setup-save").await;
    kds.element("#board").await;
    kds.text_until("#live-label", "live", |t| t == "Live").await;

    // A customer orders two burgers to take away.
    kiosk.click("#attract").await;
    let card = r#".card[data-product="Classic Smash Burger"]"#;
    kiosk.element(&format!("{card} img")).await;
    kiosk.click(card).await;
    kiosk.element("#product-sheet").await;
    kiosk.click(r##"#product-sheet button[aria-label="One more"]"##).await;
    kiosk.text_until("#sheet-quantity", "two", |t| t == "2").await;
    kiosk.screenshot(&shots, "2-kiosk-dish").await;
    kiosk.click("#add-to-cart").await;
    kiosk.gone("#product-sheet").await;
    assert_eq!(kiosk.text("#cart-total").await, "£21.90");
    kiosk.click("#review").await;
    kiosk.click("#takeaway").await;
    kiosk.click("#place-order").await;
    let number: i64 = kiosk.text("#ticket-number").await.trim().parse().expect("a ticket number");
    kiosk.screenshot(&shots, "3-kiosk-confirmation").await;

    // The ticket reaches the kitchen; the cook starts it, makes it ready and serves it.
    let ticket = format!("#ticket-{number}");
    let card = kds.text_until(&ticket, "the ticket", |t| t.contains("Classic Smash Burger")).await;
    assert!(card.contains("2×") && card.contains("TAKE AWAY"), "{card:?}");
    kds.screenshot(&shots, "4-kitchen").await;
    for status in ["preparing", "ready"] {
        kds.click(&format!("#bump-{number}")).await;
        attribute_until(&kds, &ticket, "data-status", status).await;
    }
    kds.click(&format!("#bump-{number}")).await;
    kds.gone(&ticket).await;

    // The dashboard has followed: one order served, its takings to the penny, as the reports have them.
    admin.click("#tab-dashboard").await;
    admin.text_until("#figure-orders", "the order", |t| t.contains('1')).await;
    attribute_until(&admin, "#figure-revenue", "data-minor", "2190").await;
    let summary = as_owner(&url, &email, "reports/summary").await;
    assert_eq!((summary["orders"].as_i64(), summary["revenue"].as_i64()), (Some(1), Some(2190)));
    let orders = as_owner(&url, &email, "orders").await;
    assert_eq!(orders["total"], 1, "the order exists once");
    assert_eq!(orders["orders"][0]["status"], "completed");
    admin.text_until("#dashboard-devices", "every device in step", |t| t.contains("All 3 devices connected")).await;
    admin.screenshot(&shots, "5-dashboard").await;

    for (name, app) in [("admin", &admin), ("kiosk", &kiosk), ("kitchen", &kds)] {
        assert!(!runs_text_as_code(app).await, "the {name} app's webview runs text as code");
    }

    kiosk.quit().await;
    kds.quit().await;
    admin.quit().await;
}
