//! The admin store's transitions and the words its screens show.

use std::rc::Rc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ordera_protocol::api::User;
use ordera_protocol::device::{ConnectionState, IpcError, SignedIn, SyncStatus};
use ordera_protocol::ipc::StartInfo;
use ordera_protocol::orders::{Order, RefusedOrder};
use ordera_protocol::{DeviceKind, Money, OrderStatus, OrderType, Role};
use uuid::Uuid;
use yew::Reducible;

use super::{
    capitalise, countdown, device_needs_a_look, device_progress, device_standing, order_type_label, role_choices,
    role_label, settle_failure, staff_in_order, staff_lock, status_label, Action, Behind, Screen, State, Tab,
};

fn start(paired: bool) -> StartInfo {
    StartInfo {
        paired,
        server_url: "http://ordera.test".into(),
        kind: DeviceKind::Admin,
        device: None,
        version: "1.0.0".into(),
        idle_seconds: None,
        locked: false,
        signed_in: None,
    }
}

fn status(connection: ConnectionState, last_sync: Option<DateTime<Utc>>, last_error: Option<&str>) -> SyncStatus {
    SyncStatus {
        connection,
        last_sync,
        pending: 0,
        rejected: 0,
        last_error: last_error.map(str::to_owned),
        last_heard: None,
        position: None,
        head: None,
    }
}

fn refusal(n: u128) -> RefusedOrder {
    RefusedOrder {
        id: Uuid::from_u128(n),
        device_id: None,
        device_name: Some("Kiosk by the door".into()),
        reason: "halloumi burger is sold out".into(),
        order_type: OrderType::DineIn,
        items: Vec::new(),
        note: String::new(),
        refused_at: Utc::now(),
        resolved_at: None,
    }
}

fn order(number: i64, placed_at: DateTime<Utc>) -> Order {
    Order {
        id: Uuid::from_u128(1000 + number as u128),
        number,
        business_date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        order_type: OrderType::Takeaway,
        status: OrderStatus::Placed,
        items: Vec::new(),
        total: Money(1095),
        note: String::new(),
        device_id: None,
        placed_at,
        preparing_at: None,
        ready_at: None,
        completed_at: None,
        cancelled_at: None,
        cancel_reason: None,
        updated_at: placed_at,
        history: Vec::new(),
    }
}

fn run(state: Rc<State>, actions: impl IntoIterator<Item = Action>) -> Rc<State> {
    actions.into_iter().fold(state, Reducible::reduce)
}

/// A paired admin device with two refusals waiting.
fn board() -> Rc<State> {
    run(Rc::default(), [Action::Started(start(true)), Action::Refusals(vec![refusal(1), refusal(2)])])
}

#[test]
fn a_paired_device_opens_on_needs_attention_and_an_unpaired_one_on_pairing() {
    let state = board();
    assert_eq!((state.screen, state.tab), (Screen::Board, Tab::Attention));
    assert_eq!(run(Rc::default(), [Action::Started(start(false))]).screen, Screen::SignIn);
}

#[test]
fn a_shell_that_does_not_answer_leaves_signing_in_with_the_reason() {
    let state = run(Rc::default(), [Action::StartFailed("no shell".into())]);
    assert_eq!(state.screen, Screen::SignIn);
    assert_eq!(state.error.as_deref(), Some("no shell"));
}

#[test]
fn a_refused_code_is_shown_and_pairing_clears_it() {
    let state = run(
        Rc::default(),
        [Action::Started(start(false)), Action::UsePairing, Action::PairFailed("unknown code".into())],
    );
    assert_eq!((state.screen, state.error.as_deref()), (Screen::Pair, Some("unknown code")));
    let state = run(state, [Action::Paired]);
    assert_eq!((state.screen, state.error.clone()), (Screen::Board, None));
}

#[test]
fn a_revoked_device_returns_to_pairing_but_not_before_it_has_started() {
    let revoked = status(ConnectionState::Unpaired, None, Some("this device was revoked"));
    assert_eq!(run(Rc::default(), [Action::Status(revoked.clone())]).screen, Screen::Loading);
    let before_pairing = status(ConnectionState::Unpaired, None, None);
    assert_eq!(run(board(), [Action::Status(before_pairing)]).screen, Screen::Board, "a late word from before");
    assert_eq!(run(board(), [Action::Status(revoked)]).screen, Screen::Pair);
}

