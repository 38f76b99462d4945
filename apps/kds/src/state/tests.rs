//! The kitchen screen's rules, natively: timers, station filtering, all-day counts, bumps and their undo,
//! the bump bar, liveness, cancellations and the pickup columns.

use super::*;
use ordera_protocol::{Money, OrderType};

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
}

fn item(name: &str, station: &str, quantity: i64) -> OrderItem {
    OrderItem {
        product_id: Uuid::nil(),
        name: name.into(),
        unit_price: Money(500),
        quantity,
        note: String::new(),
        station: station.into(),
        done_at: None,
    }
}

fn order(number: i64, placed: i64, status: OrderStatus, items: Vec<OrderItem>) -> Order {
    Order {
        id: Uuid::from_u128(number as u128),
        number,
        business_date: at(0).date_naive(),
        order_type: OrderType::DineIn,
        status,
        items,
        total: Money(0),
        note: String::new(),
        device_id: None,
        placed_at: at(placed),
        preparing_at: None,
        ready_at: None,
        completed_at: (status == OrderStatus::Completed).then(|| at(placed + 10)),
        cancelled_at: (status == OrderStatus::Cancelled).then(|| at(placed + 1)),
        cancel_reason: (status == OrderStatus::Cancelled).then(|| "customer left".into()),
        updated_at: at(placed),
        history: Vec::new(),
    }
}

fn synced() -> SyncStatus {
    SyncStatus {
        connection: ConnectionState::Online,
        last_sync: Some(at(0)),
        pending: 0,
        rejected: 0,
        last_error: None,
        last_heard: Some(at(20)),
        position: Some(10),
        head: Some(10),
    }
}

fn screen(role: ScreenRole, stations: &[&str], orders: Vec<Order>) -> State {
    let mut state = State {
        settings: ScreenSettings {
            role,
            stations: stations.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
        now: at(20),
        status: Some(synced()),
        ..State::default()
    };
    state.take_orders(orders);
    state
}

fn reduce(state: State, action: Action) -> State {
    (*Rc::new(state).reduce(action)).clone()
}

fn numbers(state: &State) -> Vec<i64> {
    state.tickets().iter().map(|t| t.order.number).collect()
}

#[test]
fn timer_colours_change_at_the_restaurants_thresholds() {
    let placed = at(0);
    assert_eq!(age(placed, at(4) + Duration::seconds(59), (5, 8)), Age::Fresh);
    assert_eq!(age(placed, at(5), (5, 8)), Age::Warning);
    assert_eq!(age(placed, at(8), (5, 8)), Age::Late);
    assert_eq!(age(placed, at(8), (10, 15)), Age::Fresh, "a manager's new thresholds apply at once");
    assert_eq!(elapsed(placed, at(4) + Duration::seconds(7)), "4:07");
    assert_eq!(elapsed(placed, at(75)), "1:15:00");
}

#[test]
fn thresholds_come_from_the_restaurant_and_default_before_it_is_known() {
    let mut state = State::default();
    assert_eq!(state.thresholds(), (5, 8));
    let tenant = Tenant {
        id: Uuid::nil(),
        name: "Soho".into(),
        timezone: "Europe/London".into(),
        currency: "GBP".into(),
        created_at: at(0),
        kitchen_warn_minutes: 3,
        kitchen_late_minutes: 6,
        business_day_start: Default::default(),
        kiosk_idle_seconds: 90,
        kiosk_pin_hash: None,
    };
    state = reduce(state, Action::Menu(Menu { tenant: Some(tenant), categories: vec![], products: vec![] }));
    assert_eq!(state.thresholds(), (3, 6));
}

#[test]
fn a_station_screen_shows_only_its_lines_and_lets_a_ticket_go_when_they_are_done() {
    let mut done_fries = item("Fries", "fry", 2);
    done_fries.done_at = Some(at(3));
    let orders = vec![
        order(1, 0, OrderStatus::Preparing, vec![item("Burger", "grill", 1), done_fries.clone()]),
        order(2, 1, OrderStatus::Placed, vec![item("Salad", "cold", 1)]),
        order(3, 2, OrderStatus::Placed, vec![item("Fries", "fry", 1), item("Burger", "grill", 2)]),
    ];
    let fry = screen(ScreenRole::Stations, &["fry"], orders.clone());
    assert_eq!(numbers(&fry), [3], "ticket 1's fries are done, ticket 2 has none");
    assert_eq!(fry.tickets()[0].lines.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0]);

    let grill = screen(ScreenRole::Stations, &["grill"], orders.clone());
    assert_eq!(numbers(&grill), [1, 3]);
    let expo = screen(ScreenRole::Expo, &[], orders);
    assert_eq!(numbers(&expo), [1, 2, 3]);
    assert_eq!(expo.tickets()[0].lines.len(), 2, "expo sees every line");

    // A card finds its own ticket, the same as the board's, and none for an order not on this board.
    let ids: Vec<Uuid> = expo.orders.iter().map(|o| o.id).collect();
    for id in &ids {
        let on_board = fry.tickets().into_iter().find(|t| t.order.id == *id).map(|t| (t.order.number, t.lines));
        assert_eq!(fry.ticket(*id).map(|t| (t.order.number, t.lines)), on_board);
    }
    assert!(fry.ticket(ids[0]).is_none() && fry.ticket(Uuid::nil()).is_none());
}

