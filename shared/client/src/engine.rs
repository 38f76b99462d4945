//! The engine: one per app, running in the shell's async runtime. It pairs the device, keeps the cache in
//! step with the server (snapshot, then the event stream), sends the outbox in order and tells listeners
//! what changed. The UI never talks to the server itself.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use ordera_protocol::api::{
    CreatePairingCodeRequest, ErrorBody, LoginRequest, PairRequest, PairResponse, PairingCodeResponse, SessionResponse,
    SignupRequest,
};
use ordera_protocol::device::{ApiReply, SignedIn};
use ordera_protocol::orders::{
    mark_lines, ItemsDoneRequest, Order, Outcome, PlaceOrderRequest, RefusedOrder, StatusAction, StatusChangeRequest,
    Transition,
};
use ordera_protocol::sync::{close, ClientMessage, ServerMessage, Snapshot};
use ordera_protocol::DeviceKind;
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::cache::{Cache, Credentials, Menu, OutboxEntry};
use crate::error::{Error, Result};
pub use ordera_protocol::device::{ConnectionState, EngineEvent, SyncStatus};

/// Timings and limits; the defaults suit a restaurant's Wi-Fi.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How often the engine pings while connected.
    pub heartbeat: Duration,
    /// Silence after which the link counts as dead and the engine reconnects.
    pub dead_after: Duration,
    /// The first reconnect pause; it doubles per failure, with full jitter, up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Commands sent and not yet acknowledged, at most.
    pub max_in_flight: usize,
    /// For connecting and for HTTP requests.
    pub request_timeout: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(2),
            dead_after: Duration::from_secs(6),
            backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(10),
            max_in_flight: 256,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// The least time an image upload is given, whatever [`EngineConfig::request_timeout`] says.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(60);

struct Shared {
    cache: Mutex<Cache>,
    config: EngineConfig,
    http: reqwest::Client,
    status: Mutex<SyncStatus>,
    events: broadcast::Sender<EngineEvent>,
    /// Rung when a command is queued, so a live connection sends it at once.
    outbox_ready: Notify,
    images_dir: PathBuf,
}

impl Shared {
    fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().expect("cache lock")
    }

    fn emit(&self, event: EngineEvent) {
        // No listener is fine.
        let _ = self.events.send(event);
    }

    /// Updates the status from the cache's counts and `change`, and tells listeners if it moved. The
    /// counts are read while the status is locked: otherwise an acknowledgement's update could read the
    /// outbox before a new order was queued and write its stale "nothing waiting" after the newer count.
    fn update_status(&self, change: impl FnOnce(&mut SyncStatus)) {
        let moved = {
            let mut status = self.status.lock().expect("status lock");
            let before = status.clone();
            {
                let cache = self.cache();
                status.pending = cache.pending_count().unwrap_or(status.pending);
                status.rejected = cache.rejected_count().unwrap_or(status.rejected);
                status.last_sync = cache.last_sync().ok().flatten().or(status.last_sync);
                if let Ok(cursor) = cache.cursor() {
                    status.position = cursor.map(|cursor| cursor.seq);
                }
            }
            change(&mut status);
            (*status != before).then(|| status.clone())
        };
        if let Some(status) = moved {
            self.emit(EngineEvent::ConnectionChanged { status });
        }
    }

    /// Something arrived from the server. The status (and with it the screens) learns of it at most once a
    /// second, so a busy stream does not flood the UI with status events.
    fn heard(&self) {
        let now = Utc::now();
        let stale =
            self.status.lock().expect("status lock").last_heard.is_none_or(|at| (now - at).num_milliseconds() >= 1000);
        if stale {
            self.update_status(|status| status.last_heard = Some(now));
        }
    }

    fn set_connection(&self, connection: ConnectionState, error: Option<String>) {
        self.update_status(|status| {
            status.connection = connection;
            if error.is_some() || connection == ConnectionState::Online {
                status.last_error = error;
            }
        });
    }
}

/// The handle the shell holds. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
    task: Arc<Mutex<Option<Running>>>,
}

