//! Every figure a restaurant reads, defined once. The server's reports and the admin app's dashboard compute
//! them with these functions from the same orders (those of a range of business days: the server reads them
//! through the filter its history and CSV export use, the dashboard takes them from its synced cache), so a
//! figure on the dashboard, in a report and summed from the export agree to the minor unit.
//!
//! Sums are checked: prices and quantities are bounded when an order is placed, so real takings are far from
//! `i64::MAX`, and a sum beyond it means corrupt rows. The functions then answer `None` rather than a wrapped
//! figure; the server reports it as a bug, the dashboard shows no figure.

use std::collections::HashMap;

use chrono::{NaiveDate, Timelike};
use uuid::Uuid;

use crate::orders::{AsOf, HourlyBucket, Order, ReportSummary, TopProduct};
use crate::{Money, OrderStatus};

/// Whether an order counts in takings: every order but a cancelled one (which counts only as cancelled).
pub fn counted(order: &Order) -> bool {
    order.status != OrderStatus::Cancelled
}

/// Adds amounts up, or `None` past `i64::MAX`.
pub fn takings(amounts: impl IntoIterator<Item = i64>) -> Option<i64> {
    amounts.into_iter().try_fold(0i64, i64::checked_add)
}

impl ReportSummary {
    /// Revenue, order count, average ticket (rounded down to the minor unit), average prep time (placed →
    /// ready, over the orders that reached ready) and cancellations of `orders`, the orders of business days
    /// `from` to `to`.
    pub fn of(
        orders: &[Order],
        (from, to): (NaiveDate, NaiveDate),
        currency: &str,
        as_of: Option<AsOf>,
    ) -> Option<ReportSummary> {
        let sold: Vec<&Order> = orders.iter().filter(|o| counted(o)).collect();
        let revenue = takings(sold.iter().map(|o| o.total.0))?;
        let count = sold.len() as i64;
        let prep: Vec<i64> =
            sold.iter().filter_map(|o| o.ready_at.map(|ready| (ready - o.placed_at).num_seconds())).collect();
        Some(ReportSummary {
            from,
            to,
            currency: currency.to_owned(),
            revenue: Money(revenue),
            orders: count,
            average_ticket: Money(if count > 0 { revenue / count } else { 0 }),
            average_prep_seconds: (!prep.is_empty()).then(|| prep.iter().sum::<i64>() / prep.len() as i64),
            cancelled: orders.len() as i64 - count,
            as_of,
        })
    }
}

/// Orders and revenue per hour of the restaurant's local day (when they were placed), all 24 hours.
pub fn hourly(orders: &[Order], tz: chrono_tz::Tz) -> Option<Vec<HourlyBucket>> {
    let mut buckets: Vec<HourlyBucket> =
        (0..24).map(|hour| HourlyBucket { hour, orders: 0, revenue: Money::ZERO }).collect();
    for order in orders.iter().filter(|o| counted(o)) {
        let bucket = &mut buckets[order.placed_at.with_timezone(&tz).hour() as usize];
        bucket.orders += 1;
        bucket.revenue = Money(takings([bucket.revenue.0, order.total.0])?);
    }
    Some(buckets)
}

