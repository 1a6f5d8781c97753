//! Patrols: what the force tasks (route or area, window, corridor, unit, observers), the
//! report its commander signs when the window has ended, and the state machine between.
//! Applied from the ledger by [`apply`], the one place a patrol changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use truceline_ledger::envelope::Entry;

use super::{from_document, to_document, Table};
use crate::clock::{parse_ms, rfc3339_ms};
use crate::projection::{Change, Context};

pub const TASKED_KIND: &str = "patrol/tasked";
pub const REPORTED_KIND: &str = "patrol/reported";
pub const OVERDUE_KIND: &str = "patrol/overdue";

/// Limits on what a tasking and a report may carry.
pub const MAX_ROUTE_POSITIONS: usize = 10_000;
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
pub const MAX_OBSERVERS: usize = 16;
pub const MAX_PATROLS: usize = 100_000;
/// A patrol that has not been on its route this long after its window opened has started
/// late (the agreement is silent; an operations officer's usual quarter of an hour).
pub const LATE_START_MINUTES: i64 = 15;

/// What the mediator or the force's commander tasks, as signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatrolTasking {
    /// The id the patrol reports its positions under (a unit of a monitor).
    pub unit: String,
    /// A line of the agreement to patrol, by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// A zone to patrol, by id: its edges are the route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// The route as WGS84 `[lon, lat]` positions: given, or the server's resolution of
    /// `line` or `area` under the version in force, so the signed entry holds the route.
    #[serde(default)]
    pub route: Vec<[f64; 2]>,
    /// The window, RFC 3339 UTC, `[from, until)`.
    pub from: String,
    pub until: String,
    #[serde(default = "default_corridor_m")]
    pub corridor_m: f64,
    #[serde(default = "default_max_gap_s")]
    pub max_gap_s: u32,
    /// The observers' nationalities (ISO 3166 codes or the agreement's party ids).
    #[serde(default)]
    pub observers: Vec<String>,
    /// The parties told in advance; every party when empty.
    #[serde(default)]
    pub announce_to: Vec<String>,
    #[serde(default)]
    pub purpose: String,
}

fn default_corridor_m() -> f64 {
    truceline_operations::DEFAULT_CORRIDOR_M
}

fn default_max_gap_s() -> u32 {
    truceline_operations::DEFAULT_MAX_GAP_S
}

/// A run of reports farther than the corridor from the route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviationFigure {
    pub from: String,
    pub until: String,
    pub max_distance_m: f64,
    pub reports: usize,
}

/// The figures of a patrol over its window, as spec/operations.md computes them from the
/// server's stored track; the force's commander signs them with the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatrolFigures {
    pub route_km: f64,
    pub samples: usize,
    pub covered_samples: usize,
    pub coverage: f64,
    pub covered_km: f64,
    pub reports: usize,
    pub first_on_route: Option<String>,
    pub last_on_route: Option<String>,
    pub time_on_route_s: f64,
    pub deviations: Vec<DeviationFigure>,
}

/// The patrol report, as the force's commander signs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatrolReportAct {
    pub patrol: String,
    /// What the patrol observed, in its own words.
    #[serde(default)]
    pub observed: String,
    pub figures: PatrolFigures,
}

/// Where a patrol stands in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatrolStatus {
    /// Tasked and announced; its report is not yet due or not yet made.
    Tasked,
    /// Its report was not made in time; escalated to the mediator.
    Overdue,
    Reported,
}

