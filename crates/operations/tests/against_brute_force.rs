//! The indexed coverage against the brute force, on random routes, tracks, gaps, windows
//! and corridors: the same samples covered, the same reports counted, the same first and
//! last report on route. And the period coverage of edges against its own brute force.

use proptest::prelude::*;
use truceline_engine::Timestamp;
use truceline_geometry::reference::distance_point_arc_m;
use truceline_operations::{
    brute_force, coverage, EdgeCoverage, Fix, LiveCoverage, PatrolTask, RouteSamples,
};

const S: i64 = 1_000_000_000;

fn route() -> impl Strategy<Value = Vec<[f64; 2]>> {
    prop::collection::vec((-0.05f64..0.05, -0.05f64..0.05), 2..8).prop_map(|d| {
        let mut p = [35.8, 33.0];
        d.into_iter()
            .map(|(dx, dy)| {
                p = [p[0] + dx, p[1] + dy];
                p
            })
            .collect()
    })
}

fn track() -> impl Strategy<Value = Vec<Fix>> {
    prop::collection::vec((-0.12f64..0.12, -0.12f64..0.12, 1i64..1_200), 0..60).prop_map(|v| {
        let mut t = 0;
        v.into_iter()
            .map(|(dx, dy, dt)| {
                t += dt;
                Fix {
                    t: Timestamp(t * S),
                    lon: 35.8 + dx,
                    lat: 33.0 + dy,
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn indexed_coverage_is_the_brute_forces(
        route in route(),
        track in track(),
        corridor_m in 10.0f64..5_000.0,
        max_gap_s in 1u32..1_500,
        from_s in 0i64..10_000,
        len_s in 1i64..80_000,
    ) {
        let task = PatrolTask {
            id: "t".into(),
            unit: "u".into(),
            route: route.clone(),
            from: Timestamp(from_s * S),
            until: Timestamp((from_s + len_s) * S),
            corridor_m,
            max_gap_s,
        };
        let samples = RouteSamples::new(&route);
        let fast = coverage(&task, &samples, &track);
        let slow = brute_force::coverage(&task, &samples, &track);
        prop_assert_eq!(&fast, &slow);
        let mut live = LiveCoverage::new(&task);
        for f in &track {
            live.push(*f);
        }
        prop_assert_eq!(live.snapshot(), fast);
    }

    #[test]
    fn a_sample_exactly_at_the_corridor_is_covered(
        route in route(),
        k in 0usize..1_000,
        corridor_m in 10.0f64..5_000.0,
    ) {
        // A lone report somewhere; the corridor set to exactly its distance to one sample.
        let samples = RouteSamples::new(&route);
        let s = samples.positions()[k % samples.len()];
        let fix = Fix { t: Timestamp(5 * S), lon: s[0] + 0.01, lat: s[1] };
        let d = distance_point_arc_m(s, [fix.lon, fix.lat], [fix.lon, fix.lat]);
        let task = PatrolTask {
            id: "t".into(), unit: "u".into(), route: route.clone(),
            from: Timestamp(0), until: Timestamp(10 * S),
            corridor_m: d.max(corridor_m.min(d)), max_gap_s: 600,
        };
        let c = coverage(&task, &samples, &[fix]);
        prop_assert!(c.covered_samples >= 1);
        prop_assert_eq!(c, brute_force::coverage(&task, &samples, &[fix]));
    }

    #[test]
    fn edge_shares_are_the_brute_forces(
        route in route(),
        track in track(),
        corridor_m in 10.0f64..5_000.0,
        since_s in 0i64..40_000,
    ) {
        let mut edges = EdgeCoverage::new("f", vec![route.clone()], corridor_m);
        let mut previous = None;
        for f in &track {
            edges.push(previous, *f, 600);
            previous = Some(*f);
        }
        let since = Timestamp(since_s * S);
        let samples = RouteSamples::new(&route);
        let patrolled = samples.positions().iter().filter(|s| {
            track.iter().enumerate().any(|(i, f)| {
                let b = [f.lon, f.lat];
                let a = if i > 0 && f.t.0 - track[i - 1].t.0 <= 600 * S {
                    [track[i - 1].lon, track[i - 1].lat]
                } else {
                    b
                };
                f.t >= since && distance_point_arc_m(**s, a, b) <= corridor_m
            })
        }).count();
        let expected = patrolled as f64 / samples.len() as f64;
        prop_assert!((edges.share_since(since) - expected).abs() < 1e-12);
    }
}
