//! Sync: the snapshot and the WebSocket stream.
//!
//! A session: the client says `hello {token, epoch, since}`; the server answers `welcome`, subscribes to
//! the restaurant's live events, replays `seq > since` from the log in pages, says `caught_up`, then
//! forwards live events (filling any gap from the log, dropping repeats) and runs the client's commands,
//! acking each after commit. A reader loop and a writer task share a queue bounded in bytes: a client that
//! reads too slowly fills it and is closed with `SLOW_CONSUMER`, to catch up by cursor when it reconnects;
//! one that stops reading altogether is dropped when a write takes longer than the write timeout. Each
//! restaurant and device holds a bounded number of sockets (`crate::sockets`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use ordera_protocol::api::ErrorBody;
use ordera_protocol::orders::CommandResult;
use ordera_protocol::sync::{close, Audience, ClientMessage, Cursor, Event, LoggedEvent, ServerMessage, Snapshot};
use ordera_protocol::{DeviceKind, FieldErrors};
use sentry::SentryFutureExt;
use tokio::sync::{broadcast, mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::{timeout, Instant};
use tracing::Instrument;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{authenticate, Auth, Principal};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::hub::Frame;
use crate::state::{AppState, Phase};
use crate::store::{now, PositionReport};
use crate::{hub, input, metrics, orders};

/// The largest client message accepted; commands are small.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Events per replay page read from the log.
pub const REPLAY_PAGE: i64 = 500;
/// The most a replay message carries, in bytes: a page of large orders goes as several messages, each well
/// under what the WebSocket layer buffers for one write (1 MiB) and under the socket's byte budget.
pub const REPLAY_MESSAGE_BYTES: usize = 256 * 1024;
/// A socket writes what its device reports with its pings (log position, waiting changes) at most this
/// often; clients ping every few seconds, and a manager's device list needs no more than this.
pub const POSITION_REPORT_INTERVAL: Duration = Duration::from_secs(5);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(snapshot)).routes(routes!(ws))
}

/// What of the restaurant's log this caller may see (`Audience` is the rule; this says who is who).
fn audience(auth: &Auth) -> Audience {
    match auth.principal {
        Principal::Device { device_id, kind: DeviceKind::Kiosk } => Audience::Kiosk { device_id },
        _ => Audience::Staff,
    }
}

/// Everything this device needs to start, with the exact log position it reflects.
#[utoipa::path(get, path = "/sync/snapshot", tag = "sync", security(("bearer" = [])),
    responses((status = 200, body = Snapshot), (status = 401, body = ErrorBody)))]
async fn snapshot(State(state): State<AppState>, auth: Auth) -> ApiResult<ApiJson<Snapshot>> {
    Ok(ApiJson(state.store.snapshot(auth.tenant_id, audience(&auth)).await?))
}

/// The live stream. Upgrade to a WebSocket, then send `hello` first; see `ClientMessage` and
/// `ServerMessage` in ordera-protocol.
#[utoipa::path(get, path = "/sync/ws", tag = "sync", responses((status = 101, description = "switching to WebSocket")))]
async fn ws(State(state): State<AppState>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    upgrade
        // Small buffers keep an idle connection cheap; our own limit below gives a clear close code.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(8 * 1024)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(1024 * 1024)
        .max_frame_size(1024 * 1024)
        .on_upgrade(move |socket| {
            // The session outlives its upgrade request and runs in a task of its own, outside the request's
            // Sentry hub and log span: it gets its own of each, so that what it reports carries its
            // restaurant and device (set once it is authenticated) and never another session's.
            let id = uuid::Uuid::now_v7();
            let hub = Arc::new(sentry::Hub::new_from_top(sentry::Hub::main()));
            hub.configure_scope(|scope| {
                scope.set_tag("request_id", &request_id);
                scope.set_tag("sync_session", id);
            });
            let span = tracing::info_span!(
                "sync_session",
                session = %id,
                request_id = %request_id,
                tenant = tracing::field::Empty,
                device_kind = tracing::field::Empty,
            );
            session(state, socket).instrument(span).bind_hub(hub)
        })
}

