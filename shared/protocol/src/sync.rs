//! Sync: the per-tenant event log's entries, the snapshot, and the WebSocket messages (one tagged enum per
//! direction). Each event carries the whole entity after the change, so a client applies it without a
//! second request, and applying it twice changes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::{Category, Device, Product, Tenant};
use crate::orders::{CommandResult, ItemsDoneRequest, Order, PlaceOrderRequest, RefusedOrder, StatusChangeRequest};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    TenantUpdated {
        tenant: Tenant,
    },
    CategoryUpserted {
        category: Category,
    },
    CategoryDeleted {
        id: Uuid,
    },
    ProductUpserted {
        product: Product,
    },
    ProductDeleted {
        id: Uuid,
    },
    DeviceUpserted {
        device: Device,
    },
    DeviceRevoked {
        id: Uuid,
    },
    OrderUpserted {
        order: Order,
    },
    /// A device's order was refused for good, or staff settled one.
    RefusalUpserted {
        refusal: RefusedOrder,
    },
    /// An event kind this version does not know: a device older than its server reads it as this, skips
    /// it and keeps following the log, instead of failing on the page again and again. Never sent.
    #[serde(other)]
    Unknown,
}

/// One entry of a tenant's log: `seq` is gapless and in commit order within the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoggedEvent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub event: Event,
}

/// A position in a tenant's log. `epoch` changes when the log is reset (a restore); a cursor from another
/// epoch means nothing and the client must take a new snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Cursor {
    pub epoch: i64,
    pub seq: i64,
}

/// Everything a device kind needs to start, read in one consistent transaction: applying the events after
/// `cursor.seq` to it gives the current state exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Snapshot {
    pub cursor: Cursor,
    pub tenant: Tenant,
    pub categories: Vec<Category>,
    pub products: Vec<Product>,
    /// Kitchen and admin devices: the orders still in the kitchen plus today's finished ones.
    /// Kiosks: the orders they placed today.
    pub orders: Vec<Order>,
    /// Kitchen and admin devices: the refused orders nobody has settled yet. Kiosks: none.
    #[serde(default)]
    pub refusals: Vec<RefusedOrder>,
}

/// What a client sends over `/api/v1/sync/ws`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// The first message: the device or session token, and the position the client has applied up to
    /// (`epoch: None` for a client with nothing yet). A device says which app version it runs, for the
    /// managers' device list (older apps say nothing).
    Hello {
        token: String,
        epoch: Option<i64>,
        since: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        app_version: Option<String>,
    },
    /// Place an order; acked after commit with the order and its ticket number.
    PlaceOrder { command_id: Uuid, order: PlaceOrderRequest },
    /// Move an order through the kitchen; acked after commit.
    ChangeStatus { order_id: Uuid, change: StatusChangeRequest },
    /// Mark lines of an order done, or take the mark back; acked after commit.
    MarkItems { order_id: Uuid, change: ItemsDoneRequest },
    /// An application-level heartbeat: the server answers `pong` with the same `nonce`. `outbox` reports
    /// how many commands the device has waiting, for the operators' metrics.
    Ping {
        nonce: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outbox: Option<u64>,
        /// The log position the device has applied up to, so the server (and a manager) can see a screen
        /// that fell behind or stopped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<i64>,
    },
}

/// What the server sends over `/api/v1/sync/ws`.
// An ack carries the whole order (with its history), far larger than the other variants; a message is built,
// serialised and dropped at once, never kept in bulk, so boxing it would buy nothing but noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The hello was accepted; `head` is the tenant's newest position at that moment.
    Welcome {
        tenant_id: Uuid,
        head: Cursor,
    },
    /// A page of events, in order, with no gaps after the client's position.
    Events {
        events: Vec<LoggedEvent>,
    },
    /// Replay is done: from here on, events arrive as they happen.
    CaughtUp {
        seq: i64,
    },
    /// The client's position cannot be continued (another epoch, or older than the log keeps): fetch a
    /// new snapshot, keep the outbox, and reconnect from the snapshot's cursor.
    Resync {
        reason: String,
        epoch: i64,
    },
    /// The result of a command, after it was committed.
    Ack {
        command_id: Uuid,
        result: CommandResult,
    },
    Pong {
        nonce: u64,
    },
    /// A message the server could not use; the connection stays open unless a close follows.
    Error {
        code: String,
        message: String,
    },
}

/// WebSocket close codes with a meaning for the client.
pub mod close {
    /// The first message was not a valid hello, or a hello came twice.
    pub const PROTOCOL: u16 = 4000;
    /// The token is unknown, expired or revoked: do not reconnect with it.
    pub const UNAUTHORIZED: u16 = 4001;
    /// No hello within the allowed time.
    pub const HELLO_TIMEOUT: u16 = 4003;
    /// The server is restarting: reconnect (to another instance) after a jittered pause.
    pub const GOING_AWAY: u16 = 4004;
    /// The client read too slowly and its send queue filled: reconnect and catch up by cursor.
    pub const SLOW_CONSUMER: u16 = 4008;
    /// The client sent nothing for too long.
    pub const IDLE: u16 = 4009;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_kind_from_a_newer_server_is_read_as_unknown_and_the_page_still_parses() {
        let page = r#"{"type": "events", "events": [
            {"seq": 7, "at": "2026-11-28T12:00:00Z", "event": {"type": "table_moved", "table": 4}},
            {"seq": 8, "at": "2026-11-28T12:00:01Z", "event": {"type": "category_deleted", "id": "0193f6a8-7b4c-7cc3-9f7e-6d3c2b1a0f9e"}}
        ]}"#;
        let ServerMessage::Events { events } = serde_json::from_str(page).unwrap() else { panic!("an events page") };
        assert_eq!(events[0].event, Event::Unknown);
        assert!(matches!(events[1].event, Event::CategoryDeleted { .. }));
    }
}
