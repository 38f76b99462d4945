//! Requests that race on the same rows, as a busy service makes them: each gets its own answer (a success
//! or a clear refusal), never a 500, and what they leave behind adds up.

use ordera_protocol::api::{Category, ErrorBody, Product};
use ordera_protocol::orders::{Order, OrderPage};
use ordera_protocol::sync::Event;
use ordera_protocol::DeviceKind;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;

/// Sends a request and returns its status and body, so that requests of every kind can be raced together.
async fn answer(request: RequestBuilder) -> (StatusCode, String) {
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

async fn counted(app: &TestApp, restaurant: &Restaurant, category: &Category, name: &str, stock: i64) -> Product {
    let body = json!({"category_id": category.id, "name": name, "price": 500, "stock": stock});
    expect_json(app.post("products", Some(&restaurant.token), &body).await, StatusCode::CREATED).await
}

async fn current(app: &TestApp, restaurant: &Restaurant, product: &Product) -> Product {
    expect_json(app.get(&format!("products/{}", product.id), &restaurant.token).await, StatusCode::OK).await
}

both! {
    async fn menu_edits_during_an_order_storm_on_the_same_products_never_fail(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let mains = app.category(&soho, "Mains").await;
        let burger = counted(&app, &soho, &mains, "Smash Burger", 1_000).await;
        let fries = counted(&app, &soho, &mains, "Fries", 1_000).await;
        let kiosk = app.pair(&soho, DeviceKind::Kiosk).await.token;
        let kds = app.pair(&soho, DeviceKind::Kds).await.token;

        // Each round: four kiosk orders for both products, a cancellation of one of the last round's orders
        // (it gives portions back), and a manager changing both products' prices, the burger's low-stock
        // threshold and the fries' count, all at the same moment.
        let (mut placed, mut cancelled) = (Vec::<Order>::new(), 0_i64);
        let mut refused = Vec::new();
        for round in 0..40_i64 {
            let mut requests = Vec::new();
            for _ in 0..4 {
                let body = order_body(Uuid::now_v7(), &[(burger.id, 1), (fries.id, 1)]);
                requests.push(("order", app.request(Method::POST, "orders", Some(&kiosk)).json(&body)));
            }
            if let Some(order) = placed.get(placed.len().saturating_sub(4)).filter(|_| round % 2 == 1) {
                let body = json!({"command_id": Uuid::now_v7(), "action": "cancel", "reason": "customer left"});
                requests.push(("cancel", app.request(Method::POST, &format!("orders/{}/status", order.id), Some(&kds)).json(&body)));
            }
            let burger_edit = json!({"price": 1_000 + round, "low_stock_threshold": round % 7});
            requests.push(("edit", app.request(Method::PATCH, &format!("products/{}", burger.id), Some(&soho.token)).json(&burger_edit)));
            let fries_edit = json!({"price": 300 + round, "stock": 1_000 - round});
            requests.push(("edit", app.request(Method::PATCH, &format!("products/{}", fries.id), Some(&soho.token)).json(&fries_edit)));

            let kinds: Vec<&str> = requests.iter().map(|(kind, _)| *kind).collect();
            let answers = futures_util::future::join_all(requests.into_iter().map(|(_, request)| answer(request))).await;
            for (kind, (status, body)) in kinds.into_iter().zip(answers) {
                if !status.is_success() {
                    refused.push(format!("round {round}, {kind}: {status} {body}"));
                    continue;
                }
                match kind {
                    "order" => placed.push(serde_json::from_str(&body).expect("an order")),
                    "cancel" => cancelled += 1,
                    _ => {}
                }
            }
        }
        assert!(refused.is_empty(), "{} of the requests failed:\n{}", refused.len(), refused.join("\n"));

        // The burger's count moves only with orders and cancellations: it adds up exactly.
        assert_eq!(placed.len(), 160);
        assert_eq!(cancelled, 20);
        let burger = current(&app, &soho, &burger).await;
        assert_eq!(burger.stock, Some(1_000 - 160 + 20), "every portion sold or given back is counted once");
        assert_eq!(burger.price.minor_units(), 1_039, "the last edit's price stands");
        let history: OrderPage = expect_json(app.get("orders", &soho.token).await, StatusCode::OK).await;
        assert_eq!(history.total, 160);
        // The fries' count is reset by the manager as orders take from it: what the table holds is what the
        // log last told every screen.
        let fries = current(&app, &soho, &fries).await;
        let events = app.store.events_since(soho.tenant.id, 0, 100_000).await.unwrap();
        let last_heard = events.iter().rev().find_map(|e| match &e.event {
            Event::ProductUpserted { product } if product.id == fries.id => Some(product.clone()),
            _ => None,
        });
        assert_eq!(last_heard.as_ref(), Some(&fries));
    }

    async fn a_category_deleted_while_a_product_is_added_to_it_refuses_one_of_the_two_clearly(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let mut outcomes = (0, 0);
        for round in 0..25 {
            let category = app.category(&soho, &format!("Specials {round}")).await;
            let name = format!("Special {round}");
            let create = json!({"category_id": category.id, "name": name, "price": 900});
            let (created, deleted) = tokio::join!(
                answer(app.request(Method::POST, "products", Some(&soho.token)).json(&create)),
                answer(app.request(Method::DELETE, &format!("categories/{}", category.id), Some(&soho.token))),
            );
            let products: Vec<Product> = expect_json(app.get("products", &soho.token).await, StatusCode::OK).await;
            let categories: Vec<Category> = expect_json(app.get("categories", &soho.token).await, StatusCode::OK).await;
            let kept = categories.iter().any(|c| c.id == category.id);
            match (created.0, deleted.0) {
                // The product came first: the category is not empty any more.
                (StatusCode::CREATED, StatusCode::CONFLICT) => {
                    let product: Product = serde_json::from_str(&created.1).unwrap();
                    assert_eq!(product.category_id, category.id);
                    assert!(kept, "round {round}: the category was kept");
                    assert!(products.iter().any(|p| p.id == product.id));
                    outcomes.0 += 1;
                }
                // The deletion came first: the product names a category that is gone.
                (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::NO_CONTENT) => {
                    let error: ErrorBody = serde_json::from_str(&created.1).unwrap();
                    assert!(error.error.fields.is_some_and(|f| f.0.contains_key("category_id")), "{}", created.1);
                    assert!(!kept, "round {round}: the category is gone");
                    assert!(!products.iter().any(|p| p.name == name), "round {round}: nothing was created");
                    outcomes.1 += 1;
                }
                other => panic!(
                    "round {round}: the product answered {} {}, the deletion {} {}; expected one success and one clear refusal ({other:?})",
                    created.0, created.1, deleted.0, deleted.1
                ),
            }
        }
        // Every product left on the menu is in a category that exists.
        let products: Vec<Product> = expect_json(app.get("products", &soho.token).await, StatusCode::OK).await;
        let categories: Vec<Category> = expect_json(app.get("categories", &soho.token).await, StatusCode::OK).await;
        assert!(products.iter().all(|p| categories.iter().any(|c| c.id == p.category_id)));
        assert_eq!(outcomes.0 + outcomes.1, 25, "{outcomes:?}");
    }
}

/// A write that PostgreSQL aborts to break a deadlock is run again, and its client only sees it succeed. The
/// deadlock is made on purpose: another session holds the product's row, the server's edit takes the
/// restaurant's row and waits for the product's, and the other session then asks for the restaurant's. Only
/// the server's session looks for deadlocks in time (the other waits 30 s before it looks), so the server's
/// first attempt is the one aborted, which is the only way the other session's wait can end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_aborted_to_break_a_deadlock_is_run_again_and_succeeds() {
    use sqlx::Connection;
    let app = TestApp::spawn(Backend::Postgres).await;
    let soho = app.restaurant("Soho").await;
    let mains = app.category(&soho, "Mains").await;
    let burger = counted(&app, &soho, &mains, "Smash Burger", 10).await;

    let mut other = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
    sqlx::query("SET deadlock_timeout = '30s'").execute(&mut other).await.unwrap();
    let mut other = other.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM products WHERE id = $1 FOR UPDATE").bind(burger.id).execute(&mut *other).await.unwrap();

    let edit = tokio::spawn(answer(
        app.request(Method::PATCH, &format!("products/{}", burger.id), Some(&soho.token))
            .json(&json!({"price": 1_200})),
    ));
    // Once the edit waits for the product's row, it holds the restaurant's.
    let mut watcher = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
    let waiting = "SELECT EXISTS (SELECT 1 FROM pg_stat_activity \
                   WHERE datname = current_database() AND wait_event_type = 'Lock')";
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while !sqlx::query_scalar::<_, bool>(waiting).fetch_one(&mut watcher).await.unwrap() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the edit waits for the product's row");
    let restaurant = sqlx::query("UPDATE tenants SET last_seq = last_seq WHERE id = $1").bind(soho.tenant.id);
    tokio::time::timeout(std::time::Duration::from_secs(20), restaurant.execute(&mut *other))
        .await
        .expect("the deadlock is broken by aborting the server's attempt")
        .unwrap();
    other.commit().await.unwrap();

    let (status, body) = edit.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let burger = current(&app, &soho, &burger).await;
    assert_eq!((burger.price.minor_units(), burger.stock), (1_200, Some(10)));
    // The aborted attempt left nothing behind: the change is in the log once.
    let events = app.store.events_since(soho.tenant.id, 0, 1_000).await.unwrap();
    let heard = events
        .iter()
        .filter(|e| matches!(&e.event, Event::ProductUpserted { product } if product.price.minor_units() == 1_200))
        .count();
    assert_eq!(heard, 1);
}