/// The sync task and the switch that stops it.
type Running = (JoinHandle<()>, watch::Sender<bool>);

impl Engine {
    /// Opens the cache in `data_dir` and, if the device is paired, starts syncing. Call within a Tokio
    /// runtime.
    pub fn open(data_dir: &Path, config: EngineConfig) -> Result<Self> {
        let cache = Cache::open(&data_dir.join("ordera-cache.db"))?;
        let paired = cache.credentials()?.is_some();
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .build()
            .map_err(|e| Error::Storage(e.to_string()))?;
        let status = SyncStatus {
            connection: if paired { ConnectionState::Offline } else { ConnectionState::Unpaired },
            last_sync: cache.last_sync()?,
            pending: cache.pending_count()?,
            rejected: cache.rejected_count()?,
            last_error: None,
            last_heard: None,
            position: cache.cursor()?.map(|cursor| cursor.seq),
            head: None,
        };
        let engine = Self {
            shared: Arc::new(Shared {
                cache: Mutex::new(cache),
                config,
                http,
                status: Mutex::new(status),
                events: broadcast::channel(256).0,
                outbox_ready: Notify::new(),
                images_dir: data_dir.join("images"),
            }),
            task: Arc::default(),
        };
        if paired {
            engine.start();
        }
        Ok(engine)
    }

    fn start(&self) {
        let (stop, stopped) = watch::channel(false);
        let handle = tokio::spawn(run(self.shared.clone(), stopped));
        if let Some((old, old_stop)) = self.task.lock().expect("task lock").replace((handle, stop)) {
            let _ = old_stop.send(true);
            old.abort();
        }
    }

    /// Stops syncing (the cache and outbox stay as they are).
    pub async fn shutdown(&self) {
        let task = self.task.lock().expect("task lock").take();
        if let Some((handle, stop)) = task {
            let _ = stop.send(true);
            let _ = handle.await;
        }
    }

    /// Exchanges a pairing code for this device's token at `server_url` and starts syncing.
    pub async fn pair(&self, server_url: &str, code: &str) -> Result<Credentials> {
        let server_url = server_address(server_url)?;
        let response = self
            .shared
            .http
            .post(format!("{server_url}/api/v1/devices/pair"))
            .json(&PairRequest { code: code.trim().to_owned() })
            .send()
            .await?;
        let paired: PairResponse = read_json(response).await?;
        let credentials = Credentials { server_url, token: paired.token, device: paired.device };
        self.shutdown().await;
        self.shared.cache().set_credentials(&credentials, &paired.tenant)?;
        self.shared.set_connection(ConnectionState::Connecting, None);
        self.start();
        Ok(credentials)
    }

    /// Signs a person in at `server_url` (the admin app). The device syncs like any other, as an admin
    /// device of the person's restaurant: unless it is already paired with that restaurant there, the
    /// session makes a pairing code and the device pairs with it, named `device_name`.
    pub async fn sign_in(&self, server_url: &str, email: &str, password: &str, device_name: &str) -> Result<SignedIn> {
        let server_url = server_address(server_url)?;
        let login = LoginRequest { email: email.trim().to_owned(), password: password.to_owned() };
        let response = self.shared.http.post(format!("{server_url}/api/v1/login")).json(&login).send().await?;
        let session: SessionResponse = read_json(response).await?;
        self.keep_session(server_url, session, device_name).await
    }

    /// Sets up a new restaurant and its owner at `server_url` (`POST /signup`), then keeps the owner's
    /// session and pairs this computer as [`Engine::sign_in`] does. The server's answer comes back whole
    /// for the UI to show a refused field beside it; on success its body is the [`SignedIn`] owner rather
    /// than the session, so no token reaches the UI. Only an unreachable server is an error.
    pub async fn sign_up(&self, server_url: &str, request: &SignupRequest, device_name: &str) -> Result<ApiReply> {
        let server_url = server_address(server_url)?;
        let response = self.shared.http.post(format!("{server_url}/api/v1/signup")).json(request).send().await?;
        let answer = reply(response).await?;
        if !answer.is_success() {
            return Ok(answer);
        }
        let session: SessionResponse = serde_json::from_value(answer.body)
            .map_err(|e| Error::Server(format!("an unreadable sign-up answer: {e}")))?;
        let signed_in = self.keep_session(server_url, session, device_name).await?;
        let body = serde_json::to_value(&signed_in).map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(ApiReply { status: answer.status, body })
    }

