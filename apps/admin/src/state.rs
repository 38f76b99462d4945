//! The admin app's store: which screen and tab, and what the engine last said (menu, connection, refused
//! orders, today's orders), with the refusals being settled and the passing message. Pure: the reducer
//! makes no IPC or web call, so every transition is tested natively below; so are the words the screens
//! show for a status, a type or a failure.

use std::collections::BTreeSet;
use std::rc::Rc;

use chrono::{DateTime, NaiveDate, Utc};
use ordera_protocol::api::{Device, User};
use ordera_protocol::device::{ConnectionState, IpcError, Menu, SignedIn, SyncStatus};
use ordera_protocol::ipc::StartInfo;
use ordera_protocol::orders::{
    AsOf, HourlyBucket, Order, OrderPage, OrderQuery, RefusedOrder, ReportSummary, StatusAction, TopProduct, Transition,
};
use ordera_protocol::reports;
use ordera_protocol::validate::TimeZone;
use ordera_protocol::{DeviceKind, OrderStatus, OrderType, Role};
use uuid::Uuid;
use yew::Reducible;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Loading,
    /// A person signs in with e-mail and password (the usual way in).
    SignIn,
    /// A new restaurant is set up with its owner, who is then signed in.
    SignUp,
    /// A shared back-office computer is paired with a code instead.
    Pair,
    Board,
}

/// The board's tabs, one screen each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Managers and owners only: today's figures, live.
    Dashboard,
    Attention,
    Orders,
    /// Managers and owners only.
    Menu,
    /// Managers and owners only: the people who sign in, their roles and passwords.
    Staff,
    /// Managers and owners only.
    Devices,
    /// Managers and owners only.
    Settings,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub screen: Screen,
    pub tab: Tab,
    pub start: Option<StartInfo>,
    /// The person signed in, if the app was opened by a sign-in rather than a pairing code.
    pub signed_in: Option<SignedIn>,
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
    /// The dashboard figure whose orders the Orders tab shows, when it was opened from one.
    pub behind: Option<Behind>,
}

/// Which of today's orders a dashboard figure stands for, by the same rules the figure is counted by, so
/// the list it opens adds up to the figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behind {
    /// Revenue, orders and the average ticket: today's orders that count in the takings.
    Counted,
    /// The average prep time: those of them that were made ready.
    Prepared,
    /// Open tickets: the orders in the kitchen now.
    Open,
}

impl Behind {
    pub fn includes(self, order: &Order, today: NaiveDate) -> bool {
        let counted = order.business_date == today && reports::counted(order);
        match self {
            Behind::Counted => counted,
            Behind::Prepared => counted && order.ready_at.is_some(),
            Behind::Open => order.status.is_active(),
        }
    }

    /// What the filtered list is, for its heading: "counted in today's revenue".
    pub fn words(self) -> &'static str {
        match self {
            Behind::Counted => "counted in today's revenue and orders",
            Behind::Prepared => "made ready today, behind the average prep time",
            Behind::Open => "in the kitchen now",
        }
    }
}

