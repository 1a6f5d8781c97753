//! Time as data: every decision that depends on "now" asks a [`Clock`], so that tests can
//! set it and the demo can run it faster than real time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> i64;
}

/// The machine's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(now_ms: i64) -> Self {
        ManualClock(AtomicI64::new(now_ms))
    }
    pub fn set_ms(&self, now_ms: i64) {
        self.0.store(now_ms, Ordering::SeqCst);
    }
    pub fn advance_ms(&self, by_ms: i64) {
        self.0.fetch_add(by_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Simulated time running `speed` times faster than real time from `start_ms` (the demo).
#[derive(Debug)]
pub struct ScaledClock {
    origin: Instant,
    start_ms: i64,
    speed: f64,
}

impl ScaledClock {
    pub fn new(start_ms: i64, speed: f64) -> Self {
        ScaledClock {
            origin: Instant::now(),
            start_ms,
            speed,
        }
    }
}

impl Clock for ScaledClock {
    fn now_ms(&self) -> i64 {
        self.start_ms + (self.origin.elapsed().as_secs_f64() * 1000.0 * self.speed) as i64
    }
}

/// RFC 3339 text of a millisecond instant.
pub fn rfc3339_ms(ms: i64) -> String {
    truceline_engine::Timestamp(ms.saturating_mul(1_000_000)).to_string()
}

/// Parses RFC 3339 UTC (with `Z`) to milliseconds.
pub fn parse_ms(text: &str) -> Result<i64, String> {
    truceline_engine::Timestamp::parse(text)
        .map(|t| t.0.div_euclid(1_000_000))
        .map_err(|e| e.to_string())
}
