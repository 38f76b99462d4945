//! A locked kiosk's staff panel: what opens it (the restaurant's staff PIN, checked on the device so it works
//! offline) and what keeps a customer from guessing it (a pause after a few wrong tries).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use ordera_protocol::device::IpcError;

/// Wrong PINs allowed in a row before the keypad pauses.
pub const TRIES: u32 = 5;
/// How long it pauses: long enough to make guessing 4 digits take days.
pub const PAUSE: Duration = Duration::from_secs(30);
/// How long an open panel may close the app: a person who typed the PIN and walked away leaves nothing a
/// customer can use for long.
pub const OPEN_FOR: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct Gate {
    wrong: u32,
    paused_until: Option<Instant>,
    opened_at: Option<Instant>,
}

/// The staff panel's lock, one per app.
#[derive(Debug, Default)]
pub struct StaffGate(Mutex<Gate>);

impl StaffGate {
    /// Refuses while the keypad pauses after too many wrong PINs.
    pub fn may_try(&self, now: Instant) -> Result<(), IpcError> {
        let gate = self.0.lock().expect("the staff gate");
        match gate.paused_until {
            Some(until) if until > now => {
                let seconds = (until - now).as_secs().max(1);
                Err(IpcError::new("throttled", format!("Too many wrong PINs: try again in {seconds} s.")))
            }
            _ => Ok(()),
        }
    }

    /// Records a try: a right PIN opens the panel, a wrong one counts towards the pause.
    pub fn tried(&self, right: bool, now: Instant) -> Result<(), IpcError> {
        let mut gate = self.0.lock().expect("the staff gate");
        if right {
            *gate = Gate { opened_at: Some(now), ..Gate::default() };
            return Ok(());
        }
        gate.wrong += 1;
        if gate.wrong >= TRIES {
            gate.wrong = 0;
            gate.paused_until = Some(now + PAUSE);
            return Err(IpcError::new(
                "throttled",
                format!("Wrong PIN, {TRIES} times: the keypad pauses for {} s.", PAUSE.as_secs()),
            ));
        }
        Err(IpcError::new("invalid", "Wrong PIN."))
    }

    /// Whether the panel was opened recently enough to close the app.
    pub fn is_open(&self, now: Instant) -> bool {
        let gate = self.0.lock().expect("the staff gate");
        gate.opened_at.is_some_and(|at| now.duration_since(at) < OPEN_FOR)
    }
}

/// Whether `pin` is the one `hash` (an argon2 PHC string, as the server stores it) was made from. Tens of
/// milliseconds of CPU: call it off the UI's thread.
pub fn pin_matches(hash: &str, pin: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(pin.as_bytes(), &parsed).is_ok())
}

/// The error a kiosk shows when the restaurant has set no staff PIN yet.
pub fn no_pin() -> IpcError {
    IpcError::new("invalid", "No staff PIN is set: a manager sets one in the admin app, under Settings.")
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};

    use super::*;

    #[test]
    fn the_pin_the_hash_was_made_from_matches_and_no_other() {
        let hash = Argon2::default().hash_password(b"2468", &SaltString::generate(&mut OsRng)).unwrap().to_string();
        assert!(pin_matches(&hash, "2468"));
        assert!(!pin_matches(&hash, "2469"));
        assert!(!pin_matches(&hash, ""));
        assert!(!pin_matches("not a hash", "2468"));
    }

    #[test]
    fn five_wrong_pins_pause_the_keypad_and_a_right_one_opens_the_panel_for_a_minute() {
        let gate = StaffGate::default();
        let start = Instant::now();
        for _ in 1..TRIES {
            gate.may_try(start).unwrap();
            assert_eq!(gate.tried(false, start).unwrap_err().code, "invalid");
        }
        assert_eq!(gate.tried(false, start).unwrap_err().code, "throttled", "the fifth wrong PIN pauses");
        assert_eq!(gate.may_try(start + PAUSE / 2).unwrap_err().code, "throttled");
        assert!(!gate.is_open(start), "a paused keypad opens nothing");

        let later = start + PAUSE;
        gate.may_try(later).unwrap();
        gate.tried(true, later).unwrap();
        assert!(gate.is_open(later + OPEN_FOR / 2));
        assert!(!gate.is_open(later + OPEN_FOR), "an open panel closes by itself");
        // A right PIN forgets the wrong ones before it.
        for _ in 1..TRIES {
            assert_eq!(gate.tried(false, later).unwrap_err().code, "invalid");
        }
    }
}
