//! The production topology as local processes — PostgreSQL, Redis, two `ordera-server` replicas and nginx
//! running the deployment's own proxy configuration — restarted one replica at a time with SIGTERM while a
//! kiosk keeps ordering and kitchen screens keep watching, all through the proxy.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use ordera_client::{ConnectionState, Engine, EngineConfig};
use ordera_e2e::process::{free_addr, server_binary, Proxy, ServerProcess};
use ordera_e2e::server::{redis_url, Owner, TestDatabase};
use ordera_protocol::orders::{Order, OrderLineRequest, OrderPage, PlaceOrderRequest};
use ordera_protocol::sync::{close, ClientMessage, Event, ServerMessage};
use ordera_protocol::OrderType;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

fn fast() -> EngineConfig {
    EngineConfig {
        heartbeat: Duration::from_millis(200),
        dead_after: Duration::from_millis(1500),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(500),
        request_timeout: Duration::from_secs(3),
        ..EngineConfig::default()
    }
}

async fn until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a kitchen screen heard over the wire, across all its connections.
#[derive(Default)]
struct Heard {
    /// Each placed order's announcement, as often as it came.
    orders: Vec<Uuid>,
    /// The close code of each connection the server ended.
    closes: Vec<u16>,
    /// Caught up on a connection opened after the last close: it moved on.
    live: bool,
    /// What went against the protocol: a gap or a repeat in the sequence, a resync.
    faults: Vec<String>,
}

