//! Storage. One [`Store`] trait, two implementations over sqlx: PostgreSQL (production, with row-level
//! security) and SQLite (the embedded default). Both are written once, in [`sql`], and compiled per backend;
//! only how a transaction starts differs (see each backend's `begin_scoped` function).
//!
//! Every change that clients must see appends its event to the tenant's log in the same transaction.

use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use ordera_protocol::api::{
    Category, CategoryChanges, Device, DeviceChanges, ImageRef, NewCategory, NewProduct, Product, ProductChanges,
    Tenant, TenantChanges, User, UserChanges,
};
use ordera_protocol::orders::{
    CommandResult, NewOrder, Order, OrderItem, RefusedItem, RefusedOrder, StatusAction, StatusStep,
};
use ordera_protocol::sync::{Audience, Cursor, LoggedEvent, Snapshot};
use ordera_protocol::{Allergen, DeviceKind, OrderStatus, OrderType, Role};
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

#[macro_use]
mod sql;
pub mod postgres;
pub mod sqlite;

/// The events of one committed transaction, on their way to fan-out.
#[derive(Debug, Clone)]
pub struct Committed {
    pub tenant_id: Uuid,
    pub events: Vec<LoggedEvent>,
}

/// Where a store sends what it committed. Unbounded: a commit must never wait on fan-out, and the
/// receiver (the app's publisher task) forwards at once.
pub type Publisher = tokio::sync::mpsc::UnboundedSender<Committed>;
pub type Committals = tokio::sync::mpsc::UnboundedReceiver<Committed>;

