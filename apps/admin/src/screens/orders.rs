//! Orders. **Today**: newest first and live from the app's synced cache (also offline): those still in the
//! kitchen and everything from today. **History** (managers): any range of business days from the server,
//! filtered by status and type, searched by ticket number or item, a page at a time. Either list opens an
//! order: its lines, its timeline (who moved it on which screen, and when) and, while the kitchen may still
//! stop, cancelling it with a reason (asked once).

use chrono::NaiveDate;
use ordera_protocol::ipc::{ExportOrdersArgs, SavedExport};
use ordera_protocol::orders::{Order, OrderPage, OrderQuery, StatusAction, StatusChangeRequest};
use ordera_protocol::{OrderStatus, OrderType};
use ordera_ui::api::{self, ApiFailure};
use ordera_ui::{act, money, Badge};
use uuid::Uuid;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{clock, not_in_step, ScreenProps};
use crate::state::{
    capitalise, export_file_name, export_query, has_next_page, history_path, may_cancel, order_type_label, page_words,
    status_label, timeline, Action, State,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Today,
    History,
}

type Page = Option<Result<OrderPage, ApiFailure>>;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

fn load(query: OrderQuery, page: UseStateHandle<Page>) {
    spawn_local(async move {
        page.set(Some(api::get::<OrderPage>(&history_path(&query)).await));
    });
}

#[function_component(Orders)]
pub fn orders(ScreenProps { state }: &ScreenProps) -> Html {
    let mode = use_state(|| Mode::Today);
    let open = use_state(|| None::<Order>);
    let today = state.business_today(now());
    let query = use_state(|| OrderQuery { from: today, to: today, ..OrderQuery::default() });
    let page = use_state(|| None::<Result<OrderPage, ApiFailure>>);
    let search_box = use_search_box(&query);
    // History follows the restaurant too: read again whenever the synced orders change.
    {
        let (query, page) = (query.clone(), page.clone());
        let searching = *mode == Mode::History;
        use_effect_with((searching, (*query).clone(), state.orders.clone()), move |(searching, current, _)| {
            if *searching {
                load(current.clone(), page);
            }
        });
    }
    let history = state.can_manage();
    let switch = |to: Mode, id: &'static str, label: &'static str| {
        let mode = mode.clone();
        let chosen = *mode == to;
        html! {
            <button type="button" {id} aria-pressed={chosen.to_string()}
                class={classes!("btn", if chosen { "btn-primary" } else { "btn-secondary" })}
                onclick={Callback::from(move |_: MouseEvent| mode.set(to))}>{ label }</button>
        }
    };
    let on_open = {
        let open = open.clone();
        Callback::from(move |order: Order| open.set(Some(order)))
    };
    let body = match *mode {
        Mode::Today => today_list(state, on_open),
        Mode::History => history_list(state, &query, &page, search_box, on_open),
    };
    // The open order as the app knows it now: today's from the cache (live), a history row as read.
    let shown = (*open).as_ref().map(|order| state.orders.iter().find(|o| o.id == order.id).unwrap_or(order).clone());
    let on_close = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(None))
    };
    let on_changed = {
        let (open, query, page) = (open.clone(), query.clone(), page.clone());
        Callback::from(move |order: Order| {
            open.set(Some(order));
            load((*query).clone(), page.clone());
        })
    };
    html! {
        <main class="page orders-page" id="orders">
            <div class="orders-head">
                <h2>{ if *mode == Mode::Today { "Today's orders" } else { "Order history" } }</h2>
                if history {
                    <div class="kinds" role="group" aria-label="Which orders">
                        { switch(Mode::Today, "orders-today", "Today, live") }
                        { switch(Mode::History, "orders-history", "History") }
                    </div>
                }
            </div>
            <div class={classes!("orders-layout", shown.is_some().then_some("with-detail"))}>
                <div class="orders-list">{ body }</div>
                if let Some(order) = shown {
                    <OrderDetail {order} currency={state.currency()} on_close={on_close} on_changed={on_changed} />
                }
            </div>
        </main>
    }
}

