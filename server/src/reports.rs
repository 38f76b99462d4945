//! Reports over a range of the restaurant's business days (see `BusinessDay`: a day may start at 04:00):
//! takings, kitchen speed, the busy hours and the best sellers. Computed from the orders themselves, read
//! through the same filter as history and the CSV export, so all three always count the same orders, and
//! computed by `ordera_protocol::reports`, as the admin app's dashboard computes them from its cache.

use axum::extract::State;
use chrono::NaiveDate;
use ordera_protocol::api::ErrorBody;
use ordera_protocol::orders::{AsOf, HourlyBucket, Order, ReportQuery, ReportSummary, TopProduct};
use ordera_protocol::reports;
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

/// Revenue, order count, average ticket and average prep time (placed → ready).
#[utoipa::path(get, path = "/reports/summary", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = ReportSummary), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<ApiJson<ReportSummary>> {
    let range = orders_in_range(&state, me.tenant_id, &query).await?;
    let summary = ReportSummary::of(&range.orders, (range.from, range.to), &range.currency, Some(range.as_of));
    Ok(ApiJson(summary.expect(OVERFLOW)))
}

/// Why a report fails on a sum past `i64::MAX`: prices and quantities are bounded when an order is placed,
/// so only corrupt rows get there, a bug to report (the request fails with a 500 and Sentry hears of it),
/// never a silently wrapped figure on a report.
const OVERFLOW: &str = "takings overflow: stored order totals are bounded, so these rows are corrupt";

/// Orders and revenue per local hour of the day, all 24 hours.
#[utoipa::path(get, path = "/reports/hourly", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = Vec<HourlyBucket>), (status = 403, body = ErrorBody)))]
async fn hourly(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<ApiJson<Vec<HourlyBucket>>> {
    let range = orders_in_range(&state, me.tenant_id, &query).await?;
    Ok(ApiJson(reports::hourly(&range.orders, range.tz).expect(OVERFLOW)))
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
    Ok(ApiJson(reports::top_products(&range.orders, limit as usize).expect(OVERFLOW)))
}
