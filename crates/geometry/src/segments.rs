//! Great-circle distance from a point to many segments, with pruning.
//!
//! Segments keep their unit vectors and normal precomputed. They are grouped, in input
//! order (consecutive segments are close to each other), into leaves of [`LEAF`] segments,
//! and leaves into a tree of fan-out [`FANOUT`]. Every node carries a spherical cap (centre
//! `c`, angular radius `r`) that contains every point of every arc below it, so
//! `angle(p, c) - r` is a lower bound on the distance from `p` to anything below the node
//! (triangle inequality). A node is skipped when that bound cannot beat the best distance
//! found so far (or the caller's limit).
//!
//! Why the leaf caps are valid: a cap of radius below 90 degrees is convex on the sphere,
//! so the minor arc between two vertices inside it stays inside it. Leaves whose radius
//! would reach 90 degrees get radius pi (never pruned). Parent caps bound their children's
//! caps by the triangle inequality. Every radius is padded by [`PAD_RAD`] and the pruning
//! test by [`DOT_MARGIN`], far above floating-point error, so pruning never drops the
//! segment that holds the minimum: the indexed minimum is the brute-force minimum.

use crate::sphere::{angle, cross, dot, norm, normalized, unit, DEGENERATE_NORM, V3};
use crate::LonLat;
use std::f64::consts::{FRAC_PI_2, PI};

pub(crate) const LEAF: usize = 8;
pub(crate) const FANOUT: usize = 8;
/// Padding added to cap radii (about 6 mm on the Earth).
const PAD_RAD: f64 = 1e-9;
/// Margin on cosine / sine comparisons (rounding of a dot product is ~1e-16).
const DOT_MARGIN: f64 = 1e-12;
/// Larger than any angle between points of the sphere: "no limit".
pub(crate) const NO_LIMIT_RAD: f64 = PI + 1.0;

/// One segment: the oracle's `dist_point_arc` with its per-segment work done once.
#[derive(Debug, Clone)]
struct Seg {
    a: V3,
    b: V3,
    /// Unit normal a x b / |a x b| (zero when degenerate).
    n: V3,
    /// n x a: `p . na >= 0` is the oracle's test `(a x f) . n >= 0` (same sign, f = foot).
    na: V3,
    /// b x n: `p . bn >= 0` is the oracle's test `(f x b) . n >= 0`.
    bn: V3,
    /// Cap around the arc alone (centre, cos and sin of its radius): a one-dot-product
    /// test that skips the segment when the arc cannot come within `best`.
    mid: V3,
    cos_half: f64,
    sin_half: f64,
    degenerate: bool,
}

impl Seg {
    fn new(a: V3, b: V3) -> Seg {
        let n = cross(&a, &b);
        let nn = norm(&n);
        let cap = Cap::around_points([a, b].iter());
        if nn < DEGENERATE_NORM {
            return Seg {
                a,
                b,
                n: [0.0; 3],
                na: [0.0; 3],
                bn: [0.0; 3],
                mid: cap.c,
                cos_half: cap.cos_r,
                sin_half: cap.sin_r,
                degenerate: true,
            };
        }
        let n = [n[0] / nn, n[1] / nn, n[2] / nn];
        Seg {
            a,
            b,
            n,
            na: cross(&n, &a),
            bn: cross(&b, &n),
            mid: cap.c,
            cos_half: cap.cos_r,
            sin_half: cap.sin_r,
            degenerate: false,
        }
    }

    /// The oracle's branch test: does the foot of the perpendicular fall within the arc?
    /// `p . (n x a)` has the sign of the oracle's `(a x f) . n` and is cheaper; when either
    /// is within rounding of 0 (point at an end of the arc) the oracle's own expression
    /// decides, so both take the same branch. (The branches agree in value only to
    /// micrometres on short segments, the oracle's formula being what it is.)
    #[inline]
    fn foot_in_arc(&self, p: &V3, f: &V3, fnorm: f64) -> bool {
        const CLEAR: f64 = 1e-9;
        if fnorm <= DEGENERATE_NORM {
            return false;
        }
        let (sa, sb) = (dot(p, &self.na), dot(p, &self.bn));
        if sa < -CLEAR || sb < -CLEAR {
            return false;
        }
        if sa > CLEAR && sb > CLEAR {
            return true;
        }
        let fu = [f[0] / fnorm, f[1] / fnorm, f[2] / fnorm];
        dot(&cross(&self.a, &fu), &self.n) >= 0.0 && dot(&cross(&fu, &self.b), &self.n) >= 0.0
    }

