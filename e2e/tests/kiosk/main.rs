//! The kiosk app as a customer uses it: the real built app (Tauri shell, Yew UI, sync engine) in a real
//! webview on a private X display, driven over WebDriver, against a real server on its embedded database.
//! The server sits behind a loopback proxy so it can be killed and started again at the same address.
//! Screenshots of every screen land in `<target>/tmp/screenshots/kiosk/`.
//!
//! Run by `cargo xtask test` after it has built the app (`--features ui`, one test at a time).

use std::time::Duration;

use fantoccini::key::Key;
use ordera_e2e::ingest::Ingest;
use ordera_e2e::proxy::Proxy;
use ordera_e2e::server::{break_the_menu, Owner, TestServer};
use ordera_e2e::webview::{app_binary, artifacts, AppSession};
use ordera_protocol::orders::{short_reference, OrderPage};
use ordera_protocol::{Currency, Money, OrderType};
use serde_json::{json, Value};
use uuid::Uuid;

fn shots() -> std::path::PathBuf {
    artifacts(env!("CARGO_TARGET_TMPDIR"), "kiosk")
}

/// One app on one display at a time: two would only fight over the machine's two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A restaurant on a real server, reachable through a proxy at an address that outlives the server.
struct Restaurant {
    server: TestServer,
    proxy: Proxy,
    owner: Owner,
    database_url: String,
    data: tempfile::TempDir,
    burger: Dish,
    halloumi: Dish,
    cola: Dish,
}

#[derive(Clone)]
struct Dish {
    id: Uuid,
    name: &'static str,
    price: i64,
}

impl Restaurant {
    async fn open() -> Self {
        let data = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite://{}", data.path().join("server.db").display());
        let server = TestServer::start(&database_url, None, data.path());
        let proxy = Proxy::start(server.addr).await;
        let owner = Owner::sign_up(server.addr).await;
        owner.patch("tenant", json!({"name": "Sizzling Bistro - Soho"})).await;
        let burgers = owner.post("categories", json!({"name": "Burgers"})).await;
        let drinks = owner.post("categories", json!({"name": "Drinks"})).await;
        let burger = dish(&owner, &burgers, "Classic Smash Burger", 1095, [196, 92, 38], 0).await;
        let halloumi = dish(&owner, &burgers, "Halloumi Burger", 1150, [196, 92, 38], 1).await;
        dish(&owner, &burgers, "Spicy Chicken Burger", 1195, [196, 92, 38], 2).await;
        let cola = dish(&owner, &drinks, "Cola", 295, [52, 120, 196], 0).await;
        dish(&owner, &drinks, "Homemade Lemonade", 325, [52, 120, 196], 1).await;
        Self { server, proxy, owner, database_url, data, burger, halloumi, cola }
    }

    fn url(&self) -> String {
        self.proxy.url()
    }

    /// The network to the server is gone: the server process dies.
    fn kill_server(&mut self) {
        self.server.kill();
    }

    /// A new server process on the same database, at the address the kiosk knows.
    fn start_server(&mut self) {
        self.server = TestServer::start(&self.database_url, None, self.data.path());
        self.proxy.set_upstream(self.server.addr);
        self.owner = self.owner.at(self.server.addr);
    }

    async fn orders(&self) -> OrderPage {
        serde_json::from_value(self.owner.get("orders?per_page=100").await).unwrap()
    }

    fn money(&self, minor: i64) -> String {
        Currency::parse("GBP").unwrap().format(Money(minor))
    }

    /// Opens the kiosk app, pairs it through its pairing screen and waits for the attract screen.
    /// `idle_seconds`: the kiosk's own idle reset, as an installer sets it; `None` follows the restaurant's.
    async fn kiosk(&self, idle_seconds: Option<u32>) -> AppSession {
        let (kiosk, _) = self.kiosk_with(idle_seconds, &[]).await;
        kiosk.element("#attract").await;
        kiosk
    }

