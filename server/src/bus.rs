//! Fan-out between server instances. Every instance hands its own commits to its own sockets at once
//! (through the hub) and publishes them on the bus; every instance forwards what it hears on the bus to its
//! sockets. With one instance (no `REDIS_URL`) the bus is a no-op; with several it is Redis pub/sub.
//!
//! Nothing here may hold up this instance's own sockets, whatever Redis does: publishing only queues a
//! commit (a bounded queue, never waiting), and one task sends whatever has queued in one pipeline, with a
//! timeout. Redis being down, slow or frozen costs the other instances a delay (their position checks read
//! what the bus did not bring from the log) and this instance nothing but a counted, logged overflow.
//!
//! The bus is allowed to lose messages: the hub's position checks repair that from the log.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use ordera_protocol::sync::LoggedEvent;
use rand::Rng;
use redis::AsyncConnectionConfig;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::timeout;
use uuid::Uuid;

use crate::hub::Hub;
use crate::metrics;
use crate::store::Committed;

/// The one Redis channel all instances share.
pub const CHANNEL: &str = "ordera:events";
/// The most commits sent in one pipeline.
const MAX_BATCH: usize = 256;

/// What goes over Redis, one message per commit. `instance` comes first so that an instance can tell its
/// own messages by their first bytes (see [`Subscriber::own`]); instances that predate it ignore the field.
#[derive(Serialize)]
struct Outgoing<'a> {
    instance: Uuid,
    tenant_id: Uuid,
    events: &'a [LoggedEvent],
}

#[derive(Deserialize)]
struct Incoming {
    tenant_id: Uuid,
    events: Vec<LoggedEvent>,
}

/// Only the restaurant, read before the events, which need decoding only when it has sockets here.
#[derive(Deserialize)]
struct Addressed {
    tenant_id: Uuid,
}

/// Where this instance stands with the other instances, for `/readyz` and the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusState {
    /// No Redis configured: this instance is alone and its hub has everything.
    Local,
    /// Publishing to and hearing from Redis.
    Connected,
    /// Redis is configured but down, unreachable or not answering: this instance's own commits still
    /// reach its sockets at once, other instances' through the position checks, until it rejoins.
    Disconnected,
}

impl BusState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
        }
    }
}

pub trait Bus: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    /// Hands a commit on to the other instances. Never waits.
    fn publish(&self, committed: Committed);
    fn state(&self) -> BusState;
}

/// One instance alone: its hub already has everything.
pub struct LocalBus;

impl Bus for LocalBus {
    fn name(&self) -> &'static str {
        "in-process"
    }

    fn publish(&self, _committed: Committed) {}

    fn state(&self) -> BusState {
        BusState::Local
    }
}

/// How the Redis bus behaves when Redis does not.
#[derive(Clone, Copy, Debug)]
pub struct RedisSettings {
    /// How long Redis may take to accept a connection, confirm a subscription, answer a heartbeat or a
    /// pipeline of publications before it counts as unreachable.
    pub timeout: Duration,
    /// Commits waiting to be published; past that, new ones are dropped (counted and logged) and the
    /// other instances read them from the log.
    pub queue: usize,
}

/// Both halves of the link to Redis; the bus is connected only while both are.
#[derive(Default)]
struct Link {
    publishing: AtomicBool,
    subscribed: AtomicBool,
    /// Set while commits are being dropped, so that an overflow is logged once, not per commit.
    overflowing: AtomicBool,
}

impl Link {
    fn state(&self) -> BusState {
        if self.publishing.load(Ordering::Relaxed) && self.subscribed.load(Ordering::Relaxed) {
            BusState::Connected
        } else {
            BusState::Disconnected
        }
    }
}

pub struct RedisBus {
    queue: mpsc::Sender<Committed>,
    link: Arc<Link>,
}

