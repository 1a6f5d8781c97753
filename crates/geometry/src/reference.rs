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

/// Do the closed segments a-b and p-q share a point (exact)?
pub fn segments_meet(a: LonLat, b: LonLat, p: LonLat, q: LonLat) -> bool {
    let side = |s: LonLat, t: LonLat, x: LonLat| orient2d(c(s), c(t), c(x));
    let (d1, d2) = (side(p, q, a), side(p, q, b));
    let (d3, d4) = (side(a, b, p), side(a, b, q));
    let opposite = |x: f64, y: f64| (x > 0.0 && y < 0.0) || (x < 0.0 && y > 0.0);
    (opposite(d1, d2) && opposite(d3, d4))
        || on_segment(p, q, a)
        || on_segment(p, q, b)
        || on_segment(a, b, p)
        || on_segment(a, b, q)
}

/// Is the closed ring simple? Pairwise over all edges, O(n^2): once consecutive repeated
/// positions are merged it has at least 3 positions, all different; edges that do not
/// follow one another share no point; edges that do share only their common position.
pub fn ring_is_simple(ring: &[LonLat]) -> bool {
    let mut pts: Vec<LonLat> = ring[..ring.len() - 1].to_vec();
    pts.dedup();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    let n = pts.len();
    if n < 3 {
        return false;
    }
    for i in 0..n {
        for j in i + 1..n {
            if pts[i] == pts[j] {
                return false;
            }
        }
    }
    let edge = |i: usize| (pts[i], pts[(i + 1) % n]);
    for i in 0..n {
        for j in i + 1..n {
            let ((a, b), (p, q)) = (edge(i), edge(j));
            if j == i + 1 {
                // b == p is shared: the far ends must not lie on the other edge.
                if on_segment(a, b, q) || on_segment(p, q, a) {
                    return false;
                }
            } else if i == 0 && j == n - 1 {
                // a == q is shared.
                if on_segment(a, b, p) || on_segment(p, q, b) {
                    return false;
                }
            } else if segments_meet(a, b, p, q) {
                return false;
            }
        }
    }
    true
}