    /// Keeps a person's `session` as this device's, pairing the computer with their restaurant first
    /// unless it already is paired with it.
    async fn keep_session(&self, server_url: String, session: SessionResponse, device_name: &str) -> Result<SignedIn> {
        let paired_here = self.credentials()?.is_some_and(|c| c.server_url == server_url)
            && self.shared.cache().tenant()?.is_some_and(|t| t.id == session.tenant.id);
        if !paired_here {
            let request = CreatePairingCodeRequest { kind: DeviceKind::Admin, name: device_name.to_owned() };
            let response = self
                .shared
                .http
                .post(format!("{server_url}/api/v1/devices/pairing-codes"))
                .bearer_auth(&session.token)
                .json(&request)
                .send()
                .await?;
            let code: PairingCodeResponse = read_json(response).await?;
            self.pair(&server_url, &code.code).await?;
        }
        let signed_in =
            SignedIn { user: session.user, tenant: session.tenant, server_url, expires_at: session.expires_at };
        // A pairing an earlier sign-in made stays this session's to revoke at sign-out.
        let made_before = self.shared.cache().session::<StoredSession>()?.is_some_and(|s| s.paired);
        let paired = !paired_here || made_before;
        let stored = StoredSession { token: session.token, signed_in: signed_in.clone(), paired };
        self.shared.cache().set_session(&stored)?;
        Ok(signed_in)
    }

    /// The person signed in on this device, if any.
    pub fn signed_in(&self) -> Result<Option<SignedIn>> {
        Ok(self.shared.cache().session::<StoredSession>()?.map(|s| s.signed_in))
    }

    /// Signs the person out: the server ends the session, and a pairing the sign-in made is revoked and
    /// forgotten, so that the device holds no working token of theirs. Offline, the device forgets both all
    /// the same (the session then lapses on the server at its expiry).
    pub async fn sign_out(&self) -> Result<()> {
        let Some(session) = self.shared.cache().session::<StoredSession>()? else { return Ok(()) };
        let server_url = session.signed_in.server_url.clone();
        if session.paired {
            if let Some(credentials) = self.credentials()? {
                // The device revokes itself: whoever signed in (staff too) may end their own computer's pairing.
                let revoke = format!("{server_url}/api/v1/devices/{}/revoke", credentials.device.id);
                let _ = self.shared.http.post(revoke).bearer_auth(&credentials.token).send().await;
            }
            self.unpair().await?;
        }
        let _ = self.shared.http.post(format!("{server_url}/api/v1/logout")).bearer_auth(&session.token).send().await;
        self.shared.cache().forget_session()?;
        Ok(())
    }

