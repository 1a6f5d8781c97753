//! Live compliance: one thread owns the engine and applies batches in the order they
//! arrive on a bounded channel, so that report order is defined and the engine's state is
//! never shared. Parsing and the spatial half of classification run on the caller's thread.
//!
//! A batch is all or nothing: every line is read and classified, then checked against the
//! engine's clock and the units it knows (time order, a unit's party and category) before
//! the first report is applied, so that bad input never changes state.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use truceline_engine::agreement::{CategoryIndex, PartyIndex, Role, RuleKind};
use truceline_engine::{Agreement, Classifier, Engine, Event, Hit, ReportRef, Timestamp};

use serde_json::{json, Value};
use truceline_ledger::ledger::Pending;

use crate::access::{Audience, Principal};
use crate::acts::Recorder;
use crate::console::Tracker;
use crate::disclosure::Disclosure;
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
        let (party, category) = classifier
            .classify(&report, &mut out.hits)
            .map_err(|e| bad(e.to_string()))?;
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
pub struct Applied {
    /// Sequence number of the batch in engine order, from 1.
    pub batch: u64,
    pub count: usize,
    pub first_t: Timestamp,
    pub last_t: Timestamp,
    /// The feed items of the batch's events: one per event and distinct view.
    pub items: Vec<Arc<FeedItem>>,
    /// The batch's `engine/events` ledger entries, queued on the engine thread so that
    /// the ledger holds events in engine order; durable once each is waited for.
    pub recorded: Vec<Pending>,
}

/// The present, for summaries and notice checks: read from the engine's own state.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Snapshot {
    pub units: usize,
    /// The first report this engine applied (since the server started).
    pub first_report_t: Option<String>,
    pub last_report_t: Option<String>,
    /// Cap rule id -> current total in its zone (whether or not the rule is in force).
    pub cap_totals: BTreeMap<String, u64>,
    /// Rule id -> whether it is in force as of the last report.
    pub in_force: BTreeMap<String, bool>,
    /// Breaches open now, from the engine's state (never a pairing of past events).
    pub open_breaches: Vec<Event>,
}

enum Command {
    Apply(Prepared, oneshot::Sender<Result<Applied, ApiError>>),
    Snapshot(oneshot::Sender<Snapshot>),
}

/// What the engine thread needs to record and publish a batch's events.
pub struct Outlets {
    pub feed: Arc<Feed>,
    pub recorder: Arc<Recorder>,
    pub disclosure: Arc<Disclosure>,
}

/// The handle to the engine thread.
#[derive(Clone)]
pub struct Live {
    tx: mpsc::Sender<Command>,
    classifier: Arc<Classifier>,
}

