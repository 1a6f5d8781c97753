//! [`Ledger`]: the log a server holds. Appends from many threads go through one writer
//! thread that commits them in batches (group commit); every caller waits for its own
//! [`Receipt`](crate::Receipt), which exists only once its entry is durable.
//!
//! Opening checks the whole store: every envelope must hash to its stored leaf hash and
//! continue the hash chain, and every stored checkpoint must be signed by the log key and
//! rebuilt by the leaves. What it finds:
//! - rows past the last checkpoint: a torn tail. They were never acknowledged (entries
//!   and their checkpoint commit together), so they are deleted and counted in
//!   [`OpenReport::truncated`];
//! - anything wrong at or before the last checkpoint: [`LedgerError::Corrupt`] naming
//!   the index. The ledger refuses to open; nothing is repaired silently.

// The `Ledger` and the state it shares with its writer thread are here; `open` (opening
// and its checks), `append` (appends and submissions), `checkpoint` (checkpoints, proofs
// and cosignatures), `read` (scans and exports), `writer` (the writer thread and its
// group commit) and `error` hold the rest.
mod append;
mod checkpoint;
mod error;
mod open;
mod read;
mod writer;

use std::collections::HashMap;
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use crate::keys::{Keyring, SignerKey, VerifierKey};
use crate::merkle::{Hash, MerkleTree};
use crate::note::SignedCheckpoint;

pub use append::Pending;
pub use error::{AppendError, CosignError, ExportError, LedgerError};
use writer::Request;

/// Most entries one commit carries.
pub const MAX_BATCH_ENTRIES: usize = 4096;
/// Most appends waiting for the writer; past this, `append` blocks (back-pressure).
pub const QUEUE_DEPTH: usize = 16 * 1024;

/// What the ledger needs to run.
#[derive(Debug, Clone)]
pub struct LedgerConfig {
    /// Signs checkpoints; its name is the origin, `truceline/<agreement-id>`.
    pub log_key: SignerKey,
    /// Who may author entries and cosign; entries by anyone else are refused.
    pub keyring: Keyring,
    /// The party id under which the log key authors the mediator's own entries.
    pub mediator: String,
}

/// What opening found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    pub size: u64,
    /// Unacknowledged rows past the last checkpoint that were deleted.
    pub truncated: u64,
}

struct View {
    tree: MerkleTree,
    /// Log-signed checkpoints, increasing size; the last is the published tree head.
    checkpoints: Vec<SignedCheckpoint>,
    seqs: HashMap<String, u64>,
    stopped: Option<String>,
}

struct Shared {
    config: LedgerConfig,
    log_verifier: VerifierKey,
    view: RwLock<View>,
}

/// An append-only, verifiable log over a [`Store`](crate::Store). `Send + Sync`: share it in an `Arc`.
pub struct Ledger {
    shared: Arc<Shared>,
    /// For small reads (cosignatures); exports open their own.
    reader: Mutex<Box<dyn crate::store::StoreRead>>,
    open_reader: crate::store::ReaderOpener,
    tx: Option<SyncSender<Request>>,
    writer: Option<JoinHandle<()>>,
}

fn chain_next(prev: &Hash, leaf: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(leaf);
    h.finalize().into()
}

impl Ledger {
    /// The log's public key (its name is the origin).
    pub fn log_key(&self) -> &VerifierKey {
        &self.shared.log_verifier
    }

    pub fn keyring(&self) -> &Keyring {
        &self.shared.config.keyring
    }

    /// The party id the log key authors the mediator's entries under.
    pub fn mediator(&self) -> &str {
        &self.shared.config.mediator
    }

    /// Size of the latest checkpoint: every entry below it is durable.
    pub fn size(&self) -> u64 {
        self.view()
            .checkpoints
            .last()
            .map_or(0, |c| c.checkpoint.size)
    }

    /// The seq `author`'s next entry must carry. Two submissions racing for the same
    /// seq: one wins, the other gets [`AppendError::Seq`].
    pub fn next_seq(&self, author: &str) -> u64 {
        self.view().seqs.get(author).map_or(1, |s| s + 1)
    }

    fn view(&self) -> std::sync::RwLockReadGuard<'_, View> {
        self.shared.view.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        // Closing the channel lets the writer finish what is queued and stop.
        drop(self.tx.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}
