//! The separation force's figures, pure: patrol coverage as spec/operations.md fixes it
//! (a route sampled every 100 m, a track of reports joined by great-circle arcs, a sample
//! covered within the corridor), followed live as reports come, and the period coverage
//! of the agreement's lines and zone edges. No I/O; time is data (the engine's
//! [`Timestamp`]).
//!
//! Invariants: the indexed figures equal the brute force's ([`brute_force`], every sample
//! against every arc) on the same inputs; [`LiveCoverage::snapshot`] after pushing a
//! track equals [`coverage`] over it.

pub mod brute_force;
pub mod coverage;
pub mod edges;
mod grid;
pub mod live;
pub mod route;
pub mod task;

pub use coverage::{coverage, Coverage};
pub use edges::EdgeCoverage;
pub use live::{Deviation, LiveCoverage, Progress};
pub use route::RouteSamples;
pub use task::{PatrolTask, TaskError, DEFAULT_CORRIDOR_M, DEFAULT_MAX_GAP_S};
pub use truceline_engine::Timestamp;

/// One report of a patrol: when and where.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub t: Timestamp,
    pub lon: f64,
    pub lat: f64,
}
