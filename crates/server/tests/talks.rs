//! The talks against the real server on a loopback port: drafts filed (a party's as its
//! own signed act), kept from the other party until the mediator shares them, and then read
//! as the mediator's text; comments part by part; the gap report; signatures, the
//! countersignature and the live switch at its instant, checked against the engine run
//! offline with the same amendment, and the version still in force after a restart.

mod common;

use std::sync::Arc;

use common::{open_at, report, serve_opened, Client, TestServer, AGREEMENT, T0_MS, ZONES};
use serde_json::{json, Value};
use truceline_engine::{Classifier, Engine, Timestamp};
use truceline_server::clock::rfc3339_ms;

const INSIDE_AOS: (f64, f64) = (35.884334, 33.011197);
const OUTSIDE: (f64, f64) = (35.70, 33.05);
const EVERY_ZONE_TOML: &str =
    include_str!("../../../examples/drafts/golan-every-zone/agreement.toml");
const EVERY_ZONE_GEOJSON: &str =
    include_str!("../../../examples/drafts/golan-every-zone/zones.geojson");

/// The example without its area-of-separation rule, as version 2.
fn without_aos_rule() -> String {
    let start = AGREEMENT.find("[[rules]]\nid = \"aos-no-forces\"").unwrap();
    let end = start + AGREEMENT[start..].find("\n\n").unwrap() + 2;
    let text = format!("{}{}", &AGREEMENT[..start], &AGREEMENT[end..]);
    text.replacen("version = 1", "version = 2", 1)
}

fn filing(title: &str, toml: &str, geometry: &str) -> Value {
    json!({"title": title, "note": "our line", "agreement_toml": toml, "geometry": geometry})
}

