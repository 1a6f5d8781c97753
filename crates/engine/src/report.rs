//! Position reports: one JSON object a line (spec/engine.md 1.3).
//!
//! Reading reports is most of a replay's work, so there are two readers. The fast one
//! accepts only the plain shape every client writes (a flat object, strings without
//! escapes, JSON numbers) and gives up on anything else; serde_json then reads that line and
//! is the authority on what is wrong with it. Both end in the same checks, so a line means
//! the same whichever reader took it (a property test holds them to that).

use std::borrow::Cow;

use serde::Deserialize;

pub use crate::error::ReportError;
use crate::time::{DateCache, Timestamp};

/// Longest line accepted: a report is ~130 bytes; anything near this is not a report.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Longest unit id.
pub const MAX_UNIT_ID_CHARS: usize = 128;

/// A report as read, before its party and category are resolved against an agreement.
#[derive(Debug, Clone, PartialEq)]
pub struct RawReport<'a> {
    pub t: Timestamp,
    pub unit: Cow<'a, str>,
    pub party: Cow<'a, str>,
    pub category: Cow<'a, str>,
    pub count: u64,
    pub lon: f64,
    pub lat: f64,
}

/// Reads one line (without its newline).
pub fn parse_report(line: &[u8]) -> Result<RawReport<'_>, ReportError> {
    ReportReader::default().read(line)
}

/// Reads the lines of one file in turn, keeping what consecutive lines share: their date
/// and their layout (see `layout`), which make up most of the work of reading a line.
#[derive(Debug, Default)]
pub struct ReportReader {
    dates: DateCache,
    layout: Option<layout::Layout>,
}

impl ReportReader {
    /// Reads one line (without its newline).
    #[inline]
    pub fn read<'a>(&mut self, line: &'a [u8]) -> Result<RawReport<'a>, ReportError> {
        check_length(line)?;
        let fields = match self.layout.as_ref().and_then(|layout| layout.read(line)) {
            Some(fields) => fields,
            None => self.read_unlike_the_last(line)?,
        };
        fields.check(&mut self.dates)
    }

    /// Reads the line at the start of `text` (a file's bytes from the start of a line on):
    /// the bytes it takes with its line break, and its report, or `None` for a blank line.
    /// A line laid out like the one before is read without looking for its end first.
    ///
    /// The error is a [`ReportError`], or anything made from one: callers that keep
    /// messages as text (the chunk classifier, the server) take it as a `String`.
    ///
    /// Always inlined: with three callers (one chunk, a pair of chunks, the server's
    /// batches) the compiler stopped inlining it, and the call and the result passed
    /// through memory cost ~100 instructions a report on the replay's hottest path.
    #[inline(always)]
    pub fn read_line<'a, E: From<ReportError>>(
        &mut self,
        text: &'a [u8],
    ) -> (usize, Option<Result<RawReport<'a>, E>>) {
        if let Some((fields, end)) = self.layout.as_ref().and_then(|l| l.read_prefix(text)) {
            let taken = match &text[end..] {
                [] => Some(end),
                [b'\n', ..] => Some(end + 1),
                [b'\r', b'\n', ..] => Some(end + 2),
                _ => None,
            };
            // Too long a line goes the general way, which refuses it by its length.
            if let Some(taken) = taken.filter(|_| end <= MAX_LINE_BYTES) {
                return (taken, Some(fields.check(&mut self.dates).map_err(E::from)));
            }
        }
        let (line, taken) = match memchr::memchr(b'\n', text) {
            Some(i) => (&text[..i], i + 1),
            None => (text, text.len()),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return (taken, None);
        }
        // The layout was tried above and did not fit; the general readers take the line.
        let read = check_length(line)
            .and_then(|()| self.read_unlike_the_last(line))
            .and_then(|fields| fields.check(&mut self.dates));
        (taken, Some(read.map_err(E::from)))
    }

    /// A line laid out unlike the one before: the general fast reader, which teaches the
    /// layout for the next lines, and serde_json when that is not sure.
    #[inline(never)]
    fn read_unlike_the_last<'a>(&mut self, line: &'a [u8]) -> Result<Fields<'a>, ReportError> {
        let mut spans = layout::Spans::default();
        match fast::fields_spanned(line, &mut spans) {
            Some(fields) => {
                if let Some(layout) = layout::Layout::learn(line, &spans) {
                    self.layout = Some(layout);
                }
                Ok(fields)
            }
            None => slow_fields(line),
        }
    }
}

fn check_length(line: &[u8]) -> Result<(), ReportError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(ReportError::LineTooLong {
            bytes: line.len(),
            max: MAX_LINE_BYTES,
        });
    }
    Ok(())
}

