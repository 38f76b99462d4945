//! The screen's sounds, generated with the Web Audio API at play time: nothing is downloaded or shipped
//! as a file. Each sound is a few short tones; the volume is the screen's setting. A page without audio
//! (a test browser) stays silent, and every sound played is also noted on the page (`#sound-log`) so a test
//! can see that it would have been heard.

use web_sys::{AudioContext, OscillatorType};

use crate::state::Sound;

thread_local! {
    static CONTEXT: std::cell::RefCell<Option<AudioContext>> = const { std::cell::RefCell::new(None) };
}

/// Tones as (frequency Hz, start s, length s).
fn tones(sound: Sound) -> (&'static [(f32, f64, f64)], OscillatorType) {
    match sound {
        // Two rising notes: something new.
        Sound::NewTicket => (&[(660.0, 0.0, 0.18), (880.0, 0.2, 0.3)], OscillatorType::Sine),
        // Three low, hard pulses: unmistakably not a new ticket.
        Sound::Cancelled => (&[(220.0, 0.0, 0.22), (220.0, 0.3, 0.22), (220.0, 0.6, 0.4)], OscillatorType::Square),
        // A bright bell for customers.
        Sound::Ready => (&[(1046.5, 0.0, 0.25), (1318.5, 0.22, 0.5)], OscillatorType::Triangle),
        Sound::Alarm => (&[(880.0, 0.0, 0.25), (440.0, 0.3, 0.25), (880.0, 0.6, 0.25)], OscillatorType::Sawtooth),
        Sound::Test => (&[(523.3, 0.0, 0.2), (659.3, 0.2, 0.2), (784.0, 0.4, 0.3)], OscillatorType::Sine),
    }
}

pub fn name(sound: Sound) -> &'static str {
    match sound {
        Sound::NewTicket => "new-ticket",
        Sound::Cancelled => "cancelled",
        Sound::Ready => "ready",
        Sound::Alarm => "alarm",
        Sound::Test => "test",
    }
}

/// Plays `sound` at `volume` (0–100).
pub fn play(sound: Sound, volume: u8) {
    note(sound);
    let _ = CONTEXT.with(|context| -> Result<(), wasm_bindgen::JsValue> {
        let mut context = context.borrow_mut();
        if context.is_none() {
            *context = Some(AudioContext::new()?);
        }
        let context = context.as_ref().expect("made above");
        // A context made before the first touch starts suspended in some webviews.
        let _ = context.resume();
        let (tones, kind) = tones(sound);
        let start = context.current_time();
        let level = f32::from(volume.min(100)) / 100.0 * 0.4;
        for &(frequency, offset, length) in tones {
            let oscillator = context.create_oscillator()?;
            let gain = context.create_gain()?;
            oscillator.set_type(kind);
            oscillator.frequency().set_value(frequency);
            // A short fade in and out, so tones do not click.
            gain.gain().set_value_at_time(0.0, start + offset)?;
            gain.gain().linear_ramp_to_value_at_time(level, start + offset + 0.02)?;
            gain.gain().linear_ramp_to_value_at_time(0.0, start + offset + length)?;
            oscillator.connect_with_audio_node(&gain)?;
            gain.connect_with_audio_node(&context.destination())?;
            oscillator.start_with_when(start + offset)?;
            oscillator.stop_with_when(start + offset + length + 0.05)?;
        }
        Ok(())
    });
}

/// Notes the sound on the page: the newest first, a few kept.
fn note(sound: Sound) {
    let Some(log) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("sound-log")) else {
        return;
    };
    let previous = log.text_content().unwrap_or_default();
    let mut names: Vec<&str> = previous.split_whitespace().take(9).collect();
    names.insert(0, name(sound));
    log.set_text_content(Some(&names.join(" ")));
}
