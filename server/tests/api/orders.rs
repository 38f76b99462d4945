use std::collections::BTreeSet;

use ordera_protocol::api::Product;
use ordera_protocol::orders::{HourlyBucket, Order, OrderPage, RefusedOrder, ReportSummary, TopProduct};
use ordera_protocol::sync::{Event, Snapshot};
use ordera_protocol::{DeviceKind, Money, OrderStatus, OrderType};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;

/// A restaurant with a kiosk, a kitchen screen, and a burger (stock 10) and fries (not counted).
struct Kitchen {
    restaurant: Restaurant,
    kiosk: String,
    kds: String,
    burger: Product,
    fries: Product,
}

async fn kitchen(app: &TestApp) -> Kitchen {
    let restaurant = app.restaurant("Soho").await;
    let mains = app.category(&restaurant, "Mains").await;
    let burger = app.product(&restaurant, &mains, "Smash Burger", 1095).await;
    let burger: Product = expect_json(
        app.patch(&format!("products/{}", burger.id), &restaurant.token, &json!({"stock": 10})).await,
        StatusCode::OK,
    )
    .await;
    let fries = app.product(&restaurant, &mains, "Fries", 395).await;
    let kiosk = app.pair(&restaurant, DeviceKind::Kiosk).await.token;
    let kds = app.pair(&restaurant, DeviceKind::Kds).await.token;
    Kitchen { restaurant, kiosk, kds, burger, fries }
}

async fn bump(app: &TestApp, token: &str, order: &Order, action: &str) -> reqwest::Response {
    let body = json!({"command_id": Uuid::now_v7(), "action": action, "reason": "customer left"});
    app.post(&format!("orders/{}/status", order.id), Some(token), &body).await
}

async fn stock(app: &TestApp, k: &Kitchen) -> Option<i64> {
    let product: Product =
        expect_json(app.get(&format!("products/{}", k.burger.id), &k.restaurant.token).await, StatusCode::OK).await;
    product.stock
}