    /// Calls the server's API for the UI (`path` below `/api/v1/`), as the signed-in person, or else as
    /// this device. The answer comes back whatever its status, for the UI to show the server's own words
    /// (field errors beside their fields); only an unreachable server is an error.
    pub async fn call(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> Result<ApiReply> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| Error::Invalid(format!("{method:?} is not an HTTP method")))?;
        let mut request = self.as_caller(method, path)?;
        if let Some(body) = body {
            request = request.json(body);
        }
        reply(request.send().await?).await
    }

    /// Reads a file the API serves (`path` below `/api/v1/`, e.g. the CSV export) as [`Engine::call`]'s
    /// caller: its bytes, or the server's answer whole when it refuses. Only an unreachable server is an
    /// error.
    pub async fn download(&self, path: &str) -> Result<std::result::Result<Vec<u8>, ApiReply>> {
        let response = self
            .as_caller(reqwest::Method::GET, path)?
            // A long export is larger than a JSON answer.
            .timeout(self.shared.config.request_timeout.max(UPLOAD_TIMEOUT))
            .send()
            .await?;
        if response.status().is_success() {
            return Ok(Ok(response.bytes().await?.to_vec()));
        }
        Ok(Err(reply(response).await?))
    }

    /// Uploads a product's photo for the UI (`PUT products/{id}/image`): the file's own bytes with its
    /// type, as [`Engine::call`]'s caller, and the server's answer whole (a 413, 415 or 422 says why the
    /// file was refused); only an unreachable server is an error.
    pub async fn upload_image(&self, product_id: Uuid, content_type: &str, bytes: Vec<u8>) -> Result<ApiReply> {
        let request = self
            .as_caller(reqwest::Method::PUT, &format!("products/{product_id}/image"))?
            .header(reqwest::header::CONTENT_TYPE, content_type)
            // Megabytes over a restaurant's Wi-Fi, then decoded on the server: more than a JSON call needs.
            .timeout(self.shared.config.request_timeout.max(UPLOAD_TIMEOUT))
            .body(bytes);
        reply(request.send().await?).await
    }

    /// A request to `path` below `/api/v1/` with the caller's token: the signed-in person's, or else this
    /// device's.
    fn as_caller(&self, method: reqwest::Method, path: &str) -> Result<reqwest::RequestBuilder> {
        // Read apart from the match: the cache's lock must be let go before `credentials` takes it again.
        let session = self.shared.cache().session::<StoredSession>()?;
        let (server_url, token) = match session {
            Some(session) => (session.signed_in.server_url, session.token),
            None => {
                let credentials = self.credentials()?.ok_or(Error::NotPaired)?;
                (credentials.server_url, credentials.token)
            }
        };
        Ok(self
            .shared
            .http
            .request(method, format!("{server_url}/api/v1/{}", path.trim_start_matches('/')))
            .bearer_auth(token))
    }

    /// Forgets the server and token. Queued commands stay in the outbox.
    pub async fn unpair(&self) -> Result<()> {
        self.shutdown().await;
        self.shared.cache().forget_credentials()?;
        self.shared.set_connection(ConnectionState::Unpaired, None);
        Ok(())
    }

    pub fn credentials(&self) -> Result<Option<Credentials>> {
        self.shared.cache().credentials()
    }

    pub fn status(&self) -> SyncStatus {
        self.shared.status.lock().expect("status lock").clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.shared.events.subscribe()
    }

    /// A setting of this device's own, kept in the cache (`None` until first saved).
    pub fn preference<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Result<Option<T>> {
        self.shared.cache().preference(name)
    }

    pub fn set_preference<T: serde::Serialize>(&self, name: &str, value: &T) -> Result<()> {
        self.shared.cache().set_preference(name, value)
    }

    pub fn menu(&self) -> Result<Menu> {
        self.shared.cache().menu()
    }

    pub fn orders(&self) -> Result<Vec<Order>> {
        self.shared.cache().orders()
    }

    /// One cached order: `None` until the server's answer or event has brought it.
    pub fn order(&self, id: Uuid) -> Result<Option<Order>> {
        self.shared.cache().order(id)
    }

    pub fn pending(&self) -> Result<Vec<OutboxEntry>> {
        self.shared.cache().pending()
    }

    pub fn rejected(&self) -> Result<Vec<OutboxEntry>> {
        self.shared.cache().rejected()
    }

    /// A person has seen a refused command.
    pub fn dismiss(&self, command_id: Uuid) -> Result<()> {
        self.shared.cache().dismiss(command_id)?;
        self.shared.update_status(|_| {});
        Ok(())
    }

    /// Orders the server refused for good that nobody has settled yet, oldest first (admin and kitchen
    /// devices; a kiosk sees its own refusals in [`Engine::rejected`]).
    pub fn refusals(&self) -> Result<Vec<RefusedOrder>> {
        self.shared.cache().refusals()
    }

    /// Tells the server a refused order has been settled (the customer served or refunded). This needs the
    /// connection: settling is a person's decision, made while they look at the current list.
    pub async fn resolve_refusal(&self, id: Uuid) -> Result<RefusedOrder> {
        let credentials = self.shared.cache().credentials()?.ok_or(Error::NotPaired)?;
        let response = self
            .shared
            .http
            .post(format!("{}/api/v1/orders/refused/{id}/resolve", credentials.server_url))
            .bearer_auth(&credentials.token)
            .send()
            .await?;
        let refusal: RefusedOrder = read_json(response).await?;
        self.shared.cache().store_refusal(&refusal)?;
        self.shared.emit(EngineEvent::RefusalsChanged);
        Ok(refusal)
    }

    fn enqueue(&self, command_id: Uuid, message: ClientMessage) -> Result<OutboxEntry> {
        if self.shared.cache().credentials()?.is_none() {
            return Err(Error::NotPaired);
        }
        let entry = self.shared.cache().enqueue(command_id, &message)?;
        self.shared.update_status(|_| {});
        self.shared.outbox_ready.notify_one();
        Ok(entry)
    }

    /// Queues an order durably: when this returns it is saved on the device and will reach the server
    /// exactly once, whenever the connection allows. The order's own id is the command id.
    pub fn place_order(&self, order: PlaceOrderRequest) -> Result<OutboxEntry> {
        order.validate().map_err(|errors| Error::Invalid(errors.to_string()))?;
        self.enqueue(order.id, ClientMessage::PlaceOrder { command_id: order.id, order })
    }

    /// Queues a status change (a bump) durably.
    pub fn set_status(&self, order_id: Uuid, action: StatusAction, reason: Option<String>) -> Result<OutboxEntry> {
        let change = StatusChangeRequest { command_id: ordera_protocol::new_id(), action, reason };
        change.validate().map_err(|errors| Error::Invalid(errors.to_string()))?;
        let entry = self.enqueue(change.command_id, ClientMessage::ChangeStatus { order_id, change })?;
        // Screens show queued commands at once; tell them the orders as they will be.
        self.shared.emit(EngineEvent::OrdersChanged);
        Ok(entry)
    }

    /// Queues marking lines of an order done (or taking the marks back) durably.
    pub fn mark_items(&self, order_id: Uuid, items: Vec<usize>, done: bool) -> Result<OutboxEntry> {
        let change = ItemsDoneRequest { command_id: ordera_protocol::new_id(), items, done };
        change.validate().map_err(|errors| Error::Invalid(errors.to_string()))?;
        let entry = self.enqueue(change.command_id, ClientMessage::MarkItems { order_id, change })?;
        self.shared.emit(EngineEvent::OrdersChanged);
        Ok(entry)
    }

    /// The cached orders with this device's queued status changes and marks applied on top, oldest first:
    /// what a kitchen screen shows, so a bump made offline shows at once and stays shown until the server
    /// has it. The server's rules decide in the end; a queued command it refuses falls away with its ack.
    pub fn orders_as_queued(&self) -> Result<Vec<Order>> {
        let (mut orders, pending) = {
            let cache = self.shared.cache();
            (cache.orders()?, cache.pending()?)
        };
        for entry in pending {
            match entry.message {
                ClientMessage::ChangeStatus { order_id, change } => {
                    if let Some(order) = orders.iter_mut().find(|order| order.id == order_id) {
                        if let Transition::To(next) = order.status.apply(change.action) {
                            order.status = next;
                        }
                    }
                }
                ClientMessage::MarkItems { order_id, change } => {
                    if let Some(order) = orders.iter_mut().find(|order| order.id == order_id) {
                        // The server's own rule, so a ticket whose last line is marked shows ready at once and
                        // the next bump serves it rather than asking for ready a second time.
                        let marked =
                            mark_lines(order.status, &mut order.items, &change.items, change.done, entry.created_at);
                        if let Some(next) = marked.next {
                            order.status = next;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(orders)
    }

    /// The cached file of an image, if it has been downloaded.
    pub fn image_path(&self, image_id: Uuid, thumb: bool) -> Option<PathBuf> {
        let path = image_file(&self.shared.images_dir, image_id, thumb);
        path.exists().then_some(path)
    }
}

fn image_file(dir: &Path, image_id: Uuid, thumb: bool) -> PathBuf {
    dir.join(format!("{image_id}{}.jpg", if thumb { "-thumb" } else { "" }))
}

/// A person's session as the engine keeps it: the token never leaves the engine.
#[derive(Serialize, Deserialize)]
struct StoredSession {
    token: String,
    signed_in: SignedIn,
    /// Whether the sign-in paired the device (then signing out revokes and forgets that pairing).
    paired: bool,
}

/// A server address as typed, checked and without a trailing slash.
fn server_address(typed: &str) -> Result<String> {
    let server_url = typed.trim().trim_end_matches('/').to_owned();
    if !(server_url.starts_with("http://") || server_url.starts_with("https://")) {
        return Err(Error::Invalid("the server address must start with http:// or https://".into()));
    }
    Ok(server_url)
}

/// The server's answer to a call the UI made, whatever its status.
async fn reply(response: reqwest::Response) -> Result<ApiReply> {
    let status = response.status().as_u16();
    if matches!(status, 502..=504) {
        // A proxy with no server behind it right now: as good as offline.
        return Err(Error::Offline(format!("the server answered {status}")));
    }
    let text = response.text().await?;
    let body = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).map_err(|e| Error::Server(format!("the server's answer is not JSON: {e}")))?
    };
    Ok(ApiReply { status, body })
}

async fn read_json<T: for<'de> Deserialize<'de>>(response: reqwest::Response) -> Result<T> {
    let status = response.status();
    if status.is_success() {
        return response.json().await.map_err(|e| Error::Server(e.to_string()));
    }
    let message = match response.json::<ErrorBody>().await {
        Ok(body) => body.error.message,
        Err(_) => format!("the server answered {status}"),
    };
    if status == reqwest::StatusCode::UNAUTHORIZED {
        Err(Error::Unauthorized(message))
    } else if matches!(status.as_u16(), 502..=504) {
        // A proxy with no server behind it right now (a restart, an outage): as good as offline.
        Err(Error::Offline(message))
    } else {
        Err(Error::Server(message))
    }
}

/// How a session ended, which decides what the engine does next.
enum SessionEnd {
    /// The connection dropped or was closed: reconnect with backoff. `was_live` resets the backoff.
    Dropped { was_live: bool },
    /// The cursor cannot be continued: take a new snapshot, keep the outbox.
    Resync,
    /// The token no longer works (revoked): stop and forget it.
    Unauthorized(String),
}

async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut failures: u32 = 0;
    loop {
        let credentials = match shared.cache().credentials() {
            Ok(Some(credentials)) => credentials,
            _ => {
                shared.set_connection(ConnectionState::Unpaired, None);
                return;
            }
        };
        shared.set_connection(ConnectionState::Connecting, None);
        let ended = tokio::select! {
            ended = session(&shared, &credentials) => ended,
            _ = stop.changed() => {
                shared.set_connection(ConnectionState::Offline, None);
                return;
            }
        };
        match ended {
            Ok(SessionEnd::Unauthorized(reason)) => {
                tracing::warn!(reason = %reason, "the server no longer accepts this device");
                let _ = shared.cache().forget_credentials();
                shared.set_connection(ConnectionState::Unpaired, Some(reason));
                return;
            }
            Ok(SessionEnd::Resync) => {
                let _ = shared.cache().clear_cursor();
                failures = 0;
                continue;
            }
            Ok(SessionEnd::Dropped { was_live }) => {
                if was_live {
                    failures = 0;
                }
                shared.set_connection(ConnectionState::Offline, None);
            }
            Err(error) => {
                // A lost connection is everyday life for a tablet; anything else is worth a report.
                match &error {
                    Error::Offline(_) => tracing::debug!(error = %error, "sync session ended: offline"),
                    Error::Gap { .. } => tracing::warn!(error = %error, "sync session restarts from its cursor"),
                    _ => tracing::error!(error = %error, "sync session failed"),
                }
                shared.set_connection(ConnectionState::Offline, Some(error.to_string()));
            }
        }
        // Exponential backoff with full jitter: after an outage, devices come back spread out.
        failures = failures.saturating_add(1);
        let cap = shared.config.backoff_base.saturating_mul(1 << failures.min(16)).min(shared.config.backoff_cap);
        let pause = rand::rng().random_range(Duration::ZERO..=cap);
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
    }
}

fn ws_url(server_url: &str) -> String {
    let base = server_url.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
    format!("{base}/api/v1/sync/ws")
}

async fn fetch_snapshot(shared: &Shared, credentials: &Credentials) -> Result<Snapshot> {
    let response = shared
        .http
        .get(format!("{}/api/v1/sync/snapshot", credentials.server_url))
        .bearer_auth(&credentials.token)
        .send()
        .await?;
    read_json(response).await
}

/// Downloads product images not yet on disk. Failures are left for the next catalog change.
async fn fetch_images(shared: Arc<Shared>, credentials: Credentials) {
    let Ok(menu) = shared.cache().menu() else { return };
    if std::fs::create_dir_all(&shared.images_dir).is_err() {
        return;
    }
    for image in menu.products.iter().filter_map(|p| p.image.as_ref()) {
        for thumb in [true, false] {
            let path = image_file(&shared.images_dir, image.id, thumb);
            if path.exists() {
                continue;
            }
            let size = if thumb { "thumb" } else { "display" };
            let url = format!("{}/api/v1/images/{}?size={size}", credentials.server_url, image.id);
            let Ok(response) = shared.http.get(url).bearer_auth(&credentials.token).send().await else { return };
            if !response.status().is_success() {
                continue;
            }
            let Ok(bytes) = response.bytes().await else { return };
            // Written aside and renamed, so a crash never leaves half an image under the real name.
            let partial = path.with_extension("part");
            if std::fs::write(&partial, &bytes).is_ok() {
                let _ = std::fs::rename(&partial, &path);
            }
        }
    }
}

async fn session(shared: &Arc<Shared>, credentials: &Credentials) -> Result<SessionEnd> {
    if shared.cache().cursor()?.is_none() {
        let snapshot = match fetch_snapshot(shared, credentials).await {
            Err(Error::Unauthorized(reason)) => return Ok(SessionEnd::Unauthorized(reason)),
            other => other?,
        };
        shared.cache().replace_with_snapshot(&snapshot)?;
        shared.emit(EngineEvent::CatalogChanged);
        shared.emit(EngineEvent::OrdersChanged);
        shared.emit(EngineEvent::RefusalsChanged);
    }
    // Photos missing from disk (a first start, an interrupted download) are fetched on every connection.
    tokio::spawn(fetch_images(shared.clone(), credentials.clone()));
    let cursor = shared.cache().cursor()?.ok_or(Error::NoCursor)?;
    let connect = tokio_tungstenite::connect_async(ws_url(&credentials.server_url));
    let (socket, _) = tokio::time::timeout(shared.config.request_timeout, connect)
        .await
        .map_err(|_| Error::Offline("connecting timed out".into()))?
        .map_err(|e| Error::Offline(e.to_string()))?;
    let (mut sink, mut stream) = socket.split();
    let hello = ClientMessage::Hello {
        token: credentials.token.clone(),
        epoch: Some(cursor.epoch),
        since: cursor.seq,
        // The engine is built with the apps, from one workspace version: the version the device runs.
        app_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
    };
    send(&mut sink, &hello).await?;

    let mut live = false;
    let mut in_flight = InFlight::default();
    let mut heartbeat = tokio::time::interval(shared.config.heartbeat);
    let mut last_heard = Instant::now();
    let mut nonce = 0u64;
    loop {
        tokio::select! {
            frame = stream.next() => {
                last_heard = Instant::now();
                shared.heard();
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(frame))) => {
                        return Ok(match frame {
                            Some(frame) if u16::from(frame.code) == close::UNAUTHORIZED => {
                                SessionEnd::Unauthorized(frame.reason.to_string())
                            }
                            _ => SessionEnd::Dropped { was_live: live },
                        });
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => return Ok(SessionEnd::Dropped { was_live: live }),
                };
                let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else { continue };
                match message {
                    ServerMessage::Welcome { head, .. } => shared.update_status(|status| status.head = Some(head.seq)),
                    ServerMessage::Pong { .. } => {}
                    ServerMessage::Events { events } => {
                        let newest = events.last().map(|event| event.seq);
                        let applied = shared.cache().apply(&events, Some(credentials.device.id));
                        shared.update_status(|status| status.head = status.head.max(newest));
                        match applied {
                            Ok(changes) => {
                                if changes.catalog {
                                    shared.emit(EngineEvent::CatalogChanged);
                                    tokio::spawn(fetch_images(shared.clone(), credentials.clone()));
                                }
                                if changes.orders {
                                    shared.emit(EngineEvent::OrdersChanged);
                                }
                                if changes.refusals {
                                    shared.emit(EngineEvent::RefusalsChanged);
                                }
                                if changes.revoked {
                                    return Ok(SessionEnd::Unauthorized("this device has been revoked".into()));
                                }
                            }
                            // Reconnecting replays from the cursor, which fills the gap.
                            Err(Error::Gap { .. }) => return Ok(SessionEnd::Dropped { was_live: live }),
                            Err(error) => return Err(error),
                        }
                    }
                    ServerMessage::CaughtUp { .. } => {
                        live = true;
                        shared.cache().set_last_sync(Utc::now())?;
                        shared.set_connection(ConnectionState::Online, None);
                        send_outbox(shared, &mut sink, &mut in_flight).await?;
                    }
                    ServerMessage::Resync { .. } => return Ok(SessionEnd::Resync),
                    ServerMessage::Ack { command_id, result } => {
                        shared.cache().ack(command_id, &result)?;
                        in_flight.commands.remove(&command_id);
                        if result.outcome == Outcome::Rejected {
                            let reason = result.reason.clone().unwrap_or_default();
                            shared.emit(EngineEvent::CommandRejected { command_id, reason });
                        }
                        if result.order.is_some() {
                            shared.emit(EngineEvent::OrdersChanged);
                        }
                        shared.update_status(|_| {});
                        send_outbox(shared, &mut sink, &mut in_flight).await?;
                    }
                    ServerMessage::Error { code, message } => {
                        shared.update_status(|status| status.last_error = Some(message));
                        if code == "internal" {
                            // An unacknowledged command stays queued; a fresh session sends it again.
                            return Ok(SessionEnd::Dropped { was_live: live });
                        }
                    }
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > shared.config.dead_after {
                    return Err(Error::Offline("the server stopped answering".into()));
                }
                nonce += 1;
                let (outbox, position) = {
                    let status = shared.status.lock().expect("status lock");
                    (Some(status.pending as u64), status.position)
                };
                send(&mut sink, &ClientMessage::Ping { nonce, outbox, position }).await?;
            }
            _ = shared.outbox_ready.notified(), if live => {
                send_outbox(shared, &mut sink, &mut in_flight).await?;
            }
        }
    }
}

