//! Engine benchmarks, one core:
//! - `separation/20000_units_2km`: 20,000 units (10,000 a side) moving in the Golan area
//!   under a 2 km separation rule; throughput in reports applied.
//! - `replay/golan_illustrative`: the bundled example (all rule kinds, windows) parsed,
//!   classified and applied on one thread.
//!
//! Run: `cargo bench -p truceline-engine --bench engine`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use truceline_engine::{classify_chunk, AgreementSource, Engine, Hit, ReportRef, Timestamp};

const SEPARATION_AGREEMENT: &str = r#"
[agreement]
id = "bench-separation"
title = "Separation only"
version = 1
geometry = "zones.geojson"

[[parties]]
id = "IL"
name = "Israel"
role = "party"

[[parties]]
id = "SY"
name = "Syria"
role = "party"

[[categories]]
id = "personnel"
name = "Soldiers"

[[rules]]
id = "sep"
kind = "separation"
parties = ["IL", "SY"]
min_km = 2
"#;

const EMPTY_GEOMETRY: &str = r#"{"type":"FeatureCollection","features":[]}"#;

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn separation(c: &mut Criterion) {
    const UNITS: usize = 20_000;
    const REPORTS: usize = 200_000;
    let agreement = Arc::new(
        AgreementSource::parse(SEPARATION_AGREEMENT, "agreement.toml")
            .unwrap()
            .build(EMPTY_GEOMETRY, "zones.geojson")
            .unwrap(),
    );
    // Units spread over ~60 x 80 km around the lines, the two sides interleaved near the
    // middle so that breaches happen; each report moves a unit up to ~500 m.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let names: Vec<String> = (0..UNITS).map(|i| format!("U{i}")).collect();
    let mut positions: Vec<[f64; 2]> = (0..UNITS)
        .map(|i| {
            let side = if i % 2 == 0 { -1.0 } else { 1.0 };
            [
                35.8 + side * rng.next_f64() * 0.35,
                32.8 + rng.next_f64() * 0.7,
            ]
        })
        .collect();
    let start = Timestamp::parse("2025-12-01T00:00:00Z").unwrap();
    let reports: Vec<(usize, [f64; 2])> = (0..REPORTS)
        .map(|k| {
            let i = k % UNITS;
            let p = &mut positions[i];
            p[0] += (rng.next_f64() - 0.5) * 0.01;
            p[1] += (rng.next_f64() - 0.5) * 0.01;
            (i, *p)
        })
        .collect();
    let mut group = c.benchmark_group("separation");
    group.throughput(Throughput::Elements(REPORTS as u64));
    group.sample_size(10);
    group.bench_function("20000_units_2km", |b| {
        b.iter_batched(
            || Engine::new(agreement.clone()),
            |mut engine| {
                let mut events = Vec::new();
                let hits: [Hit; 0] = [];
                for (k, (i, p)) in reports.iter().enumerate() {
                    let report = ReportRef {
                        t: Timestamp(start.0 + k as i64 * 1_000_000),
                        unit: &names[*i],
                        party: (*i % 2) as u16,
                        category: 0,
                        count: 1,
                        lon: p[0],
                        lat: p[1],
                        hits: &hits,
                    };
                    engine.apply(&report, &mut events).unwrap();
                    events.clear();
                }
                black_box(engine.unit_count())
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn replay_example(c: &mut Criterion) {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/golan-illustrative"
    );
    let toml = std::fs::read_to_string(format!("{dir}/agreement.toml")).unwrap();
    let zones = std::fs::read_to_string(format!("{dir}/zones.geojson")).unwrap();
    let tracks = std::fs::read(format!("{dir}/tracks.jsonl")).unwrap();
    let agreement = Arc::new(
        AgreementSource::parse(&toml, "agreement.toml")
            .unwrap()
            .build(&zones, "zones.geojson")
            .unwrap(),
    );
    let lines = tracks.iter().filter(|&&b| b == b'\n').count();
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(lines as u64));
    group.bench_function("golan_illustrative", |b| {
        b.iter(|| {
            let mut engine = Engine::new(agreement.clone());
            let chunk = classify_chunk(engine.classifier(), &tracks, 1);
            let mut events = Vec::new();
            engine.apply_chunk(&chunk, &mut events).unwrap();
            black_box(events.len())
        })
    });
    group.finish();
}

criterion_group!(benches, separation, replay_example);
criterion_main!(benches);
