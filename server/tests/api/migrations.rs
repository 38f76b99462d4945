//! Upgrades in a deployment of several replicas: every replica applies migrations on start, so two of them
//! starting together on a database that has none must apply each migration exactly once and both come up.

use std::collections::BTreeMap;

use sqlx::Connection;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_at_once_on_an_empty_database_apply_each_migration_once() {
    let database = TestDatabase::new().await;
    let (first, second) =
        tokio::join!(ordera_server::store::connect(&database.url), ordera_server::store::connect(&database.url));
    let (first, _) = first.expect("the first replica starts");
    let (second, _) = second.expect("the second replica starts");

    let mut conn = sqlx::PgConnection::connect(&database.url).await.unwrap();
    let applied: Vec<(i64, bool)> = sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let mut counts = BTreeMap::new();
    for (version, success) in &applied {
        assert!(success, "migration {version} failed");
        *counts.entry(*version).or_insert(0) += 1;
    }
    let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/postgres")).unwrap().count();
    assert_eq!(counts.len(), shipped, "every shipped migration is applied: {applied:?}");
    assert!(counts.values().all(|n| *n == 1), "each exactly once: {applied:?}");

    // Both replicas work on the one schema.
    first.ping().await.unwrap();
    second.ping().await.unwrap();
    // A third start, as after an upgrade of one replica, finds nothing to do and starts too.
    let (third, _) = ordera_server::store::connect(&database.url).await.expect("a later start");
    third.ping().await.unwrap();
    let again: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&mut conn).await.unwrap();
    assert_eq!(again as usize, applied.len());
}
