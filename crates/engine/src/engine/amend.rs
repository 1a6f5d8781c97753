//! A new version of the agreement entering into force (spec/negotiation.md): reports before
//! the instant under the old version, at or after it under the new, without losing a
//! unit's state.
//!
//! At the instant, in order:
//! 1. the old version's windows before the instant apply as usual;
//! 2. every breach open under a rule the new version removes or changes is cleared with
//!    `reason: agreement_amended`, measured as the old version measures it;
//! 3. the units move over (positions, counts, their predicates under the new version's
//!    zones and lines); an unchanged rule keeps its breaches and says nothing;
//! 4. the new version's added and changed rules active at the instant are evaluated on the
//!    units' last positions, as when a window opens;
//! 5. the new version's windows at the instant itself apply.

use super::*;
use crate::error::AmendError;

/// No version is due: the instant compared on every report.
pub(super) const NEVER: Timestamp = Timestamp(i64::MAX);

impl Engine {
    /// Makes `next` enter into force at `at`: the first report at or after `at` is
    /// evaluated under it, after the transition above. The caller classifies reports at
    /// or after `at` with `next` ([`Self::classifier_for`]).
    pub fn schedule_amendment(
        &mut self,
        next: Arc<Classifier>,
        at: Timestamp,
    ) -> Result<(), AmendError> {
        let (old, new) = (&self.classifier.agreement, &next.agreement);
        if old.id != new.id {
            return Err(AmendError::OtherAgreement {
                expected: old.id.clone(),
                found: new.id.clone(),
            });
        }
        if let Some(last) = self.last_t.filter(|&last| last >= at) {
            return Err(AmendError::NotAfterLastReport { at, last });
        }
        if self.amendment.is_some() {
            return Err(AmendError::AlreadyDue { at: self.amend_at });
        }
        self.amendment = Some(next);
        self.amend_at = at;
        Ok(())
    }

    /// The version due to enter into force and its instant, if one is scheduled.
    pub fn scheduled_amendment(&self) -> Option<(&Arc<Classifier>, Timestamp)> {
        self.amendment.as_ref().map(|next| (next, self.amend_at))
    }

    /// The classifier a report at `t` is to be classified with.
    #[inline]
    pub fn classifier_for(&self, t: Timestamp) -> &Arc<Classifier> {
        match &self.amendment {
            Some(next) if t >= self.amend_at => next,
            _ => &self.classifier,
        }
    }

