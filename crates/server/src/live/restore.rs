//! The engine's state after a restart: every report batch the ledger holds, replayed in
//! ledger order before the server answers anyone.
//!
//! The engine owns compliance state (where each unit is, cap totals, open breaches), and
//! that state is a function of the reports it applied, in order. Each `reports/batch`
//! entry carries its body as an attachment (committed with it, named by its SHA-256), and
//! the entries are queued on the engine thread in engine order, so replaying them gives
//! the engine exactly the state it had when the server stopped.
//!
//! A crash can fall between a batch's entry and its events' entries. The batch was never
//! acknowledged then, but it is in the record, so its events belong there too: a replayed
//! batch whose events have no `engine/events` entry after it gets them now, with feed
//! items, as the live path would have made them.
//!
//! The engine's own acts are taken again where they stand among the batches, since the
//! engine thread recorded each in that order when it took it: a version countersigned to
//! enter into force (`version/countersigned`, which carries the version's files) and a
//! phase certified complete (`phase/certified`).
//!
//! Batch entries written before bodies were kept (no attachment) cannot be replayed; the
//! engine of that time also started empty at each restart, so replay begins after the last
//! of them, which is the state the server had.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use truceline_ledger::ledger::ExportError;
use truceline_ledger::store::StoreError;

use crate::access::Principal;

use super::{prepare, Worker};

/// A report batch's entry kind.
pub const BATCH_KIND: &str = "reports/batch";
/// A batch's events' entry kind (one per audience and view).
pub const EVENTS_KIND: &str = "engine/events";
/// The mediator's countersignature that puts a version in force at an instant.
pub const COUNTERSIGNED_KIND: &str = "version/countersigned";
/// The mediator's certification that a phase is complete.
pub const CERTIFIED_KIND: &str = "phase/certified";

/// What restoring did, for the server's start-up line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    pub batches: u64,
    pub reports: u64,
    /// Batch entries with no body (written by an older truceline), not replayed.
    pub without_body: u64,
    /// Events of a batch whose events' entries a crash lost, recorded now.
    pub events_recorded: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("ledger entry {index} ({BATCH_KIND}): {what}")]
    Batch { index: u64, what: String },
    #[error("reading the ledger: {0}")]
    Read(String),
    #[error("recording the events a crash lost: {0}")]
    Record(String),
    #[error("ledger entry {index} ({kind}): {what}")]
    EngineAct {
        index: u64,
        kind: &'static str,
        what: String,
    },
}

impl From<ExportError> for RestoreError {
    fn from(e: ExportError) -> Self {
        RestoreError::Read(e.to_string())
    }
}

/// A batch entry as the replay needs it.
struct BatchEntry {
    batch: u64,
    submitter: String,
    sha256: String,
}

/// One of the engine's own acts, as the engine takes it again.
enum EngineAct {
    Version {
        at: truceline_engine::Timestamp,
        sha256: String,
        classifier: std::sync::Arc<truceline_engine::Classifier>,
    },
    Certification {
        phase: String,
        at: truceline_engine::Timestamp,
    },
}

/// Reads a `phase/certified` entry's body.
fn certification_entry(index: u64, body: &serde_json::Value) -> Result<EngineAct, RestoreError> {
    let bad = |what: String| RestoreError::EngineAct {
        index,
        kind: CERTIFIED_KIND,
        what,
    };
    let text = |key: &str| {
        body.get(key)
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad(format!("its body has no {key:?}")))
    };
    Ok(EngineAct::Certification {
        phase: text("phase")?.to_owned(),
        at: truceline_engine::Timestamp::parse(text("at")?).map_err(|e| bad(format!("at: {e}")))?,
    })
}

