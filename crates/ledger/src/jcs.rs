//! Canonical JSON, RFC 8785 (JCS), over I-JSON (RFC 7493) input.
//!
//! Written here rather than taken from a crate because the ledger also needs the strict
//! reading side (duplicate member names rejected, integers beyond 2^53 rejected), and the
//! writing side is small: numbers go through `ryu-js`, which prints ECMAScript
//! `Number.prototype.toString`, exactly what RFC 8785 section 3.2.2.3 requires.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Largest integer below which every integer is exactly an IEEE double.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a JSON text was refused.
#[derive(Debug, thiserror::Error)]
pub enum JcsError {
    #[error("not valid I-JSON: {0}")]
    Parse(#[from] serde_json::Error),
    #[error(
        "number {0} would change value in canonical form (RFC 8785 reads numbers as IEEE doubles)"
    )]
    UnsafeNumber(String),
}

/// Parses JSON text strictly: duplicate member names and numbers that an IEEE double
/// cannot hold exactly are errors (RFC 8785 section 3.1 requires I-JSON input).
pub fn parse_strict(text: &[u8]) -> Result<Value, JcsError> {
    let strict: Strict = serde_json::from_slice(text)?;
    check_numbers(&strict.0)?;
    Ok(strict.0)
}

/// Checks numbers: RFC 8785 reads every number as an IEEE double. An integer beyond
/// 2^53 is accepted only when its text is already the canonical form of the double it
/// denotes (as canonical output of a large double is); any other would change value when
/// canonicalised, so it is refused rather than silently altered.
pub fn check_numbers(value: &Value) -> Result<(), JcsError> {
    match value {
        Value::Number(n) => {
            let big = match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => u > MAX_SAFE_INTEGER,
                (None, Some(i)) => i.unsigned_abs() > MAX_SAFE_INTEGER,
                _ => false,
            };
            if big {
                let mut canonical = Vec::new();
                write_number(&mut canonical, n);
                if canonical != n.to_string().as_bytes() {
                    return Err(JcsError::UnsafeNumber(n.to_string()));
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(check_numbers),
        Value::Object(map) => map.values().try_for_each(check_numbers),
        _ => Ok(()),
    }
}

/// Canonical bytes of a value (RFC 8785). The value must satisfy [`check_numbers`].
pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write_value(&mut out, value);
    out
}

/// Appends the canonical form of `value` to `out`.
pub fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(out, map),
    }
}

fn write_object(out: &mut Vec<u8>, map: &Map<String, Value>) {
    // RFC 8785 section 3.2.3: members sorted by the UTF-16 code units of their names.
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    out.push(b'{');
    for (i, (name, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(out, name);
        out.push(b':');
        write_value(out, value);
    }
    out.push(b'}');
}

fn write_number(out: &mut Vec<u8>, n: &Number) {
    match (n.as_u64(), n.as_i64()) {
        // Safe integers print the same in ECMAScript as in decimal; skip the float path.
        (Some(u), _) if u <= MAX_SAFE_INTEGER => write_u64(out, u),
        (None, Some(i)) if i.unsigned_abs() <= MAX_SAFE_INTEGER => {
            out.push(b'-');
            write_u64(out, i.unsigned_abs());
        }
        _ => {
            // Everything else is the double it denotes (RFC 8785 section 3.2.2.3).
            let f = n.as_f64().unwrap_or(0.0);
            if f == 0.0 {
                // ECMAScript prints -0 as "0".
                out.push(b'0');
            } else {
                let mut buffer = ryu_js::Buffer::new();
                out.extend_from_slice(buffer.format_finite(f).as_bytes());
            }
        }
    }
}

/// Appends a non-negative integer in decimal.
pub fn write_u64(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut rest = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends a JSON string the way RFC 8785 section 3.2.2.2 (ECMAScript JSON.stringify) does.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xf) as usize]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// A `Value` whose deserialisation refuses duplicate member names.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        let mut seen = BTreeSet::new();
        while let Some(key) = access.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!(
                    "duplicate member name {key:?}"
                )));
            }
            let Strict(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        String::from_utf8(to_vec(&parse_strict(text.as_bytes()).unwrap())).unwrap()
    }

    // RFC 8785 section 3.2.2 example (the "numbers", "string", "literals" object).
    #[test]
    fn rfc8785_section_3_2_2_example() {
        let input = r#"{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
        let want = r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#;
        assert_eq!(canon(input), want);
    }

    // RFC 8785 section 3.2.3 sorting example: UTF-16 code unit order.
    #[test]
    fn rfc8785_section_3_2_3_sorting() {
        let input = r#"{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"#;
        let want = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canon(input), want);
    }

    // RFC 8785 appendix B: IEEE 754 bit patterns and their canonical text.
    #[test]
    fn rfc8785_appendix_b_numbers() {
        let cases: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for &(bits, want) in cases {
            let f = f64::from_bits(bits);
            let mut out = Vec::new();
            write_number(&mut out, &Number::from_f64(f).unwrap());
            assert_eq!(
                std::str::from_utf8(&out).unwrap(),
                want,
                "bits {bits:#018x}"
            );
            // And the text form survives a parse and a second canonicalisation.
            assert_eq!(canon(want), want, "round trip of {want}");
        }
    }

    #[test]
    fn duplicate_names_and_unsafe_integers_are_refused() {
        assert!(parse_strict(br#"{"a":1,"a":2}"#).is_err());
        assert!(parse_strict(br#"{"x":{"b":1,"b":1}}"#).is_err());
        // 2^53 + 1 is no double: canonicalising would change it.
        assert!(parse_strict(b"9007199254740993").is_err());
        assert!(parse_strict(b"-9007199254740993").is_err());
        assert!(
            parse_strict(b"1152921504606846976").is_err(),
            "2^60 written exactly is not canonical"
        );
        assert!(
            parse_strict(b"1152921504606847000").is_ok(),
            "2^60 as JCS prints it"
        );
        assert!(parse_strict(b"9007199254740991").is_ok());
        assert!(parse_strict(br#""\ud800""#).is_err(), "lone surrogate");
    }

    #[test]
    fn control_characters_use_lowercase_unicode_escapes() {
        assert_eq!(
            canon(r#""\u001f\u0000\u007f\u2028""#),
            "\"\\u001f\\u0000\u{7f}\u{2028}\""
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(MAX_SAFE_INTEGER as i64)..=MAX_SAFE_INTEGER as i64)
                .prop_map(|i| Value::Number(i.into())),
            any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        // Canonical bytes parse back to the same canonical bytes: what the verifier relies
        // on when it re-canonicalises stored entries.
        #[test]
        fn canonical_form_is_a_fixed_point(v in json()) {
            let once = to_vec(&v);
            let parsed = parse_strict(&once).unwrap();
            prop_assert_eq!(to_vec(&parsed), once);
        }
    }
}
