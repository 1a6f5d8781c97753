//! Phases certified complete (docs/agreement-format.md, phases): a rule with `active_after`
//! starts `delay_minutes` after the mediator certifies its phase, whenever that is, instead
//! of at a date fixed in advance. A certification only ever moves forward in time: it
//! schedules window instants after the last report applied, which then apply as any other.

use super::*;
use crate::error::PhaseError;

impl Engine {
    /// Records that `phase` was certified complete at `at`: every rule starting after it
    /// gets its start (`at` plus its delay) and, where that falls before its `active_until`,
    /// a window instant. Returns the rules given a start. On error nothing changes.
    pub fn certify_phase(
        &mut self,
        phase: &str,
        at: Timestamp,
    ) -> Result<Vec<RuleIndex>, PhaseError> {
        let agreement = self.classifier.agreement.clone();
        let Some(index) = agreement.phases.iter().position(|p| p.id == phase) else {
            return Err(PhaseError::UnknownPhase {
                phase: phase.to_owned(),
                agreement: agreement.id.clone(),
            });
        };
        if let Some(&(_, was)) = self.certified.iter().find(|(id, _)| &**id == phase) {
            return Err(PhaseError::AlreadyCertified {
                phase: phase.to_owned(),
                at: was,
            });
        }
        let starts = self.starts_after(&agreement, index, at);
        if let Some(last) = self.last_t {
            if let Some(&(rule, opens)) = starts.iter().find(|&&(_, opens)| opens <= last) {
                return Err(PhaseError::NotAfterLastReport {
                    rule: agreement.rules[rule as usize].id.clone(),
                    opens,
                    last,
                });
            }
        }
        self.certified.push((Arc::from(phase), at));
        for &(rule, opens) in &starts {
            self.start[rule as usize] = Some(opens);
            self.add_instant(opens);
        }
        Ok(starts.iter().map(|&(rule, _)| rule).collect())
    }

    /// The phases certified so far and when, in the order certified.
    pub fn certified_phases(&self) -> impl Iterator<Item = (&str, Timestamp)> {
        self.certified.iter().map(|(id, at)| (&**id, *at))
    }

    /// When rule `rule` starts: its `active_from`, the start its phase's certification
    /// gave it, or `None` (always in force, or waiting for a certification).
    pub fn rule_start(&self, rule: RuleIndex) -> Option<Timestamp> {
        self.start.get(rule as usize).copied().flatten()
    }

    /// Whether rule `rule` is in force at `t`: by the calendar, or from the start its
    /// phase's certification gave it.
    pub fn rule_active_at(&self, rule: RuleIndex, t: Timestamp) -> bool {
        let rule_def = &self.classifier.agreement.rules[rule as usize];
        let started = match (rule_def.active_after, self.rule_start(rule)) {
            (None, None) => true,
            (_, Some(start)) => t >= start,
            (Some(_), None) => false,
        };
        started && rule_def.active_until.is_none_or(|until| t < until)
    }

    /// The rules waiting for phase `index` certified at `at`, with the instant each starts;
    /// a rule whose window would be empty never starts and is left out.
    fn starts_after(
        &self,
        agreement: &Agreement,
        index: usize,
        at: Timestamp,
    ) -> Vec<(RuleIndex, Timestamp)> {
        agreement
            .rules
            .iter()
            .enumerate()
            .filter_map(|(r, rule)| {
                let after = rule.active_after?;
                if usize::from(after.phase) != index {
                    return None;
                }
                let opens = Timestamp(
                    at.0.saturating_add(i64::from(after.delay_minutes) * 60 * 1_000_000_000),
                );
                match rule.active_until {
                    Some(until) if opens >= until => None,
                    _ => Some((r as RuleIndex, opens)),
                }
            })
            .collect()
    }

    /// Adds a window instant not applied yet, keeping the list sorted and unique.
    fn add_instant(&mut self, instant: Timestamp) {
        let at = self.next_instant
            + self.instants[self.next_instant..].partition_point(|&i| i < instant);
        if self.instants.get(at) != Some(&instant) {
            self.instants.insert(at, instant);
        }
    }

    /// Carries the certifications of `old` into this engine of a new version (an
    /// amendment): its rules after those phases get their starts from the same instants.
    /// A start at or before the instant of entry into force is the new version's to
    /// evaluate then, so it is set without an instant of its own when already passed.
    pub(super) fn carry_certifications(&mut self, old: &Engine) {
        let agreement = self.classifier.agreement.clone();
        for (phase, at) in &old.certified {
            self.certified.push((phase.clone(), *at));
            let Some(index) = agreement.phases.iter().position(|p| *p.id == **phase) else {
                continue;
            };
            for (rule, opens) in self.starts_after(&agreement, index, *at) {
                self.start[rule as usize] = Some(opens);
                self.instants.push(opens);
            }
        }
        self.instants.sort_unstable();
        self.instants.dedup();
    }
}
