//! One ticket card: number, eat in or take away, age timer coloured by the restaurant's thresholds, the
//! lines this screen makes with notes and allergens, the kiosk's reference, and on expo each station's
//! progress. A cancelled ticket stays struck through in red with its reason until a cook acknowledges it.

use std::collections::HashMap;

use ordera_protocol::ipc::ScreenRole;
use ordera_protocol::orders::short_reference;
use ordera_protocol::{Allergen, OrderStatus, OrderType};
use uuid::Uuid;
use yew::prelude::*;

use crate::commands;
use crate::state::{age, bump, elapsed, station_progress, State, Ticket};

#[derive(Properties, PartialEq)]
pub struct TicketProps {
    pub state: UseReducerHandle<State>,
    pub order_id: Uuid,
    /// Its place on the board, from 0: the bump bar's digit is one more.
    pub index: usize,
    pub allergens: std::rc::Rc<HashMap<Uuid, Vec<Allergen>>>,
}

fn bump_label(ticket: &Ticket<'_>, role: ScreenRole) -> &'static str {
    if role == ScreenRole::Stations {
        return "Done";
    }
    match ticket.order.status {
        OrderStatus::Placed => "Start",
        OrderStatus::Preparing => "Ready",
        OrderStatus::Ready => "Served",
        _ => "",
    }
}

/// How many orders' drawn marks the webview keeps before it lets them go: a screen runs for weeks, and a
/// bench reads a few hundred at a time.
const DRAWN_MARKS_KEPT: usize = 1_000;

thread_local! {
    /// The orders whose first drawing is marked.
    static DRAWN: std::cell::RefCell<std::collections::HashSet<Uuid>> = Default::default();
}

/// Leaves a User Timing mark `ordera:drawn:<order id>` the first time a ticket's card enters the page (Yew
/// runs a component's first effect once its DOM is in place; the browser paints it with its next frame):
/// `cargo xtask bench` reads them to measure the time from the API accepting an order to a cook seeing it,
/// and the webview's inspector shows them on its timeline. Once per order: a card mounted again (the board
/// rebuilt) is not a new ticket for the cook.
fn mark_drawn(order_id: Uuid) {
    let Some(performance) = web_sys::window().and_then(|w| w.performance()) else { return };
    let first = DRAWN.with(|drawn| {
        let mut drawn = drawn.borrow_mut();
        if drawn.len() >= DRAWN_MARKS_KEPT {
            performance.clear_marks();
            drawn.clear();
        }
        drawn.insert(order_id)
    });
    if first {
        let _ = performance.mark(&format!("ordera:drawn:{order_id}"));
    }
}

#[function_component(TicketCard)]
pub fn ticket_card(props: &TicketProps) -> Html {
    use_effect_with(props.order_id, |order_id| mark_drawn(*order_id));
    let handle = props.state.clone();
    let state = &*props.state;
    let Some(ticket) = state.ticket(props.order_id) else { return html! {} };
    let order = ticket.order;
    let role = state.settings.role;
    let level = age(order.placed_at, state.now, state.thresholds());
    let selected = state.selected == Some(order.id);
    let flashing = state.flashes.contains_key(&order.id);
    let number = order.number;
    let class = classes!(
        "ticket",
        level.class(),
        flashing.then_some("flash"),
        selected.then_some("selected"),
        ticket.cancelled.then_some("cancelled"),
        format!("status-{}", order.status.as_str()),
    );
    let on_select = {
        let handle = handle.clone();
        let id = order.id;
        Callback::from(move |_: MouseEvent| handle.dispatch(crate::state::Action::Select(id)))
    };
    let lines = ticket.lines.iter().enumerate().map(|(position, (index, item))| {
        let done = item.done_at.is_some();
        let line_selected = selected && state.selected_item == position;
        let toggle = {
            let handle = handle.clone();
            let (id, index) = (order.id, *index);
            Callback::from(move |event: MouseEvent| {
                event.stop_propagation();
                handle.dispatch(crate::state::Action::Select(id));
                commands::mark_item(&handle, id, index, !done);
            })
        };
        let allergens = props.allergens.get(&item.product_id).cloned().unwrap_or_default();
        html! {
            <li class={classes!("line", done.then_some("done"), line_selected.then_some("line-selected"))}
                id={format!("line-{number}-{index}")} onclick={(!ticket.cancelled).then_some(toggle)}
                role="button" aria-pressed={done.to_string()}>
                <span class="qty">{ format!("{}×", item.quantity) }</span>
                <span class="name">{ &item.name }</span>
                if role != ScreenRole::Stations { <span class="station-tag">{ &item.station }</span> }
                if done { <span class="tick" aria-label="done">{ "✓" }</span> }
                if !item.note.is_empty() { <div class="note">{ format!("» {}", item.note) }</div> }
                if !allergens.is_empty() {
                    <div class="allergens">{ for allergens.iter().map(|a| html! {
                        <span class="allergen">{ format!("⚠ {}", a.as_str().replace('_', " ").to_uppercase()) }</span>
                    }) }</div>
                }
            </li>
        }
    });
    let action = if ticket.cancelled {
        let handle = handle.clone();
        let id = order.id;
        html! {
            <button class="btn btn-danger ticket-action" id={format!("ack-{number}")}
                onclick={Callback::from(move |event: MouseEvent| { event.stop_propagation(); commands::acknowledge(&handle, id) })}>
                { "Seen" }
            </button>
        }
    } else if bump(&ticket, role).is_some() {
        let handle = handle.clone();
        let id = order.id;
        let label = bump_label(&ticket, role);
        html! {
            <button class="btn btn-primary ticket-action" id={format!("bump-{number}")}
                onclick={Callback::from(move |event: MouseEvent| {
                    event.stop_propagation();
                    if let Some(ticket) = handle.ticket(id) {
                        commands::bump(&handle, &ticket);
                    }
                })}>
                { label }
            </button>
        }
    } else {
        html! {}
    };
    html! {
        <article class={class} id={format!("ticket-{number}")} data-status={order.status.as_str()} onclick={on_select}>
            <header class="ticket-head">
                if props.index < 9 { <span class="key-hint" aria-label="bump bar key">{ props.index + 1 }</span> }
                <span class="ticket-number">{ format!("#{number}") }</span>
                <span class={classes!("order-type", (order.order_type == OrderType::Takeaway).then_some("takeaway"))}>
                    { if order.order_type == OrderType::Takeaway { "TAKE AWAY" } else { "EAT IN" } }
                </span>
                <span class="timer" id={format!("timer-{number}")}>{ elapsed(order.placed_at, state.now) }</span>
            </header>
            if ticket.cancelled {
                <div class="cancel-note" id={format!("cancelled-{number}")}>
                    { format!("CANCELLED — {}", order.cancel_reason.clone().unwrap_or_default()) }
                </div>
            }
            if role == ScreenRole::Expo && !ticket.cancelled {
                <div class="progress">{ for station_progress(order).into_iter().map(|(station, done, total)| html! {
                    <span class={classes!("station-chip", (done == total).then_some("station-done"))}>
                        { format!("{station} {done}/{total}") }
                    </span>
                }) }</div>
            }
            <ul class="lines">{ for lines }</ul>
            if !order.note.is_empty() { <div class="note order-note">{ format!("» {}", order.note) }</div> }
            <footer class="ticket-foot">
                <span class="reference">{ format!("ref {}", short_reference(order.id)) }</span>
                <span class="status-label">{ order.status.as_str() }</span>
                { action }
            </footer>
        </article>
    }
}
