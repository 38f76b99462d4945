use clap::Parser;
use ordera_server::{telemetry, Application, Config};

// Sentry is set up before the async runtime starts, so that its hub reaches every worker thread.
fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let _sentry = telemetry::init(&config);
    tracing::info!(config = ?config, "starting");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async { Application::build(config).await?.run_until_stopped().await })
}
