//! The position-only half of evaluation: resolving a report's party and category and
//! answering the spatial questions that depend on its position alone (spec/engine.md 3).
//! Shared by every thread of a replay; pure.

use std::sync::Arc;

use crate::agreement::{Agreement, CategoryIndex, FeatureIndex, PartyIndex, RuleKind, Shape};
use crate::error::ApplyError;
use crate::packed_id::PackedId;
use crate::report::RawReport;

/// A spatial predicate that holds for a report: its index and, for "near" predicates, the
/// exact distance in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub predicate: u32,
    pub distance_m: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Predicate {
    Inside { zone: FeatureIndex },
    Near { target: FeatureIndex, min_m: f64 },
}

/// Which of one classifier's predicates another's answers stand for, per party and
/// category: `(predicate, Some(the other's))` where the other evaluates the same question
/// (the same kind, the same coordinates, the same distance) for that party and category.
#[derive(Debug, Clone)]
pub struct SharingPlan {
    per_force: Vec<Vec<(u32, Option<u32>)>>,
}

impl SharingPlan {
    /// (shared, all): over every party and category, the predicates answered by the other.
    pub fn counts(&self) -> (usize, usize) {
        let all = self.per_force.iter().map(Vec::len).sum();
        let shared = self
            .per_force
            .iter()
            .flatten()
            .filter(|(_, q)| q.is_some())
            .count();
        (shared, all)
    }
}

/// The position-only half of evaluation. Cheap to share between threads.
#[derive(Debug)]
pub struct Classifier {
    pub(crate) agreement: Arc<Agreement>,
    pub(crate) party_ids: Vec<PackedId>,
    pub(crate) category_ids: Vec<PackedId>,
    pub(crate) predicates: Vec<Predicate>,
    /// Per rule: its predicate (exclusion and cap: inside its zone; standoff: near its target).
    pub(crate) rule_predicate: Vec<Option<u32>>,
    /// Per (party, category): the predicates to test.
    pub(crate) relevant: Vec<Vec<u32>>,
}

impl Classifier {
    pub fn new(agreement: Arc<Agreement>) -> Classifier {
        let mut predicates: Vec<Predicate> = Vec::new();
        let mut intern = |p: Predicate| -> u32 {
            match predicates.iter().position(|q| *q == p) {
                Some(i) => i as u32,
                None => {
                    predicates.push(p);
                    (predicates.len() - 1) as u32
                }
            }
        };
        let rule_predicate: Vec<Option<u32>> = agreement
            .rules
            .iter()
            .map(|rule| match &rule.kind {
                RuleKind::Exclusion { zone, .. } | RuleKind::Cap { zone, .. } => {
                    Some(intern(Predicate::Inside { zone: *zone }))
                }
                RuleKind::Standoff { target, min_km, .. } => Some(intern(Predicate::Near {
                    target: *target,
                    min_m: min_km * 1000.0,
                })),
                RuleKind::Separation { .. } => None,
            })
            .collect();
        let n_categories = agreement.categories.len();
        let mut relevant = vec![Vec::new(); agreement.parties.len() * n_categories];
        for (party, category) in all_forces(&agreement) {
            let list = &mut relevant[usize::from(party) * n_categories + usize::from(category)];
            for (rule, predicate) in agreement.rules.iter().zip(&rule_predicate) {
                if let Some(p) = predicate {
                    if rule_applies(&rule.kind, party, category) && !list.contains(p) {
                        list.push(*p);
                    }
                }
            }
        }
        Classifier {
            party_ids: agreement
                .parties
                .iter()
                .map(|p| PackedId::new(&p.id))
                .collect(),
            category_ids: agreement
                .categories
                .iter()
                .map(|c| PackedId::new(&c.id))
                .collect(),
            predicates,
            rule_predicate,
            relevant,
            agreement,
        }
    }

    pub fn agreement(&self) -> &Arc<Agreement> {
        &self.agreement
    }

    pub fn predicate_count(&self) -> usize {
        self.predicates.len()
    }

