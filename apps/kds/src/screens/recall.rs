//! The recall list: tickets completed in the last hours, newest first, with who served them and when; one
//! tap brings a ticket back to every screen as ready.

use ordera_protocol::OrderStatus;
use yew::prelude::*;

use crate::commands;
use crate::screens::clock;
use crate::state::{Action, State};

#[derive(Properties, PartialEq)]
pub struct RecallProps {
    pub state: UseReducerHandle<State>,
}

#[function_component(RecallList)]
pub fn recall_list(props: &RecallProps) -> Html {
    let handle = props.state.clone();
    let list = props.state.recall_list();
    let close = {
        let handle = handle.clone();
        Callback::from(move |_: MouseEvent| handle.dispatch(Action::CloseRecall))
    };
    html! {
        <div class="dialog-backdrop" id="recall">
            <div class="dialog recall" role="dialog" aria-label="Recall a ticket">
                <h2>{ "Recall a ticket" }</h2>
                if list.is_empty() { <p class="muted" id="recall-empty">{ "Nothing served in the last hours." }</p> }
                <ul class="recall-list">{ for list.iter().map(|order| {
                    let step = order.last_step(OrderStatus::Completed);
                    let who = step.and_then(|s| s.by.clone()).unwrap_or_else(|| "—".into());
                    let when = order.completed_at.map(clock).unwrap_or_default();
                    let handle = handle.clone();
                    let id = order.id;
                    let items: Vec<String> = order.items.iter().map(|i| format!("{}× {}", i.quantity, i.name)).collect();
                    html! {
                        <li class="recall-row" id={format!("recall-{}", order.number)}>
                            <span class="ticket-number">{ format!("#{}", order.number) }</span>
                            <span class="recall-items">{ items.join(", ") }</span>
                            <span class="recall-who">{ format!("served {when} · {who}") }</span>
                            <button class="btn btn-primary" id={format!("recall-button-{}", order.number)}
                                onclick={Callback::from(move |_: MouseEvent| commands::recall(&handle, id))}>
                                { "Recall" }
                            </button>
                        </li>
                    }
                }) }</ul>
                <button class="btn btn-secondary" id="close-recall" onclick={close}>{ "Close (Esc)" }</button>
            </div>
        </div>
    }
}
