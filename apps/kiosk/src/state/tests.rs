//! The kiosk store's transitions, one customer's path at a time.

use std::rc::Rc;

use chrono::{NaiveDate, Utc};
use ordera_protocol::api::{Category, Product};
use ordera_protocol::device::{ConnectionState, Menu, OutboxEntry, OutboxState, SyncStatus};
use ordera_protocol::ipc::StartInfo;
use ordera_protocol::orders::{Order, PlaceOrderRequest, MAX_QUANTITY};
use ordera_protocol::sync::ClientMessage;
use ordera_protocol::{DeviceKind, Money, OrderStatus, OrderType};
use uuid::Uuid;
use yew::Reducible;

use super::{Action, Screen, State};

const BURGERS: Uuid = Uuid::from_u128(1);
const DRINKS: Uuid = Uuid::from_u128(2);

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x1000 + n)
}

fn dish(n: u128, name: &str, price: i64, category: Uuid) -> Product {
    Product {
        id: id(n),
        category_id: category,
        name: name.into(),
        description: String::new(),
        price: Money(price),
        allergens: Vec::new(),
        station: "grill".into(),
        available: true,
        stock: None,
        low_stock_threshold: None,
        position: n as i64,
        image: None,
        available_again_at: None,
    }
}

fn burger() -> Product {
    dish(1, "Classic Smash Burger", 1095, BURGERS)
}

fn halloumi() -> Product {
    dish(2, "Halloumi Burger", 1150, BURGERS)
}

fn cola() -> Product {
    dish(3, "Cola", 295, DRINKS)
}

fn category(id: Uuid, name: &str, position: i64, visible: bool) -> Category {
    Category { id, name: name.into(), position, visible }
}

fn menu(products: Vec<Product>) -> Menu {
    Menu {
        tenant: None,
        categories: vec![
            category(Uuid::from_u128(9), "Secret", 0, false),
            category(BURGERS, "Burgers", 1, true),
            category(DRINKS, "Drinks", 2, true),
        ],
        products,
    }
}

fn start(paired: bool) -> StartInfo {
    StartInfo {
        paired,
        server_url: "http://ordera.test".into(),
        kind: DeviceKind::Kiosk,
        device: None,
        version: "1.0.0".into(),
        idle_seconds: None,
        locked: false,
        signed_in: None,
    }
}

fn status(connection: ConnectionState) -> SyncStatus {
    SyncStatus {
        connection,
        last_sync: None,
        pending: 0,
        rejected: 0,
        last_error: None,
        last_heard: None,
        position: None,
        head: None,
    }
}

fn saved(args: &ordera_protocol::ipc::PlaceOrderArgs) -> OutboxEntry {
    let order = PlaceOrderRequest { id: args.id, order_type: args.order_type, items: args.lines.clone(), note: None };
    OutboxEntry {
        seq: 1,
        command_id: args.id,
        message: ClientMessage::PlaceOrder { command_id: args.id, order },
        created_at: Utc::now(),
        state: OutboxState::Pending,
        reason: None,
    }
}

fn numbered(id: Uuid, number: i64) -> Order {
    let now = Utc::now();
    Order {
        id,
        number,
        business_date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        order_type: OrderType::DineIn,
        status: OrderStatus::Placed,
        items: Vec::new(),
        total: Money(0),
        note: String::new(),
        device_id: None,
        placed_at: now,
        preparing_at: None,
        ready_at: None,
        completed_at: None,
        cancelled_at: None,
        cancel_reason: None,
        updated_at: now,
        history: Vec::new(),
    }
}

fn run(state: Rc<State>, actions: impl IntoIterator<Item = Action>) -> Rc<State> {
    actions.into_iter().fold(state, Reducible::reduce)
}

fn add(product: Product, quantity: i64, note: &str) -> Action {
    Action::Add { product, quantity, note: note.into() }
}

/// A paired kiosk with the menu, a customer at the menu screen.
fn browsing() -> Rc<State> {
    run(
        Rc::default(),
        [Action::Started(start(true)), Action::Menu(menu(vec![burger(), halloumi(), cola()])), Action::Begin],
    )
}

