//! Tenant isolation: restaurant B, holding its own valid tokens, aims every endpoint at restaurant A's ids.
//! Each answer is 404 (A's ids do not exist for B) or, for ids inside a body, 422; A's data is unchanged
//! afterwards. The test also checks that it covers every templated path of the OpenAPI document, so a new
//! endpoint cannot be added without being tried here.

use std::collections::BTreeSet;

use ordera_protocol::api::{Category, Device, MenuResponse, Product, User};
use ordera_protocol::DeviceKind;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// Everything of A's that B could reach.
pub(crate) async fn a_state(app: &TestApp, token: &str) -> Value {
    json!({
        "users": expect_json::<Vec<User>>(app.get("users", token).await, StatusCode::OK).await,
        "devices": expect_json::<Vec<Device>>(app.get("devices", token).await, StatusCode::OK).await
            .into_iter().map(|mut d| { d.last_seen_at = None; d }).collect::<Vec<_>>(),
        "categories": expect_json::<Vec<Category>>(app.get("categories", token).await, StatusCode::OK).await,
        "products": expect_json::<Vec<Product>>(app.get("products", token).await, StatusCode::OK).await,
        "orders": expect_json::<ordera_protocol::orders::OrderPage>(app.get("orders", token).await, StatusCode::OK).await,
        "tenant": expect_json::<ordera_protocol::api::MeResponse>(app.get("me", token).await, StatusCode::OK).await.tenant,
        "events": app.store.events_since(
            expect_json::<ordera_protocol::api::MeResponse>(app.get("me", token).await, StatusCode::OK).await.tenant.id, 0, 1000
        ).await.unwrap().len(),
    })
}

async fn b_product_placeholder(app: &TestApp, b: &Restaurant, category: &Category) -> uuid::Uuid {
    app.product(b, category, "B placeholder", 100).await.id
}

