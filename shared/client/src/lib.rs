//! `ordera-client`: the native sync engine every Ordera app shell runs.
//!
//! It keeps a local SQLite cache of what its device shows (menu, stock, orders, images), follows the
//! server's event stream into it, and holds a durable outbox of commands (place an order, bump a ticket)
//! that reach the server exactly once, however the network behaves. The UI calls [`Engine`] through the
//! shell's commands and listens to its [`EngineEvent`]s.

pub mod cache;
pub mod engine;
pub mod error;
pub mod telemetry;

pub use cache::{Credentials, Menu, OutboxEntry, OutboxState};
pub use engine::{ConnectionState, Engine, EngineConfig, EngineEvent, SyncStatus};
pub use error::{Error, Result};
