//! The local SQLite cache (rusqlite, bundled): the device's credentials, the menu and orders it shows, its
//! position in the server's log, and the outbox.
//!
//! Two invariants carry the engine's guarantees:
//! - applying a page of events and advancing the cursor happen in one transaction, so a crash mid-apply
//!   leaves the cache at the old cursor, from where the same events are replayed;
//! - an outbox entry is committed with `synchronous = FULL` before anyone is told it is saved, and it is
//!   deleted only when the server's ack for it arrives.

use std::path::Path;

use chrono::{DateTime, Utc};
use ordera_protocol::api::{Category, Device, Product, Tenant};
pub use ordera_protocol::device::{Menu, OutboxEntry, OutboxState};
use ordera_protocol::orders::{CommandResult, Order, Outcome, RefusedOrder};
use ordera_protocol::sync::{ClientMessage, Cursor, Event, LoggedEvent, Snapshot};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/client/0001_cache.sql"),
    include_str!("../../../migrations/client/0002_refusals.sql"),
];

/// What the device needs to talk to its server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub server_url: String,
    pub token: String,
    pub device: Device,
}

/// What an applied page changed, so the engine tells only the listeners concerned.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    pub catalog: bool,
    pub orders: bool,
    pub refusals: bool,
    /// This device itself was revoked.
    pub revoked: bool,
}

pub struct Cache {
    conn: Connection,
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("cache values serialise")
}

fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt(e.to_string()))
}

