//! What every handler shares.

use std::sync::Arc;

use crate::auth::LoginThrottle;
use crate::config::Config;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub throttle: Arc<LoginThrottle>,
}
