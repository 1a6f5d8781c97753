//! Keys and their text forms, the signed-note formats of C2SP (c2sp.org/signed-note):
//!
//! - verifier key ("vkey"): `<name>+<key hash, 8 hex digits>+<base64(0x01 || public key)>`
//! - signer key: `PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || 32-byte seed)>`
//! - keyring: one vkey a line; `#` starts a comment. For a party the name is its party id.
//!
//! The key hash of a note signature is SHA-256(name || "\n" || 0x01 || public key)\[:4\]; a
//! cosignature (tlog-cosignature v1) uses the algorithm byte 0x04 with the same key.

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Algorithm byte of an Ed25519 note signature.
pub const ALG_ED25519: u8 = 0x01;
/// Algorithm byte of an Ed25519 cosignature/v1.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// Longest key name accepted.
pub const MAX_KEY_NAME_BYTES: usize = 128;
/// Most keys a keyring may hold.
pub const MAX_KEYRING_KEYS: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key name {0:?} is not valid (1-128 printable ASCII characters, no spaces or '+')")]
    BadName(String),
    #[error("not a {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    #[error("keyring line {line}: {source}")]
    KeyringLine { line: usize, source: Box<KeyError> },
    #[error("keyring names {0:?} twice")]
    DuplicateName(String),
    #[error("keyring has more than {MAX_KEYRING_KEYS} keys")]
    TooManyKeys,
}

fn malformed(what: &'static str, reason: impl Into<String>) -> KeyError {
    KeyError::Malformed {
        what,
        reason: reason.into(),
    }
}

/// Checks a key name as the signed-note spec wants it: non-empty, no whitespace, no '+'.
/// We are stricter and take printable ASCII only, so names print unambiguously.
pub fn check_key_name(name: &str) -> Result<(), KeyError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_KEY_NAME_BYTES
        && name.bytes().all(|b| b.is_ascii_graphic() && b != b'+');
    if ok {
        Ok(())
    } else {
        Err(KeyError::BadName(name.to_owned()))
    }
}

/// SHA-256(name || "\n" || alg || key)\[:4\] as a big-endian number.
pub fn key_id(name: &str, alg: u8, key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([alg]);
    h.update(key.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A named public key.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key: VerifyingKey,
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

impl VerifierKey {
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, KeyError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }

    /// The key hash that prefixes this key's note signatures.
    pub fn note_key_id(&self) -> u32 {
        key_id(&self.name, ALG_ED25519, &self.key)
    }

    /// The key ID that prefixes this key's cosignatures.
    pub fn cosignature_key_id(&self) -> u32 {
        key_id(&self.name, ALG_COSIGNATURE_V1, &self.key)
    }

    /// Same key under another name (the mediator's party id for the log key, say).
    pub fn renamed(&self, name: &str) -> Result<Self, KeyError> {
        Self::new(name, self.key)
    }

    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        self.key.verify(message, signature).is_ok()
    }

    /// Parses a vkey line.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        const WHAT: &str = "verifier key (name+hash+base64)";
        let text = text.trim();
        // Names hold no '+' but base64 may: split from the left.
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(hash_hex), Some(key_b64)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(WHAT, "expected three '+'-separated fields"));
        };
        check_key_name(name)?;
        let hash = parse_key_hash(hash_hex)
            .ok_or_else(|| malformed(WHAT, "key hash is not 8 hex digits"))?;
        let raw = B64
            .decode(key_b64)
            .map_err(|e| malformed(WHAT, format!("key is not base64: {e}")))?;
        let [alg, rest @ ..] = raw.as_slice() else {
            return Err(malformed(WHAT, "empty key"));
        };
        if *alg != ALG_ED25519 {
            return Err(malformed(
                WHAT,
                format!("algorithm byte {alg:#04x} is not Ed25519 (0x01)"),
            ));
        }
        let bytes: [u8; 32] = rest
            .try_into()
            .map_err(|_| malformed(WHAT, "Ed25519 key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|e| malformed(WHAT, format!("bad Ed25519 point: {e}")))?;
        let vkey = Self::new(name, key)?;
        if vkey.note_key_id() != hash {
            return Err(malformed(WHAT, "key hash does not match name and key"));
        }
        Ok(vkey)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.note_key_id(),
            B64.encode(raw)
        )
    }
}

fn parse_key_hash(hex: &str) -> Option<u32> {
    (hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u32::from_str_radix(hex, 16).ok())?
}

/// A named private key. Its `Debug` does not print the key.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    key: SigningKey,
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignerKey({})", self.name)
    }
}

