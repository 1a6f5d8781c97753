//! Durable appends of ~1 KiB signed entries from 8 concurrent appenders, each keeping up
//! to 64 appends in flight (`Ledger::submit`), through
//! the group-commit writer into SQLite (WAL, synchronous=FULL). Entries are signed before
//! the clock starts: signing is the parties' work, not the log's. The log's work (parse,
//! signature check, seq check, hashing, commit with fsync, receipt) is all timed.
//!
//! Run: `cargo bench -p truceline-ledger --bench append`

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ed25519_dalek::SigningKey;
use serde_json::json;
use truceline_ledger::envelope::{Draft, Entry};
use truceline_ledger::keys::{Keyring, SignerKey};
use truceline_ledger::ledger::{Ledger, LedgerConfig};
use truceline_ledger::store::SqliteStore;

const APPENDERS: usize = 8;
/// Appends each appender keeps pending at once.
const IN_FLIGHT: usize = 64;

fn party_key(i: usize) -> SignerKey {
    SignerKey::from_signing_key(
        &format!("party-{i}"),
        SigningKey::from_bytes(&[i as u8 + 1; 32]),
    )
    .unwrap()
}

fn signed(author: &SignerKey, seq: u64) -> Entry {
    Draft {
        seq,
        time_ms: 1_700_000_000_000 + seq,
        author: author.name().into(),
        kind: "report-batch".into(),
        audience: vec!["party-0".into(), "party-1".into()],
        // Pads the canonical envelope to about 1 KiB.
        body: json!({"seq": seq, "pad": "r".repeat(800)}),
    }
    .sign(author)
    .unwrap()
}

fn appends(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<SignerKey> = (0..APPENDERS).map(party_key).collect();
    let mut keyring = Keyring::new();
    for k in &keys {
        keyring.insert(k.verifier()).unwrap();
    }
    let log_key =
        SignerKey::from_signing_key("truceline/bench", SigningKey::from_bytes(&[99; 32])).unwrap();
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
    let size = signed(&keys[0], 1).bytes().len();
    eprintln!("entry size: {size} bytes");

    let mut group = c.benchmark_group("ledger");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function(
        format!("durable_append_1KiB_{APPENDERS}x{IN_FLIGHT}_in_flight"),
        |b| {
            b.iter_custom(|iters| {
                let per_thread = (iters as usize).div_ceil(APPENDERS);
                // Sign outside the clock, continuing each author's seq.
                let batches: Vec<Vec<Entry>> = keys
                    .iter()
                    .map(|k| {
                        let first = ledger.next_seq(k.name());
                        (first..first + per_thread as u64)
                            .map(|s| signed(k, s))
                            .collect()
                    })
                    .collect();
                let start = Instant::now();
                let threads: Vec<_> = batches
                    .into_iter()
                    .map(|batch| {
                        let ledger = Arc::clone(&ledger);
                        std::thread::spawn(move || {
                            // Each appender keeps up to IN_FLIGHT appends pending, as a
                            // server's connections would.
                            let mut pending = std::collections::VecDeque::new();
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
                start
                    .elapsed()
                    .mul_f64(iters as f64 / (per_thread * APPENDERS) as f64)
            })
        },
    );
    group.finish();
}

criterion_group!(benches, appends);
criterion_main!(benches);
