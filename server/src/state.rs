//! What every handler shares.

use std::sync::Arc;

use crate::auth::LoginThrottle;
use crate::bus::Bus;
use crate::config::Config;
use crate::hub::Hub;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub throttle: Arc<LoginThrottle>,
    /// This instance's sockets, by restaurant.
    pub hub: Arc<Hub>,
    /// The other instances.
    pub bus: Arc<dyn Bus>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Becomes `true` as soon as the instance is asked to stop: `/readyz` fails from then on, while
    /// everything else is still served.
    pub draining: tokio::sync::watch::Receiver<bool>,
    /// Becomes `true` when the instance stops taking connections: sockets are told to go elsewhere.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}
