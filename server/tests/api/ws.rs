//! A WebSocket client for the sync stream (tokio-tungstenite), speaking the protocol crate's messages.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ordera_protocol::sync::{ClientMessage, Cursor, LoggedEvent, ServerMessage};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for the next message before failing. Generous: `cargo xtask test` runs about a
/// hundred tests at once on a 2-core machine, several of them starting server processes; how fast events
/// arrive is measured by `cargo xtask bench`, not asserted here.
pub const WAIT: Duration = Duration::from_secs(30);

pub struct SyncClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The newest sequence number received.
    pub last: i64,
    /// Every text message received, as it came over the wire: for checking what a device was sent at all.
    pub heard: String,
}

impl SyncClient {
    /// Opens a socket without saying anything yet.
    pub async fn open(addr: std::net::SocketAddr) -> Self {
        let (ws, _) =
            tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/sync/ws")).await.expect("ws connect");
        Self { ws, last: 0, heard: String::new() }
    }

    /// Opens, says hello and reads the welcome and the replay up to `caught_up`.
    pub async fn connect(
        addr: std::net::SocketAddr,
        token: &str,
        epoch: Option<i64>,
        since: i64,
    ) -> (Self, Cursor, Vec<LoggedEvent>) {
        let mut client = Self::open(addr).await;
        client.last = since;
        client.send(&ClientMessage::Hello { token: token.into(), epoch, since, app_version: None }).await;
        let head = match client.recv().await {
            ServerMessage::Welcome { head, .. } => head,
            other => panic!("expected welcome, got {other:?}"),
        };
        let replayed = client.until_caught_up().await;
        (client, head, replayed)
    }

    pub async fn send(&mut self, message: &ClientMessage) {
        self.send_raw(serde_json::to_string(message).unwrap()).await;
    }

    pub async fn send_raw(&mut self, text: String) {
        self.ws.send(Message::Text(text.into())).await.expect("ws send");
    }

    /// The next protocol message; panics on close or after [`WAIT`].
    pub async fn recv(&mut self) -> ServerMessage {
        match self.recv_or_close().await {
            Ok(message) => message,
            Err((code, reason)) => panic!("socket closed ({code}: {reason}) while a message was expected"),
        }
    }

    pub async fn recv_or_close(&mut self) -> Result<ServerMessage, (u16, String)> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next()).await.expect("a message within the wait");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    self.heard.push_str(&text);
                    self.heard.push('\n');
                    let message: ServerMessage = serde_json::from_str(&text).expect("a protocol message");
                    if let ServerMessage::Events { events } = &message {
                        if let Some(last) = events.last() {
                            self.last = last.seq;
                        }
                    }
                    return Ok(message);
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new())))
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err((1006, error.to_string())),
                None => return Err((1006, "stream ended".into())),
            }
        }
    }

    pub async fn expect_close(&mut self) -> (u16, String) {
        loop {
            match self.recv_or_close().await {
                Ok(_) => continue,
                Err(close) => return close,
            }
        }
    }

    /// Events until `caught_up`.
    pub async fn until_caught_up(&mut self) -> Vec<LoggedEvent> {
        let mut events = Vec::new();
        loop {
            match self.recv().await {
                ServerMessage::Events { events: page } => events.extend(page),
                ServerMessage::CaughtUp { .. } => return events,
                other => panic!("expected events or caught_up, got {other:?}"),
            }
        }
    }

    /// Reads until `count` more events have arrived, ignoring other messages.
    pub async fn events(&mut self, count: usize) -> Vec<LoggedEvent> {
        let mut events = Vec::new();
        while events.len() < count {
            if let ServerMessage::Events { events: page } = self.recv().await {
                events.extend(page);
            }
        }
        events
    }

    pub async fn close(mut self) {
        let _ = self
            .ws
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await;
    }
}
