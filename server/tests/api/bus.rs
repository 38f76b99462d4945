//! The Redis bus when Redis misbehaves, with real server processes and a Redis of the test's own: a frozen
//! Redis holds up no order on its own instance and loses none on the others; a server starts and serves
//! while Redis is down or never answers, says so, and joins the bus when Redis comes up.

use reqwest::StatusCode;
use serde_json::Value;
use tokio::process::Command;
use uuid::Uuid;

use crate::cluster::{chain, free_port, hear_orders, scrape, wait_for, Chain, Redis, Server};
use crate::helpers::*;
use crate::ws::{SyncClient, WAIT};

/// A short bus timeout, so that a frozen Redis is noticed quickly, and a publication queue that a few
/// orders overflow.
const IMPATIENT: &[(&str, &str)] = &[("ORDERA_BUS_TIMEOUT_MS", "300"), ("ORDERA_BUS_QUEUE", "4")];

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn readiness(http: &reqwest::Client, server: &Server) -> Value {
    let response = http.get(format!("http://{}/readyz", server.addr)).send().await.unwrap();
    expect_json(response, StatusCode::OK).await
}

async fn wait_for_bus(http: &reqwest::Client, server: &Server, state: &str) {
    wait_for(&format!("the bus to be {state}"), async || readiness(http, server).await["bus_state"] == state).await;
}

/// Stops or continues the test's own redis-server process (`STOP` freezes it: connections are accepted
/// by the kernel and nothing is ever answered).
async fn signal(redis: &Redis, signal: &str) {
    let pid = redis.child.as_ref().and_then(|child| child.id()).expect("a running redis-server").to_string();
    assert!(Command::new("kill").args([&format!("-{signal}"), &pid]).status().await.unwrap().success());
}

