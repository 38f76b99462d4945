//! Several server processes on one PostgreSQL and one Redis, as in production: clients on one instance
//! hear what happens on another; a Redis outage delays nothing by more than a position check and loses
//! nothing; a killed instance's clients reconnect elsewhere and catch up by cursor.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use ordera_protocol::api::{PairResponse, SessionResponse};
use ordera_protocol::sync::Event;
use ordera_protocol::DeviceKind;
use reqwest::StatusCode;
use serde_json::json;
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::helpers::*;
use crate::ws::SyncClient;

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) async fn wait_for(what: &str, mut ready: impl AsyncFnMut() -> bool) {
    for _ in 0..300 {
        if ready().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not come up within 30 seconds");
}

/// A Redis of the test's own, so the test can kill and restart it.
pub(crate) struct Redis {
    pub(crate) port: u16,
    pub(crate) child: Option<Child>,
}

impl Redis {
    pub(crate) async fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server is required for this test: `cargo xtask test` installs it");
        wait_for("redis-server", async || tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()).await;
        Self { port, child: Some(child) }
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub(crate) async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
    }
}

/// An `ordera-server` process.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) child: Child,
}

impl Server {
    pub(crate) async fn start(database_url: &str, redis_url: &str) -> Self {
        Self::start_with(database_url, Some(redis_url), &[]).await
    }

    /// A server with settings of the test's own in its environment; without Redis it fans out to no one.
    pub(crate) async fn start_with(database_url: &str, redis_url: Option<&str>, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_ordera-server"));
        command
            .env("DATABASE_URL", database_url)
            .env_remove("REDIS_URL")
            .env_remove("SENTRY_DSN")
            .env("ORDERA_ADDR", format!("127.0.0.1:{port}"))
            .env("ORDERA_DATA_DIR", data_dir.path())
            .env("ORDERA_POSITION_CHECK_MS", "300")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(redis_url) = redis_url {
            command.env("REDIS_URL", redis_url);
        }
        let child = command.spawn().unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        wait_for("ordera-server", async || {
            client.get(format!("http://{addr}/readyz")).send().await.is_ok_and(|r| r.status().is_success())
        })
        .await;
        Self { addr, child }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}/api/v1/{path}", self.addr)
    }
}

/// Reads events until every order in `expected` has been seen, checking that sequence numbers stay
/// contiguous (nothing lost, nothing twice).
pub(crate) async fn hear_orders(client: &mut SyncClient, expected: &[Uuid], seen: &mut Vec<Uuid>) {
    while !expected.iter().all(|id| seen.contains(id)) {
        let before = client.last;
        for event in client.events(1).await {
            assert_eq!(event.seq, before + 1, "events arrive gapless and once");
            if let Event::OrderUpserted { order } = &event.event {
                seen.push(order.id);
            }
        }
    }
}

/// A restaurant set up across two instances: a product, a kiosk token and a kitchen token.
pub(crate) struct Chain {
    pub(crate) fries: Uuid,
    pub(crate) kiosk: String,
    pub(crate) kds: String,
}

