//! What an operator relies on: health endpoints, the OpenAPI document, the demo restaurant, and (on
//! PostgreSQL) row-level security as the second wall between tenants.

use ordera_protocol::api::{MenuResponse, Product};
use ordera_server::demo::{seed, DEMO_OWNER_EMAIL, DEMO_RESTAURANT};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Connection;

use crate::helpers::*;

/// One sample's value from a Prometheus scrape, by name and labels.
fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
            prometheus_parse::Value::Summary(_) => 0.0,
        })
        .reduce(f64::max)
}

both! {
    async fn metrics_count_requests_sockets_events_and_orders(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let sides = app.category(&soho, "Sides").await;
        let fries = app.product(&soho, &sides, "Fries", 395).await;
        let kiosk = app.pair(&soho, ordera_protocol::DeviceKind::Kiosk).await;
        let kds = app.pair(&soho, ordera_protocol::DeviceKind::Kds).await;
        let (mut screen, _, _) = crate::ws::SyncClient::connect(app.addr, &kds.token, None, 0).await;
        app.place_order(&kiosk.token, &[(fries.id, 1)]).await;
        screen.events(1).await;
        screen.send(&ordera_protocol::sync::ClientMessage::Ping { nonce: 7, outbox: Some(3), position: None }).await;
        assert!(matches!(screen.recv().await, ordera_protocol::sync::ServerMessage::Pong { nonce: 7 }));

        let response = app.request(Method::GET, "/metrics", None).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.unwrap();
        let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text");
        let at_least_one = |name: &str, labels: &[(&str, &str)]| {
            let value = sample(&scrape, name, labels).unwrap_or_else(|| panic!("{name} {labels:?} missing:\n{text}"));
            assert!(value >= 1.0, "{name} {labels:?} = {value}");
        };
        at_least_one("ordera_http_requests_total", &[("method", "POST"), ("route", "/api/v1/orders"), ("status", "201")]);
        at_least_one("ordera_http_request_duration_seconds", &[("route", "/api/v1/orders")]);
        at_least_one("ordera_orders_placed_total", &[]);
        at_least_one("ordera_ws_connections", &[("kind", "kds")]);
        at_least_one("ordera_events_published_total", &[]);
        at_least_one("ordera_events_delivered_total", &[]);
        at_least_one("ordera_event_delivery_lag_seconds", &[]);
        at_least_one("ordera_device_outbox_size", &[]);
        assert!(sample(&scrape, "ordera_db_pool_connections", &[("state", "idle")]).is_some());
        // Routes are templates: no ids in labels.
        assert!(!text.contains(&fries.id.to_string()), "an id leaked into a label");
    }

    async fn health_and_readiness_answer(app: TestApp) {
        let health: Value = expect_json(app.request(Method::GET, "/healthz", None).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(health["status"], "ok");
        let ready: Value = expect_json(app.request(Method::GET, "/readyz", None).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(ready["status"], "ready");
        let expected = match app.backend { Backend::Postgres => "postgres", Backend::Sqlite => "sqlite" };
        assert_eq!(ready["database"], expected);
    }

    async fn the_openapi_document_describes_every_route_the_server_serves(app: TestApp) {
        let doc: Value = expect_json(app.request(Method::GET, "/api/v1/openapi.json", None).send().await.unwrap(), StatusCode::OK).await;
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let documented: Vec<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |method| (method.to_uppercase(), path.clone())))
            .filter(|(method, _)| ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()))
            .collect();
        let paths: std::collections::BTreeSet<&str> = documented.iter().map(|(_, path)| path.as_str()).collect();
        // The whole set, so that a route dropped from the document fails here by name.
        let expected: std::collections::BTreeSet<&str> = [
            "/healthz", "/readyz", "/metrics",
            "/api/v1/signup", "/api/v1/login", "/api/v1/logout", "/api/v1/me", "/api/v1/tenant", "/api/v1/users",
            "/api/v1/users/{id}", "/api/v1/users/{id}/password", "/api/v1/devices", "/api/v1/devices/pairing-codes",
            "/api/v1/devices/pair", "/api/v1/devices/{id}", "/api/v1/devices/{id}/revoke", "/api/v1/categories", "/api/v1/categories/{id}", "/api/v1/categories/reorder",
            "/api/v1/products", "/api/v1/products/{id}", "/api/v1/products/{id}/image", "/api/v1/images/{id}",
            "/api/v1/menu", "/api/v1/orders", "/api/v1/orders/{id}", "/api/v1/orders/{id}/status", "/api/v1/orders/{id}/items",
            "/api/v1/orders/export.csv", "/api/v1/orders/refused", "/api/v1/orders/refused/{id}/resolve",
            "/api/v1/reports/summary", "/api/v1/reports/hourly", "/api/v1/reports/top-products",
            "/api/v1/sync/snapshot", "/api/v1/sync/ws",
        ]
        .into_iter()
        .collect();
        assert_eq!(paths, expected, "documented paths (left) differ from the server's routes (right)");
        assert!(doc["components"]["schemas"]["Product"].is_object());
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

        // Each documented operation is routed as documented: the server counts it under that very route
        // template (not as unmatched, not refused as the wrong method).
        for (method, path) in &documented {
            let concrete = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
            let response = app.request(method.parse().unwrap(), &concrete, None).send().await.unwrap();
            assert_ne!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        }
        // Read by hand: prometheus_parse cuts a label value at the `}` of a template's `{id}`.
        let text = app.request(Method::GET, "/metrics", None).send().await.unwrap().text().await.unwrap();
        let label = |line: &str, name: &str| -> Option<String> {
            let start = line.find(&format!("{name}=\""))? + name.len() + 2;
            Some(line[start..].split('"').next()?.to_owned())
        };
        let counted: std::collections::BTreeSet<(String, String)> = text
            .lines()
            .filter(|line| line.starts_with("ordera_http_requests_total{"))
            .filter_map(|line| Some((label(line, "method")?, label(line, "route")?)))
            .collect();
        for operation in &documented {
            assert!(counted.contains(operation), "{operation:?} is documented but the server routed it elsewhere");
        }
        // And the other way round: every route any request in this process reached is documented (the
        // document itself aside).
        let served: std::collections::BTreeSet<&str> = counted
            .iter()
            .map(|(_, route)| route.as_str())
            .filter(|route| !["unmatched", "/api/v1/openapi.json"].contains(route))
            .collect();
        let undocumented: Vec<&&str> = served.difference(&paths).collect();
        assert!(undocumented.is_empty(), "served but not documented: {undocumented:?}");
    }

    async fn the_demo_restaurant_is_seeded_once_with_pictures_and_a_fresh_password(app: TestApp) {
        seed(app.store.as_ref(), chrono::Duration::minutes(10)).await.unwrap();
        // A second start finds it and only renews the password.
        seed(app.store.as_ref(), chrono::Duration::minutes(10)).await.unwrap();
        let credentials = app.store.credentials(DEMO_OWNER_EMAIL).await.unwrap().expect("the demo owner");
        let tenant = app.store.tenant(credentials.tenant_id).await.unwrap();
        assert_eq!(tenant.name, DEMO_RESTAURANT);
        let categories = app.store.categories(tenant.id).await.unwrap();
        assert_eq!(categories.len(), 4);
        let products: Vec<Product> = app.store.products(tenant.id).await.unwrap();
        assert_eq!(products.len(), 20);
        assert!(products.iter().all(|p| p.image.is_some() && p.price.0 > 0));
        assert!(products.iter().any(|p| p.stock.is_some()));
        let images: std::collections::BTreeSet<_> = products.iter().map(|p| p.image.as_ref().unwrap().id).collect();
        assert_eq!(images.len(), 20);
    }
}

