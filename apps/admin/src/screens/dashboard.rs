//! The dashboard: today's figures, live without a refresh. They are computed from the app's synced cache by
//! the same functions as the server's reports (`ordera_protocol::reports`), over the same business day, so
//! they open instantly, stay readable offline and agree with the reports and the CSV export to the minor
//! unit. Each figure says what it is as of and opens the orders behind it. Beside them: the hours of the
//! day as a bar chart, the best sellers, what is sold out or running low, refused orders waiting, and
//! devices that stopped or fell behind (the one part read from the server, so it needs the connection).

use chrono::{DateTime, Utc};
use gloo_timers::callback::Interval;
use ordera_protocol::api::Device;
use ordera_protocol::orders::HourlyBucket;
use ordera_protocol::Money;
use ordera_ui::api::{self, ApiFailure};
use ordera_ui::{act, money};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{clock, not_in_step, ScreenProps};
use crate::state::{
    device_needs_a_look, device_progress, device_standing, duration_words, kind_label, Action, Behind,
    Dashboard as Figures, State, Tab,
};

/// How often the device list is read again while the dashboard is open.
const DEVICES_EVERY_SECONDS: u32 = 10;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

fn load_devices(list: UseStateHandle<Option<Result<Vec<Device>, ApiFailure>>>) {
    spawn_local(async move {
        let read = api::get::<Vec<Device>>("devices").await;
        match (&read, (*list).as_ref()) {
            (Err(_), Some(Ok(_))) => {}
            _ => list.set(Some(read)),
        }
    });
}

#[function_component(Dashboard)]
pub fn dashboard(ScreenProps { state }: &ScreenProps) -> Html {
    let clock_now = use_state(now);
    let devices = use_state(|| None::<Result<Vec<Device>, ApiFailure>>);
    {
        let (clock_now, devices) = (clock_now.clone(), devices.clone());
        use_effect_with((), move |_| {
            load_devices(devices.clone());
            let mut ticks = 0u32;
            let interval = Interval::new(1_000, move || {
                clock_now.set(now());
                ticks += 1;
                if ticks % DEVICES_EVERY_SECONDS == 0 {
                    load_devices(devices.clone());
                }
            });
            move || drop(interval)
        });
    }
    let Some(figures) = state.dashboard(*clock_now) else {
        return html! { <main class="page" id="dashboard">{ not_in_step(state, "dashboard-unknown") }</main> };
    };
    let currency = state.currency();
    let currency = currency.as_deref();
    let as_of = match figures.as_of {
        Some(as_of) => format!("As of change {} · heard from the server at {}", as_of.seq, clock(&as_of.at)),
        None => "Not in step with the server yet".to_owned(),
    };
    html! {
        <main class="page dashboard" id="dashboard">
            <div class="dashboard-head">
                <h2>{ format!("Today · {}", figures.day.format("%A %-d %B")) }</h2>
                <span class="as-of" id="dashboard-as-of">{ as_of }</span>
            </div>
            if state.offline() {
                <p class="banner-offline" id="dashboard-offline">
                    { "Offline: these figures are what the app last heard. They update as soon as the connection returns." }
                </p>
            }
            { figure_cards(state, &figures, currency) }
            <div class="dashboard-grid">
                <section class="surface-card chart-card" aria-labelledby="by-hour-title">
                    <h3 id="by-hour-title">{ "Orders and revenue by hour" }</h3>
                    { hour_chart(&figures.hourly, currency) }
                </section>
                <div class="side-stack">
                <section class="surface-card" id="top-products" aria-labelledby="top-title">
                    <h3 id="top-title">{ "Best sellers" }</h3>
                    if figures.top.is_empty() {
                        <p class="muted">{ "No dishes sold yet today." }</p>
                    } else {
                        <ol class="top-list">{ for figures.top.iter().map(|top| html! {
                            <li>
                                <span class="top-qty">{ format!("{}×", top.quantity) }</span>
                                <span class="top-name">{ &top.name }</span>
                                <span class="top-revenue">{ money(top.revenue, currency) }</span>
                            </li>
                        }) }</ol>
                    }
                </section>
                <section class="surface-card" id="stock-watch" aria-labelledby="stock-title">
                    <h3 id="stock-title">{ "Sold out and running low" }</h3>
                    if figures.sold_out.is_empty() && figures.low_stock.is_empty() {
                        <p class="muted">{ "Everything on the menu can be ordered." }</p>
                    }
                    <ul class="stock-list">
                        { for figures.sold_out.iter().map(|name| html! {
                            <li><span class="badge badge-bad">{ "Sold out" }</span>{ name }</li>
                        }) }
                        { for figures.low_stock.iter().map(|(name, left)| html! {
                            <li><span class="badge badge-warn">{ format!("{left} left") }</span>{ name }</li>
                        }) }
                    </ul>
                </section>
                </div>
                { attention_card(state) }
                { devices_card(state, &devices, *clock_now) }
            </div>
        </main>
    }
}

