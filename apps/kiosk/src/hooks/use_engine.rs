//! Follows the shell's engine: where the kiosk stands on start, then the menu, the connection and what
//! became of orders, from the engine's events for the life of the page.

use ordera_protocol::device::EngineEvent;
use ordera_protocol::ipc;
use ordera_ui::ipc::NoArgs;
use ordera_ui::{invoke, listen};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::state::{Action, State};

/// The events the kiosk follows, by the names `EngineEvent::name` gives them (the test below holds them to
/// it). Refusals waiting for staff are the admin app's business.
const FOLLOWED: [&str; 4] = ["catalog-changed", "orders-changed", "connection-changed", "command-rejected"];

/// Loads the start information, the menu and the status once, and subscribes to the engine's events.
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
    match event {
        EngineEvent::CatalogChanged => spawn_local(refresh(dispatch.clone())),
        EngineEvent::OrdersChanged => dispatch.dispatch(Action::OrdersChanged),
        EngineEvent::ConnectionChanged { status } => dispatch.dispatch(Action::Status(status)),
        EngineEvent::CommandRejected { command_id, reason } => dispatch.dispatch(Action::Refused(command_id, reason)),
        EngineEvent::RefusalsChanged => {}
    }
}

/// Reads the menu and the status again: on start, after pairing and when the catalog changed.
pub async fn refresh(dispatch: UseReducerDispatcher<State>) {
    if let Ok(menu) = invoke::<ipc::GetMenu>(&NoArgs {}).await {
        dispatch.dispatch(Action::Menu(menu));
    }
    if let Ok(status) = invoke::<ipc::Status>(&NoArgs {}).await {
        dispatch.dispatch(Action::Status(status));
    }
}

#[cfg(test)]
mod tests {
    use ordera_protocol::device::EngineEvent;
    use serde_json::json;

    use super::FOLLOWED;

    #[test]
    fn the_kiosk_follows_the_events_by_the_names_the_engine_gives_them() {
        let status =
            json!({"connection": "online", "last_sync": null, "pending": 0, "rejected": 0, "last_error": null});
        let events = [
            json!({"type": "catalog-changed"}),
            json!({"type": "orders-changed"}),
            json!({"type": "connection-changed", "status": status}),
            json!({"type": "command-rejected", "command_id": uuid::Uuid::nil(), "reason": "sold out"}),
        ];
        let names: Vec<&str> =
            events.into_iter().map(|event| serde_json::from_value::<EngineEvent>(event).unwrap().name()).collect();
        assert_eq!(names, FOLLOWED);
    }
}
