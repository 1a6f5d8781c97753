//! A report's effect on each rule that applies to its unit (spec/engine.md 5).

use super::*;

impl Engine {
    pub(super) fn apply_rule(
        &mut self,
        rule: RuleIndex,
        unit: u32,
        old_count: u64,
        report: &ReportRef,
        events: &mut Vec<Event>,
    ) {
        let r = rule as usize;
        let active = self.active[r];
        match self.codes[r] {
            RuleCode::Exclusion { predicate } => {
                if !active {
                    return;
                }
                let inside = bit(&self.scratch_bits, predicate as usize);
                let slot = unit as usize * self.rule_words;
                if inside != bit(&self.breached_bits[slot..], r) {
                    set_bit(&mut self.breached_bits[slot..], r, inside);
                    let kind = if inside {
                        EventKind::ExclusionBreach
                    } else {
                        EventKind::ExclusionCleared
                    };
                    events.push(self.unit_event(report.t, rule, kind, unit));
                }
            }
            RuleCode::Standoff {
                predicate: p,
                target,
            } => {
                if !active {
                    return;
                }
                let near = bit(&self.scratch_bits, p as usize);
                let slot = unit as usize * self.rule_words;
                if near != bit(&self.breached_bits[slot..], r) {
                    set_bit(&mut self.breached_bits[slot..], r, near);
                    let distance_m = if near {
                        report
                            .hits
                            .iter()
                            .find(|h| h.predicate == p)
                            .map(|h| h.distance_m)
                            .unwrap_or(0.0)
                    } else {
                        self.classifier.distance_m(target, report.lon, report.lat)
                    };
                    let kind = if near {
                        EventKind::StandoffBreach
                    } else {
                        EventKind::StandoffCleared
                    };
                    events.push(self.standoff_event(report.t, rule, kind, unit, distance_m));
                }
            }
            RuleCode::Cap { predicate, max } => {
                let p = predicate as usize;
                let was_inside = bit(
                    &self.predicate_bits[unit as usize * self.predicate_words..],
                    p,
                );
                let inside = bit(&self.scratch_bits, p);
                let before = if was_inside { old_count } else { 0 };
                let after = if inside { report.count } else { 0 };
                if before == after {
                    return;
                }
                self.cap_total[r] = self.cap_total[r] - before + after;
                if active {
                    let exceeded = self.cap_total[r] > max;
                    if exceeded != self.cap_exceeded[r] {
                        self.cap_exceeded[r] = exceeded;
                        let kind = if exceeded {
                            EventKind::CapExceeded
                        } else {
                            EventKind::CapRestored
                        };
                        let mut event = self.cap_event(report.t, rule, kind);
                        event.unit = Some(self.units[unit as usize].name.clone());
                        events.push(event);
                    }
                }
            }
            RuleCode::Separation => self.apply_separation(rule, unit, report, active, events),
        }
    }

    /// Out of line for the same reason as [`Classifier::distance_m`]: inlined into
    /// `apply`, the compiler hoisted the grid query's cos(latitude) above the loop over
    /// rules, one libm call a report even with no separation rule in the agreement.
    #[inline(never)]
    pub(super) fn apply_separation(
        &mut self,
        rule: RuleIndex,
        unit: u32,
        report: &ReportRef,
        active: bool,
        events: &mut Vec<Event>,
    ) {
        let s = self.separation_of_rule[rule as usize].expect("a separation rule has its state");
        let side = separation_side(
            &self.classifier.agreement.rules[rule as usize].kind,
            report.party,
            report.category,
        )
        .expect("rules_for lists only rules that apply");
        let sep = &mut self.separations[s];
        sep.sides[side].set(unit, report.lon, report.lat);
        if !active {
            return;
        }
        let here = [report.lon, report.lat];
        let min_m = sep.min_m;
        // Breaches that end: partners now at least min_m away.
        let mut cleared: Vec<(u32, f64)> = Vec::new();
        if let Some(list) = sep.partners[side].get_mut(&unit) {
            list.retain(|&other| {
                let there = sep.sides[1 - side]
                    .position(other)
                    .expect("a partner is in the grid");
                let d = distance_point_point_m(here, there);
                if d >= min_m {
                    cleared.push((other, d));
                    false
                } else {
                    true
                }
            });
        }
        for &(other, _) in &cleared {
            let list = sep.partners[1 - side]
                .get_mut(&other)
                .expect("pairs are kept on both sides");
            list.retain(|&u| u != unit);
            if list.is_empty() {
                sep.partners[1 - side].remove(&other);
            }
        }
        // Breaches that start.
        let mut started: Vec<(u32, f64)> = Vec::new();
        let current = sep.partners[side].get(&unit);
        sep.sides[1 - side].for_each_candidate(here[0], here[1], min_m, |other, there| {
            let d = distance_point_point_m(here, there);
            if d < min_m && !current.is_some_and(|list| list.contains(&other)) {
                started.push((other, d));
            }
        });
        started.sort_unstable_by_key(|&(other, _)| other);
        for &(other, _) in &started {
            sep.partners[side].entry(unit).or_default().push(other);
            sep.partners[1 - side].entry(other).or_default().push(unit);
        }
        if sep.partners[side].get(&unit).is_some_and(Vec::is_empty) {
            sep.partners[side].remove(&unit);
        }
        for (other, d) in cleared {
            events.push(self.separation_event(
                report.t,
                rule,
                EventKind::SeparationCleared,
                side,
                unit,
                other,
                d,
            ));
        }
        for (other, d) in started {
            events.push(self.separation_event(
                report.t,
                rule,
                EventKind::SeparationBreach,
                side,
                unit,
                other,
                d,
            ));
        }
    }
}
