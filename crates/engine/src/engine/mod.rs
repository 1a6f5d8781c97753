//! Incremental rule evaluation.
//!
//! Work is split in two so that a replay can use every core:
//! - [`Classifier`] (shared, `Sync`, pure) resolves a report's party and category and
//!   answers the spatial questions that depend on the position alone: is it inside zone Z,
//!   is it within D km of target T. It looks only at the predicates the rules of that
//!   (party, category) need.
//! - [`Engine`] (one, sequential) keeps each unit's last state and each rule's breaches and
//!   turns a classified report into transitions. Its work per report is a few bit tests and,
//!   for separation, a grid query around the unit.
//!
//! Invariants:
//! - `breached` bits, cap `exceeded` flags and separation pairs are set only while the rule
//!   is active; a window closing clears them (with `reason: rule_inactive`).
//! - Cap totals and unit predicate bits are kept whether or not a rule is active, so that a
//!   window opening sees the present state without recomputing it.

use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::FxHashMap;
use std::hash::BuildHasher;
use truceline_geometry::distance_point_point_m;

use crate::agreement::{Agreement, CategoryIndex, FeatureIndex, PartyIndex, RuleIndex, RuleKind};
use crate::error::ApplyError;
use crate::event::{ClearReason, Event, EventKind};
use crate::grid::UnitGrid;
use crate::packed_id::PackedId;
use crate::report::RawReport;

use crate::classifier::{all_forces, rule_applies, separation_side};
pub use crate::classifier::{Classifier, Hit};
use crate::time::Timestamp;

/// The most units one engine tracks: a limit on memory that outside input can claim.
pub const MAX_UNITS: usize = 10_000_000;

/// A report ready to apply: resolved, with its predicates evaluated.
#[derive(Debug, Clone, Copy)]
pub struct ReportRef<'a> {
    pub t: Timestamp,
    pub unit: &'a str,
    pub party: PartyIndex,
    pub category: CategoryIndex,
    pub count: u64,
    pub lon: f64,
    pub lat: f64,
    pub hits: &'a [Hit],
}

impl<'a> ReportRef<'a> {
    /// A read report as classified: its party, category and hits by a classifier.
    #[inline]
    pub fn of(
        report: &'a RawReport,
        party: PartyIndex,
        category: CategoryIndex,
        hits: &'a [Hit],
    ) -> ReportRef<'a> {
        ReportRef {
            t: report.t,
            unit: &report.unit,
            party,
            category,
            count: report.count,
            lon: report.lon,
            lat: report.lat,
            hits,
        }
    }
}

/// A unit as the engine last saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitView<'a> {
    pub name: &'a str,
    pub party: PartyIndex,
    pub category: CategoryIndex,
    pub count: u64,
    pub lon: f64,
    pub lat: f64,
}

#[derive(Debug)]
struct UnitState {
    name: Arc<str>,
    /// The name's first 16 bytes packed ([`PackedId::pack`]): a lookup compares these words
    /// instead of following `name` to the heap, which the streaming input keeps evicting.
    name_words: [u64; 2],
    party: PartyIndex,
    category: CategoryIndex,
    count: u64,
    lon: f64,
    lat: f64,
}

impl UnitState {
    fn view(&self) -> UnitView<'_> {
        UnitView {
            name: &self.name,
            party: self.party,
            category: self.category,
            count: self.count,
            lon: self.lon,
            lat: self.lat,
        }
    }
}

#[derive(Debug)]
struct Separation {
    min_m: f64,
    sides: [UnitGrid; 2],
    /// Per side: unit -> the units of the other side it is in breach with.
    partners: [FxHashMap<u32, Vec<u32>>; 2],
}

/// What `apply` needs of a rule, copied out so that the hot path borrows nothing.
#[derive(Debug, Clone, Copy)]
enum RuleCode {
    Exclusion {
        predicate: u32,
    },
    Standoff {
        predicate: u32,
        target: FeatureIndex,
    },
    Cap {
        predicate: u32,
        max: u64,
    },
    Separation,
}

