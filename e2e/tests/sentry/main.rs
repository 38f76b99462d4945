//! Error reports reach Sentry with the right tags and without secrets. A real HTTP server in the test
//! stands in for Sentry's ingest and receives the real SDK's envelopes: from a server process meeting an
//! internal error, and from an app shell's engine (in this process) meeting a server that fails.
//!
//! Its own test binary: the SDK and the log subscriber are set once per process.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use ordera_client::{Engine, EngineConfig};
use ordera_e2e::process::{free_addr, server_binary, ServerProcess};
use ordera_e2e::server::{Owner, TestDatabase};
use ordera_protocol::DeviceKind;
use serde_json::Value;

/// Everything the stand-in ingest received, one envelope a string.
#[derive(Clone, Default)]
struct Ingest(Arc<Mutex<Vec<String>>>);

impl Ingest {
    /// Starts the stand-in on loopback and returns it with a DSN pointing at it.
    async fn start() -> (Self, String) {
        let ingest = Self::default();
        let app = axum::Router::new()
            .route(
                "/api/{project}/envelope/",
                post(|State(ingest): State<Ingest>, body: String| async move {
                    ingest.0.lock().unwrap().push(body);
                    "{}"
                }),
            )
            .with_state(ingest.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (ingest, format!("http://public-key@{addr}/42"))
    }

    /// The events (not transactions or sessions) received so far, with the envelope each came in.
    fn events(&self) -> Vec<(Value, String)> {
        let envelopes = self.0.lock().unwrap().clone();
        let mut events = Vec::new();
        for envelope in envelopes {
            // An envelope is a header line, then pairs of an item header line and its payload line.
            let lines: Vec<&str> = envelope.lines().collect();
            for pair in lines[1..].chunks(2) {
                let [header, payload] = pair else { continue };
                let header: Value = serde_json::from_str(header).unwrap_or_default();
                if header["type"] == "event" {
                    events.push((serde_json::from_str(payload).expect("an event"), envelope.clone()));
                }
            }
        }
        events
    }

    /// Waits for an event whose JSON contains `text`.
    async fn event_mentioning(&self, text: &str) -> (Value, String) {
        let start = Instant::now();
        loop {
            if let Some(found) = self.events().into_iter().find(|(event, _)| event.to_string().contains(text)) {
                return found;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no event mentioning {text:?} arrived; got {:?}",
                self.events().iter().map(|(e, _)| e.to_string()).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Breaks a restaurant's database under the running server: the table of categories disappears, so
/// whatever reads the menu fails inside the server.
async fn break_the_menu(database: &TestDatabase) {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(&database.url).await.unwrap();
    sqlx::query("ALTER TABLE categories RENAME TO categories_lost").execute(&mut connection).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_reaches_sentry_with_its_request_and_restaurant_and_no_secrets() {
    let (ingest, dsn) = Ingest::start().await;
    let database = TestDatabase::postgres().await;
    let data = tempfile::tempdir().unwrap();
    let binary = server_binary(env!("CARGO_TARGET_TMPDIR"));
    let env = [("SENTRY_DSN", dsn), ("SENTRY_ENVIRONMENT", "ci".to_owned())];
    let server = ServerProcess::start(&binary, free_addr(), &database.url, None, data.path(), &env).await;
    let owner = Owner::sign_up(server.addr).await;
    let me = owner.get("me").await;
    let tenant = me["tenant"]["id"].as_str().expect("the restaurant's id").to_owned();

    break_the_menu(&database).await;
    let response = owner.http.get(format!("{}/categories", owner.base)).bearer_auth(&owner.token).send().await.unwrap();
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_error_in_an_app_shell_reaches_sentry_tagged_with_the_device_and_version() {
    let (ingest, dsn) = Ingest::start().await;
    let _sentry = ordera_client::telemetry::init_with(Some(&dsn), DeviceKind::Kiosk, "9.8.7");
    let database = TestDatabase::postgres().await;
    let data = tempfile::tempdir().unwrap();
    let binary = server_binary(env!("CARGO_TARGET_TMPDIR"));
    let server = ServerProcess::start(&binary, free_addr(), &database.url, None, data.path(), &[]).await;
    let owner = Owner::sign_up(server.addr).await;

    // The menu breaks on the server before the kiosk takes its first snapshot.
    let code = owner.pairing_code("kiosk").await;
    break_the_menu(&database).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let credentials = engine.pair(&format!("http://{}", server.addr), &code).await.unwrap();

    let (event, envelope) = ingest.event_mentioning("sync session failed").await;
    // The protocol leaves the level out when it is "error", its default.
    assert_eq!(event["level"].as_str().unwrap_or("error"), "error", "{event}");
    assert_eq!(event["tags"]["device_kind"], "kiosk", "{event}");
    assert_eq!(event["tags"]["app_version"], "9.8.7");
    assert_eq!(event["release"], "ordera-kiosk@9.8.7");
    assert!(!envelope.contains(&credentials.token), "the device token must not be reported");
    assert!(!envelope.contains(&code), "the pairing code must not be reported");
    engine.shutdown().await;
}