impl PatrolStatus {
    pub fn reportable(self) -> bool {
        matches!(self, PatrolStatus::Tasked | PatrolStatus::Overdue)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolReport {
    pub observed: String,
    pub figures: PatrolFigures,
    pub by: String,
    pub at: String,
    pub late: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patrol {
    pub id: String,
    pub tasked_by: String,
    pub tasked_at: String,
    pub tasking: PatrolTasking,
    /// The parties told (the tasking's, or every party).
    pub announced_to: Vec<String>,
    pub status: PatrolStatus,
    /// When the report is due: the window's end and the agreement's time for it.
    pub report_due: String,
    #[serde(default)]
    pub report: Option<PatrolReport>,
    #[serde(default)]
    pub overdue_at: Option<String>,
    /// Ledger indices of this patrol's entries, in order.
    pub ledger: Vec<u64>,
    #[serde(skip)]
    pub from_ms: i64,
    #[serde(skip)]
    pub until_ms: i64,
    #[serde(skip)]
    pub due_ms: i64,
}

impl Patrol {
    fn fix_times(&mut self) {
        self.from_ms = parse_ms(&self.tasking.from).unwrap_or(0);
        self.until_ms = parse_ms(&self.tasking.until).unwrap_or(0);
        self.due_ms = parse_ms(&self.report_due).unwrap_or(0);
    }
}

/// A patrol's id from the ledger index of the entry that tasked it.
pub fn patrol_id(index: u64) -> String {
    format!("P-{index:06}")
}

#[derive(Debug, Default)]
pub struct Patrols {
    pub by_id: BTreeMap<String, Patrol>,
}

impl Patrols {
    pub fn document(&self, id: &str) -> Option<String> {
        to_document(self.by_id.get(id))
    }

    pub fn load(&mut self, id: &str, doc: &str) -> Result<(), String> {
        let mut p: Patrol = from_document(doc)?;
        p.fix_times();
        self.by_id.insert(id.to_owned(), p);
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct TaskedBody {
    #[serde(flatten)]
    tasking: PatrolTasking,
}

#[derive(Debug, Deserialize)]
struct OverdueBody {
    patrol: String,
}

/// The parties a tasking is announced to: its own list, else every party.
pub fn announced_to(tasking: &PatrolTasking, ctx: &Context) -> Vec<String> {
    if tasking.announce_to.is_empty() {
        ctx.parties().to_vec()
    } else {
        tasking.announce_to.clone()
    }
}

/// Applies a `patrol/*` entry; returns what changed.
pub fn apply(
    patrols: &mut Patrols,
    index: u64,
    entry: &Entry,
    ctx: &Context,
) -> Result<Vec<Change>, String> {
    let d = entry.draft();
    let at = rfc3339_ms(d.time_ms as i64);
    let changed = |id: &str, note: &'static str| {
        vec![Change::Operation {
            key: Table::Patrol.key(id),
            note,
        }]
    };
    match d.kind.as_str() {
        TASKED_KIND => {
            let TaskedBody { tasking } = crate::projection::read_body(&d.body)?;
            let id = patrol_id(index);
            let until_ms = parse_ms(&tasking.until)?;
            let due_ms = until_ms + ctx.operations.patrol_report_due_minutes * 60_000;
            let mut p = Patrol {
                id: id.clone(),
                tasked_by: d.author.clone(),
                tasked_at: at,
                announced_to: announced_to(&tasking, ctx),
                tasking,
                status: PatrolStatus::Tasked,
                report_due: rfc3339_ms(due_ms),
                report: None,
                overdue_at: None,
                ledger: vec![index],
                from_ms: 0,
                until_ms: 0,
                due_ms: 0,
            };
            p.fix_times();
            patrols.by_id.insert(id.clone(), p);
            Ok(changed(&id, "tasked"))
        }
        REPORTED_KIND => {
            let r: PatrolReportAct = crate::projection::read_body(&d.body)?;
            let p = patrols
                .by_id
                .get_mut(&r.patrol)
                .ok_or_else(|| format!("names patrol {:?}, which no entry tasked", r.patrol))?;
            if !p.status.reportable() {
                return Err(format!("patrol {} is already reported", p.id));
            }
            p.report = Some(PatrolReport {
                observed: r.observed,
                figures: r.figures,
                by: d.author.clone(),
                at,
                late: p.status == PatrolStatus::Overdue,
            });
            p.status = PatrolStatus::Reported;
            p.ledger.push(index);
            Ok(changed(&r.patrol, "reported"))
        }
        OVERDUE_KIND if d.author == ctx.mediator => {
            let o: OverdueBody = crate::projection::read_body(&d.body)?;
            let p = patrols
                .by_id
                .get_mut(&o.patrol)
                .ok_or_else(|| format!("names patrol {:?}, which no entry tasked", o.patrol))?;
            if p.status != PatrolStatus::Tasked {
                return Ok(Vec::new());
            }
            p.status = PatrolStatus::Overdue;
            p.overdue_at = Some(at);
            p.ledger.push(index);
            Ok(changed(&o.patrol, "overdue"))
        }
        _ => Ok(Vec::new()),
    }
}
