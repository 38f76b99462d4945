//! REST request and response bodies under `/api/v1`, shared by the server, the client engine and the UIs.
//!
//! Requests carry plain values; `validate()` turns them into checked values or a [`FieldErrors`] naming
//! every bad field, so the admin UI can run the same checks before it sends.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::validate::{
    position, stock_count, CategoryName, Description, DeviceName, Email, FieldErrors, KioskPin, Password, PersonName,
    ProductName, RestaurantName, Station, TimeZone, ValidationError,
};
use crate::{Allergen, Currency, DeviceKind, Money, Role};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Distinguishes "field absent" (`None`) from "field set to null" (`Some(None)`) in PATCH bodies.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

// ---------------------------------------------------------------------------------------------------------
// Errors

/// The one error shape of the API: `{"error": {"code", "message", "fields"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorDetail {
    /// Stable, machine-readable: `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `payload_too_large`, `unsupported_media_type`, `validation_failed`, `too_many_requests`, `internal`.
    pub code: String,
    /// For people.
    pub message: String,
    /// Field name → what is wrong with it (only for `validation_failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldErrors>,
}

// ---------------------------------------------------------------------------------------------------------
// Tenants and accounts

/// A restaurant branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Tenant {
    pub id: Uuid,
    pub name: String,
    /// IANA zone; the ticket day and reports follow it.
    pub timezone: String,
    /// ISO 4217 code; every price of this restaurant is in its minor units.
    pub currency: String,
    pub created_at: DateTime<Utc>,
    /// The kitchen's timers: a ticket older than this many minutes shows as a warning…
    #[serde(default = "KitchenTimers::default_warn")]
    pub kitchen_warn_minutes: i64,
    /// …and older than this as late.
    #[serde(default = "KitchenTimers::default_late")]
    pub kitchen_late_minutes: i64,
    /// The local time of day the restaurant's business day starts ("04:00" for a bar open past midnight;
    /// "00:00" by default): ticket numbers restart then, and history, reports and the export count their
    /// days from it. See [`BusinessDay`].
    #[serde(default, with = "time_of_day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "04:00"))]
    pub business_day_start: NaiveTime,
    /// Seconds a kiosk waits without a touch before it clears an unfinished order and returns to its start
    /// screen (a kiosk installed with its own `ORDERA_KIOSK_IDLE_SECONDS` keeps that instead).
    #[serde(default = "KioskIdle::default_seconds")]
    pub kiosk_idle_seconds: i64,
    /// The kiosks' staff PIN, as an argon2 hash (PHC string), when the restaurant has set one. Kiosks check a
    /// typed PIN against it themselves, so staff can leave kiosk mode also while the network is down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiosk_pin_hash: Option<String>,
}

impl Tenant {
    /// The restaurant's business day, the one definition every count by day uses.
    pub fn business_day(&self) -> Result<BusinessDay, ValidationError> {
        Ok(BusinessDay::new(TimeZone::parse(&self.timezone)?.0, self.business_day_start))
    }
}

/// Which business day an instant belongs to, and which instants a business day holds: day `D` runs from
/// `D` at the start time, in the restaurant's time zone, to the same time on `D + 1`. Ticket numbering,
/// history filters, the reports, the export and the dashboard all go through this one type, so their days
/// always hold the same orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessDay {
    tz: chrono_tz::Tz,
    start: NaiveTime,
}

impl BusinessDay {
    pub fn new(tz: chrono_tz::Tz, start: NaiveTime) -> Self {
        Self { tz, start }
    }

    /// The first instant of business day `date`. A start time that the clocks skip that day (a
    /// daylight-saving gap) starts the day at the first local minute that exists after it; a start time
    /// that happens twice (clocks going back) starts it at the first.
    pub fn starts_at(&self, date: NaiveDate) -> DateTime<Utc> {
        let mut local = date.and_time(self.start);
        // No zone skips more than a few hours, so this ends long before the bound.
        for _ in 0..(24 * 60) {
            if let Some(at) = self.tz.from_local_datetime(&local).earliest() {
                return at.with_timezone(&Utc);
            }
            local += Duration::minutes(1);
        }
        Utc.from_utc_datetime(&date.and_time(self.start))
    }

