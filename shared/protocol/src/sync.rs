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
    /// In place of an event this device may not see (another kiosk's order, say; see [`Audience`]): its
    /// position moves on and nothing else changes, so its cursor stays gapless while the content stays on
    /// the server. A device older than this variant reads it as `Unknown` and does the same.
    Withheld,
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
    /// Kitchen and admin devices: the refused orders nobody has settled yet. Kiosks: their own of those.
    #[serde(default)]
    pub refusals: Vec<RefusedOrder>,
}

/// Who is reading a restaurant's log, for what of it they may see: the one rule the snapshot, the replay and
/// the live stream all go through, so that a device receives the same things however it catches up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Kitchen screens, admin devices and signed-in people: the whole restaurant.
    Staff,
    /// A customer-facing kiosk: the menu and the restaurant's settings, and of orders, refusals and devices
    /// only its own. Other kiosks' customers, their notes, the staff's refusals and the device list never
    /// reach it.
    Kiosk { device_id: Uuid },
}

impl Audience {
    pub fn sees_order(self, order: &Order) -> bool {
        self.owns(order.device_id)
    }

    pub fn sees_refusal(self, refusal: &RefusedOrder) -> bool {
        self.owns(refusal.device_id)
    }

    pub fn sees_device(self, id: Uuid) -> bool {
        self.owns(Some(id))
    }

    fn owns(self, device: Option<Uuid>) -> bool {
        match self {
            Audience::Staff => true,
            Audience::Kiosk { device_id } => device == Some(device_id),
        }
    }

    pub fn sees(self, event: &Event) -> bool {
        match event {
            Event::TenantUpdated { .. }
            | Event::CategoryUpserted { .. }
            | Event::CategoryDeleted { .. }
            | Event::ProductUpserted { .. }
            | Event::ProductDeleted { .. }
            | Event::Withheld
            | Event::Unknown => true,
            Event::DeviceUpserted { device } => self.sees_device(device.id),
            Event::DeviceRevoked { id } => self.sees_device(*id),
            Event::OrderUpserted { order } => self.sees_order(order),
            Event::RefusalUpserted { refusal } => self.sees_refusal(refusal),
        }
    }

    /// The log entry as this audience receives it: whole, or [`Event::Withheld`] at the same position.
    pub fn redact(self, logged: LoggedEvent) -> LoggedEvent {
        if self.sees(&logged.event) {
            logged
        } else {
            LoggedEvent { event: Event::Withheld, ..logged }
        }
    }

    /// The snapshot as this audience receives it.
    pub fn trim(self, mut snapshot: Snapshot) -> Snapshot {
        snapshot.orders.retain(|order| self.sees_order(order));
        snapshot.refusals.retain(|refusal| self.sees_refusal(refusal));
        snapshot
    }
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
    /// The restaurant holds as many connections on this server as it may: reconnect after a pause.
    pub const TOO_MANY_SOCKETS: u16 = 4010;
    /// The same device (or person) connected again and this older connection was closed for it. A client
    /// that hears this while it believes it is the newest should reconnect after a pause, as for any close.
    pub const REPLACED: u16 = 4011;
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

    fn order_from(device_id: Option<Uuid>) -> Order {
        serde_json::from_value(serde_json::json!({
            "id": Uuid::now_v7(), "number": 1, "business_date": "2026-12-07", "order_type": "takeaway",
            "status": "placed", "items": [], "total": 0, "note": "no onions", "device_id": device_id,
            "placed_at": "2026-12-07T12:00:00Z", "preparing_at": null, "ready_at": null, "completed_at": null,
            "cancelled_at": null, "cancel_reason": null, "updated_at": "2026-12-07T12:00:00Z"
        }))
        .unwrap()
    }

    fn refusal_from(device_id: Option<Uuid>) -> RefusedOrder {
        serde_json::from_value(serde_json::json!({
            "id": Uuid::now_v7(), "device_id": device_id, "device_name": "Kiosk", "reason": "sold out",
            "order_type": "takeaway", "items": [], "note": "", "refused_at": "2026-12-07T12:00:00Z",
            "resolved_at": null
        }))
        .unwrap()
    }

    #[test]
    fn a_kiosk_sees_the_menu_and_its_own_orders_and_the_staff_see_everything() {
        let (own, other) = (Uuid::now_v7(), Uuid::now_v7());
        let kiosk = Audience::Kiosk { device_id: own };
        let cases = [
            (Event::CategoryDeleted { id: other }, true),
            (Event::ProductDeleted { id: other }, true),
            (Event::OrderUpserted { order: order_from(Some(own)) }, true),
            (Event::OrderUpserted { order: order_from(Some(other)) }, false),
            (Event::OrderUpserted { order: order_from(None) }, false),
            (Event::RefusalUpserted { refusal: refusal_from(Some(own)) }, true),
            (Event::RefusalUpserted { refusal: refusal_from(Some(other)) }, false),
            (Event::DeviceRevoked { id: own }, true),
            (Event::DeviceRevoked { id: other }, false),
            (Event::Withheld, true),
        ];
        for (event, kiosk_sees) in cases {
            assert_eq!(kiosk.sees(&event), kiosk_sees, "{event:?}");
            assert!(Audience::Staff.sees(&event), "{event:?}");
        }
    }

    #[test]
    fn a_withheld_event_keeps_its_position_and_carries_nothing_of_the_original() {
        let kiosk = Audience::Kiosk { device_id: Uuid::now_v7() };
        let logged = LoggedEvent {
            seq: 41,
            at: "2026-12-07T12:00:00Z".parse().unwrap(),
            event: Event::OrderUpserted { order: order_from(Some(Uuid::now_v7())) },
        };
        let redacted = kiosk.redact(logged.clone());
        assert_eq!((redacted.seq, redacted.at, &redacted.event), (41, logged.at, &Event::Withheld));
        let json = serde_json::to_string(&redacted).unwrap();
        assert_eq!(json, r#"{"seq":41,"at":"2026-12-07T12:00:00Z","event":{"type":"withheld"}}"#);
        assert_eq!(Audience::Staff.redact(logged.clone()), logged);
    }
}