impl Default for State {
    fn default() -> Self {
        Self {
            screen: Screen::Loading,
            tab: Tab::Attention,
            start: None,
            signed_in: None,
            menu: None,
            status: None,
            refusals: Vec::new(),
            orders: Vec::new(),
            settling: BTreeSet::new(),
            error: None,
            toast: None,
            behind: None,
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
    SignedIn(Box<SignedIn>),
    SignInFailed(String),
    SignedOut,
    /// From the sign-in screen to pairing with a code or to setting up a new restaurant, and back.
    UsePairing,
    UseSignUp,
    UseSignIn,
    /// The restaurant's settings changed (the name in the top bar follows at once).
    TenantSaved(Box<ordera_protocol::api::Tenant>),
    Menu(Menu),
    Status(SyncStatus),
    Refusals(Vec<RefusedOrder>),
    Orders(Vec<Order>),
    Tab(Tab),
    /// The Orders tab, showing only the orders behind a dashboard figure (or all of them again).
    ShowOrders(Option<Behind>),
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
        self.menu
            .as_ref()
            .and_then(|m| m.tenant.as_ref())
            .or(self.signed_in.as_ref().map(|s| &s.tenant))
            .map(|t| t.name.clone())
    }

    /// Whether the person may manage the menu, devices and settings: a signed-in owner or manager. A device paired
    /// with a code acts as no person, so it keeps to the orders.
    pub fn can_manage(&self) -> bool {
        self.signed_in.as_ref().is_some_and(|s| s.user.role.can_manage())
    }

    /// The tabs this person sees, in order.
    pub fn tabs(&self) -> Vec<Tab> {
        let mut tabs = vec![Tab::Attention, Tab::Orders];
        if self.can_manage() {
            tabs.insert(0, Tab::Dashboard);
            tabs.extend([Tab::Menu, Tab::Staff, Tab::Devices, Tab::Settings]);
        }
        tabs
    }

    /// Where the board opens: a manager's day starts with the figures, staff's with what needs them.
    pub fn home_tab(&self) -> Tab {
        self.tabs()[0]
    }

    /// The restaurant's business day at `now`, once its settings are known.
    pub fn business_today(&self, now: DateTime<Utc>) -> Option<NaiveDate> {
        let tenant = self.menu.as_ref()?.tenant.as_ref().or(self.signed_in.as_ref().map(|s| &s.tenant))?;
        Some(tenant.business_day().ok()?.date_of(now))
    }

    /// Today's figures, from the synced orders of the restaurant's current business day at `now`, computed
    /// by the same functions as the server's reports; `None` until the restaurant's settings are known.
    pub fn dashboard(&self, now: DateTime<Utc>) -> Option<Dashboard> {
        let tenant = self.menu.as_ref()?.tenant.as_ref()?;
        let day = self.business_today(now)?;
        let tz = TimeZone::parse(&tenant.timezone).ok()?.0;
        let orders: Vec<Order> = self.orders.iter().filter(|o| o.business_date == day).cloned().collect();
        let as_of =
            self.status.as_ref().and_then(|s| Some(AsOf { seq: s.position?, at: s.last_heard.or(s.last_sync)? }));
        let mut products: Vec<&ordera_protocol::api::Product> = self.menu.as_ref()?.products.iter().collect();
        products.sort_by(|a, b| a.name.cmp(&b.name));
        Some(Dashboard {
            day,
            summary: ReportSummary::of(&orders, (day, day), &tenant.currency, as_of),
            hourly: reports::hourly(&orders, tz).unwrap_or_default(),
            top: reports::top_products(&orders, TOP_PRODUCTS).unwrap_or_default(),
            open: self.orders.iter().filter(|o| Behind::Open.includes(o, day)).count(),
            sold_out: products.iter().filter(|p| !p.orderable()).map(|p| p.name.clone()).collect(),
            low_stock: products
                .iter()
                .filter(|p| p.orderable() && p.low_on_stock())
                .map(|p| (p.name.clone(), p.stock.unwrap_or_default()))
                .collect(),
            as_of,
        })
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
    /// Today's list, newest first: all of it, or the orders behind the figure it was opened from.
    pub fn newest_orders(&self, now: DateTime<Utc>) -> Vec<&Order> {
        let today = self.business_today(now);
        let mut orders: Vec<&Order> = match (self.behind, today) {
            (Some(behind), Some(today)) => self.orders.iter().filter(|o| behind.includes(o, today)).collect(),
            _ => self.orders.iter().collect(),
        };
        orders.sort_by_key(|order| std::cmp::Reverse(order.placed_at));
        orders
    }
}

/// "Owner", "Manager", "Staff".
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Manager => "Manager",
        Role::Staff => "Staff",
    }
}

/// The roles `actor` may give: an owner any, a manager managers and staff.
pub fn role_choices(actor: Role) -> Vec<Role> {
    Role::ALL.iter().copied().filter(|role| actor.may_grant(*role)).collect()
}

/// Why `actor` may not change `person` from the staff list, or `None` when they may (the server checks
/// the same rule; the list only avoids offering what it would refuse).
pub fn staff_lock(actor: &User, person: &User) -> Option<&'static str> {
    if !actor.role.may_grant(person.role) {
        Some("Only an owner can change an owner")
    } else if actor.id == person.id {
        Some("Your own account: another manager or owner changes it")
    } else {
        None
    }
}

/// The staff list as a manager reads it: people who can sign in first, then by role (owners first), then
/// by name.
pub fn staff_in_order(people: &[User]) -> Vec<User> {
    let mut people = people.to_vec();
    let rank = |role: Role| Role::ALL.iter().position(|r| *r == role).unwrap_or(Role::ALL.len());
    people.sort_by(|a, b| {
        (!a.active, rank(a.role), a.name.to_lowercase()).cmp(&(!b.active, rank(b.role), b.name.to_lowercase()))
    });
    people
}

/// How many best sellers the dashboard lists.
pub const TOP_PRODUCTS: usize = 5;

