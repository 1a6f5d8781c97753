//! Ring simplicity: crossings, touches and overlaps refused with the edges named, simple
//! rings accepted, and the sweep against the pairwise check.

use proptest::prelude::*;

use crate::{reference, Contact, GeometryError, LonLat, Zone};

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
