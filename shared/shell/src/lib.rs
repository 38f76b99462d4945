//! `ordera-shell`: what every Ordera app shell shares. It opens the sync engine in the app's data
//! directory, registers the IPC commands of `ordera_protocol::ipc` (the common ones here, an app's own in
//! its `src-tauri`), forwards the engine's events to the webview and serves cached product photos
//! (`ordera-image://localhost/<id>[?thumb]`), so every screen works with or without a connection.
//!
//! Settings from the environment, per app kind (`KIOSK`, `KDS`, `ADMIN`): `ORDERA_SERVER_URL` (suggested on
//! the pairing screen), `ORDERA_<KIND>_DATA_DIR` (instead of the platform's app data directory),
//! `ORDERA_<KIND>_FULLSCREEN=1`, for the kiosk `ORDERA_KIOSK_IDLE_SECONDS` (this kiosk's idle reset, instead
//! of the restaurant's setting), and for a first run already in the restaurant (as `cargo xtask run` starts
//! the demo's apps) `ORDERA_<KIND>_PAIRING_CODE` (pairs an unpaired app before its window opens) or, for the
//! admin app, `ORDERA_ADMIN_EMAIL` with `ORDERA_ADMIN_PASSWORD` (signs a person in before it opens).

pub mod commands;
pub mod staff;

use std::path::PathBuf;

use ordera_client::{Engine, EngineConfig};
use ordera_protocol::device::EngineEvent;
use ordera_protocol::DeviceKind;
use tauri::http::{Response, StatusCode};
use tauri::ipc::Invoke;
use tauri::{Emitter, Manager, Wry};
use uuid::Uuid;

/// The state every command reaches through `tauri::State<Shell>`.
pub struct Shell {
    pub engine: Engine,
    pub kind: DeviceKind,
    pub version: &'static str,
    pub server_url: String,
    /// The kiosk's own idle reset, overriding the restaurant's.
    pub idle_seconds: Option<u32>,
    /// A kiosk installed in kiosk mode (`ORDERA_KIOSK_LOCKED=1`): fullscreen, no window controls, closed only
    /// from the staff panel.
    pub locked: bool,
    /// What opens the kiosk's staff panel.
    pub staff: staff::StaffGate,
}

/// An app's name in its environment variables: `KIOSK`, `KDS`, `ADMIN`.
fn env_name(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::Kiosk => "KIOSK",
        DeviceKind::Kds => "KDS",
        DeviceKind::Admin => "ADMIN",
    }
}

fn setting(kind: DeviceKind, name: &str) -> Option<String> {
    std::env::var(format!("ORDERA_{}_{name}", env_name(kind))).ok()
}

fn data_dir(app: &tauri::App, kind: DeviceKind) -> PathBuf {
    match setting(kind, "DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => app.path().app_data_dir().unwrap_or_else(|_| PathBuf::from(format!("ordera-{}-data", kind.as_str()))),
    }
}

