//! The commands of `ordera_protocol::ipc` that more than one app offers, each a thin wrapper over the
//! engine. Every function bears its command's declared name (checked at compile time below) and takes and
//! returns the declared types, so the UI's `invoke::<C>` and the shell cannot drift apart. An app lists the
//! ones it offers in its `generate_handler!`, beside its own.

use ordera_protocol::device::IpcError;
use ordera_protocol::ipc::{self, Command};

use crate::Shell;

type State<'a> = tauri::State<'a, Shell>;
type Reply<C> = Result<<C as Command>::Output, IpcError>;

/// Fails to compile when a command function and its declared name differ.
macro_rules! named {
    ($command:ty, $function:ident) => {
        const _: () = assert!(
            ipc::same_name(<$command as Command>::NAME, stringify!($function)),
            concat!("the shell function `", stringify!($function), "` must bear its command's name")
        );
    };
}

named!(ipc::Start, start);
#[tauri::command]
pub fn start(shell: State<'_>, args: <ipc::Start as Command>::Args) -> Reply<ipc::Start> {
    let ipc::NoArgs {} = args;
    let credentials = shell.engine.credentials()?;
    Ok(ipc::StartInfo {
        paired: credentials.is_some(),
        server_url: credentials.as_ref().map_or_else(|| shell.server_url.clone(), |c| c.server_url.clone()),
        kind: shell.kind,
        device: credentials.map(|c| c.device),
        version: shell.version.to_owned(),
        idle_seconds: shell.idle_seconds,
        locked: shell.locked,
        signed_in: shell.engine.signed_in()?.map(Box::new),
    })
}

named!(ipc::Status, status);
#[tauri::command]
pub fn status(shell: State<'_>, args: <ipc::Status as Command>::Args) -> Reply<ipc::Status> {
    let ipc::NoArgs {} = args;
    Ok(shell.engine.status())
}

named!(ipc::GetMenu, menu);
#[tauri::command]
pub fn menu(shell: State<'_>, args: <ipc::GetMenu as Command>::Args) -> Reply<ipc::GetMenu> {
    let ipc::NoArgs {} = args;
    Ok(shell.engine.menu()?)
}

named!(ipc::Pair, pair);
#[tauri::command]
pub async fn pair(shell: State<'_>, args: <ipc::Pair as Command>::Args) -> Reply<ipc::Pair> {
    shell.engine.pair(&args.server_url, &args.code).await?;
    Ok(())
}

named!(ipc::Forget, forget);
#[tauri::command]
pub async fn forget(shell: State<'_>, args: <ipc::Forget as Command>::Args) -> Reply<ipc::Forget> {
    let ipc::NoArgs {} = args;
    shell.engine.unpair().await?;
    Ok(())
}

named!(ipc::GetOrders, orders);
/// The cached orders with this device's queued changes applied, so what a person just did shows at once.
#[tauri::command]
pub fn orders(shell: State<'_>, args: <ipc::GetOrders as Command>::Args) -> Reply<ipc::GetOrders> {
    let ipc::NoArgs {} = args;
    Ok(shell.engine.orders_as_queued()?)
}

named!(ipc::GetOrder, order);
#[tauri::command]
pub fn order(shell: State<'_>, args: <ipc::GetOrder as Command>::Args) -> Reply<ipc::GetOrder> {
    Ok(shell.engine.order(args.id)?)
}

named!(ipc::Refusals, refusals);
#[tauri::command]
pub fn refusals(shell: State<'_>, args: <ipc::Refusals as Command>::Args) -> Reply<ipc::Refusals> {
    let ipc::NoArgs {} = args;
    Ok(shell.engine.refusals()?)
}

named!(ipc::ResolveRefusal, resolve_refusal);
#[tauri::command]
pub async fn resolve_refusal(
    shell: State<'_>,
    args: <ipc::ResolveRefusal as Command>::Args,
) -> Reply<ipc::ResolveRefusal> {
    Ok(shell.engine.resolve_refusal(args.id).await?)
}

named!(ipc::SetStatus, set_status);
#[tauri::command]
pub fn set_status(shell: State<'_>, args: <ipc::SetStatus as Command>::Args) -> Reply<ipc::SetStatus> {
    Ok(shell.engine.set_status(args.order_id, args.action, args.reason)?)
}