/// Resolves once the instance stops taking connections (draining alone is not enough: a draining instance
/// still serves its sockets).
async fn stopping(phase: &mut tokio::sync::watch::Receiver<Phase>) {
    // The guard `wait_for` returns is not `Send`: drop it here rather than hold it in a `select!`.
    let _ = phase.wait_for(|p| *p == Phase::Stopping).await.is_ok();
}

/// Why a session ends, sent to the client as a close frame.
struct Closing {
    code: u16,
    reason: &'static str,
}

impl Closing {
    fn new(code: u16, reason: &'static str) -> Self {
        Self { code, reason }
    }
}

async fn session(state: AppState, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    // What the socket holds unsent is bounded in bytes: each queued message holds permits for its size until
    // it is written.
    let budget = Arc::new(Semaphore::new(state.config.send_buffer_bytes.max(1)));
    let (queue, mut outgoing) = mpsc::unbounded_channel::<Queued>();
    // A close that must not wait behind a full queue (a slow client) takes this way instead.
    let (urgent_close, mut urgent) = tokio::sync::oneshot::channel::<CloseFrame>();
    let write_timeout = Duration::from_millis(state.config.write_timeout_ms);
    let writer = tokio::spawn(async move {
        loop {
            let (message, permit) = tokio::select! {
                biased;
                frame = &mut urgent => match frame {
                    Ok(frame) => (Message::Close(Some(frame)), None),
                    Err(_) => break,
                },
                queued = outgoing.recv() => match queued {
                    Some(queued) => queued,
                    None => break,
                },
            };
            let closing = matches!(message, Message::Close(_));
            let sent = tokio::select! {
                biased;
                frame = &mut urgent, if !closing => {
                    // Give up on what was being sent; the close goes after whatever is already buffered.
                    if let Ok(frame) = frame {
                        let _ = timeout(Duration::from_secs(5), sink.send(Message::Close(Some(frame)))).await;
                    }
                    break;
                }
                // A client that stopped reading (or whose link died without a word) would hold the writer,
                // and what waits for it, for ever.
                sent = timeout(write_timeout, sink.send(message)) => matches!(sent, Ok(Ok(()))),
            };
            drop(permit);
            if !sent || closing {
                break;
            }
        }
        let _ = timeout(Duration::from_secs(5), sink.close()).await;
    });
    let mut session = Session {
        state,
        queue: queue.clone(),
        budget: budget.clone(),
        last: 0,
        auth: None,
        audience: Audience::Kiosk { device_id: uuid::Uuid::nil() },
        token: String::new(),
        reported_at: None,
        unreported: None,
    };
    let closing = tokio::select! {
        closing = session.run(&mut stream) => closing,
        // The writer ends when the client is gone; then there is nobody to serve.
        _ = queue.closed() => None,
    };
    if let Some(Closing { code, reason }) = closing {
        let frame = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
        // In order after what is queued when there is room; ahead of it when the socket is full.
        let room = budget.available_permits() * 2 >= session.state.config.send_buffer_bytes.max(1)
            && code != close::SLOW_CONSUMER;
        if !room || queue.send((Message::Close(Some(frame.clone())), None)).is_err() {
            let _ = urgent_close.send(frame);
        }
    }
    // The device's last word, when the throttle held it back: the list then shows where it stopped. Bounded,
    // so that a database gone away cannot hold a closing session (and a stopping server) up.
    let _ = timeout(Duration::from_secs(2), session.flush_report()).await;
    drop(session);
    drop(queue);
    let abort = writer.abort_handle();
    if timeout(Duration::from_secs(10), writer).await.is_err() {
        // Ended rather than left writing to a socket this instance no longer counts.
        abort.abort();
        tracing::debug!("a sync socket's writer did not finish; ended it");
    }
}

/// A message on its way to the socket, with the share of the socket's byte budget it holds until written.
type Queued = (Message, Option<OwnedSemaphorePermit>);

struct Session {
    state: AppState,
    queue: mpsc::UnboundedSender<Queued>,
    budget: Arc<Semaphore>,
    /// The newest sequence number this client has been sent.
    last: i64,
    auth: Option<Auth>,
    /// What of the log this socket's device may see; a kiosk's until it has said who it is.
    audience: Audience,
    token: String,
    /// When this socket last wrote its device's report, and the newest report not written yet.
    reported_at: Option<Instant>,
    unreported: Option<PositionReport>,
}

