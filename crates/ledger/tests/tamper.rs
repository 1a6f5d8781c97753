//! Every way of tampering with the record the issue names, each caught by the offline
//! verifier (or the witness) with the index that fails.

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use truceline_ledger::envelope::{Draft, Entry};
use truceline_ledger::export::{verify_export, FULL_VIEW};
use truceline_ledger::merkle::MerkleTree;
use truceline_ledger::note::Checkpoint;
use truceline_ledger::receipt::Receipt;
use truceline_ledger::witness::{decide, StateFile, WitnessError};

fn fixture() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = populated(dir.path());
    let text = export(&ledger, FULL_VIEW);
    verify(&text).unwrap();
    (dir, text)
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn join(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn entry_line(index: u64, bytes: &[u8]) -> String {
    format!(
        "{{\"index\":{index},\"entry\":{}}}",
        std::str::from_utf8(bytes).unwrap()
    )
}

fn entry_of(line: &str) -> Entry {
    let v: Value = serde_json::from_str(line).unwrap();
    let raw = serde_json::to_string(&v["entry"]).unwrap();
    // serde_json writes objects sorted here, as the envelope is already canonical.
    Entry::parse(
        truceline_ledger::jcs::to_vec(
            &truceline_ledger::jcs::parse_strict(raw.as_bytes()).unwrap(),
        )
        .as_slice(),
    )
    .unwrap()
}

#[test]
fn one_byte_flipped_in_any_entry_is_caught_at_its_index() {
    let (_dir, text) = fixture();
    let all = lines(&text);
    let mut rng = rand::rngs::StdRng::seed_from_u64(6962);
    for index in 0..13usize {
        for _ in 0..6 {
            let mut ls = all.clone();
            let line = ls[index + 1].clone().into_bytes();
            // Flip one bit of one byte inside the entry JSON (after `"entry":`).
            let start = line.windows(8).position(|w| w == b"\"entry\":").unwrap() + 8;
            let mut bytes = line.clone();
            let at = rng.gen_range(start..line.len() - 1);
            bytes[at] ^= 1 << rng.gen_range(0..7);
            let Ok(flipped) = String::from_utf8(bytes) else {
                continue;
            };
            ls[index + 1] = flipped;
            let err = verify(&join(&ls)).expect_err("flipped byte must be caught");
            assert_eq!(err.index, Some(index as u64), "{err}");
        }
    }
}

#[test]
fn a_flipped_hidden_leaf_hash_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let text = export(&populated(dir.path()), "israel");
    let mut ls = lines(&text);
    let i = ls.iter().position(|l| l.contains("\"leaf\"")).unwrap();
    let v: Value = serde_json::from_str(&ls[i]).unwrap();
    let mut leaf = B64.decode(v["leaf"].as_str().unwrap()).unwrap();
    leaf[0] ^= 0x80;
    ls[i] = json!({"index": v["index"], "leaf": B64.encode(leaf)}).to_string();
    let err = verify(&join(&ls)).unwrap_err();
    assert!(err.what.contains("root"), "{err}");
}

#[test]
fn a_dropped_entry_is_caught() {
    let (_dir, text) = fixture();
    let mut ls = lines(&text);
    ls.remove(5); // index 4
    let err = verify(&join(&ls)).unwrap_err();
    assert_eq!(err.index, Some(4), "{err}");
    // Dropped and the indexes renumbered to hide it: the author's seq has a gap.
    let mut ls = lines(&text);
    ls.remove(5);
    for (i, l) in ls.iter_mut().enumerate().skip(1).take(12) {
        let mut v: Value = serde_json::from_str(l).unwrap();
        if v.get("index").is_some() {
            let e = entry_of(l);
            v["index"] = json!(i - 1);
            *l = entry_line((i - 1) as u64, e.bytes());
        }
    }
    let err = verify(&join(&ls)).unwrap_err();
    assert!(
        err.what.contains("seq") || err.what.contains("size"),
        "{err}"
    );
}

#[test]
fn two_swapped_entries_are_caught() {
    let (_dir, text) = fixture();
    let mut ls = lines(&text);
    ls.swap(2, 4); // indexes 1 and 3
    let err = verify(&join(&ls)).unwrap_err();
    assert_eq!(err.index, Some(1), "{err}");
    // Swapped with the indexes rewritten to match the new order: the roots no longer
    // rebuild (and the author's seq goes backwards if both are by one author).
    let mut ls = lines(&text);
    let (a, b) = (entry_of(&ls[2]), entry_of(&ls[4]));
    ls[2] = entry_line(1, b.bytes());
    ls[4] = entry_line(3, a.bytes());
    assert!(verify(&join(&ls)).is_err());
    let mut ls = lines(&text);
    let (a, b) = (entry_of(&ls[1]), entry_of(&ls[3])); // israel seq 1 and 2
    ls[1] = entry_line(0, b.bytes());
    ls[3] = entry_line(2, a.bytes());
    let err = verify(&join(&ls)).unwrap_err();
    assert_eq!(err.index, Some(0), "{err}");
    assert!(err.what.contains("seq"), "{err}");
}

