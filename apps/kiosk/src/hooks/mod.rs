//! The kiosk's hooks: everything that talks to the shell or keeps time, so screens only draw the store and
//! dispatch actions.

mod use_engine;
mod use_idle;
mod use_place_order;
mod use_ticket_number;

pub use use_engine::{refresh, use_engine};
pub use use_idle::use_idle;
pub use use_place_order::use_place_order;
pub use use_ticket_number::use_ticket_number;
