//! SQLite: the embedded default, one file and no other service. WAL lets readers run beside the single
//! writer; writes start with `BEGIN IMMEDIATE` so that two writers queue on the busy timeout instead of
//! failing when a read lock cannot be upgraded.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

use super::Publisher;

pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    publisher: Publisher,
}

impl SqliteStore {
    pub const BACKEND: &'static str = "sqlite";

    pub async fn connect(url: &str, publisher: Publisher) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .context("parsing the SQLite URL")?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Writers queue rather than fail: a burst on a slow tablet-class machine must not turn into errors.
            .busy_timeout(Duration::from_secs(30));
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .context("opening the SQLite database")?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await.context("applying SQLite migrations")?;
        Ok(Self { pool, publisher })
    }

    /// Begins a transaction in a task of its own, so that a request dropped mid-`BEGIN` cannot leave a
    /// pooled connection inside an untracked transaction (see the PostgreSQL store).
    async fn begin(&self, statement: &'static str) -> sqlx::Result<Transaction<'static, Sqlite>> {
        let pool = self.pool.clone();
        tokio::spawn(async move { pool.begin_with(statement).await })
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("the task beginning a transaction failed: {e}")))?
    }

    /// The bare start of a tenant-scoped write; the store's `scoped` takes the restaurant's lock on it.
    async fn begin_scoped(&self, _tenant_id: Uuid) -> sqlx::Result<Transaction<'static, Sqlite>> {
        self.begin("BEGIN IMMEDIATE").await
    }

    async fn scoped_read(&self, _tenant_id: Uuid) -> sqlx::Result<Transaction<'static, Sqlite>> {
        self.begin("BEGIN").await
    }

    /// In WAL mode a read transaction sees one snapshot from its first read on.
    async fn snapshot_tx(&self, _tenant_id: Uuid) -> sqlx::Result<Transaction<'static, Sqlite>> {
        self.begin("BEGIN").await
    }

    async fn unscoped(&self) -> sqlx::Result<Transaction<'static, Sqlite>> {
        self.begin("BEGIN IMMEDIATE").await
    }
}

sql_store!(SqliteStore, Sqlite);