enum Incoming {
    Message(ClientMessage),
    /// A message whose text is not free text (`input`): refused naming the fields, a command by its ack.
    Refused(ClientMessage, FieldErrors),
    /// Not valid JSON or not a known message: said back to the client, the session goes on.
    Invalid(String),
    Close(Closing),
    Gone,
}

impl Session {
    fn send(&self, message: &ServerMessage) -> Result<(), Closing> {
        let json = serde_json::to_string(message).expect("server messages serialise");
        self.send_text(json.into())
    }

    /// The permits a message of `len` bytes holds: its size, and never more than the whole budget (one
    /// message larger than the budget waits until the socket has written everything else).
    fn cost(&self, len: usize) -> u32 {
        let whole = self.state.config.send_buffer_bytes.max(1);
        u32::try_from(len.clamp(1, whole)).unwrap_or(u32::MAX)
    }

    /// Queues without waiting: no room left means the client is not keeping up.
    fn send_text(&self, text: Utf8Bytes) -> Result<(), Closing> {
        match self.budget.clone().try_acquire_many_owned(self.cost(text.len())) {
            Ok(permit) => self.queue.send((Message::Text(text), Some(permit))).map_err(|_| Closing::new(1000, "gone")),
            Err(_) => Err(Closing::new(close::SLOW_CONSUMER, "too slow: reconnect and catch up from your cursor")),
        }
    }

    /// Waits for room: replay pages go at the client's pace, not at the database's.
    async fn send_paced(&self, json: String) -> Result<(), Closing> {
        let permit = self
            .budget
            .clone()
            .acquire_many_owned(self.cost(json.len()))
            .await
            .map_err(|_| Closing::new(1000, "gone"))?;
        self.queue.send((Message::Text(json.into()), Some(permit))).map_err(|_| Closing::new(1000, "gone"))
    }

