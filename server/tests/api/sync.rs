//! The sync stream end to end, through a real WebSocket client.

use ordera_protocol::orders::{Outcome, StatusAction, StatusChangeRequest};
use ordera_protocol::sync::{close, ClientMessage, Event, ServerMessage, Snapshot};
use ordera_protocol::{DeviceKind, OrderStatus};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;
use crate::ws::SyncClient;

struct Shop {
    restaurant: Restaurant,
    kiosk: String,
    kds: String,
    fries: ordera_protocol::api::Product,
}

async fn shop(app: &TestApp) -> Shop {
    let restaurant = app.restaurant("Soho").await;
    let sides = app.category(&restaurant, "Sides").await;
    let fries = app.product(&restaurant, &sides, "Fries", 395).await;
    let kiosk = app.pair(&restaurant, DeviceKind::Kiosk).await.token;
    let kds = app.pair(&restaurant, DeviceKind::Kds).await.token;
    Shop { restaurant, kiosk, kds, fries }
}

fn place(id: Uuid, product: Uuid) -> ClientMessage {
    let order = serde_json::from_value(order_body(id, &[(product, 1)])).unwrap();
    ClientMessage::PlaceOrder { command_id: id, order }
}

both! {
    async fn a_kitchen_screen_starts_from_a_snapshot_and_hears_each_new_order_live(app: TestApp) {
        let s = shop(&app).await;
        let snapshot: Snapshot = expect_json(app.get("sync/snapshot", &s.kds).await, StatusCode::OK).await;
        assert_eq!(snapshot.tenant.id, s.restaurant.tenant.id);
        assert_eq!(snapshot.products.len(), 1);
        assert!(snapshot.orders.is_empty());
        let head = app.store.head(s.restaurant.tenant.id).await.unwrap();
        assert_eq!(snapshot.cursor, head, "the snapshot's cursor is the log position it reflects");

        let (mut kds, welcome, replayed) = SyncClient::connect(app.addr, &s.kds, Some(snapshot.cursor.epoch), snapshot.cursor.seq).await;
        assert_eq!(welcome, head);
        assert!(replayed.is_empty());
        let order = app.place_order(&s.kiosk, &[(s.fries.id, 2)]).await;
        let events = kds.events(1).await;
        assert_eq!(events[0].seq, head.seq + 1);
        assert!(matches!(&events[0].event, Event::OrderUpserted { order: o } if o.id == order.id && o.number == 1));

        // A later snapshot carries the order for the kitchen, and a kiosk's carries only its own.
        let later: Snapshot = expect_json(app.get("sync/snapshot", &s.kds).await, StatusCode::OK).await;
        assert_eq!(later.orders.iter().map(|o| o.id).collect::<Vec<_>>(), [order.id]);
        assert_eq!(later.cursor.seq, head.seq + 1);
        let other_kiosk = app.pair(&s.restaurant, DeviceKind::Kiosk).await.token;
        let theirs: Snapshot = expect_json(app.get("sync/snapshot", &other_kiosk).await, StatusCode::OK).await;
        assert!(theirs.orders.is_empty());
        let mine: Snapshot = expect_json(app.get("sync/snapshot", &s.kiosk).await, StatusCode::OK).await;
        assert_eq!(mine.orders.len(), 1);
    }

    async fn a_screen_that_was_away_receives_exactly_what_it_missed_in_order(app: TestApp) {
        let s = shop(&app).await;
        let (kds, head, _) = SyncClient::connect(app.addr, &s.kds, None, app.store.head(s.restaurant.tenant.id).await.unwrap().seq).await;
        let away_from = kds.last.max(head.seq);
        kds.close().await;
        let mut placed = Vec::new();
        for _ in 0..5 {
            placed.push(app.place_order(&s.kiosk, &[(s.fries.id, 1)]).await.id);
        }
        app.patch(&format!("products/{}", s.fries.id), &s.restaurant.token, &json!({"price": 450})).await;
        let (mut kds, head, missed) = SyncClient::connect(app.addr, &s.kds, Some(head.epoch), away_from).await;
        let seqs: Vec<i64> = missed.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, ((away_from + 1)..=head.seq).collect::<Vec<_>>(), "every missed event once, in order");
        let orders: Vec<Uuid> = missed.iter().filter_map(|e| match &e.event { Event::OrderUpserted { order } => Some(order.id), _ => None }).collect();
        assert_eq!(orders, placed);
        assert!(matches!(&missed.last().unwrap().event, Event::ProductUpserted { product } if product.price.0 == 450));
        // And it is live again.
        app.place_order(&s.kiosk, &[(s.fries.id, 1)]).await;
        assert_eq!(kds.events(1).await[0].seq, head.seq + 1);
    }

    async fn a_long_absence_replays_in_pages_without_gaps(app: TestApp) {
        let s = shop(&app).await;
        for n in 0..(ordera_server::sync::REPLAY_PAGE as usize + 20) {
            let body = json!({"price": 100 + n});
            app.patch(&format!("products/{}", s.fries.id), &s.restaurant.token, &body).await;
        }
        let (_, head, replayed) = SyncClient::connect(app.addr, &s.kds, None, 0).await;
        let seqs: Vec<i64> = replayed.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=head.seq).collect::<Vec<_>>());
    }

    async fn commands_over_the_socket_are_acked_after_commit_exactly_once(app: TestApp) {
        let s = shop(&app).await;
        let (mut kiosk, head, _) = SyncClient::connect(app.addr, &s.kiosk, None, 0).await;
        let (mut kds, _, _) = SyncClient::connect(app.addr, &s.kds, Some(head.epoch), head.seq).await;
        let id = Uuid::now_v7();
        kiosk.send(&place(id, s.fries.id)).await;
        let first = loop {
            if let ServerMessage::Ack { command_id, result } = kiosk.recv().await {
                assert_eq!(command_id, id);
                break result;
            }
        };
        assert_eq!(first.outcome, Outcome::Applied);
        let order = first.order.unwrap();
        assert_eq!(order.number, 1);
        // The kitchen hears it; the kiosk's retry (after a timeout, say) gets the same ticket back.
        assert!(matches!(&kds.events(1).await[0].event, Event::OrderUpserted { order: o } if o.id == id));
        kiosk.send(&place(id, s.fries.id)).await;
        let retry = loop {
            if let ServerMessage::Ack { result, .. } = kiosk.recv().await { break result; }
        };
        assert_eq!(retry.outcome, Outcome::Unchanged);
        assert_eq!(retry.order.unwrap().number, 1);

        // The kitchen bumps it over the socket.
        let change = StatusChangeRequest { command_id: Uuid::now_v7(), action: StatusAction::Start, reason: None };
        kds.send(&ClientMessage::ChangeStatus { order_id: id, change: change.clone() }).await;
        let bumped = loop {
            if let ServerMessage::Ack { command_id, result } = kds.recv().await {
                assert_eq!(command_id, change.command_id);
                break result;
            }
        };
        assert_eq!(bumped.order.unwrap().status, OrderStatus::Preparing);
        // Refusals are acked with their reason: a kiosk may not bump; an unknown order; sold out.
        kiosk.send(&ClientMessage::ChangeStatus { order_id: id, change: change.clone() }).await;
        let refused = loop { if let ServerMessage::Ack { result, .. } = kiosk.recv().await { break result; } };
        assert_eq!(refused.outcome, Outcome::Rejected);
        let unknown = StatusChangeRequest { command_id: Uuid::now_v7(), action: StatusAction::Start, reason: None };
        kds.send(&ClientMessage::ChangeStatus { order_id: Uuid::now_v7(), change: unknown }).await;
        let missing = loop { if let ServerMessage::Ack { result, .. } = kds.recv().await { break result; } };
        assert_eq!(missing.outcome, Outcome::Rejected);
        assert!(missing.reason.unwrap().contains("not found"));
        let history: ordera_protocol::orders::OrderPage = expect_json(app.get("orders", &s.restaurant.token).await, StatusCode::OK).await;
        assert_eq!(history.total, 1);
    }

    async fn a_cursor_that_cannot_be_continued_gets_a_resync(app: TestApp) {
        let s = shop(&app).await;
        let head = app.store.head(s.restaurant.tenant.id).await.unwrap();
        for (epoch, since) in [(Some(head.epoch + 1), head.seq), (Some(head.epoch), head.seq + 5), (None, -1)] {
            let mut client = SyncClient::open(app.addr).await;
            client.send(&ClientMessage::Hello { token: s.kds.clone(), epoch, since, app_version: None }).await;
            assert!(matches!(client.recv().await, ServerMessage::Welcome { .. }));
            assert!(matches!(client.recv().await, ServerMessage::Resync { epoch: e, .. } if e == head.epoch), "{epoch:?} {since}");
        }
        // After the log is pruned, an old cursor cannot be continued either, but a current one can.
        app.store.prune(chrono::Utc::now() + chrono::Duration::days(1)).await.unwrap();
        let mut old = SyncClient::open(app.addr).await;
        old.send(&ClientMessage::Hello { token: s.kds.clone(), epoch: Some(head.epoch), since: 1, app_version: None }).await;
        old.recv().await;
        assert!(matches!(old.recv().await, ServerMessage::Resync { .. }));
        let (_, _, replayed) = SyncClient::connect(app.addr, &s.kds, Some(head.epoch), head.seq).await;
        assert!(replayed.is_empty());
    }

    async fn bad_frames_and_bad_tokens_get_clear_answers_and_the_server_stays_up(app: TestApp) {
        let s = shop(&app).await;
        // Before hello: anything else closes with the protocol code.
        let mut client = SyncClient::open(app.addr).await;
        client.send_raw("{not json".into()).await;
        assert_eq!(client.expect_close().await.0, close::PROTOCOL);
        let mut client = SyncClient::open(app.addr).await;
        client.send(&ClientMessage::Ping { nonce: 1, outbox: None, position: None }).await;
        assert_eq!(client.expect_close().await.0, close::PROTOCOL);
        // Silence: closed once the hello timeout (1 s in tests) passes.
        let mut silent = SyncClient::open(app.addr).await;
        assert_eq!(silent.expect_close().await.0, close::HELLO_TIMEOUT);
        // Bad tokens.
        for token in ["ord_nonsense", ""] {
            let mut client = SyncClient::open(app.addr).await;
            client.send(&ClientMessage::Hello { token: token.into(), epoch: None, since: 0, app_version: None }).await;
            assert_eq!(client.expect_close().await.0, close::UNAUTHORIZED);
        }

        // After hello: bad messages get an error and the session goes on.
        let (mut kds, _, _) = SyncClient::connect(app.addr, &s.kds, None, 0).await;
        kds.send_raw("][".into()).await;
        assert!(matches!(kds.recv().await, ServerMessage::Error { code, .. } if code == "bad_message"));
        kds.send_raw(r#"{"type":"launch_rockets"}"#.into()).await;
        assert!(matches!(kds.recv().await, ServerMessage::Error { .. }));
        kds.send_raw(r#"{"type":"place_order","command_id":"x"}"#.into()).await;
        assert!(matches!(kds.recv().await, ServerMessage::Error { .. }));
        kds.send(&ClientMessage::Ping { nonce: 42, outbox: Some(3), position: None }).await;
        assert_eq!(kds.recv().await, ServerMessage::Pong { nonce: 42 });
        // A second hello is a protocol error.
        kds.send(&ClientMessage::Hello { token: s.kds.clone(), epoch: None, since: 0, app_version: None }).await;
        assert_eq!(kds.expect_close().await.0, close::PROTOCOL);
        // An oversized message closes with 1009.
        let (mut big, _, _) = SyncClient::connect(app.addr, &s.kds, None, 0).await;
        big.send_raw(format!(r#"{{"type":"ping","nonce":1,"pad":"{}"}}"#, "x".repeat(100 * 1024))).await;
        assert_eq!(big.expect_close().await.0, 1009);

        // Nothing changed, and the server is fine.
        let history: ordera_protocol::orders::OrderPage = expect_json(app.get("orders", &s.restaurant.token).await, StatusCode::OK).await;
        assert_eq!(history.total, 0);
        expect_status(app.request(Method::GET, "/healthz", None).send().await.unwrap(), StatusCode::OK).await;
    }

    async fn a_revoked_device_loses_its_stream_at_once(app: TestApp) {
        let s = shop(&app).await;
        let kiosk = app.pair(&s.restaurant, DeviceKind::Kiosk).await;
        let (mut client, _, _) = SyncClient::connect(app.addr, &kiosk.token, None, 0).await;
        app.post(&format!("devices/{}/revoke", kiosk.device.id), Some(&s.restaurant.token), &json!({})).await;
        let (code, reason) = client.expect_close().await;
        assert_eq!(code, close::UNAUTHORIZED, "{reason}");
        let mut again = SyncClient::open(app.addr).await;
        again.send(&ClientMessage::Hello { token: kiosk.token.clone(), epoch: None, since: 0, app_version: None }).await;
        assert_eq!(again.expect_close().await.0, close::UNAUTHORIZED);
    }

    async fn another_restaurants_order_ids_are_unknown_over_the_socket(app: TestApp) {
        let a = shop(&app).await;
        let b = shop(&app).await;
        let a_order = app.place_order(&a.kiosk, &[(a.fries.id, 1)]).await;
        let (mut b_kds, _, replayed) = SyncClient::connect(app.addr, &b.kds, None, 0).await;
        assert!(replayed.iter().all(|e| !matches!(&e.event, Event::OrderUpserted { order } if order.id == a_order.id)));
        let change = StatusChangeRequest { command_id: Uuid::now_v7(), action: StatusAction::Cancel, reason: Some("mine".into()) };
        b_kds.send(&ClientMessage::ChangeStatus { order_id: a_order.id, change }).await;
        let result = loop { if let ServerMessage::Ack { result, .. } = b_kds.recv().await { break result; } };
        assert_eq!(result.outcome, Outcome::Rejected);
        let still: ordera_protocol::orders::Order = expect_json(app.get(&format!("orders/{}", a_order.id), &a.kds).await, StatusCode::OK).await;
        assert_eq!(still.status, OrderStatus::Placed);
        // B's screen hears nothing of A's orders.
        app.place_order(&a.kiosk, &[(a.fries.id, 1)]).await;
        app.place_order(&b.kiosk, &[(b.fries.id, 1)]).await;
        let events = b_kds.events(1).await;
        assert!(matches!(&events[0].event, Event::OrderUpserted { order } if order.items[0].product_id == b.fries.id));
    }
}

both! {
    async fn every_device_hears_menu_stock_order_settings_and_device_changes_live(app: TestApp) {
        let s = shop(&app).await;
        let head = app.store.head(s.restaurant.tenant.id).await.unwrap();
        let (mut kiosk_socket, _, _) = SyncClient::connect(app.addr, &s.kiosk, Some(head.epoch), head.seq).await;
        let (mut kds_socket, _, _) = SyncClient::connect(app.addr, &s.kds, Some(head.epoch), head.seq).await;
        let spare = app.pair(&s.restaurant, DeviceKind::Kds).await;
        app.patch(&format!("products/{}", s.fries.id), &s.restaurant.token, &json!({"stock": 1})).await;
        let order = app.place_order(&s.kiosk, &[(s.fries.id, 1)]).await;
        let bump = json!({"command_id": Uuid::now_v7(), "action": "ready"});
        app.post(&format!("orders/{}/status", order.id), Some(&s.kds), &bump).await;
        let renamed: ordera_protocol::api::Tenant = expect_json(
            app.patch("tenant", &s.restaurant.token, &json!({"name": "Soho Central", "timezone": "Europe/Dublin"})).await,
            StatusCode::OK,
        ).await;
        assert_eq!((renamed.name.as_str(), renamed.timezone.as_str()), ("Soho Central", "Europe/Dublin"));
        app.post(&format!("devices/{}/revoke", spare.device.id), Some(&s.restaurant.token), &json!({})).await;

        // The kiosk placed the order; the device list is the staff's, so the kiosk hears that something
        // happened there (its position moves on) and nothing more.
        for (socket, device) in [(&mut kiosk_socket, "withheld"), (&mut kds_socket, "device")] {
            let events = socket.events(7).await;
            let kinds: Vec<&str> = events.iter().map(|e| match &e.event {
                Event::DeviceUpserted { .. } => "device",
                Event::ProductUpserted { product } if product.stock == Some(1) => "restocked",
                Event::ProductUpserted { product } if product.stock == Some(0) => "sold out",
                Event::OrderUpserted { order } if order.status == OrderStatus::Placed => "placed",
                Event::OrderUpserted { order } if order.status == OrderStatus::Ready => "ready",
                Event::TenantUpdated { tenant } if tenant.name == "Soho Central" => "settings",
                Event::DeviceRevoked { id } if *id == spare.device.id => "revoked",
                Event::Withheld => "withheld",
                other => panic!("unexpected {other:?}"),
            }).collect();
            let revoked = if device == "device" { "revoked" } else { "withheld" };
            assert_eq!(kinds, [device, "restocked", "sold out", "placed", "ready", "settings", revoked]);
        }

        // Settings are for owners and managers, and are checked.
        let (_, staff) = app.user(&s.restaurant, "staff").await;
        expect_error(app.patch("tenant", &staff, &json!({"name": "Mine"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.patch("tenant", &s.kds, &json!({"name": "Mine"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        let bad = expect_error(app.patch("tenant", &s.restaurant.token, &json!({"timezone": "Soho/Central"})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(bad.error.fields.unwrap().0.contains_key("timezone"));
    }

    // A kiosk faces customers: another kiosk's orders (and its customers' notes), orders taken at the
    // counter, refusals of other devices and the device list never reach its socket, by any of the three
    // ways in (snapshot, replay, live); it hears that something happened, so its cursor stays gapless.
    async fn a_kiosk_receives_nothing_of_other_devices_orders_refusals_or_the_device_list(app: TestApp) {
        let s = shop(&app).await;
        let tenant = s.restaurant.tenant.id;
        let other_kiosk = app.pair(&s.restaurant, DeviceKind::Kiosk).await;
        let head = app.store.head(tenant).await.unwrap();
        let (mut live, _, _) = SyncClient::connect(app.addr, &s.kiosk, Some(head.epoch), head.seq).await;

        let order = |note: &str, product: Uuid, quantity: i64| {
            json!({"id": Uuid::now_v7(), "order_type": "takeaway", "note": note,
                   "items": [{"product_id": product, "quantity": quantity}]})
        };
        let own = order("own-note-for-table-4", s.fries.id, 1);
        expect_status(app.post("orders", Some(&s.kiosk), &own).await, StatusCode::CREATED).await;
        let theirs = order("their-secret-note", s.fries.id, 2);
        expect_status(app.post("orders", Some(&other_kiosk.token), &theirs).await, StatusCode::CREATED).await;
        let counter = order("counter-secret-note", s.fries.id, 1);
        expect_status(app.post("orders", Some(&s.restaurant.token), &counter).await, StatusCode::CREATED).await;
        // Each kiosk has an order refused: the last fries went above.
        app.patch(&format!("products/{}", s.fries.id), &s.restaurant.token, &json!({"stock": 0})).await;
        let own_refused = order("own-refused-note", s.fries.id, 1);
        expect_status(app.post("orders", Some(&s.kiosk), &own_refused).await, StatusCode::CONFLICT).await;
        let their_refused = order("their-refused-note", s.fries.id, 1);
        expect_status(app.post("orders", Some(&other_kiosk.token), &their_refused).await, StatusCode::CONFLICT).await;
        let code: ordera_protocol::api::PairingCodeResponse = expect_json(
            app.post("devices/pairing-codes", Some(&s.restaurant.token), &json!({"kind": "kds", "name": "Secret grill screen"})).await,
            StatusCode::CREATED,
        ).await;
        expect_status(app.post("devices/pair", None, &json!({"code": code.code})).await, StatusCode::CREATED).await;
        let head = app.store.head(tenant).await.unwrap();

        let secrets = [
            theirs["id"].as_str().unwrap(), "their-secret-note", counter["id"].as_str().unwrap(),
            "counter-secret-note", their_refused["id"].as_str().unwrap(), "their-refused-note",
            "Secret grill screen", "Test kds",
        ];
        let ours = [own["id"].as_str().unwrap(), "own-note-for-table-4", own_refused["id"].as_str().unwrap(), "own-refused-note"];

        // Live, then replayed from the start of the log.
        let events = live.events((head.seq - live.last) as usize).await;
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), ((head.seq - events.len() as i64 + 1)..=head.seq).collect::<Vec<_>>(), "gapless");
        assert!(events.iter().any(|e| e.event == Event::Withheld));
        let (replay, _, replayed) = SyncClient::connect(app.addr, &s.kiosk, Some(head.epoch), 0).await;
        assert_eq!(replayed.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=head.seq).collect::<Vec<_>>(), "gapless");
        let snapshot = app.get("sync/snapshot", &s.kiosk).await.text().await.unwrap();
        let parsed: Snapshot = serde_json::from_str(&snapshot).unwrap();
        assert_eq!(parsed.orders.len(), 1, "its own order only");
        assert_eq!(parsed.refusals.len(), 1, "its own refusal only");
        for (way, heard) in [("live", &live.heard), ("replay", &replay.heard), ("snapshot", &snapshot)] {
            for secret in secrets {
                assert!(!heard.contains(secret), "the kiosk's {way} carries {secret:?}:\n{heard}");
            }
            for mine in ours {
                assert!(heard.contains(mine), "the kiosk's {way} lacks its own {mine:?}");
            }
        }

        // The kitchen screen, by the same ways, hears all of it: the secrets above are real.
        let (kds, _, _) = SyncClient::connect(app.addr, &s.kds, Some(head.epoch), 0).await;
        let kds_snapshot = app.get("sync/snapshot", &s.kds).await.text().await.unwrap();
        for secret in secrets.iter().chain(&ours) {
            assert!(kds.heard.contains(secret), "the kitchen's replay lacks {secret:?}");
        }
        assert!(kds_snapshot.contains("their-secret-note") && kds_snapshot.contains("their-refused-note"));
        for socket in [live, replay, kds] {
            socket.close().await;
        }
    }
}

/// A screen that stops talking (a dead link) is closed, so it cannot sit there silently stale; one that
/// pings stays.
#[tokio::test]
async fn a_silent_screen_is_closed_and_a_pinging_one_stays() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.idle_timeout_ms = 600).await;
    let s = shop(&app).await;
    let (mut silent, _, _) = SyncClient::connect(app.addr, &s.kds, None, 0).await;
    let (mut pinging, _, _) = SyncClient::connect(app.addr, &s.kds, None, 0).await;
    for nonce in 0..6 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        pinging.send(&ClientMessage::Ping { nonce, outbox: None, position: None }).await;
        assert_eq!(pinging.recv().await, ServerMessage::Pong { nonce });
    }
    assert_eq!(silent.expect_close().await.0, close::IDLE);
}

/// A screen that stops reading (a hung app, a saturated link) fills its bounded queue and is closed
/// with the slow-consumer code, so the server never buffers without limit; it catches up by cursor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_that_stops_reading_is_closed_as_too_slow_and_catches_up_by_cursor() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.send_buffer_bytes = 16 * 1024).await;
    let s = shop(&app).await;
    for n in 0..200 {
        app.category(&s.restaurant, &format!("Category {n:03} {}", "padding ".repeat(6))).await;
    }
    let all: Vec<ordera_protocol::api::Category> =
        expect_json(app.get("categories", &s.restaurant.token).await, StatusCode::OK).await;
    let ids: Vec<Uuid> = all.iter().map(|c| c.id).collect();
    let head = app.store.head(s.restaurant.tenant.id).await.unwrap();

    // A client with a tiny receive window that reads its welcome and then nothing more.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(app.addr).await.unwrap();
    let (mut ws, _) =
        tokio_tungstenite::client_async(format!("ws://{}/api/v1/sync/ws", app.addr), stream).await.unwrap();
    let hello = ClientMessage::Hello { token: s.kds.clone(), epoch: None, since: head.seq, app_version: None };
    ws.send(Message::Text(serde_json::to_string(&hello).unwrap().into())).await.unwrap();
    let _welcome = ws.next().await;

    // Thousands of events: every reorder moves all 200 categories.
    for round in 0..15 {
        let mut order = ids.clone();
        order.rotate_left(round + 1);
        expect_status(
            app.post("categories/reorder", Some(&s.restaurant.token), &json!({"ids": order})).await,
            StatusCode::OK,
        )
        .await;
    }
    // Now it reads: what was buffered, then the close.
    let mut received = 0;
    let code = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), ws.next()).await.expect("the server acts") {
            Some(Ok(Message::Text(_))) => received += 1,
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => break None,
        }
    };
    assert_eq!(code, Some(close::SLOW_CONSUMER), "closed as too slow after {received} messages");
    assert!(received < 3000, "the server did not buffer everything: {received} messages");
    // It catches up by cursor.
    let before = head.seq;
    let (_, head, replayed) = SyncClient::connect(app.addr, &s.kds, None, before).await;
    let seqs: Vec<i64> = replayed.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, ((before + 1)..=head.seq).collect::<Vec<_>>(), "every event, once, in order");
}

/// A client that asks for the whole log and never reads (a bug, or an attack) is dropped once a write has
/// waited past the write timeout, although it keeps talking so that the idle timeout never comes, and
/// receives only a small part of the log meanwhile (the replay waits for room in its byte budget rather
/// than reading the log into memory).
#[tokio::test]
async fn a_client_that_asks_for_the_whole_log_and_never_reads_is_bounded_and_dropped() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.send_buffer_bytes = 32 * 1024;
        config.write_timeout_ms = 500;
    })
    .await;
    let s = shop(&app).await;
    let tenant = s.restaurant.tenant.id;
    // A long log: 700 large orders (50 lines, each with a long note), about 10 MB, more than the kernel's
    // socket buffers on both sides can hold, so the server's writes stall.
    let note = "no onions, extra pickles, sauce on the side, well done, ".repeat(3);
    for _ in 0..700 {
        let items: Vec<serde_json::Value> =
            (0..50).map(|_| json!({"product_id": s.fries.id, "quantity": 1, "note": note.trim()})).collect();
        let order = json!({"id": Uuid::now_v7(), "order_type": "takeaway", "items": items});
        expect_status(app.post("orders", Some(&s.restaurant.token), &order).await, StatusCode::CREATED).await;
    }
    let log: usize = app
        .store
        .events_since(tenant, 0, 100_000)
        .await
        .unwrap()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap().len())
        .sum();
    assert!(log > 8 * 1024 * 1024, "a log of {log} bytes, far over what the socket may hold");

    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(app.addr).await.unwrap();
    let (ws, _) = tokio_tungstenite::client_async(format!("ws://{}/api/v1/sync/ws", app.addr), stream).await.unwrap();
    let (mut write, mut read) = ws.split();
    let hello = ClientMessage::Hello { token: s.kds.clone(), epoch: None, since: 0, app_version: None };
    write.send(Message::Text(serde_json::to_string(&hello).unwrap().into())).await.unwrap();
    let started = std::time::Instant::now();
    while app.sockets.in_restaurant(tenant) == 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the socket was never taken in");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // It talks but never reads, until the server has let it go.
    for nonce in 0.. {
        assert!(started.elapsed() < std::time::Duration::from_secs(90), "the socket was never dropped");
        let ping = ClientMessage::Ping { nonce, outbox: None, position: None };
        let said = write.send(Message::Text(serde_json::to_string(&ping).unwrap().into())).await;
        if said.is_err() || app.sockets.in_restaurant(tenant) == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // What reached the client before it was dropped is a small part of the log.
    let mut received = 0;
    while let Ok(Some(Ok(frame))) = tokio::time::timeout(std::time::Duration::from_secs(5), read.next()).await {
        received += frame.len();
    }
    assert!(received < log / 2, "{received} of {log} bytes were sent to a client that never read");
    assert_eq!(app.sockets.in_restaurant(tenant), 0);
}

