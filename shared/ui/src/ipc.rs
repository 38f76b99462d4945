//! Typed calls into the Tauri shell. Commands take and return ordera-protocol types; a failure is an
//! [`IpcError`], never a bare string. Outside Tauri (a plain browser in component tests) every call fails
//! with the code `ipc`, so a page can show its offline state instead of crashing.

use ordera_protocol::device::IpcError;
use ordera_protocol::ipc::Command;
pub use ordera_protocol::ipc::NoArgs;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(command: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen, catch)]
    async fn tauri_listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>) -> Result<JsValue, JsValue>;
}

/// Whether the page runs inside a Tauri shell.
pub fn in_tauri() -> bool {
    web_sys::window()
        .and_then(|window| js_sys::Reflect::get(&window, &JsValue::from_str("__TAURI__")).ok())
        .is_some_and(|value| !value.is_undefined())
}

fn serializer() -> serde_wasm_bindgen::Serializer {
    // Maps as plain objects, so Tauri reads command arguments by name.
    serde_wasm_bindgen::Serializer::json_compatible()
}

/// Calls the shell command `C` of the contract in `ordera_protocol::ipc`.
pub async fn invoke<C: Command>(args: &C::Args) -> Result<C::Output, IpcError> {
    #[derive(Serialize)]
    struct Wrapped<'a, A> {
        args: &'a A,
    }
    call(C::NAME, &Wrapped { args }).await
}

/// Calls a shell command by name. `args` serialises to an object whose keys are the parameter names.
async fn call<A: Serialize, T: DeserializeOwned>(command: &str, args: &A) -> Result<T, IpcError> {
    if !in_tauri() {
        return Err(IpcError::new("ipc", "not running inside the Ordera app"));
    }
    let args = args.serialize(&serializer()).map_err(|e| IpcError::new("ipc", e.to_string()))?;
    match tauri_invoke(command, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value).map_err(|e| IpcError::new("ipc", e.to_string())),
        Err(error) => Err(serde_wasm_bindgen::from_value::<IpcError>(error.clone())
            .unwrap_or_else(|_| IpcError::new("ipc", error.as_string().unwrap_or_else(|| format!("{error:?}"))))),
    }
}

/// Calls `handler` with each payload of the shell event `event`, for the life of the page.
pub fn listen<T: DeserializeOwned + 'static>(event: &'static str, handler: impl Fn(T) + 'static) {
    if !in_tauri() {
        return;
    }
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
        let payload = js_sys::Reflect::get(&message, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        if let Ok(payload) = serde_wasm_bindgen::from_value::<T>(payload) {
            handler(payload);
        }
    });
    wasm_bindgen_futures::spawn_local(async move {
        let _ = tauri_listen(event, &closure).await;
        // The listener lives as long as the page: keep the closure alive with it.
        closure.forget();
    });
}
