//! Where the server reads what a client sends. JSON bodies (`ApiJson`), query strings (`ApiQuery`) and sync
//! messages all decode here, so that three rules hold for every one of them, over HTTP and the socket alike:
//!
//! - every string is free text as [`ordera_protocol::validate::is_free_text_char`] defines it (no NUL,
//!   which PostgreSQL cannot store and SQLite would, so the backends would disagree; no other control
//!   character but line breaks and tabs), refused with 422 naming the field;
//! - a body is a JSON object, and a nested object is an object: serde would otherwise read a struct from an
//!   array of its fields in order, so `[]` would be an empty change and `["x"]` a category named x;
//! - a value of the wrong JSON type for its field (`"role": null`) is the client's mistake in that field,
//!   422 naming it, like any invalid value. Only text that is not JSON at all is a 400.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;
use ordera_protocol::validate::free_text;
use ordera_protocol::{FieldErrors, ValidationError};
use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{DeserializeOwned, Deserializer, Error as _, IntoDeserializer, Unexpected, Visitor};
use serde_json::Value;

/// Why input could not be read.
#[derive(Debug)]
pub enum InputError {
    /// Not JSON at all.
    Malformed(String),
    /// JSON, but not what was asked for; the field, when one can be named.
    Invalid { message: String, fields: Option<FieldErrors> },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Malformed(message) => write!(f, "malformed JSON: {message}"),
            InputError::Invalid { message, .. } => f.write_str(message),
        }
    }
}

impl InputError {
    fn fields(fields: FieldErrors) -> Self {
        InputError::Invalid { message: format!("invalid input: {fields}"), fields: Some(fields) }
    }
}

/// A request body: a JSON object whose text is all free text, decoded as `T`.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, InputError> {
    let value = parse(bytes)?;
    if !value.is_object() {
        return Err(InputError::Invalid { message: "the body must be a JSON object".into(), fields: None });
    }
    if let Some(fields) = unfree_text(&value) {
        return Err(InputError::fields(fields));
    }
    decode(&value)
}

/// A command's request body: a JSON object decoded as `T`, with the fields whose text is not free text (see
/// [`message`]).
pub fn command_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, Option<FieldErrors>), InputError> {
    let value = parse(bytes)?;
    if !value.is_object() {
        return Err(InputError::Invalid { message: "the body must be a JSON object".into(), fields: None });
    }
    let decoded = decode(&value)?;
    Ok((decoded, unfree_text(&value)))
}

/// A sync message, decoded as `T`, with the fields whose text is not free text. The message is decoded even
/// then, so that a command can be answered by its id (refused, and dropped from the device's outbox) rather
/// than left to be sent again and again.
pub fn message<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, Option<FieldErrors>), InputError> {
    let value = parse(bytes)?;
    let decoded = decode(&value)?;
    Ok((decoded, unfree_text(&value)))
}

/// The query string's pairs whose name or value is not free text, named by the parameter.
pub fn query_text(uri: &Uri) -> Option<FieldErrors> {
    // Decoded the way the typed query is (`+` and percent escapes), so the check sees what the handler gets.
    let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri).ok()?.0;
    pairs.iter().find_map(|(name, value)| {
        free_text(name).and_then(|()| free_text(value)).err().map(|error| FieldErrors::single(name, error.0))
    })
}

/// Says `Connection: close` on the answer to a request whose body was not read to its end: a refusal made
/// before the body arrived (401, 405, 413, 415). The server cannot take the connection's next request
/// then (the rest of this body stands in its way) and closes it; saying so keeps a keep-alive client from
/// sending its next request down a connection about to close, where it would be lost.
pub async fn close_if_body_unread(request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let finished = Arc::new(AtomicBool::new(false));
    let seen = finished.clone();
    let (parts, body) = request.into_parts();
    // The end of the data marks the body read; an error or a handler that stops early leaves it unread.
    let end = futures_util::stream::poll_fn(move |_| {
        seen.store(true, Ordering::Relaxed);
        Poll::Ready(None)
    });
    let body = Body::from_stream(body.into_data_stream().chain(end));
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if !finished.load(Ordering::Relaxed) {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

fn parse(bytes: &[u8]) -> Result<Value, InputError> {
    serde_json::from_slice(bytes).map_err(|e| InputError::Malformed(e.to_string()))
}

/// Decodes a parsed value as `T`, naming the field that did not fit.
fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, InputError> {
    serde_path_to_error::deserialize(Strict(value)).map_err(|error| {
        let path = error.path().to_string();
        // serde_json may append where in the text it happened; the field name says it better.
        let message = error.inner().to_string();
        let message = message.split(" at line ").next().unwrap_or_default().to_owned();
        // A missing field is reported at its parent: name the field itself.
        let field = match message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
            Some(missing) if path == "." => missing.to_owned(),
            Some(missing) => format!("{path}.{missing}"),
            // The value as a whole is wrong: no one field to point at.
            None if path == "." => return InputError::Invalid { message, fields: None },
            None => path,
        };
        InputError::fields(FieldErrors::single(&field, message))
    })
}

/// One step of a path into a JSON value, for naming a field the way `serde_path_to_error` does.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The first string in `value` (a key or a value) that is not free text, named by its path
/// (`items[0].note`).
fn unfree_text(value: &Value) -> Option<FieldErrors> {
    let (mut steps, error) = find_unfree(value)?;
    steps.reverse();
    let mut path = String::new();
    for step in steps {
        match step {
            Step::Key(key) if path.is_empty() => path.push_str(key),
            Step::Key(key) => {
                path.push('.');
                path.push_str(key);
            }
            Step::Index(index) => path.push_str(&format!("[{index}]")),
        }
    }
    Some(FieldErrors::single(&path, error.0))
}

/// Steps innermost first: the path is built only for the one string refused.
fn find_unfree(value: &Value) -> Option<(Vec<Step<'_>>, ValidationError)> {
    match value {
        Value::String(text) => free_text(text).err().map(|error| (Vec::new(), error)),
        Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            find_unfree(item).map(|(mut steps, error)| {
                steps.push(Step::Index(index));
                (steps, error)
            })
        }),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let found = match free_text(key) {
                Err(error) => Some((Vec::new(), error)),
                Ok(()) => find_unfree(item),
            };
            found.map(|(mut steps, error)| {
                steps.push(Step::Key(key));
                (steps, error)
            })
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// A parsed JSON value read strictly: a struct only from an object. Everything else reads as from
/// `serde_json::Value` itself.
#[derive(Clone, Copy)]
struct Strict<'a>(&'a Value);