/// The day's figures, each a button that opens the orders behind it (the Orders tab, filtered by the rule
/// the figure is counted by). `data-minor` carries an amount in minor units, so a test compares the figure
/// itself with the reports rather than its formatting.
fn figure_cards(state: &UseReducerHandle<State>, figures: &Figures, currency: Option<&str>) -> Html {
    let Some(summary) = &figures.summary else {
        return html! {
            <p class="error" role="alert" id="figures-corrupt">
                { "Today's orders add up past the largest amount the app can show: some stored orders are damaged. The figures are left out rather than shown wrong." }
            </p>
        };
    };
    let card = |id: &'static str, label: &'static str, value: String, minor: Option<Money>, note: Option<String>| {
        let behind = match id {
            "figure-prep" => Behind::Prepared,
            "figure-open" => Behind::Open,
            _ => Behind::Counted,
        };
        let onclick = act(state, move |_: MouseEvent| Action::ShowOrders(Some(behind)));
        html! {
            <button type="button" class="figure" {id} data-minor={minor.map(|m| m.0.to_string())}
                {onclick} title={format!("Show the orders {}", behind.words())}>
                <span class="figure-label">{ label }</span>
                <span class="figure-value">{ value }</span>
                if let Some(note) = note { <span class="figure-note">{ note }</span> }
            </button>
        }
    };
    html! {
        <div class="figures" id="figures">
            { card("figure-revenue", "Revenue", money(summary.revenue, currency), Some(summary.revenue), None) }
            { card("figure-orders", "Orders", summary.orders.to_string(), None,
                (summary.cancelled > 0).then(|| format!("{} cancelled, not counted", summary.cancelled))) }
            { card("figure-average-ticket", "Average ticket", money(summary.average_ticket, currency),
                Some(summary.average_ticket), None) }
            { card("figure-prep", "Average prep time",
                summary.average_prep_seconds.map(duration_words).unwrap_or_else(|| "–".into()), None,
                Some("placed → ready".into())) }
            { card("figure-open", "Open tickets", figures.open.to_string(), None, Some("in the kitchen now".into())) }
        </div>
    }
}

/// The chart's size in its own units; the SVG scales to its box.
const CHART_WIDTH: f64 = 720.0;
const CHART_HEIGHT: f64 = 220.0;
const CHART_BASE: f64 = 190.0;