/// The sequential half of evaluation: state and transitions.
pub struct Engine {
    classifier: Arc<Classifier>,
    codes: Vec<RuleCode>,
    names: Names,
    /// Per (party, category): the rules that apply, in agreement order.
    rules_for: Vec<Vec<RuleIndex>>,
    active: Vec<bool>,
    /// Each rule's start: `active_from`, or the instant its phase's certification set.
    start: Vec<Option<Timestamp>>,
    /// The phases certified complete so far, and when (kept across an amendment).
    certified: Vec<(Arc<str>, Timestamp)>,
    /// Window instants, sorted and unique, and how many have been applied.
    instants: Vec<Timestamp>,
    next_instant: usize,
    last_t: Option<Timestamp>,
    units: Vec<UnitState>,
    unit_index: HashTable<u32>,
    /// Seeded at random: unit names are chosen by the parties, who are adversaries, and an
    /// unkeyed hash (Fx) would let one pick names that all collide and make every lookup a
    /// scan. foldhash costs about what Fx does.
    hasher: foldhash::fast::RandomState,
    /// Unit-major bitsets: predicate bits (what held at the last report) and, for
    /// exclusion and standoff rules, whether the unit is in breach.
    predicate_words: usize,
    rule_words: usize,
    predicate_bits: Vec<u64>,
    breached_bits: Vec<u64>,
    cap_total: Vec<u64>,
    cap_exceeded: Vec<bool>,
    separation_of_rule: Vec<Option<usize>>,
    separations: Vec<Separation>,
    scratch_bits: Vec<u64>,
    /// A version due to enter into force at `amend_at` ([`amend::NEVER`] when none).
    amendment: Option<Arc<Classifier>>,
    amend_at: Timestamp,
}

#[derive(Debug)]
struct Names {
    rules: Vec<Arc<str>>,
    parties: Vec<Arc<str>>,
    categories: Vec<Arc<str>>,
    features: Vec<Arc<str>>,
}

fn bit(words: &[u64], i: usize) -> bool {
    words[i / 64] >> (i % 64) & 1 == 1
}

fn set_bit(words: &mut [u64], i: usize, value: bool) {
    if value {
        words[i / 64] |= 1 << (i % 64);
    } else {
        words[i / 64] &= !(1 << (i % 64));
    }
}

impl Engine {
    pub fn new(agreement: Arc<Agreement>) -> Engine {
        Engine::with_classifier(Arc::new(Classifier::new(agreement)))
    }

    pub fn with_classifier(classifier: Arc<Classifier>) -> Engine {
        let agreement = classifier.agreement.clone();
        let n_categories = agreement.categories.len();
        let mut rules_for = vec![Vec::new(); agreement.parties.len() * n_categories];
        for (party, category) in all_forces(&agreement) {
            rules_for[usize::from(party) * n_categories + usize::from(category)] = agreement
                .rules
                .iter()
                .enumerate()
                .filter(|(_, rule)| rule_applies(&rule.kind, party, category))
                .map(|(i, _)| i as RuleIndex)
                .collect();
        }
        let mut separations = Vec::new();
        let separation_of_rule = agreement
            .rules
            .iter()
            .map(|rule| match rule.kind {
                RuleKind::Separation { min_km, .. } => {
                    let min_m = min_km * 1000.0;
                    separations.push(Separation {
                        min_m,
                        sides: [UnitGrid::new(min_m), UnitGrid::new(min_m)],
                        partners: Default::default(),
                    });
                    Some(separations.len() - 1)
                }
                _ => None,
            })
            .collect();
        let mut instants: Vec<Timestamp> = agreement
            .rules
            .iter()
            .flat_map(|r| [r.active_from, r.active_until])
            .flatten()
            .collect();
        instants.sort_unstable();
        instants.dedup();
        let names = Names {
            rules: agreement
                .rules
                .iter()
                .map(|r| Arc::from(r.id.as_str()))
                .collect(),
            parties: agreement
                .parties
                .iter()
                .map(|p| Arc::from(p.id.as_str()))
                .collect(),
            categories: agreement
                .categories
                .iter()
                .map(|c| Arc::from(c.id.as_str()))
                .collect(),
            features: agreement
                .features
                .iter()
                .map(|f| Arc::from(f.id.as_str()))
                .collect(),
        };
        let n_rules = agreement.rules.len();
        let predicate_words = classifier.predicate_count().div_ceil(64).max(1);
        let codes = agreement
            .rules
            .iter()
            .zip(&classifier.rule_predicate)
            .map(|(rule, predicate)| match rule.kind {
                RuleKind::Exclusion { .. } => RuleCode::Exclusion {
                    predicate: predicate.expect("an exclusion has a predicate"),
                },
                RuleKind::Standoff { target, .. } => RuleCode::Standoff {
                    predicate: predicate.expect("a standoff has a predicate"),
                    target,
                },
                RuleKind::Cap { max, .. } => RuleCode::Cap {
                    predicate: predicate.expect("a cap has a predicate"),
                    max,
                },
                RuleKind::Separation { .. } => RuleCode::Separation,
            })
            .collect();
        Engine {
            codes,
            names,
            rules_for,
            active: agreement
                .rules
                .iter()
                .map(|r| r.active_from.is_none() && r.active_after.is_none())
                .collect(),
            start: agreement.rules.iter().map(|r| r.active_from).collect(),
            certified: Vec::new(),
            instants,
            next_instant: 0,
            last_t: None,
            units: Vec::new(),
            unit_index: HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
            predicate_words,
            rule_words: n_rules.div_ceil(64).max(1),
            predicate_bits: Vec::new(),
            breached_bits: Vec::new(),
            cap_total: vec![0; n_rules],
            cap_exceeded: vec![false; n_rules],
            separation_of_rule,
            separations,
            scratch_bits: vec![0; predicate_words],
            amendment: None,
            amend_at: amend::NEVER,
            classifier,
        }
    }

