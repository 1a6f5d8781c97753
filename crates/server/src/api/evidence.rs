//! Evidence files, stored by their SHA-256 and readable by whoever may see an incident that cites them.

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/evidence", post(put_evidence))
        .route("/v1/evidence/{sha256}", get(get_evidence))
}

async fn put_evidence(
    State(s): S,
    who: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if who.role == Role::Observer {
        return Err(ApiError::forbidden("observers do not submit evidence"));
    }
    if body.is_empty() {
        return Err(ApiError::unprocessable("empty file"));
    }
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let sha = hex::encode(Sha256::digest(&body));
    let path = s.data_dir.join("evidence").join(&sha);
    let tmp = s
        .data_dir
        .join("evidence")
        .join(format!("{sha}.{}.tmp", who.id));
    let p2 = path.clone();
    blocking(move || {
        if !p2.exists() {
            std::fs::write(&tmp, &body)
                .and_then(|_| std::fs::rename(&tmp, &p2))
                .map_err(|e| ApiError::internal(e.to_string()))?;
        }
        ApiResult::Ok(())
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"sha256": sha, "media_type": media})),
    ))
}

async fn get_evidence(State(s): S, who: Principal, Path(sha): Path<String>) -> ApiResult<Response> {
    if sha.len() != 64
        || !sha.bytes().all(|b| b.is_ascii_hexdigit())
        || !s.mech.may_see_evidence(&who, &sha)
    {
        return Err(ApiError::not_found(
            "no evidence with that hash that you may see",
        ));
    }
    let bytes = tokio::fs::read(s.data_dir.join("evidence").join(&sha))
        .await
        .map_err(|_| ApiError::not_found("evidence file not stored here"))?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}
