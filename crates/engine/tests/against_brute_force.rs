//! The incremental engine against a brute-force evaluator, on random agreements and tracks.
//!
//! The engine keeps state (unit predicate bits, breach bits, cap totals, separation pairs
//! in a grid, rule windows) so that a report costs little; any of it could go stale. The
//! brute force below keeps nothing but the units' last reports: at each report (and each
//! window instant) it recomputes every rule's breaches from scratch with the geometry
//! crate's `reference` functions, exactly as spec/engine.md words it, and says the
//! differences. Both must say the same events.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;
use truceline_engine::{AgreementSource, Engine, Event, EventKind, RawReport, Timestamp};
use truceline_geometry::{distance_point_point_m, reference, LonLat};

const PARTIES: [&str; 3] = ["A", "B", "M"];
const CATEGORIES: [&str; 2] = ["inf", "tank"];
/// Decisions this close to a threshold may go either way in floating point.
const NEAR_M: f64 = 0.01;

#[derive(Debug, Clone)]
enum Geometry {
    Zone(Vec<Vec<Vec<LonLat>>>),
    Line(Vec<Vec<LonLat>>),
}

#[derive(Debug, Clone)]
enum RuleSpec {
    Exclusion {
        zone: usize,
        parties: Vec<usize>,
        categories: Option<Vec<usize>>,
    },
    Cap {
        zone: usize,
        party: usize,
        category: usize,
        max: u64,
    },
    Standoff {
        target: usize,
        parties: Vec<usize>,
        categories: Option<Vec<usize>>,
        min_km: f64,
    },
    Separation {
        parties: [usize; 2],
        categories: Option<Vec<usize>>,
        min_km: f64,
    },
}

#[derive(Debug, Clone)]
struct Scenario {
    features: Vec<Geometry>,
    rules: Vec<(RuleSpec, Option<i64>, Option<i64>)>,
    /// (seconds, unit index, lon, lat, count)
    reports: Vec<(i64, usize, f64, f64, u64)>,
}

const UNITS: usize = 8;

fn unit_party(u: usize) -> usize {
    u % 3
}

fn unit_category(u: usize) -> usize {
    (u / 3) % 2
}

fn square(cx: f64, cy: f64, half: f64) -> Vec<LonLat> {
    vec![
        [cx - half, cy - half],
        [cx + half, cy - half],
        [cx + half, cy + half],
        [cx - half, cy + half],
        [cx - half, cy - half],
    ]
}

