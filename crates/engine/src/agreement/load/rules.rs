//! A rule of agreement.toml resolved against the parties, categories, phases and features
//! already read: its kind's keys, its window, and what is wrong with it, with its line.

#[allow(unused_imports)]
use super::super::*;
use super::{AgreementSource, RuleDoc};

pub(super) struct RuleResolver<'a> {
    pub(super) source: &'a AgreementSource,
    pub(super) at: usize,
    pub(super) rule_id: &'a str,
    pub(super) parties: &'a HashMap<String, PartyIndex>,
    pub(super) categories: &'a HashMap<String, CategoryIndex>,
    pub(super) phases: &'a HashMap<String, PhaseIndex>,
    pub(super) features: &'a HashMap<&'a str, FeatureIndex>,
    pub(super) feature_list: &'a [Feature],
}

impl RuleResolver<'_> {
    pub(super) fn fail(&self, problem: RuleProblem) -> LoadError {
        self.source.error(
            Some(self.at),
            Problem::Rule {
                rule: self.rule_id.to_string(),
                problem: Box::new(problem),
            },
        )
    }

    fn required<'v, T>(
        &self,
        value: &'v Option<T>,
        key: &'static str,
        kind: &'static str,
    ) -> Result<&'v T, LoadError> {
        value
            .as_ref()
            .ok_or_else(|| self.fail(RuleProblem::Needs { kind, key }))
    }

    fn refuse_keys(
        &self,
        raw: &RuleDoc,
        kind: &'static str,
        allowed: &[&str],
    ) -> Result<(), LoadError> {
        let present = [
            ("zone", raw.zone.is_some()),
            ("target", raw.target.is_some()),
            ("party", raw.party.is_some()),
            ("parties", raw.parties.is_some()),
            ("category", raw.category.is_some()),
            ("categories", raw.categories.is_some()),
            ("max", raw.max.is_some()),
            ("min_km", raw.min_km.is_some()),
        ];
        for (key, is_present) in present {
            if is_present && !allowed.contains(&key) {
                return Err(self.fail(RuleProblem::DoesNotApply { key, kind }));
            }
        }
        Ok(())
    }

    fn party(&self, id: &str) -> Result<PartyIndex, LoadError> {
        self.parties
            .get(id)
            .copied()
            .ok_or_else(|| self.fail(RuleProblem::UnknownParty { id: id.to_string() }))
    }

    fn parties(&self, ids: &[String]) -> Result<Vec<PartyIndex>, LoadError> {
        if ids.is_empty() {
            return Err(self.fail(RuleProblem::NoParties));
        }
        let mut out = Vec::new();
        for id in ids {
            let p = self.party(id)?;
            if out.contains(&p) {
                return Err(self.fail(RuleProblem::PartyListedTwice { id: id.clone() }));
            }
            out.push(p);
        }
        Ok(out)
    }

    fn category(&self, id: &str) -> Result<CategoryIndex, LoadError> {
        self.categories
            .get(id)
            .copied()
            .ok_or_else(|| self.fail(RuleProblem::UnknownCategory { id: id.to_string() }))
    }

    fn categories(
        &self,
        ids: &Option<Vec<String>>,
    ) -> Result<Option<Vec<CategoryIndex>>, LoadError> {
        let Some(ids) = ids else { return Ok(None) };
        if ids.is_empty() {
            return Err(self.fail(RuleProblem::NoCategories));
        }
        let mut out = Vec::new();
        for id in ids {
            let c = self.category(id)?;
            if out.contains(&c) {
                return Err(self.fail(RuleProblem::CategoryListedTwice { id: id.clone() }));
            }
            out.push(c);
        }
        Ok(Some(out))
    }

    fn zone(&self, id: &str) -> Result<FeatureIndex, LoadError> {
        let index = *self
            .features
            .get(id)
            .ok_or_else(|| self.fail(RuleProblem::UnknownZone { id: id.to_string() }))?;
        if self.feature_list[index as usize].zone().is_none() {
            return Err(self.fail(RuleProblem::NotAZone { id: id.to_string() }));
        }
        Ok(index)
    }

    fn target(&self, id: &str) -> Result<FeatureIndex, LoadError> {
        self.features
            .get(id)
            .copied()
            .ok_or_else(|| self.fail(RuleProblem::UnknownTarget { id: id.to_string() }))
    }

    fn min_km(&self, raw: &RuleDoc, kind: &'static str) -> Result<f64, LoadError> {
        let km = *self.required(&raw.min_km, "min_km", kind)?;
        if !(km.is_finite() && km > 0.0 && km <= limits::MAX_DISTANCE_KM) {
            return Err(self.fail(RuleProblem::MinKm {
                km,
                max: limits::MAX_DISTANCE_KM,
            }));
        }
        Ok(km)
    }

    fn instant(
        &self,
        text: &Option<String>,
        key: &'static str,
    ) -> Result<Option<Timestamp>, LoadError> {
        text.as_deref()
            .map(|t| {
                Timestamp::parse(t).map_err(|error| self.fail(RuleProblem::Time { key, error }))
            })
            .transpose()
    }

    pub(super) fn rule(&self, raw: &RuleDoc) -> Result<Rule, LoadError> {
        const KINDS: [&str; 4] = ["exclusion", "cap", "standoff", "separation"];
        let Some(kind_name) = KINDS.iter().copied().find(|k| *k == raw.kind) else {
            return Err(self.fail(RuleProblem::UnknownKind {
                kind: raw.kind.clone(),
            }));
        };
        let kind = match kind_name {
            "exclusion" => {
                self.refuse_keys(raw, kind_name, &["zone", "parties", "categories"])?;
                RuleKind::Exclusion {
                    zone: self.zone(self.required(&raw.zone, "zone", kind_name)?)?,
                    forces: ForceFilter {
                        parties: self.parties(self.required(
                            &raw.parties,
                            "parties",
                            kind_name,
                        )?)?,
                        categories: self.categories(&raw.categories)?,
                    },
                }
            }
            "cap" => {
                self.refuse_keys(raw, kind_name, &["zone", "party", "category", "max"])?;
                let max = *self.required(&raw.max, "max", kind_name)?;
                if max < 0 {
                    return Err(self.fail(RuleProblem::NegativeMax { max }));
                }
                RuleKind::Cap {
                    zone: self.zone(self.required(&raw.zone, "zone", kind_name)?)?,
                    party: self.party(self.required(&raw.party, "party", kind_name)?)?,
                    category: self.category(self.required(
                        &raw.category,
                        "category",
                        kind_name,
                    )?)?,
                    max: max as u64,
                }
            }
            "standoff" => {
                self.refuse_keys(
                    raw,
                    kind_name,
                    &["target", "parties", "categories", "min_km"],
                )?;
                RuleKind::Standoff {
                    target: self.target(self.required(&raw.target, "target", kind_name)?)?,
                    forces: ForceFilter {
                        parties: self.parties(self.required(
                            &raw.parties,
                            "parties",
                            kind_name,
                        )?)?,
                        categories: self.categories(&raw.categories)?,
                    },
                    min_km: self.min_km(raw, kind_name)?,
                }
            }
            "separation" => {
                self.refuse_keys(raw, kind_name, &["parties", "categories", "min_km"])?;
                let listed = self.required(&raw.parties, "parties", kind_name)?;
                if listed.len() != 2 {
                    return Err(self.fail(RuleProblem::SeparationParties {
                        count: listed.len(),
                    }));
                }
                let parties = self.parties(listed)?;
                RuleKind::Separation {
                    parties: [parties[0], parties[1]],
                    categories: self.categories(&raw.categories)?,
                    min_km: self.min_km(raw, kind_name)?,
                }
            }
            _ => {
                return Err(self.fail(RuleProblem::UnknownKind {
                    kind: raw.kind.clone(),
                }))
            }
        };
        let active_from = self.instant(&raw.active_from, "active_from")?;
        let active_until = self.instant(&raw.active_until, "active_until")?;
        let active_after = match &raw.active_after {
            None => None,
            Some(_) if active_from.is_some() => return Err(self.fail(RuleProblem::TwoStarts)),
            Some(start) => {
                let phase = *self.phases.get(&start.phase).ok_or_else(|| {
                    self.fail(RuleProblem::UnknownPhase {
                        phase: start.phase.clone(),
                    })
                })?;
                if !(0..=limits::MAX_PHASE_DELAY_MINUTES).contains(&start.delay_minutes) {
                    return Err(self.fail(RuleProblem::PhaseDelay {
                        minutes: start.delay_minutes,
                        max: limits::MAX_PHASE_DELAY_MINUTES,
                    }));
                }
                Some(PhaseStart {
                    phase,
                    delay_minutes: start.delay_minutes as u32,
                })
            }
        };
        if let (Some(from), Some(until)) = (active_from, active_until) {
            if from >= until {
                return Err(self.fail(RuleProblem::EmptyWindow { from, until }));
            }
        }
        Ok(Rule {
            id: raw.id.clone(),
            description: raw.description.clone(),
            kind,
            active_from,
            active_after,
            active_until,
            line: self.source.line(self.at),
        })
    }
}