impl<'de> IntoDeserializer<'de, serde_json::Error> for Strict<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Strict<'de> {
    fn visit_object<V: Visitor<'de>>(
        fields: &'de serde_json::Map<String, Value>,
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        let mut map = MapDeserializer::new(fields.iter().map(|(key, value)| (key.as_str(), Strict(value))));
        let value = visitor.visit_map(&mut map)?;
        map.end()?;
        Ok(value)
    }
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Unexpected::Signed(i),
            (_, Some(u), _) => Unexpected::Unsigned(u),
            (_, _, Some(f)) => Unexpected::Float(f),
            _ => Unexpected::Other("number"),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<'de> Deserializer<'de> for Strict<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(Strict));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Object(fields) => Self::visit_object(fields, visitor),
            scalar => scalar.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(fields) => Self::visit_object(fields, visitor),
            other => Err(serde_json::Error::invalid_type(unexpected(other), &"an object")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::String(_) | Value::Object(_) => self.0.deserialize_enum(name, variants, visitor),
            other => Err(serde_json::Error::invalid_type(
                unexpected(other),
                &format!("one of: {}", variants.join(", ")).as_str(),
            )),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit unit_struct
        seq tuple tuple_struct map identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Line {
        quantity: i64,
        #[serde(default)]
        note: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        DineIn,
        Takeaway,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Order {
        kind: Kind,
        items: Vec<Line>,
    }

    fn fields(error: InputError) -> Vec<(String, String)> {
        match error {
            InputError::Invalid { fields: Some(fields), .. } => fields.0.into_iter().collect(),
            other => panic!("expected named fields, got {other:?}"),
        }
    }

    #[test]
    fn a_well_formed_body_decodes() {
        let order: Order =
            json_body(br#"{"kind": "takeaway", "items": [{"quantity": 2, "note": "a\nb\tc"}]}"#).unwrap();
        assert_eq!(
            order,
            Order { kind: Kind::Takeaway, items: vec![Line { quantity: 2, note: Some("a\nb\tc".into()) }] }
        );
    }

    #[test]
    fn arrays_are_not_objects_at_any_depth() {
        assert!(matches!(json_body::<Line>(b"[2]"), Err(InputError::Invalid { fields: None, .. })));
        let nested = json_body::<Order>(br#"{"kind": "takeaway", "items": [[2, "x"]]}"#).unwrap_err();
        assert_eq!(fields(nested)[0].0, "items[0]");
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_field() {
        let error = json_body::<Order>(br#"{"kind": null, "items": []}"#).unwrap_err();
        let named = fields(error);
        assert_eq!(named[0].0, "kind");
        assert!(named[0].1.contains("dine_in, takeaway"), "{named:?}");
        assert_eq!(fields(json_body::<Order>(br#"{"kind": 5, "items": []}"#).unwrap_err())[0].0, "kind");
        assert!(matches!(json_body::<Order>(b"{\"kind\": "), Err(InputError::Malformed(_))));
        let _ = Kind::DineIn;
    }

    #[test]
    fn text_that_is_not_free_text_is_named_by_its_path_even_where_it_would_be_ignored() {
        let error = json_body::<Order>(br#"{"kind": "takeaway", "items": [{"quantity": 1, "note": "a\u0000"}]}"#);
        assert_eq!(fields(error.unwrap_err())[0].0, "items[0].note");
        let unknown = json_body::<Order>(br#"{"kind": "takeaway", "items": [], "extra\u001b": 1}"#);
        assert_eq!(fields(unknown.unwrap_err())[0].0, "extra\u{1b}");
        let (order, refused) = message::<Order>(br#"{"kind": "takeaway", "items": [], "x": ["\u0007"]}"#).unwrap();
        assert_eq!(order.kind, Kind::Takeaway);
        assert_eq!(refused.unwrap().0.into_keys().collect::<Vec<_>>(), ["x[0]"]);
    }

    #[test]
    fn query_pairs_are_checked_as_the_handler_decodes_them() {
        let uri: Uri = "/orders?q=fries%00&page=2".parse().unwrap();
        assert_eq!(query_text(&uri).unwrap().0.into_keys().collect::<Vec<_>>(), ["q"]);
        assert!(query_text(&"/orders?q=fries+%C3%A0".parse().unwrap()).is_none());
        assert!(query_text(&"/orders".parse().unwrap()).is_none());
    }
}
