//! The batch recorder: one thread that puts each applied batch in the ledger, in engine
//! order, off the engine's path.
//!
//! A batch's entry names its body by SHA-256 and carries it compressed; hashing and
//! compressing a 240 KB batch costs a couple of milliseconds, which on the engine thread
//! (or before it) would come before the next batch's events reach anyone. So the engine
//! thread hands each applied batch here with its events' entries and goes on; this thread
//! hashes, compresses and queues the batch's `reports/batch` entry and then its
//! `engine/events` entries, batch after batch in the order the engine applied them, so
//! the ledger's order of batches is the engine's (what restoring replays). It does not
//! wait for durability: the request that posted the batch waits for its receipts.
//!
//! The engine thread's other records (a version scheduled to enter into force) go through
//! the same queue, so that they stand in the ledger where the engine took them among the
//! batches, which is where restoring takes them again.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::json;
use sha2::{Digest, Sha256};
use truceline_ledger::ledger::{Ledger, Pending};

use crate::error::ApiError;

use super::restore::{BATCH_KIND, EVENTS_KIND};

/// Batches applied and not yet queued for the ledger; past this the engine thread waits.
const DEPTH: usize = 256;

/// What the engine thread hands over, in its order.
pub(super) enum Job {
    Batch(BatchJob),
    /// One entry of the mediator's (signed by the log key).
    Entry(EntryJob),
}

/// An entry the engine thread records among its batches.
pub(super) struct EntryJob {
    pub kind: &'static str,
    pub audience: Vec<String>,
    pub body: serde_json::Value,
    pub time_ms: u64,
    pub reply: SyncSender<Result<Pending, ApiError>>,
}

/// An applied batch, to record.
pub(super) struct BatchJob {
    pub body: Bytes,
    pub submitter: String,
    pub batch: u64,
    pub count: usize,
    pub first_t: String,
    pub last_t: String,
    /// Each events entry: its ledger audience and body.
    pub events: Vec<super::EventsEntry>,
    pub time_ms: u64,
    pub reply: SyncSender<Result<Queued, ApiError>>,
}

/// A batch's entries, queued.
pub(super) struct Queued {
    sha256: String,
    batch_entry: Pending,
    events: Vec<Pending>,
}

/// What the poster of a batch waits on: its entries' receipts.
pub struct Recording(pub(super) Receiver<Result<Queued, ApiError>>);

impl Recording {
    /// Blocks until the batch's entry and its events' entries are durable; the batch
    /// entry's index and the body's hex SHA-256.
    pub fn wait(self) -> Result<(u64, String), ApiError> {
        let queued = self
            .0
            .recv()
            .map_err(|_| ApiError::unavailable("the batch recorder has stopped"))??;
        let fail = |e: truceline_ledger::ledger::AppendError| {
            ApiError::unavailable(format!("the ledger refused the batch: {e}"))
        };
        let index = queued.batch_entry.wait().map_err(fail)?.index;
        for p in queued.events {
            p.wait().map_err(fail)?;
        }
        Ok((index, queued.sha256))
    }
}

/// Starts the recorder thread; its sender goes to the engine thread.
pub(super) fn start(ledger: Arc<Ledger>) -> SyncSender<Job> {
    let (tx, rx) = sync_channel::<Job>(DEPTH);
    std::thread::Builder::new()
        .name("batch-recorder".into())
        .spawn(move || {
            for job in rx {
                match job {
                    Job::Batch(job) => {
                        let reply = job.reply.clone();
                        let _ = reply.send(record(&ledger, job));
                    }
                    Job::Entry(job) => {
                        let queued = ledger
                            .submit_own(job.kind, job.audience, job.body, job.time_ms)
                            .map_err(|e| {
                                ApiError::unavailable(format!("the ledger refused the entry: {e}"))
                            });
                        let _ = job.reply.send(queued);
                    }
                }
            }
        })
        .expect("spawn the batch recorder");
    tx
}

fn record(ledger: &Ledger, job: BatchJob) -> Result<Queued, ApiError> {
    let sha256 = hex::encode(Sha256::digest(&job.body));
    let body = json!({
        "batch": job.batch,
        "submitter": job.submitter,
        "count": job.count,
        "first_t": job.first_t,
        "last_t": job.last_t,
        "sha256": sha256,
    });
    let refused = |e: truceline_ledger::ledger::AppendError| {
        ApiError::unavailable(format!("the ledger refused the batch: {e}"))
    };
    let batch_entry = ledger
        .submit_own_attached(
            BATCH_KIND,
            vec![job.submitter],
            body,
            job.time_ms,
            Some(super::body::pack(&job.body)),
        )
        .map_err(refused)?;
    let events = job
        .events
        .into_iter()
        .map(|(ids, body)| ledger.submit_own(EVENTS_KIND, ids, body, job.time_ms))
        .collect::<Result<Vec<_>, _>>()
        .map_err(refused)?;
    Ok(Queued {
        sha256,
        batch_entry,
        events,
    })
}
