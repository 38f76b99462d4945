//! Fan-out between server instances. Every instance hands its own commits to its own sockets at once
//! (through the hub) and publishes them on the bus; every instance forwards what it hears on the bus to its
//! sockets. With one instance (no `REDIS_URL`) the bus is a no-op; with several it is Redis pub/sub.
//!
//! The bus is allowed to lose messages: the hub's position checks repair that from the log.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use ordera_protocol::sync::LoggedEvent;
use rand::Rng;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::hub::Hub;
use crate::store::Committed;

/// The one Redis channel all instances share.
pub const CHANNEL: &str = "ordera:events";

#[derive(Serialize, Deserialize)]
struct Wire {
    tenant_id: Uuid,
    events: Vec<LoggedEvent>,
}

#[async_trait::async_trait]
pub trait Bus: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    async fn publish(&self, committed: &Committed) -> anyhow::Result<()>;
}

/// One instance alone: its hub already has everything.
pub struct LocalBus;

#[async_trait::async_trait]
impl Bus for LocalBus {
    fn name(&self) -> &'static str {
        "in-process"
    }

    async fn publish(&self, _committed: &Committed) -> anyhow::Result<()> {
        Ok(())
    }
}

pub struct RedisBus {
    publisher: ConnectionManager,
}

impl RedisBus {
    /// Connects for publishing and starts the subscriber, which keeps reconnecting for the life of the
    /// process and forwards what it hears to `hub`.
    pub async fn start(url: &str, hub: Arc<Hub>) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let publisher = ConnectionManager::new(client.clone()).await?;
        tokio::spawn(subscribe(client, hub));
        Ok(Self { publisher })
    }
}

#[async_trait::async_trait]
impl Bus for RedisBus {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn publish(&self, committed: &Committed) -> anyhow::Result<()> {
        let wire = Wire { tenant_id: committed.tenant_id, events: committed.events.clone() };
        let payload = serde_json::to_string(&wire)?;
        let mut connection = self.publisher.clone();
        redis::cmd("PUBLISH").arg(CHANNEL).arg(payload).query_async::<()>(&mut connection).await?;
        Ok(())
    }
}

async fn subscribe(client: redis::Client, hub: Arc<Hub>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(CHANNEL).await {
                Ok(()) => {
                    tracing::info!("subscribed to the Redis event bus");
                    metrics::counter!(crate::metrics::BUS_RECONNECTS).increment(1);
                    backoff = Duration::from_millis(100);
                    // Whatever was published while we were away is in the log: catch up now rather than
                    // at the next periodic check.
                    hub.check_positions().await;
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        match serde_json::from_slice::<Wire>(message.get_payload_bytes()) {
                            Ok(wire) => hub.deliver(wire.tenant_id, &wire.events),
                            Err(error) => tracing::warn!(error = %error, "ignoring a malformed bus message"),
                        }
                    }
                    tracing::warn!("the Redis event bus subscription ended; reconnecting");
                }
                Err(error) => tracing::warn!(error = %error, "subscribing to the Redis event bus failed"),
            },
            Err(error) => tracing::warn!(error = %error, "connecting to the Redis event bus failed"),
        }
        // Full jitter, so that many instances do not reconnect in step.
        let pause = rand::rng().random_range(Duration::ZERO..=backoff);
        tokio::time::sleep(pause).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
