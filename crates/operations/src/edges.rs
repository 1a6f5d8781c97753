//! Period coverage of a line or a zone's edges: which stretches the force's patrols went
//! along, and when last. The paths are sampled as routes are (every 100 m); a sample is
//! patrolled at time T when an arc (or lone report) of some patrol ending at T passes
//! within the corridor, and the share "since S" counts the samples last patrolled at or
//! after S. Reports are joined as spec/operations.md joins a track, unit by unit.

use truceline_engine::Timestamp;

use crate::grid::SampleGrid;
use crate::route::RouteSamples;
use crate::Fix;

pub struct EdgeCoverage {
    feature_id: String,
    corridor_m: f64,
    /// Every path's samples, one after another; `starts[i]` is where path `i` begins.
    positions: Vec<[f64; 2]>,
    starts: Vec<usize>,
    grid: SampleGrid,
    last_patrolled: Vec<Option<Timestamp>>,
    candidates: Vec<u32>,
}

impl EdgeCoverage {
    pub fn new(feature_id: &str, paths: Vec<Vec<[f64; 2]>>, corridor_m: f64) -> EdgeCoverage {
        let mut positions = Vec::new();
        let mut starts = Vec::new();
        for path in &paths {
            starts.push(positions.len());
            positions.extend_from_slice(RouteSamples::new(path).positions());
        }
        let grid = SampleGrid::new(&positions, corridor_m);
        EdgeCoverage {
            feature_id: feature_id.to_owned(),
            corridor_m,
            last_patrolled: vec![None; positions.len()],
            positions,
            starts,
            grid,
            candidates: Vec::new(),
        }
    }

    pub fn feature_id(&self) -> &str {
        &self.feature_id
    }

    /// One more report of a patrol, with the unit's previous one (joined when within
    /// `max_gap_s`).
    pub fn push(&mut self, unit_previous: Option<Fix>, fix: Fix, max_gap_s: u32) {
        let b = [fix.lon, fix.lat];
        let a = unit_previous
            .filter(|p| fix.t.0 - p.t.0 <= i64::from(max_gap_s) * 1_000_000_000 && p.t <= fix.t)
            .map_or(b, |p| [p.lon, p.lat]);
        let mut candidates = std::mem::take(&mut self.candidates);
        self.grid.candidates(a, b, self.corridor_m, &mut candidates);
        for &i in &candidates {
            let i = i as usize;
            if self.last_patrolled[i].is_some_and(|t| t >= fix.t) {
                continue;
            }
            let s = self.positions[i];
            if truceline_geometry::reference::distance_point_arc_m(s, a, b) <= self.corridor_m {
                self.last_patrolled[i] = Some(fix.t);
            }
        }
        self.candidates = candidates;
    }

    /// The share of samples last patrolled at or after `since`.
    pub fn share_since(&self, since: Timestamp) -> f64 {
        if self.positions.is_empty() {
            return 0.0;
        }
        let n = self
            .last_patrolled
            .iter()
            .filter(|t| t.is_some_and(|t| t >= since))
            .count();
        n as f64 / self.positions.len() as f64
    }

    /// The stretches patrolled since `since`: runs of consecutive samples of one path.
    pub fn covered_paths_since(&self, since: Timestamp) -> Vec<Vec<[f64; 2]>> {
        let mut out = Vec::new();
        for (k, &start) in self.starts.iter().enumerate() {
            let end = self
                .starts
                .get(k + 1)
                .copied()
                .unwrap_or(self.positions.len());
            let mut run: Vec<[f64; 2]> = Vec::new();
            for i in start..end {
                if self.last_patrolled[i].is_some_and(|t| t >= since) {
                    run.push(self.positions[i]);
                } else if !run.is_empty() {
                    out.push(close(std::mem::take(&mut run)));
                }
            }
            if !run.is_empty() {
                out.push(close(run));
            }
        }
        out
    }
}

/// A run of one sample is drawn as a point-long line, so that it still shows.
fn close(mut run: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    if run.len() == 1 {
        run.push(run[0]);
    }
    run
}