#[test]
fn refusals_and_orders_loaded_replace_what_was_shown() {
    let now = Utc::now();
    let state = run(board(), [Action::Refusals(vec![refusal(3)]), Action::Orders(vec![order(1, now)])]);
    assert_eq!(state.refusals.iter().map(|r| r.id).collect::<Vec<_>>(), [Uuid::from_u128(3)]);
    assert_eq!(state.orders.len(), 1);
}

#[test]
fn todays_orders_show_newest_first() {
    let now = Utc::now();
    let orders = vec![order(1, now - Duration::minutes(9)), order(3, now), order(2, now - Duration::minutes(3))];
    let state = run(board(), [Action::Orders(orders)]);
    assert_eq!(state.newest_orders(now).iter().map(|o| o.number).collect::<Vec<_>>(), [3, 2, 1]);
}

#[test]
fn the_tabs_switch_between_the_two_screens() {
    let state = run(board(), [Action::Tab(Tab::Orders)]);
    assert_eq!(state.tab, Tab::Orders);
    assert_eq!(run(state, [Action::Tab(Tab::Attention)]).tab, Tab::Attention);
}

#[test]
fn settling_a_refusal_makes_its_button_wait_and_handled_takes_it_off_the_list() {
    let state = run(board(), [Action::DismissToast, Action::Settling(Uuid::from_u128(1))]);
    assert!(state.settling.contains(&Uuid::from_u128(1)));
    let mut settled = refusal(1);
    settled.resolved_at = Some(Utc::now());
    let state = run(state, [Action::Settled(settled)]);
    assert!(state.settling.is_empty());
    assert_eq!(state.refusals.iter().map(|r| r.id).collect::<Vec<_>>(), [Uuid::from_u128(2)]);
    assert_eq!(state.toast.as_deref(), Some("Marked as handled."));
}

#[test]
fn a_refusal_that_could_not_be_settled_stays_and_the_toast_says_why() {
    let offline = IpcError::new("offline", "connection refused");
    let state = run(board(), [Action::Settling(Uuid::from_u128(1)), Action::SettleFailed(Uuid::from_u128(1), offline)]);
    assert!(state.settling.is_empty(), "the button is back");
    assert_eq!(state.refusals.len(), 2);
    assert_eq!(
        state.toast.as_deref(),
        Some("Could not reach the server. The order stays here; try again when the app is online.")
    );
    let state = run(state, [Action::Settling(Uuid::from_u128(2))]);
    assert_eq!(state.toast, None, "a new attempt clears the last message");
}

#[test]
fn a_failure_other_than_the_connection_is_passed_on_as_it_came() {
    assert_eq!(
        settle_failure(&IpcError::new("server", "refusal not found")),
        "Could not mark it as handled: refusal not found"
    );
}

#[test]
fn the_toast_goes_when_dismissed() {
    let state = run(board(), [Action::Settled(refusal(1)), Action::DismissToast]);
    assert_eq!(state.toast, None);
}

#[test]
fn lists_are_trusted_as_empty_only_after_a_first_sync() {
    let state = board();
    assert!(state.never_synced());
    assert!(!state.offline(), "nobody knows yet");
    let failing = run(state, [Action::Status(status(ConnectionState::Offline, None, Some("server error")))]);
    assert!(failing.never_synced() && failing.offline());
    assert_eq!(failing.sync_problem().as_deref(), Some("server error"));
    let synced = run(failing, [Action::Status(status(ConnectionState::Online, Some(Utc::now()), None))]);
    assert!(!synced.never_synced());
    assert!(!synced.offline());
}

