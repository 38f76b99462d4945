//! Logging and error reporting. Logs are pretty for development and JSON lines for production; `RUST_LOG`
//! filters them (default `info`). With a Sentry DSN, errors (every `tracing::error!`, so every internal
//! error a request meets, and every panic) go to Sentry with the request, its id and its restaurant, and a
//! sample of requests is traced; warnings ride along as breadcrumbs. Without a DSN nothing is sent.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{Config, LogFormat};

/// Starts logging and, when configured, Sentry. Keep the guard until the process ends: dropping it
/// flushes the reports still queued.
pub fn init(config: &Config) -> Option<sentry::ClientInitGuard> {
    let guard = config.sentry_dsn().map(|dsn| {
        let mut options =
            sentry::ClientOptions::new().traces_sample_rate(sample_rate(config.sentry_traces_sample_rate));
        options.dsn = dsn.parse().map_err(|e| eprintln!("ignoring SENTRY_DSN: {e}")).ok();
        options.release = sentry::release_name!();
        options.environment = Some(config.sentry_environment.clone().into());
        // No personal data: no client addresses, no user, no sensitive headers.
        options.send_default_pii = false;
        options.attach_stacktrace = true;
        let guard = sentry::init(options);
        sentry::configure_scope(|scope| scope.set_tag("service", "server"));
        guard
    });
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let logs = match config.log_format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer().boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer().json().flatten_event(true).with_span_list(false).boxed(),
    };
    // `try_init`: a host program may have installed a subscriber already.
    let _ = tracing_subscriber::registry().with(filter).with(logs).with(sentry_layers()).try_init();
    guard
}

/// For tests: warnings and errors only, through the test harness's captured output.
pub fn init_for_tests() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}

/// Errors become Sentry events; warnings become breadcrumbs that travel with the next one.
fn sentry_layers<S>() -> impl Layer<S>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    use sentry::integrations::tracing::{BreadcrumbLayer, ErrorLayer};
    use tracing_subscriber::filter::LevelFilter;
    BreadcrumbLayer::new()
        .with_filter(tracing_subscriber::filter::filter_fn(|metadata| *metadata.level() == tracing::Level::WARN))
        .and_then(ErrorLayer::new().with_filter(LevelFilter::ERROR))
}

/// A usable sampling rate: within 0..=1, and 0 for nonsense (the SDK refuses NaN at start).
fn sample_rate(rate: f32) -> f32 {
    if rate.is_finite() {
        rate.clamp(0.0, 1.0)
    } else {
        0.0
    }
}
