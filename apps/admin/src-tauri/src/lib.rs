//! The admin shell: runs the sync engine in the app's data directory, exposes it to the UI as typed
//! commands and forwards its events. This first part of the admin app is where staff settle the orders a
//! kiosk saved but the server refused later (a dish sold out while the kiosk was offline), and follow
//! today's orders live.
//!
//! Settings from the environment: `ORDERA_SERVER_URL` (suggested on the pairing screen),
//! `ORDERA_ADMIN_DATA_DIR` (instead of the platform's app data directory).

use std::path::PathBuf;

use ordera_client::{Engine, EngineConfig};
use ordera_protocol::device::{IpcError, Menu, SyncStatus};
use ordera_protocol::orders::{Order, RefusedOrder};
use serde::Serialize;
use tauri::{Emitter, Manager};
use uuid::Uuid;

struct Admin {
    engine: Engine,
    server_url: String,
}

#[derive(Serialize)]
struct StartInfo {
    paired: bool,
    server_url: String,
}

#[tauri::command]
fn admin_start(admin: tauri::State<'_, Admin>) -> Result<StartInfo, IpcError> {
    Ok(StartInfo {
        paired: admin.engine.credentials().map_err(IpcError::from)?.is_some(),
        server_url: admin.server_url.clone(),
    })
}

#[tauri::command]
fn status(admin: tauri::State<'_, Admin>) -> SyncStatus {
    admin.engine.status()
}

#[tauri::command]
fn menu(admin: tauri::State<'_, Admin>) -> Result<Menu, IpcError> {
    Ok(admin.engine.menu()?)
}

#[tauri::command]
async fn pair(admin: tauri::State<'_, Admin>, server_url: String, code: String) -> Result<(), IpcError> {
    admin.engine.pair(&server_url, &code).await?;
    Ok(())
}

/// Refused orders nobody has settled yet, oldest first, from the device's cache (so also offline).
#[tauri::command]
fn refusals(admin: tauri::State<'_, Admin>) -> Result<Vec<RefusedOrder>, IpcError> {
    Ok(admin.engine.refusals()?)
}

#[tauri::command]
async fn resolve_refusal(admin: tauri::State<'_, Admin>, id: Uuid) -> Result<RefusedOrder, IpcError> {
    Ok(admin.engine.resolve_refusal(id).await?)
}

/// Orders as the device holds them: those still in the kitchen and today's.
#[tauri::command]
fn orders(admin: tauri::State<'_, Admin>) -> Result<Vec<Order>, IpcError> {
    Ok(admin.engine.orders()?)
}

fn data_dir(app: &tauri::App) -> PathBuf {
    match std::env::var_os("ORDERA_ADMIN_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => app.path().app_data_dir().unwrap_or_else(|_| PathBuf::from("ordera-admin-data")),
    }
}

pub fn run() {
    // Panics and engine errors go to Sentry when SENTRY_DSN is set (tagged admin and this version).
    let _telemetry = ordera_client::telemetry::init(ordera_protocol::DeviceKind::Admin, env!("CARGO_PKG_VERSION"));
    tauri::Builder::default()
        .setup(|app| {
            let dir = data_dir(app);
            // The engine's tasks run on Tauri's Tokio runtime.
            let engine = tauri::async_runtime::block_on(async { Engine::open(&dir, EngineConfig::default()) })?;
            let mut events = engine.subscribe();
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(event) => {
                            let _ = handle.emit(event.name(), &event);
                        }
                        // Missed notifications only mean the UI refreshes everything once more.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            for name in ["catalog-changed", "orders-changed", "refusals-changed"] {
                                let _ = handle.emit(name, ());
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
            let server_url = std::env::var("ORDERA_SERVER_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
            app.manage(Admin { engine, server_url });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![admin_start, status, menu, pair, refusals, resolve_refusal, orders])
        .build(tauri::generate_context!())
        .expect("the admin app failed to start")
        .run(|_, event| {
            if let tauri::RunEvent::Exit = event {
                ordera_client::telemetry::flush();
            }
        });
}
