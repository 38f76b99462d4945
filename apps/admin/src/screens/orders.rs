//! Today's orders: newest first and live, those still in the kitchen and everything from today.

use ordera_protocol::orders::Order;
use ordera_protocol::OrderStatus;
use ordera_ui::{money, Badge};
use yew::prelude::*;

use super::{clock, not_in_step, ScreenProps};
use crate::state::{order_type_label, status_label};

#[function_component(Orders)]
pub fn orders(ScreenProps { state }: &ScreenProps) -> Html {
    let currency = state.currency();
    let orders = state.newest_orders();
    let body = if orders.is_empty() && state.never_synced() {
        not_in_step(state, "orders-unknown")
    } else if orders.is_empty() {
        html! {
            <div class="empty" id="orders-empty">
                <strong>{ "No orders yet today" }</strong>
                { "Orders from the kiosks appear here the moment they are placed." }
            </div>
        }
    } else {
        html! {
            <table class="orders">
                <thead><tr><th>{ "No." }</th><th>{ "Time" }</th><th>{ "Type" }</th><th>{ "Items" }</th><th>{ "Total" }</th><th>{ "Status" }</th></tr></thead>
                <tbody>{ for orders.into_iter().map(|order| row(order, currency.as_deref())) }</tbody>
            </table>
        }
    };
    html! {
        <main class="page" id="orders">
            <h2>{ "Today's orders" }</h2>
            <p class="hint">{ "Newest first, live: orders still in the kitchen and everything from today." }</p>
            { body }
        </main>
    }
}

fn row(order: &Order, currency: Option<&str>) -> Html {
    let items: Vec<String> = order.items.iter().map(|i| format!("{}× {}", i.quantity, i.name)).collect();
    html! {
        <tr key={order.id.to_string()} id={format!("order-{}", order.id)} data-number={order.number.to_string()}>
            <td class="num">{ order.number }</td>
            <td>{ clock(&order.placed_at) }</td>
            <td>{ order_type_label(order.order_type) }</td>
            <td>{ items.join(", ") }</td>
            <td>{ money(order.total, currency) }</td>
            <td>{ status_badge(order.status) }</td>
        </tr>
    }
}

fn status_badge(status: OrderStatus) -> Html {
    let (text, class) = status_label(status);
    html! { <Badge {text} class={classes!(class)} /> }
}
