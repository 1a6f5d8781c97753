//! Live compliance: one thread owns the engine and applies batches in the order they
//! arrive on a bounded channel, so that report order is defined and the engine's state is
//! never shared. Parsing and the spatial half of classification run on the caller's thread.
//!
//! A batch is all or nothing: every line is read and classified, then checked against the
//! engine's clock and the units it knows (time order, a unit's party and category) before
//! the first report is applied, so that bad input never changes state.

pub mod body;
mod prepare;
mod recorder;
mod restore;
pub mod versions;

pub use recorder::Recording;

pub use prepare::{prepare, Prepared};
pub use restore::{RestoreError, Restored, BATCH_KIND, CERTIFIED_KIND, COUNTERSIGNED_KIND};
pub use versions::{Schedule, Scheduled, Versions};

use crate::operations::tracks::PatrolTracks;
use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use truceline_engine::agreement::RuleKind;
use truceline_engine::{Agreement, Classifier, Engine, Event, Timestamp};
use truceline_ledger::ledger::Pending;

use serde_json::{json, Value};

use crate::access::Audience;
use crate::acts::Recorder;
use crate::console::Tracker;
use crate::disclosure::Disclosure;
use crate::error::ApiError;
use crate::feed::{Feed, FeedItem, NewItem};

/// Reports in one batch.
pub const MAX_BATCH_REPORTS: usize = 100_000;
/// Batches waiting for the engine; past this, posters wait (back-pressure).
pub const QUEUE_DEPTH: usize = 64;

/// An `engine/events` entry to record: its ledger audience and body.
pub(crate) type EventsEntry = (Vec<String>, Value);