    async fn next_message(stream: &mut futures_util::stream::SplitStream<WebSocket>) -> Incoming {
        loop {
            match stream.next().await {
                None => return Incoming::Gone,
                Some(Err(error)) if too_big(&error) => return Incoming::Close(too_big_closing()),
                Some(Err(_)) => return Incoming::Gone,
                Some(Ok(Message::Text(text))) => {
                    if text.len() > MAX_MESSAGE_BYTES {
                        return Incoming::Close(too_big_closing());
                    }
                    return match input::message::<ClientMessage>(text.as_bytes()) {
                        Ok((message, None)) => Incoming::Message(message),
                        Ok((message, Some(fields))) => Incoming::Refused(message, fields),
                        Err(error) => Incoming::Invalid(error.to_string()),
                    };
                }
                Some(Ok(Message::Binary(bytes))) => {
                    if bytes.len() > MAX_MESSAGE_BYTES {
                        return Incoming::Close(too_big_closing());
                    }
                    return Incoming::Invalid("binary messages are not understood; send JSON text".into());
                }
                Some(Ok(Message::Close(_))) => return Incoming::Gone,
                // Pings are answered by the WebSocket layer itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            }
        }
    }

    async fn run(&mut self, stream: &mut futures_util::stream::SplitStream<WebSocket>) -> Option<Closing> {
        self.serve(stream).await.err()
    }

    async fn serve(&mut self, stream: &mut futures_util::stream::SplitStream<WebSocket>) -> Result<(), Closing> {
        // 1. Hello.
        let hello_timeout = Duration::from_millis(self.state.config.hello_timeout_ms);
        let mut phase = self.state.phase.clone();
        let going_away = Closing::new(close::GOING_AWAY, "the server is restarting; reconnect");
        if *phase.borrow() == Phase::Stopping {
            return Err(going_away);
        }
        let hello = tokio::select! {
            hello = timeout(hello_timeout, Self::next_message(stream)) => hello,
            _ = stopping(&mut phase) => return Err(going_away),
        };
        let hello = match hello {
            Err(_) => return Err(Closing::new(close::HELLO_TIMEOUT, "say hello first, and promptly")),
            Ok(Incoming::Gone) => return Ok(()),
            Ok(Incoming::Close(closing)) => return Err(closing),
            Ok(Incoming::Invalid(_) | Incoming::Refused(..)) => {
                return Err(Closing::new(close::PROTOCOL, "the first message must be a hello"))
            }
            Ok(Incoming::Message(message)) => message,
        };
        let ClientMessage::Hello { token, epoch, since, app_version } = hello else {
            return Err(Closing::new(close::PROTOCOL, "the first message must be a hello"));
        };
        let auth = match authenticate(&self.state, &token).await {
            Ok(auth) => auth,
            Err(ApiError::Unauthorized(_)) => {
                return Err(Closing::new(close::UNAUTHORIZED, "invalid, expired or revoked token"))
            }
            Err(error) => {
                tracing::warn!(error = %error, "authenticating a sync session failed");
                return Err(Closing::new(1011, "internal error; try again"));
            }
        };
        self.auth = Some(auth);
        self.audience = audience(&auth);
        self.token = token;
        if let (Principal::Device { device_id, .. }, Some(version)) =
            (auth.principal, app_version.as_deref().and_then(ordera_protocol::api::app_version))
        {
            // For the managers' device list; a failure here must not cost the device its stream.
            if let Err(error) = self.state.store.report_app_version(auth.tenant_id, device_id, &version).await {
                tracing::warn!(error = %error, "keeping a device's app version failed");
            }
        }
        let tenant_id = auth.tenant_id;
        let kind = match auth.principal {
            Principal::Device { kind, .. } => kind.as_str(),
            Principal::User { .. } => "user",
        };
        // `authenticate` has put the restaurant in the span; the session's own hub gets both.
        tracing::Span::current().record("device_kind", kind);
        sentry::configure_scope(|scope| {
            scope.set_tag("tenant", tenant_id);
            scope.set_tag("device_kind", kind);
        });
        // A device by its id; a signed-in person by their session, since one person may rightly be signed
        // in on several computers at once.
        let owner = match auth.principal {
            Principal::Device { device_id, .. } => device_id,
            Principal::User { .. } => {
                let hash = crate::auth::token_hash(&self.token);
                uuid::Uuid::from_slice(&hash[..16]).expect("a SHA-256 digest is longer than 16 bytes")
            }
        };
        let mut seat = self.state.sockets.take(tenant_id, owner).map_err(|_| {
            Closing::new(
                close::TOO_MANY_SOCKETS,
                "this restaurant has as many connections here as it may; try again shortly",
            )
        })?;
        let _counted = metrics::GaugeGuard::new(::metrics::gauge!(metrics::WS_CONNECTIONS, "kind" => kind));

        // 2. Subscribe before reading the log, so nothing committed in between falls through.
        let mut live = self.state.hub.subscribe(tenant_id);
        let head = self.state.store.head(tenant_id).await.map_err(internal)?;
        self.send(&ServerMessage::Welcome { tenant_id, head })?;

        // 3. Replay, or ask for a resync when the cursor cannot be continued. A newer socket of the same
        // device ends this one here too: a device reconnecting in a loop must not hold a socket per attempt
        // while each waits for its replay to be read.
        let replaced = Closing::new(close::REPLACED, "this device connected again; this older connection is closed");
        let replay = async {
            if let Some(reason) = self.resync_reason(head, epoch, since).await? {
                self.send(&ServerMessage::Resync { reason: reason.into(), epoch: head.epoch })?;
                // The client will fetch a snapshot and come back with its cursor; live events until then
                // are of no use to it.
                self.last = head.seq;
            } else {
                self.last = since;
                self.catch_up().await?;
                self.state.hub.replayed_to(tenant_id, self.last);
                self.send(&ServerMessage::CaughtUp { seq: self.last })?;
            }
            Ok::<_, Closing>(())
        };
        tokio::select! {
            done = replay => done?,
            _ = &mut seat.replaced => return Err(replaced),
        }

        // 4. Live.
        let idle_timeout = Duration::from_millis(self.state.config.idle_timeout_ms);
        let mut last_heard = Instant::now();
        // Re-checks the token now and then: logout, deactivation and expiry end the stream too.
        let mut reauth = tokio::time::interval(Duration::from_millis(self.state.config.reauth_ms));
        reauth.reset();
        loop {
            tokio::select! {
                frame = live.recv() => match frame {
                    Ok(frame) => self.forward(frame).await?,
                    Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up().await?,
                    Err(broadcast::error::RecvError::Closed) => return Err(Closing::new(close::GOING_AWAY, "server shutting down")),
                },
                incoming = Self::next_message(stream) => {
                    last_heard = Instant::now();
                    match incoming {
                        Incoming::Gone => return Ok(()),
                        Incoming::Close(closing) => return Err(closing),
                        Incoming::Invalid(why) => self.send(&ServerMessage::Error {
                            code: "bad_message".into(),
                            message: format!("could not read that message: {why}"),
                        })?,
                        Incoming::Message(message) => self.handle(message).await?,
                        Incoming::Refused(message, fields) => self.refuse(message, fields).await?,
                    }
                },
                _ = tokio::time::sleep_until(last_heard + idle_timeout) => {
                    return Err(Closing::new(close::IDLE, "nothing heard for too long"));
                },
                _ = stopping(&mut phase) => return Err(going_away),
                // Resolves only when a newer socket of this device took this one's place.
                _ = &mut seat.replaced => return Err(replaced),
                _ = reauth.tick() => {
                    if let Err(ApiError::Unauthorized(_)) = authenticate(&self.state, &self.token).await {
                        return Err(Closing::new(close::UNAUTHORIZED, "the token is no longer valid"));
                    }
                },
            }
        }
    }

    async fn resync_reason(
        &self,
        head: Cursor,
        epoch: Option<i64>,
        since: i64,
    ) -> Result<Option<&'static str>, Closing> {
        if epoch.is_some_and(|epoch| epoch != head.epoch) {
            return Ok(Some("the server's log was reset; take a new snapshot"));
        }
        if since < 0 || since > head.seq {
            return Ok(Some("your cursor is ahead of the server; take a new snapshot"));
        }
        if since == head.seq {
            return Ok(None);
        }
        let oldest = self.state.store.oldest_seq(head_tenant(self)).await.map_err(internal)?;
        match oldest {
            Some(oldest) if since >= oldest - 1 => Ok(None),
            _ => Ok(Some("your cursor is older than the log keeps; take a new snapshot")),
        }
    }

