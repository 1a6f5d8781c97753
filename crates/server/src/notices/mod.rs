//! Notices (deconfliction): a party gives notice of a planned activity; it is checked,
//! relayed by the mediator to the other side, answered within a deadline, and escalated
//! when it is not.
//!
//! Boundary and invariants:
//! - The record is the ledger. A notice is made by its party's own signed
//!   `notice/submitted` entry and changed only by later entries that name it
//!   ([`projection`]); its id is that entry's ledger index (`N-000123`), so no two notices
//!   can share one and a crash can never leave an acknowledged act without its notice.
//! - The state machine is [`NoticeStatus`]; [`NoticeStatus::answerable`] and friends say
//!   which step is allowed from which state, for the operations ([`service`]) and the
//!   projection alike.
//! - What another principal sees of a notice is [`crate::disclosure`]'s to decide.

pub mod check;
pub mod projection;
pub mod service;

use serde::{Deserialize, Serialize};

use crate::access::Audience;
use crate::clock::parse_ms;
use crate::geo::Place;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Force {
    pub category: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AltitudeBand {
    pub min_m: f64,
    pub max_m: f64,
}

/// What a party submits (and signs, as the body of its `notice/submitted` entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeDraft {
    /// movement | deployment | exercise | flight | strike (on a third party)
    pub kind: String,
    pub place: Place,
    /// RFC 3339 UTC.
    pub from: String,
    pub until: String,
    #[serde(default)]
    pub altitude: Option<AltitudeBand>,
    #[serde(default)]
    pub forces: Vec<Force>,
    /// For a strike: on whom (a third party, never a party to the agreement).
    #[serde(default)]
    pub third_party: Option<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleConflict {
    pub rule: String,
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overlap {
    pub notice: String,
    pub party: String,
    pub status: NoticeStatus,
    pub distance_km: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeCheck {
    /// True when the lead time is met, no rule would be broken and no accepted notice of
    /// another party overlaps.
    pub ok: bool,
    pub lead_time_required_min: u32,
    pub lead_time_given_min: i64,
    pub lead_time_met: bool,
    pub rule_conflicts: Vec<RuleConflict>,
    /// Overlaps with acknowledged notices of another party (these make `ok` false).
    pub overlaps: Vec<Overlap>,
    /// Overlaps with notices of another party still awaiting an answer.
    pub pending_overlaps: Vec<Overlap>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relay {
    pub at: String,
    pub to: Vec<String>,
    pub redacted: Vec<String>,
    pub deadline: String,
    #[serde(skip)]
    pub deadline_ms: i64,
}

/// A party's answer to a relayed notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    Acknowledge,
    Object,
}

impl AnswerKind {
    pub fn parse(text: &str) -> Option<AnswerKind> {
        match text {
            "acknowledge" => Some(AnswerKind::Acknowledge),
            "object" => Some(AnswerKind::Object),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::Acknowledge => "acknowledge",
            AnswerKind::Object => "object",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub party: String,
    pub answer: AnswerKind,
    #[serde(default)]
    pub reason: String,
    pub at: String,
    pub late: bool,
}

/// Where a notice stands.
///
/// ```text
/// submitted -> relayed -> acknowledged | objected
///                      -> overdue (deadline passed) -> acknowledged | objected
/// any but withdrawn -> withdrawn
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    Submitted,
    Relayed,
    Acknowledged,
    Objected,
    Overdue,
    Withdrawn,
}

impl NoticeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeStatus::Submitted => "submitted",
            NoticeStatus::Relayed => "relayed",
            NoticeStatus::Acknowledged => "acknowledged",
            NoticeStatus::Objected => "objected",
            NoticeStatus::Overdue => "overdue",
            NoticeStatus::Withdrawn => "withdrawn",
        }
    }

    /// The mediator may relay it.
    pub fn relayable(self) -> bool {
        self == NoticeStatus::Submitted
    }

    /// A party it was relayed to may answer it.
    pub fn answerable(self) -> bool {
        matches!(self, NoticeStatus::Relayed | NoticeStatus::Overdue)
    }

    /// Another party's notice in this state is weighed when checking a new one.
    pub fn in_play(self) -> bool {
        matches!(
            self,
            NoticeStatus::Relayed | NoticeStatus::Acknowledged | NoticeStatus::Overdue
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub id: String,
    pub party: String,
    #[serde(flatten)]
    pub draft: NoticeDraft,
    pub submitted_at: String,
    pub status: NoticeStatus,
    /// The mediator's check when it accepted the notice; absent only while the entry that
    /// records it is still to come (or was lost to a crash: the server then records one
    /// on open).
    #[serde(default)]
    pub check: Option<NoticeCheck>,
    #[serde(default)]
    pub relay: Option<Relay>,
    #[serde(default)]
    pub answers: Vec<Answer>,
    #[serde(default)]
    pub escalated_at: Option<String>,
    /// Ledger indices of this notice's entries, in order.
    #[serde(default)]
    pub ledger: Vec<u64>,
    #[serde(skip)]
    pub from_ms: i64,
    #[serde(skip)]
    pub until_ms: i64,
}

/// A notice's id from the ledger index of the entry that made it.
pub fn notice_id(index: u64) -> String {
    format!("N-{index:06}")
}

impl Notice {
    /// Fills the fields kept only in memory from the stored ones.
    pub fn fix_times(&mut self) {
        self.from_ms = parse_ms(&self.draft.from).unwrap_or(0);
        self.until_ms = parse_ms(&self.draft.until).unwrap_or(0);
        if let Some(r) = &mut self.relay {
            r.deadline_ms = parse_ms(&r.deadline).unwrap_or(0);
        }
    }

    /// Who reads its entries before the relay: its own party (and the mediator).
    pub fn own_audience(&self) -> Audience {
        Audience::ids([self.party.clone()])
    }

    /// Who reads its entries after the relay: its party and those it was relayed to.
    pub fn relay_audience(&self) -> Audience {
        match &self.relay {
            Some(r) => Audience::ids(r.to.iter().cloned().chain([self.party.clone()])),
            None => self.own_audience(),
        }
    }

    /// The status its answers give it: any objection wins; every answer an
    /// acknowledgement is acknowledged; otherwise it stays as it is.
    pub fn status_from_answers(&self) -> NoticeStatus {
        let Some(relay) = &self.relay else {
            return self.status;
        };
        let latest: Vec<&Answer> = relay
            .to
            .iter()
            .filter_map(|p| self.answers.iter().rev().find(|a| a.party == *p))
            .collect();
        if latest.iter().any(|a| a.answer == AnswerKind::Object) {
            NoticeStatus::Objected
        } else if latest.len() == relay.to.len() {
            NoticeStatus::Acknowledged
        } else {
            self.status
        }
    }
}
