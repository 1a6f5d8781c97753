//! The force's tracks: every position of a monitor's unit the engine thread applied, in
//! engine order, and the period coverage of the agreement's lines and zone edges they
//! make. The engine thread feeds it after each batch, and the restore feeds it the
//! ledger's batches on restart, so it holds what the ledger holds, like the engine's own
//! state; nothing here is recorded.
//!
//! Bounds: the force's units only (a party's units are never kept), at most
//! [`MAX_FIXES_PER_UNIT`] fixes a unit (the oldest half is dropped when full, which keeps
//! more than a month of one-minute reports), and at most [`MAX_UNITS`] units.

use std::collections::HashMap;
use std::sync::Mutex;

use truceline_engine::agreement::{Role, Shape};
use truceline_engine::engine::ReportRef;
use truceline_engine::{Agreement, Timestamp};
use truceline_operations::{EdgeCoverage, Fix};

/// Fixes kept per unit: a month of one-minute reports is 44,640; ten-second reports for
/// a week 60,480.
pub const MAX_FIXES_PER_UNIT: usize = 262_144;
pub const MAX_UNITS: usize = 10_000;

const DAY_NS: i64 = 86_400 * 1_000_000_000;

/// The share of one line's or zone's edges patrolled over the last day and week.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EdgeShare {
    pub feature: String,
    pub share_24h: f64,
    pub share_7d: f64,
}

struct Inner {
    units: HashMap<Box<str>, Vec<Fix>>,
    edges: Vec<EdgeCoverage>,
    edge_ids: Vec<String>,
    max_gap_s: u32,
    last_t: Option<Timestamp>,
}

pub struct PatrolTracks {
    /// By party index: whether its units are the force's (a monitor's). Outside the lock:
    /// the engine thread asks it of every report and takes the lock only for the force's.
    force_party: Vec<bool>,
    inner: Mutex<Inner>,
}

impl PatrolTracks {
    /// Tracks for `agreement`'s force, with period coverage of its lines and zone edges
    /// within `corridor_m`.
    pub fn new(agreement: &Agreement, corridor_m: f64) -> PatrolTracks {
        let mut edges = Vec::new();
        let mut edge_ids = Vec::new();
        for f in &agreement.features {
            let paths: Vec<Vec<[f64; 2]>> = match &f.shape {
                Shape::Line(line) => line.lines().to_vec(),
                Shape::Zone(zone) => zone.polygons().iter().flatten().cloned().collect(),
                #[allow(unreachable_patterns)]
                _ => continue,
            };
            edges.push(EdgeCoverage::new(&f.id, paths, corridor_m));
            edge_ids.push(f.id.clone());
        }
        PatrolTracks {
            force_party: agreement
                .parties
                .iter()
                .map(|p| p.role == Role::Monitor)
                .collect(),
            inner: Mutex::new(Inner {
                units: HashMap::new(),
                edges,
                edge_ids,
                max_gap_s: truceline_operations::DEFAULT_MAX_GAP_S,
                last_t: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes a batch's reports the engine applied, in engine order.
    pub fn observe<'a>(&self, reports: impl Iterator<Item = ReportRef<'a>>) {
        let mut guard = None;
        for r in reports {
            if !self
                .force_party
                .get(usize::from(r.party))
                .copied()
                .unwrap_or(false)
            {
                continue;
            }
            let inner = guard.get_or_insert_with(|| self.lock());
            let fix = Fix {
                t: r.t,
                lon: r.lon,
                lat: r.lat,
            };
            inner.last_t = Some(inner.last_t.map_or(r.t, |l| l.max(r.t)));
            let max_gap_s = inner.max_gap_s;
            let Inner { units, edges, .. } = &mut **inner;
            let known = units.len();
            let previous = match units.get_mut(r.unit) {
                Some(track) => {
                    let previous = track.last().copied();
                    if track.len() == MAX_FIXES_PER_UNIT {
                        track.drain(..MAX_FIXES_PER_UNIT / 2);
                    }
                    track.push(fix);
                    previous
                }
                None if known < MAX_UNITS => {
                    units.insert(r.unit.into(), vec![fix]);
                    None
                }
                None => continue,
            };
            for e in edges.iter_mut() {
                e.push(previous, fix, max_gap_s);
            }
        }
    }

    /// Runs `f` over `unit`'s fixes with `t` in `[from, until)`, in order.
    pub fn with_track<R>(
        &self,
        unit: &str,
        from: Timestamp,
        until: Timestamp,
        f: impl FnOnce(&[Fix]) -> R,
    ) -> R {
        let inner = self.lock();
        let track: &[Fix] = inner.units.get(unit).map_or(&[], Vec::as_slice);
        let start = track.partition_point(|x| x.t < from);
        let end = track.partition_point(|x| x.t < until);
        f(&track[start..end.max(start)])
    }

    /// The last time a force unit reported.
    pub fn last_t(&self) -> Option<Timestamp> {
        self.lock().last_t
    }

    /// Each line's and zone's share patrolled in the day and the week before `now`.
    pub fn edge_shares(&self, now: Timestamp) -> Vec<EdgeShare> {
        let inner = self.lock();
        inner
            .edges
            .iter()
            .zip(&inner.edge_ids)
            .map(|(e, id)| EdgeShare {
                feature: id.clone(),
                share_24h: e.share_since(Timestamp(now.0 - DAY_NS)),
                share_7d: e.share_since(Timestamp(now.0 - 7 * DAY_NS)),
            })
            .collect()
    }

    /// The stretches patrolled since `since`, by feature, for the map's layer.
    pub fn covered_paths(&self, since: Timestamp) -> Vec<(String, Vec<Vec<[f64; 2]>>)> {
        let inner = self.lock();
        inner
            .edges
            .iter()
            .zip(&inner.edge_ids)
            .map(|(e, id)| (id.clone(), e.covered_paths_since(since)))
            .collect()
    }
}