/// Opens the store a URL names, applies its migrations, and returns it with the stream of its commits.
pub async fn connect(url: &str) -> anyhow::Result<(std::sync::Arc<dyn Store>, Committals)> {
    let (publisher, committals) = tokio::sync::mpsc::unbounded_channel();
    let store: std::sync::Arc<dyn Store> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        std::sync::Arc::new(postgres::PgStore::connect(url, publisher).await?)
    } else if url.starts_with("sqlite:") {
        std::sync::Arc::new(sqlite::SqliteStore::connect(url, publisher).await?)
    } else {
        anyhow::bail!("DATABASE_URL must start with postgres:// or sqlite://")
    };
    Ok((store, committals))
}

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// "postgres" or "sqlite", for logs and `/readyz`.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> ApiResult<()>;
    /// The pool's open connections and how many of them are idle.
    fn pool_connections(&self) -> (u32, usize);

    // Accounts
    async fn signup(&self, tenant: &NewTenant, owner: &NewUserRow) -> ApiResult<(Tenant, User)>;
    async fn tenant(&self, tenant_id: Uuid) -> ApiResult<Tenant>;
    async fn update_tenant(&self, tenant_id: Uuid, changes: &TenantChanges) -> ApiResult<Tenant>;
    async fn credentials(&self, email: &str) -> ApiResult<Option<Credentials>>;
    async fn create_session(&self, session: &NewSession) -> ApiResult<()>;
    async fn delete_session(&self, token_hash: &[u8]) -> ApiResult<()>;
    /// Whose a token is; `device` says which table to look in (the token's prefix tells).
    async fn token_owner(&self, token_hash: &[u8], device: bool) -> ApiResult<Option<TokenOwner>>;
    async fn users(&self, tenant_id: Uuid) -> ApiResult<Vec<User>>;
    async fn user(&self, tenant_id: Uuid, user_id: Uuid) -> ApiResult<User>;
    async fn create_user(&self, tenant_id: Uuid, user: &NewUserRow) -> ApiResult<User>;
    /// Deactivating ends the user's sessions; the last active owner cannot be demoted or deactivated.
    async fn update_user(&self, tenant_id: Uuid, user_id: Uuid, changes: &UserChanges) -> ApiResult<User>;
    async fn set_password(&self, tenant_id: Uuid, user_id: Uuid, password_hash: &str) -> ApiResult<()>;
    /// Sets a user's new password and ends every session of theirs but `keep` (the caller's own, when
    /// people reset their own password), in one transaction.
    async fn reset_password(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        password_hash: &str,
        keep: Option<&[u8]>,
    ) -> ApiResult<User>;

    // Devices
    async fn create_pairing_code(&self, code: &NewPairingCode) -> ApiResult<()>;
    /// Redeems an unexpired, unused code once; `None` when there is no such code.
    async fn pair_device(&self, code_hash: &[u8], device: &NewDevice) -> ApiResult<Option<(Tenant, Device)>>;
    /// The restaurant's devices, each with how far behind the log's head it was at its last report.
    async fn devices(&self, tenant_id: Uuid) -> ApiResult<Vec<Device>>;
    async fn touch_device(&self, tenant_id: Uuid, device_id: Uuid, at: DateTime<Utc>) -> ApiResult<()>;
    /// Keeps what a device reported with its ping (the log position it has applied, its waiting changes).
    /// Not an event: a manager reads it with the device list.
    async fn report_position(&self, tenant_id: Uuid, device_id: Uuid, report: &PositionReport) -> ApiResult<()>;
    async fn revoke_device(&self, tenant_id: Uuid, device_id: Uuid) -> ApiResult<Device>;
    /// Renames a device; every screen hears of it.
    async fn update_device(&self, tenant_id: Uuid, device_id: Uuid, changes: &DeviceChanges) -> ApiResult<Device>;
    /// Keeps the app version a device said it runs when it connected (written only when it changed).
    async fn report_app_version(&self, tenant_id: Uuid, device_id: Uuid, version: &str) -> ApiResult<()>;

    // Menu
    async fn categories(&self, tenant_id: Uuid) -> ApiResult<Vec<Category>>;
    async fn create_category(&self, tenant_id: Uuid, category: &NewCategory) -> ApiResult<Category>;
    async fn update_category(&self, tenant_id: Uuid, id: Uuid, changes: &CategoryChanges) -> ApiResult<Category>;
    async fn reorder_categories(&self, tenant_id: Uuid, ids: &[Uuid]) -> ApiResult<Vec<Category>>;
    /// Refused with 409 while the category still holds products.
    async fn delete_category(&self, tenant_id: Uuid, id: Uuid) -> ApiResult<()>;
    async fn products(&self, tenant_id: Uuid) -> ApiResult<Vec<Product>>;
    async fn product(&self, tenant_id: Uuid, id: Uuid) -> ApiResult<Product>;
    async fn create_product(&self, tenant_id: Uuid, product: &NewProduct) -> ApiResult<Product>;
    async fn update_product(&self, tenant_id: Uuid, id: Uuid, changes: &ProductChanges) -> ApiResult<Product>;
    async fn delete_product(&self, tenant_id: Uuid, id: Uuid) -> ApiResult<()>;
    /// Stores a processed image and points the product at it, dropping the image it replaces.
    async fn set_product_image(&self, tenant_id: Uuid, product_id: Uuid, image: &NewImage) -> ApiResult<Product>;
    async fn image(&self, tenant_id: Uuid, image_id: Uuid) -> ApiResult<StoredImage>;
    /// Products of every restaurant switched off until a time at or before `at`: `(tenant, product)`.
    async fn products_due_back(&self, at: DateTime<Utc>) -> ApiResult<Vec<(Uuid, Uuid)>>;
    /// Switches a product due back on and logs it, once: a product switched on meanwhile, switched off
    /// again until later, or brought back by another server instance first, is left alone (`None`).
    async fn bring_back(&self, tenant_id: Uuid, product_id: Uuid, at: DateTime<Utc>) -> ApiResult<Option<Product>>;

    // Orders
    /// Places an order once: a repeated id returns the original (`Unchanged`); an unknown or sold-out
    /// product rejects it and changes nothing. A device that places it is the order's device.
    async fn place_order(&self, tenant_id: Uuid, actor: Actor, order: &NewOrder) -> ApiResult<CommandResult>;
    /// Keeps an order a device saved and the server refused before it reached the menu (its content was
    /// invalid, or the device may not place orders), as the menu's refusals are kept: staff see it, and the
    /// same order sent again is refused with the same reason and kept once.
    async fn keep_refused(
        &self,
        tenant_id: Uuid,
        device_id: Uuid,
        order: &NewOrder,
        reason: String,
    ) -> ApiResult<CommandResult>;
    /// Applies a status action once per `command_id`; a repeated id returns the recorded result.
    async fn change_status(
        &self,
        tenant_id: Uuid,
        order_id: Uuid,
        command_id: Uuid,
        action: StatusAction,
        reason: Option<String>,
        actor: Actor,
    ) -> ApiResult<CommandResult>;
    /// Marks lines (by position, sorted and without repeats) done or not done, once per `command_id` as
    /// status changes are. The order follows its lines: the first line done starts it, every line done makes
    /// it ready, and a mark taken back from a ready order takes it back to preparing.
    async fn mark_items(
        &self,
        tenant_id: Uuid,
        order_id: Uuid,
        command_id: Uuid,
        items: &[usize],
        done: bool,
        actor: Actor,
    ) -> ApiResult<CommandResult>;
    async fn order(&self, tenant_id: Uuid, id: Uuid) -> ApiResult<Order>;
    /// Orders devices saved that were refused for good: the open ones, oldest first, or (`all`) the newest
    /// 200 of any kind.
    async fn refused_orders(&self, tenant_id: Uuid, all: bool) -> ApiResult<Vec<RefusedOrder>>;
    /// Marks a refused order as settled by staff; settling it again changes nothing.
    async fn resolve_refusal(&self, tenant_id: Uuid, id: Uuid) -> ApiResult<RefusedOrder>;
    /// A page of history, newest first, and the number of orders matching the filter.
    async fn orders(&self, tenant_id: Uuid, filter: &OrderFilter) -> ApiResult<(Vec<Order>, i64)>;
    /// Up to `filter.limit` orders matching the filter, newest first as the history is, after `after` (the
    /// placing time and id of the last one read), without counting them all: an export's next page.
    async fn orders_after(
        &self,
        tenant_id: Uuid,
        filter: &OrderFilter,
        after: Option<(DateTime<Utc>, Uuid)>,
    ) -> ApiResult<Vec<Order>>;
    /// The orders matching the filter (not paged beyond its limit), read at one instant with the log
    /// position they reflect: what a report is "as of".
    async fn orders_as_of(&self, tenant_id: Uuid, filter: &OrderFilter) -> ApiResult<(Vec<Order>, Cursor)>;

    // Sync
    async fn snapshot(&self, tenant_id: Uuid, audience: Audience) -> ApiResult<Snapshot>;
    async fn head(&self, tenant_id: Uuid) -> ApiResult<Cursor>;
    /// The oldest sequence number still in the log, if any.
    async fn oldest_seq(&self, tenant_id: Uuid) -> ApiResult<Option<i64>>;
    async fn events_since(&self, tenant_id: Uuid, since: i64, limit: i64) -> ApiResult<Vec<LoggedEvent>>;
    /// Drops log entries and command records from before `before`, and sessions and pairing codes past their
    /// expiry; returns how many rows went.
    async fn prune(&self, before: DateTime<Utc>) -> ApiResult<u64>;
    /// Moves every restaurant to a new epoch (after a restore from backup): each device's cursor then
    /// belongs to a history that is gone, and it takes a fresh snapshot, keeping what it has yet to send.
    /// Returns how many restaurants moved.
    async fn new_epoch(&self) -> ApiResult<u64>;
}

