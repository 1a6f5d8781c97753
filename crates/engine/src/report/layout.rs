//! The third reader: a line laid out byte for byte like the one before it.
//!
//! A producer writes every report the same way: the same keys in the same order, with the
//! same spacing. Only the values change. So once a line has been read, the bytes between
//! its values (`{"t":"`, `","unit":"`, ... `}`) are kept as a [`Layout`], and the next line
//! is read by checking those bytes where they should be and reading just the values in
//! between: no key is looked up, no whitespace skipped, and digits are read eight at a
//! time. Anything that does not fit exactly (another spacing, an escape, a long number, an
//! exponent) makes [`Layout::read`] give up, and the line goes to the general readers.
//!
//! Why the answer is the same as the general reader's: the literal bytes come from a line
//! that the general reader accepted with each of the seven keys at most once and no other
//! key, so a line that repeats them around values of the same kinds is a JSON object with
//! the same keys; each value is checked against JSON's grammar here (strings without
//! escapes, control or non-ASCII bytes; numbers in the plain forms read below), and numbers
//! are turned into the same integers and the same correctly rounded floats.

use std::borrow::Cow;

use super::fast::{special_bytes, POW10};
use super::{Count, Fields};

/// The values a layout can hold, in the order they appear in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    T,
    Unit,
    Party,
    Category,
    Count,
    Lon,
    Lat,
}

/// At most one value per field.
const MAX_VALUES: usize = 7;
/// Longest run of bytes between two values kept in a layout (a key with its quotes,
/// separators and some spacing).
const MAX_LITERAL_BYTES: usize = 32;

/// Where the values of a line lie, as the general reader found them.
#[derive(Debug, Default)]
pub(super) struct Spans {
    spans: [(Option<Field>, u32, u32); MAX_VALUES],
    len: usize,
    /// The line had a key the engine ignores; its layout is not kept.
    pub skipped_a_key: bool,
}

impl Spans {
    #[inline(always)]
    pub fn push(&mut self, field: Field, start: usize, end: usize) {
        // The general reader refuses a key given twice, so seven is the most there are.
        if let Some(slot) = self.spans.get_mut(self.len) {
            *slot = (Some(field), start as u32, end as u32);
            self.len += 1;
        }
    }
}

/// Bytes that must appear exactly.
#[derive(Debug, Clone, Copy)]
struct Literal {
    bytes: [u8; MAX_LITERAL_BYTES],
    len: usize,
    /// The first 16 bytes, zero-padded, as a little-endian number, and the mask of the
    /// bytes of them that count: most literals are checked by one masked compare.
    head: u128,
    head_mask: u128,
}

impl Literal {
    fn new(text: &[u8]) -> Option<Literal> {
        // A line break in a literal could let a layout read across lines.
        if text.contains(&b'\n') {
            return None;
        }
        let mut bytes = [0; MAX_LITERAL_BYTES];
        bytes.get_mut(..text.len())?.copy_from_slice(text);
        let head = u128::from_le_bytes(bytes[..16].try_into().expect("16 bytes"));
        let head_mask = match text.len() {
            16.. => u128::MAX,
            len => (1u128 << (8 * len)) - 1,
        };
        Some(Literal {
            bytes,
            len: text.len(),
            head,
            head_mask,
        })
    }

    /// Steps `at` over this literal if `line[at..]` starts with it.
    #[inline(always)]
    fn skip(&self, line: &[u8], at: &mut usize) -> Option<()> {
        self.is_at(line, *at).then(|| *at += self.len)
    }

    /// Whether `line[at..]` starts with this literal.
    #[inline(always)]
    fn is_at(&self, line: &[u8], at: usize) -> bool {
        if self.len <= 16 {
            if let Some(window) = line.get(at..at + 16) {
                let have = u128::from_le_bytes(window.try_into().expect("16 bytes"));
                return have & self.head_mask == self.head;
            }
        }
        line.get(at..at + self.len) == Some(&self.bytes[..self.len])
    }
}

