//! The cart: the customer's lines, eat in or take away, and the id the order from it will carry. Every
//! change goes through here and forgets the id, so a changed cart is never placed under the id of the one
//! reviewed before it, while an unchanged one keeps its id however often it is placed.

use ordera_protocol::api::Product;
use ordera_protocol::device::Menu;
use ordera_protocol::ipc::PlaceOrderArgs;
use ordera_protocol::orders::{OrderLineRequest, MAX_QUANTITY};
use ordera_protocol::{Money, OrderType};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct CartLine {
    pub product: Product,
    pub quantity: i64,
    pub note: String,
}

impl CartLine {
    pub fn total(&self) -> Money {
        Money(self.product.price.0 * self.quantity)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cart {
    lines: Vec<CartLine>,
    order_type: OrderType,
    /// Made when the customer first reviews the cart (UUIDv7, from the action that reviews it).
    order_id: Option<Uuid>,
}

impl Default for Cart {
    fn default() -> Self {
        Self { lines: Vec::new(), order_type: OrderType::DineIn, order_id: None }
    }
}

impl Cart {
    pub fn lines(&self) -> &[CartLine] {
        &self.lines
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn order_type(&self) -> OrderType {
        self.order_type
    }

    #[cfg(test)]
    pub fn order_id(&self) -> Option<Uuid> {
        self.order_id
    }

    pub fn total(&self) -> Money {
        Money(self.lines.iter().map(|line| line.total().0).sum())
    }

    /// The cart's order id, taking `fresh` if it has none yet.
    pub fn keep_id(&mut self, fresh: Uuid) -> Uuid {
        *self.order_id.get_or_insert(fresh)
    }

    /// What placing the cart sends; `fresh` is its id if it has none yet.
    pub fn order(&mut self, fresh: Uuid) -> PlaceOrderArgs {
        let id = self.keep_id(fresh);
        let lines = self
            .lines
            .iter()
            .map(|line| OrderLineRequest {
                product_id: line.product.id,
                quantity: line.quantity,
                note: (!line.note.is_empty()).then(|| line.note.clone()),
            })
            .collect();
        PlaceOrderArgs { id, order_type: self.order_type, lines }
    }

    /// The same dish with the same note adds up on one line, up to the most a line may hold.
    pub fn add(&mut self, product: Product, quantity: i64, note: String) {
        match self.lines.iter_mut().find(|l| l.product.id == product.id && l.note == note) {
            Some(line) => line.quantity = (line.quantity + quantity).min(MAX_QUANTITY),
            None => self.lines.push(CartLine { product, quantity, note }),
        }
        self.order_id = None;
    }

    pub fn set_quantity(&mut self, index: usize, quantity: i64) {
        if let Some(line) = self.lines.get_mut(index) {
            line.quantity = quantity.clamp(1, MAX_QUANTITY);
            self.order_id = None;
        }
    }

    pub fn remove(&mut self, index: usize) {
        if index < self.lines.len() {
            self.lines.remove(index);
            self.order_id = None;
        }
    }

    pub fn set_order_type(&mut self, order_type: OrderType) {
        if self.order_type != order_type {
            self.order_type = order_type;
            self.order_id = None;
        }
    }

    /// Empty again, eating in, for the next customer.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Follows a new menu: new prices, and dishes no longer orderable taken out. Returns their names.
    pub fn follow_menu(&mut self, menu: &Menu) -> Vec<String> {
        let mut gone = Vec::new();
        self.lines.retain_mut(|line| match menu.products.iter().find(|p| p.id == line.product.id) {
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
            self.order_id = None;
        }
        gone
    }
}