impl Live {
    pub fn start(
        agreement: Arc<Agreement>,
        outlets: Outlets,
        tracker: Arc<Tracker>,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Live {
        let classifier = Arc::new(Classifier::new(agreement));
        let engine = Engine::with_classifier(Arc::clone(&classifier));
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let worker = Worker {
            engine,
            outlets,
            tracker,
            clock,
            batch: 0,
            first_report_t: None,
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

struct Worker {
    engine: Engine,
    outlets: Outlets,
    tracker: Arc<Tracker>,
    clock: Arc<dyn crate::clock::Clock>,
    batch: u64,
    first_report_t: Option<Timestamp>,
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

    /// Everything that could make the engine refuse a report, checked (by the engine's
    /// own rules) before any is applied.
    fn check(&self, p: &Prepared) -> Result<(), ApiError> {
        self.engine.check_batch(p.reports()).map_err(|(i, why)| {
            ApiError::unprocessable(format!(
                "line {}: {why}; nothing in this batch was applied",
                p.reports[i].line
            ))
        })
    }

    fn apply(&mut self, p: &Prepared, events: &mut Vec<Event>) -> Result<Applied, ApiError> {
        self.check(p)?;
        events.clear();
        for r in &p.reports {
            if let Err(why) = self.engine.apply(&p.report(r), events) {
                // Checked above; reaching this is a bug, and the reports before it stand.
                return Err(ApiError::internal(format!(
                    "line {}: engine refused a checked report: {why}",
                    r.line
                )));
            }
        }
        self.batch += 1;
        self.first_report_t.get_or_insert(p.reports[0].t);
        let agreement = Arc::clone(self.engine.agreement());
        let now = self.clock.now_ms();
        let disclosure = Arc::clone(&self.outlets.disclosure);
        let mut items = Vec::with_capacity(events.len());
        // Per (ledger audience, full view?): the batch's events in that view.
        let mut entries: Vec<(Vec<String>, bool, Vec<Value>)> = Vec::new();
        for e in events.iter() {
            let full = self.full_event(e);
            let base = Audience::ids(event_parties(&agreement, e)).with_monitors();
            let views = disclosure.fan_out(|who| {
                base.allows(who)
                    .then(|| disclosure.event(&full, who))
                    .flatten()
            });
            for (audience, view) in views {
                let ids = self.outlets.recorder.ledger_ids(&audience);
                let is_full = !audience.only;
                match entries
                    .iter_mut()
                    .find(|(a, f, _)| *a == ids && *f == is_full)
                {
                    Some((_, _, list)) => list.push(view.clone()),
                    None => entries.push((ids, is_full, vec![view.clone()])),
                }
                items.push(NewItem {
                    kind: "event",
                    time_ms: now,
                    audience,
                    data: view,
                    source: None,
                });
            }
        }
        let fed = self.outlets.feed.publish(items);
        // The ledger's entries for these events, queued from this thread so that they
        // commit in engine order (the projection of engine incidents depends on it).
        let mut recorded = Vec::with_capacity(entries.len());
        let ledger_now = now.max(0) as u64;
        for (ids, is_full, list) in entries {
            let body = json!({"batch": self.batch, "view": if is_full { "full" } else { "copy" }, "events": list});
            match self
                .outlets
                .recorder
                .ledger()
                .submit_own("engine/events", ids, body, ledger_now)
            {
                Ok(p) => recorded.push(p),
                Err(e) => {
                    return Err(ApiError::unavailable(format!(
                        "the ledger refused the batch's events: {e}"
                    )))
                }
            }
        }
        events.clear();
        // The console's tracker after the events: they are on their way to the feed's
        // writer already, and the map's positions can wait for this.
        self.tracker.observe(p.reports());
        Ok(Applied {
            batch: self.batch,
            count: p.reports.len(),
            first_t: p.reports[0].t,
            last_t: p.reports[p.reports.len() - 1].t,
            items: fed,
            recorded,
        })
    }

    /// An event as the mediator sees it: its fields, and where `unit` and `other` were.
    fn full_event(&self, e: &Event) -> Value {
        let mut data = serde_json::to_value(e).unwrap_or_default();
        let at = |name: &Option<Arc<str>>| {
            name.as_deref()
                .and_then(|u| self.engine.unit(u))
                .map(|u| (u.lon, u.lat))
        };
        if let Some(o) = data.as_object_mut() {
            if let Some((lon, lat)) = at(&e.unit) {
                o.insert("lon".into(), lon.into());
                o.insert("lat".into(), lat.into());
            }
            if let Some((lon, lat)) = at(&e.other) {
                o.insert("other_lon".into(), lon.into());
                o.insert("other_lat".into(), lat.into());
            }
        }
        data
    }

    fn snapshot(&self) -> Snapshot {
        let agreement = self.engine.agreement();
        let mut cap_totals = BTreeMap::new();
        let mut in_force = BTreeMap::new();
        for (r, rule) in agreement.rules.iter().enumerate() {
            let r = r as truceline_engine::agreement::RuleIndex;
            if let Some(total) = self.engine.cap_total(r) {
                cap_totals.insert(rule.id.clone(), total);
            }
            in_force.insert(rule.id.clone(), self.engine.rule_active(r));
        }
        Snapshot {
            units: self.engine.unit_count(),
            first_report_t: self.first_report_t.map(|t| t.to_string()),
            last_report_t: self.engine.last_report_time().map(|t| t.to_string()),
            cap_totals,
            in_force,
            open_breaches: self.engine.open_breaches(),
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