/// Reads a `version/countersigned` entry's body: its instant and its files, built and
/// checked against the hash it names.
fn version_entry(index: u64, body: &serde_json::Value) -> Result<EngineAct, RestoreError> {
    let bad = |what: String| RestoreError::EngineAct {
        index,
        kind: COUNTERSIGNED_KIND,
        what,
    };
    let text = |key: &str| {
        body.get(key)
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad(format!("its body has no {key:?}")))
    };
    let at = truceline_engine::Timestamp::parse(text("in_force_at")?)
        .map_err(|e| bad(format!("in_force_at: {e}")))?;
    let bundle = crate::talks::Bundle {
        agreement_toml: text("agreement_toml")?.to_owned(),
        geometry: text("geometry")?.to_owned(),
    };
    let draft = bundle.build().map_err(|e| bad(e.to_string()))?;
    let sha256 = text("sha256")?;
    if draft.sha256 != sha256 {
        return Err(bad(format!(
            "its files hash to {}, not to the sha256 it names",
            draft.sha256
        )));
    }
    Ok(EngineAct::Version {
        at,
        sha256: draft.sha256,
        classifier: std::sync::Arc::new(truceline_engine::Classifier::new(draft.agreement)),
    })
}

impl Worker {
    /// Takes again, in ledger order, the engine's own acts before ledger index `before`.
    fn take_engine_acts_before(
        &mut self,
        acts: &mut std::iter::Peekable<std::collections::btree_map::IntoIter<u64, EngineAct>>,
        before: u64,
    ) -> Result<(), RestoreError> {
        while let Some((index, act)) = acts.next_if(|(i, _)| *i < before) {
            let (kind, taken) = match act {
                EngineAct::Version {
                    at,
                    sha256,
                    classifier,
                } => (
                    COUNTERSIGNED_KIND,
                    self.schedule(classifier, at, sha256)
                        .map_err(|e| e.to_string()),
                ),
                EngineAct::Certification { phase, at } => (
                    CERTIFIED_KIND,
                    self.engine
                        .certify_phase(&phase, at)
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                ),
            };
            taken.map_err(|what| RestoreError::EngineAct { index, kind, what })?;
        }
        Ok(())
    }

