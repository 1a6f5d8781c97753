//! [`Ledger`]: the log a server holds. Appends from many threads go through one writer
//! thread that commits them in batches (group commit); every caller waits for its own
//! [`Receipt`], which exists only once its entry is durable.
//!
//! Opening checks the whole store: every envelope must hash to its stored leaf hash and
//! continue the hash chain, and every stored checkpoint must be signed by the log key and
//! rebuilt by the leaves. What it finds:
//! - rows past the last checkpoint: a torn tail. They were never acknowledged (entries
//!   and their checkpoint commit together), so they are deleted and counted in
//!   [`OpenReport::truncated`];
//! - anything wrong at or before the last checkpoint: [`LedgerError::Corrupt`] naming
//!   the index. The ledger refuses to open; nothing is repaired silently.

use std::collections::HashMap;
use std::io::Write;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use rayon::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::envelope::{Draft, Entry, EntryError};
use crate::export::{ExportWriter, Header, EXPORT_FORMAT, FULL_VIEW};
use crate::keys::{Keyring, SignerKey, VerifierKey};
use crate::merkle::{leaf_hash, Hash, MerkleTree, ProofError};
use crate::note::{Checkpoint, Note, NoteError, NoteSignature, SignedCheckpoint};
use crate::receipt::Receipt;
use crate::store::{Row, Store, StoreError, StoredCheckpoint};

/// Most entries one commit carries.
pub const MAX_BATCH_ENTRIES: usize = 4096;
/// Most appends waiting for the writer; past this, `append` blocks (back-pressure).
pub const QUEUE_DEPTH: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("store holds the log {found:?}, not {expected:?}")]
    WrongOrigin { found: String, expected: String },
    #[error("ledger is corrupt at index {index}: {what}")]
    Corrupt { index: u64, what: String },
    #[error("stored checkpoint of size {size} is invalid: {source}")]
    BadCheckpoint { size: u64, source: NoteError },
    #[error("mediator id {0:?} is not valid: {1}")]
    BadMediator(String, String),
}

/// Why an append was refused. Nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("author {0:?} is not in the keyring")]
    UnknownAuthor(String),
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error("author {author:?}: seq {got} is not the next one ({expected}); a replay, a gap or a race between two submissions")]
    Seq {
        author: String,
        expected: u64,
        got: u64,
    },
    #[error("the ledger stopped after a storage failure; reopen it: {0}")]
    Stopped(String),
}

#[derive(Debug, thiserror::Error)]
pub enum CosignError {
    #[error("no checkpoint of size {0}")]
    NoCheckpoint(u64),
    #[error("cosigner {0:?} is not in the keyring")]
    UnknownCosigner(String),
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored entry at index {index} is damaged: {what}")]
    Corrupt { index: u64, what: String },
}

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

enum Request {
    Append(Entry, SyncSender<Result<Receipt, AppendError>>),
    Own(Draft, SyncSender<Result<Receipt, AppendError>>),
    Cosign(u64, String, String, SyncSender<Result<(), StoreError>>),
}

/// An append in flight; [`Pending::wait`] returns its receipt once it is durable.
#[must_use = "an append is acknowledged only by its receipt"]
pub struct Pending {
    answer: Receiver<Result<Receipt, AppendError>>,
}

impl Pending {
    pub fn wait(self) -> Result<Receipt, AppendError> {
        self.answer
            .recv()
            .map_err(|_| AppendError::Stopped("writer thread ended".into()))?
    }
}

