//! Unit and property tests of the public API against `reference`.

use super::*;
use proptest::prelude::*;

fn square_with_hole() -> Vec<Vec<Vec<LonLat>>> {
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

fn parts() -> Vec<Vec<Vec<LonLat>>> {
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

#[test]
fn distances_match_oracle_values() {
    // Values from the oracle formulas (same atan2 construction).
    // Expected values printed by oracle.py (shapely and numpy) for the same inputs.
    let d = distance_point_point_m([35.0, 33.0], [36.0, 33.0]);
    assert!((d - 93_255.689_979_272_9).abs() < 1e-6, "{d}");
    let z = Zone::new(square_with_hole()).unwrap();
    for (lon, lat, want) in [
        (35.375, 33.375, 11_607.206_529_558_633),
        (34.9, 33.5, 9_272.398_654_955_041),
        (36.2, 35.1, 123_678.361_021_175_21),
    ] {
        let got = z.distance_m(lon, lat);
        assert!((got - want).abs() < 1e-6, "{lon},{lat}: {got} vs {want}");
    }
    assert_eq!(z.distance_m(35.75, 33.75), 0.0);
    assert_eq!(z.distance_m(35.25, 33.375), 0.0); // hole edge
    let d = z.distance_m(35.375, 33.375); // hole centre: distance to hole edges
    let r = reference::distance_to_segments_m(&square_with_hole()[0], 35.375, 33.375);
    assert_eq!(d, r);
    assert_eq!(z.distance_within_m(35.375, 33.375, d), None);
    assert_eq!(z.distance_within_m(35.375, 33.375, d + 0.001), Some(d));
    assert_eq!(z.distance_within_m(35.75, 33.75, 1.0), Some(0.0));
    assert_eq!(z.distance_within_m(35.75, 33.75, 0.0), None);
    assert_eq!(z.distance_within_m(35.75, 33.75, f64::NAN), None);
}

#[test]
fn poles_far_points_and_degenerate_segments() {
    let l = Line::new(vec![
        vec![[10.0, 10.0], [10.0, 10.0]], // zero-length segment
        vec![[20.0, 0.0], [21.0, 0.0], [21.0, 0.0], [22.0, 0.0]],
    ])
    .unwrap();
    for &(lon, lat) in &[
        (0.0, 90.0),
        (0.0, -90.0),
        (180.0, 0.0),
        (-180.0, 45.0),
        (-159.0, -10.0), // near antipode of the line
        (10.0, 10.0),
        (21.0, 0.0),
        (21.5, 1e-9),
    ] {
        let want = reference::distance_to_segments_m(l.lines(), lon, lat);
        let got = l.distance_m(lon, lat);
        assert!((got - want).abs() <= 1e-6, "{lon},{lat}: {got} vs {want}");
        let near = l.distance_within_m(lon, lat, want + 1.0);
        assert!(near.is_some_and(|d| (d - want).abs() <= 1e-6));
    }
    assert_eq!(l.distance_m(10.0, 10.0), 0.0);
    // North pole: nearest is the point part at 10N (80 degrees of meridian away).
    let q = l.distance_m(21.0, 90.0);
    assert!(
        (q - EARTH_RADIUS_M * 80f64.to_radians()).abs() < 1e-6,
        "{q}"
    );
    // South pole to the equator part: a quarter meridian.
    let l2 = Line::new(vec![vec![[20.0, 0.0], [22.0, 0.0]]]).unwrap();
    let q = l2.distance_m(21.0, -90.0);
    assert!(
        (q - EARTH_RADIUS_M * std::f64::consts::FRAC_PI_2).abs() < 1e-6,
        "{q}"
    );
    assert_eq!(l.vertex_count(), 6);
    assert_eq!(l.segment_count(), 4);
    let len = l.length_km();
    assert!((len - 2.0 * distance_point_point_m([20.0, 0.0], [21.0, 0.0]) / 1000.0).abs() < 1e-9);
}

#[test]
fn area_and_bbox() {
    let z = Zone::new(square_with_hole()).unwrap();
    let b = z.bbox();
    assert_eq!(
        (b.min_lon, b.min_lat, b.max_lon, b.max_lat),
        (35.0, 33.0, 36.0, 34.0)
    );
    // 1x1 degree at 33.5N is about 111.2 * 92.7 km^2; the hole is 1/16 of that.
    let a = z.area_km2();
    let expect = 111.195 * 111.195 * 33.5f64.to_radians().cos() * (1.0 - 1.0 / 16.0);
    assert!((a - expect).abs() / expect < 0.01, "{a} vs {expect}");
    assert_eq!(z.vertex_count(), 10);
    // Exactly, a lon/lat rectangle covers R^2 * d(lon) * (sin lat1 - sin lat0); a sloping
    // edge is integrated exactly too, so cutting a triangle in two changes nothing.
    let r2 = EARTH_RADIUS_M * EARTH_RADIUS_M / 1e6;
    let exact = r2 * 1f64.to_radians() * (34f64.to_radians().sin() - 33f64.to_radians().sin());
    let hole =
        r2 * 0.25f64.to_radians() * (33.5f64.to_radians().sin() - 33.25f64.to_radians().sin());
    assert!((a - (exact - hole)).abs() < 1e-6, "{a} vs {}", exact - hole);
    let tri = |ring: Vec<LonLat>| crate::ring_area_km2(&ring);
    let whole = tri(vec![[35.0, 33.0], [36.0, 33.0], [35.0, 34.0], [35.0, 33.0]]);
    let left = tri(vec![
        [35.0, 33.0],
        [35.5, 33.0],
        [35.5, 33.5],
        [35.0, 34.0],
        [35.0, 33.0],
    ]);
    let right = tri(vec![[35.5, 33.0], [36.0, 33.0], [35.5, 33.5], [35.5, 33.0]]);
    assert!(
        (whole - left - right).abs() < 1e-6,
        "{whole} vs {left} + {right}"
    );
}

#[test]
fn errors_each_variant() {
    use GeometryError::*;
    let sq = || vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]];
    assert!(matches!(
        check_position([f64::NAN, 0.0]),
        Err(NotFinite {
            at: Place::Position,
            ..
        })
    ));
    assert_eq!(
        check_position([181.0, 0.0]),
        Err(LongitudeOutOfRange {
            at: Place::Position,
            lon: 181.0
        })
    );
    assert_eq!(
        check_position([0.0, -90.5]),
        Err(LatitudeOutOfRange {
            at: Place::Position,
            lat: -90.5
        })
    );
    assert_eq!(check_position([-180.0, 90.0]), Ok(()));
    let e = Zone::new(vec![vec![
        sq(),
        vec![[0.2, 0.2], [f64::INFINITY, 0.3], [0.2, 0.2]],
    ]])
    .unwrap_err();
    assert!(matches!(
        e,
        NotFinite {
            at: Place::ZonePosition {
                polygon: 0,
                ring: 1,
                position: 1
            },
            ..
        }
    ));
    assert_eq!(
        e.to_string(),
        "polygon 0, ring 1, position 1: coordinate [inf, 0.3] is not a finite number"
    );
    assert_eq!(
        Zone::new(vec![
            vec![sq()],
            vec![vec![[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]]
        ])
        .unwrap_err(),
        RingTooShort {
            polygon: 1,
            ring: 0,
            len: 3
        }
    );
    let e = Zone::new(vec![vec![vec![
        [0.0, 0.0],
        [1.0, 0.0],
        [1.0, 1.0],
        [0.0, 1.0],
    ]]])
    .unwrap_err();
    assert_eq!(
        e,
        RingNotClosed {
            polygon: 0,
            ring: 0,
            first: [0.0, 0.0],
            last: [0.0, 1.0]
        }
    );
    assert!(e.to_string().contains("not closed"), "{e}");
    assert_eq!(
        Zone::new(vec![]).unwrap_err(),
        EmptyGeometry { kind: "zone" }
    );
    assert_eq!(
        Zone::new(vec![vec![sq()], vec![]]).unwrap_err(),
        EmptyPolygon { polygon: 1 }
    );
    assert_eq!(
        Zone::new(vec![vec![vec![
            [-100.0, 0.0],
            [100.0, 0.0],
            [0.0, 1.0],
            [-100.0, 0.0]
        ]]])
        .unwrap_err(),
        SpansTooMuchLongitude {
            min_lon: -100.0,
            max_lon: 100.0
        }
    );
    let big = vec![vec![[0.0, 0.0]; MAX_VERTICES + 1]];
    assert_eq!(
        Zone::new(vec![big.clone()]).unwrap_err(),
        TooManyVertices {
            count: MAX_VERTICES + 1,
            max: MAX_VERTICES
        }
    );
    assert_eq!(
        Line::new(big).unwrap_err(),
        TooManyVertices {
            count: MAX_VERTICES + 1,
            max: MAX_VERTICES
        }
    );
    assert_eq!(
        Line::new(vec![]).unwrap_err(),
        EmptyGeometry { kind: "line" }
    );
    assert_eq!(
        Line::new(vec![vec![[0.0, 0.0], [1.0, 1.0]], vec![[0.0, 0.0]]]).unwrap_err(),
        LineTooShort { line: 1, len: 1 }
    );
    assert_eq!(
        Line::new(vec![vec![[0.0, 0.0], [1.0, 95.0]]]).unwrap_err(),
        LatitudeOutOfRange {
            at: Place::LinePosition {
                line: 0,
                position: 1
            },
            lat: 95.0
        }
    );
    assert_eq!(
        Line::new(vec![vec![[-170.0, 0.0], [170.0, 0.0]]]).unwrap_err(),
        SpansTooMuchLongitude {
            min_lon: -170.0,
            max_lon: 170.0
        }
    );
}

#[test]
fn send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Zone>();
    is::<Line>();
}