    /// Opens the kiosk app with `env` on top of its usual settings and types a fresh pairing code into its
    /// pairing screen; returns the app and the code.
    async fn kiosk_with(&self, idle_seconds: Option<u32>, env: &[(&str, String)]) -> (AppSession, String) {
        let app_data = self.data.path().join(format!("kiosk-{}", Uuid::now_v7().simple()));
        let mut all =
            vec![("ORDERA_SERVER_URL", self.url()), ("ORDERA_KIOSK_DATA_DIR", app_data.display().to_string())];
        if let Some(seconds) = idle_seconds {
            all.push(("ORDERA_KIOSK_IDLE_SECONDS", seconds.to_string()));
        }
        all.extend(env.iter().cloned());
        let kiosk = AppSession::launch(&app_binary(env!("CARGO_TARGET_TMPDIR"), "ordera-kiosk"), &all).await;
        let code = self.owner.pairing_code("kiosk").await;
        kiosk.pair_with(&code).await;
        (kiosk, code)
    }
}

async fn dish(owner: &Owner, category: &Value, name: &'static str, price: i64, colour: [u8; 3], n: u32) -> Dish {
    let body = json!({"category_id": category["id"], "name": name, "price": price,
        "description": format!("{name}, made to order."), "allergens": ["gluten", "milk"], "station": "grill"});
    let product = owner.post("products", body).await;
    let id: Uuid = product["id"].as_str().unwrap().parse().unwrap();
    owner.upload_image(id, ordera_server::demo::picture(colour, n)).await;
    Dish { id, name, price }
}

