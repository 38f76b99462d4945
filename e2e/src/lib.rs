//! Test support shared by the end-to-end suites: a real server on its own runtime (so it can be killed
//! and restarted like a process), a fault-injecting TCP proxy, and HTTP fixtures.

pub mod proxy;
pub mod server;
#[cfg(feature = "ui")]
pub mod webview;
