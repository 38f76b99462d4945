//! The kiosk's screens and their state: pair → attract → menu (product sheet, cart) → review →
//! confirmation, back to attract after an idle timeout. One `Reducible` store; the shell's events keep it
//! current.

use std::rc::Rc;

use ordera_protocol::api::Product;
use ordera_protocol::device::{ConnectionState, IpcError, Menu, OutboxEntry, SyncStatus};
use ordera_protocol::orders::{short_reference, Order, OrderLineRequest};
use ordera_protocol::{Money, OrderType};
use ordera_ui::ipc::NoArgs;
use ordera_ui::{act, call, listen, money, Badge, Button, ButtonKind, ConnectionPill, Dialog, PairScreen};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yew::prelude::*;

/// The shortest idle reset honoured: enough for the "still there?" question to be read and answered.
const MIN_IDLE_SECONDS: u32 = 6;

/// What the shell tells the UI on start.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StartInfo {
    pub paired: bool,
    pub server_url: String,
    pub idle_seconds: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CartLine {
    pub product: Product,
    pub quantity: i64,
    pub note: String,
}

// One `Screen` lives in the store at a time, so the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Loading,
    Pair,
    Attract,
    Menu,
    Review,
    /// The order is saved on the device; `order` arrives when the server has numbered it.
    Confirmation {
        entry: OutboxEntry,
        order: Option<Order>,
        refused: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub screen: Screen,
    pub start: Option<StartInfo>,
    pub menu: Option<Menu>,
    pub status: Option<SyncStatus>,
    pub category: Option<Uuid>,
    pub sheet: Option<Product>,
    pub cart: Vec<CartLine>,
    pub order_type: OrderType,
    pub large_text: bool,
    pub high_contrast: bool,
    pub still_there: Option<u32>,
    pub error: Option<String>,
    /// Why the cart changed by itself (a dish sold out meanwhile), until the customer acts again.
    pub notice: Option<String>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            screen: Screen::Loading,
            start: None,
            menu: None,
            status: None,
            category: None,
            sheet: None,
            cart: Vec::new(),
            order_type: OrderType::DineIn,
            large_text: false,
            high_contrast: false,
            still_there: None,
            error: None,
            notice: None,
        }
    }
}

pub enum Action {
    Started(StartInfo),
    Menu(Menu),
    Status(SyncStatus),
    Paired,
    Error(String),
    Begin,
    Category(Uuid),
    Open(Product),
    CloseSheet,
    Add { product: Product, quantity: i64, note: String },
    Quantity(usize, i64),
    Remove(usize),
    OrderType(OrderType),
    Review,
    BackToMenu,
    Saved(OutboxEntry),
    OrderKnown(Order),
    Refused(Uuid, String),
    IdleTick(Option<u32>),
    Reset,
    ToggleLargeText,
    ToggleContrast,
}

impl State {
    pub fn currency(&self) -> Option<String> {
        self.menu.as_ref().and_then(|m| m.tenant.as_ref()).map(|t| t.currency.clone())
    }

    pub fn total(&self) -> Money {
        Money(self.cart.iter().map(|line| line.product.price.0 * line.quantity).sum())
    }

    fn visible_categories(&self) -> Vec<ordera_protocol::api::Category> {
        self.menu.as_ref().map(|m| m.categories.iter().filter(|c| c.visible).cloned().collect()).unwrap_or_default()
    }

