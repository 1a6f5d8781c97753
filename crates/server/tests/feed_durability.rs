//! A feed item is on disk before any reader sees it, so that a reader resuming with
//! `Last-Event-ID` after a crash of the server never skips an item: ids it saw are never
//! given again, and ids given again were never seen.

mod common;

use std::sync::{Arc, Condvar, Mutex};

use common::*;
use serde_json::json;
use truceline_server::access::{Audience, Principal};
use truceline_server::feed::{Feed, FeedItem, NewItem};
use truceline_server::store::{DocKind, SqliteStore, Store, StoreError};

/// (open, commits entered), and the condition both wait on.
type Gate = Arc<(Mutex<(bool, usize)>, Condvar)>;

/// The real store, with a gate in front of feed commits: a commit waits inside
/// `append_feed` until the gate opens (never, for a "crash").
struct Gated {
    inner: SqliteStore,
    gate: Gate,
}

impl Gated {
    fn open(dir: &std::path::Path) -> (Self, Gate) {
        let gate = Arc::new((Mutex::new((false, 0)), Condvar::new()));
        (
            Gated {
                inner: SqliteStore::open(&dir.join("server.db")).unwrap(),
                gate: Arc::clone(&gate),
            },
            gate,
        )
    }
}

impl Store for Gated {
    fn put_doc(&self, kind: DocKind, id: &str, json: &str) -> Result<(), StoreError> {
        self.inner.put_doc(kind, id, json)
    }
    fn delete_doc(&self, kind: DocKind, id: &str) -> Result<(), StoreError> {
        self.inner.delete_doc(kind, id)
    }
    fn docs(&self, kind: DocKind) -> Result<Vec<String>, StoreError> {
        self.inner.docs(kind)
    }
    fn keyed_docs(&self, kind: DocKind) -> Result<Vec<(String, String)>, StoreError> {
        self.inner.keyed_docs(kind)
    }
    fn projection_next(&self) -> Result<u64, StoreError> {
        self.inner.projection_next()
    }
    fn commit_projection(
        &self,
        docs: &[(DocKind, String, String)],
        next: u64,
    ) -> Result<(), StoreError> {
        self.inner.commit_projection(docs, next)
    }
    fn clear_projection(&self) -> Result<(), StoreError> {
        self.inner.clear_projection()
    }
    fn last_feed_source(&self) -> Result<u64, StoreError> {
        self.inner.last_feed_source()
    }
    fn append_feed(&self, items: &[Arc<FeedItem>]) -> Result<(), StoreError> {
        let (m, cv) = &*self.gate;
        let mut g = m.lock().unwrap();
        g.1 += 1;
        cv.notify_all();
        while !g.0 {
            g = cv.wait(g).unwrap();
        }
        drop(g);
        self.inner.append_feed(items)
    }
    fn feed_after(&self, after: u64, limit: usize) -> Result<Vec<FeedItem>, StoreError> {
        self.inner.feed_after(after, limit)
    }
    fn last_feed_id(&self) -> Result<u64, StoreError> {
        self.inner.last_feed_id()
    }
    fn cursor(&self, hook: &str) -> Result<Option<u64>, StoreError> {
        self.inner.cursor(hook)
    }
    fn last_feed_id_before_source(&self, source: u64) -> Result<u64, StoreError> {
        self.inner.last_feed_id_before_source(source)
    }
    fn set_cursor(&self, hook: &str, delivered: u64) -> Result<(), StoreError> {
        self.inner.set_cursor(hook, delivered)
    }
}

fn item(n: u64) -> NewItem {
    NewItem {
        kind: "event",
        time_ms: 0,
        audience: Audience::default(),
        data: json!({ "n": n }),
        source: None,
    }
}

