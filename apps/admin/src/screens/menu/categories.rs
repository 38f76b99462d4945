//! The categories column: the menu's categories in order, each to choose, rename, move (buttons, the
//! arrow keys on its handle, or dragging), hide or show, and delete when it is empty (asked once; the
//! server's refusal shown as a sentence); a new one is named at the bottom.

use ordera_protocol::api::{Category, CreateCategoryRequest, ReorderCategoriesRequest, UpdateCategoryRequest};
use ordera_ui::api::{self, ApiFailure};
use uuid::Uuid;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::focus_later;
use crate::state::capitalise;
use crate::state::menu::{category_name_problem, failure_sentence, key_move, moved, moved_to, Move};

#[derive(Properties, PartialEq)]
pub struct CategoriesProps {
    /// In menu order, hidden ones too.
    pub categories: Vec<Category>,
    /// How many products each holds, in the same order.
    pub counts: Vec<usize>,
    pub selected: Option<Uuid>,
    pub on_select: Callback<Uuid>,
}

/// A change to the order sent and not yet back from the sync: shown meanwhile, so a second press moves
/// from where the first left the category.
#[derive(Clone, PartialEq)]
struct Pending {
    order: Vec<Uuid>,
    answered: bool,
}

fn text_of(event: &InputEvent) -> String {
    event.target_unchecked_into::<web_sys::HtmlInputElement>().value()
}

