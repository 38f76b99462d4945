//! The admin app's top component: the store, the hook that keeps it in step with the shell, and which
//! screen shows: signing in, pairing with a code, or the board with its tabs (needs attention and orders;
//! for managers also the dashboard, the menu, staff, devices and settings), under the top bar and over a toast.

use ordera_protocol::ipc::{self, NoArgs};
use ordera_ui::components::TopBar;
use ordera_ui::{act, invoke, ConnectionPill, Toast};
use yew::prelude::*;

use crate::hooks::use_engine;
use crate::screens::{
    Attention, Dashboard, Devices, MenuEditor, Orders, Pair, ScreenProps, Settings, SignIn, SignUp, Staff,
};
use crate::state::{role_label, Action, Screen, State, Tab};

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);
    use_engine(state.dispatcher());
    let screen = match state.screen {
        Screen::Loading => html! { <div class="center"><p>{ "Starting…" }</p></div> },
        Screen::SignIn => html! { <SignIn state={state.clone()} /> },
        Screen::SignUp => html! { <SignUp state={state.clone()} /> },
        Screen::Pair => html! { <Pair state={state.clone()} /> },
        Screen::Board => html! { <Board state={state.clone()} /> },
    };
    let sign_out = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<ipc::SignOut>(&NoArgs {}).await {
                    Ok(()) => dispatch.dispatch(Action::SignedOut),
                    Err(error) => dispatch.dispatch(Action::SignInFailed(error.message)),
                }
            });
        })
    };
    html! {
        <div class="admin">
            <TopBar title={state.restaurant_name().unwrap_or_else(|| "Ordera Admin".into())}>
                <div class="corner">
                    if let Some(person) = state.signed_in.as_ref().filter(|_| state.screen == Screen::Board) {
                        <span class="person" id="signed-in-as">
                            { format!("{} · {}", person.user.name, role_label(person.user.role)) }
                        </span>
                        <button class="btn btn-secondary" id="sign-out" onclick={sign_out}>{ "Sign out" }</button>
                    }
                    <ConnectionPill status={state.status.clone()} />
                </div>
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
    let label = |tab: Tab| -> (&'static str, Html) {
        match tab {
            Tab::Attention => (
                "tab-attention",
                html! {
                    <>
                        { "Needs attention" }
                        if waiting > 0 {
                            <span class="count" id="attention-count">{ waiting }</span>
                        }
                    </>
                },
            ),
            Tab::Dashboard => ("tab-dashboard", html! { "Dashboard" }),
            Tab::Orders => ("tab-orders", html! { "Orders" }),
            Tab::Menu => ("tab-menu", html! { "Menu" }),
            Tab::Staff => ("tab-staff", html! { "Staff" }),
            Tab::Devices => ("tab-devices", html! { "Devices" }),
            Tab::Settings => ("tab-settings", html! { "Settings" }),
        }
    };
    html! {
        <>
            <nav class="tabs" role="tablist">
                { for state.tabs().into_iter().map(|t| { let (id, text) = label(t); tab(t, id, text) }) }
            </nav>
            {
                match state.tab {
                    Tab::Dashboard => html! { <Dashboard state={state.clone()} /> },
                    Tab::Attention => html! { <Attention state={state.clone()} /> },
                    Tab::Orders => html! { <Orders state={state.clone()} /> },
                    Tab::Menu => html! { <MenuEditor state={state.clone()} /> },
                    Tab::Staff => html! { <Staff state={state.clone()} /> },
                    Tab::Devices => html! { <Devices state={state.clone()} /> },
                    Tab::Settings => html! { <Settings state={state.clone()} /> },
                }
            }
        </>
    }
}
