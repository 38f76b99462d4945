//! What the kitchen's screens need from the server: the restaurant's timer thresholds, lines marked done
//! (over HTTP and over the socket) with the order following them, each order's history of who moved it,
//! and where each screen is in the restaurant's log.

use ordera_protocol::api::{Device, MeResponse, PairResponse, PairingCodeResponse, Product, Tenant};
use ordera_protocol::orders::{CommandResult, ItemsDoneRequest, Order, Outcome};
use ordera_protocol::sync::{ClientMessage, Event, ServerMessage};
use ordera_protocol::{DeviceKind, OrderStatus};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::*;
use crate::ws::{SyncClient, WAIT};

/// A restaurant with a kiosk by the door, a grill screen and a pass screen, and a burger and fries.
struct Kitchen {
    restaurant: Restaurant,
    kiosk: PairResponse,
    grill: PairResponse,
    pass: PairResponse,
    burger: Product,
    fries: Product,
}

async fn pair_named(app: &TestApp, restaurant: &Restaurant, kind: DeviceKind, name: &str) -> PairResponse {
    let code: PairingCodeResponse = expect_json(
        app.post("devices/pairing-codes", Some(&restaurant.token), &json!({"kind": kind, "name": name})).await,
        StatusCode::CREATED,
    )
    .await;
    expect_json(app.post("devices/pair", None, &json!({"code": code.code})).await, StatusCode::CREATED).await
}

async fn kitchen(app: &TestApp) -> Kitchen {
    let restaurant = app.restaurant("Soho").await;
    let mains = app.category(&restaurant, "Mains").await;
    let burger = app.product(&restaurant, &mains, "Smash Burger", 1095).await;
    let fries = app.product(&restaurant, &mains, "Fries", 395).await;
    let kiosk = pair_named(app, &restaurant, DeviceKind::Kiosk, "Kiosk by the door").await;
    let grill = pair_named(app, &restaurant, DeviceKind::Kds, "Grill screen").await;
    let pass = pair_named(app, &restaurant, DeviceKind::Kds, "Pass screen").await;
    Kitchen { restaurant, kiosk, grill, pass, burger, fries }
}

/// A burger and fries, placed at the kiosk.
async fn two_lines(app: &TestApp, k: &Kitchen) -> Order {
    app.place_order(&k.kiosk.token, &[(k.burger.id, 1), (k.fries.id, 2)]).await
}

fn mark(items: &[usize], done: bool) -> ItemsDoneRequest {
    ItemsDoneRequest { command_id: Uuid::now_v7(), items: items.to_vec(), done }
}

async fn post_mark(app: &TestApp, token: &str, order: &Order, request: &ItemsDoneRequest) -> reqwest::Response {
    app.post(&format!("orders/{}/items", order.id), Some(token), request).await
}

/// Marks over HTTP and expects it to be taken (applied or unchanged).
async fn marked(app: &TestApp, token: &str, order: &Order, request: &ItemsDoneRequest) -> CommandResult {
    expect_json(post_mark(app, token, order, request).await, StatusCode::OK).await
}

async fn bump(app: &TestApp, token: &str, order: &Order, action: &str) -> Order {
    let body = json!({"command_id": Uuid::now_v7(), "action": action, "reason": "customer left"});
    expect_json(app.post(&format!("orders/{}/status", order.id), Some(token), &body).await, StatusCode::OK).await
}

async fn ack(socket: &mut SyncClient) -> (Uuid, CommandResult) {
    loop {
        if let ServerMessage::Ack { command_id, result } = socket.recv().await {
            return (command_id, result);
        }
    }
}

/// Reads until the pong for `nonce`, past any events that came first.
async fn pong(socket: &mut SyncClient, nonce: u64) {
    loop {
        match socket.recv().await {
            ServerMessage::Pong { nonce: n } if n == nonce => return,
            ServerMessage::Events { .. } => continue,
            other => panic!("expected pong {nonce}, got {other:?}"),
        }
    }
}

async fn tenant(app: &TestApp, token: &str) -> Tenant {
    expect_json::<MeResponse>(app.get("me", token).await, StatusCode::OK).await.tenant
}

