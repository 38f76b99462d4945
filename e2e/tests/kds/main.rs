//! The kitchen display as cooks use it: the real built app (Tauri shell, Yew UI, sync engine) in a real
//! webview on a private X display, driven over WebDriver with the mouse and the keyboard (a bump bar is a
//! keyboard), against a real server on its embedded database behind a loopback proxy, so the network can
//! drop and the server can restart under it. The server's own answers are the truth every check compares
//! with. Screenshots land in `<target>/tmp/screenshots/kds/`.
//!
//! Run by `cargo xtask test` after it has built the app (`--features ui`, one test at a time).

use std::time::Duration;

use fantoccini::key::Key;
use ordera_client::{Engine, EngineConfig};
use ordera_e2e::proxy::{Mode, Proxy};
use ordera_e2e::server::{Owner, TestServer};
use ordera_e2e::webview::{app_binary, artifacts, AppSession};
use ordera_protocol::orders::{Order, OrderLineRequest, PlaceOrderRequest};
use ordera_protocol::{OrderStatus, OrderType};
use serde_json::{json, Value};
use uuid::Uuid;

fn shots() -> std::path::PathBuf {
    artifacts(env!("CARGO_TARGET_TMPDIR"), "kds")
}

/// One test at a time: two would only fight over the machine's two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Restaurant {
    server: TestServer,
    proxy: Proxy,
    owner: Owner,
    database_url: String,
    data: tempfile::TempDir,
    burger: Uuid,
    fries: Uuid,
    shake: Uuid,
    salad: Uuid,
}

impl Restaurant {
    async fn open() -> Self {
        let data = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite://{}", data.path().join("server.db").display());
        let server = TestServer::start(&database_url, None, data.path());
        let proxy = Proxy::start(server.addr).await;
        let owner = Owner::sign_up(server.addr).await;
        owner.patch("tenant", json!({"name": "Sizzling Bistro - Soho"})).await;
        let mains = owner.post("categories", json!({"name": "Mains"})).await;
        let dish = |name: &'static str, station: &'static str, allergens: Value| {
            let owner = owner.clone();
            let category = mains["id"].clone();
            async move {
                let body = json!({"category_id": category, "name": name, "price": 900, "description": name,
                    "allergens": allergens, "station": station});
                owner.post("products", body).await["id"].as_str().unwrap().parse::<Uuid>().unwrap()
            }
        };
        let burger = dish("Smash Burger", "grill", json!(["gluten", "milk"])).await;
        let fries = dish("Fries", "fry", json!([])).await;
        let shake = dish("Vanilla Shake", "bar", json!(["milk"])).await;
        let salad = dish("Caesar Salad", "cold", json!(["eggs", "fish"])).await;
        Self { server, proxy, owner, database_url, data, burger, fries, shake, salad }
    }

    /// Places an order through the API, as another device would; returns it numbered.
    async fn order(&self, lines: &[(Uuid, i64, &str)], order_type: &str) -> Order {
        let items: Vec<Value> = lines
            .iter()
            .map(|(id, quantity, note)| json!({"product_id": id, "quantity": quantity, "note": note}))
            .collect();
        let placed = self
            .owner
            .post("orders", json!({"id": ordera_protocol::new_id(), "order_type": order_type, "items": items}))
            .await;
        serde_json::from_value(placed.get("order").cloned().unwrap_or(placed)).expect("an order")
    }

    async fn truth(&self, order: &Order) -> Order {
        serde_json::from_value(self.owner.get(&format!("orders/{}", order.id)).await).unwrap()
    }

    async fn set_status(&self, order: &Order, action: &str, reason: Option<&str>) {
        let body = json!({"command_id": ordera_protocol::new_id(), "action": action, "reason": reason});
        self.owner.post(&format!("orders/{}/status", order.id), body).await;
    }

    /// Opens a kitchen screen app, pairs it, and sets it up as `role` (`expo`, `pickup`, or a station).
    async fn screen(&self, role: &str) -> AppSession {
        let app_data = self.data.path().join(format!("kds-{}", Uuid::now_v7().simple()));
        let env = [("ORDERA_SERVER_URL", self.proxy.url()), ("ORDERA_KDS_DATA_DIR", app_data.display().to_string())];
        let kds = AppSession::launch(&app_binary(env!("CARGO_TARGET_TMPDIR"), "ordera-kds"), &env).await;
        let code = self.owner.pairing_code("kds").await;
        kds.pair_with(&code).await;
        kds.element("#setup").await;
        match role {
            "expo" | "pickup" => kds.click(&format!("#role-{role}")).await,
            station => {
                kds.click("#role-stations").await;
                kds.click(&format!("#station-{station}")).await;
            }
        }
        kds.click("#setup-save").await;
        kds.element(if role == "pickup" { "#pickup" } else { "#board" }).await;
        kds.text_until("#live-label", "live", |t| t == "Live").await;
        kds
    }