    /// Sends everything after `last` from the log, page by page.
    async fn catch_up(&mut self) -> Result<(), Closing> {
        let tenant_id = head_tenant(self);
        loop {
            let events = self.state.store.events_since(tenant_id, self.last, REPLAY_PAGE).await.map_err(internal)?;
            let Some(newest) = events.last().map(|e| e.seq) else { return Ok(()) };
            self.check_revoked(&events)?;
            ::metrics::counter!(metrics::EVENTS_DELIVERED).increment(events.len() as u64);
            let events: Vec<LoggedEvent> = events.into_iter().map(|event| self.audience.redact(event)).collect();
            let most = REPLAY_MESSAGE_BYTES.min(self.state.config.send_buffer_bytes.max(1));
            for message in events_messages(&events, most) {
                self.send_paced(message).await?;
            }
            self.last = newest;
        }
    }

    async fn forward(&mut self, frame: Frame) -> Result<(), Closing> {
        if frame.seq <= self.last {
            return Ok(());
        }
        if frame.seq > self.last + 1 {
            // A gap: an earlier commit's message is late or lost. The log has it.
            return self.catch_up().await;
        }
        self.check_revoked(std::slice::from_ref(frame.event.as_ref()))?;
        if self.audience.sees(&frame.event.event) {
            // The frame as serialised once for every socket of the restaurant.
            self.send_text(Utf8Bytes::from(frame.json.as_ref()))?;
        } else {
            let withheld = LoggedEvent { seq: frame.seq, at: frame.event.at, event: Event::Withheld };
            self.send(&ServerMessage::Events { events: vec![withheld] })?;
        }
        self.last = frame.seq;
        ::metrics::counter!(metrics::EVENTS_DELIVERED).increment(1);
        let lag = (chrono::Utc::now() - frame.event.at).to_std().unwrap_or_default();
        ::metrics::histogram!(metrics::DELIVERY_LAG).record(lag.as_secs_f64());
        Ok(())
    }

