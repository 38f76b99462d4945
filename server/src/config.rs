//! Configuration from flags and the environment. Started with none at all, the server runs on an embedded
//! SQLite file in the working directory and listens on 127.0.0.1:8080.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable, for development.
    Pretty,
    /// One JSON object per line, for production log collectors.
    Json,
}

/// What the binary does instead of serving, for operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Subcommand)]
pub enum Task {
    /// After restoring the database from a backup (with every server stopped): moves every restaurant to a
    /// new epoch, so each device takes a fresh snapshot instead of continuing on a history that is gone, and
    /// keeps the orders and changes it has yet to send. Then start the servers again.
    NewEpoch,
}

#[derive(Clone, Parser)]
#[command(name = "ordera-server", version, about = "Ordera: restaurant ordering server")]
pub struct Config {
    /// Serve (no task), or run one task and exit.
    #[command(subcommand)]
    pub task: Option<Task>,

    /// Where to listen.
    #[arg(long, env = "ORDERA_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// `postgres://…` for PostgreSQL, `sqlite://…` for an embedded file. Default: `<data dir>/ordera.db`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<SecretString>,

    /// Redis for fan-out between server instances; without it events stay in this process.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretString>,

    /// How long Redis may take to accept a connection or answer (a publication, a subscription, a
    /// heartbeat), in milliseconds, before this instance counts it as unreachable and reconnects. Meanwhile
    /// its own sockets are served as ever, and other instances' events come through the position checks.
    #[arg(long, env = "ORDERA_BUS_TIMEOUT_MS", default_value_t = 1000)]
    pub bus_timeout_ms: u64,

    /// Commits waiting to be published on Redis. When Redis does not keep up, commits past this are not
    /// published (counted in `ordera_bus_dropped_events_total`): the other instances read them from the log
    /// at their next position check.
    #[arg(long, env = "ORDERA_BUS_QUEUE", default_value_t = 4096)]
    pub bus_queue: usize,

    /// Directory for the embedded database and other local files.
    #[arg(long, env = "ORDERA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    #[arg(long, env = "ORDERA_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,

    /// Largest accepted image upload, in bytes.
    #[arg(long, env = "ORDERA_MAX_UPLOAD_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_upload_bytes: usize,

    /// Largest image accepted, in pixels (width × height, read from the file's header before decoding):
    /// decoding takes 4 bytes a pixel, so a small file claiming a huge canvas cannot take the memory.
    #[arg(long, env = "ORDERA_MAX_IMAGE_PIXELS", default_value_t = crate::images::DEFAULT_MAX_PIXELS)]
    pub max_image_pixels: u64,

    /// Uploaded images decoded at the same time; a few more wait their turn, beyond that an upload is
    /// answered 429 with `Retry-After`.
    #[arg(long, env = "ORDERA_IMAGE_WORKERS", default_value_t = 1)]
    pub image_workers: usize,

    /// Passwords hashed at the same time (each argon2id hash takes 19 MiB and a core for tens of
    /// milliseconds). Default: the number of cores. A few more wait their turn, beyond that a sign-up or
    /// login is answered 429 with `Retry-After`.
    #[arg(long, env = "ORDERA_HASHING_THREADS")]
    pub hashing_threads: Option<usize>,

    /// Sign-ups from one address within the throttle window (15 minutes), counted when they start.
    #[arg(long, env = "ORDERA_SIGNUPS_PER_ADDRESS", default_value_t = 10)]
    pub signups_per_address: usize,

    /// The login, pairing and sign-up throttles' window, in seconds.
    #[arg(long, env = "ORDERA_THROTTLE_WINDOW_SECS", default_value_t = LOGIN_FAILURE_WINDOW.as_secs(), hide = true)]
    pub throttle_window_secs: u64,

    /// How long a login session lasts, in hours.
    #[arg(long, env = "ORDERA_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: i64,

    /// How long a device pairing code stays valid, in minutes.
    #[arg(long, env = "ORDERA_PAIRING_MINUTES", default_value_t = 10)]
    pub pairing_minutes: i64,

