//! The queries, written once for both backends. `sql_store!(Type, Database)` expands to the [`Store`]
//! implementation for a backend type that provides the ways to start a transaction: `begin_scoped(tenant)`
//! (a tenant-scoped write, which only `scoped` and `scoped_report` here call), `scoped_read(tenant)`,
//! `snapshot_tx(tenant)` and `unscoped()` (a write that must find its tenant first: signup, pairing).
//! Parameters are `$n` (both PostgreSQL and SQLite accept them); times come from Rust, never from the
//! database clock, so both backends store the same values.
//!
//! Two rules hold for every write, each kept in one place:
//! - **One lock order.** A write takes its restaurant's row first (`scoped`), before any product,
//!   category, order or device row, so two writes of one restaurant queue on that row instead of each
//!   holding a row the other waits for (a deadlock PostgreSQL ends by failing one of them). Only a device's
//!   report of itself (one statement on its own row, no other lock) skips it, so that heartbeats never
//!   queue behind orders; pruning, across restaurants, deletes only old log rows and command records, which
//!   no other write locks.
//! - **Whole transactions are retried.** Every write runs inside `retrying`, which runs it again from
//!   `BEGIN` when the database aborted it for a deadlock or a serialization failure.
//!
//! A macro rather than generics: sqlx's generic bounds over a `Database` grow with every type bound, while
//! the same text compiled twice against concrete types stays plain SQL and plain Rust.
//!
//! [`Store`]: super::Store

pub(super) const USER_COLUMNS: &str = "id, tenant_id, email, name, role, active, created_at, password_hash";
pub(super) const DEVICE_COLUMNS: &str =
    "id, name, kind, created_at, last_seen_at, revoked_at, position, position_at, outbox, app_version";
pub(super) const CATEGORY_COLUMNS: &str = "id, name, position, visible";
pub(super) const TENANT_COLUMNS: &str =
    "id, name, timezone, currency, created_at, kitchen_warn_minutes, kitchen_late_minutes, business_day_start_minutes, \
     kiosk_idle_seconds, kiosk_pin_hash";
pub(super) const ORDER_COLUMNS: &str = "id, number, business_date, order_type, status, items, total, note, device_id, \
     placed_at, preparing_at, ready_at, completed_at, cancelled_at, cancel_reason, updated_at, history";
pub(super) const REFUSED_COLUMNS: &str =
    "id, device_id, device_name, reason, order_type, items, note, refused_at, resolved_at";
pub(super) const PRODUCT_SELECT: &str = "SELECT p.id, p.category_id, p.name, p.description, p.price, p.allergens, \
     p.station, p.available, p.stock, p.low_stock_threshold, p.position, p.image_id, \
     i.width AS image_width, i.height AS image_height, p.available_again_at \
     FROM products p LEFT JOIN images i ON i.id = p.image_id";