fn card(dish: &Dish) -> String {
    format!(r#".card[data-product="{}"]"#, dish.name)
}

/// Opens a dish's sheet, sets the quantity and note, and adds it to the cart.
async fn add(kiosk: &AppSession, dish: &Dish, quantity: i64, note: &str) {
    kiosk.click(&card(dish)).await;
    kiosk.element("#product-sheet").await;
    for _ in 1..quantity {
        kiosk.click(r##"#product-sheet button[aria-label="One more"]"##).await;
    }
    kiosk.text_until("#sheet-quantity", "the quantity", |t| t == quantity.to_string()).await;
    if !note.is_empty() {
        kiosk.type_into("#note", note).await;
    }
    kiosk.click("#add-to-cart").await;
    kiosk.gone("#product-sheet").await;
}

async fn category(kiosk: &AppSession, name: &str) {
    let button = kiosk
        .client
        .find(fantoccini::Locator::XPath(&format!(
            "//button[contains(@class, 'category') and normalize-space() = '{name}']"
        )))
        .await
        .unwrap_or_else(|e| panic!("no category {name}: {e}"));
    button.click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_orders_two_dishes_with_a_note_then_orders_again_offline_and_each_order_arrives_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = shots();
    let mut restaurant = Restaurant::open().await;
    let kiosk = restaurant.kiosk(Some(600)).await;

    // Attract screen with the restaurant's name; a touch starts an order.
    let welcome = kiosk.text("#attract h2").await;
    assert!(welcome.contains("Sizzling Bistro - Soho"), "the attract screen says {welcome:?}");
    kiosk.text_until("#connection", "online", |t| t.starts_with("Online")).await;
    kiosk.screenshot(&shots, "1-attract").await;
    kiosk.click("#attract").await;

    // Browse: photos, names, prices and allergens from the server's menu.
    let burger_card = kiosk.text(&card(&restaurant.burger)).await;
    assert!(burger_card.contains(&restaurant.money(restaurant.burger.price)), "{burger_card:?}");
    assert!(burger_card.contains("Cereals containing gluten"), "allergen badges: {burger_card:?}");
    kiosk.text_until("#products", "the burgers only", |t| !t.contains("Cola")).await;
    kiosk.screenshot(&shots, "2-menu").await;

    add(&kiosk, &restaurant.burger, 1, "no onions").await;
    category(&kiosk, "Drinks").await;
    add(&kiosk, &restaurant.cola, 2, "").await;
    let expected = restaurant.money(restaurant.burger.price + 2 * restaurant.cola.price);
    assert_eq!(kiosk.text("#cart-total").await, expected);
    let cart = kiosk.text("#cart").await;
    assert!(
        cart.contains("1× Classic Smash Burger") && cart.contains("no onions") && cart.contains("2× Cola"),
        "{cart:?}"
    );
    kiosk.screenshot(&shots, "3-cart").await;

    // Review, take away, place: the server's ticket number comes back.
    kiosk.click("#review").await;
    let review = kiosk.text("#review-screen").await;
    assert!(review.contains("(no onions)") && review.contains(&expected), "{review:?}");
    kiosk.click("#takeaway").await;
    kiosk.click("#place-order").await;
    let number: i64 = kiosk.text("#ticket-number").await.trim().parse().expect("a ticket number");
    kiosk.screenshot(&shots, "4-confirmation").await;

    let orders = restaurant.orders().await;
    assert_eq!(orders.total, 1, "exactly one order on the server");
    let order = &orders.orders[0];
    assert_eq!(order.number, number, "the number on screen is the server's");
    assert_eq!(order.order_type, OrderType::Takeaway);
    let lines: Vec<(&str, i64, &str)> =
        order.items.iter().map(|i| (i.name.as_str(), i.quantity, i.note.as_str())).collect();
    assert_eq!(lines, vec![("Classic Smash Burger", 1, "no onions"), ("Cola", 2, "")]);
    assert_eq!(order.total, Money(restaurant.burger.price + 2 * restaurant.cola.price));

    // The server goes away. The next customer's order is saved on the tablet, and the screen says so.
    kiosk.click("#done").await;
    kiosk.element("#attract").await;
    restaurant.kill_server();
    kiosk.text_until("#connection", "that it is not online", |t| !t.starts_with("Online")).await;
    kiosk.click("#attract").await;
    add(&kiosk, &restaurant.halloumi, 1, "extra chilli jam").await;
    kiosk.click("#review").await;
    kiosk.click("#place-order").await;
    let saved = kiosk.text("#saved-offline").await;
    assert!(saved.contains("Order saved"), "{saved:?}");
    let reference = kiosk.text("#local-reference").await;
    assert!(reference.starts_with('#'), "a local reference: {reference:?}");
    kiosk.text_until("#connection", "one order waiting", |t| t.contains("1 waiting")).await;
    kiosk.screenshot(&shots, "5-saved-offline").await;

    // The server is back: the order goes through by itself, once, and the customer sees their number.
    restaurant.start_server();
    let second: i64 = kiosk.text("#ticket-number").await.trim().parse().expect("a ticket number");
    assert_eq!(second, number + 1);
    kiosk.text_until("#connection", "nothing waiting", |t| t.starts_with("Online") && !t.contains("waiting")).await;
    kiosk.screenshot(&shots, "6-sent-after-reconnect").await;
    let orders = restaurant.orders().await;
    assert_eq!(orders.total, 2, "each order exactly once: {:?}", orders.orders);
    let offline = orders.orders.iter().find(|o| o.number == second).expect("the offline order");
    assert_eq!(offline.items[0].name, "Halloumi Burger");
    assert_eq!(offline.items[0].note, "extra chilli jam");
    assert_eq!(offline.order_type, OrderType::DineIn, "eat in is the default");
    assert_eq!(reference, format!("#{}", short_reference(offline.id)), "staff find the order by the reference shown");

    kiosk.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dish_sold_out_or_repriced_by_a_manager_changes_on_the_open_menu_at_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let restaurant = Restaurant::open().await;
    let kiosk = restaurant.kiosk(Some(600)).await;
    kiosk.click("#attract").await;
    let halloumi = card(&restaurant.halloumi);
    add(&kiosk, &restaurant.halloumi, 1, "").await;
    assert_eq!(kiosk.text("#cart-total").await, restaurant.money(restaurant.halloumi.price));

    // Sold out: the card says so, cannot be opened, and the cart lets go of it.
    restaurant.owner.patch(&format!("products/{}", restaurant.halloumi.id), json!({"available": false})).await;
    kiosk.text_until(&halloumi, "sold out", |t| t.contains("Sold out")).await;
    let class = kiosk.element(&halloumi).await.attr("class").await.unwrap().unwrap_or_default();
    assert!(class.contains("soldout"), "{class:?}");
    assert_eq!(kiosk.element(&halloumi).await.attr("aria-disabled").await.unwrap().as_deref(), Some("true"));
    kiosk.text_until("#cart", "an empty cart", |t| !t.contains("Halloumi")).await;
    let notice = kiosk.text("#cart-notice").await;
    assert!(notice.contains("Halloumi Burger just sold out"), "the customer is told why: {notice:?}");
    kiosk.screenshot(&shots(), "7-sold-out").await;
    kiosk.click(&halloumi).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(kiosk.client.find(fantoccini::Locator::Css("#product-sheet")).await.is_err(), "a sold-out dish opened");

    // Back on, and at a new price.
    restaurant
        .owner
        .patch(&format!("products/{}", restaurant.halloumi.id), json!({"available": true, "price": 1250}))
        .await;
    let repriced = restaurant.money(1250);
    kiosk.text_until(&halloumi, "the new price", |t| t.contains(&repriced) && !t.contains("Sold out")).await;

    // A keyboard alone can order: focus the card, Enter opens its sheet.
    kiosk.element(&halloumi).await.send_keys(&Key::Enter.to_string()).await.unwrap();
    kiosk.element("#product-sheet").await;
    kiosk.click("#add-to-cart").await;
    kiosk.text_until("#cart-total", "the new price", |t| t == repriced).await;
    kiosk.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_text_and_high_contrast_are_one_tap_away_on_every_screen() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let restaurant = Restaurant::open().await;
    let kiosk = restaurant.kiosk(Some(600)).await;
    assert_eq!(kiosk.root_classes().await, "");
    kiosk.click("#large-text").await;
    assert_eq!(kiosk.root_classes().await, "large-text");
    kiosk.click("#attract").await;
    kiosk.element(&card(&restaurant.burger)).await;
    kiosk.click("#high-contrast").await;
    assert_eq!(kiosk.root_classes().await, "large-text high-contrast");
    let font = kiosk.element("body").await.css_value("font-size").await.unwrap();
    assert_eq!(font, "24px", "large text is larger");
    kiosk.screenshot(&shots(), "8-large-text-high-contrast").await;
    add(&kiosk, &restaurant.burger, 1, "").await;
    kiosk.click("#review").await;
    kiosk.click("#large-text").await;
    kiosk.click("#high-contrast").await;
    assert_eq!(kiosk.root_classes().await, "", "both switch back off from the review screen");
    kiosk.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kiosk_asks_if_anyone_is_there_then_clears_the_order_and_returns_to_the_start() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let restaurant = Restaurant::open().await;
    // The restaurant sets 12 s without a touch to clear an order (the last 4 of them ask first), and the
    // kiosk, installed without its own, follows it live.
    let kiosk = restaurant.kiosk(None).await;
    restaurant.owner.patch("tenant", json!({"kiosk_idle_seconds": 12})).await;
    kiosk.click("#attract").await;
    add(&kiosk, &restaurant.burger, 1, "").await;

    // "Still there?" — a touch keeps the order.
    kiosk.element("#still-there").await;
    kiosk.click("#still-there button").await;
    kiosk.gone("#still-there").await;
    assert!(kiosk.text("#cart").await.contains("Classic Smash Burger"), "the order is kept after a touch");

    // No answer: the order is cleared and the attract screen returns.
    kiosk.element("#still-there").await;
    kiosk.screenshot(&shots(), "9-still-there").await;
    kiosk.element("#attract").await;
    kiosk.click("#attract").await;
    let cart = kiosk.text(".cart").await;
    assert!(cart.contains("Nothing yet") && !cart.contains("Classic Smash Burger"), "{cart:?}");
    assert_eq!(restaurant.orders().await.total, 0, "nothing was ordered");
    kiosk.quit().await;
}

/// The real kiosk shell, with `SENTRY_DSN` set, reports an engine error (a server that fails inside while
/// the kiosk fetches its first menu) tagged as a kiosk with the shell's version, and without the pairing
/// code, a device token or anything personal. The customer meanwhile sees no menu it cannot trust.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_shell_reports_a_failing_server_to_sentry_as_a_kiosk() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (ingest, dsn) = Ingest::start().await;
    let restaurant = Restaurant::open().await;
    break_the_menu(&restaurant.database_url).await;

    let (kiosk, code) = restaurant.kiosk_with(None, &[("SENTRY_DSN", dsn), ("SENTRY_ENVIRONMENT", "ci".into())]).await;
    let (event, envelope) = ingest.event_mentioning("sync session failed").await;
    // The protocol leaves the level out when it is "error", its default.
    assert_eq!(event["level"].as_str().unwrap_or("error"), "error", "{event}");
    assert_eq!(event["tags"]["device_kind"], "kiosk", "{event}");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(event["tags"]["app_version"], version, "{event}");
    assert_eq!(event["release"], format!("ordera-kiosk@{version}"), "{event}");
    assert_eq!(event["environment"], "ci", "{event}");
    assert!(!envelope.contains(&code), "the pairing code must not be reported");
    assert!(!envelope.contains("ord_"), "no device token is reported");
    ingest.assert_no_personal_data(&[]);
    // A customer who touches the screen is sent to staff, not shown an empty menu to order from.
    kiosk.element("#attract").await;
    kiosk.click("#attract").await;
    kiosk.element("#empty-menu").await;
    kiosk.screenshot(&shots(), "server-failing").await;
    kiosk.quit().await;
}

/// The first run `cargo xtask run` gives: a kiosk started with a pairing code in its environment opens on its
/// attract screen, already paired, without anyone typing the code, and takes orders.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_started_with_a_pairing_code_opens_paired_on_its_attract_screen() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let restaurant = Restaurant::open().await;
    let code = restaurant.owner.pairing_code("kiosk").await;
    let env = [
        ("ORDERA_SERVER_URL", restaurant.url()),
        ("ORDERA_KIOSK_DATA_DIR", restaurant.data.path().join("first-run").display().to_string()),
        ("ORDERA_KIOSK_IDLE_SECONDS", "600".to_owned()),
        ("ORDERA_KIOSK_PAIRING_CODE", code),
    ];
    let kiosk = AppSession::launch(&app_binary(env!("CARGO_TARGET_TMPDIR"), "ordera-kiosk"), &env).await;
    kiosk.element("#attract").await;
    kiosk.click("#attract").await;
    add(&kiosk, &restaurant.burger, 1, "").await;
    kiosk.quit().await;
}

