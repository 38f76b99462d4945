//! The menu editor (owners and managers): the categories in menu order beside the chosen category's
//! products, each with its 86 button, and the product form with its picture. What it lists is the app's
//! synced cache (`state.menu`, read again on every `catalog-changed`), so a change made anywhere shows
//! here live, and a change made here shows once it has come back through the restaurant's log, which is
//! how the kiosks and kitchen screens get it too: the notice says when it has. Changes go to the server
//! through the shell's `api` and `upload_image` commands and need the connection.

mod categories;
mod form;
mod products;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use ordera_protocol::api::Product;
use uuid::Uuid;
use yew::prelude::*;

use super::{clock, not_in_step, ScreenProps};
use crate::state::menu::{arrived, categories, decimals, products_in, stations};
use categories::Categories;
use form::{FormTarget, ProductForm};
use products::Products;

/// What the last save changed, until the synced cache shows it.
#[derive(Clone, PartialEq)]
struct Saved {
    product: Product,
    /// "saved", "deleted"…
    what: &'static str,
}

#[function_component(MenuEditor)]
pub fn menu_editor(ScreenProps { state }: &ScreenProps) -> Html {
    let selected = use_state(|| None::<Uuid>);
    let form = use_state(|| None::<FormTarget>);
    let saved = use_state(|| None::<Saved>);
    let offline = state.offline();
    let banner = offline.then(|| {
        html! {
            <p class="banner-offline" role="status" id="menu-offline">
                { "Offline: this is the menu as last synced. Changes need the connection." }
            </p>
        }
    });
    let Some(menu) = state.menu.as_ref() else {
        return html! {
            <section class="page" id="menu"><p class="empty" id="menu-loading">{ "Loading the menu…" }</p></section>
        };
    };
    if menu.categories.is_empty() && state.never_synced() {
        return html! { <section class="page" id="menu">{ for banner }{ not_in_step(state, "menu-unknown") }</section> };
    }
    let currency = state.currency();
    let places = decimals(currency.as_deref());
    let ordered: Vec<_> = categories(menu).into_iter().cloned().collect();
    let chosen = (*selected).filter(|id| ordered.iter().any(|c| c.id == *id)).or(ordered.first().map(|c| c.id));
    let counts: Vec<usize> = ordered.iter().map(|c| products_in(menu, c.id).len()).collect();
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |id: Uuid| selected.set(Some(id)))
    };
    let open_form = {
        let (form, saved) = (form.clone(), saved.clone());
        Callback::from(move |target: FormTarget| {
            saved.set(None);
            form.set(Some(target));
            // `autofocus` is not honoured in a dialog drawn after the page loaded.
            focus_later("product-name".to_owned());
        })
    };
    let on_close = {
        let form = form.clone();
        Callback::from(move |()| form.set(None))
    };
    let on_saved = {
        let (form, saved) = (form.clone(), saved.clone());
        Callback::from(move |(product, what): (Product, &'static str)| {
            form.set(None);
            saved.set(Some(Saved { product, what }));
        })
    };
    let on_created = {
        let form = form.clone();
        Callback::from(move |id: Uuid| form.set(Some(FormTarget::Edit(id))))
    };
    let notice = (*saved).as_ref().map(|saved| {
        let name = &saved.product.name;
        let text = if saved.what == "deleted" {
            let gone = !menu.products.iter().any(|p| p.id == saved.product.id);
            if gone {
                format!("“{name}” deleted: it has left every kiosk.")
            } else {
                format!("“{name}” deleted; reaching the kiosks…")
            }
        } else if arrived(menu, &saved.product) {
            format!("“{name}” {}: every kiosk and kitchen screen has it now.", saved.what)
        } else {
            format!("“{name}” {}; reaching the kiosks…", saved.what)
        };
        html! { <p class="notice" role="status" id="menu-notice">{ text }</p> }
    });
    let products = match chosen.and_then(|id| ordered.iter().find(|c| c.id == id)) {
        Some(category) => html! {
            <Products category={category.clone()}
                products={products_in(menu, category.id).into_iter().cloned().collect::<Vec<_>>()}
                currency={currency.clone()} on_open={open_form.clone()} />
        },
        None => html! {
            <div class="empty" id="products-none">
                <strong>{ "No categories yet" }</strong>
                { "Name the first category (say, Burgers), then add its dishes here." }
            </div>
        },
    };
    let form = (*form).map(|target| {
        html! {
            <ProductForm {target} categories={ordered.clone()} products={menu.products.clone()}
                stations={stations(menu)} currency={currency.clone()} {places}
                on_close={on_close.clone()} on_saved={on_saved.clone()} on_created={on_created.clone()} />
        }
    });
    html! {
        <section class="page menu-page" id="menu">
            <h2>{ "Menu" }</h2>
            <p class="hint">{ "What the kiosks show, in this order. Every change reaches the kiosks and kitchen screens at once." }</p>
            { for banner }
            { for notice }
            <div class="menu-columns">
                <Categories categories={ordered.clone()} {counts} selected={chosen} {on_select} />
                { products }
            </div>
            { for form }
        </section>
    }
}

