//! The application: the router with its middleware, the OpenAPI document, and a server that binds (port 0
//! in tests), tells its real address and runs until stopped.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::LoginThrottle;
use crate::config::{self, Config};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{self, Store};
use crate::{accounts, catalog, demo, devices, health, images};

/// JSON bodies are small; only image uploads (with their own limit) are larger.
const JSON_BODY_LIMIT: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "Ordera API", description = "Restaurant ordering: accounts, devices, menu and sync."),
    modifiers(&BearerAuth),
    components(schemas(ordera_protocol::sync::LoggedEvent, ordera_protocol::sync::Event))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The whole API and its OpenAPI document, both from the same route declarations.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", accounts::router().merge(devices::router()).merge(catalog::router()).merge(images::router()))
        .split_for_parts();
    let openapi = Arc::new(openapi);
    let request_id = HeaderName::from_static("x-request-id");

    api.route("/api/v1/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .merge(health::router())
        .fallback(|| async { ApiError::NotFound("route") })
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Opens the configured store (applying migrations), seeds the demo if asked, and binds.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let url = config.database_url();
        let store = store::connect(url.expose_secret())
            .await
            .with_context(|| format!("opening {}", config::redact_url(url.expose_secret())))?;
        Self::with_store(config, store).await
    }

    pub async fn with_store(config: Config, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        if config.demo {
            demo::seed(store.as_ref()).await.context("seeding the demo restaurant")?;
        }
        let listener = TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
        let state = AppState {
            config: Arc::new(config),
            store,
            throttle: Arc::new(LoginThrottle::new(
                config::LOGIN_FAILURE_WINDOW,
                config::LOGIN_FAILURES_PER_ACCOUNT,
                config::LOGIN_FAILURES_PER_ADDRESS,
            )),
        };
        Ok(Self { router: router(state.clone()), listener, state })
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    pub async fn run_until(self, signal: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(addr = %self.addr(), database = self.state.store.backend(), "Ordera server listening");
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(signal)
            .await
            .context("serving HTTP")
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
    // Leave a moment for load balancers to notice before the listener closes.
    tokio::time::sleep(Duration::from_millis(100)).await;
}
