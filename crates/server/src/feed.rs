//! The feed: every engine event and every change to a notice or incident, as numbered items
//! in one order. Readers get it by Server-Sent Events (resumable with `Last-Event-ID`) and
//! by webhooks; each sees only the items whose [`Audience`] allows them. The feed is also the
//! webhooks' durable outbox: a hook's cursor is the last item id it has acknowledged.
//!
//! Durable before announced: [`Feed::publish`] numbers items and queues them for one writer
//! thread, which commits whatever has queued in one transaction (group commit; the feed's
//! store syncs each commit) and only then puts them in the memory ring, broadcasts them to
//! streams and webhooks and moves [`Feed::last_id`]. An id a reader has seen is therefore
//! on disk: after a crash the numbering resumes past it, and `Last-Event-ID` never skips.
//! Items numbered but not yet committed when the process dies were never shown to anyone;
//! their ids are given again.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{broadcast, watch};

use crate::access::{Audience, Principal};
use crate::store::Store;

/// Items kept in memory for fast resumption; older ones come from the store.
pub const RING_ITEMS: usize = 256 * 1024;
/// Items a slow subscriber may fall behind before it is moved back to catching up.
pub const BROADCAST_DEPTH: usize = 64 * 1024;
/// Most items one commit carries.
pub const MAX_COMMIT_ITEMS: usize = 16_384;
/// Publishes waiting for the writer; past this, publishers wait (back-pressure).
pub const QUEUE_DEPTH: usize = 4096;

#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    pub id: u64,
    /// `event`, `notice`, `incident`, `escalation`.
    pub kind: Arc<str>,
    pub time_ms: i64,
    pub audience: Audience,
    /// The JSON body, serialised once for every reader.
    pub data: Arc<str>,
    /// The item as one Server-Sent Events message, encoded once and shared by every
    /// stream allowed to see it.
    pub sse: Bytes,
    /// The ledger entry this item tells of, for items the projection makes from the
    /// record (notices, incidents): on catching up after a crash, items of entries up to
    /// the highest source already in the feed are not published again.
    pub source: Option<u64>,
}

impl FeedItem {
    pub fn new(id: u64, kind: Arc<str>, time_ms: i64, audience: Audience, data: Arc<str>) -> Self {
        let sse = encode_sse(id, &kind, time_ms, &data);
        FeedItem {
            id,
            kind,
            time_ms,
            audience,
            data,
            sse,
            source: None,
        }
    }

    pub fn with_source(mut self, source: Option<u64>) -> Self {
        self.source = source;
        self
    }
}

