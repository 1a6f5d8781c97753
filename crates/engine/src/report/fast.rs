//! The plain-shape reader. Returns `None` whenever it is not sure, never an error.
//! Byte-level on purpose: it reads every report of a replay.

use super::layout::{Field, Spans};
use super::{Count, Fields};
use std::borrow::Cow;

/// Powers of ten exactly representable in an f64 (Clinger's fast path).
pub(super) const POW10: [f64; 23] = [
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
pub(super) fn special_bytes(word: u64) -> u64 {
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

/// Reads a flat report object, or gives up.
#[cfg(test)]
pub(super) fn fields(line: &[u8]) -> Option<Fields<'_>> {
    fields_spanned(line, &mut Spans::default())
}

/// As [`fields`], noting in `spans` where each value's text lies, so that the line's
/// layout can be learned from it.
pub(super) fn fields_spanned<'a>(line: &'a [u8], spans: &mut Spans) -> Option<Fields<'a>> {
    let mut c = Cursor { bytes: line, at: 0 };
    c.eat(b'{')?;
    let (mut t, mut unit, mut party, mut category) = (None, None, None, None);
    let (mut count, mut lon, mut lat) = (None, None, None);
    let offset = |text: &str| text.as_ptr() as usize - line.as_ptr() as usize;
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
        let mut string = |c: &mut Cursor<'a>, field: Field| {
            let text = c.string()?;
            spans.push(field, offset(text), offset(text) + text.len());
            Some(text)
        };
        match key {
            KEY_T if t.is_none() => t = Some(string(&mut c, Field::T)?),
            KEY_UNIT if unit.is_none() => unit = Some(string(&mut c, Field::Unit)?),
            KEY_PARTY if party.is_none() => party = Some(string(&mut c, Field::Party)?),
            KEY_CATEGORY if category.is_none() => category = Some(string(&mut c, Field::Category)?),
            KEY_LON if lon.is_none() => {
                c.skip_space();
                let start = c.at;
                lon = Some(c.float()?);
                spans.push(Field::Lon, start, c.at);
            }
            KEY_LAT if lat.is_none() => {
                c.skip_space();
                let start = c.at;
                lat = Some(c.float()?);
                spans.push(Field::Lat, start, c.at);
            }
            KEY_COUNT if count.is_none() => {
                let n = c.number()?;
                if n.negative || n.fraction_digits > 0 || n.exponent || n.digits > 19 {
                    return None;
                }
                spans.push(Field::Count, offset(n.text), c.at);
                count = Some(Count::Whole(n.mantissa));
            }
            KEY_T | KEY_UNIT | KEY_PARTY | KEY_CATEGORY | KEY_LON | KEY_LAT | KEY_COUNT => {
                return None
            }
            _ => {
                spans.skipped_a_key = true;
                c.skip_value()?
            }
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
