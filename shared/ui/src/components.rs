//! The shared components: buttons, badges, cards, the connection pill, a dialog and a toast.

use ordera_protocol::device::{ConnectionState, SyncStatus};
use ordera_protocol::ipc;
use yew::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub enum ButtonKind {
    #[default]
    Primary,
    Secondary,
    Danger,
}

#[derive(Properties, PartialEq)]
pub struct ButtonProps {
    pub children: Html,
    pub onclick: Callback<()>,
    #[prop_or_default]
    pub kind: ButtonKind,
    #[prop_or_default]
    pub disabled: bool,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub label: Option<AttrValue>,
}

/// A large, keyboard-reachable button.
#[function_component(Button)]
pub fn button(props: &ButtonProps) -> Html {
    let kind = match props.kind {
        ButtonKind::Primary => "btn-primary",
        ButtonKind::Secondary => "btn-secondary",
        ButtonKind::Danger => "btn-danger",
    };
    let onclick = props.onclick.reform(|_: MouseEvent| ());
    html! {
        <button id={props.id.clone()} class={classes!("btn", kind, props.class.clone())} {onclick}
            disabled={props.disabled} aria-label={props.label.clone()}>
            { props.children.clone() }
        </button>
    }
}

#[derive(Properties, PartialEq)]
pub struct BadgeProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub class: Classes,
}

#[function_component(Badge)]
pub fn badge(props: &BadgeProps) -> Html {
    html! { <span class={classes!("badge", props.class.clone())}>{ props.text.clone() }</span> }
}

#[derive(Properties, PartialEq)]
pub struct PillProps {
    pub status: Option<SyncStatus>,
}

/// Online / offline / connecting, with what is waiting to be sent: the honest corner every screen has.
#[function_component(ConnectionPill)]
pub fn connection_pill(props: &PillProps) -> Html {
    let Some(status) = &props.status else {
        return html! { <span class="pill" id="connection">{ "Starting…" }</span> };
    };
    let (dot, label) = match status.connection {
        ConnectionState::Online => ("dot-online", "Online"),
        ConnectionState::Connecting => ("dot-connecting", "Connecting"),
        ConnectionState::Offline => ("dot-offline", "Offline"),
        ConnectionState::Unpaired => ("dot-offline", "Not paired"),
    };
    let waiting = if status.pending > 0 { format!(" · {} waiting", status.pending) } else { String::new() };
    let synced = status.last_sync.map(|at| format!(" · synced {}", at.format("%H:%M"))).unwrap_or_default();
    html! {
        <span class="pill" id="connection" role="status" aria-live="polite" data-state={label.to_lowercase()}
            title={status.last_error.clone()}>
            <span class={classes!("dot", dot)}></span>{ format!("{label}{waiting}{synced}") }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct DialogProps {
    pub children: Html,
    pub title: AttrValue,
    pub on_close: Callback<()>,
}

/// A modal dialog; Escape closes it.
#[function_component(Dialog)]
pub fn dialog(props: &DialogProps) -> Html {
    let on_close = props.on_close.clone();
    let onkeydown = Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Escape" {
            on_close.emit(());
        }
    });
    html! {
        <div class="dialog-backdrop" {onkeydown}>
            <div class="dialog" role="dialog" aria-modal="true" aria-label={props.title.clone()}>
                { props.children.clone() }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct CardProps {
    pub children: Html,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub class: Classes,
}

/// A surface that holds one thing (an order, a refusal): the theme's border, radius and shadow.
#[function_component(Card)]
pub fn card(props: &CardProps) -> Html {
    html! {
        <div id={props.id.clone()} class={classes!("surface-card", props.class.clone())}>{ props.children.clone() }</div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ToastProps {
    pub message: AttrValue,
    /// Called when the message has been shown long enough, or is dismissed by a tap or Escape.
    pub on_dismiss: Callback<()>,
    /// How long the message stays, in milliseconds.
    #[prop_or(6000)]
    pub millis: u32,
}

/// A passing message at the bottom of the screen, read out by screen readers. It leaves by itself; a new
/// message restarts its clock.
#[function_component(Toast)]
pub fn toast(props: &ToastProps) -> Html {
    {
        let on_dismiss = props.on_dismiss.clone();
        let millis = props.millis;
        use_effect_with(props.message.clone(), move |_| {
            // Dropping the timer (a newer message, or the toast leaving) cancels it.
            let timer = gloo_timers::callback::Timeout::new(millis, move || on_dismiss.emit(()));
            move || drop(timer)
        });
    }
    let on_click = props.on_dismiss.reform(|_: MouseEvent| ());
    let on_dismiss = props.on_dismiss.clone();
    let on_key = Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Escape" {
            on_dismiss.emit(());
        }
    });
    html! {
        <div class="toast" id="toast" role="status" aria-live="polite" tabindex="0" onclick={on_click} onkeydown={on_key}>
            { props.message.clone() }
        </div>
    }
}

