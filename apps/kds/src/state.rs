//! The kitchen screen's store and the pure rules behind what it shows: which tickets a role sees and in
//! which order, timer colours, all-day counts, what a bump or an undo sends, the bump bar's keys, whether
//! the screen can call itself live. Nothing here calls the shell or the browser, so all of it is tested
//! natively; the hooks feed it and carry out what it decides.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use chrono::{DateTime, Duration, Utc};
use ordera_protocol::api::Tenant;
use ordera_protocol::device::{ConnectionState, Menu, SyncStatus};
use ordera_protocol::ipc::{ScreenRole, ScreenSettings, StartInfo};
use ordera_protocol::orders::{Order, OrderItem, StatusAction};
use ordera_protocol::OrderStatus;
use uuid::Uuid;
use yew::prelude::*;

/// How long an undo stays on offer after a bump.
pub const UNDO_SECONDS: i64 = 8;
/// How far back the recall list reaches.
pub const RECALL_HOURS: i64 = 3;
/// A cancellation older than this no longer waits on the board (it would be news to nobody).
pub const CANCELLED_SHOWN_HOURS: i64 = 3;
/// How long a new or changed ticket flashes.
pub const FLASH_SECONDS: i64 = 4;
/// Silence from a connected server after which the screen stops calling itself live (pongs arrive every
/// two seconds).
pub const SILENT_AFTER_SECONDS: i64 = 7;
/// How long the screen may be not live before the whole board says so (a reconnect takes a moment).
pub const BANNER_AFTER_SECONDS: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Loading,
    Pair,
    /// Choosing the screen's role (first start, or from the header).
    Setup,
    Board,
}

/// A sound the screen should play; the hooks play it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sound {
    NewTicket,
    Cancelled,
    /// A number became ready (pickup screen).
    Ready,
    Alarm,
    Test,
}

/// What a bump sent, and how to take it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undo {
    pub order_id: Uuid,
    pub number: i64,
    pub label: String,
    pub command: KitchenCommand,
    pub until: DateTime<Utc>,
}

/// A change the screen asks of the server (through the shell's durable queue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KitchenCommand {
    Status { order_id: Uuid, action: StatusAction },
    Mark { order_id: Uuid, items: Vec<usize>, done: bool },
}

/// Whether what the screen shows can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Connected, caught up and hearing from the server.
    Live,
    /// Connected or connecting, and applying what it missed.
    CatchingUp,
    /// No connection; `since` is when the server was last heard.
    Offline { since: Option<DateTime<Utc>> },
    /// Connected but silent for too long: the link may be dead.
    Silent { since: Option<DateTime<Utc>> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub phase: Phase,
    pub start: Option<StartInfo>,
    pub settings: ScreenSettings,
    pub menu: Option<Menu>,
    pub orders: Vec<Order>,
    pub loaded_orders: bool,
    pub status: Option<SyncStatus>,
    pub acknowledged: Vec<Uuid>,
    pub now: DateTime<Utc>,
    /// Since when the screen has not been live (for the banner and the alarm).
    pub not_live_since: Option<DateTime<Utc>>,
    /// The selected ticket's id and line, for the bump bar.
    pub selected: Option<Uuid>,
    pub selected_item: usize,
    pub undo: Option<Undo>,
    pub recall_open: bool,
    /// Tickets flashing until the given time (new or changed).
    pub flashes: HashMap<Uuid, DateTime<Utc>>,
    /// Each order's last change as seen, to tell new and changed tickets from unchanged ones.
    seen: HashMap<Uuid, (DateTime<Utc>, OrderStatus)>,
    /// The sound to play now; the number moves with each one so the same sound twice plays twice.
    pub sound: Option<(u64, Sound)>,
    pub error: Option<String>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            phase: Phase::Loading,
            start: None,
            settings: ScreenSettings::default(),
            menu: None,
            orders: Vec::new(),
            loaded_orders: false,
            status: None,
            acknowledged: Vec::new(),
            now: DateTime::UNIX_EPOCH,
            not_live_since: None,
            selected: None,
            selected_item: 0,
            undo: None,
            recall_open: false,
            flashes: HashMap::new(),
            seen: HashMap::new(),
            sound: None,
            error: None,
        }
    }
}

