//! Patrol operations: tasking (the mediator, or the force's commander by a signed act),
//! following a running patrol from its stored track, the report its commander signs with
//! the figures the server computed, and flagging a report not made in time.

use serde_json::{json, Value};
use truceline_engine::agreement::{Role, Shape};
use truceline_engine::{Agreement, Timestamp};
use truceline_operations::{LiveCoverage, PatrolTask};

use super::patrols::{
    announced_to, DeviationFigure, Patrol, PatrolFigures, PatrolReportAct, PatrolStatus,
    PatrolTasking, LATE_START_MINUTES, MAX_OBSERVERS, MAX_PATROLS, MAX_ROUTE_POSITIONS,
    MAX_TEXT_BYTES, OVERDUE_KIND, REPORTED_KIND, TASKED_KIND,
};
use crate::access::{Audience, Principal};
use crate::acts::Signing;
use crate::clock::{parse_ms, rfc3339_ms};
use crate::mechanism::Mechanism;
use crate::refusal::{DomainResult, Refusal};

/// Where a patrol stands now, from its record, the clock and its track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PatrolProgress {
    /// Its window has not opened.
    Scheduled,
    /// Its window is open and it has not yet reached its route (within the grace).
    Starting,
    /// Not on its route a quarter of an hour after its window opened.
    LateStart,
    OnRoute,
    /// Its last report was farther than the corridor from the route.
    OffRoute,
    /// The window has ended; the report is not yet due.
    AwaitingReport,
    Overdue,
    Reported,
}

/// The route of a tasking under `agreement`: given positions, a line's, or a zone's edge.
pub fn resolve_route(agreement: &Agreement, t: &PatrolTasking) -> DomainResult<Vec<[f64; 2]>> {
    let named = match (&t.line, &t.area) {
        (Some(_), Some(_)) => {
            return Err(Refusal::invalid(
                "give a line or an area to patrol, not both",
            ))
        }
        (Some(id), None) | (None, Some(id)) => Some(id),
        (None, None) => None,
    };
    let Some(id) = named else {
        if t.route.len() < 2 {
            return Err(Refusal::invalid(
                "route: at least two [lon, lat] positions, or a line or an area by id",
            ));
        }
        return Ok(t.route.clone());
    };
    let feature = agreement
        .features
        .iter()
        .find(|f| f.id == *id)
        .ok_or_else(|| Refusal::invalid(format!("{id:?} is no feature of the agreement")))?;
    let route: Vec<[f64; 2]> = match (&feature.shape, t.line.is_some()) {
        // A line of several parts is patrolled part after part.
        (Shape::Line(line), true) => line.lines().iter().flatten().copied().collect(),
        // An area is patrolled along its edge: the outer ring of each of its polygons.
        (Shape::Zone(zone), false) => zone
            .polygons()
            .iter()
            .filter_map(|p| p.first())
            .flatten()
            .copied()
            .collect(),
        _ => {
            return Err(Refusal::invalid(format!(
                "{id:?} is not a {}",
                if t.line.is_some() { "line" } else { "zone" }
            )))
        }
    };
    if !t.route.is_empty() && t.route != route {
        return Err(Refusal::conflict(format!(
            "the route signed is not {id:?} as the version in force has it: sign again"
        )));
    }
    Ok(route)
}

fn task_of(p: &Patrol, id: &str) -> PatrolTask {
    PatrolTask {
        id: id.to_owned(),
        unit: p.tasking.unit.clone(),
        route: p.tasking.route.clone(),
        from: Timestamp(p.from_ms * 1_000_000),
        until: Timestamp(p.until_ms * 1_000_000),
        corridor_m: p.tasking.corridor_m,
        max_gap_s: p.tasking.max_gap_s,
    }
}

/// A patrol followed over the fixes of its window so far.
pub struct Followed {
    pub figures: PatrolFigures,
    pub last: Option<(truceline_operations::Fix, f64)>,
}

impl Mechanism {
    fn patrol_record(&self, id: &str) -> Option<Patrol> {
        self.projector
            .read(|b| b.operations.patrols.by_id.get(id).cloned())
    }

