//! A party's own acts are entries signed by its own key (spec/ledger.md): the server
//! prepares the envelope, the party signs it, the server checks the signature against the
//! party's registered key and records the party's entry. Forged, borrowed, tampered and
//! replayed envelopes are refused with problem details and change nothing.

mod common;

use common::*;
use serde_json::{json, Value};

fn notice() -> Value {
    json!({
        "kind": "movement",
        "place": {"area": {"ring": [[36.40, 33.40], [36.45, 33.40], [36.45, 33.45], [36.40, 33.45], [36.40, 33.40]]}},
        "from": "2025-12-01T06:00:00Z", "until": "2025-12-01T09:00:00Z",
        "forces": [{"category": "tank", "count": 12}],
        "description": "convoy to the eastern depot"
    })
}

/// What must not change when an act is refused.
async fn state_of(c: &Client) -> (Value, Value, Value) {
    let health = c.get("/v1/health").await.1;
    (
        health["ledger_size"].clone(),
        health["feed"].clone(),
        c.get("/v1/notices").await.1,
    )
}

async fn post_problem(c: &Client, bytes: &[u8]) -> (u16, Value, String) {
    let (s, b) = raw(
        "POST",
        &format!("{}/v1/acts", c.base),
        Some(&c.token),
        "application/json",
        bytes.to_vec(),
    )
    .await;
    let _ = &b;
    let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
    (s, v.clone(), v["detail"].as_str().unwrap_or("").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partys_notice_is_its_own_signed_entry_and_forgeries_change_nothing() {
    let server = start("").await;
    let sy = server.login("SY").await;
    let il = server.login("IL").await;
    let ru = server.login("RU").await;

    // Without a signature a party's act is not recorded: 428 with the envelope to sign.
    let before = state_of(&sy).await;
    let (s, p) = sy.post("/v1/notices", notice()).await;
    assert_eq!(s, 428, "{p}");
    assert_eq!(p["status"], 428);
    assert_eq!(p["envelope"]["author"], "SY");
    assert_eq!(state_of(&sy).await, before, "a 428 changes nothing");

    // Prepared explicitly: the envelope names SY, its kind and audience, and seq 1.
    let (s, prepared) = sy
        .post(
            "/v1/acts/prepare",
            json!({"kind": "notice/submitted", "body": notice()}),
        )
        .await;
    assert_eq!(s, 200, "{prepared}");
    let env = &prepared["envelope"];
    assert_eq!(env["author"], "SY");
    assert_eq!(env["kind"], "notice/submitted");
    assert_eq!(env["audience"], json!(["SY"]));
    assert_eq!(env["seq"], 1);
    assert!(prepared["signing_input"].is_string());
    // A bad act is refused at prepare, as its route would refuse it.
    let mut bad = notice();
    bad["until"] = json!("2025-12-01T05:00:00Z");
    let (s, p) = sy
        .post(
            "/v1/acts/prepare",
            json!({"kind": "notice/submitted", "body": bad}),
        )
        .await;
    assert_eq!(s, 422, "{p}");

    // Signed with IL's key: refused.
    let forged = sign_with("SY", server.key("IL"), &prepared);
    let (s, p, detail) = post_problem(&sy, &forged).await;
    assert_eq!(s, 403, "{p}");
    assert_eq!(p["title"], "not allowed");
    assert!(detail.contains("does not verify"), "{detail}");
    // SY's genuine envelope posted by IL: refused (the author is not the caller).
    let genuine = sy.sign(&prepared);
    let (s, p, _) = post_problem(&il, &genuine).await;
    assert_eq!(s, 403, "{p}");
    // IL signs an envelope naming SY as author with its own key, and posts it: refused.
    let (s, p, _) = post_problem(&il, &forged).await;
    assert_eq!(s, 403, "{p}");
    // Tampered after signing: the count changed.
    let mut tampered: Value = serde_json::from_slice(&genuine).unwrap();
    tampered["body"]["forces"][0]["count"] = json!(2);
    let (s, p, _) = post_problem(&sy, tampered.to_string().as_bytes()).await;
    assert_eq!(s, 403, "{p}");
    // Signed properly but for a wider audience than the act's: refused.
    let mut wide = prepared.clone();
    wide["envelope"]["audience"] = json!(["IL", "SY"]);
    let (s, p, detail) = post_problem(&sy, &sy.sign(&wide)).await;
    assert_eq!(s, 422, "{p}");
    assert!(detail.contains("audience"), "{detail}");
    // Not an envelope at all.
    let (s, p, _) = post_problem(&sy, b"{\"seq\":1}").await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(
        state_of(&sy).await,
        before,
        "refused envelopes change nothing"
    );

    // The genuine one is recorded as SY's entry, with a receipt.
    let (s, r) = sy.post_envelope(&genuine).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["kind"], "notice/submitted");
    let index = r["index"].as_u64().unwrap();
    let nid = r["result"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r["result"]["party"], "SY");
    assert_eq!(r["result"]["ledger"][0], index);
    let receipt: truceline_ledger::receipt::Receipt =
        serde_json::from_value(r["receipt"].clone()).unwrap();
    assert_eq!(receipt.index, index);
    // Replayed: refused (seq), nothing changes.
    let after = state_of(&sy).await;
    let (s, p, detail) = post_problem(&sy, &genuine).await;
    assert_eq!(s, 409, "{p}");
    assert!(detail.contains("seq"), "{detail}");
    assert_eq!(state_of(&sy).await, after);
    assert_eq!(
        sy.get("/v1/notices").await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The mediator relays; IL acknowledges with its own signed entry.
    let (s, _) = ru
        .post(&format!("/v1/notices/{nid}/relay"), json!({}))
        .await;
    assert_eq!(s, 200);
    let (s, prepared) = il
        .post(
            "/v1/acts/prepare",
            json!({"kind": "notice/answered", "body": {"notice": nid, "answer": "acknowledge"}}),
        )
        .await;
    assert_eq!(s, 200, "{prepared}");
    assert_eq!(prepared["envelope"]["audience"], json!(["IL", "SY"]));
    let (s, r) = il.post_envelope(&il.sign(&prepared)).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["result"]["status"], "acknowledged");
    let ack_index = r["index"].as_u64().unwrap();

    // SY's export verifies offline and shows its notice under its own key, with the
    // receipt it was given; IL's acknowledgement is visible to SY too.
    eventually("the ledger holds the acknowledgement", || async {
        (sy.get("/v1/health").await.1["ledger_size"].as_u64()? > ack_index).then_some(Value::Null)
    })
    .await;
    let (s, export) = sy.get_bytes("/v1/ledger/export").await;
    assert_eq!(s, 200);
    let report = verify_with(&server, &export, "SY", vec![receipt]);
    assert!(report.receipts >= 1, "{report:?}");
    let entries = export_entries(&export);
    let own = &entries[&index];
    assert_eq!(own["author"], "SY");
    assert_eq!(own["kind"], "notice/submitted");
    assert_eq!(own["body"]["description"], "convoy to the eastern depot");
    let ack = &entries[&ack_index];
    assert_eq!(
        (ack["author"].as_str(), ack["kind"].as_str()),
        (Some("IL"), Some("notice/answered"))
    );
    // The signature is SY's: it verifies under SY's key and not under the log key.
    let entry =
        truceline_ledger::envelope::Entry::parse(&truceline_ledger::jcs::to_vec(own)).unwrap();
    let sy_key =
        truceline_ledger::keys::SignerKey::from_signing_key("SY", server.key("SY").clone())
            .unwrap()
            .verifier();
    entry.verify(&sy_key).unwrap();
    assert!(entry
        .verify(&server.log_key.verifier().renamed("SY").unwrap())
        .is_err());
    // IL's export shows SY's unrelayed notice entry only as a leaf hash.
    let (_, il_export) = il.get_bytes("/v1/ledger/export").await;
    verify_with(&server, &il_export, "IL", vec![]);
    assert!(!export_entries(&il_export).contains_key(&index));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_reports_responses_and_investigations_are_signed_by_their_authors() {
    let server = start("").await;
    let il = server.login("IL").await;
    let sy = server.login("SY").await;
    let mp = server.login("RU-MP").await;
    let ru = server.login("RU").await;

    let (s, r) = il
        .act(
            "/v1/incidents",
            json!({"category": "fire_across_line", "occurred_at": "2025-12-01T01:00:00Z", "alleged_party": "SY", "description": "mortar rounds"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let iid = r["id"].as_str().unwrap().to_owned();
    // IL's own signed report is the record of the incident, and its index is the id.
    let ledger = r["ledger"].as_array().unwrap();
    assert_eq!(ledger.len(), 1, "IL's report alone: {r}");
    assert_eq!(iid, format!("I-{:06}", ledger[0].as_u64().unwrap()), "{r}");
    let (s, r) = mp
        .act(
            &format!("/v1/incidents/{iid}/investigate"),
            json!({"note": "team sent"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (s, r) = sy
        .act(
            &format!("/v1/incidents/{iid}/responses"),
            json!({"text": "counter-battery only"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    // The mediator's own acts are signed by the log key: it has no /v1/acts.
    let (s, p) = ru
        .post(
            "/v1/acts/prepare",
            json!({"kind": "incident/response", "body": {"incident": iid, "text": "x"}}),
        )
        .await;
    assert_eq!(s, 403, "{p}");
    // An observer acts on nothing.
    let us = server.login("US").await;
    let (s, p) = us
        .post(
            "/v1/acts/prepare",
            json!({"kind": "incident/reported", "body": {"category": "other", "occurred_at": "2025-12-01T01:00:00Z"}}),
        )
        .await;
    assert_eq!(s, 403, "{p}");

    let (_, export) = ru.get_bytes("/v1/ledger/export").await;
    verify_export(&server, &export);
    let authored: Vec<(String, String)> = export_entries(&export)
        .values()
        .map(|e| {
            (
                e["author"].as_str().unwrap().to_owned(),
                e["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (who, kind) in [
        ("IL", "incident/reported"),
        ("RU-MP", "incident/investigating"),
        ("SY", "incident/response"),
    ] {
        assert!(
            authored.contains(&(who.to_owned(), kind.to_owned())),
            "{who} {kind} in {authored:?}"
        );
    }
    // The mediator writes no second record of a party's report: its entry is the record.
    assert!(
        !authored.contains(&("RU".to_owned(), "incident/opened".to_owned())),
        "{authored:?}"
    );
}

fn export_entries(export: &[u8]) -> std::collections::BTreeMap<u64, Value> {
    String::from_utf8_lossy(export)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("entry").is_some())
        .map(|v| (v["index"].as_u64().unwrap(), v["entry"].clone()))
        .collect()
}

fn verify_with(
    server: &TestServer,
    export: &[u8],
    party: &str,
    receipts: Vec<truceline_ledger::receipt::Receipt>,
) -> truceline_ledger::export::Report {
    let trust = trust(server);
    let outside = truceline_ledger::export::Outside {
        checkpoints: Vec::new(),
        receipts,
        party: Some(party.to_owned()),
    };
    truceline_ledger::export::verify_export(&mut std::io::BufReader::new(export), &trust, &outside)
        .unwrap_or_else(|e| panic!("{party}'s export: {e}"))
}
