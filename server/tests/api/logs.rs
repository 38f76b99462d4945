//! The server's own log, as a collector reads it: the real binary's standard output, one JSON object a
//! line in production (`--log-format json`), with exactly one line per request carrying its request id
//! and, once the request is authenticated, its restaurant; and never a password or a token.

use std::process::Stdio;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::PASSWORD;

/// The line tower-http writes when a response is done: the request's line in the log.
const REQUEST_DONE: &str = "finished processing request";

/// The server binary, its standard output collected line by line.
struct LoggedServer {
    child: tokio::process::Child,
    printed: tokio::task::JoinHandle<Vec<String>>,
    base: String,
    http: reqwest::Client,
    _data: tempfile::TempDir,
}

impl LoggedServer {
    /// Starts it with `format`, on its embedded SQLite or on `database_url`, and waits until it answers.
    async fn start(format: &str, database_url: Option<&str>) -> Self {
        let data = tempfile::tempdir().unwrap();
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_ordera-server"));
        command
            .args(["--addr", &addr.to_string(), "--log-format", format])
            .env("ORDERA_DATA_DIR", data.path())
            .env("RUST_LOG", "info")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("SENTRY_DSN")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(url) = database_url {
            command.env("DATABASE_URL", url);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let printed = tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            let mut all = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                all.push(line);
            }
            all
        });
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let base = format!("http://{addr}");
        let start = std::time::Instant::now();
        while http.get(format!("{base}/healthz")).send().await.is_err() {
            assert!(start.elapsed() < Duration::from_secs(60), "the server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self { child, printed, base, http, _data: data }
    }

    /// SIGTERM: the server drains and exits, and its output ends.
    async fn stop(mut self) -> Vec<String> {
        let pid = self.child.id().unwrap().to_string();
        assert!(tokio::process::Command::new("kill").args(["-TERM", &pid]).status().await.unwrap().success());
        tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await.expect("the server stopped").unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.printed).await.unwrap().unwrap()
    }
}

