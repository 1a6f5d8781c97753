//! SIGKILL at random instants while clients post report batches, notices and incidents,
//! on the real `truceline serve` and a loopback port. After every restart:
//! - no acknowledged item is lost (every notice, incident and batch answered 2xx is there);
//! - every act in the ledger has its record in the API;
//! - no id names two things, across every run;
//! - every principal's export verifies offline with the keyring the server publishes;
//! - the engine's state is the ledger's batches replayed: each unit where the last batch
//!   the ledger holds put it, and a breach open for exactly the units whose last report is
//!   in the area of separation.
//!
//! Then `serve --rebuild` drops the projections and rebuilds them from the ledger alone,
//! and every principal's answers are the same as before.
//!
//! The kill instants come from a seeded generator (`TRUCELINE_CRASH_SEED` to replay one);
//! the server is killed after a random number of acknowledged operations, while the
//! clients have more in flight. Waits are on conditions with deadlines; nothing sleeps.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::{export_entries, now_ms, report, rfc3339, verify, Client, Server, PRINCIPALS};

const KILLS: usize = 20;

/// What the clients were told was done, by id: who and what, to tell two things apart.
#[derive(Default, Clone)]
struct Acknowledged {
    notices: BTreeMap<String, String>,
    incidents: BTreeMap<String, String>,
    /// Draft id -> title.
    drafts: BTreeMap<String, String>,
    patrols: BTreeMap<String, String>,
    batches: Vec<u64>,
    /// Every batch body posted, acknowledged or not, by its hex SHA-256: a batch in flight
    /// at the kill may be in the ledger all the same.
    posted: BTreeMap<String, String>,
}

struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// The load: three clients, each acting until its request fails (the server died).
async fn load(
    server_base: String,
    acked: Arc<Mutex<Acknowledged>>,
    count: Arc<AtomicU64>,
    progress: Arc<tokio::sync::Notify>,
    clock: Arc<AtomicU64>,
    round: usize,
) {
    let Ok(il) = Client::login(&server_base, "IL").await else {
        return;
    };
    let Ok(sy) = Client::login(&server_base, "SY").await else {
        return;
    };
    let Ok(mp) = Client::login(&server_base, "RU-MP").await else {
        return;
    };
    let Ok(ru) = Client::login(&server_base, "RU").await else {
        return;
    };
    let done = || {
        count.fetch_add(1, Ordering::SeqCst);
        progress.notify_waiters();
    };
    let reporter = async {
        let mut n = 0u64;
        loop {
            n += 1;
            // Time only moves forward, across restarts too (one second per report).
            let t0 = clock.fetch_add(4, Ordering::SeqCst);
            let mut lines = String::new();
            for k in 0..4u64 {
                // IL-TK-1 goes in and out of the area of separation: breaches, clearings.
                let (lon, lat) = if (n + k).is_multiple_of(3) {
                    INSIDE
                } else {
                    (35.70, 33.05)
                };
                lines += &report(
                    &rfc3339((t0 + k) as i64 * 1000),
                    &format!("IL-TK-{}", 1 + k % 2),
                    "IL",
                    3,
                    lon,
                    lat,
                );
            }
            acked
                .lock()
                .unwrap()
                .posted
                .insert(hex::encode(Sha256::digest(lines.as_bytes())), lines.clone());
            match il.post_lines(&lines).await {
                Ok((200, b)) => {
                    acked
                        .lock()
                        .unwrap()
                        .batches
                        .push(b["ledger_index"].as_u64().unwrap());
                    done();
                }
                Ok((s, b)) => panic!("a report batch was refused: {s} {b}"),
                Err(_) => return,
            }
        }
    };
    let notifier = async {
        let mut n = 0u64;
        loop {
            n += 1;
            let from = now_ms() + 3 * 3_600_000;
            let description = format!("round {round} notice {n}");
            let body = json!({
                "kind": "movement",
                "place": {"area": {"ring": [[36.40, 33.20], [36.45, 33.20], [36.45, 33.25], [36.40, 33.25], [36.40, 33.20]]}},
                "from": rfc3339(from), "until": rfc3339(from + 3_600_000),
                "forces": [{"category": "personnel", "count": 40}],
                "description": description,
            });
            match sy.act("/v1/notices", &body).await {
                Ok((201, r)) => {
                    let id = r["id"].as_str().unwrap().to_owned();
                    let old = acked
                        .lock()
                        .unwrap()
                        .notices
                        .insert(id.clone(), description);
                    assert!(old.is_none(), "notice id {id} was given twice");
                    done();
                }
                Ok((s, b)) => panic!("a notice was refused: {s} {b}"),
                Err(_) => return,
            }
        }
    };
    let incidents = async {
        let mut n = 0u64;
        loop {
            n += 1;
            let description = format!("round {round} sighting {n}");
            let body = json!({"category": "other", "occurred_at": rfc3339(now_ms() - 60_000), "alleged_party": "SY", "description": description});
            match mp.act("/v1/incidents", &body).await {
                Ok((201, r)) => {
                    let id = r["id"].as_str().unwrap().to_owned();
                    let old = acked
                        .lock()
                        .unwrap()
                        .incidents
                        .insert(id.clone(), description);
                    assert!(old.is_none(), "incident id {id} was given twice");
                    done();
                }
                Ok((s, b)) => panic!("an incident was refused: {s} {b}"),
                Err(_) => return,
            }
        }
    };
    // IL files drafts of the agreement, each its own signed act (each title makes other
    // files, so that no two are the same draft).
    let drafter = async {
        let mut n = 0u64;
        loop {
            n += 1;
            let title = format!("round {round} draft {n}");
            let toml = EXAMPLE_AGREEMENT.replacen(
                "title = \"Illustrative southern Syria security arrangement\"",
                &format!("title = \"{title}\""),
                1,
            );
            let body = json!({"title": title, "agreement_toml": toml, "geometry": EXAMPLE_ZONES});
            match il.act("/v1/drafts", &body).await {
                Ok((201, r)) => {
                    let id = r["id"].as_str().unwrap().to_owned();
                    let old = acked.lock().unwrap().drafts.insert(id.clone(), title);
                    assert!(old.is_none(), "draft id {id} was given twice");
                    done();
                }
                Ok((s, b)) => panic!("a draft was refused: {s} {b}"),
                Err(_) => return,
            }
        }
    };
    // The mediator tasks patrols of the force (the monitor's own acts are its incident
    // reports above: one author's acts are sequenced), two hours ahead (the agreement's
    // notice is an hour).
    let tasker = async {
        let mut n = 0u64;
        loop {
            n += 1;
            let purpose = format!("round {round} patrol {n}");
            let from = now_ms() + 2 * 3_600_000;
            let body = json!({"unit": format!("RU-MP-PAT-{n}"), "line": "line-a",
                "from": rfc3339(from), "until": rfc3339(from + 3_600_000), "purpose": purpose});
            match ru.act("/v1/patrols", &body).await {
                Ok((201, r)) => {
                    let id = r["id"].as_str().unwrap().to_owned();
                    let old = acked.lock().unwrap().patrols.insert(id.clone(), purpose);
                    assert!(old.is_none(), "patrol id {id} was given twice");
                    done();
                }
                Ok((s, b)) => panic!("a patrol was refused: {s} {b}"),
                Err(_) => return,
            }
        }
    };
    tokio::join!(reporter, notifier, incidents, drafter, tasker);
}

