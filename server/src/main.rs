use clap::Parser;
use ordera_server::{telemetry, Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    telemetry::init(config.log_format);
    tracing::info!(config = ?config, "starting");
    Application::build(config).await?.run_until_stopped().await
}
