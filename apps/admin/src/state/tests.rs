//! The admin store's transitions and the words its screens show.

use std::rc::Rc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ordera_protocol::device::{ConnectionState, IpcError, SignedIn, SyncStatus};
use ordera_protocol::ipc::StartInfo;
use ordera_protocol::orders::{Order, RefusedOrder};
use ordera_protocol::{DeviceKind, Money, OrderStatus, OrderType};
use uuid::Uuid;
use yew::Reducible;

use super::{
    capitalise, countdown, device_progress, device_standing, order_type_label, settle_failure, status_label, Action,
    Screen, State, Tab,
};

fn start(paired: bool) -> StartInfo {
    StartInfo {
        paired,
        server_url: "http://ordera.test".into(),
        kind: DeviceKind::Admin,
        device: None,
        version: "1.0.0".into(),
        idle_seconds: 90,
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
    let unpaired = status(ConnectionState::Unpaired, None, None);
    assert_eq!(run(Rc::default(), [Action::Status(unpaired.clone())]).screen, Screen::Loading);
    assert_eq!(run(board(), [Action::Status(unpaired)]).screen, Screen::Pair);
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
    assert_eq!(state.newest_orders().iter().map(|o| o.number).collect::<Vec<_>>(), [3, 2, 1]);
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
    assert_eq!((state.screen, state.tab), (Screen::Board, Tab::Attention));
    assert_eq!(state.tabs(), [Tab::Attention, Tab::Orders, Tab::Menu, Tab::Devices, Tab::Settings]);
    assert_eq!(state.restaurant_name().as_deref(), Some("Soho"), "the top bar names the restaurant at once");
    assert_eq!(run(state, [Action::Tab(Tab::Settings)]).tab, Tab::Settings);

    let staff = run(Rc::default(), [Action::Started(start(false)), Action::SignedIn(Box::new(signed_in("staff")))]);
    assert_eq!(staff.tabs(), [Tab::Attention, Tab::Orders]);
    assert_eq!(run(staff.clone(), [Action::Tab(Tab::Devices)]).tab, Tab::Attention, "staff cannot open devices");
    assert_eq!(run(staff, [Action::Tab(Tab::Menu)]).tab, Tab::Attention, "staff cannot edit the menu");
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
}

#[test]
fn a_pairing_code_counts_down_to_expired() {
    let now = at(12, 0);
    assert_eq!(countdown(now + Duration::seconds(299), now), "4:59");
    assert_eq!(countdown(now + Duration::seconds(5), now), "0:05");
    assert_eq!(countdown(now, now), "Expired");
    assert_eq!(countdown(now - Duration::seconds(30), now), "Expired");
}