    /// The oracle's distance (`dist_point_arc`) in radians, operation for operation.
    fn exact_rad(&self, p: &V3) -> f64 {
        if self.degenerate {
            return angle(p, &self.a);
        }
        let pn = dot(p, &self.n);
        let f = sub_scaled(p, pn, &self.n);
        let fnorm = norm(&f);
        if self.foot_in_arc(p, &f, fnorm) {
            return pn.abs().atan2(fnorm);
        }
        angle(p, &self.a).min(angle(p, &self.b))
    }

    /// The same distance as a squared chord (2 sin(d/2))^2, which orders like `exact_rad`
    /// and needs no atan2; `None` when the segment cannot come below `q.best_c2`.
    /// Same branches as `exact_rad`; the cross-track chord uses 1 - cos d = pn^2/(1 + cos d)
    /// to stay accurate at short range.
    #[inline]
    fn chord2_below(&self, p: &V3, q: &Query) -> Option<f64> {
        if q.may_skip(self.cos_half)
            && dot(p, &self.mid)
                <= self.cos_half * q.cos_best - self.sin_half * q.sin_best - DOT_MARGIN
        {
            return None;
        }
        if self.degenerate {
            return Some(chord2(p, &self.a));
        }
        let pn = dot(p, &self.n);
        // asin |p.n| is the distance to the whole great circle, a lower bound.
        if q.cos_best > 0.0 && pn.abs() >= q.sin_best + DOT_MARGIN {
            return None;
        }
        let f = sub_scaled(p, pn, &self.n);
        let fnorm = norm(&f);
        if self.foot_in_arc(p, &f, fnorm) {
            return Some(2.0 * pn * pn / (1.0 + fnorm));
        }
        Some(chord2(p, &self.a).min(chord2(p, &self.b)))
    }
}

#[inline]
fn sub_scaled(p: &V3, k: f64, n: &V3) -> V3 {
    [p[0] - k * n[0], p[1] - k * n[1], p[2] - k * n[2]]
}

/// Squared chord between unit vectors (accurate at short range, unlike 2 - 2 u.v).
#[inline]
fn chord2(u: &V3, v: &V3) -> f64 {
    let d = [u[0] - v[0], u[1] - v[1], u[2] - v[2]];
    dot(&d, &d)
}

/// A spherical cap bounding everything below a tree node.
#[derive(Debug, Clone, Copy)]
struct Cap {
    c: V3,
    r: f64,
    cos_r: f64,
    sin_r: f64,
}

impl Cap {
    fn new(c: V3, r: f64) -> Cap {
        let r = if r.is_finite() { r.min(PI) } else { PI };
        Cap {
            c,
            r,
            cos_r: r.cos(),
            sin_r: r.sin(),
        }
    }

    /// The whole sphere: never pruned.
    fn everything() -> Cap {
        Cap::new([1.0, 0.0, 0.0], PI)
    }

    /// Smallest-ish cap around points: centre = normalised mean.
    fn around_points<'a>(pts: impl Iterator<Item = &'a V3> + Clone) -> Cap {
        let mut s = [0.0; 3];
        for q in pts.clone() {
            s = [s[0] + q[0], s[1] + q[1], s[2] + q[2]];
        }
        let Some(c) = normalized(&s) else {
            return Cap::everything();
        };
        let r = pts.map(|q| angle(&c, q)).fold(0.0, f64::max) + PAD_RAD;
        // Convexity (arcs stay inside) holds only below 90 degrees.
        if r >= FRAC_PI_2 - 1e-6 {
            return Cap::everything();
        }
        Cap::new(c, r)
    }

    fn around_caps(caps: &[Cap]) -> Cap {
        let mut s = [0.0; 3];
        for k in caps {
            s = [s[0] + k.c[0], s[1] + k.c[1], s[2] + k.c[2]];
        }
        let Some(c) = normalized(&s) else {
            return Cap::everything();
        };
        let r = caps
            .iter()
            .map(|k| angle(&c, &k.c) + k.r)
            .fold(0.0, f64::max)
            + PAD_RAD;
        Cap::new(c, r)
    }

    /// True when no point of the cap can be closer to `p` than `best` radians.
    #[inline]
    fn beyond(&self, p: &V3, q: &Query) -> bool {
        // angle(p, c) >= r + best  <=>  p.c <= cos(r + best), when r + best < pi
        q.may_skip(self.cos_r)
            && dot(p, &self.c) <= self.cos_r * q.cos_best - self.sin_r * q.sin_best - DOT_MARGIN
    }

    /// Lower bound in radians on the distance from `p` to any point of the cap.
    #[cfg(test)]
    fn lower_bound_rad(&self, p: &V3) -> f64 {
        (angle(p, &self.c) - self.r).max(0.0)
    }
}

