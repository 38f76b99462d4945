//! The restaurant's settings: its name, time zone, when its business day starts, the kitchen's ticket
//! timers and the kiosks' idle reset and staff PIN. Saved through the API (they reach every device live); what the server refuses is shown beside
//! its field, and nothing is saved.

use ordera_protocol::api::{MeResponse, Tenant};
use ordera_ui::api::{self, ApiFailure};
use serde_json::{json, Map, Value};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::ScreenProps;
use crate::state::Action;

/// The form as typed: text, so a half-typed number is the person's business until they save.
#[derive(Clone, PartialEq, Default)]
struct Draft {
    name: String,
    timezone: String,
    warn: String,
    late: String,
    day_start: String,
    idle: String,
    /// A new staff PIN for the kiosks; empty keeps the one set (the app never learns it back).
    pin: String,
}

impl Draft {
    fn of(tenant: &Tenant) -> Self {
        Self {
            name: tenant.name.clone(),
            timezone: tenant.timezone.clone(),
            warn: tenant.kitchen_warn_minutes.to_string(),
            late: tenant.kitchen_late_minutes.to_string(),
            day_start: day_start(tenant),
            idle: tenant.kiosk_idle_seconds.to_string(),
            pin: String::new(),
        }
    }

    /// The fields that differ from `saved`, as the API takes them. A number that does not parse goes as
    /// typed, for the server to name the field.
    fn changes(&self, saved: &Tenant) -> Map<String, Value> {
        let mut changes = Map::new();
        if self.name.trim() != saved.name {
            changes.insert("name".into(), json!(self.name.trim()));
        }
        if self.timezone.trim() != saved.timezone {
            changes.insert("timezone".into(), json!(self.timezone.trim()));
        }
        let number = |text: &str| text.trim().parse::<i64>().map_or_else(|_| json!(text.trim()), |n| json!(n));
        if self.warn.trim() != saved.kitchen_warn_minutes.to_string() {
            changes.insert("kitchen_warn_minutes".into(), number(&self.warn));
        }
        if self.late.trim() != saved.kitchen_late_minutes.to_string() {
            changes.insert("kitchen_late_minutes".into(), number(&self.late));
        }
        if self.day_start.trim() != day_start(saved) {
            changes.insert("business_day_start".into(), json!(self.day_start.trim()));
        }
        if self.idle.trim() != saved.kiosk_idle_seconds.to_string() {
            changes.insert("kiosk_idle_seconds".into(), number(&self.idle));
        }
        if !self.pin.trim().is_empty() {
            changes.insert("kiosk_pin".into(), json!(self.pin.trim()));
        }
        changes
    }
}

/// "04:00": the business day's start as the API reads and writes it.
fn day_start(tenant: &Tenant) -> String {
    tenant.business_day_start.format("%H:%M").to_string()
}

