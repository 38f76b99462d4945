//! The menu screen: categories down the side, the chosen category's dishes (photo, price, allergens, sold
//! out) in the middle, the cart beside them, and a dish's sheet over them when one is opened.

use ordera_protocol::api::Product;
use ordera_protocol::new_id;
use ordera_ui::{act, money, Badge, Button, ButtonKind};
use yew::prelude::*;

use super::product_sheet::ProductSheet;
use super::{image_url, ScreenProps};
use crate::state::{Action, State};

#[function_component(Menu)]
pub fn menu(ScreenProps { state }: &ScreenProps) -> Html {
    if state.menu.is_none() {
        return html! { <div class="center"><p>{ "Loading the menu…" }</p></div> };
    }
    let categories = state.visible_categories();
    if categories.is_empty() {
        return html! { <div class="center"><p id="empty-menu">{ "The menu is being prepared. Please ask a member of staff." }</p></div> };
    }
    let rail: Html = categories
        .iter()
        .map(|category| {
            let id = category.id;
            let pressed = state.category == Some(id);
            let onclick = act(state, move |()| Action::Category(id));
            html! {
                <Button kind={ButtonKind::Secondary} {onclick} class={classes!("category", pressed.then_some("selected"))}>
                    { category.name.clone() }
                </Button>
            }
        })
        .collect();
    let products: Html = state.shown_products().into_iter().map(|product| dish_card(state, product)).collect();
    html! {
        <div class="body">
            <nav class="rail" aria-label="Categories">{ rail }</nav>
            <main class="grid" id="products">{ products }</main>
            <Cart state={state.clone()} />
            if let Some(product) = state.sheet.clone() {
                <ProductSheet state={state.clone()} {product} />
            }
        </div>
    }
}

fn dish_card(state: &UseReducerHandle<State>, product: &Product) -> Html {
    let currency = state.currency();
    let orderable = product.orderable();
    let open = {
        let product = product.clone();
        act(state, move |()| Action::Open(product.clone()))
    };
    let onclick = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| {
            if orderable {
                open.emit(());
            }
        })
    };
    // Enter or Space opens it, as on a button: the whole menu works from a keyboard.
    let onkeydown = Callback::from(move |event: KeyboardEvent| {
        if orderable && (event.key() == "Enter" || event.key() == " ") {
            event.prevent_default();
            open.emit(());
        }
    });
    let allergens: Html = product.allergens.iter().map(|a| html! { <Badge text={a.label()} /> }).collect();
    // A div with a button's role: WebKit does not lay out a <button> as a flex column.
    html! {
        <div class={classes!("card", (!orderable).then_some("soldout"))} role="button" tabindex="0"
            aria-disabled={(!orderable).to_string()} {onclick} {onkeydown} data-product={product.name.clone()}>
            { match &product.image {
                Some(image) => html! { <img src={image_url(image.id, true)} alt="" /> },
                None => html! { <div class="noimg"></div> },
            } }
            <div class="info">
                <span class="name">{ product.name.clone() }</span>
                <span class="price">{ money(product.price, currency.as_deref()) }</span>
                <span>
                    { allergens }
                    if !orderable { <Badge text="Sold out" class={classes!("badge-bad")} /> }
                </span>
            </div>
        </div>
    }
}

/// The customer's order so far, with a stepper on each line and the way on to review.
#[function_component(Cart)]
fn cart(ScreenProps { state }: &ScreenProps) -> Html {
    let currency = state.currency();
    let lines: Html = state
        .cart
        .lines()
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let quantity = line.quantity;
            let less = act(state, move |()| {
                if quantity > 1 {
                    Action::Quantity(index, quantity - 1)
                } else {
                    Action::Remove(index)
                }
            });
            let more = act(state, move |()| Action::Quantity(index, quantity + 1));
            html! {
                <li class="line">
                    <span>{ format!("{}× {}", line.quantity, line.product.name) }
                        if !line.note.is_empty() { <br/><small>{ line.note.clone() }</small> }
                    </span>
                    <span>{ money(line.total(), currency.as_deref()) }</span>
                    <span class="qty">
                        <Button kind={ButtonKind::Secondary} onclick={less} label={AttrValue::from("One less")}>{ "−" }</Button>
                        <Button kind={ButtonKind::Secondary} onclick={more} label={AttrValue::from("One more")}>{ "+" }</Button>
                    </span>
                </li>
            }
        })
        .collect();
    let review = act(state, |()| Action::Review(new_id()));
    html! {
        <aside class="cart" aria-label="Your order">
            <h2>{ "Your order" }</h2>
            if let Some(notice) = state.notice.clone() {
                <p class="notice" id="cart-notice" role="alert">{ notice }</p>
            }
            if state.cart.is_empty() { <p>{ "Nothing yet — tap a dish to add it." }</p> }
            <ul id="cart">{ lines }</ul>
            <div class="total"><span>{ "Total" }</span><span id="cart-total">{ money(state.cart.total(), currency.as_deref()) }</span></div>
            <Button id="review" onclick={review} disabled={state.cart.is_empty()}>{ "Review order" }</Button>
        </aside>
    }
}
