//! The contract between each app's UI (wasm, in the webview) and its Tauri shell: every command's name,
//! arguments and result, declared once. The shells implement each command under [`Command::NAME`] (a
//! compile-time check ties the Rust function to the name) and `ordera-ui`'s `invoke::<C>` calls it with
//! `C::Args` and reads `C::Output`, so a renamed command or a changed field fails to compile on both sides.
//!
//! On the wire a command's arguments travel as `{"args": <C::Args>}`: one named parameter, whatever the
//! command, so that the shell side is one Rust type too.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::{Device, SignupRequest};
use crate::device::{ApiReply, Menu, OutboxEntry, SignedIn, SyncStatus};
use crate::orders::{Order, OrderLineRequest, RefusedOrder, StatusAction};
use crate::{DeviceKind, OrderType};

/// One shell command.
pub trait Command {
    /// The name the shell registers it under.
    const NAME: &'static str;
    type Args: Serialize + DeserializeOwned;
    type Output: Serialize + DeserializeOwned;
}

/// Whether two names are the same, at compile time: the shells assert that each command function bears
/// its declared name.
pub const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// No arguments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoArgs {}

macro_rules! commands {
    ($($(#[$doc:meta])* $ty:ident = $name:literal : $args:ty => $output:ty;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $ty;

            impl Command for $ty {
                const NAME: &'static str = $name;
                type Args = $args;
                type Output = $output;
            }
        )*
    };
}

commands! {
    /// What the UI needs before its first screen: whether the device is paired, and the shell's settings.
    Start = "start": NoArgs => StartInfo;
    /// The engine's connection state, last sync, log position and waiting commands.
    Status = "status": NoArgs => SyncStatus;
    /// The menu as cached on the device.
    GetMenu = "menu": NoArgs => Menu;
    /// Exchanges a pairing code for this device's token and starts syncing.
    Pair = "pair": PairArgs => ();
    /// Forgets the server and token (a re-pair); queued commands stay.
    Forget = "forget": NoArgs => ();
    /// The orders cached on the device: those still in the kitchen and today's.
    GetOrders = "orders": NoArgs => Vec<Order>;
    /// One cached order: `None` until the server has numbered it.
    GetOrder = "order": IdArgs => Option<Order>;
    /// Refused orders nobody has settled yet, oldest first.
    Refusals = "refusals": NoArgs => Vec<RefusedOrder>;
    /// Settles a refused order (needs the connection).
    ResolveRefusal = "resolve_refusal": IdArgs => RefusedOrder;
    /// Queues a new order durably; the order's id is the one the UI made for this cart.
    PlaceOrder = "place_order": PlaceOrderArgs => OutboxEntry;
    /// Queues a status change (bump, undo, recall, cancel) durably.
    SetStatus = "set_status": SetStatusArgs => OutboxEntry;
    /// Queues marking lines of an order done (or not) durably.
    MarkItems = "mark_items": MarkItemsArgs => OutboxEntry;
    /// Signs a person in (admin app); the device pairs with their restaurant if it is not yet.
    SignIn = "sign_in": SignInArgs => SignedIn;
    /// Sets up a new restaurant (a branch) at the server with its owner, then signs the owner in as
    /// `sign_in` does. The server's answer whole, like `api`'s, so a refused field is shown beside it;
    /// on success the engine keeps the session and the body is the [`SignedIn`] owner.
    SignUp = "sign_up": SignUpArgs => ApiReply;
    /// Signs the person out; a pairing their sign-in made is revoked and forgotten.
    SignOut = "sign_out": NoArgs => ();
    /// A call to the server's API as the signed-in person (or this device): the answer, whatever its
    /// status. Only an unreachable server is an error.
    Api = "api": ApiArgs => ApiReply;
    /// Uploads a product's photo as the signed-in person (`PUT products/{id}/image` with the image's own
    /// bytes and type): the server's answer whole, like `api`'s, so a refused file (413, 415, 422) is
    /// explained in the server's words. Only an unreachable server is an error.
    UploadImage = "upload_image": UploadImageArgs => ApiReply;
    /// Saves the orders the history's filters select as CSV (the server's `orders/export.csv`, read as
    /// the signed-in person) to a file the person picks in the system's save dialog. The server's answer
    /// whole when it refuses (a 403 or 422 explained in its words, and no dialog); on success the body is
    /// a [`SavedExport`].
    ExportOrders = "export_orders": ExportOrdersArgs => ApiReply;
    /// A kitchen screen's own settings (role, stations, sound), kept on the device.
    GetScreenSettings = "screen_settings": NoArgs => ScreenSettings;
    SaveScreenSettings = "save_screen_settings": ScreenSettings => ScreenSettings;
    /// The cancelled orders a cook has acknowledged on this screen (kept on the device, newest last).
    Acknowledged = "acknowledged": NoArgs => Vec<Uuid>;
    /// A cook has seen a cancellation: it may leave this screen's board.
    Acknowledge = "acknowledge": IdArgs => Vec<Uuid>;
    /// Kiosk: opens the staff panel for the PIN the restaurant set (checked on the device, so it works
    /// offline). Refused with `invalid` for a wrong PIN or none set, `throttled` after too many tries.
    StaffUnlock = "staff_unlock": StaffPinArgs => ();
    /// Kiosk: closes the app, leaving kiosk mode; only within a minute of `staff_unlock`.
    LeaveKiosk = "leave_kiosk": NoArgs => ();
}

/// A PIN typed on the kiosk's staff keypad. Never `Debug`-printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPinArgs {
    pub pin: String,
}

impl std::fmt::Debug for StaffPinArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaffPinArgs(**redacted**)")
    }
}