impl RedisBus {
    /// Starts the publisher and the subscriber, which connect in the background and keep reconnecting
    /// for the life of the process: a server starts and serves while Redis is down, and joins the other
    /// instances when it comes up. Fails only on a malformed URL.
    pub fn start(url: &str, hub: Arc<Hub>, settings: RedisSettings) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let link = Arc::new(Link::default());
        let instance = Uuid::now_v7();
        let (queue, queued) = mpsc::channel(settings.queue.max(1));
        let publisher = Publisher { client: client.clone(), link: link.clone(), instance, settings };
        tokio::spawn(publisher.run(queued));
        let subscriber = Subscriber { client, link: link.clone(), hub, own: own_prefix(instance), settings };
        tokio::spawn(subscriber.run());
        Ok(Self { queue, link })
    }
}

impl Bus for RedisBus {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn publish(&self, committed: Committed) {
        let events = committed.events.len() as u64;
        match self.queue.try_send(committed) {
            Ok(()) => {
                if self.link.overflowing.swap(false, Ordering::Relaxed) {
                    tracing::info!("the Redis event bus takes publications again");
                }
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                ::metrics::counter!(metrics::BUS_DROPPED_EVENTS).increment(events);
                if !self.link.overflowing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "the Redis event bus is not keeping up and its queue is full: commits are not published \
                         until it drains; other instances read them from the log at their next position check"
                    );
                }
            }
            // The publisher is gone only when the process is stopping.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    fn state(&self) -> BusState {
        self.link.state()
    }
}

/// The first bytes of every message this instance publishes.
fn own_prefix(instance: Uuid) -> Vec<u8> {
    format!("{{\"instance\":\"{instance}\"").into_bytes()
}

/// Full jitter, so that many instances do not reconnect in step.
async fn pause(backoff: &mut Duration) {
    let pause = rand::rng().random_range(Duration::ZERO..=*backoff);
    tokio::time::sleep(pause).await;
    *backoff = (*backoff * 2).min(Duration::from_secs(5));
}

const FIRST_BACKOFF: Duration = Duration::from_millis(100);

struct Publisher {
    client: redis::Client,
    link: Arc<Link>,
    instance: Uuid,
    settings: RedisSettings,
}

impl Publisher {
    /// Sends whatever has queued, in one pipeline at a time. A pipeline that fails or times out is dropped
    /// with its connection (a frozen Redis would otherwise keep every request in flight) and counted.
    async fn run(self, mut queued: mpsc::Receiver<Committed>) {
        let limit = self.settings.timeout;
        let config = AsyncConnectionConfig::new().set_connection_timeout(Some(limit)).set_response_timeout(Some(limit));
        let mut connection = None;
        let mut backoff = FIRST_BACKOFF;
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut reported = false;
        loop {
            let Some(publisher) = &mut connection else {
                match timeout(limit, self.client.get_multiplexed_async_connection_with_config(&config)).await {
                    Ok(Ok(opened)) => {
                        if reported {
                            tracing::info!("publishing on the Redis event bus again");
                        }
                        connection = Some(opened);
                        self.link.publishing.store(true, Ordering::Relaxed);
                        backoff = FIRST_BACKOFF;
                        reported = false;
                    }
                    outcome => {
                        if !reported {
                            let error = match outcome {
                                Ok(Err(error)) => error.to_string(),
                                _ => "no answer".to_owned(),
                            };
                            tracing::warn!(error, "cannot publish on the Redis event bus; retrying");
                            reported = true;
                        }
                        pause(&mut backoff).await;
                    }
                }
                continue;
            };
            if queued.recv_many(&mut batch, MAX_BATCH).await == 0 {
                return;
            }
            let mut pipeline = redis::pipe();
            for committed in batch.drain(..) {
                let message =
                    Outgoing { instance: self.instance, tenant_id: committed.tenant_id, events: &committed.events };
                let payload = serde_json::to_vec(&message).expect("events serialise");
                pipeline.cmd("PUBLISH").arg(CHANNEL).arg(payload).ignore();
            }
            let failure = match timeout(limit, pipeline.query_async::<()>(publisher)).await {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => error.to_string(),
                Err(_) => "no answer".to_owned(),
            };
            // The other instances' position checks will find these events in the log.
            ::metrics::counter!(metrics::BUS_PUBLISH_FAILURES).increment(1);
            tracing::warn!(error = failure, "publishing on the Redis event bus failed; reconnecting");
            connection = None;
            self.link.publishing.store(false, Ordering::Relaxed);
            reported = true;
        }
    }
}

