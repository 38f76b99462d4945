//! What every handler shares.

use std::sync::Arc;

use crate::auth::LoginThrottle;
use crate::bus::Bus;
use crate::config::Config;
use crate::cpu::CpuQueue;
use crate::hub::Hub;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub throttle: Arc<LoginThrottle>,
    /// Password hashing and image decoding, each bounded in how many run and wait at once.
    pub hashing: Arc<CpuQueue>,
    pub imaging: Arc<CpuQueue>,
    /// This instance's sockets, by restaurant.
    pub hub: Arc<Hub>,
    /// How many sockets each restaurant and device holds here, within the configured limits.
    pub sockets: Arc<crate::sockets::Sockets>,
    /// The other instances.
    pub bus: Arc<dyn Bus>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Where the instance is in its life; it only moves forward.
    pub phase: tokio::sync::watch::Receiver<Phase>,
}

/// The stages of an instance, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Serving,
    /// Asked to stop: `/readyz` fails from now on, while everything else is still served.
    Draining,
    /// No longer taking connections: sockets are told to go elsewhere.
    Stopping,
}