/// A customer with a burger and two colas on the review screen.
fn reviewing(fresh: Uuid) -> Rc<State> {
    run(browsing(), [add(burger(), 1, "no onions"), add(cola(), 2, ""), Action::Review(fresh)])
}

#[test]
fn the_idle_reset_is_the_kiosks_own_else_the_restaurants_else_ninety_seconds() {
    let mut tenant: ordera_protocol::api::Tenant = serde_json::from_value(serde_json::json!({
        "id": Uuid::nil(), "name": "Soho", "timezone": "Europe/London", "currency": "GBP",
        "created_at": "2026-12-07T12:00:00Z"
    }))
    .unwrap();
    assert_eq!(tenant.kiosk_idle_seconds, 90, "a restaurant from before the setting has the default");
    assert_eq!(run(Rc::new(State::default()), []).idle_seconds(), 90);
    tenant.kiosk_idle_seconds = 45;
    let with_setting = Action::Menu(Menu { tenant: Some(tenant), ..menu(vec![]) });
    let state = run(Rc::new(State::default()), [Action::Started(start(true)), with_setting.clone()]);
    assert_eq!(state.idle_seconds(), 45);
    let own = StartInfo { idle_seconds: Some(600), ..start(true) };
    let state = run(Rc::new(State::default()), [Action::Started(own), with_setting]);
    assert_eq!(state.idle_seconds(), 600, "a kiosk installed with its own keeps it");
}

#[test]
fn a_paired_kiosk_starts_on_the_attract_screen_and_an_unpaired_one_on_pairing() {
    assert_eq!(run(Rc::default(), [Action::Started(start(true))]).screen, Screen::Attract);
    assert_eq!(run(Rc::default(), [Action::Started(start(false))]).screen, Screen::Pair);
}

#[test]
fn a_shell_that_does_not_answer_leaves_pairing_with_the_reason() {
    let state = run(Rc::default(), [Action::StartFailed("no shell".into())]);
    assert_eq!(state.screen, Screen::Pair);
    assert_eq!(state.error.as_deref(), Some("no shell"));
}

#[test]
fn pairing_goes_to_the_attract_screen_and_forgets_the_last_error() {
    let state = run(Rc::default(), [Action::Started(start(false)), Action::PairFailed("bad code".into())]);
    assert_eq!(state.error.as_deref(), Some("bad code"));
    let state = run(state, [Action::Paired]);
    assert_eq!(state.screen, Screen::Attract);
    assert_eq!(state.error, None);
}

#[test]
fn a_revoked_kiosk_returns_to_pairing_but_not_before_it_has_started() {
    let revoked =
        SyncStatus { last_error: Some("this device was revoked".into()), ..status(ConnectionState::Unpaired) };
    let loading = run(Rc::default(), [Action::Status(revoked.clone())]);
    assert_eq!(loading.screen, Screen::Loading);
    // The engine's reasonless "not paired" from before the pairing, answered late, changes nothing.
    let state = run(browsing(), [Action::Status(status(ConnectionState::Unpaired))]);
    assert_ne!(state.screen, Screen::Pair);
    let state = run(state, [Action::Status(revoked)]);
    assert_eq!(state.screen, Screen::Pair);
}

#[test]
fn the_first_menu_opens_the_first_visible_category_and_a_later_one_keeps_the_choice() {
    let state = browsing();
    assert_eq!(state.category, Some(BURGERS), "the hidden category is skipped");
    assert_eq!(
        state.shown_products().iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Classic Smash Burger", "Halloumi Burger"]
    );
    let state = run(state, [Action::Category(DRINKS), Action::Menu(menu(vec![burger(), cola()]))]);
    assert_eq!(state.category, Some(DRINKS));
}

#[test]
fn staff_unpairing_the_kiosk_returns_it_to_pairing_with_nothing_of_the_last_customer() {
    let state = run(browsing(), [Action::Open(burger()), add(burger(), 2, ""), Action::Open(cola()), Action::Unpaired]);
    assert_eq!(state.screen, Screen::Pair);
    assert!(state.cart.lines().is_empty());
    assert_eq!(state.sheet, None);
    assert_eq!(run(state, [Action::Paired]).screen, Screen::Attract, "pairing again opens on the attract screen");
}