#[test]
fn all_day_counts_add_up_what_is_still_to_make() {
    let mut done = item("Burger", "grill", 5);
    done.done_at = Some(at(1));
    let orders = vec![
        order(1, 0, OrderStatus::Placed, vec![item("Burger", "grill", 2), item("Fries", "fry", 1), done]),
        order(2, 1, OrderStatus::Preparing, vec![item("Burger", "grill", 1), item("Fries", "fry", 3)]),
        order(3, 2, OrderStatus::Cancelled, vec![item("Burger", "grill", 9)]),
    ];
    let expo = screen(ScreenRole::Expo, &[], orders.clone());
    assert_eq!(all_day(&expo.tickets()), [("Fries".to_string(), 4), ("Burger".to_string(), 3)]);
    let grill = screen(ScreenRole::Stations, &["grill"], orders);
    assert_eq!(all_day(&grill.tickets()), [("Burger".to_string(), 3)]);
}

#[test]
fn a_cancellation_stays_struck_through_until_acknowledged() {
    let orders = vec![order(1, 0, OrderStatus::Placed, vec![item("Burger", "grill", 1)])];
    let state = screen(ScreenRole::Expo, &[], orders.clone());
    let mut cancelled = orders;
    cancelled[0] = order(1, 0, OrderStatus::Cancelled, vec![item("Burger", "grill", 1)]);
    cancelled[0].updated_at = at(1);
    let state = reduce(state, Action::Orders(cancelled));
    assert_eq!(state.sound.map(|(_, s)| s), Some(Sound::Cancelled));
    assert!(state.flashes.contains_key(&Uuid::from_u128(1)));
    let tickets = state.tickets();
    assert_eq!(tickets.len(), 1);
    assert!(tickets[0].cancelled);
    assert!(bump(&tickets[0], ScreenRole::Expo).is_none(), "a cancelled ticket cannot be bumped");
    let state = reduce(state, Action::Acknowledged(vec![Uuid::from_u128(1)]));
    assert!(state.tickets().is_empty());
}

#[test]
fn a_new_ticket_flashes_and_sounds_but_the_first_board_does_not() {
    let first = vec![order(1, 0, OrderStatus::Placed, vec![item("Burger", "grill", 1)])];
    let state = screen(ScreenRole::Expo, &[], first.clone());
    assert!(state.sound.is_none() && state.flashes.is_empty());
    let mut more = first;
    more.push(order(2, 5, OrderStatus::Placed, vec![item("Fries", "fry", 1)]));
    let state = reduce(state, Action::Orders(more.clone()));
    assert_eq!(state.sound, Some((1, Sound::NewTicket)));
    assert!(state.flashes.contains_key(&Uuid::from_u128(2)));
    // Not this screen's station: no fanfare.
    let grill = screen(ScreenRole::Stations, &["grill"], more[..1].to_vec());
    let grill = reduce(grill, Action::Orders(more));
    assert!(grill.sound.is_none());
    // Muted: flashes, no sound.
    let mut muted = screen(ScreenRole::Expo, &[], vec![]);
    muted.settings.muted = true;
    let muted = reduce(muted, Action::Orders(vec![order(3, 5, OrderStatus::Placed, vec![item("Tea", "bar", 1)])]));
    assert!(muted.sound.is_none() && !muted.flashes.is_empty());
}

