//! Position reports: a batch is read, checked whole, applied by the engine thread, and recorded; the answer waits until it and its events are durable.

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/reports", post(reports))
}

async fn reports(State(s): S, who: Principal, body: Bytes) -> ApiResult<Json<Value>> {
    ingest(&s, &who, body).await.map(Json)
}

/// Reads, applies and records a batch of position reports from `who`; what `POST
/// /v1/reports` does (the demo's replay calls it in-process).
pub async fn ingest(s: &Arc<AppState>, who: &Principal, body: Bytes) -> ApiResult<Value> {
    let classifier = Arc::clone(s.live.classifier());
    let w = who.clone();
    // The batch's hash is for the ledger and the answer, not the engine: it is taken
    // while the events' feed items are being synced.
    let body_for_hash = body.clone();
    let prepared = if body.len() > 64 * 1024 {
        blocking(move || crate::live::prepare(&classifier, &body, &w)).await?
    } else {
        crate::live::prepare(&classifier, &body, who)?
    };
    let applied = s.live.apply(prepared).await?;
    let (batch, count, first, last) = (
        applied.batch,
        applied.count,
        applied.first_t.to_string(),
        applied.last_t.to_string(),
    );
    // The events' feed items are committed by the feed's writer meanwhile, and their
    // ledger entries by the ledger's (queued on the engine thread, in engine order); the
    // answer waits for both.
    let announced = async {
        if let Some(last) = applied.items.last() {
            s.feed.wait_announced(last.id).await;
        }
    };
    let st = Arc::clone(s);
    let submitter = who.id.clone();
    let pending = applied.recorded;
    let had_events = !pending.is_empty();
    let recorded = blocking(move || {
        let sha = hex::encode(Sha256::digest(&body_for_hash));
        record_batch(&st, &submitter, batch, count, &first, &last, &sha, pending)
            .map(|index| (index, sha))
    });
    let (recorded, ()) = tokio::join!(recorded, announced);
    let (receipt, sha) = recorded?;
    if had_events {
        // Engine incidents are the projection's, from the entries just committed.
        s.mech.projector().poke();
    }
    let visible: Vec<Value> = applied
        .items
        .iter()
        .filter(|i| i.audience.allows(who))
        .map(|i| json!({"id": i.id, "event": serde_json::from_str::<Value>(&i.data).unwrap_or_default()}))
        .collect();
    Ok(json!({
        "accepted": applied.count,
        "batch": applied.batch,
        "sha256": sha,
        "events": visible,
        "ledger_index": receipt,
    }))
}

/// Records the batch itself and waits for it and its events' entries to be durable.
#[allow(clippy::too_many_arguments)]
fn record_batch(
    s: &AppState,
    submitter: &str,
    batch: u64,
    count: usize,
    first: &str,
    last: &str,
    sha: &str,
    events: Vec<truceline_ledger::ledger::Pending>,
) -> ApiResult<u64> {
    let now = s.clock.now_ms().max(0) as u64;
    let fail = |e: truceline_ledger::ledger::AppendError| {
        ApiError::unavailable(format!("the ledger refused the batch: {e}"))
    };
    let receipt = s
        .ledger
        .submit_own("reports/batch", vec![submitter.to_owned()], json!({"batch": batch, "submitter": submitter, "count": count, "first_t": first, "last_t": last, "sha256": sha}), now)
        .map_err(fail)?;
    let index = receipt.wait().map_err(fail)?.index;
    for p in events {
        p.wait().map_err(fail)?;
    }
    Ok(index)
}
