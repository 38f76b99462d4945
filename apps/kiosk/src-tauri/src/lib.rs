//! The kiosk shell: the shared shell (`ordera-shell`) with the commands a customer-facing kiosk offers.
//! Its own are placing an order (the order's id comes from the UI, made once per reviewed cart, so a second
//! tap on "Place order" queues nothing new) and the staff panel's: the PIN that opens it and leaving kiosk
//! mode.

use ordera_protocol::device::IpcError;
use ordera_protocol::ipc::{self, Command};
use ordera_protocol::orders::PlaceOrderRequest;
use ordera_protocol::DeviceKind;
// A glob, because each Tauri command comes with helper macros that `generate_handler!` looks up beside it.
use ordera_shell::commands::*;
use ordera_shell::{staff, Shell};

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

/// Opens the staff panel for the restaurant's PIN, checked here against the hash the kiosk synced.
#[tauri::command]
async fn staff_unlock(
    shell: tauri::State<'_, Shell>,
    args: <ipc::StaffUnlock as Command>::Args,
) -> Result<<ipc::StaffUnlock as Command>::Output, IpcError> {
    shell.staff.may_try(std::time::Instant::now())?;
    let hash = shell.engine.menu()?.tenant.and_then(|t| t.kiosk_pin_hash).ok_or_else(staff::no_pin)?;
    let right = tauri::async_runtime::spawn_blocking(move || staff::pin_matches(&hash, &args.pin))
        .await
        .map_err(|e| IpcError::new("ipc", format!("checking the PIN: {e}")))?;
    shell.staff.tried(right, std::time::Instant::now())
}
const _: () = assert!(ipc::same_name(ipc::StaffUnlock::NAME, "staff_unlock"));

/// Closes the app: the way out of kiosk mode, for staff who opened the panel in the last minute.
#[tauri::command]
fn leave_kiosk(
    app: tauri::AppHandle,
    shell: tauri::State<'_, Shell>,
    args: <ipc::LeaveKiosk as Command>::Args,
) -> Result<<ipc::LeaveKiosk as Command>::Output, IpcError> {
    let ipc::NoArgs {} = args;
    if !shell.staff.is_open(std::time::Instant::now()) {
        return Err(IpcError::new("invalid", "Open the staff panel with the PIN first."));
    }
    app.exit(0);
    Ok(())
}
const _: () = assert!(ipc::same_name(ipc::LeaveKiosk::NAME, "leave_kiosk"));

// The same app on Android: the Tauri mobile runtime calls this entry point from the app's activity.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    ordera_shell::run(
        DeviceKind::Kiosk,
        env!("CARGO_PKG_VERSION"),
        tauri::generate_context!(),
        tauri::generate_handler![start, status, menu, pair, forget, order, place_order, staff_unlock, leave_kiosk],
    );
}
