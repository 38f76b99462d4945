use ordera_protocol::api::{MeResponse, SessionResponse, User};
use ordera_protocol::Role;
use reqwest::{header, Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

both! {
    async fn a_restaurant_signs_up_and_its_owner_is_signed_in(app: TestApp) {
        let soho = app.restaurant("Sizzling Soho").await;
        assert_eq!(soho.tenant.name, "Sizzling Soho");
        assert_eq!(soho.tenant.timezone, "Europe/London");
        assert_eq!(soho.tenant.currency, "GBP");
        assert_eq!(soho.owner.role, Role::Owner);
        let me: MeResponse = expect_json(app.get("me", &soho.token).await, StatusCode::OK).await;
        assert_eq!(me.tenant, soho.tenant);
        assert_eq!(me.user.as_ref().map(|u| u.id), Some(soho.owner.id));
        assert!(me.device.is_none());
    }

    async fn signup_names_every_bad_field_and_creates_nothing(app: TestApp) {
        let body = json!({
            "restaurant_name": "", "timezone": "Mars/Base", "currency": "XXQ",
            "owner_name": "Ann", "email": "ann", "password": "short"
        });
        let error = expect_error(app.post("signup", None, &body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let fields = error.error.fields.expect("field errors");
        for field in ["restaurant_name", "timezone", "currency", "email", "password"] {
            assert!(fields.0.contains_key(field), "{field} should be named: {fields:?}");
        }
        assert!(!fields.0.contains_key("owner_name"));
        let login = app.post("login", None, &json!({"email": "ann", "password": "short"})).await;
        expect_error(login, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn an_email_address_can_own_only_one_account(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let body = json!({
            "restaurant_name": "Another", "timezone": "Europe/Paris", "currency": "EUR",
            "owner_name": "Ann", "email": soho.owner.email.to_uppercase(), "password": PASSWORD
        });
        expect_error(app.post("signup", None, &body).await, StatusCode::CONFLICT, "conflict").await;
    }

    async fn a_user_logs_in_case_insensitively_and_logs_out(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let session = app.login(&soho.owner.email.to_uppercase(), PASSWORD).await;
        assert_eq!(session.user.id, soho.owner.id);
        assert!(session.token.starts_with("ors_"));
        assert!(session.expires_at > chrono::Utc::now());
        expect_status(app.get("me", &session.token).await, StatusCode::OK).await;
        expect_status(app.request(Method::POST, "logout", Some(&session.token)).send().await.unwrap(), StatusCode::NO_CONTENT).await;
        expect_error(app.get("me", &session.token).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        // The other session is untouched.
        expect_status(app.get("me", &soho.token).await, StatusCode::OK).await;
    }

    async fn repeated_wrong_passwords_lock_the_account_with_retry_after(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let wrong = json!({"email": soho.owner.email, "password": "not the password"});
        for _ in 0..5 {
            expect_error(app.post("login", None, &wrong).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
        let right = json!({"email": soho.owner.email, "password": PASSWORD});
        let response = app.post("login", None, &right).await;
        let retry_after: u64 = response.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry_after), "Retry-After {retry_after}");
        expect_error(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
        // Other accounts are not locked by someone else's failures.
        let other = app.restaurant("Other").await;
        app.login(&other.owner.email, PASSWORD).await;
    }

    async fn an_unknown_email_gets_the_same_answer_as_a_wrong_password(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let unknown = app.post("login", None, &json!({"email": "nobody@example.com", "password": PASSWORD})).await;
        let wrong = app.post("login", None, &json!({"email": soho.owner.email, "password": "wrong password!"})).await;
        let a = expect_error(unknown, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let b = expect_error(wrong, StatusCode::UNAUTHORIZED, "unauthorized").await;
        assert_eq!(a.error.message, b.error.message);
    }

    async fn owners_and_managers_manage_staff_and_staff_cannot(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let (manager, manager_token) = app.user(&soho, "manager").await;
        assert_eq!(manager.role, Role::Manager);

        // A manager adds staff but may not add or change owners.
        let staff_body = json!({"email": "cook@example.com", "name": "Cook", "role": "staff", "password": PASSWORD});
        let cook: User = expect_json(app.post("users", Some(&manager_token), &staff_body).await, StatusCode::CREATED).await;
        let owner_body = json!({"email": "boss@example.com", "name": "Boss", "role": "owner", "password": PASSWORD});
        expect_error(app.post("users", Some(&manager_token), &owner_body).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.patch(&format!("users/{}", soho.owner.id), &manager_token, &json!({"name": "X"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.patch(&format!("users/{}", cook.id), &manager_token, &json!({"role": "owner"})).await, StatusCode::FORBIDDEN, "forbidden").await;

        // Staff can read who they are and the menu, but not manage users or the menu.
        let staff_token = app.login("cook@example.com", PASSWORD).await.token;
        expect_status(app.get("me", &staff_token).await, StatusCode::OK).await;
        expect_status(app.get("products", &staff_token).await, StatusCode::OK).await;
        expect_error(app.get("users", &staff_token).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.post("users", Some(&staff_token), &staff_body).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.post("categories", Some(&staff_token), &json!({"name": "Nope"})).await, StatusCode::FORBIDDEN, "forbidden").await;

        // The owner promotes the cook; the role takes effect on the cook's existing session.
        let promoted: User = expect_json(app.patch(&format!("users/{}", cook.id), &soho.token, &json!({"role": "manager"})).await, StatusCode::OK).await;
        assert_eq!(promoted.role, Role::Manager);
        expect_status(app.get("users", &staff_token).await, StatusCode::OK).await;

        let users: Vec<User> = expect_json(app.get("users", &soho.token).await, StatusCode::OK).await;
        assert_eq!(users.len(), 3);
        // The same address cannot be used twice.
        expect_error(app.post("users", Some(&soho.token), &staff_body).await, StatusCode::CONFLICT, "conflict").await;
    }

    async fn a_deactivated_user_is_signed_out_at_once_and_cannot_log_in(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let (cook, cook_token) = app.user(&soho, "staff").await;
        let updated: User = expect_json(app.patch(&format!("users/{}", cook.id), &soho.token, &json!({"active": false})).await, StatusCode::OK).await;
        assert!(!updated.active);
        expect_error(app.get("me", &cook_token).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let login = app.post("login", None, &json!({"email": cook.email, "password": PASSWORD})).await;
        expect_error(login, StatusCode::UNAUTHORIZED, "unauthorized").await;
        // Reactivated, they can log in again.
        app.patch(&format!("users/{}", cook.id), &soho.token, &json!({"active": true})).await;
        app.login(&cook.email, PASSWORD).await;
    }

    async fn logging_out_or_being_deactivated_ends_the_persons_live_stream_too(app: TestApp) {
        let app = TestApp::spawn_with(app.backend, |config| config.reauth_ms = 200).await;
        let soho = app.restaurant("Soho").await;
        let (cook, cook_token) = app.user(&soho, "staff").await;
        let (mut deactivated, _, _) = crate::ws::SyncClient::connect(app.addr, &cook_token, None, 0).await;
        let (mut logged_out, _, _) = crate::ws::SyncClient::connect(app.addr, &soho.token, None, 0).await;
        let second = app.login(&soho.owner.email, PASSWORD).await.token;
        let (mut still_signed_in, _, _) = crate::ws::SyncClient::connect(app.addr, &second, None, 0).await;

        app.patch(&format!("users/{}", cook.id), &soho.token, &json!({"active": false})).await;
        expect_status(app.request(Method::POST, "logout", Some(&soho.token)).send().await.unwrap(), StatusCode::NO_CONTENT).await;
        let unauthorized = ordera_protocol::sync::close::UNAUTHORIZED;
        assert_eq!(deactivated.expect_close().await.0, unauthorized);
        assert_eq!(logged_out.expect_close().await.0, unauthorized);
        // The owner's other session is not the one that logged out: its stream goes on.
        app.category(&Restaurant { token: second.clone(), tenant: soho.tenant.clone(), owner: soho.owner.clone() }, "Mains").await;
        match still_signed_in.recv().await {
            ordera_protocol::sync::ServerMessage::Events { events } => {
                assert!(events.iter().any(|e| matches!(e.event, ordera_protocol::sync::Event::CategoryUpserted { .. })), "{events:?}");
            }
            other => panic!("expected the new category, got {other:?}"),
        }
    }

    async fn a_restaurant_always_keeps_an_active_owner(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let path = format!("users/{}", soho.owner.id);
        expect_error(app.patch(&path, &soho.token, &json!({"role": "manager"})).await, StatusCode::CONFLICT, "conflict").await;
        expect_error(app.patch(&path, &soho.token, &json!({"active": false})).await, StatusCode::CONFLICT, "conflict").await;
        // With a second owner, the first may step down.
        let (second, _) = app.user(&soho, "owner").await;
        assert_eq!(second.role, Role::Owner);
        let stepped_down: User = expect_json(app.patch(&path, &soho.token, &json!({"role": "manager"})).await, StatusCode::OK).await;
        assert_eq!(stepped_down.role, Role::Manager);
    }

    async fn an_expired_session_is_refused(app: TestApp) {
        let _ = app;
        let app = TestApp::spawn_with(app.backend, |config| config.session_hours = 0).await;
        let soho = app.restaurant("Soho").await;
        let error = expect_error(app.get("me", &soho.token).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        assert!(error.error.message.contains("expired"), "{error:?}");
    }

    async fn a_signup_session_and_a_login_session_are_distinct(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let second: SessionResponse = app.login(&soho.owner.email, PASSWORD).await;
        assert_ne!(second.token, soho.token);
    }

    // Sessions and pairing codes past their expiry are pruned with the log; live ones are kept.
    async fn expired_sessions_and_pairing_codes_are_pruned_and_live_ones_kept(app: TestApp) {
        use ordera_server::store::{NewPairingCode, NewSession};
        let soho = app.restaurant("Soho").await;
        let gone = chrono::Utc::now() - chrono::Duration::hours(1);
        app.store
            .create_session(&NewSession {
                token_hash: vec![1; 32],
                tenant_id: soho.tenant.id,
                user_id: soho.owner.id,
                expires_at: gone,
            })
            .await
            .unwrap();
        app.store
            .create_pairing_code(&NewPairingCode {
                code_hash: vec![2; 32],
                tenant_id: soho.tenant.id,
                kind: ordera_protocol::DeviceKind::Kiosk,
                name: "Old kiosk".into(),
                created_by: soho.owner.id,
                expires_at: gone,
            })
            .await
            .unwrap();
        let live_code: serde_json::Value = expect_json(
            app.post("devices/pairing-codes", Some(&soho.token), &json!({"kind": "kds", "name": "Grill"})).await,
            StatusCode::CREATED,
        )
        .await;

        // Nothing in the log is old enough: what goes is the expired session and the expired code.
        let long_ago = chrono::Utc::now() - chrono::Duration::days(7);
        assert_eq!(app.store.prune(long_ago).await.unwrap(), 2);
        assert_eq!(app.store.prune(long_ago).await.unwrap(), 0, "nothing left to prune");
        let me: MeResponse = expect_json(app.get("me", &soho.token).await, StatusCode::OK).await;
        assert_eq!(me.tenant.id, soho.tenant.id, "the live session still works");
        let paired = app.post("devices/pair", None, &json!({"code": live_code["code"]})).await;
        assert_eq!(paired.status(), StatusCode::CREATED, "the live code still pairs");
    }
}