/// Runs the server binary with `format`, makes a few requests (request ids chosen by the client), stops
/// it and returns what it printed, with the ids, the restaurant and the session token.
async fn requests_logged_as(format: &str) -> (Vec<String>, [String; 3], String, String) {
    let server = LoggedServer::start(format, None).await;
    let (http, base) = (&server.http, &server.base);
    let ids = [0, 1, 2].map(|n| format!("log-test-{n}-{}", uuid::Uuid::new_v4().simple()));
    let health = http.get(format!("{base}/readyz")).header("x-request-id", &ids[0]).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let signup = json!({"restaurant_name": "Soho", "timezone": "Europe/London", "currency": "GBP",
        "owner_name": "Olive", "email": format!("{}@example.com", ids[1]), "password": PASSWORD});
    let session: Value = http
        .post(format!("{base}/api/v1/signup"))
        .header("x-request-id", &ids[1])
        .json(&signup)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let tenant = session["tenant"]["id"].as_str().unwrap().to_owned();
    let me = http.get(format!("{base}/api/v1/me")).header("x-request-id", &ids[2]).bearer_auth(&token).send().await;
    assert_eq!(me.unwrap().status(), StatusCode::OK);
    let lines = server.stop().await;
    (lines, ids, tenant, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_have_one_line_per_request_with_its_id_and_restaurant_and_no_secrets() {
    let (lines, ids, tenant, token) = requests_logged_as("json").await;
    assert!(!lines.is_empty());
    let records: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}")))
        .collect();
    for (n, id) in ids.iter().enumerate() {
        let mine: Vec<&Value> =
            records.iter().filter(|r| r["message"] == REQUEST_DONE && r["span"]["request_id"] == id.as_str()).collect();
        assert_eq!(mine.len(), 1, "request {n} ({id}) has one line: {lines:#?}");
        let line = mine[0];
        assert!(line["status"].is_number() && line["latency"].is_string(), "{line}");
        assert!(line["span"]["path"].is_string() && line["span"]["method"].is_string(), "{line}");
        assert!(line["level"] == "INFO" && line["timestamp"].is_string(), "{line}");
        if n == 2 {
            assert_eq!(line["span"]["tenant"], tenant.as_str(), "the authenticated request names its restaurant");
        } else {
            assert!(line["span"]["tenant"].is_null(), "no restaurant before authentication: {line}");
        }
    }
    let all = lines.join("\n");
    assert!(!all.contains(&token), "a session token was logged");
    assert!(!all.contains(PASSWORD), "a password was logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pretty_logs_are_for_people_and_still_carry_the_request_id() {
    let (lines, ids, _, token) = requests_logged_as("pretty").await;
    assert!(lines.iter().all(|line| serde_json::from_str::<Value>(line).is_err()), "pretty lines are not JSON");
    for id in &ids {
        let mine = lines.iter().filter(|line| line.contains(REQUEST_DONE) && line.contains(id.as_str())).count();
        assert_eq!(mine, 1, "{id}: {lines:#?}");
    }
    assert!(!lines.join("\n").contains(&token));
}

/// Kiosks time out and tablets lose Wi-Fi in the middle of a request. A write its client gave up on is seen
/// through: committed whole or not at all, its changes published like any other, and nothing in the log but
/// its request line (before, a client gone during the commit left the connection's transaction to be rolled
/// back after it had committed, and PostgreSQL's "there is no transaction in progress" in the log).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_whose_clients_give_up_midway_are_seen_through_quietly() {
    let database = crate::helpers::fresh_postgres_database().await;
    let server = LoggedServer::start("json", Some(&database)).await;
    let (http, base) = (&server.http, server.base.clone());
    let signup = json!({"restaurant_name": "Soho", "timezone": "Europe/London", "currency": "GBP",
        "owner_name": "Olive", "email": format!("{}@example.com", uuid::Uuid::new_v4().simple()), "password": PASSWORD});
    let session: Value =
        http.post(format!("{base}/api/v1/signup")).json(&signup).send().await.unwrap().json().await.unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let post =
        |path: &str, body: Value| http.post(format!("{base}/api/v1/{path}")).bearer_auth(&token).json(&body).send();
    let category: Value = post("categories", json!({"name": "Sides"})).await.unwrap().json().await.unwrap();
    let product: Value =
        post("products", json!({"category_id": category["id"], "name": "Fries", "price": 395, "stock": 100000}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();

    // Clients that give up after 1 to 40 ms, some before, some during and some after the commit.
    let impatient = reqwest::Client::builder().no_proxy().build().unwrap();
    let attempts = (0..240u64).map(|n| {
        let (impatient, base, token) = (impatient.clone(), base.clone(), token.clone());
        let body = json!({"id": uuid::Uuid::now_v7(), "order_type": "takeaway",
            "items": [{"product_id": product["id"], "quantity": 1}]});
        async move {
            let request = impatient.post(format!("{base}/api/v1/orders")).bearer_auth(&token).json(&body);
            let _ = request.timeout(Duration::from_millis(1 + n % 40)).send().await;
            body["id"].as_str().unwrap().to_owned()
        }
    });
    let ids = futures_util::stream::iter(attempts).buffer_unordered(8).collect::<Vec<_>>().await;

    // Each order is there whole or not at all, and the stock agrees with the orders that are.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut placed = 0;
    for id in &ids {
        let answer = http.get(format!("{base}/api/v1/orders/{id}")).bearer_auth(&token).send().await.unwrap();
        match answer.status() {
            StatusCode::OK => placed += 1,
            StatusCode::NOT_FOUND => {}
            other => panic!("order {id}: {other}"),
        }
    }
    let fries: Value = http
        .get(format!("{base}/api/v1/products/{}", product["id"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fries["stock"], 100000 - placed, "{placed} orders placed");
    let lines = server.stop().await;
    let noisy: Vec<&String> = lines.iter().filter(|line| line.contains("no transaction in progress")).collect();
    assert!(noisy.is_empty(), "{} lines like {:?}", noisy.len(), noisy.first());
    // Warnings about slow statements may come on a loaded machine; an error never.
    let errors: Vec<&String> = lines.iter().filter(|line| line.contains(r#""level":"ERROR""#)).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
