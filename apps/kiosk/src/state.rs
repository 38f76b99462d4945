//! The kiosk's store: which screen the customer is on, the cart, the order being saved and what the engine
//! last said (menu, connection). Pure: the reducer makes no IPC or web call and no id of its own (actions
//! bring them), so every transition is tested natively (`state/tests.rs`).

use std::rc::Rc;

use ordera_protocol::api::{Category, Product};
use ordera_protocol::device::{ConnectionState, Menu, OutboxEntry, SyncStatus};
use ordera_protocol::ipc::{PlaceOrderArgs, StartInfo};
use ordera_protocol::orders::Order;
use ordera_protocol::OrderType;
use uuid::Uuid;
use yew::Reducible;

mod cart;

pub use cart::Cart;

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
    /// The customer's lines and order type, and the id their order will carry: made when the customer first
    /// reviews them and kept until the order is saved or the cart changes, so placing it twice sends one
    /// order, not two.
    pub cart: Cart,
    /// The order being saved on the device, as sent: while it is there the button waits and another tap
    /// does nothing.
    pub placing: Option<PlaceOrderArgs>,
    /// How many times the engine said its orders changed: the confirmation looks its order up at each.
    pub orders_changed: u64,
    pub large_text: bool,
    pub high_contrast: bool,
    /// Seconds left before the idle reset, while the "still there?" question is up.
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
            cart: Cart::default(),
            placing: None,
            orders_changed: 0,
            large_text: false,
            high_contrast: false,
            still_there: None,
            error: None,
            notice: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Started(StartInfo),
    /// The shell did not answer `start`: pairing is the one thing left to try.
    StartFailed(String),
    Menu(Menu),
    Status(SyncStatus),
    /// The engine's cached orders changed (one was numbered, refused or moved on).
    OrdersChanged,
    Paired,
    PairFailed(String),
    /// Staff unpaired the kiosk from its staff panel: back to pairing, with nothing of the last customer.
    Unpaired,
    Begin,
    Category(Uuid),
    Open(Product),
    CloseSheet,
    Add {
        product: Product,
        quantity: i64,
        note: String,
    },
    Quantity(usize, i64),
    Remove(usize),
    OrderType(OrderType),
    /// To the review screen. The id is a fresh one, used only if this cart has none yet.
    Review(Uuid),
    BackToMenu,
    /// "Place order" tapped. The id is a fresh one, used only if the cart changed on the review screen
    /// and so lost its own.
    Place(Uuid),
    Saved(OutboxEntry),
    PlaceFailed(String),
    OrderKnown(Order),
    Refused(Uuid, String),
    IdleTick(Option<u32>),
    Reset,
    ToggleLargeText,
    ToggleContrast,
}

impl State {
    /// Seconds without a touch before the idle reset: this kiosk's own when it was installed with one, else
    /// the restaurant's (live: a change in the back office applies from the next touch), else the default.
    pub fn idle_seconds(&self) -> u32 {
        let restaurant = || self.menu.as_ref()?.tenant.as_ref().and_then(|t| u32::try_from(t.kiosk_idle_seconds).ok());
        self.start
            .as_ref()
            .and_then(|s| s.idle_seconds)
            .or_else(restaurant)
            .unwrap_or(ordera_protocol::api::KioskIdle::DEFAULT as u32)
    }

    pub fn currency(&self) -> Option<String> {
        self.menu.as_ref().and_then(|m| m.tenant.as_ref()).map(|t| t.currency.clone())
    }

    pub fn restaurant_name(&self) -> Option<String> {
        self.menu.as_ref().and_then(|m| m.tenant.as_ref()).map(|t| t.name.clone())
    }

    pub fn visible_categories(&self) -> Vec<Category> {
        self.menu.as_ref().map(|m| m.categories.iter().filter(|c| c.visible).cloned().collect()).unwrap_or_default()
    }

    /// The products of the chosen category, sold-out ones included (they show as such).
    pub fn shown_products(&self) -> Vec<&Product> {
        let Some(menu) = &self.menu else { return Vec::new() };
        menu.products.iter().filter(|p| Some(p.category_id) == self.category).collect()
    }

