//! The kiosk's screens, one a file: pair → attract → menu (with the product sheet and the cart) → review
//! → confirmation, and over them the staff panel. Each draws the store and dispatches actions; the shell is the hooks' business.

mod attract;
mod confirmation;
mod menu;
mod pair;
mod product_sheet;
mod review;
mod staff;

pub use attract::Attract;
pub use confirmation::Confirmation;
pub use menu::Menu;
pub use pair::Pair;
pub use review::Review;
pub use staff::{StaffCorner, StaffPanel};

use uuid::Uuid;
use yew::prelude::*;

use crate::state::State;

#[derive(Properties, PartialEq)]
pub struct ScreenProps {
    pub state: UseReducerHandle<State>,
}

/// A product photo, served by the shell from the engine's on-disk cache so that photos show offline too.
fn image_url(id: Uuid, thumb: bool) -> String {
    format!("ordera-image://localhost/{id}{}", if thumb { "?thumb" } else { "" })
}
