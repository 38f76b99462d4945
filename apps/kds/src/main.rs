//! The kitchen display UI: the ticket board a kitchen works from, the expo view and the customers' pickup
//! screen. It talks only to the kds shell (typed IPC); the shell's engine keeps the tickets, online or not.

mod app;
mod commands;
mod hooks;
mod screens;
mod sound;
mod state;

fn main() {
    ordera_ui::theme::install();
    yew::Renderer::<app::App>::new().render();
}
