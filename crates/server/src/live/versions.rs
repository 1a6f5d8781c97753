//! The versions of the agreement the engine runs, each from the instant it enters into
//! force (spec/negotiation.md): reports before an instant are classified under the version
//! before it, at or after it under the new one.
//!
//! Reports are classified on the poster's thread, before the engine thread sees them, so
//! the poster needs to know which version each report's time falls under. The engine
//! thread is the only writer: it adds a version when the engine accepts it, and bumps the
//! generation, so that a batch classified under an older schedule is classified again on
//! the engine thread before it is applied (a countersignature landed in between).

use std::sync::{Arc, RwLock};

use truceline_engine::{Classifier, Timestamp};

/// One version the engine runs or will run.
#[derive(Clone)]
pub struct Scheduled {
    /// `None` for the version the ledger began under.
    pub from: Option<Timestamp>,
    pub classifier: Arc<Classifier>,
    /// The version's identity (spec/negotiation.md, "Drafts").
    pub sha256: String,
}

/// The versions in the order they enter into force.
#[derive(Clone)]
pub struct Schedule {
    pub generation: u64,
    versions: Vec<Scheduled>,
}

impl Schedule {
    /// One version, in force from the start.
    pub fn single(classifier: Arc<Classifier>, sha256: String) -> Schedule {
        Schedule {
            generation: 0,
            versions: vec![Scheduled {
                from: None,
                classifier,
                sha256,
            }],
        }
    }

    /// The version a report at `t` is evaluated under.
    pub fn version_at(&self, t: Timestamp) -> &Scheduled {
        self.versions
            .iter()
            .rev()
            .find(|v| v.from.is_none_or(|from| t >= from))
            .unwrap_or(&self.versions[0])
    }

    pub fn classifier_for(&self, t: Timestamp) -> &Arc<Classifier> {
        &self.version_at(t).classifier
    }

    /// The newest version, whether or not its instant has come.
    pub fn latest(&self) -> &Scheduled {
        self.versions.last().unwrap_or(&self.versions[0])
    }

    pub fn versions(&self) -> &[Scheduled] {
        &self.versions
    }
}

/// The schedule, shared by the posters (readers) and the engine thread (the writer).
pub struct Versions(RwLock<Arc<Schedule>>);

impl Versions {
    pub fn new(schedule: Schedule) -> Versions {
        Versions(RwLock::new(Arc::new(schedule)))
    }

    pub fn current(&self) -> Arc<Schedule> {
        Arc::clone(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Adds a version the engine accepted.
    pub(super) fn push(&self, from: Timestamp, classifier: Arc<Classifier>, sha256: String) {
        let mut guard = self.0.write().unwrap_or_else(|e| e.into_inner());
        let mut next = (**guard).clone();
        next.generation += 1;
        next.versions.push(Scheduled {
            from: Some(from),
            classifier,
            sha256,
        });
        *guard = Arc::new(next);
    }
}