pub(crate) async fn chain(http: &reqwest::Client, a: &Server, b: &Server) -> Chain {
    let signup = json!({"restaurant_name": "Chain Soho", "timezone": "Europe/London", "currency": "GBP",
        "owner_name": "Olive", "email": format!("{}@example.com", Uuid::new_v4().simple()), "password": PASSWORD});
    let owner: SessionResponse =
        expect_json(http.post(a.url("signup")).json(&signup).send().await.unwrap(), StatusCode::CREATED).await;
    let category: ordera_protocol::api::Category = expect_json(
        http.post(a.url("categories")).bearer_auth(&owner.token).json(&json!({"name": "Sides"})).send().await.unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let fries: ordera_protocol::api::Product = expect_json(
        http.post(b.url("products"))
            .bearer_auth(&owner.token)
            .json(&json!({"category_id": category.id, "name": "Fries", "price": 395}))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let pair = async |kind: DeviceKind| -> PairResponse {
        let code: ordera_protocol::api::PairingCodeResponse = expect_json(
            http.post(a.url("devices/pairing-codes"))
                .bearer_auth(&owner.token)
                .json(&json!({"kind": kind, "name": format!("{kind}")}))
                .send()
                .await
                .unwrap(),
            StatusCode::CREATED,
        )
        .await;
        expect_json(
            http.post(b.url("devices/pair")).json(&json!({"code": code.code})).send().await.unwrap(),
            StatusCode::CREATED,
        )
        .await
    };
    Chain { fries: fries.id, kiosk: pair(DeviceKind::Kiosk).await.token, kds: pair(DeviceKind::Kds).await.token }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_share_a_restaurant_through_redis_and_survive_its_outage_and_their_own_death() {
    let database = TestDatabase::new().await;
    let database_url = database.url.clone();
    let mut redis = Redis::start(free_port()).await;
    let mut a = Server::start(&database_url, &redis.url()).await;
    let b = Server::start(&database_url, &redis.url()).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let Chain { fries, kiosk, kds } = chain(&http, &a, &b).await;
    let place_on = async |server: &Server| -> Uuid {
        let id = Uuid::now_v7();
        let response = http
            .post(server.url("orders"))
            .bearer_auth(&kiosk)
            .json(&order_body(id, &[(fries, 1)]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        id
    };

    // 1. A kitchen screen on A hears orders placed on B.
    let (mut screen, head, _) = SyncClient::connect(a.addr, &kds, None, 0).await;
    let mut placed = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..5 {
        placed.push(place_on(&b).await);
    }
    hear_orders(&mut screen, &placed, &mut seen).await;

    // 2. Redis dies: orders on B still reach A, through A's position checks on the log.
    redis.kill().await;
    for _ in 0..5 {
        placed.push(place_on(&b).await);
    }
    hear_orders(&mut screen, &placed, &mut seen).await;
    // A restaurant whose first screen connects to A during the outage hears its very next order, without
    // a later one to reveal the gap: A has passed nothing on for it yet and must not skip what it never sent.
    let other = chain(&http, &a, &b).await;
    let (mut fresh, _, _) = SyncClient::connect(a.addr, &other.kds, None, 0).await;
    let next = Uuid::now_v7();
    let response = http
        .post(b.url("orders"))
        .bearer_auth(&other.kiosk)
        .json(&order_body(next, &[(other.fries, 1)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let mut fresh_seen = Vec::new();
    hear_orders(&mut fresh, &[next], &mut fresh_seen).await;
    assert_eq!(fresh_seen, [next]);
    fresh.close().await;

    // 3. Redis comes back on the same address; both instances resubscribe and fan-out resumes.
    let redis = Redis::start(redis.port).await;
    for _ in 0..5 {
        placed.push(place_on(&b).await);
    }
    hear_orders(&mut screen, &placed, &mut seen).await;

    // 4. A is killed. Its screen reconnects to B with its cursor and gets exactly what it missed.
    a.child.kill().await.unwrap();
    let (code, _) = screen.expect_close().await;
    assert_ne!(code, 1000, "the connection dropped rather than closing cleanly");
    let cursor = screen.last;
    for _ in 0..3 {
        placed.push(place_on(&b).await);
    }
    let (mut screen, _, missed) = SyncClient::connect(b.addr, &kds, Some(head.epoch), cursor).await;
    let seqs: Vec<i64> = missed.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, ((cursor + 1)..=(cursor + missed.len() as i64)).collect::<Vec<_>>());
    for event in &missed {
        if let Event::OrderUpserted { order } = &event.event {
            seen.push(order.id);
        }
    }
    placed.push(place_on(&b).await);
    hear_orders(&mut screen, &placed, &mut seen).await;

    // Every order was heard exactly once.
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no order heard twice");
    assert_eq!(seen, placed, "every order heard, in the order placed");
    drop(redis);
    drop((a, b));
    drop(database);
}

/// SIGTERM, as an orchestrator sends during a rolling restart: the instance tells its sockets to go
/// elsewhere (4004), stops taking connections and exits cleanly; its screens continue on the other
/// instance from their cursors, and no order is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarting_instance_sends_its_screens_elsewhere_and_loses_no_order() {
    let database = TestDatabase::new().await;
    let redis = Redis::start(free_port()).await;
    let mut a = Server::start(&database.url, &redis.url()).await;
    let b = Server::start(&database.url, &redis.url()).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let Chain { fries, kiosk, kds } = chain(&http, &a, &b).await;
    // A kiosk behind a load balancer: it tries A and, when A is gone, B, with the same order id.
    let place = async |servers: &[&Server]| -> Uuid {
        let id = Uuid::now_v7();
        for server in servers {
            if let Ok(response) =
                http.post(server.url("orders")).bearer_auth(&kiosk).json(&order_body(id, &[(fries, 1)])).send().await
            {
                assert!(response.status().is_success(), "{}", response.status());
                return id;
            }
        }
        panic!("no instance took the order");
    };

    let (mut screen, head, _) = SyncClient::connect(a.addr, &kds, None, 0).await;
    let mut placed = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..10 {
        placed.push(place(&[&a, &b]).await);
    }
    hear_orders(&mut screen, &placed, &mut seen).await;

    let pid = a.child.id().unwrap().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().await.unwrap().success());
    let (code, reason) = screen.expect_close().await;
    assert_eq!(code, ordera_protocol::sync::close::GOING_AWAY, "{reason}");
    let exit = tokio::time::timeout(Duration::from_secs(10), a.child.wait()).await.expect("A exits").unwrap();
    assert!(exit.success(), "A shut down cleanly: {exit}");

    let cursor = screen.last;
    for _ in 0..10 {
        placed.push(place(&[&a, &b]).await);
    }
    let (mut screen, _, missed) = SyncClient::connect(b.addr, &kds, Some(head.epoch), cursor).await;
    let seqs: Vec<i64> = missed.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, ((cursor + 1)..=(cursor + missed.len() as i64)).collect::<Vec<_>>(), "replayed without gaps");
    for event in &missed {
        if let Event::OrderUpserted { order } = &event.event {
            seen.push(order.id);
        }
    }
    for _ in 0..5 {
        placed.push(place(&[&b]).await);
    }
    hear_orders(&mut screen, &placed, &mut seen).await;
    assert_eq!(seen, placed, "every order heard once, in order");
    drop((b, redis, database));
}

/// SIGTERM with a request in flight. From that moment readiness probes hear "draining" (503) so that
/// nothing new is sent here, while the instance still serves; then its listener closes, and the request
/// already in flight still completes before the process exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_instance_reports_draining_and_finishes_the_request_in_flight() {
    use sqlx::Connection;
    let database = TestDatabase::new().await;
    // A drain long enough for the probes below to see it however loaded the machine is.
    let mut server = Server::start_with(&database.url, None, &[("ORDERA_DRAIN_MS", "3000")]).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let Chain { fries, kiosk, .. } = chain(&http, &server, &server).await;
    let tenant: Uuid = sqlx::query_scalar("SELECT id FROM tenants WHERE name = 'Chain Soho'")
        .fetch_one(&mut sqlx::PgConnection::connect(&database.url).await.unwrap())
        .await
        .unwrap();

    // Hold the restaurant's lock, so that an order placed now waits inside the server.
    let mut holder = sqlx::PgConnection::connect(&database.url).await.unwrap();
    let mut lock = holder.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE").bind(tenant).execute(&mut *lock).await.unwrap();
    let order = Uuid::now_v7();
    let in_flight = tokio::spawn(
        http.post(server.url("orders")).bearer_auth(&kiosk).json(&order_body(order, &[(fries, 1)])).send(),
    );
    let mut watcher = sqlx::PgConnection::connect(&database.url).await.unwrap();
    wait_for("the order to wait for the restaurant's lock", async || {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        waiting > 0
    })
    .await;

    let pid = server.child.id().unwrap().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().await.unwrap().success());
    // Fresh connections each time, as a prober makes: a kept-alive one could outlive the listener.
    let probe = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build().unwrap();
    let readyz = format!("http://{}/readyz", server.addr);
    wait_for("/readyz to say the instance is draining", async || {
        let response =
            probe.get(&readyz).send().await.expect("the listener closed before /readyz said it was draining");
        if response.status() == StatusCode::OK {
            return false;
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "draining", "{body}");
        true
    })
    .await;
    let health = probe.get(format!("http://{}/healthz", server.addr)).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK, "a draining instance still serves");
    wait_for("the listener to close", async || probe.get(&readyz).send().await.is_err()).await;

    // The order waited through all of it and is answered once the lock goes.
    lock.commit().await.unwrap();
    let response = in_flight.await.unwrap().expect("the request in flight was answered");
    assert_eq!(response.status(), StatusCode::CREATED);
    let exit = tokio::time::timeout(Duration::from_secs(10), server.child.wait()).await.expect("it exits").unwrap();
    assert!(exit.success(), "it shut down cleanly: {exit}");
    let placed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(&mut watcher)
        .await
        .unwrap();
    assert_eq!(placed, 1);
    drop(database);
}

/// One sample's value from a Prometheus scrape of `server`, by name and labels (`None` when absent).
pub(crate) async fn scrape(
    http: &reqwest::Client,
    server: &Server,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<f64> {
    let text = http.get(format!("http://{}/metrics", server.addr)).send().await.unwrap().text().await.unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text");
    scrape.samples.iter().find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))).map(
        |s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            other => panic!("{name} is not a single number: {other:?}"),
        },
    )
}

