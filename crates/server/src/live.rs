//! Live compliance: one thread owns the engine and applies batches in the order they
//! arrive on a bounded channel, so that report order is defined and the engine's state is
//! never shared. Parsing and the spatial half of classification run on the caller's thread.
//!
//! A batch is all or nothing: every line is read and classified, then checked against the
//! engine's clock and the units it knows (time order, a unit's party and category) before
//! the first report is applied, so that bad input never changes state.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use truceline_engine::agreement::{CategoryIndex, PartyIndex, Role, RuleKind};
use truceline_engine::engine::MAX_UNITS;
use truceline_engine::{Agreement, Classifier, Engine, Event, Hit, ReportRef, Timestamp};

use crate::access::{Audience, Principal};
use crate::console::Tracker;
use crate::error::ApiError;
use crate::feed::{Feed, FeedItem, NewItem};

/// Reports in one batch.
pub const MAX_BATCH_REPORTS: usize = 100_000;
/// Batches waiting for the engine; past this, posters wait (back-pressure).
pub const QUEUE_DEPTH: usize = 64;

#[derive(Debug, Clone)]
struct Prepared1 {
    line: u64,
    t: Timestamp,
    unit: Range<u32>,
    party: PartyIndex,
    category: CategoryIndex,
    count: u64,
    lon: f64,
    lat: f64,
    hits: Range<u32>,
}

/// A batch read and classified, not yet applied.
#[derive(Debug, Default)]
pub struct Prepared {
    reports: Vec<Prepared1>,
    names: String,
    hits: Vec<Hit>,
}

impl Prepared {
    pub fn len(&self) -> usize {
        self.reports.len()
    }
    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
    }
    fn unit(&self, r: &Prepared1) -> &str {
        &self.names[r.unit.start as usize..r.unit.end as usize]
    }
    fn report<'a>(&'a self, r: &Prepared1) -> ReportRef<'a> {
        ReportRef {
            t: r.t,
            unit: self.unit(r),
            party: r.party,
            category: r.category,
            count: r.count,
            lon: r.lon,
            lat: r.lat,
            hits: &self.hits[r.hits.start as usize..r.hits.end as usize],
        }
    }
    /// The reports in body order.
    pub fn reports(&self) -> impl Iterator<Item = ReportRef<'_>> {
        self.reports.iter().map(|r| self.report(r))
    }
}

/// Reads and classifies JSON Lines (one object is a batch of one), refusing the whole batch
/// at its first bad line, and reports the submitter may not make.
pub fn prepare(
    classifier: &Classifier,
    bytes: &[u8],
    who: &Principal,
) -> Result<Prepared, ApiError> {
    if who.role == Role::Observer {
        return Err(ApiError::forbidden(
            "observers do not submit position reports",
        ));
    }
    let mut out = Prepared::default();
    // One reader for the whole body: lines written alike are read by the layout the
    // first of them taught it.
    let mut reader = truceline_engine::ReportReader::default();
    let mut at = 0;
    let mut line_no = 0u64;
    while at < bytes.len() {
        line_no += 1;
        let (taken, read) = reader.read_line(&bytes[at..]);
        at += taken;
        let Some(read) = read else { continue };
        if out.reports.len() == MAX_BATCH_REPORTS {
            return Err(ApiError::too_large(format!(
                "more than {MAX_BATCH_REPORTS} reports in one batch; split it"
            )));
        }
        let bad = |m: String| {
            ApiError::unprocessable(format!(
                "line {line_no}: {m}; nothing in this batch was applied"
            ))
        };
        let report = read.map_err(bad)?;
        if who.role == Role::Party && report.party != who.id {
            return Err(ApiError::forbidden(format!(
                "line {line_no}: {} may report only its own units, not {:?}'s",
                who.id, report.party
            )));
        }
        let hits_start = out.hits.len() as u32;
        let (party, category) = classifier.classify(&report, &mut out.hits).map_err(bad)?;
        let unit_start = out.names.len() as u32;
        out.names.push_str(&report.unit);
        out.reports.push(Prepared1 {
            line: line_no,
            t: report.t,
            unit: unit_start..out.names.len() as u32,
            party,
            category,
            count: report.count,
            lon: report.lon,
            lat: report.lat,
            hits: hits_start..out.hits.len() as u32,
        });
    }
    if out.reports.is_empty() {
        return Err(ApiError::unprocessable("no reports in the body"));
    }
    Ok(out)
}

