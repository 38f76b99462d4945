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

both! {
    // Every operation, asked wrongly in each way a client can get wrong (no token, a forged one, a body
    // that is not JSON, of another type or the wrong shape, an id that is not there), answers a status its
    // OpenAPI operation documents: a generated client or a schema-driven tester agrees with the server.
    async fn every_error_an_operation_answers_is_documented_in_the_openapi_document(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let doc: serde_json::Value =
            expect_json(app.request(Method::GET, "/api/v1/openapi.json", None).send().await.unwrap(), StatusCode::OK).await;
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            // The socket's own errors are close codes, documented with the protocol.
            if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" || path == "/api/v1/sync/ws" {
                continue;
            }
            for (method, operation) in item.as_object().unwrap() {
                let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
                let documented: Vec<&str> = operation["responses"].as_object().unwrap().keys().map(String::as_str).collect();
                let concrete = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
                // Signing out ends the session it is called with: that one gets a session of its own.
                let owner = match path.ends_with("/logout") {
                    true => app.login(&soho.owner.email, PASSWORD).await.token,
                    false => soho.token.clone(),
                };
                let request = |token: Option<&str>| app.request(method.clone(), &concrete, token);
                let mut tries = vec![
                    ("no token", request(None)),
                    ("a forged token", request(Some("forged-token-of-no-one"))),
                    ("the owner's token", request(Some(&owner))),
                ];
                if operation.get("requestBody").is_some() {
                    let owner = || request(Some(&owner));
                    tries.extend([
                        ("a body that is not JSON", owner().header(header::CONTENT_TYPE, "application/json").body("{\"name\": ")),
                        ("a body of another type", owner().header(header::CONTENT_TYPE, "text/plain").body("name=x")),
                        ("a JSON array", owner().json(&json!([]))),
                        ("an empty object", owner().json(&json!({}))),
                    ]);
                }
                for (what, attempt) in tries {
                    let status = attempt.send().await.unwrap().status();
                    assert!(
                        documented.contains(&status.as_str()),
                        "{method} {path} with {what} answered {status}, which its operation does not document ({documented:?})"
                    );
                    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{method} {path} with {what}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 40, "only {checked} operations were found in the document");
    }
}
