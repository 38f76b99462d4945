//! Orders: what a kiosk sends, what the kitchen works, and the status state machine every screen and the
//! server share.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validate::{FieldErrors, ValidationError};
use crate::{Money, OrderStatus, OrderType};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The most lines and portions one order may hold: a kiosk order, not a catering quote.
pub const MAX_LINES: usize = 50;
pub const MAX_QUANTITY: i64 = 99;
pub const MAX_NOTE_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrderItem {
    pub product_id: Uuid,
    /// The product's name when ordered: later menu changes do not rewrite history.
    pub name: String,
    /// The price of one, when ordered.
    pub unit_price: Money,
    pub quantity: i64,
    pub note: String,
    /// The kitchen station this line goes to.
    pub station: String,
    /// When a cook marked this line done (item done on a station screen); `None` while it is being made.
    /// Absent in orders stored before kitchens marked lines, which reads as not done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<DateTime<Utc>>,
}

impl OrderItem {
    pub fn line_total(&self) -> Money {
        Money(self.unit_price.0 * self.quantity)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Order {
    /// Made on the device that took the order; the key that makes re-sending it harmless.
    pub id: Uuid,
    /// The ticket number, restarting at 1 each day in the restaurant's time zone.
    pub number: i64,
    /// The restaurant's day the number belongs to.
    pub business_date: NaiveDate,
    pub order_type: OrderType,
    pub status: OrderStatus,
    pub items: Vec<OrderItem>,
    pub total: Money,
    pub note: String,
    /// The device that placed it (kiosk), if any.
    pub device_id: Option<Uuid>,
    pub placed_at: DateTime<Utc>,
    pub preparing_at: Option<DateTime<Utc>>,
    pub ready_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// Each move through the kitchen, oldest first: which state, when, and who (a screen or a person).
    /// Empty for orders stored before it was kept.
    #[serde(default)]
    pub history: Vec<StatusStep>,
}

/// One move of an order through the kitchen, for the recall list and the admin's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StatusStep {
    pub status: OrderStatus,
    pub at: DateTime<Utc>,
    /// The device that made the move, if a device did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<Uuid>,
    /// The screen's or the person's name at the time ("Grill screen", "Ana").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl Order {
    /// Whether every line has been marked done.
    pub fn all_items_done(&self) -> bool {
        !self.items.is_empty() && self.items.iter().all(|item| item.done_at.is_some())
    }

    /// The latest move to `status`, if any: who recalled it, who bumped it off the pass.
    pub fn last_step(&self, status: OrderStatus) -> Option<&StatusStep> {
        self.history.iter().rev().find(|step| step.status == status)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrderLineRequest {
    pub product_id: Uuid,
    pub quantity: i64,
    #[serde(default)]
    pub note: Option<String>,
}

/// A new order. `id` is made by the device (UUIDv7) before the first attempt and kept across every retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PlaceOrderRequest {
    pub id: Uuid,
    pub order_type: OrderType,
    pub items: Vec<OrderLineRequest>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub id: Uuid,
    pub order_type: OrderType,
    pub lines: Vec<NewOrderLine>,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct NewOrderLine {
    pub product_id: Uuid,
    pub quantity: i64,
    pub note: String,
}

fn note(value: Option<&str>) -> Result<String, ValidationError> {
    let trimmed = value.unwrap_or("").trim();
    if trimmed.chars().count() > MAX_NOTE_CHARS {
        return Err(ValidationError::new(format!("note must be at most {MAX_NOTE_CHARS} characters")));
    }
    if !trimmed.chars().all(crate::validate::is_free_text_char) {
        return Err(ValidationError::new("note must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

impl PlaceOrderRequest {
    pub fn validate(&self) -> Result<NewOrder, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.items.is_empty() {
            errors.add("items", "an order needs at least one item");
        }
        if self.items.len() > MAX_LINES {
            errors.add("items", format!("an order may have at most {MAX_LINES} lines"));
        }
        let mut lines = Vec::with_capacity(self.items.len());
        for (index, item) in self.items.iter().enumerate() {
            if !(1..=MAX_QUANTITY).contains(&item.quantity) {
                errors
                    .add(&format!("items[{index}].quantity"), format!("quantity must be between 1 and {MAX_QUANTITY}"));
            }
            if let Some(note) = errors.check(&format!("items[{index}].note"), note(item.note.as_deref())) {
                lines.push(NewOrderLine { product_id: item.product_id, quantity: item.quantity, note });
            }
        }
        let order_note = errors.check("note", note(self.note.as_deref()));
        match order_note {
            Some(note) if errors.is_empty() => Ok(NewOrder { id: self.id, order_type: self.order_type, lines, note }),
            _ => Err(errors),
        }
    }
    /// What can be kept of an order refused for its content, so staff see it among the refused orders: at
    /// most [`MAX_LINES`] lines, and notes kept to their printable characters, cut at [`MAX_NOTE_CHARS`].
    pub fn as_refused(&self) -> NewOrder {
        let printable = |text: Option<&str>| -> String {
            let kept = text.unwrap_or("").chars().filter(|c| crate::validate::is_free_text_char(*c));
            kept.take(MAX_NOTE_CHARS).collect::<String>().trim().to_owned()
        };
        let lines = self
            .items
            .iter()
            .take(MAX_LINES)
            .map(|item| NewOrderLine {
                product_id: item.product_id,
                quantity: item.quantity,
                note: printable(item.note.as_deref()),
            })
            .collect();
        NewOrder { id: self.id, order_type: self.order_type, lines, note: printable(self.note.as_deref()) }
    }
}

/// What a screen asks of an order. Actions name where the order should go, not where it was, so two
/// screens bumping the same ticket, or one bump sent twice, end in the same state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatusAction {
    /// The kitchen starts it (→ preparing).
    Start,
    /// It is on the pass (→ ready).
    Ready,
    /// Handed over (→ completed).
    Complete,
    /// Called off before it is ready (→ cancelled); its stock is returned.
    Cancel,
    /// Brought back from completed to ready (a customer came back, it was handed out by mistake).
    Recall,
    /// Taken back from preparing to placed: the kitchen's undo of a start bumped by mistake.
    Requeue,
}

/// The outcome of applying an action to an order's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    To(OrderStatus),
    /// Already there, or past it: a repeated or stale action, which changes nothing.
    Unchanged,
    /// Not possible from here, for a reason a person should see.
    Rejected(&'static str),
}

impl OrderStatus {
    /// Progress through the kitchen; cancelled stands outside it.
    pub fn rank(self) -> u8 {
        match self {
            OrderStatus::Placed => 0,
            OrderStatus::Preparing => 1,
            OrderStatus::Ready => 2,
            OrderStatus::Completed => 3,
            OrderStatus::Cancelled => 4,
        }
    }

    /// Still on the kitchen's screens.
    pub fn is_active(self) -> bool {
        matches!(self, OrderStatus::Placed | OrderStatus::Preparing | OrderStatus::Ready)
    }

    pub fn apply(self, action: StatusAction) -> Transition {
        use OrderStatus::*;
        let forward = |target: OrderStatus| match self {
            Cancelled => Transition::Unchanged,
            current if target.rank() <= current.rank() => Transition::Unchanged,
            _ => Transition::To(target),
        };
        match action {
            StatusAction::Start => forward(Preparing),
            StatusAction::Ready => forward(Ready),
            StatusAction::Complete => forward(Completed),
            StatusAction::Cancel => match self {
                Placed | Preparing => Transition::To(Cancelled),
                Cancelled => Transition::Unchanged,
                Ready | Completed => Transition::Rejected("the order is already ready and can no longer be cancelled"),
            },
            StatusAction::Recall => match self {
                Completed => Transition::To(Ready),
                Placed | Preparing | Ready => Transition::Unchanged,
                Cancelled => Transition::Rejected("a cancelled order cannot be recalled"),
            },
            StatusAction::Requeue => match self {
                Preparing => Transition::To(Placed),
                Placed => Transition::Unchanged,
                // Past preparing, the undo of a start comes too late: the ticket moved on since.
                Ready | Completed | Cancelled => Transition::Unchanged,
            },
        }
    }
}

/// What marking lines does to an order, by the one rule the server applies and every screen shows while
/// its marks are queued: the first line done starts a placed order, every line done makes it ready, and a
/// mark taken back on a ready order puts it back to preparing. Positions past the order's lines are left
/// out (the server refuses them before this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marked {
    /// Whether any line changed (marking a done line done again does not).
    pub changed: bool,
    /// The status the order moves to, if it moves.
    pub next: Option<OrderStatus>,
}

pub fn mark_lines(
    status: OrderStatus,
    lines: &mut [OrderItem],
    items: &[usize],
    done: bool,
    at: DateTime<Utc>,
) -> Marked {
    let mut changed = false;
    for &index in items {
        if let Some(line) = lines.get_mut(index) {
            if line.done_at.is_some() != done {
                line.done_at = done.then_some(at);
                changed = true;
            }
        }
    }
    let all_done = lines.iter().all(|line| line.done_at.is_some());
    let next = match status {
        status if !status.is_active() => None,
        status if all_done && status.rank() < OrderStatus::Ready.rank() => Some(OrderStatus::Ready),
        OrderStatus::Placed if changed && done => Some(OrderStatus::Preparing),
        OrderStatus::Ready if changed && !done => Some(OrderStatus::Preparing),
        _ => None,
    };
    Marked { changed, next }
}

/// A status change, sent over HTTP or the socket. `command_id` is made once by the device; a repeat of
/// it gets the recorded result back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StatusChangeRequest {
    pub command_id: Uuid,
    pub action: StatusAction,
    /// Why, for a cancellation (required there).
    #[serde(default)]
    pub reason: Option<String>,
}

impl StatusChangeRequest {
    /// The cancellation reason, checked; `None` for other actions.
    pub fn validate(&self) -> Result<Option<String>, FieldErrors> {
        if self.action != StatusAction::Cancel {
            return Ok(None);
        }
        match note(self.reason.as_deref()) {
            Ok(reason) if !reason.is_empty() => Ok(Some(reason)),
            Ok(_) => Err(FieldErrors::single("reason", "say why the order is cancelled")),
            Err(error) => Err(FieldErrors::single("reason", error.0)),
        }
    }
}

/// Marks lines of an order done (or not done again, to undo), by their positions in `Order::items`.
/// Marking a line that is already in that state changes nothing; when every line is done the order is
/// ready. `command_id` is made once by the device, as for status changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ItemsDoneRequest {
    pub command_id: Uuid,
    /// Positions in the order's `items`, from 0.
    pub items: Vec<usize>,
    /// `true` marks them done, `false` takes the mark back.
    #[serde(default = "yes")]
    pub done: bool,
}

fn yes() -> bool {
    true
}

impl ItemsDoneRequest {
    /// The positions, checked against the most lines an order may have; sorted and without repeats.
    pub fn validate(&self) -> Result<Vec<usize>, FieldErrors> {
        if self.items.is_empty() {
            return Err(FieldErrors::single("items", "name at least one line"));
        }
        if let Some(bad) = self.items.iter().find(|&&index| index >= MAX_LINES) {
            return Err(FieldErrors::single("items", format!("line {bad} does not exist")));
        }
        let mut items = self.items.clone();
        items.sort_unstable();
        items.dedup();
        Ok(items)
    }
}

/// What became of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It changed something.
    Applied,
    /// It had already been applied (a retry) or was stale: nothing changed; `order` is the current state.
    Unchanged,
    /// It was refused for good (`reason` says why); retrying will not help.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CommandResult {
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl CommandResult {
    pub fn applied(order: Order) -> Self {
        Self { outcome: Outcome::Applied, order: Some(order), reason: None }
    }

    pub fn unchanged(order: Order) -> Self {
        Self { outcome: Outcome::Unchanged, order: Some(order), reason: None }
    }

    pub fn rejected(reason: impl Into<String>, order: Option<Order>) -> Self {
        Self { outcome: Outcome::Rejected, order, reason: Some(reason.into()) }
    }
}

/// The short reference a customer is given for an order the device saved before the server numbered it
/// ("3F9A2C"), and by which staff find it: the last six hex digits of the order's id, which are random in a
/// UUIDv7, so two orders of one day practically never share one.
pub fn short_reference(order_id: Uuid) -> String {
    let hex = order_id.simple().to_string();
    hex[hex.len() - 6..].to_uppercase()
}

/// An order a device took and saved, that the server later refused for good (a dish sold out meanwhile, a
/// product taken off the menu). The customer may be waiting with the device's reference, so staff see it
/// and settle it by hand; `resolved_at` says when someone did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RefusedOrder {
    /// The order's id as the device made it.
    pub id: Uuid,
    pub device_id: Option<Uuid>,
    /// The device's name when it was refused ("Kiosk by the door").
    pub device_name: Option<String>,
    pub reason: String,
    pub order_type: OrderType,
    pub items: Vec<RefusedItem>,
    pub note: String,
    /// When the server refused it: usually when the device came back online.
    pub refused_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RefusedItem {
    pub product_id: Uuid,
    /// The product's name, when it was still on the menu.
    pub name: Option<String>,
    pub quantity: i64,
    pub note: String,
}

/// Which refused orders `GET /orders/refused` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RefusedQuery {
    /// Also those already settled (newest first, at most 200); by default only the open ones.
    #[serde(default)]
    pub all: bool,
}

/// History filters, as query parameters of `GET /orders` and `GET /orders/export.csv`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct OrderQuery {
    /// First business day, inclusive (YYYY-MM-DD).
    pub from: Option<NaiveDate>,
    /// Last business day, inclusive (YYYY-MM-DD).
    pub to: Option<NaiveDate>,
    pub status: Option<OrderStatus>,
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", param(rename = "type"))]
    pub order_type: Option<OrderType>,
    /// A ticket number.
    pub number: Option<i64>,
    /// Words from an item's name or note.
    pub q: Option<String>,
    /// 1-based; default 1.
    pub page: Option<i64>,
    /// Default 50, at most 200.
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrderPage {
    pub orders: Vec<Order>,
    /// Orders matching the filters, over all pages.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A date range for reports, in the restaurant's days; both default to today.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ReportQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// For top products: how many (default 10, at most 100).
    pub limit: Option<i64>,
}

/// Takings and kitchen speed over a range of days; cancelled orders count only in `cancelled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReportSummary {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub currency: String,
    pub revenue: Money,
    pub orders: i64,
    pub average_ticket: Money,
    /// Mean seconds from placed to ready, over orders that reached ready.
    pub average_prep_seconds: Option<i64>,
    pub cancelled: i64,
    /// What the figures were computed from: every change up to this position of the restaurant's log.
    /// Absent from servers before it was reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOf>,
}

