//! The admin app as staff use it: the real built app (Tauri shell, Yew UI, sync engine) in a real webview
//! on a private X display, driven over WebDriver, against a real server on its embedded database. A kiosk
//! (the real sync engine, in the test) takes orders while offline that the server refuses once it is back;
//! staff see them in the admin app and settle them. Screenshots land in `<target>/tmp/screenshots/admin/`.
//!
//! Run by `cargo xtask test` after it has built the app (`--features ui`).

use std::time::Duration;

use ordera_client::{ConnectionState, Engine, EngineConfig};
use ordera_e2e::ingest::Ingest;
use ordera_e2e::proxy::{Mode, Proxy};
use ordera_e2e::server::{break_the_menu, Owner, TestServer};
use ordera_e2e::webview::{app_binary, artifacts, AppSession};
use ordera_protocol::orders::{short_reference, OrderLineRequest, PlaceOrderRequest, RefusedOrder};
use ordera_protocol::OrderType;
use serde_json::json;
use uuid::Uuid;

/// One app on one display at a time: two would only fight over the machine's two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A restaurant on a real server, a paired kiosk engine, and two dishes. The kiosk and the admin app each
/// reach the server through a proxy of their own, so either can lose its network alone.
struct Restaurant {
    server: TestServer,
    kiosk_network: Proxy,
    admin_network: Proxy,
    owner: Owner,
    data: tempfile::TempDir,
    kiosk: Engine,
    burger: Uuid,
    cola: Uuid,
}

impl Restaurant {
    async fn open() -> Self {
        let data = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite://{}", data.path().join("server.db").display());
        let server = TestServer::start(&database_url, None, data.path());
        let kiosk_network = Proxy::start(server.addr).await;
        let admin_network = Proxy::start(server.addr).await;
        let owner = Owner::sign_up(server.addr).await;
        owner.patch("tenant", json!({"name": "Sizzling Bistro - Soho"})).await;
        let mains = owner.post("categories", json!({"name": "Burgers"})).await;
        let burger = owner
            .post("products", json!({"category_id": mains["id"], "name": "Classic Smash Burger", "price": 1095}))
            .await;
        let cola = owner.post("products", json!({"category_id": mains["id"], "name": "Cola", "price": 295})).await;
        let kiosk = Engine::open(&data.path().join("kiosk"), fast()).unwrap();
        let code = owner.post("devices/pairing-codes", json!({"kind": "kiosk", "name": "Kiosk by the door"})).await;
        kiosk.pair(&kiosk_network.url(), code["code"].as_str().unwrap()).await.unwrap();
        let id = |v: serde_json::Value| v["id"].as_str().unwrap().parse::<Uuid>().unwrap();
        Self { server, kiosk_network, admin_network, owner, data, kiosk, burger: id(burger), cola: id(cola) }
    }

    /// Opens the admin app, pairs it through its pairing screen and waits for the board.
    async fn admin(&self) -> AppSession {
        let (admin, _) = self.admin_with(&[]).await;
        admin.element("#attention").await;
        admin
    }

    /// Opens the admin app with `env` on top of its usual settings and types a fresh pairing code into
    /// its pairing screen; returns the app and the code.
    async fn admin_with(&self, env: &[(&str, String)]) -> (AppSession, String) {
        let app_data = self.data.path().join(format!("admin-{}", Uuid::now_v7().simple()));
        let mut all = vec![
            ("ORDERA_SERVER_URL", self.admin_network.url()),
            ("ORDERA_ADMIN_DATA_DIR", app_data.display().to_string()),
        ];
        all.extend(env.iter().cloned());
        let admin = AppSession::launch(&app_binary(env!("CARGO_TARGET_TMPDIR"), "ordera-admin"), &all).await;
        let code = self.owner.pairing_code("admin").await;
        admin.pair_with(&code).await;
        (admin, code)
    }

    /// Opens the admin app on its first screen, unpaired and nobody signed in.
    async fn launch_admin(&self) -> AppSession {
        let env = [
            ("ORDERA_SERVER_URL", self.admin_network.url()),
            ("ORDERA_ADMIN_DATA_DIR", self.data.path().join("admin").display().to_string()),
        ];
        AppSession::launch(&app_binary(env!("CARGO_TARGET_TMPDIR"), "ordera-admin"), &env).await
    }

    /// Logs `email` in at the server as a person would: the status and the answer (the session).
    async fn log_in(&self, email: &str, password: &str) -> (u16, serde_json::Value) {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let response = http
            .post(format!("http://{}/api/v1/login", self.server.addr))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or_default())
    }

    /// Breaks the server's database under it (see [`break_the_menu`]).
    async fn break_the_menu(&self) {
        break_the_menu(&format!("sqlite://{}", self.data.path().join("server.db").display())).await;
    }

    async fn refused(&self, all: bool) -> Vec<RefusedOrder> {
        serde_json::from_value(self.owner.get(&format!("orders/refused?all={all}")).await).unwrap()
    }

    /// The kiosk takes `order` while the network is down; the manager switches `dish` off meanwhile; the
    /// network returns and the server refuses the order.
    async fn refused_after_reconnect(&self, order: PlaceOrderRequest, dish: Uuid) {
        self.kiosk_network.set_mode(Mode::Down);
        until("the kiosk is offline", || self.kiosk.status().connection != ConnectionState::Online).await;
        self.kiosk.place_order(order).unwrap();
        self.owner.patch(&format!("products/{dish}"), json!({"available": false})).await;
        self.kiosk_network.set_mode(Mode::Pass);
        until("the kiosk heard the refusal", || {
            let status = self.kiosk.status();
            status.connection == ConnectionState::Online && status.pending == 0
        })
        .await;
    }
}

