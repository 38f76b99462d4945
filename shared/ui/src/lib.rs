//! `ordera-ui`: what every Ordera app's UI shares — one theme (CSS variables), the common components and
//! typed IPC with the Tauri shell. An app adds only what is its own.

pub mod api;
pub mod components;
pub mod ipc;
pub mod theme;

pub use components::{Badge, Button, ButtonKind, Card, ConnectionPill, Dialog, PairScreen, Toast};

use yew::prelude::*;

/// A callback that turns its event into an action on a page's store.
pub fn act<R, E>(state: &UseReducerHandle<R>, action: impl Fn(E) -> R::Action + 'static) -> Callback<E>
where
    R: Reducible + 'static,
    E: 'static,
{
    let dispatch = state.dispatcher();
    Callback::from(move |event| dispatch.dispatch(action(event)))
}
pub use ipc::{in_tauri, invoke, listen};

/// "£12.50" in the restaurant's currency; the bare amount when the currency is unknown.
pub fn money(amount: ordera_protocol::Money, currency: Option<&str>) -> String {
    match currency.and_then(|code| ordera_protocol::Currency::parse(code).ok()) {
        Some(currency) => currency.format(amount),
        None => format!("{:.2}", amount.0 as f64 / 100.0),
    }
}