/// The fields, not yet checked for meaning.
struct Fields<'a> {
    t: Cow<'a, str>,
    unit: Cow<'a, str>,
    party: Cow<'a, str>,
    category: Cow<'a, str>,
    count: Count,
    lon: f64,
    lat: f64,
}

enum Count {
    Missing,
    Whole(u64),
    Negative(i64),
    NotWhole(String),
}

impl<'a> Fields<'a> {
    fn check(self, dates: &mut DateCache) -> Result<RawReport<'a>, ReportError> {
        let t = Timestamp::parse_with(&self.t, dates).map_err(ReportError::Time)?;
        // Counting characters is needed only when the bytes could be too many.
        if self.unit.is_empty()
            || self.unit.len() > MAX_UNIT_ID_CHARS && self.unit.chars().count() > MAX_UNIT_ID_CHARS
        {
            return Err(ReportError::Unit {
                max: MAX_UNIT_ID_CHARS,
            });
        }
        let count = match self.count {
            Count::Missing => 1,
            Count::Whole(n) => n,
            Count::Negative(count) => return Err(ReportError::NegativeCount { count }),
            Count::NotWhole(text) => return Err(ReportError::CountNotWhole { text }),
        };
        if !(-180.0..=180.0).contains(&self.lon) {
            return Err(ReportError::Longitude { lon: self.lon });
        }
        if !(-90.0..=90.0).contains(&self.lat) {
            return Err(ReportError::Latitude { lat: self.lat });
        }
        Ok(RawReport {
            t,
            unit: self.unit,
            party: self.party,
            category: self.category,
            count,
            lon: self.lon,
            lat: self.lat,
        })
    }
}

#[derive(Deserialize)]
struct SlowReport<'a> {
    #[serde(borrow)]
    t: Cow<'a, str>,
    #[serde(borrow)]
    unit: Cow<'a, str>,
    #[serde(borrow)]
    party: Cow<'a, str>,
    #[serde(borrow)]
    category: Cow<'a, str>,
    #[serde(default)]
    count: Option<serde_json::Number>,
    lon: f64,
    lat: f64,
}

fn slow_fields(line: &[u8]) -> Result<Fields<'_>, ReportError> {
    let report: SlowReport = serde_json::from_slice(line).map_err(|err| {
        let text = err.to_string();
        // serde_json says "at line 1 column N"; the caller names the file's line.
        let text = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(head, _)| head);
        ReportError::Json {
            message: text.to_string(),
        }
    })?;
    let count = match report.count {
        None => Count::Missing,
        Some(n) => match (n.as_u64(), n.as_i64()) {
            (Some(whole), _) => Count::Whole(whole),
            (None, Some(negative)) => Count::Negative(negative),
            _ => Count::NotWhole(n.to_string()),
        },
    };
    Ok(Fields {
        t: report.t,
        unit: report.unit,
        party: report.party,
        category: report.category,
        count,
        lon: report.lon,
        lat: report.lat,
    })
}

