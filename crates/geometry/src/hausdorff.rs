//! The Hausdorff distance between two lines on the sphere: how far the farthest point of
//! either line is from the other line (great-circle, as every distance of the contract).
//!
//! The farthest point of a segment need not be a vertex, so each segment of one line is cut
//! in halves (branch and bound) until no part of it can be farther from the other line
//! than the farthest point found so far plus the tolerance. The bound on a piece of arc
//! from `p` to `q` is the smaller of
//! - Lipschitz: `(d(p) + d(q) + |pq|) / 2`, since the distance to a set changes by at most
//!   the distance moved;
//! - convexity: `max(d(p, s), d(q, s))` for the segment `s` of the other line nearest to
//!   `p` (or to `q`): the distance to one segment along an arc is convex in the plane, and
//!   on the sphere it is so up to a relative error of the order of (length / radius)^2,
//!   far below a millimetre for the lines of an agreement.
//!
//! The second bound is tight where one segment of the other line stays the nearest, so
//! pieces are cut only where the nearest segment changes: near the other line's vertices.

use crate::segments::SegIndex;
use crate::sphere::{angle, normalized, unit, V3};
use crate::LonLat;

/// Pieces are not cut more than this many times (2^-40 of a segment is below a micrometre).
const MAX_DEPTH: u32 = 40;

struct Piece {
    p: V3,
    q: V3,
    near_p: (usize, f64),
    near_q: (usize, f64),
    depth: u32,
}

/// The farthest any point of `paths` is from `to`, in radians, at most `tol_rad` below the
/// exact figure (and never above it by more than rounding).
pub(crate) fn directed_rad(paths: &[Vec<LonLat>], to: &SegIndex, tol_rad: f64) -> f64 {
    let mut best: f64 = 0.0;
    let mut stack: Vec<Piece> = Vec::new();
    for path in paths {
        let points: Vec<V3> = path.iter().map(|p| unit(p[0], p[1])).collect();
        let mut near = Vec::with_capacity(points.len());
        for p in &points {
            let Some(n) = to.nearest(p) else { return 0.0 };
            best = best.max(n.1);
            near.push(n);
        }
        for i in 1..points.len() {
            stack.push(Piece {
                p: points[i - 1],
                q: points[i],
                near_p: near[i - 1],
                near_q: near[i],
                depth: 0,
            });
        }
    }
    while let Some(piece) = stack.pop() {
        if piece.depth >= MAX_DEPTH || bound_rad(to, &piece) <= best + tol_rad {
            continue;
        }
        let sum = [
            piece.p[0] + piece.q[0],
            piece.p[1] + piece.q[1],
            piece.p[2] + piece.q[2],
        ];
        let Some(m) = normalized(&sum) else { continue };
        let Some(near_m) = to.nearest(&m) else {
            continue;
        };
        best = best.max(near_m.1);
        stack.push(Piece {
            p: piece.p,
            q: m,
            near_p: piece.near_p,
            near_q: near_m,
            depth: piece.depth + 1,
        });
        stack.push(Piece {
            p: m,
            q: piece.q,
            near_p: near_m,
            near_q: piece.near_q,
            depth: piece.depth + 1,
        });
    }
    best
}

/// An upper bound on the distance to `to` of every point of the piece's arc.
fn bound_rad(to: &SegIndex, piece: &Piece) -> f64 {
    let (dp, dq) = (piece.near_p.1, piece.near_q.1);
    let length = angle(&piece.p, &piece.q);
    let lipschitz = (dp + dq + length) * 0.5;
    let via_p = dp.max(to.segment_dist_rad(piece.near_p.0, &piece.q));
    let via_q = dq.max(to.segment_dist_rad(piece.near_q.0, &piece.p));
    // A margin for the sphere's departure from convexity (relative, of order length^2)
    // and for rounding.
    let margin = length * length + 1e-15;
    lipschitz.min(via_p.min(via_q) + margin)
}