/// The series an operator watches, exact in a process of its own (the in-process suite shares one
/// recorder between a hundred tests): the bus subscription counted again after Redis comes back, a
/// socket counted in and out by kind, the database pool by state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_bus_reconnects_sockets_and_the_pool_exactly() {
    let database = TestDatabase::new().await;
    let mut redis = Redis::start(free_port()).await;
    let server = Server::start(&database.url, &redis.url()).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let value = |name: &'static str, labels: &'static [(&'static str, &'static str)]| {
        let (http, server) = (&http, &server);
        async move { scrape(http, server, name, labels).await }
    };
    // The first subscription is counted: the recorder is in place before the bus starts.
    let subscriptions = async || value("ordera_bus_reconnects_total", &[]).await.unwrap_or(0.0);
    wait_for("the bus subscription", async || subscriptions().await >= 1.0).await;
    let before = subscriptions().await;

    // Redis goes away and comes back: the bus subscribes again, and says so.
    redis.kill().await;
    let redis = Redis::start(redis.port).await;
    wait_for("the bus to resubscribe", async || subscriptions().await > before).await;

    // A kitchen screen's socket is counted while open and counted out when it closes.
    let shop = chain(&http, &server, &server).await;
    let (screen, _, _) = SyncClient::connect(server.addr, &shop.kds, None, 0).await;
    wait_for("the screen counted", async || value("ordera_ws_connections", &[("kind", "kds")]).await == Some(1.0))
        .await;
    drop(screen);
    wait_for("the screen counted out", async || value("ordera_ws_connections", &[("kind", "kds")]).await == Some(0.0))
        .await;

    // The pool's connections by state add up to what it holds, at least one.
    let idle = value("ordera_db_pool_connections", &[("state", "idle")]).await.expect("idle connections");
    let active = value("ordera_db_pool_connections", &[("state", "active")]).await.expect("active connections");
    assert!(idle + active >= 1.0, "idle {idle}, active {active}");
    drop(redis);
}
