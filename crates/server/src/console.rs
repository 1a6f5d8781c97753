//! The web console: the front end built from `web/` (embedded at compile time by
//! `build.rs` from the committed `web/dist`), served at `/`, the mission's basemap if the
//! server has one ([`crate::basemap`]), and the two read-only routes the map needs that
//! the API does not give:
//!
//! - `GET /v1/console/map`: the agreement's zones and lines as GeoJSON, each feature
//!   carrying the rules that name it, so that the map styles it by rule kind;
//! - `GET /v1/console/units[?at=RFC3339 | ?since=SEQ]`: units as last reported (or as of
//!   `at`, from a short sampled history), only those the caller may see: the mediator and
//!   monitors see every unit, a party its own, an observer none. Every answer carries `seq`,
//!   the tracker's change counter; `since=SEQ` answers only the units reported after that
//!   answer, so that a console following 10,000 units fetches what moved, not all of them.
//!
//! Invariants: the console sees nothing the API would not show the same principal (unit
//! positions follow the engine events' rule: a party sees its own forces). The tracker is
//! bounded: at most [`MAX_TRACKED_UNITS`] units and [`TRAIL_POINTS`] samples each.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use truceline_engine::agreement::{CategoryIndex, PartyIndex, RuleKind};
use truceline_engine::ReportRef;

use crate::access::Principal;
use crate::auth::{Auth, HasAuth};
use crate::clock::Clock;
use crate::disclosure::Disclosure;
use crate::error::{ApiError, ApiResult};

mod assets {
    include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));
}

/// Samples of a unit's track are at least this far apart (simulated time)...
pub const SAMPLE_MS: i64 = 5 * 60_000;
/// ... and at most this many are kept. When a trail is full its older half is thinned
/// (every other sample dropped, the first report kept), so a trail covers the whole
/// recorded period in bounded memory: the last 4 hours at 5 minutes, older hours ever
/// more sparsely, back to the unit's first report (a replay from the start shows it).
pub const TRAIL_POINTS: usize = 96;
/// Units the tracker follows; the engine's own limit is the same order.
pub const MAX_TRACKED_UNITS: usize = 1_000_000;

#[derive(Clone, Copy)]
struct Sample {
    t_ms: i64,
    lon: f32,
    lat: f32,
    count: u32,
}

struct Track {
    party: PartyIndex,
    category: CategoryIndex,
    /// The tracker's `seq` when this unit was last reported.
    seq: u64,
    trail: VecDeque<Sample>,
}

#[derive(Default)]
struct TrackerInner {
    units: HashMap<Box<str>, Track>,
    last_t_ms: Option<i64>,
    /// Counts the batches observed: a unit reported in batch `n` has `seq == n`.
    seq: u64,
}

/// Where each unit was reported, with a short sampled history for the time slider.
#[derive(Default)]
pub struct Tracker {
    inner: Mutex<TrackerInner>,
}

impl Tracker {
    /// Notes the positions of a batch the engine has applied, in engine order (the engine
    /// thread calls this after each batch, so a unit's trail never goes back in time).
    pub fn observe<'a>(&self, reports: impl Iterator<Item = ReportRef<'a>>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.seq += 1;
        let seq = inner.seq;
        for r in reports {
            let t_ms = r.t.0 / 1_000_000;
            inner.last_t_ms = Some(inner.last_t_ms.map_or(t_ms, |l| l.max(t_ms)));
            let sample = Sample {
                t_ms,
                lon: r.lon as f32,
                lat: r.lat as f32,
                count: r.count.min(u64::from(u32::MAX)) as u32,
            };
            if let Some(track) = inner.units.get_mut(r.unit) {
                track.seq = seq;
                let n = track.trail.len();
                if n >= 2 && t_ms - track.trail[n - 2].t_ms < SAMPLE_MS {
                    track.trail[n - 1] = sample;
                } else {
                    if n == TRAIL_POINTS {
                        thin_older_half(&mut track.trail);
                    }
                    track.trail.push_back(sample);
                }
                continue;
            }
            if inner.units.len() >= MAX_TRACKED_UNITS {
                continue;
            }
            inner.units.insert(
                r.unit.into(),
                Track {
                    party: r.party,
                    category: r.category,
                    seq,
                    trail: VecDeque::from([sample]),
                },
            );
        }
    }
}

/// Drops every other sample of the older half of a full trail, keeping the first (the
/// unit's first report) and every sample of the newer half.
fn thin_older_half(trail: &mut VecDeque<Sample>) {
    let half = trail.len() / 2;
    let mut index = 0usize;
    trail.retain(|_| {
        let keep = index == 0 || index >= half || index.is_multiple_of(2);
        index += 1;
        keep
    });
}