#[test]
fn adding_a_dish_puts_it_in_the_cart_and_closes_its_sheet() {
    let state = run(browsing(), [Action::Open(burger()), add(burger(), 2, "no onions")]);
    assert_eq!(state.sheet, None);
    assert_eq!(state.cart.lines().len(), 1);
    assert_eq!((state.cart.lines()[0].quantity, state.cart.lines()[0].note.as_str()), (2, "no onions"));
}

#[test]
fn the_same_dish_with_the_same_note_adds_up_on_one_line_and_another_note_makes_another_line() {
    let state = run(browsing(), [add(burger(), 2, ""), add(burger(), 3, ""), add(burger(), 1, "no onions")]);
    let lines: Vec<(i64, &str)> = state.cart.lines().iter().map(|l| (l.quantity, l.note.as_str())).collect();
    assert_eq!(lines, [(5, ""), (1, "no onions")]);
    let state = run(state, [add(burger(), MAX_QUANTITY, "")]);
    assert_eq!(state.cart.lines()[0].quantity, MAX_QUANTITY, "a line holds at most the most allowed");
}

#[test]
fn quantities_stay_between_one_and_the_most_allowed_and_removing_takes_the_line_out() {
    let state = run(browsing(), [add(burger(), 1, ""), add(cola(), 1, "")]);
    assert_eq!(run(state.clone(), [Action::Quantity(0, 0)]).cart.lines()[0].quantity, 1);
    assert_eq!(run(state.clone(), [Action::Quantity(0, 500)]).cart.lines()[0].quantity, MAX_QUANTITY);
    assert_eq!(run(state.clone(), [Action::Quantity(7, 3)]).cart, state.cart, "no such line: nothing changes");
    let state = run(state, [Action::Remove(0), Action::Remove(5)]);
    assert_eq!(state.cart.lines().iter().map(|l| l.product.name.as_str()).collect::<Vec<_>>(), ["Cola"]);
}

#[test]
fn the_total_is_each_line_at_its_price_times_its_quantity() {
    let state = run(browsing(), [add(burger(), 1, ""), add(cola(), 2, "")]);
    assert_eq!(state.cart.total(), Money(1095 + 2 * 295));
    assert_eq!(State::default().cart.total(), Money(0));
}

#[test]
fn a_new_price_reaches_the_cart_without_a_word() {
    let mut dearer = burger();
    dearer.price = Money(1250);
    let state = run(browsing(), [add(burger(), 2, ""), Action::Menu(menu(vec![dearer, cola()]))]);
    assert_eq!(state.cart.total(), Money(2500));
    assert_eq!(state.notice, None);
}

#[test]
fn a_dish_sold_out_meanwhile_leaves_the_cart_and_the_customer_is_told() {
    let mut gone = halloumi();
    gone.available = false;
    let mut none_left = cola();
    none_left.stock = Some(0);
    let state = run(browsing(), [add(burger(), 1, ""), add(halloumi(), 1, "")]);
    let one = run(state.clone(), [Action::Menu(menu(vec![burger(), gone.clone(), cola()]))]);
    assert_eq!(one.cart.lines().len(), 1);
    assert_eq!(one.notice.as_deref(), Some("Sorry — Halloumi Burger just sold out and was taken out of your order."));

    let state = run(state, [add(cola(), 1, ""), Action::Menu(menu(vec![burger(), gone, none_left]))]);
    assert_eq!(
        state.notice.as_deref(),
        Some("Sorry — Halloumi Burger, Cola just sold out and were taken out of your order.")
    );
    let state = run(state, [add(burger(), 1, "")]);
    assert_eq!(state.notice, None, "the notice lasts until the customer acts again");
}

#[test]
fn a_review_whose_every_dish_sold_out_returns_to_the_menu() {
    let state = run(browsing(), [add(halloumi(), 1, ""), Action::Review(id(100))]);
    assert_eq!(state.screen, Screen::Review);
    let mut gone = halloumi();
    gone.available = false;
    let state = run(state, [Action::Menu(menu(vec![burger(), gone]))]);
    assert_eq!(state.screen, Screen::Menu);
    assert!(state.cart.is_empty());
}

