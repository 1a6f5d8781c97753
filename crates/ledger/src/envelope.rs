//! Entries: the signed envelope `{seq, time, author, kind, audience, body, sig}` in
//! canonical JSON (RFC 8785). Pure: no I/O.
//!
//! Field meanings (the spec names the fields; this module fixes their types):
//! - `seq`: the author's own counter, 1 for its first entry, +1 for each next one. It is
//!   signed, so the log cannot replay, drop or reorder an author's entries unseen, and an
//!   author signs before knowing the log index its entry will get.
//! - `time`: the author's clock, Unix milliseconds.
//! - `author`: a party id; `sig` must verify under that party's key.
//! - `kind`: what the entry is (`notice`, `ack`, `report-batch`, `engine-event`, ...).
//! - `audience`: party ids allowed to read `body`, sorted and without repeats. The author
//!   and the mediator can always read it.
//! - `body`: any I-JSON value, at most [`MAX_BODY_BYTES`] in canonical form.
//! - `sig`: base64 (RFC 4648, padded) Ed25519 signature over the canonical envelope
//!   without `sig`.
//!
//! The leaf hash covers the whole envelope including `sig`: for a party outside the
//! audience the 64 signature bytes it never sees act as a salt, so it cannot confirm a
//! guess of a low-entropy body from the leaf hash.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::Signature;
use serde_json::Value;

use crate::jcs::{self, JcsError, MAX_SAFE_INTEGER};
use crate::keys::{SignerKey, VerifierKey};
use crate::merkle::{leaf_hash, Hash};

/// Largest body, in canonical bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest envelope, in canonical bytes: a full body plus the other fields.
pub const MAX_ENTRY_BYTES: usize = MAX_BODY_BYTES + 16 * 1024;
/// Most parties an audience may name.
pub const MAX_AUDIENCE: usize = 64;
/// Longest party id or kind.
pub const MAX_ID_BYTES: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("entry is {0} bytes, more than the {MAX_ENTRY_BYTES} allowed")]
    TooLarge(usize),
    #[error("body is {0} bytes, more than the {MAX_BODY_BYTES} allowed")]
    BodyTooLarge(usize),
    #[error(transparent)]
    Json(#[from] JcsError),
    #[error("entry is not in canonical form (RFC 8785)")]
    NotCanonical,
    #[error("entry field {field}: {reason}")]
    Field { field: &'static str, reason: String },
    #[error("signature by {author:?} does not verify")]
    BadSignature { author: String },
}

fn field(field: &'static str, reason: impl Into<String>) -> EntryError {
    EntryError::Field {
        field,
        reason: reason.into(),
    }
}

/// Checks a party id: 1-64 characters from `A-Z a-z 0-9 . _ -`. Party ids are also key
/// names in notes, so they must not hold spaces or '+'.
pub fn check_party_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_ID_BYTES {
        return Err(format!("{id:?} must be 1 to {MAX_ID_BYTES} characters"));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(format!(
            "{id:?} may hold only letters, digits, '.', '_' and '-'"
        ));
    }
    Ok(())
}

/// Checks a kind: 1-64 characters from `a-z 0-9 . _ - /`.
pub fn check_kind(kind: &str) -> Result<(), String> {
    if kind.is_empty() || kind.len() > MAX_ID_BYTES {
        return Err(format!("{kind:?} must be 1 to {MAX_ID_BYTES} characters"));
    }
    if !kind.bytes().all(|b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'/')
    }) {
        return Err(format!(
            "{kind:?} may hold only a-z, 0-9, '.', '_', '-' and '/'"
        ));
    }
    Ok(())
}

/// An envelope before signing.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub seq: u64,
    pub time_ms: u64,
    pub author: String,
    pub kind: String,
    pub audience: Vec<String>,
    pub body: Value,
}

