//! Follows the shell's engine: where the device stands on start, then the menu, the refused orders,
//! today's orders and the connection, each read again when the engine says it changed, so the board
//! follows the restaurant without a reload and shows what it last knew while offline.

use ordera_protocol::device::EngineEvent;
use ordera_protocol::ipc;
use ordera_ui::ipc::NoArgs;
use ordera_ui::{invoke, listen};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::state::{Action, State};

/// The events the board follows, by the names `EngineEvent::name` gives them (the test below holds them
/// to it). The admin places no orders, so no command of its own is ever rejected.
const FOLLOWED: [&str; 4] = ["catalog-changed", "orders-changed", "refusals-changed", "connection-changed"];

/// Loads the start information and everything the board shows once, and subscribes to the engine's events.
#[hook]
pub fn use_engine(dispatch: UseReducerDispatcher<State>) {
    use_effect_with((), move |_| {
        let start = dispatch.clone();
        spawn_local(async move {
            match invoke::<ipc::Start>(&NoArgs {}).await {
                Ok(info) => start.dispatch(Action::Started(info)),
                Err(error) => start.dispatch(Action::StartFailed(error.message)),
            }
            refresh(start).await;
        });
        for name in FOLLOWED {
            let dispatch = dispatch.clone();
            listen(name, move |event: EngineEvent| on_event(&dispatch, event));
        }
        || ()
    });
}

fn on_event(dispatch: &UseReducerDispatcher<State>, event: EngineEvent) {
    let dispatch = dispatch.clone();
    match event {
        EngineEvent::CatalogChanged => spawn_local(menu(dispatch)),
        EngineEvent::OrdersChanged => spawn_local(orders(dispatch)),
        EngineEvent::RefusalsChanged => spawn_local(refusals(dispatch)),
        EngineEvent::ConnectionChanged { status } => dispatch.dispatch(Action::Status(status)),
        EngineEvent::CommandRejected { .. } => {}
    }
}

/// Reads everything again: on start and after pairing.
pub async fn refresh(dispatch: UseReducerDispatcher<State>) {
    menu(dispatch.clone()).await;
    refusals(dispatch.clone()).await;
    orders(dispatch.clone()).await;
    if let Ok(status) = invoke::<ipc::Status>(&NoArgs {}).await {
        dispatch.dispatch(Action::Status(status));
    }
}

async fn menu(dispatch: UseReducerDispatcher<State>) {
    if let Ok(menu) = invoke::<ipc::GetMenu>(&NoArgs {}).await {
        dispatch.dispatch(Action::Menu(menu));
    }
}

async fn refusals(dispatch: UseReducerDispatcher<State>) {
    if let Ok(refusals) = invoke::<ipc::Refusals>(&NoArgs {}).await {
        dispatch.dispatch(Action::Refusals(refusals));
    }
}

async fn orders(dispatch: UseReducerDispatcher<State>) {
    if let Ok(orders) = invoke::<ipc::GetOrders>(&NoArgs {}).await {
        dispatch.dispatch(Action::Orders(orders));
    }
}

#[cfg(test)]
mod tests {
    use ordera_protocol::device::EngineEvent;
    use serde_json::json;

    use super::FOLLOWED;

    #[test]
    fn the_board_follows_the_events_by_the_names_the_engine_gives_them() {
        let status =
            json!({"connection": "online", "last_sync": null, "pending": 0, "rejected": 0, "last_error": null});
        let events = [
            json!({"type": "catalog-changed"}),
            json!({"type": "orders-changed"}),
            json!({"type": "refusals-changed"}),
            json!({"type": "connection-changed", "status": status}),
        ];
        let names: Vec<&str> =
            events.into_iter().map(|event| serde_json::from_value::<EngineEvent>(event).unwrap().name()).collect();
        assert_eq!(names, FOLLOWED);
    }
}
