//! Saves the order the store says is being placed, once: the store lets a tap start it only while none is
//! being saved, so a double tap cannot make two orders.

use ordera_protocol::ipc::{self, PlaceOrderArgs};
use ordera_ui::invoke;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::state::{Action, State};

#[hook]
pub fn use_place_order(placing: Option<PlaceOrderArgs>, dispatch: UseReducerDispatcher<State>) {
    use_effect_with(placing, move |placing| {
        if let Some(args) = placing.clone() {
            spawn_local(async move {
                match invoke::<ipc::PlaceOrder>(&args).await {
                    Ok(entry) => dispatch.dispatch(Action::Saved(entry)),
                    Err(error) => dispatch.dispatch(Action::PlaceFailed(error.message)),
                }
            });
        }
        || ()
    });
}