impl Draft {
    /// Sorts and dedups the audience, then checks every field and limit.
    pub fn normalise(mut self) -> Result<Self, EntryError> {
        self.audience.sort();
        self.audience.dedup();
        self.check()?;
        Ok(self)
    }

    fn check(&self) -> Result<(), EntryError> {
        if self.seq == 0 || self.seq > MAX_SAFE_INTEGER {
            return Err(field("seq", "must be between 1 and 2^53-1"));
        }
        if self.time_ms > MAX_SAFE_INTEGER {
            return Err(field("time", "must be at most 2^53-1"));
        }
        check_party_id(&self.author).map_err(|r| field("author", r))?;
        check_kind(&self.kind).map_err(|r| field("kind", r))?;
        if self.audience.len() > MAX_AUDIENCE {
            return Err(field(
                "audience",
                format!("names more than {MAX_AUDIENCE} parties"),
            ));
        }
        for id in &self.audience {
            check_party_id(id).map_err(|r| field("audience", r))?;
        }
        if !self.audience.windows(2).all(|w| w[0] < w[1]) {
            return Err(field("audience", "must be sorted and without repeats"));
        }
        jcs::check_numbers(&self.body)?;
        Ok(())
    }

    /// Canonical bytes with or without the signature. Keys in RFC 8785 order:
    /// audience, author, body, kind, seq, sig, time.
    fn write(&self, sig: Option<&[u8; 64]>) -> Result<Vec<u8>, EntryError> {
        let mut body = Vec::new();
        jcs::write_value(&mut body, &self.body);
        if body.len() > MAX_BODY_BYTES {
            return Err(EntryError::BodyTooLarge(body.len()));
        }
        let mut out = Vec::with_capacity(body.len() + 256);
        out.extend_from_slice(b"{\"audience\":[");
        for (i, id) in self.audience.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            jcs::write_string(&mut out, id);
        }
        out.extend_from_slice(b"],\"author\":");
        jcs::write_string(&mut out, &self.author);
        out.extend_from_slice(b",\"body\":");
        out.extend_from_slice(&body);
        out.extend_from_slice(b",\"kind\":");
        jcs::write_string(&mut out, &self.kind);
        out.extend_from_slice(b",\"seq\":");
        jcs::write_u64(&mut out, self.seq);
        if let Some(sig) = sig {
            out.extend_from_slice(b",\"sig\":");
            jcs::write_string(&mut out, &B64.encode(sig));
        }
        out.extend_from_slice(b",\"time\":");
        jcs::write_u64(&mut out, self.time_ms);
        out.push(b'}');
        Ok(out)
    }

    /// Reads an unsigned envelope `{seq, time, author, kind, audience, body}` (a `sig`
    /// member, if present, is ignored): what a server hands an author to sign. The
    /// audience must already be sorted and without repeats.
    pub fn from_value(value: &Value) -> Result<Self, EntryError> {
        let Value::Object(map) = value else {
            return Err(field("envelope", "must be a JSON object"));
        };
        let known = ["seq", "time", "author", "kind", "audience", "body", "sig"];
        if let Some(k) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(field("envelope", format!("unknown field {k:?}")));
        }
        let get = |name: &'static str| map.get(name).ok_or_else(|| field(name, "missing"));
        let str_of = |name: &'static str| -> Result<String, EntryError> {
            get(name)?
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| field(name, "must be a string"))
        };
        let audience = get("audience")?
            .as_array()
            .ok_or_else(|| field("audience", "must be an array"))?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| field("audience", "must hold strings"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let draft = Draft {
            seq: get("seq")?
                .as_u64()
                .ok_or_else(|| field("seq", "must be a non-negative integer"))?,
            time_ms: get("time")?
                .as_u64()
                .ok_or_else(|| field("time", "must be a non-negative integer (Unix ms)"))?,
            author: str_of("author")?,
            kind: str_of("kind")?,
            audience,
            body: get("body")?.clone(),
        };
        draft.check()?;
        Ok(draft)
    }

    /// The bytes the author signs: the canonical envelope without `sig`.
    pub fn signing_bytes(&self) -> Result<Vec<u8>, EntryError> {
        self.check()?;
        self.write(None)
    }

    /// Signs the draft. The key's name should be the author's party id.
    pub fn sign(self, key: &SignerKey) -> Result<Entry, EntryError> {
        let sig = key.sign(&self.signing_bytes()?).to_bytes();
        let bytes = self.write(Some(&sig))?;
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge(bytes.len()));
        }
        let leaf = leaf_hash(&bytes);
        Ok(Entry {
            draft: self,
            sig,
            bytes,
            leaf,
        })
    }
}

