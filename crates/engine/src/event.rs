//! Events: what the engine says (spec/engine.md 1.4).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ExclusionBreach,
    ExclusionCleared,
    CapExceeded,
    CapRestored,
    StandoffBreach,
    StandoffCleared,
    SeparationBreach,
    SeparationCleared,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::ExclusionBreach,
        EventKind::ExclusionCleared,
        EventKind::CapExceeded,
        EventKind::CapRestored,
        EventKind::StandoffBreach,
        EventKind::StandoffCleared,
        EventKind::SeparationBreach,
        EventKind::SeparationCleared,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ExclusionBreach => "exclusion_breach",
            EventKind::ExclusionCleared => "exclusion_cleared",
            EventKind::CapExceeded => "cap_exceeded",
            EventKind::CapRestored => "cap_restored",
            EventKind::StandoffBreach => "standoff_breach",
            EventKind::StandoffCleared => "standoff_cleared",
            EventKind::SeparationBreach => "separation_breach",
            EventKind::SeparationCleared => "separation_cleared",
        }
    }

    /// True for the kinds that say a rule started being broken.
    pub fn is_breach(self) -> bool {
        matches!(
            self,
            EventKind::ExclusionBreach
                | EventKind::CapExceeded
                | EventKind::StandoffBreach
                | EventKind::SeparationBreach
        )
    }
}

/// Why a breach ended other than by a movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClearReason {
    /// The rule's window closed while it was broken.
    RuleInactive,
    /// A new version of the agreement entered into force and changed or removed the rule
    /// (spec/negotiation.md, entry into force).
    AgreementAmended,
}

impl ClearReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ClearReason::RuleInactive => "rule_inactive",
            ClearReason::AgreementAmended => "agreement_amended",
        }
    }
}

/// One transition of one rule. Names are shared (`Arc<str>`) with the engine's tables, so
/// that an event costs no string copies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub t: Timestamp,
    pub rule: Arc<str>,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_km: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ClearReason>,
}

impl Event {
    pub(crate) fn new(t: Timestamp, rule: &Arc<str>, kind: EventKind) -> Event {
        Event {
            t,
            rule: rule.clone(),
            kind,
            unit: None,
            other: None,
            party: None,
            zone: None,
            target: None,
            category: None,
            value: None,
            limit: None,
            distance_km: None,
            limit_km: None,
            reason: None,
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}
