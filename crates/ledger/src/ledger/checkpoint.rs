//! Published tree heads: the latest checkpoint with its cosignatures, proofs against
//! published sizes, and witnesses' cosignatures recorded.

use std::sync::mpsc;

use super::writer::Request;
use super::{CosignError, Ledger};
use crate::merkle::{Hash, ProofError};
use crate::note::{NoteSignature, SignedCheckpoint};
use crate::store::StoreError;

impl Ledger {
    /// The latest checkpoint with its stored cosignatures.
    pub fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, StoreError> {
        let latest = self.view().checkpoints.last().cloned();
        latest.map(|cp| self.with_cosignatures(cp)).transpose()
    }

    pub(super) fn with_cosignatures(
        &self,
        mut cp: SignedCheckpoint,
    ) -> Result<SignedCheckpoint, StoreError> {
        let lines = self
            .reader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .cosignatures(cp.checkpoint.size)?;
        for line in lines {
            // Stored lines were verified on the way in; a line that no longer parses is
            // left out rather than trusted (verifiers check every cosignature anyway).
            if let Ok(sig) = NoteSignature::parse_line(&line) {
                cp.add_signature(sig);
            }
        }
        Ok(cp)
    }

    /// Inclusion proof of `index` in the tree of `size` leaves (`size` <= [`Self::size`]).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        let published = self.size();
        let view = self.view();
        if size > published {
            return Err(ProofError::SizeOutOfRange {
                size,
                len: published,
            });
        }
        view.tree.inclusion_proof(index, size)
    }

    /// Consistency proof between two published sizes.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        let published = self.size();
        let view = self.view();
        if new > published {
            return Err(ProofError::SizeOutOfRange {
                size: new,
                len: published,
            });
        }
        view.tree.consistency_proof(old, new)
    }

    /// Records a witness's cosignature of the checkpoint of `size`, after checking it
    /// against the cosigner's key in the keyring.
    pub fn add_cosignature(&self, size: u64, line: &NoteSignature) -> Result<(), CosignError> {
        let cp = self
            .view()
            .checkpoints
            .iter()
            .find(|c| c.checkpoint.size == size)
            .cloned()
            .ok_or(CosignError::NoCheckpoint(size))?;
        let key = self
            .shared
            .config
            .keyring
            .get(&line.name)
            .ok_or_else(|| CosignError::UnknownCosigner(line.name.clone()))?;
        cp.verify_cosignature(line, key)?;
        let text = line.to_line().trim_end().to_owned();
        let (reply, answer) = mpsc::sync_channel(1);
        let stopped = || CosignError::Store(StoreError::Stopped("writer thread ended".into()));
        self.tx
            .as_ref()
            .expect("live")
            .send(Request::Cosign(size, line.name.clone(), text, reply))
            .map_err(|_| stopped())?;
        answer
            .recv()
            .map_err(|_| stopped())?
            .map_err(CosignError::from)
    }
}