#[function_component(Settings)]
pub fn settings(ScreenProps { state }: &ScreenProps) -> Html {
    let saved = use_state(|| None::<Result<Tenant, ApiFailure>>);
    let draft = use_state(Draft::default);
    let failure = use_state(|| None::<ApiFailure>);
    let notice = use_state(|| None::<String>);
    let busy = use_state(|| false);
    {
        let (saved, draft) = (saved.clone(), draft.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                let me = api::get::<MeResponse>("me").await.map(|me| me.tenant);
                if let Ok(tenant) = &me {
                    draft.set(Draft::of(tenant));
                }
                saved.set(Some(me));
            });
        });
    }
    let Some(current) = (*saved).clone() else {
        return html! { <section class="page" id="settings"><p class="empty">{ "Loading the settings…" }</p></section> };
    };
    let current = match current {
        Ok(tenant) => tenant,
        Err(error) => {
            return html! {
                <section class="page" id="settings">
                    <div class="empty" id="settings-error"><strong>{ "Settings need the connection" }</strong>{ error.sentence() }</div>
                </section>
            }
        }
    };
    let input = |field: fn(&mut Draft) -> &mut String| {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            let mut next = (*draft).clone();
            *field(&mut next) = event.target_unchecked_into::<web_sys::HtmlInputElement>().value();
            draft.set(next);
        })
    };
    let changes = draft.changes(&current);
    let save = {
        let (saved, draft, failure, notice, busy) =
            (saved.clone(), draft.clone(), failure.clone(), notice.clone(), busy.clone());
        let dispatch = state.dispatcher();
        let changes = changes.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy || changes.is_empty() {
                return;
            }
            busy.set(true);
            let (saved, draft, failure, notice, busy, dispatch) =
                (saved.clone(), draft.clone(), failure.clone(), notice.clone(), busy.clone(), dispatch.clone());
            let body = Value::Object(changes.clone());
            spawn_local(async move {
                match api::call::<Tenant>("PATCH", "tenant", Some(body)).await {
                    Ok(tenant) => {
                        draft.set(Draft::of(&tenant));
                        dispatch.dispatch(Action::TenantSaved(Box::new(tenant.clone())));
                        saved.set(Some(Ok(tenant)));
                        failure.set(None);
                        notice.set(Some("Saved. Every kiosk and kitchen screen has the new settings.".into()));
                    }
                    Err(error) => {
                        notice.set(None);
                        failure.set(Some(error));
                    }
                }
                busy.set(false);
            });
        })
    };
    let error_of = |field: &str| (*failure).as_ref().and_then(|f| f.field(field));
    let field =
        |id: &'static str, label: &'static str, hint: &'static str, value: &str, oninput: Callback<InputEvent>| {
            let error = error_of(id);
            html! {
                <label class={classes!("field", error.is_some().then_some("invalid"))}>
                    <span>{ label }</span>
                    <input id={id} value={value.to_owned()} {oninput} aria-invalid={error.is_some().to_string()} />
                    if !hint.is_empty() { <span class="field-hint">{ hint }</span> }
                    if let Some(error) = error { <span class="field-error" id={format!("{id}-error")}>{ error }</span> }
                </label>
            }
        };
    let pin_field = {
        let error = error_of("kiosk_pin");
        let hint = if current.kiosk_pin_hash.is_some() {
            "A PIN is set. Type a new one to change it. Staff open a kiosk's staff panel (leave kiosk mode, re-pair) with five quick taps in its top-left corner and this PIN."
        } else {
            "No PIN yet: set one (4 to 8 digits) before installing kiosks in kiosk mode. Staff open a kiosk's staff panel with five quick taps in its top-left corner and this PIN."
        };
        html! {
            <label class={classes!("field", error.is_some().then_some("invalid"))}>
                <span>{ "Kiosks: staff PIN" }</span>
                <input id="kiosk_pin" type="password" inputmode="numeric" autocomplete="new-password"
                    placeholder={if current.kiosk_pin_hash.is_some() { "••••  (set)" } else { "Not set" }}
                    value={draft.pin.clone()} oninput={input(|d| &mut d.pin)} aria-invalid={error.is_some().to_string()} />
                <span class="field-hint" id="kiosk_pin-hint">{ hint }</span>
                if let Some(error) = error { <span class="field-error" id="kiosk_pin-error">{ error }</span> }
            </label>
        }
    };
    let general = (*failure).as_ref().filter(|f| f.fields.is_empty()).map(ApiFailure::sentence);
    html! {
        <section class="page" id="settings">
            <h2>{ "Settings" }</h2>
            <p class="hint">{ format!("Prices are in {}, fixed when the restaurant was set up.", current.currency) }</p>
            if state.offline() {
                <p class="banner-offline" role="status">{ "Offline: settings can be saved once the app is back online." }</p>
            }
            <form class="form settings-form" onsubmit={save}>
                { field("name", "Restaurant name", "", &draft.name, input(|d| &mut d.name)) }
                { field("timezone", "Time zone", "As the tz database names it, e.g. Europe/London: ticket numbers and reports follow the local day.", &draft.timezone, input(|d| &mut d.timezone)) }
                { field("business_day_start", "Business day starts at", "Local time, 00:00 to 11:59 (e.g. 04:00 for a bar open past midnight): ticket numbers restart then, and the dashboard, history, reports and export count each day from it.", &draft.day_start, input(|d| &mut d.day_start)) }
                { field("kitchen_warn_minutes", "Kitchen: ticket shows as a warning after (minutes)", "", &draft.warn, input(|d| &mut d.warn)) }
                { field("kitchen_late_minutes", "Kitchen: ticket shows as late after (minutes)", "Must be more than the warning.", &draft.late, input(|d| &mut d.late)) }
                { field("kiosk_idle_seconds", "Kiosks: clear an unfinished order after (seconds)", "Seconds without a touch, 10 to 900; the last few ask \"Still there?\" first. Kiosks follow a change at once.", &draft.idle, input(|d| &mut d.idle)) }
                { pin_field }
                if let Some(error) = general { <p class="error" role="alert" id="settings-save-error">{ error }</p> }
                if let Some(message) = (*notice).clone() { <p class="notice" role="status" id="settings-saved">{ message }</p> }
                <button class="btn btn-primary" id="settings-save" type="submit" disabled={*busy || changes.is_empty()}>
                    { if *busy { "Saving…" } else if changes.is_empty() { "No changes" } else { "Save changes" } }
                </button>
            </form>
        </section>
    }
}