impl Cache {
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::Storage(e.to_string()))?;
        }
        Self::setup(Connection::open(path)?)
    }

    pub fn open_in_memory() -> Result<Self> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Self> {
        // WAL keeps reads off the writer's way; FULL makes each commit durable (fsync) before it returns,
        // which is what lets the UI say "saved" the moment an outbox insert commits.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut cache = Self { conn };
        cache.migrate()?;
        Ok(cache)
    }

    fn migrate(&mut self) -> Result<()> {
        let applied: i64 = self.conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    fn get_meta<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>> {
        let value: Option<String> =
            self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| row.get(0)).optional()?;
        value.map(|v| parse(&v)).transpose()
    }

    fn set_meta<T: Serialize>(tx: &Transaction<'_>, key: &str, value: &T) -> Result<()> {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, json(value)],
        )?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------------------
    // Credentials and position

    pub fn credentials(&self) -> Result<Option<Credentials>> {
        self.get_meta("credentials")
    }

    /// Stores a new pairing and clears what belonged to any earlier one (menu, orders, cursor). The outbox
    /// is kept: commands made offline are not thrown away by re-pairing.
    pub fn set_credentials(&mut self, credentials: &Credentials, tenant: &Tenant) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "DELETE FROM categories; DELETE FROM products; DELETE FROM orders; DELETE FROM refusals; DELETE FROM meta WHERE key NOT LIKE 'preference:%';",
        )?;
        Self::set_meta(&tx, "credentials", credentials)?;
        Self::set_meta(&tx, "tenant", tenant)?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets the token (unpaired or revoked). The cache stays readable; nothing more is sent.
    pub fn forget_credentials(&mut self) -> Result<()> {
        self.conn.execute("DELETE FROM meta WHERE key IN ('credentials', 'cursor')", [])?;
        Ok(())
    }

    /// The restaurant this device is paired with, as last heard.
    pub fn tenant(&self) -> Result<Option<Tenant>> {
        self.get_meta("tenant")
    }

    /// The signed-in person's session (admin app). Pairing anew clears it with the rest of the pairing.
    pub fn session<T: for<'de> Deserialize<'de>>(&self) -> Result<Option<T>> {
        self.get_meta("session")
    }

    pub fn set_session<T: Serialize>(&mut self, session: &T) -> Result<()> {
        let tx = self.conn.transaction()?;
        Self::set_meta(&tx, "session", session)?;
        tx.commit()?;
        Ok(())
    }

    pub fn forget_session(&mut self) -> Result<()> {
        self.conn.execute("DELETE FROM meta WHERE key = 'session'", [])?;
        Ok(())
    }

    /// A setting of this device's own (a kitchen screen's stations, its volume), kept with the cache.
    pub fn preference<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Result<Option<T>> {
        self.get_meta(&format!("preference:{name}"))
    }

    pub fn set_preference<T: Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        let tx = self.conn.transaction()?;
        Self::set_meta(&tx, &format!("preference:{name}"), value)?;
        tx.commit()?;
        Ok(())
    }

    pub fn cursor(&self) -> Result<Option<Cursor>> {
        self.get_meta("cursor")
    }

    /// Drops the position so that the next connection starts from a new snapshot. The outbox stays.
    pub fn clear_cursor(&mut self) -> Result<()> {
        self.conn.execute("DELETE FROM meta WHERE key = 'cursor'", [])?;
        Ok(())
    }

    pub fn last_sync(&self) -> Result<Option<DateTime<Utc>>> {
        self.get_meta("last_sync")
    }

    pub fn set_last_sync(&mut self, at: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction()?;
        Self::set_meta(&tx, "last_sync", &at)?;
        tx.commit()?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------------------
    // Snapshot and events

    /// Replaces menu and orders with a snapshot and sets the cursor to its position, in one transaction.
    pub fn replace_with_snapshot(&mut self, snapshot: &Snapshot) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch("DELETE FROM categories; DELETE FROM products; DELETE FROM orders; DELETE FROM refusals;")?;
        for refusal in &snapshot.refusals {
            Self::upsert_refusal(&tx, refusal)?;
        }
        for category in &snapshot.categories {
            Self::upsert_category(&tx, category)?;
        }
        for product in &snapshot.products {
            Self::upsert_product(&tx, product)?;
        }
        for order in &snapshot.orders {
            Self::upsert_order(&tx, order)?;
        }
        Self::set_meta(&tx, "tenant", &snapshot.tenant)?;
        Self::set_meta(&tx, "cursor", &snapshot.cursor)?;
        tx.commit()?;
        Ok(())
    }

    /// Applies a page of events and advances the cursor, in one transaction. Events at or before the
    /// cursor are skipped (applying twice changes nothing); a gap is refused, so the caller reconnects
    /// from the cursor and the server replays what is missing.
    pub fn apply(&mut self, events: &[LoggedEvent], own_device: Option<Uuid>) -> Result<Changes> {
        let mut cursor = self.cursor()?.ok_or(Error::NoCursor)?;
        let tx = self.conn.transaction()?;
        let mut changes = Changes::default();
        for logged in events {
            if logged.seq <= cursor.seq {
                continue;
            }
            if logged.seq != cursor.seq + 1 {
                return Err(Error::Gap { expected: cursor.seq + 1, got: logged.seq });
            }
            match &logged.event {
                Event::TenantUpdated { tenant } => {
                    Self::set_meta(&tx, "tenant", tenant)?;
                    changes.catalog = true;
                }
                Event::CategoryUpserted { category } => {
                    Self::upsert_category(&tx, category)?;
                    changes.catalog = true;
                }
                Event::CategoryDeleted { id } => {
                    tx.execute("DELETE FROM categories WHERE id = ?1", [id.to_string()])?;
                    changes.catalog = true;
                }
                Event::ProductUpserted { product } => {
                    Self::upsert_product(&tx, product)?;
                    changes.catalog = true;
                }
                Event::ProductDeleted { id } => {
                    tx.execute("DELETE FROM products WHERE id = ?1", [id.to_string()])?;
                    changes.catalog = true;
                }
                Event::OrderUpserted { order } => {
                    Self::upsert_order(&tx, order)?;
                    changes.orders = true;
                }
                Event::RefusalUpserted { refusal } => {
                    Self::upsert_refusal(&tx, refusal)?;
                    changes.refusals = true;
                }
                Event::DeviceRevoked { id } => changes.revoked |= Some(*id) == own_device,
                // Nothing to keep: a withheld event only moves the cursor on.
                Event::DeviceUpserted { .. } | Event::Withheld | Event::Unknown => {}
            }
            cursor.seq = logged.seq;
        }
        Self::set_meta(&tx, "cursor", &cursor)?;
        tx.commit()?;
        Ok(changes)
    }

    fn upsert_category(tx: &Transaction<'_>, category: &Category) -> Result<()> {
        tx.execute(
            "INSERT INTO categories (id, position, body) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET position = excluded.position, body = excluded.body",
            params![category.id.to_string(), category.position, json(category)],
        )?;
        Ok(())
    }

    fn upsert_product(tx: &Transaction<'_>, product: &Product) -> Result<()> {
        tx.execute(
            "INSERT INTO products (id, category_id, position, body) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (id) DO UPDATE SET category_id = excluded.category_id, position = excluded.position, \
             body = excluded.body",
            params![product.id.to_string(), product.category_id.to_string(), product.position, json(product)],
        )?;
        Ok(())
    }

    fn upsert_order(tx: &Transaction<'_>, order: &Order) -> Result<()> {
        // An older version of an order (a late ack after a newer event) must not overwrite a newer one.
        tx.execute(
            "INSERT INTO orders (id, placed_at, body) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body \
             WHERE json_extract(excluded.body, '$.updated_at') >= json_extract(orders.body, '$.updated_at')",
            params![order.id.to_string(), order.placed_at.to_rfc3339(), json(order)],
        )?;
        Ok(())
    }

    /// Keeps an open refusal; a settled one leaves the cache.
    fn upsert_refusal(tx: &Transaction<'_>, refusal: &RefusedOrder) -> Result<()> {
        if refusal.resolved_at.is_some() {
            tx.execute("DELETE FROM refusals WHERE id = ?1", [refusal.id.to_string()])?;
        } else {
            tx.execute(
                "INSERT INTO refusals (id, refused_at, body) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                params![refusal.id.to_string(), refusal.refused_at.to_rfc3339(), json(refusal)],
            )?;
        }
        Ok(())
    }

    /// Records a refusal as the server answered it (a settle made from this device), without waiting for
    /// its event.
    pub fn store_refusal(&mut self, refusal: &RefusedOrder) -> Result<()> {
        let tx = self.conn.transaction()?;
        Self::upsert_refusal(&tx, refusal)?;
        tx.commit()?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------------------
    // Reads

    /// Refused orders nobody has settled yet, oldest first.
    pub fn refusals(&self) -> Result<Vec<RefusedOrder>> {
        let mut refusals = Vec::new();
        let mut statement = self.conn.prepare("SELECT body FROM refusals ORDER BY refused_at, id")?;
        for body in statement.query_map([], |row| row.get::<_, String>(0))? {
            refusals.push(parse(&body?)?);
        }
        Ok(refusals)
    }

    pub fn menu(&self) -> Result<Menu> {
        let tenant = self.get_meta("tenant")?;
        let mut categories = Vec::new();
        let mut statement = self.conn.prepare("SELECT body FROM categories ORDER BY position, id")?;
        for body in statement.query_map([], |row| row.get::<_, String>(0))? {
            categories.push(parse(&body?)?);
        }
        let mut products = Vec::new();
        let mut statement = self.conn.prepare("SELECT body FROM products ORDER BY position, id")?;
        for body in statement.query_map([], |row| row.get::<_, String>(0))? {
            products.push(parse(&body?)?);
        }
        Ok(Menu { tenant, categories, products })
    }

    /// One order, if the cache has it.
    pub fn order(&self, id: Uuid) -> Result<Option<Order>> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM orders WHERE id = ?1", [id.to_string()], |row| row.get(0))
            .optional()?;
        body.map(|b| parse(&b)).transpose()
    }

    /// Orders, oldest first.
    pub fn orders(&self) -> Result<Vec<Order>> {
        let mut orders = Vec::new();
        let mut statement = self.conn.prepare("SELECT body FROM orders ORDER BY placed_at, id")?;
        for body in statement.query_map([], |row| row.get::<_, String>(0))? {
            orders.push(parse(&body?)?);
        }
        Ok(orders)
    }

    // -----------------------------------------------------------------------------------------------------
    // Outbox

    /// Queues a command durably. When this returns, the command survives a crash or a power cut. Queuing
    /// a command id that is still queued (a second tap) returns the entry already there and adds nothing.
    pub fn enqueue(&mut self, command_id: Uuid, message: &ClientMessage) -> Result<OutboxEntry> {
        let created_at = Utc::now();
        let tx = self.conn.transaction()?;
        let inserted = tx.execute(
            "INSERT INTO outbox (command_id, body, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (command_id) DO NOTHING",
            params![command_id.to_string(), json(message), created_at.to_rfc3339()],
        )?;
        if inserted == 0 {
            drop(tx);
            let queued = self.entry(command_id)?;
            return queued.ok_or_else(|| Error::Storage("a queued command vanished while it was read".into()));
        }
        let seq = tx.last_insert_rowid();
        tx.commit()?;
        Ok(OutboxEntry {
            seq,
            command_id,
            message: message.clone(),
            created_at,
            state: OutboxState::Pending,
            reason: None,
        })
    }

    /// Entries in `state` after local sequence `after`, in order, at most `limit`.
    fn entries(&self, state: OutboxState, after: i64, limit: i64) -> Result<Vec<OutboxEntry>> {
        self.select_entries(
            "WHERE state = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            params![Self::state_text(state), after, limit],
        )
    }

    /// The queued entry of a command, pending or rejected.
    fn entry(&self, command_id: Uuid) -> Result<Option<OutboxEntry>> {
        Ok(self.select_entries("WHERE command_id = ?1", params![command_id.to_string()])?.pop())
    }

    fn select_entries(&self, filter: &str, values: &[&dyn rusqlite::ToSql]) -> Result<Vec<OutboxEntry>> {
        let mut statement = self
            .conn
            .prepare(&format!("SELECT seq, command_id, body, created_at, reason, state FROM outbox {filter}"))?;
        let rows = statement.query_map(values, |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, String>(5)?,
            ))
        })?;
        let mut entries = Vec::new();
        for row in rows {
            let (seq, command_id, body, created_at, reason, state) = row?;
            entries.push(OutboxEntry {
                seq,
                command_id: command_id.parse().map_err(|_| Error::Corrupt(command_id.clone()))?,
                message: parse(&body)?,
                created_at: DateTime::parse_from_rfc3339(&created_at)
                    .map_err(|e| Error::Corrupt(e.to_string()))?
                    .with_timezone(&Utc),
                state: if state == "rejected" { OutboxState::Rejected } else { OutboxState::Pending },
                reason,
            });
        }
        Ok(entries)
    }

    fn state_text(state: OutboxState) -> &'static str {
        match state {
            OutboxState::Pending => "pending",
            OutboxState::Rejected => "rejected",
        }
    }

    /// Commands waiting for the server, in the order they were made.
    pub fn pending(&self) -> Result<Vec<OutboxEntry>> {
        self.entries(OutboxState::Pending, 0, i64::MAX)
    }

    /// The next `limit` waiting commands after local sequence `after`: what a connection sends next
    /// without reading the whole outbox again on every acknowledgement.
    pub fn pending_after(&self, after: i64, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.entries(OutboxState::Pending, after, limit as i64)
    }

    /// Commands the server refused, for a person to look at.
    pub fn rejected(&self) -> Result<Vec<OutboxEntry>> {
        self.entries(OutboxState::Rejected, 0, i64::MAX)
    }

    fn count(&self, state: OutboxState) -> Result<usize> {
        let count: i64 =
            self.conn
                .query_row("SELECT COUNT(*) FROM outbox WHERE state = ?1", [Self::state_text(state)], |r| r.get(0))?;
        Ok(count as usize)
    }

    pub fn pending_count(&self) -> Result<usize> {
        self.count(OutboxState::Pending)
    }

    pub fn rejected_count(&self) -> Result<usize> {
        self.count(OutboxState::Rejected)
    }

    /// Records the server's answer: done (applied or already applied) leaves the outbox; refused stays,
    /// marked, and no longer holds up anything. The order it returned goes into the cache at once, so a
    /// kiosk shows the ticket number without waiting for the event.
    pub fn ack(&mut self, command_id: Uuid, result: &CommandResult) -> Result<()> {
        let tx = self.conn.transaction()?;
        match result.outcome {
            Outcome::Applied | Outcome::Unchanged => {
                tx.execute("DELETE FROM outbox WHERE command_id = ?1", [command_id.to_string()])?;
            }
            Outcome::Rejected => {
                tx.execute(
                    "UPDATE outbox SET state = 'rejected', reason = ?2 WHERE command_id = ?1",
                    params![command_id.to_string(), result.reason.as_deref().unwrap_or("refused")],
                )?;
            }
        }
        if let Some(order) = &result.order {
            Self::upsert_order(&tx, order)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A person has seen a refused command: it leaves the outbox.
    pub fn dismiss(&mut self, command_id: Uuid) -> Result<()> {
        self.conn
            .execute("DELETE FROM outbox WHERE command_id = ?1 AND state = 'rejected'", [command_id.to_string()])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ordera_protocol::orders::{OrderLineRequest, PlaceOrderRequest};
    use ordera_protocol::{Money, OrderType};

    fn tenant() -> Tenant {
        Tenant {
            id: Uuid::nil(),
            name: "Soho".into(),
            timezone: "Europe/London".into(),
            currency: "GBP".into(),
            created_at: Utc::now(),
            kitchen_warn_minutes: 5,
            kitchen_late_minutes: 8,
            business_day_start: Default::default(),
            kiosk_idle_seconds: 90,
            kiosk_pin_hash: None,
        }
    }

    fn product(seq: i64) -> Product {
        Product {
            id: Uuid::from_u128(seq as u128),
            category_id: Uuid::nil(),
            name: format!("P{seq}"),
            description: String::new(),
            price: Money(100),
            allergens: vec![],
            station: "kitchen".into(),
            available: true,
            stock: None,
            low_stock_threshold: None,
            position: seq,
            image: None,
            available_again_at: None,
        }
    }

    fn logged(seq: i64, event: Event) -> LoggedEvent {
        LoggedEvent { seq, at: Utc::now(), event }
    }

    fn snapshot(seq: i64) -> Snapshot {
        Snapshot {
            refusals: vec![],
            cursor: Cursor { epoch: 1, seq },
            tenant: tenant(),
            categories: vec![],
            products: vec![product(1)],
            orders: vec![],
        }
    }

    #[test]
    fn events_apply_once_in_order_and_a_gap_changes_nothing() {
        let mut cache = Cache::open_in_memory().unwrap();
        cache.replace_with_snapshot(&snapshot(10)).unwrap();
        let page = [logged(11, Event::ProductUpserted { product: product(2) })];
        assert!(cache.apply(&page, None).unwrap().catalog);
        assert!(!cache.apply(&page, None).unwrap().catalog, "a repeat is skipped");
        assert_eq!(cache.cursor().unwrap().unwrap().seq, 11);
        let gap = [
            logged(12, Event::ProductUpserted { product: product(3) }),
            logged(14, Event::ProductDeleted { id: product(1).id }),
        ];
        assert!(matches!(cache.apply(&gap, None), Err(Error::Gap { expected: 13, got: 14 })));
        assert_eq!(cache.cursor().unwrap().unwrap().seq, 11, "the whole page rolled back");
        assert_eq!(cache.menu().unwrap().products.len(), 2);
    }

    #[test]
    fn queuing_a_command_twice_keeps_one_entry() {
        let mut cache = Cache::open_in_memory().unwrap();
        let id = Uuid::now_v7();
        let order = PlaceOrderRequest {
            id,
            order_type: OrderType::DineIn,
            items: vec![OrderLineRequest { product_id: Uuid::nil(), quantity: 1, note: None }],
            note: None,
        };
        let message = ClientMessage::PlaceOrder { command_id: id, order };
        let first = cache.enqueue(id, &message).unwrap();
        let second = cache.enqueue(id, &message).unwrap();
        assert_eq!(first, second, "the second tap gets the first entry back");
        assert_eq!(cache.pending().unwrap(), [first]);
    }

    #[test]
    fn the_outbox_keeps_order_survives_reopening_and_keeps_rejections_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let request = PlaceOrderRequest {
            id: Uuid::now_v7(),
            order_type: OrderType::Takeaway,
            items: vec![OrderLineRequest { product_id: Uuid::nil(), quantity: 1, note: None }],
            note: None,
        };
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        {
            let mut cache = Cache::open(&path).unwrap();
            for id in &ids {
                let message = ClientMessage::PlaceOrder {
                    command_id: *id,
                    order: PlaceOrderRequest { id: *id, ..request.clone() },
                };
                cache.enqueue(*id, &message).unwrap();
            }
        }
        let mut cache = Cache::open(&path).unwrap();
        let pending: Vec<Uuid> = cache.pending().unwrap().iter().map(|e| e.command_id).collect();
        assert_eq!(pending, ids);
        cache.ack(ids[0], &CommandResult::rejected("sold out", None)).unwrap();
        let done = CommandResult { outcome: Outcome::Unchanged, order: None, reason: None };
        cache.ack(ids[1], &done).unwrap();
        assert_eq!(cache.pending().unwrap().iter().map(|e| e.command_id).collect::<Vec<_>>(), [ids[2]]);
        let rejected = cache.rejected().unwrap();
        assert_eq!(rejected[0].reason.as_deref(), Some("sold out"));
        cache.dismiss(ids[0]).unwrap();
        assert!(cache.rejected().unwrap().is_empty());
    }

    fn refusal(n: u128, resolved: bool) -> RefusedOrder {
        RefusedOrder {
            id: Uuid::from_u128(n),
            device_id: None,
            device_name: Some("Kiosk by the door".into()),
            reason: "Cola is sold out".into(),
            order_type: OrderType::Takeaway,
            items: vec![],
            note: String::new(),
            refused_at: Utc::now(),
            resolved_at: resolved.then(Utc::now),
        }
    }

    #[test]
    fn refusals_come_with_the_snapshot_and_leave_when_settled() {
        let mut cache = Cache::open_in_memory().unwrap();
        let mut start = snapshot(10);
        start.refusals = vec![refusal(1, false)];
        cache.replace_with_snapshot(&start).unwrap();
        assert_eq!(cache.refusals().unwrap(), start.refusals);
        let page = [
            logged(11, Event::RefusalUpserted { refusal: refusal(2, false) }),
            logged(12, Event::RefusalUpserted { refusal: refusal(1, true) }),
        ];
        let changes = cache.apply(&page, None).unwrap();
        assert!(changes.refusals && !changes.orders && !changes.catalog);
        let open: Vec<Uuid> = cache.refusals().unwrap().iter().map(|r| r.id).collect();
        assert_eq!(open, [Uuid::from_u128(2)], "the settled one left, the new one came");
        cache.store_refusal(&refusal(2, true)).unwrap();
        assert!(cache.refusals().unwrap().is_empty());
    }
}