    /// Replays the ledger's report batches into this (new) worker's engine and tracker.
    pub(super) fn restore(&mut self) -> Result<Restored, RestoreError> {
        let ledger = std::sync::Arc::clone(self.outlets.recorder.ledger());
        let mut batches: BTreeMap<u64, BatchEntry> = BTreeMap::new();
        let mut engine_acts: BTreeMap<u64, EngineAct> = BTreeMap::new();
        // Batch number -> index of the last `engine/events` entry naming it.
        let mut events_at: HashMap<u64, u64> = HashMap::new();
        let mut highest_batch = 0;
        ledger.scan_entries::<RestoreError>(0, &mut |index, entry| {
            let draft = entry.draft();
            let batch = draft.body.get("batch").and_then(|b| b.as_u64());
            match draft.kind.as_str() {
                BATCH_KIND => {
                    let bad = |what: &str| RestoreError::Batch {
                        index,
                        what: what.to_owned(),
                    };
                    let text = |key: &str| {
                        draft
                            .body
                            .get(key)
                            .and_then(|v| v.as_str())
                            .map(str::to_owned)
                            .ok_or_else(|| bad(&format!("its body has no {key:?}")))
                    };
                    let batch = batch.ok_or_else(|| bad("its body has no \"batch\" number"))?;
                    highest_batch = highest_batch.max(batch);
                    batches.insert(
                        index,
                        BatchEntry {
                            batch,
                            submitter: text("submitter")?,
                            sha256: text("sha256")?,
                        },
                    );
                }
                EVENTS_KIND => {
                    if let Some(b) = batch {
                        events_at.insert(b, index);
                    }
                }
                COUNTERSIGNED_KIND if draft.author == ledger.mediator() => {
                    engine_acts.insert(index, version_entry(index, &draft.body)?);
                }
                CERTIFIED_KIND if draft.author == ledger.mediator() => {
                    engine_acts.insert(index, certification_entry(index, &draft.body)?);
                }
                _ => {}
            }
            Ok(())
        })?;
        let mut restored = Restored::default();
        let mut engine_acts = engine_acts.into_iter().peekable();
        if batches.is_empty() {
            self.take_engine_acts_before(&mut engine_acts, u64::MAX)?;
            return Ok(restored);
        }
        let agreement = std::sync::Arc::clone(self.engine.agreement());
        let mut pending = Vec::new();
        let mut last_item: Option<u64> = None;
        let mut failed: Option<RestoreError> = None;
        let mut replayed_any = false;
        let mut events = Vec::new();
        let mut unreplayed = batches.keys().copied().peekable();
        ledger
            .scan_attachments(0, &mut |index, bytes| {
                let Some(entry) = batches.get(&index) else {
                    return Ok(());
                };
                // Batch entries before this one without a body: older than bodies.
                while unreplayed.next_if(|&i| i < index).is_some() {
                    if replayed_any {
                        failed = Some(RestoreError::Batch {
                            index,
                            what: "an earlier batch entry has no body though one before it has; \
                                   this ledger was written by an older truceline after a newer one"
                                .into(),
                        });
                        return Err(StoreError::Interrupted);
                    }
                    restored.without_body += 1;
                }
                unreplayed.next();
                let step = (|| {
                    self.take_engine_acts_before(&mut engine_acts, index)?;
                    let bad = |what: String| RestoreError::Batch { index, what };
                    let bytes = super::body::unpack(&bytes).map_err(|e| bad(e.to_string()))?;
                    if hex::encode(Sha256::digest(&bytes)) != entry.sha256 {
                        return Err(bad(
                            "its attached body does not hash to the sha256 it names".into(),
                        ));
                    }
                    let role = agreement
                        .parties
                        .iter()
                        .find(|p| p.id == entry.submitter)
                        .map(|p| p.role)
                        .ok_or_else(|| {
                            bad(format!("submitter {:?} is no party", entry.submitter))
                        })?;
                    let who = Principal {
                        id: entry.submitter.clone(),
                        role,
                    };
                    let p = prepare(&self.versions.current(), Bytes::from(bytes), &who)
                        .map_err(|e| bad(e.to_string()))?;
                    self.check(&p).map_err(|e| bad(e.to_string()))?;
                    self.batch = entry.batch - 1;
                    self.apply_checked(&p, &mut events)
                        .map_err(|e| bad(e.to_string()))?;
                    let recorded = events_at.get(&entry.batch).is_some_and(|&at| at > index);
                    if !events.is_empty() && !recorded {
                        let (items, entries) = self.publish_events(&events, self.clock.now_ms());
                        for (ids, body) in entries {
                            pending.push(
                                ledger
                                    .submit_own(
                                        EVENTS_KIND,
                                        ids,
                                        body,
                                        self.clock.now_ms().max(0) as u64,
                                    )
                                    .map_err(|e| RestoreError::Record(e.to_string()))?,
                            );
                        }
                        restored.events_recorded += events.len() as u64;
                        last_item = items.last().map(|i| i.id).or(last_item);
                    }
                    self.tracker.observe(p.reports());
                    self.tracks.observe(p.reports());
                    restored.batches += 1;
                    restored.reports += p.len() as u64;
                    Ok(())
                })();
                replayed_any = true;
                step.map_err(|e| {
                    failed = Some(e);
                    StoreError::Interrupted
                })
            })
            .map_err(|e| match failed.take() {
                Some(f) => f,
                None => RestoreError::Read(e.to_string()),
            })?;
        let after = unreplayed.count() as u64;
        if after > 0 && replayed_any {
            return Err(RestoreError::Read(format!(
                "the last {after} batch entries have no body though earlier ones have; \
                 this ledger was written by an older truceline after a newer one"
            )));
        }
        restored.without_body += after;
        self.take_engine_acts_before(&mut engine_acts, u64::MAX)?;
        for p in pending {
            p.wait().map_err(|e| RestoreError::Record(e.to_string()))?;
        }
        // Their feed items are on disk before anyone is served.
        if let Some(id) = last_item {
            self.outlets.feed.wait_announced_blocking(id);
        }
        // New batches never reuse a number, whatever older servers numbered.
        self.batch = self.batch.max(highest_batch);
        Ok(restored)
    }
}
