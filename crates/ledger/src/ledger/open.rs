//! Opening a ledger: the store is checked in full (leaf hashes, the row hash chain, every
//! stored checkpoint's root) before the writer thread starts; a torn tail is dropped.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};

use rayon::prelude::*;

use super::writer::Writer;
use super::{chain_next, Ledger, LedgerConfig, LedgerError, OpenReport, Shared, View, QUEUE_DEPTH};
use crate::keys::VerifierKey;
use crate::merkle::{leaf_hash, Hash, MerkleTree};
use crate::note::{Checkpoint, Note, NoteError, SignedCheckpoint};
use crate::store::{Row, Store, StoreError, StoredCheckpoint};

impl Ledger {
    /// Opens a ledger, checking and (for a torn tail) repairing the store first.
    pub fn open<S: Store + 'static>(
        mut store: S,
        config: LedgerConfig,
    ) -> Result<(Self, OpenReport), LedgerError> {
        crate::envelope::check_party_id(&config.mediator)
            .map_err(|e| LedgerError::BadMediator(config.mediator.clone(), e))?;
        let origin = config.log_key.name().to_owned();
        match store.meta("origin")? {
            Some(found) if found != origin => {
                return Err(LedgerError::WrongOrigin {
                    found,
                    expected: origin,
                })
            }
            Some(_) => {}
            None => store.set_meta("origin", &origin)?,
        }
        let log_verifier = config.log_key.verifier();
        let mut checkpoints = Vec::new();
        let stored = store.checkpoints()?;
        let last_size = stored.last().map(|c| c.size);
        for StoredCheckpoint { size, note } in stored {
            // Every stored root is checked against the leaves below; the signature only on
            // the latest, which is the one that is published from here on. (Exports carry
            // all of them, and verifiers check every signature.)
            let parsed = if Some(size) == last_size {
                SignedCheckpoint::parse_verified(&note, &log_verifier)
            } else {
                parse_unverified(&note, &log_verifier)
            };
            let cp = parsed.map_err(|source| LedgerError::BadCheckpoint { size, source })?;
            if cp.checkpoint.size != size {
                return Err(LedgerError::Corrupt {
                    index: size.saturating_sub(1),
                    what: format!(
                        "checkpoint row {size} holds a note of size {}",
                        cp.checkpoint.size
                    ),
                });
            }
            checkpoints.push(cp);
        }
        let acknowledged = checkpoints.last().map_or(0, |c| c.checkpoint.size);
        let count = store.entry_count()?;
        let mut report = OpenReport {
            size: acknowledged,
            truncated: 0,
        };
        if count < acknowledged {
            return Err(LedgerError::Corrupt { index: count, what: format!("checkpoint of size {acknowledged} covers entries missing from the store, which ends at {count}") });
        }
        if count > acknowledged {
            report.truncated = store.truncate(acknowledged)?;
        }
        let leaves = check_rows(&store, acknowledged)?;
        let tree = MerkleTree::from_leaves(leaves);
        for cp in &checkpoints {
            let c = &cp.checkpoint;
            if tree.root_at(c.size).expect("sizes checked") != c.root {
                return Err(LedgerError::Corrupt {
                    index: c.size - 1,
                    what: format!(
                        "stored leaves do not rebuild the signed checkpoint of size {}",
                        c.size
                    ),
                });
            }
        }
        let seqs = store.author_seqs()?.into_iter().collect();
        let open_reader = store.reader_opener();
        let reader = open_reader()?;
        let shared = Arc::new(Shared {
            config,
            log_verifier,
            view: RwLock::new(View {
                tree,
                checkpoints,
                seqs,
                stopped: None,
            }),
        });
        let (tx, rx) = mpsc::sync_channel(QUEUE_DEPTH);
        let chain = last_chain(&store, acknowledged)?;
        let writer_shared = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || {
                Writer {
                    store,
                    shared: writer_shared,
                    chain,
                }
                .run(rx)
            })
            .expect("spawn ledger writer thread");
        Ok((
            Self {
                shared,
                reader: Mutex::new(reader),
                open_reader,
                tx: Some(tx),
                writer: Some(writer),
            },
            report,
        ))
    }
}

fn parse_unverified(note: &str, log_key: &VerifierKey) -> Result<SignedCheckpoint, NoteError> {
    let note = Note::parse(note)?;
    let checkpoint = Checkpoint::parse_body(&note.text)?;
    if checkpoint.origin != log_key.name() {
        return Err(NoteError::WrongOrigin {
            found: checkpoint.origin,
            expected: log_key.name().to_owned(),
        });
    }
    Ok(SignedCheckpoint {
        checkpoint,
        signatures: note.signatures,
    })
}

/// Reads rows `0..size`, checking index continuity, leaf hashes and the chain; returns
/// the leaf hashes.
fn check_rows(store: &dyn Store, size: u64) -> Result<Vec<Hash>, LedgerError> {
    const CHUNK: usize = 4096;
    let mut leaves = Vec::with_capacity(size as usize);
    let mut chunk: Vec<Row> = Vec::with_capacity(CHUNK);
    let mut prev_chain = [0u8; 32];
    let mut failure: Option<LedgerError> = None;
    let flush = |chunk: &mut Vec<Row>,
                 leaves: &mut Vec<Hash>,
                 prev_chain: &mut Hash|
     -> Result<(), LedgerError> {
        let bad = chunk
            .par_iter()
            .find_first(|r| leaf_hash(&r.envelope) != r.leaf)
            .map(|r| r.index);
        for r in chunk.iter() {
            if r.index != leaves.len() as u64 {
                return Err(LedgerError::Corrupt {
                    index: leaves.len() as u64,
                    what: format!("row missing (next stored row is {})", r.index),
                });
            }
            if Some(r.index) == bad {
                return Err(LedgerError::Corrupt {
                    index: r.index,
                    what: "stored envelope no longer hashes to its leaf hash".into(),
                });
            }
            let chain = chain_next(prev_chain, &r.leaf);
            if chain != r.chain {
                return Err(LedgerError::Corrupt {
                    index: r.index,
                    what: "row breaks the hash chain (rows reordered, removed or inserted)".into(),
                });
            }
            *prev_chain = chain;
            leaves.push(r.leaf);
        }
        chunk.clear();
        Ok(())
    };
    store
        .scan(0, size, &mut |row| {
            chunk.push(row);
            if chunk.len() == CHUNK {
                if let Err(e) = flush(&mut chunk, &mut leaves, &mut prev_chain) {
                    failure = Some(e);
                    return Err(StoreError::Interrupted);
                }
            }
            Ok(())
        })
        .or_else(|e| match e {
            StoreError::Interrupted => Ok(()),
            e => Err(e),
        })?;
    if let Some(e) = failure {
        return Err(e);
    }
    flush(&mut chunk, &mut leaves, &mut prev_chain)?;
    if leaves.len() as u64 != size {
        return Err(LedgerError::Corrupt {
            index: leaves.len() as u64,
            what: "row missing".into(),
        });
    }
    Ok(leaves)
}

fn last_chain(store: &dyn Store, size: u64) -> Result<Hash, StoreError> {
    let mut chain = [0u8; 32];
    if size > 0 {
        store.scan(size - 1, size, &mut |row| {
            chain = row.chain;
            Ok(())
        })?;
    }
    Ok(chain)
}
