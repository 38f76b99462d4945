//! Marking a refused order as handled: the shell settles it with the server (it needs the connection) and
//! the store hears how it went. A second tap on the same card while the first is out does nothing.

use std::collections::BTreeSet;

use ordera_protocol::ipc::{self, IdArgs};
use ordera_ui::invoke;
use uuid::Uuid;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::state::{Action, State};

/// What a card's "Mark as handled" calls, with the refusal's id.
#[hook]
pub fn use_resolve(dispatch: UseReducerDispatcher<State>) -> Callback<Uuid> {
    // Kept outside the store: a tap must see the one before it even if no render came between them.
    let in_flight = use_mut_ref(BTreeSet::<Uuid>::new);
    Callback::from(move |id: Uuid| {
        if !in_flight.borrow_mut().insert(id) {
            return;
        }
        dispatch.dispatch(Action::Settling(id));
        let (dispatch, in_flight) = (dispatch.clone(), in_flight.clone());
        spawn_local(async move {
            let outcome = invoke::<ipc::ResolveRefusal>(&IdArgs { id }).await;
            in_flight.borrow_mut().remove(&id);
            match outcome {
                Ok(settled) => dispatch.dispatch(Action::Settled(settled)),
                Err(error) => dispatch.dispatch(Action::SettleFailed(id, error)),
            }
        });
    })
}
