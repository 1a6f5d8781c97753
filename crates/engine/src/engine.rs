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

use crate::agreement::{
    Agreement, CategoryIndex, FeatureIndex, PartyIndex, RuleIndex, RuleKind, Shape,
};
use crate::event::{ClearReason, Event, EventKind};
use crate::grid::UnitGrid;
use crate::report::RawReport;
use crate::time::Timestamp;

/// The most units one engine tracks: a limit on memory that outside input can claim.
pub const MAX_UNITS: usize = 10_000_000;

/// A spatial predicate that holds for a report: its index and, for "near" predicates, the
/// exact distance in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub predicate: u32,
    pub distance_m: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Predicate {
    Inside { zone: FeatureIndex },
    Near { target: FeatureIndex, min_m: f64 },
}

/// An id with its first 16 bytes packed in two words, so that looking up a party or a
/// category among a handful compares integers, not memory (this runs for every report).
#[derive(Debug, Clone)]
struct PackedId {
    len: usize,
    words: [u64; 2],
    text: Box<str>,
}

impl PackedId {
    fn new(id: &str) -> PackedId {
        PackedId {
            len: id.len(),
            words: PackedId::pack(id),
            text: id.into(),
        }
    }

    /// The first 16 bytes of `id`, zero-padded, as two little-endian words. By overlapping
    /// loads rather than a byte loop: it runs twice for every report.
    #[inline]
    fn pack(id: &str) -> [u64; 2] {
        let b = id.as_bytes();
        let n = b.len();
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let u32_at = |i: usize| u64::from(u32::from_le_bytes(b[i..i + 4].try_into().expect("4")));
        let u16_at = |i: usize| u64::from(u16::from_le_bytes(b[i..i + 2].try_into().expect("2")));
        // Two loads that overlap in the middle cover every length in their range; the
        // bytes they share are the same, so or-ing them is exact.
        match n {
            0 => [0, 0],
            1 => [u64::from(b[0]), 0],
            2..=3 => [u16_at(0) | u16_at(n - 2) << (8 * (n - 2)), 0],
            4..=7 => [u32_at(0) | u32_at(n - 4) << (8 * (n - 4)), 0],
            8 => [u64_at(0), 0],
            9..=15 => [u64_at(0), u64_at(n - 8) >> (8 * (16 - n))],
            _ => [u64_at(0), u64_at(8)],
        }
    }

    #[inline]
    fn same(&self, words: &[u64; 2], text: &str) -> bool {
        self.len == text.len() && self.words == *words && (self.len <= 16 || *self.text == *text)
    }
}

/// The position-only half of evaluation. Cheap to share between threads.
#[derive(Debug)]
pub struct Classifier {
    agreement: Arc<Agreement>,
    party_ids: Vec<PackedId>,
    category_ids: Vec<PackedId>,
    predicates: Vec<Predicate>,
    /// Per rule: its predicate (exclusion and cap: inside its zone; standoff: near its target).
    rule_predicate: Vec<Option<u32>>,
    /// Per (party, category): the predicates to test.
    relevant: Vec<Vec<u32>>,
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

    pub fn party(&self, id: &str) -> Result<PartyIndex, String> {
        // Agreements name a handful of parties: a scan beats hashing.
        let wanted = PackedId::pack(id);
        self.party_ids
            .iter()
            .position(|p| p.same(&wanted, id))
            .map(|i| i as PartyIndex)
            .ok_or_else(|| {
                format!(
                    "party {id:?} is not declared in agreement {:?}",
                    self.agreement.id
                )
            })
    }

    pub fn category(&self, id: &str) -> Result<CategoryIndex, String> {
        let wanted = PackedId::pack(id);
        self.category_ids
            .iter()
            .position(|c| c.same(&wanted, id))
            .map(|i| i as CategoryIndex)
            .ok_or_else(|| {
                format!(
                    "category {id:?} is not declared in agreement {:?}",
                    self.agreement.id
                )
            })
    }

