//! Rate limit for the warnings a misbehaving client can cause (malformed frames, timeouts):
//! at most [`BURST`] per [`WINDOW`] across the broker, so a client sending garbage in a loop
//! cannot flood the log. The first warning after a quiet spell says how many were suppressed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Warnings allowed per window.
pub const BURST: u32 = 10;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(10);

struct Window {
    started: Option<Instant>,
    logged: u32,
    suppressed: u64,
}

static STATE: Mutex<Window> = Mutex::new(Window {
    started: None,
    logged: 0,
    suppressed: 0,
});

/// Whether a warning may be logged now: `Some(n)` with the number suppressed since the last
/// one that was logged, `None` when it must be suppressed (log it at debug instead).
pub fn admit() -> Option<u64> {
    admit_at(&STATE, Instant::now())
}

fn admit_at(state: &Mutex<Window>, now: Instant) -> Option<u64> {
    let mut w = state.lock().unwrap_or_else(|p| p.into_inner());
    if w.started.is_none_or(|s| now.duration_since(s) >= WINDOW) {
        w.started = Some(now);
        w.logged = 0;
    }
    if w.logged >= BURST {
        w.suppressed += 1;
        return None;
    }
    w.logged += 1;
    Some(std::mem::take(&mut w.suppressed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_logged_then_suppressed_until_the_next_window() {
        let state = Mutex::new(Window {
            started: None,
            logged: 0,
            suppressed: 0,
        });
        let t0 = Instant::now();
        for _ in 0..BURST {
            assert_eq!(admit_at(&state, t0), Some(0));
        }
        for _ in 0..5 {
            assert_eq!(admit_at(&state, t0 + Duration::from_secs(1)), None);
        }
        assert_eq!(
            admit_at(&state, t0 + WINDOW),
            Some(5),
            "reports what it suppressed"
        );
        assert_eq!(admit_at(&state, t0 + WINDOW), Some(0));
    }
}