    /// The party and category ids of a report classified for its time.
    pub(super) fn force_names<'a>(&'a self, report: &ReportRef) -> (&'a str, &'a str) {
        let agreement = &self.classifier_for(report.t).agreement;
        (
            &agreement.parties[usize::from(report.party)].id,
            &agreement.categories[usize::from(report.category)].id,
        )
    }

    /// Enters the scheduled version into force (steps 1 to 5 above).
    pub(super) fn enter_into_force(&mut self, events: &mut Vec<Event>) {
        let Some(next) = self.amendment.take() else {
            return;
        };
        let at = std::mem::replace(&mut self.amend_at, NEVER);
        // 1. The old version's windows before the instant.
        while self.next_instant < self.instants.len() && self.instants[self.next_instant] < at {
            let instant = self.instants[self.next_instant];
            self.next_instant += 1;
            self.apply_window(instant, events);
        }
        // 2. Clear what removed and changed rules hold open.
        let old = self.classifier.agreement.clone();
        let new = next.agreement.clone();
        let carried: Vec<Option<RuleIndex>> = (0..old.rules.len() as RuleIndex)
            .map(|r| {
                new.rule_index(&old.rules[r as usize].id)
                    .filter(|&nr| old.rule_unchanged(r, &new, nr))
            })
            .collect();
        for (r, kept) in carried.iter().enumerate() {
            if kept.is_none() && self.active[r] {
                self.close_rule(r as RuleIndex, at, ClearReason::AgreementAmended, events);
            }
        }
        // 3. The units under the new version.
        let mut engine = Engine::with_classifier(next);
        engine.last_t = self.last_t;
        engine.carry_certifications(self);
        let unit_map = engine.take_units(self);
        for (r, kept) in carried.iter().enumerate() {
            if let Some(nr) = *kept {
                engine.carry_rule(self, r, nr as usize, &unit_map);
            }
        }
        engine.next_instant = engine.instants.partition_point(|&i| i < at);
        // 4. Added and changed rules active at the instant, on the last positions.
        let mut is_carried = vec![false; new.rules.len()];
        for nr in carried.iter().flatten() {
            is_carried[*nr as usize] = true;
        }
        for (nr, carried) in is_carried.into_iter().enumerate() {
            let nr = nr as RuleIndex;
            if !carried && engine.rule_active_at(nr, at) {
                engine.active[nr as usize] = true;
                engine.open_rule(nr, at, events);
            }
        }
        // 5. The new version's windows at the instant itself.
        if engine.instants.get(engine.next_instant) == Some(&at) {
            engine.next_instant += 1;
            engine.apply_window(at, events);
        }
        *self = engine;
    }

    /// Moves the units of `old` into this fresh engine, in the same order, with their
    /// predicates, cap totals and separation positions under this engine's version. A unit
    /// whose party or category this version does not declare is left behind: no rule of it
    /// can name one. Returns old unit index -> new.
    fn take_units(&mut self, old: &mut Engine) -> Vec<Option<u32>> {
        let n_categories = self.classifier.agreement.categories.len();
        let mut map = Vec::with_capacity(old.units.len());
        let mut hits = Vec::new();
        let mut bits = vec![0u64; self.predicate_words];
        for state in std::mem::take(&mut old.units) {
            let old_agreement = &old.classifier.agreement;
            let party_id = &old_agreement.parties[usize::from(state.party)].id;
            let category_id = &old_agreement.categories[usize::from(state.category)].id;
            let (Ok(party), Ok(category)) = (
                self.classifier.party(party_id),
                self.classifier.category(category_id),
            ) else {
                map.push(None);
                continue;
            };
            let report = RawReport {
                t: old.last_t.unwrap_or(Timestamp(0)),
                unit: std::borrow::Cow::Borrowed(&state.name),
                party: std::borrow::Cow::Borrowed(party_id),
                category: std::borrow::Cow::Borrowed(category_id),
                count: state.count,
                lon: state.lon,
                lat: state.lat,
            };
            hits.clear();
            self.classifier
                .classify_resolved(&report, party, category, &mut hits);
            bits.iter_mut().for_each(|w| *w = 0);
            for hit in &hits {
                set_bit(&mut bits, hit.predicate as usize, true);
            }
            let index = self.units.len() as u32;
            let hash = self.hasher.hash_one(&*state.name);
            let hasher = self.hasher;
            self.units.push(UnitState {
                party,
                category,
                ..state
            });
            let units = &self.units;
            self.unit_index
                .insert_unique(hash, index, |&i| hasher.hash_one(&*units[i as usize].name));
            self.predicate_bits.extend_from_slice(&bits);
            self.breached_bits
                .extend(std::iter::repeat_n(0, self.rule_words));
            let unit = &self.units[index as usize];
            for &rule in &self.rules_for[usize::from(party) * n_categories + usize::from(category)]
            {
                let r = rule as usize;
                match self.codes[r] {
                    RuleCode::Cap { predicate, .. } if bit(&bits, predicate as usize) => {
                        self.cap_total[r] += unit.count;
                    }
                    RuleCode::Separation => {
                        let s = self.separation_of_rule[r].expect("a separation has its state");
                        let side = separation_side(
                            &self.classifier.agreement.rules[r].kind,
                            party,
                            category,
                        )
                        .expect("rules_for lists only rules that apply");
                        self.separations[s].sides[side].set(index, unit.lon, unit.lat);
                    }
                    _ => {}
                }
            }
            map.push(Some(index));
        }
        map
    }

    /// Carries an unchanged rule's state (window and open breaches) from `old`'s rule `r`
    /// to this engine's rule `nr`.
    fn carry_rule(&mut self, old: &Engine, r: usize, nr: usize, unit_map: &[Option<u32>]) {
        self.active[nr] = old.active[r];
        self.cap_exceeded[nr] = old.cap_exceeded[r];
        for (old_unit, new_unit) in unit_map.iter().enumerate() {
            if let Some(u) = *new_unit {
                let breached = bit(&old.breached_bits[old_unit * old.rule_words..], r);
                set_bit(
                    &mut self.breached_bits[u as usize * self.rule_words..],
                    nr,
                    breached,
                );
            }
        }
        if let (Some(s), Some(ns)) = (old.separation_of_rule[r], self.separation_of_rule[nr]) {
            for side in 0..2 {
                let partners = &mut self.separations[ns].partners[side];
                for (&unit, list) in &old.separations[s].partners[side] {
                    let Some(unit) = unit_map[unit as usize] else {
                        continue;
                    };
                    let list: Vec<u32> =
                        list.iter().filter_map(|&o| unit_map[o as usize]).collect();
                    if !list.is_empty() {
                        partners.insert(unit, list);
                    }
                }
            }
        }
    }
}
