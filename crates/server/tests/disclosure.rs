//! One disclosure policy, by every route: a separation breach between an IL and a SY unit
//! is walked through every GET route in openapi.json, the live stream and the ledger
//! export, as every principal; neither party may receive the other side's unit id or
//! position. Also: breaches of one rule by the same pair join one incident; open cap
//! breaches and cap totals come from the engine, whichever unit tipped or restored them.

mod common;

use common::*;
use serde_json::{json, Value};

const IL_UNIT: &str = "IL-TK-77";
const SY_UNIT: &str = "SY-TB-77";
// About 1.14 km apart: under the 2 km separation of il-sy-separation.
const IL_AT: (f64, f64) = (36.51234, 33.40123);
const SY_AT: (f64, f64) = (36.52345, 33.40567);
const FAR: (f64, f64) = (36.60000, 33.50000);

fn openapi_get_routes() -> Vec<String> {
    let spec: Value = serde_json::from_str(truceline_server::api::OPENAPI).unwrap();
    spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.get("get").is_some())
        .map(|(p, _)| p.clone())
        .collect()
}

/// Everything `who` can read by every GET route (path parameters filled with `ids`),
/// the live stream up to `marker_kind`, as one text.
async fn everything(c: &Client, ids: &[(&str, String)]) -> String {
    let mut all = String::new();
    for route in openapi_get_routes() {
        if route == "/v1/stream" {
            continue;
        }
        let mut paths = vec![route.clone()];
        for (param, value) in ids {
            let p = format!("{{{param}}}");
            if route.contains(&p) {
                paths = vec![route.replace(&p, value)];
            }
        }
        if route.contains("/v1/search") {
            paths = ["IL", "SY", "TK", "TB", "77", "separation"]
                .iter()
                .map(|q| format!("/v1/search?q={q}"))
                .collect();
        }
        if route.contains("/proof/") {
            paths = vec![format!("{route}?index=1&size=2&old=1&new=2")];
        }
        if route == "/v1/feed" {
            paths = vec!["/v1/feed?after=0&limit=1000".into()];
        }
        for path in paths {
            let (_, body) = c.get_bytes(&path).await;
            all.push_str(&path);
            all.push('\n');
            all.push_str(&String::from_utf8_lossy(&body));
            all.push('\n');
        }
    }
    all
}

