//! The walls around each restaurant's data and each role's powers, checked from the outside in: which
//! routes a cook or a device may not use, the login throttle per address, and PostgreSQL's row-level
//! security on every table that holds a restaurant's rows.

use std::collections::BTreeSet;

use ordera_protocol::DeviceKind;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;

use crate::helpers::*;
use crate::isolation::{a_state, restaurant_a, restaurant_named};

/// What only owners and managers may do. Every other operation of the API is open to staff (or to no
/// one in particular), which the test below checks too, so a new route has to be placed on one side.
/// Pairing codes are open to staff for admin computers only (devices.rs tests the kinds).
const MANAGERS_ONLY: &[&str] = &[
    "PATCH /api/v1/tenant",
    "GET /api/v1/users",
    "POST /api/v1/users",
    "GET /api/v1/users/{id}",
    "PATCH /api/v1/users/{id}",
    "POST /api/v1/users/{id}/password",
    "GET /api/v1/devices",
    "POST /api/v1/devices/{id}/revoke",
    "PATCH /api/v1/devices/{id}",
    "POST /api/v1/categories",
    "POST /api/v1/categories/reorder",
    "PATCH /api/v1/categories/{id}",
    "DELETE /api/v1/categories/{id}",
    "POST /api/v1/products",
    "PATCH /api/v1/products/{id}",
    "DELETE /api/v1/products/{id}",
    "PUT /api/v1/products/{id}/image",
    "GET /api/v1/orders",
    "GET /api/v1/orders/export.csv",
    "GET /api/v1/reports/summary",
    "GET /api/v1/reports/hourly",
    "GET /api/v1/reports/top-products",
];

/// A concrete path for a documented one: the restaurant's own ids where the route needs one, so that a
/// refusal can only come from the role, never from a missing thing.
fn concrete(template: &str, r: &crate::isolation::RestaurantA) -> String {
    let id = if template.starts_with("/api/v1/users/") {
        r.a_staff.id
    } else if template.starts_with("/api/v1/devices/") {
        r.a_kiosk.device.id
    } else if template.starts_with("/api/v1/categories/") {
        r.a_category.id
    } else if template.starts_with("/api/v1/products/") {
        r.a_product.id
    } else if template.starts_with("/api/v1/images/") {
        r.a_image
    } else if template.starts_with("/api/v1/orders/refused/") {
        r.a_refused
    } else {
        r.a_order.id
    };
    template.trim_start_matches("/api/v1/").replace("{id}", &id.to_string())
}

