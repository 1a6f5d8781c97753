//! Incidents: report, list, investigate, respond, find. The operations are the incidents domain's (`crate::incidents::service`).

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/incidents", get(list_incidents).post(report_incident))
        .route("/v1/incidents/{id}", get(get_incident))
        .route("/v1/incidents/{id}/investigate", post(investigate))
        .route("/v1/incidents/{id}/responses", post(respond))
        .route("/v1/incidents/{id}/finding", post(finding))
}

async fn report_incident(
    State(s): S,
    who: Principal,
    Body(d): Body<IncidentDraft>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let i = blocking(move || s.mech.report_incident(&who, d, &Signing::log())).await?;
    Ok((StatusCode::CREATED, Json(i)))
}

#[derive(Deserialize)]
struct IncidentQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    about: Option<String>,
}

async fn list_incidents(
    State(s): S,
    who: Principal,
    Query(q): Query<IncidentQuery>,
) -> Json<Value> {
    let items: Vec<_> = s
        .mech
        .incidents_for(&who)
        .into_iter()
        .filter(|i| q.status.as_deref().is_none_or(|st| i["status"] == st))
        .filter(|i| {
            q.about.as_deref().is_none_or(|p| {
                i["about"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|a| a == p))
            })
        })
        .collect();
    Json(json!({"items": items}))
}

async fn get_incident(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(s.mech.incident_for(&who, &id)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteReq {
    #[serde(default)]
    note: String,
}

async fn investigate(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
    Body(r): Body<NoteReq>,
) -> ApiResult<Json<Value>> {
    blocking(move || s.mech.investigate(&who, &id, &r.note, &Signing::log()))
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseReq {
    text: String,
}

async fn respond(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
    Body(r): Body<ResponseReq>,
) -> ApiResult<Json<Value>> {
    blocking(move || s.mech.respond(&who, &id, &r.text, &Signing::log()))
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingReq {
    outcome: String,
    reasons: String,
}

async fn finding(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
    Body(r): Body<FindingReq>,
) -> ApiResult<Json<Value>> {
    blocking(move || s.mech.find(&who, &id, &r.outcome, &r.reasons))
        .await
        .map(Json)
}