/// The dashboard's figures for one business day.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub day: NaiveDate,
    /// `None` only for sums past the largest amount (corrupt orders): no figure rather than a wrong one.
    pub summary: Option<ReportSummary>,
    /// All 24 local hours.
    pub hourly: Vec<HourlyBucket>,
    pub top: Vec<TopProduct>,
    /// Tickets still in the kitchen, whatever day they were placed.
    pub open: usize,
    /// Products customers cannot order now (86'd or out of stock), by name.
    pub sold_out: Vec<String>,
    /// Products still orderable at or below their low-stock threshold, with the portions left.
    pub low_stock: Vec<(String, i64)>,
    /// The log position the cache had applied and when the app last heard from the server.
    pub as_of: Option<AsOf>,
}

/// "12 min 30 s", "45 s": an average prep time.
pub fn duration_words(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, s / 60 % 60),
    }
}

/// The history request for `query`: `orders?from=2026-12-01&status=cancelled&q=burger&page=2`.
pub fn history_path(query: &OrderQuery) -> String {
    // Only dates, enums, numbers and the search text, which the encoder escapes: it cannot fail on these.
    format!("orders?{}", serde_urlencoded::to_string(query).unwrap_or_default())
}

/// The export's query for the history's filters: the same orders, every page of them.
pub fn export_query(query: &OrderQuery) -> String {
    let every_page = OrderQuery { page: None, per_page: None, ..query.clone() };
    serde_urlencoded::to_string(&every_page).unwrap_or_default()
}

/// The file name the save dialog suggests: "orders-2026-12-07.csv", "orders-2026-12-01-to-2026-12-07.csv".
pub fn export_file_name(query: &OrderQuery) -> String {
    match (query.from, query.to) {
        (Some(from), Some(to)) if from == to => format!("orders-{from}.csv"),
        (Some(from), Some(to)) => format!("orders-{from}-to-{to}.csv"),
        (Some(from), None) => format!("orders-from-{from}.csv"),
        (None, Some(to)) => format!("orders-to-{to}.csv"),
        (None, None) => "orders.csv".into(),
    }
}

/// "Orders 51–100 of 230", or that nothing matches.
pub fn page_words(page: &OrderPage) -> String {
    if page.total == 0 {
        return "No orders match these filters".into();
    }
    let first = (page.page - 1) * page.per_page + 1;
    let last = (first + page.orders.len() as i64 - 1).max(first);
    format!("Orders {first}–{last} of {}", page.total)
}

/// Whether there is a page after `page`.
pub fn has_next_page(page: &OrderPage) -> bool {
    page.page * page.per_page < page.total
}

/// One move of an order as its timeline shows it: what, when and who (a screen or a person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineStep {
    pub what: &'static str,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
}

/// An order's timeline, oldest first: its recorded moves with who made each; for an order stored before
/// moves were recorded, the times it kept.
pub fn timeline(order: &Order) -> Vec<TimelineStep> {
    let what = |status: OrderStatus| match status {
        OrderStatus::Placed => "Placed",
        OrderStatus::Preparing => "Started",
        OrderStatus::Ready => "Ready",
        OrderStatus::Completed => "Served",
        OrderStatus::Cancelled => "Cancelled",
    };
    if !order.history.is_empty() {
        return order
            .history
            .iter()
            .map(|step| TimelineStep { what: what(step.status), at: step.at, by: step.by.clone() })
            .collect();
    }
    let mut steps = vec![TimelineStep { what: "Placed", at: order.placed_at, by: None }];
    for (status, at) in [
        (OrderStatus::Preparing, order.preparing_at),
        (OrderStatus::Ready, order.ready_at),
        (OrderStatus::Completed, order.completed_at),
        (OrderStatus::Cancelled, order.cancelled_at),
    ] {
        if let Some(at) = at {
            steps.push(TimelineStep { what: what(status), at, by: None });
        }
    }
    steps.sort_by_key(|step| step.at);
    steps
}

/// Whether an order may still be cancelled: not once it is ready (the kitchen's rule, the server's too).
pub fn may_cancel(order: &Order) -> bool {
    matches!(order.status.apply(StatusAction::Cancel), Transition::To(_))
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

/// "Kiosk", "Kitchen screen", "Admin app".
pub fn kind_label(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::Kiosk => "Kiosk",
        DeviceKind::Kds => "Kitchen screen",
        DeviceKind::Admin => "Admin app",
    }
}

/// A device counts as connected when it called within this long (the server notes a device's calls at
/// most once a minute).
const CONNECTED_WITHIN_MINUTES: i64 = 2;

