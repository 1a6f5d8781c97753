//! A uniform lon/lat grid of moving units, for separation rules.
//!
//! A separation check asks "which units of the other side are within `radius_m` of here?"
//! at every report. The grid answers with the units in the cells that can hold such a
//! unit; the caller then measures exactly. Cells are square in degrees with a side of the
//! radius in degrees of latitude, so that a query looks at three rows; the longitude span
//! of a query widens with latitude by the bounding-box formula for a spherical cap
//! (Matuschek), and spans the whole row near the poles. Units move by remove-and-insert in
//! O(1) (swap-remove, with each unit's slot remembered).

use rustc_hash::FxHashMap;
use truceline_geometry::EARTH_RADIUS_M;

type CellKey = (i32, i32);

#[derive(Debug, Clone)]
pub struct UnitGrid {
    cell_deg: f64,
    radius_m: f64,
    cells: FxHashMap<CellKey, Vec<(u32, [f64; 2])>>,
    /// unit -> (cell, index in the cell's list); `None` when the unit is not in the grid.
    slots: Vec<Option<(CellKey, u32)>>,
    len: usize,
}

impl UnitGrid {
    /// A grid for queries of up to `radius_m` (more is allowed, but slower).
    pub fn new(radius_m: f64) -> UnitGrid {
        let radius_deg = (radius_m / EARTH_RADIUS_M).to_degrees();
        UnitGrid {
            // Tiny radii would make a grid of billions of cells; a floor keeps keys sane.
            cell_deg: radius_deg.clamp(1e-4, 90.0),
            radius_m,
            cells: FxHashMap::default(),
            slots: Vec::new(),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn radius_m(&self) -> f64 {
        self.radius_m
    }

    fn key(&self, lon: f64, lat: f64) -> CellKey {
        (
            (lon / self.cell_deg).floor() as i32,
            (lat / self.cell_deg).floor() as i32,
        )
    }

    /// Puts `unit` at `[lon, lat]`, moving it if it is already in the grid.
    pub fn set(&mut self, unit: u32, lon: f64, lat: f64) {
        let key = self.key(lon, lat);
        let index = unit as usize;
        if index >= self.slots.len() {
            self.slots.resize(index + 1, None);
        }
        if let Some((old_key, at)) = self.slots[index] {
            if old_key == key {
                self.cells.get_mut(&key).expect("slot names a cell")[at as usize].1 = [lon, lat];
                return;
            }
            self.remove(unit);
        }
        let cell = self.cells.entry(key).or_default();
        cell.push((unit, [lon, lat]));
        self.slots[index] = Some((key, (cell.len() - 1) as u32));
        self.len += 1;
    }

    /// Takes `unit` out of the grid (nothing happens when it is not there).
    pub fn remove(&mut self, unit: u32) {
        let Some(Some((key, at))) = self.slots.get(unit as usize).copied() else {
            return;
        };
        let cell = self.cells.get_mut(&key).expect("slot names a cell");
        cell.swap_remove(at as usize);
        if let Some(&(moved, _)) = cell.get(at as usize) {
            self.slots[moved as usize] = Some((key, at));
        }
        if cell.is_empty() {
            self.cells.remove(&key);
        }
        self.slots[unit as usize] = None;
        self.len -= 1;
    }

    pub fn position(&self, unit: u32) -> Option<[f64; 2]> {
        let (key, at) = (*self.slots.get(unit as usize)?)?;
        Some(self.cells[&key][at as usize].1)
    }

    /// Calls `visit(unit, [lon, lat])` for every unit that may be within `radius_m` of the
    /// point (a superset: the caller measures). Each unit is visited at most once.
    pub fn for_each_candidate(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        mut visit: impl FnMut(u32, [f64; 2]),
    ) {
        let radius_rad = radius_m / EARTH_RADIUS_M;
        let radius_deg = radius_rad.to_degrees();
        let lat_lo = lat - radius_deg;
        let lat_hi = lat + radius_deg;
        // Longitude half-span of the cap's bounding box; the whole circle when the cap
        // reaches a pole or is wider than a hemisphere.
        let lat_rad = lat.to_radians();
        let whole_circle =
            lat_hi >= 90.0 || lat_lo <= -90.0 || radius_rad >= std::f64::consts::FRAC_PI_2;
        let dlon_deg = if whole_circle {
            180.0
        } else {
            (radius_rad.sin() / lat_rad.cos())
                .min(1.0)
                .asin()
                .to_degrees()
        };
        let row_lo = (lat_lo.max(-90.0) / self.cell_deg).floor() as i32;
        let row_hi = (lat_hi.min(90.0) / self.cell_deg).floor() as i32;
        let mut visit_lons = |lon_lo: f64, lon_hi: f64| {
            let col_lo = (lon_lo / self.cell_deg).floor() as i32;
            let col_hi = (lon_hi / self.cell_deg).floor() as i32;
            let columns = i64::from(col_hi) - i64::from(col_lo) + 1;
            let rows = i64::from(row_hi) - i64::from(row_lo) + 1;
            if columns * rows > self.cells.len() as i64 {
                // Fewer occupied cells than cells to probe: walk the occupied ones.
                for (&(col, row), cell) in &self.cells {
                    if (col_lo..=col_hi).contains(&col) && (row_lo..=row_hi).contains(&row) {
                        cell.iter().for_each(|&(unit, p)| visit(unit, p));
                    }
                }
                return;
            }
            for row in row_lo..=row_hi {
                for col in col_lo..=col_hi {
                    if let Some(cell) = self.cells.get(&(col, row)) {
                        cell.iter().for_each(|&(unit, p)| visit(unit, p));
                    }
                }
            }
        };
        if dlon_deg >= 180.0 {
            visit_lons(-180.0, 180.0);
            return;
        }
        let (lon_lo, lon_hi) = (lon - dlon_deg, lon + dlon_deg);
        // A query box across the antimeridian is two boxes.
        if lon_lo < -180.0 {
            visit_lons(-180.0, lon_hi);
            visit_lons(lon_lo + 360.0, 180.0);
        } else if lon_hi > 180.0 {
            visit_lons(lon_lo, 180.0);
            visit_lons(-180.0, lon_hi - 360.0);
        } else {
            visit_lons(lon_lo, lon_hi);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use truceline_geometry::distance_point_point_m;

    fn brute_within(points: &[Option<[f64; 2]>], q: [f64; 2], radius_m: f64) -> Vec<u32> {
        let mut out: Vec<u32> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                p.filter(|p| distance_point_point_m(*p, q) < radius_m)
                    .map(|_| i as u32)
            })
            .collect();
        out.sort_unstable();
        out
    }

    fn grid_within(grid: &UnitGrid, q: [f64; 2], radius_m: f64) -> Vec<u32> {
        let mut out = Vec::new();
        grid.for_each_candidate(q[0], q[1], radius_m, |u, p| {
            if distance_point_point_m(p, q) < radius_m {
                out.push(u);
            }
        });
        let before = out.len();
        out.sort_unstable();
        out.dedup();
        assert_eq!(before, out.len(), "a unit was visited twice");
        out
    }

    fn point_near(centre: [f64; 2], spread_deg: f64) -> impl Strategy<Value = [f64; 2]> {
        (-spread_deg..spread_deg, -spread_deg..spread_deg).prop_map(move |(dx, dy)| {
            let lon = centre[0] + dx;
            let lon = if lon > 180.0 {
                lon - 360.0
            } else if lon < -180.0 {
                lon + 360.0
            } else {
                lon
            };
            [lon, (centre[1] + dy).clamp(-90.0, 90.0)]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// After random moves and removals, the grid finds exactly the units brute force finds.
        #[test]
        fn grid_matches_brute_force(
            centre in prop_oneof![Just([35.8, 33.1]), Just([179.99, 10.0]), Just([0.0, 89.99]), Just([-120.0, -60.0])],
            radius_m in prop_oneof![Just(2_000.0), Just(500.0), Just(25_000.0)],
            moves in proptest::collection::vec((0u32..60, proptest::option::weighted(0.9, point_near([0.0, 0.0], 0.3))), 1..300),
            queries in proptest::collection::vec(point_near([0.0, 0.0], 0.3), 1..20),
        ) {
            let shift = |p: [f64; 2]| {
                let lon = p[0] + centre[0];
                let lon = if lon > 180.0 { lon - 360.0 } else if lon < -180.0 { lon + 360.0 } else { lon };
                [lon, (p[1] + centre[1]).clamp(-90.0, 90.0)]
            };
            let mut grid = UnitGrid::new(radius_m);
            let mut truth: Vec<Option<[f64; 2]>> = vec![None; 60];
            for (unit, to) in moves {
                match to {
                    Some(p) => { let p = shift(p); grid.set(unit, p[0], p[1]); truth[unit as usize] = Some(p); }
                    None => { grid.remove(unit); truth[unit as usize] = None; }
                }
            }
            prop_assert_eq!(grid.len(), truth.iter().filter(|p| p.is_some()).count());
            for q in queries {
                let q = shift(q);
                prop_assert_eq!(grid_within(&grid, q, radius_m), brute_within(&truth, q, radius_m));
            }
        }
    }
}