#[cfg(test)]
mod tests {
    use crate::{distance_point_point_m, Line};
    use proptest::prelude::*;

    /// Brute force: both lines sampled every `step_m` metres along their segments, each
    /// sample's distance to the other line, the largest.
    fn sampled_m(a: &Line, b: &Line, step_m: f64) -> f64 {
        let one_way = |x: &Line, y: &Line| {
            let mut best: f64 = 0.0;
            for path in x.lines() {
                for w in path.windows(2) {
                    let n = (distance_point_point_m(w[0], w[1]) / step_m)
                        .ceil()
                        .max(1.0) as usize;
                    for k in 0..=n {
                        let t = k as f64 / n as f64;
                        let p = [
                            w[0][0] + (w[1][0] - w[0][0]) * t,
                            w[0][1] + (w[1][1] - w[0][1]) * t,
                        ];
                        best = best.max(y.distance_m(p[0], p[1]));
                    }
                }
            }
            best
        };
        one_way(a, b).max(one_way(b, a))
    }

    #[test]
    fn identical_lines_are_zero_apart() {
        let a = Line::new(vec![vec![[35.0, 33.0], [35.1, 33.2], [35.05, 33.4]]]).unwrap();
        assert!(a.hausdorff_m(&a, 1.0) < 1e-6, "rounding only");
    }

    #[test]
    fn a_shifted_line_is_the_shift_apart() {
        // Two meridian segments 0.01 degrees of longitude apart at the equator: 1,112 m.
        let a = Line::new(vec![vec![[10.0, -0.1], [10.0, 0.1]]]).unwrap();
        let b = Line::new(vec![vec![[10.01, -0.1], [10.01, 0.1]]]).unwrap();
        let expected = distance_point_point_m([10.0, 0.0], [10.01, 0.0]);
        let got = a.hausdorff_m(&b, 1.0);
        assert!((got - expected).abs() < 1.0, "{got} vs {expected}");
    }

    #[test]
    fn the_farthest_point_can_be_inside_a_segment() {
        // b bends away in the middle of a's only segment: the farthest point of b from a is
        // b's middle vertex, but the farthest point of a from b is inside a's segment when
        // b is a V whose tip is away from a.
        let a = Line::new(vec![vec![[35.0, 33.0], [35.2, 33.0]]]).unwrap();
        let b = Line::new(vec![vec![[35.0, 33.0], [35.1, 33.05], [35.2, 33.0]]]).unwrap();
        let got = a.hausdorff_m(&b, 1.0);
        let brute = sampled_m(&a, &b, 5.0);
        assert!((got - brute).abs() < 5.0, "{got} vs {brute}");
    }

    fn path() -> impl Strategy<Value = Vec<[f64; 2]>> {
        (
            35.0f64..36.0,
            32.5f64..33.5,
            proptest::collection::vec((-0.05f64..0.05, -0.05f64..0.05), 1..8),
        )
            .prop_map(|(lon, lat, steps)| {
                let mut p = vec![[lon, lat]];
                for (dx, dy) in steps {
                    let last = *p.last().unwrap();
                    p.push([last[0] + dx, last[1] + dy]);
                }
                p
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Within the tolerance of a fine brute-force sampling (which is itself at most half
        /// its step below the truth), never far above it: the answer may be up to the
        /// tolerance (1 m here) below the exact figure, which a sample can come within.
        #[test]
        fn agrees_with_sampling(a in path(), b in path()) {
            let (a, b) = (Line::new(vec![a]).unwrap(), Line::new(vec![b]).unwrap());
            let got = a.hausdorff_m(&b, 1.0);
            let brute = sampled_m(&a, &b, 10.0);
            prop_assert!(got >= brute - 1.0 - 1e-6, "{} below the sampled {}", got, brute);
            prop_assert!(got <= brute + 6.0, "{} above the sampled {}", got, brute);
            prop_assert!((got - b.hausdorff_m(&a, 1.0)).abs() < 1.5);
        }
    }
}
