//! Patrols on the real server: tasked by the mediator with the agreement's notice,
//! announced to the parties, followed from the force's reports (on route, off route,
//! coverage so far), reported by the force with the server's figures signed in, flagged
//! overdue when the report is late, and all of it the same after a restart.

mod common;

use common::{open_at, report, serve_opened, Client, T0_MS, ZONES};
use serde_json::{json, Value};
use truceline_engine::Timestamp;
use truceline_operations::{brute_force, Fix, PatrolTask, RouteSamples};
use truceline_server::clock::rfc3339_ms;

const UNIT: &str = "RU-MP-P1";

fn at(minute: i64) -> String {
    rfc3339_ms(T0_MS + minute * 60_000)
}

fn line_a() -> Vec<[f64; 2]> {
    let zones: Value = serde_json::from_str(ZONES).unwrap();
    let f = zones["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == "line-a")
        .unwrap();
    serde_json::from_value(f["geometry"]["coordinates"].clone()).unwrap()
}

/// The position `share` of the way along `route` by vertex count (near enough to walk it).
fn along(route: &[[f64; 2]], share: f64) -> [f64; 2] {
    let x = share.clamp(0.0, 1.0) * (route.len() - 1) as f64;
    let i = (x.floor() as usize).min(route.len() - 2);
    let f = x - i as f64;
    [
        route[i][0] + (route[i + 1][0] - route[i][0]) * f,
        route[i][1] + (route[i + 1][1] - route[i][1]) * f,
    ]
}

async fn post(c: &Client, text: String) {
    let (s, a) = c.post_lines(&text).await;
    assert_eq!(s, 200, "{a}");
}

fn tasking(from_minute: i64, until_minute: i64) -> Value {
    json!({
        "unit": UNIT,
        "line": "line-a",
        "from": at(from_minute),
        "until": at(until_minute),
        "corridor_m": 500,
        "observers": ["RU", "KZ"],
        "purpose": "Line A, north to south",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patrol_is_announced_followed_and_reported_with_the_servers_figures() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_opened(open_at(dir.path(), "", &[])).await;
    let (ru, sy, mp, us) = (
        server.login("RU").await,
        server.login("SY").await,
        server.login("RU-MP").await,
        server.login("US").await,
    );
    let mut sy_feed = sy.stream(None).await;

    // The parties are told an hour ahead (the agreement's patrol_notice_minutes).
    let (s, b) = ru.post("/v1/patrols", tasking(30, 150)).await;
    assert_eq!(s, 422, "{b}");
    assert!(b.to_string().contains("60 minutes"), "{b}");
    // Observers of two nationalities are a limit the agreement may set; a bad window is
    // refused whatever it says.
    let (s, b) = ru.post("/v1/patrols", tasking(150, 120)).await;
    assert_eq!(s, 422, "{b}");
    // A party does not task the force.
    let (s, _) = sy.post("/v1/patrols", tasking(120, 240)).await;
    assert_eq!(s, 403);

    let (s, p) = ru.post("/v1/patrols", tasking(120, 240)).await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    assert_eq!(p["progress"], "scheduled");
    assert_eq!(p["route"].as_array().unwrap().len(), line_a().len());

    // The parties hear of it at once; the observer does not see it at all.
    let told = sy_feed
        .until("the patrol announced", |m| m.event == "patrol")
        .await;
    assert_eq!(told.data["patrol"]["id"], id.as_str());
    assert!(told.data["patrol"].get("purpose").is_none());
    let (s, _) = us.get(&format!("/v1/patrols/{id}")).await;
    assert_eq!(s, 404);
    let (_, list) = us.get("/v1/patrols").await;
    assert_eq!(list["items"], json!([]));

    // The patrol runs: a report a minute along line A, with one stretch off route.
    let route = line_a();
    let mut fixes = Vec::new();
    let mut lines = String::new();
    for minute in 120..240 {
        let share = (minute - 120) as f64 / 119.0;
        let [mut lon, lat] = along(&route, share);
        if (170..175).contains(&minute) {
            lon += 0.03; // about 2.8 km east of the line
        }
        let t = at(minute);
        fixes.push(Fix {
            t: Timestamp::parse(&t).unwrap(),
            lon,
            lat,
        });
        lines.push_str(&report(&t, UNIT, "RU-MP", "patrol", 1, lon, lat));
        if minute == 172 {
            server.clock.set_ms(T0_MS + 172 * 60_000);
            post(&mp, std::mem::take(&mut lines)).await;
            let (_, v) = ru.get(&format!("/v1/patrols/{id}")).await;
            assert_eq!(v["progress"], "off_route", "{v}");
            assert!(v["last_report"]["distance_to_route_m"].as_f64().unwrap() > 500.0);
        }
        if minute == 200 {
            server.clock.set_ms(T0_MS + 200 * 60_000);
            post(&mp, std::mem::take(&mut lines)).await;
            let (_, v) = ru.get(&format!("/v1/patrols/{id}")).await;
            assert_eq!(v["progress"], "on_route", "{v}");
            let so_far = v["so_far"]["coverage"].as_f64().unwrap();
            assert!(so_far > 0.3 && so_far < 0.95, "{v}");
        }
    }
    server.clock.set_ms(T0_MS + 239 * 60_000);
    post(&mp, lines).await;
    // A party sees the task, never the force's track or figures as they come.
    let (_, seen) = sy.get(&format!("/v1/patrols/{id}")).await;
    assert!(
        seen.get("so_far").is_none() && seen.get("last_report").is_none(),
        "{seen}"
    );
    let (s, _) = sy.get(&format!("/v1/patrols/{id}/track")).await;
    assert_eq!(s, 403);
    let (s, track) = ru.get(&format!("/v1/patrols/{id}/track")).await;
    assert_eq!(s, 200);
    assert_eq!(track["features"][1]["properties"]["kind"], "track");

    // Not before the window ends.
    let (s, b) = mp
        .act(
            &format!("/v1/patrols/{id}/report"),
            json!({"observed": "x"}),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    server.clock.set_ms(T0_MS + 241 * 60_000);
    let (s, r) = mp
        .act(
            &format!("/v1/patrols/{id}/report"),
            json!({"observed": "Line A quiet; a detour east round a washed-out track at 02:50."}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["status"], "reported");
    let figures = &r["report"]["figures"];
    // The figures signed are spec/operations.md's, recomputed here the obvious way.
    let task = PatrolTask {
        id: id.clone(),
        unit: UNIT.into(),
        route: route.clone(),
        from: Timestamp::parse(&at(120)).unwrap(),
        until: Timestamp::parse(&at(240)).unwrap(),
        corridor_m: 500.0,
        max_gap_s: 600,
    };
    let expected = brute_force::coverage(&task, &RouteSamples::new(&route), &fixes);
    assert!((figures["coverage"].as_f64().unwrap() - expected.coverage).abs() < 0.01);
    assert_eq!(figures["reports"], 120);
    assert_eq!(figures["samples"], expected.samples);
    assert_eq!(
        figures["deviations"].as_array().unwrap().len(),
        1,
        "{figures}"
    );
    assert_eq!(figures["deviations"][0]["reports"], 5);
    // Once reported, the party sees the report and the route.
    let (_, seen) = sy.get(&format!("/v1/patrols/{id}")).await;
    assert_eq!(seen["report"]["figures"], *figures);
    assert!(seen["route"].is_array());
    // Once only.
    let (s, _) = mp
        .act(&format!("/v1/patrols/{id}/report"), json!({"observed": ""}))
        .await;
    assert_eq!(s, 409);

    // Line A was patrolled today.
    let (_, layer) = sy.get("/v1/coverage?days=1").await;
    let share = layer["shares"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["feature"] == "line-a")
        .unwrap()["share_24h"]
        .as_f64()
        .unwrap();
    assert!(share > 0.8, "{layer}");
    assert!(!layer["covered"]["features"].as_array().unwrap().is_empty());
    let (s, _) = sy.get("/v1/coverage?days=90").await;
    assert_eq!(s, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_report_is_flagged_overdue_and_a_restart_keeps_track_and_flag() {
    let dir = tempfile::tempdir().unwrap();
    let id;
    let before;
    {
        let server = serve_opened(open_at(dir.path(), "", &[])).await;
        let (ru, mp) = (server.login("RU").await, server.login("RU-MP").await);
        // The force's commander tasks it: its own signed act.
        let (s, p) = mp.act("/v1/patrols", tasking(120, 180)).await;
        assert_eq!(s, 201, "{p}");
        assert_eq!(p["tasked_by"], "RU-MP");
        id = p["id"].as_str().unwrap().to_owned();
        let route = line_a();
        let mut lines = String::new();
        for minute in 120..180 {
            let [lon, lat] = along(&route, (minute - 120) as f64 / 59.0);
            lines.push_str(&report(&at(minute), UNIT, "RU-MP", "patrol", 1, lon, lat));
        }
        server.clock.set_ms(T0_MS + 180 * 60_000);
        post(&mp, lines).await;
        // Due two hours after the window (the agreement's patrol_report_due_minutes).
        server.clock.set_ms(T0_MS + 299 * 60_000);
        server.state.mech.tick_operations();
        let (_, v) = ru.get(&format!("/v1/patrols/{id}")).await;
        assert_eq!(v["progress"], "awaiting_report", "{v}");
        server.clock.set_ms(T0_MS + 301 * 60_000);
        server.state.mech.tick_operations();
        let (_, v) = ru.get(&format!("/v1/patrols/{id}")).await;
        assert_eq!(v["status"], "overdue", "{v}");
        assert!(v["overdue_at"].is_string());
        before = v;
    }
    let server = serve_opened(open_at(dir.path(), "", &[])).await;
    server.clock.set_ms(T0_MS + 301 * 60_000);
    let ru = server.login("RU").await;
    let (_, after) = ru.get(&format!("/v1/patrols/{id}")).await;
    assert_eq!(after, before);
    // Reported late, it is reported, and says so.
    let mp = server.login("RU-MP").await;
    let (s, r) = mp
        .act(
            &format!("/v1/patrols/{id}/report"),
            json!({"observed": "late"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["report"]["late"], true);
    assert_eq!(r["report"]["figures"], before["so_far"]);
}