/// What applying a batch did.
pub struct Applied {
    /// Sequence number of the batch in engine order, from 1.
    pub batch: u64,
    pub count: usize,
    pub first_t: Timestamp,
    pub last_t: Timestamp,
    /// The feed items of the batch's events: one per event and distinct view.
    pub items: Vec<Arc<FeedItem>>,
    /// The batch's own `reports/batch` entry (its body attached) and its events' entries,
    /// queued by the batch recorder in engine order: [`Recording::wait`] gives the batch
    /// entry's index and the body's SHA-256 once all are durable.
    pub recording: Recording,
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

/// A version countersigned to enter into force at `at`, for the engine thread to schedule
/// and then record (its `version/countersigned` entry, `body`, for everyone), so that the
/// entry stands in the ledger among the batches where the engine took it.
pub struct Amendment {
    pub classifier: Arc<Classifier>,
    pub at: Timestamp,
    pub sha256: String,
    pub audience: Vec<String>,
    pub body: Value,
}

/// A phase certified complete at `at`, for the engine thread to take and then record (its
/// `phase/certified` entry: `body`, to which the rules it opens are added).
pub struct Certify {
    pub phase: String,
    pub at: Timestamp,
    pub audience: Vec<String>,
    pub body: Value,
}

/// Why the engine did not take a version or a certification.
#[derive(Debug, thiserror::Error)]
pub enum EngineActFailure {
    /// The engine refused the version (its instant, another version due, another
    /// agreement).
    #[error(transparent)]
    Amendment(#[from] truceline_engine::AmendError),
    /// The engine refused the certification (an unknown phase, one certified already, a
    /// rule that would open before the last report).
    #[error(transparent)]
    Phase(#[from] truceline_engine::PhaseError),
    /// The engine thread or the recorder has stopped.
    #[error("{0}")]
    Stopped(&'static str),
}

enum Command {
    Apply(Prepared, oneshot::Sender<Result<Applied, ApiError>>),
    Snapshot(oneshot::Sender<Snapshot>),
    Amend(
        Amendment,
        oneshot::Sender<Result<Pending, EngineActFailure>>,
    ),
    Certify(Certify, oneshot::Sender<Result<Pending, EngineActFailure>>),
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
    versions: Arc<Versions>,
}

impl Live {
    /// Starts the engine thread, once the engine has replayed every batch the ledger holds
    /// (see [`restore`]): the server answers nobody with a state the ledger contradicts.
    pub fn start(
        agreement: Arc<Agreement>,
        sha256: String,
        outlets: Outlets,
        tracker: Arc<Tracker>,
        tracks: Arc<PatrolTracks>,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Result<(Live, Restored), RestoreError> {
        let classifier = Arc::new(Classifier::new(agreement));
        let engine = Engine::with_classifier(Arc::clone(&classifier));
        let versions = Arc::new(Versions::new(Schedule::single(classifier, sha256)));
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let recorder = recorder::start(Arc::clone(outlets.recorder.ledger()));
        let mut worker = Worker {
            recorder,
            engine,
            outlets,
            tracker,
            tracks,
            clock,
            batch: 0,
            first_report_t: None,
            versions: Arc::clone(&versions),
        };
        let restored = worker.restore()?;
        std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || worker.run(rx))
            .expect("spawn engine thread");
        Ok((Live { tx, versions }, restored))
    }

    /// The versions the engine runs, by the instant each enters into force.
    pub fn schedule(&self) -> Arc<Schedule> {
        self.versions.current()
    }

    /// The schedule itself, for those that show the version in force (the map, the
    /// summary, notice checks).
    pub fn versions(&self) -> &Arc<Versions> {
        &self.versions
    }

    /// Schedules a countersigned version and records its entry (blocking: call it off the
    /// async runtime). The entry's receipt comes with [`Pending::wait`].
    pub fn amend_blocking(&self, amendment: Amendment) -> Result<Pending, EngineActFailure> {
        self.engine_act_blocking(|reply| Command::Amend(amendment, reply))
    }

    /// Certifies a phase in the engine and records its entry (blocking, as
    /// [`Self::amend_blocking`]).
    pub fn certify_blocking(&self, certify: Certify) -> Result<Pending, EngineActFailure> {
        self.engine_act_blocking(|reply| Command::Certify(certify, reply))
    }

    /// Hands one of the engine's own acts to its thread and waits for its entry to be
    /// queued.
    fn engine_act_blocking(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<Pending, EngineActFailure>>) -> Command,
    ) -> Result<Pending, EngineActFailure> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .blocking_send(command(reply))
            .map_err(|_| EngineActFailure::Stopped("the engine has stopped"))?;
        answer
            .blocking_recv()
            .map_err(|_| EngineActFailure::Stopped("the engine has stopped"))?
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
    /// Puts each applied batch in the ledger, in engine order, off this thread.
    recorder: std::sync::mpsc::SyncSender<recorder::Job>,
    engine: Engine,
    outlets: Outlets,
    tracker: Arc<Tracker>,
    /// The force's tracks, for the patrols it follows.
    tracks: Arc<PatrolTracks>,
    clock: Arc<dyn crate::clock::Clock>,
    batch: u64,
    first_report_t: Option<Timestamp>,
    versions: Arc<Versions>,
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
                Command::Apply(mut prepared, reply) => {
                    let result = self.apply(&mut prepared, &mut events);
                    let _ = reply.send(result);
                }
                Command::Snapshot(reply) => {
                    let _ = reply.send(self.snapshot());
                }
                Command::Amend(amendment, reply) => {
                    let _ = reply.send(self.amend(amendment));
                }
                Command::Certify(certify, reply) => {
                    let _ = reply.send(self.certify(certify));
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

    /// Schedules a version in the engine (which refuses one that would not be after the
    /// last report, or while another is due), then queues its entry among the batches.
    fn amend(&mut self, a: Amendment) -> Result<Pending, EngineActFailure> {
        self.schedule(Arc::clone(&a.classifier), a.at, a.sha256)?;
        self.record_entry(COUNTERSIGNED_KIND, a.audience, a.body)
    }

    /// Certifies a phase in the engine, then queues its entry among the batches, with
    /// the rules it opens and when.
    fn certify(&mut self, c: Certify) -> Result<Pending, EngineActFailure> {
        let opened = self.engine.certify_phase(&c.phase, c.at)?;
        let agreement = Arc::clone(self.engine.agreement());
        let starts: Vec<Value> = opened
            .into_iter()
            .filter_map(|r| {
                let start = self.engine.rule_start(r)?;
                Some(
                    json!({"rule": agreement.rules[r as usize].id, "starts_at": start.to_string()}),
                )
            })
            .collect();
        let mut body = c.body;
        body["starts"] = Value::Array(starts);
        self.record_entry(restore::CERTIFIED_KIND, c.audience, body)
    }

    /// Queues one of the engine thread's own entries among the batches.
    fn record_entry(
        &self,
        kind: &'static str,
        audience: Vec<String>,
        body: Value,
    ) -> Result<Pending, EngineActFailure> {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.recorder
            .send(recorder::Job::Entry(recorder::EntryJob {
                kind,
                audience,
                body,
                time_ms: self.clock.now_ms().max(0) as u64,
                reply,
            }))
            .map_err(|_| EngineActFailure::Stopped("the batch recorder has stopped"))?;
        answer
            .recv()
            .map_err(|_| EngineActFailure::Stopped("the batch recorder has stopped"))?
            .map_err(|_| EngineActFailure::Stopped("the ledger refused the entry"))
    }

    /// The engine takes a version due at `at`; posters classify reports from `at` under it.
    fn schedule(
        &mut self,
        classifier: Arc<Classifier>,
        at: Timestamp,
        sha256: String,
    ) -> Result<(), truceline_engine::AmendError> {
        self.engine
            .schedule_amendment(Arc::clone(&classifier), at)?;
        self.versions.push(at, classifier, sha256);
        Ok(())
    }

    /// A batch classified before the schedule last changed is classified again.
    fn reclassify_if_stale(&self, p: &mut Prepared) -> Result<(), ApiError> {
        let schedule = self.versions.current();
        if p.generation == schedule.generation {
            return Ok(());
        }
        let agreement = self.engine.agreement();
        let role = agreement
            .parties
            .iter()
            .find(|party| party.id == p.submitter)
            .map(|party| party.role)
            .ok_or_else(|| ApiError::internal("the submitter is no party"))?;
        let who = crate::access::Principal {
            id: p.submitter.clone(),
            role,
        };
        *p = prepare(&schedule, p.body.clone(), &who)?;
        Ok(())
    }

    fn apply(&mut self, p: &mut Prepared, events: &mut Vec<Event>) -> Result<Applied, ApiError> {
        self.reclassify_if_stale(p)?;
        self.check(p)?;
        self.apply_checked(p, events)?;
        let now = self.clock.now_ms();
        let (items, entries) = self.publish_events(events, now);
        events.clear();
        // The batch's entry and then its events' entries, queued by the recorder in the
        // order this thread hands them over: the ledger's order of batches is the engine's.
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.recorder
            .send(recorder::Job::Batch(recorder::BatchJob {
                body: std::mem::take(&mut p.body),
                submitter: p.submitter.clone(),
                batch: self.batch,
                count: p.reports.len(),
                first_t: p.reports[0].t.to_string(),
                last_t: p.reports[p.reports.len() - 1].t.to_string(),
                events: entries,
                time_ms: now.max(0) as u64,
                reply,
            }))
            .map_err(|_| ApiError::unavailable("the batch recorder has stopped"))?;
        // The console's tracker after the events: they are on their way to the feed's
        // writer already, and the map's positions can wait for this.
        self.tracker.observe(p.reports());
        self.tracks.observe(p.reports());
        Ok(Applied {
            batch: self.batch,
            count: p.reports.len(),
            first_t: p.reports[0].t,
            last_t: p.reports[p.reports.len() - 1].t,
            items,
            recording: Recording(answer),
        })
    }

    /// Applies a checked batch to the engine, its events into `events`.
    fn apply_checked(&mut self, p: &Prepared, events: &mut Vec<Event>) -> Result<(), ApiError> {
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
        self.versions.advance(p.reports[p.reports.len() - 1].t);
        Ok(())
    }

    /// Makes each event's views and publishes them to the feed; gives the feed items and
    /// the batch's `engine/events` entries to record (audience and body: one per audience
    /// and view).
    fn publish_events(&self, events: &[Event], now: i64) -> (Vec<Arc<FeedItem>>, Vec<EventsEntry>) {
        let agreement = Arc::clone(self.engine.agreement());
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
        let entries = entries
            .into_iter()
            .map(|(ids, is_full, list)| {
                let view = if is_full { "full" } else { "copy" };
                (
                    ids,
                    json!({"batch": self.batch, "view": view, "events": list}),
                )
            })
            .collect();
        (fed, entries)
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
