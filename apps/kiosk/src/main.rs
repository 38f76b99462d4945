//! The kiosk UI: what a customer sees on the tablet. It talks only to the kiosk shell (typed IPC); the
//! shell's engine keeps the menu and sends orders, online or not.

mod app;
mod hooks;
mod screens;
mod state;

fn main() {
    ordera_ui::theme::install();
    yew::Renderer::<app::App>::new().render();
}
