//! The menu editor's logic: prices, the product form, the 86 choices, moves and the words it shows.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use ordera_protocol::api::{Category, Product};
use ordera_protocol::device::Menu;
use ordera_protocol::{Allergen, Money};
use ordera_ui::api::ApiFailure;
use serde_json::json;
use uuid::Uuid;

use super::*;

fn product(n: u128) -> Product {
    Product {
        id: Uuid::from_u128(n),
        category_id: Uuid::from_u128(1),
        name: "Classic Smash Burger".into(),
        description: "Two patties".into(),
        price: Money(1095),
        allergens: vec![Allergen::Gluten, Allergen::Milk],
        station: "grill".into(),
        available: true,
        stock: None,
        low_stock_threshold: None,
        position: 0,
        image: None,
        available_again_at: None,
    }
}

fn category(n: u128, position: i64) -> Category {
    Category { id: Uuid::from_u128(n), name: format!("Category {n}"), position, visible: true }
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn failure(status: Option<u16>, code: &str, message: &str, fields: &[(&str, &str)]) -> ApiFailure {
    ApiFailure {
        status,
        code: code.into(),
        message: message.into(),
        fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

#[test]
fn prices_are_typed_as_money_and_read_in_minor_units() {
    for (typed, minor) in [("10.95", 1095), ("10", 1000), ("10.9", 1090), ("10,5", 1050), (".50", 50), (" 0 ", 0)] {
        assert_eq!(parse_price(typed, 2), Ok(Money(minor)), "{typed}");
    }
    assert_eq!(parse_price("1200", 0), Ok(Money(1200)));
    assert_eq!(parse_price("1.250", 3), Ok(Money(1250)));
    assert_eq!(parse_price("100000.00", 2), Ok(Money(Money::MAX_PRICE)));
}

#[test]
fn a_price_that_is_not_money_says_what_to_type() {
    assert!(parse_price("", 2).unwrap_err().contains("10.95"));
    assert!(parse_price("ten", 2).unwrap_err().contains("number"));
    assert!(parse_price("1.2.3", 2).is_err());
    assert!(parse_price(".", 2).is_err());
    assert!(parse_price("£10", 2).is_err());
    assert!(parse_price("-1", 2).unwrap_err().contains("negative"));
    assert!(parse_price("10.955", 2).unwrap_err().contains("2 digits"));
    assert!(parse_price("12.5", 0).unwrap_err().contains("whole amount"));
    assert!(parse_price("100000.01", 2).unwrap_err().contains("100000.00"));
    assert!(parse_price("99999999999999999999999", 2).unwrap_err().contains("at most"));
}

#[test]
fn prices_show_for_editing_with_the_currencys_decimals() {
    assert_eq!(format_price(Money(1095), 2), "10.95");
    assert_eq!(format_price(Money(5), 2), "0.05");
    assert_eq!(format_price(Money(1200), 0), "1200");
    assert_eq!(format_price(Money(1250), 3), "1.250");
    assert_eq!(decimals(Some("JPY")), 0);
    assert_eq!(decimals(Some("GBP")), 2);
    assert_eq!(decimals(None), 2);
    for minor in [0, 1, 99, 1095, Money::MAX_PRICE] {
        assert_eq!(parse_price(&format_price(Money(minor), 2), 2), Ok(Money(minor)), "round trip");
    }
}

#[test]
fn a_new_product_is_sent_with_every_field_of_the_form() {
    let mut draft = ProductDraft::new_in(Uuid::from_u128(7));
    assert_eq!(draft.station, "kitchen");
    draft.name = " Halloumi Burger ".into();
    draft.description = "Grilled halloumi".into();
    draft.price = "9.5".into();
    draft.station = "Grill Station".into();
    draft.toggle(Allergen::Milk);
    draft.toggle(Allergen::Gluten);
    draft.toggle(Allergen::Eggs);
    draft.toggle(Allergen::Eggs);
    draft.stock = "20".into();
    draft.low_stock_threshold = "5".into();
    let request = draft.create_request(2).unwrap();
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"category_id": Uuid::from_u128(7), "name": "Halloumi Burger", "description": "Grilled halloumi",
            "price": 950, "allergens": ["gluten", "milk"], "station": "grill-station", "available": null,
            "stock": 20, "low_stock_threshold": 5, "position": null})
    );
    // What the server itself accepts.
    assert!(request.validate().is_ok());
}

#[test]
fn blank_stock_is_not_counted() {
    let mut draft = ProductDraft::new_in(Uuid::from_u128(7));
    draft.name = "Cola".into();
    draft.price = "2.95".into();
    let request = draft.create_request(2).unwrap();
    assert_eq!((request.stock, request.low_stock_threshold), (None, None));
}