/// History filters; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// First and last business day, inclusive: the store turns them into the instants the restaurant's
    /// [`BusinessDay`](ordera_protocol::api::BusinessDay) gives them, so history, reports and the export
    /// count the same days.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub status: Option<OrderStatus>,
    pub order_type: Option<OrderType>,
    pub number: Option<i64>,
    /// Matched case-insensitively against item names and notes.
    pub search: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

// ---------------------------------------------------------------------------------------------------------
// What goes in

pub struct NewTenant {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
    pub currency: String,
}

pub struct NewUserRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
}

pub struct NewSession {
    pub token_hash: Vec<u8>,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

pub struct NewPairingCode {
    pub code_hash: Vec<u8>,
    pub tenant_id: Uuid,
    pub kind: DeviceKind,
    pub name: String,
    pub created_by: Uuid,
    pub expires_at: DateTime<Utc>,
}

pub struct NewDevice {
    pub id: Uuid,
    pub token_hash: Vec<u8>,
}

/// Who made a change to an order, for its history. The store records the device's or the person's name
/// as it is at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Device(Uuid),
    User(Uuid),
}

impl Actor {
    pub fn device_id(self) -> Option<Uuid> {
        match self {
            Actor::Device(id) => Some(id),
            Actor::User(_) => None,
        }
    }
}

/// What a device said with its ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionReport {
    /// The log position it has applied up to.
    pub position: Option<i64>,
    /// How many changes it has waiting to be sent.
    pub outbox: Option<i64>,
    pub at: DateTime<Utc>,
}

pub struct NewImage {
    pub id: Uuid,
    pub width: u32,
    pub height: u32,
    pub display: Vec<u8>,
    pub thumb: Vec<u8>,
    pub etag: String,
}

