//! Whether a rule is the same in two versions of an agreement (spec/negotiation.md): the
//! same keys with the same values, and the same geometry for every zone or line it names.
//! Indices differ between versions, so everything is compared by name.

use super::{Agreement, CategoryIndex, FeatureIndex, ForceFilter, PartyIndex, RuleIndex, RuleKind};

impl Agreement {
    /// The index of the rule called `id`.
    pub fn rule_index(&self, id: &str) -> Option<RuleIndex> {
        self.rules
            .iter()
            .position(|r| r.id == id)
            .map(|i| i as RuleIndex)
    }

    /// True when rule `rule` of `self` and rule `other_rule` of `other` have the same keys
    /// and values and name zones and lines of the same geometry.
    pub fn rule_unchanged(
        &self,
        rule: RuleIndex,
        other: &Agreement,
        other_rule: RuleIndex,
    ) -> bool {
        let (a, b) = (
            &self.rules[rule as usize],
            &other.rules[other_rule as usize],
        );
        let pair = Pair { a: self, b: other };
        a.id == b.id
            && a.description == b.description
            && a.active_from == b.active_from
            && a.active_until == b.active_until
            && match (a.active_after, b.active_after) {
                (None, None) => true,
                (Some(x), Some(y)) => {
                    self.phases[usize::from(x.phase)].id == other.phases[usize::from(y.phase)].id
                        && x.delay_minutes == y.delay_minutes
                }
                _ => false,
            }
            && match (&a.kind, &b.kind) {
                (
                    RuleKind::Exclusion { zone, forces },
                    RuleKind::Exclusion {
                        zone: zone_b,
                        forces: forces_b,
                    },
                ) => pair.feature(*zone, *zone_b) && pair.forces(forces, forces_b),
                (
                    RuleKind::Cap {
                        zone,
                        party,
                        category,
                        max,
                    },
                    RuleKind::Cap {
                        zone: zone_b,
                        party: party_b,
                        category: category_b,
                        max: max_b,
                    },
                ) => {
                    pair.feature(*zone, *zone_b)
                        && pair.party(*party, *party_b)
                        && pair.category(*category, *category_b)
                        && max == max_b
                }
                (
                    RuleKind::Standoff {
                        target,
                        forces,
                        min_km,
                    },
                    RuleKind::Standoff {
                        target: target_b,
                        forces: forces_b,
                        min_km: min_km_b,
                    },
                ) => {
                    pair.feature(*target, *target_b)
                        && pair.forces(forces, forces_b)
                        && min_km == min_km_b
                }
                (
                    RuleKind::Separation {
                        parties,
                        categories,
                        min_km,
                    },
                    RuleKind::Separation {
                        parties: parties_b,
                        categories: categories_b,
                        min_km: min_km_b,
                    },
                ) => {
                    pair.party(parties[0], parties_b[0])
                        && pair.party(parties[1], parties_b[1])
                        && pair.categories(categories, categories_b)
                        && min_km == min_km_b
                }
                _ => false,
            }
    }
}

struct Pair<'a> {
    a: &'a Agreement,
    b: &'a Agreement,
}

impl Pair<'_> {
    fn feature(&self, a: FeatureIndex, b: FeatureIndex) -> bool {
        let (fa, fb) = (&self.a.features[a as usize], &self.b.features[b as usize]);
        fa.id == fb.id && fa.geometry_json == fb.geometry_json
    }

    fn party(&self, a: PartyIndex, b: PartyIndex) -> bool {
        self.a.parties[usize::from(a)].id == self.b.parties[usize::from(b)].id
    }

    fn category(&self, a: CategoryIndex, b: CategoryIndex) -> bool {
        self.a.categories[usize::from(a)].id == self.b.categories[usize::from(b)].id
    }

    /// Lists compare in the order given, as the agreement file's keys do.
    fn categories(&self, a: &Option<Vec<CategoryIndex>>, b: &Option<Vec<CategoryIndex>>) -> bool {
        match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| self.category(x, y))
            }
            _ => false,
        }
    }

    fn forces(&self, a: &ForceFilter, b: &ForceFilter) -> bool {
        a.parties.len() == b.parties.len()
            && a.parties
                .iter()
                .zip(&b.parties)
                .all(|(&x, &y)| self.party(x, y))
            && self.categories(&a.categories, &b.categories)
    }
}
