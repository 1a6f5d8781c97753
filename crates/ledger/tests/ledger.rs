//! The ledger as a server uses it: appends, receipts, exports, reopening, repair.

mod common;

use std::sync::Arc;

use common::*;
use serde_json::json;
use truceline_ledger::export::FULL_VIEW;
use truceline_ledger::ledger::{AppendError, LedgerError};
use truceline_ledger::merkle::verify_consistency;
use truceline_ledger::store::{SqliteStore, StoreRead};

#[test]
fn appends_give_receipts_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, report) = open(dir.path());
    assert_eq!(report.size, 0);
    let r0 = ledger
        .append(entry("israel", 1, &["syria"], json!({"a": 1})))
        .unwrap();
    let r1 = ledger
        .append(entry("syria", 1, &[], json!({"b": 2})))
        .unwrap();
    assert_eq!((r0.index, r1.index), (0, 1));
    let cp0 = r0.verify(ledger.log_key()).unwrap();
    let cp1 = r1.verify(ledger.log_key()).unwrap();
    assert_eq!((cp0.checkpoint.size, cp1.checkpoint.size), (1, 2));
    let proof = ledger.consistency_proof(1, 2).unwrap();
    verify_consistency(1, 2, &cp0.checkpoint.root, &cp1.checkpoint.root, &proof).unwrap();
    assert_eq!(ledger.next_seq("israel"), 2);
    assert_eq!(ledger.size(), 2);
}

#[test]
fn refuses_replays_gaps_unknown_authors_and_bad_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, _) = open(dir.path());
    let e = entry("israel", 1, &["syria"], json!({"a": 1}));
    ledger.append(e.clone()).unwrap();
    assert!(
        matches!(
            ledger.append(e),
            Err(AppendError::Seq {
                expected: 2,
                got: 1,
                ..
            })
        ),
        "replay"
    );
    assert!(
        matches!(
            ledger.append(entry("israel", 3, &[], json!(1))),
            Err(AppendError::Seq {
                expected: 2,
                got: 3,
                ..
            })
        ),
        "gap"
    );
    let stranger = truceline_ledger::envelope::Draft {
        seq: 1,
        time_ms: 0,
        author: "hezbollah".into(),
        kind: "notice".into(),
        audience: vec![],
        body: json!(1),
    }
    .sign(&key("hezbollah"))
    .unwrap();
    assert!(matches!(
        ledger.append(stranger),
        Err(AppendError::UnknownAuthor(_))
    ));
    // Signed by syria's key but claiming israel as author.
    let forged = truceline_ledger::envelope::Draft {
        seq: 2,
        time_ms: 0,
        author: "israel".into(),
        kind: "notice".into(),
        audience: vec![],
        body: json!(1),
    }
    .sign(&key("syria"))
    .unwrap();
    assert!(matches!(ledger.append(forged), Err(AppendError::Entry(_))));
    assert_eq!(ledger.size(), 1, "refused appends store nothing");
}

