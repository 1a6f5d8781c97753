//! Receipts: what an author keeps to prove later that the log accepted its entry.
//!
//! A receipt is the entry's index and leaf hash, the log-signed checkpoint of the batch
//! that made the entry durable, and an inclusion proof of the leaf under that checkpoint's
//! root. The log's signature covers index and leaf hash through the proof: the proof fixes
//! both (RFC 9162 verification binds the index), and the root is signed. One signature a
//! batch instead of one an entry keeps the writer fast, and is as hard to forge or deny.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::keys::VerifierKey;
use crate::merkle::{verify_inclusion, Hash, ProofError, MAX_PROOF_HASHES};
use crate::note::{NoteError, SignedCheckpoint};

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("receipt checkpoint: {0}")]
    Checkpoint(#[from] NoteError),
    #[error("receipt for index {index}: inclusion proof fails: {source}")]
    Inclusion { index: u64, source: ProofError },
}

/// Serde helpers: a hash as standard padded base64.
pub mod b64_hash {
    use super::*;

    pub fn serialize<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(hash))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        decode(&text).ok_or_else(|| serde::de::Error::custom("expected a base64 32-byte hash"))
    }

    pub fn encode(hash: &Hash) -> String {
        B64.encode(hash)
    }

    pub fn decode(text: &str) -> Option<Hash> {
        B64.decode(text).ok()?.try_into().ok()
    }
}

mod b64_hashes {
    use super::*;

    pub fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(hashes.iter().map(|h| B64.encode(h)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        if texts.len() > MAX_PROOF_HASHES {
            return Err(serde::de::Error::custom("proof too long"));
        }
        texts
            .iter()
            .map(|t| {
                b64_hash::decode(t)
                    .ok_or_else(|| serde::de::Error::custom("expected a base64 32-byte hash"))
            })
            .collect()
    }
}

/// Proof of acceptance of one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub index: u64,
    #[serde(with = "b64_hash")]
    pub leaf_hash: Hash,
    /// The checkpoint note, signed by the log key.
    pub checkpoint: String,
    #[serde(with = "b64_hashes")]
    pub inclusion: Vec<Hash>,
}

impl Receipt {
    /// Checks the log's signature and the inclusion proof; returns the checkpoint.
    pub fn verify(&self, log_key: &VerifierKey) -> Result<SignedCheckpoint, ReceiptError> {
        let signed = SignedCheckpoint::parse_verified(&self.checkpoint, log_key)?;
        let cp = &signed.checkpoint;
        verify_inclusion(
            self.index,
            cp.size,
            &self.leaf_hash,
            &self.inclusion,
            &cp.root,
        )
        .map_err(|source| ReceiptError::Inclusion {
            index: self.index,
            source,
        })?;
        Ok(signed)
    }
}
