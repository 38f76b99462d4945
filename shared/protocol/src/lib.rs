//! Ordera's one contract between the server and every client.
//!
//! Everything that crosses the wire is declared here exactly once: the domain enums, the validating
//! newtypes, the REST request and response bodies and the sync events. The crate does no I/O so that it
//! builds for the server, the native client engine and the wasm UIs alike.

pub mod api;
pub mod device;
pub mod domain;
pub mod ipc;
pub mod money;
pub mod orders;
pub mod reports;
pub mod sync;
pub mod validate;

pub use domain::{Allergen, DeviceKind, OrderStatus, OrderType, Role};
pub use money::{Currency, Money};
pub use validate::{FieldErrors, ValidationError};

/// A fresh id. UUIDv7 ids sort by creation time, so devices can make them offline (an order's id is made
/// on the kiosk) and the database still inserts them in index order.
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}