const EXAMPLE_AGREEMENT: &str = include_str!("../../../examples/golan-illustrative/agreement.toml");
const EXAMPLE_ZONES: &str = include_str!("../../../examples/golan-illustrative/zones.geojson");

/// The checks after a restart; answers every principal's notices and incidents.
async fn check(server: &Server, acked: &Acknowledged, named: &mut BTreeMap<String, String>) {
    let ru = server.login("RU").await;
    let (s, notices) = ru.get("/v1/notices").await.unwrap();
    assert_eq!(s, 200);
    let (s, incidents) = ru.get("/v1/incidents").await.unwrap();
    assert_eq!(s, 200);
    let by_id = |v: &Value| -> BTreeMap<String, Value> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["id"].as_str().unwrap().to_owned(), i.clone()))
            .collect()
    };
    let notices = by_id(&notices);
    let incidents = by_id(&incidents);
    let (s, drafts) = ru.get("/v1/drafts").await.unwrap();
    assert_eq!(s, 200);
    let drafts = by_id(&drafts);
    for (id, title) in &acked.drafts {
        let d = drafts
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged draft {id} is lost"));
        assert_eq!(d["title"], title.as_str(), "{id}");
    }
    let (s, patrols) = ru.get("/v1/patrols").await.unwrap();
    assert_eq!(s, 200);
    let patrols = by_id(&patrols);
    for (id, purpose) in &acked.patrols {
        let p = patrols
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged patrol {id} is lost"));
        assert_eq!(p["purpose"], purpose.as_str(), "{id}");
    }
    for (id, description) in &acked.notices {
        let n = notices
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged notice {id} is lost"));
        assert_eq!(n["description"], description.as_str(), "{id}");
        assert!(n["check"].is_object(), "{id} has its check: {n}");
    }
    for (id, description) in &acked.incidents {
        let i = incidents
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged incident {id} is lost"));
        assert_eq!(i["description"], description.as_str(), "{id}");
    }
    // No id names two things, whatever run gave it.
    for (id, thing) in notices.iter().chain(incidents.iter()) {
        let what = format!(
            "{} {} {}",
            thing["party"]
                .as_str()
                .or(thing["reporter"].as_str())
                .unwrap_or(""),
            thing["description"].as_str().unwrap_or(""),
            thing["occurred_at"]
                .as_str()
                .or(thing["from"].as_str())
                .unwrap_or("")
        );
        if let Some(before) = named.insert(id.clone(), what.clone()) {
            assert_eq!(before, what, "{id} names two things");
        }
    }
    // Every act in the ledger has its record in the API, and every acknowledged batch is
    // in the ledger.
    let (s, export) = ru.get_bytes("/v1/ledger/export").await.unwrap();
    assert_eq!(s, 200);
    let entries = export_entries(&export);
    for (index, e) in &entries {
        match e["kind"].as_str().unwrap() {
            "notice/submitted" => assert!(
                notices.contains_key(&format!("N-{index:06}")),
                "entry {index} (notice/submitted) has no notice in the API"
            ),
            "patrol/tasked" => assert!(
                patrols.contains_key(&format!("P-{index:06}")),
                "entry {index} (patrol/tasked) has no patrol in the API"
            ),
            "draft/filed" => assert!(
                drafts.contains_key(&format!("D-{index:06}")),
                "entry {index} (draft/filed) has no draft in the API"
            ),
            "incident/reported" | "incident/opened" => assert!(
                incidents.contains_key(&format!("I-{index:06}")),
                "entry {index} ({}) has no incident in the API",
                e["kind"]
            ),
            _ => {}
        }
    }
    for index in &acked.batches {
        assert_eq!(
            entries.get(index).map(|e| e["kind"].clone()),
            Some(json!("reports/batch")),
            "acknowledged batch at {index}"
        );
    }
    engine_state_is_the_ledgers(&ru, &entries, acked).await;
    verify(server, &export, None).unwrap_or_else(|e| panic!("the mediator's export: {e}"));
    for id in PRINCIPALS.iter().filter(|p| **p != "RU") {
        let c = server.login(id).await;
        let (s, export) = c.get_bytes("/v1/ledger/export").await.unwrap();
        assert_eq!(s, 200);
        verify(server, &export, Some(id)).unwrap_or_else(|e| panic!("{id}'s export: {e}"));
    }
}

