//! Orders over HTTP, and the three commands (place, change status, mark items done) shared with the sync
//! socket.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use ordera_protocol::api::ErrorBody;
use ordera_protocol::orders::{
    CommandResult, ItemsDoneRequest, Order, OrderPage, OrderQuery, Outcome, PlaceOrderRequest, RefusedOrder,
    RefusedQuery, StatusChangeRequest,
};
use ordera_protocol::{Currency, DeviceKind};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{Auth, ManagerAuth, Principal};
use crate::error::{ApiCommand, ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use crate::store::{Actor, OrderFilter};

/// The most orders an export or a report reads.
pub const MAX_EXPORT_ROWS: i64 = 100_000;
/// The last page of the history that can be asked for. At the largest page size that is 200 million
/// orders deep, past any restaurant's history, and the offset it makes stays far inside an `i64`.
pub const MAX_PAGE: i64 = 1_000_000;
/// The largest page of the history.
pub const MAX_PER_PAGE: i64 = 200;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders, place_order))
        .routes(routes!(export_csv))
        .routes(routes!(get_order))
        .routes(routes!(change_status))
        .routes(routes!(mark_items))
        .routes(routes!(refused_orders))
        .routes(routes!(resolve_refusal))
}

/// Refused orders are for the restaurant's people: staff of any role and admin devices read and settle them;
/// kitchen screens read them (their snapshots and events carry them too); kiosks, facing customers, neither.
fn may_read_refusals(auth: &Auth) -> ApiResult<()> {
    match auth.principal {
        Principal::Device { kind: DeviceKind::Kiosk, .. } => {
            Err(ApiError::Forbidden("kiosks do not see refused orders"))
        }
        _ => Ok(()),
    }
}

fn may_settle_refusals(auth: &Auth) -> ApiResult<()> {
    match auth.principal {
        Principal::User { .. } | Principal::Device { kind: DeviceKind::Admin, .. } => Ok(()),
        Principal::Device { .. } => Err(ApiError::Forbidden("only staff and admin devices settle refused orders")),
    }
}

/// Who an order's history names for a change made by this caller.
fn actor(auth: &Auth) -> Actor {
    match auth.principal {
        Principal::Device { device_id, .. } => Actor::Device(device_id),
        Principal::User { user_id, .. } => Actor::User(user_id),
    }
}

/// Places an order for a kiosk, an admin device or a signed-in user; kitchen screens only work orders.
pub async fn place(state: &AppState, auth: &Auth, request: &PlaceOrderRequest) -> ApiResult<CommandResult> {
    if let Principal::Device { kind: DeviceKind::Kds, .. } = auth.principal {
        return Err(refused(state, auth, request, ApiError::Forbidden("kitchen screens cannot place orders")).await);
    }
    let order = match request.validate() {
        Ok(order) => order,
        Err(fields) => return Err(refused(state, auth, request, ApiError::invalid(fields)).await),
    };
    let result = state.store.place_order(auth.tenant_id, actor(auth), &order).await?;
    if result.outcome == Outcome::Applied {
        metrics::counter!(crate::metrics::ORDERS_PLACED).increment(1);
        tracing::info!(tenant = %auth.tenant_id, order = %order.id, "order placed");
    }
    Ok(result)
}

/// The answer to an order refused before it reached the menu for `error`. A device's order is kept first, as
/// the menu's refusals are: the device saved it for a customer who believes it was ordered, so staff must see
/// it (and the device may drop it from its outbox). A person placing an order hears the reason at once.
/// When it cannot be kept, the answer is that failure, so that the device sends it again later.
pub async fn refused(state: &AppState, auth: &Auth, request: &PlaceOrderRequest, error: ApiError) -> ApiError {
    if let Principal::Device { device_id, .. } = auth.principal {
        // The reason may quote what was refused (a field's name as sent): kept to its printable characters.
        let reason: String =
            error.to_string().chars().filter(|c| ordera_protocol::validate::is_free_text_char(*c)).collect();
        let order = request.as_refused();
        if let Err(failure) = state.store.keep_refused(auth.tenant_id, device_id, &order, reason).await {
            return failure;
        }
    }
    error
}

/// How much faster than the server's a device's clock may run before its commands look younger than they
/// are (see [`forgotten`]).
const CLOCK_MARGIN: chrono::Duration = chrono::Duration::hours(1);

