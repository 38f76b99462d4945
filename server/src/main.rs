use clap::Parser;
use ordera_server::config::Task;
use ordera_server::{store, telemetry, Application, Config};
use secrecy::ExposeSecret;

// jemalloc returns what a burst of password hashes or image decodes took (tens of MiB each, on many
// threads) to the system as soon as it is freed; glibc's malloc keeps it per thread, which left a server
// at 850 MiB after a hundred sign-ups.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// Sentry is set up before the async runtime starts, so that its hub reaches every worker thread.
fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let _sentry = telemetry::init(&config);
    tracing::info!(config = ?config, "starting");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match config.task {
        None => runtime.block_on(async { Application::build(config).await?.run_until_stopped().await }),
        Some(Task::NewEpoch) => runtime.block_on(new_epoch(&config)),
    }
}

async fn new_epoch(config: &Config) -> anyhow::Result<()> {
    let (store, _) = store::connect(config.database_url().expose_secret()).await?;
    let moved = store.new_epoch().await.map_err(|error| anyhow::anyhow!("{error}"))?;
    println!("{moved} restaurants moved to a new epoch: their devices take a fresh snapshot when they next connect");
    Ok(())
}