async fn place(http: &reqwest::Client, server: &Server, kiosk: &str, fries: Uuid) -> Uuid {
    let id = Uuid::now_v7();
    let response =
        http.post(server.url("orders")).bearer_auth(kiosk).json(&order_body(id, &[(fries, 1)])).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_holds_up_no_order_on_its_own_instance_and_loses_none_on_the_other() {
    let database = TestDatabase::new().await;
    let redis = Redis::start(free_port()).await;
    let a = Server::start_with(&database.url, Some(&redis.url()), IMPATIENT).await;
    let b = Server::start_with(&database.url, Some(&redis.url()), IMPATIENT).await;
    let http = http();
    wait_for_bus(&http, &a, "connected").await;
    wait_for_bus(&http, &b, "connected").await;
    let Chain { fries, kiosk, kds } = chain(&http, &a, &b).await;
    let (mut here, _, _) = SyncClient::connect(a.addr, &kds, None, 0).await;
    let (mut there, _, _) = SyncClient::connect(b.addr, &kds, None, 0).await;
    let (mut placed, mut heard_here, mut heard_there) = (Vec::new(), Vec::new(), Vec::new());
    placed.push(place(&http, &a, &kiosk, fries).await);
    hear_orders(&mut here, &placed, &mut heard_here).await;
    hear_orders(&mut there, &placed, &mut heard_there).await;

    // Redis freezes. A hundred orders on A, far more than its publication queue holds, each of which a
    // publication waiting on Redis would hold up: A's own screen hears every one while Redis is still
    // frozen, within the suite's usual wait for a single message.
    signal(&redis, "STOP").await;
    for _ in 0..100 {
        placed.push(place(&http, &a, &kiosk, fries).await);
    }
    tokio::time::timeout(WAIT, hear_orders(&mut here, &placed, &mut heard_here))
        .await
        .expect("A's own screen heard every order while Redis was frozen");
    // B's screen gets them from the log, at B's position checks.
    hear_orders(&mut there, &placed, &mut heard_there).await;
    // A says it is cut off, and that it let publications go rather than queue them without bound.
    wait_for_bus(&http, &a, "disconnected").await;
    let dropped = scrape(&http, &a, "ordera_bus_dropped_events_total", &[]).await.unwrap_or(0.0);
    assert!(dropped >= 1.0, "an overflowing queue is counted: {dropped}");
    assert_eq!(scrape(&http, &a, "ordera_bus_connected", &[]).await, Some(0.0));

    // Redis thaws: both instances are on the bus again and B hears A's orders through it.
    signal(&redis, "CONT").await;
    wait_for_bus(&http, &a, "connected").await;
    wait_for_bus(&http, &b, "connected").await;
    for _ in 0..5 {
        placed.push(place(&http, &a, &kiosk, fries).await);
    }
    hear_orders(&mut here, &placed, &mut heard_here).await;
    hear_orders(&mut there, &placed, &mut heard_there).await;
    assert_eq!(heard_here, placed, "A's screen heard every order once, in order");
    assert_eq!(heard_there, placed, "B's screen heard every order once, in order");
    drop((a, b, redis, database));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_starts_and_serves_while_redis_is_down_and_joins_the_bus_when_it_comes_up() {
    let database = TestDatabase::new().await;
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    // Position checks an hour apart: what A hears from B below can only come through the bus.
    let a = Server::start_with(&database.url, Some(&url), &[("ORDERA_POSITION_CHECK_MS", "3600000")]).await;
    let http = http();
    let ready = readiness(&http, &a).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["bus"], "redis", "{ready}");
    assert_eq!(ready["bus_state"], "disconnected", "{ready}");
    assert_eq!(scrape(&http, &a, "ordera_bus_connected", &[]).await, Some(0.0));

    // It serves, and its own screens hear its own orders.
    let Chain { fries, kiosk, kds } = chain(&http, &a, &a).await;
    let (mut screen, _, _) = SyncClient::connect(a.addr, &kds, None, 0).await;
    let mut placed = vec![place(&http, &a, &kiosk, fries).await];
    let mut heard = Vec::new();
    hear_orders(&mut screen, &placed, &mut heard).await;

    // Redis comes up: A joins the bus and hears what B publishes on it.
    let redis = Redis::start(port).await;
    wait_for_bus(&http, &a, "connected").await;
    assert_eq!(scrape(&http, &a, "ordera_bus_connected", &[]).await, Some(1.0));
    let b = Server::start(&database.url, &redis.url()).await;
    wait_for_bus(&http, &b, "connected").await;
    for _ in 0..3 {
        placed.push(place(&http, &b, &kiosk, fries).await);
    }
    hear_orders(&mut screen, &placed, &mut heard).await;
    assert_eq!(heard, placed, "every order heard once, in order");
    drop((a, b, redis, database));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_redis_accepts_but_never_answers_starts_and_serves_its_own_screens() {
    let database = TestDatabase::new().await;
    // Connections to it are accepted (by the kernel, into the backlog) and never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}", silent.local_addr().unwrap());
    let a = Server::start_with(&database.url, Some(&url), IMPATIENT).await;
    let http = http();
    assert_eq!(readiness(&http, &a).await["bus_state"], "disconnected");
    let Chain { fries, kiosk, kds } = chain(&http, &a, &a).await;
    let (mut screen, _, _) = SyncClient::connect(a.addr, &kds, None, 0).await;
    let mut placed = Vec::new();
    for _ in 0..10 {
        placed.push(place(&http, &a, &kiosk, fries).await);
    }
    let mut heard = Vec::new();
    hear_orders(&mut screen, &placed, &mut heard).await;
    assert_eq!(heard, placed, "every order heard once, in order");
    assert_eq!(readiness(&http, &a).await["bus_state"], "disconnected");
    drop((a, silent, database));
}

both! {
    async fn readiness_says_an_instance_without_redis_is_alone(app: TestApp) {
        let ready: Value = expect_json(app.request(reqwest::Method::GET, "/readyz", None).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(ready["bus"], "in-process", "{ready}");
        assert_eq!(ready["bus_state"], "local", "{ready}");
    }
}
