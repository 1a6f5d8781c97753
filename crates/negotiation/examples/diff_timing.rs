//! Times the parts of `truceline draft diff` in process, median of N runs each: loading and
//! validating both drafts (the engine's loader, hashes), the boolean operations alone (the
//! figure to set beside shapely's), and the whole gap report.
//!
//! usage: cargo run --release -p truceline-negotiation --example diff_timing -- A_DIR B_DIR [RUNS]

use std::time::Instant;

use truceline_engine::agreement::Shape;
use truceline_negotiation::{diff, diff::split, DraftSource};

fn median_ms(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2] * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (a_dir, b_dir) = (&args[1], &args[2]);
    let runs: usize = args.get(3).map_or(51, |r| r.parse().unwrap());
    let read = |dir: &str| {
        let toml = std::fs::read_to_string(format!("{dir}/agreement.toml")).unwrap();
        let zones = std::fs::read_to_string(format!("{dir}/zones.geojson")).unwrap();
        (toml, zones)
    };
    let (ta, za) = read(a_dir);
    let (tb, zb) = read(b_dir);
    let load = |t: &str, z: &str| DraftSource::parse(t, "a").unwrap().build(z, "z").unwrap();
    let (mut loading, mut boolean, mut report) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let (a, b) = (load(&ta, &za), load(&tb, &zb));
        loading.push(t.elapsed().as_secs_f64());
        let pairs: Vec<_> = a
            .agreement
            .features
            .iter()
            .filter_map(|f| {
                let Shape::Zone(x) = &f.shape else {
                    return None;
                };
                let y = b.agreement.features.iter().find(|g| g.id == f.id)?.zone()?;
                Some((x, y))
            })
            .collect();
        let t = Instant::now();
        for (x, y) in &pairs {
            std::hint::black_box(split(x.polygons(), y.polygons()));
        }
        boolean.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(diff(&a, &b));
        report.push(t.elapsed().as_secs_f64());
    }
    println!("runs {runs}");
    println!(
        "load and validate both drafts, hashes  median {:.2} ms",
        median_ms(loading)
    );
    println!(
        "boolean operations (A-B, B-A, A&B), all zone pairs  median {:.2} ms",
        median_ms(boolean)
    );
    println!(
        "the whole gap report (areas, offsets, keys)  median {:.2} ms",
        median_ms(report)
    );
}