    pub fn party(&self, id: &str) -> Result<PartyIndex, ApplyError> {
        // Agreements name a handful of parties: a scan beats hashing.
        let wanted = PackedId::pack(id);
        self.party_ids
            .iter()
            .position(|p| p.same(&wanted, id))
            .map(|i| i as PartyIndex)
            .ok_or_else(|| ApplyError::UnknownParty {
                party: id.to_owned(),
                agreement: self.agreement.id.clone(),
            })
    }

    pub fn category(&self, id: &str) -> Result<CategoryIndex, ApplyError> {
        let wanted = PackedId::pack(id);
        self.category_ids
            .iter()
            .position(|c| c.same(&wanted, id))
            .map(|i| i as CategoryIndex)
            .ok_or_else(|| ApplyError::UnknownCategory {
                category: id.to_owned(),
                agreement: self.agreement.id.clone(),
            })
    }

    /// Resolves the report's party and category and appends the predicates that hold at its
    /// position to `hits`.
    pub fn classify(
        &self,
        report: &RawReport,
        hits: &mut Vec<Hit>,
    ) -> Result<(PartyIndex, CategoryIndex), ApplyError> {
        let party = self.party(&report.party)?;
        let category = self.category(&report.category)?;
        self.classify_resolved(report, party, category, hits);
        Ok((party, category))
    }

    /// True when `other` declares the same parties and categories in the same order, so
    /// that a report's indices resolved by one are the other's too.
    pub fn same_forces(&self, other: &Classifier) -> bool {
        self.agreement.parties.len() == other.agreement.parties.len()
            && self
                .agreement
                .parties
                .iter()
                .zip(&other.agreement.parties)
                .all(|(a, b)| a.id == b.id)
            && self.agreement.categories.len() == other.agreement.categories.len()
            && self
                .agreement
                .categories
                .iter()
                .zip(&other.agreement.categories)
                .all(|(a, b)| a.id == b.id)
    }

    /// How this classifier can take answers from `other`'s, report by report (see
    /// [`Self::classify_sharing`]); `None` unless both declare the same forces.
    pub fn sharing_plan(&self, other: &Classifier) -> Option<SharingPlan> {
        if !self.same_forces(other) {
            return None;
        }
        let same_feature = |a: FeatureIndex, b: FeatureIndex| match (
            &self.agreement.features[a as usize].shape,
            &other.agreement.features[b as usize].shape,
        ) {
            (Shape::Zone(x), Shape::Zone(y)) => x.polygons() == y.polygons(),
            (Shape::Line(x), Shape::Line(y)) => x.lines() == y.lines(),
            _ => false,
        };
        // For each of this classifier's predicates, the other's that means the same.
        let twin: Vec<Option<u32>> = self
            .predicates
            .iter()
            .map(|mine| {
                other
                    .predicates
                    .iter()
                    .position(|theirs| match (mine, theirs) {
                        (Predicate::Inside { zone: a }, Predicate::Inside { zone: b }) => {
                            same_feature(*a, *b)
                        }
                        (
                            Predicate::Near {
                                target: a,
                                min_m: x,
                            },
                            Predicate::Near {
                                target: b,
                                min_m: y,
                            },
                        ) => x == y && same_feature(*a, *b),
                        _ => false,
                    })
                    .map(|q| q as u32)
            })
            .collect();
        let per_force = self
            .relevant
            .iter()
            .zip(&other.relevant)
            .map(|(mine, theirs)| {
                mine.iter()
                    .map(|&p| (p, twin[p as usize].filter(|q| theirs.contains(q))))
                    .collect()
            })
            .collect();
        Some(SharingPlan { per_force })
    }

