//! The menu editor's own logic, pure so that it is tested natively (`menu/tests.rs`): the menu in the
//! order a kiosk shows it, prices as a manager types them, the product form's draft and the request it
//! makes, the "86" choices as request bodies, moving a category, and the words for a product's standing.
//! The screen (`screens/menu.rs`) draws these and calls the server; the lists it shows are the app's
//! synced cache, never a copy of its own.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, NaiveDateTime, NaiveTime, Utc};
use ordera_protocol::api::{Category, CreateProductRequest, Product, Until, UpdateProductRequest};
use ordera_protocol::device::Menu;
use ordera_protocol::validate::{stock_count, CategoryName, Description, ProductName, Station};
use ordera_protocol::{Allergen, Currency, Money};
use ordera_ui::api::ApiFailure;
use uuid::Uuid;

use super::capitalise;

/// What is wrong, by the API's field names (`name`, `price`, `stock`…), so that the form's own checks
/// and the server's 422 `fields` land beside the same fields.
pub type Problems = BTreeMap<String, String>;

/// The categories, hidden ones too, in menu order.
pub fn categories(menu: &Menu) -> Vec<&Category> {
    let mut list: Vec<&Category> = menu.categories.iter().collect();
    list.sort_by_key(|c| (c.position, c.id));
    list
}

/// A category's products in menu order.
pub fn products_in(menu: &Menu, category: Uuid) -> Vec<&Product> {
    let mut list: Vec<&Product> = menu.products.iter().filter(|p| p.category_id == category).collect();
    list.sort_by_key(|p| (p.position, p.id));
    list
}

/// The stations the menu already routes to, to offer in the product form ("kitchen" always).
pub fn stations(menu: &Menu) -> Vec<String> {
    let mut all: BTreeSet<String> = menu.products.iter().map(|p| p.station.clone()).collect();
    all.insert(Station::DEFAULT.to_owned());
    all.into_iter().collect()
}

/// Digits after the point in the restaurant's currency (2 until the menu says which).
pub fn decimals(currency: Option<&str>) -> u32 {
    currency.and_then(|code| Currency::parse(code).ok()).map_or(2, |c| c.decimals())
}

/// A price as a manager types it: "10.95", "10", "10,5" or ".50" in a two-decimal currency; whole
/// amounts in a currency without decimals. Never through a float.
pub fn parse_price(text: &str, decimals: u32) -> Result<Money, String> {
    let text = text.trim();
    let example = format_price(Money(1095 * 10i64.pow(decimals.saturating_sub(2))), decimals);
    if text.is_empty() {
        return Err(format!("enter a price, e.g. {example}"));
    }
    if text.starts_with('-') {
        return Err("a price cannot be negative".into());
    }
    let (whole, fraction) = match text.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return Err(format!("enter the price as a number, e.g. {example}"));
    }
    if fraction.len() > decimals as usize {
        return Err(match decimals {
            0 => format!("this currency has no decimals: enter a whole amount, e.g. {example}"),
            1 => "at most 1 digit after the point".into(),
            n => format!("at most {n} digits after the point"),
        });
    }
    let scale = 10i64.pow(decimals);
    let too_high = || format!("a price may be at most {}", format_price(Money(Money::MAX_PRICE), decimals));
    // More digits than any price has would overflow before the comparison below.
    if whole.trim_start_matches('0').len() > 12 {
        return Err(too_high());
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_high())? };
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<i64>().unwrap_or(0) * 10i64.pow(decimals - fraction.len() as u32)
    };
    let minor = whole * scale + fraction;
    Money::price(minor).map_err(|_| too_high())
}

/// A price as the form shows it for editing: "10.95", "1200".
pub fn format_price(amount: Money, decimals: u32) -> String {
    if decimals == 0 {
        return amount.0.to_string();
    }
    let scale = 10i64.pow(decimals);
    format!("{}.{:0width$}", amount.0 / scale, amount.0 % scale, width = decimals as usize)
}