macro_rules! sql_store {
    ($store:ident, $db:ty) => {
        const _: () = {
            use chrono::{DateTime, Timelike, Utc};
            use ordera_protocol::api::{
                BusinessDay, Category, CategoryChanges, Device, DeviceChanges, NewCategory, NewProduct, Product,
                ProductChanges, Tenant, TenantChanges, User, UserChanges, MAX_UNAVAILABLE_DAYS,
            };
            use ordera_protocol::sync::{Event, LoggedEvent};
            use ordera_protocol::orders::{
                mark_lines, CommandResult, Marked, NewOrder, Order, OrderItem, RefusedItem, RefusedOrder,
                StatusAction, StatusStep, Transition,
            };
            use ordera_protocol::sync::{Audience, Cursor, Snapshot};
            use ordera_protocol::{FieldErrors, Money, OrderStatus, Role};
            use sqlx::types::Json;
            use uuid::Uuid;

            use $crate::error::{ApiError, ApiResult};
            use $crate::store::sql::{
                CATEGORY_COLUMNS, DEVICE_COLUMNS, ORDER_COLUMNS, PRODUCT_SELECT, REFUSED_COLUMNS, TENANT_COLUMNS,
                USER_COLUMNS,
            };
            use $crate::store::{
                conflict_on_unique, now, CategoryRow, Credentials, DeviceRow, EventRow, NewDevice, NewImage,
                NewPairingCode, NewSession, NewTenant, NewUserRow, ProductRow, Store, StoredImage, TenantRow,
                TokenOwner, UserRow, Committed, OrderFilter, OrderRow, RefusedRow, like_pattern,
                Actor, PositionReport, retrying,
            };

            type Tx = sqlx::Transaction<'static, $db>;

            impl $store {
                /// Appends `event` to the tenant's log. The `UPDATE … RETURNING` takes the tenant row's lock,
                /// so sequence numbers are gapless and in commit order within a tenant.
                async fn append_event(
                    tx: &mut Tx,
                    tenant_id: Uuid,
                    events: &mut Vec<LoggedEvent>,
                    event: Event,
                ) -> ApiResult<()> {
                    let seq: i64 = sqlx::query_scalar(
                        "UPDATE tenants SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
                    )
                    .bind(tenant_id)
                    .fetch_one(&mut **tx)
                    .await?;
                    let at = now();
                    sqlx::query("INSERT INTO events (tenant_id, seq, at, payload) VALUES ($1, $2, $3, $4)")
                        .bind(tenant_id)
                        .bind(seq)
                        .bind(at)
                        .bind(Json(&event))
                        .execute(&mut **tx)
                        .await?;
                    events.push(LoggedEvent { seq, at, event });
                    Ok(())
                }

                /// Commits, then hands the transaction's events to the publisher for fan-out. Publishing
                /// after commit means a client never hears of a change it cannot then read.
                async fn commit(&self, tx: Tx, tenant_id: Uuid, events: Vec<LoggedEvent>) -> ApiResult<()> {
                    tx.commit().await?;
                    if !events.is_empty() {
                        // A closed receiver (a tool without fan-out) is fine: the log has the events.
                        let _ = self.publisher.send(Committed { tenant_id, events });
                    }
                    Ok(())
                }

                /// Starts a write of one restaurant, holding the restaurant's row: the first lock of every
                /// write, whatever rows it goes on to change. Writes of a restaurant therefore run one at a
                /// time from here on; each sees every write committed before it, so an invariant across rows
                /// (the last owner, the stock, the ticket number, an empty category) is checked as it stands.
                async fn scoped(&self, tenant_id: Uuid) -> ApiResult<Tx> {
                    let mut tx = self.begin_scoped(tenant_id).await?;
                    Self::lock_tenant(&mut tx, tenant_id).await?;
                    Ok(tx)
                }

                /// Starts a device's report of itself (last seen, log position, app version): one statement on
                /// the device's own row, holding no other lock, so it can be part of no deadlock and need not
                /// queue behind the restaurant's orders.
                async fn scoped_report(&self, tenant_id: Uuid) -> ApiResult<Tx> {
                    Ok(self.begin_scoped(tenant_id).await?)
                }

                /// Locks the restaurant's row as `append_event` does; a transaction that already holds it
                /// takes it again at no cost.
                async fn lock_tenant(tx: &mut Tx, tenant_id: Uuid) -> ApiResult<()> {
                    sqlx::query("UPDATE tenants SET last_seq = last_seq WHERE id = $1")
                        .bind(tenant_id)
                        .execute(&mut **tx)
                        .await?;
                    Ok(())
                }

                /// The answer an order already had: placed (the order as it is now), or refused (its first
                /// reason). A refusal is final: the same order sent again after its answer was lost, even once
                /// the dish is back, gets the same answer rather than a ticket for an order staff may have
                /// refunded meanwhile.
                async fn earlier_answer(tx: &mut Tx, tenant_id: Uuid, order_id: Uuid) -> ApiResult<Option<CommandResult>> {
                    if let Some(existing) = Self::order_in(tx, tenant_id, order_id).await? {
                        return Ok(Some(CommandResult::unchanged(existing)));
                    }
                    let refused: Option<String> =
                        sqlx::query_scalar("SELECT reason FROM refused_orders WHERE tenant_id = $1 AND id = $2")
                            .bind(tenant_id)
                            .bind(order_id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    Ok(refused.map(|reason| CommandResult::rejected(reason, None)))
                }

                /// Refuses `order` for good. A device's order is kept for staff (once, however often the device
                /// sends it again) and announced to the restaurant's screens: a customer may be waiting for
                /// it. Anyone else is told why at once and nothing is kept.
                async fn refuse(
                    &self,
                    mut tx: Tx,
                    tenant_id: Uuid,
                    device_id: Option<Uuid>,
                    order: &NewOrder,
                    reason: String,
                ) -> ApiResult<CommandResult> {
                    let Some(device_id) = device_id else {
                        return Ok(CommandResult::rejected(reason, None));
                    };
                    let device_name: Option<String> =
                        sqlx::query_scalar("SELECT name FROM devices WHERE tenant_id = $1 AND id = $2")
                            .bind(tenant_id)
                            .bind(device_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    // Every line's name in one query (an order has at most 50 lines); a product deleted
                    // meanwhile has none. An order refused for having no lines asks for none (`IN ()` is
                    // not SQL PostgreSQL takes).
                    let mut names = std::collections::HashMap::<Uuid, String>::new();
                    if !order.lines.is_empty() {
                        let placeholders: Vec<String> =
                            (0..order.lines.len()).map(|i| format!("${}", i + 2)).collect();
                        let sql = format!(
                            "SELECT id, name FROM products WHERE tenant_id = $1 AND id IN ({})",
                            placeholders.join(", ")
                        );
                        let mut query = sqlx::query_as::<_, (Uuid, String)>(&sql).bind(tenant_id);
                        for line in &order.lines {
                            query = query.bind(line.product_id);
                        }
                        names.extend(query.fetch_all(&mut *tx).await?);
                    }
                    let items = order
                        .lines
                        .iter()
                        .map(|line| RefusedItem {
                            product_id: line.product_id,
                            name: names.get(&line.product_id).cloned(),
                            quantity: line.quantity,
                            note: line.note.clone(),
                        })
                        .collect();
                    let refusal = RefusedOrder {
                        id: order.id,
                        device_id: Some(device_id),
                        device_name,
                        reason: reason.clone(),
                        order_type: order.order_type,
                        items,
                        note: order.note.clone(),
                        refused_at: now(),
                        resolved_at: None,
                    };
                    let inserted = sqlx::query(
                        "INSERT INTO refused_orders (tenant_id, id, device_id, device_name, reason, order_type, \
                         items, note, refused_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (tenant_id, id) DO NOTHING",
                    )
                    .bind(tenant_id)
                    .bind(refusal.id)
                    .bind(device_id)
                    .bind(&refusal.device_name)
                    .bind(&refusal.reason)
                    .bind(refusal.order_type.as_str())
                    .bind(Json(&refusal.items))
                    .bind(&refusal.note)
                    .bind(refusal.refused_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    let mut events = Vec::new();
                    if inserted == 1 {
                        Self::append_event(&mut tx, tenant_id, &mut events, Event::RefusalUpserted { refusal }).await?;
                    }
                    self.commit(tx, tenant_id, events).await?;
                    Ok(CommandResult::rejected(reason, None))
                }

                async fn tenant_in(tx: &mut Tx, tenant_id: Uuid) -> ApiResult<Tenant> {
                    let row: Option<TenantRow> =
                        sqlx::query_as(&format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1"))
                            .bind(tenant_id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    row.map(Tenant::from).ok_or(ApiError::NotFound("restaurant"))
                }

                async fn user_in(tx: &mut Tx, tenant_id: Uuid, user_id: Uuid) -> ApiResult<UserRow> {
                    let row: Option<UserRow> = sqlx::query_as(&format!(
                        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"
                    ))
                    .bind(tenant_id)
                    .bind(user_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                    row.ok_or(ApiError::NotFound("user"))
                }

                async fn product_in(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> ApiResult<Product> {
                    let row: Option<ProductRow> =
                        sqlx::query_as(&format!("{PRODUCT_SELECT} WHERE p.tenant_id = $1 AND p.id = $2"))
                            .bind(tenant_id)
                            .bind(id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    row.map(Product::from).ok_or(ApiError::NotFound("product"))
                }

                async fn categories_in(tx: &mut Tx, tenant_id: Uuid) -> ApiResult<Vec<Category>> {
                    let rows: Vec<CategoryRow> = sqlx::query_as(&format!(
                        "SELECT {CATEGORY_COLUMNS} FROM categories WHERE tenant_id = $1 ORDER BY position, id"
                    ))
                    .bind(tenant_id)
                    .fetch_all(&mut **tx)
                    .await?;
                    Ok(rows.into_iter().map(Category::from).collect())
                }

                async fn order_in(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> ApiResult<Option<Order>> {
                    let row: Option<OrderRow> =
                        sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 AND id = $2"))
                            .bind(tenant_id)
                            .bind(id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    row.map(OrderRow::into_order).transpose()
                }

                /// A step of an order's history: `status` reached at `at` by `actor`, under the name the
                /// device or person has now (a screen renamed later keeps its old name in old steps).
                async fn step(
                    tx: &mut Tx,
                    tenant_id: Uuid,
                    actor: Actor,
                    status: OrderStatus,
                    at: DateTime<Utc>,
                ) -> ApiResult<StatusStep> {
                    let (device_id, by): (Option<Uuid>, Option<String>) = match actor {
                        Actor::Device(id) => {
                            let name = sqlx::query_scalar("SELECT name FROM devices WHERE tenant_id = $1 AND id = $2")
                                .bind(tenant_id)
                                .bind(id)
                                .fetch_optional(&mut **tx)
                                .await?;
                            (Some(id), name)
                        }
                        Actor::User(id) => {
                            let name = sqlx::query_scalar("SELECT name FROM users WHERE tenant_id = $1 AND id = $2")
                                .bind(tenant_id)
                                .bind(id)
                                .fetch_optional(&mut **tx)
                                .await?;
                            (None, name)
                        }
                    };
                    Ok(StatusStep { status, at, device_id, by })
                }

                /// Moves `order` to `next`: stamps the status's time and adds `step` (made at the same
                /// moment) to its history. Callers hold the restaurant's lock, so `order` is the latest.
                /// Only an item taken back moves a ready order back to preparing: it was not ready, so its
                /// ready time goes; the first preparing time stays, as the start of the work. A requeue (a
                /// start undone) moves preparing back to placed: it was not started, so its preparing
                /// time goes, and the next start counts as the start of the work.
                async fn move_order(
                    tx: &mut Tx,
                    tenant_id: Uuid,
                    order: &Order,
                    next: OrderStatus,
                    reason: Option<&str>,
                    step: StatusStep,
                ) -> ApiResult<()> {
                    let at = step.at;
                    let mut history = order.history.clone();
                    history.push(step);
                    sqlx::query(
                        "UPDATE orders SET status = $3, updated_at = $4, \
                         preparing_at = CASE WHEN $3 = 'preparing' THEN COALESCE(preparing_at, $4) WHEN $3 = 'placed' THEN NULL ELSE preparing_at END, \
                         ready_at = CASE WHEN $3 = 'ready' THEN COALESCE(ready_at, $4) WHEN $3 = 'preparing' THEN NULL ELSE ready_at END, \
                         completed_at = CASE WHEN $3 = 'completed' THEN $4 WHEN $3 = 'ready' THEN NULL ELSE completed_at END, \
                         cancelled_at = CASE WHEN $3 = 'cancelled' THEN $4 ELSE cancelled_at END, \
                         cancel_reason = CASE WHEN $3 = 'cancelled' THEN $5 ELSE cancel_reason END, \
                         history = $6 \
                         WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant_id)
                    .bind(order.id)
                    .bind(next.as_str())
                    .bind(at)
                    .bind(reason)
                    .bind(Json(&history))
                    .execute(&mut **tx)
                    .await?;
                    Ok(())
                }

                /// The result recorded for a command already applied, if any.
                async fn recorded(tx: &mut Tx, tenant_id: Uuid, command_id: Uuid) -> ApiResult<Option<CommandResult>> {
                    let recorded: Option<Json<CommandResult>> =
                        sqlx::query_scalar("SELECT result FROM commands WHERE tenant_id = $1 AND id = $2")
                            .bind(tenant_id)
                            .bind(command_id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    Ok(recorded.map(|Json(result)| result))
                }

                /// Records a command's result in the transaction that applied it, so a retry gets exactly this back.
                async fn record(tx: &mut Tx, tenant_id: Uuid, command_id: Uuid, result: &CommandResult) -> ApiResult<()> {
                    sqlx::query("INSERT INTO commands (tenant_id, id, result, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(tenant_id)
                        .bind(command_id)
                        .bind(Json(result))
                        .bind(now())
                        .execute(&mut **tx)
                        .await?;
                    Ok(())
                }

                fn business_day(tenant: &Tenant) -> ApiResult<BusinessDay> {
                    tenant.business_day().map_err(|_| {
                        ApiError::Internal(anyhow::anyhow!("stored time zone {:?} is not valid", tenant.timezone))
                    })
                }

                /// Adds `delta` to a counted product's stock and logs the product; uncounted ones are left.
                async fn adjust_stock(
                    tx: &mut Tx,
                    tenant_id: Uuid,
                    events: &mut Vec<LoggedEvent>,
                    product_id: Uuid,
                    delta: i64,
                ) -> ApiResult<()> {
                    let changed = sqlx::query(
                        "UPDATE products SET stock = stock + $3, updated_at = $4 \
                         WHERE tenant_id = $1 AND id = $2 AND stock IS NOT NULL",
                    )
                    .bind(tenant_id)
                    .bind(product_id)
                    .bind(delta)
                    .bind(now())
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
                    if changed > 0 {
                        let product = Self::product_in(tx, tenant_id, product_id).await?;
                        Self::append_event(tx, tenant_id, events, Event::ProductUpserted { product }).await?;
                    }
                    Ok(())
                }

                /// A page of history and how many orders match. Days are business days, turned into instants
                /// by the restaurant's `BusinessDay`; a search of digits alone also finds that ticket number.
                async fn orders_in(tx: &mut Tx, tenant_id: Uuid, filter: &OrderFilter) -> ApiResult<(Vec<Order>, i64)> {
                    let business_day = Self::business_day(&Self::tenant_in(tx, tenant_id).await?)?;
                    let from = filter.from.map(|date| business_day.starts_at(date));
                    let before = filter.to.map(|date| business_day.range(date).1);
                    const WHERE: &str = "WHERE tenant_id = $1 \
                         AND ($2 IS NULL OR placed_at >= $2) AND ($3 IS NULL OR placed_at < $3) \
                         AND ($4 IS NULL OR status = $4) AND ($5 IS NULL OR order_type = $5) \
                         AND ($6 IS NULL OR number = $6) \
                         AND ($7 IS NULL OR search_text LIKE $7 ESCAPE '\\' OR number = $8)";
                    let search = filter.search.as_deref().map(like_pattern);
                    let search_number = filter.search.as_deref().and_then(|q| q.trim().parse::<i64>().ok());
                    let rows: Vec<OrderRow> = sqlx::query_as(&format!(
                        "SELECT {ORDER_COLUMNS} FROM orders {WHERE} ORDER BY placed_at DESC, id DESC LIMIT $9 OFFSET $10"
                    ))
                    .bind(tenant_id)
                    .bind(from)
                    .bind(before)
                    .bind(filter.status.map(OrderStatus::as_str))
                    .bind(filter.order_type.map(|t| t.as_str()))
                    .bind(filter.number)
                    .bind(search.as_deref())
                    .bind(search_number)
                    .bind(filter.limit)
                    .bind(filter.offset)
                    .fetch_all(&mut **tx)
                    .await?;
                    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM orders {WHERE}"))
                        .bind(tenant_id)
                        .bind(from)
                        .bind(before)
                        .bind(filter.status.map(OrderStatus::as_str))
                        .bind(filter.order_type.map(|t| t.as_str()))
                        .bind(filter.number)
                        .bind(search.as_deref())
                        .bind(search_number)
                        .fetch_one(&mut **tx)
                        .await?;
                    let orders = rows.into_iter().map(OrderRow::into_order).collect::<ApiResult<Vec<_>>>()?;
                    Ok((orders, total))
                }

                /// A category named in a request body: a missing one is the body's fault (422), not the URL's.
                async fn require_category(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> ApiResult<()> {
                    let exists: bool = sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM categories WHERE tenant_id = $1 AND id = $2)",
                    )
                    .bind(tenant_id)
                    .bind(id)
                    .fetch_one(&mut **tx)
                    .await?;
                    if exists {
                        Ok(())
                    } else {
                        Err(ApiError::invalid_field("category_id", "no such category"))
                    }
                }
            }

            #[async_trait::async_trait]
            impl Store for $store {
                fn backend(&self) -> &'static str {
                    Self::BACKEND
                }

                fn pool_connections(&self) -> (u32, usize) {
                    (self.pool.size(), self.pool.num_idle())
                }

                async fn ping(&self) -> ApiResult<()> {
                    sqlx::query("SELECT 1").execute(&self.pool).await?;
                    Ok(())
                }

                async fn signup(&self, tenant: &NewTenant, owner: &NewUserRow) -> ApiResult<(Tenant, User)> {
                    retrying(|| async move {
                    let mut tx = self.unscoped().await?;
                    let at = now();
                    sqlx::query(
                        "INSERT INTO tenants (id, name, timezone, currency, created_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(tenant.id)
                    .bind(&tenant.name)
                    .bind(&tenant.timezone)
                    .bind(&tenant.currency)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    let user: UserRow = sqlx::query_as(&format!(
                        "INSERT INTO users (id, tenant_id, email, name, password_hash, role, active, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {USER_COLUMNS}"
                    ))
                    .bind(owner.id)
                    .bind(tenant.id)
                    .bind(&owner.email)
                    .bind(&owner.name)
                    .bind(&owner.password_hash)
                    .bind(Role::Owner.as_str())
                    .bind(true)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| conflict_on_unique(e, "an account with this e-mail address already exists"))?;
                    let tenant = Self::tenant_in(&mut tx, tenant.id).await?;
                    tx.commit().await?;
                    Ok((tenant, user.into_user()?))
                    })
                    .await
                }

                async fn tenant(&self, tenant_id: Uuid) -> ApiResult<Tenant> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    Self::tenant_in(&mut tx, tenant_id).await
                }

                async fn update_tenant(&self, tenant_id: Uuid, changes: &TenantChanges) -> ApiResult<Tenant> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    // The kitchen's thresholds are checked as they will be stored, under the restaurant's
                    // lock: two managers changing one each cannot together put the warning past late.
                    let current = Self::tenant_in(&mut tx, tenant_id).await?;
                    let warn = changes.kitchen_warn_minutes.unwrap_or(current.kitchen_warn_minutes);
                    let late = changes.kitchen_late_minutes.unwrap_or(current.kitchen_late_minutes);
                    if warn >= late {
                        let message =
                            format!("a ticket must show as a warning ({warn} min) before it is late ({late} min)");
                        let mut errors = FieldErrors::new();
                        errors.add("kitchen_warn_minutes", message.clone());
                        errors.add("kitchen_late_minutes", message);
                        return Err(ApiError::invalid(errors));
                    }
                    let business_day_start =
                        changes.business_day_start.map(|t| i64::from(t.num_seconds_from_midnight() / 60));
                    sqlx::query(
                        "UPDATE tenants SET name = COALESCE($2, name), timezone = COALESCE($3, timezone), \
                         kitchen_warn_minutes = $4, kitchen_late_minutes = $5, \
                         business_day_start_minutes = COALESCE($6, business_day_start_minutes), \
                         kiosk_idle_seconds = COALESCE($7, kiosk_idle_seconds), \
                         kiosk_pin_hash = COALESCE($8, kiosk_pin_hash) WHERE id = $1",
                    )
                    .bind(tenant_id)
                    .bind(changes.name.as_ref().map(|n| n.as_str()))
                    .bind(changes.timezone.map(|t| t.name()))
                    .bind(warn)
                    .bind(late)
                    .bind(business_day_start)
                    .bind(changes.kiosk_idle_seconds)
                    .bind(changes.kiosk_pin_hash.as_deref())
                    .execute(&mut *tx)
                    .await?;
                    let tenant = Self::tenant_in(&mut tx, tenant_id).await?;
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::TenantUpdated { tenant: tenant.clone() }).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(tenant)
                    })
                    .await
                }

                async fn credentials(&self, email: &str) -> ApiResult<Option<Credentials>> {
                    let row: Option<UserRow> =
                        sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
                            .bind(email)
                            .fetch_optional(&self.pool)
                            .await?;
                    let Some(row) = row else { return Ok(None) };
                    let (tenant_id, password_hash) = (row.tenant_id, row.password_hash.clone());
                    Ok(Some(Credentials { user: row.into_user()?, tenant_id, password_hash }))
                }

                async fn create_session(&self, session: &NewSession) -> ApiResult<()> {
                    retrying(|| async move {
                    let mut tx = self.scoped(session.tenant_id).await?;
                    sqlx::query(
                        "INSERT INTO sessions (token_hash, tenant_id, user_id, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&session.token_hash)
                    .bind(session.tenant_id)
                    .bind(session.user_id)
                    .bind(now())
                    .bind(session.expires_at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                    })
                    .await
                }

                async fn delete_session(&self, token_hash: &[u8]) -> ApiResult<()> {
                    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                        .bind(token_hash)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn token_owner(&self, token_hash: &[u8], device: bool) -> ApiResult<Option<TokenOwner>> {
                    if !device {
                        let session: Option<(Uuid, Uuid, String, bool, DateTime<Utc>)> = sqlx::query_as(
                            "SELECT s.tenant_id, s.user_id, u.role, u.active, s.expires_at \
                             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
                        )
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                        let Some((tenant_id, user_id, role, active, expires_at)) = session else { return Ok(None) };
                        let role = role.parse().map_err(|_| ApiError::Internal(anyhow::anyhow!("bad role {role}")))?;
                        return Ok(Some(TokenOwner::Session { tenant_id, user_id, role, active, expires_at }));
                    }
                    let device: Option<(Uuid, Uuid, String, Option<DateTime<Utc>>, Option<DateTime<Utc>>)> =
                        sqlx::query_as(
                            "SELECT tenant_id, id, kind, revoked_at, last_seen_at FROM devices WHERE token_hash = $1",
                        )
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                    let Some((tenant_id, device_id, kind, revoked_at, last_seen_at)) = device else { return Ok(None) };
                    let kind = kind.parse().map_err(|_| ApiError::Internal(anyhow::anyhow!("bad kind {kind}")))?;
                    Ok(Some(TokenOwner::Device { tenant_id, device_id, kind, revoked: revoked_at.is_some(), last_seen_at }))
                }

                async fn users(&self, tenant_id: Uuid) -> ApiResult<Vec<User>> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    let rows: Vec<UserRow> = sqlx::query_as(&format!(
                        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY created_at, id"
                    ))
                    .bind(tenant_id)
                    .fetch_all(&mut *tx)
                    .await?;
                    rows.into_iter().map(UserRow::into_user).collect()
                }

                async fn user(&self, tenant_id: Uuid, user_id: Uuid) -> ApiResult<User> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    Self::user_in(&mut tx, tenant_id, user_id).await?.into_user()
                }

                async fn create_user(&self, tenant_id: Uuid, user: &NewUserRow) -> ApiResult<User> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let row: UserRow = sqlx::query_as(&format!(
                        "INSERT INTO users (id, tenant_id, email, name, password_hash, role, active, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {USER_COLUMNS}"
                    ))
                    .bind(user.id)
                    .bind(tenant_id)
                    .bind(&user.email)
                    .bind(&user.name)
                    .bind(&user.password_hash)
                    .bind(user.role.as_str())
                    .bind(true)
                    .bind(now())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| conflict_on_unique(e, "an account with this e-mail address already exists"))?;
                    tx.commit().await?;
                    row.into_user()
                    })
                    .await
                }

                async fn update_user(&self, tenant_id: Uuid, user_id: Uuid, changes: &UserChanges) -> ApiResult<User> {
                    retrying(|| async move {
                        // Under the restaurant's lock: two owners demoting each other at once cannot both pass.
                    let mut tx = self.scoped(tenant_id).await?;
                    let current = Self::user_in(&mut tx, tenant_id, user_id).await?.into_user()?;
                    let stays_owner = changes.role.unwrap_or(current.role) == Role::Owner
                        && changes.active.unwrap_or(current.active);
                    if current.role == Role::Owner && current.active && !stays_owner {
                        let other_owners: i64 = sqlx::query_scalar(
                            "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = 'owner' AND active AND id <> $2",
                        )
                        .bind(tenant_id)
                        .bind(user_id)
                        .fetch_one(&mut *tx)
                        .await?;
                        if other_owners == 0 {
                            return Err(ApiError::Conflict(
                                "a restaurant needs at least one active owner; make someone else owner first".into(),
                            ));
                        }
                    }
                    let row: UserRow = sqlx::query_as(&format!(
                        "UPDATE users SET name = COALESCE($3, name), role = COALESCE($4, role), \
                         active = COALESCE($5, active) WHERE tenant_id = $1 AND id = $2 RETURNING {USER_COLUMNS}"
                    ))
                    .bind(tenant_id)
                    .bind(user_id)
                    .bind(changes.name.as_ref().map(|n| n.as_str()))
                    .bind(changes.role.map(Role::as_str))
                    .bind(changes.active)
                    .fetch_one(&mut *tx)
                    .await?;
                    if !row.active {
                        // A deactivated account loses its sessions at once, not when they expire.
                        sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
                            .bind(tenant_id)
                            .bind(user_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    row.into_user()
                    })
                    .await
                }

                async fn set_password(&self, tenant_id: Uuid, user_id: Uuid, password_hash: &str) -> ApiResult<()> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let updated = sqlx::query("UPDATE users SET password_hash = $3 WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant_id)
                        .bind(user_id)
                        .bind(password_hash)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if updated == 0 {
                        return Err(ApiError::NotFound("user"));
                    }
                    tx.commit().await?;
                    Ok(())
                    })
                    .await
                }

                async fn reset_password(
                    &self,
                    tenant_id: Uuid,
                    user_id: Uuid,
                    password_hash: &str,
                    keep: Option<&[u8]>,
                ) -> ApiResult<User> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let row: Option<UserRow> = sqlx::query_as(&format!(
                        "UPDATE users SET password_hash = $3 WHERE tenant_id = $1 AND id = $2 RETURNING {USER_COLUMNS}"
                    ))
                    .bind(tenant_id)
                    .bind(user_id)
                    .bind(password_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let row = row.ok_or(ApiError::NotFound("user"))?;
                    // Whoever knew the old password is signed out with it.
                    sqlx::query(
                        "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND ($3 IS NULL OR token_hash <> $3)",
                    )
                    .bind(tenant_id)
                    .bind(user_id)
                    .bind(keep)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    row.into_user()
                    })
                    .await
                }

                async fn create_pairing_code(&self, code: &NewPairingCode) -> ApiResult<()> {
                    retrying(|| async move {
                    let mut tx = self.scoped(code.tenant_id).await?;
                    sqlx::query(
                        "INSERT INTO pairing_codes (code_hash, tenant_id, kind, name, created_by, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&code.code_hash)
                    .bind(code.tenant_id)
                    .bind(code.kind.as_str())
                    .bind(&code.name)
                    .bind(code.created_by)
                    .bind(now())
                    .bind(code.expires_at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                    })
                    .await
                }

                async fn pair_device(&self, code_hash: &[u8], device: &NewDevice) -> ApiResult<Option<(Tenant, Device)>> {
                    retrying(|| async move {
                    let mut tx = self.unscoped().await?;
                    let mut events = Vec::new();
                    let at = now();
                        // The code names its restaurant, whose row is locked before the code's: the one lock order.
                        let tenant_id: Option<Uuid> =
                            sqlx::query_scalar("SELECT tenant_id FROM pairing_codes WHERE code_hash = $1")
                                .bind(code_hash)
                                .fetch_optional(&mut *tx)
                                .await?;
                        let Some(tenant_id) = tenant_id else { return Ok(None) };
                        Self::lock_tenant(&mut tx, tenant_id).await?;
                    // Marking the code used in the same statement that checks it makes it single-use even
                    // when two devices race with the same code.
                        let claimed: Option<(String, String)> = sqlx::query_as(
                        "UPDATE pairing_codes SET used_at = $2 \
                         WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                             RETURNING kind, name",
                    )
                    .bind(code_hash)
                    .bind(at)
                    .fetch_optional(&mut *tx)
                    .await?;
                        let Some((kind, name)) = claimed else { return Ok(None) };
                    let row: DeviceRow = sqlx::query_as(&format!(
                        "INSERT INTO devices (id, tenant_id, name, kind, token_hash, created_at, last_seen_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {DEVICE_COLUMNS}"
                    ))
                    .bind(device.id)
                    .bind(tenant_id)
                    .bind(&name)
                    .bind(&kind)
                    .bind(&device.token_hash)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                    let device = row.into_device()?;
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::DeviceUpserted { device: device.clone() }).await?;
                    let tenant = Self::tenant_in(&mut tx, tenant_id).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(Some((tenant, device)))
                    })
                    .await
                }

                async fn devices(&self, tenant_id: Uuid) -> ApiResult<Vec<Device>> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    let head: i64 = sqlx::query_scalar("SELECT last_seq FROM tenants WHERE id = $1")
                        .bind(tenant_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or(ApiError::NotFound("restaurant"))?;
                    let rows: Vec<DeviceRow> = sqlx::query_as(&format!(
                        "SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = $1 ORDER BY created_at, id"
                    ))
                    .bind(tenant_id)
                    .fetch_all(&mut *tx)
                    .await?;
                    rows.into_iter()
                        .map(|row| {
                            let mut device = row.into_device()?;
                            // A position past the head (a log reset since) is not "ahead": it is caught up.
                            device.behind = device.position.map(|position| (head - position).max(0));
                            Ok(device)
                        })
                        .collect()
                }

                async fn report_position(
                    &self,
                    tenant_id: Uuid,
                    device_id: Uuid,
                    report: &PositionReport,
                ) -> ApiResult<()> {
                    retrying(|| async move {
                        let mut tx = self.scoped_report(tenant_id).await?;
                    sqlx::query(
                        "UPDATE devices SET position = COALESCE($3, position), \
                         position_at = CASE WHEN $3 IS NULL THEN position_at ELSE $5 END, \
                         outbox = COALESCE($4, outbox) WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant_id)
                    .bind(device_id)
                    .bind(report.position)
                    .bind(report.outbox)
                    .bind(report.at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                    })
                    .await
                }

                async fn touch_device(&self, tenant_id: Uuid, device_id: Uuid, at: DateTime<Utc>) -> ApiResult<()> {
                    retrying(|| async move {
                        let mut tx = self.scoped_report(tenant_id).await?;
                    sqlx::query("UPDATE devices SET last_seen_at = $3 WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant_id)
                        .bind(device_id)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                    })
                    .await
                }

                async fn revoke_device(&self, tenant_id: Uuid, device_id: Uuid) -> ApiResult<Device> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    let row: Option<DeviceRow> = sqlx::query_as(&format!(
                        "UPDATE devices SET revoked_at = COALESCE(revoked_at, $3) \
                         WHERE tenant_id = $1 AND id = $2 RETURNING {DEVICE_COLUMNS}"
                    ))
                    .bind(tenant_id)
                    .bind(device_id)
                    .bind(now())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let device = row.ok_or(ApiError::NotFound("device"))?.into_device()?;
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::DeviceRevoked { id: device_id }).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(device)
                    })
                    .await
                }

                async fn update_device(
                    &self,
                    tenant_id: Uuid,
                    device_id: Uuid,
                    changes: &DeviceChanges,
                ) -> ApiResult<Device> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    let row: Option<DeviceRow> = sqlx::query_as(&format!(
                        "UPDATE devices SET name = COALESCE($3, name) \
                         WHERE tenant_id = $1 AND id = $2 RETURNING {DEVICE_COLUMNS}"
                    ))
                    .bind(tenant_id)
                    .bind(device_id)
                    .bind(changes.name.as_ref().map(|n| n.as_str()))
                    .fetch_optional(&mut *tx)
                    .await?;
                    let device = row.ok_or(ApiError::NotFound("device"))?.into_device()?;
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::DeviceUpserted { device: device.clone() })
                        .await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(device)
                    })
                    .await
                }

                async fn report_app_version(&self, tenant_id: Uuid, device_id: Uuid, version: &str) -> ApiResult<()> {
                    retrying(|| async move {
                        let mut tx = self.scoped_report(tenant_id).await?;
                    sqlx::query(
                        "UPDATE devices SET app_version = $3 WHERE tenant_id = $1 AND id = $2 \
                         AND (app_version IS NULL OR app_version <> $3)",
                    )
                    .bind(tenant_id)
                    .bind(device_id)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                    })
                    .await
                }

                async fn categories(&self, tenant_id: Uuid) -> ApiResult<Vec<Category>> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    Self::categories_in(&mut tx, tenant_id).await
                }

                async fn create_category(&self, tenant_id: Uuid, category: &NewCategory) -> ApiResult<Category> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    let at = now();
                    let row: CategoryRow = sqlx::query_as(&format!(
                        "INSERT INTO categories (id, tenant_id, name, position, visible, created_at, updated_at) \
                         VALUES ($1, $2, $3, COALESCE($4, (SELECT COALESCE(MAX(position) + 1, 0) FROM categories \
                         WHERE tenant_id = $2)), $5, $6, $6) RETURNING {CATEGORY_COLUMNS}"
                    ))
                    .bind(ordera_protocol::new_id())
                    .bind(tenant_id)
                    .bind(category.name.as_str())
                    .bind(category.position)
                    .bind(category.visible)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                    let category = Category::from(row);
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::CategoryUpserted { category: category.clone() }).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(category)
                    })
                    .await
                }

                async fn update_category(&self, tenant_id: Uuid, id: Uuid, changes: &CategoryChanges) -> ApiResult<Category> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    let row: Option<CategoryRow> = sqlx::query_as(&format!(
                        "UPDATE categories SET name = COALESCE($3, name), position = COALESCE($4, position), \
                         visible = COALESCE($5, visible), updated_at = $6 \
                         WHERE tenant_id = $1 AND id = $2 RETURNING {CATEGORY_COLUMNS}"
                    ))
                    .bind(tenant_id)
                    .bind(id)
                    .bind(changes.name.as_ref().map(|n| n.as_str()))
                    .bind(changes.position)
                    .bind(changes.visible)
                    .bind(now())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let category = Category::from(row.ok_or(ApiError::NotFound("category"))?);
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::CategoryUpserted { category: category.clone() }).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(category)
                    })
                    .await
                }

                async fn reorder_categories(&self, tenant_id: Uuid, ids: &[Uuid]) -> ApiResult<Vec<Category>> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    let existing = Self::categories_in(&mut tx, tenant_id).await?;
                    let mut have: Vec<Uuid> = existing.iter().map(|c| c.id).collect();
                    let mut want = ids.to_vec();
                    have.sort();
                    want.sort();
                    if have != want {
                        return Err(ApiError::invalid(FieldErrors::single(
                            "ids",
                            "must list every category of the restaurant exactly once",
                        )));
                    }
                    let at = now();
                    for (position, id) in ids.iter().enumerate() {
                        sqlx::query("UPDATE categories SET position = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
                            .bind(tenant_id)
                            .bind(id)
                            .bind(position as i64)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                    }
                    let categories = Self::categories_in(&mut tx, tenant_id).await?;
                    for category in &categories {
                        Self::append_event(&mut tx, tenant_id, &mut events, Event::CategoryUpserted { category: category.clone() }).await?;
                    }
                    self.commit(tx, tenant_id, events).await?;
                    Ok(categories)
                    })
                    .await
                }

                async fn delete_category(&self, tenant_id: Uuid, id: Uuid) -> ApiResult<()> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    let products: Option<i64> = sqlx::query_scalar(
                        "SELECT (SELECT COUNT(*) FROM products p WHERE p.tenant_id = $1 AND p.category_id = $2) \
                         FROM categories WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant_id)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match products {
                        None => return Err(ApiError::NotFound("category")),
                        Some(0) => {}
                        Some(n) => {
                            return Err(ApiError::Conflict(format!(
                                "the category still holds {n} product(s); move or delete them first"
                            )))
                        }
                    }
                    sqlx::query("DELETE FROM categories WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::CategoryDeleted { id }).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(())
                    })
                    .await
                }

                async fn products(&self, tenant_id: Uuid) -> ApiResult<Vec<Product>> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    let rows: Vec<ProductRow> =
                        sqlx::query_as(&format!("{PRODUCT_SELECT} WHERE p.tenant_id = $1 ORDER BY p.position, p.id"))
                            .bind(tenant_id)
                            .fetch_all(&mut *tx)
                            .await?;
                    Ok(rows.into_iter().map(Product::from).collect())
                }

                async fn product(&self, tenant_id: Uuid, id: Uuid) -> ApiResult<Product> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    Self::product_in(&mut tx, tenant_id, id).await
                }

                async fn create_product(&self, tenant_id: Uuid, product: &NewProduct) -> ApiResult<Product> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    Self::require_category(&mut tx, tenant_id, product.category_id).await?;
                    let id = ordera_protocol::new_id();
                    let at = now();
                    sqlx::query(
                        "INSERT INTO products (id, tenant_id, category_id, name, description, price, allergens, \
                         station, available, stock, low_stock_threshold, position, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                         COALESCE($12, (SELECT COALESCE(MAX(position) + 1, 0) FROM products \
                         WHERE tenant_id = $2 AND category_id = $3)), $13, $13)",
                    )
                    .bind(id)
                    .bind(tenant_id)
                    .bind(product.category_id)
                    .bind(product.name.as_str())
                    .bind(product.description.as_str())
                    .bind(product.price.minor_units())
                    .bind(Json(&product.allergens))
                    .bind(product.station.as_str())
                    .bind(product.available)
                    .bind(product.stock)
                    .bind(product.low_stock_threshold)
                    .bind(product.position)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    let product = Self::product_in(&mut tx, tenant_id, id).await?;
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::ProductUpserted { product: product.clone() }).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(product)
                    })
                    .await
                }

                async fn update_product(&self, tenant_id: Uuid, id: Uuid, changes: &ProductChanges) -> ApiResult<Product> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    if let Some(category_id) = changes.category_id {
                        Self::require_category(&mut tx, tenant_id, category_id).await?;
                    }
                    let at = now();
                    // Switching a product on or off replaces any "until": off with one comes back then,
                    // plain off stays off, on is on.
                    let available_again_at = match changes.unavailable_until {
                        Some(until) => {
                            let tenant = Self::tenant_in(&mut tx, tenant_id).await?;
                            let back = until.resolve(&Self::business_day(&tenant)?, at);
                            if back <= at || back > at + chrono::Duration::days(MAX_UNAVAILABLE_DAYS) {
                                return Err(ApiError::invalid_field(
                                    "unavailable_until",
                                    format!("must be in the future and at most {MAX_UNAVAILABLE_DAYS} days ahead"),
                                ));
                            }
                            // Microseconds, as PostgreSQL keeps them, so both backends return what was written.
                            Some(DateTime::from_timestamp_micros(back.timestamp_micros()).unwrap_or(back))
                        }
                        None => None,
                    };
                    let updated = sqlx::query(
                        "UPDATE products SET category_id = COALESCE($3, category_id), name = COALESCE($4, name), \
                         description = COALESCE($5, description), price = COALESCE($6, price), \
                         allergens = COALESCE($7, allergens), station = COALESCE($8, station), \
                         available = COALESCE($9, available), \
                         stock = CASE WHEN $10 THEN $11 ELSE stock END, \
                         low_stock_threshold = CASE WHEN $12 THEN $13 ELSE low_stock_threshold END, \
                         position = COALESCE($14, position), updated_at = $15, \
                         available_again_at = CASE WHEN $9 IS NULL THEN available_again_at ELSE $16 END \
                         WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant_id)
                    .bind(id)
                    .bind(changes.category_id)
                    .bind(changes.name.as_ref().map(|v| v.as_str()))
                    .bind(changes.description.as_ref().map(|v| v.as_str()))
                    .bind(changes.price.map(|v| v.minor_units()))
                    .bind(changes.allergens.as_ref().map(Json))
                    .bind(changes.station.as_ref().map(|v| v.as_str()))
                    .bind(changes.available)
                    .bind(changes.stock.is_some())
                    .bind(changes.stock.flatten())
                    .bind(changes.low_stock_threshold.is_some())
                    .bind(changes.low_stock_threshold.flatten())
                    .bind(changes.position)
                    .bind(at)
                    .bind(available_again_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if updated == 0 {
                        return Err(ApiError::NotFound("product"));
                    }
                    let product = Self::product_in(&mut tx, tenant_id, id).await?;
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::ProductUpserted { product: product.clone() }).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(product)
                    })
                    .await
                }

                async fn delete_product(&self, tenant_id: Uuid, id: Uuid) -> ApiResult<()> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    let image: Option<Option<Uuid>> =
                        sqlx::query_scalar("DELETE FROM products WHERE tenant_id = $1 AND id = $2 RETURNING image_id")
                            .bind(tenant_id)
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    let image = image.ok_or(ApiError::NotFound("product"))?;
                    if let Some(image_id) = image {
                        sqlx::query("DELETE FROM images WHERE tenant_id = $1 AND id = $2")
                            .bind(tenant_id)
                            .bind(image_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::ProductDeleted { id }).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(())
                    })
                    .await
                }

                async fn set_product_image(&self, tenant_id: Uuid, product_id: Uuid, image: &NewImage) -> ApiResult<Product> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    let previous: Option<Option<Uuid>> =
                        sqlx::query_scalar("SELECT image_id FROM products WHERE tenant_id = $1 AND id = $2")
                            .bind(tenant_id)
                            .bind(product_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    let previous = previous.ok_or(ApiError::NotFound("product"))?;
                    sqlx::query(
                        "INSERT INTO images (id, tenant_id, width, height, display_bytes, thumb_bytes, etag, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(image.id)
                    .bind(tenant_id)
                    .bind(i64::from(image.width))
                    .bind(i64::from(image.height))
                    .bind(&image.display)
                    .bind(&image.thumb)
                    .bind(&image.etag)
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE products SET image_id = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant_id)
                        .bind(product_id)
                        .bind(image.id)
                        .bind(now())
                        .execute(&mut *tx)
                        .await?;
                    if let Some(old) = previous {
                        sqlx::query("DELETE FROM images WHERE tenant_id = $1 AND id = $2")
                            .bind(tenant_id)
                            .bind(old)
                            .execute(&mut *tx)
                            .await?;
                    }
                    let product = Self::product_in(&mut tx, tenant_id, product_id).await?;
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::ProductUpserted { product: product.clone() }).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(product)
                    })
                    .await
                }

                async fn image(&self, tenant_id: Uuid, image_id: Uuid) -> ApiResult<StoredImage> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    let row: Option<(Vec<u8>, Vec<u8>, String)> = sqlx::query_as(
                        "SELECT display_bytes, thumb_bytes, etag FROM images WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant_id)
                    .bind(image_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let (display, thumb, etag) = row.ok_or(ApiError::NotFound("image"))?;
                    Ok(StoredImage { display, thumb, etag })
                }

                async fn products_due_back(&self, at: DateTime<Utc>) -> ApiResult<Vec<(Uuid, Uuid)>> {
                    // Across restaurants, like pruning; each product is then brought back in its own
                    // restaurant's scope.
                    let mut tx = self.unscoped().await?;
                    let due: Vec<(Uuid, Uuid)> = sqlx::query_as(
                        "SELECT tenant_id, id FROM products \
                         WHERE available_again_at IS NOT NULL AND available_again_at <= $1 \
                         ORDER BY available_again_at LIMIT 1000",
                    )
                    .bind(at)
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(due)
                }

                async fn bring_back(
                    &self,
                    tenant_id: Uuid,
                    product_id: Uuid,
                    at: DateTime<Utc>,
                ) -> ApiResult<Option<Product>> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    // Conditional on the product still being due: of several instances (or a manager's
                    // change racing this one) exactly one write wins and only it logs the product.
                    let changed = sqlx::query(
                        "UPDATE products SET available = $4, available_again_at = NULL, updated_at = $3 \
                         WHERE tenant_id = $1 AND id = $2 \
                         AND available_again_at IS NOT NULL AND available_again_at <= $3",
                    )
                    .bind(tenant_id)
                    .bind(product_id)
                    .bind(at)
                    .bind(true)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if changed == 0 {
                        return Ok(None);
                    }
                    let product = Self::product_in(&mut tx, tenant_id, product_id).await?;
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::ProductUpserted { product: product.clone() })
                        .await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(Some(product))
                    })
                    .await
                }

                async fn keep_refused(
                    &self,
                    tenant_id: Uuid,
                    device_id: Uuid,
                    order: &NewOrder,
                    reason: String,
                ) -> ApiResult<CommandResult> {
                    retrying(|| {
                        let reason = reason.clone();
                        async move {
                            let mut tx = self.scoped(tenant_id).await?;
                            // Placed already (its answer was lost, and it came back changed), or refused before
                            // (the first reason stands): nothing to keep.
                            if let Some(answer) = Self::earlier_answer(&mut tx, tenant_id, order.id).await? {
                                return Ok(answer);
                            }
                            self.refuse(tx, tenant_id, Some(device_id), order, reason).await
                        }
                    })
                    .await
                }

                async fn place_order(&self, tenant_id: Uuid, actor: Actor, order: &NewOrder) -> ApiResult<CommandResult> {
                    retrying(|| async move {
                    let device_id = actor.device_id();
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                        // The restaurant's lock (taken by `scoped`) serialises its orders: the duplicate check,
                        // the ticket number and the stock below all see every order committed before this one.
                    if let Some(answer) = Self::earlier_answer(&mut tx, tenant_id, order.id).await? {
                        return Ok(answer);
                    }
                    let tenant = Self::tenant_in(&mut tx, tenant_id).await?;
                    let mut items = Vec::with_capacity(order.lines.len());
                    let mut wanted: Vec<(Uuid, i64)> = Vec::new();
                    let mut total = Money::ZERO;
                    for line in &order.lines {
                        let product = match Self::product_in(&mut tx, tenant_id, line.product_id).await {
                            Ok(product) => product,
                            Err(ApiError::NotFound(_)) => {
                                let reason = "an item on this order is no longer on the menu".to_owned();
                                return self.refuse(tx, tenant_id, device_id, order, reason).await;
                            }
                            Err(error) => return Err(error),
                        };
                        if !product.orderable() {
                            let reason = format!("{} is sold out", product.name);
                            return self.refuse(tx, tenant_id, device_id, order, reason).await;
                        }
                        let quantity = match wanted.iter_mut().find(|(id, _)| *id == product.id) {
                            Some((_, quantity)) => {
                                *quantity += line.quantity;
                                *quantity
                            }
                            None => {
                                wanted.push((product.id, line.quantity));
                                line.quantity
                            }
                        };
                        if let Some(stock) = product.stock {
                            if quantity > stock {
                                let reason = format!("only {stock} {} left", product.name);
                                return self.refuse(tx, tenant_id, device_id, order, reason).await;
                            }
                        }
                        let item = OrderItem {
                            product_id: product.id,
                            name: product.name,
                            unit_price: product.price,
                            quantity: line.quantity,
                            note: line.note.clone(),
                            station: product.station,
                            done_at: None,
                        };
                        total = total
                            .checked_add(item.line_total())
                            .ok_or_else(|| ApiError::invalid_field("items", "the order total is too large"))?;
                        items.push(item);
                    }
                    for (product_id, quantity) in &wanted {
                        Self::adjust_stock(&mut tx, tenant_id, &mut events, *product_id, -quantity).await?;
                    }
                    let placed_at = now();
                    let history = vec![Self::step(&mut tx, tenant_id, actor, OrderStatus::Placed, placed_at).await?];
                    // The ticket number restarts with each business day, which may start after midnight.
                    let business_date = Self::business_day(&tenant)?.date_of(placed_at);
                    let number: i64 = sqlx::query_scalar(
                        "SELECT COALESCE(MAX(number), 0) + 1 FROM orders WHERE tenant_id = $1 AND business_date = $2",
                    )
                    .bind(tenant_id)
                    .bind(business_date)
                    .fetch_one(&mut *tx)
                    .await?;
                    let search_text = items
                        .iter()
                        .flat_map(|item| [item.name.as_str(), item.note.as_str()])
                        .chain([order.note.as_str()])
                        .filter(|text| !text.is_empty())
                        .collect::<Vec<_>>()
                        .join(" | ")
                        .to_lowercase();
                    sqlx::query(
                        "INSERT INTO orders (id, tenant_id, number, business_date, order_type, status, items, \
                         search_text, total, note, device_id, placed_at, updated_at, history) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)",
                    )
                    .bind(order.id)
                    .bind(tenant_id)
                    .bind(number)
                    .bind(business_date)
                    .bind(order.order_type.as_str())
                    .bind(OrderStatus::Placed.as_str())
                    .bind(Json(&items))
                    .bind(search_text)
                    .bind(total.minor_units())
                    .bind(&order.note)
                    .bind(device_id)
                    .bind(placed_at)
                    .bind(Json(&history))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_on_unique(e, "this order id is already in use"))?;
                    let placed = Self::order_in(&mut tx, tenant_id, order.id)
                        .await?
                        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("an inserted order is missing")))?;
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::OrderUpserted { order: placed.clone() })
                        .await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(CommandResult::applied(placed))
                    })
                    .await
                }

                async fn change_status(
                    &self,
                    tenant_id: Uuid,
                    order_id: Uuid,
                    command_id: Uuid,
                    action: StatusAction,
                    reason: Option<String>,
                    actor: Actor,
                ) -> ApiResult<CommandResult> {
                    let reason = reason.as_deref();
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    if let Some(result) = Self::recorded(&mut tx, tenant_id, command_id).await? {
                        return Ok(result);
                    }
                    let order = Self::order_in(&mut tx, tenant_id, order_id).await?.ok_or(ApiError::NotFound("order"))?;
                    let result = match order.status.apply(action) {
                        Transition::Unchanged => CommandResult::unchanged(order),
                        Transition::Rejected(why) => CommandResult::rejected(why, Some(order)),
                        Transition::To(next) => {
                            let step = Self::step(&mut tx, tenant_id, actor, next, now()).await?;
                            Self::move_order(&mut tx, tenant_id, &order, next, reason.as_deref(), step).await?;
                            if next == OrderStatus::Cancelled {
                                // A cancelled order gives its portions back.
                                let mut returned: Vec<(Uuid, i64)> = Vec::new();
                                for item in &order.items {
                                    match returned.iter_mut().find(|(id, _)| *id == item.product_id) {
                                        Some((_, quantity)) => *quantity += item.quantity,
                                        None => returned.push((item.product_id, item.quantity)),
                                    }
                                }
                                for (product_id, quantity) in returned {
                                    Self::adjust_stock(&mut tx, tenant_id, &mut events, product_id, quantity).await?;
                                }
                            }
                            let changed = Self::order_in(&mut tx, tenant_id, order_id)
                                .await?
                                .ok_or(ApiError::NotFound("order"))?;
                            Self::append_event(&mut tx, tenant_id, &mut events, Event::OrderUpserted { order: changed.clone() })
                                .await?;
                            CommandResult::applied(changed)
                        }
                    };
                    Self::record(&mut tx, tenant_id, command_id, &result).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(result)
                    })
                    .await
                }

                async fn mark_items(
                    &self,
                    tenant_id: Uuid,
                    order_id: Uuid,
                    command_id: Uuid,
                    items: &[usize],
                    done: bool,
                    actor: Actor,
                ) -> ApiResult<CommandResult> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    let mut events = Vec::new();
                    if let Some(result) = Self::recorded(&mut tx, tenant_id, command_id).await? {
                        return Ok(result);
                    }
                    let order = Self::order_in(&mut tx, tenant_id, order_id).await?.ok_or(ApiError::NotFound("order"))?;
                    let result = if let Some(&missing) = items.iter().find(|&&index| index >= order.items.len()) {
                        let reason = format!(
                            "this order has no line {missing}: its lines are numbered 0 to {}",
                            order.items.len().saturating_sub(1)
                        );
                        CommandResult::rejected(reason, Some(order))
                    } else if !order.status.is_active() {
                        CommandResult::rejected("the order is no longer in the kitchen", Some(order))
                    } else {
                        let at = now();
                        let mut lines = order.items.clone();
                        let Marked { changed: marked, next } = mark_lines(order.status, &mut lines, items, done, at);
                        if !marked && next.is_none() {
                            CommandResult::unchanged(order)
                        } else {
                            if marked {
                                sqlx::query("UPDATE orders SET items = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
                                    .bind(tenant_id)
                                    .bind(order_id)
                                    .bind(Json(&lines))
                                    .bind(at)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            if let Some(next) = next {
                                let step = Self::step(&mut tx, tenant_id, actor, next, at).await?;
                                Self::move_order(&mut tx, tenant_id, &order, next, None, step).await?;
                            }
                            let changed = Self::order_in(&mut tx, tenant_id, order_id)
                                .await?
                                .ok_or(ApiError::NotFound("order"))?;
                            Self::append_event(&mut tx, tenant_id, &mut events, Event::OrderUpserted { order: changed.clone() })
                                .await?;
                            CommandResult::applied(changed)
                        }
                    };
                    Self::record(&mut tx, tenant_id, command_id, &result).await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(result)
                    })
                    .await
                }

                async fn order(&self, tenant_id: Uuid, id: Uuid) -> ApiResult<Order> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    Self::order_in(&mut tx, tenant_id, id).await?.ok_or(ApiError::NotFound("order"))
                }

                async fn refused_orders(&self, tenant_id: Uuid, all: bool) -> ApiResult<Vec<RefusedOrder>> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    let query = if all {
                        format!("SELECT {REFUSED_COLUMNS} FROM refused_orders WHERE tenant_id = $1 \
                                 ORDER BY refused_at DESC, id DESC LIMIT 200")
                    } else {
                        format!("SELECT {REFUSED_COLUMNS} FROM refused_orders WHERE tenant_id = $1 \
                                 AND resolved_at IS NULL ORDER BY refused_at, id")
                    };
                    let rows: Vec<RefusedRow> = sqlx::query_as(&query).bind(tenant_id).fetch_all(&mut *tx).await?;
                    rows.into_iter().map(RefusedRow::into_refusal).collect()
                }

                async fn resolve_refusal(&self, tenant_id: Uuid, id: Uuid) -> ApiResult<RefusedOrder> {
                    retrying(|| async move {
                    let mut tx = self.scoped(tenant_id).await?;
                    // Under the restaurant's lock, like placing: two people settling at once, or a device
                        // sending the order again meanwhile, queue instead of both writing.
                    let row: Option<RefusedRow> = sqlx::query_as(&format!(
                        "SELECT {REFUSED_COLUMNS} FROM refused_orders WHERE tenant_id = $1 AND id = $2"
                    ))
                    .bind(tenant_id)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let mut refusal = row.ok_or(ApiError::NotFound("refused order"))?.into_refusal()?;
                    if refusal.resolved_at.is_some() {
                        return Ok(refusal);
                    }
                    let at = now();
                    sqlx::query("UPDATE refused_orders SET resolved_at = $3 WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant_id)
                        .bind(id)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    refusal.resolved_at = Some(at);
                    let mut events = Vec::new();
                    Self::append_event(&mut tx, tenant_id, &mut events, Event::RefusalUpserted { refusal: refusal.clone() })
                        .await?;
                    self.commit(tx, tenant_id, events).await?;
                    Ok(refusal)
                    })
                    .await
                }

                async fn orders(&self, tenant_id: Uuid, filter: &OrderFilter) -> ApiResult<(Vec<Order>, i64)> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    Self::orders_in(&mut tx, tenant_id, filter).await
                }

                async fn orders_after(
                    &self,
                    tenant_id: Uuid,
                    filter: &OrderFilter,
                    after: Option<(DateTime<Utc>, Uuid)>,
                ) -> ApiResult<Vec<Order>> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    let business_day = Self::business_day(&Self::tenant_in(&mut tx, tenant_id).await?)?;
                    let from = filter.from.map(|date| business_day.starts_at(date));
                    let before = filter.to.map(|date| business_day.range(date).1);
                    let search = filter.search.as_deref().map(like_pattern);
                    let search_number = filter.search.as_deref().and_then(|q| q.trim().parse::<i64>().ok());
                    // The same filter as `orders_in`, continued after the last order read (by the order the
                    // history is sorted in), so that orders placed meanwhile neither shift nor repeat a page.
                    let rows: Vec<OrderRow> = sqlx::query_as(&format!(
                        "SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 \
                         AND ($2 IS NULL OR placed_at >= $2) AND ($3 IS NULL OR placed_at < $3) \
                         AND ($4 IS NULL OR status = $4) AND ($5 IS NULL OR order_type = $5) \
                         AND ($6 IS NULL OR number = $6) \
                         AND ($7 IS NULL OR search_text LIKE $7 ESCAPE '\\' OR number = $8) \
                         AND ($9 IS NULL OR (placed_at, id) < ($9, $10)) \
                         ORDER BY placed_at DESC, id DESC LIMIT $11"
                    ))
                    .bind(tenant_id)
                    .bind(from)
                    .bind(before)
                    .bind(filter.status.map(OrderStatus::as_str))
                    .bind(filter.order_type.map(|t| t.as_str()))
                    .bind(filter.number)
                    .bind(search.as_deref())
                    .bind(search_number)
                    .bind(after.map(|(at, _)| at))
                    .bind(after.map(|(_, id)| id))
                    .bind(filter.limit)
                    .fetch_all(&mut *tx)
                    .await?;
                    rows.into_iter().map(OrderRow::into_order).collect()
                }

                async fn orders_as_of(&self, tenant_id: Uuid, filter: &OrderFilter) -> ApiResult<(Vec<Order>, Cursor)> {
                    // One consistent read, as the snapshot's: the orders are exactly those of the log up to
                    // the cursor, so a figure computed from them is "as of" it.
                    let mut tx = self.snapshot_tx(tenant_id).await?;
                    let (epoch, seq): (i64, i64) = sqlx::query_as("SELECT epoch, last_seq FROM tenants WHERE id = $1")
                        .bind(tenant_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or(ApiError::NotFound("restaurant"))?;
                    let (orders, _) = Self::orders_in(&mut tx, tenant_id, filter).await?;
                    Ok((orders, Cursor { epoch, seq }))
                }

                async fn snapshot(&self, tenant_id: Uuid, audience: Audience) -> ApiResult<Snapshot> {
                    let mut tx = self.snapshot_tx(tenant_id).await?;
                    let (epoch, seq): (i64, i64) = sqlx::query_as("SELECT epoch, last_seq FROM tenants WHERE id = $1")
                        .bind(tenant_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or(ApiError::NotFound("restaurant"))?;
                    let tenant = Self::tenant_in(&mut tx, tenant_id).await?;
                    let today = Self::business_day(&tenant)?.date_of(now());
                    let categories = Self::categories_in(&mut tx, tenant_id).await?;
                    let products: Vec<ProductRow> = sqlx::query_as(&format!(
                        "{PRODUCT_SELECT} WHERE p.tenant_id = $1 ORDER BY p.position, p.id"
                    ))
                    .bind(tenant_id)
                    .fetch_all(&mut *tx)
                    .await?;
                    // The queries fetch what the audience sees; `Audience::trim` below is the rule itself.
                    let orders: Vec<OrderRow> = match audience {
                        Audience::Staff => sqlx::query_as(&format!(
                            "SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 \
                             AND (status IN ('placed', 'preparing', 'ready') OR business_date = $2) ORDER BY placed_at, id"
                        ))
                        .bind(tenant_id)
                        .bind(today)
                        .fetch_all(&mut *tx)
                        .await?,
                        Audience::Kiosk { device_id } => sqlx::query_as(&format!(
                            "SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 AND device_id = $2 \
                             AND business_date = $3 ORDER BY placed_at, id"
                        ))
                        .bind(tenant_id)
                        .bind(device_id)
                        .bind(today)
                        .fetch_all(&mut *tx)
                        .await?,
                    };
                    let refusals: Vec<RefusedRow> = match audience {
                        Audience::Staff => sqlx::query_as(&format!(
                            "SELECT {REFUSED_COLUMNS} FROM refused_orders WHERE tenant_id = $1 \
                             AND resolved_at IS NULL ORDER BY refused_at, id"
                        ))
                        .bind(tenant_id)
                        .fetch_all(&mut *tx)
                        .await?,
                        Audience::Kiosk { device_id } => sqlx::query_as(&format!(
                            "SELECT {REFUSED_COLUMNS} FROM refused_orders WHERE tenant_id = $1 \
                             AND device_id = $2 AND resolved_at IS NULL ORDER BY refused_at, id"
                        ))
                        .bind(tenant_id)
                        .bind(device_id)
                        .fetch_all(&mut *tx)
                        .await?,
                    };
                    Ok(audience.trim(Snapshot {
                        cursor: Cursor { epoch, seq },
                        tenant,
                        categories,
                        products: products.into_iter().map(Product::from).collect(),
                        orders: orders.into_iter().map(OrderRow::into_order).collect::<ApiResult<Vec<_>>>()?,
                        refusals: refusals.into_iter().map(RefusedRow::into_refusal).collect::<ApiResult<Vec<_>>>()?,
                    }))
                }

                async fn head(&self, tenant_id: Uuid) -> ApiResult<Cursor> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    let (epoch, seq): (i64, i64) = sqlx::query_as("SELECT epoch, last_seq FROM tenants WHERE id = $1")
                        .bind(tenant_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or(ApiError::NotFound("restaurant"))?;
                    Ok(Cursor { epoch, seq })
                }

                async fn oldest_seq(&self, tenant_id: Uuid) -> ApiResult<Option<i64>> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    Ok(sqlx::query_scalar("SELECT MIN(seq) FROM events WHERE tenant_id = $1")
                        .bind(tenant_id)
                        .fetch_one(&mut *tx)
                        .await?)
                }

                async fn prune(&self, before: DateTime<Utc>) -> ApiResult<u64> {
                    retrying(|| async move {
                    let mut tx = self.unscoped().await?;
                    let events = sqlx::query("DELETE FROM events WHERE at < $1").bind(before).execute(&mut *tx).await?;
                    let commands =
                        sqlx::query("DELETE FROM commands WHERE created_at < $1").bind(before).execute(&mut *tx).await?;
                    // Past their expiry they open nothing: they only take room and say who signed in when.
                    let sessions =
                        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now()).execute(&mut *tx).await?;
                    let codes = sqlx::query("DELETE FROM pairing_codes WHERE expires_at < $1")
                        .bind(now())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(events.rows_affected()
                        + commands.rows_affected()
                        + sessions.rows_affected()
                        + codes.rows_affected())
                    })
                    .await
                }

                async fn new_epoch(&self) -> ApiResult<u64> {
                    retrying(|| async move {
                        let mut tx = self.unscoped().await?;
                        let moved = sqlx::query("UPDATE tenants SET epoch = epoch + 1").execute(&mut *tx).await?;
                        tx.commit().await?;
                        Ok(moved.rows_affected())
                    })
                    .await
                }

                async fn events_since(&self, tenant_id: Uuid, since: i64, limit: i64) -> ApiResult<Vec<LoggedEvent>> {
                    let mut tx = self.scoped_read(tenant_id).await?;
                    let rows: Vec<EventRow> = sqlx::query_as(
                        "SELECT seq, at, payload FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    )
                    .bind(tenant_id)
                    .bind(since)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                    Ok(rows.into_iter().map(LoggedEvent::from).collect())
                }
            }
        };
    };
}