fn separation_reports() -> String {
    report(
        "2025-12-01T01:00:00Z",
        IL_UNIT,
        "IL",
        "tank",
        1,
        FAR.0,
        FAR.1,
    ) + &report(
        "2025-12-01T01:01:00Z",
        SY_UNIT,
        "SY",
        "tank",
        1,
        SY_AT.0,
        SY_AT.1,
    ) + &report(
        "2025-12-01T01:02:00Z",
        IL_UNIT,
        "IL",
        "tank",
        1,
        IL_AT.0,
        IL_AT.1,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_never_receives_the_other_sides_unit_by_any_route() {
    let server = start("").await;
    let ru = server.login("RU").await;
    let il = server.login("IL").await;
    let sy = server.login("SY").await;
    let mp = server.login("RU-MP").await;
    let us = server.login("US").await;
    let mut sy_stream = sy.stream(Some(0)).await;
    let mut il_stream = il.stream(Some(0)).await;

    let (s, b) = ru.post_lines(&separation_reports()).await;
    assert_eq!(s, 200, "{b}");
    let incident = eventually("the separation incident", || async {
        let (_, list) = ru.get("/v1/incidents").await;
        list["items"]
            .as_array()?
            .iter()
            .find(|i| i["category"] == "separation")
            .cloned()
    })
    .await;
    let iid = incident["id"].as_str().unwrap().to_owned();
    assert_eq!(incident["engine"]["unit"], IL_UNIT, "{incident}");
    assert_eq!(incident["engine"]["other"], SY_UNIT, "{incident}");

    // What each side sees as it happens.
    let ev = sy_stream
        .until("SY's separation event", |m| m.event == "event")
        .await;
    assert_eq!(
        ev.data["unit"], SY_UNIT,
        "SY sees its own unit: {}",
        ev.data
    );
    assert_eq!(ev.data["other_label"], "a unit of IL", "{}", ev.data);
    assert!(ev.data.get("other").is_none(), "{}", ev.data);
    assert_eq!(
        ev.data["lon"], SY_AT.0,
        "its own unit's position: {}",
        ev.data
    );
    let km = ev.data["distance_km"].as_f64().unwrap();
    assert_eq!(km, (km * 10.0).round() / 10.0, "rounded to 100 m: {km}");
    let ev = il_stream
        .until("IL's separation event", |m| m.event == "event")
        .await;
    assert_eq!(ev.data["unit"], IL_UNIT, "{}", ev.data);
    assert_eq!(ev.data["other_label"], "a unit of SY", "{}", ev.data);

    let ids = [("id", iid.clone()), ("sha256", "0".repeat(64))];
    let mut seen = Vec::new();
    for (c, withheld, own) in [
        (&il, [SY_UNIT, "36.52345", "33.40567"], Some(IL_UNIT)),
        (&sy, [IL_UNIT, "36.51234", "33.40123"], Some(SY_UNIT)),
        (&us, [IL_UNIT, SY_UNIT, "36.5"], None),
    ] {
        let all = everything(c, &ids).await;
        let export =
            String::from_utf8_lossy(&c.get_bytes("/v1/ledger/export").await.1).into_owned();
        for w in withheld {
            assert!(!all.contains(w), "{} receives {w:?}:\n{all}", c.id);
            assert!(!export.contains(w), "{}'s export holds {w:?}", c.id);
        }
        if let Some(own) = own {
            assert!(all.contains(own), "{} sees its own unit {own}", c.id);
            assert!(export.contains(own), "{}'s export shows its own unit", c.id);
        }
        seen.push(all);
    }
    // The mediator and the monitors see both units.
    for c in [&ru, &mp] {
        let all = everything(c, &ids).await;
        assert!(all.contains(IL_UNIT) && all.contains(SY_UNIT), "{}", c.id);
    }
    // One feed item per change for the mediator: no party's copy reaches it as well.
    let (_, feed) = ru.get("/v1/feed?after=0&limit=1000").await;
    let separation_items = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "event" && i["data"]["rule"] == "il-sy-separation")
        .count();
    assert_eq!(separation_items, 1, "{feed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_breaches_by_the_same_pair_join_one_incident() {
    let server = start("[incidents]\njoin_within_h = 24\n").await;
    let ru = server.login("RU").await;
    let mut lines = separation_reports();
    // Apart, together, apart, together again: three breaches, one incident.
    for (minute, at) in [(10, FAR), (20, IL_AT), (30, FAR), (40, IL_AT)] {
        lines += &report(
            &format!("2025-12-01T01:{minute}:00Z"),
            IL_UNIT,
            "IL",
            "tank",
            1,
            at.0,
            at.1,
        );
    }
    let (s, b) = ru.post_lines(&lines).await;
    assert_eq!(s, 200, "{b}");
    let incident = eventually("three breaches joined", || async {
        let (_, list) = ru.get("/v1/incidents").await;
        let items: Vec<Value> = list["items"]
            .as_array()?
            .iter()
            .filter(|i| i["category"] == "separation")
            .cloned()
            .collect();
        assert!(
            items.len() <= 1,
            "one incident, not one per breach: {items:?}"
        );
        items
            .first()
            .filter(|i| i["engine"]["occurrences"] == 3)
            .cloned()
    })
    .await;
    assert_eq!(incident["engine"]["last_breach_at"], "2025-12-01T01:40:00Z");
    assert!(incident["engine"]["cleared_at"].is_null(), "{incident}");

    // A finding closes it; the next breach opens a new incident.
    let iid = incident["id"].as_str().unwrap();
    let (s, _) = ru
        .post(
            &format!("/v1/incidents/{iid}/investigate"),
            json!({"note": "x"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = ru
        .post(
            &format!("/v1/incidents/{iid}/finding"),
            json!({"outcome": "verified", "reasons": "seen"}),
        )
        .await;
    assert_eq!(s, 200);
    let again = report(
        "2025-12-01T02:00:00Z",
        IL_UNIT,
        "IL",
        "tank",
        1,
        FAR.0,
        FAR.1,
    ) + &report(
        "2025-12-01T02:10:00Z",
        IL_UNIT,
        "IL",
        "tank",
        1,
        IL_AT.0,
        IL_AT.1,
    );
    assert_eq!(ru.post_lines(&again).await.0, 200);
    eventually("a new incident after the finding", || async {
        let (_, list) = ru.get("/v1/incidents").await;
        (list["items"]
            .as_array()?
            .iter()
            .filter(|i| i["category"] == "separation")
            .count()
            == 2)
            .then_some(Value::Null)
    })
    .await;
}

/// A point inside feature `id` of the example (searched on a grid).
fn inside(id: &str) -> (f64, f64) {
    let (agreement, _) =
        truceline_server::policy::load_all(AGREEMENT, "agreement.toml", ZONES, "zones.geojson")
            .unwrap();
    let zone = agreement
        .features
        .iter()
        .find(|f| f.id == id)
        .and_then(|f| f.zone())
        .unwrap();
    for i in 0..400 {
        for j in 0..400 {
            let (lon, lat) = (35.5 + f64::from(i) * 0.0025, 32.6 + f64::from(j) * 0.0025);
            if zone.contains(lon, lat) {
                return (lon, lat);
            }
        }
    }
    panic!("no point inside {id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cap_tipped_by_one_unit_and_restored_by_another_is_closed() {
    let server = start("").await;
    let ru = server.login("RU").await;
    let il = server.login("IL").await;
    let (lon, lat) = inside("AOL10-IL");
    // 50 + 30 tanks: over the cap of 75, tipped by B; A leaves: restored by A.
    let lines = report("2025-12-01T01:00:00Z", "IL-A", "IL", "tank", 50, lon, lat)
        + &report("2025-12-01T01:01:00Z", "IL-B", "IL", "tank", 30, lon, lat)
        + &report(
            "2025-12-01T01:02:00Z",
            "IL-A",
            "IL",
            "tank",
            50,
            FAR.0,
            FAR.1,
        );
    let (s, b) = ru.post_lines(&lines).await;
    assert_eq!(s, 200, "{b}");
    let kinds: Vec<&str> = b["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"]["rule"] == "il-aol10-tanks")
        .map(|e| e["event"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["cap_exceeded", "cap_restored"], "{b}");
    let (_, sum) = il.get("/v1/summary?party=IL").await;
    let open: Vec<&Value> = sum["parties"][0]["open_breaches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule"] == "il-aol10-tanks")
        .collect();
    assert!(open.is_empty(), "the cap is restored: {sum}");
    let cap = sum["parties"][0]["caps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "il-aol10-tanks")
        .unwrap()
        .clone();
    assert_eq!(
        (cap["present"].as_u64(), cap["headroom"].as_i64()),
        (Some(30), Some(45))
    );
    let incident = eventually("the cap incident, cleared", || async {
        let (_, list) = ru.get("/v1/incidents").await;
        list["items"]
            .as_array()?
            .iter()
            .find(|i| {
                i["engine"]["rule"] == "il-aol10-tanks" && !i["engine"]["cleared_at"].is_null()
            })
            .cloned()
    })
    .await;
    assert_eq!(incident["engine"]["occurrences"], 1);
    // A rule outside its window says so, with no headroom.
    let (_, sum) = ru.get("/v1/summary").await;
    let buffer = sum["parties"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["caps"].as_array().unwrap())
        .find(|c| c["rule"] == "buffer-phase1-cap")
        .unwrap()
        .clone();
    assert_eq!(buffer["in_force"], false, "{buffer}");
    assert!(buffer.get("headroom").is_none(), "{buffer}");
    assert_eq!(
        sum["from"], "2025-12-01T01:00:00Z",
        "the period starts at the first report"
    );
    let (_, html) = ru.get_bytes("/v1/summary.html").await;
    assert!(String::from_utf8_lossy(&html).contains("not in force"));
}