/// A kitchen screen at the protocol's level, through the proxy. The engine applies what it hears
/// idempotently, so its state cannot show an order delivered twice; this screen keeps every event it was
/// sent and every close code. Like the engine, it says hello with its cursor and, when a connection ends,
/// connects again from there.
fn wire_screen(proxy: String, token: String, stop: tokio::sync::watch::Receiver<bool>) -> Arc<Mutex<Heard>> {
    let heard = Arc::new(Mutex::new(Heard::default()));
    let shared = heard.clone();
    tokio::spawn(async move {
        let url = format!("{}/api/v1/sync/ws", proxy.replacen("http://", "ws://", 1));
        let (mut epoch, mut last) = (None, 0);
        while !*stop.borrow() {
            let Ok((socket, _)) = tokio_tungstenite::connect_async(&url).await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let (mut sink, mut stream) = socket.split();
            let hello = serde_json::to_string(&ClientMessage::Hello {
                token: token.clone(),
                epoch,
                since: last,
                app_version: None,
            })
            .unwrap();
            if sink.send(Message::Text(hello.into())).await.is_err() {
                continue;
            }
            let mut stop = stop.clone();
            // Pings keep a quiet connection from counting as dead, however long the test takes.
            let mut ping = tokio::time::interval(Duration::from_secs(5));
            loop {
                let message = tokio::select! {
                    message = stream.next() => message,
                    _ = ping.tick() => {
                        let ping = serde_json::to_string(&ClientMessage::Ping { nonce: 0, outbox: None, position: None }).unwrap();
                        let _ = sink.send(Message::Text(ping.into())).await;
                        continue;
                    }
                    _ = stop.changed() => return,
                };
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(frame))) => {
                        let code = frame.map(|f| u16::from(f.code)).unwrap_or(1005);
                        let mut heard = shared.lock().unwrap();
                        heard.closes.push(code);
                        heard.live = false;
                        break;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => {
                        shared.lock().unwrap().live = false;
                        break;
                    }
                };
                let mut heard = shared.lock().unwrap();
                match serde_json::from_str::<ServerMessage>(&text).expect("a server message") {
                    ServerMessage::Welcome { head, .. } => epoch = Some(head.epoch),
                    ServerMessage::Events { events } => {
                        for event in events {
                            if event.seq != last + 1 {
                                heard.faults.push(format!("event {} after {last}", event.seq));
                            }
                            last = event.seq;
                            if let Event::OrderUpserted { order } = event.event {
                                heard.orders.push(order.id);
                            }
                        }
                    }
                    ServerMessage::CaughtUp { .. } => heard.live = true,
                    ServerMessage::Resync { reason, .. } => heard.faults.push(format!("resync: {reason}")),
                    ServerMessage::Ack { .. } | ServerMessage::Pong { .. } | ServerMessage::Error { .. } => {}
                }
            }
            // A reconnect goes through the proxy, which picks a replica still up.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    heard
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_behind_the_proxy_loses_and_doubles_no_order_and_leaves_no_kitchen_screen_stale() {
    let binary = server_binary(env!("CARGO_TARGET_TMPDIR"));
    let database = TestDatabase::postgres().await;
    let redis = redis_url();
    let data = tempfile::tempdir().unwrap();
    let addrs = [free_addr(), free_addr()];
    let behind_proxy = [("ORDERA_BEHIND_PROXY", "true".to_owned())];
    let start = |addr| ServerProcess::start(&binary, addr, &database.url, Some(&redis), data.path(), &behind_proxy);
    let mut replicas = [start(addrs[0]).await, start(addrs[1]).await];
    let proxy = Proxy::start(addrs).await;

    let owner = Owner::sign_up(proxy.addr).await;
    let product = owner.menu(1).await[0];
    // Metrics are read from each replica, never through the public side.
    let scraper = reqwest::Client::builder().no_proxy().build().unwrap();
    let metrics = |base: String| {
        let scraper = scraper.clone();
        async move { scraper.get(format!("{base}/metrics")).send().await.unwrap().status() }
    };
    assert_eq!(metrics(proxy.url()).await, 404, "the proxy does not serve metrics");
    for addr in addrs {
        assert_eq!(metrics(format!("http://{addr}")).await, 200, "each replica serves its own");
    }
    let pair = |kind: &'static str| {
        let (owner, url) = (owner.clone(), proxy.url());
        async move {
            let dir = tempfile::tempdir().unwrap();
            let engine = Engine::open(dir.path(), fast()).unwrap();
            engine.pair(&url, &owner.pairing_code(kind).await).await.unwrap();
            (engine, dir)
        }
    };
    let (kiosk, _kiosk_dir) = pair("kiosk").await;
    let mut screens = Vec::new();
    for _ in 0..3 {
        screens.push(pair("kds").await);
    }
    let (stop_listening, listening) = tokio::sync::watch::channel(false);
    let mut wire_screens = Vec::new();
    for _ in 0..3 {
        let paired = owner.post("devices/pair", serde_json::json!({"code": owner.pairing_code("kds").await})).await;
        let token = paired["token"].as_str().expect("a device token").to_owned();
        wire_screens.push(wire_screen(proxy.url(), token, listening.clone()));
    }
    let online = |engine: &Engine| engine.status().connection == ConnectionState::Online;
    until("every device is online", Duration::from_secs(20), || {
        online(&kiosk)
            && screens.iter().all(|(s, _)| online(s))
            && wire_screens.iter().all(|heard| heard.lock().unwrap().live)
    })
    .await;

    // A steady stream of orders from the kiosk, through the proxy, for the whole restart.
    let kiosk = Arc::new(kiosk);
    let placed = Arc::new(Mutex::new(Vec::<Uuid>::new()));
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let stream = {
        let (kiosk, placed) = (kiosk.clone(), placed.clone());
        tokio::spawn(async move {
            // At most one page of history (200), so the check below reads every order at once.
            while !*stopped.borrow() && placed.lock().unwrap().len() < 180 {
                let order = PlaceOrderRequest {
                    id: ordera_protocol::new_id(),
                    order_type: OrderType::DineIn,
                    items: vec![OrderLineRequest { product_id: product, quantity: 1, note: None }],
                    note: None,
                };
                placed.lock().unwrap().push(order.id);
                kiosk.place_order(order).unwrap();
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(80)) => {}
                    _ = stopped.changed() => {}
                }
            }
        })
    };

    // Restart the replicas one after the other, as a deployment does. While one is down the proxy sends
    // everything to the other: requests succeed and the kiosk's orders keep going through.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for (index, addr) in addrs.into_iter().enumerate() {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let status = replicas[index].terminate();
        assert!(status.success(), "replica {index} did not stop cleanly on SIGTERM: {status}");
        for _ in 0..10 {
            let response = http.get(format!("{}/readyz", proxy.url())).send().await.unwrap();
            assert!(response.status().is_success(), "the proxy failed a request while replica {index} was down");
        }
        let waiting_from = placed.lock().unwrap().len();
        until(
            &format!("orders flow through the other replica while replica {index} is down"),
            Duration::from_secs(20),
            || {
                // An order placed after the stop has been acknowledged by the replica still up.
                let placed = placed.lock().unwrap();
                placed.len() > waiting_from + 3
                    && placed[waiting_from..].iter().any(|id| kiosk.order(*id).is_ok_and(|o| o.is_some()))
            },
        )
        .await;
        replicas[index] = start(addr).await;
        // As a deployment gates on health: the next replica stops only once the proxy uses this one again.
        let start = Instant::now();
        loop {
            let response = http.get(format!("{}/readyz", proxy.url())).send().await.unwrap();
            let replica = response.headers().get("x-ordera-replica").and_then(|v| v.to_str().ok()).unwrap_or_default();
            if response.status().is_success() && replica == addr.to_string() {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the proxy never sent a request to replica {index} again"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let _ = stop.send(true);
    stream.await.unwrap();
    let placed: Vec<Uuid> = placed.lock().unwrap().clone();
    assert!(placed.len() >= 40, "the stream placed only {} orders", placed.len());

    // Every order is on the server once, with its own ticket number.
    until("the kiosk has sent everything", Duration::from_secs(30), || {
        let status = kiosk.status();
        status.pending == 0 && status.connection == ConnectionState::Online
    })
    .await;
    assert!(kiosk.rejected().unwrap().is_empty(), "refused: {:?}", kiosk.rejected().unwrap());
    let page: OrderPage = serde_json::from_value(owner.get("orders?per_page=200").await).unwrap();
    let on_server: BTreeMap<Uuid, Order> = page.orders.into_iter().map(|o| (o.id, o)).collect();
    assert_eq!(page.total as usize, placed.len(), "{} placed, {} on the server", placed.len(), page.total);
    assert!(placed.iter().all(|id| on_server.contains_key(id)), "an order went missing");
    let numbers: BTreeSet<i64> = on_server.values().map(|o| o.number).collect();
    assert_eq!(numbers.len(), placed.len(), "one ticket number per order");

    // No kitchen screen is left behind: each is online again and holds exactly the server's orders.
    for (n, (screen, _)) in screens.iter().enumerate() {
        until(&format!("kitchen screen {n} shows every order"), Duration::from_secs(30), || {
            online(screen)
                && screen
                    .orders()
                    .is_ok_and(|orders| orders.into_iter().map(|o| (o.id, o)).collect::<BTreeMap<_, _>>() == on_server)
        })
        .await;
    }
    // Each order was announced to each screen exactly once, across replicas and reconnections; each screen
    // was told by a stopping replica to go elsewhere (4004), did, and caught up there.
    for (n, heard) in wire_screens.iter().enumerate() {
        until(&format!("wire screen {n} hears every order"), Duration::from_secs(30), || {
            let heard = heard.lock().unwrap();
            heard.live && placed.iter().all(|id| heard.orders.contains(id))
        })
        .await;
        let heard = heard.lock().unwrap();
        assert!(heard.faults.is_empty(), "wire screen {n}: {:?}", heard.faults);
        let mut counts = BTreeMap::<Uuid, usize>::new();
        for id in &heard.orders {
            *counts.entry(*id).or_default() += 1;
        }
        let twice: Vec<_> = counts.iter().filter(|(_, count)| **count > 1).collect();
        assert!(twice.is_empty(), "wire screen {n} heard orders more than once: {twice:?}");
        assert_eq!(counts.len(), placed.len(), "wire screen {n} heard only the placed orders");
        assert!(
            heard.closes.contains(&close::GOING_AWAY),
            "wire screen {n} was never told to go elsewhere: {:?}",
            heard.closes
        );
        assert!(
            heard.closes.iter().all(|code| *code == close::GOING_AWAY),
            "wire screen {n} was closed for another reason: {:?}",
            heard.closes
        );
    }
    let _ = stop_listening.send(true);
    kiosk.shutdown().await;
    for (screen, _) in &screens {
        screen.shutdown().await;
    }
}
