//! The application: the router with its middleware, the OpenAPI document, and a server that binds (port 0
//! in tests), tells its real address and runs until stopped.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use ordera_protocol::api::{ErrorBody, ErrorDetail};

use crate::auth::LoginThrottle;
use crate::bus::{Bus, LocalBus, RedisBus, RedisSettings};
use crate::config::{self, Config};
use crate::cpu::CpuQueue;
use crate::error::ApiError;
use crate::hub::Hub;
use crate::state::{AppState, Phase};
use crate::store::{self, Store};
use crate::{accounts, catalog, demo, devices, health, images, metrics, orders, reports, sync};

/// How long a stopping instance gives its sockets to say goodbye.
const SOCKET_DRAIN: Duration = Duration::from_millis(300);

/// Password hashes and images that may wait for a worker, per worker: about half a second of hashing, a
/// few seconds of decoding.
const HASHING_LINE: usize = 8;
const IMAGE_LINE: usize = 4;

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

/// Adds to each API operation the errors it can answer, by what the operation takes, so that a generated
/// client or a schema-driven tester knows every answer the server gives. The rules are the server's own:
/// every bad query, path or JSON body is a 400; a bearer token missing, expired or revoked a 401, and one
/// without the right role or device kind a 403; an id that is not there a 404; a body too large a 413,
/// of another content type a 415, and invalid by the field rules a 422 (so is a query out of range); a write
/// may find a conflict (409), hit a throttle or a full password-hashing or image queue (429, with
/// `Retry-After`) or keep colliding with other writes (503 `busy`, with `Retry-After`). An operation's
/// own word on one of these (declared at its route) is kept.
fn document_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{HttpMethod, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        RefOr::T(ResponseBuilder::new().description(description).content("application/json", body).build())
    };
    for (path, item) in openapi.paths.paths.iter_mut() {
        if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" {
            continue;
        }
        let methods = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Delete, &mut item.delete),
        ];
        for (method, operation) in methods {
            let Some(operation) = operation.as_mut() else { continue };
            let parameters = operation.parameters.as_deref().unwrap_or_default();
            let by_id = parameters.iter().any(|p| p.parameter_in == ParameterIn::Path);
            let query = parameters.iter().any(|p| p.parameter_in == ParameterIn::Query);
            let body = operation.request_body.is_some();
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let write = method != HttpMethod::Get;
            let statuses = [
                ("400", true, "The request could not be read: a malformed query, path or body."),
                ("401", secured, "No bearer token, or one that is unknown, expired or revoked."),
                ("403", secured, "The token's person or device may not do this."),
                ("404", by_id, "Nothing with this id in the caller's restaurant."),
                ("409", write, "The change conflicts with the current state; the message says how."),
                ("413", body, "The body is larger than the server accepts."),
                ("415", body, "The body is not of the content type this operation takes."),
                ("422", body || query, "A field is invalid; `fields` names each with the reason."),
                (
                    "429",
                    write,
                    "Too many attempts, or the server's hashing or image queue is full: retry after `Retry-After`.",
                ),
                ("503", write, "The write kept colliding with others and was not applied: retry after `Retry-After`."),
            ];
            for (status, applies, description) in statuses {
                if applies {
                    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description));
                }
            }
        }
    }
}