impl SignerKey {
    /// Makes a fresh key from the operating system's random source.
    pub fn generate(name: &str) -> Result<Self, KeyError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key: SigningKey::generate(&mut rand_core::OsRng),
        })
    }

    /// Wraps an existing key (tests and tools that derive keys deterministically).
    pub fn from_signing_key(name: &str, key: SigningKey) -> Result<Self, KeyError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            key: self.key.verifying_key(),
        }
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        self.key.sign(message)
    }

    /// The private key file's text (one line, with a newline).
    pub fn to_secret_text(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(vec![ALG_ED25519]);
        raw.extend_from_slice(self.key.as_bytes());
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{:08x}+{}\n",
            self.name,
            self.verifier().note_key_id(),
            B64.encode(&*raw)
        ))
    }

    /// Parses a private key file's text.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        const WHAT: &str = "private key (PRIVATE+KEY+name+hash+base64)";
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| malformed(WHAT, "missing PRIVATE+KEY+ prefix"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hash_hex), Some(key_b64)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(WHAT, "expected name, hash and key"));
        };
        check_key_name(name)?;
        let hash = parse_key_hash(hash_hex)
            .ok_or_else(|| malformed(WHAT, "key hash is not 8 hex digits"))?;
        let raw = Zeroizing::new(
            B64.decode(key_b64)
                .map_err(|_| malformed(WHAT, "key is not base64"))?,
        );
        let [alg, seed @ ..] = raw.as_slice() else {
            return Err(malformed(WHAT, "empty key"));
        };
        if *alg != ALG_ED25519 {
            return Err(malformed(WHAT, "algorithm byte is not Ed25519 (0x01)"));
        }
        let seed: &[u8; 32] = seed
            .try_into()
            .map_err(|_| malformed(WHAT, "seed is not 32 bytes"))?;
        let signer = Self {
            name: name.to_owned(),
            key: SigningKey::from_bytes(seed),
        };
        if signer.verifier().note_key_id() != hash {
            return Err(malformed(WHAT, "key hash does not match name and key"));
        }
        Ok(signer)
    }
}

/// Party id -> public key: whom the verifier believes for each author and cosigner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keyring {
    keys: BTreeMap<String, VerifierKey>,
}

impl Keyring {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key under its own name.
    pub fn insert(&mut self, key: VerifierKey) -> Result<(), KeyError> {
        if self.keys.len() >= MAX_KEYRING_KEYS {
            return Err(KeyError::TooManyKeys);
        }
        if self.keys.contains_key(key.name()) {
            return Err(KeyError::DuplicateName(key.name().to_owned()));
        }
        self.keys.insert(key.name().to_owned(), key);
        Ok(())
    }

    /// Parses keyring text: one vkey a line, blank lines and `#` comments ignored.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let mut ring = Self::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let wrap = |e: KeyError| KeyError::KeyringLine {
                line: i + 1,
                source: Box::new(e),
            };
            ring.insert(VerifierKey::parse(line).map_err(wrap)?)
                .map_err(wrap)?;
        }
        Ok(ring)
    }

    pub fn get(&self, name: &str) -> Option<&VerifierKey> {
        self.keys.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &VerifierKey> {
        self.keys.values()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl fmt::Display for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for key in self.keys.values() {
            writeln!(f, "{key}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_texts_round_trip_and_checks_hash() {
        let signer =
            SignerKey::from_signing_key("israel", SigningKey::from_bytes(&[7; 32])).unwrap();
        let secret = signer.to_secret_text();
        let again = SignerKey::parse(&secret).unwrap();
        assert_eq!(again.verifier(), signer.verifier());
        let vkey = signer.verifier().to_string();
        assert!(vkey.starts_with("israel+"));
        assert_eq!(VerifierKey::parse(&vkey).unwrap(), signer.verifier());
        let renamed = vkey.replacen("israel", "syria", 1);
        assert!(VerifierKey::parse(&renamed).is_err(), "hash binds the name");
        assert!(check_key_name("a b").is_err());
        assert!(check_key_name("a+b").is_err());
        assert!(check_key_name("truceline/agr-1").is_ok());
    }

    // Vector from golang.org/x/mod/sumdb/note's documentation: the PeterNeumann key.
    #[test]
    fn sumdb_note_vkey_vector() {
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let key = VerifierKey::parse(vkey).unwrap();
        assert_eq!(key.to_string(), vkey);
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        assert_eq!(SignerKey::parse(skey).unwrap().verifier(), key);
    }

    #[test]
    fn keyring_names_bad_line() {
        let a = SignerKey::from_signing_key("a", SigningKey::from_bytes(&[1; 32]))
            .unwrap()
            .verifier();
        let text = format!("# parties\n{a}\n\nnot-a-key\n");
        let err = Keyring::parse(&text).unwrap_err();
        assert!(err.to_string().starts_with("keyring line 4"), "{err}");
        let dup = format!("{a}\n{a}\n");
        assert!(Keyring::parse(&dup).is_err());
    }
}
