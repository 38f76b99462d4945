//! The server's API as the UIs call it: through the shell's engine (`ipc::Api`), which adds the signed-in
//! person's or the device's token, so the UI never holds one. A failure says what a person needs: the
//! server's own message, its field errors to show beside their fields, or that the server is out of reach.

use std::collections::BTreeMap;

use ordera_protocol::api::ErrorBody;
use ordera_protocol::device::{ApiReply, IpcError, SignedIn};
use ordera_protocol::ipc::{self, ApiArgs, ExportOrdersArgs, SavedExport, SignUpArgs, UploadImageArgs};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::ipc::invoke;

/// Why a call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// The HTTP status; `None` when the server was not reached.
    pub status: Option<u16>,
    /// The server's stable code (`validation_failed`, `forbidden`…), or `offline` / `ipc`.
    pub code: String,
    pub message: String,
    /// Field name → what is wrong with it.
    pub fields: BTreeMap<String, String>,
}

impl ApiFailure {
    /// What is wrong with `field`, to show beside it.
    pub fn field(&self, field: &str) -> Option<String> {
        self.fields.get(field).cloned()
    }

    pub fn offline(&self) -> bool {
        self.status.is_none() && self.code == "offline"
    }

    /// One sentence for a banner or toast.
    pub fn sentence(&self) -> String {
        if self.offline() {
            "The server cannot be reached: changes need the connection. Try again when the app is online.".into()
        } else {
            self.message.clone()
        }
    }
}

/// Calls `method path` with `body` and reads the answer as `T` (use `serde_json::Value` or `()` for none).
pub async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, ApiFailure> {
    let args = ApiArgs { method: method.to_owned(), path: path.to_owned(), body };
    read(invoke::<ipc::Api>(&args).await)
}

/// Uploads `bytes` of type `content_type` (`image/png`, `image/jpeg`, `image/webp`) as the photo of the
/// product `product_id`, and reads the answer (the product) as `T`. A refused file fails like any call:
/// 413 too large, 415 not an image, 422 unreadable or too many pixels, each in the server's words.
pub async fn upload_image<T: DeserializeOwned>(
    product_id: Uuid,
    content_type: &str,
    bytes: &[u8],
) -> Result<T, ApiFailure> {
    read(invoke::<ipc::UploadImage>(&UploadImageArgs::new(product_id, content_type, bytes)).await)
}

/// Sets up a new restaurant with its owner at the server `args` names, and signs the owner in: the
/// owner, or the server's refusal with its fields.
pub async fn sign_up(args: &SignUpArgs) -> Result<SignedIn, ApiFailure> {
    read(invoke::<ipc::SignUp>(args).await)
}

/// Saves the orders `args.query` selects as CSV where the person picks in the save dialog: where it went
/// (nowhere when they closed the dialog), or the server's refusal.
pub async fn export_orders(args: &ExportOrdersArgs) -> Result<SavedExport, ApiFailure> {
    read(invoke::<ipc::ExportOrders>(args).await)
}

/// A reply from the shell as `T`, or why it is not one.
fn read<T: DeserializeOwned>(reply: Result<ApiReply, IpcError>) -> Result<T, ApiFailure> {
    let reply = reply.map_err(|error| ApiFailure {
        status: None,
        code: error.code,
        message: error.message,
        fields: BTreeMap::new(),
    })?;
    if reply.is_success() {
        // An empty answer (204) reads as JSON null, which `()` and `Option` accept.
        return serde_json::from_value(reply.body).map_err(|e| ApiFailure {
            status: Some(reply.status),
            code: "ipc".into(),
            message: format!("the app could not read the server's answer: {e}"),
            fields: BTreeMap::new(),
        });
    }
    Err(match serde_json::from_value::<ErrorBody>(reply.body) {
        Ok(body) => ApiFailure {
            status: Some(reply.status),
            code: body.error.code,
            message: body.error.message,
            fields: body.error.fields.map(|f| f.0).unwrap_or_default(),
        },
        Err(_) => ApiFailure {
            status: Some(reply.status),
            code: "server".into(),
            message: format!("the server answered {}", reply.status),
            fields: BTreeMap::new(),
        },
    })
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    call("GET", path, None).await
}

/// `POST`, `PATCH` or `PUT` with a typed body.
pub async fn send<B: Serialize, T: DeserializeOwned>(method: &str, path: &str, body: &B) -> Result<T, ApiFailure> {
    let body = serde_json::to_value(body).map_err(|e| ApiFailure {
        status: None,
        code: "ipc".into(),
        message: e.to_string(),
        fields: BTreeMap::new(),
    })?;
    call(method, path, Some(body)).await
}
