//! The attract screen: the restaurant's welcome until a customer touches it.

use ordera_ui::act;
use yew::prelude::*;

use super::ScreenProps;
use crate::state::Action;

#[function_component(Attract)]
pub fn attract(ScreenProps { state }: &ScreenProps) -> Html {
    let begin = act(state, |_: MouseEvent| Action::Begin);
    let begin_key = act(state, |_: KeyboardEvent| Action::Begin);
    let name = state.restaurant_name().unwrap_or_default();
    html! {
        <main class="attract" id="attract" onclick={begin} onkeydown={begin_key} tabindex="0" role="button"
            aria-label="Touch to start your order">
            <h2>{ format!("Welcome to {name}") }</h2>
            <p>{ "Touch to start your order" }</p>
        </main>
    }
}