/// The `pair` command every app shell has: its arguments, named as Tauri expects them (camelCase).
#[derive(Properties, PartialEq)]
pub struct PairScreenProps {
    /// "Set up this kiosk".
    pub title: AttrValue,
    /// Where the code comes from, for the person setting the device up.
    pub hint: AttrValue,
    /// The server address to suggest.
    pub server_url: AttrValue,
    /// What went wrong last (a refused code, an unreachable server), shown under the fields.
    pub error: Option<AttrValue>,
    pub on_paired: Callback<()>,
    pub on_error: Callback<String>,
    /// The app's version ("0.1.0"), shown small at the foot: the first thing support asks for.
    #[prop_or_default]
    pub version: AttrValue,
}

/// The first-start screen of every app: server address and pairing code, paired through the shell's
/// `pair` command. Enter in either field pairs; the button waits while pairing.
#[function_component(PairScreen)]
pub fn pair_screen(props: &PairScreenProps) -> Html {
    let server = use_state(|| props.server_url.to_string());
    let code = use_state(String::new);
    let busy = use_state(|| false);
    let field = |value: &UseStateHandle<String>| {
        let value = value.clone();
        Callback::from(move |event: InputEvent| {
            value.set(event.target_unchecked_into::<web_sys::HtmlInputElement>().value())
        })
    };
    let ready = !*busy && !code.trim().is_empty();
    let pair = {
        let (server, code, busy) = (server.clone(), code.clone(), busy.clone());
        let (on_paired, on_error) = (props.on_paired.clone(), props.on_error.clone());
        Callback::from(move |_: ()| {
            let (server_url, code, busy) = ((*server).clone(), (*code).clone(), busy.clone());
            let (on_paired, on_error) = (on_paired.clone(), on_error.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match crate::invoke::<ipc::Pair>(&ipc::PairArgs { server_url, code }).await {
                    Ok(()) => on_paired.emit(()),
                    Err(error) => on_error.emit(error.message),
                }
                busy.set(false);
            });
        })
    };
    // On the button, Enter is its own click; in the fields it pairs, as a person expects of a form.
    let on_enter = {
        let pair = pair.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" && ready {
                pair.emit(());
            }
        })
    };
    html! {
        <main class="center" id="pair-screen">
            <h2>{ props.title.clone() }</h2>
            <p>{ props.hint.clone() }</p>
            <div class="form">
                <input id="server-url" aria-label="Server address" placeholder="Server address (from your administrator)"
                    value={(*server).clone()} oninput={field(&server)} onkeydown={on_enter.clone()} />
                <input id="pairing-code" aria-label="Pairing code" placeholder="Pairing code, e.g. K7MQ-2XFD"
                    value={(*code).clone()} oninput={field(&code)} onkeydown={on_enter} />
                if let Some(error) = props.error.clone() {
                    <p class="error" id="pair-error" role="alert">{ error }</p>
                }
                <Button id="pair" onclick={pair} disabled={!ready}>{ if *busy { "Pairing…" } else { "Pair" } }</Button>
            </div>
            if !props.version.is_empty() {
                <p class="muted app-version" id="app-version">{ format!("Version {}", props.version) }</p>
            }
        </main>
    }
}

#[derive(Properties, PartialEq)]
pub struct TopBarProps {
    /// The restaurant's name, or the app's until the menu says it.
    pub title: AttrValue,
    /// What the app keeps in the corner: at least the connection pill.
    #[prop_or_default]
    pub children: Html,
}

/// The bar across the top of every app's screen: who this is (`#restaurant-name`) and the app's corner.
#[function_component(TopBar)]
pub fn top_bar(props: &TopBarProps) -> Html {
    html! {
        <header class="topbar">
            <h1 id="restaurant-name">{ props.title.clone() }</h1>
            { props.children.clone() }
        </header>
    }
}