// ---------------------------------------------------------------------------------------------------------
// What comes out

/// A login's account, with its password hash for verification.
pub struct Credentials {
    pub user: User,
    pub tenant_id: Uuid,
    pub password_hash: String,
}

/// Whose a bearer token is.
pub enum TokenOwner {
    Session { tenant_id: Uuid, user_id: Uuid, role: Role, active: bool, expires_at: DateTime<Utc> },
    Device { tenant_id: Uuid, device_id: Uuid, kind: DeviceKind, revoked: bool, last_seen_at: Option<DateTime<Utc>> },
}

pub struct StoredImage {
    pub display: Vec<u8>,
    pub thumb: Vec<u8>,
    pub etag: String,
}

// ---------------------------------------------------------------------------------------------------------
// Rows, shared by both backends

fn corrupt(what: &str, value: &str) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("stored {what} {value:?} is not valid"))
}

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: Uuid,
    name: String,
    timezone: String,
    currency: String,
    created_at: DateTime<Utc>,
    kitchen_warn_minutes: i64,
    kitchen_late_minutes: i64,
    business_day_start_minutes: i64,
    kiosk_idle_seconds: i64,
    kiosk_pin_hash: Option<String>,
}

impl From<TenantRow> for Tenant {
    fn from(row: TenantRow) -> Self {
        // The column's check keeps it within the day; a corrupt value reads as midnight.
        let business_day_start = u32::try_from(row.business_day_start_minutes * 60)
            .ok()
            .and_then(|seconds| chrono::NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0))
            .unwrap_or_default();
        Tenant {
            id: row.id,
            name: row.name,
            timezone: row.timezone,
            currency: row.currency,
            created_at: row.created_at,
            kitchen_warn_minutes: row.kitchen_warn_minutes,
            kitchen_late_minutes: row.kitchen_late_minutes,
            business_day_start,
            kiosk_idle_seconds: row.kiosk_idle_seconds,
            kiosk_pin_hash: row.kiosk_pin_hash,
        }
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    tenant_id: Uuid,
    email: String,
    name: String,
    role: String,
    active: bool,
    created_at: DateTime<Utc>,
    password_hash: String,
}

