//! A kiosk in a process of its own, for crash tests: it places orders through the engine, printing
//! `saved <id>` the moment each is durably queued, then waits for the outbox to drain and prints the ids
//! of the orders in its cache.
//!
//! `engine-harness <data dir> <server url> <pairing code, or - when already paired> <orders> <product id>`

use std::io::Write;
use std::time::Duration;

use ordera_client::{ConnectionState, Engine, EngineConfig};
use ordera_protocol::orders::{OrderLineRequest, PlaceOrderRequest};
use ordera_protocol::OrderType;
use uuid::Uuid;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data_dir, server_url, code, count, product] = args.as_slice() else {
        anyhow::bail!("usage: engine-harness <data dir> <server url> <code|-> <orders> <product id>");
    };
    let config = EngineConfig {
        heartbeat: Duration::from_millis(200),
        dead_after: Duration::from_secs(2),
        backoff_base: Duration::from_millis(50),
        backoff_cap: Duration::from_millis(500),
        ..EngineConfig::default()
    };
    let engine = Engine::open(std::path::Path::new(data_dir), config)?;
    if code != "-" {
        engine.pair(server_url, code).await?;
    }
    let product: Uuid = product.parse()?;
    let mut out = std::io::stdout();
    for _ in 0..count.parse::<usize>()? {
        let order = PlaceOrderRequest {
            id: ordera_protocol::new_id(),
            order_type: OrderType::Takeaway,
            items: vec![OrderLineRequest { product_id: product, quantity: 1, note: None }],
            note: None,
        };
        engine.place_order(order.clone())?;
        writeln!(out, "saved {}", order.id)?;
        out.flush()?;
    }
    loop {
        let status = engine.status();
        if status.pending == 0 && status.connection == ConnectionState::Online {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut ids: Vec<String> = engine.orders()?.iter().map(|o| o.id.to_string()).collect();
    ids.sort();
    writeln!(out, "drained {}", ids.join(","))?;
    out.flush()?;
    engine.shutdown().await;
    Ok(())
}
