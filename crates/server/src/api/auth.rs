//! Sign-in: a challenge the principal signs with its own key, a short-lived token, sign-out, and who the token is.

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/auth/challenge", post(challenge))
        .route("/v1/auth/token", post(token))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/me", get(me))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChallengeReq {
    id: String,
}

async fn challenge(State(s): S, Body(r): Body<ChallengeReq>) -> ApiResult<Json<Value>> {
    let (nonce, expires) = s.auth.challenge(&r.id)?;
    Ok(Json(json!({
        "nonce": nonce,
        "expires_at": crate::clock::rfc3339_ms(expires),
        "message": crate::auth::challenge_message(s.auth.origin(), &r.id, &nonce),
        "sign": "Ed25519 over the bytes of message; send base64 to POST /v1/auth/token",
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenReq {
    id: String,
    nonce: String,
    signature: String,
}

async fn token(State(s): S, Body(r): Body<TokenReq>) -> ApiResult<Json<Value>> {
    let (token, expires, who) = s.auth.token(&r.id, &r.nonce, &r.signature)?;
    Ok(Json(
        json!({"token": token, "expires_at": crate::clock::rfc3339_ms(expires), "id": who.id, "role": who.role.as_str()}),
    ))
}

async fn logout(State(s): S, headers: HeaderMap) -> StatusCode {
    if let Some(t) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
    {
        s.auth.revoke(t);
    }
    StatusCode::NO_CONTENT
}

async fn me(who: Principal) -> Json<Value> {
    Json(json!({"id": who.id, "role": who.role.as_str()}))
}
