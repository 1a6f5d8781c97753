//! Position reports: one JSON object a line (spec/engine.md 1.3).
//!
//! Reading reports is most of a replay's work, so there are two readers. The fast one
//! accepts only the plain shape every client writes (a flat object, strings without
//! escapes, JSON numbers) and gives up on anything else; serde_json then reads that line and
//! is the authority on what is wrong with it. Both end in the same checks, so a line means
//! the same whichever reader took it (a property test holds them to that).

use std::borrow::Cow;

use serde::Deserialize;

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
pub fn parse_report(line: &[u8]) -> Result<RawReport<'_>, String> {
    parse_report_with(line, &mut DateCache::default())
}

/// As [`parse_report`], with a date cache kept across the lines of a file.
pub fn parse_report_with<'a>(
    line: &'a [u8],
    dates: &mut DateCache,
) -> Result<RawReport<'a>, String> {
    if line.len() > MAX_LINE_BYTES {
        return Err(format!(
            "line of {} bytes: a report is at most {MAX_LINE_BYTES}",
            line.len()
        ));
    }
    let fields = match fast::fields(line) {
        Some(fields) => fields,
        None => slow_fields(line)?,
    };
    fields.check(dates)
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
    fn check(self, dates: &mut DateCache) -> Result<RawReport<'a>, String> {
        let t = Timestamp::parse_with(&self.t, dates).map_err(|err| format!("`t`: {err}"))?;
        if self.unit.is_empty() || self.unit.chars().count() > MAX_UNIT_ID_CHARS {
            return Err(format!(
                "`unit` must be 1 to {MAX_UNIT_ID_CHARS} characters"
            ));
        }
        let count = match self.count {
            Count::Missing => 1,
            Count::Whole(n) => n,
            Count::Negative(n) => return Err(format!("`count` must be 0 or more, not {n}")),
            Count::NotWhole(text) => {
                return Err(format!("`count` must be a whole number, not {text}"))
            }
        };
        if !(-180.0..=180.0).contains(&self.lon) {
            return Err(format!(
                "longitude {} is out of range (-180 to 180)",
                self.lon
            ));
        }
        if !(-90.0..=90.0).contains(&self.lat) {
            return Err(format!("latitude {} is out of range (-90 to 90)", self.lat));
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

fn slow_fields(line: &[u8]) -> Result<Fields<'_>, String> {
    let report: SlowReport = serde_json::from_slice(line).map_err(|err| {
        let text = err.to_string();
        // serde_json says "at line 1 column N"; the caller names the file's line.
        let text = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(head, _)| head);
        format!("not a valid report: {text}")
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

mod fast {
    //! The plain-shape reader. Returns `None` whenever it is not sure, never an error.
    //! Byte-level on purpose: it reads every report of a replay.

    use super::{Count, Fields};
    use std::borrow::Cow;

    /// Powers of ten exactly representable in an f64 (Clinger's fast path).
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    struct Cursor<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl<'a> Cursor<'a> {
        #[inline(always)]
        fn peek(&self) -> Option<u8> {
            self.bytes.get(self.at).copied()
        }

        #[inline(always)]
        fn skip_space(&mut self) {
            while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.peek() {
                self.at += 1;
            }
        }

        #[inline(always)]
        fn eat(&mut self, byte: u8) -> Option<()> {
            self.skip_space();
            (self.peek() == Some(byte)).then(|| self.at += 1)
        }

        /// The bytes of a string without escapes or control characters, and whether they
        /// are all ASCII; the opening quote is next.
        #[inline(always)]
        fn raw_string(&mut self) -> Option<(&'a [u8], bool)> {
            self.eat(b'"')?;
            let bytes = self.bytes;
            let start = self.at;
            // A local index keeps the loop in registers.
            let mut i = start;
            let mut high = 0u8;
            loop {
                // Eight bytes at a time while none of them needs a look.
                if let Some(word) = bytes.get(i..i + 8) {
                    let mask = special_bytes(u64::from_le_bytes(word.try_into().expect("8 bytes")));
                    if mask == 0 {
                        i += 8;
                        continue;
                    }
                    i += (mask.trailing_zeros() / 8) as usize;
                }
                let b = *bytes.get(i)?;
                if b == b'"' {
                    break;
                }
                if b == b'\\' || b < 0x20 {
                    return None;
                }
                high |= b;
                i += 1;
            }
            self.at = i + 1;
            Some((&bytes[start..i], high < 0x80))
        }

        /// A key as one word (see [`word`]): the common case of a short ASCII key followed
        /// by its quote within eight bytes is one load; anything else takes the long way.
        #[inline(always)]
        fn key(&mut self) -> Option<u64> {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return None;
            }
            let start = self.at + 1;
            if let Some(bytes) = self.bytes.get(start..start + 8) {
                let loaded = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
                let mask = special_bytes(loaded);
                // No special byte in the eight: an eight-byte key when its quote is next.
                let len = if mask == 0 {
                    8
                } else {
                    (mask.trailing_zeros() / 8) as usize
                };
                if self.bytes.get(start + len) == Some(&b'"') {
                    self.at = start + len + 1;
                    let keep = if len == 0 {
                        0
                    } else {
                        u64::MAX >> (64 - 8 * len)
                    };
                    return Some(loaded & keep);
                }
            }
            let (key, ascii) = self.raw_string()?;
            // Anything not ASCII goes to the slow reader, which checks its UTF-8.
            ascii.then(|| word(key))
        }

        #[inline(always)]
        fn string(&mut self) -> Option<&'a str> {
            let (bytes, ascii) = self.raw_string()?;
            if ascii {
                // SAFETY: every byte was checked to be ASCII, which is valid UTF-8.
                Some(unsafe { std::str::from_utf8_unchecked(bytes) })
            } else {
                std::str::from_utf8(bytes).ok()
            }
        }

        /// A JSON number, checked against JSON's grammar (std's parser takes more), as
        /// (its text, its digits as an integer when they fit, digits after the point,
        /// whether it has an exponent).
        #[inline(always)]
        fn number(&mut self) -> Option<Number<'a>> {
            self.skip_space();
            let b = self.bytes;
            let start = self.at;
            let mut i = start;
            let negative = b.get(i) == Some(&b'-');
            if negative {
                i += 1;
            }
            let mut mantissa: u64 = 0;
            let mut digits = 0u32;
            match b.get(i) {
                Some(b'0') => i += 1,
                Some(b'1'..=b'9') => {
                    while let Some(&d @ b'0'..=b'9') = b.get(i) {
                        mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                        digits += 1;
                        i += 1;
                    }
                }
                _ => return None,
            }
            let mut fraction_digits = 0u32;
            if b.get(i) == Some(&b'.') {
                i += 1;
                while let Some(&d @ b'0'..=b'9') = b.get(i) {
                    mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                    digits += 1;
                    fraction_digits += 1;
                    i += 1;
                }
                if fraction_digits == 0 {
                    return None;
                }
            }
            let mut exponent = false;
            if let Some(b'e' | b'E') = b.get(i) {
                exponent = true;
                i += 1;
                if let Some(b'+' | b'-') = b.get(i) {
                    i += 1;
                }
                let first = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                if i == first {
                    return None;
                }
            }
            self.at = i;
            // SAFETY: only ASCII digits, signs, '.', 'e' and 'E' were accepted.
            let text = unsafe { std::str::from_utf8_unchecked(&b[start..i]) };
            Some(Number {
                text,
                negative,
                mantissa,
                digits,
                fraction_digits,
                exponent,
            })
        }

        #[inline(always)]
        fn float(&mut self) -> Option<f64> {
            let n = self.number()?;
            // Clinger's fast path: an integer below 2^53 divided by an exact power of ten
            // is correctly rounded. Anything else goes to std's parser.
            let value = if !n.exponent && n.digits <= 15 && n.fraction_digits <= 22 {
                let v = n.mantissa as f64 / POW10[n.fraction_digits as usize];
                if n.negative {
                    -v
                } else {
                    v
                }
            } else {
                n.text.parse().ok()?
            };
            value.is_finite().then_some(value)
        }

        /// Skips a value of a key the engine ignores; nested values go to the slow reader.
        fn skip_value(&mut self) -> Option<()> {
            self.skip_space();
            match self.peek()? {
                b'"' => self.raw_string().and_then(|(_, ascii)| ascii.then_some(())),
                b't' => self.literal(b"true"),
                b'f' => self.literal(b"false"),
                b'n' => self.literal(b"null"),
                _ => self.number().map(drop),
            }
        }

        fn literal(&mut self, word: &[u8]) -> Option<()> {
            self.bytes[self.at..]
                .starts_with(word)
                .then(|| self.at += word.len())
        }
    }

    /// The high bit of each byte of `word` (little-endian) that is a quote, a backslash, a
    /// control character or not ASCII. Exact up to the first such byte (the borrows of the
    /// classic has-zero trick only reach bytes above it), which is all the caller uses.
    #[inline(always)]
    fn special_bytes(word: u64) -> u64 {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let zero_quote = quote.wrapping_sub(ONES) & !quote;
        let zero_backslash = backslash.wrapping_sub(ONES) & !backslash;
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        (zero_quote | zero_backslash | control | word) & HIGHS
    }

    struct Number<'a> {
        text: &'a str,
        negative: bool,
        mantissa: u64,
        digits: u32,
        fraction_digits: u32,
        exponent: bool,
    }

    /// A key of at most 8 bytes as a little-endian word; longer keys map to a value no
    /// known key has. Only ASCII keys get here, so no two keys share a word.
    const fn word(key: &[u8]) -> u64 {
        if key.len() > 8 {
            return u64::MAX;
        }
        let mut w = 0u64;
        let mut i = 0;
        while i < key.len() {
            w |= (key[i] as u64) << (8 * i);
            i += 1;
        }
        w
    }

    const KEY_T: u64 = word(b"t");
    const KEY_UNIT: u64 = word(b"unit");
    const KEY_PARTY: u64 = word(b"party");
    const KEY_CATEGORY: u64 = word(b"category");
    const KEY_LON: u64 = word(b"lon");
    const KEY_LAT: u64 = word(b"lat");
    const KEY_COUNT: u64 = word(b"count");

    #[cfg(test)]
    pub(super) fn special_bytes_for_tests(word: u64) -> u64 {
        special_bytes(word)
    }

    pub(super) fn fields(line: &[u8]) -> Option<Fields<'_>> {
        let mut c = Cursor { bytes: line, at: 0 };
        c.eat(b'{')?;
        let (mut t, mut unit, mut party, mut category) = (None, None, None, None);
        let (mut count, mut lon, mut lat) = (None, None, None);
        loop {
            // Anything not ASCII goes to the slow reader, which checks its UTF-8.
            let key = c.key()?;
            // The colon usually follows the key directly.
            if c.peek() == Some(b':') {
                c.at += 1;
            } else {
                c.eat(b':')?;
            }
            // Keys are compared as one machine word (no memcmp); a key given twice goes to
            // the slow reader, which refuses it.
            match key {
                KEY_T if t.is_none() => t = Some(c.string()?),
                KEY_UNIT if unit.is_none() => unit = Some(c.string()?),
                KEY_PARTY if party.is_none() => party = Some(c.string()?),
                KEY_CATEGORY if category.is_none() => category = Some(c.string()?),
                KEY_LON if lon.is_none() => lon = Some(c.float()?),
                KEY_LAT if lat.is_none() => lat = Some(c.float()?),
                KEY_COUNT if count.is_none() => {
                    let n = c.number()?;
                    if n.negative || n.fraction_digits > 0 || n.exponent || n.digits > 19 {
                        return None;
                    }
                    count = Some(Count::Whole(n.mantissa));
                }
                KEY_T | KEY_UNIT | KEY_PARTY | KEY_CATEGORY | KEY_LON | KEY_LAT | KEY_COUNT => {
                    return None
                }
                _ => c.skip_value()?,
            }
            c.skip_space();
            match c.peek()? {
                b',' => c.at += 1,
                b'}' => {
                    c.at += 1;
                    break;
                }
                _ => return None,
            }
        }
        c.skip_space();
        if c.at != line.len() {
            return None;
        }
        Some(Fields {
            t: Cow::Borrowed(t?),
            unit: Cow::Borrowed(unit?),
            party: Cow::Borrowed(party?),
            category: Cow::Borrowed(category?),
            count: count.unwrap_or(Count::Missing),
            lon: lon?,
            lat: lat?,
        })
    }
}

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
        let err = parse_report(line.as_bytes()).unwrap_err();
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

        /// Arbitrary bytes never panic; they are read or refused with a message.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_report(&bytes);
        }
    }
}
