//! Ordera's server: the HTTP API, the WebSocket sync stream and the fan-out between instances, on
//! PostgreSQL (production) or an embedded SQLite file (a single restaurant, no other service).
//!
//! Each area owns its router and its queries' use: `accounts`, `devices`, `catalog`, `images`; `store`
//! holds the queries themselves for both backends.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod bus;
pub mod catalog;
pub mod config;
pub mod cpu;
pub mod demo;
pub mod devices;
pub mod error;
pub mod health;
pub mod hub;
pub mod images;
pub mod input;
pub mod metrics;
pub mod orders;
pub mod reports;
pub mod sockets;
pub mod state;
pub mod store;
pub mod sync;
pub mod telemetry;

pub use app::Application;
pub use config::Config;
