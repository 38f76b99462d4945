//! Validating newtypes: a value of one of these types has been checked, so code that holds one never
//! checks again. `parse` is the only way in.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a single field was refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValidationError(pub String);

impl ValidationError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Field name → message, collected over a whole request so a form can show every problem at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value when it is valid, records the message under `field` when it is not.
    pub fn check<T>(&mut self, field: &str, result: Result<T, ValidationError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.0);
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        f.write_str(&parts.join("; "))
    }
}

/// Whether free text (a note, a description, a reason, a search) may hold `c`. A line break and a tab are
/// how people lay a note out, so they stay. Every other control character is refused, wherever text comes
/// in: NUL cannot be stored by PostgreSQL at all (SQLite would keep it, and the backends must agree), and the
/// rest (ESC, backspace, bell, carriage return, DEL, the C1 set) show as nothing on a screen yet act on what
/// prints or shows the text: a kitchen printer's ESC/POS commands, a terminal tailing the logs, a carriage
/// return printing one line over another. Names are stricter still (no control characters at all).
pub fn is_free_text_char(c: char) -> bool {
    !c.is_control() || c == '\n' || c == '\t'
}

/// Checks text against [`is_free_text_char`], saying which character was refused.
pub fn free_text(value: &str) -> Result<(), ValidationError> {
    match value.chars().find(|c| !is_free_text_char(*c)) {
        None => Ok(()),
        Some(c) => Err(ValidationError::new(format!(
            "must not contain control characters (found U+{:04X}); line breaks and tabs are fine",
            u32::from(c)
        ))),
    }
}

/// Trims and checks a free-text field: not empty, at most `max` characters, no control characters.
fn text(value: &str, what: &str, max: usize) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::new(format!("{what} must not be empty")));
    }
    if trimmed.chars().count() > max {
        return Err(ValidationError::new(format!("{what} must be at most {max} characters")));
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err(ValidationError::new(format!("{what} must not contain control characters")));
    }
    Ok(trimmed.to_owned())
}

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(value: &str) -> Result<Self, ValidationError> {
                text(value, $what, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_newtype!(
    /// A restaurant branch's name, as shown on the kiosk's attract screen.
    RestaurantName, "name", 100
);
text_newtype!(
    /// A person's display name.
    PersonName, "name", 100
);
text_newtype!(
    /// A menu category's name ("Burgers").
    CategoryName, "name", 60
);
text_newtype!(
    /// A product's name as printed on tickets and shown on the kiosk.
    ProductName, "name", 100
);
text_newtype!(
    /// A device's name ("Counter kiosk 1").
    DeviceName, "name", 60
);

/// A product's description: may be empty, at most 1,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let trimmed = value.trim();
        if trimmed.chars().count() > 1000 {
            return Err(ValidationError::new("description must be at most 1000 characters"));
        }
        free_text(trimmed)?;
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A kitchen station that tickets are routed to ("grill", "fryer", "bar"): lower-case letters, digits and
/// dashes, so that a KDS filter and a routing rule compare equal however the manager typed it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Station(String);

impl Station {
    pub const DEFAULT: &'static str = "kitchen";

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let normalised = value.trim().to_lowercase().replace(' ', "-");
        if normalised.is_empty() {
            return Err(ValidationError::new("station must not be empty"));
        }
        if normalised.len() > 30 {
            return Err(ValidationError::new("station must be at most 30 characters"));
        }
        if !normalised.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(ValidationError::new("station may contain only letters, digits, spaces and dashes"));
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An e-mail address used as a login. Lower-cased, so that logins are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let normalised = value.trim().to_lowercase();
        let invalid = || ValidationError::new("must be an e-mail address like name@example.com");
        if normalised.len() > 254 || normalised.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = normalised.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !domain.contains("..");
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password: 10 to 128 characters. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let chars = value.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(ValidationError::new(format!("password must be at least {} characters", Self::MIN_CHARS)));
        }
        if chars > 128 {
            return Err(ValidationError::new("password must be at most 128 characters"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The staff PIN that opens a kiosk's staff panel (to leave kiosk mode or re-pair it): 4 to 8 digits, typed
/// on the kiosk's own keypad.
#[derive(Clone, PartialEq, Eq)]
pub struct KioskPin(String);

impl KioskPin {
    pub const MIN_DIGITS: usize = 4;
    pub const MAX_DIGITS: usize = 8;

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let digits = value.chars().count();
        if !value.chars().all(|c| c.is_ascii_digit()) || !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits) {
            return Err(ValidationError::new(format!("must be {} to {} digits", Self::MIN_DIGITS, Self::MAX_DIGITS)));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KioskPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KioskPin(**redacted**)")
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(**redacted**)")
    }
}

/// An IANA time zone ("Europe/London"); the restaurant's day and reports follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        value
            .trim()
            .parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| ValidationError::new("must be an IANA time zone like Europe/London"))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

/// A stock count or threshold: 0 to 1,000,000.
pub fn stock_count(value: i64, what: &str) -> Result<i64, ValidationError> {
    if !(0..=1_000_000).contains(&value) {
        return Err(ValidationError::new(format!("{what} must be between 0 and 1000000")));
    }
    Ok(value)
}

/// A list position: 0 to 100,000.
pub fn position(value: i64) -> Result<i64, ValidationError> {
    if !(0..=100_000).contains(&value) {
        return Err(ValidationError::new("position must be between 0 and 100000"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ProductName::parse("  Burger ").unwrap().as_str(), "Burger");
        assert!(ProductName::parse("   ").is_err());
        assert!(ProductName::parse(&"x".repeat(101)).is_err());
        assert!(ProductName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn free_text_keeps_line_breaks_and_tabs_and_refuses_other_control_characters() {
        assert!(free_text("table 4\nno salt\textra vinegar").is_ok());
        assert!(free_text("crème brûlée 🍮").is_ok());
        for bad in ["\u{0}", "\u{7}", "\u{8}", "\r", "\u{1b}[31m", "\u{7f}", "\u{85}", "\u{9b}"] {
            let error = free_text(&format!("a{bad}b")).unwrap_err();
            assert!(error.0.contains("control characters"), "{bad:?}: {error}");
        }
        assert!(Description::parse("thin\u{0}").is_err());
        assert_eq!(Description::parse(" Thin.\nCrisp. ").unwrap().as_str(), "Thin.\nCrisp.");
    }

    #[test]
    fn emails_are_lower_cased_and_need_a_domain() {
        assert_eq!(Email::parse(" Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
        for bad in ["", "ann", "ann@", "@example.com", "ann@example", "ann@.com", "a b@example.com"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn passwords_are_never_printed() {
        let password = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
        assert!(Password::parse("short").is_err());
    }

    #[test]
    fn stations_are_normalised() {
        assert_eq!(Station::parse(" Cold Prep ").unwrap().into_inner(), "cold-prep");
        assert!(Station::parse("grill!").is_err());
    }

    #[test]
    fn time_zones_must_exist() {
        assert_eq!(TimeZone::parse("Europe/London").unwrap().name(), "Europe/London");
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }

    #[test]
    fn field_errors_keep_the_first_message_per_field() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.check("a", Ok::<_, ValidationError>(1)), Some(1));
        errors.check::<()>("b", Err(ValidationError::new("first")));
        errors.check::<()>("b", Err(ValidationError::new("second")));
        assert_eq!(errors.0.get("b").map(String::as_str), Some("first"));
        assert_eq!(errors.0.len(), 1);
    }
}
