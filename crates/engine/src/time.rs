//! Instants as data: nanoseconds since the Unix epoch, parsed from and written as RFC 3339 UTC.
//!
//! The parser is strict on purpose (spec/engine.md 1.3): only `Z` as the offset, so that two
//! parties' clocks are never reconciled silently. It is hand-written because it runs once
//! per position report on the replay's hot path.

use std::fmt;

/// An instant, in nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// Why a time string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad time {text:?}: {why}")]
pub struct TimeError {
    pub text: String,
    pub why: &'static str,
}

const NANOS_PER_SECOND: i64 = 1_000_000_000;

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (RFC 3339, UTC only, 1..9 fraction digits).
    pub fn parse(text: &str) -> Result<Timestamp, TimeError> {
        Timestamp::parse_with(text, &mut DateCache::default())
    }

    /// As [`Timestamp::parse`], remembering the last date seen: consecutive reports
    /// nearly always share it, and checking a date and counting its days is a third of
    /// the work.
    ///
    /// It remembers the last whole time too: reports come in bursts stamped alike (a
    /// producer's sweep of its units), and comparing the text is far cheaper than reading
    /// it. Only a valid time is remembered, so a hit is the same answer a parse would give.
    pub fn parse_with(text: &str, cache: &mut DateCache) -> Result<Timestamp, TimeError> {
        let b = text.as_bytes();
        if let Some((len, last, t)) = &cache.last {
            if usize::from(*len) == b.len() && same_text(&last[..b.len()], b) {
                return Ok(*t);
            }
        }
        let t = parse_bytes(b, cache).map_err(|why| TimeError {
            text: text.chars().take(64).collect(),
            why,
        })?;
        if b.len() <= LAST_TEXT_BYTES {
            let mut last = [0u8; LAST_TEXT_BYTES];
            last[..b.len()].copy_from_slice(b);
            cache.last = Some((b.len() as u8, last, t));
        }
        Ok(t)
    }

    pub fn from_unix_seconds(seconds: i64) -> Timestamp {
        Timestamp(seconds * NANOS_PER_SECOND)
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SECOND)
    }

    pub fn subsec_nanos(self) -> u32 {
        self.0.rem_euclid(NANOS_PER_SECOND) as u32
    }
}

fn digits(bytes: &[u8], what: &'static str) -> Result<i64, &'static str> {
    let mut value = 0i64;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return Err(what);
        }
        value = value * 10 + i64::from(b - b'0');
    }
    Ok(value)
}

/// `a == b` for two texts of one length; the usual 20 bytes (`YYYY-MM-DDTHH:MM:SSZ`)
/// as three loads each rather than a call to `memcmp`.
#[inline]
fn same_text(a: &[u8], b: &[u8]) -> bool {
    if a.len() == 20 && b.len() == 20 {
        let word = |x: &[u8], at: usize| u64::from_le_bytes(x[at..at + 8].try_into().expect("8"));
        let tail = |x: &[u8]| u32::from_le_bytes(x[16..20].try_into().expect("4"));
        return word(a, 0) == word(b, 0) && word(a, 8) == word(b, 8) && tail(a) == tail(b);
    }
    a == b
}

/// The longest time text remembered whole (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` is 30).
const LAST_TEXT_BYTES: usize = 32;

/// The last valid date parsed (`YYYY-MM-DD`) and its days since 1970-01-01, and the last
/// valid time text with its instant.
#[derive(Debug, Clone, Default)]
pub struct DateCache {
    date: Option<([u8; 10], i64)>,
    last: Option<(u8, [u8; LAST_TEXT_BYTES], Timestamp)>,
}