    /// A device that is revoked loses its stream at once.
    fn check_revoked(&self, events: &[LoggedEvent]) -> Result<(), Closing> {
        if let Some(Auth { principal: Principal::Device { device_id, .. }, .. }) = self.auth {
            if events.iter().any(|e| matches!(e.event, Event::DeviceRevoked { id } if id == device_id)) {
                return Err(Closing::new(close::UNAUTHORIZED, "this device has been revoked"));
            }
        }
        Ok(())
    }

    /// Writes the newest report not written yet, for a device's socket. A failure is logged and forgotten:
    /// the next ping brings a newer one.
    async fn flush_report(&mut self) {
        let Some(report) = self.unreported.take() else { return };
        let Some(Auth { tenant_id, principal: Principal::Device { device_id, .. } }) = self.auth else { return };
        self.reported_at = Some(Instant::now());
        if let Err(error) = self.state.store.report_position(tenant_id, device_id, &report).await {
            tracing::warn!(error = %error, "keeping a device's reported position failed");
        }
    }

    /// Answers a message refused for its text as the same command with an invalid field would be: a
    /// command is acked as rejected (the device drops it from its outbox and shows why; an order is kept
    /// among the refused orders first, for staff to see), anything else is said back.
    async fn refuse(&self, message: ClientMessage, fields: FieldErrors) -> Result<(), Closing> {
        let error = ApiError::invalid(fields);
        let command_id = match message {
            ClientMessage::PlaceOrder { command_id, order } => {
                let auth = self.auth.expect("authenticated before commands");
                let state = self.state.clone();
                let answer = seen_through(async move { Ok(orders::refused(&state, &auth, &order, error).await) });
                return match answer.await.unwrap_or_else(|failure| failure) {
                    error @ (ApiError::Internal(_) | ApiError::Busy) => self.not_acked(&error),
                    error => {
                        let result = CommandResult::rejected(error.to_string(), None);
                        self.send(&ServerMessage::Ack { command_id, result })
                    }
                };
            }
            ClientMessage::ChangeStatus { change, .. } => change.command_id,
            ClientMessage::MarkItems { change, .. } => change.command_id,
            ClientMessage::Hello { .. } => return Err(Closing::new(close::PROTOCOL, "hello may be sent only once")),
            ClientMessage::Ping { .. } => {
                return self.send(&ServerMessage::Error { code: "bad_message".into(), message: error.to_string() })
            }
        };
        self.send(&ServerMessage::Ack { command_id, result: CommandResult::rejected(error.to_string(), None) })
    }

    /// A command that failed inside, or kept colliding with other writes, is not acked: the client keeps it
    /// and sends it again later (the code it knows for that is "internal").
    fn not_acked(&self, error: &ApiError) -> Result<(), Closing> {
        tracing::error!(error = ?error, "a sync command failed");
        self.send(&ServerMessage::Error {
            code: "internal".into(),
            message: "the command could not be processed; it will be retried".into(),
        })
    }

    async fn handle(&mut self, message: ClientMessage) -> Result<(), Closing> {
        let auth = self.auth.expect("authenticated before commands");
        let (command_id, result) = match message {
            ClientMessage::Ping { nonce, outbox, position } => {
                if let Some(outbox) = outbox {
                    ::metrics::histogram!(metrics::DEVICE_OUTBOX).record(outbox as f64);
                }
                // Answered first: the report's write must not delay the client's liveness check.
                self.send(&ServerMessage::Pong { nonce })?;
                if position.is_some() || outbox.is_some() {
                    let outbox = outbox.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
                    self.unreported = Some(PositionReport { position, outbox, at: now() });
                    if self.reported_at.is_none_or(|at| at.elapsed() >= POSITION_REPORT_INTERVAL) {
                        self.flush_report().await;
                    }
                }
                return Ok(());
            }
            ClientMessage::Hello { .. } => return Err(Closing::new(close::PROTOCOL, "hello may be sent only once")),
            ClientMessage::PlaceOrder { command_id, order } => {
                let state = self.state.clone();
                (command_id, seen_through(async move { orders::place(&state, &auth, &order).await }).await)
            }
            ClientMessage::ChangeStatus { order_id, change } => {
                let state = self.state.clone();
                let command_id = change.command_id;
                (
                    command_id,
                    seen_through(async move { orders::set_status(&state, &auth, order_id, &change).await }).await,
                )
            }
            ClientMessage::MarkItems { order_id, change } => {
                let state = self.state.clone();
                let command_id = change.command_id;
                (
                    command_id,
                    seen_through(async move { orders::mark_done(&state, &auth, order_id, &change).await }).await,
                )
            }
        };
        let result = match result {
            Ok(result) => result,
            // Internal failures, and writes that kept colliding with others, are not acked: the client keeps
            // the command and sends it again later (the code it knows for that is "internal").
            Err(error @ (ApiError::Internal(_) | ApiError::Busy)) => return self.not_acked(&error),
            // Anything else is the command's own fault and will not improve by retrying.
            Err(error) => CommandResult::rejected(error.to_string(), None),
        };
        self.send(&ServerMessage::Ack { command_id, result })
    }
}

