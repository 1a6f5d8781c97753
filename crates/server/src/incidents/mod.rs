//! Incidents and findings: alleged violations from parties, monitors, the mediator or the
//! engine, investigated and closed by the mediator's finding.
//!
//! Boundary and invariants:
//! - The record is the ledger ([`projection`]). A reported incident is made by its
//!   reporter's own `incident/reported` entry (the mediator's `incident/opened`), and its
//!   id is that entry's index (`I-000123`). An engine incident is made by the breach event
//!   in an `engine/events` entry, its id that entry's index and the event's place in it
//!   (`I-000123-2`). No id can be given twice; a crash loses nothing acknowledged.
//! - Repeated breaches of one rule by the same unit, pair or cap within the agreement's
//!   `[incidents] join_within_h` of the last one join the open incident
//!   ([`engine_link`]), so a unit pacing a line makes one incident, not hundreds.
//! - The state machine is [`IncidentStatus`]; a finding is final.
//! - What each principal sees of an incident is [`crate::disclosure`]'s to decide.

pub mod engine_link;
pub mod projection;
pub mod service;

use serde::{Deserialize, Serialize};

use crate::access::Audience;

pub const MAX_EVIDENCE: usize = 64;

pub const INCIDENT_CATEGORIES: [&str; 8] = [
    "exclusion_breach",
    "cap_exceeded",
    "standoff",
    "separation",
    "fire_across_line",
    "airspace_violation",
    "restriction_of_monitors",
    "other",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceReport {
    pub lon: f64,
    pub lat: f64,
    /// Radius within which the place is known.
    pub precision_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Hex SHA-256 of the file (upload it to /v1/evidence first).
    pub sha256: String,
    pub media_type: String,
}

/// What a reporter submits (and signs, as the body of its `incident/reported` entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentDraft {
    pub category: String,
    /// RFC 3339 UTC: when it happened.
    pub occurred_at: String,
    /// How well the time is known, in seconds.
    #[serde(default)]
    pub time_precision_s: u32,
    #[serde(default)]
    pub place: Option<PlaceReport>,
    #[serde(default)]
    pub alleged_party: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

/// The engine's side of an incident it opened: the breach and every repetition joined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineLink {
    pub rule: String,
    pub kind: String,
    /// The first party's unit (a cap names none).
    #[serde(default)]
    pub unit: Option<String>,
    /// The second party's unit, for a separation.
    #[serde(default)]
    pub other: Option<String>,
    /// Whose units `unit` and `other` are.
    #[serde(default)]
    pub unit_party: Option<String>,
    #[serde(default)]
    pub other_party: Option<String>,
    /// Where `other` was at the first breach (the incident's place is `unit`'s).
    #[serde(default)]
    pub other_place: Option<[f64; 2]>,
    /// Ledger index of the `engine/events` entry of the first breach.
    pub entry: u64,
    /// How many breaches this incident holds (1 and those joined).
    pub occurrences: u32,
    /// When the last of them began (RFC 3339).
    pub last_breach_at: String,
    /// When the condition last cleared, if it is clear now.
    #[serde(default)]
    pub cleared_at: Option<String>,
    #[serde(skip)]
    pub last_breach_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub party: String,
    pub text: String,
    pub at: String,
}

/// The mediator's conclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Verified,
    NotSubstantiated,
    Undetermined,
}

impl Outcome {
    pub fn parse(text: &str) -> Option<Outcome> {
        match text {
            "verified" => Some(Outcome::Verified),
            "not_substantiated" => Some(Outcome::NotSubstantiated),
            "undetermined" => Some(Outcome::Undetermined),
            _ => None,
        }
    }

    pub fn status(self) -> IncidentStatus {
        match self {
            Outcome::Verified => IncidentStatus::Verified,
            Outcome::NotSubstantiated => IncidentStatus::NotSubstantiated,
            Outcome::Undetermined => IncidentStatus::Undetermined,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub outcome: Outcome,
    pub reasons: String,
    pub by: String,
    pub at: String,
}

/// Where an incident stands.
///
/// ```text
/// alleged -> investigating -> verified | not_substantiated | undetermined (final)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Alleged,
    Investigating,
    Verified,
    NotSubstantiated,
    Undetermined,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Alleged => "alleged",
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Verified => "verified",
            IncidentStatus::NotSubstantiated => "not_substantiated",
            IncidentStatus::Undetermined => "undetermined",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(
            self,
            IncidentStatus::Alleged | IncidentStatus::Investigating
        )
    }
}

/// Who opened an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Party,
    Monitor,
    Mediator,
    Engine,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub at: String,
    pub by: String,
    pub status: IncidentStatus,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    #[serde(flatten)]
    pub draft: IncidentDraft,
    pub status: IncidentStatus,
    pub source: Source,
    pub reporter: String,
    /// The parties it is about (the alleged party, or both sides of a separation).
    pub about: Vec<String>,
    pub opened_at: String,
    #[serde(default)]
    pub engine: Option<EngineLink>,
    #[serde(default)]
    pub responses: Vec<Response>,
    #[serde(default)]
    pub finding: Option<Finding>,
    pub history: Vec<Step>,
    /// Ledger indices of this incident's entries, in order.
    #[serde(default)]
    pub ledger: Vec<u64>,
}

/// A reported incident's id from the ledger index of the entry that made it.
pub fn incident_id(index: u64) -> String {
    format!("I-{index:06}")
}

/// An engine incident's id: the entry of its first breach and the event's place in it.
pub fn engine_incident_id(index: u64, event: usize) -> String {
    format!("I-{index:06}-{}", event + 1)
}

impl Incident {
    /// Names ledger entry `index` among this incident's, once: one `engine/events` entry
    /// may carry a breach and its clearing.
    pub fn cite(&mut self, index: u64) {
        if self.ledger.last() != Some(&index) {
            self.ledger.push(index);
        }
    }

    pub fn audience(&self) -> Audience {
        let mut ids = self.about.clone();
        ids.push(self.reporter.clone());
        Audience::ids(ids).with_monitors()
    }

    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }
}