    /// The instants of business day `date`: from its start, inclusive, to the next day's, exclusive.
    pub fn range(&self, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.starts_at(date), self.starts_at(date + Duration::days(1)))
    }

    /// The business day `at` belongs to.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        let since_start = Duration::seconds(i64::from(self.start.num_seconds_from_midnight()));
        let guess = (at.with_timezone(&self.tz).naive_local() - since_start).date();
        // Around a daylight-saving change the wall clock repeats or skips an hour; the days' ranges decide,
        // so that `date_of` and `range` never disagree.
        if at < self.starts_at(guess) {
            guess - Duration::days(1)
        } else if at >= self.starts_at(guess + Duration::days(1)) {
            guess + Duration::days(1)
        } else {
            guess
        }
    }

    /// When the business day holding `now` ends (the next one starts).
    pub fn end_of_day(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.starts_at(self.date_of(now) + Duration::days(1))
    }
}

/// A time of day on the wire: "HH:MM" out, "HH:MM" or "HH:MM:SS" in.
mod time_of_day {
    use super::*;

    pub fn serialize<S: Serializer>(time: &NaiveTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&time.format("%H:%M"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a time of day like 04:00")))
    }

    pub fn parse(text: &str) -> Option<NaiveTime> {
        let text = text.trim();
        NaiveTime::parse_from_str(text, "%H:%M").or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S")).ok()
    }
}

/// The latest a business day may start: later than noon, "the day" would mostly be the day before.
pub const LATEST_BUSINESS_DAY_START: &str = "11:59";

/// A business day's start as a manager types it: "04:00", in whole minutes, from 00:00 to 11:59.
pub fn business_day_start(value: &str) -> Result<NaiveTime, ValidationError> {
    let invalid = || {
        ValidationError::new(format!(
            "must be a time of day like 04:00, in whole minutes, from 00:00 to {LATEST_BUSINESS_DAY_START}"
        ))
    };
    let time = time_of_day::parse(value).ok_or_else(invalid)?;
    if time.second() != 0 || time.nanosecond() != 0 || time.hour() >= 12 {
        return Err(invalid());
    }
    Ok(time)
}

/// The kitchen timer thresholds' defaults and bounds (minutes).
pub struct KitchenTimers;

impl KitchenTimers {
    pub const DEFAULT_WARN: i64 = 5;
    pub const DEFAULT_LATE: i64 = 8;
    pub const MAX: i64 = 240;

    fn default_warn() -> i64 {
        Self::DEFAULT_WARN
    }

    fn default_late() -> i64 {
        Self::DEFAULT_LATE
    }
}

/// The kiosk's idle reset: its default and bounds (seconds). Long enough to read the menu and be asked
/// "still there?"; short enough that the next customer does not find someone else's order.
pub struct KioskIdle;

impl KioskIdle {
    pub const DEFAULT: i64 = 90;
    pub const MIN: i64 = 10;
    pub const MAX: i64 = 900;

    fn default_seconds() -> i64 {
        Self::DEFAULT
    }
}

/// Changes to the restaurant's settings; absent fields stay as they are. The currency is fixed at sign-up:
/// every price is in its minor units.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateTenantRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Minutes after which a kitchen ticket shows as a warning (1 to 240, below the late threshold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kitchen_warn_minutes: Option<i64>,
    /// Minutes after which a kitchen ticket shows as late (1 to 240).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kitchen_late_minutes: Option<i64>,
    /// When the business day starts, local time ("04:00"; 00:00 to 11:59, whole minutes). Orders already
    /// numbered keep their day; history, reports and the export count days by the new start at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_day_start: Option<String>,
    /// Seconds without a touch before a kiosk clears an unfinished order (10 to 900).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiosk_idle_seconds: Option<i64>,
    /// A new staff PIN for the kiosks (4 to 8 digits): with it, staff open a locked kiosk's staff panel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiosk_pin: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TenantChanges {
    pub name: Option<RestaurantName>,
    pub timezone: Option<TimeZone>,
    pub kitchen_warn_minutes: Option<i64>,
    pub kitchen_late_minutes: Option<i64>,
    pub business_day_start: Option<NaiveTime>,
    pub kiosk_idle_seconds: Option<i64>,
    pub kiosk_pin: Option<KioskPin>,
    /// The new PIN's hash, made by the server from `kiosk_pin` before it stores the changes.
    pub kiosk_pin_hash: Option<String>,
}