fn today_list(state: &UseReducerHandle<State>, on_open: Callback<Order>) -> Html {
    let currency = state.currency();
    let orders = state.newest_orders(now());
    if orders.is_empty() && state.never_synced() {
        return not_in_step(state, "orders-unknown");
    }
    if let Some(behind) = state.behind {
        let show_all = act(state, |_: MouseEvent| Action::ShowOrders(None));
        let count = match orders.len() {
            1 => "1 order".to_owned(),
            n => format!("{n} orders"),
        };
        return html! {
            <>
                <div class="filter-chip" id="orders-behind" role="status">
                    <span>{ format!("From the dashboard: {count} {}", behind.words()) }</span>
                    <button type="button" class="btn btn-secondary" id="orders-show-all" onclick={show_all}>
                        { "Show all of today's orders" }
                    </button>
                </div>
                if orders.is_empty() {
                    <div class="empty" id="orders-empty"><strong>{ "None right now" }</strong></div>
                } else {
                    { table(orders.into_iter(), currency.as_deref(), false, &on_open) }
                }
            </>
        };
    }
    if orders.is_empty() {
        return html! {
            <div class="empty" id="orders-empty">
                <strong>{ "No orders yet today" }</strong>
                { "Orders from the kiosks appear here the moment they are placed." }
            </div>
        };
    }
    html! {
        <>
            <p class="hint">{ "Newest first, live: orders still in the kitchen and everything from today. Open one for its timeline." }</p>
            { table(orders.into_iter(), currency.as_deref(), false, &on_open) }
        </>
    }
}

fn table<'a>(
    orders: impl Iterator<Item = &'a Order>,
    currency: Option<&str>,
    dated: bool,
    on_open: &Callback<Order>,
) -> Html {
    html! {
        <table class="orders">
            <thead><tr>
                <th>{ "No." }</th>
                if dated { <th>{ "Day" }</th> }
                <th>{ "Time" }</th><th>{ "Type" }</th><th>{ "Items" }</th><th>{ "Total" }</th><th>{ "Status" }</th>
            </tr></thead>
            <tbody>{ for orders.map(|order| row(order, currency, dated, on_open)) }</tbody>
        </table>
    }
}

