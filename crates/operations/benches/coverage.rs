//! Coverage of a 70 km route by a month of one-minute reports of its patrol (43,200),
//! the indexed figure against the brute force over the same samples and arcs, and the
//! live follower taking the month report by report. Issue: under 50 ms per task on one
//! core once the reports are read.

use criterion::{criterion_group, criterion_main, Criterion};
use truceline_engine::Timestamp;
use truceline_operations::{brute_force, coverage, Fix, LiveCoverage, PatrolTask, RouteSamples};

const MINUTES: usize = 43_200;

/// A 70 km route north to south with a bend every 5 km, like a line of separation.
fn route() -> Vec<[f64; 2]> {
    (0..=14)
        .map(|k| {
            let lat = 33.33 - k as f64 * 0.045; // 5 km a step
            let lon = 35.80 + if k % 2 == 0 { 0.0 } else { 0.02 };
            [lon, lat]
        })
        .collect()
}

/// A month of one-minute reports: the patrol goes up and down the route in four hours
/// each way, a few hundred metres off it, with an excursion of 3 km one hour in ten.
fn track(route: &[[f64; 2]]) -> Vec<Fix> {
    let leg = 240usize;
    (0..MINUTES)
        .map(|m| {
            let phase = m % (2 * leg);
            let share = if phase < leg { phase } else { 2 * leg - phase } as f64 / leg as f64;
            let x = share * (route.len() - 1) as f64;
            let i = (x.floor() as usize).min(route.len() - 2);
            let f = x - i as f64;
            let mut lon = route[i][0] + (route[i + 1][0] - route[i][0]) * f;
            let lat = route[i][1] + (route[i + 1][1] - route[i][1]) * f;
            lon += 0.003 * ((m as f64) * 0.7).sin();
            if (m / 60) % 10 == 3 {
                lon += 0.033;
            }
            Fix {
                t: Timestamp(1_764_547_200_000_000_000 + m as i64 * 60_000_000_000),
                lon,
                lat,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let route = route();
    let fixes = track(&route);
    let task = PatrolTask {
        id: "bench".into(),
        unit: "RU-MP-PAT-1".into(),
        route: route.clone(),
        from: fixes[0].t,
        until: Timestamp(fixes[MINUTES - 1].t.0 + 1),
        corridor_m: 500.0,
        max_gap_s: 600,
    };
    let samples = RouteSamples::new(&route);
    assert_eq!(
        coverage(&task, &samples, &fixes),
        brute_force::coverage(&task, &samples, &fixes)
    );
    let mut g = c.benchmark_group("coverage_70km_43200_reports");
    g.sample_size(10);
    g.bench_function("indexed", |b| b.iter(|| coverage(&task, &samples, &fixes)));
    g.bench_function("brute_force", |b| {
        b.iter(|| brute_force::coverage(&task, &samples, &fixes))
    });
    g.bench_function("live_push_all", |b| {
        b.iter(|| {
            let mut live = LiveCoverage::new(&task);
            for f in &fixes {
                live.push(*f);
            }
            live.snapshot()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