    /// A patrol's figures over its window, from the stored track: what its report says.
    pub fn follow_patrol(&self, p: &Patrol) -> Followed {
        let task = task_of(p, &p.id);
        self.tracks
            .with_track(&p.tasking.unit, task.from, task.until, |fixes| {
                let mut live = LiveCoverage::new(&task);
                let mut last = None;
                for f in fixes {
                    let progress = live.push(*f);
                    last = Some((*f, progress.distance_to_route_m));
                }
                let c = live.snapshot();
                let time = |t: Option<Timestamp>| t.map(|t| t.to_string());
                Followed {
                    figures: PatrolFigures {
                        route_km: c.route_km,
                        samples: c.samples,
                        covered_samples: c.covered_samples,
                        coverage: c.coverage,
                        covered_km: c.covered_km,
                        reports: c.reports,
                        first_on_route: time(c.first_on_route),
                        last_on_route: time(c.last_on_route),
                        time_on_route_s: live.time_on_route_s(),
                        deviations: live
                            .deviations()
                            .iter()
                            .map(|d| DeviationFigure {
                                from: d.from.to_string(),
                                until: d.until.to_string(),
                                max_distance_m: d.max_distance_m,
                                reports: d.fixes,
                            })
                            .collect(),
                    },
                    last,
                }
            })
    }

    /// Where `p` stands as of the clock.
    pub fn patrol_progress(&self, p: &Patrol, followed: &Followed, now_ms: i64) -> PatrolProgress {
        match p.status {
            PatrolStatus::Reported => return PatrolProgress::Reported,
            PatrolStatus::Overdue => return PatrolProgress::Overdue,
            PatrolStatus::Tasked => {}
        }
        if now_ms < p.from_ms {
            return PatrolProgress::Scheduled;
        }
        if now_ms >= p.until_ms {
            return PatrolProgress::AwaitingReport;
        }
        let reached = followed.figures.first_on_route.is_some();
        match followed.last {
            Some((_, d)) if reached && d <= p.tasking.corridor_m => PatrolProgress::OnRoute,
            Some(_) if reached => PatrolProgress::OffRoute,
            _ if now_ms >= p.from_ms + LATE_START_MINUTES * 60_000 => PatrolProgress::LateStart,
            _ => PatrolProgress::Starting,
        }
    }

    /// The mediator, or the force's commander by its signed act, tasks a patrol; the
    /// parties it is announced to are told at once, ahead of its window by at least the
    /// agreement's notice.
    pub fn task_patrol(
        &self,
        who: &Principal,
        mut t: PatrolTasking,
        signing: &Signing,
    ) -> DomainResult<Value> {
        if !matches!(who.role, Role::Mediator | Role::Monitor) {
            return Err(Refusal::forbidden(
                "only the mediator or the separation force tasks a patrol",
            ));
        }
        let version = self.versions.in_force();
        let agreement = version.classifier.agreement();
        let terms = agreement.operations();
        if t.unit.is_empty() || t.unit.len() > 128 {
            return Err(Refusal::invalid("unit: 1 to 128 characters"));
        }
        if t.route.len() > MAX_ROUTE_POSITIONS {
            return Err(Refusal::invalid(format!(
                "route: at most {MAX_ROUTE_POSITIONS} positions"
            )));
        }
        if t.purpose.len() > MAX_TEXT_BYTES {
            return Err(Refusal::invalid(format!(
                "purpose: at most {MAX_TEXT_BYTES} bytes"
            )));
        }
        if t.observers.len() > MAX_OBSERVERS || t.observers.iter().any(|o| o.len() > 64) {
            return Err(Refusal::invalid(format!(
                "observers: at most {MAX_OBSERVERS} nationalities of up to 64 characters"
            )));
        }
        let mut nationalities: Vec<&str> = t.observers.iter().map(|o| o.trim()).collect();
        nationalities.sort_unstable();
        nationalities.dedup();
        let needed = usize::from(terms.patrol_observers);
        if nationalities.len() < needed {
            return Err(Refusal::invalid(format!(
                "observers: the agreement asks for observers of {needed} nationalities; {} given",
                nationalities.len()
            )));
        }
        for p in &t.announce_to {
            if agreement
                .parties
                .iter()
                .all(|a| a.id != *p || a.role != Role::Party)
            {
                return Err(Refusal::invalid(format!(
                    "announce_to: {p:?} is not a party"
                )));
            }
        }
        t.route = resolve_route(agreement, &t)?;
        let from_ms = parse_ms(&t.from).map_err(|e| Refusal::invalid(format!("from: {e}")))?;
        let until_ms = parse_ms(&t.until).map_err(|e| Refusal::invalid(format!("until: {e}")))?;
        let task = PatrolTask {
            id: String::new(),
            unit: t.unit.clone(),
            route: t.route.clone(),
            from: Timestamp(from_ms * 1_000_000),
            until: Timestamp(until_ms * 1_000_000),
            corridor_m: t.corridor_m,
            max_gap_s: t.max_gap_s,
        };
        task.validate()
            .map_err(|e| Refusal::invalid(e.to_string()))?;
        let notice_ms = i64::from(terms.patrol_notice_minutes) * 60_000;
        let now_ms = self.clock.now_ms();
        if from_ms < now_ms + notice_ms {
            return Err(Refusal::invalid(format!(
                "from: the parties are to be told {} minutes before a patrol; the earliest start now is {}",
                terms.patrol_notice_minutes,
                rfc3339_ms(now_ms + notice_ms)
            )));
        }
        let _one = self.one_at_a_time();
        if self.projector.read(|b| b.operations.patrols.by_id.len()) >= MAX_PATROLS {
            return Err(Refusal::conflict(format!(
                "at most {MAX_PATROLS} patrols are kept"
            )));
        }
        let told = announced_to(&t, self.projector.context());
        let audience = Audience::ids(told).with_monitors();
        let index = self
            .recorder
            .record_act(who, signing, TASKED_KIND, &audience, || json!(t))?;
        self.project()?;
        self.patrol_view(who, &super::patrols::patrol_id(index))
    }

