//! What a cook's touch or key sends: each change goes through the shell's durable queue (so it is kept
//! offline and applied once), and the board shows it at once from the queued state.

use ordera_protocol::ipc::{self, IdArgs, MarkItemsArgs, ScreenSettings, SetStatusArgs};
use ordera_protocol::orders::StatusAction;
use ordera_ui::invoke;
use uuid::Uuid;
use yew::prelude::*;

use crate::hooks::reload_orders;
use crate::state::{bump as bump_of, Action, KitchenCommand, State, Ticket, Undo, UNDO_SECONDS};

type Handle = UseReducerHandle<State>;

fn send(state: &Handle, command: KitchenCommand) {
    let dispatch = state.dispatcher();
    wasm_bindgen_futures::spawn_local(async move {
        let sent = match command {
            KitchenCommand::Status { order_id, action } => {
                invoke::<ipc::SetStatus>(&SetStatusArgs { order_id, action, reason: None }).await.map(drop)
            }
            KitchenCommand::Mark { order_id, items, done } => {
                invoke::<ipc::MarkItems>(&MarkItemsArgs { order_id, items, done }).await.map(drop)
            }
        };
        match sent {
            Ok(()) => dispatch.dispatch(Action::Error(None)),
            Err(error) => dispatch.dispatch(Action::Error(Some(error.message))),
        }
        reload_orders(dispatch);
    });
}

/// Moves a ticket on, and offers to take it back for a few seconds where that is possible.
pub fn bump(state: &Handle, ticket: &Ticket<'_>) {
    let Some((command, undo, label)) = bump_of(ticket, state.settings.role) else { return };
    send(state, command);
    state.dispatch(Action::Select(ticket.order.id));
    if let Some(undo) = undo {
        state.dispatch(Action::Bumped(Undo {
            order_id: ticket.order.id,
            number: ticket.order.number,
            label,
            command: undo,
            until: state.now + chrono::Duration::seconds(UNDO_SECONDS),
        }));
    }
}

pub fn undo(state: &Handle) {
    if let Some(undo) = state.undo.clone() {
        send(state, undo.command);
        state.dispatch(Action::UndoTaken);
    }
}

pub fn mark_item(state: &Handle, order_id: Uuid, index: usize, done: bool) {
    send(state, KitchenCommand::Mark { order_id, items: vec![index], done });
}

pub fn recall(state: &Handle, order_id: Uuid) {
    send(state, KitchenCommand::Status { order_id, action: StatusAction::Recall });
    state.dispatch(Action::CloseRecall);
}

pub fn acknowledge(state: &Handle, id: Uuid) {
    let dispatch = state.dispatcher();
    wasm_bindgen_futures::spawn_local(async move {
        match invoke::<ipc::Acknowledge>(&IdArgs { id }).await {
            Ok(ids) => dispatch.dispatch(Action::Acknowledged(ids)),
            Err(error) => dispatch.dispatch(Action::Error(Some(error.message))),
        }
    });
}

pub fn save_settings(state: &Handle, settings: ScreenSettings) {
    let dispatch = state.dispatcher();
    wasm_bindgen_futures::spawn_local(async move {
        match invoke::<ipc::SaveScreenSettings>(&settings).await {
            Ok(saved) => dispatch.dispatch(Action::Settings(saved)),
            Err(error) => dispatch.dispatch(Action::Error(Some(error.message))),
        }
    });
}

/// Forgets this screen's pairing; what it queued offline stays, to be sent once it is paired again.
pub fn forget(state: &Handle) {
    let dispatch = state.dispatcher();
    wasm_bindgen_futures::spawn_local(async move {
        match invoke::<ipc::Forget>(&ipc::NoArgs {}).await {
            Ok(()) => dispatch.dispatch(Action::Forgotten),
            Err(error) => dispatch.dispatch(Action::Error(Some(error.message))),
        }
    });
}
