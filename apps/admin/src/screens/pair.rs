//! The pairing screen of a shared admin computer that has no server yet (or was revoked): ordera-ui's
//! `PairScreen` with the admin app's words, and the way back to signing in.

use ordera_ui::{act, Button, ButtonKind, PairScreen};
use yew::prelude::*;

use super::ScreenProps;
use crate::hooks::refresh;
use crate::state::Action;

#[function_component(Pair)]
pub fn pair(ScreenProps { state }: &ScreenProps) -> Html {
    let dispatch = state.dispatcher();
    let on_paired = Callback::from(move |()| {
        dispatch.dispatch(Action::Paired);
        wasm_bindgen_futures::spawn_local(refresh(dispatch.clone()));
    });
    let server_url = state.start.as_ref().map(|s| s.server_url.clone()).unwrap_or_default();
    let version = state.start.as_ref().map(|s| AttrValue::from(s.version.clone())).unwrap_or_default();
    html! {
        <div class="pair-or-sign-in">
            <PairScreen title="Set up this admin device"
                hint="Enter the server address and a pairing code for an admin device; a manager can make one for you."
                server_url={server_url} error={state.error.clone().map(AttrValue::from)}
                {on_paired} on_error={act(state, Action::PairFailed)} {version} />
            <Button id="use-sign-in" kind={ButtonKind::Secondary} onclick={act(state, |()| Action::UseSignIn)}>
                { "Sign in with your e-mail instead" }
            </Button>
        </div>
    }
}