pub enum Action {
    Started {
        start: StartInfo,
        settings: ScreenSettings,
        acknowledged: Vec<Uuid>,
    },
    Paired,
    /// The screen forgot its pairing (to be paired again, perhaps to another restaurant).
    Forgotten,
    Menu(Menu),
    Orders(Vec<Order>),
    Status(SyncStatus),
    Tick(DateTime<Utc>),
    Settings(ScreenSettings),
    OpenSetup,
    Acknowledged(Vec<Uuid>),
    Select(Uuid),
    /// Arrow keys: tickets left / right, lines up / down.
    Move {
        tickets: i32,
        items: i32,
    },
    Bumped(Undo),
    UndoTaken,
    ToggleRecall,
    CloseRecall,
    Play(Sound),
    Error(Option<String>),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut state = (*self).clone();
        match action {
            Action::Started { start, settings, acknowledged } => {
                state.phase = match (start.paired, settings.role) {
                    (false, _) => Phase::Pair,
                    (true, ScreenRole::Unset) => Phase::Setup,
                    (true, _) => Phase::Board,
                };
                state.start = Some(start);
                state.settings = settings;
                state.acknowledged = acknowledged;
            }
            Action::Paired => {
                state.phase = if state.settings.role == ScreenRole::Unset { Phase::Setup } else { Phase::Board };
                state.error = None;
                if let Some(start) = &mut state.start {
                    start.paired = true;
                }
            }
            Action::Forgotten => {
                state.phase = Phase::Pair;
                state.error = None;
                if let Some(start) = &mut state.start {
                    start.paired = false;
                }
            }
            Action::Menu(menu) => state.menu = Some(menu),
            Action::Orders(orders) => state.take_orders(orders),
            Action::Status(status) => {
                if status.pairing_refused() && state.phase != Phase::Loading {
                    state.phase = Phase::Pair;
                    state.error = status.last_error.clone();
                }
                state.status = Some(status);
                state.track_liveness();
            }
            Action::Tick(now) => {
                state.now = now;
                state.flashes.retain(|_, until| *until > now);
                if state.undo.as_ref().is_some_and(|undo| undo.until <= now) {
                    state.undo = None;
                }
                state.track_liveness();
                if state.settings.alarm && !state.settings.muted && state.banner() && now.timestamp() % 10 == 0 {
                    state.play(Sound::Alarm);
                }
            }
            Action::Settings(settings) => {
                state.settings = settings;
                if state.phase == Phase::Setup && state.settings.role != ScreenRole::Unset {
                    state.phase = Phase::Board;
                }
            }
            Action::OpenSetup => state.phase = Phase::Setup,
            Action::Acknowledged(ids) => state.acknowledged = ids,
            Action::Select(id) => {
                if state.selected != Some(id) {
                    state.selected_item = 0;
                }
                state.selected = Some(id);
            }
            Action::Move { tickets, items } => state.move_selection(tickets, items),
            Action::Bumped(undo) => state.undo = Some(undo),
            Action::UndoTaken => state.undo = None,
            Action::ToggleRecall => state.recall_open = !state.recall_open,
            Action::CloseRecall => state.recall_open = false,
            Action::Play(sound) => state.play(sound),
            Action::Error(error) => state.error = error,
        }
        Rc::new(state)
    }
}

impl State {
    fn play(&mut self, sound: Sound) {
        let next = self.sound.map_or(1, |(n, _)| n + 1);
        self.sound = Some((next, sound));
    }

    /// Takes a fresh list of orders: tickets new to this screen flash with a sound, changed ones flash,
    /// a cancellation sounds its own alarm, and on a pickup screen a number turning ready chimes. The
    /// first list after start is the board as it stands: no fanfare.
    fn take_orders(&mut self, orders: Vec<Order>) {
        // Until the device has caught up once, what arrives is the board as it stands (a freshly paired
        // screen's first snapshot), not news.
        let first = !self.loaded_orders || self.status.as_ref().is_none_or(|status| status.last_sync.is_none());
        let mut sound: Option<Sound> = None;
        let flash_until = self.now + Duration::seconds(FLASH_SECONDS);
        for order in &orders {
            if !self.concerns_me(order) {
                continue;
            }
            match self.seen.get(&order.id) {
                _ if first => {}
                None if order.status.is_active() => {
                    self.flashes.insert(order.id, flash_until);
                    sound = sound.or(Some(Sound::NewTicket));
                }
                None => {}
                Some((updated, status)) if *updated != order.updated_at => {
                    self.flashes.insert(order.id, flash_until);
                    if order.status == OrderStatus::Cancelled && *status != OrderStatus::Cancelled {
                        sound = Some(Sound::Cancelled);
                    } else if self.settings.role == ScreenRole::Pickup
                        && order.status == OrderStatus::Ready
                        && *status != OrderStatus::Ready
                    {
                        sound = sound.or(Some(Sound::Ready));
                    }
                }
                Some(_) => {}
            }
        }
        self.seen = orders.iter().map(|order| (order.id, (order.updated_at, order.status))).collect();
        self.orders = orders;
        self.loaded_orders = true;
        if let Some(sound) = sound.filter(|_| !self.settings.muted) {
            self.play(sound);
        }
        // The selection follows its ticket; a ticket that left takes the selection with it.
        if self.selected.is_some_and(|id| !self.tickets().iter().any(|t| t.order.id == id)) {
            self.selected = None;
        }
    }

