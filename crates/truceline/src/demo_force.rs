//! The separation force in the live demo: two patrols tasked on lines A and B of the
//! example, their reports along the lines interleaved with the example's own (the
//! conformance example stays as it is), and each patrol reported by the force when its
//! window has ended, so that the console's Force tab has real patrols in it.

use std::sync::Arc;

use anyhow::Context;
use truceline_engine::agreement::Shape;
use truceline_engine::{Agreement, Timestamp};
use truceline_operations::RouteSamples;
use truceline_server::access::Principal;
use truceline_server::acts::Signing;
use truceline_server::operations::patrols::PatrolTasking;
use truceline_server::AppState;

/// One demo patrol: its unit, its line, when it sets off and how far it strays.
struct DemoPatrol {
    unit: &'static str,
    line: &'static str,
    from: &'static str,
    until: &'static str,
    /// Minutes after setting off between which the patrol detours east of its line.
    detour_minutes: Option<(usize, usize)>,
}

const PATROLS: [DemoPatrol; 2] = [
    DemoPatrol {
        unit: "RU-MP-PAT-A",
        line: "line-a",
        from: "2025-12-01T06:00:00Z",
        until: "2025-12-01T09:30:00Z",
        detour_minutes: None,
    },
    DemoPatrol {
        unit: "RU-MP-PAT-B",
        line: "line-b",
        from: "2025-12-01T13:00:00Z",
        until: "2025-12-01T16:30:00Z",
        detour_minutes: Some((90, 101)),
    },
];

/// A patrol drives at about 24 km/h: four 100 m samples of its line a minute.
const SAMPLES_PER_MINUTE: usize = 4;

/// The monitor's reports along each demo line, a minute apart, as JSON Lines.
fn patrol_lines(agreement: &Agreement, monitor: &str) -> Vec<(Timestamp, String)> {
    let mut out = Vec::new();
    for p in &PATROLS {
        let Some(Shape::Line(line)) = agreement
            .features
            .iter()
            .find(|f| f.id == p.line)
            .map(|f| &f.shape)
        else {
            continue;
        };
        let route: Vec<[f64; 2]> = line.lines().iter().flatten().copied().collect();
        let samples = RouteSamples::new(&route);
        let Ok(start) = Timestamp::parse(p.from) else {
            continue;
        };
        for (minute, pos) in samples
            .positions()
            .iter()
            .step_by(SAMPLES_PER_MINUTE)
            .enumerate()
        {
            // Reports come in a little after the window opens and every minute after.
            let t = Timestamp(start.0 + (minute as i64 * 60 + 30) * 1_000_000_000);
            let east = match p.detour_minutes {
                Some((a, b)) if (a..b).contains(&minute) => 0.016, // about 1.5 km
                _ => 0.0,
            };
            out.push((
                t,
                format!(
                    "{{\"t\":\"{t}\",\"unit\":\"{}\",\"party\":\"{monitor}\",\"category\":\"patrol\",\"count\":8,\"lon\":{:.6},\"lat\":{:.6}}}\n",
                    p.unit,
                    pos[0] + east,
                    pos[1]
                ),
            ));
        }
    }
    out
}

/// The example's reports with the demo patrols' merged in, in time order.
pub fn tracks_with_patrols(example: &[u8], agreement: &Agreement, monitor: &str) -> Vec<u8> {
    let mut extra = patrol_lines(agreement, monitor);
    extra.sort_by_key(|(t, _)| *t);
    let mut extra = extra.into_iter().peekable();
    let mut out = Vec::with_capacity(example.len() + 64 * 1024);
    for line in example.split_inclusive(|&b| b == b'\n') {
        let t = truceline_engine::parse_report(line.trim_ascii())
            .map(|r| r.t)
            .ok();
        while let (Some((next, _)), Some(t)) = (extra.peek(), t) {
            if *next > t {
                break;
            }
            out.extend_from_slice(extra.next().map(|(_, l)| l).unwrap_or_default().as_bytes());
        }
        out.extend_from_slice(line);
    }
    for (_, l) in extra {
        out.extend_from_slice(l.as_bytes());
    }
    out
}

/// The mediator tasks the demo patrols, announced to both parties; returns their ids.
pub fn task_patrols(state: &Arc<AppState>, mediator: &Principal) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    for p in &PATROLS {
        let tasking: PatrolTasking = serde_json::from_value(serde_json::json!({
            "unit": p.unit,
            "line": p.line,
            "from": p.from,
            "until": p.until,
            "observers": ["RU", "KZ"],
            "purpose": format!("Patrol of {} end to end", p.line),
        }))?;
        let v = state
            .mech
            .task_patrol(mediator, tasking, &Signing::log())
            .with_context(|| format!("tasking the patrol of {}", p.line))?;
        ids.push(v["id"].as_str().context("patrol id")?.to_owned());
    }
    Ok(ids)
}

/// The patrols among `pending` whose window has ended and whose report is not made: the
/// force reports them (signing the server's figures with its own key through `sign`).
pub fn report_ended(
    state: &Arc<AppState>,
    monitor: &Principal,
    pending: &mut Vec<String>,
    mut sign: impl FnMut(&Principal, truceline_server::acts::Act) -> anyhow::Result<serde_json::Value>,
) -> anyhow::Result<()> {
    let mut still = Vec::new();
    for id in pending.drain(..) {
        let view = state.mech.patrol_view(monitor, &id)?;
        if view["progress"] != "awaiting_report" {
            still.push(id);
            continue;
        }
        let act = truceline_server::acts::Act::PatrolReport(
            truceline_server::operations::patrols::PatrolReportAct {
                patrol: id.clone(),
                observed:
                    "Patrolled the line end to end; no forces seen in the area of separation."
                        .into(),
                figures: Default::default(),
            },
        );
        let done = sign(monitor, act)?;
        println!(
            "Patrol {id} reported: coverage {:.2} of {:.1} km",
            done["report"]["figures"]["coverage"]
                .as_f64()
                .unwrap_or(0.0),
            done["report"]["figures"]["route_km"]
                .as_f64()
                .unwrap_or(0.0)
        );
    }
    *pending = still;
    Ok(())
}
