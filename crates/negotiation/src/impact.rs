//! What a draft would have meant over recorded reports (spec/negotiation.md, "Impact"):
//! per rule and per party, the breaches under the baseline (A) and under the draft (B).
//!
//! A breach is an event whose kind ends in `_breach`, or `cap_exceeded`. It counts for its
//! rule, and for the party of the unit whose report caused it: the event's `party` for
//! exclusion and standoff (the unit's), the rule's party for `cap_exceeded`, and for a
//! separation the party of the unit that reported. A separation breach said when the
//! rule's window opens has no such report: it counts for the rule's first party (the
//! event's `unit`), so that the parties' counts add up to the rules'.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use truceline_engine::agreement::{PartyIndex, RuleKind};
use truceline_engine::{Agreement, Event, EventKind};

/// Breaches under one draft, per rule and per party (indices of that draft's agreement).
#[derive(Debug, Clone)]
pub struct Tally {
    agreement: Arc<Agreement>,
    rule_index: HashMap<Arc<str>, usize>,
    party_index: HashMap<String, usize>,
    pub per_rule: Vec<u64>,
    pub per_party: Vec<u64>,
}

impl Tally {
    pub fn new(agreement: Arc<Agreement>) -> Tally {
        Tally {
            rule_index: agreement
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| (Arc::from(r.id.as_str()), i))
                .collect(),
            party_index: agreement
                .parties
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.clone(), i))
                .collect(),
            per_rule: vec![0; agreement.rules.len()],
            per_party: vec![0; agreement.parties.len()],
            agreement,
        }
    }

    /// Counts `events`; `causes[i]` is the party of the unit whose report made `events[i]`
    /// (`None`: a rule window's instant made it), as `Engine::apply_chunk_attributed` says.
    pub fn count(&mut self, events: &[Event], causes: &[Option<PartyIndex>]) {
        debug_assert_eq!(events.len(), causes.len());
        for (event, cause) in events.iter().zip(causes) {
            if !event.kind.is_breach() {
                continue;
            }
            let Some(&rule) = self.rule_index.get(&event.rule) else {
                debug_assert!(false, "an event names a rule of its agreement");
                continue;
            };
            self.per_rule[rule] += 1;
            let party = match event.kind {
                EventKind::SeparationBreach => match (cause, &self.agreement.rules[rule].kind) {
                    (Some(p), _) => Some(usize::from(*p)),
                    (None, RuleKind::Separation { parties, .. }) => Some(usize::from(parties[0])),
                    (None, _) => None,
                },
                _ => event
                    .party
                    .as_deref()
                    .and_then(|p| self.party_index.get(p).copied()),
            };
            if let Some(p) = party {
                self.per_party[p] += 1;
            }
        }
    }

    pub fn agreement(&self) -> &Arc<Agreement> {
        &self.agreement
    }
}

/// Where a rule is: in the baseline, the draft, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum In {
    A,
    B,
    Both,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleImpact {
    pub id: String,
    #[serde(rename = "in")]
    pub in_: In,
    pub breaches_a: u64,
    pub breaches_b: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyImpact {
    pub id: String,
    pub breaches_a: u64,
    pub breaches_b: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImpactReport {
    /// Reports replayed (the same under both).
    pub reports: u64,
    pub rules: Vec<RuleImpact>,
    pub parties: Vec<PartyImpact>,
}

/// The impact report from the tallies of the baseline (`a`) and the draft (`b`). Rules and
/// parties are matched by id: A's in A's order, then B's new ones; a rule absent from a
/// draft has 0 breaches under it. Every declared party of either draft is listed.
pub fn impact(a: &Tally, b: &Tally, reports: u64) -> ImpactReport {
    let (aa, ab) = (&a.agreement, &b.agreement);
    let b_rule: HashMap<&str, usize> = ab
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let a_rule: HashMap<&str, usize> = aa
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut rules: Vec<RuleImpact> = aa
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let j = b_rule.get(r.id.as_str()).copied();
            RuleImpact {
                id: r.id.clone(),
                in_: if j.is_some() { In::Both } else { In::A },
                breaches_a: a.per_rule[i],
                breaches_b: j.map_or(0, |j| b.per_rule[j]),
            }
        })
        .collect();
    rules.extend(
        ab.rules
            .iter()
            .enumerate()
            .filter(|(_, r)| !a_rule.contains_key(r.id.as_str()))
            .map(|(j, r)| RuleImpact {
                id: r.id.clone(),
                in_: In::B,
                breaches_a: 0,
                breaches_b: b.per_rule[j],
            }),
    );
    let mut parties: Vec<PartyImpact> = aa
        .parties
        .iter()
        .enumerate()
        .map(|(i, p)| PartyImpact {
            id: p.id.clone(),
            breaches_a: a.per_party[i],
            breaches_b: b.party_index.get(&p.id).map_or(0, |&j| b.per_party[j]),
        })
        .collect();
    parties.extend(
        ab.parties
            .iter()
            .enumerate()
            .filter(|(_, p)| !a.party_index.contains_key(&p.id))
            .map(|(j, p)| PartyImpact {
                id: p.id.clone(),
                breaches_a: 0,
                breaches_b: b.per_party[j],
            }),
    );
    ImpactReport {
        reports,
        rules,
        parties,
    }
}
