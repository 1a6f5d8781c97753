//! The feed: every engine event and every change to a notice or incident, as numbered items
//! in one order. Readers get it by Server-Sent Events (resumable with `Last-Event-ID`) and
//! by webhooks; each sees only the items whose [`Audience`] allows them. The feed is also the
//! webhooks' durable outbox: a hook's cursor is the last item id it has acknowledged.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::access::{Audience, Principal};
use crate::store::Store;

/// Items kept in memory for fast resumption; older ones come from the store.
pub const RING_ITEMS: usize = 256 * 1024;
/// Items a slow subscriber may fall behind before it is moved back to catching up.
pub const BROADCAST_DEPTH: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    pub id: u64,
    /// `event`, `notice`, `incident`, `escalation`.
    pub kind: Arc<str>,
    pub time_ms: i64,
    pub audience: Audience,
    /// The JSON body, serialised once for every reader.
    pub data: Arc<str>,
}

struct Inner {
    next_id: u64,
    ring: VecDeque<Arc<FeedItem>>,
}

pub struct Feed {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<FeedItem>>,
    persist: std::sync::mpsc::SyncSender<Vec<Arc<FeedItem>>>,
    store: Arc<dyn Store>,
}

/// What a publisher hands in.
pub struct NewItem {
    pub kind: &'static str,
    pub time_ms: i64,
    pub audience: Audience,
    pub data: serde_json::Value,
}

impl Feed {
    pub fn open(store: Arc<dyn Store>) -> Result<Arc<Feed>, crate::store::StoreError> {
        let next_id = store.last_feed_id()? + 1;
        let (tx, _) = broadcast::channel(BROADCAST_DEPTH);
        let (persist, rx) = std::sync::mpsc::sync_channel::<Vec<Arc<FeedItem>>>(4096);
        let writer_store = Arc::clone(&store);
        std::thread::Builder::new()
            .name("feed-writer".into())
            .spawn(move || {
                while let Ok(mut batch) = rx.recv() {
                    while let Ok(more) = rx.try_recv() {
                        batch.extend(more);
                        if batch.len() > 16_384 {
                            break;
                        }
                    }
                    if let Err(e) = writer_store.append_feed(&batch) {
                        tracing::error!("feed items {}..: {e}", batch.first().map_or(0, |i| i.id));
                    }
                }
            })
            .expect("spawn feed writer");
        Ok(Arc::new(Feed {
            inner: Mutex::new(Inner {
                next_id,
                ring: VecDeque::new(),
            }),
            tx,
            persist,
            store,
        }))
    }

    /// Numbers, keeps, broadcasts and queues for storage, in one order for everyone.
    pub fn publish(&self, items: Vec<NewItem>) -> Vec<Arc<FeedItem>> {
        if items.is_empty() {
            return Vec::new();
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let fed = Arc::new(FeedItem {
                id: inner.next_id,
                kind: item.kind.into(),
                time_ms: item.time_ms,
                audience: item.audience,
                data: item.data.to_string().into(),
            });
            inner.next_id += 1;
            if inner.ring.len() == RING_ITEMS {
                inner.ring.pop_front();
            }
            inner.ring.push_back(Arc::clone(&fed));
            // No receivers is not an error: nobody is listening.
            let _ = self.tx.send(Arc::clone(&fed));
            out.push(fed);
        }
        let _ = self.persist.send(out.clone());
        out
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<FeedItem>> {
        self.tx.subscribe()
    }

    /// The id of the last item published.
    pub fn last_id(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).next_id - 1
    }

    /// Up to `limit` items after `after`, from memory when it still holds them.
    pub fn after(&self, after: u64, limit: usize) -> Vec<Arc<FeedItem>> {
        {
            let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            match inner.ring.front() {
                Some(front) if front.id <= after + 1 => {
                    let skip = (after + 1 - front.id) as usize;
                    return inner.ring.iter().skip(skip).take(limit).cloned().collect();
                }
                None => return Vec::new(),
                Some(_) => {}
            }
        }
        match self.store.feed_after(after, limit) {
            Ok(items) => items.into_iter().map(Arc::new).collect(),
            Err(e) => {
                tracing::error!("reading the feed after {after}: {e}");
                Vec::new()
            }
        }
    }

    /// Items after `after` that `who` may see, up to `limit` scanned.
    pub fn visible_after(
        &self,
        who: &Principal,
        after: u64,
        limit: usize,
    ) -> (Vec<Arc<FeedItem>>, u64) {
        let items = self.after(after, limit);
        let last = items.last().map_or(after, |i| i.id);
        (
            items
                .into_iter()
                .filter(|i| i.audience.allows(who))
                .collect(),
            last,
        )
    }
}