#[function_component(Categories)]
pub fn categories(props: &CategoriesProps) -> Html {
    let new_name = use_state(String::new);
    let create_failure = use_state(|| None::<ApiFailure>);
    let renaming = use_state(|| None::<Uuid>);
    let armed = use_state(|| None::<Uuid>);
    let failure = use_state(|| None::<String>);
    let pending = use_state(|| None::<Pending>);
    let dragging = use_state(|| None::<Uuid>);
    let synced: Vec<Uuid> = props.categories.iter().map(|c| c.id).collect();
    {
        // The synced order has caught up with the move (or, once the server has answered, moved on).
        let pending = pending.clone();
        use_effect_with(synced.clone(), move |synced| {
            if let Some(waiting) = (*pending).as_ref() {
                if waiting.order == *synced || waiting.answered {
                    pending.set(None);
                }
            }
        });
    }
    let shown: Vec<Uuid> = match (*pending).as_ref() {
        Some(waiting) if is_permutation(&waiting.order, &synced) => waiting.order.clone(),
        _ => synced.clone(),
    };
    let reorder = {
        let (pending, failure) = (pending.clone(), failure.clone());
        Callback::from(move |order: Vec<Uuid>| {
            pending.set(Some(Pending { order: order.clone(), answered: false }));
            failure.set(None);
            let (pending, failure) = (pending.clone(), failure.clone());
            spawn_local(async move {
                let request = ReorderCategoriesRequest { ids: order.clone() };
                match api::send::<_, Vec<Category>>("POST", "categories/reorder", &request).await {
                    Ok(_) => pending.set(Some(Pending { order, answered: true })),
                    Err(error) => {
                        pending.set(None);
                        failure.set(Some(failure_sentence(&error)));
                    }
                }
            });
        })
    };
    // Moves the category `id` one step and keeps the keyboard on its handle as the row moves.
    let mover = |id: Uuid| {
        let (reorder, shown) = (reorder.clone(), shown.clone());
        move |step: Move| {
            if let Some(order) = moved(&shown, id, step) {
                reorder.emit(order);
                focus_later(format!("move-{id}"));
            }
        }
    };
    let create = {
        let (new_name, create_failure, on_select) = (new_name.clone(), create_failure.clone(), props.on_select.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let name = (*new_name).trim().to_owned();
            if category_name_problem(&name).is_some() {
                return;
            }
            let (new_name, create_failure, on_select) = (new_name.clone(), create_failure.clone(), on_select.clone());
            spawn_local(async move {
                let request = CreateCategoryRequest { name, position: None, visible: None };
                match api::send::<_, Category>("POST", "categories", &request).await {
                    Ok(category) => {
                        new_name.set(String::new());
                        create_failure.set(None);
                        on_select.emit(category.id);
                    }
                    Err(error) => create_failure.set(Some(error)),
                }
            });
        })
    };
    let patch = {
        let failure = failure.clone();
        move |id: Uuid, request: UpdateCategoryRequest| {
            let failure = failure.clone();
            spawn_local(async move {
                match api::send::<_, Category>("PATCH", &format!("categories/{id}"), &request).await {
                    Ok(_) => failure.set(None),
                    Err(error) => failure.set(Some(failure_sentence(&error))),
                }
            });
        }
    };
    let delete = |id: Uuid| {
        let (armed, failure) = (armed.clone(), failure.clone());
        Callback::from(move |_: MouseEvent| {
            if *armed != Some(id) {
                armed.set(Some(id));
                return;
            }
            let (armed, failure) = (armed.clone(), failure.clone());
            spawn_local(async move {
                match api::call::<()>("DELETE", &format!("categories/{id}"), None).await {
                    Ok(()) => failure.set(None),
                    Err(error) => failure.set(Some(failure_sentence(&error))),
                }
                armed.set(None);
            });
        })
    };
    let rows = shown.iter().enumerate().filter_map(|(index, id)| {
        let position = props.categories.iter().position(|c| c.id == *id)?;
        let category = &props.categories[position];
        let count = props.counts.get(position).copied().unwrap_or_default();
        let id = category.id;
        let selected = props.selected == Some(id);
        let select = props.on_select.reform(move |_: MouseEvent| id);
        let on_key = {
            let go = mover(id);
            Callback::from(move |event: KeyboardEvent| {
                if let Some(step) = key_move(&event.key()) {
                    event.prevent_default();
                    go(step);
                }
            })
        };
        let up = {
            let go = mover(id);
            Callback::from(move |_: MouseEvent| go(Move::Up))
        };
        let down = {
            let go = mover(id);
            Callback::from(move |_: MouseEvent| go(Move::Down))
        };
        let toggle = {
            let (patch, visible) = (patch.clone(), category.visible);
            Callback::from(move |_: MouseEvent| {
                patch(id, UpdateCategoryRequest { visible: Some(!visible), ..Default::default() })
            })
        };
        let start_rename = {
            let renaming = renaming.clone();
            Callback::from(move |_: MouseEvent| {
                renaming.set(Some(id));
                focus_later(format!("rename-{id}"));
            })
        };
        let end_rename = {
            let renaming = renaming.clone();
            Callback::from(move |()| renaming.set(None))
        };
        let drag_start = {
            let dragging = dragging.clone();
            Callback::from(move |event: DragEvent| {
                if let Some(transfer) = event.data_transfer() {
                    // WebKit starts a drag only when something is set on it.
                    let _ = transfer.set_data("text/plain", &id.to_string());
                }
                dragging.set(Some(id));
            })
        };
        let drag_over = Callback::from(|event: DragEvent| event.prevent_default());
        let on_drop = {
            let (dragging, reorder, shown) = (dragging.clone(), reorder.clone(), shown.clone());
            Callback::from(move |event: DragEvent| {
                event.prevent_default();
                if let Some(moving) = *dragging {
                    if let Some(order) = moved_to(&shown, moving, index) {
                        reorder.emit(order);
                    }
                }
                dragging.set(None);
            })
        };
        let drag_end = {
            let dragging = dragging.clone();
            Callback::from(move |_: DragEvent| dragging.set(None))
        };
        let confirming = *armed == Some(id);
        let last = index + 1 == shown.len();
        Some(html! {
            <li key={id.to_string()} id={format!("category-{id}")}
                class={classes!("category", selected.then_some("selected"), (!category.visible).then_some("hidden"),
                    (*dragging == Some(id)).then_some("dragging"))}
                draggable={(*renaming != Some(id)).to_string()} ondragstart={drag_start} ondragover={drag_over} ondrop={on_drop} ondragend={drag_end}>
                <button class="move-handle" id={format!("move-{id}")} onkeydown={on_key}
                    aria-label={format!("Move {}: arrow keys up and down, Home and End", category.name)}
                    title="Drag, or focus and use ↑ ↓ Home End">{ "⠿" }</button>
                if *renaming == Some(id) {
                    <Rename {id} name={category.name.clone()} on_done={end_rename} />
                } else {
                    <button class="category-name" id={format!("choose-{id}")} onclick={select} aria-pressed={selected.to_string()}>
                        <span class="name">{ &category.name }</span>
                        <span class="meta">
                            { match count { 0 => "empty".to_owned(), 1 => "1 dish".to_owned(), n => format!("{n} dishes") } }
                            if !category.visible { { " · hidden from kiosks" } }
                        </span>
                    </button>
                }
                <div class="category-actions">
                    <button class="btn btn-secondary small" id={format!("up-{id}")} onclick={up} disabled={index == 0}
                        aria-label={format!("Move {} up", category.name)}>{ "↑" }</button>
                    <button class="btn btn-secondary small" id={format!("down-{id}")} onclick={down} disabled={last}
                        aria-label={format!("Move {} down", category.name)}>{ "↓" }</button>
                    <button class="btn btn-secondary small" id={format!("rename-button-{id}")} onclick={start_rename}>{ "Rename" }</button>
                    <button class="btn btn-secondary small" id={format!("visibility-{id}")} onclick={toggle}
                        aria-pressed={(!category.visible).to_string()}>
                        { if category.visible { "Hide" } else { "Show" } }
                    </button>
                    <button class={classes!("btn", "small", if confirming { "btn-danger" } else { "btn-secondary" })}
                        id={format!("delete-category-{id}")} onclick={delete(id)} disabled={count > 0}
                        title={(count > 0).then_some("Move or delete its dishes first")}>
                        { if confirming { "Delete now" } else { "Delete" } }
                    </button>
                </div>
            </li>
        })
    });
    let typed_problem = (!new_name.trim().is_empty()).then(|| category_name_problem(&new_name)).flatten();
    let create_error = (*create_failure)
        .as_ref()
        .and_then(|f| f.field("name"))
        .map(|e| capitalise(&e))
        .or(typed_problem.map(|p| capitalise(&p)));
    let create_general = (*create_failure).as_ref().filter(|f| f.fields.is_empty()).map(failure_sentence);
    let on_new_name = {
        let (new_name, create_failure) = (new_name.clone(), create_failure.clone());
        Callback::from(move |event: InputEvent| {
            create_failure.set(None);
            new_name.set(text_of(&event));
        })
    };
    html! {
        <aside class="categories" aria-label="Categories">
            <h3>{ "Categories" }</h3>
            if props.categories.is_empty() {
                <p class="empty small" id="categories-empty">{ "No categories yet." }</p>
            } else {
                <ol class="category-list" id="category-list">{ for rows }</ol>
            }
            if let Some(sentence) = (*failure).clone() {
                <p class="error" role="alert" id="category-error">{ sentence }</p>
            }
            <form class="new-category" onsubmit={create}>
                <label class={classes!("field", create_error.is_some().then_some("invalid"))}>
                    <span>{ "New category" }</span>
                    <input id="new-category-name" placeholder="Burgers" value={(*new_name).clone()}
                        aria-invalid={create_error.is_some().to_string()}
                        oninput={on_new_name} />
                    if let Some(error) = create_error { <span class="field-error" id="new-category-name-error">{ error }</span> }
                </label>
                <button class="btn btn-primary" id="add-category" type="submit"
                    disabled={category_name_problem(&new_name).is_some()}>{ "Add category" }</button>
                if let Some(sentence) = create_general { <p class="error" role="alert" id="new-category-error">{ sentence }</p> }
            </form>
        </aside>
    }
}

