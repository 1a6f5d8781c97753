//! A party's witness: cosigns a checkpoint only if it extends, consistently, the last one
//! it cosigned. The decision ([`decide`]) is pure; [`StateFile`] keeps the last cosigned
//! checkpoint on disk and is written (and fsync'd) before a cosignature is handed out, so
//! a crash can never leave a cosignature the state does not remember.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::keys::{SignerKey, VerifierKey};
use crate::merkle::{verify_consistency, Hash, ProofError};
use crate::note::{Checkpoint, NoteError, NoteSignature, SignedCheckpoint};

#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    #[error("checkpoint is for {found:?}, the witness follows {expected:?}")]
    WrongOrigin { found: String, expected: String },
    #[error("refusing to go back: checkpoint size {new} is below the last cosigned size {last}")]
    Rollback { last: u64, new: u64 },
    #[error("FORK: checkpoint of size {size} has a different root than the one already cosigned")]
    Fork { size: u64 },
    #[error(
        "checkpoint of size {new} is not consistent with the last cosigned size {last}: {source}"
    )]
    Inconsistent {
        last: u64,
        new: u64,
        source: ProofError,
    },
    #[error("witness state {path}: {what}")]
    State { path: PathBuf, what: String },
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// Decides whether to cosign `new` (already checked to be signed by the log) given the
/// last checkpoint cosigned, and if so makes the cosignature. With no last checkpoint the
/// first one is taken on trust; compare it with the other parties out of band.
pub fn decide(
    last: Option<&Checkpoint>,
    new: &SignedCheckpoint,
    proof: &[Hash],
    witness: &SignerKey,
    now_s: u64,
) -> Result<NoteSignature, WitnessError> {
    let c = &new.checkpoint;
    if let Some(last) = last {
        if last.origin != c.origin {
            return Err(WitnessError::WrongOrigin {
                found: c.origin.clone(),
                expected: last.origin.clone(),
            });
        }
        if c.size < last.size {
            return Err(WitnessError::Rollback {
                last: last.size,
                new: c.size,
            });
        }
        if c.size == last.size && c.root != last.root {
            return Err(WitnessError::Fork { size: c.size });
        }
        verify_consistency(last.size, c.size, &last.root, &c.root, proof).map_err(|source| {
            WitnessError::Inconsistent {
                last: last.size,
                new: c.size,
                source,
            }
        })?;
    }
    Ok(new.cosign(witness, now_s))
}

/// The witness's memory of the last checkpoint it cosigned, one file per log.
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file for `origin` in `dir` (created if missing).
    pub fn new(dir: &Path, origin: &str) -> Result<Self, WitnessError> {
        fs::create_dir_all(dir).map_err(|e| WitnessError::State {
            path: dir.to_path_buf(),
            what: e.to_string(),
        })?;
        let name: String = origin
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Ok(Self {
            path: dir.join(format!("{name}.checkpoint")),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last cosigned checkpoint, checked again against the log key.
    pub fn load(&self, log_key: &VerifierKey) -> Result<Option<SignedCheckpoint>, WitnessError> {
        match fs::read_to_string(&self.path) {
            Ok(text) => SignedCheckpoint::parse_verified(&text, log_key)
                .map(Some)
                .map_err(|e| WitnessError::State {
                    path: self.path.clone(),
                    what: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(WitnessError::State {
                path: self.path.clone(),
                what: e.to_string(),
            }),
        }
    }

    /// Replaces the state atomically and durably: temp file, fsync, rename, fsync dir.
    pub fn save(&self, checkpoint: &SignedCheckpoint) -> Result<(), WitnessError> {
        let err = |e: std::io::Error| WitnessError::State {
            path: self.path.clone(),
            what: e.to_string(),
        };
        let tmp = self.path.with_extension("checkpoint.tmp");
        let mut f = fs::File::create(&tmp).map_err(err)?;
        f.write_all(checkpoint.to_string().as_bytes())
            .map_err(err)?;
        f.sync_all().map_err(err)?;
        fs::rename(&tmp, &self.path).map_err(err)?;
        if let Some(dir) = self.path.parent() {
            fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(err)?;
        }
        Ok(())
    }

    /// Checks `new` against the stored state, saves it, then returns the cosignature.
    pub fn cosign(
        &self,
        new: &SignedCheckpoint,
        proof: &[Hash],
        log_key: &VerifierKey,
        witness: &SignerKey,
        now_s: u64,
    ) -> Result<NoteSignature, WitnessError> {
        new.verify_log(log_key)?;
        let last = self.load(log_key)?;
        let line = decide(
            last.as_ref().map(|l| &l.checkpoint),
            new,
            proof,
            witness,
            now_s,
        )?;
        let grows = last
            .as_ref()
            .is_none_or(|l| new.checkpoint.size > l.checkpoint.size);
        if grows {
            let mut plain = new.clone();
            plain.signatures.retain(|s| s.name == log_key.name());
            self.save(&plain)?;
        }
        Ok(line)
    }
}