/// What applying a batch did.
#[derive(Debug, Clone)]
pub struct Applied {
    /// Sequence number of the batch in engine order, from 1.
    pub batch: u64,
    pub count: usize,
    pub first_t: Timestamp,
    pub last_t: Timestamp,
    pub events: Vec<LiveEvent>,
}

/// An engine event as published: its feed item and, when it names a unit, where that unit
/// was last reported.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub item: Arc<FeedItem>,
    pub event: Event,
    pub position: Option<[f64; 2]>,
}

/// The present, for summaries and notice checks.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Snapshot {
    pub units: usize,
    pub last_report_t: Option<String>,
    /// Cap rule id -> current total in its zone.
    pub cap_totals: BTreeMap<String, u64>,
    pub open_breaches: Vec<Event>,
}

enum Command {
    Apply(Prepared, oneshot::Sender<Result<Applied, ApiError>>),
    Snapshot(oneshot::Sender<Snapshot>),
}

/// Called on the engine thread with each batch's events, after they are in the feed.
pub type EventSink = Arc<dyn Fn(&[LiveEvent]) + Send + Sync>;

/// The handle to the engine thread.
#[derive(Clone)]
pub struct Live {
    tx: mpsc::Sender<Command>,
    classifier: Arc<Classifier>,
}

impl Live {
    pub fn start(
        agreement: Arc<Agreement>,
        feed: Arc<Feed>,
        sink: EventSink,
        tracker: Arc<Tracker>,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Live {
        let classifier = Arc::new(Classifier::new(agreement));
        let engine = Engine::with_classifier(Arc::clone(&classifier));
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let worker = Worker {
            engine,
            feed,
            sink,
            tracker,
            clock,
            open: BTreeMap::new(),
            batch: 0,
        };
        std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || worker.run(rx))
            .expect("spawn engine thread");
        Live { tx, classifier }
    }

    pub fn classifier(&self) -> &Arc<Classifier> {
        &self.classifier
    }

    pub async fn apply(&self, prepared: Prepared) -> Result<Applied, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Apply(prepared, reply))
            .await
            .map_err(|_| ApiError::unavailable("the engine has stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::unavailable("the engine has stopped"))?
    }

    pub async fn snapshot(&self) -> Result<Snapshot, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Snapshot(reply))
            .await
            .map_err(|_| ApiError::unavailable("the engine has stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::unavailable("the engine has stopped"))
    }
}

/// A breach: its rule, unit and other unit.
type BreachKey = (Arc<str>, Option<Arc<str>>, Option<Arc<str>>);

struct Worker {
    engine: Engine,
    feed: Arc<Feed>,
    sink: EventSink,
    tracker: Arc<Tracker>,
    clock: Arc<dyn crate::clock::Clock>,
    /// Breaches now open, keyed by rule, unit and other unit.
    open: BTreeMap<BreachKey, Event>,
    batch: u64,
}

/// The parties an event is about: whose forces it names.
pub fn event_parties(agreement: &Agreement, event: &Event) -> Vec<String> {
    let rule = agreement.rules.iter().find(|r| *r.id == *event.rule);
    match rule.map(|r| &r.kind) {
        Some(RuleKind::Separation { parties, .. }) => parties
            .iter()
            .map(|&p| agreement.parties[usize::from(p)].id.clone())
            .collect(),
        Some(RuleKind::Cap { party, .. }) => {
            vec![agreement.parties[usize::from(*party)].id.clone()]
        }
        _ => event.party.iter().map(|p| p.to_string()).collect(),
    }
}