/// The local time now, as the computer's clock shows it.
fn local_now() -> NaiveDateTime {
    let now = js_sys::Date::new_0();
    NaiveDate::from_ymd_opt(now.get_full_year() as i32, now.get_month() + 1, now.get_date())
        .and_then(|date| date.and_hms_opt(now.get_hours(), now.get_minutes(), now.get_seconds()))
        .unwrap_or_default()
}

/// The instant the computer's clock shows `local` (the browser knows its time zone and its daylight saving).
fn instant(local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let date = js_sys::Date::new_with_year_month_day_hr_min_sec(
        local.year() as u32,
        local.month0() as i32,
        local.day() as i32,
        local.hour() as i32,
        local.minute() as i32,
        0,
    );
    DateTime::from_timestamp_millis(date.get_time() as i64)
}

/// The next time the computer's clock shows `at`.
fn next_local(at: NaiveTime) -> Option<DateTime<Utc>> {
    instant(crate::state::menu::next_at(local_now(), at))
}

/// "14:00" today, "Tue 02:00" another day.
fn when(at: &DateTime<Utc>) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.timestamp_millis() as f64));
    let today = js_sys::Date::new_0();
    let same_day = (date.get_full_year(), date.get_month(), date.get_date())
        == (today.get_full_year(), today.get_month(), today.get_date());
    if same_day {
        clock(at)
    } else {
        let day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][date.get_day() as usize % 7];
        format!("{day} {}", clock(at))
    }
}

/// A product photo from the shell's image cache (kept on disk by the engine, so it shows offline too);
/// `attempt` makes each retry a new address, which the shell ignores and the webview loads afresh.
fn image_url(id: Uuid, thumb: bool, attempt: u32) -> String {
    match (thumb, attempt) {
        (true, 0) => format!("ordera-image://localhost/{id}?thumb"),
        (true, n) => format!("ordera-image://localhost/{id}?thumb&attempt={n}"),
        (false, 0) => format!("ordera-image://localhost/{id}"),
        (false, n) => format!("ordera-image://localhost/{id}?attempt={n}"),
    }
}

/// How often, and how many times, a photo that is not in the cache yet is looked for again.
const PICTURE_RETRY_MS: u32 = 500;
const PICTURE_ATTEMPTS: u32 = 20;

#[derive(Properties, PartialEq)]
struct PictureProps {
    image: Uuid,
    thumb: bool,
    #[prop_or_default]
    alt: AttrValue,
    #[prop_or_default]
    id: Option<AttrValue>,
    #[prop_or_default]
    class: Classes,
}

/// A product photo. The engine downloads a new photo after it has said the menu changed, so just after
/// an upload the list can ask for a file that is not on disk yet: a failed load is tried again for a few
/// seconds instead of staying a broken image.
#[function_component(Picture)]
fn picture(props: &PictureProps) -> Html {
    let attempt = use_state(|| 0u32);
    let onerror = {
        let attempt = attempt.clone();
        Callback::from(move |_: Event| {
            if *attempt < PICTURE_ATTEMPTS {
                let attempt = attempt.clone();
                gloo_timers::callback::Timeout::new(PICTURE_RETRY_MS, move || attempt.set(*attempt + 1)).forget();
            }
        })
    };
    html! {
        <img src={image_url(props.image, props.thumb, *attempt)} alt={props.alt.clone()} id={props.id.clone()}
            class={props.class.clone()} {onerror} />
    }
}

/// Focuses the element `id` once the page has been drawn (after a move, the moved row's handle).
fn focus_later(id: String) {
    gloo_timers::callback::Timeout::new(0, move || {
        use wasm_bindgen::JsCast;
        if let Some(element) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    })
    .forget();
}