/// A count as typed: blank is "not counted".
fn parse_count(text: &str, field: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let value: i64 =
        text.parse().map_err(|_| format!("{} must be a whole number, or blank", field.replace('_', " ")))?;
    stock_count(value, &field.replace('_', " ")).map(Some).map_err(|e| e.to_string())
}

/// A field's value, or its problem noted under its name.
fn take<T>(problems: &mut Problems, field: &str, result: Result<T, String>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(problem) => {
            problems.insert(field.to_owned(), problem);
            None
        }
    }
}

/// The product form as typed: text, so a half-typed price is the manager's business until they save.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductDraft {
    pub name: String,
    pub description: String,
    pub price: String,
    pub category_id: Option<Uuid>,
    pub station: String,
    pub allergens: BTreeSet<Allergen>,
    /// Blank: stock is not counted.
    pub stock: String,
    pub low_stock_threshold: String,
}

/// The draft's values once each field is read, or what is wrong with each.
struct Read {
    name: Option<String>,
    description: Option<String>,
    price: Option<Money>,
    station: Option<String>,
    stock: Option<Option<i64>>,
    low_stock_threshold: Option<Option<i64>>,
    problems: Problems,
}

impl ProductDraft {
    /// A new product in `category`, for the kitchen's default station.
    pub fn new_in(category: Uuid) -> Self {
        Self { category_id: Some(category), station: Station::DEFAULT.to_owned(), ..Self::default() }
    }

    pub fn of(product: &Product, decimals: u32) -> Self {
        let count = |value: Option<i64>| value.map(|v| v.to_string()).unwrap_or_default();
        Self {
            name: product.name.clone(),
            description: product.description.clone(),
            price: format_price(product.price, decimals),
            category_id: Some(product.category_id),
            station: product.station.clone(),
            allergens: product.allergens.iter().copied().collect(),
            stock: count(product.stock),
            low_stock_threshold: count(product.low_stock_threshold),
        }
    }

    pub fn toggle(&mut self, allergen: Allergen) {
        if !self.allergens.remove(&allergen) {
            self.allergens.insert(allergen);
        }
    }

    fn read(&self, decimals: u32) -> Read {
        let mut problems = Problems::new();
        let text = |result: Result<String, ordera_protocol::ValidationError>| result.map_err(|e| e.to_string());
        let name = take(&mut problems, "name", text(ProductName::parse(&self.name).map(ProductName::into_inner)));
        let description = take(
            &mut problems,
            "description",
            text(Description::parse(&self.description).map(Description::into_inner)),
        );
        let price = take(&mut problems, "price", parse_price(&self.price, decimals));
        let station = take(&mut problems, "station", text(Station::parse(&self.station).map(Station::into_inner)));
        let stock = take(&mut problems, "stock", parse_count(&self.stock, "stock"));
        let low_stock_threshold =
            take(&mut problems, "low_stock_threshold", parse_count(&self.low_stock_threshold, "low_stock_threshold"));
        if self.category_id.is_none() {
            problems.insert("category_id".into(), "choose a category".into());
        }
        Read { name, description, price, station, stock, low_stock_threshold, problems }
    }

    /// What is wrong with the draft as it stands, checked as the server would; empty when it can be sent.
    pub fn problems(&self, decimals: u32) -> Problems {
        self.read(decimals).problems
    }

    /// The body of `POST products`.
    pub fn create_request(&self, decimals: u32) -> Result<CreateProductRequest, Problems> {
        let read = self.read(decimals);
        match (
            read.name,
            read.description,
            read.price,
            read.station,
            read.stock,
            read.low_stock_threshold,
            self.category_id,
        ) {
            (
                Some(name),
                Some(description),
                Some(price),
                Some(station),
                Some(stock),
                Some(low_stock_threshold),
                Some(category_id),
            ) if read.problems.is_empty() => Ok(CreateProductRequest {
                category_id,
                name,
                description: Some(description),
                price: price.0,
                allergens: self.allergens.iter().copied().collect(),
                station: Some(station),
                available: None,
                stock,
                low_stock_threshold,
                position: None,
            }),
            _ => Err(read.problems),
        }
    }

