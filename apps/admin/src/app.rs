//! The admin app's top component: the store, the hook that keeps it in step with the shell, and which
//! screen shows: pairing, or the board with its two tabs (needs attention, today's orders), under the top
//! bar and over a passing toast.

use ordera_ui::components::TopBar;
use ordera_ui::{act, ConnectionPill, Toast};
use yew::prelude::*;

use crate::hooks::use_engine;
use crate::screens::{Attention, Orders, Pair, ScreenProps};
use crate::state::{Action, Screen, State, Tab};

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);
    use_engine(state.dispatcher());
    let screen = match state.screen {
        Screen::Loading => html! { <div class="center"><p>{ "Starting…" }</p></div> },
        Screen::Pair => html! { <Pair state={state.clone()} /> },
        Screen::Board => html! { <Board state={state.clone()} /> },
    };
    html! {
        <div class="admin">
            <TopBar title={state.restaurant_name().unwrap_or_else(|| "Ordera Admin".into())}>
                <ConnectionPill status={state.status.clone()} />
            </TopBar>
            { screen }
            if let Some(message) = state.toast.clone() {
                <Toast {message} on_dismiss={act(&state, |()| Action::DismissToast)} />
            }
        </div>
    }
}

/// The tabs, and the chosen tab's screen.
#[function_component(Board)]
fn board(ScreenProps { state }: &ScreenProps) -> Html {
    let tab = |tab: Tab, id: &'static str, label: Html| {
        let selected = state.tab == tab;
        let onclick = act(state, move |_: MouseEvent| Action::Tab(tab));
        html! {
            <button {id} role="tab" aria-selected={selected.to_string()}
                class={classes!("btn", "btn-secondary", selected.then_some("selected"))} {onclick}>
                { label }
            </button>
        }
    };
    let waiting = state.refusals.len();
    let attention = html! {
        <>
            { "Needs attention" }
            if waiting > 0 {
                <span class="count" id="attention-count">{ waiting }</span>
            }
        </>
    };
    html! {
        <>
            <nav class="tabs" role="tablist">
                { tab(Tab::Attention, "tab-attention", attention) }
                { tab(Tab::Orders, "tab-orders", html! { "Today's orders" }) }
            </nav>
            {
                match state.tab {
                    Tab::Attention => html! { <Attention state={state.clone()} /> },
                    Tab::Orders => html! { <Orders state={state.clone()} /> },
                }
            }
        </>
    }
}
