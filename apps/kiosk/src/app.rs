//! The kiosk's top component: the store, the hooks that keep it in step with the shell and the clock, and
//! which screen shows, under the top bar (name, accessibility switches, connection) and over it the idle
//! reset's "still there?" question.

use ordera_ui::components::TopBar;
use ordera_ui::{act, Button, ButtonKind, ConnectionPill, Dialog};
use yew::prelude::*;

use crate::hooks::{use_engine, use_idle, use_place_order};
use crate::screens::{Attract, Confirmation, Menu, Pair, Review, ScreenProps, StaffCorner, StaffPanel};
use crate::state::{Action, Screen, State};

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);
    use_engine(state.dispatcher());
    use_place_order(state.placing.clone(), state.dispatcher());
    let touched = use_idle(&state);
    {
        let (large, contrast) = (state.large_text, state.high_contrast);
        use_effect_with((large, contrast), move |&(large, contrast)| {
            ordera_ui::theme::apply(large, contrast);
            || ()
        });
    }

    let screen = match &state.screen {
        Screen::Loading => html! { <div class="center"><p>{ "Starting…" }</p></div> },
        Screen::Pair => html! { <Pair state={state.clone()} /> },
        Screen::Attract => html! { <Attract state={state.clone()} /> },
        Screen::Menu => html! { <Menu state={state.clone()} /> },
        Screen::Review => html! { <Review state={state.clone()} /> },
        Screen::Confirmation { .. } => html! { <Confirmation state={state.clone()} /> },
    };
    let onpointerdown = touched.reform(|_: PointerEvent| ());
    let onkeydown = touched.reform(|_: KeyboardEvent| ());
    let staff = use_state(|| false);
    let (open_staff, close_staff) = {
        let (open, close) = (staff.clone(), staff.clone());
        (Callback::from(move |()| open.set(true)), Callback::from(move |()| close.set(false)))
    };
    html! {
        <div class="kiosk" {onpointerdown} {onkeydown}>
            <Header state={state.clone()} />
            <StaffCorner on_open={open_staff} />
            { screen }
            if let Some(left) = state.still_there.filter(|_| !*staff) {
                <StillThere {left} {touched} />
            }
            if *staff {
                <StaffPanel state={state.clone()} on_close={close_staff} />
            }
        </div>
    }
}

/// The restaurant, the accessibility switches and the connection, on every screen.
#[function_component(Header)]
fn header(ScreenProps { state }: &ScreenProps) -> Html {
    let name = state.restaurant_name().unwrap_or_else(|| "Ordera".into());
    let large = act(state, |()| Action::ToggleLargeText);
    let contrast = act(state, |()| Action::ToggleContrast);
    html! {
        <TopBar title={name}>
            <div class="tools">
                <Button id="large-text" kind={ButtonKind::Secondary} onclick={large}
                    label={AttrValue::from("Large text")}>{ if state.large_text { "A−" } else { "A+" } }</Button>
                <Button id="high-contrast" kind={ButtonKind::Secondary} onclick={contrast}
                    label={AttrValue::from("High contrast")}>{ "◐" }</Button>
                <ConnectionPill status={state.status.clone()} />
            </div>
        </TopBar>
    }
}

#[derive(Properties, PartialEq)]
struct StillThereProps {
    /// Seconds before the order is cleared.
    left: u32,
    touched: Callback<()>,
}

#[function_component(StillThere)]
fn still_there(StillThereProps { left, touched }: &StillThereProps) -> Html {
    html! {
        <Dialog title="Still there?" on_close={touched.clone()}>
            <div class="center" id="still-there">
                <h2>{ "Are you still there?" }</h2>
                <p>{ format!("Your order will be cleared in {left} seconds.") }</p>
                <Button onclick={touched.clone()}>{ "I'm still here" }</Button>
            </div>
        </Dialog>
    }
}