#[test]
fn a_freshly_paired_screens_first_snapshot_is_not_news() {
    // Paired a moment ago: the cache was empty, then the snapshot brings the day's tickets.
    let mut state = State { status: Some(SyncStatus { last_sync: None, ..synced() }), ..State::default() };
    state.settings.role = ScreenRole::Expo;
    state.take_orders(vec![]);
    state.take_orders(vec![order(1, 0, OrderStatus::Placed, vec![item("Tea", "bar", 1)])]);
    assert!(state.sound.is_none() && state.flashes.is_empty(), "no fanfare for the board as it stands");
    // Once caught up, a new ticket is news.
    let state = reduce(state, Action::Status(synced()));
    let state = reduce(
        state,
        Action::Orders(vec![
            order(1, 0, OrderStatus::Placed, vec![item("Tea", "bar", 1)]),
            order(2, 1, OrderStatus::Placed, vec![item("Tea", "bar", 1)]),
        ]),
    );
    assert_eq!(state.sound.map(|(_, s)| s), Some(Sound::NewTicket));
}

#[test]
fn bumps_move_tickets_on_and_say_how_to_undo() {
    let placed = order(1, 0, OrderStatus::Placed, vec![item("Burger", "grill", 1), item("Fries", "fry", 1)]);
    let expo = screen(ScreenRole::Expo, &[], vec![placed.clone()]);
    let id = placed.id;
    let (command, undo, _) = bump(&expo.tickets()[0], ScreenRole::Expo).unwrap();
    assert_eq!(command, KitchenCommand::Status { order_id: id, action: StatusAction::Start });
    assert_eq!(undo, Some(KitchenCommand::Status { order_id: id, action: StatusAction::Requeue }));

    let mut preparing = placed.clone();
    preparing.status = OrderStatus::Preparing;
    preparing.items[0].done_at = Some(at(2));
    let expo = screen(ScreenRole::Expo, &[], vec![preparing.clone()]);
    let (command, undo, _) = bump(&expo.tickets()[0], ScreenRole::Expo).unwrap();
    assert_eq!(command, KitchenCommand::Mark { order_id: id, items: vec![1], done: true });
    assert_eq!(undo, Some(KitchenCommand::Mark { order_id: id, items: vec![1], done: false }));

    let fry = screen(ScreenRole::Stations, &["fry"], vec![preparing.clone()]);
    let (command, _, _) = bump(&fry.tickets()[0], ScreenRole::Stations).unwrap();
    assert_eq!(command, KitchenCommand::Mark { order_id: id, items: vec![1], done: true });

    let mut ready = preparing;
    ready.status = OrderStatus::Ready;
    let expo = screen(ScreenRole::Expo, &[], vec![ready]);
    let (command, undo, _) = bump(&expo.tickets()[0], ScreenRole::Expo).unwrap();
    assert_eq!(command, KitchenCommand::Status { order_id: id, action: StatusAction::Complete });
    assert_eq!(undo, Some(KitchenCommand::Status { order_id: id, action: StatusAction::Recall }));
}

#[test]
fn the_undo_offer_ends_after_its_seconds() {
    let undo = Undo {
        order_id: Uuid::nil(),
        number: 4,
        label: "served".into(),
        command: KitchenCommand::Status { order_id: Uuid::nil(), action: StatusAction::Recall },
        until: at(20) + Duration::seconds(UNDO_SECONDS),
    };
    let state = reduce(screen(ScreenRole::Expo, &[], vec![]), Action::Bumped(undo));
    let state = reduce(state, Action::Tick(at(20) + Duration::seconds(UNDO_SECONDS - 1)));
    assert!(state.undo.is_some());
    let state = reduce(state, Action::Tick(at(20) + Duration::seconds(UNDO_SECONDS)));
    assert!(state.undo.is_none());
}

