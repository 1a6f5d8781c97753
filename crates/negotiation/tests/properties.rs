//! Where a computed area could be wrong: the pieces of two zones against figures known
//! exactly (lon/lat rectangles), against each draft's own area, and under a swap of A and B.

use proptest::prelude::*;
use truceline_geometry::{LonLat, Zone, EARTH_RADIUS_M};
use truceline_negotiation::diff::{pieces_area_km2, split};

/// Exact area in km² of the lon/lat rectangle [x0, x1] x [y0, y1] on the sphere.
fn rect_km2(x0: f64, y0: f64, x1: f64, y1: f64) -> f64 {
    if x1 <= x0 || y1 <= y0 {
        return 0.0;
    }
    EARTH_RADIUS_M
        * EARTH_RADIUS_M
        * (x1 - x0).to_radians()
        * (y1.to_radians().sin() - y0.to_radians().sin())
        / 1e6
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<Vec<Vec<LonLat>>> {
    vec![vec![vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]]
}

/// Within 1e-6 of the area or 0.0001 km² (100 m²), far inside the contract's 0.5 % or
/// 0.05 km²: the area formula is exact for lon/lat edges, so the pieces add up to rounding
/// and to the boolean operations' own snapping.
fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-4_f64.max(1e-6 * want.abs())
}

/// A star-shaped ring around (lon, lat): simple whatever the radii.
fn star(lon: f64, lat: f64, radii: &[f64]) -> Vec<Vec<Vec<LonLat>>> {
    let n = radii.len();
    let mut ring: Vec<LonLat> = radii
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            [lon + r * a.cos(), lat + r * a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    vec![vec![ring]]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn rectangles_split_exactly(
        x0 in 30.0f64..40.0, y0 in 30.0f64..40.0, w0 in 0.01f64..1.0, h0 in 0.01f64..1.0,
        dx in -1.0f64..1.0, dy in -1.0f64..1.0, w1 in 0.01f64..1.0, h1 in 0.01f64..1.0,
    ) {
        let (ax1, ay1) = (x0 + w0, y0 + h0);
        let (bx0, by0) = (x0 + dx, y0 + dy);
        let (bx1, by1) = (bx0 + w1, by0 + h1);
        let pieces = split(&rect(x0, y0, ax1, ay1), &rect(bx0, by0, bx1, by1));
        let both = rect_km2(x0.max(bx0), y0.max(by0), ax1.min(bx1), ay1.min(by1));
        let area_a = rect_km2(x0, y0, ax1, ay1);
        let area_b = rect_km2(bx0, by0, bx1, by1);
        prop_assert!(close(pieces_area_km2(&pieces.both), both), "both {} vs {}", pieces_area_km2(&pieces.both), both);
        prop_assert!(close(pieces_area_km2(&pieces.only_a), area_a - both));
        prop_assert!(close(pieces_area_km2(&pieces.only_b), area_b - both));
    }

    #[test]
    fn pieces_add_up_and_swap(
        lon in 34.0f64..37.0, lat in 31.0f64..35.0,
        ra in proptest::collection::vec(0.02f64..0.3, 3..24),
        rb in proptest::collection::vec(0.02f64..0.3, 3..24),
        dx in -0.3f64..0.3, dy in -0.3f64..0.3,
    ) {
        let (a, b) = (star(lon, lat, &ra), star(lon + dx, lat + dy, &rb));
        let area_a = Zone::new(a.clone()).unwrap().area_km2();
        let area_b = Zone::new(b.clone()).unwrap().area_km2();
        let ab = split(&a, &b);
        let ba = split(&b, &a);
        let (oa, ob, both) = (pieces_area_km2(&ab.only_a), pieces_area_km2(&ab.only_b), pieces_area_km2(&ab.both));
        prop_assert!(close(oa + both, area_a), "{} + {} vs {}", oa, both, area_a);
        prop_assert!(close(ob + both, area_b), "{} + {} vs {}", ob, both, area_b);
        prop_assert!(close(pieces_area_km2(&ba.only_a), ob));
        prop_assert!(close(pieces_area_km2(&ba.only_b), oa));
        prop_assert!(close(pieces_area_km2(&ba.both), both));
        // A zone against itself: nothing only in either.
        let aa = split(&a, &a);
        prop_assert!(pieces_area_km2(&aa.only_a) < 1e-6 && pieces_area_km2(&aa.only_b) < 1e-6);
    }
}

/// Zones the loader accepts but that are odd (polygons overlapping or nested, holes
/// touching or outside their exterior, shared edges) never panic the split, and the
/// pieces are never negative and never more than the two zones cover.
#[test]
fn odd_but_valid_zones_never_panic() {
    let rects = proptest::collection::vec(
        (35.0f64..35.4, 33.0f64..33.4, 0.01f64..0.3, 0.01f64..0.3),
        1..5,
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(200));
    runner
        .run(&(rects.clone(), rects, any::<bool>()), |(ra, rb, holes)| {
            let shape = |rs: &Vec<(f64, f64, f64, f64)>| -> Vec<Vec<Vec<LonLat>>> {
                if holes && rs.len() > 1 {
                    // One polygon: the first rectangle, the others as its "holes".
                    let mut rings = Vec::new();
                    for &(x, y, w, h) in rs {
                        rings.extend(rect(x, y, x + w, y + h).remove(0));
                    }
                    vec![rings]
                } else {
                    rs.iter()
                        .flat_map(|&(x, y, w, h)| rect(x, y, x + w, y + h))
                        .collect()
                }
            };
            let (a, b) = (shape(&ra), shape(&rb));
            let pieces = split(&a, &b);
            let total = |p: &[Vec<Vec<LonLat>>]| pieces_area_km2(p);
            let (oa, ob, both) = (
                total(&pieces.only_a),
                total(&pieces.only_b),
                total(&pieces.both),
            );
            prop_assert!(oa >= 0.0 && ob >= 0.0 && both >= 0.0);
            let bound: f64 = ra
                .iter()
                .chain(&rb)
                .map(|&(x, y, w, h)| rect_km2(x, y, x + w, y + h))
                .sum();
            prop_assert!(oa + ob + both <= bound + 1e-3);
            Ok(())
        })
        .unwrap();
}