/// A command's record is kept as long as the log (`--event-retention-days`) and pruned with it. A command
/// made longer ago than that may have been applied and its record forgotten: applying it again could, say,
/// reopen an order served days ago. Its id is a UUIDv7 (every Ordera client makes them so), which says when
/// it was made, so such a command is refused with the reason and its device drops it from its outbox. An
/// id of another version is taken as it comes.
fn forgotten(state: &AppState, command_id: Uuid) -> Option<CommandResult> {
    let (seconds, nanos) = command_id.get_timestamp()?.to_unix();
    let made = chrono::DateTime::from_timestamp(i64::try_from(seconds).ok()?, nanos)?;
    let remembered = chrono::Duration::days(state.config.event_retention_days.max(1)) - CLOCK_MARGIN;
    (crate::store::now() - made > remembered).then(|| {
        CommandResult::rejected(
            format!(
                "this change was made too long ago ({}) for the server to know whether it was already applied; \
                 look at the order and make the change again if it still applies",
                made.format("%Y-%m-%d %H:%M UTC")
            ),
            None,
        )
    })
}

/// Changes an order's status for a kitchen screen, an admin device or a signed-in user; kiosks cannot.
pub async fn set_status(
    state: &AppState,
    auth: &Auth,
    order_id: Uuid,
    request: &StatusChangeRequest,
) -> ApiResult<CommandResult> {
    if let Principal::Device { kind: DeviceKind::Kiosk, .. } = auth.principal {
        return Err(ApiError::Forbidden("kiosks cannot change an order's status"));
    }
    let reason = request.validate()?;
    if let Some(refused) = forgotten(state, request.command_id) {
        return Ok(refused);
    }
    state.store.change_status(auth.tenant_id, order_id, request.command_id, request.action, reason, actor(auth)).await
}

/// Marks lines of an order done or not done, for the same callers as status changes.
pub async fn mark_done(
    state: &AppState,
    auth: &Auth,
    order_id: Uuid,
    request: &ItemsDoneRequest,
) -> ApiResult<CommandResult> {
    if let Principal::Device { kind: DeviceKind::Kiosk, .. } = auth.principal {
        return Err(ApiError::Forbidden("kiosks cannot mark an order's items"));
    }
    let items = request.validate()?;
    if let Some(refused) = forgotten(state, request.command_id) {
        return Ok(refused);
    }
    state.store.mark_items(auth.tenant_id, order_id, request.command_id, &items, request.done, actor(auth)).await
}

/// An HTTP answer for a command: the order (201 when created, 200 otherwise) or 409 with the reason.
fn command_response(result: CommandResult, created: StatusCode) -> ApiResult<(StatusCode, ApiJson<Order>)> {
    match (result.outcome, result.order) {
        (Outcome::Applied, Some(order)) => Ok((created, ApiJson(order))),
        (Outcome::Unchanged, Some(order)) => Ok((StatusCode::OK, ApiJson(order))),
        (_, _) => Err(ApiError::Conflict(result.reason.unwrap_or_else(|| "the command was refused".into()))),
    }
}

/// Place an order. Sending the same `id` again returns the original order (200) and creates nothing.
#[utoipa::path(post, path = "/orders", tag = "orders", security(("bearer" = [])), request_body = PlaceOrderRequest,
    responses((status = 201, body = Order), (status = 200, body = Order, description = "already placed"),
        (status = 409, body = ErrorBody, description = "sold out or no longer on the menu"),
        (status = 422, body = ErrorBody)))]
async fn place_order(
    State(state): State<AppState>,
    auth: Auth,
    ApiCommand(request, unfree): ApiCommand<PlaceOrderRequest>,
) -> ApiResult<(StatusCode, ApiJson<Order>)> {
    if let Some(fields) = unfree {
        return Err(refused(&state, &auth, &request, ApiError::invalid(fields)).await);
    }
    command_response(place(&state, &auth, &request).await?, StatusCode::CREATED)
}

/// Move an order through the kitchen, cancel it (with a reason) or recall it. A repeated `command_id` or a
/// stale action changes nothing and returns the order as it is.
#[utoipa::path(post, path = "/orders/{id}/status", tag = "orders", security(("bearer" = [])),
    request_body = StatusChangeRequest, params(("id" = Uuid, Path, description = "order id")),
    responses((status = 200, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_status(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<StatusChangeRequest>,
) -> ApiResult<(StatusCode, ApiJson<Order>)> {
    command_response(set_status(&state, &auth, id, &request).await?, StatusCode::OK)
}

/// Mark lines of an order done (`done: false` takes the mark back), by their positions in its `items`. The
/// order follows: the first line done starts it, the last makes it ready, a mark taken back from a ready order
/// returns it to preparing. Lines already so, or a repeated `command_id`, change nothing (`unchanged`).
#[utoipa::path(post, path = "/orders/{id}/items", tag = "orders", security(("bearer" = [])),
    request_body = ItemsDoneRequest, params(("id" = Uuid, Path, description = "order id")),
    responses((status = 200, body = CommandResult, description = "applied, or unchanged"),
        (status = 403, body = ErrorBody, description = "kiosks do not work orders"),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "no such line, or the order is no longer in the kitchen"),
        (status = 422, body = ErrorBody)))]
