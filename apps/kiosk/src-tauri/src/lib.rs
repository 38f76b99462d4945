//! The kiosk shell: runs the sync engine in the app's data directory, exposes it to the UI as typed
//! commands, forwards its events, and serves cached product photos to the webview
//! (`ordera-image://localhost/<id>[?thumb]`), so the menu shows with or without a connection.
//!
//! Settings from the environment: `ORDERA_SERVER_URL` (suggested on the pairing screen),
//! `ORDERA_KIOSK_DATA_DIR` (instead of the platform's app data directory), `ORDERA_KIOSK_IDLE_SECONDS`
//! (before the idle reset; default 90), `ORDERA_KIOSK_FULLSCREEN=1`.

use std::path::PathBuf;

use ordera_client::{Engine, EngineConfig};
use ordera_protocol::device::{IpcError, Menu, OutboxEntry, SyncStatus};
use ordera_protocol::orders::{Order, OrderLineRequest, PlaceOrderRequest};
use ordera_protocol::OrderType;
use serde::Serialize;
use tauri::http::{Response, StatusCode};
use tauri::{Emitter, Manager};
use uuid::Uuid;

struct Kiosk {
    engine: Engine,
    server_url: String,
    idle_seconds: u32,
}

#[derive(Serialize)]
struct StartInfo {
    paired: bool,
    server_url: String,
    idle_seconds: u32,
}

#[tauri::command]
fn kiosk_start(kiosk: tauri::State<'_, Kiosk>) -> Result<StartInfo, IpcError> {
    Ok(StartInfo {
        paired: kiosk.engine.credentials().map_err(IpcError::from)?.is_some(),
        server_url: kiosk.server_url.clone(),
        idle_seconds: kiosk.idle_seconds,
    })
}

#[tauri::command]
fn status(kiosk: tauri::State<'_, Kiosk>) -> SyncStatus {
    kiosk.engine.status()
}

#[tauri::command]
fn menu(kiosk: tauri::State<'_, Kiosk>) -> Result<Menu, IpcError> {
    Ok(kiosk.engine.menu()?)
}

#[tauri::command]
async fn pair(kiosk: tauri::State<'_, Kiosk>, server_url: String, code: String) -> Result<(), IpcError> {
    kiosk.engine.pair(&server_url, &code).await?;
    Ok(())
}

/// Queues the order durably; the id is made here, on the device, once.
#[tauri::command]
fn place_order(
    kiosk: tauri::State<'_, Kiosk>,
    order_type: OrderType,
    lines: Vec<OrderLineRequest>,
) -> Result<OutboxEntry, IpcError> {
    let order = PlaceOrderRequest { id: ordera_protocol::new_id(), order_type, items: lines, note: None };
    Ok(kiosk.engine.place_order(order)?)
}

/// The order as the kiosk knows it: `None` until the server has numbered it.
#[tauri::command]
fn order(kiosk: tauri::State<'_, Kiosk>, id: Uuid) -> Result<Option<Order>, IpcError> {
    Ok(kiosk.engine.order(id)?)
}

fn data_dir(app: &tauri::App) -> PathBuf {
    match std::env::var_os("ORDERA_KIOSK_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => app.path().app_data_dir().unwrap_or_else(|_| PathBuf::from("ordera-kiosk-data")),
    }
}

fn image_response(engine: &Engine, uri: &tauri::http::Uri) -> Response<Vec<u8>> {
    let id = uri.path().trim_start_matches('/').parse::<Uuid>().ok();
    let thumb = uri.query().is_some_and(|q| q.contains("thumb"));
    let file = id.and_then(|id| engine.image_path(id, thumb)).and_then(|path| std::fs::read(path).ok());
    match file {
        Some(bytes) => Response::builder()
            .header("Content-Type", "image/jpeg")
            .header("Cache-Control", "max-age=31536000, immutable")
            .body(bytes)
            .expect("a valid response"),
        None => Response::builder().status(StatusCode::NOT_FOUND).body(Vec::new()).expect("a valid response"),
    }
}

pub fn run() {
    // Panics and engine errors go to Sentry when SENTRY_DSN is set (tagged kiosk and this version).
    let _telemetry = ordera_client::telemetry::init(ordera_protocol::DeviceKind::Kiosk, env!("CARGO_PKG_VERSION"));
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
                        // Missed notifications only mean the UI refreshes once more.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            let _ = handle.emit("catalog-changed", ());
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
            let server_url = std::env::var("ORDERA_SERVER_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
            let idle_seconds =
                std::env::var("ORDERA_KIOSK_IDLE_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(90);
            app.manage(Kiosk { engine, server_url, idle_seconds });
            if std::env::var("ORDERA_KIOSK_FULLSCREEN").is_ok_and(|v| v == "1") {
                if let Some(window) = app.get_webview_window("main") {
                    let _ = window.set_fullscreen(true);
                }
            }
            Ok(())
        })
        .register_uri_scheme_protocol("ordera-image", |context, request| {
            let kiosk = context.app_handle().state::<Kiosk>();
            image_response(&kiosk.engine, request.uri())
        })
        .invoke_handler(tauri::generate_handler![kiosk_start, status, menu, pair, place_order, order])
        .build(tauri::generate_context!())
        .expect("the kiosk app failed to start")
        .run(|_, event| {
            if let tauri::RunEvent::Exit = event {
                ordera_client::telemetry::flush();
            }
        });
}
