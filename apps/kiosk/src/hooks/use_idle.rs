//! The idle reset: a kiosk left with an order on it clears it and returns to the attract screen. Any touch
//! or key restarts the clock; in the last seconds the screen asks "still there?" first.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::state::{Action, State};

/// The shortest idle reset honoured: enough for the "still there?" question to be read and answered.
const MIN_IDLE_SECONDS: u32 = 6;

/// What a second without a touch means.
#[derive(Debug, PartialEq, Eq)]
enum Tick {
    /// Seconds left, when it is time to ask "still there?".
    Wait(Option<u32>),
    Reset,
}

/// After `idle_for` seconds without a touch, of `idle_seconds` allowed: the last third of the wait (3 to 15
/// seconds) asks first.
fn tick(idle_seconds: u32, idle_for: u32) -> Tick {
    let idle = idle_seconds.max(MIN_IDLE_SECONDS);
    let ask = (idle / 3).clamp(3, 15);
    if idle_for >= idle {
        return Tick::Reset;
    }
    let left = idle - idle_for;
    Tick::Wait((left <= ask).then_some(left))
}

/// Runs the idle clock while a customer is somewhere in an order; returns what a touch calls.
#[hook]
pub fn use_idle(state: &UseReducerHandle<State>) -> Callback<()> {
    let idle_for = use_mut_ref(|| 0u32);
    let dispatch = state.dispatcher();
    let idle_seconds = state.idle_seconds();
    let active = state.in_an_order();
    {
        let (idle_for, dispatch) = (idle_for.clone(), dispatch.clone());
        use_effect_with((active, idle_seconds), move |&(active, idle_seconds)| {
            let running = Rc::new(Cell::new(active));
            *idle_for.borrow_mut() = 0;
            if active {
                let running = running.clone();
                spawn_local(async move {
                    while running.get() {
                        gloo_timers::future::TimeoutFuture::new(1000).await;
                        if !running.get() {
                            break;
                        }
                        let seconds = {
                            let mut seconds = idle_for.borrow_mut();
                            *seconds += 1;
                            *seconds
                        };
                        match tick(idle_seconds, seconds) {
                            Tick::Wait(left) => dispatch.dispatch(Action::IdleTick(left)),
                            Tick::Reset => {
                                dispatch.dispatch(Action::Reset);
                                break;
                            }
                        }
                    }
                });
            }
            move || running.set(false)
        });
    }
    let asking = state.still_there.is_some();
    Callback::from(move |()| {
        *idle_for.borrow_mut() = 0;
        if asking {
            dispatch.dispatch(Action::IdleTick(None));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{tick, Tick};

    #[test]
    fn the_last_third_of_the_wait_asks_before_the_reset() {
        let steps: Vec<Tick> = (6..=12).map(|second| tick(12, second)).collect();
        assert_eq!(
            steps,
            [
                Tick::Wait(None),
                Tick::Wait(None),
                Tick::Wait(Some(4)),
                Tick::Wait(Some(3)),
                Tick::Wait(Some(2)),
                Tick::Wait(Some(1)),
                Tick::Reset,
            ]
        );
    }

    #[test]
    fn a_long_wait_asks_for_its_last_fifteen_seconds_only() {
        assert_eq!(tick(90, 74), Tick::Wait(None));
        assert_eq!(tick(90, 75), Tick::Wait(Some(15)));
    }

    #[test]
    fn a_wait_too_short_to_answer_is_lengthened() {
        assert_eq!(tick(1, 1), Tick::Wait(None));
        assert_eq!(tick(1, 3), Tick::Wait(Some(3)));
        assert_eq!(tick(1, 6), Tick::Reset);
    }
}
