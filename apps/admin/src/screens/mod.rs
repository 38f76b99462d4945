//! The admin app's screens, one a file: sign in, sign up, pair, and the board's tabs: the dashboard, needs
//! attention, orders, the menu (a folder of its own), staff, devices and settings. Each draws the store and
//! dispatches actions; the shell is the hooks' business.

mod attention;
mod dashboard;
mod devices;
mod menu;
mod orders;
mod pair;
mod settings;
mod sign_in;
mod sign_up;
mod staff;

pub use attention::Attention;
pub use dashboard::Dashboard;
pub use devices::Devices;
pub use menu::MenuEditor;
pub use orders::Orders;
pub use pair::Pair;
pub use settings::Settings;
pub use sign_in::SignIn;
pub use sign_up::SignUp;
pub use staff::Staff;

use chrono::{DateTime, Utc};
use ordera_ui::api::{self, ApiFailure};
use serde::de::DeserializeOwned;
use wasm_bindgen_futures::spawn_local;
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

/// What a page holds of a list it reads from the server: nothing yet, the answer, or why there is none.
type Read<T> = UseStateHandle<Option<Result<T, ApiFailure>>>;

/// Reads `path` into `list`, keeping the last good answer when a read fails: a list read again every few
/// seconds does not blank on one dropped call.
fn read_into<T: DeserializeOwned + 'static>(path: &'static str, list: Read<T>) {
    spawn_local(async move {
        let read = api::get::<T>(path).await;
        match (&read, (*list).as_ref()) {
            (Err(_), Some(Ok(_))) => {}
            _ => list.set(Some(read)),
        }
    });
}
