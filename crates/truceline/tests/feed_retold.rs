//! The feed is a projection too: when its file is lost, the server tells it again from
//! the ledger at start, and every principal reads the same items as before (the same
//! kinds, times and contents, its own view of each), ids numbered afresh; and a party's
//! export verifies with the keyring the server publishes. Drives the real `truceline
//! serve` on loopback.

mod support;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use support::{now_ms, report, rfc3339, Server, PRINCIPALS};

const AOS_IN: (f64, f64) = (35.884334, 33.011197);
const FAR_EAST: (f64, f64) = (36.5, 33.5);

/// Numbers as their values: the ledger keeps JSON canonical (RFC 8785 writes 2.0 as 2),
/// and a reader (JavaScript's, say) sees the same number either way.
fn by_value(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(a) => Value::Array(a.iter().map(by_value).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), by_value(v))).collect())
        }
        other => other.clone(),
    }
}

/// Each principal's feed, as (kind, time, data) in order, ids left out.
async fn feeds(server: &Server) -> BTreeMap<String, Vec<(String, String, Value)>> {
    let mut out = BTreeMap::new();
    for id in PRINCIPALS {
        let c = server.login(id).await;
        let (s, feed) = c.get("/v1/feed?after=0&limit=1000").await.unwrap();
        assert_eq!(s, 200, "{feed}");
        let items = feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["kind"].as_str().unwrap().to_owned(),
                    i["time"].as_str().unwrap().to_owned(),
                    by_value(&i["data"]),
                )
            })
            .collect();
        out.insert(id.to_owned(), items);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_feed_is_told_again_from_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    support::write_keyring(&data);
    let server = Server::start(&data, &[]);
    let ru = server.login("RU").await;
    let sy = server.login("SY").await;
    let mp = server.login("RU-MP").await;
    // Separation and exclusion events (a party copy for each side), a notice and its
    // relay, a reported incident, a webhook.
    let lines = report(
        "2025-12-01T03:00:00Z",
        "SY-TB-3",
        "SY",
        14,
        AOS_IN.0,
        AOS_IN.1,
    ) + &report(
        "2025-12-01T03:00:00Z",
        "IL-TB-9",
        "IL",
        10,
        AOS_IN.0 + 0.001,
        AOS_IN.1,
    ) + &report(
        "2025-12-01T03:05:00Z",
        "SY-TB-3",
        "SY",
        14,
        FAR_EAST.0,
        FAR_EAST.1,
    );
    let (s, b) = ru.post_lines(&lines).await.unwrap();
    assert_eq!(s, 200, "{b}");
    let from = now_ms() + 3 * 3_600_000;
    let (s, notice) = sy
        .act(
            "/v1/notices",
            &json!({
                "kind": "movement",
                "place": {"area": {"ring": [[36.40, 33.20], [36.45, 33.20], [36.45, 33.25], [36.40, 33.25], [36.40, 33.20]]}},
                "from": rfc3339(from), "until": rfc3339(from + 3_600_000),
                "forces": [{"category": "personnel", "count": 40}],
                "description": "to the depot",
            }),
        )
        .await
        .unwrap();
    assert_eq!(s, 201, "{notice}");
    let id = notice["id"].as_str().unwrap();
    let (s, b) = ru
        .post(&format!("/v1/notices/{id}/relay"), &json!({}))
        .await
        .unwrap();
    assert_eq!(s, 200, "{b}");
    let (s, b) = mp
        .act(
            "/v1/incidents",
            &json!({"category": "other", "occurred_at": rfc3339(now_ms() - 60_000), "alleged_party": "SY", "description": "a sighting"}),
        )
        .await
        .unwrap();
    assert_eq!(s, 201, "{b}");
    let (s, b) = sy
        .post("/v1/webhooks", &json!({"url": "http://127.0.0.1:9/hook"}))
        .await
        .unwrap();
    assert_eq!(s, 201, "{b}");
    server.kill();

    // After a restart the projections are level with the ledger: this is the record.
    let server = Server::start(&data, &[]);
    let before = feeds(&server).await;
    assert!(
        before["SY"].iter().any(|(k, _, _)| k == "event")
            && before["IL"].iter().any(|(k, _, _)| k == "event")
            && before["RU"].iter().any(|(k, _, _)| k == "notice")
            && before["RU"].iter().any(|(k, _, _)| k == "incident"),
        "the feed has events, notices and incidents: {before:?}"
    );
    server.kill();

    for name in ["feed.db", "feed.db-wal", "feed.db-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    let server = Server::start(&data, &[]);
    let after = feeds(&server).await;
    for id in PRINCIPALS {
        // The same items; within one instant the retold feed goes entry by entry (a
        // batch's events by view), where live the engine thread published them by event.
        let sorted = |f: &[(String, String, Value)]| {
            let mut v: Vec<String> = f.iter().map(|(k, t, d)| format!("{t} {k} {d}")).collect();
            v.sort();
            v
        };
        assert_eq!(
            sorted(&before[id]),
            sorted(&after[id]),
            "{id}'s feed told again"
        );
    }
    let sy = server.login("SY").await;
    let (_, hooks) = sy.get("/v1/webhooks").await.unwrap();
    assert_eq!(hooks["items"].as_array().map(Vec::len), Some(1), "{hooks}");

    // The keyring the server publishes is all a party needs to check its export offline.
    let (s, export) = sy.get_bytes("/v1/ledger/export").await.unwrap();
    assert_eq!(s, 200);
    let export_path = dir.path().join("sy-export.jsonl");
    std::fs::write(&export_path, &export).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_truceline"))
        .args(["log", "verify"])
        .arg(&export_path)
        .arg("--party-keys")
        .arg(data.join("verifier-keyring"))
        .args(["--as", "SY"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "log verify with the published keyring: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    server.kill();
}