#[test]
fn statuses_types_and_reasons_read_as_staff_expect() {
    assert_eq!(status_label(OrderStatus::Placed), ("New", "badge-warn"));
    assert_eq!(status_label(OrderStatus::Cancelled), ("Cancelled", "badge-bad"));
    assert_eq!(status_label(OrderStatus::Ready).0, "Ready");
    assert_eq!(order_type_label(OrderType::DineIn), "Eat in");
    assert_eq!(order_type_label(OrderType::Takeaway), "Takeaway");
    assert_eq!(capitalise("halloumi burger is sold out"), "Halloumi burger is sold out");
    assert_eq!(capitalise("évier"), "Évier");
    assert_eq!(capitalise(""), "");
}

fn signed_in(role: &str) -> SignedIn {
    // From JSON, as the shell sends it: fields added later take their defaults.
    serde_json::from_value(serde_json::json!({
        "user": {"id": Uuid::nil(), "email": "olive@example.com", "name": "Olive", "role": role, "active": true,
            "created_at": "2026-12-01T09:00:00Z"},
        "tenant": {"id": Uuid::nil(), "name": "Soho", "timezone": "Europe/London", "currency": "GBP",
            "created_at": "2026-12-01T09:00:00Z"},
        "server_url": "http://ordera.test",
        "expires_at": "2026-12-31T09:00:00Z",
    }))
    .unwrap()
}

#[test]
fn a_manager_who_signs_in_sees_devices_and_settings_and_staff_only_the_orders() {
    let state = run(Rc::default(), [Action::Started(start(false)), Action::SignedIn(Box::new(signed_in("manager")))]);
    assert_eq!((state.screen, state.tab), (Screen::Board, Tab::Dashboard), "a manager's day starts with the figures");
    assert_eq!(
        state.tabs(),
        [Tab::Dashboard, Tab::Attention, Tab::Orders, Tab::Menu, Tab::Staff, Tab::Devices, Tab::Settings]
    );
    assert_eq!(state.restaurant_name().as_deref(), Some("Soho"), "the top bar names the restaurant at once");
    assert_eq!(run(state, [Action::Tab(Tab::Settings)]).tab, Tab::Settings);

    let staff = run(Rc::default(), [Action::Started(start(false)), Action::SignedIn(Box::new(signed_in("staff")))]);
    assert_eq!((staff.tab, staff.tabs()), (Tab::Attention, vec![Tab::Attention, Tab::Orders]));
    assert_eq!(run(staff.clone(), [Action::Tab(Tab::Dashboard)]).tab, Tab::Attention, "nor the dashboard");
    assert_eq!(run(staff.clone(), [Action::Tab(Tab::Devices)]).tab, Tab::Attention, "staff cannot open devices");
    assert_eq!(run(staff.clone(), [Action::Tab(Tab::Menu)]).tab, Tab::Attention, "staff cannot edit the menu");
    assert_eq!(run(staff, [Action::Tab(Tab::Staff)]).tab, Tab::Attention, "nor manage people");
    // A computer paired with a code acts as no person: orders only.
    assert_eq!(board().tabs(), [Tab::Attention, Tab::Orders]);
}

#[test]
fn a_refused_sign_in_says_why_and_the_pairing_code_is_the_other_way_in() {
    let state = run(Rc::default(), [Action::Started(start(false)), Action::SignInFailed("wrong password".into())]);
    assert_eq!((state.screen, state.error.as_deref()), (Screen::SignIn, Some("wrong password")));
    let state = run(state, [Action::UsePairing]);
    assert_eq!((state.screen, state.error.clone()), (Screen::Pair, None));
    assert_eq!(run(state, [Action::UseSignIn]).screen, Screen::SignIn);
}

#[test]
fn signing_out_forgets_the_person_and_what_the_board_showed() {
    let state = run(
        Rc::default(),
        [
            Action::Started(start(true)),
            Action::SignedIn(Box::new(signed_in("owner"))),
            Action::Refusals(vec![refusal(1)]),
        ],
    );
    let state = run(state, [Action::SignedOut]);
    assert_eq!(state.screen, Screen::SignIn);
    assert!(state.signed_in.is_none() && state.refusals.is_empty() && !state.can_manage());
    assert_eq!(state.toast.as_deref(), Some("Signed out."));
}

