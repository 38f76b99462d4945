//! The kiosk shell: the shared shell (`ordera-shell`) with the commands a customer-facing kiosk offers.
//! Its own is placing an order; the order's id comes from the UI, made once per reviewed cart, so a second
//! tap on "Place order" queues nothing new.

use ordera_protocol::device::IpcError;
use ordera_protocol::ipc::{self, Command};
use ordera_protocol::orders::PlaceOrderRequest;
use ordera_protocol::DeviceKind;
// A glob, because each Tauri command comes with helper macros that `generate_handler!` looks up beside it.
use ordera_shell::commands::*;
use ordera_shell::Shell;

/// Queues the order durably. Queuing the same id again returns the entry already queued.
#[tauri::command]
fn place_order(
    shell: tauri::State<'_, Shell>,
    args: <ipc::PlaceOrder as Command>::Args,
) -> Result<<ipc::PlaceOrder as Command>::Output, IpcError> {
    let order = PlaceOrderRequest { id: args.id, order_type: args.order_type, items: args.lines, note: None };
    Ok(shell.engine.place_order(order)?)
}
const _: () = assert!(ipc::same_name(ipc::PlaceOrder::NAME, "place_order"));

pub fn run() {
    ordera_shell::run(
        DeviceKind::Kiosk,
        env!("CARGO_PKG_VERSION"),
        tauri::generate_context!(),
        tauri::generate_handler![start, status, menu, pair, order, place_order],
    );
}