fn fast() -> EngineConfig {
    EngineConfig {
        heartbeat: Duration::from_millis(200),
        dead_after: Duration::from_secs(1),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(300),
        ..EngineConfig::default()
    }
}

/// The CSV export of the orders `query` selects, as the server answers the owner.
async fn export_csv(owner: &Owner, query: &str) -> String {
    let url = format!("{}/orders/export.csv?{query}", owner.base);
    let response = owner.http.get(url).bearer_auth(&owner.token).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.text().await.unwrap()
}

/// The day's takings as the CSV export has them: the totals of the orders not cancelled, in minor units.
async fn export_takings(owner: &Owner) -> i64 {
    let response = owner.http.get(format!("{}/orders/export.csv", owner.base)).bearer_auth(&owner.token).send().await;
    let csv = response.unwrap().text().await.unwrap();
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().expect("a header").split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (status, total) = (column("status"), column("total"));
    rows.map(|row| row.split(',').collect::<Vec<_>>())
        .filter(|cells| cells[status] != "cancelled")
        .map(|cells| cells[total].replace('.', "").parse::<i64>().expect("an amount with two decimals"))
        .sum()
}

fn order(lines: &[(Uuid, i64, &str)], note: &str) -> PlaceOrderRequest {
    PlaceOrderRequest {
        id: ordera_protocol::new_id(),
        order_type: OrderType::Takeaway,
        items: lines
            .iter()
            .map(|(product_id, quantity, note)| OrderLineRequest {
                product_id: *product_id,
                quantity: *quantity,
                note: Some(note.to_string()),
            })
            .collect(),
        note: Some(note.into()),
    }
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn card(id: Uuid) -> String {
    format!("#refusal-{id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_see_orders_refused_after_a_kiosk_came_back_live_and_settle_them_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = artifacts(env!("CARGO_TARGET_TMPDIR"), "admin");
    let restaurant = Restaurant::open().await;
    // An order that goes through, for today's list.
    restaurant.kiosk.place_order(order(&[(restaurant.cola, 2, "")], "")).unwrap();
    until("the first order is placed", || restaurant.kiosk.status().pending == 0).await;

    let admin = restaurant.admin().await;
    admin.text_until("#connection", "online", |t| t.starts_with("Online")).await;
    admin.element("#attention-empty").await;
    admin.screenshot(&shots, "1-nothing-needs-attention").await;

    // While the admin app is open, a kiosk's offline order is refused: it appears at once, with what was
    // ordered, the reason and the kiosk.
    let first = order(&[(restaurant.burger, 2, "no onions")], "birthday");
    restaurant.refused_after_reconnect(first.clone(), restaurant.burger).await;
    let text = admin.text(&card(first.id)).await;
    let reference = format!("#{}", short_reference(first.id));
    for expected in [
        "Classic Smash Burger is sold out",
        "2× Classic Smash Burger — no onions",
        "Kiosk by the door",
        "Takeaway",
        "birthday",
        &reference,
    ] {
        assert!(text.contains(expected), "the card lacks {expected:?}: {text:?}");
    }
    admin.text_until("#attention-count", "one waiting", |t| t == "1").await;

    // A second one, from another dish.
    let second = order(&[(restaurant.cola, 1, "")], "");
    restaurant.refused_after_reconnect(second.clone(), restaurant.cola).await;
    admin.element(&card(second.id)).await;
    admin.text_until("#attention-count", "two waiting", |t| t == "2").await;
    admin.screenshot(&shots, "2-two-refused-orders").await;

    // Offline, settling is refused with a clear message and the order stays.
    restaurant.admin_network.set_mode(Mode::Down);
    admin.text_until("#connection", "offline", |t| t.starts_with("Offline")).await;
    admin.click(&format!("{} .settle", card(first.id))).await;
    let toast = admin.text_until("#toast", "why it failed", |t| !t.is_empty()).await;
    assert!(toast.contains("Could not reach the server"), "{toast:?}");
    admin.element(&card(first.id)).await;
    admin.screenshot(&shots, "3-offline").await;
    assert_eq!(restaurant.refused(false).await.len(), 2, "nothing was settled");

    // Online again: settling the first takes it off the list, once, on the server too.
    restaurant.admin_network.set_mode(Mode::Pass);
    admin.text_until("#connection", "online", |t| t.starts_with("Online")).await;
    admin.click(&format!("{} .settle", card(first.id))).await;
    admin.gone(&card(first.id)).await;
    admin.text_until("#attention-count", "one waiting", |t| t == "1").await;
    let open = restaurant.refused(false).await;
    assert_eq!(open.iter().map(|r| r.id).collect::<Vec<_>>(), [second.id]);
    let all = restaurant.refused(true).await;
    let settled = all.iter().find(|r| r.id == first.id).expect("kept in the history");
    assert!(settled.resolved_at.is_some());
    admin.screenshot(&shots, "4-one-settled").await;

    // Settled from elsewhere (another admin device, the API): this screen follows.
    restaurant.owner.post(&format!("orders/refused/{}/resolve", second.id), json!({})).await;
    admin.gone(&card(second.id)).await;
    admin.gone("#attention-count").await;
    admin.element("#attention-empty").await;

    // Today's orders: the one that went through, with its number; none of the refused ones.
    admin.click("#tab-orders").await;
    let table = admin.text("#orders").await;
    assert!(table.contains("2× Cola"), "{table:?}");
    assert!(!table.contains("Classic Smash Burger"), "refused orders are not orders: {table:?}");
    admin.element(r#"tr[data-number="1"]"#).await;
    admin.screenshot(&shots, "5-todays-orders").await;

    admin.quit().await;
    restaurant.kiosk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pairing_code_is_explained_and_nothing_is_paired() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let restaurant = Restaurant::open().await;
    let admin = restaurant.launch_admin().await;
    admin.pair_with("WRONG-CODE").await;
    let error = admin.text("#pair-error").await;
    assert!(!error.is_empty(), "an explanation");
    admin.element("#pair-screen").await;
    let devices = restaurant.owner.get("devices").await;
    assert_eq!(devices.as_array().unwrap().len(), 1, "only the kiosk is paired: {devices}");
    admin.quit().await;
    restaurant.kiosk.shutdown().await;
}

/// The real admin shell, with `SENTRY_DSN` set, reports an engine error (a server that fails inside while
/// the app fetches its first snapshot) tagged as an admin device with the shell's version, and without
/// the pairing code, the device token or anything personal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_shell_reports_a_failing_server_to_sentry_as_an_admin_device() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = artifacts(env!("CARGO_TARGET_TMPDIR"), "admin");
    let (ingest, dsn) = Ingest::start().await;
    let restaurant = Restaurant::open().await;
    restaurant.break_the_menu().await;

    let (admin, code) = restaurant.admin_with(&[("SENTRY_DSN", dsn), ("SENTRY_ENVIRONMENT", "ci".into())]).await;
    let (event, envelope) = ingest.event_mentioning("sync session failed").await;
    // The protocol leaves the level out when it is "error", its default.
    assert_eq!(event["level"].as_str().unwrap_or("error"), "error", "{event}");
    assert_eq!(event["tags"]["device_kind"], "admin", "{event}");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(event["tags"]["app_version"], version, "{event}");
    assert_eq!(event["release"], format!("ordera-admin@{version}"), "{event}");
    assert_eq!(event["environment"], "ci", "{event}");
    assert!(!envelope.contains(&code), "the pairing code must not be reported");
    // The app was paired: its token is the admin device's, which the server lists but never shows.
    let devices = restaurant.owner.get("devices").await;
    assert!(devices.as_array().unwrap().iter().any(|d| d["kind"] == "admin"), "paired: {devices}");
    assert!(!envelope.contains("ord_"), "no device token is reported");
    ingest.assert_no_personal_data(&[]);
    // Staff are not told "nothing needs attention" by an app that never caught up: they see why.
    let unknown = admin.text_until("#attention-unknown", "the failure", |t| t.contains("failed")).await;
    assert!(unknown.contains("Not in step with the server yet"), "{unknown:?}");
    admin.screenshot(&shots, "6-server-failing").await;
    // Today's orders says the same rather than "no orders yet today".
    admin.click("#tab-orders").await;
    admin.text_until("#orders-unknown", "the failure", |t| t.contains("Not in step with the server yet")).await;
    admin.quit().await;
    restaurant.kiosk.shutdown().await;
}

/// The manager's way in and two of their jobs, in the real app: signing in with e-mail and password (a
/// wrong one is explained), pairing a kitchen screen with a code made on the devices page (shown large,
/// counting down) and seeing it connect, revoking a kiosk (refused at once), changing the kitchen's
/// timers with the server's word beside a wrong field and the change reaching the kitchen screen live,
/// and signing out (the computer's own pairing revoked). Staff who sign in see the orders only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_signs_in_pairs_and_revokes_devices_changes_settings_and_staff_see_orders_only() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = artifacts(env!("CARGO_TARGET_TMPDIR"), "admin");
    let restaurant = Restaurant::open().await;
    let admin = restaurant.launch_admin().await;

    // A wrong password is explained on the sign-in screen; the right one opens the board.
    admin.element("#sign-in").await;
    admin.type_into("#email", &restaurant.owner.email).await;
    admin.type_into("#password", "not the password at all").await;
    admin.click("#sign-in-button").await;
    assert!(!admin.text("#sign-in-error").await.is_empty(), "an explanation");
    admin.screenshot(&shots, "sign-in-refused").await;
    admin.replace_in("#password", ordera_e2e::server::PASSWORD).await;
    admin.click("#sign-in-button").await;
    admin.element("#dashboard").await;
    assert_eq!(admin.text("#signed-in-as").await, "Olive · Owner");

    // The dashboard follows the kiosk live, and each figure is the reports' figure and the export's sum, to
    // the minor unit.
    restaurant.kiosk.place_order(order(&[(restaurant.burger, 2, "no onions"), (restaurant.cola, 1, "")], "")).unwrap();
    restaurant.kiosk.place_order(order(&[(restaurant.cola, 3, "")], "")).unwrap();
    admin.text_until("#figure-orders", "two orders", |t| t.contains('2')).await;
    let summary = restaurant.owner.get("reports/summary").await;
    assert_eq!(summary["orders"], 2);
    let minor = |value: Option<String>| value.and_then(|v| v.parse::<i64>().ok());
    assert_eq!(minor(admin.attribute("#figure-revenue", "data-minor").await), summary["revenue"].as_i64());
    assert_eq!(
        minor(admin.attribute("#figure-average-ticket", "data-minor").await),
        summary["average_ticket"].as_i64()
    );
    assert_eq!(summary["revenue"], 2 * 1095 + 4 * 295);
    assert_eq!(export_takings(&restaurant.owner).await, summary["revenue"].as_i64().unwrap(), "the export agrees");
    let charted = admin
        .script("return [...document.querySelectorAll('#hour-chart .bar')].reduce((n, b) => n + Number(b.dataset.orders), 0)")
        .await;
    assert_eq!(charted, json!(2), "the chart's hours hold both orders");
    let top = admin.text("#top-products").await;
    assert!(top.contains("4×") && top.contains("Cola"), "the best seller first: {top:?}");
    admin.screenshot(&shots, "dashboard").await;

    // Each figure opens the orders behind it, counted by the figure's own rule: the orders figure today's
    // two; the average prep time none yet (nothing has been made ready); all of them again at a click.
    admin.click("#figure-orders").await;
    admin.text_until("#orders-behind", "the orders behind the figure", |t| t.contains("2 orders")).await;
    let rows = admin.script("return document.querySelectorAll('#orders table.orders tbody tr').length").await;
    assert_eq!(rows, json!(2));
    admin.screenshot(&shots, "orders-behind-a-figure").await;
    admin.click("#orders-show-all").await;
    admin.gone("#orders-behind").await;
    admin.click("#tab-dashboard").await;
    admin.click("#figure-prep").await;
    admin.text_until("#orders-behind", "none made ready yet", |t| t.contains("0 orders")).await;
    admin.element("#orders-empty").await;
    admin.click("#tab-dashboard").await;
    admin.element("#figures").await;

    // Devices: the kiosk, and this computer, paired by the sign-in.
    admin.click("#tab-devices").await;
    let list = admin.text_until("#device-list", "the devices", |t| t.contains("Kiosk by the door")).await;
    assert!(list.contains("Admin app"), "this computer is listed: {list}");
    admin.click("#kind-kds").await;
    admin.type_into("#device-name", "Grill screen").await;
    admin.click("#make-pairing-code").await;
    let code = admin.text("#new-pairing-code").await;
    assert!(admin.text("#pairing-code-expiry").await.contains("within"), "the code's time left shows");
    let grill = Engine::open(&restaurant.data.path().join("grill"), fast()).unwrap();
    grill.pair(&restaurant.kiosk_network.url(), &code).await.unwrap();
    let devices = restaurant.owner.get("devices").await;
    let grill_id =
        devices.as_array().unwrap().iter().find(|d| d["name"] == "Grill screen").expect("listed")["id"].clone();
    let kiosk_id =
        devices.as_array().unwrap().iter().find(|d| d["name"] == "Kiosk by the door").expect("listed")["id"].clone();
    admin
        .text_until(&format!("#device-{}", grill_id.as_str().unwrap()), "the grill connected", |t| {
            t.contains("Kitchen screen") && t.contains("Connected")
        })
        .await;
    admin.screenshot(&shots, "devices").await;

    // Revoking asks once, then the kiosk is refused at once.
    let revoke = format!("#revoke-{}", kiosk_id.as_str().unwrap());
    admin.click(&revoke).await;
    assert!(admin.text(&revoke).await.contains("Revoke now"), "asked once");
    admin.click(&revoke).await;
    until("the kiosk is refused", || restaurant.kiosk.status().connection == ConnectionState::Unpaired).await;
    admin
        .text_until(&format!("#device-{}", kiosk_id.as_str().unwrap()), "shown revoked", |t| t.contains("Revoked"))
        .await;

    // Settings: a warning past the late threshold is refused beside its field; a right pair is saved
    // and reaches the kitchen screen live.
    admin.click("#tab-settings").await;
    admin.replace_in("#kitchen_warn_minutes", "20").await;
    admin.click("#settings-save").await;
    assert!(!admin.text("#kitchen_warn_minutes-error").await.is_empty(), "the field says what is wrong");
    assert_eq!(restaurant.owner.get("me").await["tenant"]["kitchen_warn_minutes"], 5, "nothing was saved");
    admin.replace_in("#kitchen_late_minutes", "25").await;
    admin.replace_in("#name", "Sizzling Bistro - Soho Central").await;
    admin.replace_in("#kiosk_idle_seconds", "45").await;
    admin.click("#settings-save").await;
    admin.element("#settings-saved").await;
    assert_eq!(restaurant.owner.get("me").await["tenant"]["kiosk_idle_seconds"], 45, "the kiosks' idle reset");
    assert_eq!(admin.text("#restaurant-name").await, "Sizzling Bistro - Soho Central");
    until("the kitchen screen has the new timers", || {
        grill
            .menu()
            .ok()
            .and_then(|m| m.tenant)
            .is_some_and(|t| t.kitchen_warn_minutes == 20 && t.kitchen_late_minutes == 25)
    })
    .await;

    // The kiosks' staff PIN: letters are refused beside the field; digits are saved as a hash the kitchen
    // screen's and kiosks' engines hear of, and the field then says a PIN is set without showing it.
    admin.replace_in("#kiosk_pin", "24x8").await;
    admin.click("#settings-save").await;
    admin.text_until("#kiosk_pin-error", "the PIN refused", |t| t.contains("digits")).await;
    admin.replace_in("#kiosk_pin", "2468").await;
    admin.click("#settings-save").await;
    admin.text_until("#kiosk_pin-hint", "a PIN set", |t| t.starts_with("A PIN is set")).await;
    assert_eq!(admin.script("return document.querySelector('#kiosk_pin').value").await, "", "the field is emptied");
    until("the kitchen screen has the PIN's hash", || {
        grill.menu().ok().and_then(|m| m.tenant).is_some_and(|t| t.kiosk_pin_hash.is_some())
    })
    .await;
    admin.screenshot(&shots, "settings").await;

    // Signing out: back to the sign-in screen, and this computer's pairing no longer works.
    admin.click("#sign-out").await;
    admin.element("#sign-in").await;
    let devices = restaurant.owner.get("devices").await;
    let computer = devices.as_array().unwrap().iter().find(|d| d["kind"] == "admin").expect("the computer").clone();
    assert!(!computer["revoked_at"].is_null(), "signing out revoked the computer's pairing: {computer}");

    // Staff sign in to the orders only.
    let staff_email = format!("{}@example.com", Uuid::now_v7().simple());
    restaurant
        .owner
        .post(
            "users",
            json!({"email": staff_email, "name": "Sam", "role": "staff", "password": ordera_e2e::server::PASSWORD}),
        )
        .await;
    admin.replace_in("#email", &staff_email).await;
    admin.replace_in("#password", ordera_e2e::server::PASSWORD).await;
    admin.click("#sign-in-button").await;
    admin.element("#attention").await;
    assert_eq!(admin.text("#signed-in-as").await, "Sam · Staff");
    admin.element("#tab-orders").await;
    admin.gone("#tab-dashboard").await;
    admin.gone("#tab-devices").await;
    admin.gone("#tab-settings").await;
    admin.gone("#tab-staff").await;
    admin.gone("#tab-menu").await;
    admin.quit().await;
    grill.shutdown().await;
    restaurant.kiosk.shutdown().await;
}

/// A manager finds an order in the history by what was in it, reads its timeline (who started it, on which
/// screen) and cancels it with a reason, asked once; the kiosk that placed it hears of it at once. An empty
/// reason is refused beside its field and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_finds_an_order_in_history_reads_its_timeline_and_cancels_it_with_a_reason() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = artifacts(env!("CARGO_TARGET_TMPDIR"), "admin");
    let restaurant = Restaurant::open().await;
    let burgers = order(&[(restaurant.burger, 1, "well done")], "");
    let colas = order(&[(restaurant.cola, 2, "")], "");
    for request in [&burgers, &colas] {
        restaurant.kiosk.place_order(request.clone()).unwrap();
    }
    until("both orders are on the server", || restaurant.kiosk.status().pending == 0).await;
    let start = json!({"command_id": ordera_protocol::new_id(), "action": "start"});
    restaurant.owner.post(&format!("orders/{}/status", burgers.id), start).await;

    let admin = restaurant.launch_admin().await;
    admin.type_into("#email", &restaurant.owner.email).await;
    admin.type_into("#password", ordera_e2e::server::PASSWORD).await;
    admin.click("#sign-in-button").await;
    admin.element("#dashboard").await;
    admin.click("#tab-orders").await;
    admin.click("#orders-history").await;
    admin.text_until("#history-count", "both of today's orders", |t| t.contains("of 2")).await;
    admin.type_into("#history-search", "burger").await;
    admin.click("#history-go").await;
    let found = admin.text_until("#history-count", "one match", |t| t.contains("of 1")).await;
    assert_eq!(found, "Orders 1–1 of 1");
    let row = format!("#order-{}", burgers.id);
    assert!(admin.text(&row).await.contains("Classic Smash Burger"));
    // A row opens by a click anywhere on it (its number cell here: WebDriver clicks elements, not rows).
    admin.click(&format!("{row} td.num")).await;
    let timeline = admin.text("#order-timeline").await;
    assert!(timeline.contains("Placed") && timeline.contains("Started"), "{timeline:?}");
    assert!(timeline.contains("Olive"), "who started it: {timeline:?}");
    admin.screenshot(&shots, "order-history").await;

    // The filtered orders exported as CSV through the system's save dialog: the file is the server's export
    // of the same filters, byte for byte.
    let saved = restaurant.data.path().join("exports").join("burgers.csv");
    std::fs::create_dir_all(saved.parent().unwrap()).unwrap();
    admin.click("#export-csv").await;
    admin.save_as(&saved).await;
    let said = admin.text_until("#export-saved", "where it went", |t| !t.is_empty()).await;
    assert!(said.contains("burgers.csv"), "{said:?}");
    let file = std::fs::read_to_string(&saved).expect("the export was saved where the dialog said");
    let day = admin.script("return document.querySelector('#history-from').value").await;
    let day = day.as_str().expect("the day searched");
    let export = export_csv(&restaurant.owner, &format!("from={day}&to={day}&q=burger")).await;
    assert_eq!(file, export, "the saved file is the server's export of the same filters");
    assert_eq!(file.lines().count(), 2, "a header and the one burger order: {file}");

    // No reason: refused beside the field, nothing sent.
    admin.click("#cancel-order").await;
    admin.element("#cancel-reason-error").await;
    admin.type_into("#cancel-reason", "customer left").await;
    admin.click("#cancel-order").await;
    assert!(admin.text("#cancel-order").await.contains("now"), "asked once");
    let truth = restaurant.owner.get(&format!("orders/{}", burgers.id)).await;
    assert_eq!(truth["status"], "preparing", "nothing happens before the second press");
    admin.click("#cancel-order").await;
    admin.text_until("#order-cancel-reason", "the reason", |t| t.contains("customer left")).await;
    let truth = restaurant.owner.get(&format!("orders/{}", burgers.id)).await;
    assert_eq!((truth["status"].as_str(), truth["cancel_reason"].as_str()), (Some("cancelled"), Some("customer left")));
    until("the kiosk hears of it", || {
        restaurant
            .kiosk
            .orders()
            .unwrap()
            .iter()
            .any(|o| o.id == burgers.id && o.status == ordera_protocol::OrderStatus::Cancelled)
    })
    .await;
    admin.gone("#cancel-form").await;
    admin.screenshot(&shots, "order-cancelled").await;
    admin.quit().await;
    restaurant.kiosk.shutdown().await;
}

