//! Devices: a pairing code for a new kiosk, kitchen screen or admin computer, shown large with its expiry
//! counting down; the restaurant's devices with their kind, when they were last seen, how far behind the
//! log each is and what it has waiting; revoking one (asked once) refuses it at once. Needs the connection:
//! the list is the server's, read again every few seconds while the page is open.

use chrono::{DateTime, Utc};
use gloo_timers::callback::Interval;
use ordera_protocol::api::{Device, PairingCodeResponse};
use ordera_protocol::DeviceKind;
use ordera_ui::api::{self, ApiFailure};
use serde_json::json;
use uuid::Uuid;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{read_into, Read, ScreenProps};
use crate::state::{countdown, device_progress, device_standing, kind_label};

/// How often the list is read again while the page is open.
const REFRESH_SECONDS: u32 = 5;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// Reads the device list into `list`.
fn load(list: Read<Vec<Device>>) {
    read_into("devices", list);
}

#[function_component(Devices)]
pub fn devices(ScreenProps { state }: &ScreenProps) -> Html {
    let list = use_state(|| None::<Result<Vec<Device>, ApiFailure>>);
    let clock = use_state(now);
    let code = use_state(|| None::<PairingCodeResponse>);
    let kind = use_state(|| DeviceKind::Kiosk);
    let name = use_state(String::new);
    let failure = use_state(|| None::<ApiFailure>);
    let armed = use_state(|| None::<Uuid>);
    {
        let (list, clock) = (list.clone(), clock.clone());
        use_effect_with((), move |_| {
            load(list.clone());
            let mut ticks = 0u32;
            let interval = Interval::new(1_000, move || {
                clock.set(now());
                ticks += 1;
                if ticks % REFRESH_SECONDS == 0 {
                    load(list.clone());
                }
            });
            move || drop(interval)
        });
    }
    let create = {
        let (code, kind, name, failure, list) =
            (code.clone(), kind.clone(), name.clone(), failure.clone(), list.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let body = json!({"kind": *kind, "name": (*name).trim()});
            let (code, name, failure, list) = (code.clone(), name.clone(), failure.clone(), list.clone());
            spawn_local(async move {
                match api::call::<PairingCodeResponse>("POST", "devices/pairing-codes", Some(body)).await {
                    Ok(made) => {
                        code.set(Some(made));
                        name.set(String::new());
                        failure.set(None);
                        load(list);
                    }
                    Err(error) => failure.set(Some(error)),
                }
            });
        })
    };
    let revoke = |device: &Device| {
        let (armed, failure, list) = (armed.clone(), failure.clone(), list.clone());
        let id = device.id;
        Callback::from(move |_: MouseEvent| {
            if *armed != Some(id) {
                armed.set(Some(id));
                return;
            }
            let (armed, failure, list) = (armed.clone(), failure.clone(), list.clone());
            spawn_local(async move {
                match api::call::<serde_json::Value>("POST", &format!("devices/{id}/revoke"), None).await {
                    Ok(_) => failure.set(None),
                    Err(error) => failure.set(Some(error)),
                }
                armed.set(None);
                load(list);
            });
        })
    };
    let kinds = [DeviceKind::Kiosk, DeviceKind::Kds, DeviceKind::Admin].map(|option| {
        let kind = kind.clone();
        let chosen = *kind == option;
        html! {
            <button type="button" id={format!("kind-{}", option.as_str())} aria-pressed={chosen.to_string()}
                class={classes!("btn", if chosen { "btn-primary" } else { "btn-secondary" })}
                onclick={Callback::from(move |_: MouseEvent| kind.set(option))}>
                { kind_label(option) }
            </button>
        }
    });
    let on_name = {
        let name = name.clone();
        Callback::from(move |event: InputEvent| {
            name.set(event.target_unchecked_into::<web_sys::HtmlInputElement>().value())
        })
    };
    let field_error = (*failure).as_ref().and_then(|f| f.field("name"));
    let general_error = (*failure).as_ref().filter(|f| f.fields.is_empty()).map(ApiFailure::sentence);
    let shown_code = (*code).as_ref().map(|made| {
        let left = countdown(made.expires_at, *clock);
        let expired = left == "Expired";
        html! {
            <div class={classes!("pairing-code", expired.then_some("expired"))} id="pairing-code-shown" role="status">
                <span class="code-label">{ format!("Code for {} “{}”", kind_label(made.kind).to_lowercase(), made.name) }</span>
                <strong class="code" id="new-pairing-code">{ &made.code }</strong>
                <span class="code-expiry" id="pairing-code-expiry">
                    { if expired { "Expired: make a new one".to_owned() } else { format!("Type it on the device within {left}") } }
                </span>
            </div>
        }
    });
    let rows = match (*list).as_ref() {
        None => html! { <p class="empty" id="devices-loading">{ "Loading the devices…" }</p> },
        Some(Err(error)) => html! {
            <div class="empty" id="devices-error"><strong>{ "The device list needs the connection" }</strong>{ error.sentence() }</div>
        },
        Some(Ok(devices)) if devices.is_empty() => html! {
            <div class="empty" id="devices-empty"><strong>{ "No devices yet" }</strong>{ "Make a pairing code above and type it on the kiosk or kitchen screen." }</div>
        },
        Some(Ok(devices)) => {
            let mut devices = devices.clone();
            // Working devices first, newest first within each.
            devices.sort_by_key(|d| (d.revoked_at.is_some(), std::cmp::Reverse(d.created_at)));
            html! {
                <table class="orders devices" id="device-list">
                    <thead><tr><th>{ "Name" }</th><th>{ "Kind" }</th><th>{ "Connection" }</th><th>{ "Sync" }</th><th /></tr></thead>
                    <tbody>{ for devices.iter().map(|device| {
                        let (standing, badge) = device_standing(device, *clock);
                        let confirming = *armed == Some(device.id);
                        html! {
                            <tr id={format!("device-{}", device.id)} class={classes!(device.revoked_at.is_some().then_some("revoked"))}>
                                <td class="num">{ &device.name }</td>
                                <td>
                                    { kind_label(device.kind) }
                                    if let Some(version) = &device.app_version {
                                        <span class="version">{ format!(" · app {version}") }</span>
                                    }
                                </td>
                                <td><span class={classes!("badge", badge)}>{ standing }</span></td>
                                <td>{ device_progress(device) }</td>
                                <td class="actions">
                                    if device.revoked_at.is_none() {
                                        <button class={classes!("btn", if confirming { "btn-danger" } else { "btn-secondary" })}
                                            id={format!("revoke-{}", device.id)} onclick={revoke(device)}>
                                            { if confirming { "Revoke now: it stops at once" } else { "Revoke" } }
                                        </button>
                                    }
                                </td>
                            </tr>
                        }
                    }) }</tbody>
                </table>
            }
        }
    };
    html! {
        <section class="page" id="devices">
            <h2>{ "Devices" }</h2>
            <p class="hint">{ "Pair a kiosk, kitchen screen or admin computer with a one-time code; revoke a lost or retired one." }</p>
            if state.offline() {
                <p class="banner-offline" role="status">{ "Offline: the list is as last read, and changes wait for the connection." }</p>
            }
            <form class="pair-form" onsubmit={create}>
                <div class="kinds" role="group" aria-label="Kind of device">{ for kinds }</div>
                <label class="field">
                    <span>{ "Name it (as it will be listed)" }</span>
                    <input id="device-name" value={(*name).clone()} oninput={on_name} placeholder="Front kiosk" />
                    if let Some(error) = field_error { <span class="field-error" id="device-name-error">{ error }</span> }
                </label>
                <button class="btn btn-primary" id="make-pairing-code" type="submit" disabled={name.trim().is_empty()}>
                    { "Make a pairing code" }
                </button>
            </form>
            if let Some(error) = general_error { <p class="error" role="alert" id="devices-action-error">{ error }</p> }
            { for shown_code }
            { rows }
        </section>
    }
}