    /// How long the event log keeps entries, in days; a device offline for longer takes a new snapshot.
    #[arg(long, env = "ORDERA_EVENT_RETENTION_DAYS", default_value_t = 7)]
    pub event_retention_days: i64,

    /// How often each restaurant's log position is compared with what its sockets were sent, in
    /// milliseconds: the bound on how long a lost fan-out message can delay an update.
    #[arg(long, env = "ORDERA_POSITION_CHECK_MS", default_value_t = 2000)]
    pub position_check_ms: u64,

    /// How long a stopping instance keeps serving after SIGTERM while `/readyz` answers 503, in
    /// milliseconds, before it sends its sync sockets elsewhere and closes its listener: set it above the
    /// readiness probe interval of whatever routes traffic here, so that no new client is sent to it.
    #[arg(long, env = "ORDERA_DRAIN_MS", default_value_t = 1000)]
    pub drain_ms: u64,

    /// How long a new sync socket may take to say hello, in milliseconds.
    #[arg(long, env = "ORDERA_HELLO_TIMEOUT_MS", default_value_t = 10_000, hide = true)]
    pub hello_timeout_ms: u64,

    /// Silence after which a sync socket counts as dead, in milliseconds (clients ping more often).
    #[arg(long, env = "ORDERA_IDLE_TIMEOUT_MS", default_value_t = 60_000, hide = true)]
    pub idle_timeout_ms: u64,

    /// How often a live sync socket re-checks its token, in milliseconds: a signed-in person who logs out
    /// or is deactivated loses the stream within this time (a revoked device loses it at once).
    #[arg(long, env = "ORDERA_REAUTH_MS", default_value_t = 30_000, hide = true)]
    pub reauth_ms: u64,

    /// Bytes one sync socket may hold unsent. A live event past it closes the socket as too slow (the
    /// client catches up by cursor when it reconnects); replay waits for room, so a client that asks for the
    /// whole log and never reads holds no more than this.
    #[arg(long, env = "ORDERA_SEND_BUFFER_BYTES", default_value_t = 1024 * 1024)]
    pub send_buffer_bytes: usize,

    /// How long writing one message to a sync socket may take, in milliseconds, before the client counts
    /// as gone (it stopped reading, or its link died without a word) and the socket is dropped.
    #[arg(long, env = "ORDERA_WRITE_TIMEOUT_MS", default_value_t = 10_000)]
    pub write_timeout_ms: u64,

    /// Orders an export reads and writes at a time (its memory is one page, whatever its length).
    #[arg(long, env = "ORDERA_EXPORT_PAGE", default_value_t = 500, hide = true)]
    pub export_page: i64,

    /// Sync sockets one device (or signed-in person) may hold on an instance; a newer one closes the oldest.
    #[arg(long, env = "ORDERA_SOCKETS_PER_DEVICE", default_value_t = 2)]
    pub sockets_per_device: usize,

    /// Sync sockets one restaurant may hold on an instance; past it, new ones are refused (close code 4010).
    #[arg(long, env = "ORDERA_SOCKETS_PER_RESTAURANT", default_value_t = 500)]
    pub sockets_per_restaurant: usize,

    /// This server is reached only through the deployment's reverse proxy, which sets `X-Real-IP`: login
    /// and pairing throttles then count the client's address rather than the proxy's.
    #[arg(long, env = "ORDERA_BEHIND_PROXY")]
    pub behind_proxy: bool,

    /// Sentry DSN for error reports and performance traces. Without one (or with an empty one) nothing
    /// is sent anywhere.
    #[arg(long, env = "SENTRY_DSN", hide_env_values = true)]
    pub sentry_dsn: Option<SecretString>,

    /// The environment Sentry files this instance's reports under.
    #[arg(long, env = "SENTRY_ENVIRONMENT", default_value = "production")]
    pub sentry_environment: String,

    /// Share of requests traced for Sentry's performance view, from 0 to 1.
    #[arg(long, env = "SENTRY_TRACES_SAMPLE_RATE", default_value_t = 0.05)]
    pub sentry_traces_sample_rate: f32,

