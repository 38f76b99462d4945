//! Reports reach Sentry with the right tags and without secrets or personal data. A real HTTP server in the
//! test (`ordera_e2e::ingest`) stands in for Sentry's ingest and receives the real SDK's envelopes: from a
//! server process meeting an internal error (in a request, and in a sync socket's command), a panic, and a
//! sampled request. The app shells' reports are tested on the real built apps, in `e2e/tests/kiosk` and
//! `e2e/tests/admin`.

use std::time::{Duration, Instant};

use ordera_client::{ConnectionState, Engine, EngineConfig};
use ordera_e2e::ingest::Ingest;
use ordera_e2e::process::{free_addr, server_binary, ServerProcess};
use ordera_e2e::server::{break_the_menu, Owner, TestDatabase};
use ordera_protocol::orders::{OrderLineRequest, PlaceOrderRequest};
use ordera_protocol::OrderType;
use serde_json::{json, Value};

/// A client address the proxy reports for a request: personal data that no report may carry.
const CLIENT_ADDRESS: &str = "203.0.113.77";

/// A server process reporting to `dsn`, behind a proxy that tells it each client's address, with `env` on top.
async fn server_reporting_to(
    dsn: &str,
    database: &TestDatabase,
    env: &[(&str, &str)],
) -> (ServerProcess, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let binary = server_binary(env!("CARGO_TARGET_TMPDIR"));
    let mut all = vec![
        ("SENTRY_DSN", dsn.to_owned()),
        ("SENTRY_ENVIRONMENT", "ci".to_owned()),
        ("ORDERA_BEHIND_PROXY", "true".to_owned()),
    ];
    all.extend(env.iter().map(|(k, v)| (*k, v.to_string())));
    (ServerProcess::start(&binary, free_addr(), &database.url, None, data.path(), &all).await, data)
}

/// A request as it arrives through the deployment's proxy: with the client's address.
fn through_proxy(owner: &Owner, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    owner
        .http
        .request(method, format!("{}/{path}", owner.base))
        .bearer_auth(&owner.token)
        .header("x-real-ip", CLIENT_ADDRESS)
}

