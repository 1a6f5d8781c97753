//! Phases certified complete: the mediator's signed statement, with its reasons and the
//! hashes of its evidence, that a named phase of the agreement is done, so that the rules
//! waiting on it (`active_after = {phase, delay_minutes}`) open (docs/agreement-format.md,
//! "Phases").
//!
//! The engine thread takes the certification first (it refuses an unknown phase, one
//! certified already, or one whose rules would open before the last report) and records
//! it among the batches (`phase/certified`, public), where restoring takes it again. The
//! projection here is what the API and the feed tell of it.

pub mod projection;
pub mod service;

use serde::{Deserialize, Serialize};

/// Most pieces of evidence one certification cites.
pub const MAX_EVIDENCE: usize = 64;
/// Longest statement of reasons, in bytes.
pub const MAX_REASONS_BYTES: usize = 16 * 1024;

/// What the mediator certifies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificationRequest {
    /// When the phase was complete (RFC 3339 UTC): the delays count from here.
    pub at: String,
    pub reasons: String,
    /// SHA-256 (hex) of each piece of evidence (uploaded with PUT /v1/evidence).
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// A rule a certification opened, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleStart {
    pub rule: String,
    pub starts_at: String,
}

/// A phase certified complete, as the ledger says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certification {
    pub phase: String,
    pub at: String,
    pub reasons: String,
    pub evidence: Vec<String>,
    pub starts: Vec<RuleStart>,
    pub certified_at: String,
    pub entry: u64,
}