named!(ipc::MarkItems, mark_items);
#[tauri::command]
pub fn mark_items(shell: State<'_>, args: <ipc::MarkItems as Command>::Args) -> Reply<ipc::MarkItems> {
    Ok(shell.engine.mark_items(args.order_id, args.items, args.done)?)
}

named!(ipc::SignIn, sign_in);
#[tauri::command]
pub async fn sign_in(shell: State<'_>, args: <ipc::SignIn as Command>::Args) -> Reply<ipc::SignIn> {
    let name = device_name();
    Ok(shell.engine.sign_in(&args.server_url, &args.email, &args.password, &name).await?)
}

named!(ipc::SignUp, sign_up);
#[tauri::command]
pub async fn sign_up(shell: State<'_>, args: <ipc::SignUp as Command>::Args) -> Reply<ipc::SignUp> {
    Ok(shell.engine.sign_up(&args.server_url, &args.request, &device_name()).await?)
}

named!(ipc::SignOut, sign_out);
#[tauri::command]
pub async fn sign_out(shell: State<'_>, args: <ipc::SignOut as Command>::Args) -> Reply<ipc::SignOut> {
    let ipc::NoArgs {} = args;
    shell.engine.sign_out().await?;
    Ok(())
}

named!(ipc::Api, api);
#[tauri::command]
pub async fn api(shell: State<'_>, args: <ipc::Api as Command>::Args) -> Reply<ipc::Api> {
    Ok(shell.engine.call(&args.method, &args.path, args.body.as_ref()).await?)
}

named!(ipc::UploadImage, upload_image);
#[tauri::command]
pub async fn upload_image(shell: State<'_>, args: <ipc::UploadImage as Command>::Args) -> Reply<ipc::UploadImage> {
    let bytes = args.bytes().ok_or_else(|| IpcError::new("invalid", "the picture did not reach the app whole"))?;
    Ok(shell.engine.upload_image(args.product_id, &args.content_type, bytes).await?)
}

named!(ipc::ExportOrders, export_orders);
#[tauri::command]
pub async fn export_orders(
    app: tauri::AppHandle,
    shell: State<'_>,
    args: <ipc::ExportOrders as Command>::Args,
) -> Reply<ipc::ExportOrders> {
    use tauri_plugin_dialog::DialogExt;
    // The server is asked first, so that a refusal is explained without a dialog opening for nothing.
    let bytes = match shell.engine.download(&format!("orders/export.csv?{}", args.query)).await? {
        Ok(bytes) => bytes,
        Err(refused) => return Ok(refused),
    };
    let (chosen, picked) = tokio::sync::oneshot::channel();
    app.dialog().file().set_file_name(&args.file_name).add_filter("CSV", &["csv"]).save_file(move |path| {
        let _ = chosen.send(path);
    });
    let path = match picked.await.ok().flatten() {
        None => None,
        Some(path) => {
            let path = path
                .into_path()
                .map_err(|e| IpcError::new("invalid", format!("that place cannot be saved to: {e}")))?;
            // Off the command's async worker: an export of a busy month is megabytes on a slow disk.
            tokio::fs::write(&path, &bytes).await.map_err(|e| {
                IpcError::new("storage", format!("the file could not be saved at {}: {e}", path.display()))
            })?;
            Some(path.display().to_string())
        }
    };
    let saved = ipc::SavedExport { path, bytes: bytes.len() as u64 };
    let body = serde_json::to_value(saved).map_err(|e| IpcError::new("ipc", e.to_string()))?;
    Ok(ordera_protocol::device::ApiReply { status: 200, body })
}

/// The name a signed-in back-office computer is listed under in the device list: the computer's own name
/// where the system tells it, so a manager can tell two offices apart.
pub(crate) fn device_name() -> String {
    let host = std::env::var("COMPUTERNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().chars().take(40).collect::<String>())
        .filter(|name| !name.is_empty());
    match host {
        Some(host) => format!("Admin app on {host}"),
        None => "Admin app".to_owned(),
    }
}