/// Waits (with a deadline, no sleeps) until the writer is inside its `count`-th commit.
fn until_committing(gate: &(Mutex<(bool, usize)>, Condvar), count: usize) {
    let (m, cv) = gate;
    let (g, timeout) = cv
        .wait_timeout_while(m.lock().unwrap(), DEADLINE, |g| g.1 < count)
        .unwrap();
    assert!(
        !timeout.timed_out(),
        "the feed writer never started commit {count}"
    );
    drop(g);
}

fn open_gate(gate: &(Mutex<(bool, usize)>, Condvar)) {
    gate.0.lock().unwrap().0 = true;
    gate.1.notify_all();
}

#[test]
fn nothing_is_announced_before_it_is_committed_and_a_restart_resumes_past_what_was_seen() {
    let dir = tempfile::tempdir().unwrap();
    let mediator = Principal {
        id: "RU".into(),
        role: truceline_engine::agreement::Role::Mediator,
    };

    // First life: item 1 is committed and announced.
    let (store, gate) = Gated::open(dir.path());
    let feed = Feed::open(Arc::new(store)).unwrap();
    let mut rx = feed.subscribe();
    open_gate(&gate);
    let first = feed.publish_durable(vec![item(1)]);
    assert_eq!(first[0].id, 1);
    assert_eq!(rx.try_recv().unwrap().id, 1);
    // Item 2 is published while its commit hangs: nobody sees it, by any route.
    gate.0.lock().unwrap().0 = false;
    let second = feed.publish(vec![item(2)]);
    assert_eq!(second[0].id, 2);
    until_committing(&gate, 2);
    assert!(rx.try_recv().is_err(), "announced before it was committed");
    assert_eq!(feed.last_id(), 1);
    assert!(feed.after(1, 10).is_empty());
    assert_eq!(feed.visible_after(&mediator, 0, 10).0.len(), 1);

    // The process dies now (the hung commit never happens). What a reader saw: id 1.
    // Second life, on the same files: numbering resumes after 1, so id 2 is given to the
    // next item, which a reader resuming after 1 gets; nothing it saw is given again.
    let (store, gate2) = Gated::open(dir.path());
    open_gate(&gate2);
    let feed2 = Feed::open(Arc::new(store)).unwrap();
    assert_eq!(feed2.last_id(), 1, "item 1 was announced, so it is on disk");
    let next = feed2.publish_durable(vec![item(3)]);
    assert_eq!(next[0].id, 2);
    let resumed = feed2.after(1, 10);
    assert_eq!(resumed.len(), 1);
    assert_eq!(&*resumed[0].data, "{\"n\":3}");
    assert_eq!(feed2.after(0, 10)[0].data, first[0].data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_a_subscriber_received_is_already_on_disk() {
    let server = start("").await;
    let mp = server.login("RU-MP").await;
    let mut stream = mp.stream(Some(0)).await;
    let (s, b) = mp
        .post_lines(&report(
            "2025-12-01T03:00:00Z",
            "SY-TB-3",
            "SY",
            "tank",
            14,
            35.884334,
            33.011197,
        ))
        .await;
    assert_eq!(s, 200, "{b}");
    let ev = stream.until("breach event", |m| m.event == "event").await;
    // Read the feed's file with a connection of our own, as a restarted server would.
    let db = rusqlite::Connection::open(server.state.data_dir.join("feed.db")).unwrap();
    let (kind, time_ms, data): (String, i64, String) = db
        .query_row(
            "SELECT kind, time_ms, data FROM feed WHERE id = ?1",
            [ev.id as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(kind, "event");
    // The stream's copy is the stored item, stamped with the server's time of it.
    let mut stored: serde_json::Value = serde_json::from_str(&data).unwrap();
    stored["at"] = truceline_server::clock::rfc3339_ms(time_ms).into();
    assert_eq!(stored, ev.data);
    // The batch's answer came after its events were stored, too.
    let last = b["events"].as_array().unwrap().last().unwrap()["id"]
        .as_u64()
        .unwrap();
    let stored: i64 = db
        .query_row("SELECT MAX(id) FROM feed", [], |r| r.get(0))
        .unwrap();
    assert!(stored as u64 >= last);
}
