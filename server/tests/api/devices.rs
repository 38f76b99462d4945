use ordera_protocol::api::{Device, MeResponse, MenuResponse, PairResponse, PairingCodeResponse};
use ordera_protocol::DeviceKind;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

both! {
    async fn a_kiosk_pairs_with_a_code_and_reads_the_menu(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let burgers = app.category(&soho, "Burgers").await;
        app.product(&soho, &burgers, "Smash Burger", 1095).await;

        let code: PairingCodeResponse = expect_json(
            app.post("devices/pairing-codes", Some(&soho.token), &json!({"kind": "kiosk", "name": "Front kiosk"})).await,
            StatusCode::CREATED,
        ).await;
        assert_eq!(code.code.len(), 9, "a code like ABCD-EFGH: {}", code.code);
        assert!(code.expires_at > chrono::Utc::now());

        // Typed as a person would: lower case, without the dash.
        let typed = code.code.to_lowercase().replace('-', "");
        let paired: PairResponse = expect_json(app.post("devices/pair", None, &json!({"code": typed})).await, StatusCode::CREATED).await;
        assert!(paired.token.starts_with("ord_"));
        assert_eq!(paired.tenant.id, soho.tenant.id);
        assert_eq!(paired.device.kind, DeviceKind::Kiosk);
        assert_eq!(paired.device.name, "Front kiosk");

        let me: MeResponse = expect_json(app.get("me", &paired.token).await, StatusCode::OK).await;
        assert_eq!(me.device.map(|d| d.id), Some(paired.device.id));
        assert!(me.user.is_none());

        let menu: MenuResponse = expect_json(app.get("menu", &paired.token).await, StatusCode::OK).await;
        assert_eq!(menu.tenant.name, "Soho");
        assert_eq!(menu.categories.len(), 1);
        assert_eq!(menu.products[0].name, "Smash Burger");
    }

    async fn a_pairing_code_works_once_even_when_raced(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let code: PairingCodeResponse = expect_json(
            app.post("devices/pairing-codes", Some(&soho.token), &json!({"kind": "kds", "name": "Grill screen"})).await,
            StatusCode::CREATED,
        ).await;
        let attempts: Vec<_> = (0..8)
            .map(|_| {
                let (client, url, code) = (app.client.clone(), app.url("devices/pair"), code.code.clone());
                tokio::spawn(async move { client.post(url).json(&json!({"code": code})).send().await.unwrap().status() })
            })
            .collect();
        let mut statuses = Vec::new();
        for attempt in attempts {
            statuses.push(attempt.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
        let devices: Vec<Device> = expect_json(app.get("devices", &soho.token).await, StatusCode::OK).await;
        assert_eq!(devices.len(), 1);
    }

    async fn an_unknown_or_malformed_code_pairs_nothing(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        for code in ["AAAA-AAAA", "", "💥"] {
            expect_error(app.post("devices/pair", None, &json!({"code": code})).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
        expect_error(app.post("devices/pair", None, &json!({"kode": "x"})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let devices: Vec<Device> = expect_json(app.get("devices", &soho.token).await, StatusCode::OK).await;
        assert!(devices.is_empty());
    }

    async fn an_expired_pairing_code_is_refused(app: TestApp) {
        let _ = app;
        let app = TestApp::spawn_with(app.backend, |config| config.pairing_minutes = 0).await;
        let soho = app.restaurant("Soho").await;
        let code: PairingCodeResponse = expect_json(
            app.post("devices/pairing-codes", Some(&soho.token), &json!({"kind": "kiosk", "name": "Late kiosk"})).await,
            StatusCode::CREATED,
        ).await;
        expect_error(app.post("devices/pair", None, &json!({"code": code.code})).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn a_revoked_device_stops_working_at_once(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let kiosk = app.pair(&soho, DeviceKind::Kiosk).await;
        let kds = app.pair(&soho, DeviceKind::Kds).await;
        expect_status(app.get("menu", &kiosk.token).await, StatusCode::OK).await;

        let devices: Vec<Device> = expect_json(app.get("devices", &soho.token).await, StatusCode::OK).await;
        assert_eq!(devices.len(), 2);
        assert!(devices.iter().all(|d| d.last_seen_at.is_some() && d.revoked_at.is_none()));

        let revoked: Device = expect_json(app.post(&format!("devices/{}/revoke", kiosk.device.id), Some(&soho.token), &json!({})).await, StatusCode::OK).await;
        assert!(revoked.revoked_at.is_some());
        let error = expect_error(app.get("menu", &kiosk.token).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        assert!(error.error.message.contains("revoked"), "{error:?}");
        // Revoking again changes nothing; the other device keeps working.
        let again: Device = expect_json(app.post(&format!("devices/{}/revoke", kiosk.device.id), Some(&soho.token), &json!({})).await, StatusCode::OK).await;
        assert_eq!(again.revoked_at, revoked.revoked_at);
        expect_status(app.get("menu", &kds.token).await, StatusCode::OK).await;
    }

    async fn the_device_list_shows_when_each_device_was_last_heard_from(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let kiosk = app.pair(&soho, DeviceKind::Kiosk).await;
        let kds = app.pair(&soho, DeviceKind::Kds).await;
        let long_ago = chrono::Utc::now() - chrono::Duration::days(3);
        app.set_devices_last_seen(long_ago).await;
        let seen = |devices: &[Device], id| devices.iter().find(|d| d.id == id).unwrap().last_seen_at.unwrap();

        // The kiosk asks for the menu; the screen stays silent.
        let before_use = chrono::Utc::now();
        expect_status(app.get("menu", &kiosk.token).await, StatusCode::OK).await;
        let devices: Vec<Device> = expect_json(app.get("devices", &soho.token).await, StatusCode::OK).await;
        assert!(seen(&devices, kiosk.device.id) >= before_use - chrono::Duration::seconds(1), "{devices:?}");
        assert!((seen(&devices, kds.device.id) - long_ago).num_seconds().abs() < 1, "{devices:?}");

        // Opening the live stream counts as being heard from too.
        let (_socket, _, _) = crate::ws::SyncClient::connect(app.addr, &kds.token, None, 0).await;
        let devices: Vec<Device> = expect_json(app.get("devices", &soho.token).await, StatusCode::OK).await;
        assert!(seen(&devices, kds.device.id) >= before_use - chrono::Duration::seconds(1), "{devices:?}");
    }

    async fn only_owners_and_managers_pair_screens_and_revoke_others_staff_pair_admin_computers(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let (_, staff) = app.user(&soho, "staff").await;
        let kiosk = app.pair(&soho, DeviceKind::Kiosk).await;
        let body = json!({"kind": "kiosk", "name": "Sneaky"});
        expect_error(app.post("devices/pairing-codes", Some(&staff), &body).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.post("devices/pairing-codes", Some(&kiosk.token), &body).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.get("devices", &staff).await, StatusCode::FORBIDDEN, "forbidden").await;
        let revoke = format!("devices/{}/revoke", kiosk.device.id);
        expect_error(app.post(&revoke, Some(&staff), &json!({})).await, StatusCode::FORBIDDEN, "forbidden").await;
        // A device may revoke itself (the admin app signing out does), never another.
        let other = app.pair(&soho, DeviceKind::Kds).await;
        expect_error(app.post(&revoke, Some(&other.token), &json!({})).await, StatusCode::FORBIDDEN, "forbidden").await;
        // Staff may pair an admin computer (the admin app does, for whoever signs in), nothing else.
        let office = json!({"kind": "admin", "name": "Office PC"});
        let code: serde_json::Value = expect_json(app.post("devices/pairing-codes", Some(&staff), &office).await, StatusCode::CREATED).await;
        assert_eq!(code["kind"], "admin");
        let own = format!("devices/{}/revoke", other.device.id);
        let revoked: Device = expect_json(app.post(&own, Some(&other.token), &json!({})).await, StatusCode::OK).await;
        assert!(revoked.revoked_at.is_some());
        expect_error(app.get("me", &other.token).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        // A device cannot change the menu either.
        expect_error(app.post("categories", Some(&kiosk.token), &json!({"name": "Hack"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        let bad_name = json!({"kind": "kiosk", "name": "  "});
        let error = expect_error(app.post("devices/pairing-codes", Some(&soho.token), &bad_name).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(error.error.fields.unwrap().0.contains_key("name"));
        let bad_kind = json!({"kind": "toaster", "name": "Toaster"});
        expect_error(app.post("devices/pairing-codes", Some(&soho.token), &bad_kind).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
}

both! {
    async fn guessing_pairing_codes_is_throttled_per_address(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let code: PairingCodeResponse = expect_json(
            app.post("devices/pairing-codes", Some(&soho.token), &json!({"kind": "kiosk", "name": "Front"})).await,
            StatusCode::CREATED,
        )
        .await;
        for n in 0..ordera_server::config::LOGIN_FAILURES_PER_ADDRESS {
            let guess = app.post("devices/pair", None, &json!({"code": format!("GUESS{n:03}")})).await;
            expect_error(guess, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
        // Even the right code waits now: the address has guessed too often.
        let response = app.post("devices/pair", None, &json!({"code": code.code})).await;
        assert!(response.headers().contains_key(reqwest::header::RETRY_AFTER));
        expect_error(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    }
}

/// Behind the deployment's proxy, every request comes from the proxy's address: the throttle counts the
/// client address the proxy reports, so one guesser does not lock out a whole chain. Without
/// `--behind-proxy` the header is ignored, since any client could send it.
#[tokio::test]
async fn behind_the_proxy_guessing_is_throttled_per_client_not_for_everyone() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.behind_proxy = true).await;
    let soho = app.restaurant("Soho").await;
    let guess = |from: &'static str, n: usize| {
        app.request(reqwest::Method::POST, "devices/pair", None)
            .header("x-real-ip", from)
            .json(&json!({"code": format!("GUESS{n:03}")}))
            .send()
    };
    for n in 0..ordera_server::config::LOGIN_FAILURES_PER_ADDRESS {
        expect_error(guess("127.0.0.7", n).await.unwrap(), StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    expect_error(guess("127.0.0.7", 0).await.unwrap(), StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    // Another kiosk behind the same proxy still pairs.
    let code: PairingCodeResponse = expect_json(
        app.post("devices/pairing-codes", Some(&soho.token), &json!({"kind": "kiosk", "name": "Front"})).await,
        StatusCode::CREATED,
    )
    .await;
    let paired = app
        .request(reqwest::Method::POST, "devices/pair", None)
        .header("x-real-ip", "127.0.0.8")
        .json(&json!({"code": code.code}))
        .send()
        .await
        .unwrap();
    assert_eq!(paired.status(), StatusCode::CREATED);

    // Not behind a proxy: the header is no way around the throttle.
    let direct = TestApp::spawn(Backend::Sqlite).await;
    for n in 0..ordera_server::config::LOGIN_FAILURES_PER_ADDRESS {
        let spoofed = direct
            .request(reqwest::Method::POST, "devices/pair", None)
            .header("x-real-ip", format!("127.0.1.{n}"))
            .json(&json!({"code": format!("GUESS{n:03}")}))
            .send()
            .await
            .unwrap();
        expect_error(spoofed, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let spoofed = direct
        .request(reqwest::Method::POST, "devices/pair", None)
        .header("x-real-ip", "127.0.1.200")
        .json(&json!({"code": "GUESS999"}))
        .send()
        .await
        .unwrap();
    expect_error(spoofed, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
}