/// Sets the value of the field `css` as a person's typing would, for fields whose own keyboard handling
/// differs between webviews (a time field's spin buttons): the page hears the same `input` event.
async fn set_value(admin: &AppSession, css: &str, value: &str) {
    admin.element(css).await;
    let script = "const field = document.querySelector(arguments[0]); field.value = arguments[1]; \
        field.dispatchEvent(new Event('input', {bubbles: true}));";
    admin.client.execute(script, vec![json!(css), json!(value)]).await.unwrap_or_else(|e| panic!("setting {css}: {e}"));
}

/// Chooses `value` in the drop-down `css` as a person's pick would: the page hears the same `change` event.
async fn choose(admin: &AppSession, css: &str, value: &str) {
    admin.element(css).await;
    let script = "const field = document.querySelector(arguments[0]); field.value = arguments[1]; \
        field.dispatchEvent(new Event('change', {bubbles: true}));";
    admin
        .client
        .execute(script, vec![json!(css), json!(value)])
        .await
        .unwrap_or_else(|e| panic!("choosing in {css}: {e}"));
}

fn id_of(value: &serde_json::Value) -> Uuid {
    value["id"].as_str().expect("an id").parse().expect("a uuid")
}

/// The menu editor as a manager uses it: a category made, moved by button and by keyboard; a dish made
/// with its price typed as money and its picture chosen through the file dialog (a file the server
/// refuses is explained beside the picture and the dish is kept, not made twice); a dish 86'd until a
/// time, which a kiosk's engine hears at once, and back on again; an empty category deleted after asking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_builds_the_menu_with_a_picture_and_86s_a_dish_that_kiosks_hear_of_at_once() {
    use fantoccini::key::Key;
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = artifacts(env!("CARGO_TARGET_TMPDIR"), "admin");
    let restaurant = Restaurant::open().await;
    let admin = restaurant.launch_admin().await;
    admin.element("#sign-in").await;
    admin.type_into("#email", &restaurant.owner.email).await;
    admin.type_into("#password", ordera_e2e::server::PASSWORD).await;
    admin.click("#sign-in-button").await;
    admin.element("#dashboard").await;
    admin.text_until("#connection", "online", |t| t.starts_with("Online")).await;

    // The menu as synced: the burgers' category, with its two dishes.
    admin.click("#tab-menu").await;
    admin.text_until("#category-list", "the burgers", |t| t.contains("Burgers")).await;
    admin.text_until("#product-list", "the dishes", |t| t.contains("Classic Smash Burger") && t.contains("Cola")).await;

    // A new category is chosen at once; moved up by its button, then down again from its handle's keys.
    admin.type_into("#new-category-name", "Salads").await;
    admin.click("#add-category").await;
    admin.text_until("#products-title", "the new category", |t| t.contains("Salads")).await;
    admin.element("#products-empty").await;
    let names = |categories: serde_json::Value| -> Vec<String> {
        categories.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
    };
    let salads = restaurant.owner.get("categories").await;
    let salads = salads.as_array().unwrap().iter().find(|c| c["name"] == "Salads").expect("made").clone();
    let salads = id_of(&salads);
    admin.click(&format!("#up-{salads}")).await;
    let mut order = Vec::new();
    for _ in 0..100 {
        order = names(restaurant.owner.get("categories").await);
        if order == ["Salads", "Burgers"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(order, ["Salads", "Burgers"], "moved up by its button");
    admin.element(&format!("#move-{salads}")).await.send_keys(&Key::Down.to_string()).await.unwrap();
    for _ in 0..100 {
        order = names(restaurant.owner.get("categories").await);
        if order == ["Burgers", "Salads"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(order, ["Burgers", "Salads"], "moved down from the keyboard");

    // A dish with its price typed as money and a file that is not a picture: the server's refusal is
    // explained beside the picture, and the dish exists once.
    let pictures = tempfile::tempdir().unwrap();
    let not_a_picture = pictures.path().join("menu.png");
    std::fs::write(&not_a_picture, "this is a text file, not a picture").unwrap();
    let picture = pictures.path().join("halloumi.png");
    std::fs::write(&picture, ordera_server::demo::picture([90, 160, 60], 2)).unwrap();
    admin.click(&format!("#choose-{salads}")).await;
    admin.click("#add-product").await;
    admin.element("#product-form").await;
    admin.type_into("#product-name", "Halloumi Salad").await;
    admin.type_into("#product-price", "10.955").await;
    let error = admin.text_until("#product-price-error", "the price's problem", |t| !t.is_empty()).await;
    assert!(error.contains("2 digits"), "checked as it is typed: {error:?}");
    admin.replace_in("#product-price", "10.95").await;
    admin.gone("#product-price-error").await;
    admin.click("#allergen-milk").await;
    admin.type_into("#product-stock", "12").await;
    admin.type_into("#product-low-stock", "3").await;
    admin.type_into("#product-image", &not_a_picture.display().to_string()).await;
    admin.element("#product-image-preview").await;
    admin.click("#product-save").await;
    let refused = admin.text_until("#product-image-error", "why the picture was refused", |t| !t.is_empty()).await;
    assert!(refused.contains("The picture was not saved"), "{refused:?}");
    let made: Vec<serde_json::Value> = restaurant.owner.get("products").await.as_array().unwrap().clone();
    let halloumi: Vec<_> = made.iter().filter(|p| p["name"] == "Halloumi Salad").collect();
    assert_eq!(halloumi.len(), 1, "the dish was made once");
    assert_eq!((halloumi[0]["price"].as_i64(), halloumi[0]["stock"].as_i64()), (Some(1095), Some(12)));
    assert_eq!(halloumi[0]["allergens"], json!(["milk"]));
    assert!(halloumi[0]["image"].is_null());
    let halloumi = id_of(halloumi[0]);

    // The right picture, previewed, then saved with the dish; the kiosk's engine has it.
    admin.type_into("#product-image", &picture.display().to_string()).await;
    admin.element("#product-image-preview").await;
    admin.screenshot(&shots, "product-form").await;
    admin.click("#product-save").await;
    admin.gone("#product-form").await;
    admin.text_until("#menu-notice", "the dish reached the kiosks", |t| t.contains("every kiosk")).await;
    let image = restaurant.owner.get(&format!("products/{halloumi}")).await["image"]["id"].clone();
    assert!(image.is_string(), "the picture was saved");
    until("the kiosk has the dish with its picture", || {
        restaurant.kiosk.menu().unwrap().products.iter().any(|p| p.id == halloumi && p.image.is_some())
    })
    .await;
    assert_eq!(restaurant.owner.get("products").await.as_array().unwrap().len(), 3, "no second dish");

    // The burger 86'd until a time two hours on: the kiosk hears of it at once; the row says when it is back.
    admin.click(&format!("#choose-{}", id_of(&restaurant.owner.get("categories").await[0]))).await;
    let burger = restaurant.burger;
    admin.click(&format!("#eighty-six-{burger}")).await;
    let back = (chrono::Local::now() + chrono::Duration::hours(2)).format("%H:%M").to_string();
    set_value(&admin, &format!("#eighty-six-time-{burger}"), &back).await;
    admin.click(&format!("#eighty-six-until-{burger}")).await;
    until("the kiosk shows the burger sold out", || {
        restaurant.kiosk.menu().unwrap().products.iter().any(|p| p.id == burger && !p.available)
    })
    .await;
    let standing =
        admin.text_until(&format!("#standing-{burger}"), "when it is back", |t| t.contains("Sold out")).await;
    // "Back at 14:00", or "Back at Tue 01:00" when two hours on is past midnight.
    assert!(standing.contains("Back at") && standing.contains(&back), "{standing:?}");
    admin.text_until(&format!("#reach-{burger}"), "that it reached the kiosks", |t| t.contains("Every kiosk")).await;
    let again = restaurant.owner.get(&format!("products/{burger}")).await["available_again_at"].clone();
    assert!(again.is_string(), "it comes back by itself: {again}");
    admin.screenshot(&shots, "menu").await;

    // Back on at once.
    admin.click(&format!("#available-again-{burger}")).await;
    until("the kiosk shows the burger again", || {
        restaurant.kiosk.menu().unwrap().products.iter().any(|p| p.id == burger && p.available)
    })
    .await;
    admin.gone(&format!("#available-again-{burger}")).await;

    // An empty category is deleted after asking once; one with dishes cannot be.
    admin.type_into("#new-category-name", "Specials").await;
    admin.click("#add-category").await;
    admin.text_until("#products-title", "the new category", |t| t.contains("Specials")).await;
    let specials = restaurant.owner.get("categories").await;
    let specials = id_of(specials.as_array().unwrap().iter().find(|c| c["name"] == "Specials").expect("made"));
    let delete = format!("#delete-category-{specials}");
    admin.click(&delete).await;
    assert_eq!(admin.text(&delete).await, "Delete now", "asked once");
    admin.click(&delete).await;
    admin.gone(&format!("#category-{specials}")).await;
    assert!(!names(restaurant.owner.get("categories").await).contains(&"Specials".to_owned()));
    let disabled = admin.element(&format!("#delete-category-{salads}")).await.attr("disabled").await.unwrap();
    assert!(disabled.is_some(), "a category with dishes cannot be deleted");

    admin.quit().await;
    restaurant.kiosk.shutdown().await;
}

/// A new restaurant set up from the app's first screen: fields are checked as they are typed by the
/// server's own rules, and the owner lands signed in on the dashboard. In Staff the owner adds a manager
/// (a first password the server refuses is explained beside its field), makes her staff, deactivates her
/// (asked once: she can no longer sign in), brings her back and gives her a new password, each checked by
/// signing in at the server as she would; the owner's own row offers nothing to change. In Settings the
/// business day is moved to start at 04:00.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_restaurant_is_set_up_in_the_app_and_its_owner_manages_the_staff() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = artifacts(env!("CARGO_TARGET_TMPDIR"), "admin");
    let restaurant = Restaurant::open().await;
    let admin = restaurant.launch_admin().await;
    let password = ordera_e2e::server::PASSWORD;

    admin.element("#sign-in").await;
    admin.click("#use-sign-up").await;
    admin.element("#sign-up").await;
    let email = format!("{}@example.com", Uuid::now_v7().simple());
    admin.type_into("#signup-restaurant_name", "Sizzling Bistro - Camden").await;
    admin.replace_in("#signup-timezone", "Europe/Nowhere").await;
    admin.replace_in("#signup-currency", "GBP").await;
    admin.type_into("#signup-owner_name", "Nadia").await;
    admin.type_into("#signup-email", &email).await;
    admin.type_into("#signup-password", "short").await;
    assert!(!admin.text("#signup-timezone-error").await.is_empty(), "checked as typed");
    assert!(admin.text("#signup-password-error").await.contains("10"), "says how long");
    admin.screenshot(&shots, "sign-up").await;
    admin.click("#sign-up-button").await;
    admin.element("#sign-up").await;
    assert!(!admin.text("#signup-password-error").await.is_empty(), "still said after the try");
    admin.replace_in("#signup-timezone", "Europe/London").await;
    admin.replace_in("#signup-password", password).await;
    admin.gone("#signup-timezone-error").await;
    admin.click("#sign-up-button").await;
    admin.element("#dashboard").await;
    assert_eq!(admin.text("#signed-in-as").await, "Nadia · Owner");
    assert_eq!(admin.text("#restaurant-name").await, "Sizzling Bistro - Camden");
    let (status, nadia) = restaurant.log_in(&email, password).await;
    assert_eq!((status, nadia["tenant"]["currency"].as_str()), (200, Some("GBP")));
    assert_ne!(nadia["tenant"]["id"], restaurant.owner.get("me").await["tenant"]["id"], "a restaurant of its own");

    // Staff: a manager added, her first password refused until long enough.
    admin.click("#tab-staff").await;
    admin.text_until("#staff-list", "the owner listed", |t| t.contains("Nadia")).await;
    admin.gone(&format!("#active-{}", nadia["user"]["id"].as_str().unwrap())).await;
    let marta = format!("{}@example.com", Uuid::now_v7().simple());
    admin.type_into("#staff-name", "Marta").await;
    admin.type_into("#staff-email", &marta).await;
    choose(&admin, "#staff-role", "manager").await;
    admin.type_into("#staff-password", "short").await;
    admin.click("#add-person-button").await;
    admin.text_until("#staff-password-error", "the server's word", |t| !t.is_empty()).await;
    assert_eq!(restaurant.log_in(&marta, password).await.0, 401, "nobody was added");
    admin.replace_in("#staff-password", password).await;
    admin.click("#add-person-button").await;
    admin.text_until("#staff-done", "added", |t| t.contains("Marta can sign in")).await;
    let (status, session) = restaurant.log_in(&marta, password).await;
    assert_eq!((status, session["user"]["role"].as_str()), (200, Some("manager")));
    let id = session["user"]["id"].as_str().unwrap().to_owned();
    admin.element(&format!("#person-{id}")).await;

    // Her role changed, then she is deactivated (asked once) and cannot sign in, then brought back.
    choose(&admin, &format!("#role-{id}"), "staff").await;
    admin.text_until("#staff-done", "the new role", |t| t.contains("Marta is now staff")).await;
    assert_eq!(restaurant.log_in(&marta, password).await.1["user"]["role"], "staff");
    let active = format!("#active-{id}");
    admin.click(&active).await;
    assert!(admin.text(&active).await.contains("Deactivate now"), "asked once");
    admin.click(&active).await;
    admin.text_until("#staff-done", "deactivated", |t| t.contains("deactivated")).await;
    admin.text_until(&format!("#person-{id}"), "shown deactivated", |t| t.contains("Deactivated")).await;
    assert_ne!(restaurant.log_in(&marta, password).await.0, 200, "a deactivated person cannot sign in");
    admin.screenshot(&shots, "staff").await;
    admin.click(&active).await;
    admin.text_until("#staff-done", "back", |t| t.contains("can sign in again")).await;

    // A new password: the old one stops working, the new one signs her in.
    admin.click(&format!("#reset-{id}")).await;
    admin.type_into("#new-password", "short").await;
    admin.click("#set-password").await;
    admin.text_until("#new-password-error", "too short", |t| !t.is_empty()).await;
    admin.replace_in("#new-password", "a brand new long password").await;
    admin.click("#set-password").await;
    admin.text_until("#staff-done", "set", |t| t.contains("New password set for Marta")).await;
    assert_ne!(restaurant.log_in(&marta, password).await.0, 200, "the old password no longer works");
    assert_eq!(restaurant.log_in(&marta, "a brand new long password").await.0, 200);

    // Settings: the business day starts at 04:00.
    admin.click("#tab-settings").await;
    admin.replace_in("#business_day_start", "04:00").await;
    admin.click("#settings-save").await;
    admin.element("#settings-saved").await;
    assert_eq!(restaurant.log_in(&email, password).await.1["tenant"]["business_day_start"], "04:00");
    admin.screenshot(&shots, "settings-business-day").await;
    admin.quit().await;
    restaurant.kiosk.shutdown().await;
}

/// The first run `cargo xtask run` gives: an admin app started with a person's e-mail and password in its
/// environment opens signed in, on the owner's dashboard, without anyone typing them; started again it is
/// signed in afresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_app_started_with_a_login_opens_signed_in_on_the_dashboard() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let restaurant = Restaurant::open().await;
    let env = [
        ("ORDERA_SERVER_URL", restaurant.admin_network.url()),
        ("ORDERA_ADMIN_DATA_DIR", restaurant.data.path().join("first-run").display().to_string()),
        ("ORDERA_ADMIN_EMAIL", restaurant.owner.email.clone()),
        ("ORDERA_ADMIN_PASSWORD", ordera_e2e::server::PASSWORD.to_owned()),
    ];
    for _ in 0..2 {
        let admin = AppSession::launch(&app_binary(env!("CARGO_TARGET_TMPDIR"), "ordera-admin"), &env).await;
        admin.element("#dashboard").await;
        assert_eq!(admin.text("#signed-in-as").await, "Olive · Owner");
        admin.quit().await;
    }
}
