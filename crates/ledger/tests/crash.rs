//! Crash safety: a child process appends from several threads and prints each
//! acknowledged entry; it is killed with SIGKILL at seeded random moments. After every
//! kill the ledger must open (verifying everything), hold every acknowledged entry, and
//! export a history that verifies.
//!
//! The child is this test binary itself, re-run with `CRASH_CHILD_DIR` set.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use rand::{Rng, SeedableRng};
use serde_json::json;
use truceline_ledger::export::FULL_VIEW;
use truceline_ledger::store::{SqliteStore, StoreRead};

const CHILD_ENV: &str = "CRASH_CHILD_DIR";
const KILLS: usize = 20;

/// In the child: append forever from one thread per party, printing "ack author seq index".
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (ledger, _) = open(std::path::Path::new(&dir));
    let ledger = Arc::new(ledger);
    let threads: Vec<_> = PARTIES
        .iter()
        .map(|p| {
            let ledger = Arc::clone(&ledger);
            std::thread::spawn(move || {
                let mut seq = ledger.next_seq(p);
                loop {
                    let receipt = ledger
                        .append(entry(
                            p,
                            seq,
                            &["undof"],
                            json!({"seq": seq, "pad": "x".repeat(200)}),
                        ))
                        .unwrap();
                    // println! locks stdout per line, so lines never interleave.
                    println!("ack {p} {seq} {}", receipt.index);
                    seq += 1;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn acknowledged_entries_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_c0de);
    let mut acked: Vec<(String, u64, u64)> = Vec::new();
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let kill_after = rng.gen_range(1..60);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = 0;
        while seen < kill_after {
            assert!(Instant::now() < deadline, "round {round}: child too slow");
            let line = lines.next().expect("child ended early").unwrap();
            if let Some(ack) = parse_ack(&line) {
                acked.push(ack);
                seen += 1;
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
                               // Acks the child printed before it died were acknowledged too.
        for line in lines.map_while(Result::ok) {
            if let Some(ack) = parse_ack(&line) {
                acked.push(ack);
            }
        }
        child.wait().unwrap();

        let (ledger, _) = open(dir.path());
        let store = SqliteStore::open(dir.path().join("ledger.sqlite3")).unwrap();
        let size = ledger.size();
        let mut rows = std::collections::HashMap::new();
        store
            .scan(0, size, &mut |row| {
                rows.insert(row.index, (row.author, row.seq));
                Ok(())
            })
            .unwrap();
        for (author, seq, index) in &acked {
            assert_eq!(
                rows.get(index),
                Some(&(author.clone(), *seq)),
                "round {round}: acknowledged entry {index} lost"
            );
        }
        // Opening checked hashes, chain and roots; the full offline verification (every
        // signature) is slow in debug builds, so it runs on a few rounds only.
        if round % 7 == 6 || round == KILLS - 1 {
            verify(&export(&ledger, FULL_VIEW)).unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
    }
    assert!(acked.len() >= KILLS);
}

fn parse_ack(line: &str) -> Option<(String, u64, u64)> {
    let mut parts = line.strip_prefix("ack ")?.split(' ');
    Some((
        parts.next()?.to_owned(),
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    ))
}