/// The best sellers by quantity, then revenue, then name; at most `limit`.
pub fn top_products(orders: &[Order], limit: usize) -> Option<Vec<TopProduct>> {
    let mut totals: HashMap<Uuid, TopProduct> = HashMap::new();
    for item in orders.iter().filter(|o| counted(o)).flat_map(|o| &o.items) {
        let entry = totals.entry(item.product_id).or_insert_with(|| TopProduct {
            product_id: item.product_id,
            name: item.name.clone(),
            quantity: 0,
            revenue: Money::ZERO,
        });
        entry.quantity = entry.quantity.checked_add(item.quantity)?;
        entry.revenue = Money(takings([entry.revenue.0, item.line_total().0])?);
    }
    let mut top: Vec<TopProduct> = totals.into_values().collect();
    top.sort_by(|a, b| b.quantity.cmp(&a.quantity).then(b.revenue.cmp(&a.revenue)).then(a.name.cmp(&b.name)));
    top.truncate(limit);
    Some(top)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::OrderItem;
    use crate::OrderType;
    use chrono::{DateTime, TimeZone, Utc};

    fn order(at: DateTime<Utc>, status: OrderStatus, lines: &[(u128, &str, i64, i64)]) -> Order {
        let items: Vec<OrderItem> = lines
            .iter()
            .map(|&(product, name, price, quantity)| OrderItem {
                product_id: Uuid::from_u128(product),
                name: name.into(),
                unit_price: Money(price),
                quantity,
                note: String::new(),
                station: "grill".into(),
                done_at: None,
            })
            .collect();
        Order {
            id: Uuid::now_v7(),
            number: 1,
            business_date: at.date_naive(),
            order_type: OrderType::DineIn,
            status,
            total: Money(items.iter().map(|i| i.line_total().0).sum()),
            items,
            note: String::new(),
            device_id: None,
            placed_at: at,
            preparing_at: None,
            ready_at: (status == OrderStatus::Completed).then(|| at + chrono::Duration::seconds(300)),
            completed_at: None,
            cancelled_at: None,
            cancel_reason: None,
            updated_at: at,
            history: Vec::new(),
        }
    }

    #[test]
    fn the_figures_of_a_day() {
        let noon = Utc.with_ymd_and_hms(2026, 7, 1, 12, 10, 0).unwrap();
        let orders = vec![
            order(noon, OrderStatus::Completed, &[(1, "Burger", 1250, 2)]),
            order(noon + chrono::Duration::minutes(30), OrderStatus::Placed, &[(2, "Fries", 350, 1)]),
            order(noon, OrderStatus::Cancelled, &[(1, "Burger", 1250, 9)]),
        ];
        let day = noon.date_naive();
        let summary = ReportSummary::of(&orders, (day, day), "EUR", None).unwrap();
        assert_eq!((summary.revenue, summary.orders, summary.cancelled), (Money(2850), 2, 1));
        assert_eq!(summary.average_ticket, Money(1425));
        assert_eq!(summary.average_prep_seconds, Some(300), "only the order that reached ready");

        // Europe/London is an hour ahead of UTC in July.
        let hours = hourly(&orders, chrono_tz::Europe::London).unwrap();
        assert_eq!((hours[13].orders, hours[13].revenue), (2, Money(2850)), "{hours:?}");
        assert_eq!(hours.iter().map(|h| h.orders).sum::<i64>(), 2, "the cancelled order is not counted");

        let top = top_products(&orders, 10).unwrap();
        assert_eq!(
            top.iter().map(|t| (t.name.as_str(), t.quantity)).collect::<Vec<_>>(),
            [("Burger", 2), ("Fries", 1)]
        );
        assert_eq!(top_products(&orders, 1).unwrap().len(), 1);
    }

    #[test]
    fn no_orders_is_zero_not_a_division_by_zero() {
        let day = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        let summary = ReportSummary::of(&[], (day, day), "EUR", None).unwrap();
        assert_eq!((summary.revenue, summary.orders, summary.average_ticket), (Money::ZERO, 0, Money::ZERO));
        assert_eq!(summary.average_prep_seconds, None);
    }

    #[test]
    fn a_sum_past_the_largest_amount_is_no_figure() {
        let at = Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap();
        let mut huge = order(at, OrderStatus::Placed, &[(1, "Burger", 1, 1)]);
        huge.total = Money(i64::MAX);
        let orders = vec![huge.clone(), huge];
        let day = at.date_naive();
        assert_eq!(ReportSummary::of(&orders, (day, day), "EUR", None), None);
        assert_eq!(hourly(&orders, chrono_tz::UTC), None);
    }
}