    /// The force's commander reports a patrol whose window has ended: the figures are the
    /// server's, from the stored track, and its commander signs them.
    pub fn report_patrol(
        &self,
        who: &Principal,
        act: PatrolReportAct,
        signing: &Signing,
    ) -> DomainResult<Value> {
        if who.role != Role::Monitor {
            return Err(Refusal::forbidden(
                "only the separation force reports a patrol",
            ));
        }
        if act.observed.len() > MAX_TEXT_BYTES {
            return Err(Refusal::invalid(format!(
                "observed: at most {MAX_TEXT_BYTES} bytes"
            )));
        }
        let _one = self.one_at_a_time();
        let p = self
            .patrol_record(&act.patrol)
            .ok_or_else(|| Refusal::not_found(format!("no patrol {}", act.patrol)))?;
        if !p.status.reportable() {
            return Err(Refusal::conflict(format!(
                "patrol {} is already reported",
                p.id
            )));
        }
        if self.clock.now_ms() < p.until_ms {
            return Err(Refusal::conflict(format!(
                "patrol {}'s window ends at {}; report it then",
                p.id, p.tasking.until
            )));
        }
        let figures = self.follow_patrol(&p).figures;
        if signing.is_signed() && act.figures != figures {
            return Err(Refusal::conflict(
                "the figures signed are not the server's for this patrol's track (a report arrived since): sign again",
            ));
        }
        let body = PatrolReportAct {
            patrol: p.id.clone(),
            observed: act.observed,
            figures,
        };
        let audience = Audience::ids(p.announced_to.clone()).with_monitors();
        self.recorder
            .record_act(who, signing, REPORTED_KIND, &audience, || json!(body))?;
        self.project()?;
        self.patrol_view(who, &p.id)
    }

    /// Flags patrols whose report is past due as overdue, escalating them to the mediator.
    pub fn tick_patrols(&self) -> Vec<String> {
        let now = self.clock.now_ms();
        let _one = self.one_at_a_time();
        let due: Vec<Patrol> = self.projector.read(|b| {
            b.operations
                .patrols
                .by_id
                .values()
                .filter(|p| p.status == PatrolStatus::Tasked && now > p.due_ms)
                .cloned()
                .collect()
        });
        let mut flagged = Vec::new();
        for p in due {
            let recorded = self.recorder.record(
                OVERDUE_KIND,
                &Audience::ids(Vec::new()).with_monitors(),
                json!({"patrol": p.id, "due": p.report_due}),
            );
            match recorded {
                Ok(_) => flagged.push(p.id),
                Err(e) => tracing::error!("flagging patrol {} overdue: {e}", p.id),
            }
        }
        if !flagged.is_empty() {
            if let Err(e) = self.project() {
                tracing::error!("projecting overdue patrols: {e}");
            }
        }
        flagged
    }

