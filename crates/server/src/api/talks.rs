//! The talks: drafts filed, shared, commented on, signed and countersigned; the gap report
//! and the impact between two drafts; the versions in force. The operations are the talks
//! domain's (`crate::talks::service`).

#[allow(unused_imports)]
use super::prelude::*;
use crate::talks::impact::Period;
use crate::talks::{CommentAct, DraftFiling, Stance};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/drafts", get(list_drafts).post(file_draft))
        .route("/v1/drafts/{id}", get(get_draft))
        .route("/v1/drafts/{id}/share", post(share_draft))
        .route("/v1/drafts/{id}/comments", post(comment_draft))
        .route("/v1/drafts/{id}/sign", post(sign_version))
        .route("/v1/drafts/{id}/countersign", post(countersign_version))
        .route("/v1/drafts/{id}/gap/{other}", get(gap))
        .route("/v1/drafts/{id}/impact/{other}", get(impact))
        .route("/v1/versions", get(versions))
}

async fn list_drafts(State(s): S, who: Principal) -> Json<Value> {
    Json(json!({"items": s.mech.drafts_for(&who)}))
}

async fn file_draft(
    State(s): S,
    who: Principal,
    Body(filing): Body<DraftFiling>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let d = blocking(move || s.mech.file_draft(&who, filing, &Signing::log())).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftQuery {
    #[serde(default)]
    files: bool,
}

async fn get_draft(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<DraftQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(s.mech.draft_for(&who, &id, q.files)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareReq {
    with: Vec<String>,
}

async fn share_draft(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
    Body(r): Body<ShareReq>,
) -> ApiResult<Json<Value>> {
    blocking(move || s.mech.share_draft(&who, &id, &r.with))
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentReq {
    on: String,
    stance: Stance,
    #[serde(default)]
    reason: String,
}

async fn comment_draft(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
    Body(r): Body<CommentReq>,
) -> ApiResult<Json<Value>> {
    let act = CommentAct {
        draft: id,
        on: r.on,
        stance: r.stance,
        reason: r.reason,
    };
    blocking(move || s.mech.comment_draft(&who, act, &Signing::log()))
        .await
        .map(Json)
}

async fn sign_version(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || s.mech.sign_version(&who, &id, &Signing::log()))
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountersignReq {
    in_force_at: String,
}

async fn countersign_version(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
    Body(r): Body<CountersignReq>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        s.mech
            .countersign_version(&who, &id, &r.in_force_at, &s.live)
    })
    .await
    .map(Json)
}

async fn gap(
    State(s): S,
    who: Principal,
    Path((a, b)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    blocking(move || s.mech.draft_gap(&who, &a, &b))
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImpactQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn impact(
    State(s): S,
    who: Principal,
    Path((a, b)): Path<(String, String)>,
    Query(q): Query<ImpactQuery>,
) -> ApiResult<Json<Value>> {
    let time = |name: &str, v: &Option<String>| {
        v.as_deref()
            .map(truceline_engine::Timestamp::parse)
            .transpose()
            .map_err(|e| ApiError::bad_request(format!("{name}: {e}")))
    };
    let period = Period {
        from: time("from", &q.from)?,
        to: time("to", &q.to)?,
    };
    let mut v = blocking(move || s.mech.draft_impact(&who, &a, &b, period)).await?;
    v["period"] = json!({"from": q.from, "to": q.to});
    Ok(Json(v))
}

async fn versions(State(s): S, _who: Principal) -> Json<Value> {
    Json(json!({"items": s.mech.versions()}))
}