/// How the last line was laid out: the bytes before the first value, then each value with
/// the bytes that follow it (the last of them end the line).
#[derive(Debug, Clone)]
pub(super) struct Layout {
    head: Literal,
    values: [(Field, Literal); MAX_VALUES],
    len: usize,
    /// The values come in [`CANONICAL_ORDER`].
    canonical: bool,
}

/// The order of the spec's examples.
const CANONICAL_ORDER: [Field; MAX_VALUES] = [
    Field::T,
    Field::Unit,
    Field::Party,
    Field::Category,
    Field::Count,
    Field::Lon,
    Field::Lat,
];

impl Layout {
    /// The layout of a line the general reader accepted, if it can serve the next lines.
    pub fn learn(line: &[u8], spans: &Spans) -> Option<Layout> {
        if spans.skipped_a_key || spans.len == 0 {
            return None;
        }
        let spans = &spans.spans[..spans.len];
        let head = Literal::new(line.get(..spans[0].1 as usize)?)?;
        let mut values = [(Field::T, head); MAX_VALUES];
        for (i, &(field, _, end)) in spans.iter().enumerate() {
            let next_start = spans.get(i + 1).map_or(line.len(), |next| next.1 as usize);
            values[i] = (field?, Literal::new(line.get(end as usize..next_start)?)?);
        }
        let order = values[..spans.len()].iter().map(|(field, _)| *field);
        let layout = Layout {
            head,
            values,
            len: spans.len(),
            canonical: order.eq(CANONICAL_ORDER),
        };
        // Only `count` may be left out of a report; the general reader refuses a line
        // without the others, so this holds for every layout it teaches.
        let required = [
            Field::T,
            Field::Unit,
            Field::Party,
            Field::Category,
            Field::Lon,
            Field::Lat,
        ];
        required
            .iter()
            .all(|needed| layout.values[..layout.len].iter().any(|(f, _)| f == needed))
            .then_some(layout)
    }

    /// Reads `line` if it is laid out exactly like the line this layout was learned from.
    #[inline]
    pub fn read<'a>(&self, line: &'a [u8]) -> Option<Fields<'a>> {
        self.read_prefix(line)
            .and_then(|(fields, end)| (end == line.len()).then_some(fields))
    }

    /// Reads the start of `text` if it is laid out like the line this layout was learned
    /// from, and says where that ends. No line break can come before the end: the
    /// literals have none, and strings stop at any control byte.
    #[inline]
    pub fn read_prefix<'a>(&self, line: &'a [u8]) -> Option<(Fields<'a>, usize)> {
        if !self.head.is_at(line, 0) {
            return None;
        }
        if self.canonical {
            return self.read_canonical(line);
        }
        let mut at = self.head.len;
        let (mut t, mut unit, mut party, mut category) = ("", "", "", "");
        let mut count = Count::Missing;
        let (mut lon, mut lat) = (0.0, 0.0);
        for (field, after) in &self.values[..self.len] {
            match field {
                Field::T => t = string(line, &mut at)?,
                Field::Unit => unit = string(line, &mut at)?,
                Field::Party => party = string(line, &mut at)?,
                Field::Category => category = string(line, &mut at)?,
                Field::Count => count = Count::Whole(whole(line, &mut at)?),
                Field::Lon => lon = float(line, &mut at)?,
                Field::Lat => lat = float(line, &mut at)?,
            }
            after.skip(line, &mut at)?;
        }
        Some((
            Fields {
                t: Cow::Borrowed(t),
                unit: Cow::Borrowed(unit),
                party: Cow::Borrowed(party),
                category: Cow::Borrowed(category),
                count,
                lon,
                lat,
            },
            at,
        ))
    }

    /// [`Layout::read_prefix`] for the order the spec's examples and every producer we
    /// know write, as straight-line code: no dispatch on the field, which is a tenth of
    /// the reading.
    #[inline(always)]
    fn read_canonical<'a>(&self, line: &'a [u8]) -> Option<(Fields<'a>, usize)> {
        let mut at = self.head.len;
        let literal = |i: usize, at: &mut usize| self.values[i].1.skip(line, at);
        let t = string(line, &mut at)?;
        literal(0, &mut at)?;
        let unit = string(line, &mut at)?;
        literal(1, &mut at)?;
        let party = string(line, &mut at)?;
        literal(2, &mut at)?;
        let category = string(line, &mut at)?;
        literal(3, &mut at)?;
        let count = whole(line, &mut at)?;
        literal(4, &mut at)?;
        let lon = float(line, &mut at)?;
        literal(5, &mut at)?;
        let lat = float(line, &mut at)?;
        literal(6, &mut at)?;
        Some((
            Fields {
                t: Cow::Borrowed(t),
                unit: Cow::Borrowed(unit),
                party: Cow::Borrowed(party),
                category: Cow::Borrowed(category),
                count: Count::Whole(count),
                lon,
                lat,
            },
            at,
        ))
    }
}

