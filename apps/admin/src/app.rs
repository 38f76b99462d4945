//! The admin app's screens: pair → the restaurant's board, with two tabs: "Needs attention" (orders a
//! device saved that the server refused for good, for staff to settle) and "Today's orders" (live). One
//! `Reducible` store; the shell's events keep it current, so the board follows the restaurant without a
//! reload and shows what it last knew while offline.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use std::rc::Rc;

use ordera_protocol::device::{ConnectionState, EngineEvent, IpcError, Menu, SyncStatus};
use ordera_protocol::orders::{short_reference, Order, RefusedOrder};
use ordera_protocol::{OrderStatus, OrderType};
use ordera_ui::ipc::NoArgs;
use ordera_ui::{act, call, listen, money, Badge, Button, Card, ConnectionPill, PairScreen, Toast};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yew::prelude::*;

/// What the shell tells the UI on start.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StartInfo {
    pub paired: bool,
    pub server_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Loading,
    Pair,
    Board,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Attention,
    Orders,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub screen: Screen,
    pub tab: Tab,
    pub start: Option<StartInfo>,
    pub menu: Option<Menu>,
    pub status: Option<SyncStatus>,
    pub refusals: Vec<RefusedOrder>,
    pub orders: Vec<Order>,
    /// Refusals being settled right now: their buttons wait.
    pub settling: BTreeSet<Uuid>,
    /// The pairing screen's error.
    pub error: Option<String>,
    /// A passing message ("Could not reach the server…").
    pub toast: Option<String>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            screen: Screen::Loading,
            tab: Tab::Attention,
            start: None,
            menu: None,
            status: None,
            refusals: Vec::new(),
            orders: Vec::new(),
            settling: BTreeSet::new(),
            error: None,
            toast: None,
        }
    }
}

pub enum Action {
    Started(StartInfo),
    Paired,
    Error(String),
    Menu(Menu),
    Status(SyncStatus),
    Refusals(Vec<RefusedOrder>),
    Orders(Vec<Order>),
    Tab(Tab),
    Settling(Uuid),
    Settled(RefusedOrder),
    SettleFailed(Uuid, String),
    DismissToast,
}

impl State {
    fn currency(&self) -> Option<String> {
        self.menu.as_ref().and_then(|m| m.tenant.as_ref()).map(|t| t.currency.clone())
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Started(start) => {
                next.screen = if start.paired { Screen::Board } else { Screen::Pair };
                next.start = Some(start);
            }
            Action::Paired => {
                next.screen = Screen::Board;
                next.error = None;
            }
            Action::Error(message) => next.error = Some(message),
            Action::Menu(menu) => next.menu = Some(menu),
            Action::Status(status) => {
                if status.connection == ConnectionState::Unpaired && next.screen == Screen::Board {
                    next.screen = Screen::Pair;
                }
                next.status = Some(status);
            }
            Action::Refusals(refusals) => next.refusals = refusals,
            Action::Orders(orders) => next.orders = orders,
            Action::Tab(tab) => next.tab = tab,
            Action::Settling(id) => {
                next.settling.insert(id);
                next.toast = None;
            }
            Action::Settled(refusal) => {
                next.settling.remove(&refusal.id);
                next.refusals.retain(|r| r.id != refusal.id);
                next.toast = Some("Marked as handled.".into());
            }
            Action::SettleFailed(id, message) => {
                next.settling.remove(&id);
                next.toast = Some(message);
            }
            Action::DismissToast => next.toast = None,
        }
        Rc::new(next)
    }
}

#[derive(Serialize)]
struct IdArgs {
    id: Uuid,
}

async fn refresh_menu(dispatch: UseReducerDispatcher<State>) {
    if let Ok(menu) = call::<_, Menu>("menu", &NoArgs {}).await {
        dispatch.dispatch(Action::Menu(menu));
    }
}

async fn refresh_refusals(dispatch: UseReducerDispatcher<State>) {
    if let Ok(refusals) = call::<_, Vec<RefusedOrder>>("refusals", &NoArgs {}).await {
        dispatch.dispatch(Action::Refusals(refusals));
    }
}

async fn refresh_orders(dispatch: UseReducerDispatcher<State>) {
    if let Ok(orders) = call::<_, Vec<Order>>("orders", &NoArgs {}).await {
        dispatch.dispatch(Action::Orders(orders));
    }
}

async fn refresh(dispatch: UseReducerDispatcher<State>) {
    refresh_menu(dispatch.clone()).await;
    refresh_refusals(dispatch.clone()).await;
    refresh_orders(dispatch.clone()).await;
    if let Ok(status) = call::<_, SyncStatus>("status", &NoArgs {}).await {
        dispatch.dispatch(Action::Status(status));
    }
}

