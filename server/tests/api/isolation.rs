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
async fn a_state(app: &TestApp, token: &str) -> Value {
    json!({
        "users": expect_json::<Vec<User>>(app.get("users", token).await, StatusCode::OK).await,
        "devices": expect_json::<Vec<Device>>(app.get("devices", token).await, StatusCode::OK).await
            .into_iter().map(|mut d| { d.last_seen_at = None; d }).collect::<Vec<_>>(),
        "categories": expect_json::<Vec<Category>>(app.get("categories", token).await, StatusCode::OK).await,
        "products": expect_json::<Vec<Product>>(app.get("products", token).await, StatusCode::OK).await,
        "orders": expect_json::<ordera_protocol::orders::OrderPage>(app.get("orders", token).await, StatusCode::OK).await,
        "events": app.store.events_since(
            expect_json::<ordera_protocol::api::MeResponse>(app.get("me", token).await, StatusCode::OK).await.tenant.id, 0, 1000
        ).await.unwrap().len(),
    })
}

async fn b_product_placeholder(app: &TestApp, b: &Restaurant, category: &Category) -> uuid::Uuid {
    app.product(b, category, "B placeholder", 100).await.id
}

both! {
    async fn another_restaurant_cannot_see_or_touch_anything_by_id(app: TestApp) {
        let a = app.restaurant("A").await;
        let a_category = app.category(&a, "A burgers").await;
        let a_product = app.product(&a, &a_category, "A burger", 1000).await;
        let png = ordera_server::demo::picture([1, 2, 3], 0);
        let a_product: Product = expect_json(
            app.request(Method::PUT, &format!("products/{}/image", a_product.id), Some(&a.token))
                .header(header::CONTENT_TYPE, "image/png").body(png.clone()).send().await.unwrap(),
            StatusCode::OK,
        ).await;
        let a_image = a_product.image.clone().unwrap().id;
        let (a_staff, _) = app.user(&a, "staff").await;
        let a_kiosk = app.pair(&a, DeviceKind::Kiosk).await;
        let a_stocked: Product = expect_json(
            app.patch(&format!("products/{}", a_product.id), &a.token, &json!({"stock": 5})).await,
            StatusCode::OK,
        ).await;
        let a_order = app.place_order(&a_kiosk.token, &[(a_stocked.id, 1)]).await;
        let a_refused = uuid::Uuid::now_v7();
        expect_error(app.post("orders", Some(&a_kiosk.token), &order_body(a_refused, &[(a_stocked.id, 6)])).await, StatusCode::CONFLICT, "conflict").await;
        let before = a_state(&app, &a.token).await;

        let b = app.restaurant("B").await;
        let b_kiosk = app.pair(&b, DeviceKind::Kiosk).await;
        let b_category = app.category(&b, "B burgers").await;

        // (method, path template, concrete path, body) — B's owner token on A's ids.
        let attempts: Vec<(Method, &str, String, Option<Value>)> = vec![
            (Method::GET, "/api/v1/users/{id}", format!("users/{}", a_staff.id), None),
            (Method::PATCH, "/api/v1/users/{id}", format!("users/{}", a_staff.id), Some(json!({"role": "manager"}))),
            (Method::POST, "/api/v1/devices/{id}/revoke", format!("devices/{}/revoke", a_kiosk.device.id), Some(json!({}))),
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
        // Re-using A's order id is refused too, and does not reveal A's order.
        let same_id = json!({"id": a_order.id, "order_type": "takeaway",
            "items": [{"product_id": b_product_placeholder(&app, &b, &b_category).await, "quantity": 1}]});
        expect_error(app.post("orders", Some(&b_kiosk.token), &same_id).await, StatusCode::CONFLICT, "conflict").await;
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
        assert_eq!(b_orders.total, 0);
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
