//! Setting up a new restaurant (a branch) with its owner, from the app: the server's address, the
//! restaurant's name, time zone and currency, and the owner's name, e-mail and password. The form checks
//! each field as it is typed by the protocol's own rules, shows the server's refusal beside its field,
//! and signs the owner straight in, so the next step (the menu) is one click away.

use std::collections::BTreeMap;

use ordera_protocol::api::SignupRequest;
use ordera_protocol::ipc::SignUpArgs;
use ordera_ui::api::{self, ApiFailure};
use ordera_ui::{act, Button, ButtonKind};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::ScreenProps;
use crate::hooks::refresh;
use crate::state::{capitalise, Action};

/// The time zone the computer is set to ("Europe/London"), the likeliest answer for a restaurant set up
/// from its own back office; "UTC" when the webview cannot say.
fn computer_time_zone() -> String {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()
        .and_then(|zone| zone.as_string())
        .unwrap_or_else(|| "UTC".into())
}

/// What is wrong with each field of `request` by the rules the server applies, by the API's field names.
fn field_errors(request: &SignupRequest) -> BTreeMap<String, String> {
    request.validate().err().map(|errors| errors.0).unwrap_or_default()
}

#[function_component(SignUp)]
pub fn sign_up(ScreenProps { state }: &ScreenProps) -> Html {
    let suggested = state.start.as_ref().map(|s| s.server_url.clone()).unwrap_or_default();
    let server = use_state(|| suggested);
    let request = use_state(|| SignupRequest {
        restaurant_name: String::new(),
        timezone: computer_time_zone(),
        currency: "EUR".into(),
        owner_name: String::new(),
        email: String::new(),
        password: String::new(),
    });
    let tried = use_state(|| false);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<ApiFailure>);
    let typed = field_errors(&request);
    let submit = {
        let (server, request, tried, busy, failure) =
            (server.clone(), request.clone(), tried.clone(), busy.clone(), failure.clone());
        let dispatch = state.dispatcher();
        let ready = typed.is_empty();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            tried.set(true);
            if *busy || !ready {
                return;
            }
            busy.set(true);
            let args = SignUpArgs { server_url: (*server).clone(), request: (*request).clone() };
            let (dispatch, busy, failure) = (dispatch.clone(), busy.clone(), failure.clone());
            spawn_local(async move {
                match api::sign_up(&args).await {
                    Ok(owner) => {
                        failure.set(None);
                        dispatch.dispatch(Action::SignedIn(Box::new(owner)));
                        refresh(dispatch.clone()).await;
                    }
                    Err(error) => failure.set(Some(error)),
                }
                busy.set(false);
            });
        })
    };
    let field = |id: &'static str,
                 label: &'static str,
                 kind: &'static str,
                 hint: &'static str,
                 value: fn(&SignupRequest) -> &String,
                 set: fn(&mut SignupRequest, String)| {
        let oninput = {
            let (request, failure) = (request.clone(), failure.clone());
            Callback::from(move |event: InputEvent| {
                // The server's refusal was of what was sent; from here on the form checks what is typed.
                failure.set(None);
                let mut next = (*request).clone();
                set(&mut next, event.target_unchecked_into::<web_sys::HtmlInputElement>().value());
                request.set(next);
            })
        };
        let text = value(&request).clone();
        // The server's word first; else the rule as typed, once there is something typed or a try.
        let error = (*failure)
            .as_ref()
            .and_then(|f| f.field(id))
            .or_else(|| typed.get(id).filter(|_| *tried || !text.is_empty()).cloned());
        let autocomplete = match kind {
            "password" => "new-password",
            "email" => "username",
            _ => "off",
        };
        html! {
            <label class={classes!("field", error.is_some().then_some("invalid"))}>
                <span>{ label }</span>
                <input id={format!("signup-{id}")} type={kind} value={text} {oninput} {autocomplete}
                    aria-invalid={error.is_some().to_string()} />
                if !hint.is_empty() { <span class="field-hint">{ hint }</span> }
                if let Some(error) = error { <span class="field-error" id={format!("signup-{id}-error")}>{ capitalise(&error) }</span> }
            </label>
        }
    };
    let on_server = {
        let server = server.clone();
        Callback::from(move |event: InputEvent| {
            server.set(event.target_unchecked_into::<web_sys::HtmlInputElement>().value())
        })
    };
    let general = (*failure).as_ref().filter(|f| f.fields.is_empty()).map(ApiFailure::sentence);
    html! {
        <main class="center" id="sign-up">
            <h2>{ "Set up a new restaurant" }</h2>
            <p class="hint">{ "You become its owner; you can add managers and staff, the menu and the devices next." }</p>
            <form class="form signup-form" onsubmit={submit}>
                <label class="field">
                    <span>{ "Server address" }</span>
                    <input id="signup-server-url" type="url" value={(*server).clone()} oninput={on_server}
                        placeholder="https://… (from your administrator)" />
                </label>
                { field("restaurant_name", "Restaurant name", "text", "As customers know it; one branch of several is named on its own.", |r| &r.restaurant_name, |r, v| r.restaurant_name = v) }
                <div class="form-row">
                    { field("timezone", "Time zone", "text", "As the tz database names it, e.g. Europe/London.", |r| &r.timezone, |r, v| r.timezone = v) }
                    { field("currency", "Currency", "text", "ISO code, e.g. EUR or GBP: fixed once set up.", |r| &r.currency, |r, v| r.currency = v) }
                </div>
                { field("owner_name", "Your name", "text", "", |r| &r.owner_name, |r, v| r.owner_name = v) }
                { field("email", "Your e-mail (you sign in with it)", "email", "", |r| &r.email, |r, v| r.email = v) }
                { field("password", "Password", "password", "At least 10 characters.", |r| &r.password, |r, v| r.password = v) }
                if let Some(error) = general { <p class="error" role="alert" id="sign-up-error">{ capitalise(&error) }</p> }
                <button class="btn btn-primary" id="sign-up-button" type="submit" disabled={*busy}>
                    { if *busy { "Setting up…" } else { "Set up the restaurant" } }
                </button>
            </form>
            <Button id="back-to-sign-in" kind={ButtonKind::Secondary} onclick={act(state, |()| Action::UseSignIn)}>
                { "Already set up? Sign in" }
            </Button>
        </main>
    }
}