#[test]
fn bump_bar_keys() {
    assert_eq!(key("1"), Some(Key::Select(0)));
    assert_eq!(key("9"), Some(Key::Select(8)));
    assert_eq!(key("0"), None);
    assert_eq!(key("Enter"), Some(Key::Bump));
    assert_eq!(key("u"), Some(Key::Undo));
    assert_eq!(key("R"), Some(Key::Recall));
    assert_eq!(key(" "), Some(Key::ItemDone));
    assert_eq!(key("ArrowRight"), Some(Key::Move { tickets: 1, items: 0 }));
    assert_eq!(key("ArrowUp"), Some(Key::Move { tickets: 0, items: -1 }));
    assert_eq!(key("x"), None);
}

#[test]
fn arrows_move_across_tickets_and_down_lines_within_the_board() {
    let orders = vec![
        order(1, 0, OrderStatus::Placed, vec![item("A", "grill", 1), item("B", "grill", 1)]),
        order(2, 1, OrderStatus::Placed, vec![item("C", "grill", 1)]),
    ];
    let state = screen(ScreenRole::Expo, &[], orders);
    let state = reduce(state, Action::Move { tickets: 1, items: 0 });
    assert_eq!(state.selected_index(), Some(0), "the first arrow selects the first ticket");
    let state = reduce(state, Action::Move { tickets: 0, items: 1 });
    assert_eq!(state.selected_item, 1);
    let state = reduce(state, Action::Move { tickets: 0, items: 5 });
    assert_eq!(state.selected_item, 1, "clamped to the ticket's lines");
    let state = reduce(state, Action::Move { tickets: 1, items: 0 });
    assert_eq!((state.selected_index(), state.selected_item), (Some(1), 0));
    let state = reduce(state, Action::Move { tickets: 4, items: 0 });
    assert_eq!(state.selected_index(), Some(1));
}

#[test]
fn a_screen_is_live_only_when_connected_caught_up_and_hearing() {
    let now = at(10);
    let status = SyncStatus {
        connection: ConnectionState::Online,
        last_sync: Some(at(1)),
        pending: 0,
        rejected: 0,
        last_error: None,
        last_heard: Some(now - Duration::seconds(2)),
        position: Some(40),
        head: Some(40),
    };
    assert_eq!(liveness(Some(&status), now), Liveness::Live);
    let behind = SyncStatus { position: Some(38), ..status.clone() };
    assert_eq!(liveness(Some(&behind), now), Liveness::CatchingUp);
    let silent = SyncStatus { last_heard: Some(now - Duration::seconds(30)), ..status.clone() };
    assert!(matches!(liveness(Some(&silent), now), Liveness::Silent { .. }));
    let offline = SyncStatus { connection: ConnectionState::Offline, ..status.clone() };
    assert_eq!(liveness(Some(&offline), now), Liveness::Offline { since: status.last_heard });

    // The banner waits a moment (a reconnect is quick), then stays until the screen is live again.
    let mut state = screen(ScreenRole::Expo, &[], vec![]);
    state.now = now;
    let state = reduce(state, Action::Status(offline));
    assert!(!state.banner());
    let state = reduce(state, Action::Tick(now + Duration::seconds(BANNER_AFTER_SECONDS)));
    assert!(state.banner());
    let state = reduce(state, Action::Status(SyncStatus { last_heard: Some(now + Duration::seconds(3)), ..status }));
    assert!(!state.banner());
}

#[test]
fn recall_lists_recently_completed_orders_newest_first() {
    let mut old = order(1, -300, OrderStatus::Completed, vec![item("A", "grill", 1)]);
    old.completed_at = Some(at(-290));
    let orders = vec![
        old,
        order(2, 0, OrderStatus::Completed, vec![item("B", "grill", 1)]),
        order(3, 5, OrderStatus::Completed, vec![item("C", "grill", 1)]),
        order(4, 6, OrderStatus::Ready, vec![item("D", "grill", 1)]),
    ];
    let state = screen(ScreenRole::Expo, &[], orders);
    assert_eq!(state.recall_list().iter().map(|o| o.number).collect::<Vec<_>>(), [3, 2]);
}