/// A request to try: method, documented path, concrete path, bearer token, JSON body, expected status.
type Attempt = (Method, &'static str, String, Option<String>, Option<Value>, StatusCode);

/// Restaurant A with one of everything: a category, a product with a picture and stock, a staff member, a
/// kiosk, an order and a refused order.
pub(crate) struct RestaurantA {
    pub a: Restaurant,
    pub a_category: Category,
    pub a_product: Product,
    pub a_image: uuid::Uuid,
    pub a_staff: User,
    pub a_kiosk: ordera_protocol::api::PairResponse,
    pub a_order: ordera_protocol::orders::Order,
    pub a_refused: uuid::Uuid,
    pub png: Vec<u8>,
}

pub(crate) async fn restaurant_a(app: &TestApp) -> RestaurantA {
    restaurant_named(app, "A").await
}

pub(crate) async fn restaurant_named(app: &TestApp, name: &str) -> RestaurantA {
    let a = app.restaurant(name).await;
    let a_category = app.category(&a, "A burgers").await;
    let a_product = app.product(&a, &a_category, "A burger", 1000).await;
    let png = ordera_server::demo::picture([1, 2, 3], 0);
    let a_product: Product = expect_json(
        app.request(Method::PUT, &format!("products/{}/image", a_product.id), Some(&a.token))
            .header(header::CONTENT_TYPE, "image/png")
            .body(png.clone())
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let a_image = a_product.image.clone().unwrap().id;
    let (a_staff, _) = app.user(&a, "staff").await;
    let a_kiosk = app.pair(&a, DeviceKind::Kiosk).await;
    let a_stocked: Product = expect_json(
        app.patch(&format!("products/{}", a_product.id), &a.token, &json!({"stock": 5})).await,
        StatusCode::OK,
    )
    .await;
    let a_order = app.place_order(&a_kiosk.token, &[(a_stocked.id, 1)]).await;
    let a_refused = uuid::Uuid::now_v7();
    expect_error(
        app.post("orders", Some(&a_kiosk.token), &order_body(a_refused, &[(a_stocked.id, 6)])).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    RestaurantA { a, a_category, a_product, a_image, a_staff, a_kiosk, a_order, a_refused, png }
}

both! {
    async fn another_restaurant_cannot_see_or_touch_anything_by_id(app: TestApp) {
        let RestaurantA { a, a_category, a_product, a_image, a_staff, a_kiosk, a_order, a_refused, png } =
            restaurant_a(&app).await;
        let before = a_state(&app, &a.token).await;

        let b = app.restaurant("B").await;
        let b_kiosk = app.pair(&b, DeviceKind::Kiosk).await;
        let b_category = app.category(&b, "B burgers").await;

        // (method, path template, concrete path, body) — B's owner token on A's ids.
        let attempts: Vec<(Method, &str, String, Option<Value>)> = vec![
            (Method::GET, "/api/v1/users/{id}", format!("users/{}", a_staff.id), None),
            (Method::PATCH, "/api/v1/users/{id}", format!("users/{}", a_staff.id), Some(json!({"role": "manager"}))),
            (Method::POST, "/api/v1/users/{id}/password", format!("users/{}/password", a_staff.id), Some(json!({"password": "mine now, all mine"}))),
            (Method::POST, "/api/v1/devices/{id}/revoke", format!("devices/{}/revoke", a_kiosk.device.id), Some(json!({}))),
            (Method::PATCH, "/api/v1/devices/{id}", format!("devices/{}", a_kiosk.device.id), Some(json!({"name": "Mine"}))),
            (Method::PATCH, "/api/v1/categories/{id}", format!("categories/{}", a_category.id), Some(json!({"name": "Mine"}))),
            (Method::DELETE, "/api/v1/categories/{id}", format!("categories/{}", a_category.id), None),
            (Method::GET, "/api/v1/products/{id}", format!("products/{}", a_product.id), None),
            (Method::PATCH, "/api/v1/products/{id}", format!("products/{}", a_product.id), Some(json!({"price": 1}))),
            (Method::DELETE, "/api/v1/products/{id}", format!("products/{}", a_product.id), None),
            (Method::GET, "/api/v1/images/{id}", format!("images/{a_image}"), None),
            (Method::GET, "/api/v1/orders/{id}", format!("orders/{}", a_order.id), None),
            (
                Method::POST,
                "/api/v1/orders/{id}/status",
                format!("orders/{}/status", a_order.id),
                Some(json!({"command_id": uuid::Uuid::now_v7(), "action": "cancel", "reason": "mine now"})),
            ),
            (
                Method::POST,
                "/api/v1/orders/{id}/items",
                format!("orders/{}/items", a_order.id),
                Some(json!({"command_id": uuid::Uuid::now_v7(), "items": [0]})),
            ),
            (Method::POST, "/api/v1/orders/refused/{id}/resolve", format!("orders/refused/{a_refused}/resolve"), Some(json!({}))),
        ];
        for (method, _, path, body) in &attempts {
            let mut request = app.request(method.clone(), path, Some(&b.token));
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.unwrap();
            expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
        }
        let upload = app.request(Method::PUT, &format!("products/{}/image", a_product.id), Some(&b.token))
            .header(header::CONTENT_TYPE, "image/png").body(png).send().await.unwrap();
        expect_error(upload, StatusCode::NOT_FOUND, "not_found").await;
        // B's kiosk cannot read A's images or products either.
        expect_error(app.get(&format!("images/{a_image}"), &b_kiosk.token).await, StatusCode::NOT_FOUND, "not_found").await;
        expect_error(app.get(&format!("products/{}", a_product.id), &b_kiosk.token).await, StatusCode::NOT_FOUND, "not_found").await;

        // A's ids inside B's bodies are as unknown as made-up ones.
        let into_a = json!({"category_id": a_category.id, "name": "Sneaky", "price": 100});
        expect_error(app.post("products", Some(&b.token), &into_a).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let b_product = app.product(&b, &b_category, "B burger", 900).await;
        expect_error(app.patch(&format!("products/{}", b_product.id), &b.token, &json!({"category_id": a_category.id})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        // An order for A's product from B's kiosk finds no such product; A's stock is untouched.
        let into_a_menu = json!({"id": uuid::Uuid::now_v7(), "order_type": "takeaway",
            "items": [{"product_id": a_product.id, "quantity": 1}]});
        let refused = expect_error(app.post("orders", Some(&b_kiosk.token), &into_a_menu).await, StatusCode::CONFLICT, "conflict").await;
        assert!(refused.error.message.contains("no longer on the menu"), "{refused:?}");
        // An order id is the restaurant's own: one that A happens to use is free in B, so B's order is placed
        // as any other (a refusal would tell B that A has such an order), and A's stays as it was.
        let same_id = json!({"id": a_order.id, "order_type": "takeaway",
            "items": [{"product_id": b_product_placeholder(&app, &b, &b_category).await, "quantity": 1}]});
        let b_order: ordera_protocol::orders::Order =
            expect_json(app.post("orders", Some(&b_kiosk.token), &same_id).await, StatusCode::CREATED).await;
        assert_eq!((b_order.id, b_order.number, b_order.device_id), (a_order.id, 1, Some(b_kiosk.device.id)));
        let reorder = json!({"ids": [a_category.id, b_category.id]});
        expect_error(app.post("categories/reorder", Some(&b.token), &reorder).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

        // B's lists hold only B's things.
        let b_users: Vec<User> = expect_json(app.get("users", &b.token).await, StatusCode::OK).await;
        assert_eq!(b_users.iter().map(|u| u.id).collect::<Vec<_>>(), [b.owner.id]);
        let b_devices: Vec<Device> = expect_json(app.get("devices", &b.token).await, StatusCode::OK).await;
        assert_eq!(b_devices.iter().map(|d| d.id).collect::<Vec<_>>(), [b_kiosk.device.id]);
        let b_menu: MenuResponse = expect_json(app.get("menu", &b_kiosk.token).await, StatusCode::OK).await;
        assert_eq!(b_menu.tenant.id, b.tenant.id);
        assert!(b_menu.products.iter().all(|p| p.id != a_product.id));
        let b_orders: ordera_protocol::orders::OrderPage = expect_json(app.get("orders", &b.token).await, StatusCode::OK).await;
        assert_eq!(b_orders.orders, [b_order]);
        let b_refused: Vec<ordera_protocol::orders::RefusedOrder> = expect_json(app.get("orders/refused?all=true", &b.token).await, StatusCode::OK).await;
        assert!(b_refused.iter().all(|r| r.id != a_refused), "{b_refused:?}");
        let a_open: Vec<ordera_protocol::orders::RefusedOrder> = expect_json(app.get("orders/refused", &a.token).await, StatusCode::OK).await;
        assert_eq!(a_open.iter().map(|r| (r.id, r.resolved_at)).collect::<Vec<_>>(), [(a_refused, None)], "A's refusal is still open");

        // A is exactly as it was, and A's kiosk still works.
        assert_eq!(a_state(&app, &a.token).await, before);
        expect_status(app.get("menu", &a_kiosk.token).await, StatusCode::OK).await;

        // Every path with an id in the API was tried above.
        let openapi: Value = expect_json(app.request(Method::GET, "/api/v1/openapi.json", None).send().await.unwrap(), StatusCode::OK).await;
        let mut documented = BTreeSet::new();
        for (path, operations) in openapi["paths"].as_object().unwrap() {
            if path.contains('{') {
                for method in operations.as_object().unwrap().keys() {
                    documented.insert(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        let mut tried: BTreeSet<String> = attempts.iter().map(|(m, t, _, _)| format!("{m} {t}")).collect();
        tried.insert("PUT /api/v1/products/{id}/image".into());
        assert_eq!(documented, tried, "every endpoint with an id must be in this test");
    }
}

both! {
    async fn another_restaurant_finds_nothing_of_a_through_any_endpoint_without_an_id(app: TestApp) {
        let RestaurantA { a, a_category, a_product, a_image, a_staff, a_kiosk, a_order, a_refused, .. } =
            restaurant_a(&app).await;
        let before = a_state(&app, &a.token).await;
        // Everything that would give A away if it showed up in one of B's answers.
        let secrets: Vec<String> = [a.tenant.id, a.owner.id, a_category.id, a_product.id, a_image, a_staff.id,
            a_kiosk.device.id, a_order.id, a_refused]
            .iter().map(|id| id.to_string())
            .chain([a.owner.email.clone(), a_staff.email.clone(), "A burger".into(), a_kiosk.token.clone(), a.token.clone()])
            .collect();

        let b = app.restaurant("B").await;
        let b_category = app.category(&b, "B sides").await;
        let b_product = app.product(&b, &b_category, "B fries", 300).await;
        let b_kiosk = app.pair(&b, DeviceKind::Kiosk).await;
        let b_kds = app.pair(&b, DeviceKind::Kds).await;
        let b_spare = app.login(&b.owner.email, PASSWORD).await.token;

        // (method, path template, concrete path, token, body, expected status): each id-less endpoint as B
        // uses it every day.
        let code: ordera_protocol::api::PairingCodeResponse = expect_json(
            app.post("devices/pairing-codes", Some(&b.token), &json!({"kind": "admin", "name": "B office"})).await,
            StatusCode::CREATED,
        ).await;
        let attempts: Vec<Attempt> = vec![
            (Method::POST, "/api/v1/signup", "signup".into(), None,
                Some(json!({"restaurant_name": "C", "timezone": "Europe/Paris", "currency": "EUR", "owner_name": "Cleo",
                    "email": format!("c-{}@example.com", uuid::Uuid::new_v4().simple()), "password": PASSWORD})), StatusCode::CREATED),
            (Method::POST, "/api/v1/login", "login".into(), None,
                Some(json!({"email": b.owner.email, "password": PASSWORD})), StatusCode::OK),
            (Method::GET, "/api/v1/me", "me".into(), Some(b.token.clone()), None, StatusCode::OK),
            (Method::PATCH, "/api/v1/tenant", "tenant".into(), Some(b.token.clone()), Some(json!({"name": "B renamed"})), StatusCode::OK),
            (Method::GET, "/api/v1/users", "users".into(), Some(b.token.clone()), None, StatusCode::OK),
            (Method::POST, "/api/v1/users", "users".into(), Some(b.token.clone()),
                Some(json!({"email": format!("b-staff-{}@example.com", uuid::Uuid::new_v4().simple()), "name": "B staff",
                    "role": "staff", "password": PASSWORD})), StatusCode::CREATED),
            (Method::GET, "/api/v1/devices", "devices".into(), Some(b.token.clone()), None, StatusCode::OK),
            (Method::POST, "/api/v1/devices/pairing-codes", "devices/pairing-codes".into(), Some(b.token.clone()),
                Some(json!({"kind": "kds", "name": "B pass"})), StatusCode::CREATED),
            (Method::POST, "/api/v1/devices/pair", "devices/pair".into(), None, Some(json!({"code": code.code})), StatusCode::CREATED),
            (Method::GET, "/api/v1/categories", "categories".into(), Some(b.token.clone()), None, StatusCode::OK),
            (Method::POST, "/api/v1/categories/reorder", "categories/reorder".into(), Some(b.token.clone()),
                Some(json!({"ids": [b_category.id]})), StatusCode::OK),
            (Method::POST, "/api/v1/categories", "categories".into(), Some(b.token.clone()), Some(json!({"name": "B drinks"})), StatusCode::CREATED),
            (Method::GET, "/api/v1/products", "products".into(), Some(b.token.clone()), None, StatusCode::OK),
            (Method::POST, "/api/v1/products", "products".into(), Some(b.token.clone()),
                Some(json!({"category_id": b_category.id, "name": "B shake", "price": 450})), StatusCode::CREATED),
            (Method::GET, "/api/v1/menu", "menu".into(), Some(b_kiosk.token.clone()), None, StatusCode::OK),
            (Method::POST, "/api/v1/orders", "orders".into(), Some(b_kiosk.token.clone()),
                Some(order_body(uuid::Uuid::now_v7(), &[(b_product.id, 2)])), StatusCode::CREATED),
            (Method::GET, "/api/v1/orders", "orders".into(), Some(b.token.clone()), None, StatusCode::OK),
            (Method::GET, "/api/v1/orders/export.csv", "orders/export.csv".into(), Some(b.token.clone()), None, StatusCode::OK),
            (Method::GET, "/api/v1/orders/refused", "orders/refused?all=true".into(), Some(b.token.clone()), None, StatusCode::OK),
            (Method::GET, "/api/v1/reports/summary", "reports/summary".into(), Some(b.token.clone()), None, StatusCode::OK),
            (Method::GET, "/api/v1/reports/hourly", "reports/hourly".into(), Some(b.token.clone()), None, StatusCode::OK),
            (Method::GET, "/api/v1/reports/top-products", "reports/top-products".into(), Some(b.token.clone()), None, StatusCode::OK),
            (Method::GET, "/api/v1/sync/snapshot", "sync/snapshot".into(), Some(b_kds.token.clone()), None, StatusCode::OK),
            (Method::POST, "/api/v1/logout", "logout".into(), Some(b_spare), None, StatusCode::NO_CONTENT),
        ];
        let mut answers = Vec::new();
        for (method, template, path, token, body, status) in &attempts {
            let mut request = app.request(method.clone(), path, token.as_deref());
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.unwrap();
            let actual = response.status();
            let text = response.text().await.unwrap();
            assert_eq!(actual, *status, "{method} {template}: {text}");
            answers.push((format!("{method} {template}"), text));
        }
        // The live stream: B's kitchen screen replays its restaurant's whole log.
        let (_socket, _, replayed) = crate::ws::SyncClient::connect(app.addr, &b_kds.token, None, 0).await;
        assert!(!replayed.is_empty(), "B's own events are replayed");
        answers.push(("GET /api/v1/sync/ws".into(), serde_json::to_string(&replayed).unwrap()));

        for (endpoint, text) in &answers {
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "{endpoint} gave away A's {secret}: {text}");
            }
        }
        // B's own things did show up, so the check above looked at real answers.
        let all: String = answers.iter().map(|(_, text)| text.as_str()).collect();
        assert!(all.contains(&b_product.id.to_string()) && all.contains("B fries"));

        // A is exactly as it was, and A's devices still work.
        assert_eq!(a_state(&app, &a.token).await, before);
        expect_status(app.get("menu", &a_kiosk.token).await, StatusCode::OK).await;

        // Every path without an id in the API was tried above (those with one are the other test's).
        let openapi: Value = expect_json(app.request(Method::GET, "/api/v1/openapi.json", None).send().await.unwrap(), StatusCode::OK).await;
        let documented: BTreeSet<String> = openapi["paths"].as_object().unwrap().iter()
            .filter(|(path, _)| path.starts_with("/api/v1/") && !path.contains('{'))
            .flat_map(|(path, operations)| operations.as_object().unwrap().keys().map(move |m| format!("{} {path}", m.to_uppercase())))
            .collect();
        let tried: BTreeSet<String> = answers.iter().map(|(endpoint, _)| endpoint.clone()).collect();
        assert_eq!(documented, tried, "every endpoint without an id must be in this test");
    }
}