    /// Whether an order is of interest to this screen's role at all.
    fn concerns_me(&self, order: &Order) -> bool {
        match self.settings.role {
            ScreenRole::Stations => order.items.iter().any(|item| self.shows_station(&item.station)),
            _ => true,
        }
    }

    fn shows_station(&self, station: &str) -> bool {
        self.settings.stations.is_empty() || self.settings.stations.iter().any(|s| s == station)
    }

    pub fn tenant(&self) -> Option<&Tenant> {
        self.menu.as_ref().and_then(|menu| menu.tenant.as_ref())
    }

    /// The kitchen timer thresholds in minutes: the restaurant's, or the defaults before the menu loads.
    pub fn thresholds(&self) -> (i64, i64) {
        self.tenant().map_or(
            (ordera_protocol::api::KitchenTimers::DEFAULT_WARN, ordera_protocol::api::KitchenTimers::DEFAULT_LATE),
            |tenant| (tenant.kitchen_warn_minutes, tenant.kitchen_late_minutes),
        )
    }

    /// The tickets on this screen's board, oldest first: active orders with something for this screen,
    /// then nothing else but cancellations a cook has not acknowledged yet (they stay, in their place).
    pub fn tickets(&self) -> Vec<Ticket<'_>> {
        let mut tickets: Vec<Ticket<'_>> = self.orders.iter().filter_map(|order| self.ticket_of(order)).collect();
        tickets.sort_by_key(|ticket| (ticket.order.placed_at, ticket.order.number));
        tickets
    }

    /// One order's ticket, if it is on this screen's board: what each card draws, found without building
    /// the whole board (a busy board has a card per ticket, each drawn every second for its timer).
    pub fn ticket(&self, order_id: Uuid) -> Option<Ticket<'_>> {
        self.orders.iter().find(|order| order.id == order_id).and_then(|order| self.ticket_of(order))
    }

    fn ticket_of<'a>(&'a self, order: &'a Order) -> Option<Ticket<'a>> {
        let lines: Vec<(usize, &OrderItem)> = order
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| self.settings.role != ScreenRole::Stations || self.shows_station(&item.station))
            .collect();
        if lines.is_empty() {
            return None;
        }
        let cancelled = order.status == OrderStatus::Cancelled;
        let shown = if cancelled {
            let cutoff = self.now - Duration::hours(CANCELLED_SHOWN_HOURS);
            !self.acknowledged.contains(&order.id) && order.cancelled_at.is_some_and(|at| at >= cutoff)
        } else {
            match self.settings.role {
                // A station is done with a ticket once its lines are done.
                ScreenRole::Stations => {
                    matches!(order.status, OrderStatus::Placed | OrderStatus::Preparing)
                        && lines.iter().any(|(_, item)| item.done_at.is_none())
                }
                _ => order.status.is_active(),
            }
        };
        shown.then_some(Ticket { order, lines, cancelled })
    }

    /// The selected ticket's position on the board, if it is there.
    pub fn selected_index(&self) -> Option<usize> {
        let selected = self.selected?;
        self.tickets().iter().position(|ticket| ticket.order.id == selected)
    }

    fn move_selection(&mut self, tickets: i32, items: i32) {
        let board = self.tickets();
        if board.is_empty() {
            return;
        }
        let current = self.selected_index();
        let index = match current {
            None => 0,
            Some(index) => (index as i32 + tickets).clamp(0, board.len() as i32 - 1) as usize,
        };
        let ticket = &board[index];
        let id = ticket.order.id;
        let lines = ticket.lines.len();
        let item = if current == Some(index) {
            (self.selected_item as i32 + items).clamp(0, lines as i32 - 1) as usize
        } else {
            0
        };
        self.selected = Some(id);
        self.selected_item = item;
    }

    /// Whether the screen is live, from the engine's status and the clock.
    pub fn liveness(&self) -> Liveness {
        liveness(self.status.as_ref(), self.now)
    }

    fn track_liveness(&mut self) {
        if self.liveness() == Liveness::Live || self.status.is_none() {
            self.not_live_since = None;
        } else if self.not_live_since.is_none() {
            self.not_live_since = Some(self.now);
        }
    }

    /// Whether the whole board must say it cannot be trusted.
    pub fn banner(&self) -> bool {
        self.not_live_since.is_some_and(|since| self.now - since >= Duration::seconds(BANNER_AFTER_SECONDS))
    }

    /// Completed orders of the last hours, most recently completed first: what a cook may bring back.
    pub fn recall_list(&self) -> Vec<&Order> {
        let cutoff = self.now - Duration::hours(RECALL_HOURS);
        let mut list: Vec<&Order> = self
            .orders
            .iter()
            .filter(|order| order.status == OrderStatus::Completed)
            .filter(|order| order.completed_at.is_some_and(|at| at >= cutoff))
            .filter(|order| self.concerns_me(order))
            .collect();
        list.sort_by_key(|order| std::cmp::Reverse(order.completed_at));
        list
    }
}