fn row(order: &Order, currency: Option<&str>, dated: bool, on_open: &Callback<Order>) -> Html {
    let items: Vec<String> = order.items.iter().map(|i| format!("{}× {}", i.quantity, i.name)).collect();
    let onclick = {
        let (on_open, order) = (on_open.clone(), order.clone());
        Callback::from(move |_: MouseEvent| on_open.emit(order.clone()))
    };
    let onkeydown = {
        let (on_open, order) = (on_open.clone(), order.clone());
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" || event.key() == " " {
                event.prevent_default();
                on_open.emit(order.clone());
            }
        })
    };
    html! {
        <tr key={order.id.to_string()} id={format!("order-{}", order.id)} data-number={order.number.to_string()}
            class="clickable" tabindex="0" {onclick} {onkeydown} title="Open this order">
            <td class="num">{ order.number }</td>
            if dated { <td>{ order.business_date.format("%a %-d %b").to_string() }</td> }
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

fn input_value(event: &Event) -> String {
    event.target_unchecked_into::<web_sys::HtmlInputElement>().value()
}

fn history_list(
    state: &UseReducerHandle<State>,
    query: &UseStateHandle<OrderQuery>,
    page: &UseStateHandle<Page>,
    search_box: SearchBox,
    on_open: Callback<Order>,
) -> Html {
    let currency = state.currency();
    let set = |change: fn(&mut OrderQuery, String)| {
        let query = query.clone();
        Callback::from(move |event: Event| {
            let mut next = (*query).clone();
            change(&mut next, input_value(&event));
            next.page = None;
            query.set(next);
        })
    };
    let on_from = set(|q, v| q.from = NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok());
    let on_to = set(|q, v| q.to = NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok());
    let on_status = set(|q, v| q.status = OrderStatus::ALL.iter().copied().find(|s| s.as_str() == v));
    let on_type = set(|q, v| q.order_type = OrderType::ALL.iter().copied().find(|t| t.as_str() == v));
    let go = |delta: i64| {
        let query = query.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*query).clone();
            next.page = Some((next.page.unwrap_or(1) + delta).max(1));
            query.set(next);
        })
    };
    let failure = match &**page {
        Some(Err(failure)) => Some(failure.clone()),
        _ => None,
    };
    let results = match &**page {
        None => html! { <p class="hint" id="history-loading">{ "Reading the orders…" }</p> },
        Some(Err(failure)) if failure.offline() => html! {
            <div class="empty" id="history-offline">
                <strong>{ "History needs the connection" }</strong>
                { "Today's orders are on this computer: switch to \u{201c}Today, live\u{201d} to see them offline." }
            </div>
        },
        Some(Err(_)) => html! {},
        Some(Ok(found)) if found.orders.is_empty() => html! {
            <div class="empty" id="history-empty"><strong>{ page_words(found) }</strong>
                { "Widen the days, or clear the status, type or search." }</div>
        },
        Some(Ok(found)) => html! {
            <>
                { table(found.orders.iter(), currency.as_deref(), true, &on_open) }
                <div class="pager">
                    <span id="history-count">{ page_words(found) }</span>
                    <button class="btn btn-secondary" id="history-previous" disabled={found.page <= 1} onclick={go(-1)}>
                        { "← Newer" }
                    </button>
                    <button class="btn btn-secondary" id="history-next" disabled={!has_next_page(found)} onclick={go(1)}>
                        { "Older →" }
                    </button>
                </div>
            </>
        },
    };
    let field_error = |field: &str| failure.as_ref().and_then(|f| f.field(field));
    let status_value = query.status.map(|s| s.as_str().to_owned()).unwrap_or_default();
    let type_value = query.order_type.map(|t| t.as_str().to_owned()).unwrap_or_default();
    html! {
        <>
            <form class="history-filters" id="history-filters" onsubmit={search_box.submit}>
                <label class="field"><span>{ "From" }</span>
                    <input type="date" id="history-from" value={query.from.map(|d| d.to_string()).unwrap_or_default()} onchange={on_from} />
                </label>
                <label class="field"><span>{ "To" }</span>
                    <input type="date" id="history-to" value={query.to.map(|d| d.to_string()).unwrap_or_default()} onchange={on_to} />
                </label>
                <label class="field"><span>{ "Status" }</span>
                    <select id="history-status" onchange={on_status}>
                        <option value="" selected={status_value.is_empty()}>{ "Any" }</option>
                        { for OrderStatus::ALL.iter().copied().map(|s| html! {
                            <option value={s.as_str()} selected={status_value == s.as_str()}>{ status_label(s).0 }</option>
                        }) }
                    </select>
                </label>
                <label class="field"><span>{ "Type" }</span>
                    <select id="history-type" onchange={on_type}>
                        <option value="" selected={type_value.is_empty()}>{ "Any" }</option>
                        { for OrderType::ALL.iter().copied().map(|t| html! {
                            <option value={t.as_str()} selected={type_value == t.as_str()}>{ order_type_label(t) }</option>
                        }) }
                    </select>
                </label>
                <label class="field search"><span>{ "Ticket number or item" }</span>
                    <input type="search" id="history-search" placeholder="e.g. 42 or burger" value={search_box.text.clone()}
                        oninput={search_box.input} />
                </label>
                <button type="submit" class="btn btn-primary" id="history-go">{ "Search" }</button>
                <ExportButton query={(**query).clone()} />
            </form>
            if let Some(failure) = failure.as_ref().filter(|f| !f.offline()) {
                <p class="field-error" role="alert" id="history-error">
                    { field_error("from").map(|e| format!("From: {e}")).unwrap_or_else(|| failure.sentence()) }
                </p>
            }
            { results }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct ExportProps {
    query: OrderQuery,
}

/// "Export CSV": the orders the filters select (every page), saved where the person picks in the system's
/// save dialog; says where the file went, or the server's refusal.
#[function_component(ExportButton)]
fn export_button(ExportProps { query }: &ExportProps) -> Html {
    let outcome = use_state(|| None::<Result<SavedExport, ApiFailure>>);
    let busy = use_state(|| false);
    let onclick = {
        let (outcome, busy) = (outcome.clone(), busy.clone());
        let args = ExportOrdersArgs { query: export_query(query), file_name: export_file_name(query) };
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            let (outcome, busy, args) = (outcome.clone(), busy.clone(), args.clone());
            spawn_local(async move {
                outcome.set(Some(api::export_orders(&args).await));
                busy.set(false);
            });
        })
    };
    let said = match (*outcome).as_ref() {
        None => html! {},
        Some(Ok(SavedExport { path: Some(path), .. })) => {
            html! { <p class="notice export-said" role="status" id="export-saved">{ format!("Saved to {path}") }</p> }
        }
        Some(Ok(SavedExport { path: None, .. })) => {
            html! { <p class="hint export-said" role="status" id="export-cancelled">{ "Not saved: the dialog was closed." }</p> }
        }
        Some(Err(error)) => {
            html! { <p class="error export-said" role="alert" id="export-error">{ capitalise(&error.sentence()) }</p> }
        }
    };
    html! {
        <>
            <button type="button" class="btn btn-secondary" id="export-csv" {onclick} disabled={*busy}>
                { if *busy { "Exporting…" } else { "Export CSV" } }
            </button>
            { said }
        </>
    }
}

