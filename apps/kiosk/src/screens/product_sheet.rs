//! A dish's sheet over the menu: its photo, description and allergens, how many, and a note for the
//! kitchen. Quantity and note are the sheet's own until the dish is added.

use ordera_protocol::api::Product;
use ordera_protocol::orders::MAX_QUANTITY;
use ordera_protocol::Money;
use ordera_ui::{act, money, Badge, Button, ButtonKind, Dialog};
use yew::prelude::*;

use super::image_url;
use crate::state::{Action, State};

#[derive(Properties, PartialEq)]
pub struct SheetProps {
    pub state: UseReducerHandle<State>,
    /// The dish as it was when opened; the menu's current one is shown while it is there.
    pub product: Product,
}

#[function_component(ProductSheet)]
pub fn product_sheet(props: &SheetProps) -> Html {
    let quantity = use_state(|| 1i64);
    let note = use_state(String::new);
    let state = &props.state;
    let product = state.current(props.product.id).cloned().unwrap_or_else(|| props.product.clone());
    let currency = state.currency();
    let close = act(state, |()| Action::CloseSheet);
    let less = {
        let quantity = quantity.clone();
        Callback::from(move |()| quantity.set((*quantity - 1).max(1)))
    };
    let more = {
        let quantity = quantity.clone();
        Callback::from(move |()| quantity.set((*quantity + 1).min(MAX_QUANTITY)))
    };
    let oninput = {
        let note = note.clone();
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            note.set(input.value());
        })
    };
    let add = {
        let (product, quantity, note) = (product.clone(), *quantity, note.trim().to_owned());
        act(state, move |()| Action::Add { product: product.clone(), quantity, note: note.clone() })
    };
    let allergens: Html = product.allergens.iter().map(|a| html! { <Badge text={a.label()} /> }).collect();
    html! {
        <Dialog title={AttrValue::from(product.name.clone())} on_close={close.clone()}>
            <div class="sheet" id="product-sheet">
                if let Some(image) = &product.image { <img src={image_url(image.id, false)} alt="" /> }
                <h2>{ product.name.clone() }</h2>
                <p>{ product.description.clone() }</p>
                <p>{ allergens }</p>
                <div class="stepper">
                    <Button kind={ButtonKind::Secondary} onclick={less} label={AttrValue::from("One less")}>{ "−" }</Button>
                    <span id="sheet-quantity">{ *quantity }</span>
                    <Button kind={ButtonKind::Secondary} onclick={more} label={AttrValue::from("One more")}>{ "+" }</Button>
                </div>
                <div class="form">
                    <input id="note" placeholder="A note for the kitchen (e.g. no onions)" maxlength="200"
                        value={(*note).clone()} {oninput} />
                    <Button id="add-to-cart" onclick={add} disabled={!product.orderable()}>
                        { format!("Add · {}", money(Money(product.price.0 * *quantity), currency.as_deref())) }
                    </Button>
                    <Button kind={ButtonKind::Secondary} onclick={close}>{ "Back" }</Button>
                </div>
            </div>
        </Dialog>
    }
}