    pub fn classifier(&self) -> &Arc<Classifier> {
        &self.classifier
    }

    pub fn agreement(&self) -> &Arc<Agreement> {
        &self.classifier.agreement
    }

    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// A unit as last reported, by name.
    pub fn unit(&self, name: &str) -> Option<UnitView<'_>> {
        let hash = self.hasher.hash_one(name);
        self.index_of(name, hash, &PackedId::pack(name))
            .map(|i| self.units[i as usize].view())
    }

    /// The index of the unit called `name`, given its hash and packed words.
    #[inline]
    fn index_of(&self, name: &str, hash: u64, words: &[u64; 2]) -> Option<u32> {
        let units = &self.units;
        self.unit_index
            .find(hash, |&i| {
                let u = &units[i as usize];
                u.name_words == *words
                    && u.name.len() == name.len()
                    && (name.len() <= 16 || *u.name == *name)
            })
            .copied()
    }

    /// Every unit as last reported, in the order they were first reported.
    pub fn units(&self) -> impl Iterator<Item = UnitView<'_>> {
        self.units.iter().map(UnitState::view)
    }

    /// The time of the last report applied.
    pub fn last_report_time(&self) -> Option<Timestamp> {
        self.last_t
    }

    /// Classifies and applies a report in one step.
    pub fn apply_raw(
        &mut self,
        report: &RawReport,
        events: &mut Vec<Event>,
    ) -> Result<(), ApplyError> {
        let mut hits = Vec::new();
        let (party, category) = self.classifier_for(report.t).classify(report, &mut hits)?;
        self.apply(&ReportRef::of(report, party, category, &hits), events)
    }

    /// Checks `reports`, in order, as [`Self::apply`] would refuse each after the ones
    /// before it, without changing anything, so that a caller can apply a batch whole or
    /// not at all. On refusal, the position in `reports` of the first refused, and why.
    pub fn check_batch<'a>(
        &self,
        reports: impl IntoIterator<Item = ReportRef<'a>>,
    ) -> Result<(), (usize, ApplyError)> {
        let mut last = self.last_t;
        // Compared by id, not index: a batch may span a new version's entry into force,
        // and indices are per version.
        let mut new_units: FxHashMap<&'a str, (&str, &str)> = FxHashMap::default();
        for (i, report) in reports.into_iter().enumerate() {
            self.check_order(last, &report).map_err(|e| (i, e))?;
            last = Some(report.t);
            let known = self
                .unit(report.unit)
                .map(|u| {
                    (
                        &*self.names.parties[usize::from(u.party)],
                        &*self.names.categories[usize::from(u.category)],
                    )
                })
                .or_else(|| new_units.get(report.unit).copied());
            let now = self.force_names(&report);
            match known {
                Some(was) => check_same_force_names(was, now, report.unit).map_err(|e| (i, e))?,
                None => {
                    if self.units.len() + new_units.len() >= MAX_UNITS {
                        return Err((i, self.too_many_units(&report)));
                    }
                    new_units.insert(report.unit, now);
                }
            }
        }
        Ok(())
    }

    #[inline]
    fn check_order(&self, last: Option<Timestamp>, report: &ReportRef) -> Result<(), ApplyError> {
        match last {
            Some(last) if report.t < last => Err(ApplyError::OutOfOrder { t: report.t, last }),
            _ => Ok(()),
        }
    }

    /// A unit's party and category never change: `was` is what it reported before.
    #[inline]
    fn check_same_force(
        &self,
        was: (PartyIndex, CategoryIndex),
        report: &ReportRef,
    ) -> Result<(), ApplyError> {
        if was.0 != report.party {
            return Err(ApplyError::PartyChanged {
                unit: report.unit.to_owned(),
                from: self.names.parties[usize::from(was.0)].to_string(),
                to: self.names.parties[usize::from(report.party)].to_string(),
            });
        }
        if was.1 != report.category {
            return Err(ApplyError::CategoryChanged {
                unit: report.unit.to_owned(),
                from: self.names.categories[usize::from(was.1)].to_string(),
                to: self.names.categories[usize::from(report.category)].to_string(),
            });
        }
        Ok(())
    }

    /// As [`Self::check_same_force`], for a report classified under the version due to
    /// enter into force: by id.
    fn check_force_across(&self, report: &ReportRef) -> Result<(), ApplyError> {
        match self.unit(report.unit) {
            Some(u) => check_same_force_names(
                (
                    &self.names.parties[usize::from(u.party)],
                    &self.names.categories[usize::from(u.category)],
                ),
                self.force_names(report),
                report.unit,
            ),
            None => Ok(()),
        }
    }

    fn too_many_units(&self, report: &ReportRef) -> ApplyError {
        ApplyError::TooManyUnits {
            unit: report.unit.to_owned(),
            max: MAX_UNITS,
        }
    }

    /// Applies one classified report: rule windows up to its time first, then the report.
    /// On error nothing has changed.
    pub fn apply(&mut self, report: &ReportRef, events: &mut Vec<Event>) -> Result<(), ApplyError> {
        self.check_order(self.last_t, report)?;
        if self.amend_at <= report.t {
            // The report was classified under the new version: enter it into force first,
            // so that the unit is looked up with the new version's indices.
            self.check_force_across(report)?;
            self.enter_into_force(events);
        }
        let unit = self.unit_for(report)?;
        self.advance_to(report.t, events);
        self.last_t = Some(report.t);

        // The predicates that hold now.
        let words = self.predicate_words;
        self.scratch_bits.iter_mut().for_each(|w| *w = 0);
        for hit in report.hits {
            set_bit(&mut self.scratch_bits, hit.predicate as usize, true);
        }
        let n_categories = self.classifier.agreement.categories.len();
        let rules = std::mem::take(
            &mut self.rules_for
                [usize::from(report.party) * n_categories + usize::from(report.category)],
        );
        let old_count = self.units[unit as usize].count;
        {
            let state = &mut self.units[unit as usize];
            state.count = report.count;
            state.lon = report.lon;
            state.lat = report.lat;
        }
        for &rule in &rules {
            self.apply_rule(rule, unit, old_count, report, events);
        }
        self.rules_for[usize::from(report.party) * n_categories + usize::from(report.category)] =
            rules;
        let base = unit as usize * words;
        self.predicate_bits[base..base + words].copy_from_slice(&self.scratch_bits);
        Ok(())
    }

    /// Finds or adds the unit, refusing a change of party or category.
    fn unit_for(&mut self, report: &ReportRef) -> Result<u32, ApplyError> {
        let hash = self.hasher.hash_one(report.unit);
        let words = PackedId::pack(report.unit);
        if let Some(index) = self.index_of(report.unit, hash, &words) {
            let state = &self.units[index as usize];
            self.check_same_force((state.party, state.category), report)?;
            return Ok(index);
        }
        if self.units.len() >= MAX_UNITS {
            return Err(self.too_many_units(report));
        }
        let index = self.units.len() as u32;
        self.units.push(UnitState {
            name: Arc::from(report.unit),
            name_words: words,
            party: report.party,
            category: report.category,
            count: 0,
            lon: report.lon,
            lat: report.lat,
        });
        let hasher = self.hasher;
        let units = &self.units;
        self.unit_index
            .insert_unique(hash, index, |&i| hasher.hash_one(&*units[i as usize].name));
        self.predicate_bits
            .extend(std::iter::repeat_n(0, self.predicate_words));
        self.breached_bits
            .extend(std::iter::repeat_n(0, self.rule_words));
        Ok(index)
    }
}

/// A unit's party and category never change, compared by id (`was`, then `now`).
fn check_same_force_names(
    was: (&str, &str),
    now: (&str, &str),
    unit: &str,
) -> Result<(), ApplyError> {
    if was.0 != now.0 {
        return Err(ApplyError::PartyChanged {
            unit: unit.to_owned(),
            from: was.0.to_owned(),
            to: now.0.to_owned(),
        });
    }
    if was.1 != now.1 {
        return Err(ApplyError::CategoryChanged {
            unit: unit.to_owned(),
            from: was.1.to_owned(),
            to: now.1.to_owned(),
        });
    }
    Ok(())
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("agreement", &self.classifier.agreement.id)
            .field("units", &self.units.len())
            .field("last_t", &self.last_t)
            .finish_non_exhaustive()
    }
}

mod amend;
mod events;
mod phases;
mod queries;
mod rules;
mod windows;