#[derive(Properties, PartialEq)]
struct RenameProps {
    id: Uuid,
    /// The name as synced, to start from.
    name: String,
    /// Renamed, or given up (Escape, Cancel).
    on_done: Callback<()>,
}

/// A category's name being changed in place: Enter saves, Escape gives up.
#[function_component(Rename)]
fn rename(props: &RenameProps) -> Html {
    let id = props.id;
    let name = use_state(|| props.name.clone());
    let failure = use_state(|| None::<ApiFailure>);
    let save = {
        let (name, failure, on_done) = (name.clone(), failure.clone(), props.on_done.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if category_name_problem(&name).is_some() {
                return;
            }
            let request = UpdateCategoryRequest { name: Some(name.trim().to_owned()), ..Default::default() };
            let (failure, on_done) = (failure.clone(), on_done.clone());
            spawn_local(async move {
                match api::send::<_, Category>("PATCH", &format!("categories/{id}"), &request).await {
                    Ok(_) => on_done.emit(()),
                    Err(error) => failure.set(Some(error)),
                }
            });
        })
    };
    let on_input = {
        let (name, failure) = (name.clone(), failure.clone());
        Callback::from(move |event: InputEvent| {
            failure.set(None);
            name.set(text_of(&event));
        })
    };
    let on_key = {
        let on_done = props.on_done.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                on_done.emit(());
            }
        })
    };
    let cancel = props.on_done.reform(|_: MouseEvent| ());
    let problem = rename_problem(&name, &failure);
    html! {
        <form class="rename" onsubmit={save}>
            <label class={classes!("field", problem.is_some().then_some("invalid"))}>
                <span class="visually-hidden">{ "New name" }</span>
                <input id={format!("rename-{id}")} value={(*name).clone()} oninput={on_input} onkeydown={on_key}
                    aria-invalid={problem.is_some().to_string()} />
                if let Some(problem) = problem {
                    <span class="field-error" id={format!("rename-{id}-error")}>{ problem }</span>
                }
            </label>
            <button class="btn btn-primary" type="submit" id={format!("rename-save-{id}")}>{ "Save" }</button>
            <button class="btn btn-secondary" type="button" onclick={cancel}>{ "Cancel" }</button>
        </form>
    }
}

/// What is wrong with a new name: the server's word, or the form's own check as it is typed.
fn rename_problem(name: &str, failure: &Option<ApiFailure>) -> Option<String> {
    failure
        .as_ref()
        .map(|f| f.field("name").unwrap_or_else(|| failure_sentence(f)))
        .or_else(|| category_name_problem(name))
        .map(|problem| capitalise(&problem))
}

fn is_permutation(a: &[Uuid], b: &[Uuid]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort();
    b.sort();
    a == b
}