fn parse_bytes(b: &[u8], cache: &mut DateCache) -> Result<Timestamp, &'static str> {
    const SHAPE: &str = "expected YYYY-MM-DDTHH:MM:SSZ (RFC 3339 in UTC, written with Z)";
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return Err(SHAPE);
    }
    if b[10] != b'T' && b[10] != b't' {
        return Err(SHAPE);
    }
    let days = match cache.date {
        Some((date, days)) if date == b[0..10] => days,
        _ => {
            let year = digits(&b[0..4], SHAPE)?;
            let month = digits(&b[5..7], SHAPE)?;
            let day = digits(&b[8..10], SHAPE)?;
            if !(1..=12).contains(&month) {
                return Err("month out of range");
            }
            if day < 1 || day > days_in_month(year, month) {
                return Err("day out of range for its month");
            }
            let days = days_from_civil(year, month, day);
            cache.date = Some((b[0..10].try_into().expect("10 bytes"), days));
            days
        }
    };
    // Six digits checked together, without a branch each: this runs for every report.
    let digit = |i: usize| b[i].wrapping_sub(b'0');
    let clock = [
        digit(11),
        digit(12),
        digit(14),
        digit(15),
        digit(17),
        digit(18),
    ];
    if clock.iter().fold(false, |bad, &d| bad | (d > 9)) {
        return Err(SHAPE);
    }
    let two = |tens: u8, ones: u8| i64::from(tens * 10 + ones);
    let hour = two(clock[0], clock[1]);
    let minute = two(clock[2], clock[3]);
    let second = two(clock[4], clock[5]);
    let mut rest = &b[19..];
    let mut nanos = 0i64;
    if rest.first() == Some(&b'.') {
        let end = rest[1..]
            .iter()
            .position(|c| !c.is_ascii_digit())
            .map_or(rest.len(), |p| p + 1);
        let fraction = &rest[1..end];
        if fraction.is_empty() || fraction.len() > 9 {
            return Err("the fraction of a second takes 1 to 9 digits");
        }
        nanos = digits(fraction, SHAPE)? * 10i64.pow(9 - fraction.len() as u32);
        rest = &rest[end..];
    }
    match rest {
        [b'Z'] | [b'z'] => {}
        [] => return Err("no time zone: write the time in UTC with Z"),
        [b'+' | b'-', ..] => {
            return Err("only UTC is accepted: write the time with Z, not an offset")
        }
        _ => return Err(SHAPE),
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("hour, minute or second out of range");
    }
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
    Ok(Timestamp(seconds * NANOS_PER_SECOND + nanos))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Timestamp {
    /// RFC 3339 UTC; a fraction of a second only when there is one, without trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.unix_seconds();
        let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
        let in_day = seconds.rem_euclid(86_400);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            in_day / 3600,
            in_day / 60 % 60,
            in_day % 60
        )?;
        let nanos = self.subsec_nanos();
        if nanos != 0 {
            let mut text = format!("{nanos:09}");
            while text.ends_with('0') {
                text.pop();
            }
            write!(f, ".{text}")?;
        }
        f.write_str("Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_round_trip(text: &str, unix_seconds: i64) {
        let t = Timestamp::parse(text).unwrap();
        assert_eq!(t.unix_seconds(), unix_seconds, "{text}");
        assert_eq!(t.to_string(), text);
    }

    #[test]
    fn parses_and_writes_rfc3339_utc() {
        check_round_trip("1970-01-01T00:00:00Z", 0);
        check_round_trip("2025-12-01T06:00:00Z", 1_764_568_800);
        check_round_trip("2024-02-29T23:59:59.5Z", 1_709_251_199);
        check_round_trip("1969-12-31T23:59:59.000000001Z", -1);
        assert_eq!(
            Timestamp::parse("2025-12-01T06:00:00.250Z")
                .unwrap()
                .subsec_nanos(),
            250_000_000
        );
    }

    #[test]
    fn refuses_what_is_not_utc_rfc3339() {
        for bad in [
            "2025-12-01T06:00:00+02:00",
            "2025-12-01T06:00:00",
            "2025-12-01 06:00:00Z",
            "2025-13-01T06:00:00Z",
            "2025-02-29T06:00:00Z",
            "2025-12-01T24:00:00Z",
            "2025-12-01T06:00:00.Z",
            "2025-12-01T06:00:00.1234567890Z",
            "yesterday",
            "",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn the_date_cache_changes_nothing() {
        let mut cache = DateCache::default();
        for text in [
            "2025-12-01T06:00:00Z",
            "2025-12-01T07:00:00.5Z",
            "2025-12-02T00:00:00Z",
            "2025-12-01T23:59:59Z",
        ] {
            assert_eq!(
                Timestamp::parse_with(text, &mut cache),
                Timestamp::parse(text)
            );
        }
        // A bad date is never cached, so it is refused every time.
        assert!(Timestamp::parse_with("2025-02-30T00:00:00Z", &mut cache).is_err());
        assert!(Timestamp::parse_with("2025-02-30T00:00:01Z", &mut cache).is_err());
        assert!(Timestamp::parse_with("2025-12-01T24:00:00Z", &mut cache).is_err());
    }

    proptest::proptest! {
        /// One cache over any sequence of times, valid or not, repeated or not, answers as
        /// a fresh parse of each.
        #[test]
        fn a_cache_over_any_sequence_answers_as_a_fresh_parse(
            picks in proptest::collection::vec(0usize..10, 1..40)
        ) {
            const POOL: [&str; 10] = [
                "2025-12-01T06:00:00Z", "2025-12-01T06:00:01Z", "2025-12-01T06:00:00.5Z",
                "2025-12-02T06:00:00Z", "2025-02-30T06:00:00Z", "2025-12-01T24:00:00Z",
                "2025-12-01T06:00:00+01:00", "2025-12-01T06:00:00", "2025-12-01t06:00:00z",
                "2025-12-01T06:00:00.123456789Z",
            ];
            let mut cache = DateCache::default();
            for i in picks {
                proptest::prop_assert_eq!(
                    Timestamp::parse_with(POOL[i], &mut cache),
                    Timestamp::parse(POOL[i])
                );
            }
        }
    }

    #[test]
    fn civil_dates_round_trip_over_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