/// "5 min ago", "3 h ago", "2 days ago".
fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - at).num_minutes().max(0);
    match minutes {
        0 => "just now".into(),
        1..=59 => format!("{minutes} min ago"),
        60..=2879 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

/// A connected device reports its log position with its pings, every few seconds, so in service a healthy
/// screen is always a few changes behind the head; only more than this many is a screen that stopped
/// applying changes.
pub const FELL_BEHIND_AFTER: i64 = 20;

/// Whether the dashboard should point a manager at `device` at `now`: it is not connected, or it is
/// connected but no longer keeping up.
pub fn device_needs_a_look(device: &Device, now: DateTime<Utc>) -> bool {
    device_standing(device, now).1 != "badge-ok" || device.behind.unwrap_or(0) > FELL_BEHIND_AFTER
}

/// How a device stands at `now`, in words and its badge's class.
pub fn device_standing(device: &Device, now: DateTime<Utc>) -> (String, &'static str) {
    if device.revoked_at.is_some() {
        return ("Revoked".into(), "badge-bad");
    }
    match device.last_seen_at {
        None => ("Never connected".into(), "badge-warn"),
        Some(at) if now - at <= chrono::Duration::minutes(CONNECTED_WITHIN_MINUTES) => ("Connected".into(), "badge-ok"),
        Some(at) => (format!("Last seen {}", ago(at, now)), "badge-warn"),
    }
}

/// How far behind the restaurant's log a device was at its last report, and what it had waiting to send.
pub fn device_progress(device: &Device) -> String {
    let behind = match device.behind {
        None => "No report yet".to_owned(),
        Some(0) => "Up to date".to_owned(),
        Some(1) => "1 change behind".to_owned(),
        Some(n) => format!("{n} changes behind"),
    };
    match device.outbox {
        Some(n) if n > 0 => format!("{behind} · {n} waiting to send"),
        _ => behind,
    }
}

/// The time left on a pairing code, "4:59", or "Expired".
pub fn countdown(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (expires_at - now).num_seconds();
    if seconds <= 0 {
        "Expired".into()
    } else {
        format!("{}:{:02}", seconds / 60, seconds % 60)
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Started(start) => {
                next.screen = if start.paired { Screen::Board } else { Screen::SignIn };
                next.signed_in = start.signed_in.clone().map(|s| *s);
                next.start = Some(start);
                next.tab = next.home_tab();
            }
            Action::StartFailed(message) => {
                next.screen = Screen::SignIn;
                next.error = Some(message);
            }
            Action::SignedIn(signed_in) => {
                next.signed_in = Some(*signed_in);
                next.screen = Screen::Board;
                next.tab = next.home_tab();
                next.error = None;
            }
            Action::SignInFailed(message) => next.error = Some(message),
            Action::SignedOut => {
                next = State { start: next.start.clone(), screen: Screen::SignIn, ..State::default() };
                next.toast = Some("Signed out.".into());
            }
            Action::UsePairing => {
                next.screen = Screen::Pair;
                next.error = None;
            }
            Action::UseSignUp => {
                next.screen = Screen::SignUp;
                next.error = None;
            }
            Action::UseSignIn => {
                next.screen = Screen::SignIn;
                next.error = None;
            }
            Action::TenantSaved(tenant) => {
                if let Some(menu) = &mut next.menu {
                    menu.tenant = Some((*tenant).clone());
                }
                if let Some(signed_in) = &mut next.signed_in {
                    signed_in.tenant = *tenant;
                }
            }
            Action::Paired => {
                next.screen = Screen::Board;
                next.error = None;
            }
            Action::PairFailed(message) => next.error = Some(message),
            Action::Menu(menu) => next.menu = Some(menu),
            Action::Status(status) => {
                if status.pairing_refused() && next.screen == Screen::Board {
                    // Revoked: a person signs in again; a shared computer needs a new code.
                    next.screen = if next.signed_in.take().is_some() { Screen::SignIn } else { Screen::Pair };
                    next.error = status.last_error.clone();
                }
                next.status = Some(status);
            }
            Action::Refusals(refusals) => next.refusals = refusals,
            Action::Orders(orders) => next.orders = orders,
            Action::Tab(tab) => {
                if next.tabs().contains(&tab) {
                    next.tab = tab;
                    next.behind = None;
                }
            }
            Action::ShowOrders(behind) => {
                if next.tabs().contains(&Tab::Orders) {
                    next.tab = Tab::Orders;
                    next.behind = behind;
                }
            }
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

pub mod menu;

#[cfg(test)]
mod tests;
