//! Who is calling: opaque bearer tokens (stored only as SHA-256 hashes), argon2id passwords, the
//! extractors that enforce roles, and login throttling.
//!
//! The tenant of a request always comes from its verified token, never from its body or URL.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ordera_protocol::{DeviceKind, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::cpu::CpuQueue;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{now, TokenOwner};

/// Session tokens start with this, device tokens with [`DEVICE_TOKEN_PREFIX`], so a leaked token in a log
/// or a paste is recognisable (and secret scanners can match it).
pub const SESSION_TOKEN_PREFIX: &str = "ors_";
pub const DEVICE_TOKEN_PREFIX: &str = "ord_";

/// A new random token: 256 bits from the OS, URL-safe.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a token: a stolen database does not yield working tokens.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Pairing codes avoid look-alike characters (0/O, 1/I/L) so they can be read off a screen and typed.
const PAIRING_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A code like `K7MQ-2XFD`: 8 characters from 31, about 40 bits, valid for minutes and once.
pub fn new_pairing_code() -> String {
    let mut rng = rand::rng();
    let chars: String =
        (0..8).map(|_| PAIRING_ALPHABET[(rng.next_u32() as usize) % PAIRING_ALPHABET.len()] as char).collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// Codes are compared without dashes, spaces or case, as people type them.
pub fn pairing_code_hash(code: &str) -> Vec<u8> {
    let normalised: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    Sha256::digest(normalised.as_bytes()).to_vec()
}

/// Hashes a password with argon2id in the hashing queue: it takes tens of milliseconds of CPU and 19 MiB.
pub async fn hash_password(hashing: &CpuQueue, password: String) -> ApiResult<String> {
    hashing
        .run(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
        })
        .await?
        .map_err(ApiError::from)
}

/// Verifies a password in the hashing queue. Without a stored hash it verifies against a dummy one, so
/// an unknown e-mail address takes as long as a wrong password and logins do not reveal who has an account.
pub async fn verify_password(hashing: &CpuQueue, password: String, stored_hash: Option<String>) -> ApiResult<bool> {
    hashing
        .run(move || {
            let hash = stored_hash.unwrap_or_else(|| dummy_hash().to_owned());
            let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored password hash: {e}"))?;
            Ok::<_, anyhow::Error>(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await?
        .map_err(ApiError::from)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(b"not a real password", &salt).expect("argon2 with defaults").to_string()
    })
}

// ---------------------------------------------------------------------------------------------------------
// Extractors

/// Any verified caller: a signed-in user or a paired device.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    pub tenant_id: Uuid,
    pub principal: Principal,
}

#[derive(Debug, Clone, Copy)]
pub enum Principal {
    User { user_id: Uuid, role: Role },
    Device { device_id: Uuid, kind: DeviceKind },
}

/// A signed-in user of any role.
#[derive(Debug, Clone, Copy)]
pub struct UserAuth {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
}

/// A signed-in owner or manager.
#[derive(Debug, Clone, Copy)]
pub struct ManagerAuth(pub UserAuth);

/// Devices report their last-seen time at most this often, so that a busy kiosk does not write per request.
const TOUCH_INTERVAL: chrono::Duration = chrono::Duration::seconds(60);

pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Resolves a bearer token to its owner, refusing expired sessions, deactivated users and revoked devices.
pub async fn authenticate(state: &AppState, token: &str) -> ApiResult<Auth> {
    let auth = resolve(state, token).await?;
    tracing::Span::current().record("tenant", tracing::field::display(auth.tenant_id));
    Ok(auth)
}

async fn resolve(state: &AppState, token: &str) -> ApiResult<Auth> {
    // One query per request: the prefix says whether it is a device's token or a session's.
    let owner = state.store.token_owner(&token_hash(token), token.starts_with(DEVICE_TOKEN_PREFIX)).await?;
    match owner {
        None => Err(ApiError::Unauthorized("invalid token; log in or pair the device again")),
        Some(TokenOwner::Session { tenant_id, user_id, role, active, expires_at }) => {
            if expires_at <= now() {
                state.store.delete_session(&token_hash(token)).await?;
                return Err(ApiError::Unauthorized("session expired; log in again"));
            }
            if !active {
                return Err(ApiError::Unauthorized("this account has been deactivated"));
            }
            Ok(Auth { tenant_id, principal: Principal::User { user_id, role } })
        }
        Some(TokenOwner::Device { tenant_id, device_id, kind, revoked, last_seen_at }) => {
            if revoked {
                return Err(ApiError::Unauthorized("this device has been revoked; pair it again"));
            }
            let at = now();
            if last_seen_at.is_none_or(|seen| at - seen >= TOUCH_INTERVAL) {
                state.store.touch_device(tenant_id, device_id, at).await?;
            }
            Ok(Auth { tenant_id, principal: Principal::Device { device_id, kind } })
        }
    }
}