/// What the console's routes hold: who is signed in, the agreement, the units as last
/// reported, the clock. Not the whole application state.
pub struct ConsoleState {
    pub auth: Arc<Auth>,
    pub agreement: Arc<truceline_engine::Agreement>,
    /// The versions of the agreement: the map shows the one in force.
    pub versions: Arc<crate::live::Versions>,
    pub tracker: Arc<Tracker>,
    pub clock: Arc<dyn Clock>,
    /// The mission's own basemap (`serve --basemap FILE`), set once before serving.
    pub basemap: std::sync::OnceLock<Arc<crate::basemap::Basemap>>,
}

impl HasAuth for ConsoleState {
    fn auth(&self) -> &Auth {
        &self.auth
    }
}

/// Routes of the console: the page, its assets and the map's two read-only routes.
pub fn router(state: Arc<ConsoleState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
        .route(
            "/favicon.svg",
            get(|| async { asset_response("favicon.svg") }),
        )
        .route("/v1/console/map", get(map))
        .route("/v1/console/units", get(units))
        .with_state(Arc::clone(&state))
        .merge(crate::basemap::router(state))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn asset_response(path: &str) -> Response {
    match assets::ASSETS.iter().find(|(p, _)| *p == path) {
        Some((p, bytes)) => {
            // Vite names built files by their hash: they never change under one name.
            let cache = if p.starts_with("assets/") {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            (
                [
                    (header::CONTENT_TYPE, content_type(p)),
                    (header::CACHE_CONTROL, cache),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                ],
                *bytes,
            )
                .into_response()
        }
        None => ApiError::not_found("no such console file").into_response(),
    }
}

async fn index() -> Response {
    if assets::ASSETS.iter().any(|(p, _)| *p == "index.html") {
        let mut r = asset_response("index.html");
        r.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data: blob:; worker-src 'self' blob:; \
                 style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
            ),
        );
        r
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "The console was not built into this binary (web/dist was missing at build time): \
             run `npm ci && npm run build` in web/ and rebuild. The API is at /openapi.json.\n",
        )
            .into_response()
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    asset_response(&format!("assets/{path}"))
}

/// The agreement's features as GeoJSON, with the rules that name each one.
async fn map(State(s): State<Arc<ConsoleState>>, _who: Principal) -> Json<Value> {
    let version = s.versions.in_force();
    let a = version.classifier.agreement();
    let party = |i: u16| a.parties[usize::from(i)].id.clone();
    let mut per_feature: Vec<Vec<Value>> = vec![Vec::new(); a.features.len()];
    let mut rules = Vec::new();
    for r in &a.rules {
        let window = json!({"active_from": r.active_from.map(|t| t.to_string()),
                            "active_after": r.active_after.map(|s| json!({"phase": a.phases[usize::from(s.phase)].id, "delay_minutes": s.delay_minutes})),
                            "active_until": r.active_until.map(|t| t.to_string())});
        let (feature, detail) = match &r.kind {
            RuleKind::Exclusion { zone, .. } => (Some(*zone as usize), json!({})),
            RuleKind::Cap {
                zone,
                party: p,
                category,
                max,
            } => (
                Some(*zone as usize),
                json!({"party": party(*p), "category": a.categories[usize::from(*category)].id, "max": max}),
            ),
            RuleKind::Standoff { target, min_km, .. } => {
                (Some(*target as usize), json!({"min_km": min_km}))
            }
            RuleKind::Separation {
                parties, min_km, ..
            } => (
                None,
                json!({"parties": [party(parties[0]), party(parties[1])], "min_km": min_km}),
            ),
        };
        let rule = json!({"id": r.id, "kind": r.kind.name(), "detail": detail, "window": window,
                          "feature": feature.map(|f| a.features[f].id.clone())});
        if let Some(f) = feature {
            per_feature[f].push(rule.clone());
        }
        rules.push(rule);
    }
    let features: Vec<Value> = a
        .features
        .iter()
        .zip(per_feature)
        .map(|(f, rules)| {
            // The strictest rule styles the feature.
            let style = ["exclusion", "cap", "standoff"]
                .into_iter()
                .find(|k| rules.iter().any(|r| r["kind"] == *k))
                .unwrap_or("none");
            let mut properties = json!({"id": f.id, "name": f.name.clone().unwrap_or_else(|| f.id.clone()),
                                  "shape": if f.zone().is_some() {"zone"} else {"line"},
                                  "style": style, "rules": rules});
            // Names in other languages as the geometry file gives them (`name:ar`...).
            for (language, name) in &f.names {
                properties[format!("name:{language}")] = name.clone().into();
            }
            json!({"type": "Feature", "id": f.id, "properties": properties,
                   "geometry": f.geometry_json})
        })
        .collect();
    Json(json!({
        "agreement": {"id": a.id, "title": a.title, "version": a.version},
        "parties": a.parties.iter().map(|p| json!({"id": p.id, "name": p.name, "role": p.role.as_str()})).collect::<Vec<_>>(),
        "categories": a.categories.iter().map(|c| json!({"id": c.id, "name": c.name})).collect::<Vec<_>>(),
        "rules": rules,
        "geojson": {"type": "FeatureCollection", "features": features},
    }))
}

