//! Throughput of the hot paths on the example scenario's geometry.
//!
//! `contains`: points drawn uniformly over each zone's bbox widened by 20% on every side,
//! so both the bbox reject and the stripe walk are exercised. `distance_within_m`: 25 km
//! to each example line, points drawn over the line's bbox widened by 0.5 degree.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;
use std::path::PathBuf;
use truceline_geometry::{BBox, Line, LonLat, Zone};

fn load() -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let primary = dir.join("../../examples/golan-illustrative/zones.geojson");
    let fallback = dir.join("../../../shared/scenarios/golan-illustrative/zones.geojson");
    let text = std::fs::read_to_string(&primary)
        .or_else(|_| std::fs::read_to_string(&fallback))
        .expect("example zones.geojson");
    serde_json::from_str(&text).expect("valid GeoJSON")
}

fn pos(v: &Value) -> LonLat {
    [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()]
}
fn path(v: &Value) -> Vec<LonLat> {
    v.as_array().unwrap().iter().map(pos).collect()
}
fn polygon(v: &Value) -> Vec<Vec<LonLat>> {
    v.as_array().unwrap().iter().map(path).collect()
}

fn features() -> (Vec<Zone>, Vec<Line>) {
    let fc = load();
    let (mut zones, mut lines) = (Vec::new(), Vec::new());
    for f in fc["features"].as_array().unwrap() {
        let g = &f["geometry"];
        let c = &g["coordinates"];
        match g["type"].as_str().unwrap() {
            "Polygon" => zones.push(Zone::new(vec![polygon(c)]).unwrap()),
            "MultiPolygon" => {
                zones.push(Zone::new(c.as_array().unwrap().iter().map(polygon).collect()).unwrap())
            }
            "LineString" => lines.push(Line::new(vec![path(c)]).unwrap()),
            "MultiLineString" => {
                lines.push(Line::new(c.as_array().unwrap().iter().map(path).collect()).unwrap())
            }
            other => panic!("unexpected geometry {other}"),
        }
    }
    (zones, lines)
}

/// Deterministic points over `b` widened by `pad` (fraction of size) plus `pad_deg`.
fn points(b: BBox, pad: f64, pad_deg: f64, n: usize, seed: u64) -> Vec<LonLat> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        // xorshift64*
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    let (w, h) = (b.max_lon - b.min_lon, b.max_lat - b.min_lat);
    let (px, py) = (w * pad + pad_deg, h * pad + pad_deg);
    (0..n)
        .map(|_| {
            [
                b.min_lon - px + (w + 2.0 * px) * next(),
                b.min_lat - py + (h + 2.0 * py) * next(),
            ]
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let (zones, lines) = features();
    const N: usize = 4096;

    let mut g = c.benchmark_group("contains");
    let zp: Vec<(&Zone, Vec<LonLat>)> = zones
        .iter()
        .enumerate()
        .map(|(i, z)| (z, points(z.bbox(), 0.2, 0.0, N, i as u64 + 1)))
        .collect();
    g.throughput(Throughput::Elements((N * zones.len()) as u64));
    g.bench_function("example_zones", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for (z, pts) in &zp {
                for p in pts {
                    hits += z.contains(black_box(p[0]), black_box(p[1])) as usize;
                }
            }
            hits
        })
    });
    g.finish();

    let mut g = c.benchmark_group("distance_within_m");
    let lp: Vec<(&Line, Vec<LonLat>)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l, points(l.bbox(), 0.0, 0.5, N, i as u64 + 100)))
        .collect();
    g.throughput(Throughput::Elements((N * lines.len()) as u64));
    g.bench_function("example_lines_25km", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for (l, pts) in &lp {
                for p in pts {
                    hits += l
                        .distance_within_m(black_box(p[0]), black_box(p[1]), 25_000.0)
                        .is_some() as usize;
                }
            }
            hits
        })
    });
    g.bench_function("example_lines_distance_m", |b| {
        b.iter(|| {
            let mut s = 0.0;
            for (l, pts) in &lp {
                for p in pts {
                    s += l.distance_m(black_box(p[0]), black_box(p[1]));
                }
            }
            s
        })
    });
    g.finish();

    let mut g = c.benchmark_group("zone_distance_within_m");
    let zp2: Vec<(&Zone, Vec<LonLat>)> = zones
        .iter()
        .enumerate()
        .map(|(i, z)| (z, points(z.bbox(), 0.0, 0.5, N, i as u64 + 200)))
        .collect();
    g.throughput(Throughput::Elements((N * zones.len()) as u64));
    g.bench_function("example_zones_25km", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for (z, pts) in &zp2 {
                for p in pts {
                    hits += z
                        .distance_within_m(black_box(p[0]), black_box(p[1]), 25_000.0)
                        .is_some() as usize;
                }
            }
            hits
        })
    });
    g.finish();

    // Building a zone of one 100,000-position ring: indexes and the simplicity sweep.
    let mut g = c.benchmark_group("zone_new");
    let n = 100_000;
    let mut ring: Vec<LonLat> = (0..n)
        .map(|k| {
            let a = k as f64 / n as f64 * std::f64::consts::TAU;
            let r = if k % 2 == 0 { 1.0 } else { 0.9 };
            [35.0 + r * a.cos(), 33.0 + r * a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("star_100k", |b| {
        b.iter(|| Zone::new(vec![vec![black_box(ring.clone())]]).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
