//! Checking a notice before it is given: its fields, its lead time, the agreement's rules
//! over its place and window, and the other side's notices in play. Pure: the present
//! (cap totals, other notices, "now") comes in as arguments.

use truceline_engine::agreement::{Role, RuleKind};
use truceline_engine::Agreement;

use super::{Notice, NoticeCheck, NoticeDraft, NoticeStatus, Overlap, RuleConflict};
use crate::clock::parse_ms;
use crate::geo::{distance_between_m, distance_to_feature_m};
use crate::live::Snapshot;
use crate::policy::{NoticePolicy, NOTICE_KINDS};
use crate::refusal::{DomainResult, Refusal};

pub const MAX_TEXT_CHARS: usize = 4_000;
pub const MAX_FORCES: usize = 64;

/// Refuses text longer than [`MAX_TEXT_CHARS`].
pub fn text(field: &str, s: &str) -> DomainResult<()> {
    if s.chars().count() > MAX_TEXT_CHARS {
        return Err(Refusal::invalid(format!(
            "{field}: at most {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(())
}

pub fn parse_time(field: &str, s: &str) -> DomainResult<i64> {
    parse_ms(s).map_err(|e| Refusal::invalid(format!("{field}: {e}")))
}

/// What checking a notice needs to know.
pub struct Checker<'a> {
    pub agreement: &'a Agreement,
    pub policy: &'a NoticePolicy,
}

impl Checker<'_> {
    fn party_role(&self, id: &str) -> Option<Role> {
        self.agreement
            .parties
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.role)
    }

    pub fn validate(&self, d: &NoticeDraft) -> DomainResult<(i64, i64)> {
        if !NOTICE_KINDS.contains(&d.kind.as_str()) {
            return Err(Refusal::invalid(format!(
                "kind {:?}: one of {NOTICE_KINDS:?}",
                d.kind
            )));
        }
        d.place
            .validate()
            .map_err(|e| Refusal::invalid(format!("place: {e}")))?;
        let from = parse_time("from", &d.from)?;
        let until = parse_time("until", &d.until)?;
        if until <= from {
            return Err(Refusal::invalid("until must be after from"));
        }
        if until - from > 31 * 24 * 3_600_000 {
            return Err(Refusal::invalid(
                "a notice's window is at most 31 days; give several notices",
            ));
        }
        match (&d.kind[..], &d.altitude) {
            ("flight", None) => {
                return Err(Refusal::invalid("a flight notice needs an altitude band"))
            }
            (_, Some(a))
                if !(a.min_m.is_finite()
                    && a.max_m.is_finite()
                    && a.min_m <= a.max_m
                    && a.min_m >= -500.0
                    && a.max_m <= 100_000.0) =>
            {
                return Err(Refusal::invalid(
                    "altitude: min_m <= max_m, within -500 and 100000",
                ))
            }
            _ => {}
        }
        if d.forces.len() > MAX_FORCES {
            return Err(Refusal::invalid(format!(
                "at most {MAX_FORCES} force lines"
            )));
        }
        for f in &d.forces {
            if !self.agreement.categories.iter().any(|c| c.id == f.category) {
                return Err(Refusal::invalid(format!(
                    "forces: unknown category {:?}",
                    f.category
                )));
            }
        }
        if d.kind == "strike" {
            match &d.third_party {
                None => {
                    return Err(Refusal::invalid(
                        "a strike notice names the third party it is on",
                    ))
                }
                Some(t) if self.party_role(t) == Some(Role::Party) => {
                    return Err(Refusal::invalid(
                        "a strike notice is for a third party, not a party to the agreement",
                    ))
                }
                Some(t) => text("third_party", t)?,
            }
        }
        text("description", &d.description)?;
        Ok((from, until))
    }

    /// Checks a notice against the agreement, the present and the other side's notices.
    pub fn check<'n>(
        &self,
        party: &str,
        d: &NoticeDraft,
        now_ms: i64,
        snapshot: &Snapshot,
        others: impl Iterator<Item = &'n Notice>,
    ) -> DomainResult<NoticeCheck> {
        let (from, until) = self.validate(d)?;
        let required = self.policy.lead_time_min(&d.kind);
        let given = (from - now_ms).div_euclid(60_000);
        let lead_met = from - now_ms >= i64::from(required) * 60_000;
        let a = self.agreement;
        let party_ix = a.parties.iter().position(|p| p.id == party);
        let mut conflicts = Vec::new();
        for rule in &a.rules {
            // A rule waiting for a phase's certification may start at any moment, so it
            // is checked as if in force: a false alarm costs less than a missed conflict.
            let active = rule.active_from.is_none_or(|f| f.0 / 1_000_000 < until)
                && rule.active_until.is_none_or(|u| u.0 / 1_000_000 > from);
            if !active || party_ix.is_none() {
                continue;
            }
            let p = party_ix.unwrap_or(0) as u16;
            let declared = |cat: u16| -> u64 {
                d.forces
                    .iter()
                    .filter(|f| f.category == a.categories[usize::from(cat)].id)
                    .map(|f| f.count)
                    .sum()
            };
            match &rule.kind {
                RuleKind::Exclusion { zone, forces } => {
                    let hit: Vec<&str> = d
                        .forces
                        .iter()
                        .filter(|f| f.count > 0)
                        .filter_map(|f| {
                            a.categories
                                .iter()
                                .position(|c| c.id == f.category)
                                .map(|c| (f, c as u16))
                        })
                        .filter(|(_, c)| forces.matches(p, *c))
                        .map(|(f, _)| f.category.as_str())
                        .collect();
                    if !hit.is_empty()
                        && distance_to_feature_m(&d.place, &a.features[*zone as usize]) == 0.0
                    {
                        conflicts.push(RuleConflict {
                            rule: rule.id.clone(),
                            kind: "exclusion".into(),
                            detail: format!(
                                "{} would enter {}, which excludes them",
                                hit.join(", "),
                                a.features[*zone as usize].id
                            ),
                        });
                    }
                }
                RuleKind::Cap {
                    zone,
                    party: cp,
                    category,
                    max,
                } if *cp == p => {
                    let n = declared(*category);
                    if n > 0 && distance_to_feature_m(&d.place, &a.features[*zone as usize]) == 0.0
                    {
                        let present = snapshot.cap_totals.get(&rule.id).copied().unwrap_or(0);
                        if n + present > *max {
                            conflicts.push(RuleConflict {
                                rule: rule.id.clone(),
                                kind: "cap".into(),
                                detail: format!(
                                    "{n} {} declared with {present} already in {}: {} over the cap of {max}",
                                    a.categories[usize::from(*category)].id,
                                    a.features[*zone as usize].id,
                                    n + present - max
                                ),
                            });
                        }
                    }
                }
                RuleKind::Standoff {
                    target,
                    forces,
                    min_km,
                } => {
                    let any = d.forces.iter().filter(|f| f.count > 0).any(|f| {
                        a.categories
                            .iter()
                            .position(|c| c.id == f.category)
                            .is_some_and(|c| forces.matches(p, c as u16))
                    });
                    if any {
                        let dist = distance_to_feature_m(&d.place, &a.features[*target as usize]);
                        if dist < min_km * 1000.0 {
                            conflicts.push(RuleConflict {
                                rule: rule.id.clone(),
                                kind: "standoff".into(),
                                detail: format!(
                                    "the place comes within {:.1} km of {}; the standoff is {min_km} km",
                                    dist / 1000.0,
                                    a.features[*target as usize].id
                                ),
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        let mut overlaps = Vec::new();
        let mut pending = Vec::new();
        let buffer_ms = i64::from(self.policy.buffer_min) * 60_000;
        for other in others {
            if other.party == party || !other.status.in_play() {
                continue;
            }
            if other.until_ms + buffer_ms <= from || until + buffer_ms <= other.from_ms {
                continue;
            }
            let dist = distance_between_m(&d.place, &other.draft.place);
            if dist <= self.policy.buffer_km * 1000.0 {
                let o = Overlap {
                    notice: other.id.clone(),
                    party: other.party.clone(),
                    status: other.status,
                    distance_km: (dist / 10.0).round() / 100.0,
                };
                if other.status == NoticeStatus::Acknowledged {
                    overlaps.push(o);
                } else {
                    pending.push(o);
                }
            }
        }
        Ok(NoticeCheck {
            ok: lead_met && conflicts.is_empty() && overlaps.is_empty(),
            lead_time_required_min: required,
            lead_time_given_min: given,
            lead_time_met: lead_met,
            rule_conflicts: conflicts,
            overlaps,
            pending_overlaps: pending,
        })
    }
}