/// An append-only, verifiable log over a [`Store`]. `Send + Sync`: share it in an `Arc`.
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

    /// The log's public key (its name is the origin).
    pub fn log_key(&self) -> &VerifierKey {
        &self.shared.log_verifier
    }

    pub fn keyring(&self) -> &Keyring {
        &self.shared.config.keyring
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

    /// Appends an entry signed by a party. Blocks until it is durable (or refused).
    /// Signature checks run on the caller's thread, so appenders use every core.
    pub fn append(&self, entry: Entry) -> Result<Receipt, AppendError> {
        self.submit(entry)?.wait()
    }

    /// Checks an entry and queues it without waiting: one task can keep many appends in
    /// flight (they commit together) and wait for each receipt later. Entries submitted
    /// by one thread are committed in submission order, so an author may pipeline its
    /// seqs.
    pub fn submit(&self, entry: Entry) -> Result<Pending, AppendError> {
        let key = self
            .shared
            .config
            .keyring
            .get(entry.author())
            .ok_or_else(|| AppendError::UnknownAuthor(entry.author().to_owned()))?;
        entry.verify(key)?;
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Request::Append(entry, reply))?;
        Ok(Pending { answer })
    }

    /// Parses, checks and appends submitted envelope bytes.
    pub fn append_bytes(&self, bytes: &[u8]) -> Result<Receipt, AppendError> {
        self.append(Entry::parse(bytes)?)
    }

    /// Appends an entry the mediator authors (engine events, say): the writer assigns the
    /// seq and signs with the log key under the mediator's party id.
    pub fn append_own(
        &self,
        kind: &str,
        audience: Vec<String>,
        body: Value,
        time_ms: u64,
    ) -> Result<Receipt, AppendError> {
        self.submit_own(kind, audience, body, time_ms)?.wait()
    }

    /// [`Self::append_own`] without waiting: entries one thread submits are committed in
    /// that order, and those queued together share one commit (one fsync).
    pub fn submit_own(
        &self,
        kind: &str,
        audience: Vec<String>,
        body: Value,
        time_ms: u64,
    ) -> Result<Pending, AppendError> {
        let draft = Draft {
            seq: 1,
            time_ms,
            author: self.shared.config.mediator.clone(),
            kind: kind.to_owned(),
            audience,
            body,
        }
        .normalise()?;
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Request::Own(draft, reply))?;
        Ok(Pending { answer })
    }

    fn send(&self, request: Request) -> Result<(), AppendError> {
        if let Some(why) = &self.view().stopped {
            return Err(AppendError::Stopped(why.clone()));
        }
        let tx = self.tx.as_ref().expect("sender lives until drop");
        tx.send(request)
            .map_err(|_| AppendError::Stopped("writer thread ended".into()))
    }

    /// The latest checkpoint with its stored cosignatures.
    pub fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, StoreError> {
        let latest = self.view().checkpoints.last().cloned();
        latest.map(|cp| self.with_cosignatures(cp)).transpose()
    }

    fn with_cosignatures(&self, mut cp: SignedCheckpoint) -> Result<SignedCheckpoint, StoreError> {
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

    /// Calls `f` with each published entry from index `from` on (up to the latest
    /// checkpoint), in index order, from a reader of its own: what a projection catches up
    /// from. Stops at the first error `f` returns and gives it back.
    pub fn scan_entries<E: From<ExportError>>(
        &self,
        from: u64,
        f: &mut dyn FnMut(u64, Entry) -> Result<(), E>,
    ) -> Result<u64, E> {
        let size = self.size();
        if from >= size {
            return Ok(size);
        }
        let reader = (self.open_reader)().map_err(|e| E::from(ExportError::Store(e)))?;
        let mut failed: Option<E> = None;
        let scanned = reader.scan(from, size, &mut |row| {
            let entry = Entry::parse(&row.envelope).map_err(|e| {
                failed = Some(E::from(ExportError::Corrupt {
                    index: row.index,
                    what: e.to_string(),
                }));
                StoreError::Interrupted
            })?;
            f(row.index, entry).map_err(|e| {
                failed = Some(e);
                StoreError::Interrupted
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        scanned.map_err(|e| E::from(ExportError::Store(e)))?;
        Ok(size)
    }

    /// Writes an export for `party` (or [`FULL_VIEW`] for everything) of the latest
    /// published tree: bodies the party may read, leaf hashes for the rest, every
    /// checkpoint with its cosignatures, and receipts for the party's own entries.
    pub fn export(&self, party: &str, out: &mut dyn Write) -> Result<u64, ExportError> {
        let (checkpoints, size) = {
            let view = self.view();
            (
                view.checkpoints.clone(),
                view.checkpoints.last().map_or(0, |c| c.checkpoint.size),
            )
        };
        let header = Header {
            format: EXPORT_FORMAT.into(),
            origin: self.shared.log_verifier.name().into(),
            party: party.into(),
            size,
        };
        let mut w = ExportWriter::new(out, &header)?;
        let mut own: Vec<(u64, Hash)> = Vec::new();
        // A reader of its own, so a long export blocks nobody.
        let reader = (self.open_reader)()?;
        let mut result: Result<(), ExportError> = Ok(());
        reader
            .scan(0, size, &mut |row| {
                let step = (|| {
                    if leaf_hash(&row.envelope) != row.leaf {
                        return Err(ExportError::Corrupt {
                            index: row.index,
                            what: "envelope does not hash to its leaf hash".into(),
                        });
                    }
                    let entry = Entry::parse(&row.envelope).map_err(|e| ExportError::Corrupt {
                        index: row.index,
                        what: e.to_string(),
                    })?;
                    if party == FULL_VIEW || entry.readable_by(party) {
                        w.entry(row.index, entry.bytes())?;
                    } else {
                        w.leaf(row.index, &row.leaf)?;
                    }
                    if entry.author() == party {
                        own.push((row.index, row.leaf));
                    }
                    Ok(())
                })();
                match step {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        result = Err(e);
                        Err(StoreError::Interrupted)
                    }
                }
            })
            .or_else(|e| match e {
                StoreError::Interrupted => Ok(()),
                e => Err(e),
            })?;
        result?;
        for cp in &checkpoints {
            w.checkpoint(&self.with_cosignatures(cp.clone())?.to_string())?;
        }
        for (index, leaf) in own {
            let cp = checkpoints
                .iter()
                .find(|c| c.checkpoint.size > index)
                .expect("index below the last size");
            let inclusion = self
                .view()
                .tree
                .inclusion_proof(index, cp.checkpoint.size)
                .expect("in range");
            w.receipt(&Receipt {
                index,
                leaf_hash: leaf,
                checkpoint: cp.to_string(),
                inclusion,
            })?;
        }
        w.finish()?;
        Ok(size)
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

struct Writer<S: Store> {
    store: S,
    shared: Arc<Shared>,
    chain: Hash,
}

type Reply = SyncSender<Result<Receipt, AppendError>>;

impl<S: Store> Writer<S> {
    fn run(mut self, rx: Receiver<Request>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            // Everything that queued up while the last commit was syncing goes in this one.
            while batch.len() < MAX_BATCH_ENTRIES {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            self.commit(batch);
        }
    }

    fn commit(&mut self, batch: Vec<Request>) {
        let stopped = self
            .shared
            .view
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .stopped
            .clone();
        if let Some(why) = stopped {
            for r in batch {
                match r {
                    Request::Append(_, reply) | Request::Own(_, reply) => {
                        drop(reply.send(Err(AppendError::Stopped(why.clone()))))
                    }
                    Request::Cosign(.., reply) => {
                        drop(reply.send(Err(StoreError::Stopped(why.clone()))))
                    }
                }
            }
            return;
        }
        let config = &self.shared.config;
        let (old_size, mut seqs) = {
            let view = self.shared.view.read().unwrap_or_else(|e| e.into_inner());
            (view.tree.len(), HashMap::<String, u64>::new())
        };
        let mut rows: Vec<Row> = Vec::with_capacity(batch.len());
        let mut waiting: Vec<Reply> = Vec::with_capacity(batch.len());
        let mut cosigns = Vec::new();
        let mut chain = self.chain;
        for request in batch {
            let (entry, reply) = match request {
                Request::Append(entry, reply) => (entry, reply),
                Request::Own(mut draft, reply) => {
                    draft.seq = self.next_seq(&seqs, &draft.author);
                    match draft.sign(&config.log_key) {
                        Ok(e) => (e, reply),
                        Err(e) => {
                            let _ = reply.send(Err(e.into()));
                            continue;
                        }
                    }
                }
                Request::Cosign(size, name, line, reply) => {
                    cosigns.push((size, name, line, reply));
                    continue;
                }
            };
            let expected = self.next_seq(&seqs, entry.author());
            if entry.seq() != expected {
                let _ = reply.send(Err(AppendError::Seq {
                    author: entry.author().to_owned(),
                    expected,
                    got: entry.seq(),
                }));
                continue;
            }
            seqs.insert(entry.author().to_owned(), entry.seq());
            let leaf = entry.leaf_hash();
            chain = chain_next(&chain, &leaf);
            rows.push(Row {
                index: old_size + rows.len() as u64,
                leaf,
                chain,
                author: entry.author().to_owned(),
                seq: entry.seq(),
                envelope: entry.into_bytes(),
            });
            waiting.push(reply);
        }
        for (size, name, line, reply) in cosigns {
            let _ = reply.send(self.store.add_cosignature(size, &name, &line));
        }
        if rows.is_empty() {
            return;
        }
        let new_size = old_size + rows.len() as u64;
        let signed = {
            let mut view = self.shared.view.write().unwrap_or_else(|e| e.into_inner());
            for r in &rows {
                view.tree.push(r.leaf);
            }
            Checkpoint {
                origin: config.log_key.name().to_owned(),
                size: new_size,
                root: view.tree.root(),
            }
            .sign(&config.log_key)
        };
        let note = signed.to_string();
        if let Err(e) = self.store.append(
            &rows,
            &StoredCheckpoint {
                size: new_size,
                note: note.clone(),
            },
        ) {
            // The store's state after a failed commit is not ours to guess: stop taking
            // appends; reopening re-checks everything.
            let why = e.to_string();
            let mut view = self.shared.view.write().unwrap_or_else(|e| e.into_inner());
            view.tree.truncate(old_size);
            view.stopped = Some(why.clone());
            drop(view);
            for reply in waiting {
                let _ = reply.send(Err(AppendError::Stopped(why.clone())));
            }
            return;
        }
        self.chain = chain;
        let proofs: Vec<Vec<Hash>> = {
            let mut view = self.shared.view.write().unwrap_or_else(|e| e.into_inner());
            view.seqs.extend(seqs);
            view.checkpoints.push(signed);
            rows.iter()
                .map(|r| {
                    view.tree
                        .inclusion_proof(r.index, new_size)
                        .expect("in range")
                })
                .collect()
        };
        for ((row, reply), inclusion) in rows.iter().zip(waiting).zip(proofs) {
            let _ = reply.send(Ok(Receipt {
                index: row.index,
                leaf_hash: row.leaf,
                checkpoint: note.clone(),
                inclusion,
            }));
        }
    }

    fn next_seq(&self, batch_seqs: &HashMap<String, u64>, author: &str) -> u64 {
        if let Some(s) = batch_seqs.get(author) {
            return s + 1;
        }
        self.shared
            .view
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .seqs
            .get(author)
            .map_or(1, |s| s + 1)
    }
}