/// Pairs or signs the app in before its window opens, when it was started with a way in (see the module's
/// settings): a pairing code only when the app is not paired yet (a code works once), a person's e-mail and
/// password on every start (a fresh session, so a demo owner whose password the server's restart changed is
/// signed in again, the previous start's session and pairing ended). A failure is logged and the app opens on its pairing or sign-in screen as ever.
fn first_run(engine: &Engine, kind: DeviceKind, server_url: &str) {
    let paired = engine.credentials().ok().flatten().is_some();
    let code = setting(kind, "PAIRING_CODE").filter(|code| !code.trim().is_empty() && !paired);
    let person = setting(kind, "EMAIL").zip(setting(kind, "PASSWORD"));
    if code.is_none() && person.is_none() {
        return;
    }
    let done = tauri::async_runtime::block_on(async {
        let attempt = async {
            match (&code, &person) {
                (_, Some((email, password))) => {
                    // The last run's pairing is ended first, so the restaurant's device list does not keep
                    // one stale admin computer per start.
                    let _ = engine.sign_out().await;
                    engine.sign_in(server_url, email, password, &commands::device_name()).await.map(drop)
                }
                (Some(code), None) => engine.pair(server_url, code).await.map(drop),
                (None, None) => Ok(()),
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(15), attempt).await
    });
    match done {
        Ok(Ok(())) => eprintln!("the {} app is in its restaurant at {server_url}", kind.as_str()),
        Ok(Err(error)) => eprintln!("the {} app could not get in at {server_url}: {error}", kind.as_str()),
        Err(_) => eprintln!("the {} app could not reach {server_url} to get in", kind.as_str()),
    }
}

/// Passes each engine event to the webview under its name. A listener that fell behind missed some
/// notifications: every screen is told to refresh everything once more, which is all they would have said.
/// Kiosk mode's window: the whole screen, no title bar or buttons, above every other window. On Android the
/// app is pinned by the system's own kiosk mode instead (see the README).
#[cfg(not(any(target_os = "android", target_os = "ios")))]
fn lock(window: &tauri::WebviewWindow) {
    let _ = window.set_decorations(false);
    // The monitor's whole area first, for a session without a window manager (a bare X server started for
    // the kiosk alone), which ignores a request to go fullscreen; then fullscreen, for one that has one.
    if let Ok(Some(monitor)) = window.current_monitor() {
        let _ = window.set_position(*monitor.position());
        let _ = window.set_size(*monitor.size());
    }
    let _ = window.set_fullscreen(true);
    let _ = window.set_always_on_top(true);
    let _ = window.set_closable(false);
    let _ = window.set_minimizable(false);
}

#[cfg(any(target_os = "android", target_os = "ios"))]
fn lock(_window: &tauri::WebviewWindow) {}

fn forward_events(app: &tauri::App, engine: &Engine) {
    let mut events = engine.subscribe();
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    let _ = handle.emit(event.name(), &event);
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    for event in [EngineEvent::CatalogChanged, EngineEvent::OrdersChanged, EngineEvent::RefusalsChanged]
                    {
                        let _ = handle.emit(event.name(), &event);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
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

/// Runs an app: `context` is the app's `tauri::generate_context!()`, `handler` its
/// `tauri::generate_handler![…]` of the common commands it offers (from [`commands`]) and its own.
pub fn run<H>(kind: DeviceKind, version: &'static str, context: tauri::Context<Wry>, handler: H)
where
    H: Fn(Invoke<Wry>) -> bool + Send + Sync + 'static,
{
    // Panics and engine errors go to Sentry when SENTRY_DSN is set (tagged with the kind and version).
    let _telemetry = ordera_client::telemetry::init(kind, version);
    let mut builder = tauri::Builder::default();
    if kind == DeviceKind::Admin {
        // The back office saves exports where the person picks; the kiosk and kitchen screens save nothing.
        builder = builder.plugin(tauri_plugin_dialog::init());
    }
    builder
        .setup(move |app| {
            let dir = data_dir(app, kind);
            // The engine's tasks run on Tauri's Tokio runtime.
            let engine = tauri::async_runtime::block_on(async { Engine::open(&dir, EngineConfig::default()) })?;
            forward_events(app, &engine);
            let server_url = std::env::var("ORDERA_SERVER_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
            first_run(&engine, kind, &server_url);
            let idle_seconds = setting(kind, "IDLE_SECONDS").and_then(|s| s.parse().ok());
            let locked = kind == DeviceKind::Kiosk && setting(kind, "LOCKED").is_some_and(|v| v == "1");
            app.manage(Shell { engine, kind, version, server_url, idle_seconds, locked, staff: Default::default() });
            if let Some(window) = app.get_webview_window("main") {
                if locked {
                    lock(&window);
                } else if setting(kind, "FULLSCREEN").is_some_and(|v| v == "1") {
                    let _ = window.set_fullscreen(true);
                }
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // A locked kiosk's window ignores every way to close it (Alt+F4, the window manager's close); the
            // staff panel closes the app itself.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if window.state::<Shell>().locked {
                    api.prevent_close();
                }
            }
        })
        .register_uri_scheme_protocol("ordera-image", |context, request| {
            let shell = context.app_handle().state::<Shell>();
            image_response(&shell.engine, request.uri())
        })
        .invoke_handler(handler)
        .build(context)
        .unwrap_or_else(|error| panic!("the {} app failed to start: {error}", kind.as_str()))
        .run(|_, event| {
            if let tauri::RunEvent::Exit = event {
                ordera_client::telemetry::flush();
            }
        });
}