both! {
    async fn the_kitchen_timers_change_through_the_api_and_reach_the_screens_live(app: TestApp) {
        let k = kitchen(&app).await;
        let before = tenant(&app, &k.restaurant.token).await;
        assert_eq!((before.kitchen_warn_minutes, before.kitchen_late_minutes), (5, 8), "the defaults");
        let head = app.store.head(k.restaurant.tenant.id).await.unwrap();
        let (mut grill, _, _) = SyncClient::connect(app.addr, &k.grill.token, Some(head.epoch), head.seq).await;

        let changed: Tenant = expect_json(
            app.patch("tenant", &k.restaurant.token, &json!({"kitchen_warn_minutes": 10, "kitchen_late_minutes": 15})).await,
            StatusCode::OK,
        ).await;
        assert_eq!((changed.kitchen_warn_minutes, changed.kitchen_late_minutes), (10, 15));
        assert_eq!(changed.name, "Soho", "the rest of the settings stay");
        let events = grill.events(1).await;
        assert!(
            matches!(&events[0].event, Event::TenantUpdated { tenant } if tenant.kitchen_warn_minutes == 10 && tenant.kitchen_late_minutes == 15),
            "{events:?}"
        );

        // One threshold at a time, checked against the other as stored: late can come down to just past
        // the warning, and the warning can go up to just before late.
        let late: Tenant = expect_json(app.patch("tenant", &k.restaurant.token, &json!({"kitchen_late_minutes": 11})).await, StatusCode::OK).await;
        assert_eq!((late.kitchen_warn_minutes, late.kitchen_late_minutes), (10, 11));
        let warn: Tenant = expect_json(app.patch("tenant", &k.restaurant.token, &json!({"kitchen_warn_minutes": 1})).await, StatusCode::OK).await;
        assert_eq!((warn.kitchen_warn_minutes, warn.kitchen_late_minutes), (1, 11));
        let events = grill.events(2).await;
        assert!(matches!(&events[1].event, Event::TenantUpdated { tenant } if tenant.kitchen_warn_minutes == 1));

        // Every device starts with them too: the snapshot and the menu carry the restaurant.
        let snapshot: ordera_protocol::sync::Snapshot = expect_json(app.get("sync/snapshot", &k.pass.token).await, StatusCode::OK).await;
        assert_eq!((snapshot.tenant.kitchen_warn_minutes, snapshot.tenant.kitchen_late_minutes), (1, 11));
        assert_eq!(tenant(&app, &k.grill.token).await.kitchen_late_minutes, 11);

        // The kiosks' idle reset is the restaurant's too, heard by its kiosks live.
        assert_eq!(before.kiosk_idle_seconds, 90, "the default");
        let kiosk = app.pair(&k.restaurant, ordera_protocol::DeviceKind::Kiosk).await;
        let head = app.store.head(k.restaurant.tenant.id).await.unwrap();
        let (mut kiosk_socket, _, _) = SyncClient::connect(app.addr, &kiosk.token, Some(head.epoch), head.seq).await;
        let idle: Tenant = expect_json(app.patch("tenant", &k.restaurant.token, &json!({"kiosk_idle_seconds": 45})).await, StatusCode::OK).await;
        assert_eq!((idle.kiosk_idle_seconds, idle.kitchen_late_minutes), (45, 11));
        let events = kiosk_socket.events(1).await;
        assert!(matches!(&events[0].event, Event::TenantUpdated { tenant } if tenant.kiosk_idle_seconds == 45), "{events:?}");
        let menu: ordera_protocol::api::MenuResponse = expect_json(app.get("menu", &kiosk.token).await, StatusCode::OK).await;
        assert_eq!(menu.tenant.kiosk_idle_seconds, 45);

        // The kiosks' staff PIN is set as digits and kept only as an argon2 hash, which the kiosks receive so
        // that they check a typed PIN themselves, offline too. Other changes keep it.
        assert_eq!(idle.kiosk_pin_hash, None, "no PIN until a manager sets one");
        let pinned: Tenant = expect_json(app.patch("tenant", &k.restaurant.token, &json!({"kiosk_pin": "2468"})).await, StatusCode::OK).await;
        let hash = pinned.kiosk_pin_hash.clone().expect("the PIN's hash");
        use argon2::PasswordVerifier;
        let parsed = argon2::PasswordHash::new(&hash).expect("a PHC string");
        assert!(argon2::Argon2::default().verify_password(b"2468", &parsed).is_ok());
        assert!(argon2::Argon2::default().verify_password(b"1357", &parsed).is_err());
        let events = kiosk_socket.events(1).await;
        assert!(matches!(&events[0].event, Event::TenantUpdated { tenant } if tenant.kiosk_pin_hash == Some(hash.clone())), "{events:?}");
        let renamed: Tenant = expect_json(app.patch("tenant", &k.restaurant.token, &json!({"kiosk_idle_seconds": 60})).await, StatusCode::OK).await;
        assert_eq!(renamed.kiosk_pin_hash, Some(hash));

        // Settings are a manager's: a cook and a screen may not change them.
        let (_, cook) = app.user(&k.restaurant, "staff").await;
        expect_error(app.patch("tenant", &cook, &json!({"kitchen_warn_minutes": 2})).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.patch("tenant", &k.grill.token, &json!({"kitchen_warn_minutes": 2})).await, StatusCode::FORBIDDEN, "forbidden").await;
    }

    async fn a_start_bumped_by_mistake_is_undone_by_a_requeue_and_the_history_says_so(app: TestApp) {
        let k = kitchen(&app).await;
        let order = two_lines(&app, &k).await;
        let started = bump(&app, &k.pass.token, &order, "start").await;
        assert_eq!(started.status, OrderStatus::Preparing);
        assert!(started.preparing_at.is_some());

        let requeued = bump(&app, &k.pass.token, &order, "requeue").await;
        assert_eq!(requeued.status, OrderStatus::Placed);
        assert!(requeued.preparing_at.is_none(), "it was not started after all");
        // A second requeue, or one from a stale screen, changes nothing.
        assert_eq!(bump(&app, &k.grill.token, &order, "requeue").await, requeued);

        let again = bump(&app, &k.pass.token, &order, "start").await;
        assert!(again.preparing_at.unwrap() > started.preparing_at.unwrap(), "the work starts at the second start");
        let statuses: Vec<OrderStatus> = again.history.iter().map(|step| step.status).collect();
        use OrderStatus::*;
        assert_eq!(statuses, [Placed, Preparing, Placed, Preparing]);
        assert_eq!(again.history[2].by.as_deref(), Some("Pass screen"), "who took it back");

        // Past preparing, a requeue comes too late and changes nothing.
        let ready = marked(&app, &k.pass.token, &order, &mark(&[0, 1], true)).await.order.unwrap();
        assert_eq!(ready.status, Ready);
        assert_eq!(bump(&app, &k.pass.token, &order, "requeue").await.status, Ready);

    }

    async fn thresholds_out_of_range_or_in_the_wrong_order_are_refused_and_change_nothing(app: TestApp) {
        let k = kitchen(&app).await;
        let before = tenant(&app, &k.restaurant.token).await;
        let head = app.store.head(k.restaurant.tenant.id).await.unwrap();
        let cases: [(Value, &[&str]); 14] = [
            (json!({"kiosk_pin": "12a4"}), &["kiosk_pin"]),
            (json!({"kiosk_pin": "123"}), &["kiosk_pin"]),
            (json!({"kiosk_pin": "123456789", "name": "Soho Central"}), &["kiosk_pin"]),
            (json!({"kiosk_pin": 1234}), &["kiosk_pin"]),
            (json!({"kiosk_idle_seconds": 9}), &["kiosk_idle_seconds"]),
            (json!({"kiosk_idle_seconds": 901, "name": "Soho Central"}), &["kiosk_idle_seconds"]),
            (json!({"kiosk_idle_seconds": "90"}), &["kiosk_idle_seconds"]),
            (json!({"kitchen_warn_minutes": 0}), &["kitchen_warn_minutes"]),
            (json!({"kitchen_late_minutes": 0}), &["kitchen_late_minutes"]),
            (json!({"kitchen_warn_minutes": 241}), &["kitchen_warn_minutes"]),
            (json!({"kitchen_late_minutes": 241, "kitchen_warn_minutes": -3}), &["kitchen_late_minutes", "kitchen_warn_minutes"]),
            // Against the stored values (5 and 8): a warning at or past late, late at or before the warning.
            (json!({"kitchen_warn_minutes": 8}), &["kitchen_late_minutes", "kitchen_warn_minutes"]),
            (json!({"kitchen_late_minutes": 4, "name": "Soho Central"}), &["kitchen_late_minutes", "kitchen_warn_minutes"]),
            (json!({"kitchen_warn_minutes": 20, "kitchen_late_minutes": 20}), &["kitchen_late_minutes", "kitchen_warn_minutes"]),
        ];
        for (body, fields) in &cases {
            let error = expect_error(app.patch("tenant", &k.restaurant.token, body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            let named: Vec<&str> = error.error.fields.as_ref().expect("fields").0.keys().map(String::as_str).collect();
            assert_eq!(&named, fields, "{body}: {error:?}");
        }
        assert_eq!(tenant(&app, &k.restaurant.token).await, before, "nothing changed");
        assert_eq!(app.store.head(k.restaurant.tenant.id).await.unwrap(), head, "and nothing was announced");
    }

    async fn the_kitchen_marks_lines_done_over_http_and_the_order_follows(app: TestApp) {
        let k = kitchen(&app).await;
        let order = two_lines(&app, &k).await;
        assert!(order.items.iter().all(|item| item.done_at.is_none()));

        // The burger is done: the order is being made.
        let burger = mark(&[0], true);
        let first = marked(&app, &k.grill.token, &order, &burger).await;
        assert_eq!(first.outcome, Outcome::Applied);
        let preparing = first.order.clone().unwrap();
        assert_eq!(preparing.status, OrderStatus::Preparing);
        assert!(preparing.preparing_at.is_some());
        assert!(preparing.items[0].done_at.is_some() && preparing.items[1].done_at.is_none());
        // The same command again gets the recorded result; the same mark as a new command changes nothing.
        assert_eq!(marked(&app, &k.grill.token, &order, &burger).await, first);
        let again = marked(&app, &k.pass.token, &order, &mark(&[0], true)).await;
        assert_eq!(again.outcome, Outcome::Unchanged);
        assert_eq!(again.order.as_ref(), Some(&preparing));

        // The fries too: every line is done, so the order is ready.
        let ready = marked(&app, &k.grill.token, &order, &mark(&[1, 0, 1], true)).await.order.unwrap();
        assert_eq!(ready.status, OrderStatus::Ready);
        assert!(ready.all_items_done());
        assert!(ready.ready_at.is_some());
        assert_eq!(ready.items[0].done_at, preparing.items[0].done_at, "a line's done time is its first");

        // Taking the fries back: not ready after all.
        let undone = marked(&app, &k.grill.token, &order, &mark(&[1], false)).await;
        assert_eq!(undone.outcome, Outcome::Applied);
        let undone = undone.order.unwrap();
        assert_eq!(undone.status, OrderStatus::Preparing);
        assert!(undone.ready_at.is_none(), "it was not ready");
        assert_eq!(undone.preparing_at, preparing.preparing_at);
        assert!(undone.items[1].done_at.is_none() && undone.items[0].done_at.is_some());
        // Taking back what is not marked changes nothing.
        assert_eq!(marked(&app, &k.grill.token, &order, &mark(&[1], false)).await.outcome, Outcome::Unchanged);
        let ready = marked(&app, &k.grill.token, &order, &mark(&[1], true)).await.order.unwrap();
        assert_eq!(ready.status, OrderStatus::Ready);
        let statuses: Vec<OrderStatus> = ready.history.iter().map(|step| step.status).collect();
        use OrderStatus::*;
        assert_eq!(statuses, [Placed, Preparing, Ready, Preparing, Ready]);

        // A line the order does not have: refused with the reason, nothing changes.
        let error = expect_error(post_mark(&app, &k.grill.token, &order, &mark(&[2], true)).await, StatusCode::CONFLICT, "conflict").await;
        assert!(error.error.message.contains("no line 2"), "{error:?}");
        // Requests that cannot be right anywhere: no lines, a line past any order's, no command id.
        for body in [json!({"command_id": Uuid::now_v7(), "items": []}), json!({"command_id": Uuid::now_v7(), "items": [50]}),
            json!({"command_id": Uuid::now_v7(), "items": [-1]}), json!({"items": [0]})] {
            let error = expect_error(app.post(&format!("orders/{}/items", order.id), Some(&k.grill.token), &body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            if body.get("command_id").is_some() {
                assert!(error.error.fields.unwrap().0.keys().any(|f| f.starts_with("items")), "{body}");
            }
        }
        // Kiosks do not work orders; an order nobody has is not found.
        expect_error(post_mark(&app, &k.kiosk.token, &order, &mark(&[0], false)).await, StatusCode::FORBIDDEN, "forbidden").await;
        let ghost = Order { id: Uuid::now_v7(), ..order.clone() };
        expect_error(post_mark(&app, &k.grill.token, &ghost, &mark(&[0], true)).await, StatusCode::NOT_FOUND, "not_found").await;

        // Once handed over or cancelled, an order is no longer the kitchen's to mark.
        bump(&app, &k.pass.token, &order, "complete").await;
        let error = expect_error(post_mark(&app, &k.grill.token, &order, &mark(&[0], false)).await, StatusCode::CONFLICT, "conflict").await;
        assert!(error.error.message.contains("no longer in the kitchen"), "{error:?}");
        let cancelled = two_lines(&app, &k).await;
        bump(&app, &k.pass.token, &cancelled, "cancel").await;
        let error = expect_error(post_mark(&app, &k.grill.token, &cancelled, &mark(&[0], true)).await, StatusCode::CONFLICT, "conflict").await;
        assert!(error.error.message.contains("no longer in the kitchen"), "{error:?}");
        let still: Order = expect_json(app.get(&format!("orders/{}", cancelled.id), &k.grill.token).await, StatusCode::OK).await;
        assert!(still.items.iter().all(|item| item.done_at.is_none()));
        assert_eq!(still.status, OrderStatus::Cancelled);

        // Staff of any role and admin devices mark lines as screens do.
        let (_, cook) = app.user(&k.restaurant, "staff").await;
        let third = two_lines(&app, &k).await;
        assert_eq!(marked(&app, &cook, &third, &mark(&[0], true)).await.outcome, Outcome::Applied);
        let admin = app.pair(&k.restaurant, DeviceKind::Admin).await;
        assert_eq!(marked(&app, &admin.token, &third, &mark(&[1], true)).await.order.unwrap().status, OrderStatus::Ready);
    }

    async fn the_kitchen_marks_lines_over_the_socket_and_every_screen_hears_it_once(app: TestApp) {
        let k = kitchen(&app).await;
        let order = two_lines(&app, &k).await;
        let head = app.store.head(k.restaurant.tenant.id).await.unwrap();
        let (mut grill, _, _) = SyncClient::connect(app.addr, &k.grill.token, Some(head.epoch), head.seq).await;
        let (mut pass, _, _) = SyncClient::connect(app.addr, &k.pass.token, Some(head.epoch), head.seq).await;
        let (mut kiosk, _, _) = SyncClient::connect(app.addr, &k.kiosk.token, Some(head.epoch), head.seq).await;

        let fries = mark(&[1], true);
        grill.send(&ClientMessage::MarkItems { order_id: order.id, change: fries.clone() }).await;
        let (command_id, first) = ack(&mut grill).await;
        assert_eq!(command_id, fries.command_id);
        assert_eq!(first.outcome, Outcome::Applied);
        assert_eq!(first.order.as_ref().unwrap().status, OrderStatus::Preparing);
        // A retry (the ack was lost, say) gets the recorded result, and announces nothing new.
        grill.send(&ClientMessage::MarkItems { order_id: order.id, change: fries.clone() }).await;
        assert_eq!(ack(&mut grill).await, (fries.command_id, first.clone()));
        let burger = mark(&[0], true);
        grill.send(&ClientMessage::MarkItems { order_id: order.id, change: burger.clone() }).await;
        let (_, ready) = ack(&mut grill).await;
        assert_eq!(ready.order.as_ref().unwrap().status, OrderStatus::Ready);

        // The pass hears exactly one change per command taken, in order, whole.
        let heard = pass.events(2).await;
        assert_eq!(heard.len(), 2, "{heard:?}");
        let orders: Vec<&Order> = heard.iter().map(|e| match &e.event {
            Event::OrderUpserted { order } => order,
            other => panic!("unexpected {other:?}"),
        }).collect();
        assert_eq!(orders[0], first.order.as_ref().unwrap());
        assert_eq!(orders[1], ready.order.as_ref().unwrap());
        assert_eq!(app.store.head(k.restaurant.tenant.id).await.unwrap().seq, head.seq + 2);

        // Refusals are acked with their reason: a line the order lacks, a kiosk, a ticket handed over.
        let missing = mark(&[7], true);
        grill.send(&ClientMessage::MarkItems { order_id: order.id, change: missing }).await;
        let (_, refused) = ack(&mut grill).await;
        assert_eq!(refused.outcome, Outcome::Rejected);
        assert!(refused.reason.unwrap().contains("no line 7"));
        kiosk.send(&ClientMessage::MarkItems { order_id: order.id, change: mark(&[0], false) }).await;
        let (_, refused) = ack(&mut kiosk).await;
        assert_eq!(refused.outcome, Outcome::Rejected);
        let invalid = ItemsDoneRequest { command_id: Uuid::now_v7(), items: Vec::new(), done: true };
        grill.send(&ClientMessage::MarkItems { order_id: order.id, change: invalid }).await;
        assert_eq!(ack(&mut grill).await.1.outcome, Outcome::Rejected);
        bump(&app, &k.pass.token, &order, "complete").await;
        grill.send(&ClientMessage::MarkItems { order_id: order.id, change: mark(&[0], false) }).await;
        // (The completion's event comes first; `ack` reads past it.)
        let (_, late) = ack(&mut grill).await;
        assert_eq!(late.outcome, Outcome::Rejected);
        assert!(late.reason.unwrap().contains("no longer in the kitchen"));
        let still: Order = expect_json(app.get(&format!("orders/{}", order.id), &k.pass.token).await, StatusCode::OK).await;
        assert_eq!(still.status, OrderStatus::Completed);
        assert!(still.all_items_done());
    }

    async fn an_orders_history_says_who_moved_it_and_when(app: TestApp) {
        let k = kitchen(&app).await;
        let order = two_lines(&app, &k).await;
        assert_eq!(order.history.len(), 1);
        let placed = &order.history[0];
        assert_eq!(placed.status, OrderStatus::Placed);
        assert_eq!(placed.at, order.placed_at);
        assert_eq!(placed.device_id, Some(k.kiosk.device.id));
        assert_eq!(placed.by.as_deref(), Some("Kiosk by the door"));

        let (manager, manager_token) = app.user(&k.restaurant, "manager").await;
        bump(&app, &k.grill.token, &order, "start").await;
        // A stale bump moves nothing and adds no step.
        bump(&app, &k.pass.token, &order, "start").await;
        bump(&app, &manager_token, &order, "ready").await;
        bump(&app, &k.pass.token, &order, "complete").await;
        let recalled = bump(&app, &k.grill.token, &order, "recall").await;

        let steps: Vec<(OrderStatus, Option<Uuid>, Option<&str>)> =
            recalled.history.iter().map(|s| (s.status, s.device_id, s.by.as_deref())).collect();
        assert_eq!(steps, [
            (OrderStatus::Placed, Some(k.kiosk.device.id), Some("Kiosk by the door")),
            (OrderStatus::Preparing, Some(k.grill.device.id), Some("Grill screen")),
            (OrderStatus::Ready, None, Some(manager.name.as_str())),
            (OrderStatus::Completed, Some(k.pass.device.id), Some("Pass screen")),
            (OrderStatus::Ready, Some(k.grill.device.id), Some("Grill screen")),
        ]);
        assert!(recalled.history.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
        assert_eq!(recalled.history[1].at, recalled.preparing_at.unwrap());
        assert_eq!(recalled.last_step(OrderStatus::Ready).and_then(|s| s.by.as_deref()), Some("Grill screen"), "who recalled it");
        assert_eq!(recalled.last_step(OrderStatus::Completed).and_then(|s| s.by.as_deref()), Some("Pass screen"));

        // The same history everywhere an order is read: by id, in the list, in a snapshot.
        let by_id: Order = expect_json(app.get(&format!("orders/{}", order.id), &k.pass.token).await, StatusCode::OK).await;
        assert_eq!(by_id.history, recalled.history);
        let page: ordera_protocol::orders::OrderPage = expect_json(app.get("orders", &k.restaurant.token).await, StatusCode::OK).await;
        assert_eq!(page.orders[0].history, recalled.history);
        let snapshot: ordera_protocol::sync::Snapshot = expect_json(app.get("sync/snapshot", &k.grill.token).await, StatusCode::OK).await;
        assert_eq!(snapshot.orders[0].history, recalled.history);

        // A cancellation says who called it off; an order a person placed names the person.
        let by_hand = app.place_order(&manager_token, &[(k.fries.id, 1)]).await;
        assert_eq!((by_hand.history[0].device_id, by_hand.history[0].by.as_deref()), (None, Some(manager.name.as_str())));
        let cancelled = bump(&app, &k.pass.token, &by_hand, "cancel").await;
        let last = cancelled.history.last().unwrap();
        assert_eq!((last.status, last.by.as_deref()), (OrderStatus::Cancelled, Some("Pass screen")));
        assert_eq!(last.at, cancelled.cancelled_at.unwrap());
    }

    async fn a_kitchen_screens_ping_shows_in_the_device_list_with_how_far_behind_it_is(app: TestApp) {
        let k = kitchen(&app).await;
        for _ in 0..3 {
            two_lines(&app, &k).await;
        }
        let head = app.store.head(k.restaurant.tenant.id).await.unwrap();
        let (mut grill, _, _) = SyncClient::connect(app.addr, &k.grill.token, Some(head.epoch), head.seq - 2).await;
        // Before any report the list says nothing of positions.
        let devices: Vec<Device> = expect_json(app.get("devices", &k.restaurant.token).await, StatusCode::OK).await;
        assert!(devices.iter().all(|d| d.position.is_none() && d.behind.is_none() && d.outbox.is_none()), "{devices:?}");

        // The screen says it has applied up to two events short of the head, with one change waiting.
        let before = chrono::Utc::now();
        grill.send(&ClientMessage::Ping { nonce: 1, outbox: Some(1), position: Some(head.seq - 2) }).await;
        pong(&mut grill, 1).await;
        let device = |devices: &[Device], id: Uuid| devices.iter().find(|d| d.id == id).cloned().unwrap();
        let listed = poll_devices(&app, &k.restaurant.token, |devices| device(devices, k.grill.device.id).position.is_some()).await;
        let grill_row = device(&listed, k.grill.device.id);
        assert_eq!(grill_row.position, Some(head.seq - 2));
        assert_eq!(grill_row.behind, Some(2));
        assert_eq!(grill_row.outbox, Some(1));
        assert!(grill_row.position_at.unwrap() >= before - chrono::Duration::seconds(1));
        // A screen that never reported says nothing of it.
        let pass_row = device(&listed, k.pass.device.id);
        assert_eq!((pass_row.position, pass_row.behind, pass_row.outbox), (None, None, None));

        // The log moves on without the screen: it is further behind.
        two_lines(&app, &k).await;
        let listed: Vec<Device> = expect_json(app.get("devices", &k.restaurant.token).await, StatusCode::OK).await;
        assert_eq!(device(&listed, k.grill.device.id).behind, Some(3));

        // Its latest report is kept even when it came sooner than the socket writes again: here the screen
        // catches up and leaves.
        let now_head = app.store.head(k.restaurant.tenant.id).await.unwrap();
        grill.send(&ClientMessage::Ping { nonce: 2, outbox: Some(0), position: Some(now_head.seq) }).await;
        pong(&mut grill, 2).await;
        grill.close().await;
        let listed = poll_devices(&app, &k.restaurant.token, |devices| device(devices, k.grill.device.id).behind == Some(0)).await;
        assert_eq!(device(&listed, k.grill.device.id).outbox, Some(0));

        // A position past the head (a screen from before a reset) is not "ahead": it is not behind.
        let (mut pass, _, _) = SyncClient::connect(app.addr, &k.pass.token, None, now_head.seq).await;
        pass.send(&ClientMessage::Ping { nonce: 3, outbox: None, position: Some(now_head.seq + 50) }).await;
        pong(&mut pass, 3).await;
        let listed = poll_devices(&app, &k.restaurant.token, |devices| device(devices, k.pass.device.id).position.is_some()).await;
        assert_eq!(device(&listed, k.pass.device.id).behind, Some(0));
        assert_eq!(device(&listed, k.pass.device.id).outbox, None);

        // Reports are not events: the log did not move for them.
        assert_eq!(app.store.head(k.restaurant.tenant.id).await.unwrap(), now_head);
    }
}

/// The device list once `ready` holds for it: a report is written by the socket's task after its pong, and
/// on close after the socket is gone, so a test waits for it rather than reads at once.
async fn poll_devices(app: &TestApp, token: &str, ready: impl Fn(&[Device]) -> bool) -> Vec<Device> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let devices: Vec<Device> = expect_json(app.get("devices", token).await, StatusCode::OK).await;
        if ready(&devices) {
            return devices;
        }
        assert!(tokio::time::Instant::now() < deadline, "the report never showed: {devices:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