/// A device that connects again (its old link died without a word) takes over: past two sockets its
/// oldest is closed, so a device in a reconnect loop cannot pile sockets up. A restaurant holding as many
/// sockets as it may has the next refused, with a code that says so, and the others carry on.
#[tokio::test]
async fn a_device_connecting_again_closes_its_oldest_socket_and_a_full_restaurant_refuses_the_next() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.sockets_per_restaurant = 3).await;
    let s = shop(&app).await;
    let tenant = s.restaurant.tenant.id;
    let (mut first, _, _) = SyncClient::connect(app.addr, &s.kds, None, 0).await;
    let (mut second, _, _) = SyncClient::connect(app.addr, &s.kds, None, 0).await;
    let (mut third, _, _) = SyncClient::connect(app.addr, &s.kds, None, 0).await;
    assert_eq!(first.expect_close().await.0, close::REPLACED);
    assert_eq!(app.sockets.in_restaurant(tenant), 2);

    let (mut kiosk, _, _) = SyncClient::connect(app.addr, &s.kiosk, None, 0).await;
    let spare = app.pair(&s.restaurant, DeviceKind::Kds).await;
    let mut refused = SyncClient::open(app.addr).await;
    refused.send(&ClientMessage::Hello { token: spare.token.clone(), epoch: None, since: 0, app_version: None }).await;
    let (code, reason) = refused.expect_close().await;
    assert_eq!(code, close::TOO_MANY_SOCKETS, "{reason}");

    // The three left carry on.
    let order = app.place_order(&s.kiosk, &[(s.fries.id, 1)]).await;
    for socket in [&mut second, &mut third, &mut kiosk] {
        let heard = socket.events(2).await;
        assert!(
            heard.iter().any(|e| matches!(&e.event, Event::OrderUpserted { order: o } if o.id == order.id)),
            "{heard:?}"
        );
    }
    // Once one goes, there is room again.
    kiosk.close().await;
    let start = std::time::Instant::now();
    while app.sockets.in_restaurant(tenant) > 2 {
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "the closed socket's place was not given back");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (spare_socket, _, _) = SyncClient::connect(app.addr, &spare.token, None, 0).await;
    spare_socket.close().await;
}
