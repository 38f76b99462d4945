//! The pairing screen of a kiosk that has no server yet (or was revoked): ordera-ui's `PairScreen` with
//! the kiosk's words.

use ordera_ui::{act, PairScreen};
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
        <PairScreen title="Set up this kiosk"
            hint="Enter the server address and a pairing code from the admin app (Devices → New kiosk)."
            server_url={server_url} error={state.error.clone().map(AttrValue::from)}
            {on_paired} on_error={act(state, Action::PairFailed)} {version} />
    }
}