mod fast;
mod layout;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PLAIN: &str = r#"{"t":"2025-12-01T06:00:00Z","unit":"SY-TB-3","party":"SY","category":"tank","count":14,"lon":35.861,"lat":33.12}"#;

    #[test]
    fn reads_the_plain_shape_fast() {
        assert!(fast::fields(PLAIN.as_bytes()).is_some());
        let r = parse_report(PLAIN.as_bytes()).unwrap();
        assert_eq!(r.unit, "SY-TB-3");
        assert_eq!(r.count, 14);
        assert_eq!((r.lon, r.lat), (35.861, 33.12));
    }

    #[test]
    fn reads_other_shapes_through_serde() {
        let escaped = r#"{"lat":33.12,"lon":35.861,"t":"2025-12-01T06:00:00Z","unit":"SY\u002dTB","party":"SY","category":"tank","extra":{"a":[1,2]}}"#;
        assert!(fast::fields(escaped.as_bytes()).is_none());
        let r = parse_report(escaped.as_bytes()).unwrap();
        assert_eq!(r.unit, "SY-TB");
        assert_eq!(r.count, 1, "count defaults to 1");
    }

    fn check_error(line: &str, needle: &str) {
        let err = parse_report(line.as_bytes()).unwrap_err().to_string();
        assert!(
            err.contains(needle),
            "{line}: {err:?} does not say {needle:?}"
        );
    }

    #[test]
    fn says_what_is_wrong() {
        check_error(
            r#"{"t":"2025-12-01T06:00:00Z","unit":"u","party":"SY","category":"tank","count":-3,"lon":35,"lat":33}"#,
            "0 or more",
        );
        check_error(
            r#"{"t":"2025-12-01T06:00:00Z","unit":"u","party":"SY","category":"tank","count":1.5,"lon":35,"lat":33}"#,
            "whole number",
        );
        check_error(
            r#"{"t":"2025-12-01T06:00:00Z","unit":"u","party":"SY","category":"tank","lon":35,"lat":95.5}"#,
            "latitude 95.5",
        );
        check_error(
            r#"{"t":"2025-12-01T06:00:00Z","unit":"u","party":"SY","category":"tank","lon":181,"lat":33}"#,
            "longitude 181",
        );
        check_error(
            r#"{"t":"2025-12-01T06:00:00+01:00","unit":"u","party":"SY","category":"tank","lon":35,"lat":33}"#,
            "UTC",
        );
        check_error(
            r#"{"t":"2025-12-01T06:00:00Z","unit":"u","party":"SY","lon":35,"lat":33}"#,
            "missing field `category`",
        );
        check_error(
            r#"{"t":"2025-12-01T06:00:00Z","unit":"u","unit":"v","party":"SY","category":"tank","lon":35,"lat":33}"#,
            "duplicate field",
        );
        check_error(
            r#"{"t":"2025-12-01T06:00:00Z","unit":"u","party":"SY","category":"tank","lon":NaN,"lat":33}"#,
            "not a valid report",
        );
        check_error(
            r#"{"t":"2025-12-01T06:00:00Z","unit":"","party":"SY","category":"tank","lon":35,"lat":33}"#,
            "`unit`",
        );
        check_error(r#"{"t":"2025-12-01T06:00:00Z""#, "not a valid report");
        check_error("[1,2]", "not a valid report");
    }

    /// A JSON number as text, plain or awkward: leading zeros, exponents, long digit runs,
    /// signs, and the forms at the edges of the eight-digit reader.
    fn number_text() -> impl Strategy<Value = String> {
        prop_oneof![
            (-180.0f64..180.0).prop_map(|v| v.to_string()),
            (-1_800_000i64..1_800_000).prop_map(|n| format!("{}", n as f64 / 1e4)),
            "-?[0-9]{1,9}(\\.[0-9]{1,9})?",
            "-?[0-9]{1,3}\\.[0-9]{1,3}[eE][+-]?[0-9]{1,2}",
            Just("0".to_string()),
            Just("-0".to_string()),
            Just("-0.0".to_string()),
            Just("1.".to_string()),
            Just("12345678".to_string()),
            Just("1234567.1234567".to_string()),
            Just("99999999.5".to_string()),
        ]
    }

    /// Lines sharing a layout (key order, spacing, whether `count` is there), each with
    /// its own values; now and then one is laid out differently.
    fn lines_strategy() -> impl Strategy<Value = Vec<String>> {
        let string = || {
            prop_oneof![
                4 => "[A-Za-z0-9_-]{0,12}",
                1 => Just("SY\\u002dTB".to_string()),
                1 => Just("caf\u{e9}".to_string()),
            ]
        };
        let count = prop_oneof![
            (0u64..100_000_000).prop_map(|n| n.to_string()),
            "-?0[0-9]{0,3}",
            "[0-9]{8,12}",
            Just("1.5".to_string()),
        ];
        let time = prop_oneof![
            Just("2025-12-01T06:00:00Z".to_string()),
            Just("2025-12-02T23:59:59.25Z".to_string()),
            Just("2025-13-01T00:00:00Z".to_string()),
        ];
        let values = (
            time,
            string(),
            prop_oneof![Just("SY".to_string()), Just("IL".to_string())],
            prop_oneof![Just("tank".to_string()), Just("artillery".to_string())],
            count,
            number_text(),
            number_text(),
            proptest::option::weighted(0.1, (any::<bool>(), any::<bool>())),
        );
        let layout = (
            prop_oneof![Just(("", ":")), Just((" ", ": ")), Just(("", " : "))],
            any::<bool>(),
            any::<bool>(),
        );
        (layout, proptest::collection::vec(values, 1..12)).prop_map(
            |(((gap, colon), reversed, with_count), values)| {
                values
                    .into_iter()
                    .map(
                        |(t, unit, party, category, count, lon, lat, other_layout)| {
                            let (reversed, with_count) =
                                other_layout.unwrap_or((reversed, with_count));
                            let mut pairs = vec![
                                ("t", format!("\"{t}\"")),
                                ("unit", format!("\"{unit}\"")),
                                ("party", format!("\"{party}\"")),
                                ("category", format!("\"{category}\"")),
                            ];
                            if with_count {
                                pairs.push(("count", count));
                            }
                            pairs.push(("lon", lon));
                            pairs.push(("lat", lat));
                            if reversed {
                                pairs.reverse();
                            }
                            let body: Vec<String> = pairs
                                .iter()
                                .map(|(k, v)| format!("\"{k}\"{colon}{v}"))
                                .collect();
                            format!("{{{}}}", body.join(&format!(",{gap}")))
                        },
                    )
                    .collect()
            },
        )
    }

    proptest! {
        /// The word-at-a-time scan finds the same first special byte as a byte loop.
        #[test]
        fn special_bytes_finds_the_first_special_byte(word in proptest::collection::vec(prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20, 0x20u8..0x7f, 0x80u8..=0xff], 8)) {
            let special = |b: u8| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b);
            let want = word.iter().position(|&b| special(b));
            let mask = fast::special_bytes_for_tests(u64::from_le_bytes(word.clone().try_into().unwrap()));
            let got = (mask != 0).then(|| (mask.trailing_zeros() / 8) as usize);
            prop_assert_eq!(got, want, "{:?}", word);
        }

        /// Whatever the fast reader accepts, serde_json reads the same way.
        #[test]
        fn fast_reader_agrees_with_serde(
            unit in "[A-Za-z0-9_-]{1,12}",
            count in proptest::option::of(0u64..1_000_000),
            lon in prop_oneof![-180.0f64..180.0, (-180_000_000i64..180_000_000).prop_map(|n| n as f64 / 1e6)],
            lat in prop_oneof![-90.0f64..90.0, (-90_000i64..90_000).prop_map(|n| n as f64 / 1e3), Just(3.3e1), Just(-0.0)],
            extra in proptest::option::of(("[a-z]{1,6}", prop_oneof![Just("true".to_string()), Just("null".to_string()), "-?[1-9][0-9]{0,4}", "\"[a-z ]{0,8}\""])),
            spaces in "[ \t]{0,2}",
        ) {
            let mut line = format!(r#"{{"t":"2025-12-01T06:00:00Z",{spaces}"unit":"{unit}","party":"SY","category":"tank","lon":{lon},"lat":{lat}"#);
            if let Some(n) = count { line += &format!(r#","count":{n}"#); }
            if let Some((k, v)) = &extra { if !["t","unit","party","category","lon","lat","count"].contains(&k.as_str()) { line += &format!(r#","{k}":{v}"#); } }
            line += "}";
            let fast = fast::fields(line.as_bytes()).expect("plain shape").check(&mut DateCache::default()).unwrap();
            let slow = slow_fields(line.as_bytes()).unwrap().check(&mut DateCache::default()).unwrap();
            prop_assert_eq!(fast, slow);
        }

        /// Lines read one after another (so that most are read by the layout of the one
        /// before) mean exactly what serde_json says each means on its own, whatever
        /// their key order, spacing and values, tricky numbers and escapes included.
        #[test]
        fn consecutive_lines_agree_with_serde(
            lines in lines_strategy(),
        ) {
            let mut reader = ReportReader::default();
            for line in &lines {
                let want = slow_fields(line.as_bytes()).and_then(|f| f.check(&mut DateCache::default()));
                let got = reader.read(line.as_bytes());
                prop_assert_eq!(&got, &want, "{}", line);
            }
        }

        /// The same lines in one text, read line by line as a replay reads a chunk (so
        /// that a laid-out line's end is found by its layout), with either line break and
        /// blank lines between: each line means what serde_json says it means alone.
        #[test]
        fn lines_of_a_text_agree_with_serde(
            lines in lines_strategy(),
            breaks in proptest::collection::vec(prop_oneof![4 => Just("\n"), 1 => Just("\r\n"), 1 => Just("\n \n")], 12),
        ) {
            let mut text = String::new();
            for (line, line_break) in lines.iter().zip(&breaks) {
                text += line;
                text += line_break;
            }
            let mut reader = ReportReader::default();
            let mut at = 0;
            let mut reports = Vec::new();
            while at < text.len() {
                let (taken, read) = reader.read_line::<ReportError>(&text.as_bytes()[at..]);
                prop_assert!(taken > 0);
                at += taken;
                if let Some(read) = read {
                    reports.push(read);
                }
            }
            prop_assert_eq!(reports.len(), lines.len());
            for (line, got) in lines.iter().zip(&reports) {
                let want = slow_fields(line.as_bytes()).and_then(|f| f.check(&mut DateCache::default()));
                prop_assert_eq!(got, &want, "{}", line);
            }
        }

        /// Arbitrary bytes never panic; they are read or refused with a message.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_report(&bytes);
        }
    }
}
