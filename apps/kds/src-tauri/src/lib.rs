//! The kitchen display shell: the shared shell (`ordera-shell`) with the commands a kitchen screen offers.
//! Its own are the screen's settings (role, stations, sound) and the cancellations its cooks have
//! acknowledged, both kept in the device's cache so they survive a restart and belong to this screen only.

use ordera_protocol::device::IpcError;
use ordera_protocol::ipc::{self, Command};
use ordera_protocol::DeviceKind;
// A glob, because each Tauri command comes with helper macros that `generate_handler!` looks up beside it.
use ordera_shell::commands::*;
use ordera_shell::Shell;

type State<'a> = tauri::State<'a, Shell>;
type Reply<C> = Result<<C as Command>::Output, IpcError>;

const SETTINGS: &str = "screen";
const ACKNOWLEDGED: &str = "acknowledged";
/// Enough for a long day's cancellations; older acknowledgements concern orders long gone from the board.
const KEEP_ACKNOWLEDGED: usize = 500;

const _: () = assert!(ipc::same_name(ipc::GetScreenSettings::NAME, "screen_settings"));
#[tauri::command]
fn screen_settings(shell: State<'_>, args: <ipc::GetScreenSettings as Command>::Args) -> Reply<ipc::GetScreenSettings> {
    let ipc::NoArgs {} = args;
    Ok(shell.engine.preference(SETTINGS)?.unwrap_or_default())
}

const _: () = assert!(ipc::same_name(ipc::SaveScreenSettings::NAME, "save_screen_settings"));
#[tauri::command]
fn save_screen_settings(
    shell: State<'_>,
    args: <ipc::SaveScreenSettings as Command>::Args,
) -> Reply<ipc::SaveScreenSettings> {
    let settings = ipc::ScreenSettings { volume: args.volume.min(100), ..args };
    shell.engine.set_preference(SETTINGS, &settings)?;
    Ok(settings)
}

const _: () = assert!(ipc::same_name(ipc::Acknowledged::NAME, "acknowledged"));
#[tauri::command]
fn acknowledged(shell: State<'_>, args: <ipc::Acknowledged as Command>::Args) -> Reply<ipc::Acknowledged> {
    let ipc::NoArgs {} = args;
    Ok(shell.engine.preference(ACKNOWLEDGED)?.unwrap_or_default())
}

const _: () = assert!(ipc::same_name(ipc::Acknowledge::NAME, "acknowledge"));
#[tauri::command]
fn acknowledge(shell: State<'_>, args: <ipc::Acknowledge as Command>::Args) -> Reply<ipc::Acknowledge> {
    let mut ids: Vec<uuid::Uuid> = shell.engine.preference(ACKNOWLEDGED)?.unwrap_or_default();
    if !ids.contains(&args.id) {
        ids.push(args.id);
    }
    let excess = ids.len().saturating_sub(KEEP_ACKNOWLEDGED);
    ids.drain(..excess);
    shell.engine.set_preference(ACKNOWLEDGED, &ids)?;
    Ok(ids)
}

// The same app on Android: the Tauri mobile runtime calls this entry point from the app's activity.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    ordera_shell::run(
        DeviceKind::Kds,
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
            set_status,
            mark_items,
            screen_settings,
            save_screen_settings,
            acknowledged,
            acknowledge
        ],
    );
}