/// Revenue by hour as bars, with each hour's order count over its bar. Only the hours from the first to
/// the last with orders (at least 9:00 to 17:00 for scale), so a lunch service is not a sliver of 24.
fn hour_chart(hours: &[HourlyBucket], currency: Option<&str>) -> Html {
    let busy: Vec<u32> = hours.iter().filter(|h| h.orders > 0).map(|h| h.hour).collect();
    let first = busy.first().copied().unwrap_or(9).min(9);
    let last = busy.last().copied().unwrap_or(17).max(17);
    let shown: Vec<&HourlyBucket> = hours.iter().filter(|h| (first..=last).contains(&h.hour)).collect();
    if shown.is_empty() {
        return html! { <p class="muted">{ "No orders yet today." }</p> };
    }
    let top = shown.iter().map(|h| h.revenue.0).max().unwrap_or(0).max(1) as f64;
    let slot = CHART_WIDTH / shown.len() as f64;
    let bars = shown.iter().enumerate().map(|(i, hour)| {
        let height = (hour.revenue.0 as f64 / top) * (CHART_BASE - 30.0);
        let x = i as f64 * slot;
        let title = format!("{:02}:00–{:02}:59 · {} orders · {}", hour.hour, hour.hour, hour.orders, money(hour.revenue, currency));
        html! {
            <g class="bar" id={format!("hour-{}", hour.hour)} data-orders={hour.orders.to_string()}>
                <title>{ title }</title>
                <rect x={format!("{:.1}", x + slot * 0.15)} y={format!("{:.1}", CHART_BASE - height)}
                    width={format!("{:.1}", slot * 0.7)} height={format!("{:.1}", height)} rx="3" />
                if hour.orders > 0 {
                    <text class="bar-count" x={format!("{:.1}", x + slot / 2.0)} y={format!("{:.1}", CHART_BASE - height - 6.0)}
                        text-anchor="middle">{ hour.orders }</text>
                }
                <text class="bar-hour" x={format!("{:.1}", x + slot / 2.0)} y={format!("{:.1}", CHART_HEIGHT - 8.0)}
                    text-anchor="middle">{ format!("{:02}", hour.hour) }</text>
            </g>
        }
    });
    html! {
        <svg class="hour-chart" id="hour-chart" viewBox={format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")} role="img"
            aria-label="Revenue by hour, with the number of orders over each bar">
            <line class="axis" x1="0" x2={CHART_WIDTH.to_string()} y1={CHART_BASE.to_string()} y2={CHART_BASE.to_string()} />
            { for bars }
        </svg>
    }
}

fn attention_card(state: &UseReducerHandle<crate::state::State>) -> Html {
    let waiting = state.refusals.len();
    let open = act(state, |_: MouseEvent| Action::Tab(Tab::Attention));
    html! {
        <section class={classes!("surface-card", (waiting > 0).then_some("alert-card"))} id="dashboard-attention">
            <h3>{ "Refused orders" }</h3>
            if waiting == 0 {
                <p class="muted">{ "None waiting." }</p>
            } else {
                <p><strong id="dashboard-refused">{ waiting }</strong>{ if waiting == 1 { " order needs a person" } else { " orders need a person" } }</p>
                <button class="btn btn-secondary" onclick={open}>{ "Open" }</button>
            }
        </section>
    }
}

/// Devices that stopped or fell behind; read from the server, so offline the card says it cannot tell.
fn devices_card(
    state: &UseReducerHandle<crate::state::State>,
    devices: &Option<Result<Vec<Device>, ApiFailure>>,
    now: DateTime<Utc>,
) -> Html {
    let open = act(state, |_: MouseEvent| Action::Tab(Tab::Devices));
    let body = match devices {
        None => html! { <p class="muted">{ "Reading the devices…" }</p> },
        Some(Err(failure)) => {
            html! { <p class="muted">{ format!("Cannot tell right now: {}", failure.sentence()) }</p> }
        }
        Some(Ok(list)) => {
            let active: Vec<&Device> = list.iter().filter(|d| d.revoked_at.is_none()).collect();
            let troubled: Vec<(&Device, String, &'static str)> = active
                .iter()
                .map(|d| {
                    let (words, class) = device_standing(d, now);
                    (*d, words, class)
                })
                .filter(|(d, _, _)| device_needs_a_look(d, now))
                .collect();
            if troubled.is_empty() {
                html! { <p class="muted" id="devices-fine">{ format!("All {} devices connected and up to date.", active.len()) }</p> }
            } else {
                html! {
                    <ul class="device-watch">{ for troubled.iter().map(|(device, words, class)| html! {
                        <li>
                            <span class={classes!("badge", *class)}>{ words }</span>
                            <span>{ format!("{} · {}", device.name, kind_label(device.kind)) }</span>
                            <span class="muted">{ device_progress(device) }</span>
                        </li>
                    }) }</ul>
                }
            }
        }
    };
    html! {
        <section class="surface-card" id="dashboard-devices">
            <h3>{ "Devices" }</h3>
            { body }
            <button class="btn btn-secondary" onclick={open}>{ "All devices" }</button>
        </section>
    }
}
