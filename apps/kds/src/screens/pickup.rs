//! The pickup screen, facing customers: two large columns of ticket numbers, "Preparing" and "Ready",
//! readable from five metres; a chime when a number becomes ready; numbers leave once collected.

use yew::prelude::*;

use crate::screens::header::Banner;
use crate::state::{pickup, Action, Liveness, State};

#[derive(Properties, PartialEq)]
pub struct PickupProps {
    pub state: UseReducerHandle<State>,
}

#[function_component(Pickup)]
pub fn pickup_screen(props: &PickupProps) -> Html {
    let handle = props.state.clone();
    let state = &*props.state;
    let (preparing, ready) = pickup(&state.orders);
    let setup = {
        let handle = handle.clone();
        Callback::from(move |_: MouseEvent| handle.dispatch(Action::OpenSetup))
    };
    let live = state.liveness() == Liveness::Live;
    let number = |n: &i64, class: &'static str| {
        let flashing = state.orders.iter().any(|o| o.number == *n && state.flashes.contains_key(&o.id));
        html! { <li class={classes!(class, flashing.then_some("flash"))} id={format!("pickup-{n}")}>{ n }</li> }
    };
    html! {
        <div class="pickup" id="pickup">
            <Banner state={handle.clone()} />
            <div class="pickup-columns">
                <section class="pickup-column" id="pickup-preparing">
                    <h2>{ "Preparing" }</h2>
                    if preparing.is_empty() && ready.is_empty() {
                        <p class="pickup-empty" id="pickup-empty">{ "Your order number will show here" }</p>
                    }
                    <ul>{ for preparing.iter().map(|n| number(n, "pickup-number")) }</ul>
                </section>
                <section class="pickup-column pickup-ready" id="pickup-ready">
                    <h2>{ "Ready" }</h2>
                    <ul>{ for ready.iter().map(|n| number(n, "pickup-number ready")) }</ul>
                </section>
            </div>
            <footer class="pickup-foot">
                <span>{ state.tenant().map(|t| t.name.clone()).unwrap_or_default() }</span>
                <span class={classes!("pickup-live", (!live).then_some("bad"))} id="live-label">
                    { if live { "Live" } else { "Not live" } }
                </span>
                <button class="linkish" id="open-setup" onclick={setup}>{ "Screen" }</button>
                <div id="sound-log" class="sound-log" aria-hidden="true"></div>
            </footer>
        </div>
    }
}
