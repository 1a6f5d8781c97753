//! Webhooks: each principal's endpoints, delivered from its own view of the feed.

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/webhooks", get(list_hooks).post(create_hook))
        .route("/v1/webhooks/{id}", axum::routing::delete(delete_hook))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HookReq {
    url: String,
}

async fn create_hook(
    State(s): S,
    who: Principal,
    Body(r): Body<HookReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let h = crate::webhooks::create(&s.webhooks, &who, r.url)?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(h).unwrap_or_default()),
    ))
}

async fn list_hooks(State(s): S, who: Principal) -> Json<Value> {
    Json(json!({"items": s.webhooks.list_for(&who), "log_key": s.ledger.log_key().to_string()}))
}

async fn delete_hook(State(s): S, who: Principal, Path(id): Path<String>) -> ApiResult<StatusCode> {
    crate::webhooks::delete(&s.webhooks, &who, &id).map(|_| StatusCode::NO_CONTENT)
}
