//! What the admin app's back office needs from the server: the restaurant's business day (ticket numbers,
//! history, reports and the export counting the same days), products switched off "until" a time that come
//! back by themselves, devices renamed and reporting their app version, and passwords reset by a manager.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use ordera_protocol::api::{Device, Product, Tenant, User};
use ordera_protocol::orders::{HourlyBucket, Order, OrderPage, ReportSummary, TopProduct};
use ordera_protocol::sync::{ClientMessage, Event, ServerMessage};
use ordera_protocol::DeviceKind;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;
use crate::ws::SyncClient;

/// A fixed-offset zone in which it is now between 02:00 and 02:59 (`Etc/GMT-5` is UTC+5), so that an order
/// placed now is placed "at two in the morning", whenever the suite runs.
fn zone_where_it_is_two_in_the_morning() -> (String, chrono_tz::Tz) {
    let hour = Utc::now().hour() as i32;
    let mut offset = (2 - hour).rem_euclid(24);
    if offset > 14 {
        offset -= 24;
    }
    let name = match offset {
        0 => "Etc/GMT".to_owned(),
        east if east > 0 => format!("Etc/GMT-{east}"),
        west => format!("Etc/GMT+{}", -west),
    };
    let tz = name.parse().unwrap();
    (name, tz)
}

/// Reads an amount as the export writes it ("38.00") in minor units, for a two-decimal currency.
fn minor_units(amount: &str) -> i64 {
    let (whole, cents) = amount.split_once('.').expect("two decimals");
    assert_eq!(cents.len(), 2, "{amount}");
    whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

struct Export {
    rows: Vec<csv::StringRecord>,
    headers: csv::StringRecord,
}

impl Export {
    fn column(&self, name: &str) -> usize {
        self.headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))
    }

    fn values(&self, name: &str) -> Vec<String> {
        let column = self.column(name);
        self.rows.iter().map(|row| row[column].to_owned()).collect()
    }
}

