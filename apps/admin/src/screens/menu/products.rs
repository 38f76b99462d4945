//! The chosen category's products: picture, name, price, station, allergens, stock and standing, with
//! the form a tap away and the 86 button on every row: sold out until the end of the business day, until
//! a time, or until switched back on, and "Available again". A product due back says when ("Back at
//! 14:00"); the server brings it back by itself and this list follows.

use ordera_protocol::api::{Category, Product};
use ordera_ui::api::{self, ApiFailure};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::form::FormTarget;
use super::{next_local, when, Picture};
use crate::state::menu::{badges, failure_sentence, parse_clock, EightySix};

#[derive(Properties, PartialEq)]
pub struct ProductsProps {
    pub category: Category,
    /// The category's products in menu order, as synced.
    pub products: Vec<Product>,
    pub currency: Option<String>,
    pub on_open: Callback<FormTarget>,
}

#[function_component(Products)]
pub fn products(props: &ProductsProps) -> Html {
    let category = &props.category;
    let add = {
        let (on_open, id) = (props.on_open.clone(), category.id);
        Callback::from(move |_: MouseEvent| on_open.emit(FormTarget::New(id)))
    };
    html! {
        <div class="products" id="products" aria-label={format!("Dishes in {}", category.name)}>
            <div class="products-head">
                <h3 id="products-title">
                    { &category.name }
                    if !category.visible { <span class="badge badge-warn">{ "Hidden from kiosks" }</span> }
                </h3>
                <button class="btn btn-primary" id="add-product" onclick={add}>{ "Add a dish" }</button>
            </div>
            if props.products.is_empty() {
                <div class="empty" id="products-empty">
                    <strong>{ format!("Nothing in {} yet", category.name) }</strong>
                    { "Add its first dish: a name and a price are all it needs." }
                </div>
            } else {
                <ul class="product-list" id="product-list">
                    { for props.products.iter().map(|product| html! {
                        <ProductRow key={product.id.to_string()} product={product.clone()}
                            currency={props.currency.clone()} on_open={props.on_open.clone()} />
                    }) }
                </ul>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct RowProps {
    product: Product,
    currency: Option<String>,
    on_open: Callback<FormTarget>,
}

#[function_component(ProductRow)]
fn product_row(props: &RowProps) -> Html {
    let product = &props.product;
    let id = product.id;
    let open = use_state(|| false);
    let time = use_state(String::new);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<String>);
    // The server's answer to the last 86, until the synced list shows it.
    let answer = use_state(|| None::<Product>);
    let choose = {
        let (open, busy, failure, answer) = (open.clone(), busy.clone(), failure.clone(), answer.clone());
        Callback::from(move |choice: EightySix| {
            if *busy {
                return;
            }
            busy.set(true);
            let (open, busy, failure, answer) = (open.clone(), busy.clone(), failure.clone(), answer.clone());
            spawn_local(async move {
                match api::send::<_, Product>("PATCH", &format!("products/{id}"), &choice.request()).await {
                    Ok(product) => {
                        failure.set(None);
                        open.set(false);
                        answer.set(Some(product));
                    }
                    Err(error) => failure.set(Some(eighty_six_failure(&error))),
                }
                busy.set(false);
            });
        })
    };
    let pick = |choice: EightySix| {
        let choose = choose.clone();
        Callback::from(move |_: MouseEvent| choose.emit(choice))
    };
    let until_time = {
        let (choose, time, failure) = (choose.clone(), time.clone(), failure.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            match parse_clock(&time).and_then(next_local) {
                Some(at) => choose.emit(EightySix::Until(at)),
                None => failure.set(Some("Choose the time it comes back, e.g. 14:00.".into())),
            }
        })
    };
    let toggle = {
        let (open, failure) = (open.clone(), failure.clone());
        Callback::from(move |_: MouseEvent| {
            failure.set(None);
            open.set(!*open);
        })
    };
    let edit = {
        let on_open = props.on_open.clone();
        Callback::from(move |_: MouseEvent| on_open.emit(FormTarget::Edit(id)))
    };
    let on_key = {
        let open = open.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Escape" && *open {
                open.set(false);
            }
        })
    };
    let price = ordera_ui::money(product.price, props.currency.as_deref());
    let stock = match (product.stock, product.low_stock_threshold) {
        (None, _) => "Stock not counted".to_owned(),
        (Some(n), Some(low)) => format!("{n} left · warns at {low}"),
        (Some(n), None) => format!("{n} left"),
    };
    let allergens = match product.allergens.len() {
        0 => "No allergens declared".to_owned(),
        _ => product.allergens.iter().map(|a| a.label()).collect::<Vec<_>>().join(", "),
    };
    let reached = (*answer).as_ref().map(|answer| answer == product);
    let off = !product.available;
    html! {
        <li id={format!("product-{id}")} class={classes!("product-row", off.then_some("off"))} onkeydown={on_key}>
            <div class="thumb">
                if let Some(image) = &product.image {
                    <Picture image={image.id} thumb=true key={image.id.to_string()} />
                } else {
                    <span class="no-picture">{ "No picture" }</span>
                }
            </div>
            <div class="product-main">
                <div class="product-title">
                    <strong class="product-name">{ &product.name }</strong>
                    <span class="price" id={format!("price-{id}")}>{ price }</span>
                    <span class="standing" id={format!("standing-{id}")}>
                        { for badges(product, when).into_iter().map(|(text, class)| html! {
                            <span class={classes!("badge", class)}>{ text }</span>
                        }) }
                    </span>
                </div>
                if !product.description.is_empty() { <p class="description">{ &product.description }</p> }
                <p class="product-meta">
                    { format!("Station: {} · {stock} · {allergens}", product.station) }
                </p>
                if let Some(reached) = reached {
                    <p class="reach" id={format!("reach-{id}")} role="status">
                        { if reached { "✓ Every kiosk and kitchen screen has this now." } else { "Reaching the kiosks…" } }
                    </p>
                }
                if *open {
                    <div class="eighty-six" id={format!("eighty-six-panel-{id}")} role="group" aria-label={format!("Sell {} out", product.name)}>
                        <button class="btn btn-secondary" id={format!("eighty-six-end-{id}")} disabled={*busy}
                            onclick={pick(EightySix::EndOfBusinessDay)}>
                            { "Sold out until the end of the business day" }
                        </button>
                        <form class="until-time" onsubmit={until_time}>
                            <label for={format!("eighty-six-time-{id}")}>{ "Sold out until" }</label>
                            <input type="time" id={format!("eighty-six-time-{id}")} value={(*time).clone()} required=true
                                oninput={{ let time = time.clone(); Callback::from(move |e: InputEvent| time.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value())) }} />
                            <button class="btn btn-secondary" type="submit" id={format!("eighty-six-until-{id}")}
                                disabled={*busy || parse_clock(&time).is_none()}>{ "Set" }</button>
                        </form>
                        <button class="btn btn-secondary" id={format!("eighty-six-off-{id}")} disabled={*busy}
                            onclick={pick(EightySix::UntilSwitchedOn)}>
                            { "Sold out until I switch it back on" }
                        </button>
                    </div>
                }
                if let Some(sentence) = (*failure).clone() {
                    <p class="error" role="alert" id={format!("eighty-six-error-{id}")}>{ sentence }</p>
                }
            </div>
            <div class="product-actions">
                if off {
                    <button class="btn btn-primary" id={format!("available-again-{id}")} disabled={*busy}
                        onclick={pick(EightySix::BackOn)}>{ "Available again" }</button>
                }
                <button class={classes!("btn", if *open { "btn-danger" } else { "btn-secondary" })}
                    id={format!("eighty-six-{id}")} onclick={toggle} aria-expanded={open.to_string()}
                    aria-label={format!("86 {}: sell it out", product.name)}>
                    { if off { "Change 86" } else { "86" } }
                </button>
                <button class="btn btn-secondary" id={format!("edit-{id}")} onclick={edit}>{ "Edit" }</button>
            </div>
        </li>
    }
}

/// Why an 86 did not go through, as one sentence: the time it was given, or the server's reason.
fn eighty_six_failure(failure: &ApiFailure) -> String {
    match failure.field("unavailable_until") {
        Some(problem) => failure_sentence(&ApiFailure { message: problem, ..failure.clone() }),
        None => failure_sentence(failure),
    }
}