#[test]
fn pickup_columns_and_the_ready_chime() {
    let orders = vec![
        order(7, 0, OrderStatus::Preparing, vec![item("A", "grill", 1)]),
        order(8, 1, OrderStatus::Placed, vec![item("B", "grill", 1)]),
        order(6, -1, OrderStatus::Ready, vec![item("C", "grill", 1)]),
        order(5, -2, OrderStatus::Completed, vec![item("D", "grill", 1)]),
    ];
    assert_eq!(pickup(&orders), (vec![7, 8], vec![6]));
    let state = screen(ScreenRole::Pickup, &[], orders.clone());
    let mut next = orders;
    next[0].status = OrderStatus::Ready;
    next[0].updated_at = at(3);
    let state = reduce(state, Action::Orders(next));
    assert_eq!(state.sound.map(|(_, s)| s), Some(Sound::Ready));
}

#[test]
fn a_first_start_asks_for_pairing_then_a_role() {
    let start = StartInfo {
        paired: false,
        server_url: "http://127.0.0.1:8080".into(),
        kind: ordera_protocol::DeviceKind::Kds,
        device: None,
        version: "0.1.0".into(),
        idle_seconds: None,
        locked: false,
        signed_in: None,
    };
    let state = reduce(
        State::default(),
        Action::Started { start: start.clone(), settings: ScreenSettings::default(), acknowledged: vec![] },
    );
    assert_eq!(state.phase, Phase::Pair);
    let state = reduce(state, Action::Paired);
    assert_eq!(state.phase, Phase::Setup);
    let chosen = ScreenSettings { role: ScreenRole::Expo, ..Default::default() };
    let state = reduce(state, Action::Settings(chosen.clone()));
    assert_eq!(state.phase, Phase::Board);
    let again = reduce(
        State::default(),
        Action::Started { start: StartInfo { paired: true, ..start }, settings: chosen, acknowledged: vec![] },
    );
    assert_eq!(again.phase, Phase::Board, "a paired screen starts straight into its board, also offline");
}

#[test]
fn a_status_from_before_the_pairing_does_not_send_a_freshly_paired_screen_back_but_a_revocation_does() {
    let mut state = screen(ScreenRole::Unset, &[], vec![]);
    state.phase = Phase::Setup;
    // The engine's "not paired" from its start, answered only after the pairing went through.
    let before = SyncStatus { connection: ConnectionState::Unpaired, last_error: None, ..synced() };
    let state = reduce(state, Action::Status(before));
    assert_eq!(state.phase, Phase::Setup, "still choosing its role");
    let state = reduce(state, Action::Settings(ScreenSettings { role: ScreenRole::Expo, ..Default::default() }));
    assert_eq!(state.phase, Phase::Board);
    // The server refused the screen's token: back to pairing, saying why.
    let revoked = SyncStatus {
        connection: ConnectionState::Unpaired,
        last_error: Some("this device was revoked".into()),
        ..synced()
    };
    let state = reduce(state, Action::Status(revoked));
    assert_eq!((state.phase, state.error.as_deref()), (Phase::Pair, Some("this device was revoked")));
}

#[test]
fn a_screen_catching_up_counts_the_changes_it_still_has_to_apply() {
    assert_eq!(changes_to_go(Some(&synced())), None, "caught up");
    let behind = SyncStatus { position: Some(7), head: Some(10), ..synced() };
    assert_eq!(changes_to_go(Some(&behind)), Some(3));
    // Before the server said where its log is, or offline, there is nothing honest to count.
    assert_eq!(changes_to_go(Some(&SyncStatus { head: None, ..behind.clone() })), None);
    assert_eq!(changes_to_go(None), None);
}

#[test]
fn a_screen_that_forgets_its_pairing_goes_back_to_the_pairing_screen() {
    let mut state = screen(ScreenRole::Expo, &[], vec![]);
    state.phase = Phase::Setup;
    let state = reduce(state, Action::Forgotten);
    assert_eq!(state.phase, Phase::Pair);
    assert!(state.error.is_none());
}
