//! Times offline verification of a large export (default 1,000,000 entries of ~1 KiB,
//! every body visible, so every signature is checked). Builds the export in a temp dir
//! first (that part is not timed).
//!
//! Run: `cargo run --release -p truceline-ledger --example verify_bench [-- ENTRIES]`

use std::io::{BufReader, BufWriter};
use std::time::Instant;

use ed25519_dalek::SigningKey;
use rayon::prelude::*;
use serde_json::json;
use truceline_ledger::envelope::Draft;
use truceline_ledger::export::{
    verify_export, ExportWriter, Header, Outside, Trust, EXPORT_FORMAT, FULL_VIEW,
};
use truceline_ledger::keys::{Keyring, SignerKey};
use truceline_ledger::merkle::MerkleTree;
use truceline_ledger::note::Checkpoint;

const AUTHORS: usize = 8;
/// One checkpoint every this many entries, as a busy log's batches would make.
const CHECKPOINT_EVERY: u64 = 1000;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map_or(1_000_000, |a| a.parse().expect("ENTRIES is a number"));
    let keys: Vec<SignerKey> = (0..AUTHORS)
        .map(|i| {
            SignerKey::from_signing_key(
                &format!("party-{i}"),
                SigningKey::from_bytes(&[i as u8 + 1; 32]),
            )
            .unwrap()
        })
        .collect();
    let log_key =
        SignerKey::from_signing_key("truceline/bench", SigningKey::from_bytes(&[99; 32])).unwrap();
    let mut keyring = Keyring::new();
    for k in &keys {
        keyring.insert(k.verifier()).unwrap();
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.jsonl");
    let build = Instant::now();
    let mut tree = MerkleTree::new();
    let mut checkpoints = Vec::new();
    {
        let f = std::fs::File::create(&path).unwrap();
        let header = Header {
            format: EXPORT_FORMAT.into(),
            origin: log_key.name().into(),
            party: FULL_VIEW.into(),
            size: n,
        };
        let mut w = ExportWriter::new(BufWriter::with_capacity(1 << 20, f), &header).unwrap();
        let chunk = 65_536u64;
        let mut start = 0;
        while start < n {
            let end = (start + chunk).min(n);
            let entries: Vec<_> = (start..end)
                .into_par_iter()
                .map(|i| {
                    let author = &keys[(i % AUTHORS as u64) as usize];
                    Draft {
                        seq: i / AUTHORS as u64 + 1,
                        time_ms: 1_700_000_000_000 + i,
                        author: author.name().into(),
                        kind: "report-batch".into(),
                        audience: vec!["party-0".into(), "party-1".into()],
                        body: json!({"i": i, "pad": "r".repeat(800)}),
                    }
                    .sign(author)
                    .unwrap()
                })
                .collect();
            for (i, e) in (start..end).zip(&entries) {
                w.entry(i, e.bytes()).unwrap();
                tree.push(e.leaf_hash());
                if (i + 1) % CHECKPOINT_EVERY == 0 || i + 1 == n {
                    checkpoints.push(
                        Checkpoint {
                            origin: log_key.name().into(),
                            size: i + 1,
                            root: tree.root(),
                        }
                        .sign(&log_key)
                        .to_string(),
                    );
                }
            }
            start = end;
        }
        for cp in &checkpoints {
            w.checkpoint(cp).unwrap();
        }
        w.finish().unwrap();
    }
    let bytes = std::fs::metadata(&path).unwrap().len();
    eprintln!(
        "built export: {n} entries, {} checkpoints, {:.1} MiB in {:.1?}",
        checkpoints.len(),
        bytes as f64 / 1048576.0,
        build.elapsed()
    );

    let trust = Trust {
        log_key: log_key.verifier(),
        keyring,
    };
    let cpu_before = cpu_seconds();
    let t = Instant::now();
    let mut input = BufReader::with_capacity(1 << 20, std::fs::File::open(&path).unwrap());
    let report = verify_export(&mut input, &trust, &Outside::default()).expect("export verifies");
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds().map(|after| after - cpu_before.unwrap_or(0.0));
    assert_eq!(report.size, n);
    println!(
        "verified {n} entries ({:.1} MiB, {} checkpoints) in {secs:.2} s: {:.0} entries/s, {} threads",
        bytes as f64 / 1048576.0,
        report.checkpoints,
        n as f64 / secs,
        rayon::current_num_threads()
    );
    // Wall time depends on what else the machine runs; CPU time much less so.
    if let Some(cpu) = cpu {
        println!(
            "verification used {cpu:.1} CPU-seconds (user+system), {:.1} us per entry",
            cpu * 1e6 / n as f64
        );
    }
}

/// This process's user+system CPU time, from /proc (Linux); None elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux
}