#[test]
fn a_signed_in_computer_whose_pairing_is_revoked_asks_the_person_to_sign_in_again() {
    let state = run(Rc::default(), [Action::Started(start(true)), Action::SignedIn(Box::new(signed_in("owner")))]);
    let revoked = status(ConnectionState::Unpaired, None, Some("this device was revoked"));
    let state = run(state, [Action::Status(revoked)]);
    assert_eq!((state.screen, state.error.as_deref()), (Screen::SignIn, Some("this device was revoked")));
    assert!(state.signed_in.is_none());
}

#[test]
fn saved_settings_rename_the_restaurant_in_the_top_bar() {
    let state = run(Rc::default(), [Action::Started(start(true)), Action::SignedIn(Box::new(signed_in("owner")))]);
    let mut tenant = state.signed_in.clone().unwrap().tenant;
    tenant.name = "Soho Central".into();
    let state = run(state, [Action::TenantSaved(Box::new(tenant))]);
    assert_eq!(state.restaurant_name().as_deref(), Some("Soho Central"));
}

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(hour, minute, 0).unwrap().and_utc()
}

/// A device as `GET devices` lists it (from JSON, so fields added later take their defaults).
fn device(
    last_seen_minutes_ago: Option<i64>,
    behind: Option<i64>,
    outbox: Option<i64>,
) -> ordera_protocol::api::Device {
    let now = at(12, 0);
    let mut device: ordera_protocol::api::Device = serde_json::from_value(serde_json::json!({
        "id": Uuid::nil(), "name": "Front kiosk", "kind": "kiosk", "created_at": "2026-11-28T09:00:00Z",
        "last_seen_at": null, "revoked_at": null}))
    .unwrap();
    device.last_seen_at = last_seen_minutes_ago.map(|m| now - Duration::minutes(m));
    device.behind = behind;
    device.outbox = outbox;
    device
}

#[test]
fn the_device_list_says_how_each_device_stands_in_words() {
    let now = at(12, 0);
    assert_eq!(device_standing(&device(Some(1), Some(0), None), now), ("Connected".into(), "badge-ok"));
    assert_eq!(device_standing(&device(Some(30), None, None), now).0, "Last seen 30 min ago");
    assert_eq!(device_standing(&device(Some(3 * 60), None, None), now).0, "Last seen 3 h ago");
    assert_eq!(device_standing(&device(Some(5 * 1440), None, None), now).0, "Last seen 5 days ago");
    assert_eq!(device_standing(&device(None, None, None), now).0, "Never connected");
    let revoked = ordera_protocol::api::Device { revoked_at: Some(now), ..device(Some(1), None, None) };
    assert_eq!(device_standing(&revoked, now), ("Revoked".into(), "badge-bad"), "revoked outranks connected");

    assert_eq!(device_progress(&device(Some(1), Some(0), Some(0))), "Up to date");
    assert_eq!(device_progress(&device(Some(1), Some(1), None)), "1 change behind");
    assert_eq!(device_progress(&device(Some(1), Some(12), Some(3))), "12 changes behind · 3 waiting to send");
    assert_eq!(device_progress(&device(None, None, None)), "No report yet");

    // The dashboard points at a device that stopped or stopped keeping up, not at one a few pings behind.
    assert!(!device_needs_a_look(&device(Some(1), Some(5), None), now), "a few changes behind is in step");
    assert!(device_needs_a_look(&device(Some(1), Some(super::FELL_BEHIND_AFTER + 1), None), now));
    assert!(device_needs_a_look(&device(Some(30), Some(0), None), now), "not connected");
}

#[test]
fn a_pairing_code_counts_down_to_expired() {
    let now = at(12, 0);
    assert_eq!(countdown(now + Duration::seconds(299), now), "4:59");
    assert_eq!(countdown(now + Duration::seconds(5), now), "0:05");
    assert_eq!(countdown(now, now), "Expired");
    assert_eq!(countdown(now - Duration::seconds(30), now), "Expired");
}