    /// A product as the menu has it now: prices and availability change live.
    fn current(&self, id: Uuid) -> Option<&Product> {
        self.menu.as_ref()?.products.iter().find(|p| p.id == id)
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Started(start) => {
                next.screen = if start.paired { Screen::Attract } else { Screen::Pair };
                next.start = Some(start);
            }
            Action::Menu(menu) => {
                // Keep the cart in step with the menu: new prices, and sold-out items taken out, saying so.
                let mut gone = Vec::new();
                next.cart.retain_mut(|line| match menu.products.iter().find(|p| p.id == line.product.id) {
                    Some(product) if product.orderable() => {
                        line.product = product.clone();
                        true
                    }
                    _ => {
                        gone.push(line.product.name.clone());
                        false
                    }
                });
                if !gone.is_empty() {
                    next.notice = Some(format!(
                        "Sorry — {} just sold out and {} taken out of your order.",
                        gone.join(", "),
                        if gone.len() == 1 { "was" } else { "were" }
                    ));
                    if next.cart.is_empty() && next.screen == Screen::Review {
                        next.screen = Screen::Menu;
                    }
                }
                next.menu = Some(menu);
                if next.category.is_none() {
                    next.category = next.visible_categories().first().map(|c| c.id);
                }
            }
            Action::Status(status) => {
                if status.connection == ConnectionState::Unpaired && next.screen != Screen::Loading {
                    next.screen = Screen::Pair;
                }
                next.status = Some(status);
            }
            Action::Paired => {
                next.screen = Screen::Attract;
                next.error = None;
            }
            Action::Error(message) => next.error = Some(message),
            Action::Begin => {
                next.screen = Screen::Menu;
                next.still_there = None;
                next.error = None;
            }
            Action::Category(id) => next.category = Some(id),
            Action::Open(product) => next.sheet = Some(product),
            Action::CloseSheet => next.sheet = None,
            Action::Add { product, quantity, note } => {
                next.notice = None;
                match next.cart.iter_mut().find(|l| l.product.id == product.id && l.note == note) {
                    Some(line) => line.quantity = (line.quantity + quantity).min(ordera_protocol::orders::MAX_QUANTITY),
                    None => next.cart.push(CartLine { product, quantity, note }),
                }
                next.sheet = None;
            }
            Action::Quantity(index, quantity) => {
                if let Some(line) = next.cart.get_mut(index) {
                    line.quantity = quantity.clamp(1, ordera_protocol::orders::MAX_QUANTITY);
                }
            }
            Action::Remove(index) => {
                if index < next.cart.len() {
                    next.cart.remove(index);
                }
            }
            Action::OrderType(order_type) => next.order_type = order_type,
            Action::Review => {
                if !next.cart.is_empty() {
                    next.screen = Screen::Review;
                }
            }
            Action::BackToMenu => next.screen = Screen::Menu,
            Action::Saved(entry) => {
                next.error = None;
                next.cart.clear();
                next.screen = Screen::Confirmation { entry, order: None, refused: None };
            }
            Action::OrderKnown(order) => {
                if let Screen::Confirmation { entry, order: known, .. } = &mut next.screen {
                    if entry.command_id == order.id {
                        *known = Some(order);
                    }
                }
            }
            Action::Refused(id, reason) => {
                if let Screen::Confirmation { entry, refused, .. } = &mut next.screen {
                    if entry.command_id == id {
                        *refused = Some(reason);
                    }
                }
            }
            Action::IdleTick(left) => next.still_there = left,
            Action::Reset => {
                next.notice = None;
                next.cart.clear();
                next.sheet = None;
                next.still_there = None;
                next.order_type = OrderType::DineIn;
                next.category = next.visible_categories().first().map(|c| c.id);
                if matches!(next.screen, Screen::Menu | Screen::Review | Screen::Confirmation { .. }) {
                    next.screen = Screen::Attract;
                }
            }
            Action::ToggleLargeText => next.large_text = !next.large_text,
            Action::ToggleContrast => next.high_contrast = !next.high_contrast,
        }
        Rc::new(next)
    }
}

/// Command arguments go by name; Tauri expects those names in camelCase.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlaceArgs {
    order_type: OrderType,
    lines: Vec<OrderLineRequest>,
}

