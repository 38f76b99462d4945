//! The hooks that connect the store to the shell and the browser: loading and following the engine,
//! the one-second clock, the bump bar, and the sounds the store asks for.

mod bump_bar;
mod engine;

pub use bump_bar::use_bump_bar;
pub use engine::{reload_orders, use_engine};

use yew::prelude::*;

use crate::state::State;

/// Plays each sound the store asks for, once, at the screen's volume.
#[hook]
pub fn use_sounds(state: &UseReducerHandle<State>) {
    let sound = state.sound;
    let volume = state.settings.volume;
    use_effect_with(sound, move |sound| {
        if let Some((_, sound)) = sound {
            crate::sound::play(*sound, volume);
        }
    });
}
