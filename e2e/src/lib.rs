//! Test support shared by the end-to-end suites: a real server on its own runtime (so it can be killed
//! and restarted like a process), server processes behind nginx, a fault-injecting TCP proxy, HTTP
//! fixtures, a stand-in for Sentry's ingest, and (feature `ui`) built apps driven over WebDriver.

pub mod ingest;
pub mod process;
pub mod proxy;
pub mod server;
#[cfg(feature = "ui")]
pub mod webview;
