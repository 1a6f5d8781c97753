//! Zones the tests share: the edges-boundary scenario's, and random multipolygons with the
//! points to probe them at.

use proptest::prelude::*;

use crate::{BBox, LonLat};

pub(super) fn square_with_hole() -> Vec<Vec<Vec<LonLat>>> {
    // edges-boundary scenario, zone "square"
    vec![vec![
        vec![
            [35.0, 33.0],
            [36.0, 33.0],
            [36.0, 34.0],
            [35.0, 34.0],
            [35.0, 33.0],
        ],
        vec![
            [35.25, 33.25],
            [35.5, 33.25],
            [35.5, 33.5],
            [35.25, 33.5],
            [35.25, 33.25],
        ],
    ]]
}

pub(super) fn parts() -> Vec<Vec<Vec<LonLat>>> {
    // edges-boundary scenario, zone "parts"
    vec![
        vec![vec![
            [37.0, 33.0],
            [37.5, 33.0],
            [37.25, 33.5],
            [37.0, 33.0],
        ]],
        vec![vec![
            [38.0, 33.0],
            [38.5, 33.0],
            [38.5, 33.5],
            [38.0, 33.5],
            [38.0, 33.0],
        ]],
    ]
}

/// A star-shaped ring around (cx, cy): sorted angles, radii in [rmin, rmax] * scale,
/// positions snapped to 1/1024 degree so vertices and axis midpoints are exact.
fn star(cx: f64, cy: f64, scale: f64, angles: &[f64], radii: &[f64]) -> Vec<LonLat> {
    let mut a: Vec<f64> = angles.to_vec();
    a.sort_by(f64::total_cmp);
    let snap = |v: f64| (v * 1024.0).round() / 1024.0;
    let mut ring: Vec<LonLat> = a
        .iter()
        .zip(radii)
        .map(|(t, r)| {
            [
                snap(cx + scale * r * t.cos()),
                snap(cy + scale * r * t.sin()),
            ]
        })
        .collect();
    ring.dedup();
    let first = ring[0];
    ring.push(first);
    ring
}

/// Multipolygons: up to 3 star polygons in separate columns, each maybe with a star hole
/// well inside it, plus an axis-aligned square with a square hole.
pub(super) fn zone_strategy() -> impl Strategy<Value = Vec<Vec<Vec<LonLat>>>> {
    let poly = (
        prop::collection::vec(0.0f64..std::f64::consts::TAU, 3..40),
        prop::collection::vec(0.5f64..1.0, 40),
        prop::collection::vec(0.0f64..std::f64::consts::TAU, 3..12),
        prop::collection::vec(0.1f64..0.4, 12),
        any::<bool>(),
        -1.0f64..1.0,
    );
    (
        prop::collection::vec(poly, 1..4),
        0.01f64..3.0,
        -60.0f64..60.0,
        any::<bool>(),
    )
        .prop_map(|(polys, scale, cy, with_square)| {
            let mut out = Vec::new();
            for (i, (ea, er, ha, hr, hole, dy)) in polys.into_iter().enumerate() {
                let cx = 10.0 + 3.0 * scale * i as f64;
                let cy = cy + dy * scale;
                let ext = star(cx, cy, scale, &ea, &er);
                if ext.len() < 4 {
                    continue;
                }
                let mut rings = vec![ext];
                let h = star(cx, cy, scale, &ha, &hr);
                if hole && h.len() >= 4 {
                    rings.push(h);
                }
                out.push(rings);
            }
            if with_square || out.is_empty() {
                let (x, y, s) = (5.0, cy, 1.0);
                out.push(vec![
                    vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]],
                    vec![
                        [x + 0.25, y + 0.25],
                        [x + 0.25, y + 0.75],
                        [x + 0.75, y + 0.75],
                        [x + 0.75, y + 0.25],
                        [x + 0.25, y + 0.25],
                    ],
                ]);
            }
            out
        })
}

/// Points to test: random ones around the zone, every vertex, vertices nudged by tiny
/// amounts, and midpoints of every edge (exact on axis-aligned edges).
pub(super) fn probe_points(polys: &[Vec<Vec<LonLat>>], randoms: &[(f64, f64)]) -> Vec<LonLat> {
    let b = BBox::of_positions(polys.iter().flatten().flatten()).unwrap();
    let (w, h) = (b.max_lon - b.min_lon, b.max_lat - b.min_lat);
    let mut pts: Vec<LonLat> = randoms
        .iter()
        .map(|&(u, v)| {
            [
                b.min_lon - 0.1 * w + 1.2 * w * u,
                b.min_lat - 0.1 * h + 1.2 * h * v,
            ]
        })
        .collect();
    for ring in polys.iter().flatten() {
        for wnd in ring.windows(2) {
            let (p, q) = (wnd[0], wnd[1]);
            pts.push(p);
            pts.push([(p[0] + q[0]) / 2.0, (p[1] + q[1]) / 2.0]);
            for e in [1e-12, -1e-12, 1e-9] {
                pts.push([p[0] + e, p[1]]);
                pts.push([p[0], p[1] + e]);
            }
        }
    }
    pts
}
