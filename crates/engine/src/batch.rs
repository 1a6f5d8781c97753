//! Chunks of a JSON Lines file, classified off the sequential path.
//!
//! A replay reads the file in chunks of whole lines; worker threads turn each chunk into a
//! [`ClassifiedChunk`] (parsed, resolved, spatial predicates evaluated), and the engine
//! applies the chunks in file order. Nothing here does I/O: the caller owns the threads and
//! the reading.

use crate::agreement::{CategoryIndex, PartyIndex};
use std::sync::Arc;

use crate::classifier::SharingPlan;
use crate::engine::{Classifier, Engine, Hit, ReportRef};
use crate::error::ApplyError;
use crate::event::Event;
use crate::report::ReportReader;
use crate::time::Timestamp;

/// A bad line: its number in the file (from 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, Copy)]
struct ChunkReport {
    line: u64,
    t: Timestamp,
    unit_start: u32,
    unit_end: u32,
    party: PartyIndex,
    category: CategoryIndex,
    count: u64,
    lon: f64,
    lat: f64,
    hits_start: u32,
    hits_end: u32,
}

/// The reports of a chunk, ready to apply, and the first bad line if there is one (the
/// reports before it are kept, so that errors come out in file order).
#[derive(Debug, Default)]
pub struct ClassifiedChunk {
    reports: Vec<ChunkReport>,
    unit_names: String,
    hits: Vec<Hit>,
    pub error: Option<LineError>,
    /// Lines in the chunk, blank ones included.
    pub line_count: u64,
}

impl ClassifiedChunk {
    pub fn report_count(&self) -> usize {
        self.reports.len()
    }

    /// A report of this chunk as the engine applies it.
    fn report_ref(&self, r: &ChunkReport) -> ReportRef<'_> {
        ReportRef {
            t: r.t,
            unit: &self.unit_names[r.unit_start as usize..r.unit_end as usize],
            party: r.party,
            category: r.category,
            count: r.count,
            lon: r.lon,
            lat: r.lat,
            hits: &self.hits[r.hits_start as usize..r.hits_end as usize],
        }
    }
}

/// Parses and classifies `bytes` (whole lines), whose first line is line `first_line` of
/// its file. Stops at the first bad line.
pub fn classify_chunk(classifier: &Classifier, bytes: &[u8], first_line: u64) -> ClassifiedChunk {
    let mut chunk = ClassifiedChunk::default();
    classify_chunk_into(classifier, bytes, first_line, &mut chunk);
    chunk
}

/// As [`classify_chunk`], reusing `chunk`'s allocations (a replay recycles its chunks).
pub fn classify_chunk_into(
    classifier: &Classifier,
    bytes: &[u8],
    first_line: u64,
    chunk: &mut ClassifiedChunk,
) {
    classify_chunk_amended_into(classifier, None, bytes, first_line, chunk)
}

/// As [`classify_chunk_into`], with a new version entering into force: reports at or after
/// its instant are classified under it (spec/negotiation.md), as [`Engine::classifier_for`]
/// says.
pub fn classify_chunk_amended_into(
    first: &Classifier,
    next: Option<(&Classifier, Timestamp)>,
    bytes: &[u8],
    first_line: u64,
    chunk: &mut ClassifiedChunk,
) {
    chunk.reports.clear();
    chunk.unit_names.clear();
    chunk.hits.clear();
    chunk.error = None;
    chunk.line_count = 0;
    let mut reader = ReportReader::default();
    let mut at = 0;
    while at < bytes.len() {
        let number = first_line + chunk.line_count;
        let (taken, read) = reader.read_line(&bytes[at..]);
        at += taken;
        chunk.line_count += 1;
        let Some(read) = read else {
            continue; // a blank line
        };
        let hits_start = chunk.hits.len() as u32;
        let result = read.and_then(|report| {
            let classifier = match next {
                Some((next, at)) if report.t >= at => next,
                _ => first,
            };
            let (party, category) = classifier.classify(&report, &mut chunk.hits)?;
            let unit_start = chunk.unit_names.len() as u32;
            chunk.unit_names.push_str(&report.unit);
            Ok(ChunkReport {
                line: number,
                t: report.t,
                unit_start,
                unit_end: chunk.unit_names.len() as u32,
                party,
                category,
                count: report.count,
                lon: report.lon,
                lat: report.lat,
                hits_start,
                hits_end: 0,
            })
        });
        match result {
            Ok(mut report) => {
                report.hits_end = chunk.hits.len() as u32;
                chunk.reports.push(report);
            }
            Err(message) => {
                chunk.error = Some(LineError {
                    line: number,
                    message,
                });
                break;
            }
        }
    }
}

/// Two classifiers that classify the same reports (a draft and its baseline, say), with
/// what the second can take from the first's answers: when both declare the same forces,
/// a report's party and category are resolved once, and a question both ask alike (inside
/// the same zone, within the same distance of the same line) is answered once.
#[derive(Debug, Clone)]
pub struct PairClassifier {
    classifiers: [Arc<Classifier>; 2],
    plan: Option<SharingPlan>,
}

impl PairClassifier {
    pub fn new(first: Arc<Classifier>, second: Arc<Classifier>) -> PairClassifier {
        let plan = second.sharing_plan(&first);
        PairClassifier {
            classifiers: [first, second],
            plan,
        }
    }

    /// How many of the second's predicates are answered by the first's, out of how many,
    /// over all parties and categories (for a summary).
    pub fn shared_predicates(&self) -> Option<(usize, usize)> {
        self.plan.as_ref().map(SharingPlan::counts)
    }
}

