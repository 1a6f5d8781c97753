//! The gap report between two drafts (spec/negotiation.md, "Gap report").
//!
//! Features, rules, parties and categories are matched by id. Zone areas are on the
//! contract's sphere, measured by the same formula as `truceline check` (exact for edges
//! straight in lon/lat, `truceline_geometry::ring_area_km2`); the pieces (A minus B, B minus A, A and B) come
//! from `geo`'s boolean operations in lon/lat degrees with the even-odd rule, which is the
//! engine's own meaning of "inside" (edges straight in lon/lat, RFC 7946).

use std::collections::{BTreeSet, HashMap};

use geo::{BooleanOps, Coord, LineString, MultiPolygon, Polygon};
use serde::Serialize;
use serde_json::{Map, Value};
use truceline_engine::agreement::{Feature, Shape};
use truceline_geometry::{ring_area_km2, LonLat, Zone};

use crate::draft::Draft;

/// How a thing stands between draft A and draft B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Same,
    Changed,
    OnlyA,
    OnlyB,
}

/// The Hausdorff offset is computed to within this (the contract asks 1 % or 5 m).
pub const OFFSET_TOLERANCE_M: f64 = 1.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftId {
    pub id: String,
    pub version: u32,
    pub sha256: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneGap {
    pub id: String,
    pub status: Status,
    pub area_a_km2: f64,
    pub area_b_km2: f64,
    pub only_a_km2: f64,
    pub only_b_km2: f64,
    pub both_km2: f64,
    /// The pieces themselves, for the printable page's maps (not in the JSON).
    #[serde(skip)]
    pub pieces: Pieces,
}

/// Polygons (rings of [lon, lat], the first ring the exterior) of each piece of a zone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pieces {
    pub only_a: Vec<Vec<Vec<LonLat>>>,
    pub only_b: Vec<Vec<Vec<LonLat>>>,
    pub both: Vec<Vec<Vec<LonLat>>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineGap {
    pub id: String,
    pub status: Status,
    pub length_a_km: f64,
    pub length_b_km: f64,
    /// Hausdorff distance, great-circle metres; absent when the line is in one draft only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_offset_m: Option<f64>,
    /// The line's positions in each draft, for the printable page (not in the JSON).
    #[serde(skip)]
    pub paths: [Vec<Vec<LonLat>>; 2],
}

/// One key whose value differs; `null` where the key is absent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyChange {
    pub key: String,
    pub a: Value,
    pub b: Value,
}

/// A rule, party or category compared key by key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keyed {
    pub id: String,
    pub status: Status,
    pub changes: Vec<KeyChange>,
    /// Rules only: the zones and lines the rule names in both drafts (same key, same id)
    /// whose geometry differs, so that a rule whose text is unchanged but whose zone moved
    /// shows it. Absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub geometry_changed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The sum of `only_a_km2 + only_b_km2` over all zones.
    pub disputed_km2: f64,
    /// Zones, lines and rules whose status is not `same` (added and removed ones count).
    pub zones_changed: usize,
    pub lines_changed: usize,
    pub rules_changed: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapReport {
    pub a: DraftId,
    pub b: DraftId,
    pub zones: Vec<ZoneGap>,
    pub lines: Vec<LineGap>,
    pub rules: Vec<Keyed>,
    pub parties: Vec<Keyed>,
    pub categories: Vec<Keyed>,
    /// The `[[phases]]` a phased withdrawal runs on (docs/agreement-format.md), with the
    /// same shape as `parties`: only those not the same. Left out of the JSON when empty,
    /// so that a report on drafts without phases has exactly the contract's keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<Keyed>,
    pub summary: Summary,
}

/// Rounds for the report: areas to 100 m², lengths to a metre, offsets to 10 cm, far
/// inside the contract's tolerances and stable from run to run.
fn round(x: f64, unit: f64) -> f64 {
    let r = (x / unit).round() * unit;
    // Printing 0.30000000000000004 helps nobody.
    (r * 1e6).round() / 1e6
}

fn id_of(draft: &Draft) -> DraftId {
    DraftId {
        id: draft.agreement.id.clone(),
        version: draft.agreement.version,
        sha256: draft.sha256.clone(),
        title: draft.agreement.title.clone(),
    }
}