#[test]
fn eat_in_is_the_default_and_take_away_can_be_chosen() {
    let state = reviewing(id(100));
    assert_eq!(state.cart.order_type(), OrderType::DineIn);
    let state = run(state, [Action::OrderType(OrderType::Takeaway), Action::Place(id(101))]);
    assert_eq!(state.placing.as_ref().map(|p| p.order_type), Some(OrderType::Takeaway));
}

#[test]
fn an_empty_cart_cannot_be_reviewed_or_placed() {
    let state = run(browsing(), [Action::Review(id(100)), Action::Place(id(101))]);
    assert_eq!(state.screen, Screen::Menu);
    assert_eq!((state.cart.order_id(), state.placing.clone()), (None, None));
}

#[test]
fn placing_sends_the_cart_under_the_id_made_when_it_was_reviewed() {
    let state = run(reviewing(id(100)), [Action::Place(id(101))]);
    let placing = state.placing.clone().expect("saving");
    assert_eq!(placing.id, id(100));
    let lines: Vec<(Uuid, i64, Option<&str>)> =
        placing.lines.iter().map(|l| (l.product_id, l.quantity, l.note.as_deref())).collect();
    assert_eq!(lines, [(burger().id, 1, Some("no onions")), (cola().id, 2, None)]);
}

#[test]
fn a_second_tap_on_place_order_while_saving_does_nothing() {
    let first = run(reviewing(id(100)), [Action::Place(id(101))]);
    let second = first.clone().reduce(Action::Place(id(102)));
    assert!(Rc::ptr_eq(&first, &second), "the second tap changed the store");
}

#[test]
fn going_back_to_the_menu_and_reviewing_again_keeps_the_id() {
    let state = run(reviewing(id(100)), [Action::BackToMenu, Action::Review(id(101)), Action::Place(id(102))]);
    assert_eq!(state.placing.as_ref().map(|p| p.id), Some(id(100)));
}

#[test]
fn a_changed_cart_is_another_order_with_a_new_id() {
    let changes =
        [add(halloumi(), 1, ""), Action::Quantity(0, 3), Action::Remove(1), Action::OrderType(OrderType::Takeaway)];
    for change in changes {
        let what = format!("{change:?}");
        let state = run(reviewing(id(100)), [Action::BackToMenu, change, Action::Review(id(101))]);
        assert_eq!(state.cart.order_id(), Some(id(101)), "after {what}");
    }
    let same_type = run(reviewing(id(100)), [Action::OrderType(OrderType::DineIn)]);
    assert_eq!(same_type.cart.order_id(), Some(id(100)), "choosing the type it already had changes nothing");
}

#[test]
fn a_dish_selling_out_on_the_review_screen_gives_the_rest_a_new_id() {
    let mut gone = cola();
    gone.available = false;
    let state = run(reviewing(id(100)), [Action::Menu(menu(vec![burger(), gone])), Action::Place(id(101))]);
    assert_eq!(state.screen, Screen::Review);
    assert_eq!(state.placing.as_ref().map(|p| (p.id, p.lines.len())), Some((id(101), 1)));
}

#[test]
fn a_failed_save_says_why_and_lets_the_customer_try_again_with_the_same_id() {
    let state = run(reviewing(id(100)), [Action::Place(id(101)), Action::PlaceFailed("disk full".into())]);
    assert_eq!(state.placing, None);
    assert_eq!(state.error.as_deref(), Some("disk full"));
    let state = run(state, [Action::Place(id(102))]);
    assert_eq!(state.placing.as_ref().map(|p| p.id), Some(id(100)));
    assert_eq!(state.error, None);
}

#[test]
fn a_saved_order_empties_the_cart_and_waits_for_its_number() {
    let state = run(reviewing(id(100)), [Action::Place(id(101))]);
    let entry = saved(state.placing.as_ref().unwrap());
    let state = run(state, [Action::Saved(entry.clone())]);
    assert_eq!(state.screen, Screen::Confirmation { entry, order: None, refused: None });
    assert!(state.cart.is_empty());
    assert_eq!((state.cart.order_id(), state.placing.clone()), (None, None));
    assert_eq!(state.awaiting_number(), Some(id(100)));
    let next = run(state, [Action::Reset, Action::Begin, add(burger(), 1, ""), Action::Review(id(103))]);
    assert_eq!(next.cart.order_id(), Some(id(103)), "the next customer's order has an id of its own");
}

