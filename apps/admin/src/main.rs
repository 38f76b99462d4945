//! The admin UI: what staff and managers see. It talks only to the admin shell (typed IPC); the shell's
//! engine keeps the restaurant's state in step with the server, online or not.

mod app;
mod hooks;
mod screens;
mod state;

fn main() {
    ordera_ui::theme::install();
    yew::Renderer::<app::App>::new().render();
}