    /// Create (or refresh) the demo restaurant "Sizzling Bistro - Soho" on start and print its owner login.
    #[arg(long, env = "ORDERA_DEMO")]
    pub demo: bool,
}

impl Config {
    /// The database to use: the configured URL, or the embedded file in the data dir.
    pub fn database_url(&self) -> SecretString {
        match &self.database_url {
            Some(url) => url.clone(),
            None => SecretString::from(format!("sqlite://{}", self.data_dir.join("ordera.db").display())),
        }
    }

    /// The Sentry DSN, if one is set and not empty (compose passes an empty one through).
    pub fn sentry_dsn(&self) -> Option<&str> {
        self.sentry_dsn.as_ref().map(|dsn| dsn.expose_secret().trim()).filter(|dsn| !dsn.is_empty())
    }

    pub fn session_ttl(&self) -> chrono::Duration {
        chrono::Duration::hours(self.session_hours)
    }

    pub fn pairing_ttl(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.pairing_minutes)
    }

    /// The configured number, or one per core: more would only queue inside the OS while each holds its
    /// 19 MiB.
    pub fn hashing_threads(&self) -> usize {
        self.hashing_threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
            .max(1)
    }

    /// Settings for tests: loopback on a free port, the given database, small limits.
    pub fn for_tests(database_url: &str, data_dir: PathBuf) -> Self {
        Self {
            task: None,
            addr: "127.0.0.1:0".parse().expect("valid address"),
            database_url: Some(SecretString::from(database_url.to_owned())),
            redis_url: None,
            bus_timeout_ms: 1000,
            bus_queue: 4096,
            data_dir,
            log_format: LogFormat::Pretty,
            max_upload_bytes: 512 * 1024,
            max_image_pixels: crate::images::DEFAULT_MAX_PIXELS,
            image_workers: 1,
            hashing_threads: Some(2),
            signups_per_address: 10,
            throttle_window_secs: LOGIN_FAILURE_WINDOW.as_secs(),
            session_hours: 12,
            pairing_minutes: 10,
            event_retention_days: 7,
            position_check_ms: 500,
            drain_ms: 0,
            hello_timeout_ms: 1_000,
            idle_timeout_ms: 60_000,
            reauth_ms: 30_000,
            send_buffer_bytes: 1024 * 1024,
            write_timeout_ms: 10_000,
            export_page: 500,
            sockets_per_device: 2,
            sockets_per_restaurant: 500,
            behind_proxy: false,
            sentry_dsn: None,
            sentry_environment: "test".to_owned(),
            sentry_traces_sample_rate: 0.0,
            demo: false,
        }
    }
}

/// Shows a connection URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &redact_url(self.database_url().expose_secret()))
            .field("redis_url", &self.redis_url.as_ref().map(|u| redact_url(u.expose_secret())))
            .field("data_dir", &self.data_dir)
            .field("log_format", &self.log_format)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("max_image_pixels", &self.max_image_pixels)
            .field("image_workers", &self.image_workers)
            .field("hashing_threads", &self.hashing_threads())
            .field("signups_per_address", &self.signups_per_address)
            .field("sentry", &self.sentry_dsn().is_some())
            .finish_non_exhaustive()
    }
}

/// Login throttling: this many failures within the window lock an account or an address out. A login
/// counts as failed from the moment it starts until its password proves right.
pub const LOGIN_FAILURES_PER_ACCOUNT: usize = 5;
pub const LOGIN_FAILURES_PER_ADDRESS: usize = 50;
pub const LOGIN_FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_in_logs() {
        assert_eq!(redact_url("postgres://ann:hunter2@db:5432/ordera"), "postgres://ann:***@db:5432/ordera");
        assert_eq!(redact_url("sqlite://data/ordera.db"), "sqlite://data/ordera.db");
        let config = Config::for_tests("postgres://ann:hunter2@127.0.0.1/x", PathBuf::from("d"));
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
