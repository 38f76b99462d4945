//! Staff: the people who sign in to the restaurant, with their roles. A manager adds a person with a
//! first password, changes a role, deactivates someone who left (asked once; their sessions end at
//! once) or brings them back, and sets a new password for someone who forgot theirs. Only an owner
//! changes owners: the list offers nothing the server would refuse, and says why. Needs the connection:
//! the list is the server's.

use ordera_protocol::api::User;
use ordera_protocol::validate::Password;
use ordera_protocol::Role;
use ordera_ui::api::{self, ApiFailure};
use serde_json::json;
use uuid::Uuid;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{read_into, Read, ScreenProps};
use crate::state::{role_choices, role_label, staff_in_order, staff_lock};

type List = Read<Vec<User>>;

/// Reads the staff list into `list`.
fn load(list: List) {
    read_into("users", list);
}

/// The add-a-person form as typed.
#[derive(Clone, PartialEq)]
struct Draft {
    name: String,
    email: String,
    role: Role,
    password: String,
}

impl Default for Draft {
    fn default() -> Self {
        Self { name: String::new(), email: String::new(), role: Role::Staff, password: String::new() }
    }
}

/// What the page says after an action: the server's refusal, or what was done.
#[derive(Clone, PartialEq)]
enum Outcome {
    Done(String),
    Failed(ApiFailure),
}

fn input(value: &UseStateHandle<String>) -> Callback<InputEvent> {
    let value = value.clone();
    Callback::from(move |event: InputEvent| {
        value.set(event.target_unchecked_into::<web_sys::HtmlInputElement>().value())
    })
}

