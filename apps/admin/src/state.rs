//! The admin app's store: which screen and tab, and what the engine last said (menu, connection, refused
//! orders, today's orders), with the refusals being settled and the passing message. Pure: the reducer
//! makes no IPC or web call, so every transition is tested natively below; so are the words the screens
//! show for a status, a type or a failure.

use std::collections::BTreeSet;
use std::rc::Rc;

use ordera_protocol::device::{ConnectionState, IpcError, Menu, SyncStatus};
use ordera_protocol::ipc::StartInfo;
use ordera_protocol::orders::{Order, RefusedOrder};
use ordera_protocol::{OrderStatus, OrderType};
use uuid::Uuid;
use yew::Reducible;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Loading,
    Pair,
    Board,
}

/// The board's tabs, one screen each.
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

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Started(StartInfo),
    /// The shell did not answer `start`: pairing is the one thing left to try.
    StartFailed(String),
    Paired,
    PairFailed(String),
    Menu(Menu),
    Status(SyncStatus),
    Refusals(Vec<RefusedOrder>),
    Orders(Vec<Order>),
    Tab(Tab),
    Settling(Uuid),
    Settled(RefusedOrder),
    SettleFailed(Uuid, IpcError),
    DismissToast,
}

impl State {
    pub fn currency(&self) -> Option<String> {
        self.menu.as_ref().and_then(|m| m.tenant.as_ref()).map(|t| t.currency.clone())
    }

    pub fn restaurant_name(&self) -> Option<String> {
        self.menu.as_ref().and_then(|m| m.tenant.as_ref()).map(|t| t.name.clone())
    }

    /// Known to be offline: before the engine's first status nobody can say.
    pub fn offline(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.connection != ConnectionState::Online)
    }

    /// An empty list means "nothing" only once the app has caught up with the server at least once; before
    /// that it would be a comforting guess.
    pub fn never_synced(&self) -> bool {
        self.status.as_ref().is_none_or(|s| s.last_sync.is_none())
    }

    /// Why the app is not in step yet, when its last attempt failed.
    pub fn sync_problem(&self) -> Option<String> {
        self.status.as_ref().and_then(|s| s.last_error.clone())
    }

    /// Today's orders, newest first.
    pub fn newest_orders(&self) -> Vec<&Order> {
        let mut orders: Vec<&Order> = self.orders.iter().collect();
        orders.sort_by_key(|order| std::cmp::Reverse(order.placed_at));
        orders
    }
}

/// What staff read when marking a refusal as handled failed.
pub fn settle_failure(error: &IpcError) -> String {
    if error.code == "offline" {
        "Could not reach the server. The order stays here; try again when the app is online.".to_owned()
    } else {
        format!("Could not mark it as handled: {}", error.message)
    }
}

pub fn order_type_label(order_type: OrderType) -> &'static str {
    match order_type {
        OrderType::DineIn => "Eat in",
        OrderType::Takeaway => "Takeaway",
    }
}

/// A status's word and badge class.
pub fn status_label(status: OrderStatus) -> (&'static str, &'static str) {
    match status {
        OrderStatus::Placed => ("New", "badge-warn"),
        OrderStatus::Preparing => ("Preparing", ""),
        OrderStatus::Ready => ("Ready", ""),
        OrderStatus::Completed => ("Completed", ""),
        OrderStatus::Cancelled => ("Cancelled", "badge-bad"),
    }
}

/// The server's reasons are lower-case phrases; a card shows one as a sentence.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
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
            Action::StartFailed(message) => {
                next.screen = Screen::Pair;
                next.error = Some(message);
            }
            Action::Paired => {
                next.screen = Screen::Board;
                next.error = None;
            }
            Action::PairFailed(message) => next.error = Some(message),
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
            Action::SettleFailed(id, error) => {
                next.settling.remove(&id);
                next.toast = Some(settle_failure(&error));
            }
            Action::DismissToast => next.toast = None,
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests;
