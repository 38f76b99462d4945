//! The kitchen screen's screens, one file each, and the header they share.

pub mod board;
pub mod header;
pub mod pickup;
pub mod recall;
pub mod setup;
pub mod ticket;

/// "14:02" in the screen's local time.
pub fn clock(at: chrono::DateTime<chrono::Utc>) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.timestamp_millis() as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}
