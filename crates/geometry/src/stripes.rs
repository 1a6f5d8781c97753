//! Point-in-zone test with an index of horizontal stripes (the idea of tidwall/tg).
//!
//! The zone's latitude range is cut into `n` equal stripes; each stripe stores a copy of
//! every edge whose latitude range meets it (closed intervals). A test looks up the one
//! stripe holding the point's latitude and walks its few edges, counting crossings of a ray
//! towards +x (even-odd over all rings of all polygons, as GEOS's
//! `IndexedPointInAreaLocator` does, which `shapely.intersects_xy` uses on prepared
//! geometry), and answers `true` as soon as the point lies on an edge.
//!
//! Exactness: the on-edge and side-of-edge decisions use Shewchuk's adaptive `orient2d`, so
//! a point exactly on a slanted edge is on it, and the answer never depends on rounding.
//! The stripe of an edge and of a point come from the same monotone function of latitude,
//! so every edge whose latitude range contains the point's latitude is in its stripe.

use crate::{BBox, LonLat};
use robust::{orient2d, Coord};

/// An edge with its lower-latitude end first (`y0 <= y1`).
#[derive(Debug, Clone, Copy)]
struct Edge {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// Stop refining once the copies of edges reach this many times the number of edges.
const MAX_COPIES_PER_EDGE: f64 = 8.0;

#[derive(Debug, Clone)]
pub(crate) struct Stripes {
    bbox: BBox,
    /// Stripes per degree of latitude.
    inv_h: f64,
    n: usize,
    /// Edges of stripe `s` are `edges[starts[s]..starts[s + 1]]`.
    starts: Vec<u32>,
    edges: Vec<Edge>,
}

impl Stripes {
    pub(crate) fn new<'a>(rings: impl Iterator<Item = &'a [LonLat]>, bbox: BBox) -> Stripes {
        let mut all = Vec::new();
        for ring in rings {
            for w in ring.windows(2) {
                let (a, b) = (w[0], w[1]);
                if a == b {
                    continue; // its point is also an end of the neighbouring edges
                }
                let (lo, hi) = if a[1] <= b[1] { (a, b) } else { (b, a) };
                all.push(Edge {
                    x0: lo[0],
                    y0: lo[1],
                    x1: hi[0],
                    y1: hi[1],
                });
            }
        }
        let e = all.len().max(1) as f64;
        let height = bbox.max_lat - bbox.min_lat;
        let sum_dy: f64 = all.iter().map(|g| g.y1 - g.y0).sum();
        // About one stripe per edge, fewer when tall edges would be copied too often
        // (copies ~ e + sum_dy / stripe height).
        let mut n = e;
        if height > 0.0 && sum_dy > 0.0 {
            n = n.min((MAX_COPIES_PER_EDGE - 1.0) * e * height / sum_dy);
        }
        let n = (n.floor() as usize).clamp(1, 1 << 22);
        let inv_h = if height > 0.0 { n as f64 / height } else { 0.0 };
        let mut s = Stripes {
            bbox,
            inv_h,
            n,
            starts: vec![0; n + 1],
            edges: Vec::new(),
        };
        for g in &all {
            let (lo, hi) = (s.stripe(g.y0), s.stripe(g.y1));
            for count in &mut s.starts[lo + 1..=hi + 1] {
                *count += 1;
            }
        }
        for k in 0..n {
            s.starts[k + 1] += s.starts[k];
        }
        let mut fill = s.starts.clone();
        s.edges = vec![
            Edge {
                x0: 0.0,
                y0: 0.0,
                x1: 0.0,
                y1: 0.0
            };
            s.starts[n] as usize
        ];
        for g in &all {
            let (lo, hi) = (s.stripe(g.y0), s.stripe(g.y1));
            for slot in &mut fill[lo..=hi] {
                s.edges[*slot as usize] = *g;
                *slot += 1;
            }
        }
        s
    }

    /// Stripe of a latitude inside the bbox (monotone in `lat`).
    #[inline]
    fn stripe(&self, lat: f64) -> usize {
        // `as usize` saturates: negatives go to 0.
        (((lat - self.bbox.min_lat) * self.inv_h) as usize).min(self.n - 1)
    }

    /// Covers: inside or on the boundary of the rings (even-odd).
    #[inline]
    pub(crate) fn covers(&self, x: f64, y: f64) -> bool {
        let b = &self.bbox;
        // Written so that NaN is outside.
        if !(x >= b.min_lon && x <= b.max_lon && y >= b.min_lat && y <= b.max_lat) {
            return false;
        }
        let s = self.stripe(y);
        let edges = &self.edges[self.starts[s] as usize..self.starts[s + 1] as usize];
        let mut inside = false;
        for g in edges {
            if y < g.y0 || y > g.y1 {
                continue;
            }
            let (xmin, xmax) = if g.x0 <= g.x1 {
                (g.x0, g.x1)
            } else {
                (g.x1, g.x0)
            };
            if x > xmax {
                continue;
            }
            if x < xmin {
                // Entirely right of the point: crosses the ray iff y0 <= y < y1.
                inside ^= y < g.y1;
                continue;
            }
            let o = orient2d(
                Coord { x: g.x0, y: g.y0 },
                Coord { x: g.x1, y: g.y1 },
                Coord { x, y },
            );
            if o == 0.0 {
                return true; // collinear and inside the edge's box: on the edge
            }
            // Left of the upward edge: the edge is to the right of the point.
            inside ^= o > 0.0 && y < g.y1;
        }
        inside
    }
}