/// Follows one shell event with a refresh.
fn on_event<F: std::future::Future<Output = ()> + 'static>(
    name: &'static str,
    dispatch: &UseReducerDispatcher<State>,
    refresh: fn(UseReducerDispatcher<State>) -> F,
) {
    let dispatch = dispatch.clone();
    listen(name, move |_: serde::de::IgnoredAny| {
        wasm_bindgen_futures::spawn_local(refresh(dispatch.clone()));
    });
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
                match call::<_, StartInfo>("admin_start", &NoArgs {}).await {
                    Ok(start) => start_dispatch.dispatch(Action::Started(start)),
                    Err(error) => {
                        start_dispatch
                            .dispatch(Action::Started(StartInfo { paired: false, server_url: String::new() }));
                        start_dispatch.dispatch(Action::Error(error.message));
                    }
                }
                refresh(start_dispatch).await;
            });
            on_event("catalog-changed", &dispatch, refresh_menu);
            on_event("refusals-changed", &dispatch, refresh_refusals);
            on_event("orders-changed", &dispatch, refresh_orders);
            let on_status = dispatch.clone();
            listen("connection-changed", move |event: EngineEvent| {
                if let EngineEvent::ConnectionChanged { status } = event {
                    on_status.dispatch(Action::Status(status));
                }
            });
            || ()
        });
    }

    html! {
        <div class="admin">
            <TopBar state={state.clone()} />
            {
                match state.screen {
                    Screen::Loading => html! { <div class="center"><p>{ "Starting…" }</p></div> },
                    Screen::Pair => pair_screen(&state),
                    Screen::Board => board(&state),
                }
            }
            if let Some(message) = state.toast.clone() {
                <Toast {message} on_dismiss={act(&state, |_| Action::DismissToast)} />
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StateProps {
    state: UseReducerHandle<State>,
}

#[function_component(TopBar)]
fn top_bar(props: &StateProps) -> Html {
    let state = &props.state;
    let name = state
        .menu
        .as_ref()
        .and_then(|m| m.tenant.as_ref())
        .map(|t| t.name.clone())
        .unwrap_or_else(|| "Ordera Admin".into());
    html! {
        <header class="topbar">
            <h1 id="restaurant-name">{ name }</h1>
            <ConnectionPill status={state.status.clone()} />
        </header>
    }
}

fn board(state: &UseReducerHandle<State>) -> Html {
    let tab = |tab: Tab, id: &'static str, label: Html| {
        let dispatch = state.dispatcher();
        let selected = state.tab == tab;
        let onclick = Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Tab(tab)));
        html! {
            <button {id} role="tab" aria-selected={selected.to_string()}
                class={classes!("btn", "btn-secondary", selected.then_some("selected"))} {onclick}>
                { label }
            </button>
        }
    };
    let waiting = state.refusals.len();
    let attention_label = html! {
        <>
            { "Needs attention" }
            if waiting > 0 {
                <span class="count" id="attention-count">{ waiting }</span>
            }
        </>
    };
    html! {
        <>
            <nav class="tabs" role="tablist">
                { tab(Tab::Attention, "tab-attention", attention_label) }
                { tab(Tab::Orders, "tab-orders", html! { "Today's orders" }) }
            </nav>
            {
                match state.tab {
                    Tab::Attention => attention(state),
                    Tab::Orders => orders(state),
                }
            }
        </>
    }
}

/// "14:32", in the device's local time (the browser knows the tablet's time zone).
fn clock(at: &DateTime<Utc>) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.timestamp_millis() as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

fn order_type(order_type: OrderType) -> &'static str {
    match order_type {
        OrderType::DineIn => "Eat in",
        OrderType::Takeaway => "Takeaway",
    }
}

fn attention(state: &UseReducerHandle<State>) -> Html {
    let offline = state.status.as_ref().is_some_and(|s| s.connection != ConnectionState::Online);
    html! {
        <main class="page" id="attention">
            <h2>{ "Orders the kitchen could not take" }</h2>
            <p class="hint">
                { "A kiosk saved these while it was offline; when it got back, the server refused them. \
                   The customer may be waiting: serve them something else or refund them, then mark the order as handled." }
            </p>
            {
                if state.refusals.is_empty() && never_synced(state) {
                    not_in_step(state, "attention-unknown")
                } else if state.refusals.is_empty() {
                    html! {
                        <div class="empty" id="attention-empty">
                            <strong>{ "Nothing needs your attention" }</strong>
                            { "Orders the server refuses (a dish sold out meanwhile) appear here at once." }
                        </div>
                    }
                } else {
                    html! {
                        <ul class="refusals">
                            { for state.refusals.iter().map(|refusal| refusal_card(state, refusal, offline)) }
                        </ul>
                    }
                }
            }
        </main>
    }
}