#[test]
fn concurrent_appends_share_commits_and_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, _) = open(dir.path());
    let ledger = Arc::new(ledger);
    let threads: Vec<_> = PARTIES
        .iter()
        .map(|p| {
            let ledger = Arc::clone(&ledger);
            std::thread::spawn(move || {
                (1..=150u64)
                    .map(|s| {
                        ledger
                            .append(entry(p, s, &[], json!({"s": s})))
                            .unwrap()
                            .index
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort();
    assert_eq!(all, (0..450).collect::<Vec<_>>());
    let checkpoints = SqliteStore::open(dir.path().join("ledger.sqlite3"))
        .unwrap()
        .checkpoints()
        .unwrap()
        .len();
    assert!(
        checkpoints < 450,
        "group commit: {checkpoints} commits for 450 entries"
    );
    verify(&export(&ledger, FULL_VIEW)).unwrap();
}

/// Entries one thread queues without waiting land in that order, in fewer commits than
/// entries, and each receipt is its own.
#[test]
fn own_entries_queued_together_land_in_order_and_share_commits() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, _) = open(dir.path());
    let before = ledger.size();
    let pending: Vec<_> = (0..200u64)
        .map(|i| {
            ledger
                .submit_own(
                    "test/queued",
                    vec!["israel".into()],
                    json!({"i": i}),
                    1_000 + i,
                )
                .unwrap()
        })
        .collect();
    let indices: Vec<u64> = pending
        .into_iter()
        .map(|p| p.wait().unwrap().index)
        .collect();
    assert_eq!(indices, (before..before + 200).collect::<Vec<_>>());
    let checkpoints = SqliteStore::open(dir.path().join("ledger.sqlite3"))
        .unwrap()
        .checkpoints()
        .unwrap()
        .len();
    assert!(checkpoints < 200, "{checkpoints} commits for 200 entries");
    verify(&export(&ledger, FULL_VIEW)).unwrap();
}

#[test]
fn reopening_keeps_everything_and_continues() {
    let dir = tempfile::tempdir().unwrap();
    let root = {
        let ledger = populated(dir.path());
        ledger.checkpoint().unwrap().unwrap().checkpoint.root
    };
    let (ledger, report) = open(dir.path());
    assert_eq!(report.size, 13);
    assert_eq!(report.truncated, 0);
    assert_eq!(ledger.checkpoint().unwrap().unwrap().checkpoint.root, root);
    assert_eq!(ledger.next_seq("syria"), 7);
    assert_eq!(ledger.next_seq(MEDIATOR), 2);
    ledger.append(entry("syria", 7, &[], json!(7))).unwrap();
    verify(&export(&ledger, "syria")).unwrap();
}

#[test]
fn torn_tail_past_the_last_checkpoint_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    drop(populated(dir.path()));
    {
        // Rows past the last checkpoint, as a crash between rows and checkpoint would
        // leave them if they were not in one transaction; one with a wrong leaf hash.
        let store = SqliteStore::open(dir.path().join("ledger.sqlite3")).unwrap();
        let conn = store.connection();
        conn.execute("INSERT INTO entries(idx, leaf, chain, author, seq, envelope) SELECT idx + 13, leaf, chain, author, seq + 100, envelope FROM entries WHERE idx < 2", []).unwrap();
        conn.execute("INSERT INTO entries(idx, leaf, chain, author, seq, envelope) VALUES (15, zeroblob(32), zeroblob(32), 'x', 1, x'00')", []).unwrap();
    }
    let (ledger, report) = open(dir.path());
    assert_eq!((report.size, report.truncated), (13, 3));
    assert_eq!(ledger.next_seq("israel"), 7, "truncated rows do not count");
    ledger.append(entry("israel", 7, &[], json!(1))).unwrap();
    verify(&export(&ledger, FULL_VIEW)).unwrap();
}

fn corrupt_and_open(sql: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    drop(populated(dir.path()));
    let store = SqliteStore::open(dir.path().join("ledger.sqlite3")).unwrap();
    store.connection().execute_batch(sql).unwrap();
    drop(store);
    let store = SqliteStore::open(dir.path().join("ledger.sqlite3")).unwrap();
    match truceline_ledger::ledger::Ledger::open(store, config()) {
        Err(e @ LedgerError::Corrupt { .. }) => e.to_string(),
        Err(e) => panic!("expected corruption, got {e}"),
        Ok(_) => panic!("corruption went unnoticed"),
    }
}

#[test]
fn corruption_in_the_middle_stops_with_the_index() {
    // One byte of a stored envelope changed.
    let msg = corrupt_and_open("UPDATE entries SET envelope = CAST(replace(CAST(envelope AS TEXT), 'SECRET-2', 'SECRET-9') AS BLOB) WHERE idx = 3;");
    assert!(msg.contains("index 3") && msg.contains("hash"), "{msg}");
    // Bytes and leaf hash replaced together: the chain catches it.
    let msg = corrupt_and_open("UPDATE entries SET envelope = (SELECT envelope FROM entries WHERE idx = 0), leaf = (SELECT leaf FROM entries WHERE idx = 0) WHERE idx = 4;");
    assert!(msg.contains("index 4") && msg.contains("chain"), "{msg}");
    // A row removed.
    let msg = corrupt_and_open("DELETE FROM entries WHERE idx = 5;");
    assert!(msg.contains("index 5"), "{msg}");
    // Rows swapped, with their chain values: the chain and the checkpoints disagree.
    let msg = corrupt_and_open(
        "UPDATE entries SET idx = -1 WHERE idx = 2; UPDATE entries SET idx = 2 WHERE idx = 6; UPDATE entries SET idx = 6 WHERE idx = -1;",
    );
    assert!(msg.contains("index 2"), "{msg}");
}

#[test]
fn export_for_a_party_hides_bodies_outside_its_audience_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = populated(dir.path());
    let israel = export(&ledger, "israel");
    assert!(
        !israel.contains("SECRET"),
        "israel must not see syria's private entries"
    );
    let report = verify(&israel).unwrap();
    assert_eq!((report.size, report.visible, report.hidden), (13, 7, 6));
    assert_eq!(report.receipts, 6, "receipts for israel's own entries");
    let undof = export(&ledger, "undof");
    assert!(undof.contains("SECRET-6"));
    let report = verify(&undof).unwrap();
    assert_eq!((report.visible, report.hidden), (12, 1));
    let full = verify(&export(&ledger, FULL_VIEW)).unwrap();
    assert_eq!((full.visible, full.hidden), (13, 0));
    assert_eq!(full.root, report.root, "every party sees the same tree");
}

#[test]
fn cosignatures_are_checked_stored_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = populated(dir.path());
    let cp = ledger.checkpoint().unwrap().unwrap();
    let size = cp.checkpoint.size;
    for p in PARTIES {
        ledger
            .add_cosignature(size, &cp.cosign(&key(p), 1_700_000_000))
            .unwrap();
    }
    // A cosignature under the wrong key is refused.
    let bad = cp.cosign(
        &truceline_ledger::keys::SignerKey::from_signing_key(
            "israel",
            ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
        )
        .unwrap(),
        1,
    );
    assert!(ledger.add_cosignature(size, &bad).is_err());
    let report = verify(&export(&ledger, "syria")).unwrap();
    assert_eq!(report.latest_cosigners.len(), 3);
    assert_eq!(report.final_size, Some(size));
}

