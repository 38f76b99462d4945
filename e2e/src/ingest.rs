//! A stand-in for Sentry's ingest: a real HTTP server on loopback that keeps every envelope the real SDK
//! sends it, so that tests read what a report would have carried (and what it must not).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use serde_json::Value;

/// Everything the stand-in received, one envelope a string.
#[derive(Clone, Default)]
pub struct Ingest(Arc<Mutex<Vec<String>>>);

impl Ingest {
    /// Starts the stand-in on loopback and returns it with a DSN pointing at it.
    pub async fn start() -> (Self, String) {
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

    /// Every envelope received so far, as sent.
    pub fn envelopes(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// The items of type `kind` (`event`, `transaction`, …) received so far, with the envelope each came in.
    pub fn items(&self, kind: &str) -> Vec<(Value, String)> {
        let mut items = Vec::new();
        for envelope in self.envelopes() {
            // An envelope is a header line, then pairs of an item header line and its payload line.
            let lines: Vec<&str> = envelope.lines().collect();
            for pair in lines[1..].chunks(2) {
                let [header, payload] = pair else { continue };
                let header: Value = serde_json::from_str(header).unwrap_or_default();
                if header["type"] == kind {
                    items.push((serde_json::from_str(payload).expect("a JSON item"), envelope.clone()));
                }
            }
        }
        items
    }

    /// The events (not transactions or sessions) received so far.
    pub fn events(&self) -> Vec<(Value, String)> {
        self.items("event")
    }

    /// Waits for an item of type `kind` that `matches`.
    pub async fn wait_for(&self, kind: &str, what: &str, matches: impl Fn(&Value) -> bool) -> (Value, String) {
        let start = Instant::now();
        loop {
            if let Some(found) = self.items(kind).into_iter().find(|(item, _)| matches(item)) {
                return found;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no {kind} {what} arrived; got {:?}",
                self.items(kind).iter().map(|(e, _)| e.to_string()).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for an event whose JSON contains `text`.
    pub async fn event_mentioning(&self, text: &str) -> (Value, String) {
        self.wait_for("event", &format!("mentioning {text:?}"), |event| event.to_string().contains(text)).await
    }

    /// Nothing received names a person or where they are: no user, no address (neither one of
    /// `client_addresses`, which a proxy passed on, nor an IP field the SDK would fill in itself).
    pub fn assert_no_personal_data(&self, client_addresses: &[&str]) {
        for envelope in self.envelopes() {
            for address in client_addresses {
                assert!(!envelope.contains(address), "a client address was reported: {envelope}");
            }
            for field in ["\"user\"", "ip_address", "REMOTE_ADDR", "x-real-ip", "x-forwarded-for", "cookie"] {
                assert!(!envelope.to_lowercase().contains(&field.to_lowercase()), "{field} was reported: {envelope}");
            }
        }
    }
}
