//! The review screen: the order as it will be sent, eat in or take away, and "Place order". The order's id
//! was made when the customer came here; while it is being saved the button waits.

use ordera_protocol::{new_id, OrderType};
use ordera_ui::{act, money, Button, ButtonKind};
use yew::prelude::*;

use super::ScreenProps;
use crate::state::Action;

#[function_component(Review)]
pub fn review(ScreenProps { state }: &ScreenProps) -> Html {
    let currency = state.currency();
    let back = act(state, |()| Action::BackToMenu);
    let dine_in = act(state, |()| Action::OrderType(OrderType::DineIn));
    let takeaway = act(state, |()| Action::OrderType(OrderType::Takeaway));
    let place = act(state, |()| Action::Place(new_id()));
    let placing = state.placing.is_some();
    let items: Html = state
        .cart
        .lines()
        .iter()
        .map(|line| {
            let note = if line.note.is_empty() { String::new() } else { format!(" ({})", line.note) };
            let price = money(line.total(), currency.as_deref());
            html! { <li>{ format!("{}× {}{note} — {price}", line.quantity, line.product.name) }</li> }
        })
        .collect();
    let chosen = |order_type: OrderType| classes!((state.cart.order_type() == order_type).then_some("selected"));
    html! {
        <main class="center" id="review-screen">
            <h2>{ "Check your order" }</h2>
            <ul>{ items }</ul>
            <p class="total" id="review-total">{ format!("Total {}", money(state.cart.total(), currency.as_deref())) }</p>
            <div class="types" role="group" aria-label="Eat in or take away">
                <Button id="dine-in" kind={ButtonKind::Secondary} onclick={dine_in} class={chosen(OrderType::DineIn)}
                    disabled={placing}>{ "Eat in" }</Button>
                <Button id="takeaway" kind={ButtonKind::Secondary} onclick={takeaway} class={chosen(OrderType::Takeaway)}
                    disabled={placing}>{ "Take away" }</Button>
            </div>
            if let Some(notice) = state.notice.clone() { <p class="notice" role="alert">{ notice }</p> }
            if let Some(error) = state.error.clone() { <p class="error">{ error }</p> }
            <Button id="place-order" onclick={place} disabled={placing}>
                { if placing { "Placing your order…" } else { "Place order" } }
            </Button>
            <Button kind={ButtonKind::Secondary} onclick={back} disabled={placing}>{ "Back to the menu" }</Button>
        </main>
    }
}