#[derive(Serialize)]
struct OrderArgs {
    id: Uuid,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Rejection {
    CommandRejected { command_id: Uuid, reason: String },
}

async fn refresh(dispatch: UseReducerDispatcher<State>) {
    if let Ok(menu) = call::<_, Menu>("menu", &NoArgs {}).await {
        dispatch.dispatch(Action::Menu(menu));
    }
    if let Ok(status) = call::<_, SyncStatus>("status", &NoArgs {}).await {
        dispatch.dispatch(Action::Status(status));
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);

    // Start: ask the shell where we are, then follow its events.
    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            let start_dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match call::<_, StartInfo>("kiosk_start", &NoArgs {}).await {
                    Ok(start) => start_dispatch.dispatch(Action::Started(start)),
                    Err(error) => {
                        start_dispatch.dispatch(Action::Started(StartInfo {
                            paired: false,
                            server_url: String::new(),
                            idle_seconds: 90,
                        }));
                        start_dispatch.dispatch(Action::Error(error.message));
                    }
                }
                refresh(start_dispatch).await;
            });
            let on_catalog = dispatch.clone();
            listen("catalog-changed", move |_: serde::de::IgnoredAny| {
                let dispatch = on_catalog.clone();
                wasm_bindgen_futures::spawn_local(refresh(dispatch));
            });
            let on_status = dispatch.clone();
            listen("connection-changed", move |event: ordera_protocol::device::EngineEvent| {
                if let ordera_protocol::device::EngineEvent::ConnectionChanged { status } = event {
                    on_status.dispatch(Action::Status(status));
                }
            });
            let on_refused = dispatch.clone();
            listen("command-rejected", move |event: Rejection| {
                let Rejection::CommandRejected { command_id, reason } = event;
                on_refused.dispatch(Action::Refused(command_id, reason));
            });
            || ()
        });
    }

    // Theme classes follow the accessibility toggles.
    {
        let (large, contrast) = (state.large_text, state.high_contrast);
        use_effect_with((large, contrast), move |_| {
            ordera_ui::theme::apply(large, contrast);
            || ()
        });
    }

    // On the confirmation screen, look for the server's ticket number until it is known.
    {
        let dispatch = state.dispatcher();
        let waiting = match &state.screen {
            Screen::Confirmation { entry, order: None, refused: None } => Some(entry.command_id),
            _ => None,
        };
        use_effect_with(waiting, move |waiting| {
            let cancelled = Rc::new(std::cell::Cell::new(false));
            if let Some(id) = *waiting {
                let cancelled = cancelled.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    while !cancelled.get() {
                        if let Ok(Some(order)) = call::<_, Option<Order>>("order", &OrderArgs { id }).await {
                            dispatch.dispatch(Action::OrderKnown(order));
                            break;
                        }
                        gloo_timers::future::TimeoutFuture::new(250).await;
                    }
                });
            }
            move || cancelled.set(true)
        });
    }

    // Idle reset: any touch or key restarts the clock; the last seconds (a third of the wait, at most 15)
    // ask "still there?".
    let last_touch = use_mut_ref(|| 0u32);
    {
        let dispatch = state.dispatcher();
        let idle = state.start.as_ref().map(|s| s.idle_seconds).unwrap_or(90).max(MIN_IDLE_SECONDS);
        let warn = (idle / 3).clamp(3, 15);
        let active = matches!(state.screen, Screen::Menu | Screen::Review | Screen::Confirmation { .. });
        let last_touch = last_touch.clone();
        use_effect_with(active, move |active| {
            let running = Rc::new(std::cell::Cell::new(*active));
            *last_touch.borrow_mut() = 0;
            if *active {
                let running = running.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    while running.get() {
                        gloo_timers::future::TimeoutFuture::new(1000).await;
                        if !running.get() {
                            break;
                        }
                        let idle_for = {
                            let mut seconds = last_touch.borrow_mut();
                            *seconds += 1;
                            *seconds
                        };
                        if idle_for >= idle {
                            dispatch.dispatch(Action::Reset);
                            break;
                        }
                        let left = idle - idle_for;
                        dispatch.dispatch(Action::IdleTick((left <= warn).then_some(left)));
                    }
                });
            }
            move || running.set(false)
        });
    }
    let touched = {
        let last_touch = last_touch.clone();
        let dispatch = state.dispatcher();
        let warning = state.still_there.is_some();
        Callback::from(move |_: ()| {
            *last_touch.borrow_mut() = 0;
            if warning {
                dispatch.dispatch(Action::IdleTick(None));
            }
        })
    };

    let onpointerdown = touched.reform(|_: PointerEvent| ());
    let onkeydown = touched.reform(|_: KeyboardEvent| ());
    html! {
        <div class="kiosk" {onpointerdown} {onkeydown}>
            <TopBar state={state.clone()} />
            { screen(&state) }
            { still_there(&state, touched) }
        </div>
    }
}

fn screen(state: &UseReducerHandle<State>) -> Html {
    match &state.screen {
        Screen::Loading => html! { <div class="center"><p>{ "Starting…" }</p></div> },
        Screen::Pair => pair_screen(state),
        Screen::Attract => attract(state),
        Screen::Menu => menu(state),
        Screen::Review => review(state),
        Screen::Confirmation { entry, order, refused } => {
            confirmation(state, entry, order.as_ref(), refused.as_deref())
        }
    }
}

