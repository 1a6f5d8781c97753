//! A phase certified complete on the real server: only the mediator certifies, the engine
//! refuses what it cannot take (and nothing is recorded), the rule waiting on the phase
//! opens its delay after the certified instant, everyone is told, and after a restart the
//! certification still holds where it stood among the batches.

mod common;

use common::{open_at, report, serve_opened, Client, T0_MS};
use serde_json::{json, Value};
use truceline_server::clock::rfc3339_ms;

const PHASES: &str = r#"
[[phases]]
id = "withdrawal-1"
name = "Heavy armour out of the area of separation"

[[rules]]
id = "aos-after-withdrawal"
kind = "exclusion"
zone = "AOS"
parties = ["SY"]
active_after = { phase = "withdrawal-1", delay_minutes = 60 }
"#;

const INSIDE_AOS: (f64, f64) = (35.884334, 33.011197);
const OUTSIDE: (f64, f64) = (35.70, 33.05);

fn at(minute: i64) -> String {
    rfc3339_ms(T0_MS + minute * 60_000)
}

fn tank(minute: i64, place: (f64, f64)) -> String {
    report(&at(minute), "SY-TK-1", "SY", "tank", 2, place.0, place.1)
}

async fn post(c: &Client, text: String) -> Value {
    let (s, a) = c.post_lines(&text).await;
    assert_eq!(s, 200, "{a}");
    a
}

fn rules_told(answer: &Value) -> Vec<String> {
    answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["event"]["rule"].as_str().unwrap(),
                e["event"]["kind"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certified_phase_opens_its_rules_after_the_delay_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_opened(open_at(dir.path(), PHASES, &[])).await;
    let (ru, sy, mp, us) = (
        server.login("RU").await,
        server.login("SY").await,
        server.login("RU-MP").await,
        server.login("US").await,
    );
    post(&mp, tank(0, OUTSIDE)).await;
    // The monitors' patrol report, as evidence.
    let (s, b) = common::raw(
        "POST",
        &format!("{}/v1/evidence", server.base),
        Some(&mp.token),
        "text/plain",
        b"patrol 14: no tanks seen between line A and line B".to_vec(),
    )
    .await;
    assert_eq!(s, 201, "{}", String::from_utf8_lossy(&b));
    let evidence = serde_json::from_slice::<Value>(&b).unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        us.get(&format!("/v1/evidence/{evidence}")).await.0,
        404,
        "cited by nothing yet: the observer may not fetch it"
    );
    let certify = |minute: i64| {
        json!({"at": at(minute), "reasons": "Monitors counted no tanks in the area on two patrols",
               "evidence": [evidence.clone()]})
    };
    let path = "/v1/phases/withdrawal-1/certify";

    // Refused, each with its reason, and nothing recorded.
    let size = server.state.ledger.size();
    assert_eq!(sy.post(path, certify(1)).await.0, 403);
    assert_eq!(
        ru.post("/v1/phases/no-such/certify", certify(1)).await.0,
        404
    );
    let mut bad = certify(1);
    bad["evidence"] = json!(["not-a-hash"]);
    assert_eq!(ru.post(path, bad).await.0, 422);
    let mut bad = certify(1);
    bad["reasons"] = json!("  ");
    assert_eq!(ru.post(path, bad).await.0, 422);
    let (s, p) = ru.post(path, certify(-120)).await;
    assert_eq!(s, 409, "the rule would open before the last report: {p}");
    assert_eq!(
        server.state.ledger.size(),
        size,
        "a refusal records nothing"
    );

    // Certified at minute 1: the rule opens at minute 61, and everyone is told.
    let (s, c) = ru.post(path, certify(1)).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        c["starts"],
        json!([{"rule": "aos-after-withdrawal", "starts_at": "2025-12-01T01:01:00Z"}])
    );
    assert_eq!(ru.post(path, certify(2)).await.0, 409, "certified twice");
    let (_, phases) = us.get("/v1/phases").await;
    assert_eq!(phases["items"][0]["certification"]["at"], at(1));
    let (s, bytes) = us.get_bytes(&format!("/v1/evidence/{evidence}")).await;
    assert_eq!(s, 200, "evidence a certification cites is public");
    assert_eq!(bytes, b"patrol 14: no tanks seen between line A and line B");

    // Inside the area at minute 30: only the rule always in force; at minute 61 the
    // waiting rule opens on the unit where it is.
    let told = rules_told(&post(&mp, tank(30, INSIDE_AOS)).await);
    assert!(
        told.iter().all(|r| !r.starts_with("aos-after-withdrawal")),
        "{told:?}"
    );
    let told = rules_told(&post(&mp, tank(61, INSIDE_AOS)).await);
    assert!(
        told.contains(&"aos-after-withdrawal exclusion_breach".to_owned()),
        "{told:?}"
    );

    // A restart: the certification is taken again before the batches after it.
    drop((ru, sy, mp, us));
    drop(server);
    let server = serve_opened(open_at(dir.path(), PHASES, &[])).await;
    let open = server.state.live.snapshot().await.unwrap().open_breaches;
    assert!(
        open.iter().any(|e| &*e.rule == "aos-after-withdrawal"),
        "{open:?}"
    );
    let mp = server.login("RU-MP").await;
    let told = rules_told(&post(&mp, tank(62, OUTSIDE)).await);
    assert!(
        told.contains(&"aos-after-withdrawal exclusion_cleared".to_owned()),
        "{told:?}"
    );
}