// ---- property tests ------------------------------------------------------------------

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
fn zone_strategy() -> impl Strategy<Value = Vec<Vec<Vec<LonLat>>>> {
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
fn probe_points(polys: &[Vec<Vec<LonLat>>], randoms: &[(f64, f64)]) -> Vec<LonLat> {
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

    #[test]
    fn zone_distance_matches_reference(polys in zone_strategy(), randoms in prop::collection::vec((0.0f64..1.0, 0.0f64..1.0), 40), limit_frac in 0.0f64..1.5) {
        let z = Zone::new_unchecked_simplicity(polys.clone()).unwrap();
        for p in probe_points(&polys, &randoms).into_iter().step_by(3) {
            let want = reference::zone_distance_m(&polys, p[0], p[1]);
            let got = z.distance_m(p[0], p[1]);
            prop_assert!((got - want).abs() <= 1e-6 + 1e-12 * want, "at {:?}: {} vs {}", p, got, want);
            let limit = 1.0 + limit_frac * want;
            if (want - limit).abs() > 1e-6 {
                match z.distance_within_m(p[0], p[1], limit) {
                    Some(d) => prop_assert!(want < limit && d == got, "at {:?}: {:?} vs {}", p, d, want),
                    None => prop_assert!(want >= limit),
                }
            }
        }
    }

    #[test]
    fn line_distance_matches_reference(
        parts in prop::collection::vec(prop::collection::vec((-20.0f64..20.0, -20.0f64..20.0), 2..50), 1..4),
        pts in prop::collection::vec((-60.0f64..60.0, -89.0f64..89.0), 30),
        limit_m in 1.0f64..3e6,
    ) {
        let lines: Vec<Vec<LonLat>> = parts.into_iter().map(|v| v.into_iter().map(|(x, y)| [x, y]).collect()).collect();
        let l = Line::new(lines.clone()).unwrap();
        for (lon, lat) in pts.into_iter().chain(lines.iter().flatten().map(|p| (p[0], p[1]))) {
            let want = reference::distance_to_segments_m(&lines, lon, lat);
            let got = l.distance_m(lon, lat);
            prop_assert!((got - want).abs() <= 1e-6 + 1e-12 * want, "{} vs {}", got, want);
            if (want - limit_m).abs() > 1e-6 {
                prop_assert_eq!(l.distance_within_m(lon, lat, limit_m).is_some(), want < limit_m);
            }
        }
    }

    #[test]
    fn point_lower_bound_is_below_distance(a in (-180.0f64..=180.0, -90.0f64..=90.0), b in (-180.0f64..=180.0, -90.0f64..=90.0), eps in -1e-3f64..1e-3) {
        let a = [a.0, a.1];
        for b in [[b.0, b.1], [a[0] + eps, a[1]], [a[0], (a[1] + eps).clamp(-90.0, 90.0)]] {
            let lb = distance_lower_bound_m(a, b);
            let d = distance_point_point_m(a, b);
            prop_assert!(lb <= d, "{:?} {:?}: {} > {}", a, b, lb, d);
        }
    }

    #[test]
    fn bbox_lower_bound_is_below_distance(p in (-180.0f64..=180.0, -90.0f64..=90.0), c in (-170.0f64..170.0, -80.0f64..80.0), wh in (0.0f64..10.0, 0.0f64..10.0), q in (0.0f64..=1.0, 0.0f64..=1.0)) {
        let b = BBox { min_lon: c.0, min_lat: c.1, max_lon: c.0 + wh.0, max_lat: (c.1 + wh.1).min(90.0) };
        let lb = b.distance_lower_bound_m(p.0, p.1);
        let inside = [b.min_lon + q.0 * (b.max_lon - b.min_lon), b.min_lat + q.1 * (b.max_lat - b.min_lat)];
        let clamped = [p.0.clamp(b.min_lon, b.max_lon), p.1.clamp(b.min_lat, b.max_lat)];
        for x in [inside, clamped, [b.min_lon, b.min_lat], [b.max_lon, b.max_lat], [b.min_lon, b.max_lat], [b.max_lon, b.min_lat]] {
            let d = distance_point_point_m([p.0, p.1], x);
            prop_assert!(lb <= d, "{:?} to {:?}: {} > {}", p, x, lb, d);
        }
    }
}

#[test]
fn oracle_branch_at_a_vertex_of_short_segments() {
    // Found by proptest: 1e-12 degree from a vertex where the arc-end test is within
    // rounding of 0; the oracle (printed value) takes the endpoint branch.
    let ring = vec![
        [10.0068359375, 59.03515625],
        [10.01171875, 59.03515625],
        [10.009765625, 59.03515625],
        [10.0068359375, 59.03515625],
        [10.001953125, 59.041015625],
        [10.0, 59.0419921875],
        [10.0068359375, 59.03515625],
    ];
    // (The ring doubles back on itself: the index is tested on it regardless.)
    let z = Zone::new_unchecked_simplicity(vec![vec![ring.clone()]]).unwrap();
    let (lon, lat) = (10.01171875, 59.035156250001);
    let want = 1.0954449548258592e-07;
    assert!((z.distance_m(lon, lat) - want).abs() < 1e-9);
    assert!((reference::distance_to_segments_m(&[ring], lon, lat) - want).abs() < 1e-9);
}

// ---- ring simplicity -----------------------------------------------------------------

fn ring_of(pts: &[[f64; 2]]) -> Vec<LonLat> {
    let mut ring = pts.to_vec();
    ring.push(pts[0]);
    ring
}

fn contact_of(ring: &[LonLat]) -> Option<(usize, usize, LonLat, Contact)> {
    match Zone::new(vec![vec![ring.to_vec()]]) {
        Err(GeometryError::RingSelfContact {
            edge_a,
            edge_b,
            at,
            kind,
            ..
        }) => Some((edge_a, edge_b, at, kind)),
        Ok(_) => None,
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn a_bowtie_is_refused_with_the_crossing() {
    let bowtie = ring_of(&[[35.0, 33.0], [36.0, 34.0], [36.0, 33.0], [35.0, 34.0]]);
    let e = Zone::new(vec![vec![bowtie]]).unwrap_err();
    assert_eq!(
        e,
        GeometryError::RingSelfContact {
            polygon: 0,
            ring: 0,
            edge_a: 0,
            edge_b: 2,
            at: [35.5, 33.5],
            kind: Contact::Cross
        }
    );
    assert_eq!(
        e.to_string(),
        "polygon 0, ring 0: crosses itself at [35.5, 33.5], where edge 0 (positions 0 to 1) \
         crosses edge 2 (positions 2 to 3); a ring must not cross, touch or overlap itself"
    );
    // In a hole of the second polygon, with repeated positions before the crossing: the
    // edges are numbered as given.
    let square = ring_of(&[[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]]);
    let hole = vec![
        [1.0, 1.0],
        [1.0, 1.0],
        [3.0, 3.0],
        [3.0, 1.0],
        [3.0, 1.0],
        [1.0, 3.0],
        [1.0, 1.0],
    ];
    let e = Zone::new(vec![vec![square.clone()], vec![square, hole]]).unwrap_err();
    assert!(
        matches!(
            e,
            GeometryError::RingSelfContact {
                polygon: 1,
                ring: 1,
                edge_a: 1,
                edge_b: 4,
                at: [2.0, 2.0],
                kind: Contact::Cross
            }
        ),
        "{e}"
    );
}

#[test]
fn touching_and_overlapping_rings_are_refused() {
    // Two triangles sharing the position [1, 1]: a ring touching itself at a vertex.
    let figure8 = ring_of(&[
        [0.0, 0.0],
        [1.0, 1.0],
        [2.0, 0.0],
        [2.0, 2.0],
        [1.0, 1.0],
        [0.0, 2.0],
    ]);
    let (a, b, at, kind) = contact_of(&figure8).unwrap();
    assert_eq!((at, kind), ([1.0, 1.0], Contact::Touch));
    assert!(
        [1, 4].contains(&a) && [1, 4].contains(&b) || (a, b) == (0, 3),
        "{a} {b}"
    );
    // A position on another edge (not a position of it).
    let pinched = ring_of(&[[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [2.0, 0.0], [0.0, 4.0]]);
    let (_, _, at, kind) = contact_of(&pinched).unwrap();
    assert_eq!((at, kind), ([2.0, 0.0], Contact::Touch));
    // A spike: an edge doubling back over the one before.
    let spike = ring_of(&[
        [0.0, 0.0],
        [4.0, 0.0],
        [4.0, 4.0],
        [4.0, 6.0],
        [4.0, 5.0],
        [0.0, 4.0],
    ]);
    // (Edge 3 overlaps edge 2, and edge 4 starts on edge 2: either may be named.)
    let (a, b, at, kind) = contact_of(&spike).unwrap();
    assert_eq!(at, [4.0, 5.0]);
    assert!(
        (a, b, kind) == (2, 3, Contact::Overlap) || (a, b, kind) == (2, 4, Contact::Touch),
        "{a} {b} {kind:?}"
    );
    // Collinear edges that overlap, not one after the other.
    let folded = ring_of(&[
        [0.0, 0.0],
        [3.0, 0.0],
        [3.0, 1.0],
        [2.0, 1.0],
        [2.0, 0.0],
        [1.0, 0.0],
        [1.0, -1.0],
        [0.0, -1.0],
    ]);
    assert!(contact_of(&folded).is_some());
    // All on one line, and too few distinct positions.
    let flat = ring_of(&[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]);
    assert_eq!(contact_of(&flat).unwrap().3, Contact::Overlap);
    assert_eq!(
        Zone::new(vec![vec![vec![
            [0.0, 0.0],
            [1.0, 0.0],
            [1.0, 0.0],
            [0.0, 0.0]
        ]]])
        .unwrap_err(),
        GeometryError::RingTooFewPositions {
            polygon: 0,
            ring: 0,
            distinct: 2
        }
    );
}

#[test]
fn simple_rings_are_accepted() {
    // Repeated consecutive positions (including at the closing one), vertical edges,
    // collinear consecutive edges going on the same way, a triangle.
    for ring in [
        vec![
            [0.0, 0.0],
            [0.0, 0.0],
            [1.0, 0.0],
            [2.0, 0.0],
            [2.0, 2.0],
            [0.0, 2.0],
            [0.0, 0.0],
            [0.0, 0.0],
        ],
        ring_of(&[[0.0, 0.0], [1.0, 0.0], [0.5, 1.0]]),
        ring_of(&[[0.0, 0.0], [0.0, 1.0], [0.0, 2.0], [1.0, 2.0], [1.0, 0.0]]),
        ring_of(&[[-0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]),
        // A comb: every edge spans the ring's whole height.
        {
            let mut pts = vec![];
            for k in 0..50 {
                let x = k as f64 * 2.0;
                pts.push([x, 0.0]);
                pts.push([x + 1.0, 10.0]);
            }
            pts.push([99.0, -1.0]);
            pts.push([0.0, -1.0]);
            ring_of(&pts)
        },
    ] {
        assert!(reference::ring_is_simple(&ring), "{ring:?}");
        Zone::new(vec![vec![ring.clone()]]).unwrap_or_else(|e| panic!("{ring:?}: {e}"));
    }
}

#[test]
fn a_ring_of_a_hundred_thousand_positions_is_checked() {
    // A simple star, and the same with one position moved across the ring (a crossing
    // the sweep must find among 100,000 edges).
    let n = 100_000;
    let mut pts: Vec<LonLat> = (0..n)
        .map(|k| {
            let a = k as f64 / n as f64 * std::f64::consts::TAU;
            let r = if k % 2 == 0 { 1.0 } else { 0.9 };
            [10.0 + r * a.cos(), 20.0 + r * a.sin()]
        })
        .collect();
    Zone::new(vec![vec![ring_of(&pts)]]).unwrap();
    pts[n / 2] = [11.5, 20.0];
    let (a, b, _, kind) = contact_of(&ring_of(&pts)).unwrap();
    assert_eq!(kind, Contact::Cross);
    assert!(
        a == n / 2 - 1 || a == n / 2 || b == n / 2 - 1 || b == n / 2,
        "{a} {b}"
    );
}

/// Small closed rings: positions on a small grid (so that collinear edges, repeated
/// positions and touching vertices are common), or anywhere in a box.
fn small_ring() -> impl Strategy<Value = Vec<LonLat>> {
    let grid = prop::collection::vec((0i32..5, 0i32..5), 3..10).prop_map(|v| {
        v.into_iter()
            .map(|(x, y)| [f64::from(x), f64::from(y)])
            .collect::<Vec<_>>()
    });
    let anywhere = prop::collection::vec((-1.0f64..1.0, -1.0f64..1.0), 3..10)
        .prop_map(|v| v.into_iter().map(|(x, y)| [x, y]).collect::<Vec<_>>());
    // Sorted angles around a centre: mostly simple, sometimes snapped into contact.
    let star = (
        prop::collection::vec(0.0f64..std::f64::consts::TAU, 3..12),
        prop::collection::vec(0.2f64..1.0, 12),
        1.0f64..8.0,
    )
        .prop_map(|(mut angles, radii, snap)| {
            angles.sort_by(f64::total_cmp);
            angles
                .iter()
                .zip(&radii)
                .map(|(t, r)| {
                    [
                        (r * t.cos() * snap).round() / snap,
                        (r * t.sin() * snap).round() / snap,
                    ]
                })
                .collect::<Vec<_>>()
        });
    (prop_oneof![2 => grid, 1 => anywhere, 2 => star], 0usize..4).prop_map(|(mut pts, repeat)| {
        if repeat < pts.len() {
            let p = pts[repeat];
            pts.insert(repeat, p); // a repeated consecutive position
        }
        let first = pts[0];
        pts.push(first);
        pts
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// The sweep refuses exactly the rings the pairwise check refuses, and the edges it
    /// names do meet where it says.
    #[test]
    fn simplicity_matches_pairwise_check(ring in small_ring()) {
        let want = reference::ring_is_simple(&ring);
        let got = crate::simple::check_ring(&ring);
        prop_assert_eq!(got.is_ok(), want, "{:?}: {:?}", ring, got);
        if let Err(crate::simple::NotSimple::Contact(found)) = got {
            let (a, b) = ((ring[found.edge_a], ring[found.edge_a + 1]), (ring[found.edge_b], ring[found.edge_b + 1]));
            prop_assert!(a.0 != a.1 && b.0 != b.1, "{:?}: zero-length edge named", ring);
            prop_assert!(reference::segments_meet(a.0, a.1, b.0, b.1), "{:?}: {:?}", ring, found);
            if found.kind == Contact::Cross {
                // Planar distance from the computed point to each edge, against rounding.
                let near = |s: (LonLat, LonLat)| {
                    let (d, e) = ([s.1[0] - s.0[0], s.1[1] - s.0[1]], [found.at[0] - s.0[0], found.at[1] - s.0[1]]);
                    let t = ((e[0] * d[0] + e[1] * d[1]) / (d[0] * d[0] + d[1] * d[1])).clamp(0.0, 1.0);
                    (e[0] - t * d[0]).hypot(e[1] - t * d[1]) <= 1e-12
                };
                prop_assert!(near(a) && near(b), "{:?}: {:?}", ring, found);
            } else {
                prop_assert!(reference::on_segment(a.0, a.1, found.at) && reference::on_segment(b.0, b.1, found.at), "{:?}: {:?}", ring, found);
            }
        }
    }
}

/// Larger rings (so that the sweep's tree holds many edges at once): a star with up to 300
/// positions snapped to a coarse grid (collinear edges, repeated and touching positions),
/// with a few positions moved anywhere in its box.
fn large_ring() -> impl Strategy<Value = Vec<LonLat>> {
    (
        prop::collection::vec((0.0f64..std::f64::consts::TAU, 0.3f64..1.0), 12..300),
        prop::collection::vec(
            (any::<prop::sample::Index>(), -1.0f64..1.0, -1.0f64..1.0),
            0..3,
        ),
        prop_oneof![Just(16.0), Just(64.0), Just(1e6)],
    )
        .prop_map(|(mut polar, moves, snap)| {
            polar.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut pts: Vec<LonLat> = polar
                .iter()
                .map(|(t, r)| {
                    [
                        (r * t.cos() * snap).round() / snap,
                        (r * t.sin() * snap).round() / snap,
                    ]
                })
                .collect();
            for (at, x, y) in moves {
                let i = at.index(pts.len());
                pts[i] = [(x * snap).round() / snap, (y * snap).round() / snap];
            }
            let first = pts[0];
            pts.push(first);
            pts
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn simplicity_matches_pairwise_check_on_large_rings(ring in large_ring()) {
        let want = reference::ring_is_simple(&ring);
        let got = crate::simple::check_ring(&ring);
        prop_assert_eq!(got.is_ok(), want, "{:?}: {:?}", ring, got);
    }
}