#[test]
fn the_form_checks_each_field_as_the_server_would_under_the_apis_names() {
    let draft = ProductDraft {
        name: "  ".into(),
        description: "bell \u{7}".into(),
        price: "10.999".into(),
        category_id: None,
        station: "grill!".into(),
        allergens: Default::default(),
        stock: "lots".into(),
        low_stock_threshold: "-1".into(),
    };
    let problems = draft.problems(2);
    let fields: Vec<&str> = problems.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        ["category_id", "description", "low_stock_threshold", "name", "price", "station", "stock"],
        "{problems:?}"
    );
    assert!(problems["stock"].contains("whole number"), "{problems:?}");
    assert!(draft.create_request(2).is_err());
    let fine = ProductDraft { name: "Cola".into(), price: "2.95".into(), ..ProductDraft::new_in(Uuid::from_u128(7)) };
    assert_eq!(fine.problems(2), BTreeMap::new());
}

#[test]
fn an_edit_sends_only_what_changed() {
    let saved = product(3);
    let draft = ProductDraft::of(&saved, 2);
    assert_eq!(draft.price, "10.95");
    let request = draft.update_request(&saved, 2).unwrap();
    assert!(unchanged(&request), "{request:?}");

    let mut edited = draft.clone();
    edited.price = "11.50".into();
    edited.toggle(Allergen::Milk);
    edited.stock = "12".into();
    edited.description = " Two patties ".into();
    let request = edited.update_request(&saved, 2).unwrap();
    assert_eq!(serde_json::to_value(&request).unwrap(), json!({"price": 1150, "allergens": ["gluten"], "stock": 12}));
    assert!(!unchanged(&request));
}

#[test]
fn clearing_stock_in_an_edit_stops_counting_it() {
    let saved = Product { stock: Some(4), low_stock_threshold: Some(2), ..product(3) };
    let mut draft = ProductDraft::of(&saved, 2);
    assert_eq!((draft.stock.as_str(), draft.low_stock_threshold.as_str()), ("4", "2"));
    draft.stock = String::new();
    draft.low_stock_threshold = " ".into();
    let request = draft.update_request(&saved, 2).unwrap();
    assert_eq!(serde_json::to_value(&request).unwrap(), json!({"stock": null, "low_stock_threshold": null}));
}

#[test]
fn moving_a_product_to_another_category_sends_the_category() {
    let saved = product(3);
    let mut draft = ProductDraft::of(&saved, 2);
    draft.category_id = Some(Uuid::from_u128(9));
    let request = draft.update_request(&saved, 2).unwrap();
    assert_eq!(serde_json::to_value(&request).unwrap(), json!({"category_id": Uuid::from_u128(9)}));
}

#[test]
fn each_86_choice_is_the_request_the_server_takes() {
    let body = |choice: EightySix| serde_json::to_value(choice.request()).unwrap();
    assert_eq!(body(EightySix::EndOfBusinessDay), json!({"unavailable_until": "end_of_business_day"}));
    assert_eq!(
        body(EightySix::Until(at("2026-12-07T14:00:00Z"))),
        json!({"unavailable_until": "2026-12-07T14:00:00+00:00"})
    );
    assert_eq!(body(EightySix::UntilSwitchedOn), json!({"available": false}));
    assert_eq!(body(EightySix::BackOn), json!({"available": true}));
    for choice in [EightySix::EndOfBusinessDay, EightySix::UntilSwitchedOn, EightySix::BackOn] {
        assert!(choice.request().validate().is_ok(), "{choice:?}");
    }
}

#[test]
fn until_a_time_means_the_next_time_the_clock_shows_it() {
    let now = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap().and_hms_opt(11, 30, 0).unwrap();
    let two = parse_clock("14:00").unwrap();
    assert_eq!(next_at(now, two), NaiveDate::from_ymd_opt(2026, 12, 7).unwrap().and_time(two));
    let late = now.date().and_hms_opt(23, 0, 0).unwrap();
    let small_hours = parse_clock("02:00:00").unwrap();
    assert_eq!(next_at(late, small_hours), NaiveDate::from_ymd_opt(2026, 12, 8).unwrap().and_time(small_hours));
    assert_eq!(
        next_at(now, NaiveTime::from_hms_opt(11, 30, 0).unwrap()).date(),
        NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
    );
    assert_eq!(parse_clock("2pm"), None);
    assert_eq!(parse_clock(""), None);
}

#[test]
fn badges_say_sold_out_back_at_and_low_stock() {
    let clock = |at: &DateTime<Utc>| at.format("%H:%M").to_string();
    assert!(badges(&product(1), clock).is_empty());
    let back = Product { available: false, available_again_at: Some(at("2026-12-07T14:00:00Z")), ..product(1) };
    assert_eq!(
        badges(&back, clock),
        [("Sold out".to_owned(), "badge-bad"), ("Back at 14:00".to_owned(), "badge-warn")]
    );
    let off = Product { available: false, ..product(1) };
    assert_eq!(badges(&off, clock)[0].0, "Sold out");
    assert_eq!(badges(&off, clock)[1].0, "Until switched back on");
    let low = Product { stock: Some(3), low_stock_threshold: Some(5), ..product(1) };
    assert_eq!(badges(&low, clock), [("Low: 3 left".to_owned(), "badge-warn")]);
    let plenty = Product { stock: Some(30), low_stock_threshold: Some(5), ..product(1) };
    assert!(badges(&plenty, clock).is_empty());
    let none_left = Product { stock: Some(0), low_stock_threshold: Some(5), ..product(1) };
    assert_eq!(standing(&none_left), Standing::OutOfStock);
    assert_eq!(badges(&none_left, clock)[0].0, "Sold out");
}