/// One ticket on the board: the order and the lines this screen shows (with their positions in the order).
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket<'a> {
    pub order: &'a Order,
    pub lines: Vec<(usize, &'a OrderItem)>,
    pub cancelled: bool,
}

/// How urgent a ticket's age is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    Fresh,
    Warning,
    Late,
}

impl Age {
    pub fn class(self) -> &'static str {
        match self {
            Age::Fresh => "age-fresh",
            Age::Warning => "age-warning",
            Age::Late => "age-late",
        }
    }
}

/// A ticket's urgency: warning from `warn` minutes, late from `late` minutes.
pub fn age(placed_at: DateTime<Utc>, now: DateTime<Utc>, (warn, late): (i64, i64)) -> Age {
    let minutes = (now - placed_at).num_seconds() / 60;
    if minutes >= late {
        Age::Late
    } else if minutes >= warn {
        Age::Warning
    } else {
        Age::Fresh
    }
}

/// "4:07": minutes and seconds since `since`, hours when it gets long.
pub fn elapsed(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - since).num_seconds().max(0);
    if seconds >= 3600 {
        format!("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60)
    } else {
        format!("{}:{:02}", seconds / 60, seconds % 60)
    }
}

/// Total portions of each dish still to make across the tickets (cancelled tickets and done lines left
/// out), most first, then by name.
pub fn all_day(tickets: &[Ticket<'_>]) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for ticket in tickets.iter().filter(|ticket| !ticket.cancelled) {
        for (_, item) in ticket.lines.iter().filter(|(_, item)| item.done_at.is_none()) {
            *counts.entry(item.name.as_str()).or_default() += item.quantity;
        }
    }
    let mut counts: Vec<(String, i64)> = counts.into_iter().map(|(name, n)| (name.to_owned(), n)).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

/// Each station of an order with how many of its lines are done, by station name.
pub fn station_progress(order: &Order) -> Vec<(String, usize, usize)> {
    let mut stations: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for item in &order.items {
        let entry = stations.entry(item.station.as_str()).or_default();
        entry.1 += 1;
        if item.done_at.is_some() {
            entry.0 += 1;
        }
    }
    stations.into_iter().map(|(station, (done, total))| (station.to_owned(), done, total)).collect()
}

/// The stations the menu routes dishes to, for the role picker.
pub fn stations(menu: Option<&Menu>) -> Vec<String> {
    let mut stations: Vec<String> =
        menu.map(|menu| menu.products.iter().map(|p| p.station.clone()).collect()).unwrap_or_default();
    stations.sort();
    stations.dedup();
    stations.retain(|s| !s.is_empty());
    stations
}

/// What bumping a ticket sends, with how to undo it, for a screen of `role`. A station marks its own lines
/// done (undo: take the marks back); expo and pickup move the ticket on: placed → preparing (undo: requeue),
/// preparing → every line done (which makes it ready; undo: take those marks back), ready → completed (undo:
/// recall).
pub fn bump(ticket: &Ticket<'_>, role: ScreenRole) -> Option<(KitchenCommand, Option<KitchenCommand>, String)> {
    let order = ticket.order;
    let order_id = order.id;
    if ticket.cancelled {
        return None;
    }
    let undone = |lines: &[(usize, &OrderItem)]| -> Vec<usize> {
        lines.iter().filter(|(_, item)| item.done_at.is_none()).map(|(index, _)| *index).collect()
    };
    if role == ScreenRole::Stations {
        let items = undone(&ticket.lines);
        if items.is_empty() {
            return None;
        }
        let undo = KitchenCommand::Mark { order_id, items: items.clone(), done: false };
        return Some((KitchenCommand::Mark { order_id, items, done: true }, Some(undo), "done".into()));
    }
    let all: Vec<(usize, &OrderItem)> = order.items.iter().enumerate().collect();
    match order.status {
        OrderStatus::Placed => Some((
            KitchenCommand::Status { order_id, action: StatusAction::Start },
            Some(KitchenCommand::Status { order_id, action: StatusAction::Requeue }),
            "started".into(),
        )),
        OrderStatus::Preparing => {
            let items = undone(&all);
            if items.is_empty() {
                return Some((KitchenCommand::Status { order_id, action: StatusAction::Ready }, None, "ready".into()));
            }
            let undo = KitchenCommand::Mark { order_id, items: items.clone(), done: false };
            Some((KitchenCommand::Mark { order_id, items, done: true }, Some(undo), "ready".into()))
        }
        OrderStatus::Ready => Some((
            KitchenCommand::Status { order_id, action: StatusAction::Complete },
            Some(KitchenCommand::Status { order_id, action: StatusAction::Recall }),
            "served".into(),
        )),
        OrderStatus::Completed | OrderStatus::Cancelled => None,
    }
}

/// What the bump bar's keys mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// 1–9: the ticket with that number on its card.
    Select(usize),
    Bump,
    Undo,
    Recall,
    Move {
        tickets: i32,
        items: i32,
    },
    /// Space: the selected line done (or not done again).
    ItemDone,
    Close,
}