    /// As [`Self::classify_resolved`], taking the answer of every predicate that means the
    /// same as one `other` evaluated for this report (`other_hits`, what `other` found)
    /// instead of computing it again: the same hits, in the order of this classifier's
    /// predicates.
    #[inline]
    pub fn classify_sharing(
        &self,
        report: &RawReport,
        party: PartyIndex,
        category: CategoryIndex,
        plan: &SharingPlan,
        other_hits: &[Hit],
        hits: &mut Vec<Hit>,
    ) {
        let n_categories = self.agreement.categories.len();
        let force = usize::from(party) * n_categories + usize::from(category);
        for &(p, twin) in &plan.per_force[force] {
            match twin {
                Some(q) => {
                    if let Some(h) = other_hits.iter().find(|h| h.predicate == q) {
                        hits.push(Hit {
                            predicate: p,
                            distance_m: h.distance_m,
                        });
                    }
                }
                None => self.test(p, report.lon, report.lat, hits),
            }
        }
    }

    /// As [`Self::classify`] for a report whose party and category are already resolved
    /// (against this agreement, or one with the [`Self::same_forces`]).
    #[inline]
    pub fn classify_resolved(
        &self,
        report: &RawReport,
        party: PartyIndex,
        category: CategoryIndex,
        hits: &mut Vec<Hit>,
    ) {
        let n_categories = self.agreement.categories.len();
        for &p in &self.relevant[usize::from(party) * n_categories + usize::from(category)] {
            self.test(p, report.lon, report.lat, hits);
        }
    }

    /// Evaluates predicate `p` at a position, appending a hit when it holds. Always
    /// inlined: called from two loops, it was kept out of line, a call per predicate.
    #[inline(always)]
    fn test(&self, p: u32, lon: f64, lat: f64, hits: &mut Vec<Hit>) {
        match self.predicates[p as usize] {
            Predicate::Inside { zone } => {
                let Shape::Zone(z) = &self.agreement.features[zone as usize].shape else {
                    unreachable!("validated: an inside predicate names a zone")
                };
                if z.contains(lon, lat) {
                    hits.push(Hit {
                        predicate: p,
                        distance_m: 0.0,
                    });
                }
            }
            Predicate::Near { target, min_m } => {
                let distance = match &self.agreement.features[target as usize].shape {
                    Shape::Zone(z) => z.distance_within_m(lon, lat, min_m),
                    Shape::Line(l) => l.distance_within_m(lon, lat, min_m),
                };
                if let Some(distance_m) = distance {
                    hits.push(Hit {
                        predicate: p,
                        distance_m,
                    });
                }
            }
        }
    }

    /// Needed only when a breach ends or a window opens or closes. Kept out of line and
    /// cold: inlined, the compiler hoisted its (speculatable) trigonometry into every
    /// report's path, two sin/cos pairs a report for nothing.
    #[cold]
    #[inline(never)]
    pub(crate) fn distance_m(&self, target: FeatureIndex, lon: f64, lat: f64) -> f64 {
        match &self.agreement.features[target as usize].shape {
            Shape::Zone(z) => z.distance_m(lon, lat),
            Shape::Line(l) => l.distance_m(lon, lat),
        }
    }
}

pub(crate) fn all_forces(
    agreement: &Agreement,
) -> impl Iterator<Item = (PartyIndex, CategoryIndex)> {
    let n_categories = agreement.categories.len();
    (0..agreement.parties.len())
        .flat_map(move |p| (0..n_categories).map(move |c| (p as PartyIndex, c as CategoryIndex)))
}

pub(crate) fn rule_applies(kind: &RuleKind, party: PartyIndex, category: CategoryIndex) -> bool {
    separation_side(kind, party, category).is_some()
        || match kind {
            RuleKind::Exclusion { forces, .. } | RuleKind::Standoff { forces, .. } => {
                forces.matches(party, category)
            }
            RuleKind::Cap {
                party: p,
                category: c,
                ..
            } => *p == party && *c == category,
            RuleKind::Separation { .. } => false,
        }
}

pub(crate) fn separation_side(
    kind: &RuleKind,
    party: PartyIndex,
    category: CategoryIndex,
) -> Option<usize> {
    let RuleKind::Separation {
        parties,
        categories,
        ..
    } = kind
    else {
        return None;
    };
    if categories.as_ref().is_some_and(|c| !c.contains(&category)) {
        return None;
    }
    parties.iter().position(|&p| p == party)
}
