//! The talks, offline (spec/negotiation.md): drafts of the agreement and their identity,
//! the gap report between two drafts, and what a draft would have meant over recorded
//! reports.
//!
//! Boundary and invariants:
//! - Pure: no files, threads or clocks. The caller reads the files and hands their text to
//!   [`DraftSource::parse`] then [`DraftSource::build`] (the engine's own loader, so a bad
//!   draft is refused with the engine's `file:line: what`); the binary prints.
//! - A [`Draft`]'s `sha256` depends only on the parsed content of its two files (RFC 8785),
//!   never on their formatting.
//! - [`diff`] is total on two valid drafts: every zone, line and rule id of either draft
//!   appears once; for a zone in both, `only_a + both` is A's area and `only_b + both` is
//!   B's (to rounding), and swapping the drafts swaps `only_a` and `only_b` (property
//!   tests hold both).
//! - [`impact`] only counts: the events come from the engine (`truceline draft impact`
//!   feeds one engine per draft from one pass over the reports), so its counts are those of
//!   `truceline replay` under each draft.

pub mod diff;
pub mod draft;
pub mod html;
pub mod impact;

pub use diff::{diff, GapReport, Status};
pub use draft::{Draft, DraftError, DraftSource};
pub use impact::{impact, ImpactReport, Tally};
