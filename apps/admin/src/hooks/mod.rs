//! The admin app's hooks: everything that talks to the shell, so screens only draw the store and dispatch
//! actions.

mod use_engine;
mod use_resolve;

pub use use_engine::{refresh, use_engine};
pub use use_resolve::use_resolve;
