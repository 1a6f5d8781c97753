//! Brute-force versions of the semantics: no index, no precomputation, short enough to
//! check by eye against engine.md section 3 and `oracle.py`. Used by property tests (here
//! and in the engine) to check the fast paths.

use crate::sphere::{dist_point_arc_rad, unit};
use crate::{LonLat, EARTH_RADIUS_M};
use robust::{orient2d, Coord};

fn c(p: LonLat) -> Coord<f64> {
    Coord { x: p[0], y: p[1] }
}

/// Is `p` on the closed segment a-b (exact)?
pub fn on_segment(a: LonLat, b: LonLat, p: LonLat) -> bool {
    orient2d(c(a), c(b), c(p)) == 0.0
        && p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// Covers, planar in lon/lat: on any ring's edge -> true; else the parity of the crossings
/// of a ray towards +x with the edges of all rings (GEOS's even-odd rule: holes and
/// separate polygons need no special case).
pub fn contains(polygons: &[Vec<Vec<LonLat>>], lon: f64, lat: f64) -> bool {
    let p = [lon, lat];
    let mut inside = false;
    for ring in polygons.iter().flatten() {
        for w in ring.windows(2) {
            let (a, b) = (w[0], w[1]);
            if on_segment(a, b, p) {
                return true;
            }
            // The edge crosses the horizontal line through p (half-open in y) on p's right.
            let (lo, hi) = if a[1] <= b[1] { (a, b) } else { (b, a) };
            if lo[1] <= lat && lat < hi[1] && orient2d(c(lo), c(hi), c(p)) > 0.0 {
                inside = !inside;
            }
        }
    }
    inside
}

/// Oracle `dist_point_arc` in metres.
pub fn distance_point_arc_m(p: LonLat, a: LonLat, b: LonLat) -> f64 {
    dist_point_arc_rad(&unit(p[0], p[1]), &unit(a[0], a[1]), &unit(b[0], b[1])) * EARTH_RADIUS_M
}

/// Least distance in metres from the point to the segments between consecutive positions
/// of each path (infinity when there is no segment).
pub fn distance_to_segments_m(paths: &[Vec<LonLat>], lon: f64, lat: f64) -> f64 {
    paths
        .iter()
        .flat_map(|path| path.windows(2))
        .map(|w| distance_point_arc_m([lon, lat], w[0], w[1]))
        .fold(f64::INFINITY, f64::min)
}

/// Zone distance: 0 when covered, else the least distance to the segments of all rings.
pub fn zone_distance_m(polygons: &[Vec<Vec<LonLat>>], lon: f64, lat: f64) -> f64 {
    if contains(polygons, lon, lat) {
        return 0.0;
    }
    let rings: Vec<Vec<LonLat>> = polygons.iter().flatten().cloned().collect();
    distance_to_segments_m(&rings, lon, lat)
}
