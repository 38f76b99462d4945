//! The staff panel: behind a gesture a customer does not stumble on (five quick taps in the top-left
//! corner) and the restaurant's staff PIN, it shows the connection and the orders waiting to be sent, and
//! offers what only staff may do: re-pair the kiosk and leave kiosk mode.

use ordera_protocol::ipc::{self, NoArgs, StaffPinArgs};
use ordera_ui::{invoke, Button, ButtonKind, ConnectionPill, Dialog};
use yew::prelude::*;

use crate::state::Action;

/// Taps in the corner that open the keypad, and the time they must fall within.
const TAPS: usize = 5;
const WITHIN_MS: f64 = 3_000.0;
/// The panel closes by itself after this long, as the shell stops honouring it.
const OPEN_FOR_MS: u32 = 60_000;

/// The invisible corner a member of staff taps five times. It sits over the top bar's corner and takes no
/// room; a customer's single taps there do nothing.
#[derive(Properties, PartialEq)]
pub struct StaffCornerProps {
    pub on_open: Callback<()>,
}

#[function_component(StaffCorner)]
pub fn staff_corner(StaffCornerProps { on_open }: &StaffCornerProps) -> Html {
    let taps = use_mut_ref(Vec::<f64>::new);
    let onclick = {
        let (taps, on_open) = (taps.clone(), on_open.clone());
        Callback::from(move |_: MouseEvent| {
            let now = js_sys::Date::now();
            let mut taps = taps.borrow_mut();
            taps.retain(|at| now - at < WITHIN_MS);
            taps.push(now);
            if taps.len() >= TAPS {
                taps.clear();
                on_open.emit(());
            }
        })
    };
    html! { <button class="staff-corner" id="staff-corner" aria-label="Staff" tabindex="-1" {onclick}></button> }
}

#[derive(Properties, PartialEq)]
pub struct StaffPanelProps {
    pub state: UseReducerHandle<crate::state::State>,
    pub on_close: Callback<()>,
}

