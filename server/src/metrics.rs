//! Prometheus metrics at `/metrics`: HTTP traffic by route, sync sockets by device kind, events
//! published and delivered with their lag, orders placed, outbox sizes devices report, the bus (connected,
//! reconnects, failed and dropped publications) and database pool use. Labels never carry tenant or device ids, so the series count stays bounded.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub const HTTP_REQUESTS: &str = "ordera_http_requests_total";
pub const HTTP_DURATION: &str = "ordera_http_request_duration_seconds";
pub const WS_CONNECTIONS: &str = "ordera_ws_connections";
pub const EVENTS_PUBLISHED: &str = "ordera_events_published_total";
pub const EVENTS_DELIVERED: &str = "ordera_events_delivered_total";
pub const DELIVERY_LAG: &str = "ordera_event_delivery_lag_seconds";
pub const ORDERS_PLACED: &str = "ordera_orders_placed_total";
pub const DEVICE_OUTBOX: &str = "ordera_device_outbox_size";
pub const BUS_RECONNECTS: &str = "ordera_bus_reconnects_total";
pub const BUS_PUBLISH_FAILURES: &str = "ordera_bus_publish_failures_total";
pub const BUS_DROPPED_EVENTS: &str = "ordera_bus_dropped_events_total";
pub const BUS_CONNECTED: &str = "ordera_bus_connected";
pub const DB_CONNECTIONS: &str = "ordera_db_pool_connections";

/// The process-wide recorder. Installed once; every `Application` in the process (tests start many)
/// shares it.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let latency = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
            let sizes = [0.0, 1.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0];
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &latency)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(DEVICE_OUTBOX.into()), &sizes))
                .expect("valid buckets")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (a host program's); then ours only renders empty.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests by method, route and status");
    metrics::describe_histogram!(HTTP_DURATION, metrics::Unit::Seconds, "HTTP request latency by route");
    metrics::describe_gauge!(WS_CONNECTIONS, "Open sync sockets by device kind");
    metrics::describe_counter!(EVENTS_PUBLISHED, "Events committed and published by this instance");
    metrics::describe_counter!(EVENTS_DELIVERED, "Events sent to sockets, live and replayed");
    metrics::describe_histogram!(DELIVERY_LAG, metrics::Unit::Seconds, "Commit to live send, per event");
    metrics::describe_counter!(ORDERS_PLACED, "Orders created (retries of an order are not counted)");
    metrics::describe_histogram!(DEVICE_OUTBOX, "Outbox sizes devices report with their pings");
    metrics::describe_counter!(BUS_RECONNECTS, "Times the Redis bus subscription was (re)established");
    metrics::describe_counter!(BUS_PUBLISH_FAILURES, "Pipelines of publications to the bus that failed or timed out");
    metrics::describe_counter!(
        BUS_DROPPED_EVENTS,
        "Events not published because the bus's queue was full; other instances read them from the log"
    );
    metrics::describe_gauge!(BUS_CONNECTED, "1 while this instance publishes to and hears from Redis, else 0");
    metrics::describe_gauge!(DB_CONNECTIONS, "Database pool connections by state");
}

/// Counts and times every request by its route template (never the raw path, which holds ids).
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().to_string();
    let start = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(HTTP_REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route).record(start.elapsed().as_secs_f64());
    response
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(render))
}

/// Every series above in Prometheus's text format, for a scraper reaching each instance directly (the
/// deployment's proxy does not pass this path on).
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain"),
))]
async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let (size, idle) = state.store.pool_connections();
    metrics::gauge!(DB_CONNECTIONS, "state" => "idle").set(idle as f64);
    metrics::gauge!(DB_CONNECTIONS, "state" => "active").set((size as usize).saturating_sub(idle) as f64);
    match state.bus.state() {
        crate::bus::BusState::Local => {}
        bus => metrics::gauge!(BUS_CONNECTED).set(if bus == crate::bus::BusState::Connected { 1.0 } else { 0.0 }),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

/// Decrements a gauge when dropped, so a socket is counted out however its session ends.
pub struct GaugeGuard {
    gauge: metrics::Gauge,
}

impl GaugeGuard {
    pub fn new(gauge: metrics::Gauge) -> Self {
        gauge.increment(1.0);
        Self { gauge }
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.gauge.decrement(1.0);
    }
}
