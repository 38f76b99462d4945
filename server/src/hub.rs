//! This instance's fan-out to its sockets. One broadcast channel per restaurant with connected sockets;
//! each committed event is serialised once and handed to all of them.
//!
//! Deliveries are hints, not the truth: they may arrive late, twice or out of order (two commits' sends
//! race; the bus drops a message). The hub drops what it has already passed on, each socket fills any gap
//! from the log, and [`Hub::check_positions`] compares every active restaurant's position with the
//! database every few seconds, so a lost message is repaired without a client noticing more than a delay.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ordera_protocol::sync::{LoggedEvent, ServerMessage};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::store::Store;

/// How many events a restaurant's channel holds for a socket that has not read them yet; past that the
/// socket is told it lagged and catches up from the log.
const CHANNEL_CAPACITY: usize = 1024;
/// The most events a position check reads in one go.
const REPAIR_PAGE: i64 = 1000;

/// One event, ready to send: `json` is the whole `events` message.
#[derive(Clone, Debug)]
pub struct Frame {
    pub seq: i64,
    pub event: Arc<LoggedEvent>,
    pub json: Arc<str>,
}

struct Channel {
    sender: broadcast::Sender<Frame>,
    /// The newest sequence number passed on; `None` until the first delivery or position check.
    last: Option<i64>,
}

pub struct Hub {
    store: Arc<dyn Store>,
    tenants: Mutex<HashMap<Uuid, Channel>>,
}

impl Hub {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, tenants: Mutex::new(HashMap::new()) }
    }

    /// Subscribes before the socket replays from the log, so that nothing committed in between is missed.
    pub fn subscribe(&self, tenant_id: Uuid) -> broadcast::Receiver<Frame> {
        let mut tenants = self.tenants.lock().expect("hub lock");
        tenants
            .entry(tenant_id)
            .or_insert_with(|| Channel { sender: broadcast::channel(CHANNEL_CAPACITY).0, last: None })
            .sender
            .subscribe()
    }

    /// Passes on events of a restaurant to its sockets here, dropping ones already passed on.
    pub fn deliver(&self, tenant_id: Uuid, events: &[LoggedEvent]) {
        // Serialise only what is new here: each instance hears its own commits twice (directly and back
        // from the bus), and a restaurant without sockets here needs nothing.
        let last = match self.tenants.lock().expect("hub lock").get(&tenant_id) {
            Some(channel) => channel.last,
            None => return,
        };
        let frames: Vec<Frame> = events
            .iter()
            .filter(|event| last.is_none_or(|last| event.seq > last))
            .map(|event| {
                let message = ServerMessage::Events { events: vec![event.clone()] };
                let json = serde_json::to_string(&message).expect("events serialise");
                Frame { seq: event.seq, event: Arc::new(event.clone()), json: json.into() }
            })
            .collect();
        let mut tenants = self.tenants.lock().expect("hub lock");
        let Some(channel) = tenants.get_mut(&tenant_id) else { return };
        for frame in frames {
            if channel.last.is_some_and(|last| frame.seq <= last) {
                continue;
            }
            channel.last = Some(frame.seq);
            // No receiver is fine: the last socket may have just left.
            let _ = channel.sender.send(frame);
        }
    }

    /// Whether sockets here follow the restaurant: a bus message for one that none follows needs no
    /// decoding.
    pub fn follows(&self, tenant_id: Uuid) -> bool {
        self.tenants.lock().expect("hub lock").contains_key(&tenant_id)
    }

    /// Restaurants with sockets here; channels nobody listens to any more are dropped.
    pub fn active_tenants(&self) -> Vec<Uuid> {
        let mut tenants = self.tenants.lock().expect("hub lock");
        tenants.retain(|_, channel| channel.sender.receiver_count() > 0);
        tenants.keys().copied().collect()
    }

    fn last(&self, tenant_id: Uuid) -> Option<Option<i64>> {
        self.tenants.lock().expect("hub lock").get(&tenant_id).map(|c| c.last)
    }

    /// A socket of `tenant_id` has replayed the log up to `seq` and now follows the channel. Until a first
    /// delivery, that is where this instance's position checks start: anything after it that the bus loses
    /// is repaired, and nothing is taken as passed on that never was.
    pub fn replayed_to(&self, tenant_id: Uuid, seq: i64) {
        if let Some(channel) = self.tenants.lock().expect("hub lock").get_mut(&tenant_id) {
            channel.last.get_or_insert(seq);
        }
    }

    /// Reads each active restaurant's position and passes on whatever the bus did not bring.
    pub async fn check_positions(&self) {
        for tenant_id in self.active_tenants() {
            if let Err(error) = self.check_position(tenant_id).await {
                tracing::warn!(tenant = %tenant_id, error = %error, "position check failed");
            }
        }
    }

    async fn check_position(&self, tenant_id: Uuid) -> anyhow::Result<()> {
        let head = self.store.head(tenant_id).await?;
        match self.last(tenant_id) {
            // No socket has finished its replay and nothing was delivered yet: the sockets read the log
            // themselves up to now. Taking the head as passed on here would skip whatever came after a
            // socket's replay and before this check, and a lost bus message would then go unseen until a
            // later event revealed the gap.
            None | Some(None) => {}
            Some(Some(mut last)) => {
                while last < head.seq {
                    let events = self.store.events_since(tenant_id, last, REPAIR_PAGE).await?;
                    let Some(newest) = events.last().map(|e| e.seq) else { break };
                    tracing::debug!(tenant = %tenant_id, from = last, to = newest, "repairing missed events");
                    self.deliver(tenant_id, &events);
                    last = newest;
                }
            }
        }
        Ok(())
    }
}