/// A signed envelope with its canonical bytes and leaf hash. Holding one means the bytes
/// are canonical and every field is well-formed; it does NOT mean the signature verified
/// (call [`Entry::verify`]), because that needs the author's key.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    draft: Draft,
    sig: [u8; 64],
    bytes: Vec<u8>,
    leaf: Hash,
}

impl Entry {
    /// Parses stored or submitted bytes: they must be an envelope in canonical form.
    pub fn parse(bytes: &[u8]) -> Result<Self, EntryError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge(bytes.len()));
        }
        let value = jcs::parse_strict(bytes)?;
        let Value::Object(mut map) = value else {
            return Err(field("envelope", "must be a JSON object"));
        };
        if map.len() != 7 {
            let names: Vec<&String> = map.keys().collect();
            return Err(field(
                "envelope",
                format!(
                    "must have exactly seq, time, author, kind, audience, body, sig; has {names:?}"
                ),
            ));
        }
        let mut take = |name: &'static str| map.remove(name).ok_or_else(|| field(name, "missing"));
        let seq = take("seq")?
            .as_u64()
            .ok_or_else(|| field("seq", "must be a non-negative integer"))?;
        let time_ms = take("time")?
            .as_u64()
            .ok_or_else(|| field("time", "must be a non-negative integer (Unix ms)"))?;
        let Value::String(author) = take("author")? else {
            return Err(field("author", "must be a string"));
        };
        let Value::String(kind) = take("kind")? else {
            return Err(field("kind", "must be a string"));
        };
        let Value::Array(audience) = take("audience")? else {
            return Err(field("audience", "must be an array"));
        };
        let audience = audience
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(field("audience", "must hold strings")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let body = take("body")?;
        let Value::String(sig_b64) = take("sig")? else {
            return Err(field("sig", "must be a string"));
        };
        let sig: [u8; 64] = B64
            .decode(&sig_b64)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| field("sig", "must be a base64 64-byte Ed25519 signature"))?;
        let draft = Draft {
            seq,
            time_ms,
            author,
            kind,
            audience,
            body,
        };
        draft.check()?;
        let canonical = draft.write(Some(&sig))?;
        if canonical != bytes {
            return Err(EntryError::NotCanonical);
        }
        let leaf = leaf_hash(bytes);
        Ok(Self {
            draft,
            sig,
            bytes: canonical,
            leaf,
        })
    }

    /// Checks the signature under the author's key.
    pub fn verify(&self, author_key: &VerifierKey) -> Result<(), EntryError> {
        let message = self.draft.write(None)?;
        if author_key.verify(&message, &Signature::from_bytes(&self.sig)) {
            Ok(())
        } else {
            Err(EntryError::BadSignature {
                author: self.draft.author.clone(),
            })
        }
    }

    /// The signed message and signature, for batch verification.
    pub fn signed_parts(&self) -> Result<(Vec<u8>, Signature), EntryError> {
        Ok((self.draft.write(None)?, Signature::from_bytes(&self.sig)))
    }

    /// Whether `party` may read the body: the author and the audience can.
    pub fn readable_by(&self, party: &str) -> bool {
        self.draft.author == party
            || self
                .draft
                .audience
                .binary_search_by(|p| p.as_str().cmp(party))
                .is_ok()
    }

    pub fn draft(&self) -> &Draft {
        &self.draft
    }
    pub fn seq(&self) -> u64 {
        self.draft.seq
    }
    pub fn author(&self) -> &str {
        &self.draft.author
    }
    pub fn audience(&self) -> &[String] {
        &self.draft.audience
    }
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
    pub fn leaf_hash(&self) -> Hash {
        self.leaf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use serde_json::json;

    fn key(name: &str, seed: u8) -> SignerKey {
        SignerKey::from_signing_key(name, SigningKey::from_bytes(&[seed; 32])).unwrap()
    }

    fn draft() -> Draft {
        Draft {
            seq: 1,
            time_ms: 1_700_000_000_000,
            author: "israel".into(),
            kind: "notice".into(),
            audience: vec!["syria".into(), "undof".into(), "syria".into()],
            body: json!({"route": [[35.8, 33.1], [35.9, 33.2]], "note": "patrol\n"}),
        }
    }

    #[test]
    fn sign_parse_verify_round_trip() {
        let k = key("israel", 1);
        let entry = draft().normalise().unwrap().sign(&k).unwrap();
        let text = std::str::from_utf8(entry.bytes()).unwrap();
        assert!(text.starts_with(r#"{"audience":["syria","undof"],"author":"israel","body":{"note":"patrol\n","route""#), "{text}");
        let parsed = Entry::parse(entry.bytes()).unwrap();
        assert_eq!(parsed, entry);
        parsed.verify(&k.verifier()).unwrap();
        assert!(parsed.verify(&key("israel", 2).verifier()).is_err());
        assert!(
            parsed.readable_by("syria")
                && parsed.readable_by("israel")
                && !parsed.readable_by("russia")
        );
        // The canonical form is what a generic RFC 8785 canonicaliser makes of it.
        assert_eq!(
            jcs::to_vec(&jcs::parse_strict(entry.bytes()).unwrap()),
            entry.bytes()
        );
    }

    #[test]
    fn an_unsigned_envelope_read_back_signs_to_the_same_entry() {
        let k = key("israel", 1);
        let d = draft().normalise().unwrap();
        let entry = d.clone().sign(&k).unwrap();
        let mut v = jcs::parse_strict(entry.bytes()).unwrap();
        v.as_object_mut().unwrap().remove("sig");
        let back = Draft::from_value(&v).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.sign(&k).unwrap(), entry);
        v.as_object_mut().unwrap().insert("extra".into(), json!(1));
        assert!(Draft::from_value(&v).is_err());
        assert!(Draft::from_value(&json!([1])).is_err());
    }

    #[test]
    fn non_canonical_and_malformed_entries_are_refused() {
        let entry = draft()
            .normalise()
            .unwrap()
            .sign(&key("israel", 1))
            .unwrap();
        let text = std::str::from_utf8(entry.bytes()).unwrap();
        let spaced = text.replacen(',', ", ", 1);
        assert!(matches!(
            Entry::parse(spaced.as_bytes()),
            Err(EntryError::NotCanonical)
        ));
        let extra = text.replacen('{', r#"{"aaa":1,"#, 1);
        assert!(Entry::parse(extra.as_bytes()).is_err());
        let unsorted = text.replacen(r#"["syria","undof"]"#, r#"["undof","syria"]"#, 1);
        assert!(Entry::parse(unsorted.as_bytes()).is_err());
        let zero_seq = Draft { seq: 0, ..draft() };
        assert!(zero_seq.normalise().is_err());
        let big = Draft {
            body: json!("x".repeat(MAX_BODY_BYTES)),
            ..draft()
        };
        assert!(matches!(
            big.normalise().unwrap().sign(&key("israel", 1)),
            Err(EntryError::BodyTooLarge(_))
        ));
        let bad_author = Draft {
            author: "is rael".into(),
            ..draft()
        };
        assert!(bad_author.normalise().is_err());
    }
}
