//! Needs attention: orders a device saved that the server refused for good (a dish sold out meanwhile),
//! for staff to settle with the customer and mark as handled.

use ordera_protocol::orders::{short_reference, RefusedOrder};
use ordera_ui::{Button, Card};
use uuid::Uuid;
use yew::prelude::*;

use super::{clock, not_in_step, ScreenProps};
use crate::hooks::use_resolve;
use crate::state::{capitalise, order_type_label};

#[function_component(Attention)]
pub fn attention(ScreenProps { state }: &ScreenProps) -> Html {
    let resolve = use_resolve(state.dispatcher());
    let offline = state.offline();
    let body = if state.refusals.is_empty() && state.never_synced() {
        not_in_step(state, "attention-unknown")
    } else if state.refusals.is_empty() {
        html! {
            <div class="empty" id="attention-empty">
                <strong>{ "Nothing needs your attention" }</strong>
                { "Orders the server refuses (a dish sold out meanwhile) appear here at once." }
            </div>
        }
    } else {
        html! {
            <ul class="refusals">
                { for state.refusals.iter().map(|refusal| {
                    let busy = state.settling.contains(&refusal.id);
                    refusal_card(refusal, busy, offline, &resolve)
                }) }
            </ul>
        }
    };
    html! {
        <main class="page" id="attention">
            <h2>{ "Orders the kitchen could not take" }</h2>
            <p class="hint">
                { "A kiosk saved these while it was offline; when it got back, the server refused them. \
                   The customer may be waiting: serve them something else or refund them, then mark the order as handled." }
            </p>
            { body }
        </main>
    }
}

fn refusal_card(refusal: &RefusedOrder, busy: bool, offline: bool, resolve: &Callback<Uuid>) -> Html {
    let id = refusal.id;
    let settle = resolve.reform(move |()| id);
    let device = refusal.device_name.clone().unwrap_or_else(|| "A device".into());
    let items = refusal.items.iter().map(|item| {
        let name = item.name.clone().unwrap_or_else(|| "An item no longer on the menu".into());
        let note = if item.note.is_empty() { String::new() } else { format!(" — {}", item.note) };
        html! { <li>{ format!("{}× {name}{note}", item.quantity) }</li> }
    });
    html! {
        <li key={id.to_string()} id={format!("refusal-{id}")} data-order={id.to_string()}>
            <Card class={classes!("refusal")}>
                <div class="meta">
                    { format!("Refused at {} · {} · {} · customer's reference #{}", clock(&refusal.refused_at), device,
                        order_type_label(refusal.order_type), short_reference(id)) }
                </div>
                <div class="reason">{ capitalise(&refusal.reason) }</div>
                <ul class="items">{ for items }</ul>
                if !refusal.note.is_empty() {
                    <div class="meta">{ format!("Note: {}", refusal.note) }</div>
                }
                <div class="actions">
                    <Button class={classes!("settle")} onclick={settle} disabled={busy}>
                        { if busy { "Saving…" } else if offline { "Mark as handled (needs connection)" } else { "Mark as handled" } }
                    </Button>
                </div>
            </Card>
        </li>
    }
}