async fn tenant_of(owner: &Owner) -> String {
    owner.get("me").await["tenant"]["id"].as_str().expect("the restaurant's id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_reaches_sentry_with_its_request_and_restaurant_and_no_secrets() {
    let (ingest, dsn) = Ingest::start().await;
    let database = TestDatabase::postgres().await;
    let (server, _data) = server_reporting_to(&dsn, &database, &[]).await;
    let owner = Owner::sign_up(server.addr).await;
    let tenant = tenant_of(&owner).await;

    break_the_menu(&database.url).await;
    let response = through_proxy(&owner, reqwest::Method::GET, "categories").send().await.unwrap();
    assert_eq!(response.status(), 500);
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = response.text().await.unwrap();
    assert!(!body.contains("categories"), "the client learns nothing of the internals: {body}");

    let (event, envelope) = ingest.event_mentioning(&request_id).await;
    // The protocol leaves the level out when it is "error", its default.
    assert_eq!(event["level"].as_str().unwrap_or("error"), "error", "{event}");
    assert_eq!(event["tags"]["tenant"], tenant.as_str(), "{event}");
    assert_eq!(event["tags"]["request_id"], request_id.as_str());
    assert_eq!(event["tags"]["service"], "server");
    assert_eq!(event["environment"], "ci");
    assert!(event["release"].as_str().unwrap_or_default().starts_with("ordera-server@"), "{event}");
    assert_eq!(event["request"]["method"], "GET");
    assert!(event["request"]["url"].as_str().unwrap_or_default().ends_with("/api/v1/categories"), "{event}");
    // The database's own words travel in the report (and only there, never to the client).
    assert!(event.to_string().contains("does not exist"), "the report explains the failure: {event}");
    assert!(!envelope.contains(&owner.token), "the session token must not be reported");
    assert!(!envelope.to_lowercase().contains("authorization"), "no authorization header is reported");
    assert!(!envelope.contains("a long enough password"));
    // One failure, one report: the failed response is not reported again on its own.
    assert_eq!(ingest.events().iter().filter(|(e, _)| e["tags"]["request_id"] == request_id.as_str()).count(), 1);
    ingest.assert_no_personal_data(&[CLIENT_ADDRESS]);
}

/// A command a kiosk sends over its sync socket fails inside the server: the report says which restaurant
/// and which kind of device, and which session, though the socket lives outside any request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_on_a_sync_socket_reaches_sentry_with_its_restaurant_and_device() {
    let (ingest, dsn) = Ingest::start().await;
    let database = TestDatabase::postgres().await;
    let (server, _data) = server_reporting_to(&dsn, &database, &[]).await;
    let owner = Owner::sign_up(server.addr).await;
    let tenant = tenant_of(&owner).await;
    let product = owner.menu(1).await[0];
    let dir = tempfile::tempdir().unwrap();
    let kiosk = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let credentials = kiosk.pair(&format!("http://{}", server.addr), &owner.pairing_code("kiosk").await).await.unwrap();
    let start = Instant::now();
    while kiosk.status().connection != ConnectionState::Online {
        assert!(start.elapsed() < Duration::from_secs(20), "the kiosk did not come online");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Placing an order reads the refusals first; without their table the command fails in the server.
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(&database.url).await.unwrap();
    sqlx::query("ALTER TABLE refused_orders RENAME TO refused_orders_lost").execute(&mut connection).await.unwrap();
    let order = PlaceOrderRequest {
        id: ordera_protocol::new_id(),
        order_type: OrderType::Takeaway,
        items: vec![OrderLineRequest { product_id: product, quantity: 1, note: None }],
        note: None,
    };
    kiosk.place_order(order).unwrap();

    let (event, envelope) = ingest.event_mentioning("a sync command failed").await;
    assert_eq!(event["tags"]["tenant"], tenant.as_str(), "{event}");
    assert_eq!(event["tags"]["device_kind"], "kiosk", "{event}");
    assert!(event["tags"]["sync_session"].as_str().is_some_and(|id| !id.is_empty()), "{event}");
    assert!(event["tags"]["request_id"].as_str().is_some_and(|id| id != "-"), "the upgrade's request id: {event}");
    assert_eq!(event["tags"]["service"], "server");
    assert!(event.to_string().contains("refused_orders"), "the report explains the failure: {event}");
    assert!(!envelope.contains(&credentials.token), "the device token must not be reported");
    ingest.assert_no_personal_data(&[CLIENT_ADDRESS]);
    kiosk.shutdown().await;
}

/// A handler that panics is reported once, with its request and restaurant; the client gets a plain 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_panic_reaches_sentry_once_with_its_request() {
    let (ingest, dsn) = Ingest::start().await;
    let database = TestDatabase::postgres().await;
    let (server, _data) = server_reporting_to(&dsn, &database, &[]).await;
    let owner = Owner::sign_up(server.addr).await;
    let tenant = tenant_of(&owner).await;
    let product = owner.menu(1).await[0];
    for _ in 0..2 {
        owner
            .post(
                "orders",
                json!({"id": ordera_protocol::new_id(), "order_type": "takeaway",
            "items": [{"product_id": product, "quantity": 1}]}),
            )
            .await;
    }
    // Takings no real restaurant has (corrupt rows): adding them up overflows, which the server treats as
    // the bug it is, a panic, in every build.
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(&database.url).await.unwrap();
    sqlx::query("UPDATE orders SET total = 9223372036854775807").execute(&mut connection).await.unwrap();
    let response = through_proxy(&owner, reqwest::Method::GET, "reports/summary").send().await.unwrap();
    assert_eq!(response.status(), 500);
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal", "{body}");

    let (event, _) = ingest.event_mentioning("overflow").await;
    assert_eq!(event["tags"]["request_id"], request_id.as_str(), "{event}");
    assert_eq!(event["tags"]["tenant"], tenant.as_str(), "{event}");
    assert_eq!(event["level"], "fatal", "{event}");
    assert_eq!(event["exception"]["values"][0]["mechanism"]["type"], "panic", "{event}");
    // Reports leave in order: once a later one has arrived, a second report of the panic would have too.
    break_the_menu(&database.url).await;
    let later = through_proxy(&owner, reqwest::Method::GET, "categories").send().await.unwrap();
    let later_id = later.headers()["x-request-id"].to_str().unwrap().to_owned();
    ingest.event_mentioning(&later_id).await;
    let about_the_panic = ingest.events().into_iter().filter(|(e, _)| e["tags"]["request_id"] == request_id.as_str());
    assert_eq!(about_the_panic.count(), 1, "one panic, one report");
    ingest.assert_no_personal_data(&[CLIENT_ADDRESS]);
}

/// With every request sampled, a request's performance transaction arrives, named by its route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sampled_request_reaches_sentry_as_a_transaction() {
    let (ingest, dsn) = Ingest::start().await;
    let database = TestDatabase::postgres().await;
    let (server, _data) = server_reporting_to(&dsn, &database, &[("SENTRY_TRACES_SAMPLE_RATE", "1")]).await;
    let owner = Owner::sign_up(server.addr).await;
    let response = through_proxy(&owner, reqwest::Method::GET, "menu").send().await.unwrap();
    assert_eq!(response.status(), 200);

    let (transaction, envelope) =
        ingest.wait_for("transaction", "for GET /api/v1/menu", |t| t["transaction"] == "GET /api/v1/menu").await;
    assert_eq!(transaction["contexts"]["trace"]["op"], "http.server", "{transaction}");
    assert_eq!(transaction["contexts"]["trace"]["status"], "ok", "{transaction}");
    assert_eq!(transaction["environment"], "ci");
    assert!(!envelope.contains(&owner.token), "the session token must not be reported");
    ingest.assert_no_personal_data(&[CLIENT_ADDRESS]);
}