/// The address a request came from, for throttling: the TCP peer, or — when this server runs behind the
/// deployment's reverse proxy (`--behind-proxy`) — the client address the proxy wrote in `X-Real-IP`.
/// The header is never believed otherwise, since any client can send it.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let forwarded = state
            .config
            .behind_proxy
            .then(|| parts.headers.get("x-real-ip")?.to_str().ok()?.trim().parse::<IpAddr>().ok())
            .flatten();
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
        forwarded
            .or(peer)
            .map(ClientIp)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the server was started without peer addresses")))
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token =
            bearer_token(&parts.headers).ok_or(ApiError::Unauthorized("missing `Authorization: Bearer <token>`"))?;
        let auth = authenticate(state, token).await?;
        // Here, in an HTTP request, the scope is the request's own; a sync socket's tasks are not.
        sentry::configure_scope(|scope| scope.set_tag("tenant", auth.tenant_id));
        Ok(auth)
    }
}

impl FromRequestParts<AppState> for UserAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, state).await?;
        match auth.principal {
            Principal::User { user_id, role } => Ok(UserAuth { tenant_id: auth.tenant_id, user_id, role }),
            Principal::Device { .. } => Err(ApiError::Forbidden("this needs a signed-in user, not a device")),
        }
    }
}

impl FromRequestParts<AppState> for ManagerAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = UserAuth::from_request_parts(parts, state).await?;
        if user.role.can_manage() {
            Ok(ManagerAuth(user))
        } else {
            Err(ApiError::Forbidden("only owners and managers may do this"))
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Login throttling

/// Counts attempts that may be guesses (logins, unknown pairing codes) and sign-ups per key in a sliding
/// window; past a key's limit, attempts are refused with 429 and `Retry-After` until its oldest entry
/// leaves the window. A login is counted as failed from the moment it is let in, before its password is
/// hashed, and forgiven when the password proves right: a burst of concurrent guesses is cut at the limit
/// rather than all let through while the first ones are still being checked. Kept in memory: a restart
/// forgets it, which errs on the side of letting a restaurant's staff back in.
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// Of those, the logins still being checked, per key (locked after `failures` when both are).
    pending: Mutex<HashMap<String, usize>>,
    window: Duration,
    per_account: usize,
    per_address: usize,
    signups_per_address: usize,
}