/// Eight bytes from `at` as a little-endian word, zero-padded past the end of `line` (zero
/// is neither a digit nor allowed in a string, so padding always stops a scan).
#[inline(always)]
fn word_at(line: &[u8], at: usize) -> u64 {
    match line.get(at..at + 8) {
        Some(bytes) => u64::from_le_bytes(bytes.try_into().expect("8 bytes")),
        None => {
            let mut padded = [0u8; 8];
            let rest = line.get(at..).unwrap_or_default();
            padded[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(padded)
        }
    }
}

/// The text of a string value starting at `at` (just past its opening quote), up to the
/// closing quote, which is left for the literal after it. Gives up on an escape, a control
/// byte or anything not ASCII.
#[inline(always)]
fn string<'a>(line: &'a [u8], at: &mut usize) -> Option<&'a str> {
    let start = *at;
    let mut end = start;
    // Sixteen bytes at a time while they are there (nearly always: a line goes on after
    // its strings), then eight.
    while let Some(window) = line.get(end..end + 16) {
        let mask = special_bytes_16(window.try_into().expect("16 bytes"));
        if mask != 0 {
            end += mask.trailing_zeros() as usize;
            return finish_string(line, start, end, at);
        }
        end += 16;
    }
    loop {
        let mask = special_bytes(word_at(line, end));
        if mask == 0 {
            end += 8;
            continue;
        }
        end += (mask.trailing_zeros() / 8) as usize;
        break;
    }
    finish_string(line, start, end, at)
}

/// The string `line[start..end]`, when `end` (the first byte that needs a look) is its
/// closing quote.
#[inline(always)]
fn finish_string<'a>(line: &'a [u8], start: usize, end: usize, at: &mut usize) -> Option<&'a str> {
    if line.get(end) != Some(&b'"') {
        return None;
    }
    *at = end;
    // SAFETY: both scans flag every byte that is not ASCII, so the bytes before the first
    // flagged one are all ASCII, which is valid UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(&line[start..end]) })
}

/// A bit for each of the 16 bytes that is a quote, a backslash, a control character or
/// not ASCII (bit i for byte i). SSE2, which every x86-64 has: three compares and a mask.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn special_bytes_16(bytes: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline, and the load reads exactly the 16
    // bytes of `bytes` (unaligned loads are what _mm_loadu_si128 is for).
    #[allow(unused_unsafe)]
    unsafe {
        let v = _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // A signed compare: bytes from 0x80 up are negative, so "below 0x20" catches the
        // control characters and every byte that is not ASCII at once.
        let low = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), low)) as u32
    }
}

/// The same without SSE2: two words.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn special_bytes_16(bytes: &[u8; 16]) -> u32 {
    let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
    let low = special_bytes(word(0));
    if low != 0 {
        return 1 << (low.trailing_zeros() / 8);
    }
    let high = special_bytes(word(8));
    if high != 0 {
        return 1 << (8 + high.trailing_zeros() / 8);
    }
    0
}

