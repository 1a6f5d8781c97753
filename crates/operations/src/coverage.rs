//! The coverage of a task over a track: spec/operations.md's figures.

use serde::Serialize;
use truceline_engine::Timestamp;

use crate::live::LiveCoverage;
use crate::route::RouteSamples;
use crate::task::PatrolTask;
use crate::Fix;

/// The printed figures, in the spec's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub task: String,
    pub unit: String,
    pub route_km: f64,
    pub samples: usize,
    pub covered_samples: usize,
    pub coverage: f64,
    pub covered_km: f64,
    pub reports: usize,
    #[serde(serialize_with = "time")]
    pub first_on_route: Option<Timestamp>,
    #[serde(serialize_with = "time")]
    pub last_on_route: Option<Timestamp>,
}

fn time<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_string()),
        None => s.serialize_none(),
    }
}

impl Coverage {
    pub(crate) fn new(
        task: &PatrolTask,
        samples: &RouteSamples,
        covered_samples: usize,
        reports: usize,
        first_on_route: Option<Timestamp>,
        last_on_route: Option<Timestamp>,
    ) -> Coverage {
        let coverage = if samples.is_empty() {
            0.0
        } else {
            covered_samples as f64 / samples.len() as f64
        };
        Coverage {
            task: task.id.clone(),
            unit: task.unit.clone(),
            route_km: samples.route_km(),
            samples: samples.len(),
            covered_samples,
            coverage,
            covered_km: coverage * samples.route_km(),
            reports,
            first_on_route,
            last_on_route,
        }
    }
}

/// The coverage of `task` by `track` (the unit's reports in `t` order; those outside the
/// window are skipped), indexed: each arc looks only at the samples near it.
pub fn coverage(task: &PatrolTask, samples: &RouteSamples, track: &[Fix]) -> Coverage {
    let start = track.partition_point(|f| f.t < task.from);
    let mut live = LiveCoverage::with_samples(task, samples.clone());
    for f in &track[start..] {
        if f.t >= task.until {
            break;
        }
        live.push(*f);
    }
    live.snapshot()
}
