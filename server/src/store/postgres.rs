//! PostgreSQL: production storage. Tenant-scoped transactions run as the role `ordera_tenant` with
//! `ordera.tenant_id` set, so row-level security hides every other tenant's rows even from a query that
//! forgot its `tenant_id` filter.

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::Publisher;

pub struct PgStore {
    pub(crate) pool: PgPool,
    publisher: Publisher,
}

impl PgStore {
    pub const BACKEND: &'static str = "postgres";

    pub async fn connect(url: &str, publisher: Publisher) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(20)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .context("connecting to PostgreSQL")?;
        // Migrations take an advisory lock, so several replicas starting at once apply them once.
        sqlx::migrate!("../migrations/postgres").run(&pool).await.context("applying PostgreSQL migrations")?;
        Ok(Self { pool, publisher })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Begins a transaction in a task of its own, so that a request dropped mid-`BEGIN` (a client that
    /// hangs up) cannot cancel it. sqlx 0.8 counts a transaction only once `BEGIN` has been answered; a
    /// `BEGIN` cancelled before that leaves the pooled connection inside a transaction nobody tracks, and the
    /// next borrowers' writes vanish with it (sqlx issues #2054, #4393). A begun transaction that is dropped
    /// later is rolled back as usual.
    async fn begin(&self, statement: Option<&'static str>) -> sqlx::Result<Transaction<'static, Postgres>> {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            match statement {
                Some(statement) => pool.begin_with(statement).await,
                None => pool.begin().await,
            }
        })
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("the task beginning a transaction failed: {e}")))?
    }

    /// The bare start of a tenant-scoped write; the store's `scoped` takes the restaurant's lock on it.
    async fn begin_scoped(&self, tenant_id: Uuid) -> sqlx::Result<Transaction<'static, Postgres>> {
        let tx = self.begin(None).await?;
        Self::confine(tx, tenant_id).await
    }

    /// A read of several tables at one instant: the snapshot's cursor is then an exact watermark.
    async fn snapshot_tx(&self, tenant_id: Uuid) -> sqlx::Result<Transaction<'static, Postgres>> {
        let tx = self.begin(Some("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")).await?;
        Self::confine(tx, tenant_id).await
    }

    async fn confine(
        mut tx: Transaction<'static, Postgres>,
        tenant_id: Uuid,
    ) -> sqlx::Result<Transaction<'static, Postgres>> {
        sqlx::query("SET LOCAL ROLE ordera_tenant").execute(&mut *tx).await?;
        sqlx::query("SELECT set_config('ordera.tenant_id', $1, true)")
            .bind(tenant_id.to_string())
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    async fn scoped_read(&self, tenant_id: Uuid) -> sqlx::Result<Transaction<'static, Postgres>> {
        self.begin_scoped(tenant_id).await
    }

    async fn unscoped(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        self.begin(None).await
    }
}

sql_store!(PgStore, Postgres);