/// `id: <id>\nevent: <kind>\ndata: <line>\n...\n\n` (one `data:` line per line of data).
/// An object's data gains `"at"`, the item's time as the server stamped it: a browser's
/// `EventSource` sees only `data`, and a feed ordered by each reader's own clock would
/// tell a different story on every screen.
fn encode_sse(id: u64, kind: &str, time_ms: i64, data: &str) -> Bytes {
    let stamped;
    let data = match data.strip_prefix('{') {
        Some(rest) => {
            let sep = if rest.trim_start().starts_with('}') {
                ""
            } else {
                ","
            };
            stamped = format!(
                "{{\"at\":\"{}\"{sep}{rest}",
                crate::clock::rfc3339_ms(time_ms)
            );
            stamped.as_str()
        }
        None => data,
    };
    let mut out = Vec::with_capacity(data.len() + kind.len() + 40);
    out.extend_from_slice(b"id: ");
    out.extend_from_slice(id.to_string().as_bytes());
    out.extend_from_slice(b"\nevent: ");
    out.extend_from_slice(kind.as_bytes());
    out.push(b'\n');
    for line in data.split('\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.strip_suffix('\r').unwrap_or(line).as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    Bytes::from(out)
}

struct Inner {
    /// The id the next published item gets.
    next_id: u64,
    /// Announced (durable) items, the newest last.
    ring: VecDeque<Arc<FeedItem>>,
}

pub struct Feed {
    inner: Mutex<Inner>,
    /// Every item, for readers that pick items themselves (webhooks).
    tx: broadcast::Sender<Arc<FeedItem>>,
    /// Per principal, the items it may see, so that a stream is woken only for those: an
    /// event about one party's forces wakes neither the other party's streams nor the
    /// observers'. Made on a principal's first subscription; the agreement bounds them.
    views: Mutex<Vec<(Principal, broadcast::Sender<Arc<FeedItem>>)>>,
    persist: std::sync::mpsc::SyncSender<Vec<Arc<FeedItem>>>,
    store: Arc<dyn Store>,
    /// The last announced id, for async waiters and blocking ones.
    announced: watch::Sender<u64>,
    announced_sync: (Mutex<u64>, Condvar),
}

/// What a publisher hands in.
pub struct NewItem {
    pub kind: &'static str,
    pub time_ms: i64,
    pub audience: Audience,
    pub data: serde_json::Value,
    /// The ledger entry it tells of ([`FeedItem::source`]).
    pub source: Option<u64>,
}

impl Feed {
    pub fn open(store: Arc<dyn Store>) -> Result<Arc<Feed>, crate::store::StoreError> {
        let last = store.last_feed_id()?;
        let (tx, _) = broadcast::channel(BROADCAST_DEPTH);
        let (persist, rx) = std::sync::mpsc::sync_channel::<Vec<Arc<FeedItem>>>(QUEUE_DEPTH);
        let feed = Arc::new(Feed {
            inner: Mutex::new(Inner {
                next_id: last + 1,
                ring: VecDeque::new(),
            }),
            tx,
            views: Mutex::new(Vec::new()),
            persist,
            store,
            announced: watch::channel(last).0,
            announced_sync: (Mutex::new(last), Condvar::new()),
        });
        let writer = Arc::downgrade(&feed);
        std::thread::Builder::new()
            .name("feed-writer".into())
            .spawn(move || {
                while let Ok(mut batch) = rx.recv() {
                    // Everything that queued while the last commit was syncing goes in this one.
                    while batch.len() < MAX_COMMIT_ITEMS {
                        match rx.try_recv() {
                            Ok(more) => batch.extend(more),
                            Err(_) => break,
                        }
                    }
                    let Some(feed) = writer.upgrade() else { return };
                    feed.commit_and_announce(batch);
                }
            })
            .expect("spawn feed writer");
        Ok(feed)
    }

    /// Commits `batch` (retrying until the store takes it: nothing is announced that is
    /// not on disk, and nothing after it either), then announces it.
    fn commit_and_announce(&self, batch: Vec<Arc<FeedItem>>) {
        let mut wait = Duration::from_millis(50);
        while let Err(e) = self.store.append_feed(&batch) {
            tracing::error!(
                "feed items {}..={}: {e}; announcing nothing until they are stored",
                batch.first().map_or(0, |i| i.id),
                batch.last().map_or(0, |i| i.id)
            );
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(5));
        }
        let last = batch.last().map_or(0, |i| i.id);
        {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            for item in &batch {
                if inner.ring.len() == RING_ITEMS {
                    inner.ring.pop_front();
                }
                inner.ring.push_back(Arc::clone(item));
            }
        }
        // No receivers is not an error: nobody is listening.
        {
            let views = self.views.lock().unwrap_or_else(|e| e.into_inner());
            for (who, tx) in views.iter() {
                if tx.receiver_count() == 0 {
                    continue;
                }
                for item in batch.iter().filter(|i| i.audience.allows(who)) {
                    let _ = tx.send(Arc::clone(item));
                }
            }
        }
        for item in batch {
            let _ = self.tx.send(item);
        }
        self.announced.send_replace(last);
        let (m, cv) = &self.announced_sync;
        *m.lock().unwrap_or_else(|e| e.into_inner()) = last;
        cv.notify_all();
    }

    /// Numbers the items in one order for everyone and queues them to be stored; they
    /// are announced (streams, webhooks, [`Self::after`]) once committed. Returns them
    /// with their ids; [`Self::wait_announced`] waits for the last.
    pub fn publish(&self, items: Vec<NewItem>) -> Vec<Arc<FeedItem>> {
        if items.is_empty() {
            return Vec::new();
        }
        // Serialise outside the lock; only numbering is serialised.
        let bodies: Vec<(NewItem, Arc<str>)> = items
            .into_iter()
            .map(|i| {
                let data = i.data.to_string().into();
                (i, data)
            })
            .collect();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::with_capacity(bodies.len());
        for (item, data) in bodies {
            out.push(Arc::new(
                FeedItem::new(
                    inner.next_id,
                    item.kind.into(),
                    item.time_ms,
                    item.audience,
                    data,
                )
                .with_source(item.source),
            ));
            inner.next_id += 1;
        }
        // Sent under the lock so that the writer gets batches in id order. A full queue
        // makes the publisher wait for the writer (back-pressure).
        if self.persist.send(out.clone()).is_err() {
            tracing::error!("the feed writer has stopped; items are not stored");
        }
        out
    }

    /// Publishes and waits until the items are announced (for blocking callers).
    pub fn publish_durable(&self, items: Vec<NewItem>) -> Vec<Arc<FeedItem>> {
        let out = self.publish(items);
        if let Some(last) = out.last() {
            self.wait_announced_blocking(last.id);
        }
        out
    }

    /// Waits until item `id` is durable and announced.
    pub async fn wait_announced(&self, id: u64) {
        let mut rx = self.announced.subscribe();
        let _ = rx.wait_for(|&a| a >= id).await;
    }

    /// Blocks until item `id` is durable and announced (not on an async worker).
    pub fn wait_announced_blocking(&self, id: u64) {
        let (m, cv) = &self.announced_sync;
        let mut a = m.lock().unwrap_or_else(|e| e.into_inner());
        while *a < id {
            a = cv.wait(a).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Every item as it is announced.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<FeedItem>> {
        self.tx.subscribe()
    }

    /// The items `who` may see as they are announced. Items announced before the call are
    /// in [`Self::after`] (an item is in memory before it is broadcast), so a reader that
    /// subscribes first and then catches up misses none; it may get one twice, by id.
    pub fn subscribe_as(&self, who: &Principal) -> broadcast::Receiver<Arc<FeedItem>> {
        let mut views = self.views.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, tx)) = views.iter().find(|(p, _)| p == who) {
            return tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(BROADCAST_DEPTH);
        views.push((who.clone(), tx));
        rx
    }

    /// The id of the last item announced (durable).
    pub fn last_id(&self) -> u64 {
        *self.announced.borrow()
    }

    /// Up to `limit` announced items after `after`, from memory when it still holds them.
    pub fn after(&self, after: u64, limit: usize) -> Vec<Arc<FeedItem>> {
        {
            let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            match inner.ring.front() {
                Some(front) if front.id <= after + 1 => {
                    let skip = (after + 1 - front.id) as usize;
                    return inner.ring.iter().skip(skip).take(limit).cloned().collect();
                }
                None if self.last_id() <= after => return Vec::new(),
                _ => {}
            }
        }
        let announced = self.last_id();
        match self.store.feed_after(after, limit) {
            // The store may already hold items being announced; they wait their turn.
            Ok(items) => items
                .into_iter()
                .filter(|i| i.id <= announced)
                .map(Arc::new)
                .collect(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use truceline_engine::agreement::Role;

    fn principal(id: &str, role: Role) -> Principal {
        Principal {
            id: id.into(),
            role,
        }
    }

    /// A principal's channel carries exactly the items it may see, in feed order; one that
    /// subscribes later finds the earlier ones in memory.
    #[test]
    fn a_principal_is_sent_only_what_it_may_see() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SqliteStore::open(&dir.path().join("server.db")).unwrap();
        let feed = Feed::open(Arc::new(store)).unwrap();
        let il = principal("IL", Role::Party);
        let sy = principal("SY", Role::Party);
        let monitor = principal("RU-MP", Role::Monitor);
        let mediator = principal("RU", Role::Mediator);
        let mut rx: Vec<_> = [&il, &sy, &monitor, &mediator]
            .iter()
            .map(|p| feed.subscribe_as(p))
            .collect();
        let audiences = [
            Audience::ids(["IL".to_string()]),
            Audience::ids(["SY".to_string()]).with_monitors(),
            Audience {
                public: true,
                ..Audience::default()
            },
            Audience::ids(["IL".to_string(), "SY".to_string()]),
        ];
        let items = audiences
            .iter()
            .map(|a| NewItem {
                kind: "event",
                time_ms: 0,
                audience: a.clone(),
                data: serde_json::json!({}),
                source: None,
            })
            .collect();
        feed.publish_durable(items);
        let got: Vec<Vec<u64>> = rx
            .iter_mut()
            .map(|r| std::iter::from_fn(|| r.try_recv().ok().map(|i| i.id)).collect())
            .collect();
        assert_eq!(
            got,
            [vec![1, 3, 4], vec![2, 3, 4], vec![2, 3], vec![1, 2, 3, 4]]
        );
        let mut late = feed.subscribe_as(&il);
        assert!(late.try_recv().is_err());
        let seen: Vec<u64> = feed
            .visible_after(&il, 0, 10)
            .0
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(seen, [1, 3, 4]);
    }

    #[test]
    fn an_sse_message_is_encoded_once_per_line_of_data() {
        let i = FeedItem::new(
            7,
            "event".into(),
            0,
            Audience::default(),
            "{\"a\":1}".into(),
        );
        assert_eq!(
            &i.sse[..],
            &b"id: 7\nevent: event\ndata: {\"at\":\"1970-01-01T00:00:00Z\",\"a\":1}\n\n"[..]
        );
        let empty = encode_sse(9, "event", 1_000, "{}");
        assert_eq!(
            &empty[..],
            &b"id: 9\nevent: event\ndata: {\"at\":\"1970-01-01T00:00:01Z\"}\n\n"[..]
        );
        let two = encode_sse(8, "notice", 0, "a\nb");
        assert_eq!(&two[..], b"id: 8\nevent: notice\ndata: a\ndata: b\n\n");
    }
}
