//! The ledger: checkpoints, exports by principal, proofs, cosignatures and the verifier keyring.

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/ledger/checkpoint", get(checkpoint))
        .route("/v1/ledger/export", get(export))
        .route("/v1/ledger/proof/inclusion", get(inclusion))
        .route("/v1/ledger/proof/consistency", get(consistency))
        .route("/v1/ledger/cosignatures", post(cosign))
        .route("/v1/ledger/keys", get(verifier_keys))
}

/// The keys that verify this ledger (each party's and monitor's, and the log key under the
/// mediator's id), as a keyring for `truceline log verify --party-keys`. Public: a
/// verifier checks them against what each party says its key is.
async fn verifier_keys(State(s): S, _who: Principal) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        s.verifier_keyring.clone(),
    )
        .into_response()
}

async fn checkpoint(State(s): S, _who: Principal) -> ApiResult<Response> {
    let cp = s
        .ledger
        .checkpoint()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let text = cp.map(|c| c.to_string()).unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

async fn export(State(s): S, who: Principal) -> ApiResult<Response> {
    let party = if who.is_mediator() {
        truceline_ledger::export::FULL_VIEW.to_owned()
    } else {
        who.id.clone()
    };
    let bytes = blocking(move || {
        let mut out = Vec::new();
        s.ledger
            .export(&party, &mut out)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        ApiResult::Ok(out)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], bytes).into_response())
}

#[derive(Deserialize)]
struct InclusionQuery {
    index: u64,
    size: u64,
}

pub(crate) fn b64(h: &[u8; 32]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(h)
}

async fn inclusion(
    State(s): S,
    _who: Principal,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<Json<Value>> {
    let proof = s
        .ledger
        .inclusion_proof(q.index, q.size)
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    Ok(Json(
        json!({"index": q.index, "size": q.size, "proof": proof.iter().map(b64).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    old: u64,
    new: u64,
}

async fn consistency(
    State(s): S,
    _who: Principal,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<Value>> {
    let proof = s
        .ledger
        .consistency_proof(q.old, q.new)
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    Ok(Json(
        json!({"old": q.old, "new": q.new, "proof": proof.iter().map(b64).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CosignReq {
    size: u64,
    /// The cosignature line of the note, "— <name> <base64>".
    signature: String,
}

async fn cosign(State(s): S, who: Principal, Body(r): Body<CosignReq>) -> ApiResult<StatusCode> {
    let note = truceline_ledger::note::Note::parse(&format!("x\n\n{}\n", r.signature.trim()))
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let line = note
        .signatures
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::unprocessable("no signature line"))?;
    if line.name != who.id {
        return Err(ApiError::forbidden("you cosign under your own id only"));
    }
    blocking(move || {
        s.ledger
            .add_cosignature(r.size, &line)
            .map_err(|e| ApiError::unprocessable(e.to_string()))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
