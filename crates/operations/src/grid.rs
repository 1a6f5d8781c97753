//! A grid over sample positions, for finding the samples that may lie within a corridor
//! of an arc without looking at every sample. It only prunes: a candidate is then checked
//! with the exact distance, so the answer is the brute force's.

use std::collections::HashMap;

/// Metres per degree of latitude on the contract's sphere (a slight overestimate of none:
/// the sphere's own figure).
const M_PER_DEG: f64 = truceline_geometry::EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

pub(crate) struct SampleGrid {
    cell_deg: f64,
    cells: HashMap<(i32, i32), Vec<u32>>,
    /// The largest |lat| of any sample: longitude degrees shrink with it.
    max_abs_lat: f64,
}

impl SampleGrid {
    pub(crate) fn new(positions: &[[f64; 2]], corridor_m: f64) -> SampleGrid {
        // Cells about a corridor across: an arc's box touches few of them.
        let cell_deg = (corridor_m / M_PER_DEG).max(1e-4);
        let mut cells: HashMap<(i32, i32), Vec<u32>> = HashMap::new();
        let mut max_abs_lat: f64 = 0.0;
        for (i, p) in positions.iter().enumerate() {
            cells
                .entry(cell_of(*p, cell_deg))
                .or_default()
                .push(i as u32);
            max_abs_lat = max_abs_lat.max(p[1].abs());
        }
        SampleGrid {
            cell_deg,
            cells,
            max_abs_lat,
        }
    }

    /// Every sample that may lie within `corridor_m` of the great-circle arc from `a` to
    /// `b` (a superset: the caller checks each exactly).
    pub(crate) fn candidates(&self, a: [f64; 2], b: [f64; 2], corridor_m: f64, out: &mut Vec<u32>) {
        out.clear();
        let arc_m = truceline_geometry::distance_point_point_m(a, b);
        // A great-circle arc bows poleward of its ends' box by about its sagitta,
        // arc^2 / (8 R), times tan(lat); twice that, and a metre, is a generous margin.
        let tan = a[1].abs().max(b[1].abs()).min(89.0).to_radians().tan();
        let bulge_m =
            arc_m * arc_m / (4.0 * truceline_geometry::EARTH_RADIUS_M) * (1.0 + tan) + 1.0;
        let lat_pad = (corridor_m + bulge_m) / M_PER_DEG * 1.01;
        let lat_lo = (a[1].min(b[1]) - lat_pad).max(-90.0);
        let lat_hi = (a[1].max(b[1]) + lat_pad).min(90.0);
        let cos = lat_lo
            .abs()
            .max(lat_hi.abs())
            .max(self.max_abs_lat)
            .min(89.9)
            .to_radians()
            .cos();
        let lon_pad = lat_pad / cos;
        let lon_lo = a[0].min(b[0]) - lon_pad;
        let lon_hi = a[0].max(b[0]) + lon_pad;
        let (x0, y0) = cell_of([lon_lo, lat_lo], self.cell_deg);
        let (x1, y1) = cell_of([lon_hi, lat_hi], self.cell_deg);
        // A box of many cells (a long arc over a gap): walk the occupied cells instead.
        let span = (i64::from(x1 - x0) + 1) * (i64::from(y1 - y0) + 1);
        if span as usize > self.cells.len() {
            for (&(x, y), ids) in &self.cells {
                if (x0..=x1).contains(&x) && (y0..=y1).contains(&y) {
                    out.extend_from_slice(ids);
                }
            }
            return;
        }
        for x in x0..=x1 {
            for y in y0..=y1 {
                if let Some(ids) = self.cells.get(&(x, y)) {
                    out.extend_from_slice(ids);
                }
            }
        }
    }
}

fn cell_of(p: [f64; 2], cell_deg: f64) -> (i32, i32) {
    (
        (p[0] / cell_deg).floor() as i32,
        (p[1] / cell_deg).floor() as i32,
    )
}
