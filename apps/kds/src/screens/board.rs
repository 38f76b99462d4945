//! The ticket board of a station or expo screen: the header, the board-wide banner when it cannot be
//! trusted, the tickets oldest first, the all-day counts beside them, the bump bar's legend, the undo
//! offer and the recall list.

use std::collections::HashMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::commands;
use crate::screens::header::{Banner, Header};
use crate::screens::recall::RecallList;
use crate::screens::ticket::TicketCard;
use crate::state::{all_day, Action, Sound, State};

#[derive(Properties, PartialEq)]
pub struct BoardProps {
    pub state: UseReducerHandle<State>,
}

#[function_component(Board)]
pub fn board(props: &BoardProps) -> Html {
    let handle = props.state.clone();
    let state = &*props.state;
    let tickets = state.tickets();
    let allergens: Rc<HashMap<_, _>> = Rc::new(
        state
            .menu
            .as_ref()
            .map(|menu| menu.products.iter().map(|p| (p.id, p.allergens.clone())).collect())
            .unwrap_or_default(),
    );
    let counts = all_day(&tickets);
    let dispatch = |action: fn() -> Action| {
        let handle = handle.clone();
        Callback::from(move |_: MouseEvent| handle.dispatch(action()))
    };
    let toggle_mute = {
        let handle = handle.clone();
        Callback::from(move |_: MouseEvent| {
            let mut settings = handle.settings.clone();
            settings.muted = !settings.muted;
            commands::save_settings(&handle, settings);
        })
    };
    let undo = {
        let handle = handle.clone();
        Callback::from(move |_: MouseEvent| commands::undo(&handle))
    };
    let stale = state.banner();
    html! {
        <div class={classes!("kds", stale.then_some("kds-stale"))} id="board">
            <Header state={handle.clone()}>
                <button class="btn btn-secondary" id="open-recall" onclick={dispatch(|| Action::ToggleRecall)}>
                    { "Recall (R)" }
                </button>
                <button class="btn btn-secondary" id="toggle-sound" onclick={toggle_mute}
                    aria-label={if state.settings.muted { "Sound is off: turn it on" } else { "Sound is on: turn it off" }}>
                    { if state.settings.muted { "Sound off" } else { "Sound on" } }
                </button>
                <button class="btn btn-secondary" id="test-sound" onclick={dispatch(|| Action::Play(Sound::Test))}>
                    { "Test" }
                </button>
                <button class="btn btn-secondary" id="open-setup" onclick={dispatch(|| Action::OpenSetup)}>
                    { "Screen" }
                </button>
            </Header>
            <Banner state={handle.clone()} />
            <div class="kds-body">
                <main class="tickets" id="tickets" aria-label="Open tickets">
                    if tickets.is_empty() {
                        <div class="empty" id="no-tickets">
                            if state.loaded_orders { { "No open tickets" } } else { { "Loading tickets…" } }
                        </div>
                    }
                    { for tickets.iter().enumerate().map(|(index, ticket)| html! {
                        <TicketCard key={ticket.order.id.to_string()} state={handle.clone()} order_id={ticket.order.id}
                            index={index} allergens={allergens.clone()} />
                    }) }
                </main>
                <aside class="all-day" id="all-day" aria-label="All day">
                    <h2>{ "All day" }</h2>
                    if counts.is_empty() { <p class="muted">{ "Nothing to make" }</p> }
                    <ul>{ for counts.iter().map(|(name, count)| html! {
                        <li><span class="count">{ count }</span><span class="name">{ name }</span></li>
                    }) }</ul>
                </aside>
            </div>
            <footer class="legend" id="key-legend">
                <span><kbd>{ "1–9" }</kbd>{ " select" }</span>
                <span><kbd>{ "← →" }</kbd>{ " ticket" }</span>
                <span><kbd>{ "↑ ↓" }</kbd>{ " line" }</span>
                <span><kbd>{ "Space" }</kbd>{ " line done" }</span>
                <span><kbd>{ "Enter" }</kbd>{ " bump" }</span>
                <span><kbd>{ "U" }</kbd>{ " undo" }</span>
                <span><kbd>{ "R" }</kbd>{ " recall" }</span>
            </footer>
            if let Some(pending) = &state.undo {
                <div class="undo" id="undo" role="status">
                    <span>{ format!("#{} {}", pending.number, pending.label) }</span>
                    <button class="btn btn-primary" id="undo-button" onclick={undo}>
                        { format!("Undo (U) · {} s", (pending.until - state.now).num_seconds().max(0)) }
                    </button>
                </div>
            }
            if let Some(error) = &state.error {
                <div class="toast" id="kds-error" role="alert" onclick={dispatch(|| Action::Error(None))}>{ error }</div>
            }
            if state.recall_open { <RecallList state={handle.clone()} /> }
            <div id="sound-log" class="sound-log" aria-hidden="true"></div>
        </div>
    }
}
