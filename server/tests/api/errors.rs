//! Bad input of every kind gets a clear error in the one shape, and changes nothing.

use ordera_protocol::api::Category;
use reqwest::{header, Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

both! {
    async fn malformed_wrongly_typed_and_oversized_bodies_are_refused(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let send = |body: &'static str, content_type: &'static str| {
            app.request(Method::POST, "categories", Some(&soho.token))
                .header(header::CONTENT_TYPE, content_type)
                .body(body)
                .send()
        };
        let error = expect_error(send("{\"name\": ", "application/json").await.unwrap(), StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(error.error.message.contains("malformed JSON"), "{error:?}");
        expect_error(send("not json at all", "application/json").await.unwrap(), StatusCode::BAD_REQUEST, "bad_request").await;
        // A wrongly typed or missing field is named, as a validation error is.
        let typed = expect_error(send("{\"name\": 42}", "application/json").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let fields = typed.error.fields.clone().expect("the field is named").0;
        assert!(fields["name"].contains("invalid type"), "{fields:?}");
        let missing = expect_error(send("{}", "application/json").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(missing.error.fields.expect("the field is named").0["name"], "missing field `name`");
        let nested = expect_error(
            app.post("orders", Some(&soho.token), &json!({"id": uuid::Uuid::now_v7(), "order_type": "takeaway",
                "items": [{"product_id": uuid::Uuid::now_v7(), "quantity": "two"}]})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ).await;
        assert!(nested.error.fields.as_ref().expect("the field is named").0.contains_key("items[0].quantity"), "{nested:?}");
        expect_error(send("[]", "application/json").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        expect_error(send("{\"name\": \"Burgers\"}", "text/plain").await.unwrap(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;

        let huge = json!({"name": "x".repeat(100 * 1024)});
        expect_error(app.post("categories", Some(&soho.token), &huge).await, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

        let categories: Vec<Category> = expect_json(app.get("categories", &soho.token).await, StatusCode::OK).await;
        assert!(categories.is_empty(), "nothing was created: {categories:?}");
    }

    async fn missing_garbage_and_wrong_scheme_tokens_are_401(app: TestApp) {
        let no_token = app.request(Method::GET, "me", None).send().await.unwrap();
        expect_error(no_token, StatusCode::UNAUTHORIZED, "unauthorized").await;
        expect_error(app.get("me", "ors_garbage").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let basic = app.request(Method::GET, "me", None).header(header::AUTHORIZATION, "Basic YTpi").send().await.unwrap();
        expect_error(basic, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn unknown_routes_and_malformed_ids_get_json_errors(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        expect_error(app.get("no-such-thing", &soho.token).await, StatusCode::NOT_FOUND, "not_found").await;
        // A known path with a method it does not have says so, in the same shape, with the methods it has.
        let wrong_method = app.request(Method::PUT, "categories", Some(&soho.token)).send().await.unwrap();
        let allow = wrong_method.headers().get(header::ALLOW).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        assert!(allow.contains("GET") && allow.contains("POST"), "Allow: {allow}");
        expect_error(wrong_method, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
        expect_error(app.get("products/not-a-uuid", &soho.token).await, StatusCode::BAD_REQUEST, "bad_request").await;
        expect_error(app.get(&format!("products/{}", uuid::Uuid::now_v7()), &soho.token).await, StatusCode::NOT_FOUND, "not_found").await;
    }
}