fn tank(minute: i64, at: (f64, f64)) -> String {
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

/// Rule, kind and reason of each event a monitor was told of in a POST /v1/reports answer.
fn told(answer: &Value) -> Vec<(String, String, String)> {
    answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let e = &e["event"];
            (
                e["rule"].as_str().unwrap_or("").to_owned(),
                e["kind"].as_str().unwrap_or("").to_owned(),
                e["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn post(c: &Client, text: String) -> Value {
    let (s, a) = c.post_lines(&text).await;
    assert_eq!(s, 200, "{a}");
    a
}

async fn ledger_size(server: &TestServer) -> u64 {
    // Entries are durable when a call returns: the size is what the ledger holds.
    server.state.ledger.size()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_are_private_until_shared_then_read_as_the_mediators_text() {
    let server = common::start("").await;
    let (il, sy, ru, us) = (
        server.login("IL").await,
        server.login("SY").await,
        server.login("RU").await,
        server.login("US").await,
    );

    // A bad draft is refused with the file and line, and nothing is recorded.
    let before = ledger_size(&server).await;
    let broken = AGREEMENT.replacen("min_km = 25", "min_km = \"far\"", 1);
    let (s, p) = il
        .post("/v1/drafts", filing("broken", &broken, ZONES))
        .await;
    assert_eq!(s, 422, "{p}");
    assert!(
        p["detail"].as_str().unwrap().starts_with("agreement.toml:"),
        "{p}"
    );
    let other = AGREEMENT.replacen("id = \"golan-illustrative\"", "id = \"elsewhere\"", 1);
    let (s, p) = il.post("/v1/drafts", filing("other", &other, ZONES)).await;
    assert_eq!(s, 422, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("elsewhere"), "{p}");
    let (s, _) = us
        .post(
            "/v1/drafts",
            filing("mine", EVERY_ZONE_TOML, EVERY_ZONE_GEOJSON),
        )
        .await;
    assert_eq!(s, 403, "an observer files nothing");
    assert_eq!(ledger_size(&server).await, before);

    // IL files a draft as its own signed act.
    let (s, d) = il
        .act(
            "/v1/drafts",
            filing("IL: every zone", EVERY_ZONE_TOML, EVERY_ZONE_GEOJSON),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let id = d["id"].as_str().unwrap().to_owned();
    assert_eq!(d["author"], "IL");
    assert_eq!(d["sha256"].as_str().unwrap().len(), 64);
    let (s, again) = il
        .act(
            "/v1/drafts",
            filing("again", EVERY_ZONE_TOML, EVERY_ZONE_GEOJSON),
        )
        .await;
    assert_eq!(s, 409, "the same files twice by one author: {again}");

    // SY does not see it; the mediator does, with its author.
    assert_eq!(ids(&il.get("/v1/drafts").await.1), vec![id.clone()]);
    assert!(ids(&sy.get("/v1/drafts").await.1).is_empty());
    assert_eq!(sy.get(&format!("/v1/drafts/{id}")).await.0, 404);
    assert!(ids(&us.get("/v1/drafts").await.1).is_empty());
    let (_, seen) = ru.get(&format!("/v1/drafts/{id}")).await;
    assert_eq!(seen["author"], "IL");
    let (s, _) = sy
        .act(
            &format!("/v1/drafts/{id}/comments"),
            json!({"on": "draft", "stance": "disputed"}),
        )
        .await;
    assert_eq!(s, 404, "SY comments on nothing it may not see");

    // The mediator shares it with SY: SY reads it as the mediator's text, files included.
    let (s, p) = sy
        .post(&format!("/v1/drafts/{id}/share"), json!({"with": ["SY"]}))
        .await;
    assert_eq!(s, 403, "{p}");
    let (s, p) = ru
        .post(&format!("/v1/drafts/{id}/share"), json!({"with": ["SY"]}))
        .await;
    assert_eq!(s, 200, "{p}");
    let (s, shown) = sy.get(&format!("/v1/drafts/{id}?files=true")).await;
    assert_eq!(s, 200, "{shown}");
    assert_eq!(shown["author"], "RU", "the cloak of deniability");
    assert_eq!(shown["note"], "");
    assert!(shown.get("shared_with").is_none());
    assert_eq!(shown["agreement_toml"], EVERY_ZONE_TOML);

    // Comments part by part: checked against the draft; each party reads its own.
    let (s, p) = sy
        .act(
            &format!("/v1/drafts/{id}/comments"),
            json!({"on": "feature:no-such-zone", "stance": "disputed"}),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    let (s, c) = sy
        .act(
            &format!("/v1/drafts/{id}/comments"),
            json!({"on": "feature:AOS", "stance": "disputed", "reason": "reaches our villages"}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let (s, c) = il
        .act(
            &format!("/v1/drafts/{id}/comments"),
            json!({"on": "rule:il-sy-separation", "stance": "agreed"}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let by = |d: &Value| -> Vec<String> {
        d["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} {} {}",
                    c["by"].as_str().unwrap(),
                    c["on"].as_str().unwrap(),
                    c["stance"].as_str().unwrap()
                )
            })
            .collect()
    };
    let mediator_view = ru.get(&format!("/v1/drafts/{id}")).await.1;
    assert_eq!(
        by(&mediator_view),
        vec!["SY feature:AOS disputed", "IL rule:il-sy-separation agreed"]
    );
    assert_eq!(
        by(&il.get(&format!("/v1/drafts/{id}")).await.1),
        vec!["IL rule:il-sy-separation agreed"]
    );
    assert_eq!(
        by(&sy.get(&format!("/v1/drafts/{id}")).await.1),
        vec!["SY feature:AOS disputed"]
    );

    // The gap between the version in force (filed by the mediator) and IL's draft.
    let (s, base) = ru
        .post("/v1/drafts", filing("in force", AGREEMENT, ZONES))
        .await;
    assert_eq!(s, 201, "{base}");
    let base_sha = base["sha256"].as_str().unwrap().to_owned();
    let base = base["id"].as_str().unwrap().to_owned();

    // A party drafts a change to the version in force from its files.
    let (s, files) = sy.get("/v1/agreement/files").await;
    assert_eq!(s, 200, "{files}");
    assert_eq!(
        files["sha256"], base_sha,
        "the version in force is named by its files' hash"
    );
    let fewer_guns =
        files["agreement_toml"]
            .as_str()
            .unwrap()
            .replacen("max = 162", "max = 150", 1);
    let geometry = files["geometry"].as_str().unwrap();
    let (s, change) = sy
        .act(
            "/v1/drafts",
            filing("SY: fewer guns", &fewer_guns, geometry),
        )
        .await;
    assert_eq!(s, 201, "{change}");
    let change = change["id"].as_str().unwrap().to_owned();
    let (_, gap) = ru.get(&format!("/v1/drafts/{base}/gap/{change}")).await;
    let changed: Vec<&str> = gap["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "changed")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(changed, vec!["sy-aol20-artillery"], "{}", gap["rules"]);
    let (s, gap) = ru.get(&format!("/v1/drafts/{base}/gap/{id}")).await;
    assert_eq!(s, 200, "{gap}");
    let aos = gap["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["id"] == "AOS")
        .unwrap();
    assert_eq!(aos["status"], "changed", "{aos}");
    // ... with its pieces for the map, each area as the report says.
    for piece in ["only_a", "only_b", "both"] {
        let f = gap["geojson"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["zone"] == "AOS" && f["properties"]["piece"] == piece)
            .unwrap_or_else(|| panic!("no {piece} piece of AOS"));
        assert_eq!(f["properties"]["area_km2"], aos[format!("{piece}_km2")]);
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
    }
    assert_eq!(
        sy.get(&format!("/v1/drafts/{base}/gap/{id}")).await.0,
        404,
        "SY may not see the mediator's unshared draft"
    );
    let (s, impact) = ru.get(&format!("/v1/drafts/{base}/impact/{id}")).await;
    assert_eq!(s, 200, "{impact}");
    assert_eq!(impact["reports"], 0);

    // Every change is in the feed as each principal may see it: SY's feed names the draft
    // as the mediator's, never IL.
    let items = server.state.feed.after(0, 10_000);
    let sy_who = truceline_server::access::Principal {
        id: "SY".into(),
        role: truceline_engine::agreement::Role::Party,
    };
    let sy_drafts: Vec<Value> = items
        .iter()
        .filter(|i| &*i.kind == "draft" && i.audience.allows(&sy_who))
        .map(|i| serde_json::from_str(&i.data).unwrap())
        .collect();
    assert!(!sy_drafts.is_empty());
    for item in &sy_drafts {
        let d = &item["draft"];
        if d["id"] != change.as_str() {
            assert_eq!(d["author"], "RU", "{item}");
        }
    }
    // IL's comment is not told to SY, not even as a change it cannot read.
    let told: Vec<&str> = sy_drafts
        .iter()
        .map(|i| i["note"].as_str().unwrap())
        .collect();
    assert_eq!(told, vec!["shared", "commented", "filed"], "{sy_drafts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_countersigned_version_runs_from_its_instant_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_opened(open_at(dir.path(), "", &[])).await;
    let (il, sy, ru, mp, us) = (
        server.login("IL").await,
        server.login("SY").await,
        server.login("RU").await,
        server.login("RU-MP").await,
        server.login("US").await,
    );
    let draft_b = without_aos_rule();

    // The engine offline, with the same amendment: what the server must say.
    let a = truceline_server::policy::load(AGREEMENT, "agreement.toml", ZONES, "zones.geojson")
        .unwrap()
        .0;
    let b = truceline_server::policy::load(&draft_b, "agreement.toml", ZONES, "zones.geojson")
        .unwrap()
        .0;
    let mut offline = Engine::new(Arc::new(a));
    let b_classifier = Arc::new(Classifier::new(Arc::new(b)));
    let offline_events = |engine: &mut Engine, text: &str| -> Vec<(String, String, String)> {
        let report = truceline_engine::parse_report(text.trim().as_bytes()).unwrap();
        let mut events = Vec::new();
        engine.apply_raw(&report, &mut events).unwrap();
        events
            .iter()
            .map(|e| {
                let v = serde_json::to_value(e).unwrap();
                (
                    v["rule"].as_str().unwrap_or("").to_owned(),
                    v["kind"].as_str().unwrap_or("").to_owned(),
                    v["reason"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };

    for (minute, at) in [(0, OUTSIDE), (1, INSIDE_AOS)] {
        let answer = post(&mp, tank(minute, at)).await;
        assert_eq!(
            told(&answer),
            offline_events(&mut offline, &tank(minute, at))
        );
    }

    // The mediator files version 2 and shares it; every party signs, then it countersigns.
    let (s, d) = ru
        .post("/v1/drafts", filing("version 2", &draft_b, ZONES))
        .await;
    assert_eq!(s, 201, "{d}");
    let id = d["id"].as_str().unwrap().to_owned();
    let sha = d["sha256"].as_str().unwrap().to_owned();
    let (s, _) = ru
        .post(
            &format!("/v1/drafts/{id}/share"),
            json!({"with": ["IL", "SY"]}),
        )
        .await;
    assert_eq!(s, 200);
    let countersign = |at: i64| json!({"in_force_at": rfc3339_ms(T0_MS + at * 60_000)});
    let (s, p) = ru
        .post(&format!("/v1/drafts/{id}/countersign"), countersign(5))
        .await;
    assert_eq!(s, 409, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("IL, SY"), "{p}");
    for party in [&il, &sy] {
        let (s, p) = party.act(&format!("/v1/drafts/{id}/sign"), json!({})).await;
        assert_eq!(s, 201, "{p}");
    }
    let (s, p) = il.act(&format!("/v1/drafts/{id}/sign"), json!({})).await;
    assert_eq!(s, 409, "signed twice: {p}");
    let size = server.state.ledger.size();
    let (s, p) = ru
        .post(&format!("/v1/drafts/{id}/countersign"), countersign(1))
        .await;
    assert_eq!(s, 409, "not after the last report: {p}");
    assert_eq!(
        server.state.ledger.size(),
        size,
        "a refusal records nothing"
    );
    let (s, p) = ru
        .post(&format!("/v1/drafts/{id}/countersign"), countersign(5))
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["version"]["in_force_at"], "2025-12-01T00:05:00Z");
    offline
        .schedule_amendment(
            Arc::clone(&b_classifier),
            Timestamp::parse("2025-12-01T00:05:00Z").unwrap(),
        )
        .unwrap();

    // Every view shows one version: the map's features name the rules of the version in
    // force, and the summary is of its rules.
    let names_aos_rule = |v: &Value| v.to_string().contains("\"aos-no-forces\"");
    assert!(names_aos_rule(&mp.get("/v1/console/map").await.1));
    assert!(names_aos_rule(&mp.get("/v1/summary").await.1));

    // Before the instant, version 1 is in force and version 2 is due.
    let (_, agreement) = us.get("/v1/agreement").await;
    assert_ne!(agreement["in_force"]["sha256"], sha.as_str());
    assert_eq!(
        agreement["history"][1]["state"], "due",
        "{}",
        agreement["history"]
    );
    assert!(agreement["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "aos-no-forces"));

    // The first report at or after it: the removed rule's open breach is cleared as the
    // spec says, exactly as the engine offline clears it.
    let answer = post(&mp, tank(6, INSIDE_AOS)).await;
    let live = told(&answer);
    assert_eq!(live, offline_events(&mut offline, &tank(6, INSIDE_AOS)));
    assert!(
        live.iter()
            .any(|(rule, kind, reason)| rule == "aos-no-forces"
                && kind == "exclusion_cleared"
                && reason == "agreement_amended"),
        "{live:?}"
    );
    let in_force = |agreement: &Value| {
        (
            agreement["in_force"]["sha256"].as_str().unwrap().to_owned(),
            agreement["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["id"] == "aos-no-forces"),
        )
    };
    let (_, agreement) = us.get("/v1/agreement").await;
    assert_eq!(in_force(&agreement), (sha.clone(), false));
    assert_eq!(agreement["history"][0]["state"], "superseded");
    assert!(!names_aos_rule(&mp.get("/v1/console/map").await.1));
    let (_, summary) = mp.get("/v1/summary").await;
    assert!(!names_aos_rule(&summary), "{summary}");
    // Public: the version, its signatures, the draft itself.
    let (_, versions) = us.get("/v1/versions").await;
    let signers: Vec<&str> = versions["items"][0]["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["party"].as_str().unwrap())
        .collect();
    assert_eq!(signers, vec!["IL", "SY"]);
    assert_eq!(us.get(&format!("/v1/drafts/{id}")).await.0, 200);

    // A restart: the version is taken again where it stood among the batches. (The old
    // server stops serving; its idle state stays behind in this process, writing nothing.)
    drop((il, sy, ru, mp, us));
    drop(server);
    let server = serve_opened(open_at(dir.path(), "", &[])).await;
    let (mp, us) = (server.login("RU-MP").await, server.login("US").await);
    let (_, agreement) = us.get("/v1/agreement").await;
    assert_eq!(in_force(&agreement), (sha.clone(), false));
    for minute in [7, 8] {
        let at = if minute == 7 { OUTSIDE } else { INSIDE_AOS };
        let answer = post(&mp, tank(minute, at)).await;
        assert_eq!(
            told(&answer),
            offline_events(&mut offline, &tank(minute, at))
        );
    }
}
