//! Writing events as JSON by hand, byte for byte what `serde_json` writes for the derived
//! `Serialize` (the same keys in the same order, strings escaped alike, floats by `zmij`, as serde_json).
//! A replay writes every event on its one sequential thread, where serde's generic path
//! cost about 6,000 instructions an event; this costs a few hundred.

use crate::event::Event;
use crate::time::Timestamp;

impl Event {
    /// Appends the event as one JSON object (no newline) to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"t\":\"");
        self.t.write_rfc3339(out);
        out.extend_from_slice(b"\",\"rule\":");
        string(out, &self.rule);
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(self.kind.as_str().as_bytes());
        out.push(b'"');
        for (key, value) in [
            ("unit", &self.unit),
            ("other", &self.other),
            ("party", &self.party),
            ("zone", &self.zone),
            ("target", &self.target),
            ("category", &self.category),
        ] {
            if let Some(v) = value {
                key_of(out, key);
                string(out, v);
            }
        }
        for (key, value) in [("value", self.value), ("limit", self.limit)] {
            if let Some(v) = value {
                key_of(out, key);
                out.extend_from_slice(itoa_u64(v, &mut [0u8; 20]));
            }
        }
        for (key, value) in [
            ("distance_km", self.distance_km),
            ("limit_km", self.limit_km),
        ] {
            if let Some(v) = value {
                key_of(out, key);
                float(out, v);
            }
        }
        if let Some(reason) = self.reason {
            key_of(out, "reason");
            out.push(b'"');
            out.extend_from_slice(reason.as_str().as_bytes());
            out.push(b'"');
        }
        out.push(b'}');
    }
}

fn key_of(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// A JSON string as serde_json writes one: `"` and `\` escaped, the short escapes for
/// backspace, form feed, newline, return and tab, `\u00XX` for other control bytes,
/// everything else as it is.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xf)],
                ]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// As serde_json: finite floats by zmij, anything else as `null`.
fn float(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        out.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

fn itoa_u64(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return &buf[at..];
        }
    }
}

impl Timestamp {
    /// Appends the RFC 3339 text [`std::fmt::Display`] gives, without the formatter.
    pub fn write_rfc3339(&self, out: &mut Vec<u8>) {
        let seconds = self.unix_seconds();
        let (year, month, day) = crate::time::civil_from_days(seconds.div_euclid(86_400));
        if !(0..=9999).contains(&year) {
            // Outside four digits Display's padding rules apply; rare enough to use it.
            out.extend_from_slice(self.to_string().as_bytes());
            return;
        }
        let in_day = seconds.rem_euclid(86_400);
        let two = |n: i64| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        let y = year;
        out.extend_from_slice(&[
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
        ]);
        out.extend_from_slice(&two(month));
        out.push(b'-');
        out.extend_from_slice(&two(day));
        out.push(b'T');
        out.extend_from_slice(&two(in_day / 3600));
        out.push(b':');
        out.extend_from_slice(&two(in_day / 60 % 60));
        out.push(b':');
        out.extend_from_slice(&two(in_day % 60));
        let mut nanos = self.subsec_nanos();
        if nanos != 0 {
            let mut digits = 9;
            while nanos.is_multiple_of(10) {
                nanos /= 10;
                digits -= 1;
            }
            out.push(b'.');
            let mut buf = [b'0'; 9];
            for i in (0..digits).rev() {
                buf[i] = b'0' + (nanos % 10) as u8;
                nanos /= 10;
            }
            out.extend_from_slice(&buf[..digits]);
        }
        out.push(b'Z');
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use crate::event::{ClearReason, Event, EventKind};
    use crate::time::Timestamp;

    fn name() -> impl Strategy<Value = Option<Arc<str>>> {
        prop::option::of(
            prop_oneof![
                "[A-Za-z0-9_-]{1,12}",
                any::<String>(),
                "[\"\\\\\u{0}-\u{1f}\u{7f}é…]{0,6}"
            ]
            .prop_map(|s| Arc::from(s.as_str())),
        )
    }

    fn float() -> impl Strategy<Value = Option<f64>> {
        prop::option::of(prop_oneof![
            (0u32..100_000).prop_map(|n| f64::from(n) / 10.0),
            any::<f64>(),
            Just(2.0),
            Just(1e21),
            Just(f64::NAN),
        ])
    }

    fn event() -> impl Strategy<Value = Event> {
        (
            (
                any::<i64>(),
                "[a-z0-9-]{1,20}",
                0usize..8,
                name(),
                name(),
                name(),
                name(),
            ),
            (
                name(),
                name(),
                prop::option::of(any::<u64>()),
                prop::option::of(any::<u64>()),
                float(),
                float(),
                prop::option::of(prop_oneof![
                    Just(ClearReason::RuleInactive),
                    Just(ClearReason::AgreementAmended)
                ]),
            ),
        )
            .prop_map(
                |(
                    (t, rule, kind, unit, other, party, zone),
                    (target, category, value, limit, distance_km, limit_km, reason),
                )| Event {
                    t: Timestamp(t),
                    rule: Arc::from(rule.as_str()),
                    kind: EventKind::ALL[kind],
                    unit,
                    other,
                    party,
                    zone,
                    target,
                    category,
                    value,
                    limit,
                    distance_km,
                    limit_km,
                    reason,
                },
            )
    }

    proptest! {
        /// Byte for byte what serde_json writes for the derived Serialize.
        #[test]
        fn writes_what_serde_json_writes(e in event()) {
            let mut out = Vec::new();
            e.write_json(&mut out);
            prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&e).unwrap());
        }

        #[test]
        fn timestamps_as_display_writes_them(t in any::<i64>()) {
            let mut out = Vec::new();
            Timestamp(t).write_rfc3339(&mut out);
            prop_assert_eq!(String::from_utf8(out).unwrap(), Timestamp(t).to_string());
        }
    }
}