async fn mark_items(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<ItemsDoneRequest>,
) -> ApiResult<ApiJson<CommandResult>> {
    let result = mark_done(&state, &auth, id, &request).await?;
    match result.outcome {
        Outcome::Rejected => Err(ApiError::Conflict(result.reason.unwrap_or_else(|| "the command was refused".into()))),
        Outcome::Applied | Outcome::Unchanged => Ok(ApiJson(result)),
    }
}

/// Orders a device saved that the server later refused for good (sold out meanwhile): the open ones,
/// oldest first, or with `all=true` the newest 200 including those settled.
#[utoipa::path(get, path = "/orders/refused", tag = "orders", security(("bearer" = [])), params(RefusedQuery),
    responses((status = 200, body = Vec<RefusedOrder>), (status = 403, body = ErrorBody)))]
async fn refused_orders(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<RefusedQuery>,
) -> ApiResult<ApiJson<Vec<RefusedOrder>>> {
    may_read_refusals(&auth)?;
    Ok(ApiJson(state.store.refused_orders(auth.tenant_id, query.all).await?))
}

/// Marks a refused order as settled (the customer was served or refunded). Doing it twice is harmless.
#[utoipa::path(post, path = "/orders/refused/{id}/resolve", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "the refused order's id")),
    responses((status = 200, body = RefusedOrder), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn resolve_refusal(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<RefusedOrder>> {
    may_settle_refusals(&auth)?;
    let refusal = state.store.resolve_refusal(auth.tenant_id, id).await?;
    tracing::info!(tenant = %auth.tenant_id, order = %id, "refused order settled");
    Ok(ApiJson(refusal))
}

#[utoipa::path(get, path = "/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "order id")),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody)))]
async fn get_order(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<Uuid>) -> ApiResult<ApiJson<Order>> {
    Ok(ApiJson(state.store.order(auth.tenant_id, id).await?))
}

fn filter(query: &OrderQuery, limit: i64, offset: i64) -> ApiResult<OrderFilter> {
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from > to {
            return Err(ApiError::invalid_field("from", "must not be after `to`"));
        }
    }
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
    Ok(OrderFilter {
        from: query.from,
        to: query.to,
        status: query.status,
        order_type: query.order_type,
        number: query.number,
        search,
        limit,
        offset,
    })
}

/// Order history, newest first, filtered and paged.
#[utoipa::path(get, path = "/orders", tag = "orders", security(("bearer" = [])), params(OrderQuery),
    responses((status = 200, body = OrderPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_orders(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiQuery(query): ApiQuery<OrderQuery>,
) -> ApiResult<ApiJson<OrderPage>> {
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(ApiError::invalid_field("page", format!("must be between 1 and {MAX_PAGE}")));
    }
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(ApiError::invalid_field("per_page", format!("must be between 1 and {MAX_PER_PAGE}")));
    }
    // Both bounded above, so this cannot overflow.
    let filter = filter(&query, per_page, (page - 1) * per_page)?;
    let (orders, total) = state.store.orders(me.tenant_id, &filter).await?;
    Ok(ApiJson(OrderPage { orders, total, page, per_page }))
}

/// Free text (a customer's note, a cancel reason) as a CSV cell a spreadsheet shows rather than runs: a cell
/// starting with `=`, `+`, `-` or `@` is a formula to Excel, LibreOffice and Google Sheets (one that can
/// fetch a URL or start a program), and a leading tab or carriage return gets there too in some of them. A
/// leading `'` makes any of these plain text (OWASP's advice for CSV injection). Only free text gets it; the
/// numbers and dates the server writes itself stay numbers.
fn spreadsheet_text(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// Order history as CSV (same filters, no paging), with times in the restaurant's time zone. Streamed a
/// page at a time, newest first, up to 100,000 orders.
#[utoipa::path(get, path = "/orders/export.csv", tag = "orders", security(("bearer" = [])), params(OrderQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody)))]
async fn export_csv(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiQuery(query): ApiQuery<OrderQuery>,
) -> ApiResult<Response> {
    let tenant = state.store.tenant(me.tenant_id).await?;
    let tz: chrono_tz::Tz = tenant.timezone.parse().map_err(|_| anyhow::anyhow!("stored time zone"))?;
    let currency = Currency::parse(&tenant.currency).map_err(|_| anyhow::anyhow!("stored currency"))?;
    let csv = CsvFormat { tz, currency, code: tenant.currency.clone() };
    let page = state.config.export_page.clamp(1, MAX_EXPORT_ROWS);
    let filter = filter(&query, page, 0)?;
    // The first page is read before answering, so that a failure then is a clean error rather than a
    // file cut short; one later is logged and ends the download early, which the client sees as such.
    let first = state.store.orders_after(me.tenant_id, &filter, None).await?;
    let head = csv.with_header(&first)?;
    let tenant_id = me.tenant_id;
    let pages = futures_util::stream::unfold(Some((first, 0i64)), move |next| {
        let (state, mut filter, csv) = (state.clone(), filter.clone(), csv.clone());
        async move {
            let (orders, sent) = next?;
            // A short page was the last; the export stops at its bound, the last page cut to fit.
            let full = orders.len() as i64 == page;
            let sent = sent + orders.len() as i64;
            filter.limit = page.min(MAX_EXPORT_ROWS - sent);
            if !full || filter.limit <= 0 {
                return None;
            }
            let after = orders.last().map(|o| (o.placed_at, o.id));
            match state.store.orders_after(tenant_id, &filter, after).await.map_err(anyhow::Error::from) {
                Ok(page) if page.is_empty() => None,
                Ok(page) => match csv.rows(&page) {
                    Ok(bytes) => Some((Ok(bytes), Some((page, sent)))),
                    Err(error) => Some((Err(cut_short(error)), None)),
                },
                Err(error) => Some((Err(cut_short(error)), None)),
            }
        }
    });
    let body =
        futures_util::StreamExt::chain(futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) }), pages);
    let filename = format!("attachment; filename=\"orders-{}.csv\"", Utc::now().with_timezone(&tz).format("%Y-%m-%d"));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&filename).map_err(anyhow::Error::from)?),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// An export that failed after its first page: logged, and the download ends there.
