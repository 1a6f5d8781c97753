//! A patrol followed report by report: the samples covered so far, whether its last
//! report is on its route, its time on route and its deviations. Pushing a whole track
//! gives what [`crate::coverage`] gives over it.

use truceline_engine::Timestamp;
use truceline_geometry::Line;

use crate::coverage::Coverage;
use crate::grid::SampleGrid;
use crate::route::RouteSamples;
use crate::task::PatrolTask;
use crate::Fix;

/// A run of reports farther than the corridor from the route.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation {
    pub from: Timestamp,
    pub until: Timestamp,
    pub max_distance_m: f64,
    pub fixes: usize,
}

/// What one report did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub in_window: bool,
    pub distance_to_route_m: f64,
    pub on_route: bool,
    pub covered_samples: usize,
}

pub struct LiveCoverage {
    task: PatrolTask,
    samples: RouteSamples,
    grid: SampleGrid,
    route: Option<Line>,
    covered: Vec<bool>,
    covered_count: usize,
    reports: usize,
    previous: Option<(Fix, bool)>,
    first_on_route: Option<Timestamp>,
    last_on_route: Option<Timestamp>,
    time_on_route_s: f64,
    deviations: Vec<Deviation>,
    in_deviation: bool,
    candidates: Vec<u32>,
}

impl LiveCoverage {
    pub fn new(task: &PatrolTask) -> LiveCoverage {
        LiveCoverage::with_samples(task, RouteSamples::new(&task.route))
    }

    /// As [`LiveCoverage::new`], with the route's samples already taken.
    pub fn with_samples(task: &PatrolTask, samples: RouteSamples) -> LiveCoverage {
        let grid = SampleGrid::new(samples.positions(), task.corridor_m);
        LiveCoverage {
            covered: vec![false; samples.len()],
            route: Line::new(vec![task.route.clone()]).ok(),
            task: task.clone(),
            samples,
            grid,
            covered_count: 0,
            reports: 0,
            previous: None,
            first_on_route: None,
            last_on_route: None,
            time_on_route_s: 0.0,
            deviations: Vec::new(),
            in_deviation: false,
            candidates: Vec::new(),
        }
    }

    /// Takes the next report (in `t` order); reports outside the window change nothing.
    pub fn push(&mut self, fix: Fix) -> Progress {
        let distance_to_route_m = match &self.route {
            Some(line) => line.distance_m(fix.lon, fix.lat),
            None => f64::INFINITY,
        };
        let on_route = distance_to_route_m <= self.task.corridor_m;
        let in_window = fix.t >= self.task.from && fix.t < self.task.until;
        if !in_window {
            return Progress {
                in_window,
                distance_to_route_m,
                on_route,
                covered_samples: self.covered_count,
            };
        }
        self.reports += 1;
        let joined = self
            .previous
            .filter(|(p, _)| fix.t.0 - p.t.0 <= i64::from(self.task.max_gap_s) * 1_000_000_000);
        let from = joined.map_or([fix.lon, fix.lat], |(p, _)| [p.lon, p.lat]);
        self.cover(from, [fix.lon, fix.lat]);
        if on_route {
            self.first_on_route.get_or_insert(fix.t);
            self.last_on_route = Some(fix.t);
            if let Some((p, true)) = joined {
                self.time_on_route_s += (fix.t.0 - p.t.0) as f64 / 1e9;
            }
            self.in_deviation = false;
        } else {
            match self.deviations.last_mut() {
                Some(d) if self.in_deviation => {
                    d.until = fix.t;
                    d.max_distance_m = d.max_distance_m.max(distance_to_route_m);
                    d.fixes += 1;
                }
                _ => self.deviations.push(Deviation {
                    from: fix.t,
                    until: fix.t,
                    max_distance_m: distance_to_route_m,
                    fixes: 1,
                }),
            }
            self.in_deviation = true;
        }
        self.previous = Some((fix, on_route));
        Progress {
            in_window,
            distance_to_route_m,
            on_route,
            covered_samples: self.covered_count,
        }
    }

    /// Marks the samples within the corridor of the arc from `a` to `b` (a point when
    /// they are the same).
    fn cover(&mut self, a: [f64; 2], b: [f64; 2]) {
        let corridor_m = self.task.corridor_m;
        let mut candidates = std::mem::take(&mut self.candidates);
        self.grid.candidates(a, b, corridor_m, &mut candidates);
        for &i in &candidates {
            let i = i as usize;
            if self.covered[i] {
                continue;
            }
            let s = self.samples.positions()[i];
            if truceline_geometry::reference::distance_point_arc_m(s, a, b) <= corridor_m {
                self.covered[i] = true;
                self.covered_count += 1;
            }
        }
        self.candidates = candidates;
    }

    pub fn snapshot(&self) -> Coverage {
        Coverage::new(
            &self.task,
            &self.samples,
            self.covered_count,
            self.reports,
            self.first_on_route,
            self.last_on_route,
        )
    }

    /// Seconds between consecutive joined reports both within the corridor.
    pub fn time_on_route_s(&self) -> f64 {
        self.time_on_route_s
    }

    pub fn deviations(&self) -> &[Deviation] {
        &self.deviations
    }
}
