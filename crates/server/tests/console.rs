//! The console's server side: the embedded page and the map's read-only routes, with the
//! same access rules as the API. (The console itself is tested in a browser by
//! web/tests/console.test.js.)

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use ed25519_dalek::SigningKey;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use truceline_engine::agreement::Role;
use truceline_ledger::keys::SignerKey;
use truceline_server::access::Principal;
use truceline_server::clock::ManualClock;
use truceline_server::{AppState, Config};

const AGREEMENT: &str = include_str!("../../../examples/golan-illustrative/agreement.toml");
const ZONES: &str = include_str!("../../../examples/golan-illustrative/zones.geojson");

/// The example agreement in process (no socket), with a key for every principal.
struct Console {
    state: Arc<AppState>,
    keys: Vec<(String, SigningKey)>,
    _dir: tempfile::TempDir,
}

impl Console {
    fn new() -> Console {
        let dir = tempfile::tempdir().unwrap();
        let (agreement, policy) =
            truceline_server::policy::load_all(AGREEMENT, "agreement.toml", ZONES, "zones.geojson")
                .unwrap();
        let keys: Vec<(String, SigningKey)> = agreement
            .parties
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), SigningKey::from_bytes(&[i as u8 + 1; 32])))
            .collect();
        let state = AppState::open(Config {
            agreement: Arc::new(agreement),
            policy,
            data_dir: dir.path().to_path_buf(),
            keys: keys
                .iter()
                .map(|(id, k)| {
                    SignerKey::from_signing_key(id, k.clone())
                        .unwrap()
                        .verifier()
                })
                .collect(),
            log_key: SignerKey::from_signing_key(
                "truceline/test",
                SigningKey::from_bytes(&[99; 32]),
            )
            .unwrap(),
            clock: Arc::new(ManualClock::new(1_764_547_200_000)),
            max_subscribers: 16,
            rebuild: false,
            agreement_files: None,
        })
        .unwrap();
        Console {
            state,
            keys,
            _dir: dir,
        }
    }

    fn token(&self, id: &str) -> String {
        let key = &self.keys.iter().find(|(k, _)| k == id).unwrap().1;
        let (nonce, _) = self.state.auth.challenge(id).unwrap();
        let sig = truceline_server::auth::sign_challenge(key, self.state.auth.origin(), id, &nonce);
        self.state.auth.token(id, &nonce, &sig).unwrap().0
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
        let mut req = Request::get(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let res = truceline_server::app(Arc::clone(&self.state))
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status().as_u16();
        (
            status,
            res.into_body().collect().await.unwrap().to_bytes().to_vec(),
        )
    }

    async fn get_json(&self, path: &str, as_id: &str) -> (u16, Value) {
        let (status, body) = self.get(path, Some(&self.token(as_id))).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    async fn report(&self, lines: &str) {
        let monitor = Principal {
            id: "RU-MP".into(),
            role: Role::Monitor,
        };
        truceline_server::api::ingest(&self.state, &monitor, lines.to_owned().into())
            .await
            .unwrap();
    }
}

fn report(t: &str, unit: &str, party: &str, category: &str, lon: f64, lat: f64) -> String {
    format!("{{\"t\":\"{t}\",\"unit\":\"{unit}\",\"party\":\"{party}\",\"category\":\"{category}\",\"count\":10,\"lon\":{lon},\"lat\":{lat}}}\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_is_served_and_map_routes_need_sign_in() {
    let s = Console::new();
    let (status, body) = s.get("/", None).await;
    let text = String::from_utf8_lossy(&body);
    // The committed bundle is embedded; without it `/` says how to build it.
    assert!(
        (status == 200 && text.contains("<div id=\"app\">"))
            || (status == 503 && text.contains("npm run build")),
        "{status} {text}"
    );
    for path in ["/v1/console/map", "/v1/console/units"] {
        let (status, _) = s.get(path, None).await;
        assert_eq!(status, 401, "{path}");
    }
    // The API's routes are all still there.
    assert_eq!(s.get("/v1/health", None).await.0, 200);
    assert_eq!(s.get("/openapi.json", None).await.0, 200);
    assert_eq!(s.get("/no-such", None).await.0, 404);
    assert_eq!(s.get("/assets/no-such.js", None).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_has_every_feature_styled_by_its_rules() {
    let s = Console::new();
    let (status, map) = s.get_json("/v1/console/map", "IL").await;
    assert_eq!(status, 200);
    let features = map["geojson"]["features"].as_array().unwrap();
    assert_eq!(features.len(), s.state.agreement.features.len());
    let aos = features.iter().find(|f| f["id"] == "AOS").unwrap();
    assert_eq!(aos["properties"]["style"], "exclusion");
    assert_eq!(aos["properties"]["shape"], "zone");
    let line = features.iter().find(|f| f["id"] == "line-a").unwrap();
    assert_eq!(line["properties"]["shape"], "line");
    assert_eq!(line["properties"]["style"], "standoff");
    assert!(map["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["kind"] == "separation"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn units_follow_the_access_rules_and_replay_from_history() {
    let s = Console::new();
    s.report(
        &[
            report("2025-12-01T00:00:00Z", "IL-1", "IL", "tank", 35.6, 33.1),
            report("2025-12-01T00:00:00Z", "SY-1", "SY", "tank", 36.0, 33.1),
            report("2025-12-01T01:00:00Z", "SY-1", "SY", "tank", 36.1, 33.2),
        ]
        .concat(),
    )
    .await;
    let units = |v: &serde_json::Value| -> Vec<(String, String, f64)> {
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u[0].as_str().unwrap().to_owned(),
                    u[1].as_str().unwrap().to_owned(),
                    u[4].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let (_, all) = s.get_json("/v1/console/units", "RU").await;
    let mut seen = units(&all);
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(seen.len(), 2);
    assert_eq!(all["engine_time"], "2025-12-01T01:00:00Z");
    let (_, sy) = s.get_json("/v1/console/units", "SY").await;
    let sy = units(&sy);
    assert_eq!(sy.len(), 1, "a party sees its own units only");
    assert_eq!((sy[0].0.as_str(), sy[0].1.as_str()), ("SY-1", "SY"));
    assert!((sy[0].2 - 36.1).abs() < 1e-4, "latest position");
    let (_, us) = s.get_json("/v1/console/units", "US").await;
    assert!(units(&us).is_empty(), "observers see no units");
    let (_, mon) = s.get_json("/v1/console/units", "RU-MP").await;
    assert_eq!(units(&mon).len(), 2);
    // As of 00:30, SY-1 was where it was first reported.
    let (status, then) = s
        .get_json("/v1/console/units?at=2025-12-01T00:30:00Z", "SY")
        .await;
    assert_eq!(status, 200);
    let then = units(&then);
    assert!((then[0].2 - 36.0).abs() < 1e-4, "{then:?}");
    let (status, _) = s.get_json("/v1/console/units?at=yesterday", "RU-MP").await;
    assert_eq!(status, 422);

    // Following changes: `since` the last answer's `seq` gives only the units reported after.
    let seq = all["seq"].as_u64().expect("seq");
    let (_, none) = s
        .get_json(&format!("/v1/console/units?since={seq}"), "RU")
        .await;
    assert!(units(&none).is_empty(), "nothing moved: {none}");
    assert_eq!(none["seq"].as_u64(), Some(seq));
    s.report(&report(
        "2025-12-01T01:05:00Z",
        "IL-1",
        "IL",
        "tank",
        35.7,
        33.1,
    ))
    .await;
    let (_, moved) = s
        .get_json(&format!("/v1/console/units?since={seq}"), "RU")
        .await;
    let moved = units(&moved);
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0].0, "IL-1");
    assert!((moved[0].2 - 35.7).abs() < 1e-4);
    let (_, sy_moved) = s
        .get_json(&format!("/v1/console/units?since={seq}"), "SY")
        .await;
    assert!(units(&sy_moved).is_empty(), "SY does not see IL move");
    let (status, _) = s
        .get_json("/v1/console/units?since=1&at=2025-12-01T00:30:00Z", "RU")
        .await;
    assert_eq!(status, 422);
}
