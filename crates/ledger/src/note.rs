//! Signed notes (c2sp.org/signed-note), checkpoints (c2sp.org/tlog-checkpoint) and
//! cosignatures (c2sp.org/tlog-cosignature, `cosignature/v1`). Pure: no I/O; the cosigning
//! time is passed in.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::Signature;

use crate::keys::{KeyError, Keyring, SignerKey, VerifierKey};
use crate::merkle::Hash;

/// Longest note accepted from outside: a checkpoint with a few hundred cosignatures.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;
/// Most signature lines a note may carry.
pub const MAX_NOTE_SIGNATURES: usize = 256;
/// The em dash and space that open a signature line.
const SIG_PREFIX: &str = "\u{2014} ";

#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    #[error("note is longer than {MAX_NOTE_BYTES} bytes")]
    TooLong,
    #[error("malformed note: {0}")]
    Malformed(String),
    #[error("malformed checkpoint: {0}")]
    BadCheckpoint(String),
    #[error("checkpoint origin is {found:?}, expected {expected:?}")]
    WrongOrigin { found: String, expected: String },
    #[error("no valid signature by log key {0:?}")]
    NotSignedByLog(String),
    #[error("cosignature by {name:?} does not verify")]
    BadCosignature { name: String },
    #[error(transparent)]
    Key(#[from] KeyError),
}

fn malformed(msg: impl Into<String>) -> NoteError {
    NoteError::Malformed(msg.into())
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    /// The bytes after the key ID: an Ed25519 signature, or timestamp and signature.
    pub payload: Vec<u8>,
}

impl NoteSignature {
    /// The signature line, `— <name> <base64>` and a newline.
    pub fn to_line(&self) -> String {
        let mut raw = self.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.payload);
        format!("{SIG_PREFIX}{} {}\n", self.name, B64.encode(raw))
    }

    /// Parses one signature line (without its newline).
    pub fn parse_line(line: &str) -> Result<Self, NoteError> {
        let rest = line
            .strip_prefix(SIG_PREFIX)
            .ok_or_else(|| malformed("signature line must start with an em dash and a space"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| malformed("signature line lacks a signature"))?;
        crate::keys::check_key_name(name)?;
        let raw = B64
            .decode(b64)
            .map_err(|_| malformed("signature is not base64"))?;
        if raw.len() < 5 {
            return Err(malformed("signature is too short"));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            payload: raw[4..].to_vec(),
        })
    }
}

/// A note: text (newline-terminated lines, no blank line) and its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note; it does not check any signature.
    pub fn parse(input: &str) -> Result<Self, NoteError> {
        if input.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLong);
        }
        let split = input
            .find("\n\n")
            .ok_or_else(|| malformed("no blank line before the signatures"))?;
        let (text, sigs) = (&input[..split + 1], &input[split + 2..]);
        if !sigs.ends_with('\n') {
            return Err(malformed("note must end with a newline"));
        }
        let signatures = sigs
            .lines()
            .map(NoteSignature::parse_line)
            .collect::<Result<Vec<_>, _>>()?;
        if signatures.is_empty() {
            return Err(malformed("note has no signatures"));
        }
        if signatures.len() > MAX_NOTE_SIGNATURES {
            return Err(malformed("note has too many signatures"));
        }
        if text.chars().any(|c| c != '\n' && c.is_control()) {
            return Err(malformed("note text holds control characters"));
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for sig in &self.signatures {
            f.write_str(&sig.to_line())?;
        }
        Ok(())
    }
}

