//! The product form, in a dialog: every field of the API (name, description, price as money, category,
//! station, allergens as toggles, stock and its low-stock threshold) checked as it is typed, the server's
//! own word beside a field it refuses, and the picture: chosen through the system's file dialog, previewed
//! at once, uploaded with the save through the shell's `upload_image`. A new dish whose picture is refused
//! is kept: the form goes on editing it, so a second try does not make a second dish.

use std::collections::BTreeSet;

use ordera_protocol::api::{Category, Product};
use ordera_protocol::Allergen;
use ordera_ui::api;
use ordera_ui::Dialog;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use yew::prelude::*;

use super::Picture;
use crate::state::capitalise;
use crate::state::menu::{failure_sentence, image_problem, unchanged, upload_failure, Problems, ProductDraft};

/// What the form is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormTarget {
    /// A new dish in this category.
    New(Uuid),
    /// This dish.
    Edit(Uuid),
}

#[derive(Properties, PartialEq)]
pub struct FormProps {
    pub target: FormTarget,
    /// In menu order.
    pub categories: Vec<Category>,
    /// The synced menu's products (the one being edited is read from here, so it is the latest).
    pub products: Vec<Product>,
    pub stations: Vec<String>,
    pub currency: Option<String>,
    /// Digits after the point in the currency.
    pub places: u32,
    pub on_close: Callback<()>,
    /// Saved (or deleted): the server's answer and what happened to it.
    pub on_saved: Callback<(Product, &'static str)>,
    /// A new dish exists now (its picture still to come): edit it from here on.
    pub on_created: Callback<Uuid>,
}

/// A picture chosen and not yet uploaded.
#[derive(Clone, PartialEq)]
struct Chosen {
    bytes: Vec<u8>,
    content_type: String,
    /// An object URL for the preview; revoked when it is replaced or the form closes.
    preview: String,
}

/// The preview's object URL now shown, kept outside the render so that the last one is let go whatever
/// render the form closes in.
type Shown = std::rc::Rc<std::cell::RefCell<Option<String>>>;

/// Lets the shown preview's object URL go and remembers `next` as the shown one.
fn show_preview(shown: &Shown, next: Option<String>) {
    if let Some(old) = shown.replace(next) {
        let _ = web_sys::Url::revoke_object_url(&old);
    }
}

#[function_component(ProductForm)]
pub fn product_form(props: &FormProps) -> Html {
    // The server's answer when this form made the dish, until the synced menu has it.
    let created = use_state(|| None::<Product>);
    let saved: Option<Product> = match props.target {
        FormTarget::Edit(id) => {
            props.products.iter().find(|p| p.id == id).cloned().or_else(|| (*created).clone().filter(|p| p.id == id))
        }
        FormTarget::New(_) => None,
    };
    let draft = {
        let (saved, target, places) = (saved.clone(), props.target, props.places);
        use_state(move || match (&saved, target) {
            (Some(product), _) => ProductDraft::of(product, places),
            (None, FormTarget::New(category)) => ProductDraft::new_in(category),
            (None, FormTarget::Edit(_)) => ProductDraft::default(),
        })
    };
    let touched = use_state(BTreeSet::<String>::new);
    let tried = use_state(|| false);
    let server = use_state(Problems::new);
    let general = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let chosen = use_state(|| None::<Chosen>);
    let picture_problem = use_state(|| None::<String>);
    let armed = use_state(|| false);
    let shown: Shown = use_mut_ref(|| None);
    {
        // The preview's object URL goes with the form.
        let shown = shown.clone();
        use_effect_with((), move |_| move || show_preview(&shown, None))
    }
    let problems = draft.problems(props.places);
    let error_of = |field: &str| -> Option<String> {
        server
            .get(field)
            .cloned()
            .or_else(|| (*tried || touched.contains(field)).then(|| problems.get(field).cloned()).flatten())
            .map(|problem| capitalise(&problem))
    };
    let edit = |field: &'static str, apply: fn(&mut ProductDraft, String)| {
        let (draft, touched, server) = (draft.clone(), touched.clone(), server.clone());
        move |value: String| {
            let mut next = (*draft).clone();
            apply(&mut next, value);
            draft.set(next);
            let mut seen = (*touched).clone();
            seen.insert(field.to_owned());
            touched.set(seen);
            if server.contains_key(field) {
                let mut left = (*server).clone();
                left.remove(field);
                server.set(left);
            }
        }
    };
    let on_input = |field: &'static str, apply: fn(&mut ProductDraft, String)| {
        let edit = edit(field, apply);
        Callback::from(move |event: InputEvent| {
            let target = event.target().expect("an input's event has its target");
            let value = match target.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                Some(area) => area.value(),
                None => target.unchecked_into::<web_sys::HtmlInputElement>().value(),
            };
            edit(value)
        })
    };
    let on_category = {
        let edit = edit("category_id", |d, v| d.category_id = v.parse().ok());
        Callback::from(move |event: Event| edit(event.target_unchecked_into::<web_sys::HtmlSelectElement>().value()))
    };
    let on_file = {
        let (chosen, picture_problem, shown) = (chosen.clone(), picture_problem.clone(), shown.clone());
        Callback::from(move |event: Event| {
            let input = event.target_unchecked_into::<web_sys::HtmlInputElement>();
            let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
            let content_type = file.type_();
            if let Some(problem) = image_problem(&content_type, file.size() as u64) {
                picture_problem.set(Some(problem));
                return;
            }
            let (chosen, picture_problem, shown) = (chosen.clone(), picture_problem.clone(), shown.clone());
            spawn_local(async move {
                let read = JsFuture::from(file.array_buffer()).await;
                let preview = web_sys::Url::create_object_url_with_blob(&file);
                match (read, preview) {
                    (Ok(buffer), Ok(preview)) => {
                        show_preview(&shown, Some(preview.clone()));
                        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                        chosen.set(Some(Chosen { bytes, content_type, preview }));
                        picture_problem.set(None);
                    }
                    _ => picture_problem.set(Some("The file could not be read: choose it again.".into())),
                }
            });
        })
    };
    let save = {
        let (draft, tried, server, general, busy, chosen, picture_problem, created) = (
            draft.clone(),
            tried.clone(),
            server.clone(),
            general.clone(),
            busy.clone(),
            chosen.clone(),
            picture_problem.clone(),
            created.clone(),
        );
        let (target, saved, places) = (props.target, saved.clone(), props.places);
        let (on_saved, on_created) = (props.on_saved.clone(), props.on_created.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy {
                return;
            }
            tried.set(true);
            // Checked here as the server would: nothing is sent that it would refuse.
            let change = match (target, &saved) {
                (FormTarget::New(_), _) => draft.create_request(places).map(Change::Create),
                (FormTarget::Edit(_), Some(product)) => draft
                    .update_request(product, places)
                    .map(|request| Change::Update(Box::new(product.clone()), request)),
                (FormTarget::Edit(_), None) => {
                    general.set(Some("This dish is no longer on the menu.".into()));
                    return;
                }
            };
            let Ok(change) = change else {
                focus_first_error(&draft.problems(places));
                return;
            };
            busy.set(true);
            let (server, general, busy, chosen, picture_problem, created) = (
                server.clone(),
                general.clone(),
                busy.clone(),
                chosen.clone(),
                picture_problem.clone(),
                created.clone(),
            );
            let (on_saved, on_created) = (on_saved.clone(), on_created.clone());
            spawn_local(async move {
                let product = match change {
                    Change::Create(request) => api::send::<_, Product>("POST", "products", &request).await,
                    Change::Update(product, request) if unchanged(&request) => Ok(*product),
                    Change::Update(product, request) => {
                        api::send::<_, Product>("PATCH", &format!("products/{}", product.id), &request).await
                    }
                };
                let product = match product {
                    Ok(product) => product,
                    Err(error) => {
                        server.set(error.fields.clone());
                        general.set(error.fields.is_empty().then(|| failure_sentence(&error)));
                        focus_first_error(&error.fields);
                        busy.set(false);
                        return;
                    }
                };
                server.set(Problems::new());
                general.set(None);
                if matches!(target, FormTarget::New(_)) {
                    created.set(Some(product.clone()));
                    on_created.emit(product.id);
                }
                let Some(picture) = (*chosen).clone() else {
                    busy.set(false);
                    on_saved.emit((product, "saved"));
                    return;
                };
                match api::upload_image::<Product>(product.id, &picture.content_type, &picture.bytes).await {
                    Ok(product) => {
                        chosen.set(None);
                        busy.set(false);
                        on_saved.emit((product, "saved with its picture"));
                    }
                    Err(error) => {
                        picture_problem.set(Some(upload_failure(&error)));
                        busy.set(false);
                    }
                }
            });
        })
    };
    let delete = {
        let (armed, general, busy) = (armed.clone(), general.clone(), busy.clone());
        let (saved, on_saved) = (saved.clone(), props.on_saved.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(product) = saved.clone() else { return };
            if !*armed {
                armed.set(true);
                return;
            }
            busy.set(true);
            let (armed, general, busy, on_saved) = (armed.clone(), general.clone(), busy.clone(), on_saved.clone());
            spawn_local(async move {
                match api::call::<()>("DELETE", &format!("products/{}", product.id), None).await {
                    Ok(()) => on_saved.emit((product, "deleted")),
                    Err(error) => general.set(Some(failure_sentence(&error))),
                }
                armed.set(false);
                busy.set(false);
            });
        })
    };
    let close = props.on_close.clone();
    let cancel = props.on_close.reform(|_: MouseEvent| ());
    let field = |id: &'static str, name: &'static str, label: &'static str, hint: &str, input: Html| {
        let error = error_of(name);
        html! {
            <div class={classes!("field", error.is_some().then_some("invalid"))}>
                <label for={id}>{ label }</label>
                { input }
                if !hint.is_empty() { <span class="field-hint">{ hint.to_owned() }</span> }
                if let Some(error) = error { <span class="field-error" id={format!("{id}-error")}>{ error }</span> }
            </div>
        }
    };
    let invalid = |name: &str| error_of(name).is_some().to_string();
    let currency = props.currency.clone().unwrap_or_default();
    let example = crate::state::menu::format_price(ordera_protocol::Money(1095), props.places);
    let title = match (&saved, props.target) {
        (Some(product), _) => format!("Edit “{}”", product.name),
        (None, FormTarget::New(_)) => "New dish".to_owned(),
        (None, FormTarget::Edit(_)) => "Dish".to_owned(),
    };
    let preview = match ((*chosen).as_ref(), saved.as_ref().and_then(|p| p.image.as_ref())) {
        (Some(chosen), _) => {
            html! { <img class="preview" id="product-image-preview" src={chosen.preview.clone()} alt="The chosen picture" /> }
        }
        (None, Some(image)) => {
            html! { <Picture image={image.id} thumb=false class="preview" id="product-image-current" alt="The dish's picture" /> }
        }
        (None, None) => html! { <span class="preview no-picture">{ "No picture yet" }</span> },
    };
    let allergens = Allergen::ALL.iter().map(|allergen| {
        let on = draft.allergens.contains(allergen);
        let onclick = {
            let (draft, allergen) = (draft.clone(), *allergen);
            Callback::from(move |_: MouseEvent| {
                let mut next = (*draft).clone();
                next.toggle(allergen);
                draft.set(next);
            })
        };
        html! {
            <button type="button" id={format!("allergen-{}", allergen.as_str())} aria-pressed={on.to_string()}
                class={classes!("toggle", on.then_some("on"))} {onclick}>
                { allergen.label() }
            </button>
        }
    });
    let label = match props.target {
        FormTarget::New(_) if (*chosen).is_some() => "Add the dish with its picture",
        FormTarget::New(_) => "Add the dish",
        FormTarget::Edit(_) => "Save changes",
    };
    html! {
        <Dialog title={title.clone()} on_close={close}>
            <form class="form product-form" id="product-form" onsubmit={save} novalidate=true>
                <h2>{ title }</h2>
                { field("product-name", "name", "Name", "", html! {
                    <input id="product-name" value={draft.name.clone()} oninput={on_input("name", |d, v| d.name = v)}
                        aria-invalid={invalid("name")} autofocus=true placeholder="Classic Smash Burger" />
                }) }
                <div class="form-row">
                    { field("product-price", "price", "Price", &format!("In {currency}, e.g. {example}"), html! {
                        <input id="product-price" inputmode="decimal" value={draft.price.clone()}
                            oninput={on_input("price", |d, v| d.price = v)} aria-invalid={invalid("price")} placeholder={example.clone()} />
                    }) }
                    { field("product-category", "category_id", "Category", "", html! {
                        <select id="product-category" onchange={on_category} aria-invalid={invalid("category_id")}>
                            { for props.categories.iter().map(|c| html! {
                                <option value={c.id.to_string()} selected={draft.category_id == Some(c.id)}>{ &c.name }</option>
                            }) }
                        </select>
                    }) }
                    { field("product-station", "station", "Kitchen station", "Which kitchen screens get it", html! {
                        <>
                            <input id="product-station" list="known-stations" value={draft.station.clone()}
                                oninput={on_input("station", |d, v| d.station = v)} aria-invalid={invalid("station")} />
                            <datalist id="known-stations">
                                { for props.stations.iter().map(|s| html! { <option value={s.clone()} /> }) }
                            </datalist>
                        </>
                    }) }
                </div>
                { field("product-description", "description", "Description", "Shown on the kiosk's dish sheet", html! {
                    <textarea id="product-description" rows="3" value={draft.description.clone()}
                        oninput={on_input("description", |d, v| d.description = v)} aria-invalid={invalid("description")} />
                }) }
                <div class="form-row">
                    { field("product-stock", "stock", "Portions in stock", "Blank: not counted", html! {
                        <input id="product-stock" inputmode="numeric" value={draft.stock.clone()}
                            oninput={on_input("stock", |d, v| d.stock = v)} aria-invalid={invalid("stock")} />
                    }) }
                    { field("product-low-stock", "low_stock_threshold", "Warn when down to", "Blank: no warning", html! {
                        <input id="product-low-stock" inputmode="numeric" value={draft.low_stock_threshold.clone()}
                            oninput={on_input("low_stock_threshold", |d, v| d.low_stock_threshold = v)}
                            aria-invalid={invalid("low_stock_threshold")} />
                    }) }
                </div>
                <fieldset class={classes!("allergens", error_of("allergens").is_some().then_some("invalid"))}>
                    <legend>{ "Allergens it contains" }</legend>
                    <div class="toggles">{ for allergens }</div>
                    if let Some(error) = error_of("allergens") { <span class="field-error" id="product-allergens-error">{ error }</span> }
                </fieldset>
                <div class={classes!("field", "picture", (*picture_problem).is_some().then_some("invalid"))}>
                    <label for="product-image">{ "Picture" }</label>
                    <div class="picture-row">
                        { preview }
                        <div class="picture-choose">
                            <input type="file" id="product-image" accept="image/png,image/jpeg,image/webp" onchange={on_file} />
                            <span class="field-hint">{ "PNG, JPEG or WebP. It is resized for the kiosks and uploaded when you save." }</span>
                        </div>
                    </div>
                    if let Some(problem) = (*picture_problem).clone() {
                        <span class="field-error" id="product-image-error" role="alert">{ problem }</span>
                    }
                </div>
                if let Some(sentence) = (*general).clone() { <p class="error" role="alert" id="product-form-error">{ sentence }</p> }
                <div class="form-actions">
                    <button class="btn btn-primary" type="submit" id="product-save" disabled={*busy}>
                        { if *busy { "Saving…" } else { label } }
                    </button>
                    <button class="btn btn-secondary" type="button" id="product-cancel" onclick={cancel}>{ "Close" }</button>
                    if saved.is_some() {
                        <button class={classes!("btn", "btn-danger", "push-right")} type="button" id="product-delete"
                            onclick={delete} disabled={*busy}>
                            { if *armed { "Delete now: kiosks lose it at once" } else { "Delete dish" } }
                        </button>
                    }
                </div>
            </form>
        </Dialog>
    }
}

/// What a save sends.
enum Change {
    Create(ordera_protocol::api::CreateProductRequest),
    Update(Box<Product>, ordera_protocol::api::UpdateProductRequest),
}

/// Moves the keyboard to the first field in error, in the order the form lays them out.
fn focus_first_error(problems: &Problems) {
    let ids = [
        ("name", "product-name"),
        ("price", "product-price"),
        ("category_id", "product-category"),
        ("description", "product-description"),
        ("station", "product-station"),
        ("stock", "product-stock"),
        ("low_stock_threshold", "product-low-stock"),
        ("allergens", "allergen-celery"),
    ];
    if let Some((_, id)) = ids.iter().find(|(field, _)| problems.contains_key(*field)) {
        super::focus_later((*id).to_owned());
    }
}