    /// The body of `PATCH products/{id}`: only what differs from `saved`, so a manager's save never
    /// undoes a change someone else made meanwhile to a field they did not touch.
    pub fn update_request(&self, saved: &Product, decimals: u32) -> Result<UpdateProductRequest, Problems> {
        let read = self.read(decimals);
        if !read.problems.is_empty() {
            return Err(read.problems);
        }
        let differs = |new: Option<String>, old: &str| new.filter(|new| new != old);
        let allergens: Vec<Allergen> = self.allergens.iter().copied().collect();
        let mut saved_allergens = saved.allergens.clone();
        saved_allergens.sort();
        saved_allergens.dedup();
        Ok(UpdateProductRequest {
            category_id: self.category_id.filter(|id| *id != saved.category_id),
            name: differs(read.name, &saved.name),
            description: differs(read.description, &saved.description),
            price: read.price.filter(|price| *price != saved.price).map(|price| price.0),
            allergens: (allergens != saved_allergens).then_some(allergens),
            station: differs(read.station, &saved.station),
            stock: read.stock.filter(|stock| *stock != saved.stock),
            low_stock_threshold: read.low_stock_threshold.filter(|t| *t != saved.low_stock_threshold),
            ..UpdateProductRequest::default()
        })
    }
}

/// Whether an update changes nothing (the save button then says so).
pub fn unchanged(request: &UpdateProductRequest) -> bool {
    serde_json::to_value(request).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
}

/// A category name as typed, checked as the server would.
pub fn category_name_problem(name: &str) -> Option<String> {
    CategoryName::parse(name).err().map(|e| e.to_string())
}

/// What the 86 button does: a product off for a while (it comes back by itself), off until switched
/// on, or on again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EightySix {
    /// Sold out until the restaurant's next business day starts.
    EndOfBusinessDay,
    /// Sold out until this instant.
    Until(DateTime<Utc>),
    /// Off until a manager switches it back on.
    UntilSwitchedOn,
    /// Available again, at once.
    BackOn,
}

impl EightySix {
    /// The body of `PATCH products/{id}`.
    pub fn request(self) -> UpdateProductRequest {
        let (available, unavailable_until) = match self {
            EightySix::EndOfBusinessDay => (None, Some(Until::EndOfBusinessDay)),
            EightySix::Until(at) => (None, Some(Until::At(at))),
            EightySix::UntilSwitchedOn => (Some(false), None),
            EightySix::BackOn => (Some(true), None),
        };
        UpdateProductRequest { available, unavailable_until, ..UpdateProductRequest::default() }
    }
}

/// A time typed into a time field ("14:00", or "14:00:00" as some webviews give it).
pub fn parse_clock(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M").or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S")).ok()
}

/// The next time the clock shows `at`, from `now` (both local): later today, or tomorrow when `at` has
/// passed ("until 02:00" typed at 23:00 means the night ahead).
pub fn next_at(now: NaiveDateTime, at: NaiveTime) -> NaiveDateTime {
    let today = now.date().and_time(at);
    if today > now {
        today
    } else {
        today.checked_add_days(Days::new(1)).unwrap_or(today)
    }
}

/// Where a product stands for a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    OnSale,
    /// Counted and at or below its low-stock threshold.
    Low(i64),
    /// Counted and none left.
    OutOfStock,
    /// Switched off ("86'd"): back by itself at `back_at`, or when a manager switches it on.
    Off {
        back_at: Option<DateTime<Utc>>,
    },
}

pub fn standing(product: &Product) -> Standing {
    if !product.available {
        Standing::Off { back_at: product.available_again_at }
    } else if product.stock == Some(0) {
        Standing::OutOfStock
    } else if product.low_on_stock() {
        Standing::Low(product.stock.unwrap_or_default())
    } else {
        Standing::OnSale
    }
}

