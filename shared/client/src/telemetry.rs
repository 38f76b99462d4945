//! Logging and error reports for an app shell. With `SENTRY_DSN` set, the shell's panics and the engine's
//! errors (every `tracing::error!`: a server that answers with errors, local storage that fails, data that
//! does not add up) go to Sentry tagged with the device kind and the app's version; warnings ride along as
//! breadcrumbs. Losing the connection is normal for a restaurant tablet and is not reported. No device
//! token, order content or personal data is sent. Without a DSN nothing is sent anywhere.

use ordera_protocol::DeviceKind;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Starts logging and, when `SENTRY_DSN` is set, error reports for the shell of a `kind` device at
/// `app_version`. Keep the guard for the life of the app: dropping it flushes queued reports.
pub fn init(kind: DeviceKind, app_version: &str) -> Option<sentry::ClientInitGuard> {
    let dsn = std::env::var("SENTRY_DSN").ok().filter(|dsn| !dsn.trim().is_empty());
    init_with(dsn.as_deref(), kind, app_version)
}

/// [`init`] with the DSN given rather than read from the environment.
pub fn init_with(dsn: Option<&str>, kind: DeviceKind, app_version: &str) -> Option<sentry::ClientInitGuard> {
    let guard = dsn.map(|dsn| {
        let mut options = sentry::ClientOptions::default();
        options.dsn = dsn.trim().parse().map_err(|e| eprintln!("ignoring SENTRY_DSN: {e}")).ok();
        options.release = Some(format!("ordera-{kind}@{app_version}").into());
        options.environment = std::env::var("SENTRY_ENVIRONMENT").ok().map(Into::into);
        // No personal data: no addresses, no user.
        options.send_default_pii = false;
        options.attach_stacktrace = true;
        let guard = sentry::init(options);
        sentry::configure_scope(|scope| {
            scope.set_tag("device_kind", kind);
            scope.set_tag("app_version", app_version);
        });
        guard
    });
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer())
        .with(sentry_layers())
        .try_init();
    guard
}

/// Sends the reports still queued; for a shell whose process ends without unwinding (Tauri exits the
/// process from its event loop, so the guard from [`init`] is never dropped).
pub fn flush() {
    if let Some(client) = sentry::Hub::current().client() {
        client.flush(Some(std::time::Duration::from_secs(2)));
    }
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