    /// What `who` sees of patrol `id` now, with its progress and figures so far.
    pub fn patrol_view(&self, who: &Principal, id: &str) -> DomainResult<Value> {
        let p = self
            .patrol_record(id)
            .ok_or_else(|| Refusal::not_found(format!("no patrol {id}")))?;
        let now_ms = self.clock.now_ms();
        let mut v = self
            .disclosure
            .patrol(&p, who, now_ms)
            .ok_or_else(|| Refusal::not_found(format!("no patrol {id}")))?;
        let followed = self.follow_patrol(&p);
        let progress = self.patrol_progress(&p, &followed, now_ms);
        v["progress"] = json!(progress);
        if crate::disclosure::Disclosure::sees_force_tracks(who) {
            v["so_far"] = json!(followed.figures);
            v["last_report"] = json!(followed.last.map(|(f, d)| json!({
                "t": f.t.to_string(), "lon": f.lon, "lat": f.lat, "distance_to_route_m": d,
            })));
        }
        Ok(v)
    }

    /// Every patrol `who` may see, newest window first.
    pub fn patrols(&self, who: &Principal) -> Vec<Value> {
        let ids: Vec<(i64, String)> = self.projector.read(|b| {
            b.operations
                .patrols
                .by_id
                .values()
                .map(|p| (p.from_ms, p.id.clone()))
                .collect()
        });
        let mut ids = ids;
        ids.sort_by(|a, b| b.cmp(a));
        ids.into_iter()
            .filter_map(|(_, id)| self.patrol_view(who, &id).ok())
            .collect()
    }

    /// A patrol's track over its window, thinned to at most `max_points`, for the map:
    /// the force and the mediator only.
    pub fn patrol_track(
        &self,
        who: &Principal,
        id: &str,
        max_points: usize,
    ) -> DomainResult<Value> {
        if !crate::disclosure::Disclosure::sees_force_tracks(who) {
            return Err(Refusal::forbidden(
                "only the force and the mediator see a patrol's track",
            ));
        }
        let p = self
            .patrol_record(id)
            .ok_or_else(|| Refusal::not_found(format!("no patrol {id}")))?;
        let task = task_of(&p, id);
        let coordinates = self
            .tracks
            .with_track(&p.tasking.unit, task.from, task.until, |fixes| {
                let step = fixes.len().div_ceil(max_points.max(2)).max(1);
                let mut out: Vec<[f64; 2]> =
                    fixes.iter().step_by(step).map(|f| [f.lon, f.lat]).collect();
                if let Some(last) = fixes.last() {
                    if out.last() != Some(&[last.lon, last.lat]) {
                        out.push([last.lon, last.lat]);
                    }
                }
                out
            });
        Ok(json!({
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"patrol": id, "kind": "route"},
                 "geometry": {"type": "LineString", "coordinates": p.tasking.route}},
                {"type": "Feature", "properties": {"patrol": id, "kind": "track"},
                 "geometry": {"type": "LineString", "coordinates": coordinates}},
            ],
        }))
    }

    /// Each line's and zone's share patrolled over the last day and week, and the
    /// stretches patrolled in the last `days`, as GeoJSON for the map's layer.
    pub fn coverage_layer(&self, who: &Principal, days: i64) -> DomainResult<Value> {
        if !self.disclosure.sees_coverage(who) {
            return Err(Refusal::forbidden(
                "the coverage of lines is not yours to see",
            ));
        }
        let now = Timestamp(self.clock.now_ms() * 1_000_000);
        let since = Timestamp(now.0 - days * 86_400 * 1_000_000_000);
        let features: Vec<Value> = self
            .tracks
            .covered_paths(since)
            .into_iter()
            .filter(|(_, paths)| !paths.is_empty())
            .map(|(id, paths)| {
                json!({"type": "Feature", "properties": {"feature": id},
                       "geometry": {"type": "MultiLineString", "coordinates": paths}})
            })
            .collect();
        Ok(json!({
            "as_of": now.to_string(),
            "days": days,
            "shares": self.tracks.edge_shares(now),
            "covered": {"type": "FeatureCollection", "features": features},
        }))
    }
}
