//! The confirmation's ticket number: the saved order is looked up when the screen opens and again each
//! time the engine says its orders changed, until the server's number is known. No polling: an order is
//! numbered only when the engine hears back, and that is when it says so.

use ordera_protocol::ipc::{self, IdArgs};
use ordera_ui::invoke;
use uuid::Uuid;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::state::{Action, State};

/// `awaiting`: the order still without a number; `orders_changed`: the store's count of the engine's
/// "orders changed" events.
#[hook]
pub fn use_ticket_number(awaiting: Option<Uuid>, orders_changed: u64, dispatch: UseReducerDispatcher<State>) {
    use_effect_with((awaiting, orders_changed), move |&(awaiting, _)| {
        if let Some(id) = awaiting {
            spawn_local(async move {
                // A lookup that finds nothing yet is answered by the next event.
                if let Ok(Some(order)) = invoke::<ipc::GetOrder>(&IdArgs { id }).await {
                    dispatch.dispatch(Action::OrderKnown(order));
                }
            });
        }
        || ()
    });
}