/// The PIN keypad, then the panel it opens.
#[function_component(StaffPanel)]
pub fn staff_panel(StaffPanelProps { state, on_close }: &StaffPanelProps) -> Html {
    let pin = use_state(String::new);
    let open = use_state(|| false);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let confirm_repair = use_state(|| false);
    // Closes itself once the shell would no longer honour it.
    {
        let (open, on_close) = (*open, on_close.clone());
        let timer = use_mut_ref(|| None::<gloo_timers::callback::Timeout>);
        use_effect_with(open, move |&open| {
            if open {
                *timer.borrow_mut() = Some(gloo_timers::callback::Timeout::new(OPEN_FOR_MS, move || on_close.emit(())));
            }
            move || drop(timer.borrow_mut().take())
        });
    }
    let press = |digit: char| {
        let (pin, error) = (pin.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            if pin.len() < ordera_protocol::validate::KioskPin::MAX_DIGITS {
                pin.set(format!("{}{digit}", *pin));
                error.set(None);
            }
        })
    };
    let erase = {
        let pin = pin.clone();
        Callback::from(move |_: MouseEvent| {
            let mut shorter = (*pin).clone();
            shorter.pop();
            pin.set(shorter);
        })
    };
    let submit = {
        let (pin, open, busy, error) = (pin.clone(), open.clone(), busy.clone(), error.clone());
        Callback::from(move |()| {
            let (typed, open, busy, error, pin) =
                ((*pin).clone(), open.clone(), busy.clone(), error.clone(), pin.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<ipc::StaffUnlock>(&StaffPinArgs { pin: typed }).await {
                    Ok(()) => open.set(true),
                    Err(refused) => error.set(Some(refused.message)),
                }
                pin.set(String::new());
                busy.set(false);
            });
        })
    };
    let leave = {
        let error = error.clone();
        Callback::from(move |()| {
            let error = error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(refused) = invoke::<ipc::LeaveKiosk>(&NoArgs {}).await {
                    error.set(Some(refused.message));
                }
            });
        })
    };
    let repair = {
        let (confirm, error, dispatch, on_close) =
            (confirm_repair.clone(), error.clone(), state.dispatcher(), on_close.clone());
        Callback::from(move |()| {
            if !*confirm {
                confirm.set(true);
                return;
            }
            let (error, dispatch, on_close) = (error.clone(), dispatch.clone(), on_close.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<ipc::Forget>(&NoArgs {}).await {
                    Ok(()) => {
                        dispatch.dispatch(Action::Unpaired);
                        on_close.emit(());
                    }
                    Err(refused) => error.set(Some(refused.message)),
                }
            });
        })
    };
    let locked = state.start.as_ref().is_some_and(|s| s.locked);
    let version = state.start.as_ref().map(|s| s.version.clone()).unwrap_or_default();
    let waiting = state.status.as_ref().map_or(0, |s| s.pending);
    let body = if *open {
        html! {
            <div class="staff-panel" id="staff-panel">
                <div class="staff-facts">
                    <ConnectionPill status={state.status.clone()} />
                    <p id="staff-waiting">{ match waiting {
                        0 => "Every order has reached the kitchen.".to_owned(),
                        1 => "1 order is waiting to be sent.".to_owned(),
                        n => format!("{n} orders are waiting to be sent."),
                    } }</p>
                    if let Some(last) = state.status.as_ref().and_then(|s| s.last_error.clone()) {
                        <p class="muted">{ format!("Last problem: {last}") }</p>
                    }
                    <p class="app-version" id="app-version">{ format!("Version {version}") }</p>
                </div>
                if let Some(message) = &*error { <p class="error" role="alert" id="staff-error">{ message.clone() }</p> }
                <div class="staff-actions">
                    <Button id="staff-back" onclick={on_close.clone()}>{ "Back to the kiosk" }</Button>
                    <Button id="staff-repair" kind={if *confirm_repair { ButtonKind::Danger } else { ButtonKind::Secondary }} onclick={repair}>
                        { if *confirm_repair { "Tap again to unpair this kiosk" } else { "Re-pair this kiosk" } }
                    </Button>
                    <Button id="staff-leave" kind={ButtonKind::Secondary} onclick={leave}>
                        { if locked { "Leave kiosk mode" } else { "Close the app" } }
                    </Button>
                </div>
            </div>
        }
    } else {
        let ready = !*busy && pin.len() >= ordera_protocol::validate::KioskPin::MIN_DIGITS;
        let key = |digit: char| {
            html! {
                <button class="key" id={format!("key-{digit}")} onclick={press(digit)}>{ digit }</button>
            }
        };
        html! {
            <div class="keypad-panel" id="staff-keypad">
                <p>{ "Enter the staff PIN." }</p>
                <p class="pin-dots" id="pin-dots" aria-label={format!("{} digits typed", pin.len())}>
                    { for (0..pin.len().max(4)).map(|i| html! { <span class={classes!("pin-dot", (i < pin.len()).then_some("on"))}></span> }) }
                </p>
                if let Some(message) = &*error { <p class="error" role="alert" id="staff-error">{ message.clone() }</p> }
                <div class="keypad">
                    { for ['1', '2', '3', '4', '5', '6', '7', '8', '9'].into_iter().map(key) }
                    <button class="key" id="key-erase" aria-label="Erase" onclick={erase}>{ "⌫" }</button>
                    { key('0') }
                    <button class="key key-enter" id="key-enter" disabled={!ready} onclick={submit.reform(|_: MouseEvent| ())}>{ "OK" }</button>
                </div>
                <Button id="staff-cancel" kind={ButtonKind::Secondary} onclick={on_close.clone()}>{ "Cancel" }</Button>
            </div>
        }
    };
    html! {
        <Dialog title="Staff" on_close={on_close.clone()}>
            <h2>{ if *open { "Staff panel" } else { "Staff" } }</h2>
            { body }
        </Dialog>
    }
}