/// A product's badges, words and class: "Sold out" with "Back at 14:00", "Low: 3 left". `clock` says
/// an instant as the manager reads it.
pub fn badges(product: &Product, clock: impl Fn(&DateTime<Utc>) -> String) -> Vec<(String, &'static str)> {
    match standing(product) {
        Standing::OnSale => Vec::new(),
        Standing::Low(left) => vec![(format!("Low: {left} left"), "badge-warn")],
        Standing::OutOfStock => vec![("Sold out".into(), "badge-bad"), ("No stock left".into(), "badge-warn")],
        Standing::Off { back_at: Some(at) } => {
            vec![("Sold out".into(), "badge-bad"), (format!("Back at {}", clock(&at)), "badge-warn")]
        }
        Standing::Off { back_at: None } => {
            vec![("Sold out".into(), "badge-bad"), ("Until switched back on".into(), "badge-warn")]
        }
    }
}

/// Whether the app's synced cache holds `product` as the server answered it: the change has come back
/// through the restaurant's log, which is how every kiosk and kitchen screen hears of it too.
pub fn arrived(menu: &Menu, product: &Product) -> bool {
    menu.products.iter().any(|p| p == product)
}

/// A step of a category through the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    First,
    Last,
}

/// The key on a category's move handle that moves it, if any: ↑ ↓ one place, Home and End to either end.
pub fn key_move(key: &str) -> Option<Move> {
    match key {
        "ArrowUp" => Some(Move::Up),
        "ArrowDown" => Some(Move::Down),
        "Home" => Some(Move::First),
        "End" => Some(Move::Last),
        _ => None,
    }
}

/// The whole order after moving `id` one step (what `POST categories/reorder` takes: every category
/// once); `None` when it cannot move that way or is not in `order`.
pub fn moved(order: &[Uuid], id: Uuid, step: Move) -> Option<Vec<Uuid>> {
    let from = order.iter().position(|c| *c == id)?;
    let to = match step {
        Move::Up => from.checked_sub(1)?,
        Move::Down => from + 1,
        Move::First => 0,
        Move::Last => order.len().checked_sub(1)?,
    };
    moved_to(order, id, to)
}

/// The whole order with `id` at `index` (a drop); `None` when nothing would change.
pub fn moved_to(order: &[Uuid], id: Uuid, index: usize) -> Option<Vec<Uuid>> {
    let from = order.iter().position(|c| *c == id)?;
    if index >= order.len() || index == from {
        return None;
    }
    let mut next = order.to_vec();
    let moving = next.remove(from);
    next.insert(index, moving);
    Some(next)
}

/// The image types the server takes (anything else it refuses with 415).
pub const IMAGE_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];

/// Why a chosen file cannot be a product photo, before it is sent: its type (the server checks its
/// content, size and pixels; its word is final).
pub fn image_problem(content_type: &str, size: u64) -> Option<String> {
    if !IMAGE_TYPES.contains(&content_type) {
        return Some("Choose a PNG, JPEG or WebP picture.".into());
    }
    (size == 0).then(|| "That file is empty: choose another picture.".into())
}

/// Why an upload failed, as a sentence beside the picture: the server's reason (too large, not an image,
/// too many pixels), or that the connection is missing.
pub fn upload_failure(failure: &ApiFailure) -> String {
    if failure.offline() {
        return "The picture was not sent: changes need the connection. Try again when the app is online.".into();
    }
    let reason = failure.field("image").unwrap_or_else(|| failure.message.clone());
    let hint = match failure.status {
        Some(413) => " Choose a smaller file.",
        Some(415) => " Choose a PNG, JPEG or WebP picture.",
        Some(422) => " Choose another picture.",
        _ => "",
    };
    format!("The picture was not saved: {}.{hint}", reason.trim_end_matches('.'))
}

/// A refusal (deleting a category that holds products, a stale form) as one sentence.
pub fn failure_sentence(failure: &ApiFailure) -> String {
    if failure.offline() {
        return "Not saved: changes need the connection. Try again when the app is online.".into();
    }
    let sentence = capitalise(&failure.message);
    if sentence.ends_with('.') {
        sentence
    } else {
        format!("{sentence}.")
    }
}

#[cfg(test)]
mod tests;