/// An attachment commits with its entry, outlives reopening, and stays out of the leaf and
/// the export (the entry's body names it by hash; a reader checks it against that).
#[test]
fn attachments_commit_with_their_entry_and_stay_out_of_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let body = b"{\"t\":\"2025-01-01T00:00:00Z\"}\n".to_vec();
    let (plain_root, attached_index) = {
        let (ledger, _) = open(dir.path());
        ledger
            .submit_own("a", vec![], json!({"n": 1}), 1)
            .unwrap()
            .wait()
            .unwrap();
        let r = ledger
            .submit_own_attached("b", vec![], json!({"n": 2}), 2, Some(body.clone()))
            .unwrap()
            .wait()
            .unwrap();
        let exported = export(&ledger, FULL_VIEW);
        assert!(
            !exported.contains("2025-01-01T00:00:00Z"),
            "an attachment is not exported"
        );
        (ledger.checkpoint().unwrap().unwrap(), r.index)
    };
    let (ledger, report) = open(dir.path());
    assert_eq!(report.size, 2);
    let mut seen = Vec::new();
    ledger
        .scan_attachments(0, &mut |i, b| {
            seen.push((i, b));
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, vec![(attached_index, body)]);
    assert_eq!(
        ledger.checkpoint().unwrap().unwrap().checkpoint.root,
        plain_root.checkpoint.root
    );
    let mut after = 0;
    ledger
        .scan_attachments(attached_index + 1, &mut |_, _| {
            after += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(after, 0);
}
