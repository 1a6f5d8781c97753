//! The feed: pages of items (`GET /v1/feed`) and the live stream (Server-Sent Events, resumable with `Last-Event-ID`), each principal's items only.

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/feed", get(feed))
        .route("/v1/stream", get(stream))
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