impl UpdateTenantRequest {
    pub fn validate(&self) -> Result<TenantChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.as_deref().and_then(|v| errors.check("name", RestaurantName::parse(v)));
        let timezone = self.timezone.as_deref().and_then(|v| errors.check("timezone", TimeZone::parse(v)));
        let minutes = |field: &str, value: Option<i64>, errors: &mut FieldErrors| match value {
            Some(minutes) if !(1..=KitchenTimers::MAX).contains(&minutes) => {
                errors.add(field, format!("must be between 1 and {} minutes", KitchenTimers::MAX));
                None
            }
            other => other,
        };
        let kitchen_warn_minutes = minutes("kitchen_warn_minutes", self.kitchen_warn_minutes, &mut errors);
        let kitchen_late_minutes = minutes("kitchen_late_minutes", self.kitchen_late_minutes, &mut errors);
        let business_day_start =
            self.business_day_start.as_deref().and_then(|v| errors.check("business_day_start", business_day_start(v)));
        let kiosk_idle_seconds = match self.kiosk_idle_seconds {
            Some(seconds) if !(KioskIdle::MIN..=KioskIdle::MAX).contains(&seconds) => {
                errors.add(
                    "kiosk_idle_seconds",
                    format!("must be between {} and {} seconds", KioskIdle::MIN, KioskIdle::MAX),
                );
                None
            }
            other => other,
        };
        let kiosk_pin = self.kiosk_pin.as_deref().and_then(|v| errors.check("kiosk_pin", KioskPin::parse(v)));
        if errors.is_empty() {
            Ok(TenantChanges {
                name,
                timezone,
                kitchen_warn_minutes,
                kitchen_late_minutes,
                business_day_start,
                kiosk_idle_seconds,
                kiosk_pin,
                kiosk_pin_hash: None,
            })
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// Its `Debug` leaves the password out, so that logging a request can never leak one.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SignupRequest {
    pub restaurant_name: String,
    pub timezone: String,
    pub currency: String,
    pub owner_name: String,
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for SignupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignupRequest")
            .field("restaurant_name", &self.restaurant_name)
            .field("timezone", &self.timezone)
            .field("currency", &self.currency)
            .field("owner_name", &self.owner_name)
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct Signup {
    pub restaurant_name: RestaurantName,
    pub timezone: TimeZone,
    pub currency: Currency,
    pub owner_name: PersonName,
    pub email: Email,
    pub password: Password,
}

impl SignupRequest {
    pub fn validate(&self) -> Result<Signup, FieldErrors> {
        let mut errors = FieldErrors::new();
        let restaurant_name = errors.check("restaurant_name", RestaurantName::parse(&self.restaurant_name));
        let timezone = errors.check("timezone", TimeZone::parse(&self.timezone));
        let currency = errors.check("currency", Currency::parse(&self.currency));
        let owner_name = errors.check("owner_name", PersonName::parse(&self.owner_name));
        let email = errors.check("email", Email::parse(&self.email));
        let password = errors.check("password", Password::parse(&self.password));
        match (restaurant_name, timezone, currency, owner_name, email, password) {
            (Some(restaurant_name), Some(timezone), Some(currency), Some(owner_name), Some(email), Some(password)) => {
                Ok(Signup { restaurant_name, timezone, currency, owner_name, email, password })
            }
            _ => Err(errors),
        }
    }
}

/// Its `Debug` leaves the password out, so that logging a request can never leak one.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest").field("email", &self.email).field("password", &"<redacted>").finish()
    }
}

/// A session: send `token` as `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SessionResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
    pub tenant: Tenant,
}

/// Who the bearer token belongs to: a signed-in user or a paired device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MeResponse {
    pub tenant: Tenant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
}

/// Its `Debug` leaves the password out, so that logging a request can never leak one.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateUserRequest {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The first password; the person should change it.
    pub password: String,
}

impl std::fmt::Debug for CreateUserRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateUserRequest")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: PersonName,
    pub role: Role,
    pub password: Password,
}