#[test]
fn the_confirmation_shows_its_own_number_and_ignores_other_orders() {
    let state = run(reviewing(id(100)), [Action::Place(id(101))]);
    let entry = saved(state.placing.as_ref().unwrap());
    let state = run(state, [Action::Saved(entry), Action::OrderKnown(numbered(id(555), 7))]);
    assert_eq!(state.awaiting_number(), Some(id(100)));
    let state = run(state, [Action::OrderKnown(numbered(id(100), 8))]);
    assert!(matches!(&state.screen, Screen::Confirmation { order: Some(order), .. } if order.number == 8));
    assert_eq!(state.awaiting_number(), None);
}

#[test]
fn the_confirmation_shows_a_refusal_of_its_own_order_only() {
    let state = run(reviewing(id(100)), [Action::Place(id(101))]);
    let entry = saved(state.placing.as_ref().unwrap());
    let state = run(state, [Action::Saved(entry), Action::Refused(id(555), "not ours".into())]);
    assert!(matches!(&state.screen, Screen::Confirmation { refused: None, .. }));
    let state = run(state, [Action::Refused(id(100), "Halloumi Burger sold out".into())]);
    assert!(matches!(&state.screen, Screen::Confirmation { refused: Some(r), .. } if r == "Halloumi Burger sold out"));
    assert_eq!(state.awaiting_number(), None);
}

#[test]
fn orders_changing_counts_only_while_a_number_is_awaited() {
    let state = browsing();
    assert!(Rc::ptr_eq(&state, &state.clone().reduce(Action::OrdersChanged)), "a render for nothing");
    let state = run(reviewing(id(100)), [Action::Place(id(101))]);
    let entry = saved(state.placing.as_ref().unwrap());
    let state = run(state, [Action::Saved(entry), Action::OrdersChanged, Action::OrdersChanged]);
    assert_eq!(state.orders_changed, 2);
}

#[test]
fn the_still_there_question_counts_down_and_a_touch_takes_it_away() {
    let state = run(browsing(), [Action::IdleTick(Some(4)), Action::IdleTick(Some(3))]);
    assert_eq!(state.still_there, Some(3));
    assert_eq!(run(state, [Action::IdleTick(None)]).still_there, None);
}

#[test]
fn an_idle_reset_clears_the_order_and_returns_to_the_attract_screen() {
    let state = run(
        reviewing(id(100)),
        [Action::OrderType(OrderType::Takeaway), Action::Category(DRINKS), Action::IdleTick(Some(1)), Action::Reset],
    );
    assert_eq!(state.screen, Screen::Attract);
    assert!(state.cart.is_empty());
    assert_eq!(state.cart.order_type(), OrderType::DineIn);
    assert_eq!(state.category, Some(BURGERS));
    assert_eq!((state.cart.order_id(), state.still_there), (None, None));
    let pairing = run(Rc::default(), [Action::Started(start(false)), Action::Reset]);
    assert_eq!(pairing.screen, Screen::Pair, "a reset never leaves the pairing screen");
}

#[test]
fn touching_the_attract_screen_starts_an_order_afresh() {
    let state = run(Rc::default(), [Action::Started(start(true)), Action::IdleTick(Some(2)), Action::Begin]);
    assert_eq!(state.screen, Screen::Menu);
    assert_eq!((state.still_there, state.error.clone()), (None, None));
}

#[test]
fn large_text_and_high_contrast_switch_on_and_off() {
    let state = run(browsing(), [Action::ToggleLargeText, Action::ToggleContrast]);
    assert!(state.large_text && state.high_contrast);
    let state = run(state, [Action::ToggleLargeText, Action::ToggleContrast]);
    assert!(!state.large_text && !state.high_contrast);
}

#[test]
fn offline_until_the_engine_says_it_is_online() {
    assert!(browsing().offline());
    assert!(run(browsing(), [Action::Status(status(ConnectionState::Connecting))]).offline());
    assert!(!run(browsing(), [Action::Status(status(ConnectionState::Online))]).offline());
}
