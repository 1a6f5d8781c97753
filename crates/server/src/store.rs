//! The embedded store: the projections of the ledger (notices, incidents, and the index
//! of the next entry they have not applied), the feed (events and every change, in
//! order), webhooks and their delivery cursors. Behind a small trait; SQLite in WAL mode
//! in the data directory is the default, one file a person can open with the sqlite3 tool.
//!
//! Notices and incidents are JSON documents keyed by id, written by the projection only,
//! each batch of entries in one transaction with the projection's position in the ledger
//! ([`Store::commit_projection`]), so that what is stored is always the ledger's state
//! up to one index; the feed is append-only with increasing ids, in
//! a file of its own (`feed.db`, beside `server.db`) with a connection of its own, and
//! every commit of it is synced (`synchronous=FULL`): the feed announces only what is on
//! disk, and its one writer never waits behind the documents' or the hooks' writes.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::feed::FeedItem;

#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// Kinds of JSON documents the server keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Notice,
    Incident,
    Webhook,
    /// A filed draft, with its files.
    Draft,
    /// The talks' signatures and versions, in one document.
    Talks,
    /// The force's records, keyed `"<table>/<id>"` ([`crate::operations::Table`]).
    Operation,
}

impl DocKind {
    fn table(self) -> &'static str {
        match self {
            DocKind::Notice => "notices",
            DocKind::Incident => "incidents",
            DocKind::Webhook => "webhooks",
            DocKind::Draft => "drafts",
            DocKind::Talks => "talks",
            DocKind::Operation => "operations",
        }
    }
}

