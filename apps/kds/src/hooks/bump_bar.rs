//! The bump bar: a USB keypad sends keys like a keyboard. The listener is on the whole document, so no
//! field needs focus; it is set anew with each state, so a key always acts on what the screen shows.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::commands;
use crate::state::{key, Action, Key, Phase, State};

#[hook]
pub fn use_bump_bar(state: &UseReducerHandle<State>) {
    let state = state.clone();
    use_effect_with(state.clone(), move |_| {
        let document = web_sys::window().and_then(|w| w.document());
        let listener = Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |event: web_sys::KeyboardEvent| {
            if state.phase != Phase::Board || event.ctrl_key() || event.alt_key() || event.meta_key() {
                return;
            }
            // Typing in a field (none on the board today) is not a bump.
            let typing = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
                .is_some_and(|t| matches!(t.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
            let Some(key) = key(&event.key()).filter(|_| !typing) else { return };
            event.prevent_default();
            handle(&state, key);
        });
        if let Some(document) = &document {
            let _ = document.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
        }
        move || {
            if let Some(document) = document {
                let _ = document.remove_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
            }
        }
    });
}

fn handle(state: &UseReducerHandle<State>, key: Key) {
    let tickets = state.tickets();
    match key {
        Key::Select(index) => {
            if let Some(ticket) = tickets.get(index) {
                state.dispatch(Action::Select(ticket.order.id));
            }
        }
        Key::Move { tickets, items } => state.dispatch(Action::Move { tickets, items }),
        Key::Bump => {
            if let Some(ticket) = state.selected_index().and_then(|index| tickets.get(index)) {
                commands::bump(state, ticket);
            }
        }
        Key::ItemDone => {
            if let Some(ticket) = state.selected_index().and_then(|index| tickets.get(index)) {
                if let Some((index, item)) = ticket.lines.get(state.selected_item) {
                    commands::mark_item(state, ticket.order.id, *index, item.done_at.is_none());
                }
            }
        }
        Key::Undo => commands::undo(state),
        Key::Recall => state.dispatch(Action::ToggleRecall),
        Key::Close => state.dispatch(Action::CloseRecall),
    }
}
