//! The versions of the agreement the engine runs, each from the instant it enters into
//! force (spec/negotiation.md): reports before an instant are classified under the version
//! before it, at or after it under the new one.
//!
//! Reports are classified on the poster's thread, before the engine thread sees them, so
//! the poster needs to know which version each report's time falls under. The engine
//! thread is the only writer: it adds a version when the engine accepts it, and bumps the
//! generation, so that a batch classified under an older schedule is classified again on
//! the engine thread before it is applied (a countersignature landed in between).

use std::sync::atomic::{AtomicUsize, Ordering};
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

/// The schedule, shared by the posters (readers) and the engine thread (the writer), and
/// which version is in force as of the last report the engine applied.
pub struct Versions {
    schedule: RwLock<Arc<Schedule>>,
    in_force: AtomicUsize,
}

impl Versions {
    pub fn new(schedule: Schedule) -> Versions {
        Versions {
            schedule: RwLock::new(Arc::new(schedule)),
            in_force: AtomicUsize::new(0),
        }
    }

    pub fn current(&self) -> Arc<Schedule> {
        Arc::clone(&self.schedule.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The index in [`Schedule::versions`] of the version in force as of the last report
    /// applied (the engine's clock): what the map, the summary and `GET /v1/agreement`
    /// show.
    pub fn in_force_index(&self) -> usize {
        self.in_force.load(Ordering::Acquire)
    }

    /// The version in force as of the last report applied.
    pub fn in_force(&self) -> Scheduled {
        let schedule = self.current();
        let i = self.in_force_index().min(schedule.versions.len() - 1);
        schedule.versions[i].clone()
    }

    /// After the engine applied reports up to `last`: the version they fell under is the
    /// one in force.
    pub(super) fn advance(&self, last: Timestamp) {
        let schedule = self.current();
        if schedule.versions.len() == 1 {
            return;
        }
        let i = schedule
            .versions
            .iter()
            .rposition(|v| v.from.is_none_or(|from| last >= from))
            .unwrap_or(0);
        self.in_force.store(i, Ordering::Release);
    }

    /// Adds a version the engine accepted.
    pub(super) fn push(&self, from: Timestamp, classifier: Arc<Classifier>, sha256: String) {
        let mut guard = self.schedule.write().unwrap_or_else(|e| e.into_inner());
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
