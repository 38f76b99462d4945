//! The admin app's screens, one a file: sign in, pair, and the board's tabs: the dashboard, needs
//! attention, orders, the menu (a folder of its own), devices and settings. Each draws the store and
//! dispatches actions; the shell is the hooks' business.

mod attention;
mod dashboard;
mod devices;
mod menu;
mod orders;
mod pair;
mod settings;
mod sign_in;

pub use attention::Attention;
pub use dashboard::Dashboard;
pub use devices::Devices;
pub use menu::MenuEditor;
pub use orders::Orders;
pub use pair::Pair;
pub use settings::Settings;
pub use sign_in::SignIn;

use chrono::{DateTime, Utc};
use yew::prelude::*;

use crate::state::State;

#[derive(Properties, PartialEq)]
pub struct ScreenProps {
    pub state: UseReducerHandle<State>,
}

/// "14:32", in the device's local time (the browser knows the tablet's time zone).
fn clock(at: &DateTime<Utc>) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.timestamp_millis() as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// What an empty list says before the first sync: not "nothing", but that the app does not know yet, and why.
fn not_in_step(state: &State, id: &'static str) -> Html {
    html! {
        <div class="empty" {id}>
            <strong>{ "Not in step with the server yet" }</strong>
            {
                match state.sync_problem() {
                    Some(error) => format!("The last attempt failed ({error}); the app keeps trying."),
                    None => "The list appears as soon as the app reaches the server.".to_owned(),
                }
            }
        </div>
    }
}