#[function_component(Staff)]
pub fn staff(ScreenProps { state }: &ScreenProps) -> Html {
    let list: List = use_state(|| None);
    let draft = use_state(Draft::default);
    let add_failure = use_state(|| None::<ApiFailure>);
    let adding = use_state(|| false);
    let outcome = use_state(|| None::<Outcome>);
    let armed = use_state(|| None::<Uuid>);
    let resetting = use_state(|| None::<Uuid>);
    let new_password = use_state(String::new);
    let reset_failure = use_state(|| None::<ApiFailure>);
    {
        let list = list.clone();
        use_effect_with((), move |_| load(list));
    }
    let Some(me) = state.signed_in.as_ref().map(|s| s.user.clone()) else {
        return html! { <section class="page" id="staff"><p class="empty">{ "Staff are managed by a signed-in manager or owner." }</p></section> };
    };

    let add = {
        let (draft, add_failure, adding, outcome, list) =
            (draft.clone(), add_failure.clone(), adding.clone(), outcome.clone(), list.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *adding {
                return;
            }
            adding.set(true);
            let body = json!({
                "name": draft.name.trim(), "email": draft.email.trim(), "role": draft.role, "password": draft.password,
            });
            let (draft, add_failure, adding, outcome, list) =
                (draft.clone(), add_failure.clone(), adding.clone(), outcome.clone(), list.clone());
            spawn_local(async move {
                match api::call::<User>("POST", "users", Some(body)).await {
                    Ok(person) => {
                        draft.set(Draft::default());
                        add_failure.set(None);
                        outcome.set(Some(Outcome::Done(format!(
                            "{} can sign in now as {} with the password you chose.",
                            person.name,
                            role_label(person.role).to_lowercase()
                        ))));
                        load(list);
                    }
                    Err(error) => add_failure.set(Some(error)),
                }
                adding.set(false);
            });
        })
    };
    // One PATCH for a role change, a deactivation or a reactivation.
    let change = {
        let (outcome, list, armed) = (outcome.clone(), list.clone(), armed.clone());
        move |person: &User, body: serde_json::Value, done: String| {
            let (outcome, list, armed) = (outcome.clone(), list.clone(), armed.clone());
            let id = person.id;
            spawn_local(async move {
                match api::call::<User>("PATCH", &format!("users/{id}"), Some(body)).await {
                    Ok(_) => outcome.set(Some(Outcome::Done(done))),
                    Err(error) => outcome.set(Some(Outcome::Failed(error))),
                }
                armed.set(None);
                load(list);
            });
        }
    };
    let on_role = |person: &User| {
        let (change, person) = (change.clone(), person.clone());
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            let Ok(role) = value.parse::<Role>() else { return };
            if role != person.role {
                let done = format!("{} is now {}.", person.name, role_label(role).to_lowercase());
                change(&person, json!({ "role": role }), done);
            }
        })
    };
    let on_active = |person: &User| {
        let (change, person, armed) = (change.clone(), person.clone(), armed.clone());
        Callback::from(move |_: MouseEvent| {
            if person.active && *armed != Some(person.id) {
                armed.set(Some(person.id));
                return;
            }
            let done = if person.active {
                format!("{} is deactivated: signed out everywhere, and cannot sign in.", person.name)
            } else {
                format!("{} can sign in again.", person.name)
            };
            change(&person, json!({ "active": !person.active }), done);
        })
    };
    let open_reset = |person: &User| {
        let (resetting, new_password, reset_failure) = (resetting.clone(), new_password.clone(), reset_failure.clone());
        let id = person.id;
        Callback::from(move |_: MouseEvent| {
            new_password.set(String::new());
            reset_failure.set(None);
            resetting.set((*resetting != Some(id)).then_some(id));
        })
    };
    let reset = |person: &User| {
        let (resetting, new_password, reset_failure, outcome) =
            (resetting.clone(), new_password.clone(), reset_failure.clone(), outcome.clone());
        let (id, name) = (person.id, person.name.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let body = json!({ "password": *new_password });
            let (resetting, new_password, reset_failure, outcome, name) =
                (resetting.clone(), new_password.clone(), reset_failure.clone(), outcome.clone(), name.clone());
            spawn_local(async move {
                match api::call::<User>("POST", &format!("users/{id}/password"), Some(body)).await {
                    Ok(_) => {
                        resetting.set(None);
                        new_password.set(String::new());
                        reset_failure.set(None);
                        outcome.set(Some(Outcome::Done(format!(
                            "New password set for {name}: they were signed out everywhere. Give it to them in person."
                        ))));
                    }
                    Err(error) => reset_failure.set(Some(error)),
                }
            });
        })
    };

    let row = |person: &User| {
        let lock = staff_lock(&me, person);
        let confirming = *armed == Some(person.id);
        let roles = role_choices(me.role);
        let role_cell = if lock.is_none() {
            html! {
                <select id={format!("role-{}", person.id)} aria-label={format!("Role of {}", person.name)}
                    onchange={on_role(person)} disabled={!person.active}>
                    { for roles.iter().map(|role| html! {
                        <option value={role.as_str()} selected={*role == person.role}>{ role_label(*role) }</option>
                    }) }
                </select>
            }
        } else {
            html! { <>{ role_label(person.role) }</> }
        };
        let reset_form = (*resetting == Some(person.id)).then(|| {
            let error = (*reset_failure).as_ref().map(|f| f.field("password").unwrap_or_else(|| f.sentence()));
            html! {
                <tr class="reset-row">
                    <td colspan="4">
                        <form class="inline-form" onsubmit={reset(person)}>
                            <label class={classes!("field", error.is_some().then_some("invalid"))}>
                                <span>{ format!("New password for {}", person.name) }</span>
                                <input id="new-password" type="password" autocomplete="new-password"
                                    value={(*new_password).clone()} oninput={input(&new_password)} />
                                <span class="field-hint">{ "They are signed out everywhere and use this one from now on." }</span>
                                if let Some(error) = error { <span class="field-error" id="new-password-error">{ error }</span> }
                            </label>
                            <button class="btn btn-primary" id="set-password" type="submit" disabled={new_password.is_empty()}>
                                { "Set password" }
                            </button>
                            <button class="btn btn-secondary" type="button" onclick={open_reset(person)}>{ "Cancel" }</button>
                        </form>
                    </td>
                </tr>
            }
        });
        html! {
            <>
                <tr id={format!("person-{}", person.id)} class={classes!((!person.active).then_some("revoked"))}>
                    <td class="person-cell">
                        <strong>{ &person.name }</strong>
                        if person.id == me.id { <span class="you">{ "You" }</span> }
                        <span class="email">{ &person.email }</span>
                    </td>
                    <td>{ role_cell }</td>
                    <td>
                        <span class={classes!("badge", if person.active { "badge-ok" } else { "badge-bad" })}>
                            { if person.active { "Can sign in" } else { "Deactivated" } }
                        </span>
                    </td>
                    <td class="actions"><div class="row-actions">
                        if let Some(reason) = lock {
                            <span class="hint">{ reason }</span>
                        } else {
                            if person.active {
                                <button class="btn btn-secondary" id={format!("reset-{}", person.id)} onclick={open_reset(person)}>
                                    { "New password" }
                                </button>
                            }
                            <button class={classes!("btn", if confirming { "btn-danger" } else { "btn-secondary" })}
                                id={format!("active-{}", person.id)} onclick={on_active(person)}>
                                {
                                    match (person.active, confirming) {
                                        (true, false) => "Deactivate",
                                        (true, true) => "Deactivate now: signs them out",
                                        (false, _) => "Reactivate",
                                    }
                                }
                            </button>
                        }
                    </div></td>
                </tr>
                { for reset_form }
            </>
        }
    };
    let rows = match (*list).as_ref() {
        None => html! { <p class="empty" id="staff-loading">{ "Loading the staff list…" }</p> },
        Some(Err(error)) => html! {
            <div class="empty" id="staff-error"><strong>{ "The staff list needs the connection" }</strong>{ error.sentence() }</div>
        },
        Some(Ok(people)) => html! {
            <table class="orders staff" id="staff-list">
                <thead><tr><th>{ "Person" }</th><th>{ "Role" }</th><th>{ "Account" }</th><th /></tr></thead>
                <tbody>{ for staff_in_order(people).iter().map(row) }</tbody>
            </table>
        },
    };

    let field = |value: fn(&Draft) -> &String, set: fn(&mut Draft, String)| {
        let draft = draft.clone();
        (
            value(&draft).clone(),
            Callback::from(move |event: InputEvent| {
                let mut next = (*draft).clone();
                set(&mut next, event.target_unchecked_into::<web_sys::HtmlInputElement>().value());
                draft.set(next);
            }),
        )
    };
    let error_of = |name: &str| (*add_failure).as_ref().and_then(|f| f.field(name));
    let add_field = |id: &'static str,
                     label: &str,
                     kind: &'static str,
                     (value, oninput): (String, Callback<InputEvent>)| {
        let error = error_of(id);
        html! {
            <label class={classes!("field", error.is_some().then_some("invalid"))}>
                <span>{ label }</span>
                <input id={format!("staff-{id}")} type={kind} {value} {oninput} aria-invalid={error.is_some().to_string()}
                    autocomplete={if kind == "password" { "new-password" } else { "off" }} />
                if let Some(error) = error { <span class="field-error" id={format!("staff-{id}-error")}>{ error }</span> }
            </label>
        }
    };
    let on_new_role = {
        let draft = draft.clone();
        Callback::from(move |event: Event| {
            if let Ok(role) = event.target_unchecked_into::<web_sys::HtmlSelectElement>().value().parse::<Role>() {
                draft.set(Draft { role, ..(*draft).clone() });
            }
        })
    };
    let ready =
        !*adding && !draft.name.trim().is_empty() && !draft.email.trim().is_empty() && !draft.password.is_empty();
    let add_general = (*add_failure).as_ref().filter(|f| f.fields.is_empty()).map(ApiFailure::sentence);
    let said = (*outcome).clone().map(|outcome| match outcome {
        Outcome::Done(text) => html! { <p class="notice" role="status" id="staff-done">{ text }</p> },
        Outcome::Failed(error) => {
            html! { <p class="error" role="alert" id="staff-action-error">{ error.sentence() }</p> }
        }
    });
    html! {
        <section class="page" id="staff">
            <h2>{ "Staff" }</h2>
            <p class="hint">{ "Staff work the orders; managers also run the menu, staff, devices and settings; owners also manage owners." }</p>
            if state.offline() {
                <p class="banner-offline" role="status">{ "Offline: the list is as last read, and changes wait for the connection." }</p>
            }
            { for said }
            <div class="staff-layout">
            { rows }
            <form class="form staff-form" id="add-person" onsubmit={add}>
                <h3>{ "Add a person" }</h3>
                { add_field("name", "Name", "text", field(|d| &d.name, |d, v| d.name = v)) }
                { add_field("email", "E-mail (they sign in with it)", "email", field(|d| &d.email, |d, v| d.email = v)) }
                <label class="field">
                    <span>{ "Role" }</span>
                    <select id="staff-role" onchange={on_new_role}>
                        { for role_choices(me.role).into_iter().map(|role| html! {
                            <option value={role.as_str()} selected={role == draft.role}>{ role_label(role) }</option>
                        }) }
                    </select>
                </label>
                { add_field("password", &format!("First password (at least {} characters)", Password::MIN_CHARS), "password", field(|d| &d.password, |d, v| d.password = v)) }
                if let Some(error) = add_general { <p class="error" role="alert" id="staff-add-error">{ error }</p> }
                <button class="btn btn-primary" id="add-person-button" type="submit" disabled={!ready}>
                    { if *adding { "Adding…" } else { "Add person" } }
                </button>
            </form>
            </div>
        </section>
    }
}