/// An instance whose database is gone tells the load balancer so (readiness fails) while it stays alive
/// (liveness holds), so that it is taken out of rotation rather than restarted in a loop.
#[tokio::test]
async fn readiness_fails_while_the_database_is_unreachable() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (_, name) = app.database_url.rsplit_once('/').unwrap();
    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url()).await.unwrap();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await.unwrap();

    let ready: Value =
        expect_json(app.request(Method::GET, "/readyz", None).send().await.unwrap(), StatusCode::SERVICE_UNAVAILABLE)
            .await;
    assert_eq!(ready["status"], "unavailable");
    assert_eq!(ready["database"], "postgres");
    let health = app.request(Method::GET, "/healthz", None).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

/// The demo owner's printed password is the one that works: the server's own output is the proof.
#[tokio::test]
async fn the_demo_login_printed_on_start_works() {
    let binary = env!("CARGO_BIN_EXE_ordera-server");
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = tokio::process::Command::new(binary)
        .args(["--demo", "--addr", &format!("127.0.0.1:{port}")])
        .env("ORDERA_DATA_DIR", dir.path())
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let line = lines.next_line().await.unwrap().expect("the server printed no demo login");
            if line.contains(DEMO_OWNER_EMAIL) {
                return line;
            }
        }
    })
    .await
    .expect("the demo login within a minute");
    let password = line.rsplit(' ').next().unwrap().to_owned();
    // Then fresh pairing codes for the apps: "…: kiosk K7MQ-2XFD, kds 9RTC-4MNB, admin 3HJP-QW7C" (log lines may come between).
    let codes = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let line = lines.next_line().await.unwrap().expect("the server printed no pairing codes");
            if line.starts_with("Pairing codes for the apps") {
                return line;
            }
        }
    })
    .await
    .expect("the pairing codes within a minute");
    let codes: Vec<(String, String)> = codes
        .rsplit(": ")
        .next()
        .unwrap()
        .split(", ")
        .map(|pair| {
            let (kind, code) = pair.split_once(' ').expect("kind and code");
            (kind.to_owned(), code.to_owned())
        })
        .collect();
    assert_eq!(codes.iter().map(|(kind, _)| kind.as_str()).collect::<Vec<_>>(), ["kiosk", "kds", "admin"]);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let mut session = None;
    for _ in 0..100 {
        if let Ok(response) = client
            .post(format!("{base}/login"))
            .json(&serde_json::json!({"email": DEMO_OWNER_EMAIL, "password": password}))
            .send()
            .await
        {
            session = Some(response);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let session: ordera_protocol::api::SessionResponse =
        expect_json(session.expect("the server answers"), StatusCode::OK).await;
    let menu: MenuResponse = expect_json(
        client.get(format!("{base}/menu")).bearer_auth(&session.token).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(menu.tenant.name, DEMO_RESTAURANT);
    assert_eq!(menu.products.len(), 20);
    // The printed codes pair the apps.
    for (kind, code) in &codes {
        let paired: ordera_protocol::api::PairResponse = expect_json(
            client.post(format!("{base}/devices/pair")).json(&serde_json::json!({"code": code})).send().await.unwrap(),
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(paired.device.kind.to_string(), *kind);
    }
    assert!(dir.path().join("ordera.db").exists(), "the embedded database lives in the data dir");
    child.kill().await.unwrap();
}

/// With the tenant set for a transaction, PostgreSQL itself hides and protects every other tenant's rows,
/// even from queries without a tenant filter.
#[tokio::test]
async fn row_level_security_confines_a_scoped_transaction_to_its_tenant() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let a = app.restaurant("A").await;
    let b = app.restaurant("B").await;
    let a_burgers = app.category(&a, "Burgers").await;
    app.product(&a, &a_burgers, "A1", 100).await;
    app.product(&a, &a_burgers, "A2", 100).await;
    let b_burgers = app.category(&b, "Burgers").await;
    app.product(&b, &b_burgers, "B1", 100).await;

    let mut conn = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE ordera_tenant").execute(&mut *tx).await.unwrap();
    sqlx::query("SELECT set_config('ordera.tenant_id', $1, true)")
        .bind(a.tenant.id.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let visible: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(visible, 2, "only A's products are visible");
    let tenants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(tenants, 1);
    let touched = sqlx::query("UPDATE products SET price = 1").execute(&mut *tx).await.unwrap().rows_affected();
    assert_eq!(touched, 2, "an unfiltered update reaches only A's rows");
    let sneaky = sqlx::query("INSERT INTO categories (id, tenant_id, name, position, visible, created_at, updated_at) VALUES ($1, $2, 'x', 0, true, now(), now())")
        .bind(uuid::Uuid::now_v7())
        .bind(b.tenant.id)
        .execute(&mut *tx)
        .await;
    assert!(sneaky.is_err(), "writing a row for another tenant is refused");
    tx.rollback().await.unwrap();

    // Without a tenant set, the role sees nothing at all.
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE ordera_tenant").execute(&mut *tx).await.unwrap();
    let none: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(none, 0);
}