/// What a kitchen screen is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreenRole {
    /// Not chosen yet: the screen asks on its first start.
    #[default]
    Unset,
    /// The items of its stations only; cooks mark them done.
    Stations,
    /// Every item of every ticket with each station's progress; bumps tickets off the pass.
    Expo,
    /// Facing customers: the numbers being prepared and ready.
    Pickup,
}

/// A kitchen screen's settings, kept on the device (each screen has its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenSettings {
    pub role: ScreenRole,
    /// For `Stations`: the stations whose items this screen shows.
    #[serde(default)]
    pub stations: Vec<String>,
    /// 0 to 100.
    pub volume: u8,
    pub muted: bool,
    /// Sound an alarm while the screen is offline or behind.
    #[serde(default)]
    pub alarm: bool,
}

impl Default for ScreenSettings {
    fn default() -> Self {
        Self { role: ScreenRole::Unset, stations: Vec::new(), volume: 70, muted: false, alarm: false }
    }
}

/// What the shell tells its UI on start. One shape for every app; each reads what concerns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartInfo {
    pub paired: bool,
    /// The server address to suggest on the pairing screen.
    pub server_url: String,
    pub kind: DeviceKind,
    /// This device as the server listed it when it was paired.
    pub device: Option<Device>,
    /// The app's version.
    pub version: String,
    /// Kiosk: this device's own idle reset (seconds without a touch), when it was installed with one
    /// (`ORDERA_KIOSK_IDLE_SECONDS`); `None` follows the restaurant's setting.
    #[serde(default)]
    pub idle_seconds: Option<u32>,
    /// Kiosk: installed in kiosk mode (`ORDERA_KIOSK_LOCKED=1`): fullscreen, no window controls, and only the
    /// staff panel, behind the restaurant's PIN, closes it.
    #[serde(default)]
    pub locked: bool,
    /// Admin: the person signed in on this device, if any (boxed: most apps never have one, and it is
    /// the largest part).
    #[serde(default)]
    pub signed_in: Option<Box<SignedIn>>,
}

/// Never `Debug`-printed with the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInArgs {
    pub server_url: String,
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for SignInArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInArgs").field("server_url", &self.server_url).field("email", &self.email).finish()
    }
}

/// Which orders to export, and the file name the save dialog suggests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOrdersArgs {
    /// The history's filters as the API's query string: `from=2026-12-01&to=2026-12-07&status=completed`.
    pub query: String,
    /// "orders-2026-12-01-to-2026-12-07.csv".
    pub file_name: String,
}

/// Where an export was saved: `None` when the person closed the dialog without saving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedExport {
    pub path: Option<String>,
    /// The file's size.
    pub bytes: u64,
}

/// A new restaurant and its owner, for the server at `server_url`. Its `Debug` leaves the password out
/// (the request's own does).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignUpArgs {
    pub server_url: String,
    pub request: SignupRequest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiArgs {
    /// `GET`, `POST`, `PATCH`, `PUT` or `DELETE`.
    pub method: String,
    /// Below `/api/v1/`, with its query: `devices`, `orders?status=placed`.
    pub path: String,
    #[serde(default)]
    pub body: Option<serde_json::Value>,
}

/// A product photo on its way to the server. The bytes travel as base64 because command arguments are
/// JSON; the shell decodes them and the server receives the file exactly as it was chosen.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadImageArgs {
    pub product_id: Uuid,
    /// The file's type as the system named it: `image/png`, `image/jpeg` or `image/webp` (the server
    /// refuses any other with 415).
    pub content_type: String,
    /// The file, in standard base64 with padding.
    pub data_base64: String,
}

impl UploadImageArgs {
    pub fn new(product_id: Uuid, content_type: &str, bytes: &[u8]) -> Self {
        Self { product_id, content_type: content_type.to_owned(), data_base64: STANDARD.encode(bytes) }
    }

    /// The file's bytes; `None` when `data_base64` is not base64.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        STANDARD.decode(self.data_base64.as_bytes()).ok()
    }
}

/// Never `Debug`-printed with megabytes of picture: its size stands in for it.
impl std::fmt::Debug for UploadImageArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadImageArgs")
            .field("product_id", &self.product_id)
            .field("content_type", &self.content_type)
            .field("base64_chars", &self.data_base64.len())
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairArgs {
    pub server_url: String,
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdArgs {
    pub id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrderArgs {
    /// Made once per reviewed cart (UUIDv7), so a second tap sends the same order again, not a new one.
    pub id: Uuid,
    pub order_type: OrderType,
    pub lines: Vec<OrderLineRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetStatusArgs {
    pub order_id: Uuid,
    pub action: StatusAction,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkItemsArgs {
    pub order_id: Uuid,
    pub items: Vec<usize>,
    pub done: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_exactly() {
        assert!(same_name(Status::NAME, "status"));
        assert!(!same_name(Status::NAME, "statu"));
        assert!(!same_name(Status::NAME, "stable"));
    }

    #[test]
    fn an_uploaded_picture_crosses_as_base64_and_comes_back_byte_for_byte() {
        let bytes: Vec<u8> = (0..=255).chain([0x89, b'P', b'N', b'G']).collect();
        let args = UploadImageArgs::new(Uuid::nil(), "image/png", &bytes);
        let wire = serde_json::to_value(&args).unwrap();
        assert_eq!(wire["content_type"], "image/png");
        let back: UploadImageArgs = serde_json::from_value(wire).unwrap();
        assert_eq!(back.bytes(), Some(bytes));
        let garbled = UploadImageArgs { data_base64: "not base64!".into(), ..back.clone() };
        assert_eq!(garbled.bytes(), None);
        assert!(!format!("{back:?}").contains(&back.data_base64), "the picture is not printed");
    }
}