/// A tree head: origin, size, root. No extension lines (this log writes none and accepts none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note text: three newline-terminated lines.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses the note text of a checkpoint.
    pub fn parse_body(text: &str) -> Result<Self, NoteError> {
        let bad = |m: &str| NoteError::BadCheckpoint(m.to_owned());
        let lines: Vec<&str> = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("text must end with a newline"))?
            .split('\n')
            .collect();
        let [origin, size, root] = lines.as_slice() else {
            return Err(bad("expected exactly three lines: origin, size, root"));
        };
        if origin.is_empty() {
            return Err(bad("empty origin"));
        }
        let size_ok = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size.len() == 1 || !size.starts_with('0'));
        let size: u64 = if size_ok {
            size.parse().map_err(|_| bad("size out of range"))?
        } else {
            return Err(bad("size is not a decimal without leading zeros"));
        };
        let root = B64
            .decode(root)
            .ok()
            .and_then(|r| <Hash>::try_from(r).ok())
            .ok_or_else(|| bad("root is not a base64 32-byte hash"))?;
        Ok(Self {
            origin: (*origin).to_owned(),
            size,
            root,
        })
    }

    /// Signs the checkpoint with the log key, whose name must be the origin.
    pub fn sign(&self, log_key: &SignerKey) -> SignedCheckpoint {
        debug_assert_eq!(log_key.name(), self.origin);
        let sig = log_key.sign(self.body().as_bytes());
        SignedCheckpoint {
            checkpoint: self.clone(),
            signatures: vec![NoteSignature {
                name: log_key.name().to_owned(),
                key_id: log_key.verifier().note_key_id(),
                payload: sig.to_bytes().to_vec(),
            }],
        }
    }
}

/// The message a cosigner signs (tlog-cosignature, Ed25519 signed message).
pub fn cosignature_message(checkpoint_body: &str, timestamp_s: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp_s}\n{checkpoint_body}").into_bytes()
}

/// A checkpoint with its signature lines: the log's and any cosignatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub signatures: Vec<NoteSignature>,
}

/// A verified cosignature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    pub name: String,
    pub timestamp_s: u64,
}

impl SignedCheckpoint {
    /// Parses a checkpoint note and checks the log's signature on it.
    pub fn parse_verified(input: &str, log_key: &VerifierKey) -> Result<Self, NoteError> {
        let note = Note::parse(input)?;
        let checkpoint = Checkpoint::parse_body(&note.text)?;
        if checkpoint.origin != log_key.name() {
            return Err(NoteError::WrongOrigin {
                found: checkpoint.origin,
                expected: log_key.name().to_owned(),
            });
        }
        let signed = Self {
            checkpoint,
            signatures: note.signatures,
        };
        signed.verify_log(log_key)?;
        Ok(signed)
    }

    /// Checks that one signature line is the log key's valid signature.
    pub fn verify_log(&self, log_key: &VerifierKey) -> Result<(), NoteError> {
        let body = self.checkpoint.body();
        let id = log_key.note_key_id();
        let ok = self.signatures.iter().any(|s| {
            s.name == log_key.name()
                && s.key_id == id
                && <[u8; 64]>::try_from(s.payload.as_slice())
                    .is_ok_and(|sig| log_key.verify(body.as_bytes(), &Signature::from_bytes(&sig)))
        });
        if ok {
            Ok(())
        } else {
            Err(NoteError::NotSignedByLog(log_key.name().to_owned()))
        }
    }

    /// Makes a cosignature line for this checkpoint.
    pub fn cosign(&self, witness: &SignerKey, timestamp_s: u64) -> NoteSignature {
        let message = cosignature_message(&self.checkpoint.body(), timestamp_s);
        let sig = witness.sign(&message);
        let mut payload = timestamp_s.to_be_bytes().to_vec();
        payload.extend_from_slice(&sig.to_bytes());
        NoteSignature {
            name: witness.name().to_owned(),
            key_id: witness.verifier().cosignature_key_id(),
            payload,
        }
    }

    /// Checks one cosignature line against a cosigner's key.
    pub fn verify_cosignature(
        &self,
        line: &NoteSignature,
        key: &VerifierKey,
    ) -> Result<Cosigned, NoteError> {
        let bad = || NoteError::BadCosignature {
            name: line.name.clone(),
        };
        if line.name != key.name()
            || line.key_id != key.cosignature_key_id()
            || line.payload.len() != 8 + 64
        {
            return Err(bad());
        }
        let timestamp_s = u64::from_be_bytes(line.payload[..8].try_into().expect("8 bytes"));
        if timestamp_s > i64::MAX as u64 {
            return Err(bad());
        }
        let sig = Signature::from_bytes(line.payload[8..].try_into().expect("64 bytes"));
        if !key.verify(
            &cosignature_message(&self.checkpoint.body(), timestamp_s),
            &sig,
        ) {
            return Err(bad());
        }
        Ok(Cosigned {
            name: line.name.clone(),
            timestamp_s,
        })
    }