#[test]
fn categories_move_one_place_or_to_either_end_and_never_off_the_list() {
    let [a, b, c] = [1, 2, 3].map(Uuid::from_u128);
    let order = [a, b, c];
    assert_eq!(moved(&order, b, Move::Up), Some(vec![b, a, c]));
    assert_eq!(moved(&order, b, Move::Down), Some(vec![a, c, b]));
    assert_eq!(moved(&order, c, Move::First), Some(vec![c, a, b]));
    assert_eq!(moved(&order, a, Move::Last), Some(vec![b, c, a]));
    assert_eq!(moved(&order, a, Move::Up), None);
    assert_eq!(moved(&order, c, Move::Down), None);
    assert_eq!(moved(&order, a, Move::First), None);
    assert_eq!(moved(&order, Uuid::from_u128(9), Move::Up), None);
    assert_eq!(moved_to(&order, a, 2), Some(vec![b, c, a]));
    assert_eq!(moved_to(&order, c, 0), Some(vec![c, a, b]));
    assert_eq!(moved_to(&order, c, 5), None);
    assert_eq!(key_move("ArrowUp"), Some(Move::Up));
    assert_eq!(key_move("End"), Some(Move::Last));
    assert_eq!(key_move("a"), None);
}

#[test]
fn the_menu_reads_in_order_with_each_categorys_products() {
    let menu = Menu {
        tenant: None,
        categories: vec![category(2, 1), category(1, 0), Category { visible: false, ..category(3, 2) }],
        products: vec![
            Product { position: 1, ..product(10) },
            Product { position: 0, station: "bar".into(), ..product(11) },
            Product { category_id: Uuid::from_u128(2), ..product(12) },
        ],
    };
    let order: Vec<Uuid> = categories(&menu).iter().map(|c| c.id).collect();
    assert_eq!(order, [1, 2, 3].map(Uuid::from_u128));
    let first: Vec<Uuid> = products_in(&menu, Uuid::from_u128(1)).iter().map(|p| p.id).collect();
    assert_eq!(first, [11, 10].map(Uuid::from_u128));
    assert!(products_in(&menu, Uuid::from_u128(3)).is_empty());
    assert_eq!(stations(&menu), ["bar", "grill", "kitchen"]);
    assert!(arrived(&menu, &Product { position: 1, ..product(10) }));
    assert!(!arrived(&menu, &Product { position: 1, price: Money(1), ..product(10) }), "not yet the saved version");
}

#[test]
fn category_names_are_checked_as_the_server_would() {
    assert!(category_name_problem("Burgers").is_none());
    assert!(category_name_problem("  ").unwrap().contains("empty"));
    assert!(category_name_problem(&"x".repeat(61)).is_some());
}

#[test]
fn a_chosen_file_must_be_a_picture_the_server_takes() {
    assert_eq!(image_problem("image/png", 10), None);
    assert_eq!(image_problem("image/webp", 10), None);
    assert!(image_problem("image/gif", 10).unwrap().contains("PNG, JPEG or WebP"));
    assert!(image_problem("image/png", 0).unwrap().contains("empty"));
}

#[test]
fn a_refused_upload_is_explained_in_a_sentence() {
    let too_large = failure(Some(413), "payload_too_large", "images may be at most 8192 KiB", &[]);
    assert_eq!(
        upload_failure(&too_large),
        "The picture was not saved: images may be at most 8192 KiB. Choose a smaller file."
    );
    let not_image = failure(Some(415), "unsupported_media_type", "the file is not a PNG, JPEG or WebP image", &[]);
    assert!(upload_failure(&not_image).ends_with("Choose a PNG, JPEG or WebP picture."));
    let bomb =
        failure(Some(422), "validation_failed", "invalid input", &[("image", "the image is 20000×20000 pixels")]);
    assert_eq!(
        upload_failure(&bomb),
        "The picture was not saved: the image is 20000×20000 pixels. Choose another picture."
    );
    let offline = failure(None, "offline", "the server cannot be reached", &[]);
    assert!(upload_failure(&offline).contains("changes need the connection"));
}

#[test]
fn a_refusal_reads_as_a_sentence() {
    let still_full =
        failure(Some(409), "conflict", "the category still holds 2 product(s); move or delete them first", &[]);
    assert_eq!(failure_sentence(&still_full), "The category still holds 2 product(s); move or delete them first.");
    assert!(failure_sentence(&failure(None, "offline", "x", &[])).contains("changes need the connection"));
}