pub trait Store: Send + Sync {
    /// Inserts or replaces a document.
    fn put_doc(&self, kind: DocKind, id: &str, json: &str) -> Result<(), StoreError>;
    fn delete_doc(&self, kind: DocKind, id: &str) -> Result<(), StoreError>;
    /// The index of the next ledger entry the stored projections have not applied.
    fn projection_next(&self) -> Result<u64, StoreError>;
    /// Writes projected documents and the projection's new position in one transaction.
    fn commit_projection(
        &self,
        docs: &[(DocKind, String, String)],
        next: u64,
    ) -> Result<(), StoreError>;
    /// Drops the projections (notices, incidents, webhooks, position) to rebuild them;
    /// the feed and the hooks' cursors are delivery state and stay.
    fn clear_projection(&self) -> Result<(), StoreError>;
    /// The highest ledger index a feed item tells of (0 when none does).
    fn last_feed_source(&self) -> Result<u64, StoreError>;
    /// Every document of a kind, in id order.
    fn docs(&self, kind: DocKind) -> Result<Vec<String>, StoreError>;
    /// Every document of a kind with its id, in id order.
    fn keyed_docs(&self, kind: DocKind) -> Result<Vec<(String, String)>, StoreError>;
    fn append_feed(&self, items: &[std::sync::Arc<FeedItem>]) -> Result<(), StoreError>;
    /// Items with id > `after`, at most `limit`, in id order.
    fn feed_after(&self, after: u64, limit: usize) -> Result<Vec<FeedItem>, StoreError>;
    fn last_feed_id(&self) -> Result<u64, StoreError>;
    /// Where a hook's delivery has got to; `None` when no cursor is stored.
    fn cursor(&self, hook: &str) -> Result<Option<u64>, StoreError>;
    /// The last feed item told of an entry before ledger index `source` (0 when none).
    fn last_feed_id_before_source(&self, source: u64) -> Result<u64, StoreError>;
    fn set_cursor(&self, hook: &str, delivered: u64) -> Result<(), StoreError>;
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS notices (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incidents (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS drafts (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS talks (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS operations (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hook_cursors (hook TEXT PRIMARY KEY, delivered INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS projection (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
";

const FEED_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS feed (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, time_ms INTEGER NOT NULL, audience TEXT NOT NULL, data TEXT NOT NULL);
";

/// SQLite, WAL: for the documents and cursors one writer connection and one reader
/// connection on `server.db`; for the feed the same on `feed.db`.
pub struct SqliteStore {
    write: Mutex<Connection>,
    read: Mutex<Connection>,
    feed_write: Mutex<Connection>,
    feed_read: Mutex<Connection>,
}

fn open_wal(path: &Path, synchronous: &str) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError(format!(
            "{}: journal_mode is {mode}, WAL is required",
            path.display()
        )));
    }
    conn.execute_batch(&format!("PRAGMA synchronous={synchronous};"))?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens `path` (server.db) and `feed.db` beside it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let write = open_wal(path, "NORMAL")?;
        write.execute_batch(SCHEMA)?;
        let read = Connection::open(path)?;
        read.busy_timeout(std::time::Duration::from_secs(5))?;
        let feed_path = path.with_file_name("feed.db");
        let feed_write = open_wal(&feed_path, "FULL")?;
        feed_write.execute_batch(FEED_SCHEMA)?;
        let has_source: bool = feed_write.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info('feed') WHERE name = 'source'",
            [],
            |r| r.get(0),
        )?;
        if !has_source {
            feed_write.execute_batch("ALTER TABLE feed ADD COLUMN source INTEGER;")?;
        }
        migrate_feed(&write, &feed_path)?;
        let feed_read = Connection::open(&feed_path)?;
        feed_read.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(SqliteStore {
            write: Mutex::new(write),
            read: Mutex::new(read),
            feed_write: Mutex::new(feed_write),
            feed_read: Mutex::new(feed_read),
        })
    }

    fn w(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.write.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn r(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.read.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Data directories from before the feed had a file of its own kept it in `server.db`:
/// moves those items to `feed.db` once (in one transaction of `feed.db`, then drops the
/// old table), so that numbering and resumption carry on.
fn migrate_feed(server: &Connection, feed_path: &Path) -> Result<(), StoreError> {
    let old: bool = server.query_row(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'feed'",
        [],
        |r| r.get(0),
    )?;
    if !old {
        return Ok(());
    }
    let path = feed_path
        .to_str()
        .ok_or_else(|| StoreError("the data directory's path is not UTF-8".into()))?;
    server.execute("ATTACH DATABASE ?1 AS newfeed", params![path])?;
    let moved = server.execute_batch(
        "BEGIN;
         INSERT OR IGNORE INTO newfeed.feed (id, kind, time_ms, audience, data)
             SELECT id, kind, time_ms, audience, data FROM main.feed;
         COMMIT;",
    );
    server.execute("DETACH DATABASE newfeed", [])?;
    moved?;
    server.execute_batch("DROP TABLE main.feed;")?;
    Ok(())
}

impl Store for SqliteStore {
    fn put_doc(&self, kind: DocKind, id: &str, json: &str) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT OR REPLACE INTO {} (id, doc) VALUES (?1, ?2)",
            kind.table()
        );
        self.w().execute(&sql, params![id, json])?;
        Ok(())
    }

    fn delete_doc(&self, kind: DocKind, id: &str) -> Result<(), StoreError> {
        let sql = format!("DELETE FROM {} WHERE id = ?1", kind.table());
        self.w().execute(&sql, params![id])?;
        Ok(())
    }

    fn projection_next(&self) -> Result<u64, StoreError> {
        let v: Option<i64> = self
            .r()
            .query_row("SELECT value FROM projection WHERE key = 'next'", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(v.unwrap_or(0) as u64)
    }

    fn commit_projection(
        &self,
        docs: &[(DocKind, String, String)],
        next: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.w();
        let tx = conn.transaction()?;
        for (kind, id, json) in docs {
            let sql = format!(
                "INSERT OR REPLACE INTO {} (id, doc) VALUES (?1, ?2)",
                kind.table()
            );
            tx.prepare_cached(&sql)?.execute(params![id, json])?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO projection (key, value) VALUES ('next', ?1)",
            params![next as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn clear_projection(&self) -> Result<(), StoreError> {
        self.w().execute_batch(
            "BEGIN; DELETE FROM notices; DELETE FROM incidents; DELETE FROM webhooks; DELETE FROM drafts; DELETE FROM talks; DELETE FROM operations; DELETE FROM projection; COMMIT;",
        )?;
        Ok(())
    }

    fn last_feed_id_before_source(&self, source: u64) -> Result<u64, StoreError> {
        let v: Option<i64> = self
            .feed_read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .query_row(
                "SELECT MAX(id) FROM feed WHERE source < ?1",
                params![source as i64],
                |r| r.get(0),
            )?;
        Ok(v.unwrap_or(0) as u64)
    }

    fn last_feed_source(&self) -> Result<u64, StoreError> {
        let v: Option<i64> = self
            .feed_read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .query_row("SELECT MAX(source) FROM feed", [], |r| r.get(0))?;
        Ok(v.unwrap_or(0) as u64)
    }

    fn docs(&self, kind: DocKind) -> Result<Vec<String>, StoreError> {
        let conn = self.r();
        let mut stmt = conn.prepare(&format!("SELECT doc FROM {} ORDER BY id", kind.table()))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn keyed_docs(&self, kind: DocKind) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.r();
        let mut stmt =
            conn.prepare(&format!("SELECT id, doc FROM {} ORDER BY id", kind.table()))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn append_feed(&self, items: &[std::sync::Arc<FeedItem>]) -> Result<(), StoreError> {
        let mut conn = self.feed_write.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO feed (id, kind, time_ms, audience, data, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for item in items {
                let audience =
                    serde_json::to_string(&item.audience).map_err(|e| StoreError(e.to_string()))?;
                stmt.execute(params![
                    item.id as i64,
                    item.kind,
                    item.time_ms,
                    audience,
                    &*item.data,
                    item.source.map(|s| s as i64)
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn feed_after(&self, after: u64, limit: usize) -> Result<Vec<FeedItem>, StoreError> {
        let conn = self.feed_read.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare_cached(
            "SELECT id, kind, time_ms, audience, data, source FROM feed WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after as i64, limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, time_ms, audience, data, source) = row?;
            out.push(
                FeedItem::new(
                    id as u64,
                    kind.into(),
                    time_ms,
                    serde_json::from_str(&audience)
                        .map_err(|e| StoreError(format!("feed item {id}: {e}")))?,
                    data.into(),
                )
                .with_source(source.map(|s| s as u64)),
            );
        }
        Ok(out)
    }

    fn last_feed_id(&self) -> Result<u64, StoreError> {
        let id: Option<i64> = self
            .feed_read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .query_row("SELECT MAX(id) FROM feed", [], |r| r.get(0))?;
        Ok(id.unwrap_or(0) as u64)
    }

    fn cursor(&self, hook: &str) -> Result<Option<u64>, StoreError> {
        let v: Option<i64> = self
            .r()
            .query_row(
                "SELECT delivered FROM hook_cursors WHERE hook = ?1",
                params![hook],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.map(|v| v as u64))
    }

    fn set_cursor(&self, hook: &str, delivered: u64) -> Result<(), StoreError> {
        self.w().execute(
            "INSERT OR REPLACE INTO hook_cursors (hook, delivered) VALUES (?1, ?2)",
            params![hook, delivered as i64],
        )?;
        Ok(())
    }
}
