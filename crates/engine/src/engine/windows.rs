//! Rule windows: opening a rule evaluates the present state, closing one clears its
//! breaches with `reason: rule_inactive` (spec/engine.md 4).

use super::*;

impl Engine {
    /// True when a rule window opens or closes, or a new version enters into force, at or
    /// before `t`, and is not applied yet.
    #[inline]
    pub(crate) fn window_due(&self, t: Timestamp) -> bool {
        self.amend_at <= t
            || self.next_instant < self.instants.len() && self.instants[self.next_instant] <= t
    }

    /// Applies every rule window that opens or closes at or before `t` (spec/engine.md 4),
    /// and a new version of the agreement due at or before `t`.
    pub fn advance_to(&mut self, t: Timestamp, events: &mut Vec<Event>) {
        if self.amend_at <= t {
            self.enter_into_force(events);
        }
        while self.next_instant < self.instants.len() && self.instants[self.next_instant] <= t {
            let instant = self.instants[self.next_instant];
            self.next_instant += 1;
            self.apply_window(instant, events);
        }
    }

    pub(super) fn apply_window(&mut self, instant: Timestamp, events: &mut Vec<Event>) {
        let agreement = self.classifier.agreement.clone();
        for (r, rule) in agreement.rules.iter().enumerate() {
            if self.start[r] == Some(instant) {
                // Already active only when an amendment at this instant opened it.
                if !self.active[r] {
                    self.active[r] = true;
                    self.open_rule(r as RuleIndex, instant, events);
                }
            } else if rule.active_until == Some(instant) {
                self.active[r] = false;
                self.close_rule(r as RuleIndex, instant, ClearReason::RuleInactive, events);
            }
        }
    }

    pub(super) fn open_rule(&mut self, rule: RuleIndex, t: Timestamp, events: &mut Vec<Event>) {
        let r = rule as usize;
        let agreement = self.classifier.agreement.clone();
        let predicate = self.classifier.rule_predicate[r];
        match &agreement.rules[r].kind {
            RuleKind::Exclusion { forces, .. } | RuleKind::Standoff { forces, .. } => {
                let p = predicate.unwrap() as usize;
                for unit in 0..self.units.len() {
                    let state = &self.units[unit];
                    if !forces.matches(state.party, state.category)
                        || !bit(&self.predicate_bits[unit * self.predicate_words..], p)
                    {
                        continue;
                    }
                    set_bit(&mut self.breached_bits[unit * self.rule_words..], r, true);
                    let event = match agreement.rules[r].kind {
                        RuleKind::Standoff { target, .. } => {
                            let d = self.classifier.distance_m(target, state.lon, state.lat);
                            self.standoff_event(t, rule, EventKind::StandoffBreach, unit as u32, d)
                        }
                        _ => self.unit_event(t, rule, EventKind::ExclusionBreach, unit as u32),
                    };
                    events.push(event);
                }
            }
            RuleKind::Cap { max, .. } => {
                if self.cap_total[r] > *max {
                    self.cap_exceeded[r] = true;
                    events.push(self.cap_event(t, rule, EventKind::CapExceeded));
                }
            }
            RuleKind::Separation { .. } => {
                let s = self.separation_of_rule[r].unwrap();
                let mut pairs = Vec::new();
                let sep = &self.separations[s];
                for unit in 0..self.units.len() as u32 {
                    let Some(here) = sep.sides[0].position(unit) else {
                        continue;
                    };
                    sep.sides[1].for_each_candidate(here[0], here[1], sep.min_m, |other, there| {
                        let d = distance_point_point_m(here, there);
                        if d < sep.min_m {
                            pairs.push((unit, other, d));
                        }
                    });
                }
                pairs.sort_unstable_by_key(|&(a, b, _)| (a, b));
                for (a, b, d) in pairs {
                    let sep = &mut self.separations[s];
                    sep.partners[0].entry(a).or_default().push(b);
                    sep.partners[1].entry(b).or_default().push(a);
                    events.push(self.separation_event(
                        t,
                        rule,
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

    /// Clears every breach of `rule` open now, each with `reason`.
    pub(super) fn close_rule(
        &mut self,
        rule: RuleIndex,
        t: Timestamp,
        reason: ClearReason,
        events: &mut Vec<Event>,
    ) {
        let r = rule as usize;
        let agreement = self.classifier.agreement.clone();
        let mut closing = Vec::new();
        match &agreement.rules[r].kind {
            RuleKind::Exclusion { .. } | RuleKind::Standoff { .. } => {
                for unit in 0..self.units.len() {
                    let slot = unit * self.rule_words;
                    if !bit(&self.breached_bits[slot..], r) {
                        continue;
                    }
                    set_bit(&mut self.breached_bits[slot..], r, false);
                    let state = &self.units[unit];
                    closing.push(match agreement.rules[r].kind {
                        RuleKind::Standoff { target, .. } => {
                            let d = self.classifier.distance_m(target, state.lon, state.lat);
                            self.standoff_event(t, rule, EventKind::StandoffCleared, unit as u32, d)
                        }
                        _ => self.unit_event(t, rule, EventKind::ExclusionCleared, unit as u32),
                    });
                }
            }
            RuleKind::Cap { .. } => {
                if std::mem::take(&mut self.cap_exceeded[r]) {
                    closing.push(self.cap_event(t, rule, EventKind::CapRestored));
                }
            }
            RuleKind::Separation { .. } => {
                let s = self.separation_of_rule[r].unwrap();
                let pairs = self.breached_pairs(s);
                self.separations[s].partners = Default::default();
                for (a, b, d) in pairs {
                    closing.push(self.separation_event(
                        t,
                        rule,
                        EventKind::SeparationCleared,
                        0,
                        a,
                        b,
                        d,
                    ));
                }
            }
        }
        for mut event in closing {
            event.reason = Some(reason);
            events.push(event);
        }
    }
}