/// The whole API and its OpenAPI document, both from the same route declarations.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/api/v1",
            accounts::router()
                .merge(devices::router())
                .merge(catalog::router())
                .merge(images::router())
                .merge(orders::router())
                .merge(reports::router())
                .merge(sync::router()),
        )
        .merge(health::router())
        .merge(metrics::router())
        .split_for_parts();
    let mut openapi = openapi;
    document_errors(&mut openapi);
    let openapi = Arc::new(openapi);
    let request_id = HeaderName::from_static("x-request-id");

    api.route("/api/v1/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .layer(axum::middleware::from_fn(metrics::track_http))
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(axum::middleware::from_fn(see_writes_through))
        .layer(axum::middleware::from_fn(crate::input::close_if_body_unread))
        // With Sentry on, its panic hook has reported the panic already: log it only when it has not, so
        // that one panic is one report. The client gets the usual 500.
        .layer(CatchPanicLayer::custom(|_| {
            if sentry::Hub::current().client().is_none() {
                tracing::error!("a request handler panicked");
            }
            let detail = ErrorDetail { code: "internal".into(), message: "internal server error".into(), fields: None };
            (StatusCode::INTERNAL_SERVER_ERROR, Json(ErrorBody { error: detail })).into_response()
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            // One line per request, with its id and (once authenticated) its restaurant.
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    // This runs inside the request's own Sentry hub (bound by the layer outside).
                    sentry::configure_scope(|scope| scope.set_tag("request_id", id));
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = %id,
                        tenant = tracing::field::Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                .on_request(())
                // The response line above says 500 already, and whatever failed has logged (and reported)
                // itself: an error line of its own would be a second Sentry report of the same failure.
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        // Each request gets its own Sentry scope (its tags never leak into another's), carrying the
        // request's method, URL and non-sensitive headers, and a sampled performance transaction.
        .layer(sentry::integrations::tower::SentryHttpLayer::new().enable_transaction())
        .layer(sentry::integrations::tower::NewSentryLayer::<Request<axum::body::Body>>::new_from_top())
        .with_state(state)
}

/// Runs a write to its end even when its client hangs up midway (a kiosk's timeout, a tablet off the
/// Wi-Fi). Dropped at an await, a write could stop between sending its commit and hearing it done: the
/// pool would then roll back a transaction that had committed (PostgreSQL logs "there is no transaction in
/// progress") and the commit's events would never be handed to the fan-out. Its own task, in the request's
/// log span and Sentry hub, cannot be dropped that way. Reads are left to stop with their client.
async fn see_writes_through(
    request: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use sentry::SentryFutureExt;
    use tracing::Instrument;
    if request.method().is_safe() {
        return next.run(request).await;
    }
    let write = next.run(request).instrument(tracing::Span::current()).bind_hub(sentry::Hub::current());
    match tokio::spawn(write).await {
        Ok(response) => response,
        // Raised again here, for the panic layer outside to answer as for any other handler.
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    phase: tokio::sync::watch::Sender<Phase>,
}

impl Application {
    /// Opens the configured store (applying migrations), seeds the demo if asked, and binds.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let url = config.database_url();
        let (store, committals) = store::connect(url.expose_secret())
            .await
            .with_context(|| format!("opening {}", config::redact_url(url.expose_secret())))?;
        Self::with_store(config, store, committals).await
    }

    pub async fn with_store(
        config: Config,
        store: Arc<dyn Store>,
        committals: store::Committals,
    ) -> anyhow::Result<Self> {
        // The recorder first: whatever counts before it is installed (the bus's first subscription, a demo
        // seed's events) would be counted by no one.
        let metrics = metrics::handle();
        let hashing =
            Arc::new(CpuQueue::new("hashing", config.hashing_threads(), HASHING_LINE * config.hashing_threads()));
        let imaging = Arc::new(CpuQueue::new("images", config.image_workers, IMAGE_LINE * config.image_workers.max(1)));
        if config.demo {
            demo::seed(store.as_ref(), config.pairing_ttl()).await.context("seeding the demo restaurant")?;
        }
        let listener = TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
        let hub = Arc::new(Hub::new(store.clone()));
        // Redis is joined in the background: the instance serves while it is down (see `bus`).
        let bus: Arc<dyn Bus> = match &config.redis_url {
            Some(url) => {
                let settings = RedisSettings {
                    timeout: Duration::from_millis(config.bus_timeout_ms.max(1)),
                    queue: config.bus_queue,
                };
                Arc::new(
                    RedisBus::start(url.expose_secret(), hub.clone(), settings)
                        .with_context(|| format!("reading REDIS_URL {}", config::redact_url(url.expose_secret())))?,
                )
            }
            None => Arc::new(LocalBus),
        };
        tokio::spawn(fan_out(committals, hub.clone(), bus.clone()));
        tokio::spawn(sync::position_checks(hub.clone(), Duration::from_millis(config.position_check_ms.max(50))));
        tokio::spawn(prune(store.clone(), config.event_retention_days));
        tokio::spawn(crate::catalog::bring_back_due(store.clone()));
        let (phase, phase_watch) = tokio::sync::watch::channel(Phase::Serving);
        let state = AppState {
            hub,
            sockets: crate::sockets::Sockets::new(config.sockets_per_device, config.sockets_per_restaurant),
            bus,
            metrics,
            phase: phase_watch,
            store,
            throttle: Arc::new(LoginThrottle::new(
                Duration::from_secs(config.throttle_window_secs),
                config::LOGIN_FAILURES_PER_ACCOUNT,
                config::LOGIN_FAILURES_PER_ADDRESS,
                config.signups_per_address,
            )),
            hashing,
            imaging,
            config: Arc::new(config),
        };
        Ok(Self { router: router(state.clone()), listener, state, phase })
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

    /// Serves until `signal`. Then `/readyz` answers 503 while everything else is still served for the
    /// configured drain time, so that load balancers polling it stop sending new clients here before the
    /// door closes; then sockets are told to reconnect elsewhere (close code 4004), the listener closes,
    /// and in-flight requests finish.
    pub async fn run_until(self, signal: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let addr = self.addr();
        let phase = self.phase;
        let drain = Duration::from_millis(self.state.config.drain_ms);
        let signal = async move {
            signal.await;
            let _ = phase.send(Phase::Draining);
            tracing::info!(drain_ms = drain.as_millis() as u64, "stopping: /readyz answers 503 from now on");
            tokio::time::sleep(drain).await;
            tracing::info!("closing the listener and sending sync sockets elsewhere; finishing in-flight requests");
            let _ = phase.send(Phase::Stopping);
            // Let sessions send their close frames while the listener is still up.
            tokio::time::sleep(SOCKET_DRAIN).await;
        };
        tracing::info!(
            addr = %addr,
            database = self.state.store.backend(),
            bus = self.state.bus.name(),
            "Ordera server listening"
        );
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(signal)
            .await
            .context("serving HTTP")
    }
}

/// Hands each commit to this instance's sockets at once, then to the bus for the other instances. Nothing
/// here waits on the network: the bus only queues (see `bus`), so a slow or frozen Redis cannot hold up the
/// next commit's delivery here.
async fn fan_out(mut committals: store::Committals, hub: Arc<Hub>, bus: Arc<dyn Bus>) {
    while let Some(committed) = committals.recv().await {
        hub.deliver(committed.tenant_id, &committed.events);
        ::metrics::counter!(metrics::EVENTS_PUBLISHED).increment(committed.events.len() as u64);
        bus.publish(committed);
    }
}

/// Drops log entries past the retention window, hourly.
async fn prune(store: Arc<dyn Store>, retention_days: i64) {
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        interval.tick().await;
        let before = store::now() - chrono::Duration::days(retention_days.max(1));
        match store.prune(before).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "pruned the event log"),
            Err(error) => tracing::warn!(error = %error, "pruning the event log failed"),
        }
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
}
