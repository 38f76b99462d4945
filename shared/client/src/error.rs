//! The engine's one error type: what went wrong, in terms a shell can show or act on.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum Error {
    /// The device is not paired (or was unpaired or revoked).
    #[error("this device is not paired with a server")]
    NotPaired,
    /// The server refused the credentials or the pairing code.
    #[error("{0}")]
    Unauthorized(String),
    /// The server could not be reached.
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    /// The server answered with an error.
    #[error("{0}")]
    Server(String),
    /// The input was refused before it was queued.
    #[error("{0}")]
    Invalid(String),
    /// The local database failed.
    #[error("local storage failed: {0}")]
    Storage(String),
    /// The local database holds something unreadable.
    #[error("local data is corrupt: {0}")]
    Corrupt(String),
    /// An event arrived out of sequence; the engine reconnects from its cursor.
    #[error("expected event {expected}, got {got}")]
    Gap { expected: i64, got: i64 },
    /// Events arrived before any snapshot.
    #[error("no snapshot yet")]
    NoCursor,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        Error::Storage(error.to_string())
    }
}

impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Self {
        // A connection refused, timed out or cut mid-request or mid-body is the network, not the server.
        if error.is_connect() || error.is_timeout() || error.is_request() || error.is_body() {
            Error::Offline(error.to_string())
        } else {
            Error::Server(error.to_string())
        }
    }
}

impl From<Error> for ordera_protocol::device::IpcError {
    fn from(error: Error) -> Self {
        let code = match &error {
            Error::NotPaired => "not_paired",
            Error::Unauthorized(_) => "unauthorized",
            Error::Offline(_) => "offline",
            Error::Server(_) => "server",
            Error::Invalid(_) => "invalid",
            Error::Storage(_) => "storage",
            Error::Corrupt(_) | Error::Gap { .. } | Error::NoCursor => "corrupt",
        };
        Self::new(code, error.to_string())
    }
}