fn star(cx: f64, cy: f64, radii: &[f64]) -> Vec<LonLat> {
    let n = radii.len();
    let mut ring: Vec<LonLat> = radii
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            [cx + r * a.cos(), cy + r * a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

fn geometry() -> impl Strategy<Value = Geometry> {
    let coord = || (0..20i32).prop_map(|v| 35.0 + f64::from(v) * 0.01);
    prop_oneof![
        // A square with a square hole: edges and vertices on the report grid.
        (coord(), coord(), 3..8i32, proptest::bool::ANY).prop_map(|(cx, cy, half, hole)| {
            let half = f64::from(half) * 0.01;
            let mut rings = vec![square(cx, cy + 0.0, half)];
            if hole {
                rings.push(square(cx, cy, half / 2.0));
            }
            Geometry::Zone(vec![rings])
        }),
        // A star-shaped polygon (slanted edges), sometimes with a second part.
        (
            coord(),
            coord(),
            proptest::collection::vec(0.02..0.08f64, 5..9),
            proptest::bool::ANY
        )
            .prop_map(|(cx, cy, radii, two)| {
                let mut polygons = vec![vec![star(cx, cy, &radii)]];
                if two {
                    polygons.push(vec![square(cx + 0.3, cy, 0.03)]);
                }
                Geometry::Zone(polygons)
            }),
        proptest::collection::vec((coord(), coord()), 2..6)
            .prop_map(|pts| Geometry::Line(vec![pts.into_iter().map(|(x, y)| [x, y]).collect()])),
    ]
}

fn subset(n: usize) -> impl Strategy<Value = Vec<usize>> + Clone {
    proptest::sample::subsequence((0..n).collect::<Vec<_>>(), 1..=n)
}

fn window() -> impl Strategy<Value = (Option<i64>, Option<i64>)> {
    prop_oneof![
        3 => Just((None, None)),
        1 => (0..40i64).prop_map(|f| (Some(f * 60), None)),
        1 => (1..40i64).prop_map(|u| (None, Some(u * 60))),
        1 => (0..30i64, 1..20i64).prop_map(|(f, len)| (Some(f * 60), Some((f + len) * 60))),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    proptest::collection::vec(geometry(), 1..4)
        .prop_flat_map(|features| {
            let n = features.len();
            let zones: Vec<usize> = (0..n)
                .filter(|&i| matches!(features[i], Geometry::Zone(_)))
                .collect();
            let zone = if zones.is_empty() {
                None
            } else {
                Some(proptest::sample::select(zones))
            };
            let categories = || proptest::option::of(subset(2));
            let mut kinds: Vec<BoxedStrategy<RuleSpec>> = vec![
                (0..n, subset(3), categories(), 1..40u32)
                    .prop_map(|(target, parties, categories, km)| RuleSpec::Standoff {
                        target,
                        parties,
                        categories,
                        min_km: f64::from(km) * 0.25,
                    })
                    .boxed(),
                (
                    proptest::sample::subsequence(vec![0usize, 1, 2], 2),
                    proptest::bool::ANY,
                    categories(),
                    1..20u32,
                )
                    .prop_map(|(p, flip, categories, km)| RuleSpec::Separation {
                        parties: if flip { [p[1], p[0]] } else { [p[0], p[1]] },
                        categories,
                        min_km: f64::from(km) * 0.5,
                    })
                    .boxed(),
            ];
            if let Some(zone) = zone {
                kinds.push(
                    (zone.clone(), subset(3), categories())
                        .prop_map(|(zone, parties, categories)| RuleSpec::Exclusion {
                            zone,
                            parties,
                            categories,
                        })
                        .boxed(),
                );
                kinds.push(
                    (zone, 0..3usize, 0..2usize, 0..30u64)
                        .prop_map(|(zone, party, category, max)| RuleSpec::Cap {
                            zone,
                            party,
                            category,
                            max,
                        })
                        .boxed(),
                );
            }
            let rules =
                proptest::collection::vec((proptest::strategy::Union::new(kinds), window()), 1..6)
                    .prop_map(|rules| {
                        rules
                            .into_iter()
                            .map(|(r, (f, u))| (r, f, u))
                            .collect::<Vec<_>>()
                    });
            let coord = (0..40i32).prop_map(|v| 34.95 + f64::from(v) * 0.01);
            let reports = proptest::collection::vec(
                (0..4i64, 0..UNITS, coord.clone(), coord, 0..12u64),
                1..120,
            )
            .prop_map(|steps| {
                let mut t = 0;
                steps
                    .into_iter()
                    .map(|(dt, unit, lon, lat, count)| {
                        t += dt * 30;
                        (t, unit, lon, lat, count)
                    })
                    .collect::<Vec<_>>()
            });
            (Just(features), rules, reports)
        })
        .prop_map(|(features, rules, reports)| Scenario {
            features,
            rules,
            reports,
        })
}

fn t(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_767_225_600 + seconds)
}

fn to_files(s: &Scenario) -> (String, String) {
    let mut toml = String::from(
        "[agreement]\nid = \"prop\"\ntitle = \"random\"\nversion = 1\ngeometry = \"z.geojson\"\n",
    );
    for p in PARTIES {
        toml += &format!("[[parties]]\nid = \"{p}\"\nname = \"{p}\"\nrole = \"party\"\n");
    }
    for c in CATEGORIES {
        toml += &format!("[[categories]]\nid = \"{c}\"\nname = \"{c}\"\n");
    }
    let list = |ids: &[usize], names: &[&str]| {
        ids.iter()
            .map(|&i| format!("\"{}\"", names[i]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (i, (rule, from, until)) in s.rules.iter().enumerate() {
        toml += &format!("[[rules]]\nid = \"r{i}\"\n");
        match rule {
            RuleSpec::Exclusion {
                zone,
                parties,
                categories,
            } => {
                toml += &format!(
                    "kind = \"exclusion\"\nzone = \"f{zone}\"\nparties = [{}]\n",
                    list(parties, &PARTIES)
                );
                if let Some(c) = categories {
                    toml += &format!("categories = [{}]\n", list(c, &CATEGORIES));
                }
            }
            RuleSpec::Cap {
                zone,
                party,
                category,
                max,
            } => {
                toml += &format!("kind = \"cap\"\nzone = \"f{zone}\"\nparty = \"{}\"\ncategory = \"{}\"\nmax = {max}\n", PARTIES[*party], CATEGORIES[*category]);
            }
            RuleSpec::Standoff {
                target,
                parties,
                categories,
                min_km,
            } => {
                toml += &format!("kind = \"standoff\"\ntarget = \"f{target}\"\nparties = [{}]\nmin_km = {min_km:?}\n", list(parties, &PARTIES));
                if let Some(c) = categories {
                    toml += &format!("categories = [{}]\n", list(c, &CATEGORIES));
                }
            }
            RuleSpec::Separation {
                parties,
                categories,
                min_km,
            } => {
                toml += &format!(
                    "kind = \"separation\"\nparties = [{}]\nmin_km = {min_km:?}\n",
                    list(parties, &PARTIES)
                );
                if let Some(c) = categories {
                    toml += &format!("categories = [{}]\n", list(c, &CATEGORIES));
                }
            }
        }
        if let Some(f) = from {
            toml += &format!("active_from = \"{}\"\n", t(*f));
        }
        if let Some(u) = until {
            toml += &format!("active_until = \"{}\"\n", t(*u));
        }
    }
    let features: Vec<serde_json::Value> = s
        .features
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let geometry = match g {
                Geometry::Zone(p) => serde_json::json!({"type": "MultiPolygon", "coordinates": p}),
                Geometry::Line(l) => serde_json::json!({"type": "MultiLineString", "coordinates": l}),
            };
            serde_json::json!({"type": "Feature", "properties": {"id": format!("f{i}")}, "geometry": geometry})
        })
        .collect();
    (
        toml,
        serde_json::json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
}

/// Keys of one rule's breaches: (unit, other) for unit-scoped rules, ("", "") for caps.
type Key = (String, String);
/// (time in seconds, rule, breach?, key)
type Transition = (i64, usize, bool, Key);
/// Breach keys by rule index.
type RuleKeys = BTreeSet<(usize, Key)>;

struct BruteForce<'a> {
    s: &'a Scenario,
    /// unit -> (lon, lat, count)
    units: BTreeMap<usize, (f64, f64, u64)>,
    breaches: Vec<BTreeSet<Key>>,
    near_threshold: BTreeSet<(usize, Key)>,
}

impl BruteForce<'_> {
    fn active(&self, rule: usize, at: i64) -> bool {
        let (_, from, until) = &self.s.rules[rule];
        from.is_none_or(|f| at >= f) && until.is_none_or(|u| at < u)
    }

    fn matches(parties: &[usize], categories: &Option<Vec<usize>>, unit: usize) -> bool {
        parties.contains(&unit_party(unit))
            && categories
                .as_ref()
                .is_none_or(|c| c.contains(&unit_category(unit)))
    }

    fn distance_m(&self, feature: usize, lon: f64, lat: f64) -> f64 {
        match &self.s.features[feature] {
            Geometry::Zone(p) => reference::zone_distance_m(p, lon, lat),
            Geometry::Line(l) => reference::distance_to_segments_m(l, lon, lat),
        }
    }

    fn now(&mut self, rule: usize) -> BTreeSet<Key> {
        let mut out = BTreeSet::new();
        match &self.s.rules[rule].0 {
            RuleSpec::Exclusion {
                zone,
                parties,
                categories,
            } => {
                let Geometry::Zone(p) = &self.s.features[*zone] else {
                    unreachable!()
                };
                for (&u, &(lon, lat, _)) in &self.units {
                    if Self::matches(parties, categories, u) && reference::contains(p, lon, lat) {
                        out.insert((unit_name(u), String::new()));
                    }
                }
            }
            RuleSpec::Cap {
                zone,
                party,
                category,
                max,
            } => {
                let Geometry::Zone(p) = &self.s.features[*zone] else {
                    unreachable!()
                };
                let total: u64 = self
                    .units
                    .iter()
                    .filter(|(&u, &(lon, lat, _))| {
                        unit_party(u) == *party
                            && unit_category(u) == *category
                            && reference::contains(p, lon, lat)
                    })
                    .map(|(_, &(_, _, count))| count)
                    .sum();
                if total > *max {
                    out.insert((String::new(), String::new()));
                }
            }
            RuleSpec::Standoff {
                target,
                parties,
                categories,
                min_km,
            } => {
                for (&u, &(lon, lat, _)) in &self.units {
                    if Self::matches(parties, categories, u) {
                        let d = self.distance_m(*target, lon, lat);
                        let key = (unit_name(u), String::new());
                        if (d - min_km * 1000.0).abs() < NEAR_M {
                            self.near_threshold.insert((rule, key.clone()));
                        }
                        if d < min_km * 1000.0 {
                            out.insert(key);
                        }
                    }
                }
            }
            RuleSpec::Separation {
                parties,
                categories,
                min_km,
            } => {
                for (&a, &(alon, alat, _)) in &self.units {
                    for (&b, &(blon, blat, _)) in &self.units {
                        if unit_party(a) == parties[0]
                            && unit_party(b) == parties[1]
                            && categories.as_ref().is_none_or(|c| {
                                c.contains(&unit_category(a)) && c.contains(&unit_category(b))
                            })
                        {
                            let d = distance_point_point_m([alon, alat], [blon, blat]);
                            let key = (unit_name(a), unit_name(b));
                            if (d - min_km * 1000.0).abs() < NEAR_M {
                                self.near_threshold.insert((rule, key.clone()));
                            }
                            if d < min_km * 1000.0 {
                                out.insert(key);
                            }
                        }
                    }
                }
            }
        }
        out
    }

    fn diff(&mut self, rule: usize, at: i64, out: &mut Vec<Transition>) {
        let now = if self.active(rule, at) {
            self.now(rule)
        } else {
            BTreeSet::new()
        };
        for k in self.breaches[rule].difference(&now) {
            out.push((at, rule, false, k.clone()));
        }
        for k in now.difference(&self.breaches[rule]) {
            out.push((at, rule, true, k.clone()));
        }
        self.breaches[rule] = now;
    }

    /// (time, rule, breach?, key) for every transition, the breaches open at the end as
    /// (rule, key), and the keys too near a threshold to compare.
    fn run(mut self) -> (Vec<Transition>, RuleKeys, RuleKeys) {
        let mut out = Vec::new();
        let mut instants: Vec<i64> = self
            .s
            .rules
            .iter()
            .flat_map(|(_, f, u)| [*f, *u])
            .flatten()
            .collect();
        instants.sort_unstable();
        instants.dedup();
        let mut next = 0;
        for &(at, unit, lon, lat, count) in &self.s.reports {
            while next < instants.len() && instants[next] <= at {
                for rule in 0..self.s.rules.len() {
                    self.diff(rule, instants[next], &mut out);
                }
                next += 1;
            }
            self.units.insert(unit, (lon, lat, count));
            for rule in 0..self.s.rules.len() {
                self.diff(rule, at, &mut out);
            }
        }
        let open = self
            .breaches
            .iter()
            .enumerate()
            .flat_map(|(rule, keys)| keys.iter().map(move |k| (rule, k.clone())))
            .collect();
        (out, open, self.near_threshold)
    }
}

/// Short names, and long ones that share their first 16 bytes and their length (the
/// engine compares packed first bytes before whole names).
fn unit_name(unit: impl std::fmt::Display) -> String {
    let short = format!("u{unit}");
    if short.len() % 2 == 0 {
        format!("a-unit-with-a-long-name-{unit:0>3}")
    } else {
        short
    }
}

fn key_of(e: &Event) -> Key {
    match e.kind {
        EventKind::CapExceeded | EventKind::CapRestored => (String::new(), String::new()),
        _ => (
            e.unit.as_deref().unwrap_or("").to_string(),
            e.other.as_deref().unwrap_or("").to_string(),
        ),
    }
}

fn check(s: &Scenario) -> Result<(), TestCaseError> {
    let (toml, geojson) = to_files(s);
    let agreement = AgreementSource::parse(&toml, "agreement.toml")
        .and_then(|a| a.build(&geojson, "z.geojson"))
        .map_err(|e| TestCaseError::fail(format!("{e}\n{toml}")))?;
    let mut engine = Engine::new(Arc::new(agreement));
    let mut events = Vec::new();
    for &(at, unit, lon, lat, count) in &s.reports {
        let name = unit_name(unit);
        let report = RawReport {
            t: t(at),
            unit: name.as_str().into(),
            party: PARTIES[unit_party(unit)].into(),
            category: CATEGORIES[unit_category(unit)].into(),
            count,
            lon,
            lat,
        };
        engine
            .apply_raw(&report, &mut events)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    let brute = BruteForce {
        s,
        units: BTreeMap::new(),
        breaches: vec![BTreeSet::new(); s.rules.len()],
        near_threshold: BTreeSet::new(),
    };
    let (want, want_open, ambiguous) = brute.run();
    let keep = |rule: usize, key: &Key| !ambiguous.contains(&(rule, key.clone()));
    let mut got: Vec<Transition> = events
        .iter()
        .map(|e| {
            let rule: usize = e.rule[1..].parse().unwrap();
            (
                e.t.unix_seconds() - 1_767_225_600,
                rule,
                e.kind.is_breach(),
                key_of(e),
            )
        })
        .filter(|(_, rule, _, key)| keep(*rule, key))
        .collect();
    let mut want: Vec<_> = want
        .into_iter()
        .filter(|(_, rule, _, key)| keep(*rule, key))
        .collect();
    got.sort();
    want.sort();
    prop_assert_eq!(got, want, "agreement:\n{}\n{}", toml, geojson);

    // The breaches open now, read from the engine's state, are the brute force's.
    let got_open: BTreeSet<(usize, Key)> = engine
        .open_breaches()
        .iter()
        .map(|e| (e.rule[1..].parse().unwrap(), key_of(e)))
        .filter(|(rule, key)| keep(*rule, key))
        .collect();
    let want_open: BTreeSet<(usize, Key)> = want_open
        .into_iter()
        .filter(|(rule, key)| keep(*rule, key))
        .collect();
    prop_assert_eq!(got_open, want_open, "open breaches\n{}\n{}", toml, geojson);
    for e in engine.open_breaches() {
        prop_assert!(e.kind.is_breach());
    }

    // The engine's view of each unit is its last report.
    let mut last: BTreeMap<String, (f64, f64, u64)> = BTreeMap::new();
    for &(_, unit, lon, lat, count) in &s.reports {
        last.insert(unit_name(unit), (lon, lat, count));
    }
    prop_assert_eq!(engine.unit_count(), last.len());
    prop_assert_eq!(engine.units().count(), last.len());
    for (name, &(lon, lat, count)) in &last {
        let view = engine.unit(name);
        prop_assert!(view.is_some(), "unit {} is not known", name);
        let view = view.unwrap();
        prop_assert_eq!(
            (view.name, view.lon, view.lat, view.count),
            (name.as_str(), lon, lat, count)
        );
    }
    prop_assert!(engine.unit("nobody").is_none());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn engine_says_what_brute_force_says(s in scenario()) {
        check(&s)?;
    }
}
