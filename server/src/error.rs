//! The API's one error type. Every failure a client can see maps to a status and the JSON shape
//! `{"error": {"code", "message", "fields"}}`; an internal failure is logged and shown only as "internal".

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ordera_protocol::api::{ErrorBody, ErrorDetail};
use ordera_protocol::FieldErrors;
use serde::de::DeserializeOwned;

use crate::input::{self, InputError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{message}")]
    Unprocessable { message: String, fields: Option<FieldErrors> },
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    /// A write that kept colliding with others (see `store::retrying`): nothing was changed.
    #[error("the restaurant is busy; nothing was changed, try again in a moment")]
    Busy,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn invalid(fields: FieldErrors) -> Self {
        ApiError::Unprocessable { message: format!("invalid input: {fields}"), fields: Some(fields) }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(FieldErrors::single(field, message))
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::Unprocessable { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::Internal(anyhow::Error::new(error))
    }
}

impl From<FieldErrors> for ApiError {
    fn from(fields: FieldErrors) -> Self {
        ApiError::invalid(fields)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            ApiError::Internal(error) => {
                // The details stay in the log; a client learns only that it was not its fault.
                tracing::error!(error = ?error, "internal error");
                "internal server error".to_owned()
            }
            other => other.to_string(),
        };
        let fields = match &self {
            ApiError::Unprocessable { fields, .. } => fields.clone(),
            _ => None,
        };
        let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message, fields } };
        let mut response = (status, Json(body)).into_response();
        match self {
            ApiError::TooManyRequests { retry_after_secs } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)));
            }
            ApiError::Busy => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1));
            }
            _ => {}
        }
        response
    }
}

impl From<InputError> for ApiError {
    fn from(error: InputError) -> Self {
        match error {
            InputError::Malformed(_) => ApiError::BadRequest(error.to_string()),
            InputError::Invalid { message, fields } => ApiError::Unprocessable { message, fields },
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(format!("invalid path: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(format!("invalid query: {}", rejection.body_text()))
    }
}

/// A JSON request body, read by [`crate::input::json_body`] (an object, free text, each field of its type),
/// with this API's error shape on rejection. Every handler takes its body this way.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Ok(ApiJson(input::json_body(&json_bytes(request, state).await?)?))
    }
}

/// A command's JSON body, decoded even when some of its text is not free text (those fields come second), so
/// that the refusal can be kept and answered by the command's id. Otherwise as [`ApiJson`].
#[derive(Debug)]
pub struct ApiCommand<T>(pub T, pub Option<ordera_protocol::FieldErrors>);

impl<T, S> FromRequest<S> for ApiCommand<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (command, unfree) = input::command_body(&json_bytes(request, state).await?)?;
        Ok(ApiCommand(command, unfree))
    }
}

/// A JSON request's body as it came: the content type checked, the size within the route's limit.
async fn json_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    if !json_content_type(request.headers()) {
        return Err(ApiError::UnsupportedMediaType("expected `Content-Type: application/json`".to_owned()));
    }
    Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge("request body too large".to_owned())
        } else {
            ApiError::BadRequest(rejection.body_text())
        }
    })
}

/// `application/json`, or a `+json` type, with any parameters (as `axum::Json` accepts).
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// `axum::extract::Path` with this API's error shape on rejection.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// Query parameters, with their text checked as a body's is ([`crate::input::query_text`]) and this API's
/// error shape on rejection.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        if let Some(fields) = input::query_text(&parts.uri) {
            return Err(ApiError::invalid(fields));
        }
        Ok(ApiQuery(Query::try_from_uri(&parts.uri)?.0))
    }
}