type Sink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Message,
>;

async fn send(sink: &mut Sink, message: &ClientMessage) -> Result<()> {
    let text = serde_json::to_string(message).expect("client messages serialise");
    sink.send(Message::Text(text.into())).await.map_err(|e| Error::Offline(e.to_string()))
}

/// What a connection has sent and not yet seen acknowledged.
#[derive(Default)]
struct InFlight {
    commands: HashSet<Uuid>,
    /// The local sequence of the last command sent on this connection: the next ones follow it.
    last_sent: i64,
}

/// Sends queued commands in order, keeping at most `max_in_flight` unacknowledged. The server handles a
/// socket's messages in order, so pipelining keeps the order and the acks come back in it. Only the
/// commands after the last one sent are read, so a long outbox drains in linear time.
async fn send_outbox(shared: &Shared, sink: &mut Sink, in_flight: &mut InFlight) -> Result<()> {
    let room = shared.config.max_in_flight.saturating_sub(in_flight.commands.len());
    if room == 0 {
        return Ok(());
    }
    let next = shared.cache().pending_after(in_flight.last_sent, room)?;
    for entry in next {
        in_flight.commands.insert(entry.command_id);
        in_flight.last_sent = entry.seq;
        send(sink, &entry.message).await?;
    }
    Ok(())
}
