//! A patrol task: the route, the window, the corridor and the gap that joins reports, with
//! the bounds spec/operations.md sets.

use truceline_engine::Timestamp;

pub const DEFAULT_CORRIDOR_M: f64 = 500.0;
pub const DEFAULT_MAX_GAP_S: u32 = 600;
pub const MIN_CORRIDOR_M: f64 = 10.0;
pub const MAX_CORRIDOR_M: f64 = 5_000.0;
pub const MAX_GAP_LIMIT_S: u32 = 86_400;
/// Most positions a route may have (bounds the samples and the index on hostile input).
pub const MAX_ROUTE_POSITIONS: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct PatrolTask {
    pub id: String,
    /// The id the patrol reports its positions under.
    pub unit: String,
    /// WGS84 `[lon, lat]` positions.
    pub route: Vec<[f64; 2]>,
    /// The window, `[from, until)`.
    pub from: Timestamp,
    pub until: Timestamp,
    pub corridor_m: f64,
    pub max_gap_s: u32,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaskError {
    #[error("corridor_m {0}: from {MIN_CORRIDOR_M} to {MAX_CORRIDOR_M}")]
    Corridor(f64),
    #[error("max_gap_s {0}: from 1 to {MAX_GAP_LIMIT_S}")]
    MaxGap(u32),
    #[error("the window is empty: from {from} is not before until {until}")]
    Window { from: String, until: String },
    #[error("route: at least 2 positions and at most {MAX_ROUTE_POSITIONS}; {0} given")]
    RouteLength(usize),
    #[error("route position {index}: {why}")]
    Position { index: usize, why: String },
    #[error("route: spans more than 180 degrees of longitude")]
    Antimeridian,
}

impl PatrolTask {
    pub fn validate(&self) -> Result<(), TaskError> {
        if !(MIN_CORRIDOR_M..=MAX_CORRIDOR_M).contains(&self.corridor_m) {
            return Err(TaskError::Corridor(self.corridor_m));
        }
        if !(1..=MAX_GAP_LIMIT_S).contains(&self.max_gap_s) {
            return Err(TaskError::MaxGap(self.max_gap_s));
        }
        if self.from >= self.until {
            return Err(TaskError::Window {
                from: self.from.to_string(),
                until: self.until.to_string(),
            });
        }
        if !(2..=MAX_ROUTE_POSITIONS).contains(&self.route.len()) {
            return Err(TaskError::RouteLength(self.route.len()));
        }
        for (index, p) in self.route.iter().enumerate() {
            truceline_geometry::check_position(*p).map_err(|e| TaskError::Position {
                index,
                why: e.to_string(),
            })?;
        }
        let (lo, hi) = self.route.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            (lo.min(p[0]), hi.max(p[0]))
        });
        if hi - lo > 180.0 {
            return Err(TaskError::Antimeridian);
        }
        Ok(())
    }
}
