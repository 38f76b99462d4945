//! `kds-draw`: how long an order takes from the API to a cook's eyes. A release server on PostgreSQL and
//! Redis, a release kitchen display app in a real webview (Xvfb, tauri-driver), and orders posted through the
//! API at a busy service's pace while the oldest tickets are served, so the board holds a realistic dozen
//! or so. The app leaves a User Timing mark (`ordera:drawn:<order id>`) as it paints each new ticket; the
//! time from posting an order to its mark is the figure, p50 and p99, first with the app as the restaurant's
//! only screen, then with 20 more kitchen screens (client engines) connected to the same restaurant.
//!
//! Run by `cargo xtask bench`, which builds everything in release and finds the services:
//! `kds-draw --server-bin P --kds-bin P --redis-url U [--orders N]`, with `ORDERA_TEST_DATABASE_URL` naming the
//! PostgreSQL server to make its database on. Prints a table; asserts
//! nothing about speed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use ordera_client::{ConnectionState, Engine, EngineConfig};
use ordera_e2e::process::{free_addr, ServerProcess};
use ordera_e2e::server::{Owner, TestDatabase};
use ordera_e2e::webview::AppSession;
use serde_json::json;
use uuid::Uuid;

/// Kitchen screens besides the app, in the second round.
const ENGINES: usize = 20;
/// Orders a second: a rush at a big kiosk bank.
const PACE: Duration = Duration::from_millis(250);
/// Tickets left open on the board; older ones are served through the API as new ones come.
const ON_THE_BOARD: usize = 12;

struct Args {
    server_bin: PathBuf,
    kds_bin: PathBuf,
    redis_url: String,
    orders: usize,
}

fn args() -> Result<Args> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let map: HashMap<&str, &str> = raw
        .chunks(2)
        .filter_map(|pair| match pair {
            [key, value] => Some((key.trim_start_matches("--"), value.as_str())),
            _ => None,
        })
        .collect();
    let get = |key: &str| map.get(key).map(|v| v.to_string()).with_context(|| format!("missing --{key}"));
    Ok(Args {
        server_bin: get("server-bin")?.into(),
        kds_bin: get("kds-bin")?.into(),
        redis_url: get("redis-url")?,
        orders: map.get("orders").and_then(|n| n.parse().ok()).unwrap_or(200),
    })
}

fn epoch_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("a clock after 1970").as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = args()?;
    // A fresh database on the suites' PostgreSQL (`ORDERA_TEST_DATABASE_URL`), dropped again at the end.
    let database = TestDatabase::postgres().await;
    let rows = run(&args, &database.url).await?;
    println!("\n| kitchen display | value | target |\n|---|---|---|");
    for (measure, value, target) in rows {
        println!("| {measure} | {value} | {target} |");
    }
    Ok(())
}

