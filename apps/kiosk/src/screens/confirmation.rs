//! The confirmation screen: the order is saved on the kiosk. It shows the server's ticket number when the
//! engine has it, says so honestly while offline (with a reference staff can look up), and says when the
//! server refused the order.

use ordera_protocol::device::OutboxEntry;
use ordera_protocol::orders::{short_reference, Order};
use ordera_ui::{act, Button};
use yew::prelude::*;

use super::ScreenProps;
use crate::hooks::use_ticket_number;
use crate::state::{Action, Screen};

#[function_component(Confirmation)]
pub fn confirmation(ScreenProps { state }: &ScreenProps) -> Html {
    use_ticket_number(state.awaiting_number(), state.orders_changed, state.dispatcher());
    let Screen::Confirmation { entry, order, refused } = &state.screen else {
        return html! {};
    };
    let done = act(state, |()| Action::Reset);
    html! {
        <main class="center" id="confirmation">
            { outcome(entry, order.as_ref(), refused.as_deref(), state.offline()) }
            <Button id="done" onclick={done}>{ "Done" }</Button>
        </main>
    }
}

fn outcome(entry: &OutboxEntry, order: Option<&Order>, refused: Option<&str>, offline: bool) -> Html {
    let reference = format!("#{}", short_reference(entry.command_id));
    match (order, refused) {
        (_, Some(reason)) => html! {
            <>
                <h2>{ "Sorry — we could not take this order" }</h2>
                <p class="error" id="refused">{ reason.to_owned() }</p>
                <p>
                    { "Please ask a member of staff and give them your reference " }
                    <strong>{ reference }</strong>
                    { "." }
                </p>
            </>
        },
        (Some(order), None) => html! {
            <>
                <h2>{ "Thank you! Your number is" }</h2>
                <p class="ticket" id="ticket-number">{ order.number }</p>
                <p>{ "We will call it when your order is ready." }</p>
            </>
        },
        (None, None) if offline => html! {
            <>
                <h2 id="saved-offline">{ "Order saved — it will be sent to the kitchen as soon as the connection returns" }</h2>
                <p>{ "Your reference is " }<strong id="local-reference">{ reference }</strong></p>
                <p>{ "Show it at the counter if you are asked." }</p>
            </>
        },
        (None, None) => html! { <h2 id="sending">{ "Sending your order to the kitchen…" }</h2> },
    }
}