impl UserRow {
    fn into_user(self) -> ApiResult<User> {
        let role = self.role.parse().map_err(|_| corrupt("role", &self.role))?;
        Ok(User {
            id: self.id,
            email: self.email,
            name: self.name,
            role,
            active: self.active,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    id: Uuid,
    name: String,
    kind: String,
    created_at: DateTime<Utc>,
    last_seen_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    position: Option<i64>,
    position_at: Option<DateTime<Utc>>,
    outbox: Option<i64>,
    app_version: Option<String>,
}

impl DeviceRow {
    /// The device; `behind` is filled in only where the log's head is at hand (the device list).
    fn into_device(self) -> ApiResult<Device> {
        let kind = self.kind.parse().map_err(|_| corrupt("device kind", &self.kind))?;
        Ok(Device {
            id: self.id,
            name: self.name,
            kind,
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
            revoked_at: self.revoked_at,
            position: self.position,
            position_at: self.position_at,
            behind: None,
            outbox: self.outbox,
            app_version: self.app_version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    id: Uuid,
    name: String,
    position: i64,
    visible: bool,
}

impl From<CategoryRow> for Category {
    fn from(row: CategoryRow) -> Self {
        Category { id: row.id, name: row.name, position: row.position, visible: row.visible }
    }
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: Uuid,
    category_id: Uuid,
    name: String,
    description: String,
    price: i64,
    allergens: Json<Vec<Allergen>>,
    station: String,
    available: bool,
    stock: Option<i64>,
    low_stock_threshold: Option<i64>,
    position: i64,
    image_id: Option<Uuid>,
    image_width: Option<i64>,
    image_height: Option<i64>,
    available_again_at: Option<DateTime<Utc>>,
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Self {
        let image = match (row.image_id, row.image_width, row.image_height) {
            (Some(id), Some(width), Some(height)) => Some(ImageRef { id, width: width as u32, height: height as u32 }),
            _ => None,
        };
        Product {
            id: row.id,
            category_id: row.category_id,
            name: row.name,
            description: row.description,
            price: ordera_protocol::Money(row.price),
            allergens: row.allergens.0,
            station: row.station,
            available: row.available,
            stock: row.stock,
            low_stock_threshold: row.low_stock_threshold,
            position: row.position,
            image,
            available_again_at: row.available_again_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Uuid,
    number: i64,
    business_date: NaiveDate,
    order_type: String,
    status: String,
    items: Json<Vec<OrderItem>>,
    total: i64,
    note: String,
    device_id: Option<Uuid>,
    placed_at: DateTime<Utc>,
    preparing_at: Option<DateTime<Utc>>,
    ready_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    updated_at: DateTime<Utc>,
    history: Json<Vec<StatusStep>>,
}

impl OrderRow {
    fn into_order(self) -> ApiResult<Order> {
        Ok(Order {
            id: self.id,
            number: self.number,
            business_date: self.business_date,
            order_type: self.order_type.parse().map_err(|_| corrupt("order type", &self.order_type))?,
            status: self.status.parse().map_err(|_| corrupt("order status", &self.status))?,
            items: self.items.0,
            total: ordera_protocol::Money(self.total),
            note: self.note,
            device_id: self.device_id,
            placed_at: self.placed_at,
            preparing_at: self.preparing_at,
            ready_at: self.ready_at,
            completed_at: self.completed_at,
            cancelled_at: self.cancelled_at,
            cancel_reason: self.cancel_reason,
            updated_at: self.updated_at,
            history: self.history.0,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RefusedRow {
    id: Uuid,
    device_id: Option<Uuid>,
    device_name: Option<String>,
    reason: String,
    order_type: String,
    items: Json<Vec<RefusedItem>>,
    note: String,
    refused_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
}

impl RefusedRow {
    fn into_refusal(self) -> ApiResult<RefusedOrder> {
        Ok(RefusedOrder {
            id: self.id,
            device_id: self.device_id,
            device_name: self.device_name,
            reason: self.reason,
            order_type: self.order_type.parse().map_err(|_| corrupt("order type", &self.order_type))?,
            items: self.items.0,
            note: self.note,
            refused_at: self.refused_at,
            resolved_at: self.resolved_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    at: DateTime<Utc>,
    payload: Json<ordera_protocol::sync::Event>,
}

impl From<EventRow> for LoggedEvent {
    fn from(row: EventRow) -> Self {
        LoggedEvent { seq: row.seq, at: row.at, event: row.payload.0 }
    }
}

/// Escapes `%`, `_` and `\\` so a search term matches literally inside `LIKE … ESCAPE '\\'`.
fn like_pattern(term: &str) -> String {
    let escaped = term.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// How many times a write is tried before its client is told to try again later (503).
const WRITE_ATTEMPTS: u32 = 5;

/// Runs `transaction` (a whole write, from `BEGIN` to commit) and runs it again when the database aborted
/// it for a deadlock or a serialization failure: nothing of it was kept, and it will most likely pass on the
/// next try. The pause before each retry is random and grows, so that two writes that collided do not meet
/// again in step. After [`WRITE_ATTEMPTS`] tries the client gets 503 with `Retry-After`, never a 500.
pub(crate) async fn retrying<T, F, Fut>(mut transaction: F) -> ApiResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ApiResult<T>>,
{
    let mut attempt = 1;
    loop {
        match transaction().await {
            Err(error) if is_transient(&error) => {
                if attempt == WRITE_ATTEMPTS {
                    tracing::warn!(error = ?error, attempt, "a write kept colliding; its client is told to try again");
                    return Err(ApiError::Busy);
                }
                tracing::info!(error = %error, attempt, "a write collided with another and is run again");
                let ceiling_ms = 10u64 << attempt;
                let pause = rand::Rng::random_range(&mut rand::rng(), 1..=ceiling_ms);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// A deadlock (40P01) or a serialization failure (40001): the database gave up on the transaction for
/// another one's sake, not because of anything in the request.
fn is_transient(error: &ApiError) -> bool {
    let ApiError::Internal(error) = error else { return false };
    match error.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(db)) => matches!(db.code().as_deref(), Some("40001" | "40P01")),
        _ => false,
    }
}

/// Maps a unique-constraint violation to a 409 with `message`; everything else stays internal.
fn conflict_on_unique(error: sqlx::Error, message: &str) -> ApiError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => ApiError::Conflict(message.to_owned()),
        _ => error.into(),
    }
}

/// The time the database records. Truncated to microseconds, PostgreSQL's precision, so that both
/// backends return exactly what was written.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
