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
    let schedule = s.live.schedule();
    let w = who.clone();
    let prepared = if body.len() > 64 * 1024 {
        blocking(move || crate::live::prepare(&schedule, body, &w)).await?
    } else {
        crate::live::prepare(&schedule, body, who)?
    };
    let applied = s.live.apply(prepared).await?;
    // The events' feed items are committed by the feed's writer meanwhile, and the batch's
    // and its events' ledger entries by the ledger's (queued on the engine thread, in
    // engine order); the answer waits for both.
    let announced = async {
        if let Some(last) = applied.items.last() {
            s.feed.wait_announced(last.id).await;
        }
    };
    let had_events = !applied.items.is_empty();
    let recording = applied.recording;
    let recorded = blocking(move || recording.wait());
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
