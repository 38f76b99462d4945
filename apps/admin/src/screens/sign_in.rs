//! Signing in: a person's e-mail and password at the restaurant's server. The engine pairs the computer
//! with their restaurant on the way, so the board and its offline cache follow. A shared back-office
//! computer can be paired with a code instead, as before; a new restaurant is set up from here too.

use ordera_protocol::ipc::{self, SignInArgs};
use ordera_ui::{act, invoke, Button};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::ScreenProps;
use crate::hooks::refresh;
use crate::state::{capitalise, Action};

#[function_component(SignIn)]
pub fn sign_in(ScreenProps { state }: &ScreenProps) -> Html {
    let suggested = state.start.as_ref().map(|s| s.server_url.clone()).unwrap_or_default();
    let server = use_state(|| suggested);
    let email = use_state(String::new);
    let password = use_state(String::new);
    let busy = use_state(|| false);
    let field = |value: &UseStateHandle<String>| {
        let value = value.clone();
        Callback::from(move |event: InputEvent| {
            value.set(event.target_unchecked_into::<web_sys::HtmlInputElement>().value())
        })
    };
    let ready = !*busy && !email.trim().is_empty() && !password.is_empty();
    let submit = {
        let (server, email, password, busy) = (server.clone(), email.clone(), password.clone(), busy.clone());
        let dispatch = state.dispatcher();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let args =
                SignInArgs { server_url: (*server).clone(), email: (*email).clone(), password: (*password).clone() };
            let (dispatch, busy, password) = (dispatch.clone(), busy.clone(), password.clone());
            spawn_local(async move {
                match invoke::<ipc::SignIn>(&args).await {
                    Ok(signed_in) => {
                        password.set(String::new());
                        dispatch.dispatch(Action::SignedIn(Box::new(signed_in)));
                        refresh(dispatch.clone()).await;
                    }
                    Err(error) => dispatch.dispatch(Action::SignInFailed(error.message)),
                }
                busy.set(false);
            });
        })
    };
    html! {
        <main class="center" id="sign-in">
            <h2>{ "Sign in to your restaurant" }</h2>
            <p class="hint">{ "With the e-mail and password your restaurant's owner or manager gave you." }</p>
            <form class="form" onsubmit={submit}>
                <label class="field">
                    <span>{ "Server address" }</span>
                    <input id="server-url" type="url" value={(*server).clone()} oninput={field(&server)}
                        placeholder="https://… (from your administrator)" />
                </label>
                <label class="field">
                    <span>{ "E-mail" }</span>
                    <input id="email" type="email" autocomplete="username" value={(*email).clone()}
                        oninput={field(&email)} />
                </label>
                <label class="field">
                    <span>{ "Password" }</span>
                    <input id="password" type="password" autocomplete="current-password" value={(*password).clone()}
                        oninput={field(&password)} />
                </label>
                if let Some(error) = state.error.clone() {
                    <p class="error" id="sign-in-error" role="alert">{ capitalise(&error) }</p>
                }
                <button class="btn btn-primary" id="sign-in-button" type="submit" disabled={!ready}>
                    { if *busy { "Signing in…" } else { "Sign in" } }
                </button>
            </form>
            <div class="other-ways">
                <Button id="use-sign-up" kind={ordera_ui::ButtonKind::Secondary} onclick={act(state, |()| Action::UseSignUp)}>
                    { "New restaurant or branch? Set it up" }
                </Button>
                <Button id="use-pairing-code" kind={ordera_ui::ButtonKind::Secondary} onclick={act(state, |()| Action::UsePairing)}>
                    { "A shared back-office computer? Pair it with a code" }
                </Button>
            </div>
        </main>
    }
}
