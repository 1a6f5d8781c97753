//! What the engine's state says now: rules in force, cap totals, open breaches.

use super::*;

impl Engine {
    /// Whether rule `rule` is in force now (its window, as of the last report, holds).
    pub fn rule_active(&self, rule: RuleIndex) -> bool {
        self.active.get(rule as usize).copied().unwrap_or(false)
    }

    /// The total of a cap rule's party and category in its zone now, whether or not the
    /// rule is in force; `None` for a rule that is not a cap.
    pub fn cap_total(&self, rule: RuleIndex) -> Option<u64> {
        match self.classifier.agreement.rules.get(rule as usize)?.kind {
            RuleKind::Cap { .. } => Some(self.cap_total[rule as usize]),
            _ => None,
        }
    }

    /// Every breach open now, each as the breach event that would open it at the last
    /// report's time (current distances and totals), in rule order, then unit order.
    ///
    /// This is the engine's own state, not a pairing of past events: a cap is one breach
    /// per rule whichever unit tipped it, and a rule out of its window has none.
    pub fn open_breaches(&self) -> Vec<Event> {
        let Some(t) = self.last_t else {
            return Vec::new();
        };
        let agreement = &self.classifier.agreement;
        let mut out = Vec::new();
        for (r, rule) in agreement.rules.iter().enumerate() {
            if !self.active[r] {
                continue;
            }
            let ri = r as RuleIndex;
            match rule.kind {
                RuleKind::Exclusion { .. } | RuleKind::Standoff { .. } => {
                    for (unit, state) in self.units.iter().enumerate() {
                        if !bit(&self.breached_bits[unit * self.rule_words..], r) {
                            continue;
                        }
                        out.push(match rule.kind {
                            RuleKind::Standoff { target, .. } => {
                                let d = self.classifier.distance_m(target, state.lon, state.lat);
                                self.standoff_event(
                                    t,
                                    ri,
                                    EventKind::StandoffBreach,
                                    unit as u32,
                                    d,
                                )
                            }
                            _ => self.unit_event(t, ri, EventKind::ExclusionBreach, unit as u32),
                        });
                    }
                }
                RuleKind::Cap { .. } => {
                    if self.cap_exceeded[r] {
                        out.push(self.cap_event(t, ri, EventKind::CapExceeded));
                    }
                }
                RuleKind::Separation { .. } => {
                    let Some(s) = self.separation_of_rule[r] else {
                        continue;
                    };
                    for (a, b, d) in self.breached_pairs(s) {
                        out.push(self.separation_event(
                            t,
                            ri,
                            EventKind::SeparationBreach,
                            0,
                            a,
                            b,
                            d,
                        ));
                    }
                }
            }
        }
        out
    }

    /// The pairs (first side's unit, second side's, distance) of separation `s` in breach
    /// now, in unit order.
    pub(super) fn breached_pairs(&self, s: usize) -> Vec<(u32, u32, f64)> {
        let mut pairs: Vec<(u32, u32)> = self.separations[s].partners[0]
            .iter()
            .flat_map(|(&a, list)| list.iter().map(move |&b| (a, b)))
            .collect();
        pairs.sort_unstable();
        pairs
            .into_iter()
            .map(|(a, b)| {
                let (ua, ub) = (&self.units[a as usize], &self.units[b as usize]);
                (
                    a,
                    b,
                    distance_point_point_m([ua.lon, ua.lat], [ub.lon, ub.lat]),
                )
            })
            .collect()
    }
}
