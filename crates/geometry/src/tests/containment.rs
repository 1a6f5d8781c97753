//! Point in zone: boundary cases of the edges-boundary scenario, and the index against
//! the reference.

use proptest::prelude::*;

use super::fixtures::{parts, probe_points, square_with_hole, zone_strategy};
use crate::{reference, Zone};

#[test]
fn boundary_scenario_cases() {
    let z = Zone::new(square_with_hole()).unwrap();
    let cases = [
        ((35.0, 33.0), true),       // vertex
        ((35.75, 33.0), true),      // edge
        ((36.0, 33.5), true),       // vertical edge
        ((35.375, 33.375), false),  // hole interior
        ((35.25, 33.375), true),    // hole edge
        ((35.5, 33.5), true),       // hole vertex
        ((34.999999, 33.0), false), // just outside
        ((36.0, 34.0), true),       // top-right vertex
        ((36.0, 34.000001), false), // just above it
        ((35.75, 33.75), true),     // interior
        ((f64::NAN, 33.5), false),
        ((35.5, f64::NAN), false),
    ];
    for ((lon, lat), want) in cases {
        assert_eq!(z.contains(lon, lat), want, "square at {lon},{lat}");
        assert_eq!(reference::contains(&square_with_hole(), lon, lat), want);
    }
    let p = Zone::new(parts()).unwrap();
    let cases = [
        ((37.25, 33.5), true),   // triangle apex
        ((37.25, 33.25), true),  // inside the triangle
        ((37.75, 33.25), false), // between the parts
        ((38.5, 33.25), true),   // edge of the second part
        ((37.5, 33.25), false),  // right of the slanted edge at this latitude
        ((37.375, 33.25), true), // on the slanted edge (exactly representable)
        ((37.125, 33.25), true), // on the other slanted edge
    ];
    for ((lon, lat), want) in cases {
        assert_eq!(p.contains(lon, lat), want, "parts at {lon},{lat}");
        assert_eq!(reference::contains(&parts(), lon, lat), want);
    }
}

#[test]
fn slanted_edge_points_are_exact() {
    // A point computed on a slanted edge is usually not exactly on it; whatever it is,
    // the index and the reference agree, and exactly representable points are inside.
    let tri = vec![vec![vec![[0.1, 0.1], [0.7, 0.3], [0.2, 0.9], [0.1, 0.1]]]];
    let z = Zone::new(tri.clone()).unwrap();
    for i in 0..=1000 {
        let t = i as f64 / 1000.0;
        let (lon, lat) = (0.7 + (0.2 - 0.7) * t, 0.3 + (0.9 - 0.3) * t);
        assert_eq!(z.contains(lon, lat), reference::contains(&tri, lon, lat));
    }
    assert!(z.contains(0.7, 0.3) && z.contains(0.2, 0.9) && z.contains(0.1, 0.1));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn contains_matches_reference(polys in zone_strategy(), randoms in prop::collection::vec((0.0f64..1.0, 0.0f64..1.0), 200)) {
        let z = Zone::new_unchecked_simplicity(polys.clone()).unwrap();
        for p in probe_points(&polys, &randoms) {
            prop_assert_eq!(z.contains(p[0], p[1]), reference::contains(&polys, p[0], p[1]), "at {:?}", p);
        }
        // Every vertex is covered (boundary is inside).
        for ring in polys.iter().flatten() {
            for p in ring {
                prop_assert!(z.contains(p[0], p[1]), "vertex {:?}", p);
            }
        }
    }
}