pub fn key(name: &str) -> Option<Key> {
    Some(match name {
        "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" => Key::Select(name.parse::<usize>().ok()? - 1),
        "Enter" => Key::Bump,
        "u" | "U" => Key::Undo,
        "r" | "R" => Key::Recall,
        "ArrowLeft" => Key::Move { tickets: -1, items: 0 },
        "ArrowRight" => Key::Move { tickets: 1, items: 0 },
        "ArrowUp" => Key::Move { tickets: 0, items: -1 },
        "ArrowDown" => Key::Move { tickets: 0, items: 1 },
        " " | "Spacebar" => Key::ItemDone,
        "Escape" => Key::Close,
        _ => return None,
    })
}

/// Whether a screen showing `status` at `now` can call itself live.
pub fn liveness(status: Option<&SyncStatus>, now: DateTime<Utc>) -> Liveness {
    let Some(status) = status else { return Liveness::CatchingUp };
    let silent = status.last_heard.is_none_or(|at| now - at > Duration::seconds(SILENT_AFTER_SECONDS));
    match status.connection {
        ConnectionState::Online if silent => Liveness::Silent { since: status.last_heard },
        ConnectionState::Online if status.position < status.head => Liveness::CatchingUp,
        ConnectionState::Online => Liveness::Live,
        ConnectionState::Connecting if status.last_sync.is_none() => Liveness::CatchingUp,
        ConnectionState::Connecting | ConnectionState::Offline | ConnectionState::Unpaired => {
            Liveness::Offline { since: status.last_heard.or(status.last_sync) }
        }
    }
}

/// How many changes of the restaurant's log a screen that is catching up still has to apply, when it
/// knows: the server told it the head, and it knows where it is. Offline, nobody can count what was missed.
pub fn changes_to_go(status: Option<&SyncStatus>) -> Option<i64> {
    let status = status?;
    let to_go = status.head? - status.position?;
    (to_go > 0).then_some(to_go)
}

/// The pickup screen's two columns of ticket numbers, each in the order the orders were placed.
pub fn pickup(orders: &[Order]) -> (Vec<i64>, Vec<i64>) {
    let mut orders: Vec<&Order> = orders.iter().collect();
    orders.sort_by_key(|order| (order.placed_at, order.number));
    let numbers = |wanted: &[OrderStatus]| -> Vec<i64> {
        orders.iter().filter(|order| wanted.contains(&order.status)).map(|order| order.number).collect()
    };
    (numbers(&[OrderStatus::Placed, OrderStatus::Preparing]), numbers(&[OrderStatus::Ready]))
}

#[cfg(test)]
mod tests;