/// As [`classify_chunk_into`] for two agreements at once: each line is read once and
/// classified by both. Both chunks stop at the first line either refuses (each with its
/// own error, or none if only the other refused), so that the two replays stop at the
/// same line.
pub fn classify_chunk_pair_into(
    pair: &PairClassifier,
    bytes: &[u8],
    first_line: u64,
    chunks: [&mut ClassifiedChunk; 2],
) {
    let classifiers = [&*pair.classifiers[0], &*pair.classifiers[1]];
    let [ca, cb] = chunks;
    for chunk in [&mut *ca, &mut *cb] {
        chunk.reports.clear();
        chunk.unit_names.clear();
        chunk.hits.clear();
        chunk.error = None;
        chunk.line_count = 0;
    }
    let mut reader = ReportReader::default();
    let mut at = 0;
    let mut line_count = 0;
    while at < bytes.len() {
        let number = first_line + line_count;
        let (taken, read) = reader.read_line::<String>(&bytes[at..]);
        at += taken;
        line_count += 1;
        let Some(read) = read else {
            continue; // a blank line
        };
        let report = match read {
            Ok(report) => report,
            Err(message) => {
                for chunk in [&mut *ca, &mut *cb] {
                    chunk.error = Some(LineError {
                        line: number,
                        message: message.clone(),
                    });
                }
                break;
            }
        };
        let mut failed = false;
        // The first agreement.
        let hits_a = ca.hits.len();
        let first = classifiers[0].classify(&report, &mut ca.hits);
        failed |= take(ca, &report, number, hits_a, first.clone());
        // The second: when it declares the same forces (the usual draft), the first's
        // party and category stand for it and the questions both ask alike are answered
        // once.
        let hits_b = cb.hits.len();
        let second = match (&first, &pair.plan) {
            (Ok((party, category)), Some(plan)) => {
                classifiers[1].classify_sharing(
                    &report,
                    *party,
                    *category,
                    plan,
                    &ca.hits[hits_a..],
                    &mut cb.hits,
                );
                Ok((*party, *category))
            }
            _ => classifiers[1].classify(&report, &mut cb.hits),
        };
        failed |= take(cb, &report, number, hits_b, second);
        if failed {
            // The line is the last of both: drop it from the one that took it.
            for chunk in [&mut *ca, &mut *cb] {
                if chunk.error.is_none() {
                    if let Some(r) = chunk.reports.pop() {
                        chunk.hits.truncate(r.hits_start as usize);
                        chunk.unit_names.truncate(r.unit_start as usize);
                    }
                }
            }
            break;
        }
    }
    ca.line_count = line_count;
    cb.line_count = line_count;
}

/// Adds a classified report to `chunk`, or its error; true on an error.
fn take(
    chunk: &mut ClassifiedChunk,
    report: &crate::report::RawReport,
    line: u64,
    hits_start: usize,
    classified: Result<(PartyIndex, CategoryIndex), crate::error::ApplyError>,
) -> bool {
    match classified {
        Ok((party, category)) => {
            let unit_start = chunk.unit_names.len() as u32;
            chunk.unit_names.push_str(&report.unit);
            chunk.reports.push(ChunkReport {
                line,
                t: report.t,
                unit_start,
                unit_end: chunk.unit_names.len() as u32,
                party,
                category,
                count: report.count,
                lon: report.lon,
                lat: report.lat,
                hits_start: hits_start as u32,
                hits_end: chunk.hits.len() as u32,
            });
            false
        }
        Err(err) => {
            chunk.hits.truncate(hits_start);
            chunk.error = Some(LineError {
                line,
                message: err.to_string(),
            });
            true
        }
    }
}

impl Engine {
    /// As [`Engine::apply`], and says what caused each event it appends (see
    /// [`Engine::apply_chunk_attributed`]).
    #[inline]
    pub fn apply_attributed(
        &mut self,
        report: &ReportRef,
        events: &mut Vec<Event>,
        causes: &mut Vec<Option<PartyIndex>>,
    ) -> Result<(), ApplyError> {
        // The windows up to the report's time first (apply would do it too), so that
        // their events are told apart from the report's own. A report out of order is
        // refused by apply below; no window instant lies at or before its time that has
        // not been applied already.
        if self.window_due(report.t) {
            self.advance_to(report.t, events);
            causes.resize(events.len(), None);
        }
        self.apply(report, events)?;
        causes.resize(events.len(), Some(report.party));
        Ok(())
    }

    /// As [`Engine::apply_chunk`], and says what caused each event: for `events[i]`,
    /// `causes[i]` is the party of the unit whose report made it, or `None` when a rule
    /// window's instant made it. Both vectors are appended to.
    pub fn apply_chunk_attributed(
        &mut self,
        chunk: &ClassifiedChunk,
        events: &mut Vec<Event>,
        causes: &mut Vec<Option<PartyIndex>>,
    ) -> Result<(), LineError> {
        for r in &chunk.reports {
            self.apply_attributed(&chunk.report_ref(r), events, causes)
                .map_err(|why| LineError {
                    line: r.line,
                    message: why.to_string(),
                })?;
        }
        match &chunk.error {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }

    /// Applies a classified chunk in order; on a bad line, the reports before it are applied
    /// and the error is returned.
    pub fn apply_chunk(
        &mut self,
        chunk: &ClassifiedChunk,
        events: &mut Vec<Event>,
    ) -> Result<(), LineError> {
        for r in &chunk.reports {
            let report = chunk.report_ref(r);
            self.apply(&report, events).map_err(|why| LineError {
                line: r.line,
                message: why.to_string(),
            })?;
        }
        match &chunk.error {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }
}
