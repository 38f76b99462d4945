//! The kitchen app's top component: one store, fed by the engine, and the screen its phase and role call
//! for.

use ordera_protocol::ipc::ScreenRole;
use ordera_ui::PairScreen;
use yew::prelude::*;

use crate::hooks::{use_bump_bar, use_engine, use_sounds};
use crate::screens::board::Board;
use crate::screens::pickup::Pickup;
use crate::screens::setup::Setup;
use crate::state::{Action, Phase, State};

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);
    use_engine(&state);
    use_bump_bar(&state);
    use_sounds(&state);
    match state.phase {
        Phase::Loading => html! {
            <main class="center" id="loading">
                <p>{ "Starting the kitchen screen…" }</p>
                if let Some(error) = &state.error { <p class="error" role="alert">{ error }</p> }
            </main>
        },
        Phase::Pair => {
            let server_url = state.start.as_ref().map(|s| s.server_url.clone()).unwrap_or_default();
            let version = state.start.as_ref().map(|s| AttrValue::from(s.version.clone())).unwrap_or_default();
            let on_paired = {
                let state = state.clone();
                Callback::from(move |()| state.dispatch(Action::Paired))
            };
            let on_error = {
                let state = state.clone();
                Callback::from(move |error: String| state.dispatch(Action::Error(Some(error))))
            };
            html! {
                <PairScreen title="Pair this kitchen screen"
                    hint="Ask a manager for a kitchen screen pairing code in the admin app."
                    server_url={server_url} error={state.error.clone().map(AttrValue::from)} on_paired={on_paired} on_error={on_error} {version} />
            }
        }
        Phase::Setup => html! { <Setup state={state.clone()} /> },
        Phase::Board if state.settings.role == ScreenRole::Pickup => html! { <Pickup state={state.clone()} /> },
        Phase::Board => html! { <Board state={state.clone()} /> },
    }
}