fn refusal_card(state: &UseReducerHandle<State>, refusal: &RefusedOrder, offline: bool) -> Html {
    let id = refusal.id;
    let busy = state.settling.contains(&id);
    let settle = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| {
            let dispatch = dispatch.clone();
            dispatch.dispatch(Action::Settling(id));
            wasm_bindgen_futures::spawn_local(async move {
                match call::<_, RefusedOrder>("resolve_refusal", &IdArgs { id }).await {
                    Ok(settled) => dispatch.dispatch(Action::Settled(settled)),
                    Err(IpcError { code, message }) => {
                        let message = if code == "offline" {
                            "Could not reach the server. The order stays here; try again when the app is online."
                                .to_owned()
                        } else {
                            format!("Could not mark it as handled: {message}")
                        };
                        dispatch.dispatch(Action::SettleFailed(id, message));
                    }
                }
            });
        })
    };
    let device = refusal.device_name.clone().unwrap_or_else(|| "A device".into());
    html! {
        <li key={id.to_string()} id={format!("refusal-{id}")} data-order={id.to_string()}>
            <Card class={classes!("refusal")}>
                <div class="meta">
                    { format!("Refused at {} · {} · {} · customer's reference #{}", clock(&refusal.refused_at), device,
                        order_type(refusal.order_type), short_reference(id)) }
                </div>
                <div class="reason">{ capitalise(&refusal.reason) }</div>
                <ul class="items">
                    {
                        for refusal.items.iter().map(|item| {
                            let name = item.name.clone().unwrap_or_else(|| "An item no longer on the menu".into());
                            let note = if item.note.is_empty() { String::new() } else { format!(" — {}", item.note) };
                            html! { <li>{ format!("{}× {name}{note}", item.quantity) }</li> }
                        })
                    }
                </ul>
                if !refusal.note.is_empty() {
                    <div class="meta">{ format!("Note: {}", refusal.note) }</div>
                }
                <div class="actions">
                    <Button class={classes!("settle")} onclick={settle} disabled={busy}>
                        { if busy { "Saving…" } else if offline { "Mark as handled (needs connection)" } else { "Mark as handled" } }
                    </Button>
                </div>
            </Card>
        </li>
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn status_badge(status: OrderStatus) -> Html {
    let (text, class) = match status {
        OrderStatus::Placed => ("New", "badge-warn"),
        OrderStatus::Preparing => ("Preparing", ""),
        OrderStatus::Ready => ("Ready", ""),
        OrderStatus::Completed => ("Completed", ""),
        OrderStatus::Cancelled => ("Cancelled", "badge-bad"),
    };
    html! { <Badge text={text} class={classes!(class)} /> }
}

/// An empty list means "nothing" only once the app has caught up with the server at least once; before
/// that it would be a comforting guess.
fn never_synced(state: &UseReducerHandle<State>) -> bool {
    state.status.as_ref().is_none_or(|s| s.last_sync.is_none())
}

/// What an empty list says before the first sync: not "nothing", but that the app does not know yet, and why.
fn not_in_step(state: &UseReducerHandle<State>, id: &'static str) -> Html {
    let problem = state.status.as_ref().and_then(|s| s.last_error.clone());
    html! {
        <div class="empty" id={id}>
            <strong>{ "Not in step with the server yet" }</strong>
            {
                match problem {
                    Some(error) => format!("The last attempt failed ({error}); the app keeps trying."),
                    None => "The list appears as soon as the app reaches the server.".to_owned(),
                }
            }
        </div>
    }
}

fn orders(state: &UseReducerHandle<State>) -> Html {
    let currency = state.currency();
    let mut orders: Vec<&Order> = state.orders.iter().collect();
    orders.sort_by_key(|order| std::cmp::Reverse(order.placed_at));
    html! {
        <main class="page" id="orders">
            <h2>{ "Today's orders" }</h2>
            <p class="hint">{ "Newest first, live: orders still in the kitchen and everything from today." }</p>
            {
                if orders.is_empty() && never_synced(state) {
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
                            <tbody>
                                {
                                    for orders.iter().map(|order| {
                                        let items: Vec<String> = order.items.iter().map(|i| format!("{}× {}", i.quantity, i.name)).collect();
                                        html! {
                                            <tr key={order.id.to_string()} id={format!("order-{}", order.id)} data-number={order.number.to_string()}>
                                                <td class="num">{ order.number }</td>
                                                <td>{ clock(&order.placed_at) }</td>
                                                <td>{ order_type(order.order_type) }</td>
                                                <td>{ items.join(", ") }</td>
                                                <td>{ money(order.total, currency.as_deref()) }</td>
                                                <td>{ status_badge(order.status) }</td>
                                            </tr>
                                        }
                                    })
                                }
                            </tbody>
                        </table>
                    }
                }
            }
        </main>
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
        <PairScreen title="Set up this admin device"
            hint="Enter the server address and a pairing code for an admin device; a manager can make one for you."
            server_url={server_url} error={state.error.clone().map(AttrValue::from)}
            {on_paired} on_error={act(state, Action::Error)} />
    }
}