/// The gap report between draft `a` and draft `b`.
pub fn diff(a: &Draft, b: &Draft) -> GapReport {
    let fa = &a.agreement.features;
    let fb = &b.agreement.features;
    let zones = matched(
        fa.iter().filter_map(zone_of),
        fb.iter().filter_map(zone_of),
        |id, za, zb| zone_gap(id, za, zb),
    );
    let lines = matched(
        fa.iter().filter_map(line_of),
        fb.iter().filter_map(line_of),
        |id, la, lb| line_gap(id, la, lb),
    );
    let geometry_status: HashMap<&str, Status> = zones
        .iter()
        .map(|z| (z.id.as_str(), z.status))
        .chain(lines.iter().map(|l| (l.id.as_str(), l.status)))
        .collect();
    let mut rules = keyed(a.tables("rules"), b.tables("rules"));
    for rule in &mut rules {
        for change in keys_alike(a, b, &rule.id) {
            if geometry_status.get(change.as_str()) == Some(&Status::Changed) {
                rule.geometry_changed.push(change);
            }
        }
    }
    let parties = keyed(a.tables("parties"), b.tables("parties"))
        .into_iter()
        .filter(|k| k.status != Status::Same)
        .collect();
    let categories = keyed(a.tables("categories"), b.tables("categories"))
        .into_iter()
        .filter(|k| k.status != Status::Same)
        .collect();
    let phases = keyed(a.tables("phases"), b.tables("phases"))
        .into_iter()
        .filter(|k| k.status != Status::Same)
        .collect();
    let disputed: f64 = zones.iter().map(|z| z.only_a_km2 + z.only_b_km2).sum();
    let summary = Summary {
        disputed_km2: round(disputed, 1e-4),
        zones_changed: zones.iter().filter(|z| z.status != Status::Same).count(),
        lines_changed: lines.iter().filter(|l| l.status != Status::Same).count(),
        rules_changed: rules.iter().filter(|r| r.status != Status::Same).count(),
    };
    GapReport {
        a: id_of(a),
        b: id_of(b),
        zones,
        lines,
        rules,
        parties,
        categories,
        phases,
        summary,
    }
}

fn zone_of(f: &Feature) -> Option<(&str, &Zone)> {
    f.zone().map(|z| (f.id.as_str(), z))
}

fn line_of(f: &Feature) -> Option<(&str, &truceline_geometry::Line)> {
    match &f.shape {
        Shape::Line(l) => Some((f.id.as_str(), l)),
        Shape::Zone(_) => None,
    }
}