    /// A product as the menu has it now: prices and availability change live.
    pub fn current(&self, id: Uuid) -> Option<&Product> {
        self.menu.as_ref()?.products.iter().find(|p| p.id == id)
    }

    pub fn offline(&self) -> bool {
        self.status.as_ref().is_none_or(|s| s.connection != ConnectionState::Online)
    }

    /// Whether a customer is somewhere in an order, so that leaving the kiosk alone clears it.
    pub fn in_an_order(&self) -> bool {
        matches!(self.screen, Screen::Menu | Screen::Review | Screen::Confirmation { .. })
    }

    /// The saved order whose ticket number the confirmation screen still waits for.
    pub fn awaiting_number(&self) -> Option<Uuid> {
        match &self.screen {
            Screen::Confirmation { entry, order: None, refused: None } => Some(entry.command_id),
            _ => None,
        }
    }

    /// Keeps the cart in step with a new menu, saying what sold out meanwhile.
    fn follow_menu(&mut self, menu: &Menu) {
        let gone = self.cart.follow_menu(menu);
        if gone.is_empty() {
            return;
        }
        self.notice = Some(format!(
            "Sorry — {} just sold out and {} taken out of your order.",
            gone.join(", "),
            if gone.len() == 1 { "was" } else { "were" }
        ));
        if self.cart.is_empty() && self.screen == Screen::Review {
            self.screen = Screen::Menu;
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // Most orders a kiosk hears of are other devices': only the one it waits for is worth a render.
        if matches!(action, Action::OrdersChanged) && self.awaiting_number().is_none() {
            return self;
        }
        let mut next = (*self).clone();
        match action {
            Action::Started(start) => {
                next.screen = if start.paired { Screen::Attract } else { Screen::Pair };
                next.start = Some(start);
            }
            Action::StartFailed(message) => {
                next.screen = Screen::Pair;
                next.error = Some(message);
            }
            Action::Menu(menu) => {
                next.follow_menu(&menu);
                next.menu = Some(menu);
                if next.category.is_none() {
                    next.category = next.visible_categories().first().map(|c| c.id);
                }
            }
            Action::Status(status) => {
                if status.pairing_refused() && next.screen != Screen::Loading {
                    next.screen = Screen::Pair;
                }
                next.status = Some(status);
            }
            Action::OrdersChanged => next.orders_changed += 1,
            Action::Paired => {
                next.screen = Screen::Attract;
                next.error = None;
            }
            Action::PairFailed(message) => next.error = Some(message),
            Action::Unpaired => {
                next.screen = Screen::Pair;
                next.cart = Cart::default();
                next.sheet = None;
                next.still_there = None;
            }
            // Nothing was saved: the same id may be tried again.
            Action::PlaceFailed(message) => {
                next.placing = None;
                next.error = Some(message);
            }
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
                next.cart.add(product, quantity, note);
                next.sheet = None;
            }
            Action::Quantity(index, quantity) => next.cart.set_quantity(index, quantity),
            Action::Remove(index) => next.cart.remove(index),
            Action::OrderType(order_type) => next.cart.set_order_type(order_type),
            Action::Review(fresh) => {
                if !next.cart.is_empty() {
                    next.screen = Screen::Review;
                    next.cart.keep_id(fresh);
                }
            }
            Action::BackToMenu => next.screen = Screen::Menu,
            Action::Place(fresh) => {
                if next.placing.is_some() || next.cart.is_empty() || next.screen != Screen::Review {
                    return self;
                }
                next.placing = Some(next.cart.order(fresh));
                next.error = None;
            }
            // Whatever the customer did meanwhile, the order is saved: show it.
            Action::Saved(entry) => {
                next.error = None;
                next.cart.clear();
                next.placing = None;
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
            // An order being saved stays so: its answer (`Saved` or `PlaceFailed`) still comes.
            Action::Reset => {
                next.notice = None;
                next.cart.clear();
                next.sheet = None;
                next.still_there = None;
                next.category = next.visible_categories().first().map(|c| c.id);
                if next.in_an_order() {
                    next.screen = Screen::Attract;
                }
            }
            Action::ToggleLargeText => next.large_text = !next.large_text,
            Action::ToggleContrast => next.high_contrast = !next.high_contrast,
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests;