/// Search state: the best squared chord so far (exclusive bound) and the cosine and sine
/// of the matching angle, which the cap tests need.
struct Query {
    best_c2: f64,
    best_seg: usize,
    cos_best: f64,
    sin_best: f64,
}

impl Query {
    /// Only segments closer than `limit_rad` (no limit at pi or more).
    fn new(limit_rad: f64) -> Query {
        if limit_rad >= PI {
            return Query {
                best_c2: f64::INFINITY,
                best_seg: usize::MAX,
                cos_best: -1.0,
                sin_best: 0.0,
            };
        }
        let c = 2.0 * (limit_rad * 0.5).sin();
        Query {
            best_c2: c * c,
            best_seg: usize::MAX,
            cos_best: limit_rad.cos(),
            sin_best: limit_rad.sin(),
        }
    }

    /// Can a cap of radius r (given cos r) be beyond `best`? Only when r + best < pi,
    /// that is cos(best) > cos(pi - r) = -cos r.
    #[inline]
    fn may_skip(&self, cos_r: f64) -> bool {
        self.cos_best > -cos_r + DOT_MARGIN
    }

    #[inline]
    fn offer(&mut self, c2: f64, seg: usize) {
        // Ties go to the lowest index, so the answer does not depend on visiting order.
        if c2 < self.best_c2 || (c2 == self.best_c2 && seg < self.best_seg) {
            self.best_c2 = c2;
            self.best_seg = seg;
            // chord c = 2 sin(d/2): cos d = 1 - c^2/2, sin d = c sqrt(1 - c^2/4).
            self.cos_best = 1.0 - 0.5 * c2;
            self.sin_best = (c2 * (1.0 - 0.25 * c2)).max(0.0).sqrt();
        }
    }
}

/// Segments of one feature with their cap tree.
#[derive(Debug, Clone)]
pub(crate) struct SegIndex {
    segs: Vec<Seg>,
    /// `levels[0]` are the leaves (LEAF segments each); `levels[k]` groups FANOUT nodes of
    /// `levels[k - 1]`; the last level has exactly one node.
    levels: Vec<Vec<Cap>>,
}

impl SegIndex {
    /// Segments between consecutive positions of each path.
    pub(crate) fn new<'a>(paths: impl Iterator<Item = &'a [LonLat]>) -> SegIndex {
        let mut segs = Vec::new();
        for path in paths {
            let pts: Vec<V3> = path.iter().map(|p| unit(p[0], p[1])).collect();
            segs.extend(pts.windows(2).map(|w| Seg::new(w[0], w[1])));
        }
        let leaves: Vec<Cap> = segs
            .chunks(LEAF)
            .map(|ch| Cap::around_points(ch.iter().flat_map(|s| [&s.a, &s.b])))
            .collect();
        let mut levels = vec![leaves];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let up = levels
                .last()
                .into_iter()
                .flat_map(|l| l.chunks(FANOUT))
                .map(Cap::around_caps)
                .collect();
            levels.push(up);
        }
        SegIndex { segs, levels }
    }

    /// Least distance in radians from the point to the segments (the oracle's formula on
    /// the nearest segment) when it is below `limit_rad`, else `None` (at most rounding
    /// away from the limit: callers widen it and decide on the returned value).
    pub(crate) fn min_dist_rad(&self, p: &V3, limit_rad: f64) -> Option<f64> {
        let mut q = Query::new(limit_rad);
        let top = self.levels.len() - 1;
        if !self.levels[top].is_empty() {
            self.visit(p, top, 0, &mut q);
        }
        self.segs.get(q.best_seg).map(|s| s.exact_rad(p))
    }

    fn visit(&self, p: &V3, level: usize, i: usize, q: &mut Query) {
        if self.levels[level][i].beyond(p, q) {
            return;
        }
        if level == 0 {
            let end = ((i + 1) * LEAF).min(self.segs.len());
            for (k, s) in self.segs[i * LEAF..end].iter().enumerate() {
                if let Some(c2) = s.chord2_below(p, q) {
                    q.offer(c2, i * LEAF + k);
                }
            }
            return;
        }
        // Visit children nearest-centre first so that `best` shrinks early.
        let below = &self.levels[level - 1];
        let start = i * FANOUT;
        let end = ((i + 1) * FANOUT).min(below.len());
        let mut order = [(0.0f64, 0usize); FANOUT];
        let k = end - start;
        for (j, slot) in order.iter_mut().take(k).enumerate() {
            *slot = (-dot(p, &below[start + j].c), start + j);
        }
        order[..k].sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
        for &(_, child) in &order[..k] {
            self.visit(p, level - 1, child, q);
        }
    }

    /// The nearest segment to the point and its distance in radians (`None`: no segments).
    pub(crate) fn nearest(&self, p: &V3) -> Option<(usize, f64)> {
        let mut q = Query::new(NO_LIMIT_RAD);
        let top = self.levels.len() - 1;
        if !self.levels[top].is_empty() {
            self.visit(p, top, 0, &mut q);
        }
        self.segs
            .get(q.best_seg)
            .map(|s| (q.best_seg, s.exact_rad(p)))
    }

    /// Distance in radians from the point to segment `seg` (the oracle's formula).
    pub(crate) fn segment_dist_rad(&self, seg: usize, p: &V3) -> f64 {
        self.segs[seg].exact_rad(p)
    }

    pub(crate) fn len(&self) -> usize {
        self.segs.len()
    }

    pub(crate) fn total_length_rad(&self) -> f64 {
        self.segs.iter().map(|s| angle(&s.a, &s.b)).sum()
    }
}