impl LoginThrottle {
    pub fn new(window: Duration, per_account: usize, per_address: usize, signups_per_address: usize) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            window,
            per_account,
            per_address,
            signups_per_address,
        }
    }

    /// Logins are limited per account (against guessing one password) and per address (against trying
    /// one password on many accounts).
    fn login_keys(&self, email: &str, address: IpAddr) -> [(String, usize); 2] {
        [(format!("account:{email}"), self.per_account), (format!("address:{address}"), self.per_address)]
    }

    /// Pairing codes are limited per address only: there is no account to lock.
    fn pairing_keys(&self, address: IpAddr) -> [(String, usize); 1] {
        [(format!("pairing:{address}"), self.per_address)]
    }

    /// Lets a login in and counts it as failed until [`Self::login_succeeded`]; `Err(seconds)` when the
    /// account or the address is at its limit. While the returned attempt lives, the login is still being
    /// checked: a key at its limit only through such logins is told to retry in a second, not after the
    /// window, since they will be settled by then.
    pub fn begin_login(&self, email: &str, address: IpAddr) -> Result<LoginAttempt<'_>, u64> {
        let keys = self.login_keys(email, address);
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("throttle lock");
        if let Some(wait) = self.wait(&mut failures, &keys, now) {
            return Err(wait);
        }
        self.record(&mut failures, &keys, now);
        // Counted as pending under the same lock, so that no one sees it counted and not pending.
        let mut pending = self.pending.lock().expect("throttle lock");
        for (key, _) in &keys {
            *pending.entry(key.clone()).or_default() += 1;
        }
        Ok(LoginAttempt { throttle: self, email: email.to_owned(), address, settled: false })
    }

    /// The password was right: the account's failures are forgotten, and this login no longer counts
    /// against its address.
    pub fn login_succeeded(&self, email: &str, address: IpAddr) {
        let mut failures = self.failures.lock().expect("throttle lock");
        self.forgive(&mut failures, (email, address));
    }

    fn forgive(&self, failures: &mut HashMap<String, VecDeque<Instant>>, (email, address): (&str, IpAddr)) {
        failures.remove(&format!("account:{email}"));
        Self::forget(failures, &[format!("address:{address}")]);
    }

    /// The password was never checked (the server was too busy to): this was no guess, and must not
    /// lock a person out who retries while someone else floods the server.
    pub fn login_unchecked(&self, email: &str, address: IpAddr) {
        let mut failures = self.failures.lock().expect("throttle lock");
        self.uncount(&mut failures, (email, address));
    }

    fn uncount(&self, failures: &mut HashMap<String, VecDeque<Instant>>, (email, address): (&str, IpAddr)) {
        Self::forget(failures, &self.login_keys(email, address).map(|(key, _)| key));
    }

    /// Lets a sign-up in and counts it, whatever its outcome: each one costs a password hash, and a
    /// successful one a whole restaurant.
    pub fn begin_signup(&self, address: IpAddr) -> Result<(), u64> {
        self.admit(&self.signup_keys(address))
    }

    /// The sign-up was turned away before its password was hashed: it does not count.
    pub fn signup_unchecked(&self, address: IpAddr) {
        let mut failures = self.failures.lock().expect("throttle lock");
        Self::forget(&mut failures, &self.signup_keys(address).map(|(key, _)| key));
    }

    fn signup_keys(&self, address: IpAddr) -> [(String, usize); 1] {
        [(format!("signup:{address}"), self.signups_per_address)]
    }

    /// Takes back the newest entry of each key.
    fn forget(failures: &mut HashMap<String, VecDeque<Instant>>, keys: &[String]) {
        for key in keys {
            if let Some(times) = failures.get_mut(key) {
                times.pop_back();
            }
        }
    }

    pub fn check_pairing(&self, address: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("throttle lock");
        self.wait(&mut failures, &self.pairing_keys(address), now).map_or(Ok(()), Err)
    }

    pub fn pairing_failed(&self, address: IpAddr) {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("throttle lock");
        self.record(&mut failures, &self.pairing_keys(address), now);
    }

    /// Checks and counts in one step, so that concurrent attempts cannot all pass the check first.
    fn admit(&self, keys: &[(String, usize)]) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("throttle lock");
        if let Some(wait) = self.wait(&mut failures, keys, now) {
            return Err(wait);
        }
        self.record(&mut failures, keys, now);
        Ok(())
    }

    /// The seconds until every key is below its limit, if one is at it.
    fn wait(
        &self,
        failures: &mut HashMap<String, VecDeque<Instant>>,
        keys: &[(String, usize)],
        now: Instant,
    ) -> Option<u64> {
        let mut wait = None;
        for (key, limit) in keys {
            if let Some(times) = failures.get_mut(key) {
                while times.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
                    times.pop_front();
                }
                if times.len() >= *limit {
                    let checking = self.pending.lock().expect("throttle lock").get(key).copied().unwrap_or(0);
                    let seconds = if times.len().saturating_sub(checking) < *limit {
                        // At the limit only through logins still being checked: they are settled within a
                        // second or so, each either forgiven or a failure for good.
                        1
                    } else {
                        let oldest = times[times.len() - limit];
                        self.window.saturating_sub(now.duration_since(oldest)).as_secs() + 1
                    };
                    wait = Some(wait.unwrap_or(0).max(seconds));
                }
            }
        }
        wait
    }

    fn record(&self, failures: &mut HashMap<String, VecDeque<Instant>>, keys: &[(String, usize)], now: Instant) {
        // Bound memory under a spray of addresses: drop keys whose entries have all aged out.
        if failures.len() > 100_000 {
            failures.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < self.window));
        }
        for (key, _) in keys {
            failures.entry(key.clone()).or_default().push_back(now);
        }
    }
}

/// A login let in by the throttle, still being checked. It counts as a failure from the start (see
/// [`LoginThrottle`]): [`Self::succeeded`] or [`Self::unchecked`] say otherwise; dropped without either,
/// it stays a failure. Either way it is no longer pending.
pub struct LoginAttempt<'a> {
    throttle: &'a LoginThrottle,
    email: String,
    address: IpAddr,
    settled: bool,
}

impl LoginAttempt<'_> {
    /// The password was right (see [`LoginThrottle::login_succeeded`]).
    pub fn succeeded(mut self) {
        self.settle(|throttle, email, address| throttle.forgive(email, address));
    }

    /// The password was never checked (see [`LoginThrottle::login_unchecked`]).
    pub fn unchecked(mut self) {
        self.settle(|throttle, email, address| throttle.uncount(email, address));
    }

    /// Changes the counts and takes the login off the pending ones in one step, under both locks.
    fn settle(&mut self, change: impl FnOnce(&LoginThrottle, &mut HashMap<String, VecDeque<Instant>>, (&str, IpAddr))) {
        let throttle = self.throttle;
        let mut failures = throttle.failures.lock().expect("throttle lock");
        change(throttle, &mut failures, (&self.email, self.address));
        self.unpend();
        self.settled = true;
    }

    fn unpend(&self) {
        let mut pending = self.throttle.pending.lock().expect("throttle lock");
        for (key, _) in self.throttle.login_keys(&self.email, self.address) {
            if let Some(count) = pending.get_mut(&key) {
                *count -= 1;
                if *count == 0 {
                    pending.remove(&key);
                }
            }
        }
    }
}

