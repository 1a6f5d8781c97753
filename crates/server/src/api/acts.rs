//! Acts signed by their authors: the envelope to sign (`/v1/acts/prepare`), and the signed envelope carried out (`/v1/acts`).

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/acts/prepare", post(prepare_act))
        .route("/v1/acts", post(submit_act))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrepareReq {
    kind: String,
    body: Value,
}

/// Checks an act as its route would and answers the envelope to sign; changes nothing.
async fn prepare_act(
    State(s): S,
    who: Principal,
    Body(r): Body<PrepareReq>,
) -> ApiResult<Json<Value>> {
    let act = Act::parse(&r.kind, &r.body)?;
    let snapshot = s.live.snapshot().await?;
    blocking(move || s.mech.prepare(&who, act, &snapshot))
        .await
        .map(Json)
}

/// Reads a signed envelope: any JSON object, canonicalised (RFC 8785) before parsing.
pub fn read_envelope(body: &[u8]) -> ApiResult<truceline_ledger::envelope::Entry> {
    let value = truceline_ledger::jcs::parse_strict(body)
        .map_err(|e| ApiError::unprocessable(format!("envelope: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::unprocessable(
            "envelope: a JSON object {seq, time, author, kind, audience, body, sig}",
        ));
    }
    truceline_ledger::envelope::Entry::parse(&truceline_ledger::jcs::to_vec(&value))
        .map_err(|e| ApiError::unprocessable(format!("envelope: {e}")))
}

/// Carries out an act whose author signed its ledger entry.
async fn submit_act(
    State(s): S,
    who: Principal,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let entry = read_envelope(&body)?;
    let snapshot = s.live.snapshot().await?;
    let kind = entry.draft().kind.clone();
    let (result, receipt) = blocking(move || s.mech.act(&who, entry, &snapshot)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "kind": kind,
            "index": receipt.index,
            "receipt": receipt,
            "result": result,
        })),
    ))
}