#[derive(Properties, PartialEq)]
struct StateProps {
    state: UseReducerHandle<State>,
}

#[function_component(TopBar)]
fn top_bar(props: &StateProps) -> Html {
    let state = &props.state;
    let name =
        state.menu.as_ref().and_then(|m| m.tenant.as_ref()).map(|t| t.name.clone()).unwrap_or_else(|| "Ordera".into());
    let large = act(state, |_| Action::ToggleLargeText);
    let contrast = act(state, |_| Action::ToggleContrast);
    html! {
        <header class="topbar">
            <h1 id="restaurant-name">{ name }</h1>
            <div class="tools">
                <Button id="large-text" kind={ButtonKind::Secondary} onclick={large}
                    label={AttrValue::from("Large text")}>{ if state.large_text { "A−" } else { "A+" } }</Button>
                <Button id="high-contrast" kind={ButtonKind::Secondary} onclick={contrast}
                    label={AttrValue::from("High contrast")}>{ "◐" }</Button>
                <ConnectionPill status={state.status.clone()} />
            </div>
        </header>
    }
}

fn attract(state: &UseReducerHandle<State>) -> Html {
    let begin = act(state, |_: MouseEvent| Action::Begin);
    let begin_key = act(state, |_: KeyboardEvent| Action::Begin);
    let name = state.menu.as_ref().and_then(|m| m.tenant.as_ref()).map(|t| t.name.clone()).unwrap_or_default();
    html! {
        <main class="attract" id="attract" onclick={begin} onkeydown={begin_key} tabindex="0" role="button"
            aria-label="Touch to start your order">
            <h2>{ format!("Welcome to {name}") }</h2>
            <p>{ "Touch to start your order" }</p>
        </main>
    }
}

fn image_url(id: Uuid, thumb: bool) -> String {
    // Served by the shell from the engine's on-disk cache, so photos show offline too.
    format!("ordera-image://localhost/{id}{}", if thumb { "?thumb" } else { "" })
}

fn menu(state: &UseReducerHandle<State>) -> Html {
    let Some(menu) = &state.menu else {
        return html! { <div class="center"><p>{ "Loading the menu…" }</p></div> };
    };
    let currency = state.currency();
    let categories = state.visible_categories();
    if categories.is_empty() {
        return html! { <div class="center"><p id="empty-menu">{ "The menu is being prepared. Please ask a member of staff." }</p></div> };
    }
    let rail: Html = categories
        .iter()
        .map(|category| {
            let id = category.id;
            let pressed = state.category == Some(id);
            let onclick = act(state, move |_| Action::Category(id));
            html! {
                <Button kind={ButtonKind::Secondary} {onclick} class={classes!("category", pressed.then_some("selected"))}>
                    { category.name.clone() }
                </Button>
            }
        })
        .collect();
    let products: Html = menu
        .products
        .iter()
        .filter(|p| Some(p.category_id) == state.category)
        .map(|product| {
            let orderable = product.orderable();
            let open = {
                let product = product.clone();
                act(state, move |_: MouseEvent| Action::Open(product.clone()))
            };
            let onclick = if orderable { open.clone() } else { Callback::noop() };
            // Enter or Space opens it, as on a button: the whole menu works from a keyboard.
            let onkeydown = {
                let open = open.clone();
                Callback::from(move |event: KeyboardEvent| {
                    if orderable && (event.key() == "Enter" || event.key() == " ") {
                        event.prevent_default();
                        open.emit(MouseEvent::new("click").expect("a click event"));
                    }
                })
            };
            let allergens: Html =
                product.allergens.iter().map(|a| html! { <Badge text={a.label()} /> }).collect();
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
                            { if orderable { html! {} } else { html! { <Badge text="Sold out" class={classes!("badge-bad")} /> } } }
                        </span>
                    </div>
                </div>
            }
        })
        .collect();
    html! {
        <div class="body">
            <nav class="rail" aria-label="Categories">{ rail }</nav>
            <main class="grid" id="products">{ products }</main>
            { cart(state) }
            { state.sheet.as_ref().map(|product| html! { <ProductSheet state={state.clone()} product={product.clone()} /> }).unwrap_or_default() }
        </div>
    }
}