/// The search box: typed freely, applied to the query when the form is sent (Enter or Search).
struct SearchBox {
    text: String,
    input: Callback<InputEvent>,
    submit: Callback<SubmitEvent>,
}

#[hook]
fn use_search_box(query: &UseStateHandle<OrderQuery>) -> SearchBox {
    let text = use_state(|| query.q.clone().unwrap_or_default());
    let input = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            text.set(event.target_unchecked_into::<web_sys::HtmlInputElement>().value())
        })
    };
    let submit = {
        let (text, query) = (text.clone(), query.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let typed = text.trim().to_owned();
            query.set(OrderQuery { q: (!typed.is_empty()).then_some(typed), page: None, ..(*query).clone() });
        })
    };
    SearchBox { text: (*text).clone(), input, submit }
}

#[derive(Properties, PartialEq)]
struct DetailProps {
    order: Order,
    currency: Option<String>,
    on_close: Callback<MouseEvent>,
    on_changed: Callback<Order>,
}

/// One order: its lines, its timeline and, while the kitchen may still stop, cancelling it with a reason.
#[function_component(OrderDetail)]
fn order_detail(props: &DetailProps) -> Html {
    let order = &props.order;
    let reason = use_state(String::new);
    let armed = use_state(|| None::<Uuid>);
    let failure = use_state(|| None::<ApiFailure>);
    let busy = use_state(|| false);
    let currency = props.currency.as_deref();
    let cancel = {
        let (reason, armed, failure, busy, on_changed) =
            (reason.clone(), armed.clone(), failure.clone(), busy.clone(), props.on_changed.clone());
        let id = order.id;
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if reason.trim().is_empty() {
                failure.set(Some(ApiFailure {
                    status: None,
                    code: "validation_failed".into(),
                    message: "Say why the order is cancelled: the kitchen and the customer will be told.".into(),
                    fields: [("reason".to_owned(), "say why the order is cancelled".to_owned())].into(),
                }));
                return;
            }
            if *armed != Some(id) {
                armed.set(Some(id));
                return;
            }
            let request = StatusChangeRequest {
                command_id: ordera_protocol::new_id(),
                action: StatusAction::Cancel,
                reason: Some(reason.trim().to_owned()),
            };
            let (armed, failure, busy, on_changed) = (armed.clone(), failure.clone(), busy.clone(), on_changed.clone());
            busy.set(true);
            spawn_local(async move {
                match api::send::<_, Order>("POST", &format!("orders/{id}/status"), &request).await {
                    Ok(order) => {
                        failure.set(None);
                        on_changed.emit(order);
                    }
                    Err(error) => failure.set(Some(error)),
                }
                armed.set(None);
                busy.set(false);
            });
        })
    };
    let on_reason = {
        let (reason, armed) = (reason.clone(), armed.clone());
        Callback::from(move |event: InputEvent| {
            reason.set(event.target_unchecked_into::<web_sys::HtmlInputElement>().value());
            armed.set(None);
        })
    };
    let confirming = *armed == Some(order.id);
    let reason_error = (*failure).as_ref().and_then(|f| f.field("reason"));
    let general_error = (*failure).as_ref().filter(|f| f.fields.is_empty()).map(ApiFailure::sentence);
    html! {
        <aside class="surface-card order-detail" id="order-detail" aria-label={format!("Order {}", order.number)}>
            <div class="detail-head">
                <h3>{ format!("#{} · {}", order.number, order_type_label(order.order_type)) }</h3>
                { status_badge(order.status) }
                <button class="btn btn-secondary" id="close-order" onclick={props.on_close.clone()}>{ "Close" }</button>
            </div>
            <p class="muted">{ format!("{} · placed at {}", order.business_date.format("%A %-d %B"), clock(&order.placed_at)) }</p>
            <ul class="detail-lines">{ for order.items.iter().map(|item| html! {
                <li>
                    <span class="qty">{ format!("{}×", item.quantity) }</span>
                    <span>{ &item.name }</span>
                    <span class="muted">{ money(item.line_total(), currency) }</span>
                    if !item.note.is_empty() { <div class="note">{ format!("» {}", item.note) }</div> }
                </li>
            }) }</ul>
            if !order.note.is_empty() { <p class="note">{ format!("» {}", order.note) }</p> }
            <p class="detail-total"><strong>{ format!("Total {}", money(order.total, currency)) }</strong></p>
            if let Some(why) = &order.cancel_reason {
                <p class="field-error" id="order-cancel-reason">{ format!("Cancelled: {why}") }</p>
            }
            <h4>{ "Timeline" }</h4>
            <ol class="timeline" id="order-timeline">{ for timeline(order).into_iter().map(|step| html! {
                <li>
                    <span class="when">{ clock(&step.at) }</span>
                    <strong>{ step.what }</strong>
                    if let Some(by) = step.by { <span class="muted">{ format!("by {by}") }</span> }
                </li>
            }) }</ol>
            if may_cancel(order) {
                <form class="cancel-form" id="cancel-form" onsubmit={cancel}>
                    <label class={classes!("field", reason_error.is_some().then_some("invalid"))}>
                        <span>{ "Cancel this order" }</span>
                        <input id="cancel-reason" placeholder="Why? e.g. customer left" value={(*reason).clone()}
                            oninput={on_reason} maxlength="200" />
                        if let Some(error) = reason_error { <span class="field-error" id="cancel-reason-error">{ error }</span> }
                    </label>
                    <button type="submit" class="btn btn-danger" id="cancel-order" disabled={*busy}>
                        { if confirming { "Cancel it now: the kitchen is told at once" } else { "Cancel order" } }
                    </button>
                </form>
            }
            if let Some(error) = general_error { <p class="field-error" role="alert" id="order-error">{ error }</p> }
        </aside>
    }
}
