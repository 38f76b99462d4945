use clap::Parser;
use ordera_server::{telemetry, Application, Config};

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
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async { Application::build(config).await?.run_until_stopped().await })
}
