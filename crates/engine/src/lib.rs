//! truceline's compliance engine (contract: spec/engine.md).
//!
//! An [`Agreement`](agreement::Agreement) (zones, lines, rules) and a stream of position
//! reports go in; [`Event`](event::Event)s come out, saying when each rule starts and stops
//! being broken.
//!
//! Boundary and invariants:
//! - Sans-IO: no files, sockets, threads or clocks. Callers pass text in and take events
//!   out; time is the reports' `t`.
//! - An agreement that loads is fully resolved and valid: evaluation never fails on it.
//! - Bad input is an `Err` naming what is wrong (the caller adds the file and line); it
//!   never panics and never changes the engine's state.
//! - Evaluation is incremental: a report costs work only for the rules that apply to its
//!   unit's party and category (see [`engine`]).

pub mod agreement;
pub mod batch;
pub mod classifier;
pub mod engine;
pub mod error;
pub mod event;
mod event_json;
mod geojson;
pub mod grid;
mod packed_id;
pub mod report;
pub mod time;

pub use agreement::{Agreement, AgreementError, AgreementSource};
pub use batch::{
    classify_chunk, classify_chunk_amended_into, classify_chunk_into, classify_chunk_pair_into,
    ClassifiedChunk, LineError, PairClassifier,
};
pub use classifier::SharingPlan;
pub use engine::{Classifier, Engine, Hit, ReportRef, UnitView};
pub use error::{
    AmendError, ApplyError, FeatureProblem, LoadError, PhaseError, Problem, ReportError,
    RuleProblem,
};
pub use event::{ClearReason, Event, EventKind};
pub use report::{parse_report, RawReport, ReportReader};
pub use time::Timestamp;