impl CreateUserRequest {
    pub fn validate(&self) -> Result<NewUser, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = errors.check("email", Email::parse(&self.email));
        let name = errors.check("name", PersonName::parse(&self.name));
        let password = errors.check("password", Password::parse(&self.password));
        match (email, name, password) {
            (Some(email), Some(name), Some(password)) => Ok(NewUser { email, name, role: self.role, password }),
            _ => Err(errors),
        }
    }
}

/// Changes to a user; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateUserRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// `false` deactivates: the user's sessions end at once and they can no longer log in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub name: Option<PersonName>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

impl UpdateUserRequest {
    pub fn validate(&self) -> Result<UserChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.as_deref().and_then(|n| errors.check("name", PersonName::parse(n)));
        if errors.is_empty() {
            Ok(UserChanges { name, role: self.role, active: self.active })
        } else {
            Err(errors)
        }
    }
}

/// A new password for a user, set by an owner or manager (`POST /users/{id}/password`): every session the
/// user has ends at once. Its `Debug` leaves the password out.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ResetPasswordRequest {
    pub password: String,
}

impl std::fmt::Debug for ResetPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetPasswordRequest").field("password", &"<redacted>").finish()
    }
}

impl ResetPasswordRequest {
    pub fn validate(&self) -> Result<Password, FieldErrors> {
        Password::parse(&self.password).map_err(|e| FieldErrors::single("password", e.0))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Devices

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Device {
    pub id: Uuid,
    pub name: String,
    pub kind: DeviceKind,
    pub created_at: DateTime<Utc>,
    /// When the device last called the server (updated at most once a minute).
    pub last_seen_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The log position the device last reported having applied, and when it reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_at: Option<DateTime<Utc>>,
    /// How many events of the restaurant's log the device had not applied at its last report (`GET
    /// devices` fills it in from the log's head; `None` before its first report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behind: Option<i64>,
    /// Changes the device had waiting to be sent at its last report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<i64>,
    /// The app version the device said it runs when it last connected ("0.4.1"); `None` before that, or
    /// for apps too old to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
}

/// The longest app version a device may report; anything longer, or with control characters, is ignored.
pub const MAX_APP_VERSION_CHARS: usize = 40;

/// An app version as a device reports it, trimmed; `None` when it is empty or not a plausible version.
pub fn app_version(value: &str) -> Option<String> {
    let value = value.trim();
    let plausible =
        !value.is_empty() && value.chars().count() <= MAX_APP_VERSION_CHARS && !value.chars().any(char::is_control);
    plausible.then(|| value.to_owned())
}

/// Changes to a device; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateDeviceRequest {
    /// The name the device is listed under ("Front kiosk").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DeviceChanges {
    pub name: Option<DeviceName>,
}

impl UpdateDeviceRequest {
    pub fn validate(&self) -> Result<DeviceChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.as_deref().and_then(|n| errors.check("name", DeviceName::parse(n)));
        if errors.is_empty() {
            Ok(DeviceChanges { name })
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatePairingCodeRequest {
    pub kind: DeviceKind,
    /// The name the device will be listed under ("Front kiosk").
    pub name: String,
}

impl CreatePairingCodeRequest {
    pub fn validate(&self) -> Result<DeviceName, FieldErrors> {
        DeviceName::parse(&self.name).map_err(|e| FieldErrors::single("name", e.0))
    }
}

/// A single-use code to type into the device; it expires at `expires_at`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PairingCodeResponse {
    pub code: String,
    pub kind: DeviceKind,
    pub name: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PairRequest {
    pub code: String,
}

/// The device's credential: keep `token` and send it as `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PairResponse {
    pub token: String,
    pub device: Device,
    pub tenant: Tenant,
}

// ---------------------------------------------------------------------------------------------------------
// Menu

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Category {
    pub id: Uuid,
    pub name: String,
    pub position: i64,
    /// Hidden categories, and their products, are not shown on kiosks.
    pub visible: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateCategoryRequest {
    pub name: String,
    /// Defaults to after the last category.
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default)]
    pub visible: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct NewCategory {
    pub name: CategoryName,
    pub position: Option<i64>,
    pub visible: bool,
}

impl CreateCategoryRequest {
    pub fn validate(&self) -> Result<NewCategory, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", CategoryName::parse(&self.name));
        let position = self.position.and_then(|p| errors.check("position", position(p)));
        match name {
            Some(name) if errors.is_empty() => {
                Ok(NewCategory { name, position, visible: self.visible.unwrap_or(true) })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateCategoryRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct CategoryChanges {
    pub name: Option<CategoryName>,
    pub position: Option<i64>,
    pub visible: Option<bool>,
}

impl UpdateCategoryRequest {
    pub fn validate(&self) -> Result<CategoryChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.as_deref().and_then(|n| errors.check("name", CategoryName::parse(n)));
        let position = self.position.and_then(|p| errors.check("position", position(p)));
        if errors.is_empty() {
            Ok(CategoryChanges { name, position, visible: self.visible })
        } else {
            Err(errors)
        }
    }
}

/// Puts categories in the given order (positions 0, 1, 2, …). It must list every category once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReorderCategoriesRequest {
    pub ids: Vec<Uuid>,
}

/// A stored product photo; fetch it from `/api/v1/images/{id}` (add `?size=thumb` for the thumbnail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ImageRef {
    pub id: Uuid,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Product {
    pub id: Uuid,
    pub category_id: Uuid,
    pub name: String,
    pub description: String,
    pub price: Money,
    pub allergens: Vec<Allergen>,
    /// The kitchen station its tickets go to.
    pub station: String,
    /// `false` when a manager switched it off or its stock ran out ("86'd").
    pub available: bool,
    /// Portions left, when the restaurant counts them; `None` means not counted.
    pub stock: Option<i64>,
    /// At or below this stock the admin app warns.
    pub low_stock_threshold: Option<i64>,
    pub position: i64,
    pub image: Option<ImageRef>,
    /// When a product switched off "until" a time comes back by itself (the server switches it on and
    /// every device hears of it); `None` while it is available, or off until a manager switches it on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_again_at: Option<DateTime<Utc>>,
}

/// How long a product is switched off ("86'd") for: on the wire `"end_of_business_day"` or an RFC 3339
/// time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Until the restaurant's next business day starts.
    EndOfBusinessDay,
    At(DateTime<Utc>),
}

impl Until {
    const END_OF_BUSINESS_DAY: &'static str = "end_of_business_day";