async fn run(args: &Args, database_url: &str) -> Result<Vec<(String, String, String)>> {
    let data = tempfile::tempdir()?;
    let server =
        ServerProcess::start(&args.server_bin, free_addr(), database_url, Some(&args.redis_url), data.path(), &[])
            .await;
    let url = format!("http://{}", server.addr);
    let owner = Owner::sign_up(server.addr).await;
    let dishes = owner.menu(4).await;

    eprintln!("kitchen display: starting the app");
    let env =
        [("ORDERA_SERVER_URL", url.clone()), ("ORDERA_KDS_DATA_DIR", data.path().join("kds").display().to_string())];
    let kds = AppSession::launch(&args.kds_bin, &env).await;
    kds.pair_with(&owner.pairing_code("kds").await).await;
    kds.element("#setup").await;
    kds.click("#role-expo").await;
    kds.click("#setup-save").await;
    kds.element("#board").await;
    kds.text_until("#live-label", "live", |t| t == "Live").await;

    let mut rows = Vec::new();
    eprintln!("kitchen display: {} orders, the app alone", args.orders);
    let alone = round(&owner, &kds, &dishes, args.orders, None).await?;
    rows.push(row(format!("order posted → ticket drawn on the KDS app, p50 / p99 ({} orders)", args.orders), &alone));

    eprintln!("kitchen display: connecting {ENGINES} more kitchen screens");
    let mut engines = Vec::new();
    for n in 0..ENGINES {
        let engine = Engine::open(&data.path().join(format!("engine-{n}")), EngineConfig::default())?;
        engine.pair(&url, &owner.pairing_code("kds").await).await?;
        engines.push(engine);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while engines.iter().any(|e| e.status().connection != ConnectionState::Online) {
        if tokio::time::Instant::now() > deadline {
            bail!("the {ENGINES} kitchen engines did not all connect");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("kitchen display: {} orders, with {ENGINES} more screens", args.orders);
    let crowded = round(&owner, &kds, &dishes, args.orders, Some(&engines[0])).await?;
    rows.push(row(format!("the same with {ENGINES} more kitchen screens connected"), &crowded));
    if let Some(cached) = &crowded.cached {
        // Where the time goes: up to a kitchen engine's cache, or from there to the screen.
        rows.push(row("the same orders posted → in one of those kitchen engines' caches".into(), cached));
    }
    for engine in engines {
        engine.shutdown().await;
    }
    kds.quit().await;
    Ok(rows)
}

/// What one round measured: milliseconds from posting each order to its ticket's mark, and the orders
/// never drawn.
struct Round {
    millis: Vec<f64>,
    missing: usize,
    /// The same, up to a watching engine's cache, when one watched.
    cached: Option<Box<Round>>,
}

fn row(measure: String, round: &Round) -> (String, String, String) {
    let mut value = format!("{:.1} / {:.1} ms", percentile(&round.millis, 50.0), percentile(&round.millis, 99.0));
    if round.missing > 0 {
        value.push_str(&format!(" ({} never drawn)", round.missing));
    }
    (measure, value, "p99 < 100 ms".into())
}

async fn round(
    owner: &Owner,
    kds: &AppSession,
    dishes: &[Uuid],
    orders: usize,
    watcher: Option<&Engine>,
) -> Result<Round> {
    kds.client.execute("performance.clearMarks()", vec![]).await?;
    // A watching engine's cache is polled for when each order first shows in it.
    let seen: std::sync::Arc<std::sync::Mutex<HashMap<Uuid, f64>>> = Default::default();
    let watching = watcher.cloned().map(|engine| {
        let seen = seen.clone();
        tokio::spawn(async move {
            loop {
                if let Ok(cached) = engine.orders() {
                    let at = epoch_ms();
                    let mut seen = seen.lock().expect("seen lock");
                    for order in cached {
                        seen.entry(order.id).or_insert(at);
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    });
    let mut posted: Vec<(Uuid, f64)> = Vec::with_capacity(orders);
    let mut tick = tokio::time::interval(PACE);
    for n in 0..orders {
        tick.tick().await;
        let id = ordera_protocol::new_id();
        let items = [
            json!({"product_id": dishes[n % dishes.len()], "quantity": 1 + n % 3}),
            json!({"product_id": dishes[(n + 1) % dishes.len()], "quantity": 1, "note": "no salt"}),
        ];
        posted.push((id, epoch_ms()));
        owner.post("orders", json!({"id": id, "order_type": "dine_in", "items": items})).await;
        // The oldest ticket leaves the pass, as the kitchen keeps up.
        if n >= ON_THE_BOARD {
            let (served, _) = posted[n - ON_THE_BOARD];
            let body = json!({"command_id": ordera_protocol::new_id(), "action": "complete"});
            owner.post(&format!("orders/{served}/status"), body).await;
        }
    }
    // Every ticket still to be drawn has a few seconds to show.
    let script = "return performance.getEntriesByType('mark')\
        .filter(m => m.name.startsWith('ordera:drawn:'))\
        .map(m => [m.name.slice(13), performance.timeOrigin + m.startTime])";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let drawn: HashMap<Uuid, f64> = loop {
        let marks: Vec<(String, f64)> = serde_json::from_value(kds.client.execute(script, vec![]).await?)?;
        // A ticket drawn twice (the board rebuilt) counts from its first painting.
        let mut drawn: HashMap<Uuid, f64> = HashMap::new();
        for (id, at) in marks {
            if let Ok(id) = id.parse() {
                let first = drawn.entry(id).or_insert(at);
                *first = first.min(at);
            }
        }
        let waiting = posted.iter().rev().take(ON_THE_BOARD).any(|(id, _)| !drawn.contains_key(id));
        if !waiting || tokio::time::Instant::now() > deadline {
            break drawn;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let since_posted = |at: &HashMap<Uuid, f64>| {
        let mut millis: Vec<f64> =
            posted.iter().filter_map(|(id, sent)| at.get(id).map(|at| (at - sent).max(0.0))).collect();
        millis.sort_by(f64::total_cmp);
        Round { missing: orders - millis.len(), millis, cached: None }
    };
    let cached = watching.map(|task| {
        task.abort();
        Box::new(since_posted(&seen.lock().expect("seen lock")))
    });
    Ok(Round { cached, ..since_posted(&drawn) })
}