async fn export(app: &TestApp, token: &str, query: &str) -> Export {
    let response = app.get(&format!("orders/export.csv?{query}"), token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    Export { rows: reader.records().map(Result::unwrap).collect(), headers }
}

async fn summary(app: &TestApp, token: &str, query: &str) -> ReportSummary {
    expect_json(app.get(&format!("reports/summary?{query}"), token).await, StatusCode::OK).await
}

async fn cancel(app: &TestApp, token: &str, order: &Order, reason: &str) -> Order {
    let body = json!({"command_id": Uuid::now_v7(), "action": "cancel", "reason": reason});
    expect_json(app.post(&format!("orders/{}/status", order.id), Some(token), &body).await, StatusCode::OK).await
}

fn day_query(day: NaiveDate) -> String {
    format!("from={day}&to={day}")
}

both! {
    async fn with_a_four_oclock_start_an_order_at_two_belongs_to_the_day_before_in_numbers_reports_and_export(app: TestApp) {
        let (zone, tz) = zone_where_it_is_two_in_the_morning();
        let bar = app.restaurant_in("Night Owl", &zone, "GBP").await;
        assert_eq!(bar.tenant.business_day_start, chrono::NaiveTime::MIN, "midnight by default");
        let drinks = app.category(&bar, "Drinks").await;
        let beer = app.product(&bar, &drinks, "Pale Ale", 450).await;
        let wings = app.product(&bar, &drinks, "Wings", 725).await;
        let kds = app.pair(&bar, DeviceKind::Kds).await;
        let head = app.store.head(bar.tenant.id).await.unwrap();
        let (mut screen, _, _) = SyncClient::connect(app.addr, &kds.token, Some(head.epoch), head.seq).await;

        // The setting is validated, and changes nothing when refused.
        for bad in ["18:00", "4 o'clock", "04:00:30"] {
            let error = expect_error(app.patch("tenant", &bar.token, &json!({"business_day_start": bad})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(error.error.fields.unwrap().0.contains_key("business_day_start"));
        }
        let response = app.patch("tenant", &bar.token, &json!({"business_day_start": "04:00"})).await;
        let json: serde_json::Value = expect_json(response, StatusCode::OK).await;
        assert_eq!(json["business_day_start"], "04:00");
        // Every screen hears of it, as of every setting.
        let events = screen.events(1).await;
        assert!(
            matches!(&events[0].event, Event::TenantUpdated { tenant } if tenant.business_day_start.hour() == 4),
            "{events:?}"
        );

        // Two in the morning is still last night: the tickets carry yesterday's date and go on from its numbers.
        let calendar_today = Utc::now().with_timezone(&tz).date_naive();
        let a = app.place_order(&bar.token, &[(beer.id, 2), (wings.id, 1)]).await;
        let b = app.place_order(&bar.token, &[(wings.id, 3)]).await;
        let c = app.place_order(&bar.token, &[(beer.id, 1)]).await;
        let night = a.business_date;
        assert_eq!(night, calendar_today.pred_opt().unwrap(), "placed at {}", a.placed_at.with_timezone(&tz));
        assert_eq!([a.number, b.number, c.number], [1, 2, 3]);
        assert!([&b, &c].iter().all(|o| o.business_date == night));
        let (_, manager) = app.user(&bar, "manager").await;
        let c = cancel(&app, &manager, &c, "spilled").await;
        assert_eq!(c.cancel_reason.as_deref(), Some("spilled"));

        // The reports count them on that night, by default (it is still that business day) and by date;
        // the calendar day they were placed on holds none of them.
        let by_default = summary(&app, &bar.token, "").await;
        let report = summary(&app, &bar.token, &day_query(night)).await;
        let without_as_of = |summary: &ReportSummary| ReportSummary { as_of: None, ..summary.clone() };
        assert_eq!(without_as_of(&by_default), without_as_of(&report));
        // Each figure says what it is as of: here, every change so far.
        let head = app.store.head(bar.tenant.id).await.unwrap();
        assert_eq!(report.as_of.map(|as_of| as_of.seq), Some(head.seq));
        assert_eq!((report.from, report.to), (night, night));
        assert_eq!((report.orders, report.cancelled, report.revenue.0), (2, 1, 2 * 450 + 725 + 3 * 725));
        let calendar = summary(&app, &bar.token, &day_query(calendar_today)).await;
        assert_eq!((calendar.orders, calendar.cancelled, calendar.revenue.0), (0, 0, 0));

        // The export of that night holds the same orders, and its rows add up to the summary to the penny.
        let rows = export(&app, &bar.token, &day_query(night)).await;
        assert_eq!(rows.rows.len(), 3);
        assert!(rows.values("business_date").iter().all(|d| *d == night.to_string()));
        let statuses = rows.values("status");
        let totals: Vec<i64> = rows.values("total").iter().map(|t| minor_units(t)).collect();
        let sold: Vec<i64> =
            statuses.iter().zip(&totals).filter(|(s, _)| *s != "cancelled").map(|(_, t)| *t).collect();
        assert_eq!(sold.len() as i64, report.orders);
        assert_eq!(sold.iter().sum::<i64>(), report.revenue.0);
        assert_eq!(statuses.iter().filter(|s| *s == "cancelled").count() as i64, report.cancelled);
        assert_eq!(export(&app, &bar.token, &day_query(calendar_today)).await.rows.len(), 0);
        // History agrees too.
        let history: OrderPage = expect_json(app.get(&format!("orders?{}", day_query(night)), &bar.token).await, StatusCode::OK).await;
        assert_eq!(history.total, 3);
        // A search of digits finds the ticket of that number, as a search of words finds items.
        let by_number: OrderPage = expect_json(app.get(&format!("orders?q=2&{}", day_query(night)), &bar.token).await, StatusCode::OK).await;
        assert_eq!(by_number.orders.iter().map(|o| o.id).collect::<Vec<_>>(), [b.id]);
        let by_item: OrderPage = expect_json(app.get(&format!("orders?q=ale&{}", day_query(night)), &bar.token).await, StatusCode::OK).await;
        assert_eq!(by_item.total, 2);

        // The hourly and best-seller reports split the same takings.
        let hourly: Vec<HourlyBucket> = expect_json(app.get(&format!("reports/hourly?{}", day_query(night)), &bar.token).await, StatusCode::OK).await;
        assert_eq!(hourly.iter().map(|h| h.revenue.0).sum::<i64>(), report.revenue.0);
        assert_eq!(hourly.iter().map(|h| h.orders).sum::<i64>(), report.orders);
        let top: Vec<TopProduct> = expect_json(app.get(&format!("reports/top-products?{}", day_query(night)), &bar.token).await, StatusCode::OK).await;
        assert_eq!(top.iter().map(|t| t.revenue.0).sum::<i64>(), report.revenue.0);
        assert_eq!(top[0].name, "Wings");

        // With the day starting at midnight again, the next ticket opens the calendar day at number 1.
        let _: Tenant = expect_json(app.patch("tenant", &bar.token, &json!({"business_day_start": "00:00"})).await, StatusCode::OK).await;
        let d = app.place_order(&bar.token, &[(beer.id, 1)]).await;
        assert_eq!((d.business_date, d.number), (calendar_today, 1));

        // Settings are a manager's.
        let (_, staff) = app.user(&bar, "staff").await;
        expect_error(app.patch("tenant", &staff, &json!({"business_day_start": "05:00"})).await, StatusCode::FORBIDDEN, "forbidden").await;
    }

    async fn a_product_off_until_a_time_comes_back_by_itself_and_the_kiosks_hear_of_it(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let mains = app.category(&soho, "Mains").await;
        let burger = app.product(&soho, &mains, "Smash Burger", 1095).await;
        let kiosk = app.pair(&soho, DeviceKind::Kiosk).await;
        let head = app.store.head(soho.tenant.id).await.unwrap();
        let (mut menu, _, _) = SyncClient::connect(app.addr, &kiosk.token, Some(head.epoch), head.seq).await;

        let back_at = Utc::now() + Duration::seconds(2);
        let off: Product = expect_json(
            app.patch(&format!("products/{}", burger.id), &soho.token, &json!({"unavailable_until": back_at.to_rfc3339()})).await,
            StatusCode::OK,
        ).await;
        assert!(!off.available);
        assert_eq!(off.available_again_at, DateTime::from_timestamp_micros(back_at.timestamp_micros()));
        let events = menu.events(1).await;
        assert!(matches!(&events[0].event, Event::ProductUpserted { product } if !product.available), "{events:?}");
        let refused = app.post("orders", Some(&soho.token), &order_body(Uuid::now_v7(), &[(burger.id, 1)])).await;
        expect_error(refused, StatusCode::CONFLICT, "conflict").await;

        // It comes back on its own, and the kiosk is told without asking.
        let events = menu.events(1).await;
        let Event::ProductUpserted { product } = &events[0].event else { panic!("{events:?}") };
        assert!(product.available && product.available_again_at.is_none(), "{product:?}");
        assert!(Utc::now() >= back_at);
        let now: Product = expect_json(app.get(&format!("products/{}", burger.id), &kiosk.token).await, StatusCode::OK).await;
        assert_eq!(&now, product);
        app.place_order(&kiosk.token, &[(burger.id, 1)]).await;
        // Once only: another instance (here, the store asked again) finds nothing left to do.
        assert_eq!(app.store.bring_back(soho.tenant.id, burger.id, Utc::now()).await.unwrap(), None);
        let log = app.store.events_since(soho.tenant.id, head.seq, 100).await.unwrap();
        let back = log.iter().filter(|e| matches!(&e.event, Event::ProductUpserted { product } if product.id == burger.id && product.available && product.stock.is_none())).count();
        assert_eq!(back, 1, "{log:?}");
    }

    async fn with_two_instances_racing_a_product_comes_back_once_each_time(app: TestApp) {
        // A second instance on the same database: its own due-check loop runs beside the first one's.
        let dir = tempfile::tempdir().unwrap();
        let second = ordera_server::Application::build(ordera_server::Config::for_tests(&app.database_url, dir.path().to_path_buf())).await.unwrap();
        let other = second.state().store.clone();
        let soho = app.restaurant("Soho").await;
        let mains = app.category(&soho, "Mains").await;
        let burger = app.product(&soho, &mains, "Smash Burger", 1095).await;
        let head = app.store.head(soho.tenant.id).await.unwrap();
        for _ in 0..3 {
            let back_at = Utc::now() + Duration::seconds(1);
            let _: Product = expect_json(app.patch(&format!("products/{}", burger.id), &soho.token, &json!({"unavailable_until": back_at.to_rfc3339()})).await, StatusCode::OK).await;
            tokio::time::sleep((back_at - Utc::now()).to_std().unwrap_or_default()).await;
            // Both instances' stores at once, on top of both loops: at most one write wins.
            let (first, second) = tokio::join!(
                app.store.bring_back(soho.tenant.id, burger.id, Utc::now()),
                other.bring_back(soho.tenant.id, burger.id, Utc::now()),
            );
            assert!(!(first.unwrap().is_some() && second.unwrap().is_some()), "both instances brought it back");
            let product: Product = expect_json(app.get(&format!("products/{}", burger.id), &soho.token).await, StatusCode::OK).await;
            assert!(product.available && product.available_again_at.is_none());
        }
        let log = app.store.events_since(soho.tenant.id, head.seq, 100).await.unwrap();
        let back = log.iter().filter(|e| matches!(&e.event, Event::ProductUpserted { product } if product.available)).count();
        assert_eq!(back, 3, "one event each time it came back: {log:?}");
    }

    async fn off_until_the_end_of_the_business_day_and_bad_untils(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let mains = app.category(&soho, "Mains").await;
        let burger = app.product(&soho, &mains, "Smash Burger", 1095).await;
        let path = format!("products/{}", burger.id);
        let before = Utc::now();
        let off: Product = expect_json(app.patch(&path, &soho.token, &json!({"available": false, "unavailable_until": "end_of_business_day"})).await, StatusCode::OK).await;
        let business_day = soho.tenant.business_day().unwrap();
        assert!(!off.available);
        assert_eq!(off.available_again_at, Some(business_day.end_of_day(before)));

        // Other changes keep the "until"; switching it on, or off for good, drops it.
        let renamed: Product = expect_json(app.patch(&path, &soho.token, &json!({"name": "Big Burger"})).await, StatusCode::OK).await;
        assert_eq!(renamed.available_again_at, off.available_again_at);
        let for_good: Product = expect_json(app.patch(&path, &soho.token, &json!({"available": false})).await, StatusCode::OK).await;
        assert_eq!((for_good.available, for_good.available_again_at), (false, None));
        let on: Product = expect_json(app.patch(&path, &soho.token, &json!({"unavailable_until": "end_of_business_day"})).await, StatusCode::OK).await;
        assert!(on.available_again_at.is_some());
        let on: Product = expect_json(app.patch(&path, &soho.token, &json!({"available": true})).await, StatusCode::OK).await;
        assert_eq!((on.available, on.available_again_at), (true, None));

        for bad in [
            json!({"unavailable_until": (Utc::now() - Duration::minutes(1)).to_rfc3339()}),
            json!({"unavailable_until": (Utc::now() + Duration::days(40)).to_rfc3339()}),
            json!({"available": true, "unavailable_until": "end_of_business_day"}),
        ] {
            let error = expect_error(app.patch(&path, &soho.token, &bad).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(error.error.fields.unwrap().0.contains_key("unavailable_until"), "{bad}");
        }
        expect_error(app.patch(&path, &soho.token, &json!({"unavailable_until": "later"})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let unchanged: Product = expect_json(app.get(&path, &soho.token).await, StatusCode::OK).await;
        assert_eq!(unchanged, on, "a refused change changes nothing");
    }

    async fn a_device_is_renamed_and_shows_the_app_version_it_runs(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let grill = app.pair(&soho, DeviceKind::Kds).await;
        let pass = app.pair(&soho, DeviceKind::Kds).await;
        let head = app.store.head(soho.tenant.id).await.unwrap();
        let mut socket = SyncClient::open(app.addr).await;
        socket.send(&ClientMessage::Hello { token: grill.token.clone(), epoch: Some(head.epoch), since: head.seq, app_version: Some(" 2.3.4 ".into()) }).await;
        assert!(matches!(socket.recv().await, ServerMessage::Welcome { .. }));
        socket.until_caught_up().await;
        // An older app says nothing and is listed without a version.
        let (mut old, _, _) = SyncClient::connect(app.addr, &pass.token, Some(head.epoch), head.seq).await;

        let devices: Vec<Device> = expect_json(app.get("devices", &soho.token).await, StatusCode::OK).await;
        let version = |devices: &[Device], id: Uuid| devices.iter().find(|d| d.id == id).unwrap().app_version.clone();
        assert_eq!(version(&devices, grill.device.id).as_deref(), Some("2.3.4"));
        assert_eq!(version(&devices, pass.device.id), None);

        let renamed: Device = expect_json(app.patch(&format!("devices/{}", grill.device.id), &soho.token, &json!({"name": "Grill, left"})).await, StatusCode::OK).await;
        assert_eq!((renamed.name.as_str(), renamed.app_version.as_deref()), ("Grill, left", Some("2.3.4")));
        let events = old.events(1).await;
        assert!(matches!(&events[0].event, Event::DeviceUpserted { device } if device.name == "Grill, left"), "{events:?}");
        let devices: Vec<Device> = expect_json(app.get("devices", &soho.token).await, StatusCode::OK).await;
        assert_eq!(devices.iter().find(|d| d.id == grill.device.id).unwrap().name, "Grill, left");

        let error = expect_error(app.patch(&format!("devices/{}", grill.device.id), &soho.token, &json!({"name": "  "})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(error.error.fields.unwrap().0.contains_key("name"));
        expect_error(app.patch(&format!("devices/{}", Uuid::now_v7()), &soho.token, &json!({"name": "Ghost"})).await, StatusCode::NOT_FOUND, "not_found").await;
        let (_, staff) = app.user(&soho, "staff").await;
        expect_error(app.patch(&format!("devices/{}", grill.device.id), &staff, &json!({"name": "Mine"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.patch(&format!("devices/{}", grill.device.id), &pass.token, &json!({"name": "Mine"})).await, StatusCode::FORBIDDEN, "forbidden").await;
    }

    async fn a_manager_resets_a_password_and_the_persons_sessions_end(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let (cook, cook_token) = app.user(&soho, "staff").await;
        let (manager, manager_token) = app.user(&soho, "manager").await;
        let new_password = "a brand new password";

        let reset: User = expect_json(app.post(&format!("users/{}/password", cook.id), Some(&manager_token), &json!({"password": new_password})).await, StatusCode::OK).await;
        assert_eq!(reset.id, cook.id);
        expect_error(app.get("me", &cook_token).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        expect_error(app.post("login", None, &json!({"email": cook.email, "password": PASSWORD})).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        app.login(&cook.email, new_password).await;

        // Too short: refused, and the password stays.
        let error = expect_error(app.post(&format!("users/{}/password", cook.id), Some(&manager_token), &json!({"password": "short"})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(error.error.fields.unwrap().0.contains_key("password"));
        app.login(&cook.email, new_password).await;

        // Only owners manage owners: a manager can neither reset an owner's password nor deactivate one.
        expect_error(app.post(&format!("users/{}/password", soho.owner.id), Some(&manager_token), &json!({"password": new_password})).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.patch(&format!("users/{}", soho.owner.id), &manager_token, &json!({"active": false})).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_status(app.get("me", &soho.token).await, StatusCode::OK).await;
        // Staff reset nobody's.
        let cook_token = app.login(&cook.email, new_password).await.token;
        expect_error(app.post(&format!("users/{}/password", manager.id), Some(&cook_token), &json!({"password": new_password})).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.post(&format!("users/{}/password", Uuid::now_v7()), Some(&soho.token), &json!({"password": new_password})).await, StatusCode::NOT_FOUND, "not_found").await;

        // An owner resetting their own password stays signed in here; their other sessions end.
        let elsewhere = app.login(&soho.owner.email, PASSWORD).await.token;
        expect_json::<User>(app.post(&format!("users/{}/password", soho.owner.id), Some(&soho.token), &json!({"password": new_password})).await, StatusCode::OK).await;
        expect_status(app.get("me", &soho.token).await, StatusCode::OK).await;
        expect_error(app.get("me", &elsewhere).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        // And an owner may reset a manager's.
        expect_json::<User>(app.post(&format!("users/{}/password", manager.id), Some(&soho.token), &json!({"password": new_password})).await, StatusCode::OK).await;
        expect_error(app.get("me", &manager_token).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
}

/// An export is written a page at a time (here 7 orders a page): across the pages it holds every order once,
/// newest first as the history lists them, with its filters applied on every page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_export_is_written_a_page_at_a_time_with_every_order_once_in_order() {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let app = TestApp::spawn_with(backend, |config| config.export_page = 7).await;
        let soho = app.restaurant("Soho").await;
        let mains = app.category(&soho, "Mains").await;
        let burger = app.product(&soho, &mains, "Smash Burger", 1095).await;
        let mut placed = Vec::new();
        for _ in 0..23 {
            placed.push(app.place_order(&soho.token, &[(burger.id, 1)]).await);
        }
        // Nine cancelled, over two pages of a filtered export.
        for order in placed.iter().step_by(2).take(9) {
            cancel(&app, &soho.token, order, "the customer left").await;
        }
        let history: OrderPage = expect_json(app.get("orders?per_page=200", &soho.token).await, StatusCode::OK).await;
        let listed: Vec<String> = history.orders.iter().map(|o| o.number.to_string()).collect();
        assert_eq!(listed.len(), 23);
        assert_eq!(
            export(&app, &soho.token, "").await.values("number"),
            listed,
            "{backend:?}: all, in the history's order"
        );
        let cancelled = export(&app, &soho.token, "status=cancelled").await.values("number");
        assert_eq!(cancelled, ["17", "15", "13", "11", "9", "7", "5", "3", "1"], "{backend:?}: filtered on every page");
    }
}