/// A point of the minor arc from `a` to `b` (t in [0, 1]).
#[cfg(test)]
fn point_on_arc(a: &V3, b: &V3, t: f64) -> V3 {
    let m = [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ];
    normalized(&m).unwrap_or(*a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sphere::dist_point_arc_rad;
    use proptest::prelude::*;

    fn path_strategy() -> impl Strategy<Value = Vec<LonLat>> {
        (-80.0f64..80.0, -170.0f64..170.0).prop_flat_map(|(lat0, lon0)| {
            prop::collection::vec((-2.0f64..2.0, -2.0f64..2.0), 2..60).prop_map(move |steps| {
                let (mut lon, mut lat) = (lon0, lat0);
                steps
                    .into_iter()
                    .map(|(dx, dy)| {
                        lon = (lon + dx).clamp(-180.0, 180.0);
                        lat = (lat + dy).clamp(-90.0, 90.0);
                        [lon, lat]
                    })
                    .collect()
            })
        })
    }

    proptest! {
        /// Every cap in the tree contains every sampled point of every arc under it, so
        /// the cap lower bound never exceeds a true distance.
        #[test]
        fn cap_bound_is_a_lower_bound(path in path_strategy(), plon in -180.0f64..180.0, plat in -90.0f64..90.0) {
            let idx = SegIndex::new(std::iter::once(path.as_slice()));
            let p = unit(plon, plat);
            for (li, level) in idx.levels.iter().enumerate() {
                let span = LEAF * FANOUT.pow(li as u32);
                for (ni, cap) in level.iter().enumerate() {
                    let end = ((ni + 1) * span).min(idx.segs.len());
                    let lb = cap.lower_bound_rad(&p);
                    for s in &idx.segs[ni * span..end] {
                        for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
                            let x = point_on_arc(&s.a, &s.b, t);
                            prop_assert!(angle(&cap.c, &x) <= cap.r, "arc point outside cap");
                        }
                        let d = dist_point_arc_rad(&p, &s.a, &s.b);
                        prop_assert!(lb <= d, "lower bound {lb} above distance {d}");
                    }
                }
            }
        }

        /// The pruned search returns exactly what a scan of the same segments returns.
        #[test]
        fn pruned_search_equals_scan(path in path_strategy(), plon in -180.0f64..180.0, plat in -90.0f64..90.0, lim in 0.0f64..0.2) {
            let idx = SegIndex::new(std::iter::once(path.as_slice()));
            let p = unit(plon, plat);
            let mut scan = Query::new(NO_LIMIT_RAD);
            for (k, s) in idx.segs.iter().enumerate() {
                scan.offer(s.chord2_below(&p, &Query::new(NO_LIMIT_RAD)).unwrap(), k);
            }
            let want = idx.segs[scan.best_seg].exact_rad(&p);
            let exact_min = idx.segs.iter().map(|s| s.exact_rad(&p)).fold(f64::INFINITY, f64::min);
            prop_assert!((want - exact_min).abs() <= 1e-15, "{} vs {}", want, exact_min);
            prop_assert_eq!(idx.min_dist_rad(&p, NO_LIMIT_RAD), Some(want));
            match idx.min_dist_rad(&p, lim) {
                Some(d) => prop_assert_eq!(d, want),
                None => prop_assert!(want >= lim - 1e-15),
            }
        }
    }
}