both! {
    async fn a_kiosk_order_gets_the_next_ticket_number_with_names_and_prices_kept(app: TestApp) {
        let k = kitchen(&app).await;
        let body = json!({
            "id": Uuid::now_v7(), "order_type": "dine_in", "note": "table by the window",
            "items": [
                {"product_id": k.burger.id, "quantity": 2, "note": "no onions"},
                {"product_id": k.fries.id, "quantity": 1}
            ]
        });
        let first: Order = expect_json(app.post("orders", Some(&k.kiosk), &body).await, StatusCode::CREATED).await;
        assert_eq!(first.number, 1);
        assert_eq!(first.status, OrderStatus::Placed);
        assert_eq!(first.order_type, OrderType::DineIn);
        assert_eq!(first.total, Money(2 * 1095 + 395));
        assert_eq!(first.items[0].name, "Smash Burger");
        assert_eq!(first.items[0].note, "no onions");
        assert_eq!(first.items[0].station, "kitchen");
        assert_eq!(first.note, "table by the window");
        assert!(first.device_id.is_some());
        let tz: chrono_tz::Tz = k.restaurant.tenant.timezone.parse().unwrap();
        assert_eq!(first.business_date, chrono::Utc::now().with_timezone(&tz).date_naive());

        // A later price change does not rewrite the order.
        app.patch(&format!("products/{}", k.burger.id), &k.restaurant.token, &json!({"price": 1500})).await;
        let second = app.place_order(&k.kiosk, &[(k.burger.id, 1)]).await;
        assert_eq!(second.number, 2);
        assert_eq!(second.total, Money(1500));
        let reread: Order = expect_json(app.get(&format!("orders/{}", first.id), &k.kds).await, StatusCode::OK).await;
        assert_eq!(reread, first);
        // A signed-in user may take an order too; a kitchen screen may not.
        app.place_order(&k.restaurant.token, &[(k.fries.id, 1)]).await;
        expect_error(app.post("orders", Some(&k.kds), &order_body(Uuid::now_v7(), &[(k.fries.id, 1)])).await, StatusCode::FORBIDDEN, "forbidden").await;
    }

    async fn re_sending_an_order_returns_the_original_and_creates_nothing(app: TestApp) {
        let k = kitchen(&app).await;
        let body = order_body(Uuid::now_v7(), &[(k.burger.id, 3)]);
        let original: Order = expect_json(app.post("orders", Some(&k.kiosk), &body).await, StatusCode::CREATED).await;
        for _ in 0..3 {
            let again: Order = expect_json(app.post("orders", Some(&k.kiosk), &body).await, StatusCode::OK).await;
            assert_eq!(again, original);
        }
        assert_eq!(stock(&app, &k).await, Some(7), "stock went down once");
        let history: OrderPage = expect_json(app.get("orders", &k.restaurant.token).await, StatusCode::OK).await;
        assert_eq!(history.total, 1);
    }

    async fn fifty_concurrent_submissions_of_one_order_make_one_order(app: TestApp) {
        let k = kitchen(&app).await;
        let body = order_body(Uuid::now_v7(), &[(k.burger.id, 1), (k.fries.id, 2)]);
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (client, url, token, body) = (app.client.clone(), app.url("orders"), k.kiosk.clone(), body.clone());
                tokio::spawn(async move {
                    let response = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
                    let status = response.status();
                    (status, response.json::<Order>().await.unwrap())
                })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        assert_eq!(answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(), 1, "exactly one created it");
        assert!(answers.iter().all(|(s, _)| *s == StatusCode::CREATED || *s == StatusCode::OK));
        let numbers: BTreeSet<i64> = answers.iter().map(|(_, o)| o.number).collect();
        assert_eq!(numbers.len(), 1, "every caller was told the same ticket number");
        let ids: BTreeSet<Uuid> = answers.iter().map(|(_, o)| o.id).collect();
        assert_eq!(ids.len(), 1);
        let history: OrderPage = expect_json(app.get("orders", &k.restaurant.token).await, StatusCode::OK).await;
        assert_eq!(history.total, 1);
        assert_eq!(stock(&app, &k).await, Some(9));
        let events = app.store.events_since(k.restaurant.tenant.id, 0, 1000).await.unwrap();
        let placed = events.iter().filter(|e| matches!(e.event, Event::OrderUpserted { .. })).count();
        assert_eq!(placed, 1, "one order event in the log");
    }

    async fn stock_runs_out_at_zero_and_comes_back_on_cancel(app: TestApp) {
        let k = kitchen(&app).await;
        let error = expect_error(app.post("orders", Some(&k.kiosk), &order_body(Uuid::now_v7(), &[(k.burger.id, 11)])).await, StatusCode::CONFLICT, "conflict").await;
        assert!(error.error.message.contains("only 10 Smash Burger left"), "{error:?}");
        let error = expect_error(app.post("orders", Some(&k.kiosk), &order_body(Uuid::now_v7(), &[(k.burger.id, 6), (k.burger.id, 5)])).await, StatusCode::CONFLICT, "conflict").await;
        assert!(error.error.message.contains("left"), "lines of one product add up: {error:?}");
        assert_eq!(stock(&app, &k).await, Some(10), "a refused order changes nothing");

        let order = app.place_order(&k.kiosk, &[(k.burger.id, 10)]).await;
        assert_eq!(stock(&app, &k).await, Some(0));
        let events = app.store.events_since(k.restaurant.tenant.id, 0, 1000).await.unwrap();
        let sold_out = events.iter().rev().find_map(|e| match &e.event {
            Event::ProductUpserted { product } if product.id == k.burger.id => Some(product.clone()),
            _ => None,
        });
        assert!(sold_out.is_some_and(|p| p.stock == Some(0) && !p.orderable()), "everyone hears it is 86'd");
        let error = expect_error(app.post("orders", Some(&k.kiosk), &order_body(Uuid::now_v7(), &[(k.burger.id, 1)])).await, StatusCode::CONFLICT, "conflict").await;
        assert!(error.error.message.contains("sold out"), "{error:?}");

        // Unknown products and switched-off products are refused with their reason.
        let error = expect_error(app.post("orders", Some(&k.kiosk), &order_body(Uuid::now_v7(), &[(Uuid::now_v7(), 1)])).await, StatusCode::CONFLICT, "conflict").await;
        assert!(error.error.message.contains("no longer on the menu"), "{error:?}");
        app.patch(&format!("products/{}", k.fries.id), &k.restaurant.token, &json!({"available": false})).await;
        expect_error(app.post("orders", Some(&k.kiosk), &order_body(Uuid::now_v7(), &[(k.fries.id, 1)])).await, StatusCode::CONFLICT, "conflict").await;

        // Cancelling gives the portions back.
        let cancelled: Order = expect_json(bump(&app, &k.kds, &order, "cancel").await, StatusCode::OK).await;
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(cancelled.cancel_reason.as_deref(), Some("customer left"));
        assert_eq!(stock(&app, &k).await, Some(10));
    }

    async fn the_kitchen_moves_an_order_along_and_repeats_or_stale_bumps_change_nothing(app: TestApp) {
        let k = kitchen(&app).await;
        let order = app.place_order(&k.kiosk, &[(k.fries.id, 1)]).await;
        let start = json!({"command_id": Uuid::now_v7(), "action": "start"});
        let path = format!("orders/{}/status", order.id);
        let preparing: Order = expect_json(app.post(&path, Some(&k.kds), &start).await, StatusCode::OK).await;
        assert_eq!(preparing.status, OrderStatus::Preparing);
        assert!(preparing.preparing_at.is_some());
        // The same command again: the recorded result, nothing new.
        let repeated: Order = expect_json(app.post(&path, Some(&k.kds), &start).await, StatusCode::OK).await;
        assert_eq!(repeated, preparing);
        let ready: Order = expect_json(bump(&app, &k.kds, &order, "ready").await, StatusCode::OK).await;
        assert_eq!(ready.status, OrderStatus::Ready);
        // A second screen's stale "start" is a no-op.
        let stale: Order = expect_json(bump(&app, &k.restaurant.token, &order, "start").await, StatusCode::OK).await;
        assert_eq!(stale.status, OrderStatus::Ready);
        assert_eq!(stale.updated_at, ready.updated_at);
        // Too late to cancel.
        expect_error(bump(&app, &k.kds, &order, "cancel").await, StatusCode::CONFLICT, "conflict").await;
        let completed: Order = expect_json(bump(&app, &k.kds, &order, "complete").await, StatusCode::OK).await;
        assert!(completed.completed_at.is_some());
        let recalled: Order = expect_json(bump(&app, &k.kds, &order, "recall").await, StatusCode::OK).await;
        assert_eq!(recalled.status, OrderStatus::Ready);
        assert!(recalled.completed_at.is_none());
        assert_eq!(recalled.ready_at, ready.ready_at, "the first ready time is kept for prep times");

        // Bad input: a cancellation without a reason, an unknown action, a kiosk, an unknown order.
        let no_reason = json!({"command_id": Uuid::now_v7(), "action": "cancel"});
        let second = app.place_order(&k.kiosk, &[(k.fries.id, 1)]).await;
        expect_error(app.post(&format!("orders/{}/status", second.id), Some(&k.kds), &no_reason).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let bogus = json!({"command_id": Uuid::now_v7(), "action": "flambé"});
        expect_error(app.post(&path, Some(&k.kds), &bogus).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        expect_error(bump(&app, &k.kiosk, &order, "complete").await, StatusCode::FORBIDDEN, "forbidden").await;
        let ghost = Order { id: Uuid::now_v7(), ..order.clone() };
        expect_error(bump(&app, &k.kds, &ghost, "start").await, StatusCode::NOT_FOUND, "not_found").await;
        let unchanged: Order = expect_json(app.get(&format!("orders/{}", second.id), &k.kds).await, StatusCode::OK).await;
        assert_eq!(unchanged.status, OrderStatus::Placed);
    }

    async fn two_screens_bumping_the_same_tickets_at_once_agree(app: TestApp) {
        let k = kitchen(&app).await;
        let mut orders = Vec::new();
        for _ in 0..5 {
            orders.push(app.place_order(&k.kiosk, &[(k.fries.id, 1)]).await);
        }
        let second_kds = app.pair(&k.restaurant, DeviceKind::Kds).await.token;
        let mut tasks = Vec::new();
        for order in &orders {
            for (token, actions) in [(&k.kds, ["start", "ready", "complete"]), (&second_kds, ["start", "ready", "ready"])] {
                let (client, url, token, id) = (app.client.clone(), app.url(&format!("orders/{}/status", order.id)), token.clone(), order.id);
                tasks.push(tokio::spawn(async move {
                    for action in actions {
                        let body = json!({"command_id": Uuid::now_v7(), "action": action});
                        let response = client.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
                        assert_eq!(response.status(), StatusCode::OK, "{id} {action}");
                    }
                }));
            }
        }
        for task in tasks {
            task.await.unwrap();
        }
        for order in &orders {
            let final_state: Order = expect_json(app.get(&format!("orders/{}", order.id), &k.kds).await, StatusCode::OK).await;
            assert_eq!(final_state.status, OrderStatus::Completed, "every ticket ends completed");
        }
        // The log's order events for each ticket move strictly forward.
        let events = app.store.events_since(k.restaurant.tenant.id, 0, 10_000).await.unwrap();
        for order in &orders {
            let ranks: Vec<u8> = events.iter().filter_map(|e| match &e.event {
                Event::OrderUpserted { order: o } if o.id == order.id => Some(o.status.rank()),
                _ => None,
            }).collect();
            assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{ranks:?}");
        }
    }

    async fn ticket_numbers_restart_each_restaurant_day(app: TestApp) {
        let k = kitchen(&app).await;
        let first = app.place_order(&k.kiosk, &[(k.fries.id, 1)]).await;
        let second = app.place_order(&k.kiosk, &[(k.fries.id, 1)]).await;
        assert_eq!((first.number, second.number), (1, 2));
        // Yesterday's tickets do not count towards today's numbers.
        app.move_orders_to(first.business_date.pred_opt().unwrap()).await;
        let today = app.place_order(&k.kiosk, &[(k.fries.id, 1)]).await;
        assert_eq!(today.number, 1);
        // A restaurant far east of UTC may already be on tomorrow: its day is its own.
        let kiribati = app.restaurant_in("Kiritimati Grill", "Pacific/Kiritimati", "AUD").await;
        let sides = app.category(&kiribati, "Sides").await;
        let chips = app.product(&kiribati, &sides, "Chips", 300).await;
        let order = app.place_order(&kiribati.token, &[(chips.id, 1)]).await;
        let tz: chrono_tz::Tz = "Pacific/Kiritimati".parse().unwrap();
        assert_eq!(order.business_date, chrono::Utc::now().with_timezone(&tz).date_naive());
        assert_eq!(order.number, 1, "numbers are per restaurant");
    }

    async fn managers_search_history_export_it_and_read_reports(app: TestApp) {
        let k = kitchen(&app).await;
        let a = app.place_order(&k.kiosk, &[(k.burger.id, 2), (k.fries.id, 1)]).await;
        let dine_in = json!({"id": Uuid::now_v7(), "order_type": "dine_in",
            "items": [{"product_id": k.fries.id, "quantity": 3, "note": "extra salt"}]});
        let b: Order = expect_json(app.post("orders", Some(&k.kiosk), &dine_in).await, StatusCode::CREATED).await;
        let c = app.place_order(&k.kiosk, &[(k.burger.id, 1)]).await;
        expect_json::<Order>(bump(&app, &k.kds, &a, "ready").await, StatusCode::OK).await;
        expect_json::<Order>(bump(&app, &k.kds, &c, "cancel").await, StatusCode::OK).await;

        let page = |query: &str| app.get_owned(format!("orders?{query}"), k.restaurant.token.clone());
        let all: OrderPage = expect_json(page("").await, StatusCode::OK).await;
        assert_eq!(all.total, 3);
        assert_eq!(all.orders.iter().map(|o| o.number).collect::<Vec<_>>(), [3, 2, 1], "newest first");
        let dine: OrderPage = expect_json(page("type=dine_in").await, StatusCode::OK).await;
        assert_eq!(dine.orders.iter().map(|o| o.id).collect::<Vec<_>>(), [b.id]);
        let salty: OrderPage = expect_json(page("q=SALT").await, StatusCode::OK).await;
        assert_eq!(salty.orders.iter().map(|o| o.id).collect::<Vec<_>>(), [b.id], "searches notes");
        let burgers: OrderPage = expect_json(page("q=smash").await, StatusCode::OK).await;
        assert_eq!(burgers.total, 2);
        let literal: OrderPage = expect_json(page("q=%25").await, StatusCode::OK).await;
        assert_eq!(literal.total, 0, "a % is a character, not a wildcard");
        let cancelled: OrderPage = expect_json(page("status=cancelled").await, StatusCode::OK).await;
        assert_eq!(cancelled.orders.iter().map(|o| o.id).collect::<Vec<_>>(), [c.id]);
        let by_number: OrderPage = expect_json(page("number=2").await, StatusCode::OK).await;
        assert_eq!(by_number.orders[0].id, b.id);
        let second_page: OrderPage = expect_json(page("per_page=2&page=2").await, StatusCode::OK).await;
        assert_eq!((second_page.total, second_page.orders.len()), (3, 1));
        let tomorrow = a.business_date.succ_opt().unwrap();
        let none: OrderPage = expect_json(page(&format!("from={tomorrow}")).await, StatusCode::OK).await;
        assert_eq!(none.total, 0);
        expect_error(page("per_page=1000").await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        expect_error(page("from=yesterday").await, StatusCode::BAD_REQUEST, "bad_request").await;
        expect_error(page(&format!("from={tomorrow}&to={}", a.business_date)).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        expect_error(app.get("orders", &k.kds).await, StatusCode::FORBIDDEN, "forbidden").await;

        // CSV: a header and one row per order, quoted where needed.
        let csv = app.get("orders/export.csv", &k.restaurant.token).await;
        assert_eq!(csv.status(), StatusCode::OK);
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = csv.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        assert_eq!(&headers[0], "number");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        let row_a = rows.iter().find(|r| &r[0] == "1").unwrap();
        assert_eq!(&row_a[5], "2x Smash Burger; 1x Fries");
        assert_eq!(&row_a[6], "25.85");
        assert_eq!(&row_a[7], "GBP");
        assert!(!row_a[9].is_empty(), "prep seconds for a ready order");

        // Reports leave the cancelled order out of takings.
        let summary: ReportSummary = expect_json(app.get("reports/summary", &k.restaurant.token).await, StatusCode::OK).await;
        assert_eq!(summary.orders, 2);
        assert_eq!(summary.cancelled, 1);
        assert_eq!(summary.revenue, Money(2 * 1095 + 395 + 3 * 395));
        assert_eq!(summary.average_ticket, Money((2 * 1095 + 395 + 3 * 395) / 2));
        assert!(summary.average_prep_seconds.is_some());
        assert_eq!(summary.currency, "GBP");
        let hourly: Vec<HourlyBucket> = expect_json(app.get("reports/hourly", &k.restaurant.token).await, StatusCode::OK).await;
        assert_eq!(hourly.len(), 24);
        assert_eq!(hourly.iter().map(|h| h.orders).sum::<i64>(), 2);
        let tz: chrono_tz::Tz = k.restaurant.tenant.timezone.parse().unwrap();
        use chrono::Timelike;
        let local_hour = a.placed_at.with_timezone(&tz).hour() as usize;
        assert!(hourly[local_hour].orders >= 1, "bucketed by the restaurant's local hour");
        let top: Vec<TopProduct> = expect_json(app.get("reports/top-products", &k.restaurant.token).await, StatusCode::OK).await;
        assert_eq!(top.iter().map(|t| (t.name.as_str(), t.quantity)).collect::<Vec<_>>(), [("Fries", 4), ("Smash Burger", 2)]);
        expect_error(app.get("reports/top-products?limit=0", &k.restaurant.token).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        expect_error(app.get("reports/summary", &k.kiosk).await, StatusCode::FORBIDDEN, "forbidden").await;
    }

    // Every order a device saved and the server refused is kept for staff, whatever the reason: its content
    // (a line of none, no lines at all), text the database cannot store (over HTTP and over the socket, in
    // a value or a key), or a kitchen screen that may not place orders. Each is kept once, however often it
    // is sent, with what could be kept of it; a person placing such an order hears why and nothing is kept.
    async fn a_device_order_refused_for_its_content_or_its_device_is_kept_for_staff_too(app: TestApp) {
        let k = kitchen(&app).await;
        let none = Uuid::now_v7();
        let body = json!({"id": none, "order_type": "takeaway", "note": "for Ana",
            "items": [{"product_id": k.burger.id, "quantity": 0, "note": "no onions"}]});
        for _ in 0..2 {
            let error = expect_error(app.post("orders", Some(&k.kiosk), &body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(error.error.fields.unwrap().0.contains_key("items[0].quantity"));
        }
        let unstorable = Uuid::now_v7();
        let nul = json!({"id": unstorable, "order_type": "dine_in", "note": "table\u{0} 4", "items": [{"product_id": k.fries.id, "quantity": 1}]});
        expect_error(app.post("orders", Some(&k.kiosk), &nul).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let empty = Uuid::now_v7();
        expect_error(app.post("orders", Some(&k.kiosk), &json!({"id": empty, "order_type": "takeaway", "items": []})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let odd_key = Uuid::now_v7();
        let odd = json!({"id": odd_key, "order_type": "takeaway", "items": [{"product_id": k.fries.id, "quantity": 1}], "x\u{0}y": "z\u{1b}"});
        expect_error(app.post("orders", Some(&k.kiosk), &odd).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let from_kitchen = Uuid::now_v7();
        expect_error(app.post("orders", Some(&k.kds), &order_body(from_kitchen, &[(k.fries.id, 1)])).await, StatusCode::FORBIDDEN, "forbidden").await;
        let (mut socket, _, _) = crate::ws::SyncClient::connect(app.addr, &k.kiosk, None, 0).await;
        let over_socket = Uuid::now_v7();
        let place = json!({"type": "place_order", "command_id": over_socket, "order": {"id": over_socket,
            "order_type": "takeaway", "note": "bad\u{0}", "items": [{"product_id": k.fries.id, "quantity": 2}]}});
        socket.send_raw(place.to_string()).await;
        loop {
            if let ordera_protocol::sync::ServerMessage::Ack { command_id, result } = socket.recv().await {
                assert_eq!((command_id, result.outcome), (over_socket, ordera_protocol::orders::Outcome::Rejected));
                break;
            }
        }
        expect_error(app.post("orders", Some(&k.restaurant.token), &json!({"id": Uuid::now_v7(), "order_type": "takeaway",
            "items": [{"product_id": k.burger.id, "quantity": 0}]})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

        let kept: Vec<RefusedOrder> = expect_json(app.get("orders/refused", &k.restaurant.token).await, StatusCode::OK).await;
        let ids: BTreeSet<Uuid> = kept.iter().map(|r| r.id).collect();
        assert_eq!(ids, BTreeSet::from([none, empty, odd_key, unstorable, from_kitchen, over_socket]), "{kept:?}");
        assert!(kept.iter().all(|r| r.reason.chars().all(ordera_protocol::validate::is_free_text_char)), "{kept:?}");
        let first = kept.iter().find(|r| r.id == none).unwrap();
        assert!(first.reason.contains("quantity"), "{first:?}");
        assert_eq!((first.note.as_str(), first.items[0].note.as_str(), first.items[0].quantity), ("for Ana", "no onions", 0));
        assert_eq!(first.items[0].name.as_deref(), Some("Smash Burger"));
        assert_eq!(first.device_name.as_deref(), Some("Test kiosk"));
        assert_eq!(kept.iter().find(|r| r.id == unstorable).unwrap().note, "table 4");
        assert_eq!(kept.iter().find(|r| r.id == from_kitchen).unwrap().device_name.as_deref(), Some("Test kds"));
        let events = app.store.events_since(k.restaurant.tenant.id, 0, 1000).await.unwrap();
        assert_eq!(events.iter().filter(|e| matches!(e.event, Event::RefusalUpserted { .. })).count(), 6, "each kept once");
        assert_eq!(events.iter().filter(|e| matches!(e.event, Event::OrderUpserted { .. })).count(), 0);
        assert_eq!(stock(&app, &k).await, Some(10));
        socket.close().await;
    }

    async fn a_device_order_refused_for_good_waits_for_staff_until_settled(app: TestApp) {
        let k = kitchen(&app).await;
        let id = Uuid::now_v7();
        let body = json!({"id": id, "order_type": "dine_in", "note": "birthday",
            "items": [{"product_id": k.burger.id, "quantity": 11, "note": "no onions"}, {"product_id": k.fries.id, "quantity": 1}]});
        // Refused, and sent again after a timeout: refused again, kept once.
        for _ in 0..2 {
            let error = expect_error(app.post("orders", Some(&k.kiosk), &body).await, StatusCode::CONFLICT, "conflict").await;
            assert!(error.error.message.contains("only 10 Smash Burger left"), "{error:?}");
        }
        // A person placing an order hears the reason at once; nothing is kept for them.
        expect_error(app.post("orders", Some(&k.restaurant.token), &order_body(Uuid::now_v7(), &[(k.burger.id, 11)])).await, StatusCode::CONFLICT, "conflict").await;

        let open: Vec<RefusedOrder> = expect_json(app.get("orders/refused", &k.restaurant.token).await, StatusCode::OK).await;
        assert_eq!(open.len(), 1, "{open:?}");
        let refused = &open[0];
        assert_eq!(refused.id, id);
        assert_eq!(refused.reason, "only 10 Smash Burger left");
        assert_eq!(refused.device_name.as_deref(), Some("Test kiosk"));
        assert_eq!(refused.order_type, OrderType::DineIn);
        assert_eq!(refused.note, "birthday");
        assert_eq!(refused.items.len(), 2);
        assert_eq!((refused.items[0].name.as_deref(), refused.items[0].quantity, refused.items[0].note.as_str()), (Some("Smash Burger"), 11, "no onions"));
        assert!(refused.resolved_at.is_none());
        assert_eq!(stock(&app, &k).await, Some(10), "a refused order takes no stock");
        // A dish switched off is the other everyday reason.
        app.patch(&format!("products/{}", k.fries.id), &k.restaurant.token, &json!({"available": false})).await;
        let fries = Uuid::now_v7();
        expect_error(app.post("orders", Some(&k.kiosk), &order_body(fries, &[(k.fries.id, 1)])).await, StatusCode::CONFLICT, "conflict").await;
        let with_fries: Vec<RefusedOrder> = expect_json(app.get("orders/refused", &k.restaurant.token).await, StatusCode::OK).await;
        assert_eq!(with_fries.iter().map(|r| (r.id, r.reason.as_str())).collect::<Vec<_>>(), [(id, "only 10 Smash Burger left"), (fries, "Fries is sold out")]);
        expect_json::<RefusedOrder>(app.post(&format!("orders/refused/{fries}/resolve"), Some(&k.restaurant.token), &json!({})).await, StatusCode::OK).await;

        // Staff of any role, admin devices and kitchen screens see it through the API; kiosks may not.
        let (_, staff) = app.user(&k.restaurant, "staff").await;
        let admin = app.pair(&k.restaurant, DeviceKind::Admin).await.token;
        for token in [&staff, &admin, &k.kds] {
            let seen: Vec<RefusedOrder> = expect_json(app.get("orders/refused", token).await, StatusCode::OK).await;
            assert_eq!(seen, open);
        }
        expect_error(app.get("orders/refused", &k.kiosk).await, StatusCode::FORBIDDEN, "forbidden").await;
        for token in [&admin, &k.kds] {
            let snapshot: Snapshot = expect_json(app.get("sync/snapshot", token).await, StatusCode::OK).await;
            assert_eq!(snapshot.refusals, open);
        }
        // The kiosk placed it: its snapshot carries its own refusals (its confirmation screen says why), and
        // no one else's (see sync's `a_kiosk_receives_nothing_of_other_devices_orders_refusals_or_the_device_list`).
        let snapshot: Snapshot = expect_json(app.get("sync/snapshot", &k.kiosk).await, StatusCode::OK).await;
        assert_eq!(snapshot.refusals, open);

        // Another restaurant cannot see or settle it.
        let other = app.restaurant("Elsewhere").await;
        let theirs: Vec<RefusedOrder> = expect_json(app.get("orders/refused", &other.token).await, StatusCode::OK).await;
        assert!(theirs.is_empty());
        expect_error(app.post(&format!("orders/refused/{id}/resolve"), Some(&other.token), &json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
        expect_error(app.post(&format!("orders/refused/{}/resolve", Uuid::now_v7()), Some(&staff), &json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
        for token in [&k.kiosk, &k.kds] {
            expect_error(app.post(&format!("orders/refused/{id}/resolve"), Some(token), &json!({})).await, StatusCode::FORBIDDEN, "forbidden").await;
        }
        // A refusal is final: sent again once the dish is back, the order is refused with the same reason.
        app.patch(&format!("products/{}", k.burger.id), &k.restaurant.token, &json!({"stock": 50})).await;
        let error = expect_error(app.post("orders", Some(&k.kiosk), &body).await, StatusCode::CONFLICT, "conflict").await;
        assert_eq!(error.error.message, "only 10 Smash Burger left");

        // Two people settle it at the same moment, several times over: it is settled once, and everyone is
        // told the same time.
        let settles = (0..8).map(|n| {
            let token = if n % 2 == 0 { staff.clone() } else { admin.clone() };
            let path = format!("orders/refused/{id}/resolve");
            let app = &app;
            async move { expect_json::<RefusedOrder>(app.post(&path, Some(&token), &json!({})).await, StatusCode::OK).await }
        });
        let answers = futures_util::future::join_all(settles).await;
        let at = answers[0].resolved_at.expect("settled");
        assert!(answers.iter().all(|a| a.resolved_at == Some(at)), "{answers:?}");
        let open: Vec<RefusedOrder> = expect_json(app.get("orders/refused", &staff).await, StatusCode::OK).await;
        assert!(open.is_empty());
        let all: Vec<RefusedOrder> = expect_json(app.get("orders/refused?all=true", &staff).await, StatusCode::OK).await;
        assert_eq!(all.iter().map(|r| (r.id, r.resolved_at.is_some())).collect::<Vec<_>>(), [(fries, true), (id, true)], "newest first");

        // Every screen heard it twice: refused, then settled.
        let events = app.store.events_since(k.restaurant.tenant.id, 0, 1000).await.unwrap();
        let heard: Vec<bool> = events.iter().filter_map(|e| match &e.event {
            Event::RefusalUpserted { refusal } if refusal.id == id => Some(refusal.resolved_at.is_some()),
            _ => None,
        }).collect();
        assert_eq!(heard, [false, true]);
        assert_eq!(events.iter().filter(|e| matches!(e.event, Event::OrderUpserted { .. })).count(), 0);
    }

    // A command made longer ago than the server keeps command records cannot be told from a new one once
    // its record is pruned, so it is refused rather than applied again (a replayed "recall" would reopen an
    // order served days ago); one made a day ago, as after a day offline, still goes through.
    async fn a_change_older_than_the_servers_memory_of_commands_is_refused_and_changes_nothing(app: TestApp) {
        let k = kitchen(&app).await;
        let order = app.place_order(&k.kiosk, &[(k.fries.id, 1)]).await;
        let path = format!("orders/{}/status", order.id);
        let made_ago = |days: i64| {
            let at = chrono::Utc::now() - chrono::Duration::days(days);
            let at = uuid::Timestamp::from_unix(uuid::NoContext, at.timestamp() as u64, at.timestamp_subsec_nanos());
            Uuid::new_v7(at)
        };
        let old = json!({"command_id": made_ago(8), "action": "start"});
        let refused = expect_error(app.post(&path, Some(&k.kds), &old).await, StatusCode::CONFLICT, "conflict").await;
        assert!(refused.error.message.contains("too long ago"), "{refused:?}");
        let unchanged: Order = expect_json(app.get(&format!("orders/{}", order.id), &k.kds).await, StatusCode::OK).await;
        assert_eq!(unchanged.status, OrderStatus::Placed, "nothing was applied");
        let marks = json!({"command_id": made_ago(8), "items": [0], "done": true});
        expect_error(app.post(&format!("orders/{}/items", order.id), Some(&k.kds), &marks).await, StatusCode::CONFLICT, "conflict").await;

        let yesterday = json!({"command_id": made_ago(1), "action": "start"});
        let started: Order = expect_json(app.post(&path, Some(&k.kds), &yesterday).await, StatusCode::OK).await;
        assert_eq!(started.status, OrderStatus::Preparing, "a day offline is well within the window");
    }
}