    /// Resolves the report's party and category and appends the predicates that hold at its
    /// position to `hits`.
    pub fn classify(
        &self,
        report: &RawReport,
        hits: &mut Vec<Hit>,
    ) -> Result<(PartyIndex, CategoryIndex), String> {
        let party = self.party(&report.party)?;
        let category = self.category(&report.category)?;
        let n_categories = self.agreement.categories.len();
        for &p in &self.relevant[usize::from(party) * n_categories + usize::from(category)] {
            match self.predicates[p as usize] {
                Predicate::Inside { zone } => {
                    let Shape::Zone(z) = &self.agreement.features[zone as usize].shape else {
                        unreachable!("validated: an inside predicate names a zone")
                    };
                    if z.contains(report.lon, report.lat) {
                        hits.push(Hit {
                            predicate: p,
                            distance_m: 0.0,
                        });
                    }
                }
                Predicate::Near { target, min_m } => {
                    let distance = match &self.agreement.features[target as usize].shape {
                        Shape::Zone(z) => z.distance_within_m(report.lon, report.lat, min_m),
                        Shape::Line(l) => l.distance_within_m(report.lon, report.lat, min_m),
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
        Ok((party, category))
    }

    /// Needed only when a breach ends or a window opens or closes. Kept out of line and
    /// cold: inlined, the compiler hoisted its (speculatable) trigonometry into every
    /// report's path, two sin/cos pairs a report for nothing.
    #[cold]
    #[inline(never)]
    fn distance_m(&self, target: FeatureIndex, lon: f64, lat: f64) -> f64 {
        match &self.agreement.features[target as usize].shape {
            Shape::Zone(z) => z.distance_m(lon, lat),
            Shape::Line(l) => l.distance_m(lon, lat),
        }
    }
}

fn all_forces(agreement: &Agreement) -> impl Iterator<Item = (PartyIndex, CategoryIndex)> {
    let n_categories = agreement.categories.len();
    (0..agreement.parties.len())
        .flat_map(move |p| (0..n_categories).map(move |c| (p as PartyIndex, c as CategoryIndex)))
}

fn rule_applies(kind: &RuleKind, party: PartyIndex, category: CategoryIndex) -> bool {
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

fn separation_side(kind: &RuleKind, party: PartyIndex, category: CategoryIndex) -> Option<usize> {
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
                .map(|r| r.active_from.is_none())
                .collect(),
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

    /// Classifies and applies a report in one step.
    pub fn apply_raw(&mut self, report: &RawReport, events: &mut Vec<Event>) -> Result<(), String> {
        let mut hits = Vec::new();
        let (party, category) = self.classifier.classify(report, &mut hits)?;
        self.apply(
            &ReportRef {
                t: report.t,
                unit: &report.unit,
                party,
                category,
                count: report.count,
                lon: report.lon,
                lat: report.lat,
                hits: &hits,
            },
            events,
        )
    }

    /// Applies one classified report: rule windows up to its time first, then the report.
    /// On error nothing has changed.
    pub fn apply(&mut self, report: &ReportRef, events: &mut Vec<Event>) -> Result<(), String> {
        if let Some(last) = self.last_t {
            if report.t < last {
                return Err(format!(
                    "report at {} is earlier than the one before it at {last}: reports must be in time order",
                    report.t
                ));
            }
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
    fn unit_for(&mut self, report: &ReportRef) -> Result<u32, String> {
        let hash = self.hasher.hash_one(report.unit);
        let words = PackedId::pack(report.unit);
        if let Some(index) = self.index_of(report.unit, hash, &words) {
            let state = &self.units[index as usize];
            if state.party != report.party {
                return Err(format!(
                    "unit {:?} changed party from {} to {}: a unit's party never changes",
                    report.unit,
                    self.names.parties[usize::from(state.party)],
                    self.names.parties[usize::from(report.party)]
                ));
            }
            if state.category != report.category {
                return Err(format!(
                    "unit {:?} changed category from {} to {}: a unit's category never changes",
                    report.unit,
                    self.names.categories[usize::from(state.category)],
                    self.names.categories[usize::from(report.category)]
                ));
            }
            return Ok(index);
        }
        if self.units.len() >= MAX_UNITS {
            return Err(format!(
                "more than {MAX_UNITS} units: refusing unit {:?}",
                report.unit
            ));
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

    fn apply_rule(
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
    fn apply_separation(
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

    /// Applies every rule window that opens or closes at or before `t` (spec/engine.md 4).
    pub fn advance_to(&mut self, t: Timestamp, events: &mut Vec<Event>) {
        while self.next_instant < self.instants.len() && self.instants[self.next_instant] <= t {
            let instant = self.instants[self.next_instant];
            self.next_instant += 1;
            self.apply_window(instant, events);
        }
    }

    fn apply_window(&mut self, instant: Timestamp, events: &mut Vec<Event>) {
        let agreement = self.classifier.agreement.clone();
        for (r, rule) in agreement.rules.iter().enumerate() {
            if rule.active_from == Some(instant) {
                self.active[r] = true;
                self.open_rule(r as RuleIndex, instant, events);
            } else if rule.active_until == Some(instant) {
                self.active[r] = false;
                self.close_rule(r as RuleIndex, instant, events);
            }
        }
    }

    fn open_rule(&mut self, rule: RuleIndex, t: Timestamp, events: &mut Vec<Event>) {
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

    fn close_rule(&mut self, rule: RuleIndex, t: Timestamp, events: &mut Vec<Event>) {
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
            event.reason = Some(ClearReason::RuleInactive);
            events.push(event);
        }
    }

    /// The pairs (first side's unit, second side's, distance) of separation `s` in breach
    /// now, in unit order.
    fn breached_pairs(&self, s: usize) -> Vec<(u32, u32, f64)> {
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

    // ---- event construction -----------------------------------------------------------

    fn unit_event(&self, t: Timestamp, rule: RuleIndex, kind: EventKind, unit: u32) -> Event {
        let state = &self.units[unit as usize];
        let mut event = Event::new(t, &self.names.rules[rule as usize], kind);
        event.unit = Some(state.name.clone());
        event.party = Some(self.names.parties[usize::from(state.party)].clone());
        if let RuleKind::Exclusion { zone, .. } =
            self.classifier.agreement.rules[rule as usize].kind
        {
            event.zone = Some(self.names.features[zone as usize].clone());
        }
        event
    }

    fn standoff_event(
        &self,
        t: Timestamp,
        rule: RuleIndex,
        kind: EventKind,
        unit: u32,
        distance_m: f64,
    ) -> Event {
        let state = &self.units[unit as usize];
        let mut event = Event::new(t, &self.names.rules[rule as usize], kind);
        event.unit = Some(state.name.clone());
        event.party = Some(self.names.parties[usize::from(state.party)].clone());
        if let RuleKind::Standoff { target, min_km, .. } =
            self.classifier.agreement.rules[rule as usize].kind
        {
            event.target = Some(self.names.features[target as usize].clone());
            event.limit_km = Some(min_km);
        }
        event.distance_km = Some(distance_m / 1000.0);
        event
    }

    fn cap_event(&self, t: Timestamp, rule: RuleIndex, kind: EventKind) -> Event {
        let mut event = Event::new(t, &self.names.rules[rule as usize], kind);
        if let RuleKind::Cap {
            zone,
            party,
            category,
            max,
        } = self.classifier.agreement.rules[rule as usize].kind
        {
            event.zone = Some(self.names.features[zone as usize].clone());
            event.party = Some(self.names.parties[usize::from(party)].clone());
            event.category = Some(self.names.categories[usize::from(category)].clone());
            event.value = Some(self.cap_total[rule as usize]);
            event.limit = Some(max);
        }
        event
    }

    #[allow(clippy::too_many_arguments)]
    fn separation_event(
        &self,
        t: Timestamp,
        rule: RuleIndex,
        kind: EventKind,
        side: usize,
        unit: u32,
        other: u32,
        distance_m: f64,
    ) -> Event {
        // The first party's unit is always `unit`, whichever of the two reported.
        let (first, second) = if side == 0 {
            (unit, other)
        } else {
            (other, unit)
        };
        let mut event = Event::new(t, &self.names.rules[rule as usize], kind);
        event.unit = Some(self.units[first as usize].name.clone());
        event.other = Some(self.units[second as usize].name.clone());
        event.distance_km = Some(distance_m / 1000.0);
        if let RuleKind::Separation { min_km, .. } =
            self.classifier.agreement.rules[rule as usize].kind
        {
            event.limit_km = Some(min_km);
        }
        event
    }
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

#[cfg(test)]
mod tests {
    use super::PackedId;
    use proptest::prelude::*;

    proptest! {
        /// The overlapping loads pack the same words as a byte loop, at every length.
        #[test]
        fn packing_matches_a_byte_loop(id in "[ -~]{0,24}") {
            let mut want = [0u64; 2];
            for (i, &b) in id.as_bytes().iter().take(16).enumerate() {
                want[i / 8] |= u64::from(b) << (8 * (i % 8));
            }
            prop_assert_eq!(PackedId::pack(&id), want);
        }
    }
}
