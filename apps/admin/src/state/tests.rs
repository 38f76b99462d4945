//! The admin store's transitions and the words its screens show.

use std::rc::Rc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ordera_protocol::device::{ConnectionState, IpcError, SyncStatus};
use ordera_protocol::ipc::StartInfo;
use ordera_protocol::orders::{Order, RefusedOrder};
use ordera_protocol::{DeviceKind, Money, OrderStatus, OrderType};
use uuid::Uuid;
use yew::Reducible;

use super::{capitalise, order_type_label, settle_failure, status_label, Action, Screen, State, Tab};

fn start(paired: bool) -> StartInfo {
    StartInfo {
        paired,
        server_url: "http://ordera.test".into(),
        kind: DeviceKind::Admin,
        device: None,
        version: "1.0.0".into(),
        idle_seconds: 90,
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
    assert_eq!(run(Rc::default(), [Action::Started(start(false))]).screen, Screen::Pair);
}

#[test]
fn a_shell_that_does_not_answer_leaves_pairing_with_the_reason() {
    let state = run(Rc::default(), [Action::StartFailed("no shell".into())]);
    assert_eq!(state.screen, Screen::Pair);
    assert_eq!(state.error.as_deref(), Some("no shell"));
}

#[test]
fn a_refused_code_is_shown_and_pairing_clears_it() {
    let state = run(Rc::default(), [Action::Started(start(false)), Action::PairFailed("unknown code".into())]);
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
