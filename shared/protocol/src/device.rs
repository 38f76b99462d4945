//! What a device's engine tells its UI: sync status, the cached menu, queued commands and change
//! notifications. The app shells pass these over Tauri IPC; the engine (ordera-client) produces them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::{Category, Product, Tenant, User};
use crate::sync::ClientMessage;

/// The person signed in on a device (the admin app), as its UI may know them: never the session's token,
/// which stays with the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub user: User,
    pub tenant: Tenant,
    pub server_url: String,
    pub expires_at: DateTime<Utc>,
}

/// What the server answered to a call the UI made through its engine: the HTTP status and the JSON body
/// (an `ErrorBody` when the status is not a success; `null` when there was no body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiReply {
    pub status: u16,
    pub body: serde_json::Value,
}

impl ApiReply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// No server yet, or the device was unpaired or revoked.
    Unpaired,
    /// Not connected; retrying with backoff.
    Offline,
    Connecting,
    /// Connected and caught up: what the screen shows is current.
    Online,
}

/// What the UI shows in its status corner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub connection: ConnectionState,
    /// When the cache last caught up with the server.
    pub last_sync: Option<DateTime<Utc>>,
    /// Commands waiting to be sent or acknowledged.
    pub pending: usize,
    /// Commands the server refused, waiting for a person.
    pub rejected: usize,
    pub last_error: Option<String>,
    /// The last time anything arrived from the server (events, a pong): a screen that shows it proves it
    /// is live, and one that stopped hearing says since when.
    #[serde(default)]
    pub last_heard: Option<DateTime<Utc>>,
    /// The restaurant log's position this device has applied up to.
    #[serde(default)]
    pub position: Option<i64>,
    /// The newest position the server has told this device of (the head at connection, then each event).
    #[serde(default)]
    pub head: Option<i64>,
}

impl SyncStatus {
    /// Whether the server no longer accepts this device: its engine forgot the token and says why. A
    /// "not paired" without a reason is the engine's word from before a pairing, which can arrive after
    /// the pairing went through; an app must not take it for a revocation.
    pub fn pairing_refused(&self) -> bool {
        self.connection == ConnectionState::Unpaired && self.last_error.is_some()
    }
}

/// What changed, for the shell to forward to its UI (event names as Tauri events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum EngineEvent {
    CatalogChanged,
    OrdersChanged,
    /// Refused orders waiting for staff changed (one arrived or was settled).
    RefusalsChanged,
    ConnectionChanged {
        status: SyncStatus,
    },
    CommandRejected {
        command_id: Uuid,
        reason: String,
    },
}

impl EngineEvent {
    pub const CATALOG_CHANGED: &'static str = "catalog-changed";
    pub const ORDERS_CHANGED: &'static str = "orders-changed";
    pub const REFUSALS_CHANGED: &'static str = "refusals-changed";
    pub const CONNECTION_CHANGED: &'static str = "connection-changed";
    pub const COMMAND_REJECTED: &'static str = "command-rejected";

    /// The Tauri event name the shell forwards it under.
    pub fn name(&self) -> &'static str {
        match self {
            EngineEvent::CatalogChanged => Self::CATALOG_CHANGED,
            EngineEvent::OrdersChanged => Self::ORDERS_CHANGED,
            EngineEvent::RefusalsChanged => Self::REFUSALS_CHANGED,
            EngineEvent::ConnectionChanged { .. } => Self::CONNECTION_CHANGED,
            EngineEvent::CommandRejected { .. } => Self::COMMAND_REJECTED,
        }
    }
}

/// The menu as the device holds it: every category and product, hidden ones included, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Menu {
    pub tenant: Option<Tenant>,
    pub categories: Vec<Category>,
    pub products: Vec<Product>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting to be sent, or sent and not yet acknowledged.
    Pending,
    /// Refused by the server for good; kept so a person sees why.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Local, increasing: the order commands are sent in, and a short reference to show a customer.
    pub seq: i64,
    pub command_id: Uuid,
    pub message: ClientMessage,
    pub created_at: DateTime<Utc>,
    pub state: OutboxState,
    pub reason: Option<String>,
}

/// An error crossing the IPC boundary: a stable `code` for the UI to branch on and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    /// `not_paired`, `unauthorized`, `offline`, `server`, `invalid`, `storage`, `corrupt`, `ipc`.
    pub code: String,
    pub message: String,
}

impl IpcError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }
}
