//! The engine's state after a restart is the ledger's report batches replayed, and a batch
//! whose events' entries a crash lost gets them when the server opens again, once.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{open_at, report, T0_MS};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use truceline_engine::agreement::Role;
use truceline_server::access::Principal;
use truceline_server::clock::rfc3339_ms;
use truceline_server::AppState;

const INSIDE_AOS: (f64, f64) = (35.884334, 33.011197);
const OUTSIDE: (f64, f64) = (35.70, 33.05);

fn il() -> Principal {
    Principal {
        id: "IL".into(),
        role: Role::Party,
    }
}

fn body(minute: i64, at: (f64, f64)) -> String {
    report(
        &rfc3339_ms(T0_MS + minute * 60_000),
        "IL-TK-1",
        "IL",
        "tank",
        3,
        at.0,
        at.1,
    )
}

/// Posts a batch through the live pipeline and waits until it and its events are durable.
async fn post(state: &Arc<AppState>, text: String) {
    let prepared =
        truceline_server::live::prepare(&state.live.schedule(), Bytes::from(text), &il()).unwrap();
    let applied = state.live.apply(prepared).await.unwrap();
    applied.recording.wait().unwrap();
}

fn aos_open(snapshot: &truceline_server::live::Snapshot) -> bool {
    snapshot
        .open_breaches
        .iter()
        .any(|e| &*e.rule == "aos-no-forces" && e.unit.as_deref() == Some("IL-TK-1"))
}

/// (index, kind, body) of every entry.
fn entries(state: &AppState) -> Vec<(u64, String, Value)> {
    let mut out = Vec::new();
    state
        .ledger
        .scan_entries::<truceline_ledger::ledger::ExportError>(0, &mut |i, e| {
            out.push((i, e.draft().kind.clone(), e.draft().body.clone()));
            Ok(())
        })
        .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_replays_the_ledgers_batches_and_records_events_a_crash_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (state, ..) = open_at(dir.path(), "", &[]);
    post(&state, body(0, OUTSIDE)).await;
    post(&state, body(1, INSIDE_AOS)).await;
    let before = state.live.snapshot().await.unwrap();
    assert!(aos_open(&before), "IL-TK-1 is in the area of separation");
    // A crash between a batch's entry and its events' entries: the batch (IL-TK-1 leaves
    // the area) is in the ledger, its events are not.
    let text = body(2, OUTSIDE);
    let sha = hex::encode(Sha256::digest(text.as_bytes()));
    let batch_index = state
        .ledger
        .submit_own_attached(
            "reports/batch",
            vec!["IL".into()],
            json!({"batch": 3, "submitter": "IL", "count": 1, "first_t": rfc3339_ms(T0_MS + 120_000),
                   "last_t": rfc3339_ms(T0_MS + 120_000), "sha256": sha}),
            T0_MS as u64,
            Some(truceline_server::live::body::pack(text.as_bytes())),
        )
        .unwrap()
        .wait()
        .unwrap()
        .index;
    drop(state);

    let (state, ..) = open_at(dir.path(), "", &[]);
    let after = state.live.snapshot().await.unwrap();
    assert!(
        !aos_open(&after),
        "the third batch was replayed: IL-TK-1 left"
    );
    assert_eq!(after.units, before.units);
    assert_eq!(after.last_report_t.as_deref(), Some("2025-12-01T00:02:00Z"));
    let recorded = |state: &AppState| {
        entries(state)
            .into_iter()
            .filter(|(i, kind, b)| kind == "engine/events" && b["batch"] == 3 && *i > batch_index)
            .count()
    };
    let views = recorded(&state);
    assert!(views > 0, "the lost events of batch 3 are recorded");
    assert!(
        state
            .feed
            .after(0, 1000)
            .iter()
            .any(|i| i.data.contains("exclusion_cleared") && i.data.contains("IL-TK-1")),
        "the feed tells the recorded events"
    );
    // A batch after the restart takes the next number, never one the ledger used.
    post(&state, body(3, OUTSIDE)).await;
    let numbers: Vec<u64> = entries(&state)
        .into_iter()
        .filter(|(_, kind, _)| kind == "reports/batch")
        .map(|(_, _, b)| b["batch"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, vec![1, 2, 3, 4]);
    drop(state);

    // Once recorded, never again.
    let (state, ..) = open_at(dir.path(), "", &[]);
    assert_eq!(recorded(&state), views);
    assert!(!aos_open(&state.live.snapshot().await.unwrap()));
}
