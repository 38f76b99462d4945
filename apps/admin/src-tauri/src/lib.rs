//! The admin shell: the shared shell (`ordera-shell`) with the commands the back office offers: signing a
//! person in and out, the server's API as that person (and a product photo's upload), today's orders and the refused orders staff settle.

use ordera_protocol::DeviceKind;
// A glob, because each Tauri command comes with helper macros that `generate_handler!` looks up beside it.
use ordera_shell::commands::*;

// The same app on Android: the Tauri mobile runtime calls this entry point from the app's activity.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    ordera_shell::run(
        DeviceKind::Admin,
        env!("CARGO_PKG_VERSION"),
        tauri::generate_context!(),
        tauri::generate_handler![
            start,
            status,
            menu,
            pair,
            forget,
            orders,
            refusals,
            resolve_refusal,
            set_status,
            sign_in,
            sign_up,
            sign_out,
            api,
            upload_image,
            export_orders
        ],
    );
}