    fn kill_server(&mut self) {
        self.server.kill();
    }

    fn start_server(&mut self) {
        self.server = TestServer::start(&self.database_url, None, self.data.path());
        self.proxy.set_upstream(self.server.addr);
        self.owner = self.owner.at(self.server.addr);
    }
}

fn ticket(order: &Order) -> String {
    format!("#ticket-{}", order.number)
}

/// Waits until the ticket's card shows `status` (its `data-status`).
async fn shows_status(kds: &AppSession, order: &Order, status: OrderStatus) {
    let css = ticket(order);
    let start = std::time::Instant::now();
    loop {
        let shown = match kds.client.find(fantoccini::Locator::Css(&css)).await {
            Ok(card) => card.attr("data-status").await.ok().flatten(),
            Err(_) => None,
        };
        if shown.as_deref() == Some(status.as_str()) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{css} never showed {status:?}; it shows {shown:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the server holds `order` in `status`, and returns it.
async fn server_has(restaurant: &Restaurant, order: &Order, status: OrderStatus) -> Order {
    let start = std::time::Instant::now();
    loop {
        let truth = restaurant.truth(order).await;
        if truth.status == status {
            return truth;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server never had #{} {status:?}: {truth:?}",
            order.number
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the server's `order` is as `settled` says, and returns it.
async fn wait_for_server(restaurant: &Restaurant, order: &Order, settled: impl Fn(&Order) -> bool) -> Order {
    let start = std::time::Instant::now();
    loop {
        let truth = restaurant.truth(order).await;
        if settled(&truth) {
            return truth;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "#{} never settled: {truth:?}", order.number);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The sounds the screen played, newest first (the page notes each one).
async fn sounds(kds: &AppSession) -> String {
    let script = "const log = document.getElementById('sound-log'); return log ? log.textContent : '';";
    kds.client.execute(script, vec![]).await.unwrap().as_str().unwrap_or_default().to_owned()
}

async fn press(kds: &AppSession, keys: &str) {
    kds.client.active_element().await.unwrap().send_keys(keys).await.unwrap();
}

async fn size(kds: &AppSession, width: u32, height: u32) {
    kds.client.set_window_size(width, height).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Screenshots at the two wall-screen sizes the kitchen is judged at, back at 1280×800 after.
async fn shoot(kds: &AppSession, dir: &std::path::Path, name: &str) {
    kds.screenshot(dir, &format!("{name}-1280")).await;
    size(kds, 1920, 1080).await;
    kds.screenshot(dir, &format!("{name}-1920")).await;
    size(kds, 1280, 800).await;
}

fn steps(order: &Order, status: OrderStatus) -> usize {
    order.history.iter().filter(|step| step.status == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cook_bumps_tickets_through_every_state_by_touch_and_by_bump_bar_undoes_each_bump_and_recalls() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = shots();
    let restaurant = Restaurant::open().await;
    let first = restaurant.order(&[(restaurant.burger, 2, "no onions"), (restaurant.fries, 1, "")], "dine_in").await;
    let kds = restaurant.screen("expo").await;

    // The ticket as the server has it: number, eat in, lines with the note and allergens, a running timer.
    let card = kds.text(&ticket(&first)).await;
    for expected in
        [format!("#{}", first.number).as_str(), "EAT IN", "2×", "Smash Burger", "no onions", "GLUTEN", "Fries"]
    {
        assert!(card.contains(expected), "the ticket lacks {expected:?}: {card:?}");
    }
    kds.text_until(&format!("#timer-{}", first.number), "a timer", |t| t.contains(':')).await;

    // A new order arrives on its own, with a sound.
    let second = restaurant.order(&[(restaurant.shake, 1, "")], "takeaway").await;
    kds.element(&ticket(&second)).await;
    assert!(sounds(&kds).await.contains("new-ticket"), "a new ticket sounds");
    assert!(kds.text(&ticket(&second)).await.contains("TAKE AWAY"));
    shoot(&kds, &shots, "expo").await;

    // By touch: start, undo the start, start again, ready, undo, ready again, served.
    kds.click(&format!("#bump-{}", first.number)).await;
    shows_status(&kds, &first, OrderStatus::Preparing).await;
    server_has(&restaurant, &first, OrderStatus::Preparing).await;
    kds.click("#undo-button").await;
    shows_status(&kds, &first, OrderStatus::Placed).await;
    server_has(&restaurant, &first, OrderStatus::Placed).await;
    kds.click(&format!("#bump-{}", first.number)).await;
    shows_status(&kds, &first, OrderStatus::Preparing).await;
    server_has(&restaurant, &first, OrderStatus::Preparing).await;
    kds.click(&format!("#bump-{}", first.number)).await;
    shows_status(&kds, &first, OrderStatus::Ready).await;
    server_has(&restaurant, &first, OrderStatus::Ready).await;
    kds.click("#undo-button").await;
    shows_status(&kds, &first, OrderStatus::Preparing).await;
    let undone = server_has(&restaurant, &first, OrderStatus::Preparing).await;
    assert!(undone.items.iter().all(|item| item.done_at.is_none()), "undo took the marks back");
    kds.click(&format!("#bump-{}", first.number)).await;
    shows_status(&kds, &first, OrderStatus::Ready).await;
    server_has(&restaurant, &first, OrderStatus::Ready).await;
    kds.click(&format!("#bump-{}", first.number)).await;
    let served = server_has(&restaurant, &first, OrderStatus::Completed).await;
    kds.gone(&ticket(&first)).await;
    assert_eq!(steps(&served, OrderStatus::Completed), 1);
    assert!(served.last_step(OrderStatus::Completed).and_then(|s| s.by.clone()).is_some(), "who served it");

    // The recall list shows it with who served it; recalling brings it back as ready on the board.
    press(&kds, "r").await;
    let row = kds.text(&format!("#recall-{}", first.number)).await;
    assert!(row.contains("Test kds"), "who served it: {row:?}");
    shoot(&kds, &shots, "recall").await;
    kds.click(&format!("#recall-button-{}", first.number)).await;
    shows_status(&kds, &first, OrderStatus::Ready).await;
    server_has(&restaurant, &first, OrderStatus::Ready).await;

    // By bump bar: the second ticket's digit, Enter to start, Enter to make it ready, U to undo.
    // Each key waits for the screen to show the last one's effect, as a cook reads the ticket before the next
    // press; the screen shows a queued bump at once, before the server has it.
    press(&kds, "2").await;
    press(&kds, &Key::Enter.to_string()).await;
    shows_status(&kds, &second, OrderStatus::Preparing).await;
    server_has(&restaurant, &second, OrderStatus::Preparing).await;
    press(&kds, &Key::Enter.to_string()).await;
    shows_status(&kds, &second, OrderStatus::Ready).await;
    server_has(&restaurant, &second, OrderStatus::Ready).await;
    press(&kds, "u").await;
    shows_status(&kds, &second, OrderStatus::Preparing).await;
    server_has(&restaurant, &second, OrderStatus::Preparing).await;
    // Space marks the selected line done: its only line, so the ticket shows ready at once (the server's
    // rule, applied to the queued mark) and Enter serves it.
    press(&kds, " ").await;
    shows_status(&kds, &second, OrderStatus::Ready).await;
    press(&kds, &Key::Enter.to_string()).await;
    server_has(&restaurant, &second, OrderStatus::Completed).await;
    kds.gone(&ticket(&second)).await;
    kds.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_marks_its_items_for_expo_and_a_cancellation_stays_until_a_cook_acknowledges_it() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = shots();
    let restaurant = Restaurant::open().await;
    let order = restaurant.order(&[(restaurant.burger, 1, ""), (restaurant.fries, 2, "extra salt")], "dine_in").await;
    let doomed = restaurant.order(&[(restaurant.burger, 3, "")], "takeaway").await;
    let grill = restaurant.screen("grill").await;
    let expo = restaurant.screen("expo").await;

    // The grill sees only its own line; the fries are not its business.
    let card = grill.text(&ticket(&order)).await;
    assert!(card.contains("Smash Burger") && !card.contains("Fries"), "{card:?}");
    shoot(&grill, &shots, "station-grill").await;
    // Done on the grill: the line is marked on the server and expo shows the grill done.
    grill.click(&format!("#bump-{}", order.number)).await;
    grill.gone(&ticket(&order)).await;
    let truth = server_has(&restaurant, &order, OrderStatus::Preparing).await;
    assert!(truth.items[0].done_at.is_some() && truth.items[1].done_at.is_none());
    expo.text_until(&ticket(&order), "the grill done", |t| t.contains("grill 1/1") && t.contains("fry 0/1")).await;

    // Cancelled while on the board: it stays struck through with its reason and a sound until seen.
    restaurant.set_status(&doomed, "cancel", Some("customer left")).await;
    let note = expo.text(&format!("#cancelled-{}", doomed.number)).await;
    assert!(note.contains("CANCELLED") && note.contains("customer left"), "{note:?}");
    grill.element(&format!("#cancelled-{}", doomed.number)).await;
    assert!(sounds(&expo).await.contains("cancelled"), "a cancellation sounds");
    shoot(&expo, &shots, "cancelled").await;
    expo.click(&format!("#ack-{}", doomed.number)).await;
    expo.gone(&ticket(&doomed)).await;
    // Acknowledged on one screen only: the grill's cook has not seen it yet.
    grill.element(&format!("#cancelled-{}", doomed.number)).await;

    // Two screens bump the same ticket at once: both end where the server is, and it moved once.
    let both = restaurant.order(&[(restaurant.burger, 1, "")], "dine_in").await;
    expo.element(&ticket(&both)).await;
    grill.element(&ticket(&both)).await;
    let bump = format!("#bump-{}", both.number);
    tokio::join!(expo.click(&bump), grill.click(&bump));
    // The grill finishes its only line, which makes the ticket ready. Expo's bump is what expo showed at
    // the tap: a start while it still showed the ticket new (the ticket then ends ready), or a serve when
    // the grill's change had reached it first (it ends served, which is what the cook at expo asked for).
    // Either way each screen's bump moved the ticket once and no move happened twice.
    let truth = wait_for_server(&restaurant, &both, |order| {
        matches!(order.status, OrderStatus::Ready | OrderStatus::Completed) && order.items[0].done_at.is_some()
    })
    .await;
    assert!(steps(&truth, OrderStatus::Preparing) <= 1, "at most one move to preparing: {:?}", truth.history);
    assert_eq!(steps(&truth, OrderStatus::Ready), 1, "one move to ready: {:?}", truth.history);
    assert!(steps(&truth, OrderStatus::Completed) <= 1, "at most one serve: {:?}", truth.history);
    if truth.status == OrderStatus::Ready {
        shows_status(&expo, &both, OrderStatus::Ready).await;
    } else {
        expo.gone(&ticket(&both)).await;
    }
    grill.gone(&ticket(&both)).await;
    grill.quit().await;
    expo.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bump_made_offline_is_applied_once_and_the_board_catches_up_after_a_server_restart() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = shots();
    let mut restaurant = Restaurant::open().await;
    let first = restaurant.order(&[(restaurant.salad, 1, "")], "dine_in").await;
    let kds = restaurant.screen("expo").await;
    kds.element(&ticket(&first)).await;

    // The network goes: the header says so at once, the whole board within seconds.
    restaurant.proxy.set_mode(Mode::Down);
    kds.text_until("#live-label", "offline", |t| t.starts_with("Offline")).await;
    kds.element("#offline-banner").await;
    // A bump made offline shows at once and waits to be sent.
    kds.click(&format!("#bump-{}", first.number)).await;
    shows_status(&kds, &first, OrderStatus::Preparing).await;
    kds.text_until("#live-pending", "one waiting", |t| t.starts_with("1 waiting")).await;
    shoot(&kds, &shots, "offline").await;

    // The server restarts meanwhile and takes an order the screen has not seen.
    restaurant.kill_server();
    restaurant.start_server();
    let second = restaurant.order(&[(restaurant.shake, 2, "")], "takeaway").await;
    restaurant.proxy.set_mode(Mode::Pass);

    // With no action on the screen: live again, the new ticket there, the bump applied exactly once.
    kds.text_until("#live-label", "live", |t| t == "Live").await;
    kds.gone("#offline-banner").await;
    kds.element(&ticket(&second)).await;
    let truth = server_has(&restaurant, &first, OrderStatus::Preparing).await;
    assert_eq!(steps(&truth, OrderStatus::Preparing), 1, "{:?}", truth.history);
    kds.gone("#live-pending").await;
    kds.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pickup_screen_moves_a_number_from_preparing_to_ready_with_a_chime_and_lets_it_go_when_collected() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = shots();
    let restaurant = Restaurant::open().await;
    let mut orders = Vec::new();
    for _ in 0..6 {
        orders.push(restaurant.order(&[(restaurant.burger, 1, "")], "takeaway").await);
    }
    for order in &orders[..2] {
        restaurant.set_status(order, "ready", None).await;
    }
    let pickup = restaurant.screen("pickup").await;
    let watched = &orders[3];
    pickup.text_until("#pickup-preparing", "the number", |t| t.contains(&watched.number.to_string())).await;
    restaurant.set_status(watched, "ready", None).await;
    pickup.element(&format!("#pickup-ready #pickup-{}", watched.number)).await;
    assert!(sounds(&pickup).await.contains("ready"), "a number turning ready chimes");
    pickup.screenshot(&shots, "pickup-1280").await;
    size(&pickup, 1920, 1080).await;
    pickup.screenshot(&shots, "pickup-1920").await;
    restaurant.set_status(watched, "complete", None).await;
    pickup.gone(&format!("#pickup-{}", watched.number)).await;
    pickup.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_board_of_two_dozen_tickets_from_the_api_and_a_kiosk_reads_from_two_metres() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let shots = shots();
    let restaurant = Restaurant::open().await;
    // A real kiosk engine places some of the orders.
    let kiosk_dir = tempfile::tempdir().unwrap();
    let kiosk = Engine::open(kiosk_dir.path(), EngineConfig::default()).unwrap();
    kiosk.pair(&restaurant.proxy.url(), &restaurant.owner.pairing_code("kiosk").await).await.unwrap();
    let dishes = [restaurant.burger, restaurant.fries, restaurant.shake, restaurant.salad];
    let mut kiosk_orders = Vec::new();
    for n in 0..24usize {
        let lines = [
            (dishes[n % 4], 1 + (n % 3) as i64, if n % 5 == 0 { "no sauce" } else { "" }),
            (dishes[(n + 1) % 4], 1, ""),
        ];
        if n % 3 == 0 {
            let id = ordera_protocol::new_id();
            let items = lines.iter().map(|(id, quantity, note)| OrderLineRequest {
                product_id: *id,
                quantity: *quantity,
                note: Some(note.to_string()),
            });
            kiosk
                .place_order(PlaceOrderRequest {
                    id,
                    order_type: OrderType::Takeaway,
                    items: items.collect(),
                    note: None,
                })
                .unwrap();
            kiosk_orders.push(id);
        } else {
            restaurant.order(&lines, if n % 2 == 0 { "dine_in" } else { "takeaway" }).await;
        }
    }
    let start = std::time::Instant::now();
    while kiosk.status().pending > 0 {
        assert!(start.elapsed() < Duration::from_secs(30), "the kiosk's orders were not sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Some tickets have waited long: their timers are past the warning and late thresholds.
    {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&restaurant.database_url).await.unwrap();
        for (minutes, numbers) in [(12, "1, 2, 3"), (6, "4, 5, 6")] {
            let placed = chrono::Utc::now() - chrono::Duration::minutes(minutes);
            sqlx::query(&format!("UPDATE orders SET placed_at = ?1 WHERE number IN ({numbers})"))
                .bind(placed)
                .execute(&mut db)
                .await
                .unwrap();
        }
    }
    let kds = restaurant.screen("expo").await;
    for number in [1, 12, 24] {
        kds.element(&format!("#ticket-{number}")).await;
    }
    let late = kds.element("#ticket-1").await.attr("class").await.unwrap().unwrap_or_default();
    assert!(late.contains("age-late"), "ticket 1 shows late: {late}");
    let warning = kds.element("#ticket-5").await.attr("class").await.unwrap().unwrap_or_default();
    assert!(warning.contains("age-warning"), "ticket 5 shows a warning: {warning}");
    // Every kiosk order is on the board.
    let board = kds.text("#tickets").await;
    let truth: Vec<Order> =
        serde_json::from_value(restaurant.owner.get("orders?per_page=100").await["orders"].clone()).unwrap();
    for id in &kiosk_orders {
        let number = truth.iter().find(|o| o.id == *id).expect("the kiosk's order reached the server").number;
        assert!(board.contains(&format!("#{number}")), "kiosk order #{number} is on the board");
    }
    // All day adds up what is on the board.
    let all_day = kds.text("#all-day").await;
    assert!(all_day.contains("Smash Burger") && all_day.contains("Fries"), "{all_day:?}");
    kds.screenshot(&shots, "busy-1280").await;
    size(&kds, 1920, 1080).await;
    kds.screenshot(&shots, "busy-1920").await;
    // A manager shortens the timers: the board applies them live, without a restart.
    restaurant.owner.patch("tenant", json!({"kitchen_warn_minutes": 1, "kitchen_late_minutes": 2})).await;
    let start = std::time::Instant::now();
    loop {
        let class = kds.element("#ticket-5").await.attr("class").await.unwrap().unwrap_or_default();
        if class.contains("age-late") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the new thresholds never applied: {class}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    kds.quit().await;
    kiosk.shutdown().await;
}
