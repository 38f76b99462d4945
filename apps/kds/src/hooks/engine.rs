//! Loads what the screen needs from the shell on start and keeps it current from the engine's events; ticks
//! the store's clock once a second, so timers, the liveness header and the undo offer move on their own.

use chrono::{DateTime, Utc};
use ordera_protocol::device::EngineEvent;
use ordera_protocol::ipc::{self, NoArgs};
use ordera_ui::{invoke, listen};
use yew::prelude::*;

use crate::state::{Action, State};

pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

pub fn reload_orders(dispatch: UseReducerDispatcher<State>) {
    wasm_bindgen_futures::spawn_local(async move {
        match invoke::<ipc::GetOrders>(&NoArgs {}).await {
            Ok(orders) => dispatch.dispatch(Action::Orders(orders)),
            Err(error) => dispatch.dispatch(Action::Error(Some(error.message))),
        }
    });
}

fn reload_menu(dispatch: UseReducerDispatcher<State>) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(menu) = invoke::<ipc::GetMenu>(&NoArgs {}).await {
            dispatch.dispatch(Action::Menu(menu));
        }
    });
}

#[hook]
pub fn use_engine(state: &UseReducerHandle<State>) {
    let dispatch = state.dispatcher();
    use_effect_with((), move |_| {
        dispatch.dispatch(Action::Tick(now()));
        {
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let started = async {
                    let start = invoke::<ipc::Start>(&NoArgs {}).await?;
                    let settings = invoke::<ipc::GetScreenSettings>(&NoArgs {}).await?;
                    let acknowledged = invoke::<ipc::Acknowledged>(&NoArgs {}).await?;
                    Ok::<_, ordera_protocol::device::IpcError>(Action::Started { start, settings, acknowledged })
                };
                match started.await {
                    Ok(action) => dispatch.dispatch(action),
                    Err(error) => dispatch.dispatch(Action::Error(Some(error.message))),
                }
                if let Ok(status) = invoke::<ipc::Status>(&NoArgs {}).await {
                    dispatch.dispatch(Action::Status(status));
                }
                reload_menu(dispatch.clone());
                reload_orders(dispatch);
            });
        }
        {
            let dispatch = dispatch.clone();
            listen(EngineEvent::CATALOG_CHANGED, move |_: serde::de::IgnoredAny| reload_menu(dispatch.clone()));
        }
        {
            let dispatch = dispatch.clone();
            listen(EngineEvent::ORDERS_CHANGED, move |_: serde::de::IgnoredAny| reload_orders(dispatch.clone()));
        }
        {
            let dispatch = dispatch.clone();
            listen(EngineEvent::CONNECTION_CHANGED, move |event: EngineEvent| {
                if let EngineEvent::ConnectionChanged { status } = event {
                    dispatch.dispatch(Action::Status(status));
                }
            });
        }
        {
            let dispatch = dispatch.clone();
            listen(EngineEvent::COMMAND_REJECTED, move |event: EngineEvent| {
                if let EngineEvent::CommandRejected { reason, .. } = event {
                    dispatch.dispatch(Action::Error(Some(reason)));
                }
                // A refused bump falls away: show the order as the server has it.
                reload_orders(dispatch.clone());
            });
        }
        let clock = gloo_timers::callback::Interval::new(1_000, move || dispatch.dispatch(Action::Tick(now())));
        move || drop(clock)
    });
}