struct Subscriber {
    client: redis::Client,
    link: Arc<Link>,
    hub: Arc<Hub>,
    own: Vec<u8>,
    settings: RedisSettings,
}

impl Subscriber {
    /// Keeps a subscription for the life of the process. A heartbeat tells a frozen Redis from a quiet one,
    /// so that the subscription is replaced (and the bus reported down) rather than waited on forever.
    async fn run(self) {
        let limit = self.settings.timeout;
        let mut backoff = FIRST_BACKOFF;
        loop {
            let subscribed = timeout(limit, async {
                let mut pubsub = self.client.get_async_pubsub().await?;
                pubsub.subscribe(CHANNEL).await?;
                Ok::<_, redis::RedisError>(pubsub)
            })
            .await;
            match subscribed {
                Ok(Ok(pubsub)) => {
                    tracing::info!("subscribed to the Redis event bus");
                    ::metrics::counter!(metrics::BUS_RECONNECTS).increment(1);
                    self.link.subscribed.store(true, Ordering::Relaxed);
                    backoff = FIRST_BACKOFF;
                    // Whatever was published while we were away is in the log: catch up now rather than
                    // at the next periodic check.
                    self.hub.check_positions().await;
                    let (mut sink, mut messages) = pubsub.split();
                    let mut heartbeat = tokio::time::interval(limit);
                    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tokio::select! {
                            message = messages.next() => match message {
                                Some(message) => self.hear(message.get_payload_bytes()),
                                None => {
                                    tracing::warn!("the Redis event bus subscription ended; reconnecting");
                                    break;
                                }
                            },
                            _ = heartbeat.tick() => {
                                if !matches!(timeout(limit, sink.ping::<redis::Value>()).await, Ok(Ok(_))) {
                                    tracing::warn!("the Redis event bus stopped answering; reconnecting");
                                    break;
                                }
                            }
                        }
                    }
                    self.link.subscribed.store(false, Ordering::Relaxed);
                }
                Ok(Err(error)) => tracing::warn!(error = %error, "subscribing to the Redis event bus failed"),
                Err(_) => tracing::warn!("subscribing to the Redis event bus got no answer"),
            }
            pause(&mut backoff).await;
        }
    }

    /// Passes a message on to the sockets here. This instance's own messages are skipped by their first
    /// bytes (the hub had them first), and a restaurant without sockets here costs only reading its id.
    fn hear(&self, payload: &[u8]) {
        if payload.starts_with(&self.own) {
            return;
        }
        let tenant_id = match serde_json::from_slice::<Addressed>(payload) {
            Ok(addressed) => addressed.tenant_id,
            Err(error) => return tracing::warn!(error = %error, "ignoring a malformed bus message"),
        };
        if !self.hub.follows(tenant_id) {
            return;
        }
        match serde_json::from_slice::<Incoming>(payload) {
            Ok(incoming) => self.hub.deliver(incoming.tenant_id, &incoming.events),
            Err(error) => tracing::warn!(error = %error, "ignoring a malformed bus message"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_knows_its_own_messages_by_their_first_bytes_and_others_read_them_whole() {
        let instance = Uuid::now_v7();
        let message = Outgoing { instance, tenant_id: Uuid::now_v7(), events: &[] };
        let payload = serde_json::to_vec(&message).unwrap();
        assert!(payload.starts_with(&own_prefix(instance)));
        assert!(!payload.starts_with(&own_prefix(Uuid::now_v7())));
        let incoming: Incoming = serde_json::from_slice(&payload).unwrap();
        assert_eq!(incoming.tenant_id, message.tenant_id);
    }
}