fn cart(state: &UseReducerHandle<State>) -> Html {
    let currency = state.currency();
    let lines: Html = state
        .cart
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let quantity = line.quantity;
            let less = act(state, move |_| {
                if quantity > 1 {
                    Action::Quantity(index, quantity - 1)
                } else {
                    Action::Remove(index)
                }
            });
            let more = act(state, move |_| Action::Quantity(index, quantity + 1));
            html! {
                <li class="line">
                    <span>{ format!("{}× {}", line.quantity, line.product.name) }
                        { if line.note.is_empty() { html! {} } else { html! { <><br/><small>{ line.note.clone() }</small></> } } }
                    </span>
                    <span>{ money(Money(line.product.price.0 * line.quantity), currency.as_deref()) }</span>
                    <span class="qty">
                        <Button kind={ButtonKind::Secondary} onclick={less} label={AttrValue::from("One less")}>{ "−" }</Button>
                        <Button kind={ButtonKind::Secondary} onclick={more} label={AttrValue::from("One more")}>{ "+" }</Button>
                    </span>
                </li>
            }
        })
        .collect();
    let review = act(state, |_| Action::Review);
    html! {
        <aside class="cart" aria-label="Your order">
            <h2>{ "Your order" }</h2>
            { state.notice.as_ref().map(|n| html! { <p class="notice" id="cart-notice" role="alert">{ n.clone() }</p> }).unwrap_or_default() }
            if state.cart.is_empty() { <p>{ "Nothing yet — tap a dish to add it." }</p> }
            <ul id="cart">{ lines }</ul>
            <div class="total"><span>{ "Total" }</span><span id="cart-total">{ money(state.total(), currency.as_deref()) }</span></div>
            <Button id="review" onclick={review} disabled={state.cart.is_empty()}>{ "Review order" }</Button>
        </aside>
    }
}

#[derive(Properties, PartialEq)]
struct SheetProps {
    state: UseReducerHandle<State>,
    product: Product,
}

#[function_component(ProductSheet)]
fn product_sheet(props: &SheetProps) -> Html {
    let quantity = use_state(|| 1i64);
    let note = use_state(String::new);
    let state = &props.state;
    let product = state.current(props.product.id).cloned().unwrap_or_else(|| props.product.clone());
    let currency = state.currency();
    let close = act(state, |_| Action::CloseSheet);
    let less = {
        let quantity = quantity.clone();
        Callback::from(move |_| quantity.set((*quantity - 1).max(1)))
    };
    let more = {
        let quantity = quantity.clone();
        Callback::from(move |_| quantity.set((*quantity + 1).min(ordera_protocol::orders::MAX_QUANTITY)))
    };
    let oninput = {
        let note = note.clone();
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            note.set(input.value());
        })
    };
    let add = {
        let (product, quantity, note) = (product.clone(), *quantity, (*note).clone());
        act(state, move |_| Action::Add { product: product.clone(), quantity, note: note.trim().to_owned() })
    };
    let allergens: Html = product.allergens.iter().map(|a| html! { <Badge text={a.label()} /> }).collect();
    html! {
        <Dialog title={AttrValue::from(product.name.clone())} on_close={close.clone()}>
            <div class="sheet" id="product-sheet">
                { product.image.as_ref().map(|image| html! { <img src={image_url(image.id, false)} alt="" /> }).unwrap_or_default() }
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

fn review(state: &UseReducerHandle<State>) -> Html {
    let currency = state.currency();
    let back = act(state, |_| Action::BackToMenu);
    let dine_in = act(state, |_| Action::OrderType(OrderType::DineIn));
    let takeaway = act(state, |_| Action::OrderType(OrderType::Takeaway));
    let place = {
        let dispatch = state.dispatcher();
        let lines: Vec<OrderLineRequest> = state
            .cart
            .iter()
            .map(|line| OrderLineRequest {
                product_id: line.product.id,
                quantity: line.quantity,
                note: (!line.note.is_empty()).then(|| line.note.clone()),
            })
            .collect();
        let order_type = state.order_type;
        Callback::from(move |_| {
            let (dispatch, lines) = (dispatch.clone(), lines.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match call::<_, OutboxEntry>("place_order", &PlaceArgs { order_type, lines }).await {
                    Ok(entry) => dispatch.dispatch(Action::Saved(entry)),
                    Err(IpcError { message, .. }) => dispatch.dispatch(Action::Error(message)),
                }
            });
        })
    };
    let items: Html = state
        .cart
        .iter()
        .map(|line| {
            let note = if line.note.is_empty() { String::new() } else { format!(" ({})", line.note) };
            let price = money(Money(line.product.price.0 * line.quantity), currency.as_deref());
            html! { <li>{ format!("{}× {}{note} — {price}", line.quantity, line.product.name) }</li> }
        })
        .collect();
    html! {
        <main class="center" id="review-screen">
            <h2>{ "Check your order" }</h2>
            <ul>{ items }</ul>
            <p class="total" id="review-total">{ format!("Total {}", money(state.total(), currency.as_deref())) }</p>
            <div class="types" role="group" aria-label="Eat in or take away">
                <Button id="dine-in" kind={ButtonKind::Secondary} onclick={dine_in}
                    class={classes!((state.order_type == OrderType::DineIn).then_some("selected"))}>{ "Eat in" }</Button>
                <Button id="takeaway" kind={ButtonKind::Secondary} onclick={takeaway}
                    class={classes!((state.order_type == OrderType::Takeaway).then_some("selected"))}>{ "Take away" }</Button>
            </div>
            { state.notice.as_ref().map(|n| html! { <p class="notice" role="alert">{ n.clone() }</p> }).unwrap_or_default() }
            { state.error.as_ref().map(|e| html! { <p class="error">{ e.clone() }</p> }).unwrap_or_default() }
            <Button id="place-order" onclick={place}>{ "Place order" }</Button>
            <Button kind={ButtonKind::Secondary} onclick={back}>{ "Back to the menu" }</Button>
        </main>
    }
}

