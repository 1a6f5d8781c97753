//! The HTTP API: JSON over HTTP, problem details for errors, SSE for the live feed.
//! Every route but `/openapi.json`, `/v1/health` and sign-in needs a bearer token.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use truceline_engine::agreement::Role;

use crate::access::Principal;
use crate::acts::{Act, Signing};
use crate::error::{ApiError, ApiResult};
use crate::feed::FeedItem;
use crate::incidents::IncidentDraft;
use crate::notices::NoticeDraft;
use crate::state::AppState;

/// Largest request body (a batch of reports or an evidence file).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Most items one list call returns.
pub const MAX_PAGE: usize = 1_000;

pub const OPENAPI: &str = include_str!("../openapi.json");

type S = State<Arc<AppState>>;

/// Runs a blocking mechanism operation (it waits for a ledger commit) off the async
/// workers, and to completion even if the client goes away.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
}

impl FromRequestParts<Arc<AppState>> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = match header {
            Some(h) => h
                .strip_prefix("Bearer ")
                .ok_or_else(|| ApiError::unauthorized("use Authorization: Bearer <token>"))?
                .to_owned(),
            None => parts
                .uri
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("access_token=")))
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::unauthorized(
                        "sign in: POST /v1/auth/challenge, sign, POST /v1/auth/token",
                    )
                })?,
        };
        state.auth.principal(&token)
    }
}

/// JSON body with our problem details on rejection.
struct Body<T>(T);

impl<T: serde::de::DeserializeOwned, St: Send + Sync> axum::extract::FromRequest<St> for Body<T> {
    type Rejection = ApiError;
    async fn from_request(
        req: axum::extract::Request,
        state: &St,
    ) -> Result<Self, Self::Rejection> {
        let Json(v) = Json::<T>::from_request(req, state).await?;
        Ok(Body(v))
    }
}

pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        )
        .route("/v1/health", get(health))
        .route("/v1/auth/challenge", post(challenge))
        .route("/v1/auth/token", post(token))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/me", get(me))
        .route("/v1/agreement", get(agreement))
        .route("/v1/reports", post(reports))
        .route("/v1/feed", get(feed))
        .route("/v1/stream", get(stream))
        .route("/v1/notices", get(list_notices).post(submit_notice))
        .route("/v1/notices/check", post(check_notice))
        .route("/v1/notices/{id}", get(get_notice))
        .route("/v1/notices/{id}/relay", post(relay_notice))
        .route("/v1/notices/{id}/answer", post(answer_notice))
        .route("/v1/notices/{id}/withdraw", post(withdraw_notice))
        .route("/v1/incidents", get(list_incidents).post(report_incident))
        .route("/v1/incidents/{id}", get(get_incident))
        .route("/v1/incidents/{id}/investigate", post(investigate))
        .route("/v1/incidents/{id}/responses", post(respond))
        .route("/v1/incidents/{id}/finding", post(finding))
        .route("/v1/acts/prepare", post(prepare_act))
        .route("/v1/acts", post(submit_act))
        .route("/v1/evidence", post(put_evidence))
        .route("/v1/evidence/{sha256}", get(get_evidence))
        .route("/v1/summary", get(summary_json))
        .route("/v1/summary.html", get(summary_html))
        .route("/v1/search", get(search))
        .route("/v1/webhooks", get(list_hooks).post(create_hook))
        .route("/v1/webhooks/{id}", axum::routing::delete(delete_hook))
        .route("/v1/ledger/checkpoint", get(checkpoint))
        .route("/v1/ledger/export", get(export))
        .route("/v1/ledger/proof/inclusion", get(inclusion))
        .route("/v1/ledger/proof/consistency", get(consistency))
        .route("/v1/ledger/cosignatures", post(cosign))
        .route("/v1/ledger/keys", get(verifier_keys))
        .fallback(|| async { ApiError::not_found("no such route; see /openapi.json") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn health(State(s): S) -> Json<Value> {
    Json(
        json!({"ok": true, "agreement": s.agreement.id, "ledger_size": s.ledger.size(), "feed": s.feed.last_id()}),
    )
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

async fn agreement(State(s): S, _who: Principal) -> Json<Value> {
    let a = &s.agreement;
    Json(json!({
        "id": a.id, "title": a.title, "version": a.version,
        "parties": a.parties.iter().map(|p| json!({"id": p.id, "name": p.name, "role": p.role.as_str()})).collect::<Vec<_>>(),
        "categories": a.categories.iter().map(|c| json!({"id": c.id, "name": c.name})).collect::<Vec<_>>(),
        "features": a.features.iter().map(|f| json!({"id": f.id, "name": f.name, "geometry": f.geometry_json})).collect::<Vec<_>>(),
        "rules": a.rules.iter().map(|r| json!({"id": r.id, "kind": r.kind.name(),
            "active_from": r.active_from.map(|t| t.to_string()), "active_until": r.active_until.map(|t| t.to_string())})).collect::<Vec<_>>(),
        "notices": s.mech.policy(),
    }))
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

#[derive(Deserialize)]
struct FeedQuery {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    kind: Option<String>,
}

fn item_json(i: &FeedItem) -> Value {
    json!({"id": i.id, "kind": &*i.kind, "time": crate::clock::rfc3339_ms(i.time_ms), "data": serde_json::from_str::<Value>(&i.data).unwrap_or_default()})
}

async fn feed(State(s): S, who: Principal, Query(q): Query<FeedQuery>) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let mut after = q.after;
    let mut out = Vec::new();
    // Scan forward until a page is full or the feed ends.
    for _ in 0..64 {
        let (items, scanned) = s.feed.visible_after(&who, after, 4096);
        out.extend(
            items
                .iter()
                .filter(|i| q.kind.as_deref().is_none_or(|k| *i.kind == *k))
                .map(|i| item_json(i)),
        );
        if scanned == after || out.len() >= limit {
            break;
        }
        after = scanned;
    }
    out.truncate(limit);
    let next = out.last().and_then(|v| v["id"].as_u64()).unwrap_or(after);
    Ok(Json(json!({"items": out, "next_after": next})))
}

struct Subscriber(Arc<AppState>);
impl Drop for Subscriber {
    fn drop(&mut self) {
        self.0.subscribers.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Deserialize)]
struct StreamQuery {
    #[serde(default)]
    last_event_id: Option<u64>,
    #[serde(default)]
    kind: Option<String>,
}

/// A keep-alive comment is sent this often, so that proxies keep an idle stream open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Most bytes one write to a stream carries when it has fallen behind.
const MAX_CHUNK_BYTES: usize = 256 * 1024;

async fn stream(
    State(s): S,
    who: Principal,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> ApiResult<Response> {
    if s.subscribers.fetch_add(1, Ordering::SeqCst) >= s.max_subscribers {
        s.subscribers.fetch_sub(1, Ordering::SeqCst);
        return Err(ApiError::unavailable(format!(
            "at most {} stream subscribers; try again later",
            s.max_subscribers
        )));
    }
    let guard = Subscriber(Arc::clone(&s));
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .or(q.last_event_id)
        // A new subscriber without an id starts at the present.
        .unwrap_or_else(|| s.feed.last_id());
    let rx = s.feed.subscribe_as(&who);
    let state = StreamState {
        s: Arc::clone(&s),
        who,
        rx,
        last,
        pending: Default::default(),
        catching_up: true,
        kind: q.kind,
        keep_alive: Box::pin(tokio::time::sleep(KEEP_ALIVE)),
        _guard: guard,
    };
    // Each item's message was encoded once, when it was published; a stream only picks
    // the ones its principal may see and writes them, several at once when it is behind.
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        use tokio::sync::broadcast::error::{RecvError, TryRecvError};
        let mut chunk: Vec<Bytes> = Vec::new();
        let mut size = 0;
        loop {
            while size < MAX_CHUNK_BYTES {
                let Some(item) = st.pending.pop_front() else {
                    break;
                };
                if item.id <= st.last {
                    continue;
                }
                st.last = item.id;
                if item.audience.allows(&st.who)
                    && st.kind.as_deref().is_none_or(|k| *item.kind == *k)
                {
                    size += item.sse.len();
                    chunk.push(item.sse.clone());
                }
            }
            if size >= MAX_CHUNK_BYTES {
                break;
            }
            if st.catching_up {
                let items = st.s.feed.after(st.last, 1024);
                if items.is_empty() {
                    st.catching_up = false;
                } else {
                    st.pending.extend(items);
                }
                continue;
            }
            // Whatever else has arrived goes in the same write.
            match st.rx.try_recv() {
                Ok(item) => {
                    st.pending.push_back(item);
                    continue;
                }
                Err(TryRecvError::Lagged(_)) => {
                    st.catching_up = true;
                    continue;
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => {}
            }
            if !chunk.is_empty() {
                break;
            }
            // One timer for the stream's life, not one per wait: a wait that registered
            // and dropped a timer cost every stream a trip to the timer wheel per item.
            tokio::select! {
                got = st.rx.recv() => match got {
                    Ok(item) => st.pending.push_back(item),
                    Err(RecvError::Lagged(_)) => st.catching_up = true,
                    Err(RecvError::Closed) => return None,
                },
                () = &mut st.keep_alive => {
                    st.keep_alive.as_mut().reset(tokio::time::Instant::now() + KEEP_ALIVE);
                    return Some((Ok(Bytes::from_static(b":\n\n")), st));
                }
            }
        }
        let bytes = if chunk.len() == 1 {
            chunk.pop().unwrap_or_default()
        } else {
            Bytes::from(chunk.concat())
        };
        Some((Ok::<_, Infallible>(bytes), st))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}

struct StreamState {
    s: Arc<AppState>,
    who: Principal,
    rx: tokio::sync::broadcast::Receiver<Arc<FeedItem>>,
    last: u64,
    pending: std::collections::VecDeque<Arc<FeedItem>>,
    catching_up: bool,
    kind: Option<String>,
    /// When the next keep-alive comment is due (every [`KEEP_ALIVE`], busy or idle).
    keep_alive: std::pin::Pin<Box<tokio::time::Sleep>>,
    _guard: Subscriber,
}

// ---- notices ----

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
    s.mech.notice_for(&who, &id).map(Json)
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

// ---- incidents ----

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
    s.mech.incident_for(&who, &id).map(Json)
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

// ---- acts signed by their authors ----

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

// ---- evidence ----

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
        Ok(())
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

// ---- summary, search ----

#[derive(Deserialize)]
struct SummaryQuery {
    #[serde(default)]
    party: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    until: Option<String>,
}

async fn summary_value(s: &AppState, who: &Principal, q: SummaryQuery) -> ApiResult<Value> {
    let time = |field: &str, v: &Option<String>| {
        v.as_deref()
            .map(crate::clock::parse_ms)
            .transpose()
            .map_err(|e| ApiError::unprocessable(format!("{field}: {e}")))
    };
    let from = time("from", &q.from)?;
    let until = time("until", &q.until)?;
    if let (Some(f), Some(u)) = (from, until) {
        if u <= f {
            return Err(ApiError::unprocessable("until must be after from"));
        }
    }
    if let Some(p) = &q.party {
        if !s
            .agreement
            .parties
            .iter()
            .any(|x| x.id == *p && x.role == Role::Party)
        {
            return Err(ApiError::not_found(format!("no party {p:?}")));
        }
    }
    let snapshot = s.live.snapshot().await?;
    let checkpoint = s
        .ledger
        .checkpoint()
        .map_err(|e| ApiError::unavailable(format!("the ledger: {e}")))?
        .map(|c| (c.checkpoint.size, b64(&c.checkpoint.root)));
    let incidents = s.mech.all_incidents();
    Ok(crate::summary::compute(&crate::summary::Input {
        agreement: &s.agreement,
        incidents: &incidents,
        snapshot: &snapshot,
        disclosure: &s.disclosure,
        who,
        party: q.party.as_deref(),
        from_ms: from,
        until_ms: until,
        made_at_ms: s.clock.now_ms(),
        checkpoint,
    }))
}

async fn summary_json(
    State(s): S,
    who: Principal,
    Query(q): Query<SummaryQuery>,
) -> ApiResult<Json<Value>> {
    summary_value(&s, &who, q).await.map(Json)
}

async fn summary_html(
    State(s): S,
    who: Principal,
    Query(q): Query<SummaryQuery>,
) -> ApiResult<Html<String>> {
    summary_value(&s, &who, q)
        .await
        .map(|v| Html(crate::summary::html(&v)))
}

#[derive(Deserialize)]
struct SearchQuery {
    q: String,
}

async fn search(
    State(s): S,
    who: Principal,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<Value>> {
    if q.q.is_empty() || q.q.len() > 200 {
        return Err(ApiError::unprocessable("q: 1 to 200 characters"));
    }
    Ok(Json(json!({"items": s.mech.search(&who, &q.q)})))
}

// ---- webhooks ----

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
    let h = crate::webhooks::create(&s, &who, r.url)?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(h).unwrap_or_default()),
    ))
}

async fn list_hooks(State(s): S, who: Principal) -> Json<Value> {
    Json(json!({"items": s.hooks.list_for(&who), "log_key": s.ledger.log_key().to_string()}))
}

async fn delete_hook(State(s): S, who: Principal, Path(id): Path<String>) -> ApiResult<StatusCode> {
    crate::webhooks::delete(&s, &who, &id).map(|_| StatusCode::NO_CONTENT)
}

// ---- ledger ----

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
        Ok(out)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], bytes).into_response())
}

#[derive(Deserialize)]
struct InclusionQuery {
    index: u64,
    size: u64,
}

fn b64(h: &[u8; 32]) -> String {
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