/// Where `cargo xtask` itself is built (the workspace's debug build, beside the shells).
fn xtask_binary() -> std::path::PathBuf {
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("a target directory");
    let path = target.join("debug").join("xtask");
    assert!(path.exists(), "{} is not built: `cargo xtask test` builds it", path.display());
    path
}

fn run(command: &mut std::process::Command) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("starting {command:?}: {e}"));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{command:?} failed: {text}{}", String::from_utf8_lossy(&output.stderr));
    text
}

/// The kiosk's Debian package, made by `cargo xtask package` as `cargo xtask dist` makes it (here from the
/// debug build), installs with dpkg into a throwaway root: its program, desktop entry and icons land where a
/// Linux desktop looks, it depends on Debian's real package names, and the installed program starts, says its
/// version and pairs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_package_installs_with_dpkg_and_the_installed_app_starts_and_pairs() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let work = tempfile::tempdir().expect("a temporary folder");
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace");
    let made = run(std::process::Command::new(xtask_binary())
        .env("CARGO_MANIFEST_DIR", workspace.join("xtask"))
        .args(["package", "--app", "kiosk", "--binary"])
        .arg(app_binary(env!("CARGO_TARGET_TMPDIR"), "ordera-kiosk"))
        .arg("--out")
        .arg(work.path().join("out")));
    let deb = std::path::PathBuf::from(made.lines().last().expect("the package's path").trim());
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(deb.file_name().and_then(|n| n.to_str()), Some(format!("ordera-kiosk_{version}_amd64.deb").as_str()));

    let fields =
        run(std::process::Command::new("dpkg-deb").arg("--field").arg(&deb).args(["Package", "Version", "Depends"]));
    assert!(fields.contains("Package: ordera-kiosk") && fields.contains(&format!("Version: {version}")), "{fields}");
    let depends = fields.lines().find_map(|l| l.strip_prefix("Depends: ")).expect("a Depends field");
    for package in depends.split(", ") {
        // Each named dependency is a package Debian has and this machine runs the app with.
        run(std::process::Command::new("dpkg-query").args(["--show", package]));
    }

    let root = work.path().join("root");
    for dir in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
        std::fs::create_dir_all(root.join(dir)).expect("a dpkg database");
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").expect("an empty dpkg status");
    // The throwaway root has none of the libraries the app depends on: the host's serve it.
    run(std::process::Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["--force-depends", "--install"])
        .arg(&deb));
    let listed = run(std::process::Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["--listfiles", "ordera-kiosk"]));
    for file in [
        "/usr/bin/ordera-kiosk",
        "/usr/share/applications/ordera-kiosk.desktop",
        "/usr/share/icons/hicolor/32x32/apps/ordera-kiosk.png",
        "/usr/share/icons/hicolor/128x128/apps/ordera-kiosk.png",
        "/usr/share/icons/hicolor/256x256/apps/ordera-kiosk.png",
    ] {
        assert!(listed.lines().any(|l| l == file), "{file} is not in the package: {listed}");
    }
    let desktop =
        std::fs::read_to_string(root.join("usr/share/applications/ordera-kiosk.desktop")).expect("the desktop entry");
    for line in ["Name=Ordera Kiosk", "Exec=ordera-kiosk", "Icon=ordera-kiosk", "Type=Application"] {
        assert!(desktop.lines().any(|l| l == line), "the desktop entry lacks {line:?}: {desktop}");
    }

    let restaurant = Restaurant::open().await;
    let env = [
        ("ORDERA_SERVER_URL", restaurant.url()),
        ("ORDERA_KIOSK_DATA_DIR", work.path().join("data").display().to_string()),
    ];
    let kiosk = AppSession::launch(&root.join("usr/bin/ordera-kiosk"), &env).await;
    kiosk.text_until("#app-version", "its version", |t| t.contains(version)).await;
    kiosk.pair_with(&restaurant.owner.pairing_code("kiosk").await).await;
    kiosk.element("#attract").await;
    kiosk.quit().await;
}

