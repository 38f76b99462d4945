//! Reports over a range of the restaurant's business days (see `BusinessDay`: a day may start at 04:00):
//! takings, kitchen speed, the busy hours and the best sellers. Computed from the orders themselves, read
//! through the same filter as history and the CSV export, so all three always count the same orders.

use std::collections::HashMap;

use axum::extract::State;
use chrono::{NaiveDate, Timelike};
use ordera_protocol::api::ErrorBody;
use ordera_protocol::orders::{AsOf, HourlyBucket, Order, ReportQuery, ReportSummary, TopProduct};
use ordera_protocol::{Money, OrderStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::ManagerAuth;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::orders::MAX_EXPORT_ROWS;
use crate::state::AppState;
use crate::store::{now, OrderFilter};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(summary)).routes(routes!(hourly)).routes(routes!(top_products))
}

struct Range {
    from: NaiveDate,
    to: NaiveDate,
    tz: chrono_tz::Tz,
    currency: String,
    orders: Vec<Order>,
    as_of: AsOf,
}

async fn orders_in_range(state: &AppState, tenant_id: uuid::Uuid, query: &ReportQuery) -> ApiResult<Range> {
    let tenant = state.store.tenant(tenant_id).await?;
    let tz: chrono_tz::Tz = tenant.timezone.parse().map_err(|_| anyhow::anyhow!("stored time zone"))?;
    let today = tenant.business_day().map_err(|_| anyhow::anyhow!("stored time zone"))?.date_of(now());
    let (from, to) = (query.from.unwrap_or(today), query.to.unwrap_or(today));
    if from > to {
        return Err(ApiError::invalid_field("from", "must not be after `to`"));
    }
    let filter = OrderFilter { from: Some(from), to: Some(to), limit: MAX_EXPORT_ROWS, ..OrderFilter::default() };
    let (orders, cursor) = state.store.orders_as_of(tenant_id, &filter).await?;
    Ok(Range { from, to, tz, currency: tenant.currency, orders, as_of: AsOf { seq: cursor.seq, at: now() } })
}

fn counted(order: &Order) -> bool {
    order.status != OrderStatus::Cancelled
}

/// Revenue, order count, average ticket and average prep time (placed → ready).
#[utoipa::path(get, path = "/reports/summary", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = ReportSummary), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<ApiJson<ReportSummary>> {
    let range = orders_in_range(&state, me.tenant_id, &query).await?;
    let sold: Vec<&Order> = range.orders.iter().filter(|o| counted(o)).collect();
    let revenue = takings(sold.iter().map(|o| o.total.0));
    let count = sold.len() as i64;
    let prep: Vec<i64> =
        sold.iter().filter_map(|o| o.ready_at.map(|ready| (ready - o.placed_at).num_seconds())).collect();
    Ok(ApiJson(ReportSummary {
        from: range.from,
        to: range.to,
        currency: range.currency,
        revenue: Money(revenue),
        orders: count,
        average_ticket: Money(if count > 0 { revenue / count } else { 0 }),
        average_prep_seconds: (!prep.is_empty()).then(|| prep.iter().sum::<i64>() / prep.len() as i64),
        cancelled: range.orders.len() as i64 - count,
        as_of: Some(range.as_of),
    }))
}

/// Adds amounts up, the same in debug and release builds. Prices and quantities are bounded when an order
/// is placed, so real takings are far from `i64::MAX`; a sum beyond it means corrupt rows, a bug to report
/// (the request fails with a 500 and Sentry hears of it), never a silently wrapped figure on a report.
fn takings(amounts: impl IntoIterator<Item = i64>) -> i64 {
    amounts
        .into_iter()
        .try_fold(0i64, i64::checked_add)
        .expect("takings overflow: stored order totals are bounded, so these rows are corrupt")
}

/// Orders and revenue per local hour of the day, all 24 hours.
#[utoipa::path(get, path = "/reports/hourly", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = Vec<HourlyBucket>), (status = 403, body = ErrorBody)))]
async fn hourly(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<ApiJson<Vec<HourlyBucket>>> {
    let range = orders_in_range(&state, me.tenant_id, &query).await?;
    let mut buckets: Vec<HourlyBucket> =
        (0..24).map(|hour| HourlyBucket { hour, orders: 0, revenue: Money::ZERO }).collect();
    for order in range.orders.iter().filter(|o| counted(o)) {
        let bucket = &mut buckets[order.placed_at.with_timezone(&range.tz).hour() as usize];
        bucket.orders += 1;
        bucket.revenue = Money(takings([bucket.revenue.0, order.total.0]));
    }
    Ok(ApiJson(buckets))
}

/// The best sellers by quantity (ties by revenue).
#[utoipa::path(get, path = "/reports/top-products", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = Vec<TopProduct>), (status = 403, body = ErrorBody)))]
async fn top_products(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<ApiJson<Vec<TopProduct>>> {
    let limit = query.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "must be between 1 and 100"));
    }
    let range = orders_in_range(&state, me.tenant_id, &query).await?;
    let mut totals: HashMap<uuid::Uuid, TopProduct> = HashMap::new();
    for item in range.orders.iter().filter(|o| counted(o)).flat_map(|o| &o.items) {
        let entry = totals.entry(item.product_id).or_insert_with(|| TopProduct {
            product_id: item.product_id,
            name: item.name.clone(),
            quantity: 0,
            revenue: Money::ZERO,
        });
        entry.quantity += item.quantity;
        entry.revenue = Money(takings([entry.revenue.0, item.line_total().0]));
    }
    let mut top: Vec<TopProduct> = totals.into_values().collect();
    top.sort_by(|a, b| b.quantity.cmp(&a.quantity).then(b.revenue.cmp(&a.revenue)).then(a.name.cmp(&b.name)));
    top.truncate(limit as usize);
    Ok(ApiJson(top))
}
