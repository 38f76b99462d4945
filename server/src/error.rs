//! The API's one error type. Every failure a client can see maps to a status and the JSON shape
//! `{"error": {"code", "message", "fields"}}`; an internal failure is logged and shown only as "internal".

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ordera_protocol::api::{ErrorBody, ErrorDetail};
use ordera_protocol::FieldErrors;

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
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonSyntaxError(e) => ApiError::BadRequest(format!("malformed JSON: {}", e.body_text())),
            JsonRejection::JsonDataError(e) => {
                let fields = field_of(&e);
                ApiError::Unprocessable { message: e.body_text(), fields }
            }
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMediaType("expected `Content-Type: application/json`".to_owned())
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge("request body too large".to_owned())
            }
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

/// Names the field a body failed to decode at ("items[0].quantity": "invalid type: string, expected
/// i64"), so that a client shows the error next to the right input, as it does for validation errors.
/// axum decodes through `serde_path_to_error`, which is found in the rejection's chain of sources.
fn field_of(rejection: &axum::extract::rejection::JsonDataError) -> Option<FieldErrors> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(rejection);
    while let Some(error) = source {
        if let Some(error) = error.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>() {
            let path = error.path().to_string();
            // serde_json appends where in the text it happened; the field name says it better.
            let message = error.inner().to_string();
            let message = message.split(" at line ").next().unwrap_or_default().to_owned();
            // A missing field is reported at its parent: name the field itself.
            let field = match message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
                Some(missing) if path == "." => missing.to_owned(),
                Some(missing) => format!("{path}.{missing}"),
                // The body as a whole is wrong (an array for an object): no one field to point at.
                None if path == "." => return None,
                None => path,
            };
            return Some(FieldErrors::single(&field, message));
        }
        source = error.source();
    }
    None
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

/// `axum::Json` with this API's error shape on rejection.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// `axum::extract::Path` with this API's error shape on rejection.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query` with this API's error shape on rejection.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);
