//! The writer thread: it takes what queued up while the last commit was syncing and
//! commits it as one batch (group commit), entries and their checkpoint together.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::Arc;

use super::{chain_next, AppendError, Shared, MAX_BATCH_ENTRIES};
use crate::envelope::{Draft, Entry};
use crate::merkle::Hash;
use crate::note::Checkpoint;
use crate::receipt::Receipt;
use crate::store::{Attachment, Row, Store, StoreError, StoredCheckpoint};

pub(super) enum Request {
    Append(Entry, SyncSender<Result<Receipt, AppendError>>),
    /// An entry the log key signs, with the bytes it names, if any.
    Own(
        Draft,
        Option<Vec<u8>>,
        SyncSender<Result<Receipt, AppendError>>,
    ),
    Cosign(u64, String, String, SyncSender<Result<(), StoreError>>),
}

pub(super) struct Writer<S: Store> {
    pub(super) store: S,
    pub(super) shared: Arc<Shared>,
    pub(super) chain: Hash,
}

type Reply = SyncSender<Result<Receipt, AppendError>>;

impl<S: Store> Writer<S> {
    pub(super) fn run(mut self, rx: Receiver<Request>) {
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
                    Request::Append(_, reply) | Request::Own(_, _, reply) => {
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
        let mut attachments: Vec<Attachment> = Vec::new();
        let mut waiting: Vec<Reply> = Vec::with_capacity(batch.len());
        let mut cosigns = Vec::new();
        let mut chain = self.chain;
        for request in batch {
            let (entry, attached, reply) = match request {
                Request::Append(entry, reply) => (entry, None, reply),
                Request::Own(mut draft, attached, reply) => {
                    draft.seq = self.next_seq(&seqs, &draft.author);
                    match draft.sign(&config.log_key) {
                        Ok(e) => (e, attached, reply),
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
            let index = old_size + rows.len() as u64;
            if let Some(bytes) = attached {
                attachments.push(Attachment { index, bytes });
            }
            rows.push(Row {
                index,
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
            &attachments,
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