impl Worker {
    fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let mut events = Vec::new();
        while let Some(command) = rx.blocking_recv() {
            match command {
                Command::Apply(prepared, reply) => {
                    let result = self.apply(&prepared, &mut events);
                    let _ = reply.send(result);
                }
                Command::Snapshot(reply) => {
                    let _ = reply.send(self.snapshot());
                }
            }
        }
    }

    /// Everything that could make the engine refuse a report, checked before any is applied.
    fn check(&self, p: &Prepared) -> Result<(), ApiError> {
        let mut last = self.engine.last_report_time();
        let mut new_units: HashMap<&str, (PartyIndex, CategoryIndex)> = HashMap::new();
        let agreement = self.engine.agreement();
        for r in &p.reports {
            let bad = |m: String| {
                ApiError::unprocessable(format!(
                    "line {}: {m}; nothing in this batch was applied",
                    r.line
                ))
            };
            if let Some(last) = last {
                if r.t < last {
                    return Err(bad(format!(
                        "report at {} is earlier than the last one applied ({last}): reports must come in time order",
                        r.t
                    )));
                }
            }
            last = Some(r.t);
            let unit = p.unit(r);
            let known = self
                .engine
                .unit(unit)
                .map(|u| (u.party, u.category))
                .or_else(|| new_units.get(unit).copied());
            match known {
                Some((party, category)) => {
                    if party != r.party {
                        return Err(bad(format!(
                            "unit {unit:?} changed party from {} to {}: a unit's party never changes",
                            agreement.parties[usize::from(party)].id,
                            agreement.parties[usize::from(r.party)].id
                        )));
                    }
                    if category != r.category {
                        return Err(bad(format!(
                            "unit {unit:?} changed category from {} to {}: a unit's category never changes",
                            agreement.categories[usize::from(category)].id,
                            agreement.categories[usize::from(r.category)].id
                        )));
                    }
                }
                None => {
                    new_units.insert(unit, (r.party, r.category));
                }
            }
        }
        if self.engine.unit_count() + new_units.len() > MAX_UNITS {
            return Err(ApiError::unprocessable(format!(
                "the engine holds at most {MAX_UNITS} units"
            )));
        }
        Ok(())
    }

    fn apply(&mut self, p: &Prepared, events: &mut Vec<Event>) -> Result<Applied, ApiError> {
        self.check(p)?;
        events.clear();
        for r in &p.reports {
            if let Err(message) = self.engine.apply(&p.report(r), events) {
                // Checked above; reaching this is a bug, and the reports before it stand.
                return Err(ApiError::internal(format!(
                    "line {}: engine refused a checked report: {message}",
                    r.line
                )));
            }
        }
        self.batch += 1;
        let agreement = Arc::clone(self.engine.agreement());
        let now = self.clock.now_ms();
        let mut items = Vec::with_capacity(events.len());
        let mut positions = Vec::with_capacity(events.len());
        for e in events.iter() {
            let position = e
                .unit
                .as_deref()
                .and_then(|u| self.engine.unit(u))
                .map(|u| [u.lon, u.lat]);
            positions.push(position);
            let key = (e.rule.clone(), e.unit.clone(), e.other.clone());
            if e.kind.is_breach() {
                self.open.insert(key, e.clone());
            } else {
                self.open.remove(&key);
            }
            let audience = Audience::ids(event_parties(&agreement, e)).with_monitors();
            let mut data = serde_json::to_value(e).unwrap_or_default();
            if let (Some(p), Some(o)) = (position, data.as_object_mut()) {
                o.insert("lon".into(), p[0].into());
                o.insert("lat".into(), p[1].into());
            }
            items.push(NewItem {
                kind: "event",
                time_ms: now,
                audience,
                data,
            });
        }
        let fed = self.feed.publish(items);
        let paired: Vec<LiveEvent> = fed
            .into_iter()
            .zip(events.drain(..))
            .zip(positions)
            .map(|((item, event), position)| LiveEvent {
                item,
                event,
                position,
            })
            .collect();
        if !paired.is_empty() {
            (self.sink)(&paired);
        }
        // The console's tracker after the events: they are on their way to the feed's
        // writer already, and the map's positions can wait for this.
        self.tracker.observe(p.reports());
        Ok(Applied {
            batch: self.batch,
            count: p.reports.len(),
            first_t: p.reports[0].t,
            last_t: p.reports[p.reports.len() - 1].t,
            events: paired,
        })
    }

    fn snapshot(&self) -> Snapshot {
        let agreement = self.engine.agreement();
        let mut cap_totals = BTreeMap::new();
        for rule in &agreement.rules {
            if let RuleKind::Cap {
                zone,
                party,
                category,
                ..
            } = &rule.kind
            {
                let Some(z) = agreement.features[*zone as usize].zone() else {
                    continue;
                };
                let total = self
                    .engine
                    .units()
                    .filter(|u| {
                        u.party == *party && u.category == *category && z.contains(u.lon, u.lat)
                    })
                    .map(|u| u.count)
                    .sum();
                cap_totals.insert(rule.id.clone(), total);
            }
        }
        Snapshot {
            units: self.engine.unit_count(),
            last_report_t: self.engine.last_report_time().map(|t| t.to_string()),
            cap_totals,
            open_breaches: self.open.values().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classifier() -> Classifier {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/golan-illustrative"
        );
        let text = std::fs::read_to_string(format!("{dir}/agreement.toml")).unwrap();
        let zones = std::fs::read_to_string(format!("{dir}/zones.geojson")).unwrap();
        let (agreement, _) =
            crate::policy::load(&text, "agreement.toml", &zones, "zones.geojson").unwrap();
        Classifier::new(Arc::new(agreement))
    }

    fn example_lines(n: usize) -> Vec<String> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/golan-illustrative"
        );
        std::fs::read_to_string(format!("{dir}/tracks.jsonl"))
            .unwrap()
            .lines()
            .take(n)
            .map(str::to_owned)
            .collect()
    }

    fn mediator() -> Principal {
        Principal {
            id: "UNDOF".into(),
            role: Role::Mediator,
        }
    }

    /// A body read with one reader (lines laid out alike share a layout) reads as each line
    /// read on its own, whatever the line breaks, and a bad line is named by its number
    /// counting blank lines.
    #[test]
    fn a_body_reads_as_its_lines_and_a_bad_line_is_named() {
        let classifier = classifier();
        let lines = example_lines(40);
        let mut body = String::new();
        let mut line_of = Vec::new();
        let mut line_no = 0;
        for (i, l) in lines.iter().enumerate() {
            body.push_str(l);
            body.push_str(if i % 3 == 0 { "\r\n" } else { "\n" });
            line_no += 1;
            line_of.push(line_no);
            if i % 7 == 0 {
                body.push_str("  \n");
                line_no += 1;
            }
        }
        let prepared = prepare(&classifier, body.as_bytes(), &mediator()).unwrap();
        assert_eq!(prepared.len(), lines.len());
        for (got, line) in prepared.reports().zip(&lines) {
            let want = truceline_engine::parse_report(line.as_bytes()).unwrap();
            assert_eq!(
                (got.t, got.unit, got.count, got.lon, got.lat),
                (want.t, &*want.unit, want.count, want.lon, want.lat)
            );
            let mut hits = Vec::new();
            let (party, category) = classifier.classify(&want, &mut hits).unwrap();
            assert_eq!(
                (got.party, got.category, got.hits),
                (party, category, &hits[..])
            );
        }
        let numbers: Vec<u64> = prepared.reports.iter().map(|r| r.line).collect();
        assert_eq!(numbers, line_of);

        // A bad line after lines laid out alike (the layout's path), then one unlike them.
        for bad in [
            lines[0].replace("\"lat\":", "\"lat\":9"),
            lines[0]
                .replace(',', ", ")
                .replace("\"count\":", "\"count\":-"),
        ] {
            let body = format!("{}\n\n{}\n{bad}\n{}\n", lines[1], lines[2], lines[3]);
            let e = prepare(&classifier, body.as_bytes(), &mediator()).unwrap_err();
            assert!(e.to_string().contains("line 4:"), "{bad}: {e}");
        }
    }
}