fn cut_short(error: anyhow::Error) -> std::io::Error {
    tracing::error!(error = %error, "an export failed after it had started");
    std::io::Error::other("the export failed")
}

/// How an export writes orders: times in the restaurant's zone, amounts in its currency.
#[derive(Clone)]
struct CsvFormat {
    tz: chrono_tz::Tz,
    currency: Currency,
    code: String,
}

impl CsvFormat {
    const HEADER: [&'static str; 11] = [
        "number",
        "business_date",
        "placed_at",
        "type",
        "status",
        "items",
        "total",
        "currency",
        "note",
        "prep_seconds",
        "cancel_reason",
    ];

    fn with_header(&self, orders: &[Order]) -> anyhow::Result<Vec<u8>> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(Self::HEADER)?;
        self.write(&mut writer, orders)?;
        writer.into_inner().map_err(|e| anyhow::anyhow!("writing CSV: {e}"))
    }

    fn rows(&self, orders: &[Order]) -> anyhow::Result<Vec<u8>> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        self.write(&mut writer, orders)?;
        writer.into_inner().map_err(|e| anyhow::anyhow!("writing CSV: {e}"))
    }

    fn write(&self, writer: &mut csv::Writer<Vec<u8>>, orders: &[Order]) -> anyhow::Result<()> {
        for order in orders {
            let items: Vec<String> = order
                .items
                .iter()
                .map(|i| {
                    if i.note.is_empty() {
                        format!("{}x {}", i.quantity, i.name)
                    } else {
                        format!("{}x {} ({})", i.quantity, i.name, i.note)
                    }
                })
                .collect();
            let prep =
                order.ready_at.map(|ready| (ready - order.placed_at).num_seconds().to_string()).unwrap_or_default();
            let total = self.currency.format(order.total);
            let amount = total.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '-');
            writer.write_record([
                order.number.to_string(),
                order.business_date.to_string(),
                order.placed_at.with_timezone(&self.tz).to_rfc3339(),
                order.order_type.to_string(),
                order.status.to_string(),
                spreadsheet_text(items.join("; ")),
                amount.to_owned(),
                self.code.clone(),
                spreadsheet_text(order.note.clone()),
                prep,
                spreadsheet_text(order.cancel_reason.clone().unwrap_or_default()),
            ])?;
        }
        Ok(())
    }
}