/// How many digits `word` starts with (0 to 8).
#[inline(always)]
fn leading_digits(word: u64) -> usize {
    const LOW_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // A byte is a digit when its high nibble is 3 and stays 3 when 6 is added. Carries
    // from bytes above 0xF9 only reach the bytes after them, past the first non-digit.
    let nibbles =
        (word & LOW_NIBBLES) | ((word.wrapping_add(0x0606_0606_0606_0606) & LOW_NIBBLES) >> 4);
    let differs = nibbles ^ 0x3333_3333_3333_3333;
    // The high bit of each byte of `differs` that is not zero, without carries.
    let nonzero = (((differs & 0x7F7F_7F7F_7F7F_7F7F) + 0x7F7F_7F7F_7F7F_7F7F) | differs)
        & 0x8080_8080_8080_8080;
    (nonzero.trailing_zeros() / 8) as usize
}

/// The value of the first `count` digits of `word` (1 to 8, as [`leading_digits`] found).
#[inline(always)]
fn digits_value(word: u64, count: usize) -> u64 {
    // Each digit's value in its byte, the first digit lowest; shifting up leaves zeros,
    // which read as leading zeros. Then pairs, fours and eights are combined by multiply.
    let values = word.wrapping_sub(0x3030_3030_3030_3030) << (8 * (8 - count));
    let pairs = values.wrapping_mul(10).wrapping_add(values >> 8) & 0x00FF_00FF_00FF_00FF;
    let fours = pairs.wrapping_mul(100).wrapping_add(pairs >> 16) & 0x0000_FFFF_0000_FFFF;
    fours.wrapping_mul(10_000).wrapping_add(fours >> 32) & 0xFFFF_FFFF
}

const POW10_WHOLE: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// A JSON integer of 1 to 8 digits with no sign.
#[inline(always)]
fn whole(line: &[u8], at: &mut usize) -> Option<u64> {
    let word = word_at(line, *at);
    let count = leading_digits(word);
    // Eight or more digits, none, or a leading zero: the general reader decides.
    if count == 0 || count == 8 || (count > 1 && word as u8 == b'0') {
        return None;
    }
    *at += count;
    Some(digits_value(word, count))
}

/// A JSON number `-?D+(.D+)?` with at most 7 digits on each side of the point and no
/// exponent, correctly rounded (Clinger's fast path: at most 14 digits as an integer,
/// divided by an exact power of ten, exactly as the general reader computes it).
#[inline(always)]
fn float(line: &[u8], at: &mut usize) -> Option<f64> {
    let negative = line.get(*at) == Some(&b'-');
    let mut i = *at + usize::from(negative);
    let mut mantissa = whole(line, &mut i)?;
    let mut fraction_digits = 0;
    if line.get(i) == Some(&b'.') {
        let word = word_at(line, i + 1);
        fraction_digits = leading_digits(word);
        if fraction_digits == 0 || fraction_digits == 8 {
            return None;
        }
        mantissa = mantissa * POW10_WHOLE[fraction_digits] + digits_value(word, fraction_digits);
        i += 1 + fraction_digits;
    }
    if let Some(b'e' | b'E') = line.get(i) {
        return None;
    }
    *at = i;
    let value = mantissa as f64 / POW10[fraction_digits];
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The sixteen-byte scan finds the same first special byte as a byte loop.
        #[test]
        fn sixteen_byte_scan_finds_the_first_special_byte(bytes in proptest::collection::vec(prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20, 0x20u8..0x7f, 0x80u8..=0xff, 0x20u8..0x7f, 0x20u8..0x7f], 16)) {
            let special = |b: u8| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b);
            let want = bytes.iter().position(|&b| special(b));
            let mask = special_bytes_16(&bytes.clone().try_into().unwrap());
            let got = (mask != 0).then(|| mask.trailing_zeros() as usize);
            prop_assert_eq!(got, want, "{:?}", bytes);
        }

        /// The word-at-a-time digit count and value agree with a byte loop.
        #[test]
        fn digits_agree_with_a_byte_loop(bytes in proptest::collection::vec(prop_oneof![b'0'..=b'9', any::<u8>()], 8)) {
            let word = u64::from_le_bytes(bytes.clone().try_into().unwrap());
            let want = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            prop_assert_eq!(leading_digits(word), want);
            if want > 0 {
                let value = bytes[..want].iter().fold(0u64, |v, &d| v * 10 + u64::from(d - b'0'));
                prop_assert_eq!(digits_value(word, want), value);
            }
        }
    }
}
