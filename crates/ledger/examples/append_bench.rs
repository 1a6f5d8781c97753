//! Durable appends of ~1 KiB signed entries: 8 appenders, each keeping 64 appends in
//! flight, into a fresh SQLite ledger (WAL, synchronous=FULL). Prints entries a second and
//! the CPU time an append costs (wall time depends on what else the machine runs).
//! The criterion bench `benches/append.rs` measures the same path.
//!
//! Run: `cargo run --release -p truceline-ledger --example append_bench [-- ENTRIES]`

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use ed25519_dalek::SigningKey;
use rayon::prelude::*;
use serde_json::json;
use truceline_ledger::envelope::{Draft, Entry};
use truceline_ledger::keys::{Keyring, SignerKey};
use truceline_ledger::ledger::{Ledger, LedgerConfig};
use truceline_ledger::store::SqliteStore;

const APPENDERS: usize = 8;
const IN_FLIGHT: usize = 64;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(200_000, |a| a.parse().expect("ENTRIES is a number"));
    let keys: Vec<SignerKey> = (0..APPENDERS)
        .map(|i| {
            SignerKey::from_signing_key(
                &format!("party-{i}"),
                SigningKey::from_bytes(&[i as u8 + 1; 32]),
            )
            .unwrap()
        })
        .collect();
    let mut keyring = Keyring::new();
    for k in &keys {
        keyring.insert(k.verifier()).unwrap();
    }
    let log_key =
        SignerKey::from_signing_key("truceline/bench", SigningKey::from_bytes(&[99; 32])).unwrap();
    let per = n / APPENDERS;
    // Signing is the parties' work: done before the clock starts.
    let batches: Vec<Vec<Entry>> = keys
        .par_iter()
        .map(|k| {
            (1..=per as u64)
                .map(|seq| {
                    Draft {
                        seq,
                        time_ms: 1_700_000_000_000 + seq,
                        author: k.name().into(),
                        kind: "report-batch".into(),
                        audience: vec!["party-0".into(), "party-1".into()],
                        body: json!({"seq": seq, "pad": "r".repeat(800)}),
                    }
                    .sign(k)
                    .unwrap()
                })
                .collect()
        })
        .collect();
    let bytes = batches[0][0].bytes().len();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("ledger.sqlite3")).unwrap();
    let (ledger, _) = Ledger::open(
        store,
        LedgerConfig {
            log_key,
            keyring,
            mediator: "mediator".into(),
        },
    )
    .unwrap();
    let ledger = Arc::new(ledger);

    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let threads: Vec<_> = batches
        .into_iter()
        .map(|batch| {
            let ledger = Arc::clone(&ledger);
            std::thread::spawn(move || {
                let mut pending = VecDeque::with_capacity(IN_FLIGHT);
                for e in batch {
                    if pending.len() == IN_FLIGHT {
                        let p: truceline_ledger::Pending = pending.pop_front().unwrap();
                        p.wait().unwrap();
                    }
                    pending.push_back(ledger.submit(e).unwrap());
                }
                for p in pending {
                    p.wait().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let total = per * APPENDERS;
    println!("{total} durable appends of {bytes}-byte entries ({APPENDERS} appenders x {IN_FLIGHT} in flight) in {secs:.2} s: {:.0} appends/s", total as f64 / secs);
    if let (Some(after), Some(before)) = (cpu_seconds(), cpu_before) {
        println!(
            "{:.1} us of CPU an append (user+system)",
            (after - before) * 1e6 / total as f64
        );
    }
}

/// This process's user+system CPU time, from /proc (Linux); None elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    Some((fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?) / 100.0)
}
