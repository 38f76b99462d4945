//! Choosing what this screen is for: stations (and which), expo or pickup, and its sound. Shown on the
//! first start after pairing and from the board's "Screen" button; kept on the device.

use ordera_protocol::ipc::{ScreenRole, ScreenSettings};
use yew::prelude::*;

use crate::commands;
use crate::state::{stations, Action, Sound, State};

#[derive(Properties, PartialEq)]
pub struct SetupProps {
    pub state: UseReducerHandle<State>,
}

#[function_component(Setup)]
pub fn setup(props: &SetupProps) -> Html {
    let handle = props.state.clone();
    let draft = use_state(|| {
        let mut settings = props.state.settings.clone();
        if settings.role == ScreenRole::Unset {
            settings.role = ScreenRole::Expo;
        }
        settings
    });
    let known = stations(props.state.menu.as_ref());
    let update = |change: fn(&mut ScreenSettings, String)| {
        let draft = draft.clone();
        move |value: String| {
            let draft = draft.clone();
            Callback::from(move |_: MouseEvent| {
                let mut next = (*draft).clone();
                change(&mut next, value.clone());
                draft.set(next);
            })
        }
    };
    let role = |role: ScreenRole, id: &'static str, title: &'static str, text: &'static str| {
        let draft = draft.clone();
        let chosen = draft.role == role;
        html! {
            <button class={classes!("role", chosen.then_some("chosen"))} id={id} aria-pressed={chosen.to_string()}
                onclick={Callback::from(move |_: MouseEvent| { let mut next = (*draft).clone(); next.role = role; draft.set(next); })}>
                <strong>{ title }</strong><span>{ text }</span>
            </button>
        }
    };
    let toggle_station = update(|settings, station| {
        if let Some(at) = settings.stations.iter().position(|s| *s == station) {
            settings.stations.remove(at);
        } else {
            settings.stations.push(station);
            settings.stations.sort();
        }
    });
    let volume = {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            let value = event.target_unchecked_into::<web_sys::HtmlInputElement>().value();
            let mut next = (*draft).clone();
            next.volume = value.parse().unwrap_or(next.volume).min(100);
            draft.set(next);
        })
    };
    let flip = |change: fn(&mut ScreenSettings)| {
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*draft).clone();
            change(&mut next);
            draft.set(next);
        })
    };
    let test = {
        let (handle, draft) = (handle.clone(), draft.clone());
        Callback::from(move |_: MouseEvent| {
            crate::sound::play(Sound::Test, draft.volume);
            let _ = &handle;
        })
    };
    let save = {
        let (handle, draft) = (handle.clone(), draft.clone());
        Callback::from(move |_: MouseEvent| commands::save_settings(&handle, (*draft).clone()))
    };
    // Unpairing asks once: the first tap arms the button, the second unpairs.
    let unpair_armed = use_state(|| false);
    let unpair = {
        let (handle, armed) = (handle.clone(), unpair_armed.clone());
        Callback::from(move |_: MouseEvent| {
            if *armed {
                commands::forget(&handle);
            } else {
                armed.set(true);
            }
        })
    };
    let back = (props.state.settings.role != ScreenRole::Unset).then(|| {
        let handle = handle.clone();
        Callback::from(move |_: MouseEvent| handle.dispatch(Action::Settings(handle.settings.clone())))
    });
    html! {
        <main class="setup" id="setup">
            <h1>{ "What is this screen for?" }</h1>
            <div class="roles">
                { role(ScreenRole::Stations, "role-stations", "Station", "Only the dishes of its stations; cooks mark them done.") }
                { role(ScreenRole::Expo, "role-expo", "Expo", "Every ticket with each station's progress; bumps tickets off the pass.") }
                { role(ScreenRole::Pickup, "role-pickup", "Pickup", "Facing customers: numbers preparing and ready.") }
            </div>
            if draft.role == ScreenRole::Stations {
                <section class="stations" id="station-picker">
                    <h2>{ "Stations on this screen" }</h2>
                    if known.is_empty() { <p class="muted">{ "The menu names no stations yet: this screen shows every dish." }</p> }
                    <div class="chips">{ for known.iter().map(|station| {
                        let on = draft.stations.contains(station);
                        html! {
                            <button class={classes!("chip", on.then_some("on"))} id={format!("station-{station}")}
                                aria-pressed={on.to_string()} onclick={toggle_station(station.clone())}>
                                { station }
                            </button>
                        }
                    }) }</div>
                </section>
            }
            <section class="sound-settings">
                <label for="volume">{ format!("Volume {}%", draft.volume) }</label>
                <input id="volume" type="range" min="0" max="100" value={draft.volume.to_string()} oninput={volume} />
                <button class={classes!("chip", draft.muted.then_some("on"))} id="setup-mute" aria-pressed={draft.muted.to_string()}
                    onclick={flip(|s| s.muted = !s.muted)}>{ if draft.muted { "Muted" } else { "Sound on" } }</button>
                <button class={classes!("chip", draft.alarm.then_some("on"))} id="setup-alarm" aria-pressed={draft.alarm.to_string()}
                    onclick={flip(|s| s.alarm = !s.alarm)}>{ "Alarm when offline" }</button>
                <button class="btn btn-secondary" id="setup-test-sound" onclick={test}>{ "Test sound" }</button>
            </section>
            // Saving can fail (the device's disk): say so here, where the cook pressed the button.
            if let Some(error) = &props.state.error { <p class="error" role="alert" id="setup-error">{ error }</p> }
            <div class="setup-actions">
                <button class={classes!("btn", if *unpair_armed { "btn-danger" } else { "btn-secondary" })} id="setup-unpair"
                    onclick={unpair}>
                    { if *unpair_armed { "Tap again to unpair this screen" } else { "Unpair this screen" } }
                </button>
                if let Some(back) = back { <button class="btn btn-secondary" id="setup-cancel" onclick={back}>{ "Back" }</button> }
                <button class="btn btn-primary" id="setup-save" onclick={save}>{ "Use this screen" }</button>
            </div>
        </main>
    }
}
