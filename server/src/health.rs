//! Liveness and readiness for load balancers and orchestrators. Readiness fails as soon as the instance
//! is asked to stop (see `app::Application::run_until`), before it stops taking connections.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::{AppState, Phase};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

/// What `/healthz` says: only ever `ok`. Operational, so it lives here rather than in ordera-protocol,
/// which holds what the apps exchange with the server.
#[derive(Serialize, ToSchema)]
struct Health {
    status: &'static str,
}

/// What `/readyz` says.
#[derive(Serialize, ToSchema)]
struct Readiness {
    /// `ready`; `draining` once the instance has been asked to stop; `unavailable` while the database does
    /// not answer.
    status: &'static str,
    /// `postgres` or `sqlite`.
    database: &'static str,
    /// `in-process` (one instance, no Redis) or `redis`.
    bus: &'static str,
    /// `local` without Redis; `connected` while this instance publishes to and hears from Redis;
    /// `disconnected` while Redis is down or does not answer. A disconnected instance is still ready: its
    /// own orders reach its sockets at once, other instances' at each position check, and it rejoins by
    /// itself.
    bus_state: &'static str,
}

/// The process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can take new clients: it is not stopping, and the database answers. Redis being down does
/// not make it unready; the body says so.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, body = Readiness, description = "ready for new clients"),
    (status = 503, body = Readiness, description = "stopping (draining) or without its database (unavailable)"),
))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let readiness = |status| Readiness {
        status,
        database: state.store.backend(),
        bus: state.bus.name(),
        bus_state: state.bus.state().as_str(),
    };
    // A stopping instance still serves what reaches it, but must get no new clients.
    if *state.phase.borrow() != Phase::Serving {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(readiness("draining")));
    }
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(readiness("ready"))),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(readiness("unavailable")))
        }
    }
}