    /// The instant it ends, for a product switched off at `now`.
    pub fn resolve(self, day: &BusinessDay, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Until::EndOfBusinessDay => day.end_of_day(now),
            Until::At(at) => at,
        }
    }
}

impl Serialize for Until {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Until::EndOfBusinessDay => serializer.serialize_str(Self::END_OF_BUSINESS_DAY),
            Until::At(at) => serializer.collect_str(&at.to_rfc3339()),
        }
    }
}

impl<'de> Deserialize<'de> for Until {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text == Self::END_OF_BUSINESS_DAY {
            return Ok(Until::EndOfBusinessDay);
        }
        DateTime::parse_from_rfc3339(&text).map(|at| Until::At(at.with_timezone(&Utc))).map_err(|_| {
            serde::de::Error::custom(format!(
                "{text:?} is neither \"{}\" nor an RFC 3339 time",
                Self::END_OF_BUSINESS_DAY
            ))
        })
    }
}

impl Product {
    /// Whether a customer can order it now.
    pub fn orderable(&self) -> bool {
        self.available && self.stock != Some(0)
    }

    pub fn low_on_stock(&self) -> bool {
        matches!((self.stock, self.low_stock_threshold), (Some(stock), Some(threshold)) if stock <= threshold)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateProductRequest {
    pub category_id: Uuid,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// In minor units of the restaurant's currency.
    pub price: i64,
    #[serde(default)]
    pub allergens: Vec<Allergen>,
    /// Defaults to "kitchen".
    #[serde(default)]
    pub station: Option<String>,
    /// Defaults to true.
    #[serde(default)]
    pub available: Option<bool>,
    #[serde(default)]
    pub stock: Option<i64>,
    #[serde(default)]
    pub low_stock_threshold: Option<i64>,
    /// Defaults to after the last product of its category.
    #[serde(default)]
    pub position: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub category_id: Uuid,
    pub name: ProductName,
    pub description: Description,
    pub price: Money,
    pub allergens: Vec<Allergen>,
    pub station: Station,
    pub available: bool,
    pub stock: Option<i64>,
    pub low_stock_threshold: Option<i64>,
    pub position: Option<i64>,
}

fn dedup_allergens(allergens: &[Allergen]) -> Vec<Allergen> {
    let mut list = allergens.to_vec();
    list.sort();
    list.dedup();
    list
}

impl CreateProductRequest {
    pub fn validate(&self) -> Result<NewProduct, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", ProductName::parse(&self.name));
        let description = errors.check("description", Description::parse(self.description.as_deref().unwrap_or("")));
        let price = errors.check("price", Money::price(self.price));
        let station = errors.check("station", Station::parse(self.station.as_deref().unwrap_or(Station::DEFAULT)));
        let stock = self.stock.and_then(|s| errors.check("stock", stock_count(s, "stock")));
        let low_stock_threshold = self
            .low_stock_threshold
            .and_then(|s| errors.check("low_stock_threshold", stock_count(s, "low_stock_threshold")));
        let position = self.position.and_then(|p| errors.check("position", position(p)));
        match (name, description, price, station) {
            (Some(name), Some(description), Some(price), Some(station)) if errors.is_empty() => Ok(NewProduct {
                category_id: self.category_id,
                name,
                description,
                price,
                allergens: dedup_allergens(&self.allergens),
                station,
                available: self.available.unwrap_or(true),
                stock,
                low_stock_threshold,
                position,
            }),
            _ => Err(errors),
        }
    }
}

/// Changes to a product; absent fields stay as they are. `stock` and `low_stock_threshold` may be set to
/// `null` to stop counting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateProductRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allergens: Option<Vec<Allergen>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<bool>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub stock: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub low_stock_threshold: Option<Option<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// Switches the product off until then, after which it comes back by itself: `"end_of_business_day"`
    /// or a time (in the future, at most 31 days ahead). `available: false` alone switches it off until a
    /// manager switches it on; `available: true` switches it on at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "end_of_business_day"))]
    pub unavailable_until: Option<Until>,
}