/// The moment a figure is "as of": the restaurant's log position its orders were read at, and when. A
/// device whose cursor is at or past `seq` has seen every order the figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AsOf {
    pub seq: i64,
    pub at: DateTime<Utc>,
}

/// Orders and revenue in one hour of the restaurant's local day (0–23), summed over the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HourlyBucket {
    pub hour: u32,
    pub orders: i64,
    pub revenue: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TopProduct {
    pub product_id: Uuid,
    pub name: String,
    pub quantity: i64,
    pub revenue: Money,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn action() -> impl Strategy<Value = StatusAction> {
        prop_oneof![
            Just(StatusAction::Start),
            Just(StatusAction::Ready),
            Just(StatusAction::Complete),
            Just(StatusAction::Cancel),
            Just(StatusAction::Recall),
            Just(StatusAction::Requeue),
        ]
    }

    fn run(mut status: OrderStatus, actions: &[StatusAction]) -> OrderStatus {
        for action in actions {
            if let Transition::To(next) = status.apply(*action) {
                status = next;
            }
        }
        status
    }

    #[test]
    fn the_kitchen_path_and_its_exits() {
        use OrderStatus::*;
        assert_eq!(Placed.apply(StatusAction::Start), Transition::To(Preparing));
        assert_eq!(Placed.apply(StatusAction::Ready), Transition::To(Ready), "a bump may skip preparing");
        assert_eq!(Ready.apply(StatusAction::Start), Transition::Unchanged, "stale");
        assert_eq!(Completed.apply(StatusAction::Recall), Transition::To(Ready));
        assert!(matches!(Ready.apply(StatusAction::Cancel), Transition::Rejected(_)));
        assert_eq!(Cancelled.apply(StatusAction::Complete), Transition::Unchanged);
        assert!(matches!(Cancelled.apply(StatusAction::Recall), Transition::Rejected(_)));
        assert_eq!(Preparing.apply(StatusAction::Requeue), Transition::To(Placed), "a start undone");
        assert_eq!(Ready.apply(StatusAction::Requeue), Transition::Unchanged, "too late: it moved on");
    }

    fn line(done: bool) -> OrderItem {
        OrderItem {
            product_id: Uuid::nil(),
            name: "Fries".into(),
            unit_price: Money(350),
            quantity: 1,
            note: String::new(),
            station: "fry".into(),
            done_at: done.then(Utc::now),
        }
    }

    #[test]
    fn lines_marked_done_move_the_order_along() {
        use OrderStatus::*;
        let at = Utc::now();
        let mut lines = vec![line(false), line(false)];
        assert_eq!(mark_lines(Placed, &mut lines, &[0], true, at), Marked { changed: true, next: Some(Preparing) });
        assert_eq!(lines[0].done_at, Some(at));
        assert_eq!(mark_lines(Preparing, &mut lines, &[0], true, at), Marked { changed: false, next: None }, "again");
        assert_eq!(mark_lines(Preparing, &mut lines, &[1, 7], true, at), Marked { changed: true, next: Some(Ready) });
        assert_eq!(mark_lines(Ready, &mut lines, &[1], false, at), Marked { changed: true, next: Some(Preparing) });
        assert_eq!(lines[1].done_at, None, "the mark is taken back");
        let mut all_done = vec![line(true)];
        assert_eq!(mark_lines(Placed, &mut all_done, &[0], true, at).next, Some(Ready), "a stale placed order");
        assert_eq!(mark_lines(Completed, &mut lines, &[1], true, at).next, None, "no longer in the kitchen");
    }

    #[test]
    fn a_cancellation_needs_a_reason() {
        let cancel = StatusChangeRequest { command_id: Uuid::nil(), action: StatusAction::Cancel, reason: None };
        assert!(cancel.validate().is_err());
        let with_reason = StatusChangeRequest { reason: Some(" customer left ".into()), ..cancel };
        assert_eq!(with_reason.validate().unwrap().as_deref(), Some("customer left"));
    }

    #[test]
    fn an_order_needs_items_within_limits() {
        let request = PlaceOrderRequest {
            id: Uuid::nil(),
            order_type: OrderType::DineIn,
            items: vec![OrderLineRequest { product_id: Uuid::nil(), quantity: 0, note: Some("x".repeat(300)) }],
            note: None,
        };
        let errors = request.validate().unwrap_err();
        assert!(errors.0.contains_key("items[0].quantity") && errors.0.contains_key("items[0].note"), "{errors:?}");
        let empty = PlaceOrderRequest { items: vec![], ..request };
        assert!(empty.validate().unwrap_err().0.contains_key("items"));
    }

    proptest! {
        /// Any action sent twice in a row (a retry, a double tap, a second screen) changes nothing the
        /// second time.
        #[test]
        fn a_repeated_action_is_a_no_op(start in 0usize..5, actions in proptest::collection::vec(action(), 0..20), last in action()) {
            let status = run(OrderStatus::ALL[start], &actions);
            let once = run(status, &[last]);
            prop_assert_eq!(run(once, &[last]), once);
        }

        /// Without recall or requeue, an order only ever moves forward, and once cancelled it stays
        /// cancelled.
        #[test]
        fn status_never_goes_back_except_by_recall_or_requeue(actions in proptest::collection::vec(action(), 0..30)) {
            let mut status = OrderStatus::Placed;
            for action in actions {
                let before = status;
                if let Transition::To(next) = status.apply(action) {
                    status = next;
                }
                if !matches!(action, StatusAction::Recall | StatusAction::Requeue) {
                    prop_assert!(status.rank() >= before.rank());
                }
                if before == OrderStatus::Cancelled {
                    prop_assert_eq!(status, OrderStatus::Cancelled);
                }
            }
        }

        /// Several screens act on their own, possibly stale, copies; the server applies their actions in
        /// any interleaving, with duplicates, and broadcasts each change with a sequence number. Screens
        /// that apply broadcasts in sequence order, dropping old or repeated ones, all end in the
        /// server's state, whatever order the broadcasts arrive in.
        #[test]
        fn screens_converge_on_the_server_state(
            plans in proptest::collection::vec(proptest::collection::vec(action(), 1..8), 2..5),
            interleaving in proptest::collection::vec(0usize..5, 0..60),
            delivery_seed in any::<u64>(),
        ) {
            let mut server = OrderStatus::Placed;
            let mut log: Vec<(u64, OrderStatus)> = Vec::new();
            let mut cursors = vec![0usize; plans.len()];
            for pick in interleaving.iter().chain(std::iter::repeat_n(&0, 60)) {
                let screen = pick % plans.len();
                let screen = (screen..screen + plans.len()).map(|s| s % plans.len()).find(|s| cursors[*s] < plans[*s].len());
                let Some(screen) = screen else { break };
                let action = plans[screen][cursors[screen]];
                // Duplicates: every third pick re-sends instead of advancing.
                if (pick + cursors[screen]) % 3 != 0 {
                    cursors[screen] += 1;
                }
                if let Transition::To(next) = server.apply(action) {
                    server = next;
                    log.push((log.len() as u64 + 1, next));
                }
            }
            for (screen, _) in plans.iter().enumerate() {
                let mut deliveries = log.clone();
                deliveries.extend(log.iter().copied());
                let mut state = (0u64, OrderStatus::Placed);
                // A deterministic shuffle per screen; then the screen fills gaps by cursor.
                let mut seed = delivery_seed ^ (screen as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                for i in (1..deliveries.len()).rev() {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    deliveries.swap(i, (seed >> 33) as usize % (i + 1));
                }
                let mut pending: std::collections::BTreeMap<u64, OrderStatus> = Default::default();
                for (seq, status) in deliveries {
                    if seq > state.0 {
                        pending.insert(seq, status);
                    }
                    while let Some(status) = pending.remove(&(state.0 + 1)) {
                        state = (state.0 + 1, status);
                    }
                }
                prop_assert_eq!(state.1, server);
            }
        }
    }
}