/// Kiosk mode as a restaurant installs it (`ORDERA_KIOSK_LOCKED=1`): the app fills the screen, a customer's
/// taps in the corner open nothing, staff open the panel with five quick taps and the restaurant's PIN
/// (a wrong one is refused), see the connection and the orders waiting, and leave kiosk mode, which ends the
/// app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_kiosk_opens_its_staff_panel_only_for_the_restaurants_pin_and_staff_can_leave() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = shots();
    let restaurant = Restaurant::open().await;
    let settings = restaurant.owner.patch("tenant", json!({"kiosk_pin": "2468"})).await;
    assert!(settings["kiosk_pin_hash"].is_string(), "{settings}");
    let data = restaurant.data.path().join("locked").display().to_string();
    let env = [
        ("ORDERA_SERVER_URL", restaurant.url()),
        ("ORDERA_KIOSK_DATA_DIR", data.clone()),
        ("ORDERA_KIOSK_LOCKED", "1".to_owned()),
        ("ORDERA_KIOSK_PAIRING_CODE", restaurant.owner.pairing_code("kiosk").await),
    ];
    let binary = app_binary(env!("CARGO_TARGET_TMPDIR"), "ordera-kiosk");
    let kiosk = AppSession::launch(&binary, &env).await;
    kiosk.element("#attract").await;
    assert!(ordera_e2e::webview::app_running(&binary, "ORDERA_KIOSK_DATA_DIR", &data));
    let fills = "return [window.innerWidth, window.innerHeight, screen.width, screen.height];";
    let mut sizes = Value::Null;
    for _ in 0..50 {
        sizes = kiosk.script(fills).await;
        if sizes[0] == sizes[2] && sizes[1] == sizes[3] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sizes[0] == sizes[2] && sizes[1] == sizes[3], "the kiosk fills the screen: {sizes}");

    // A customer tapping the corner a few times opens nothing; staff's five quick taps open the keypad.
    for _ in 0..4 {
        kiosk.click("#staff-corner").await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    kiosk.gone("#staff-keypad").await;
    kiosk.click("#staff-corner").await;
    kiosk.element("#staff-keypad").await;
    for digit in "1357".chars() {
        kiosk.click(&format!("#key-{digit}")).await;
    }
    kiosk.click("#key-enter").await;
    kiosk.text_until("#staff-error", "a wrong PIN refused", |t| t.contains("Wrong PIN")).await;
    kiosk.gone("#staff-panel").await;
    kiosk.screenshot(&shots, "staff-keypad").await;
    for digit in "2468".chars() {
        kiosk.click(&format!("#key-{digit}")).await;
    }
    kiosk.click("#key-enter").await;
    kiosk.text_until("#staff-waiting", "the orders waiting", |t| t == "Every order has reached the kitchen.").await;
    kiosk.text_until("#app-version", "its version", |t| t.contains(env!("CARGO_PKG_VERSION"))).await;
    assert_eq!(kiosk.text("#staff-leave").await, "Leave kiosk mode");
    kiosk.screenshot(&shots, "staff-panel").await;

    // The app ends as it answers the click, so WebDriver may report the click as failed: the process says.
    let _ = kiosk.element("#staff-leave").await.click().await;
    let start = std::time::Instant::now();
    while ordera_e2e::webview::app_running(&binary, "ORDERA_KIOSK_DATA_DIR", &data) {
        assert!(start.elapsed() < ordera_e2e::webview::PATIENCE, "leaving kiosk mode ends the app");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