/// The furthest ahead a product may be switched off "until": beyond that, off is simply off.
pub const MAX_UNAVAILABLE_DAYS: i64 = 31;

#[derive(Debug, Clone, Default)]
pub struct ProductChanges {
    pub category_id: Option<Uuid>,
    pub name: Option<ProductName>,
    pub description: Option<Description>,
    pub price: Option<Money>,
    pub allergens: Option<Vec<Allergen>>,
    pub station: Option<Station>,
    pub available: Option<bool>,
    pub stock: Option<Option<i64>>,
    pub low_stock_threshold: Option<Option<i64>>,
    pub position: Option<i64>,
    /// Set only with `available: Some(false)`: when it comes back by itself.
    pub unavailable_until: Option<Until>,
}

impl UpdateProductRequest {
    pub fn validate(&self) -> Result<ProductChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut changes = ProductChanges {
            category_id: self.category_id,
            name: self.name.as_deref().and_then(|v| errors.check("name", ProductName::parse(v))),
            description: self.description.as_deref().and_then(|v| errors.check("description", Description::parse(v))),
            price: self.price.and_then(|v| errors.check("price", Money::price(v))),
            allergens: self.allergens.as_deref().map(dedup_allergens),
            station: self.station.as_deref().and_then(|v| errors.check("station", Station::parse(v))),
            available: self.available,
            stock: match self.stock {
                Some(Some(v)) => errors.check("stock", stock_count(v, "stock")).map(Some),
                other => other,
            },
            low_stock_threshold: match self.low_stock_threshold {
                Some(Some(v)) => errors.check("low_stock_threshold", stock_count(v, "low_stock_threshold")).map(Some),
                other => other,
            },
            position: self.position.and_then(|v| errors.check("position", position(v))),
            unavailable_until: self.unavailable_until,
        };
        if changes.unavailable_until.is_some() {
            if changes.available == Some(true) {
                errors.add("unavailable_until", "a product switched on cannot also be off until a time");
            }
            changes.available = Some(false);
        }
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(errors)
        }
    }
}