/// A restaurant in London whose business day starts at 04:00, with a menu of three products: one 86'd, one
/// down to its last two portions (threshold 3), one not counted.
fn menu() -> ordera_protocol::device::Menu {
    let tenant = signed_in("owner").tenant;
    let tenant = ordera_protocol::api::Tenant {
        business_day_start: chrono::NaiveTime::from_hms_opt(4, 0, 0).unwrap(),
        ..tenant
    };
    let product = |n: u128, name: &str, available: bool, stock: Option<i64>| -> ordera_protocol::api::Product {
        serde_json::from_value(serde_json::json!({
            "id": Uuid::from_u128(n), "category_id": Uuid::nil(), "name": name, "description": "", "price": 500,
            "allergens": [], "station": "grill", "available": available, "stock": stock, "low_stock_threshold": 3,
            "position": n, "image": null}))
        .unwrap()
    };
    ordera_protocol::device::Menu {
        tenant: Some(tenant),
        categories: Vec::new(),
        products: vec![
            product(1, "Halloumi Burger", false, None),
            product(2, "Brownie", true, Some(2)),
            product(3, "Fries", true, None),
        ],
    }
}

fn sold(number: i64, placed_at: DateTime<Utc>, day: NaiveDate, status: OrderStatus, total: i64) -> Order {
    Order { business_date: day, status, total: Money(total), ..order(number, placed_at) }
}

#[test]
fn the_dashboard_counts_the_current_business_day_as_the_reports_do() {
    // 02:30 on 2 December in London is still the business day of 1 December (it starts at 04:00).
    let now = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap().and_hms_opt(2, 30, 0).unwrap().and_utc();
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let yesterday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let orders = vec![
        sold(1, at(12, 5), today, OrderStatus::Completed, 1095),
        sold(2, at(12, 40), today, OrderStatus::Placed, 800),
        sold(3, at(13, 0), today, OrderStatus::Cancelled, 5000),
        // Still in the kitchen from the day before: an open ticket, but not today's takings.
        sold(9, at(3, 0) - Duration::days(1), yesterday, OrderStatus::Preparing, 700),
    ];
    let mut status = status(ConnectionState::Online, Some(now), None);
    status.position = Some(42);
    let state = run(board(), [Action::Menu(menu()), Action::Orders(orders.clone()), Action::Status(status)]);
    let figures = state.dashboard(now).expect("the restaurant is known");
    assert_eq!(figures.day, today);
    let summary = figures.summary.unwrap();
    assert_eq!((summary.revenue, summary.orders, summary.cancelled), (Money(1895), 2, 1));
    assert_eq!(summary.average_ticket, Money(947), "rounded down to the minor unit, as the reports do");
    let todays: Vec<Order> = orders.into_iter().filter(|o| o.business_date == today).collect();
    assert_eq!(
        Some(summary),
        ordera_protocol::orders::ReportSummary::of(&todays, (today, today), "GBP", figures.as_of),
        "the server's own function over the same orders"
    );
    assert_eq!(figures.open, 2, "the ticket from yesterday is still open");
    assert_eq!(figures.hourly.iter().map(|h| h.orders).sum::<i64>(), 2);
    assert_eq!(figures.as_of.map(|a| a.seq), Some(42));
    assert_eq!(figures.sold_out, ["Halloumi Burger"]);
    assert_eq!(figures.low_stock, [("Brownie".to_owned(), 2)]);
}

