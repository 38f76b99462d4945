//! The header every kitchen screen carries: what the screen is, and whether it can be trusted: "Live", or
//! "Offline since 14:02", or "Catching up", how long since it last heard from the server, its position in
//! the restaurant's log and what it has waiting to send. When the screen has not been live for a few
//! seconds, a banner across the whole board says so in words a cook reads from two metres.

use ordera_protocol::ipc::ScreenRole;
use yew::prelude::*;

use crate::screens::clock;
use crate::state::{changes_to_go, Liveness, State};

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub state: UseReducerHandle<State>,
    #[prop_or_default]
    pub children: Html,
}

pub fn role_title(state: &State) -> String {
    match state.settings.role {
        ScreenRole::Stations if state.settings.stations.is_empty() => "All stations".into(),
        ScreenRole::Stations => state.settings.stations.join(" · "),
        ScreenRole::Expo => "Expo".into(),
        ScreenRole::Pickup => "Pickup".into(),
        ScreenRole::Unset => "Kitchen".into(),
    }
}

#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    let state = &*props.state;
    let liveness = state.liveness();
    let (class, label) = match liveness {
        Liveness::Live => ("live-ok", "Live".to_owned()),
        Liveness::CatchingUp => match changes_to_go(state.status.as_ref()) {
            Some(1) => ("live-catching", "Catching up — 1 change to go".to_owned()),
            Some(n) => ("live-catching", format!("Catching up — {n} changes to go")),
            None => ("live-catching", "Catching up".to_owned()),
        },
        Liveness::Offline { since: Some(since) } => ("live-bad", format!("Offline since {}", clock(since))),
        Liveness::Offline { since: None } => ("live-bad", "Offline".to_owned()),
        Liveness::Silent { .. } => ("live-bad", "No word from the server".to_owned()),
    };
    let status = state.status.as_ref();
    let heard = status.and_then(|s| s.last_heard).map(|at| {
        let seconds = (state.now - at).num_seconds().max(0);
        if seconds < 120 {
            format!("heard {seconds} s ago")
        } else {
            format!("heard at {}", clock(at))
        }
    });
    let position = status.and_then(|s| s.position).map(|p| format!("log #{p}"));
    let pending = status.map_or(0, |s| s.pending);
    let restaurant = state.tenant().map(|t| t.name.clone()).unwrap_or_default();
    html! {
        <header class={classes!("kds-top", class)}>
            <div class="kds-title">
                <span class="kds-role" id="screen-role">{ role_title(state) }</span>
                <span class="kds-restaurant">{ restaurant }</span>
            </div>
            <div class={classes!("live", class)} id="live-state" role="status" aria-live="polite">
                <span class="live-dot" />
                <strong id="live-label">{ label }</strong>
                if let Some(heard) = heard { <span class="live-detail" id="live-heard">{ heard }</span> }
                if let Some(position) = position { <span class="live-detail" id="live-position">{ position }</span> }
                if pending > 0 {
                    <span class="live-pending" id="live-pending">{ format!("{pending} waiting to send") }</span>
                }
            </div>
            <div class="kds-actions">{ props.children.clone() }</div>
        </header>
    }
}

/// The banner across the board when it cannot be trusted, from a few seconds on.
#[function_component(Banner)]
pub fn banner(props: &HeaderProps) -> Html {
    let state = &*props.state;
    if !state.banner() {
        return html! {};
    }
    let text = match state.liveness() {
        Liveness::Offline { since } => format!(
            "OFFLINE{} — tickets placed since then may be missing. Reconnecting by itself; bumps are kept and sent later.",
            since.map(|s| format!(" since {}", clock(s))).unwrap_or_default()
        ),
        Liveness::Silent { since } => format!(
            "NO WORD FROM THE SERVER{} — this board may be out of date. Reconnecting by itself.",
            since.map(|s| format!(" since {}", clock(s))).unwrap_or_default()
        ),
        Liveness::CatchingUp => "CATCHING UP — this board is behind the kitchen; it fills in by itself.".to_owned(),
        Liveness::Live => return html! {},
    };
    html! { <div class="kds-banner" id="offline-banner" role="alert">{ text }</div> }
}
