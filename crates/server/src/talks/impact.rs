//! What two drafts would have meant over the reports the ledger holds (spec/negotiation.md,
//! "Impact"): each recorded batch's body, in ledger order, replayed through two fresh
//! engines, one per draft, and their breaches tallied per rule and per party.
//!
//! A party is told only the breaches its own units' reports caused under each draft: the
//! counts of the other side's are what its positions would reveal.

use std::collections::BTreeSet;
use std::sync::Arc;

use truceline_engine::agreement::PartyIndex;
use truceline_engine::{Agreement, Classifier, Engine, Event, ReportReader, ReportRef, Timestamp};
use truceline_ledger::ledger::Ledger;
use truceline_ledger::store::StoreError;
use truceline_negotiation::{ImpactReport, Tally};

use crate::live::body;

/// The period the impact covers: reports with `from <= t < to`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Period {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl Period {
    fn holds(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t < to)
    }
}

/// One draft's engine and tally.
struct Run {
    classifier: Classifier,
    engine: Engine,
    tally: Tally,
    /// When the impact is for one party: its index in this draft.
    only: Option<Option<PartyIndex>>,
    events: Vec<Event>,
    causes: Vec<Option<PartyIndex>>,
    hits: Vec<truceline_engine::Hit>,
}

impl Run {
    fn new(agreement: &Arc<Agreement>, only_party: Option<&str>) -> Run {
        Run {
            classifier: Classifier::new(Arc::clone(agreement)),
            engine: Engine::new(Arc::clone(agreement)),
            tally: Tally::new(Arc::clone(agreement)),
            only: only_party.map(|id| {
                agreement
                    .parties
                    .iter()
                    .position(|p| p.id == id)
                    .and_then(|i| PartyIndex::try_from(i).ok())
            }),
            events: Vec::new(),
            causes: Vec::new(),
            hits: Vec::new(),
        }
    }

    /// Applies one report; a report this draft cannot place (a party or category it does
    /// not have) is skipped for it, as is one the engine refuses.
    fn apply(&mut self, report: &truceline_engine::RawReport) {
        self.hits.clear();
        let Ok((party, category)) = self.classifier.classify(report, &mut self.hits) else {
            return;
        };
        let before = self.events.len();
        let applied = self.engine.apply_attributed(
            &ReportRef::of(report, party, category, &self.hits),
            &mut self.events,
            &mut self.causes,
        );
        if applied.is_err() {
            self.events.truncate(before);
            self.causes.truncate(before);
        }
    }

    fn count(&mut self) {
        if let Some(only) = self.only {
            let mut kept = Vec::new();
            let mut causes = Vec::new();
            for (e, c) in self.events.drain(..).zip(self.causes.drain(..)) {
                if only.is_some() && c == only {
                    kept.push(e);
                    causes.push(c);
                }
            }
            self.tally.count(&kept, &causes);
        } else {
            self.tally.count(&self.events, &self.causes);
            self.events.clear();
            self.causes.clear();
        }
    }
}

/// Replays the ledger's recorded batches in `period` under both drafts.
pub fn over_ledger(
    ledger: &Ledger,
    a: &Arc<Agreement>,
    b: &Arc<Agreement>,
    period: Period,
    only_party: Option<&str>,
) -> Result<ImpactReport, String> {
    let mut batches = BTreeSet::new();
    ledger
        .scan_entries::<truceline_ledger::ledger::ExportError>(0, &mut |index, entry| {
            if entry.draft().kind == crate::live::BATCH_KIND {
                batches.insert(index);
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    let mut runs = [Run::new(a, only_party), Run::new(b, only_party)];
    let mut reports = 0u64;
    let mut failed = None;
    ledger
        .scan_attachments(0, &mut |index, packed| {
            if !batches.contains(&index) {
                return Ok(());
            }
            let bytes = match body::unpack(&packed) {
                Ok(b) => b,
                Err(e) => {
                    failed = Some(format!("ledger entry {index}: {e}"));
                    return Err(StoreError::Interrupted);
                }
            };
            let mut reader = ReportReader::default();
            let mut at = 0;
            while at < bytes.len() {
                let (taken, read) = reader.read_line::<String>(&bytes[at..]);
                at += taken;
                let Some(Ok(report)) = read else { continue };
                if !period.holds(report.t) {
                    continue;
                }
                reports += 1;
                for run in &mut runs {
                    run.apply(&report);
                }
            }
            for run in &mut runs {
                run.count();
            }
            Ok(())
        })
        .map_err(|e| failed.take().unwrap_or_else(|| e.to_string()))?;
    let [ra, rb] = runs;
    Ok(truceline_negotiation::impact(&ra.tally, &rb.tally, reports))
}
