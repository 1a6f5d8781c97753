//! Patrols and the coverage of lines and zone edges. The operations are the operations
//! domain's (`crate::operations::patrol_service`).

#[allow(unused_imports)]
use super::prelude::*;
use crate::operations::patrols::{PatrolFigures, PatrolReportAct, PatrolTasking};

/// Points of a patrol's track sent for the map at most.
const MAX_TRACK_POINTS: usize = 5_000;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/patrols", get(list_patrols).post(task_patrol))
        .route("/v1/patrols/{id}", get(get_patrol))
        .route("/v1/patrols/{id}/track", get(patrol_track))
        .route("/v1/patrols/{id}/report", post(report_patrol))
        .route("/v1/coverage", get(coverage))
}

async fn task_patrol(
    State(s): S,
    who: Principal,
    Body(t): Body<PatrolTasking>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let p = blocking(move || s.mech.task_patrol(&who, t, &Signing::log())).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

async fn list_patrols(State(s): S, who: Principal) -> ApiResult<Json<Value>> {
    let items = blocking(move || Ok::<_, crate::refusal::Refusal>(s.mech.patrols(&who))).await?;
    Ok(Json(json!({"items": items})))
}

async fn get_patrol(State(s): S, who: Principal, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    blocking(move || s.mech.patrol_view(&who, &id))
        .await
        .map(Json)
}

async fn patrol_track(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || s.mech.patrol_track(&who, &id, MAX_TRACK_POINTS))
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportRequest {
    #[serde(default)]
    observed: String,
}

/// The force's commander reports a patrol: answered 428 with the entry to sign, whose
/// body carries the server's figures for the patrol's track.
async fn report_patrol(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
    Body(r): Body<ReportRequest>,
) -> ApiResult<Json<Value>> {
    let act = PatrolReportAct {
        patrol: id,
        observed: r.observed,
        figures: PatrolFigures::default(),
    };
    blocking(move || s.mech.report_patrol(&who, act, &Signing::log()))
        .await
        .map(Json)
}

#[derive(Deserialize)]
struct CoverageQuery {
    #[serde(default)]
    days: Option<i64>,
}

/// The share of each line and zone edge patrolled over the last day and week, and the
/// stretches patrolled over the last `days` (1 by default, at most 31).
async fn coverage(
    State(s): S,
    who: Principal,
    Query(q): Query<CoverageQuery>,
) -> ApiResult<Json<Value>> {
    let days = q.days.unwrap_or(1);
    if !(1..=31).contains(&days) {
        return Err(ApiError::bad_request("days: 1 to 31"));
    }
    blocking(move || s.mech.coverage_layer(&who, days))
        .await
        .map(Json)
}
