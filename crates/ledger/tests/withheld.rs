//! An export that shows one of its party's own entries only as a leaf hash still verifies
//! (the tree is intact), and the verifier says which: by a receipt naming the index, or by
//! a gap in the seqs of the entries the party wrote.

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use serde_json::{json, Value};
use truceline_ledger::export::{verify_export, Outside, Withheld};

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn join(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The export with the entry at `index` replaced by its leaf hash.
fn withhold(text: &str, index: usize) -> String {
    let mut ls = lines(text);
    let v: Value = serde_json::from_str(&ls[index + 1]).unwrap();
    assert_eq!(v["index"], json!(index));
    let raw = serde_json::to_string(&v["entry"]).unwrap();
    let bytes = truceline_ledger::jcs::to_vec(
        &truceline_ledger::jcs::parse_strict(raw.as_bytes()).unwrap(),
    );
    let entry = truceline_ledger::envelope::Entry::parse(&bytes).unwrap();
    ls[index + 1] = json!({"index": index, "leaf": B64.encode(entry.leaf_hash())}).to_string();
    join(&ls)
}

#[test]
fn an_honest_export_warns_of_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let text = export(&populated(dir.path()), "israel");
    let r = verify(&text).unwrap();
    assert_eq!(r.withheld, vec![]);
    assert_eq!((r.visible, r.hidden), (7, 6));
}

#[test]
fn an_own_entry_withheld_is_named_by_its_receipt_and_its_seq() {
    let dir = tempfile::tempdir().unwrap();
    let text = export(&populated(dir.path()), "israel");
    // Index 4 is israel's seq 3 (israel writes the even indexes 0..=10, syria the odd).
    let r = verify(&withhold(&text, 4)).expect("the tree is intact: it verifies");
    assert_eq!((r.visible, r.hidden), (6, 7));
    assert_eq!(
        r.withheld,
        vec![
            Withheld::SeqGap {
                author: "israel".into(),
                first_seq: 3,
                last_seq: 3,
                candidates: vec![3, 4, 5],
                more: 0
            },
            Withheld::Receipt { index: 4 },
        ]
    );
    assert_eq!(
        r.withheld[0].to_string(),
        "seq 3 of \"israel\"'s own entries not shown: withheld as the leaf hash at one of \
         indices 3, 4, 5 (or dropped before logging)"
    );
    assert!(r.withheld[1].to_string().starts_with("index 4: "));
}

#[test]
fn the_last_own_entry_withheld_is_named_by_its_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let text = export(&populated(dir.path()), "israel");
    // No later entry of israel's shows a gap; the export's own receipt names index 10.
    let r = verify(&withhold(&text, 10)).unwrap();
    assert_eq!(r.withheld, vec![Withheld::Receipt { index: 10 }]);
    // Two in a row: one gap of two seqs.
    let r = verify(&withhold(&withhold(&text, 2), 4)).unwrap();
    assert!(r.withheld.contains(&Withheld::SeqGap {
        author: "israel".into(),
        first_seq: 2,
        last_seq: 3,
        candidates: vec![1, 2, 3, 4, 5],
        more: 0
    }));
}

#[test]
fn an_entry_sent_to_the_party_withheld_is_named_by_a_receipt_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = populated(dir.path());
    // The mediator's entry for israel and syria, with the receipt israel was given.
    let receipt = ledger
        .append_own(
            "finding",
            vec!["israel".into()],
            json!({"finding": "f1"}),
            1_700_000_200_000,
        )
        .unwrap();
    assert_eq!(receipt.index, 13);
    let text = export(&ledger, "israel");
    let tampered = withhold(&text, 13);
    // Without the receipt nothing tells the verifier whose the leaf is.
    assert_eq!(verify(&tampered).unwrap().withheld, vec![]);
    let outside = Outside {
        receipts: vec![receipt],
        party: Some("israel".into()),
        ..Outside::default()
    };
    let r = verify_export(&mut tampered.as_bytes(), &trust(), &outside).unwrap();
    assert_eq!(r.withheld, vec![Withheld::Receipt { index: 13 }]);
    // Shown, the receipt raises nothing.
    let r = verify_export(&mut text.as_bytes(), &trust(), &outside).unwrap();
    assert_eq!(r.withheld, vec![]);
}

#[test]
fn a_gap_no_leaf_hash_can_explain_still_fails() {
    let dir = tempfile::tempdir().unwrap();
    let text = export(&populated(dir.path()), "israel");
    // israel's seq 2 (index 2) replaced by its seq 3 (index 4): a gap of one seq with only
    // syria's leaf at index 1 between, then seq 3 again at index 4: refused.
    let mut ls = lines(&text);
    let v: Value = serde_json::from_str(&ls[5]).unwrap();
    ls[3] = json!({"index": 2, "entry": v["entry"]}).to_string();
    assert!(verify(&join(&ls)).is_err());
}