/// What a kiosk shows: the restaurant, its visible categories in order, and their products in order
/// (sold-out ones included, flagged by `available` and `stock`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MenuResponse {
    pub tenant: Tenant,
    pub categories: Vec<Category>,
    pub products: Vec<Product>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn with_a_four_oclock_start_two_in_the_morning_belongs_to_the_day_before() {
        let bar = BusinessDay::new(chrono_tz::Europe::London, NaiveTime::from_hms_opt(4, 0, 0).unwrap());
        assert_eq!(bar.date_of(utc("2026-12-02T02:00:00Z")), day("2026-12-01"));
        assert_eq!(bar.date_of(utc("2026-12-02T04:00:00Z")), day("2026-12-02"));
        assert_eq!(bar.range(day("2026-12-01")), (utc("2026-12-01T04:00:00Z"), utc("2026-12-02T04:00:00Z")));
        // Summer time: the day starts at 04:00 local, 03:00 UTC.
        assert_eq!(bar.starts_at(day("2026-07-01")), utc("2026-07-01T03:00:00Z"));
        assert_eq!(bar.end_of_day(utc("2026-12-02T02:00:00Z")), utc("2026-12-02T04:00:00Z"));
        let midnight = BusinessDay::new(chrono_tz::Europe::London, NaiveTime::MIN);
        assert_eq!(midnight.date_of(utc("2026-12-02T02:00:00Z")), day("2026-12-02"));
    }

    #[test]
    fn every_instant_falls_in_the_range_of_its_day_across_daylight_saving_changes() {
        // Starts inside London's skipped (01:30 on 29 March) and repeated (01:30 on 25 October) hours.
        for (zone, start) in [
            (chrono_tz::Europe::London, (1, 30)),
            (chrono_tz::Europe::London, (0, 0)),
            (chrono_tz::America::Sao_Paulo, (0, 0)),
            (chrono_tz::Australia::Lord_Howe, (2, 0)),
        ] {
            let business_day = BusinessDay::new(zone, NaiveTime::from_hms_opt(start.0, start.1, 0).unwrap());
            let mut at = utc("2026-01-01T00:00:00Z");
            while at < utc("2027-01-01T00:00:00Z") {
                let date = business_day.date_of(at);
                let (from, to) = business_day.range(date);
                assert!(from <= at && at < to, "{zone} {start:?}: {at} is not in {date} ({from}..{to})");
                at += Duration::minutes(17);
            }
        }
        let london = BusinessDay::new(chrono_tz::Europe::London, NaiveTime::from_hms_opt(1, 30, 0).unwrap());
        // 01:30 does not exist on 29 March: the day starts when the clocks have jumped, at 02:00 BST.
        assert_eq!(london.starts_at(day("2026-03-29")), utc("2026-03-29T01:00:00Z"));
        // 01:30 happens twice on 25 October: the day starts at the first.
        assert_eq!(london.starts_at(day("2026-10-25")), utc("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn a_business_day_start_is_a_morning_time_in_whole_minutes() {
        assert_eq!(business_day_start(" 04:00 ").unwrap(), NaiveTime::from_hms_opt(4, 0, 0).unwrap());
        assert_eq!(business_day_start("11:59:00").unwrap(), NaiveTime::from_hms_opt(11, 59, 0).unwrap());
        for bad in ["12:00", "23:00", "4", "04:00:30", "25:00", "", "four"] {
            assert!(business_day_start(bad).is_err(), "{bad:?}");
        }
        let request = UpdateTenantRequest { business_day_start: Some("18:00".into()), ..Default::default() };
        assert!(request.validate().unwrap_err().0.contains_key("business_day_start"));
    }

    #[test]
    fn a_tenant_from_an_older_server_starts_its_day_at_midnight_and_says_so_as_hh_mm() {
        let old = r#"{"id": "0193f6a8-7b4c-7cc3-9f7e-6d3c2b1a0f9e", "name": "Soho", "timezone": "Europe/London",
            "currency": "GBP", "created_at": "2026-11-28T12:00:00Z"}"#;
        let mut tenant: Tenant = serde_json::from_str(old).unwrap();
        assert_eq!(tenant.business_day_start, NaiveTime::MIN);
        tenant.business_day_start = NaiveTime::from_hms_opt(4, 0, 0).unwrap();
        let json = serde_json::to_value(&tenant).unwrap();
        assert_eq!(json["business_day_start"], "04:00");
        assert_eq!(serde_json::from_value::<Tenant>(json).unwrap(), tenant);
    }

    #[test]
    fn unavailable_until_reads_the_end_of_the_business_day_or_a_time_and_switches_the_product_off() {
        let patch: UpdateProductRequest =
            serde_json::from_str(r#"{"unavailable_until": "end_of_business_day"}"#).unwrap();
        let changes = patch.validate().unwrap();
        assert_eq!((changes.available, changes.unavailable_until), (Some(false), Some(Until::EndOfBusinessDay)));
        let patch: UpdateProductRequest =
            serde_json::from_str(r#"{"available": false, "unavailable_until": "2026-12-01T22:00:00+01:00"}"#).unwrap();
        assert_eq!(patch.unavailable_until, Some(Until::At(utc("2026-12-01T21:00:00Z"))));
        let round_trip: UpdateProductRequest = serde_json::from_value(serde_json::to_value(&patch).unwrap()).unwrap();
        assert_eq!(round_trip.unavailable_until, patch.unavailable_until);
        assert!(serde_json::from_str::<UpdateProductRequest>(r#"{"unavailable_until": "tomorrow"}"#).is_err());
        let contradictory = UpdateProductRequest {
            available: Some(true),
            unavailable_until: Some(Until::EndOfBusinessDay),
            ..Default::default()
        };
        assert!(contradictory.validate().unwrap_err().0.contains_key("unavailable_until"));
    }

    #[test]
    fn a_reported_app_version_is_kept_only_when_plausible() {
        assert_eq!(app_version(" 0.4.1 ").as_deref(), Some("0.4.1"));
        assert_eq!(app_version(""), None);
        assert_eq!(app_version(&"9".repeat(MAX_APP_VERSION_CHARS + 1)), None);
        assert_eq!(app_version("1.0\n"), Some("1.0".into()));
        assert_eq!(app_version("1.\u{7}0"), None);
    }

    #[test]
    fn a_product_patch_tells_absent_from_null() {
        let absent: UpdateProductRequest = serde_json::from_str(r#"{"name":"Fries"}"#).unwrap();
        assert_eq!(absent.stock, None);
        let null: UpdateProductRequest = serde_json::from_str(r#"{"stock":null}"#).unwrap();
        assert_eq!(null.stock, Some(None));
        let set: UpdateProductRequest = serde_json::from_str(r#"{"stock":12}"#).unwrap();
        assert_eq!(set.stock, Some(Some(12)));
    }

    #[test]
    fn requests_carrying_a_password_never_show_it_when_debug_printed() {
        let secret = "correct horse battery staple";
        let login = LoginRequest { email: "ann@example.com".into(), password: secret.into() };
        let user = CreateUserRequest {
            email: "cook@example.com".into(),
            name: "Cook".into(),
            role: Role::Staff,
            password: secret.into(),
        };
        let signup = SignupRequest {
            restaurant_name: "Soho".into(),
            timezone: "Europe/London".into(),
            currency: "GBP".into(),
            owner_name: "Ann".into(),
            email: "ann@example.com".into(),
            password: secret.into(),
        };
        for printed in [format!("{login:?}"), format!("{user:?}"), format!("{signup:?}")] {
            assert!(
                !printed.contains(secret) && printed.contains("<redacted>") && printed.contains("example.com"),
                "{printed}"
            );
        }
    }

    #[test]
    fn signup_names_every_bad_field() {
        let request = SignupRequest {
            restaurant_name: " ".into(),
            timezone: "Nowhere/Town".into(),
            currency: "XXXX".into(),
            owner_name: "Ann".into(),
            email: "not-an-email".into(),
            password: "short".into(),
        };
        let errors = request.validate().unwrap_err();
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(fields, ["currency", "email", "password", "restaurant_name", "timezone"]);
    }

    #[test]
    fn a_product_is_orderable_only_when_available_and_in_stock() {
        let request = CreateProductRequest {
            category_id: Uuid::nil(),
            name: "Fries".into(),
            description: None,
            price: 350,
            allergens: vec![Allergen::Gluten, Allergen::Gluten],
            station: Some("Fryer".into()),
            available: None,
            stock: Some(-1),
            low_stock_threshold: None,
            position: None,
        };
        assert!(request.validate().unwrap_err().0.contains_key("stock"));
        let valid = CreateProductRequest { stock: Some(3), ..request }.validate().unwrap();
        assert_eq!(valid.allergens, vec![Allergen::Gluten]);
        assert_eq!(valid.station.into_inner(), "fryer");
        assert!(valid.available);
    }
}
