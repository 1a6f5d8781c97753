//! Notices: check, give, list, relay, answer, withdraw. The operations are the notices domain's (`crate::notices::service`).

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/notices", get(list_notices).post(submit_notice))
        .route("/v1/notices/check", post(check_notice))
        .route("/v1/notices/{id}", get(get_notice))
        .route("/v1/notices/{id}/relay", post(relay_notice))
        .route("/v1/notices/{id}/answer", post(answer_notice))
        .route("/v1/notices/{id}/withdraw", post(withdraw_notice))
}

async fn check_notice(
    State(s): S,
    who: Principal,
    Body(d): Body<NoticeDraft>,
) -> ApiResult<Json<Value>> {
    let snapshot = s.live.snapshot().await?;
    let now = s.clock.now_ms();
    let check = s.mech.check_notice(&who.id, &d, now, &snapshot)?;
    Ok(Json(serde_json::to_value(check).unwrap_or_default()))
}

async fn submit_notice(
    State(s): S,
    who: Principal,
    Body(d): Body<NoticeDraft>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let snapshot = s.live.snapshot().await?;
    let n = blocking(move || s.mech.submit_notice(&who, d, &snapshot, &Signing::log())).await?;
    Ok((StatusCode::CREATED, Json(n)))
}

async fn list_notices(State(s): S, who: Principal) -> Json<Value> {
    Json(json!({"items": s.mech.notices_for(&who)}))
}

async fn get_notice(State(s): S, who: Principal, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(s.mech.notice_for(&who, &id)?))
}

async fn relay_notice(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || s.mech.relay_notice(&who, &id))
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerReq {
    answer: String,
    #[serde(default)]
    reason: String,
}

async fn answer_notice(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
    Body(a): Body<AnswerReq>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        s.mech
            .answer_notice(&who, &id, &a.answer, &a.reason, &Signing::log())
    })
    .await
    .map(Json)
}

async fn withdraw_notice(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = who.clone();
    let st = Arc::clone(&s);
    blocking(move || st.mech.withdraw_notice(&w, &id, &Signing::log()))
        .await
        .map(Json)
}