/// Where the reporter's inside point is: in the area of separation (rule `aos-no-forces`).
const INSIDE: (f64, f64) = (35.884334, 33.011197);

/// The engine after a restart holds what the ledger's batches, in ledger order, give: the
/// map's units at their last positions, and the open breaches those positions imply.
async fn engine_state_is_the_ledgers(
    ru: &Client,
    entries: &BTreeMap<u64, Value>,
    acked: &Acknowledged,
) {
    // Unit -> (t, lon, lat) of its last report in the ledger.
    let mut last: BTreeMap<String, (String, f64, f64)> = BTreeMap::new();
    for (index, e) in entries {
        if e["kind"] != "reports/batch" {
            continue;
        }
        let sha = e["body"]["sha256"].as_str().unwrap();
        let body = acked
            .posted
            .get(sha)
            .unwrap_or_else(|| panic!("entry {index} names a batch nobody posted"));
        for line in body.lines() {
            let r: Value = serde_json::from_str(line).unwrap();
            last.insert(
                r["unit"].as_str().unwrap().to_owned(),
                (
                    r["t"].as_str().unwrap().to_owned(),
                    r["lon"].as_f64().unwrap(),
                    r["lat"].as_f64().unwrap(),
                ),
            );
        }
    }
    let (s, units) = ru.get("/v1/console/units").await.unwrap();
    assert_eq!(s, 200, "{units}");
    let shown: BTreeMap<String, (String, f64, f64)> = units["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u[0].as_str().unwrap().to_owned(),
                (
                    u[6].as_str().unwrap().to_owned(),
                    u[4].as_f64().unwrap(),
                    u[5].as_f64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(
        shown.keys().collect::<Vec<_>>(),
        last.keys().collect::<Vec<_>>(),
        "the units after a restart"
    );
    for (unit, (t, lon, lat)) in &last {
        let (st, slon, slat) = &shown[unit];
        // The map keeps positions as f32.
        assert!(
            st == t && (slon - lon).abs() < 1e-5 && (slat - lat).abs() < 1e-5,
            "{unit}: shown at {st} ({slon}, {slat}), the ledger's last report is {t} ({lon}, {lat})"
        );
    }
    let (s, summary) = ru.get("/v1/summary").await.unwrap();
    assert_eq!(s, 200, "{summary}");
    let open: std::collections::BTreeSet<String> = summary["parties"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["open_breaches"].as_array().unwrap().clone())
        .filter(|b| b["rule"] == "aos-no-forces")
        .map(|b| b["unit"].as_str().unwrap().to_owned())
        .collect();
    let inside: std::collections::BTreeSet<String> = last
        .iter()
        .filter(|(_, (_, lon, lat))| (*lon, *lat) == INSIDE)
        .map(|(u, _)| u.clone())
        .collect();
    assert_eq!(
        open, inside,
        "open breaches of aos-no-forces after a restart"
    );
}

/// What every principal is told of notices, incidents and drafts.
async fn answers(server: &Server) -> Vec<(String, Value, Value)> {
    let mut out = Vec::new();
    for id in PRINCIPALS {
        let c = server.login(id).await;
        let (_, n) = c.get("/v1/notices").await.unwrap();
        let (_, i) = c.get("/v1/incidents").await.unwrap();
        let (_, d) = c.get("/v1/drafts").await.unwrap();
        out.push((id.to_owned(), n, json!({"incidents": i, "drafts": d})));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_load_loses_nothing_acknowledged_and_rebuild_answers_the_same() {
    let seed = std::env::var("TRUCELINE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7275_6365_u64);
    eprintln!("crash test seed {seed} (TRUCELINE_CRASH_SEED replays it)");
    let mut rng = Lcg(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    support::write_keyring(&data);
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let mut named = BTreeMap::new();
    // Report time, in seconds, from 2025-12-01T00:00:00Z.
    let clock = Arc::new(AtomicU64::new(1_764_547_200));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    for round in 0..KILLS {
        let t = std::time::Instant::now();
        let server = Server::start(&data, &[]);
        let started = t.elapsed();
        let seen = acked.lock().unwrap().clone();
        check(&server, &seen, &mut named).await;
        eprintln!(
            "round {round}: started in {started:?}, checked at {:?}",
            t.elapsed()
        );
        let count = Arc::new(AtomicU64::new(0));
        let progress = Arc::new(tokio::sync::Notify::new());
        let load = tokio::spawn(load(
            server.base.clone(),
            Arc::clone(&acked),
            Arc::clone(&count),
            Arc::clone(&progress),
            Arc::clone(&clock),
            round,
        ));
        // Kill after a random number of acknowledged operations, with more in flight.
        let target = 2 + rng.below(12);
        // The first round runs until a draft (the slowest act: its files are validated
        // twice, for the envelope and for the act) is in too, so that the load does some
        // of everything whatever the seed.
        let unmet = || {
            count.load(Ordering::SeqCst) < target
                || (round == 0 && acked.lock().unwrap().drafts.is_empty())
        };
        while unmet() {
            let notified = progress.notified();
            if !unmet() {
                break;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("round {round}: the load made no progress before the deadline");
            }
        }
        eprintln!("round {round}: killing at {:?}", t.elapsed());
        server.kill();
        tokio::time::timeout_at(deadline, load)
            .await
            .expect("the clients stop once the server is gone")
            .expect("no client panicked");
    }
    let server = Server::start(&data, &[]);
    let seen = acked.lock().unwrap().clone();
    check(&server, &seen, &mut named).await;
    let acked_now = acked.lock().unwrap().clone();
    assert!(
        acked_now.notices.len() >= KILLS / 2
            && !acked_now.incidents.is_empty()
            && !acked_now.drafts.is_empty(),
        "the load did some of everything: {} notices, {} incidents, {} drafts, {} batches",
        acked_now.notices.len(),
        acked_now.incidents.len(),
        acked_now.drafts.len(),
        acked_now.batches.len()
    );
    drop(acked_now);
    let live = answers(&server).await;
    server.kill();
    let rebuilt = Server::start(&data, &["--rebuild"]);
    let after = answers(&rebuilt).await;
    for ((id, n0, i0), (_, n1, i1)) in live.iter().zip(&after) {
        assert_eq!(n0, n1, "{id}'s notices after --rebuild");
        assert_eq!(i0, i1, "{id}'s incidents after --rebuild");
    }
    let seen = acked.lock().unwrap().clone();
    check(&rebuilt, &seen, &mut named).await;
}