both! {
    async fn cooks_and_devices_are_refused_every_manager_route_and_change_nothing(app: TestApp) {
        let r = restaurant_a(&app).await;
        let (_, cook) = app.user(&r.a, "staff").await;
        let kds = app.pair(&r.a, DeviceKind::Kds).await;
        let before = a_state(&app, &r.a.token).await;

        let openapi: Value = expect_json(app.request(Method::GET, "/api/v1/openapi.json", None).send().await.unwrap(), StatusCode::OK).await;
        let mut documented = BTreeSet::new();
        for (path, operations) in openapi["paths"].as_object().unwrap() {
            for method in operations.as_object().unwrap().keys() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
        let managers_only: BTreeSet<&str> = MANAGERS_ONLY.iter().copied().collect();
        let mut seen = BTreeSet::new();
        // The manager routes first, then a look at the state, then the open routes (a cook may well
        // change things through those: settle a refused order, say).
        let (first, then): (Vec<_>, Vec<_>) =
            documented.iter().partition(|(method, path)| managers_only.contains(format!("{method} {path}").as_str()));
        let mut unchanged = false;
        let steps = first.into_iter().map(Some).chain([None]).chain(then.into_iter().map(Some));
        for step in steps {
            let Some((method, path)) = step else {
                assert_eq!(a_state(&app, &r.a.token).await, before, "nothing changed");
                unchanged = true;
                continue;
            };
            // Logging out would end the very session under test; the socket is not a plain request.
            if !path.starts_with("/api/v1/") || path.ends_with("/logout") || path.ends_with("/sync/ws") {
                continue;
            }
            let operation = format!("{method} {path}");
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            for (who, token) in [("a cook", &cook), ("the kitchen screen", &kds.token), ("the kiosk", &r.a_kiosk.token)] {
                // A device may revoke itself (the admin app signing out does; devices.rs tests it): the
                // kiosk asking to revoke its own id is not a manager's power being tried.
                if operation == "POST /api/v1/devices/{id}/revoke" && who == "the kiosk" {
                    continue;
                }
                let mut request = app.request(method.clone(), &concrete(path, &r), Some(token));
                if method == Method::PUT {
                    request = request.header(header::CONTENT_TYPE, "image/png").body(r.png.clone());
                } else if method != Method::GET && method != Method::DELETE {
                    // An empty object: a route that lets the caller through answers 422 or better.
                    request = request.json(&json!({}));
                }
                let response = request.send().await.unwrap();
                let status = response.status();
                let text = response.text().await.unwrap();
                if managers_only.contains(operation.as_str()) {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{operation} as {who}: {text}");
                    let body: ordera_protocol::api::ErrorBody = serde_json::from_str(&text).unwrap();
                    assert_eq!(body.error.code, "forbidden");
                    seen.insert(operation.clone());
                } else {
                    // Kitchen screens and kiosks have their own limits (a screen places no orders), but
                    // the open routes never refuse a cook for being a cook.
                    if who == "a cook" {
                        assert_ne!(status, StatusCode::FORBIDDEN, "{operation} as {who}: {text}");
                    }
                }
            }
        }
        assert!(unchanged);
        assert_eq!(seen, managers_only.iter().map(|s| s.to_string()).collect(), "every manager route is documented and tried");
    }

    async fn a_manager_demoted_to_staff_loses_the_powers_on_the_session_already_open(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let (manager, session) = app.user(&soho, "manager").await;
        app.category(&Restaurant { token: session.clone(), tenant: soho.tenant.clone(), owner: manager.clone() }, "Mains").await;

        let demoted: Value = expect_json(
            app.patch(&format!("users/{}", manager.id), &soho.token, &json!({"role": "staff"})).await,
            StatusCode::OK,
        ).await;
        assert_eq!(demoted["role"], "staff");
        expect_error(app.post("categories", Some(&session), &json!({"name": "Sides"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.get("users", &session).await, StatusCode::FORBIDDEN, "forbidden").await;
        // Still signed in, as staff: the menu is readable.
        expect_status(app.get("categories", &session).await, StatusCode::OK).await;
    }
}

/// One address trying many accounts is stopped even though no single account failed often; another
/// address (another customer behind the same proxy) is not. Behind the deployment's proxy the address
/// is the client's, from `X-Real-IP`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_spraying_many_accounts_is_throttled_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.behind_proxy = true).await;
    let soho = app.restaurant("Soho").await;
    let login = |email: String, password: &'static str, from: &'static str| {
        app.request(Method::POST, "login", None)
            .header("x-real-ip", from)
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    for n in 0..ordera_server::config::LOGIN_FAILURES_PER_ADDRESS {
        let response = login(format!("guess-{n}@example.com"), "not a password", "203.0.113.7").await.unwrap();
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    // Even the right password for an account never tried is refused from that address now.
    let response = login(soho.owner.email.clone(), PASSWORD, "203.0.113.7").await.unwrap();
    let retry_after: u64 = response.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "Retry-After {retry_after}");
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    // The owner at another address logs in as usual.
    let response = login(soho.owner.email.clone(), PASSWORD, "198.51.100.20").await.unwrap();
    expect_status(response, StatusCode::OK).await;
}

/// Every PostgreSQL table that holds a restaurant's rows has row-level security with a policy, and a
/// transaction scoped to one restaurant sees none of another's rows in any of them. The tables are read
/// from the catalog, so a table added later is checked without changing this test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tenant_table_is_walled_off_by_row_level_security() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let a = restaurant_named(&app, "A").await;
    let b = restaurant_named(&app, "B").await;
    // Sessions, devices, codes, menu, pictures, orders and refusals exist for both now.
    app.pair(&b.a, DeviceKind::Kds).await;

    let mut conn = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
    let tables: Vec<(String, bool, i64)> = sqlx::query_as(
        "SELECT c.relname::text, c.relrowsecurity, \
                (SELECT COUNT(*) FROM pg_policy p WHERE p.polrelid = c.oid) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind = 'r' \
           AND (c.relname = 'tenants' OR EXISTS (SELECT 1 FROM pg_attribute col \
                WHERE col.attrelid = c.oid AND col.attname = 'tenant_id' AND NOT col.attisdropped)) \
         ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(tables.len() >= 12, "the tenant tables: {tables:?}");
    for (table, secured, policies) in &tables {
        assert!(*secured, "{table} has no row-level security");
        assert!(*policies >= 1, "{table} has no policy");
    }

    let mut tables_with_b_rows = 0;
    for (table, _, _) in &tables {
        let column = if table == "tenants" { "id" } else { "tenant_id" };
        let b_rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"))
            .bind(b.a.tenant.id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        tables_with_b_rows += usize::from(b_rows > 0);

        let mut tx = conn.begin().await.unwrap();
        sqlx::query("SET LOCAL ROLE ordera_tenant").execute(&mut *tx).await.unwrap();
        sqlx::query("SELECT set_config('ordera.tenant_id', $1, true)")
            .bind(a.a.tenant.id.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        let (own, foreign): (i64, i64) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FILTER (WHERE {column} = $1), COUNT(*) FILTER (WHERE {column} <> $1) FROM {table}"
        ))
        .bind(a.a.tenant.id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(foreign, 0, "A's transaction sees another restaurant's rows in {table}");
        if b_rows > 0 {
            assert!(own > 0, "A's own rows in {table} are visible to A");
        }
        let deleted = sqlx::query(&format!("DELETE FROM {table} WHERE {column} = $1"))
            .bind(b.a.tenant.id)
            .execute(&mut *tx)
            .await
            .map(|done| done.rows_affected())
            .unwrap_or(0);
        assert_eq!(deleted, 0, "A's transaction deleted B's rows in {table}");
        tx.rollback().await.unwrap();
    }
    // Nearly every table held rows of both restaurants, so the checks above looked at real data.
    assert!(tables_with_b_rows + 1 >= tables.len(), "{tables_with_b_rows} of {} tables hold B's rows", tables.len());
}