#[test]
fn each_figure_opens_the_orders_it_counts_and_another_tab_shows_them_all_again() {
    let now = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap().and_hms_opt(2, 30, 0).unwrap().and_utc();
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let yesterday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let served = Order { ready_at: Some(at(12, 15)), ..sold(1, at(12, 5), today, OrderStatus::Completed, 1095) };
    let orders = vec![
        served,
        sold(2, at(12, 40), today, OrderStatus::Placed, 800),
        sold(3, at(13, 0), today, OrderStatus::Cancelled, 5000),
        sold(9, at(3, 0) - Duration::days(1), yesterday, OrderStatus::Preparing, 700),
    ];
    let state = run(board(), [Action::Menu(menu()), Action::Orders(orders)]);
    let figures = state.dashboard(now).unwrap();
    let shown = |state: &State| state.newest_orders(now).iter().map(|o| o.number).collect::<Vec<_>>();

    let counted = run(state.clone(), [Action::ShowOrders(Some(Behind::Counted))]);
    assert_eq!(counted.tab, Tab::Orders);
    assert_eq!(shown(&counted), [2, 1], "today's orders but the cancelled one, newest first");
    assert_eq!(shown(&counted).len() as i64, figures.summary.as_ref().unwrap().orders);
    let prepared = run(state.clone(), [Action::ShowOrders(Some(Behind::Prepared))]);
    assert_eq!(shown(&prepared), [1], "the one order with a prep time");
    let open = run(state.clone(), [Action::ShowOrders(Some(Behind::Open))]);
    assert_eq!(shown(&open), [2, 9], "yesterday's ticket is still in the kitchen");
    assert_eq!(shown(&open).len(), figures.open);

    let all = run(open.clone(), [Action::ShowOrders(None)]);
    assert_eq!(shown(&all), [3, 2, 1, 9]);
    let elsewhere_and_back = run(open, [Action::Tab(Tab::Attention), Action::Tab(Tab::Orders)]);
    assert_eq!(elsewhere_and_back.behind, None);
    assert_eq!(shown(&elsewhere_and_back), [3, 2, 1, 9]);
}

#[test]
fn the_dashboard_waits_for_the_restaurant_and_says_times_in_words() {
    assert!(board().dashboard(at(12, 0)).is_none(), "no figures before the restaurant's day is known");
    let empty = run(board(), [Action::Menu(menu())]).dashboard(at(12, 0)).unwrap();
    assert_eq!(empty.summary.unwrap().orders, 0);
    assert!(empty.top.is_empty() && empty.as_of.is_none());
    assert_eq!(super::duration_words(45), "45 s");
    assert_eq!(super::duration_words(750), "12 min 30 s");
    assert_eq!(super::duration_words(4000), "1 h 6 min");
}

#[test]
fn a_history_search_is_one_request_with_only_the_filters_set() {
    use ordera_protocol::orders::OrderQuery;
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let query = OrderQuery {
        from: Some(day),
        to: Some(day),
        status: Some(OrderStatus::Cancelled),
        order_type: Some(OrderType::Takeaway),
        q: Some("fish & chips".into()),
        page: Some(2),
        ..OrderQuery::default()
    };
    assert_eq!(
        super::history_path(&query),
        "orders?from=2026-12-01&to=2026-12-01&status=cancelled&type=takeaway&q=fish+%26+chips&page=2"
    );
    assert_eq!(super::history_path(&OrderQuery::default()), "orders?");
    // The export takes the same filters, every page.
    assert_eq!(
        super::export_query(&query),
        "from=2026-12-01&to=2026-12-01&status=cancelled&type=takeaway&q=fish+%26+chips"
    );
    assert_eq!(super::export_file_name(&query), "orders-2026-12-01.csv");
    let week = OrderQuery { from: NaiveDate::from_ymd_opt(2026, 11, 25), ..query };
    assert_eq!(super::export_file_name(&week), "orders-2026-11-25-to-2026-12-01.csv");
    assert_eq!(super::export_file_name(&OrderQuery::default()), "orders.csv");
}

#[test]
fn a_page_of_history_says_which_orders_it_holds() {
    use ordera_protocol::orders::OrderPage;
    let page = |page: i64, shown: usize, total: i64| OrderPage {
        orders: (0..shown).map(|n| order(n as i64 + 1, at(12, 0))).collect(),
        total,
        page,
        per_page: 50,
    };
    assert_eq!(super::page_words(&page(1, 50, 230)), "Orders 1–50 of 230");
    assert_eq!(super::page_words(&page(5, 30, 230)), "Orders 201–230 of 230");
    assert_eq!(super::page_words(&page(1, 0, 0)), "No orders match these filters");
    assert!(super::has_next_page(&page(1, 50, 230)) && !super::has_next_page(&page(5, 30, 230)));
}