/// Every id of either list once: A's in A's order, then B's new ones in B's order.
fn matched<'a, T: 'a, R>(
    a: impl Iterator<Item = (&'a str, T)>,
    b: impl Iterator<Item = (&'a str, T)>,
    mut each: impl FnMut(&str, Option<T>, Option<T>) -> R,
) -> Vec<R> {
    let a: Vec<(&str, T)> = a.collect();
    let mut b: Vec<(&str, Option<T>)> = b.map(|(id, t)| (id, Some(t))).collect();
    let b_index: HashMap<&str, usize> = b.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let mut out = Vec::with_capacity(a.len() + b.len());
    for (id, ta) in a {
        let tb = b_index.get(id).and_then(|&i| b[i].1.take());
        out.push(each(id, Some(ta), tb));
    }
    for (id, tb) in b {
        if let Some(tb) = tb {
            out.push(each(id, None, Some(tb)));
        }
    }
    out
}

fn to_geo(polygons: &[Vec<Vec<LonLat>>]) -> MultiPolygon<f64> {
    let ring = |r: &Vec<LonLat>| LineString(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
    MultiPolygon(
        polygons
            .iter()
            .map(|rings| Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect()))
            .collect(),
    )
}

fn from_geo(mp: &MultiPolygon<f64>) -> Vec<Vec<Vec<LonLat>>> {
    let ring = |r: &LineString<f64>| r.0.iter().map(|c| [c.x, c.y]).collect::<Vec<LonLat>>();
    mp.0.iter()
        .map(|p| {
            std::iter::once(ring(p.exterior()))
                .chain(p.interiors().iter().map(ring))
                .collect()
        })
        .collect()
}

/// Area in km² of polygons given as rings (exterior first, then holes).
pub fn pieces_area_km2(polygons: &[Vec<Vec<LonLat>>]) -> f64 {
    polygons
        .iter()
        .map(|rings| {
            let holes: f64 = rings[1..].iter().map(|h| ring_area_km2(h)).sum();
            (ring_area_km2(&rings[0]) - holes).max(0.0)
        })
        .sum()
}

/// The pieces of two zones: A minus B, B minus A, and their intersection.
pub fn split(a: &[Vec<Vec<LonLat>>], b: &[Vec<Vec<LonLat>>]) -> Pieces {
    let (ga, gb) = (to_geo(a), to_geo(b));
    Pieces {
        only_a: from_geo(&ga.difference(&gb)),
        only_b: from_geo(&gb.difference(&ga)),
        both: from_geo(&ga.intersection(&gb)),
    }
}

fn zone_gap(id: &str, a: Option<&Zone>, b: Option<&Zone>) -> ZoneGap {
    let area = |z: Option<&Zone>| z.map_or(0.0, Zone::area_km2);
    let (area_a, area_b) = (area(a), area(b));
    let (status, only_a, only_b, both, pieces) = match (a, b) {
        (Some(za), Some(zb)) if za.polygons() == zb.polygons() => (
            Status::Same,
            0.0,
            0.0,
            area_a,
            Pieces {
                both: za.polygons().to_vec(),
                ..Pieces::default()
            },
        ),
        (Some(za), Some(zb)) => {
            let pieces = split(za.polygons(), zb.polygons());
            (
                Status::Changed,
                pieces_area_km2(&pieces.only_a),
                pieces_area_km2(&pieces.only_b),
                pieces_area_km2(&pieces.both),
                pieces,
            )
        }
        (Some(za), None) => (
            Status::OnlyA,
            area_a,
            0.0,
            0.0,
            Pieces {
                only_a: za.polygons().to_vec(),
                ..Pieces::default()
            },
        ),
        (None, Some(zb)) => (
            Status::OnlyB,
            0.0,
            area_b,
            0.0,
            Pieces {
                only_b: zb.polygons().to_vec(),
                ..Pieces::default()
            },
        ),
        (None, None) => unreachable!("an id comes from one draft at least"),
    };
    ZoneGap {
        id: id.to_string(),
        status,
        area_a_km2: round(area_a, 1e-4),
        area_b_km2: round(area_b, 1e-4),
        only_a_km2: round(only_a, 1e-4),
        only_b_km2: round(only_b, 1e-4),
        both_km2: round(both, 1e-4),
        pieces,
    }
}

fn line_gap(
    id: &str,
    a: Option<&truceline_geometry::Line>,
    b: Option<&truceline_geometry::Line>,
) -> LineGap {
    let length = |l: Option<&truceline_geometry::Line>| l.map_or(0.0, |l| l.length_km());
    let (status, offset) = match (a, b) {
        (Some(la), Some(lb)) if la.lines() == lb.lines() => (Status::Same, Some(0.0)),
        (Some(la), Some(lb)) => (
            Status::Changed,
            Some(round(la.hausdorff_m(lb, OFFSET_TOLERANCE_M), 0.1)),
        ),
        (Some(_), None) => (Status::OnlyA, None),
        (None, Some(_)) => (Status::OnlyB, None),
        (None, None) => unreachable!("an id comes from one draft at least"),
    };
    let path = |l: Option<&truceline_geometry::Line>| l.map_or(Vec::new(), |l| l.lines().to_vec());
    LineGap {
        id: id.to_string(),
        status,
        length_a_km: round(length(a), 1e-3),
        length_b_km: round(length(b), 1e-3),
        max_offset_m: offset,
        paths: [path(a), path(b)],
    }
}

/// Values equal as the agreement means them: numbers by value (`25` and `25.0` alike).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// Tables matched by id and compared key by key (every key but `id`, in key order).
fn keyed(a: Vec<(&str, &Map<String, Value>)>, b: Vec<(&str, &Map<String, Value>)>) -> Vec<Keyed> {
    matched(a.into_iter(), b.into_iter(), |id, ta, tb| {
        let status = match (ta, tb) {
            (Some(_), None) => Status::OnlyA,
            (None, Some(_)) => Status::OnlyB,
            _ => Status::Same,
        };
        let empty = Map::new();
        let (ta, tb) = (ta.unwrap_or(&empty), tb.unwrap_or(&empty));
        let keys: BTreeSet<&String> = ta.keys().chain(tb.keys()).filter(|k| *k != "id").collect();
        let changes: Vec<KeyChange> = keys
            .into_iter()
            .filter_map(|key| {
                let (va, vb) = (
                    ta.get(key).unwrap_or(&Value::Null),
                    tb.get(key).unwrap_or(&Value::Null),
                );
                (!same_value(va, vb)).then(|| KeyChange {
                    key: key.clone(),
                    a: va.clone(),
                    b: vb.clone(),
                })
            })
            .collect();
        let status = if status == Status::Same && !changes.is_empty() {
            Status::Changed
        } else {
            status
        };
        Keyed {
            id: id.to_string(),
            status,
            changes,
            geometry_changed: Vec::new(),
        }
    })
}

/// The feature ids rule `id` names under the same key in both drafts.
fn keys_alike(a: &Draft, b: &Draft, id: &str) -> Vec<String> {
    fn find<'d>(d: &'d Draft, id: &str) -> Option<(&'d str, &'d Map<String, Value>)> {
        d.tables("rules").into_iter().find(|(r, _)| *r == id)
    }
    let (Some((_, ra)), Some((_, rb))) = (find(a, id), find(b, id)) else {
        return Vec::new();
    };
    ["zone", "target"]
        .iter()
        .filter_map(|key| {
            let (va, vb) = (ra.get(*key)?.as_str()?, rb.get(*key)?.as_str()?);
            (va == vb).then(|| va.to_string())
        })
        .collect()
}