fn confirmation(
    state: &UseReducerHandle<State>,
    entry: &OutboxEntry,
    order: Option<&Order>,
    refused: Option<&str>,
) -> Html {
    let done = act(state, |_| Action::Reset);
    let offline = state.status.as_ref().is_none_or(|s| s.connection != ConnectionState::Online);
    let body = match (order, refused) {
        (_, Some(reason)) => html! {
            <>
                <h2>{ "Sorry — we could not take this order" }</h2>
                <p class="error" id="refused">{ reason.to_owned() }</p>
                <p>
                    { "Please ask a member of staff and give them your reference " }
                    <strong>{ format!("#{}", short_reference(entry.command_id)) }</strong>
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
                <p>{ "Your reference is " }<strong id="local-reference">{ format!("#{}", short_reference(entry.command_id)) }</strong></p>
                <p>{ "Show it at the counter if you are asked." }</p>
            </>
        },
        (None, None) => html! { <h2 id="sending">{ "Sending your order to the kitchen…" }</h2> },
    };
    html! {
        <main class="center" id="confirmation">
            { body }
            <Button id="done" onclick={done}>{ "Done" }</Button>
        </main>
    }
}

fn still_there(state: &UseReducerHandle<State>, touched: Callback<()>) -> Html {
    let Some(left) = state.still_there else { return html! {} };
    html! {
        <Dialog title="Still there?" on_close={touched.clone()}>
            <div class="center" id="still-there">
                <h2>{ "Are you still there?" }</h2>
                <p>{ format!("Your order will be cleared in {left} seconds.") }</p>
                <Button onclick={touched}>{ "I'm still here" }</Button>
            </div>
        </Dialog>
    }
}

fn pair_screen(state: &UseReducerHandle<State>) -> Html {
    let dispatch = state.dispatcher();
    let on_paired = Callback::from(move |_| {
        dispatch.dispatch(Action::Paired);
        wasm_bindgen_futures::spawn_local(refresh(dispatch.clone()));
    });
    let server_url = state.start.as_ref().map(|s| s.server_url.clone()).unwrap_or_default();
    html! {
        <PairScreen title="Set up this kiosk"
            hint="Enter the server address and a pairing code from the admin app (Devices → New kiosk)."
            server_url={server_url} error={state.error.clone().map(AttrValue::from)}
            {on_paired} on_error={act(state, Action::Error)} />
    }
}