    /// Verifies every signature line that is not the log's against the keyring. A line
    /// from a name the keyring lacks, or that does not verify, is an error: an export
    /// must not carry signatures nobody can check.
    pub fn verify_cosignatures(
        &self,
        log_key: &VerifierKey,
        keyring: &Keyring,
    ) -> Result<Vec<Cosigned>, NoteError> {
        let mut out = Vec::new();
        for line in &self.signatures {
            if line.name == log_key.name() && line.key_id == log_key.note_key_id() {
                continue;
            }
            let key = keyring
                .get(&line.name)
                .ok_or_else(|| NoteError::BadCosignature {
                    name: line.name.clone(),
                })?;
            out.push(self.verify_cosignature(line, key)?);
        }
        Ok(out)
    }

    /// Adds a signature line unless one with the same name and key ID is there.
    pub fn add_signature(&mut self, line: NoteSignature) {
        if !self
            .signatures
            .iter()
            .any(|s| s.name == line.name && s.key_id == line.key_id)
        {
            self.signatures.push(line);
        }
    }

    pub fn to_note(&self) -> Note {
        Note {
            text: self.checkpoint.body(),
            signatures: self.signatures.clone(),
        }
    }
}

impl fmt::Display for SignedCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_note().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    // The example note of golang.org/x/mod/sumdb/note.
    #[test]
    fn sumdb_signed_note_vector() {
        let key = VerifierKey::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .unwrap();
        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        let note = Note::parse(text).unwrap();
        assert_eq!(note.to_string(), text);
        let sig = &note.signatures[0];
        assert_eq!(sig.key_id, key.note_key_id());
        let sig = Signature::from_bytes(sig.payload.as_slice().try_into().unwrap());
        assert!(key.verify(note.text.as_bytes(), &sig));
    }

    fn log_key() -> SignerKey {
        SignerKey::from_signing_key("truceline/agr-1", SigningKey::from_bytes(&[3; 32])).unwrap()
    }

    #[test]
    fn checkpoint_signs_cosigns_and_round_trips() {
        let log = log_key();
        let cp = Checkpoint {
            origin: log.name().to_owned(),
            size: 42,
            root: [9; 32],
        };
        let mut signed = cp.sign(&log);
        let witness =
            SignerKey::from_signing_key("israel", SigningKey::from_bytes(&[4; 32])).unwrap();
        signed.add_signature(signed.cosign(&witness, 1_700_000_000));
        let text = signed.to_string();
        assert!(text.starts_with("truceline/agr-1\n42\n"));
        let again = SignedCheckpoint::parse_verified(&text, &log.verifier()).unwrap();
        assert_eq!(again, signed);
        let mut ring = Keyring::new();
        ring.insert(witness.verifier()).unwrap();
        let cosigned = again.verify_cosignatures(&log.verifier(), &ring).unwrap();
        assert_eq!(
            cosigned,
            vec![Cosigned {
                name: "israel".into(),
                timestamp_s: 1_700_000_000
            }]
        );
        // A different root under the same signature fails.
        let forged = text.replacen("42\n", "43\n", 1);
        assert!(SignedCheckpoint::parse_verified(&forged, &log.verifier()).is_err());
        // Cosignature checked against another key fails.
        let other =
            SignerKey::from_signing_key("israel", SigningKey::from_bytes(&[5; 32])).unwrap();
        let mut ring2 = Keyring::new();
        ring2.insert(other.verifier()).unwrap();
        assert!(again.verify_cosignatures(&log.verifier(), &ring2).is_err());
    }

    #[test]
    fn checkpoint_body_is_strict() {
        assert!(Checkpoint::parse_body("o\n01\nAAAA\n").is_err());
        assert!(Checkpoint::parse_body("o\n1\n").is_err());
        assert!(
            Checkpoint::parse_body("o\n1\nAAAA\n").is_err(),
            "root not 32 bytes"
        );
        assert!(Checkpoint::parse_body(
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nextra\n"
        )
        .is_err());
        assert!(
            Checkpoint::parse_body("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n").is_ok()
        );
    }
}