#[test]
fn an_orders_timeline_names_who_moved_it_and_it_may_be_cancelled_only_before_ready() {
    use ordera_protocol::orders::StatusStep;
    let step =
        |status, minute, by: &str| StatusStep { status, at: at(12, minute), device_id: None, by: Some(by.to_owned()) };
    let mut served = order(7, at(12, 0));
    served.status = OrderStatus::Completed;
    served.history = vec![
        step(OrderStatus::Placed, 0, "Kiosk by the door"),
        step(OrderStatus::Preparing, 2, "Grill screen"),
        step(OrderStatus::Ready, 9, "Grill screen"),
        step(OrderStatus::Completed, 11, "Pass"),
    ];
    let steps = super::timeline(&served);
    assert_eq!(steps.iter().map(|s| s.what).collect::<Vec<_>>(), ["Placed", "Started", "Ready", "Served"]);
    assert_eq!(steps[1].by.as_deref(), Some("Grill screen"));
    assert!(!super::may_cancel(&served));

    // Stored before moves were kept: the times it has, in order.
    let mut old = order(8, at(12, 0));
    old.status = OrderStatus::Preparing;
    old.preparing_at = Some(at(12, 3));
    let steps = super::timeline(&old);
    assert_eq!(
        steps.iter().map(|s| (s.what, s.at)).collect::<Vec<_>>(),
        [("Placed", at(12, 0)), ("Started", at(12, 3))]
    );
    assert!(super::may_cancel(&old) && super::may_cancel(&order(9, at(12, 0))));
}

fn person(n: u128, name: &str, role: Role, active: bool) -> User {
    User {
        id: Uuid::from_u128(n),
        email: format!("{}@example.com", name.to_lowercase()),
        name: name.into(),
        role,
        active,
        created_at: Utc::now(),
    }
}

#[test]
fn the_staff_list_offers_a_manager_only_what_the_server_allows() {
    let owner = person(1, "Olive", Role::Owner, true);
    let manager = person(2, "Max", Role::Manager, true);
    let cook = person(3, "Carl", Role::Staff, true);
    assert_eq!(role_choices(Role::Owner), [Role::Owner, Role::Manager, Role::Staff]);
    assert_eq!(role_choices(Role::Manager), [Role::Manager, Role::Staff], "a manager cannot make owners");

    assert_eq!(staff_lock(&manager, &cook), None);
    assert_eq!(staff_lock(&manager, &person(4, "Mia", Role::Manager, true)), None, "managers manage managers");
    assert_eq!(staff_lock(&manager, &owner), Some("Only an owner can change an owner"));
    assert_eq!(staff_lock(&owner, &person(5, "Otto", Role::Owner, true)), None, "an owner changes other owners");
    assert!(
        staff_lock(&owner, &owner).is_some_and(|why| why.starts_with("Your own")),
        "nobody demotes or deactivates themselves"
    );
    assert_eq!(role_label(Role::Manager), "Manager");
}

#[test]
fn the_staff_list_reads_people_who_can_sign_in_first_by_role_then_name() {
    let people = [
        person(1, "zoe", Role::Staff, true),
        person(2, "Adam", Role::Staff, false),
        person(3, "Bea", Role::Manager, true),
        person(4, "Olive", Role::Owner, true),
        person(5, "anna", Role::Staff, true),
    ];
    let names: Vec<String> = staff_in_order(&people).into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["Olive", "Bea", "anna", "zoe", "Adam"]);
}

#[test]
fn a_new_restaurant_is_set_up_from_the_sign_in_screen_and_its_owner_lands_on_the_dashboard() {
    let state = run(Rc::default(), [Action::Started(start(false)), Action::SignInFailed("wrong password".into())]);
    let state = run(state, [Action::UseSignUp]);
    assert_eq!(
        (state.screen, state.error.as_deref()),
        (Screen::SignUp, None),
        "the sign-in's error is not carried over"
    );
    assert_eq!(run(state.clone(), [Action::UseSignIn]).screen, Screen::SignIn, "and back");
    let owner = run(state, [Action::SignedIn(Box::new(signed_in("owner")))]);
    assert_eq!((owner.screen, owner.tab), (Screen::Board, Tab::Dashboard));
    assert!(owner.tabs().contains(&Tab::Staff));
}