/// Runs a command to its end in a task of its own, in this session's log span and Sentry hub: a session
/// dropped midway (its device gone, the server stopping) must not stop a write between its commit and its
/// fan-out, as `app::see_writes_through` keeps for HTTP.
async fn seen_through<T: Send + 'static>(
    command: impl std::future::Future<Output = ApiResult<T>> + Send + 'static,
) -> ApiResult<T> {
    match tokio::spawn(command.in_current_span().bind_hub(sentry::Hub::current())).await {
        Ok(result) => result,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// `events` as `events` messages (`ServerMessage::Events`) of at most about `most` bytes each; an event
/// larger than that goes alone. Each event is serialised once and the messages put together from them.
fn events_messages(events: &[LoggedEvent], most: usize) -> Vec<String> {
    let whole = |listed: &str| format!(r#"{{"type":"events","events":[{listed}]}}"#);
    let mut messages = Vec::new();
    let mut listed = String::new();
    for event in events {
        let json = serde_json::to_string(event).expect("events serialise");
        if !listed.is_empty() && listed.len() + json.len() + 40 > most {
            messages.push(whole(&listed));
            listed.clear();
        }
        if !listed.is_empty() {
            listed.push(',');
        }
        listed.push_str(&json);
    }
    if !listed.is_empty() {
        messages.push(whole(&listed));
    }
    messages
}

fn too_big_closing() -> Closing {
    Closing::new(1009, "message too big")
}

/// Whether the WebSocket layer refused a frame or message for its size (over the upgrade's limits, far
/// above `MAX_MESSAGE_BYTES`). The client hears 1009, as for any message too big, rather than a socket that
/// just goes away (1005). axum reports it as its own error around tungstenite's, the version axum uses
/// (pinned once in the workspace).
fn too_big(error: &axum::Error) -> bool {
    use tokio_tungstenite::tungstenite::Error;
    let inner = std::error::Error::source(error).and_then(|inner| inner.downcast_ref::<Error>());
    matches!(inner, Some(Error::Capacity(_)))
}

fn head_tenant(session: &Session) -> uuid::Uuid {
    session.auth.expect("authenticated").tenant_id
}

fn internal(error: ApiError) -> Closing {
    tracing::error!(error = %error, "a sync session failed");
    Closing::new(1011, "internal error; reconnect")
}

/// Runs the hub's periodic position checks for the life of the process.
pub async fn position_checks(hub: std::sync::Arc<hub::Hub>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        hub.check_positions().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_page_goes_as_messages_within_the_bound_that_read_back_as_its_events() {
        let events: Vec<LoggedEvent> = (1..=40)
            .map(|seq| LoggedEvent {
                seq,
                at: chrono::Utc::now(),
                event: Event::CategoryDeleted { id: uuid::Uuid::now_v7() },
            })
            .collect();
        let messages = events_messages(&events, 1000);
        assert!(messages.len() > 1, "split");
        let mut read = Vec::new();
        for message in &messages {
            assert!(message.len() <= 1000, "{} bytes", message.len());
            let ServerMessage::Events { events } = serde_json::from_str(message).unwrap() else { panic!("events") };
            read.extend(events);
        }
        assert_eq!(read, events);
        assert_eq!(events_messages(&events[..1], 10).len(), 1, "one event larger than the bound goes alone");
        assert!(events_messages(&[], 1000).is_empty());
    }
}