#[test]
fn a_fork_is_caught() {
    let (_dir, text) = fixture();
    let ls = lines(&text);
    // The log signs a second checkpoint of the same size with another root.
    let last: Checkpoint = {
        let note = ls
            .iter()
            .rev()
            .find(|l| l.contains("\"checkpoint\""))
            .unwrap();
        let v: Value = serde_json::from_str(note).unwrap();
        truceline_ledger::note::SignedCheckpoint::parse_verified(
            v["checkpoint"].as_str().unwrap(),
            &log_key().verifier(),
        )
        .unwrap()
        .checkpoint
    };
    let forked = Checkpoint {
        root: [7; 32],
        ..last.clone()
    }
    .sign(&log_key())
    .to_string();
    let mut with_fork = ls.clone();
    let at = with_fork
        .iter()
        .rposition(|l| l.contains("\"checkpoint\""))
        .unwrap()
        + 1;
    with_fork.insert(at, json!({ "checkpoint": forked }).to_string());
    let err = verify(&join(&with_fork)).unwrap_err();
    assert!(
        err.what.contains("root") || err.what.contains("fork"),
        "{err}"
    );
    // A checkpoint another party was shown (the fork) handed to the verifier.
    let err = verify_export(
        &mut text.as_bytes(),
        &trust(),
        &truceline_ledger::export::Outside {
            checkpoints: vec![forked.clone()],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.what.contains("fork"), "{err}");
    // The witness that cosigned the real one refuses the fork, and a rollback.
    let real = truceline_ledger::note::SignedCheckpoint::parse_verified(
        &last.sign(&log_key()).to_string(),
        &log_key().verifier(),
    )
    .unwrap();
    let forked =
        truceline_ledger::note::SignedCheckpoint::parse_verified(&forked, &log_key().verifier())
            .unwrap();
    assert!(matches!(
        decide(Some(&real.checkpoint), &forked, &[], &key("israel"), 1),
        Err(WitnessError::Fork { .. })
    ));
}

#[test]
fn the_witness_cosigns_only_consistent_growth_and_remembers() {
    let log = log_key();
    let leaves: Vec<[u8; 32]> = (0..20u8)
        .map(|i| truceline_ledger::merkle::leaf_hash(&[i]))
        .collect();
    let tree = MerkleTree::from_leaves(leaves.clone());
    let cp = |size: u64, root| {
        Checkpoint {
            origin: log.name().into(),
            size,
            root,
        }
        .sign(&log)
    };
    let state_dir = tempfile::tempdir().unwrap();
    let state = StateFile::new(state_dir.path(), log.name()).unwrap();
    let witness = key("syria");
    let c5 = cp(5, tree.root_at(5).unwrap());
    let line = state
        .cosign(&c5, &[], &log.verifier(), &witness, 100)
        .unwrap();
    c5.verify_cosignature(&line, &witness.verifier()).unwrap();
    // Growth with a valid proof: cosigned, and remembered across a "restart".
    let c12 = cp(12, tree.root_at(12).unwrap());
    state
        .cosign(
            &c12,
            &tree.consistency_proof(5, 12).unwrap(),
            &log.verifier(),
            &witness,
            101,
        )
        .unwrap();
    let state = StateFile::new(state_dir.path(), log.name()).unwrap();
    assert_eq!(
        state
            .load(&log.verifier())
            .unwrap()
            .unwrap()
            .checkpoint
            .size,
        12
    );
    // A new checkpoint not consistent with size 12 (history rewritten before index 12).
    let mut other = leaves.clone();
    other[3] = [0; 32];
    let other_tree = MerkleTree::from_leaves(other);
    let c15_forked = cp(15, other_tree.root_at(15).unwrap());
    let err = state
        .cosign(
            &c15_forked,
            &other_tree.consistency_proof(12, 15).unwrap(),
            &log.verifier(),
            &witness,
            102,
        )
        .unwrap_err();
    assert!(matches!(err, WitnessError::Inconsistent { .. }), "{err}");
    assert!(matches!(
        state.cosign(&c5, &[], &log.verifier(), &witness, 103),
        Err(WitnessError::Rollback { .. })
    ));
    assert_eq!(
        state
            .load(&log.verifier())
            .unwrap()
            .unwrap()
            .checkpoint
            .size,
        12,
        "refusals leave the state alone"
    );
    // A checkpoint not signed by the log is refused before anything else.
    let unsigned = Checkpoint {
        origin: log.name().into(),
        size: 20,
        root: tree.root(),
    }
    .sign(
        &truceline_ledger::keys::SignerKey::from_signing_key(
            log.name(),
            ed25519_dalek::SigningKey::from_bytes(&[0x66; 32]),
        )
        .unwrap(),
    );
    assert!(state
        .cosign(
            &unsigned,
            &tree.consistency_proof(12, 20).unwrap(),
            &log.verifier(),
            &witness,
            104
        )
        .is_err());
}

#[test]
fn a_forged_signature_is_caught() {
    let (_dir, text) = fixture();
    let mut ls = lines(&text);
    let e = entry_of(&ls[4]); // index 3
    let d = e.draft().clone();
    // Same author claimed, signed with a key that is not the author's.
    let impostor = truceline_ledger::keys::SignerKey::from_signing_key(
        &d.author,
        ed25519_dalek::SigningKey::from_bytes(&[0x42; 32]),
    )
    .unwrap();
    let forged = d.sign(&impostor).unwrap();
    ls[4] = entry_line(3, forged.bytes());
    let err = verify(&join(&ls)).unwrap_err();
    assert_eq!(err.index, Some(3), "{err}");
    assert!(err.what.contains("signature"), "{err}");
}

#[test]
fn an_entry_replayed_under_another_author_is_caught() {
    let (_dir, text) = fixture();
    let mut ls = lines(&text);
    let e = entry_of(&ls[1]); // israel, seq 1
                              // Keep israel's signature, claim undof wrote it.
    let json = String::from_utf8(e.bytes().to_vec()).unwrap().replacen(
        "\"author\":\"israel\"",
        "\"author\":\"undof\"",
        1,
    );
    let replayed = Entry::parse(json.as_bytes()).unwrap();
    ls[1] = entry_line(0, replayed.bytes());
    let err = verify(&join(&ls)).unwrap_err();
    assert_eq!(err.index, Some(0), "{err}");
    assert!(err.what.contains("signature"), "{err}");
    // And the ledger refuses it at the door.
    let dir = tempfile::tempdir().unwrap();
    let (ledger, _) = open(dir.path());
    assert!(ledger.append(replayed).is_err());
    // A verbatim replay of an entry (same author) in place of another: seq check.
    let mut ls = lines(&text);
    let first = entry_of(&ls[1]);
    ls[3] = entry_line(2, first.bytes());
    let err = verify(&join(&ls)).unwrap_err();
    assert_eq!(err.index, Some(2), "{err}");
}

#[test]
fn a_receipt_for_an_entry_not_in_the_tree_is_caught() {
    let (_dir, text) = fixture();
    // The log signs a tree holding an entry it then leaves out of what it shows.
    let ghost = entry("israel", 99, &[], json!("ghost"));
    let mut tree = MerkleTree::new();
    let shown = lines(&text);
    for l in &shown[1..=13] {
        tree.push(entry_of(l).leaf_hash());
    }
    tree.push(ghost.leaf_hash());
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: 14,
        root: tree.root(),
    }
    .sign(&log_key());
    let receipt = Receipt {
        index: 13,
        leaf_hash: ghost.leaf_hash(),
        checkpoint: cp.to_string(),
        inclusion: tree.inclusion_proof(13, 14).unwrap(),
    };
    receipt.verify(&log_key().verifier()).unwrap(); // valid on its own
    let mut ls = shown.clone();
    ls.push(json!({ "receipt": receipt }).to_string());
    let err = verify(&join(&ls)).unwrap_err();
    assert!(err.what.contains("receipt"), "{err}");
    // A receipt claiming an index whose leaf is something else, under a real checkpoint.
    let last_cp = shown
        .iter()
        .rev()
        .find(|l| l.contains("\"checkpoint\""))
        .unwrap();
    let v: Value = serde_json::from_str(last_cp).unwrap();
    let fake = Receipt {
        index: 2,
        leaf_hash: ghost.leaf_hash(),
        checkpoint: v["checkpoint"].as_str().unwrap().into(),
        inclusion: tree.inclusion_proof(2, 13).unwrap(),
    };
    let mut ls = shown.clone();
    ls.push(json!({ "receipt": fake }).to_string());
    let err = verify(&join(&ls)).unwrap_err();
    assert_eq!(err.index, Some(2), "{err}");
}

#[test]
fn an_appended_unsigned_entry_or_extra_leaf_is_caught() {
    let (_dir, text) = fixture();
    let mut ls = lines(&text);
    let extra = Draft {
        seq: 7,
        time_ms: 0,
        author: "israel".into(),
        kind: "notice".into(),
        audience: vec![],
        body: json!(1),
    }
    .sign(&key("israel"))
    .unwrap();
    ls.insert(14, entry_line(13, extra.bytes()));
    let err = verify(&join(&ls)).unwrap_err();
    assert!(
        err.what.contains("more leaves") || err.what.contains("checkpoint"),
        "{err}"
    );
}

#[test]
fn an_export_relabelled_for_another_party_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let text = export(&populated(dir.path()), "syria");
    let me = truceline_ledger::export::Outside {
        party: Some("israel".into()),
        ..Default::default()
    };
    let err = verify_export(&mut text.as_bytes(), &trust(), &me).unwrap_err();
    assert!(err.what.contains("not for"), "{err}");
}
