//! What the engine's property tests share: reports on a grid over the scenarios' box, in
//! time order, from six units (0-2 party A's, 3-5 B's; even ones infantry, odd ones tanks).

use proptest::prelude::*;
use truceline_engine::{Engine, Event, RawReport, Timestamp};

/// 2026-01-01T00:00:00Z, the scenarios' day.
pub const T0: i64 = 1_767_225_600;

pub fn at_minutes(minutes: i64) -> Timestamp {
    Timestamp::from_unix_seconds(T0 + minutes * 60)
}

/// One report: (minutes after T0, unit, lon step, lat step, count).
pub type Step = (i64, usize, u8, u8, u64);

/// Up to 60 reports with counts below `max_count`, minutes accumulating so that they are
/// in time order.
pub fn reports(max_count: u64) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (0i64..5, 0usize..6, 0u8..12, 0u8..6, 0u64..max_count),
        1..60,
    )
    .prop_map(|mut steps| {
        let mut t = 0;
        for step in &mut steps {
            t += step.0 * 3;
            step.0 = t;
        }
        steps
    })
}

pub fn apply_all(engine: &mut Engine, steps: &[Step]) -> Vec<Event> {
    let mut events = Vec::new();
    for &(minutes, unit, x, y, count) in steps {
        let name = format!("u{unit}");
        let report = RawReport {
            t: at_minutes(minutes),
            unit: name.as_str().into(),
            party: if unit < 3 { "A" } else { "B" }.into(),
            category: if unit % 2 == 0 { "inf" } else { "tank" }.into(),
            count,
            lon: 34.95 + f64::from(x) * 0.05,
            lat: 33.02 + f64::from(y) * 0.04,
        };
        engine.apply_raw(&report, &mut events).unwrap();
    }
    events
}