impl std::fmt::Debug for LoginAttempt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginAttempt").field("settled", &self.settled).finish_non_exhaustive()
    }
}

impl Drop for LoginAttempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            // A failure for good: its count stays, only its pending mark goes (under the order of locks
            // every other path keeps: `failures`, then `pending`).
            let _failures = self.throttle.failures.lock().expect("throttle lock");
            self.unpend();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_at_its_limit_only_through_logins_being_checked_is_told_to_retry_in_a_second() {
        let throttle = LoginThrottle::new(Duration::from_secs(900), 5, 2, 10);
        let address: IpAddr = "10.0.0.1".parse().unwrap();
        let first = throttle.begin_login("a@x.io", address).unwrap();
        let second = throttle.begin_login("b@x.io", address).unwrap();
        assert_eq!(throttle.begin_login("c@x.io", address).unwrap_err(), 1, "both are settled within a second");
        second.succeeded();
        drop(first);
        // One failure for good (a's wrong password) and room for one more.
        drop(throttle.begin_login("c@x.io", address).unwrap());
        let wait = throttle.begin_login("d@x.io", address).unwrap_err();
        assert!(wait > 800, "two failures for good: the rest of the window ({wait} s)");
    }

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let a = new_token(SESSION_TOKEN_PREFIX);
        let b = new_token(SESSION_TOKEN_PREFIX);
        assert!(a.starts_with("ors_") && a.len() > 40);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn pairing_codes_are_typed_forgivingly() {
        let code = new_pairing_code();
        assert_eq!(code.len(), 9);
        assert_eq!(pairing_code_hash(&code), pairing_code_hash(&code.to_lowercase().replace('-', " ")));
    }

    #[test]
    fn the_throttle_locks_an_account_after_its_limit_and_success_clears_it() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 3, 10, 10);
        let address: IpAddr = "127.0.0.1".parse().unwrap();
        // Logins still being checked count as failures: the fourth concurrent one is not let in.
        for _ in 0..3 {
            assert!(throttle.begin_login("a@x.io", address).is_ok());
        }
        let wait = throttle.begin_login("a@x.io", address).unwrap_err();
        assert!((1..=61).contains(&wait));
        assert!(throttle.begin_login("b@x.io", address).is_ok(), "another account from the same address is fine");
        throttle.login_succeeded("a@x.io", address);
        assert!(throttle.begin_login("a@x.io", address).is_ok());
    }

    #[test]
    fn the_throttle_locks_an_address_that_sprays_accounts_or_codes() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 3, 4, 10);
        let address: IpAddr = "10.0.0.1".parse().unwrap();
        let elsewhere: IpAddr = "10.0.0.2".parse().unwrap();
        for n in 0..4 {
            assert!(throttle.begin_login(&format!("user{n}@x.io"), address).is_ok());
            throttle.pairing_failed(address);
        }
        assert!(throttle.begin_login("fresh@x.io", address).is_err());
        assert!(throttle.check_pairing(address).is_err());
        assert!(throttle.begin_login("fresh@x.io", elsewhere).is_ok());
        assert!(throttle.check_pairing(elsewhere).is_ok());
    }

    #[test]
    fn successful_logins_do_not_use_up_their_address() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 3, 4, 10);
        let address: IpAddr = "10.0.0.1".parse().unwrap();
        for n in 0..10 {
            let email = format!("cook{n}@x.io");
            assert!(throttle.begin_login(&email, address).is_ok());
            throttle.login_succeeded(&email, address);
        }
    }

    #[test]
    fn a_login_or_sign_up_turned_away_unchecked_does_not_count() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 1, 4, 1);
        let address: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(throttle.begin_login("a@x.io", address).is_ok());
            throttle.login_unchecked("a@x.io", address);
            assert!(throttle.begin_signup(address).is_ok());
            throttle.signup_unchecked(address);
        }
    }

    #[test]
    fn sign_ups_are_counted_per_address_whatever_their_outcome() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 3, 4, 2);
        let address: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(throttle.begin_signup(address).is_ok());
        assert!(throttle.begin_signup(address).is_ok());
        assert!(throttle.begin_signup(address).is_err());
        assert!(throttle.begin_signup("10.0.0.2".parse().unwrap()).is_ok());
        assert!(throttle.begin_login("owner@x.io", address).is_ok(), "sign-ups and logins count apart");
    }
}