#[derive(Deserialize)]
struct UnitsQuery {
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    since: Option<u64>,
}

async fn units(
    State(s): State<Arc<ConsoleState>>,
    who: Principal,
    Query(q): Query<UnitsQuery>,
) -> ApiResult<Json<Value>> {
    let at_ms =
        q.at.as_deref()
            .map(crate::clock::parse_ms)
            .transpose()
            .map_err(|e| ApiError::unprocessable(format!("at: {e}")))?;
    if at_ms.is_some() && q.since.is_some() {
        return Err(ApiError::unprocessable("at and since do not go together"));
    }
    let since = q.since.unwrap_or(0);
    let inner = s.tracker.inner.lock().unwrap_or_else(|e| e.into_inner());
    let a = &s.agreement;
    let mut out = Vec::new();
    let mut earliest: Option<i64> = None;
    for (name, track) in &inner.units {
        let party = &a.parties[usize::from(track.party)].id;
        if !Disclosure::sees_units_of(&who, party) {
            continue;
        }
        if let Some(first) = track.trail.front() {
            earliest = Some(earliest.map_or(first.t_ms, |e| e.min(first.t_ms)));
        }
        if track.seq <= since {
            continue;
        }
        let sample = match at_ms {
            None => track.trail.back(),
            Some(at) => track.trail.iter().rev().find(|p| p.t_ms <= at),
        };
        if let Some(p) = sample {
            out.push(json!([
                name,
                party,
                a.categories[usize::from(track.category)].id,
                p.count,
                p.lon,
                p.lat,
                crate::clock::rfc3339_ms(p.t_ms)
            ]));
        }
    }
    let (last, seq) = (inner.last_t_ms, inner.seq);
    drop(inner);
    Ok(Json(json!({
        "columns": ["unit", "party", "category", "count", "lon", "lat", "t"],
        "units": out,
        "at": at_ms.map(crate::clock::rfc3339_ms),
        "seq": seq,
        "since": q.since,
        "engine_time": last.map(crate::clock::rfc3339_ms),
        "server_time": crate::clock::rfc3339_ms(s.clock.now_ms()),
        "history_from": earliest.map(crate::clock::rfc3339_ms),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(t_ms: i64) -> Sample {
        Sample {
            t_ms,
            lon: 35.0,
            lat: 33.0,
            count: 1,
        }
    }

    /// However long a unit reports, its trail stays bounded, in time order, starts at its
    /// first report, ends at its last, keeps the newest samples at full resolution, and
    /// an instant anywhere in the period finds a sample at or before it.
    #[test]
    fn a_trail_covers_the_whole_period_in_bounded_memory() {
        let mut trail = VecDeque::new();
        let mut pushed = Vec::new();
        for i in 0..5_000i64 {
            let t = i * SAMPLE_MS;
            if trail.len() == TRAIL_POINTS {
                thin_older_half(&mut trail);
            }
            trail.push_back(sample(t));
            pushed.push(t);
            assert!(trail.len() <= TRAIL_POINTS);
        }
        let times: Vec<i64> = trail.iter().map(|s| s.t_ms).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "in time order");
        assert_eq!(times.first(), pushed.first(), "the first report stays");
        assert_eq!(times.last(), pushed.last());
        let newest = &pushed[pushed.len() - TRAIL_POINTS / 4..];
        assert!(
            newest.iter().all(|t| times.contains(t)),
            "the newest samples are all there"
        );
        for at in (0..5_000 * SAMPLE_MS).step_by(7 * SAMPLE_MS as usize) {
            assert!(trail.iter().rev().any(|s| s.t_ms <= at), "{at}");
        }
    }
}
