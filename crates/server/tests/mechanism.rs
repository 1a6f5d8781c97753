//! The mechanism end to end, in-process on port 0: two party clients, the mediator, a
//! monitor and an observer.

mod common;

use common::*;
use serde_json::{json, Value};

const AOS_IN: (f64, f64) = (35.884334, 33.011197);
const FAR_EAST: (f64, f64) = (36.5, 33.5);

fn sy_notice(from: &str, until: &str) -> Value {
    json!({
        "kind": "movement",
        "place": {"area": {"ring": [[36.40, 33.40], [36.45, 33.40], [36.45, 33.45], [36.40, 33.45], [36.40, 33.40]]}},
        "from": from, "until": until,
        "forces": [{"category": "tank", "count": 12}],
        "description": "convoy to the eastern depot"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_incursion_incident_finding_and_every_export_verifies() {
    let server = start("").await;
    let il = server.login("IL").await;
    let sy = server.login("SY").await;
    let ru = server.login("RU").await;
    let mp = server.login("RU-MP").await;
    let us = server.login("US").await;
    let mut sy_stream = sy.stream(None).await;
    let mut il_stream = il.stream(None).await;

    // Notice: checked at once, relayed (redacted as the agreement says), acknowledged.
    let (s, n) = sy
        .act(
            "/v1/notices",
            sy_notice("2025-12-01T06:00:00Z", "2025-12-01T09:00:00Z"),
        )
        .await;
    assert_eq!(s, 201, "{n}");
    assert_eq!(n["check"]["ok"], true, "{n}");
    let id = n["id"].as_str().unwrap().to_owned();
    assert_eq!(
        il.get(&format!("/v1/notices/{id}")).await.0,
        404,
        "not relayed yet"
    );
    let (s, r) = ru.post(&format!("/v1/notices/{id}/relay"), json!({})).await;
    assert_eq!(s, 200, "{r}");
    let relayed = il_stream
        .until("relayed notice", |m| m.event == "notice")
        .await;
    assert_eq!(relayed.data["notice"]["id"], id.as_str());
    let (s, a) = il
        .act(
            &format!("/v1/notices/{id}/answer"),
            json!({"answer": "acknowledge"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["status"], "acknowledged");

    // An IL notice overlapping the acknowledged SY one in space and time is flagged.
    let (s, c) = il
        .post(
            "/v1/notices/check",
            json!({
                "kind": "exercise",
                "place": {"route": {"line": [[36.42, 33.30], [36.42, 33.50]], "width_km": 2.0}},
                "from": "2025-12-01T08:00:00Z", "until": "2025-12-01T10:00:00Z",
                "forces": [{"category": "personnel", "count": 100}]
            }),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["ok"], false);
    assert_eq!(c["overlaps"][0]["notice"], id.as_str());

    // The monitor reports SY tanks in the area of separation: an event, then an incident.
    let lines = report(
        "2025-12-01T03:00:00Z",
        "SY-TB-3",
        "SY",
        "tank",
        14,
        FAR_EAST.0,
        FAR_EAST.1,
    ) + &report(
        "2025-12-01T03:10:00Z",
        "SY-TB-3",
        "SY",
        "tank",
        14,
        AOS_IN.0,
        AOS_IN.1,
    );
    let (s, b) = mp.post_lines(&lines).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["accepted"], 2);
    assert_eq!(b["events"][0]["event"]["kind"], "exclusion_breach");
    let ev = sy_stream
        .until("breach event", |m| m.event == "event")
        .await;
    assert_eq!(ev.data["unit"], "SY-TB-3");
    assert_eq!(ev.data["zone"], "AOS");
    let incident = sy_stream
        .until("engine incident", |m| m.event == "incident")
        .await;
    let iid = incident.data["incident"]["id"].as_str().unwrap().to_owned();
    assert_eq!(incident.data["incident"]["category"], "exclusion_breach");
    assert_eq!(incident.data["incident"]["alleged_party"], "SY");
    assert_eq!(incident.data["incident"]["source"], "engine");

    // Workflow: investigating, SY's response, the mediator's finding with reasons.
    assert_eq!(
        ru.post(
            &format!("/v1/incidents/{iid}/finding"),
            json!({"outcome": "verified", "reasons": "x"})
        )
        .await
        .0,
        409
    );
    let (s, i) = mp
        .act(
            &format!("/v1/incidents/{iid}/investigate"),
            json!({"note": "patrol sent"}),
        )
        .await;
    assert_eq!(
        (s, i["status"].as_str()),
        (201, Some("investigating")),
        "{i}"
    );
    let (s, _) = sy
        .act(
            &format!("/v1/incidents/{iid}/responses"),
            json!({"text": "a navigation error; withdrawn"}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(
        il.post(
            &format!("/v1/incidents/{iid}/responses"),
            json!({"text": "x"})
        )
        .await
        .0,
        404,
        "IL does not see it"
    );
    let (s, f) = ru
        .post(&format!("/v1/incidents/{iid}/finding"), json!({"outcome": "verified", "reasons": "patrol photographed 14 tanks at the reported place"}))
        .await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["finding"]["outcome"], "verified");
    assert_eq!(f["status"], "verified");

    // Summary: public, counts by category and status, headroom under caps.
    let (s, sum) = us.get("/v1/summary?party=SY").await;
    assert_eq!(s, 200, "{sum}");
    assert_eq!(
        sum["parties"][0]["by_category"]["exclusion_breach"]["verified"],
        1
    );
    // The public summary names the rule broken, not the unit; SY sees its own unit.
    let open = &sum["parties"][0]["open_breaches"][0];
    assert_eq!(open["zone"], "AOS", "{sum}");
    assert!(
        open.get("unit").is_none() && open.get("lon").is_none(),
        "{open}"
    );
    let (_, own) = sy.get("/v1/summary?party=SY").await;
    assert_eq!(
        own["parties"][0]["open_breaches"][0]["unit"], "SY-TB-3",
        "{own}"
    );
    assert!(own["checkpoint"]["size"].as_u64().unwrap() > 0, "{own}");
    let (s, html) = us.get_bytes("/v1/summary.html").await;
    assert_eq!(s, 200);
    assert!(String::from_utf8_lossy(&html).contains("sy-aol10-tanks"));

    // Every principal's ledger export verifies offline.
    eventually("the ledger holds the finding", || async {
        (ru.get("/v1/health").await.1["ledger_size"].as_u64()? >= 10).then_some(Value::Null)
    })
    .await;
    for c in [&il, &sy, &ru, &mp, &us] {
        let (s, export) = c.get_bytes("/v1/ledger/export").await;
        assert_eq!(s, 200);
        let report = verify_export(&server, &export);
        assert!(report.size >= 10, "{}: {report:?}", c.id);
        if c.id == "IL" || c.id == "US" {
            assert!(report.hidden > 0, "{} sees only some bodies", c.id);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_cannot_read_the_other_partys_private_notice_or_incident_by_any_route() {
    let server = start("").await;
    let il = server.login("IL").await;
    let sy = server.login("SY").await;
    let us = server.login("US").await;
    let mut il_stream = il.stream(Some(0)).await;

    let (s, n) = sy
        .act(
            "/v1/notices",
            sy_notice("2025-12-01T06:00:00Z", "2025-12-01T09:00:00Z"),
        )
        .await;
    assert_eq!(s, 201);
    let nid = n["id"].as_str().unwrap().to_owned();
    let (s, i) = sy
        .act("/v1/incidents", json!({"category": "other", "occurred_at": "2025-12-01T01:00:00Z", "description": "zebra-secret sighting", "alleged_party": "SY"}))
        .await;
    assert_eq!(s, 201, "{i}");
    let iid = i["id"].as_str().unwrap().to_owned();
    // Something IL may see, so that its stream has a marker to stop at.
    let (s, mine) = il.act("/v1/incidents", json!({"category": "other", "occurred_at": "2025-12-01T01:00:00Z", "description": "marker"})).await;
    assert_eq!(s, 201, "{mine}");

    for who in [&il, &us] {
        assert_eq!(
            who.get(&format!("/v1/notices/{nid}")).await.0,
            404,
            "{}",
            who.id
        );
        assert_eq!(
            who.get(&format!("/v1/incidents/{iid}")).await.0,
            404,
            "{}",
            who.id
        );
        assert_eq!(
            who.get("/v1/notices").await.1["items"]
                .as_array()
                .unwrap()
                .len(),
            0,
            "{}",
            who.id
        );
        let incidents = who.get("/v1/incidents").await.1;
        assert!(!incidents.to_string().contains(&iid), "{}", who.id);
        for q in ["zebra", "convoy", &nid, &iid] {
            let (s, found) = who.get(&format!("/v1/search?q={q}")).await;
            assert_eq!(s, 200);
            assert_eq!(
                found["items"].as_array().unwrap().len(),
                0,
                "{} found {q}",
                who.id
            );
        }
        let (_, feed) = who.get("/v1/feed").await;
        assert!(
            !feed.to_string().contains("zebra") && !feed.to_string().contains("convoy"),
            "{}",
            who.id
        );
        let (_, export) = who.get_bytes("/v1/ledger/export").await;
        let text = String::from_utf8_lossy(&export);
        assert!(
            !text.contains("zebra") && !text.contains("convoy"),
            "{}: export leaks",
            who.id
        );
        assert_eq!(
            who.post(
                &format!("/v1/notices/{nid}/answer"),
                json!({"answer": "acknowledge"})
            )
            .await
            .0,
            404
        );
    }
    let marker = il_stream
        .until("IL's own incident", |m| m.event == "incident")
        .await;
    assert_eq!(
        marker.data["incident"]["description"], "marker",
        "the first thing IL streams is its own"
    );
    // The observer gets no stream items at all, only the summary.
    assert_eq!(
        us.get("/v1/feed").await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // A party may not report the other side's units.
    let (s, _) = il
        .post_lines(&report(
            "2025-12-01T03:00:00Z",
            "SY-X",
            "SY",
            "tank",
            1,
            36.5,
            33.5,
        ))
        .await;
    assert_eq!(s, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_line_refuses_the_whole_batch_and_changes_nothing() {
    let server = start("").await;
    let mp = server.login("RU-MP").await;
    let before = mp.get("/v1/health").await.1;
    let lines = report("2025-12-01T03:00:00Z", "SY-TB-3", "SY", "tank", 14, AOS_IN.0, AOS_IN.1)
        + "{\"t\":\"2025-12-01T03:01:00Z\",\"unit\":\"X\",\"party\":\"ZZ\",\"category\":\"tank\",\"lon\":1,\"lat\":1}\n";
    let (s, p) = mp.post_lines(&lines).await;
    assert_eq!(s, 422);
    assert!(p["detail"].as_str().unwrap().contains("line 2"), "{p}");
    // Time order and unit identity are checked before anything is applied, too.
    let ok = report(
        "2025-12-01T03:00:00Z",
        "U1",
        "SY",
        "tank",
        1,
        FAR_EAST.0,
        FAR_EAST.1,
    );
    assert_eq!(mp.post_lines(&ok).await.0, 200);
    let bad = report(
        "2025-12-01T04:00:00Z",
        "SY-TB-3",
        "SY",
        "tank",
        14,
        AOS_IN.0,
        AOS_IN.1,
    ) + &report(
        "2025-12-01T04:01:00Z",
        "U1",
        "IL",
        "tank",
        1,
        FAR_EAST.0,
        FAR_EAST.1,
    );
    let (s, p) = mp.post_lines(&bad).await;
    assert_eq!(s, 422, "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("changed party"),
        "{p}"
    );
    let old = report(
        "2025-12-01T02:00:00Z",
        "SY-TB-3",
        "SY",
        "tank",
        14,
        AOS_IN.0,
        AOS_IN.1,
    );
    assert_eq!(mp.post_lines(&old).await.0, 422);
    let after = mp.get("/v1/health").await.1;
    assert_eq!(
        after["feed"], before["feed"],
        "no event from refused batches"
    );
    let (_, sum) = mp.get("/v1/summary?party=SY").await;
    assert_eq!(
        sum["parties"][0]["open_breaches"].as_array().unwrap().len(),
        0
    );
    // Problem details for bad JSON bodies.
    let (s, p) = mp.post("/v1/incidents", json!({"category": "other"})).await;
    assert_eq!(s, 422);
    assert_eq!(p["status"], 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_notice_goes_overdue_and_is_escalated() {
    let server =
        start("[notices]\nanswer_within_min = 30\nlead_time_min = 120\nredact = [\"forces\"]\n")
            .await;
    let sy = server.login("SY").await;
    let il = server.login("IL").await;
    let ru = server.login("RU").await;
    let mut ru_stream = ru.stream(None).await;
    let (_, n) = sy
        .act(
            "/v1/notices",
            sy_notice("2025-12-01T01:00:00Z", "2025-12-01T02:00:00Z"),
        )
        .await;
    assert_eq!(
        n["check"]["lead_time_met"], false,
        "60 minutes given, 120 required: {n}"
    );
    let id = n["id"].as_str().unwrap().to_owned();
    ru.post(&format!("/v1/notices/{id}/relay"), json!({})).await;
    let (_, seen) = il.get(&format!("/v1/notices/{id}")).await;
    assert!(
        seen.get("forces").is_none() && seen.get("check").is_none(),
        "redacted: {seen}"
    );
    assert_eq!(seen["description"], "convoy to the eastern depot");
    assert!(server.state.mech.tick().is_empty());
    server.clock.advance_ms(31 * 60_000);
    assert_eq!(server.state.mech.tick(), vec![id.clone()]);
    // Tokens last fifteen minutes: sign in again after the clock moved.
    let (il, ru) = (server.login("IL").await, server.login("RU").await);
    let esc = ru_stream
        .until("escalation", |m| m.event == "escalation")
        .await;
    assert_eq!(esc.data["notice"], id.as_str());
    assert_eq!(
        ru.get(&format!("/v1/notices/{id}")).await.1["status"],
        "overdue"
    );
    // A late answer is still taken, and marked late.
    let (_, a) = il
        .act(
            &format!("/v1/notices/{id}/answer"),
            json!({"answer": "object", "reason": "too close to our depot"}),
        )
        .await;
    assert_eq!(a["status"], "objected");
    assert_eq!(a["answers"][0]["late"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_resumes_after_the_last_event_id() {
    let server = start("").await;
    let mp = server.login("RU-MP").await;
    let mut first = mp.stream(Some(0)).await;
    for (i, minute) in [0, 1, 2].iter().enumerate() {
        let (lon, lat) = if i % 2 == 0 { AOS_IN } else { FAR_EAST };
        mp.post_lines(&report(
            &format!("2025-12-01T03:0{minute}:00Z"),
            "SY-TB-3",
            "SY",
            "tank",
            14,
            lon,
            lat,
        ))
        .await;
    }
    let a = first.until("first event", |m| m.event == "event").await;
    drop(first);
    let mut again = mp.stream(Some(a.id)).await;
    let b = again.until("next event", |m| m.event == "event").await;
    assert!(b.id > a.id);
    assert_eq!(b.data["kind"], "exclusion_cleared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_get_every_visible_item_in_order_signed_with_the_log_key() {
    use axum::routing::post;
    let server = start("").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, String, String)>();
    let hook_app = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let tx = tx.clone();
            async move {
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                let _ = tx.send((h("truceline-delivery"), h("truceline-signature"), body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hook_app).await });
    let sy = server.login("SY").await;
    let mp = server.login("RU-MP").await;
    let (s, h) = sy.post("/v1/webhooks", json!({"url": url})).await;
    assert_eq!(s, 201, "{h}");
    // A dead endpoint of another principal does not hold this one up.
    assert_eq!(
        mp.post("/v1/webhooks", json!({"url": "http://127.0.0.1:9/dead"}))
            .await
            .0,
        201
    );
    mp.post_lines(
        &(report(
            "2025-12-01T03:00:00Z",
            "SY-TB-3",
            "SY",
            "tank",
            14,
            AOS_IN.0,
            AOS_IN.1,
        ) + &report(
            "2025-12-01T03:05:00Z",
            "SY-TB-3",
            "SY",
            "tank",
            14,
            FAR_EAST.0,
            FAR_EAST.1,
        )),
    )
    .await;
    let mut ids = Vec::new();
    let mut kinds = Vec::new();
    while kinds.len() < 3 {
        let (id, sig, body) = tokio::time::timeout(DEADLINE, rx.recv())
            .await
            .expect("delivery")
            .unwrap();
        let v: Value = serde_json::from_str(&body).unwrap();
        // Check the signature over "<t>.<id>.<body>" with the log key.
        let t = sig.split("t=").nth(1).unwrap().split(',').next().unwrap();
        let sig_b64 = sig.split("sig=").nth(1).unwrap();
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sig_b64)
            .unwrap();
        let msg = format!("{t}.{id}.{body}");
        assert!(server.log_key.verifier().verify(
            msg.as_bytes(),
            &ed25519_dalek::Signature::from_slice(&raw).unwrap()
        ));
        ids.push(id.parse::<u64>().unwrap());
        kinds.push(v["kind"].as_str().unwrap().to_owned());
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    assert!(
        kinds.contains(&"event".to_owned()) && kinds.contains(&"incident".to_owned()),
        "{kinds:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_refuses_wrong_keys_and_spent_nonces() {
    let server = start("").await;
    let (_, b) = raw(
        "POST",
        &format!("{}/v1/auth/challenge", server.base),
        None,
        "application/json",
        br#"{"id":"IL"}"#.to_vec(),
    )
    .await;
    let nonce = serde_json::from_slice::<Value>(&b).unwrap()["nonce"]
        .as_str()
        .unwrap()
        .to_owned();
    // SY's key does not sign in as IL.
    let wrong = truceline_server::auth::sign_challenge(
        server.key("SY"),
        "truceline/golan-illustrative",
        "IL",
        &nonce,
    );
    let body = json!({"id": "IL", "nonce": nonce, "signature": wrong})
        .to_string()
        .into_bytes();
    assert_eq!(
        raw(
            "POST",
            &format!("{}/v1/auth/token", server.base),
            None,
            "application/json",
            body
        )
        .await
        .0,
        401
    );
    // The nonce was spent by the failed try.
    let right = truceline_server::auth::sign_challenge(
        server.key("IL"),
        "truceline/golan-illustrative",
        "IL",
        &nonce,
    );
    let body = json!({"id": "IL", "nonce": nonce, "signature": right})
        .to_string()
        .into_bytes();
    assert_eq!(
        raw(
            "POST",
            &format!("{}/v1/auth/token", server.base),
            None,
            "application/json",
            body
        )
        .await
        .0,
        401
    );
    let (s, p) = raw(
        "GET",
        &format!("{}/v1/notices", server.base),
        Some("nope"),
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(s, 401);
    assert!(
        String::from_utf8_lossy(&p).contains("problem")
            || String::from_utf8_lossy(&p).contains("sign in")
    );
    let (s, o) = raw(
        "GET",
        &format!("{}/openapi.json", server.base),
        None,
        "",
        vec![],
    )
    .await;
    assert_eq!(s, 200);
    assert!(serde_json::from_slice::<Value>(&o).unwrap()["paths"]["/v1/reports"].is_object());
}
