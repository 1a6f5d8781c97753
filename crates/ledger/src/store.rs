//! Durable storage behind a small trait, and its SQLite implementation.
//!
//! Durability: `append` returns only after the transaction holding the entries and their
//! checkpoint has committed with `synchronous=FULL` in WAL mode, so the WAL is fsync'd
//! at every commit. (`NORMAL` with WAL survives a process crash but may lose the last
//! commits on power loss, which would break "an acknowledged entry is never lost".) One
//! commit carries a whole batch, so concurrent appenders share one fsync.
//!
//! Entries and the checkpoint that covers them commit in one transaction; an entry row
//! past the last checkpoint therefore was never acknowledged (see [`crate::ledger`] for
//! what opening does with such a torn tail).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::merkle::Hash;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("store {path}: another writer appended meanwhile (expected next index {expected}, found {found})")]
    Conflict {
        path: PathBuf,
        expected: u64,
        found: u64,
    },
    #[error("store {path}: {what}")]
    Config { path: PathBuf, what: String },
    #[error("the ledger's writer stopped: {0}")]
    Stopped(String),
    /// A scan callback's way to stop early; the caller keeps its own reason.
    #[error("scan interrupted by its caller")]
    Interrupted,
    #[error("store {path}: row {index} is malformed: {what}")]
    BadRow {
        path: PathBuf,
        index: u64,
        what: String,
    },
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub index: u64,
    pub leaf: Hash,
    /// SHA-256(previous chain || leaf); all zeros before index 0. Lets opening name the
    /// exact index where rows were reordered, removed or inserted.
    pub chain: Hash,
    pub author: String,
    pub seq: u64,
    pub envelope: Vec<u8>,
}

/// Bytes an entry names by their SHA-256 (a report batch's body, say), stored beside the
/// entry in the same transaction. They are not part of the leaf: the entry's body commits
/// to them by hash, so the tree stays small and a reader checks them against that hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The index of the entry that names them.
    pub index: u64,
    pub bytes: Vec<u8>,
}

/// A log-signed checkpoint as stored, without cosignatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub note: String,
}

/// Reading side: safe to use from a thread other than the writer's.
pub trait StoreRead: Send {
    fn entry_count(&self) -> Result<u64, StoreError>;
    /// Calls `f` for rows `from..to` in index order, from one consistent snapshot.
    fn scan(
        &self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError>;
    /// Cosignature lines (signed-note signature lines) stored for a checkpoint size.
    fn cosignatures(&self, size: u64) -> Result<Vec<String>, StoreError>;
    /// Highest seq each author has stored.
    fn author_seqs(&self) -> Result<Vec<(String, u64)>, StoreError>;
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Calls `f` for the attachments of entries `from..to`, in index order.
    fn scan_attachments(
        &self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(Attachment) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
}

/// Opens independent read handles (one per export, say), from any thread.
pub type ReaderOpener = Arc<dyn Fn() -> Result<Box<dyn StoreRead>, StoreError> + Send + Sync>;

/// Writing side, owned by the ledger's writer thread.
pub trait Store: StoreRead {
    /// Something that opens new, independent read handles.
    fn reader_opener(&self) -> ReaderOpener;
    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Stores rows (which must start at the current count), their attachments and the
    /// checkpoint covering them, atomically; durable when it returns Ok.
    fn append(
        &mut self,
        rows: &[Row],
        attachments: &[Attachment],
        checkpoint: &StoredCheckpoint,
    ) -> Result<(), StoreError>;
    /// Deletes rows (and their attachments) from `size` on; returns how many rows. Only
    /// for a torn tail.
    fn truncate(&mut self, size: u64) -> Result<u64, StoreError>;
    fn add_cosignature(&mut self, size: u64, name: &str, line: &str) -> Result<(), StoreError>;
}

/// The embedded store: one SQLite file in WAL mode, readable with the `sqlite3` tool.
pub struct SqliteStore {
    path: PathBuf,
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS entries(
    idx INTEGER PRIMARY KEY,
    leaf BLOB NOT NULL,
    chain BLOB NOT NULL,
    author TEXT NOT NULL,
    seq INTEGER NOT NULL,
    envelope BLOB NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS attachments(idx INTEGER PRIMARY KEY, bytes BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS cosignatures(
    size INTEGER NOT NULL,
    name TEXT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY(size, name)
) STRICT;
";

/// How long a connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl SqliteStore {
    /// Opens or creates the store file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Config {
                path,
                what: format!("journal_mode is {mode}, WAL is required"),
            });
        }
        conn.execute_batch("PRAGMA synchronous=FULL;")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Self { path, conn })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Direct access for tests that damage the store on purpose.
    #[doc(hidden)]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

struct SqliteReader {
    path: PathBuf,
    conn: Connection,
}

fn hash_from(path: &Path, index: u64, bytes: Vec<u8>, what: &str) -> Result<Hash, StoreError> {
    bytes.try_into().map_err(|_| StoreError::BadRow {
        path: path.to_path_buf(),
        index,
        what: format!("{what} is not 32 bytes"),
    })
}

fn read_entry_count(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n as u64)
}

macro_rules! impl_read {
    ($t:ty) => {
        impl StoreRead for $t {
            fn entry_count(&self) -> Result<u64, StoreError> {
                read_entry_count(&self.conn).map_err(|source| StoreError::Sqlite { path: self.path.clone(), source })
            }

            fn scan(&self, from: u64, to: u64, f: &mut dyn FnMut(Row) -> Result<(), StoreError>) -> Result<(), StoreError> {
                let err = |source| StoreError::Sqlite { path: self.path.clone(), source };
                let mut stmt = self
                    .conn
                    .prepare_cached("SELECT idx, leaf, chain, author, seq, envelope FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")
                    .map_err(err)?;
                let mut rows = stmt.query(params![from as i64, to as i64]).map_err(err)?;
                while let Some(r) = rows.next().map_err(err)? {
                    let index = r.get::<_, i64>(0).map_err(err)? as u64;
                    let row = Row {
                        index,
                        leaf: hash_from(&self.path, index, r.get(1).map_err(err)?, "leaf hash")?,
                        chain: hash_from(&self.path, index, r.get(2).map_err(err)?, "chain hash")?,
                        author: r.get(3).map_err(err)?,
                        seq: r.get::<_, i64>(4).map_err(err)? as u64,
                        envelope: r.get(5).map_err(err)?,
                    };
                    f(row)?;
                }
                Ok(())
            }

            fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
                let err = |source| StoreError::Sqlite { path: self.path.clone(), source };
                let mut stmt = self.conn.prepare_cached("SELECT size, note FROM checkpoints ORDER BY size").map_err(err)?;
                let rows = stmt
                    .query_map([], |r| Ok(StoredCheckpoint { size: r.get::<_, i64>(0)? as u64, note: r.get(1)? }))
                    .map_err(err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(err)
            }

            fn cosignatures(&self, size: u64) -> Result<Vec<String>, StoreError> {
                let err = |source| StoreError::Sqlite { path: self.path.clone(), source };
                let mut stmt = self.conn.prepare_cached("SELECT line FROM cosignatures WHERE size = ?1 ORDER BY name").map_err(err)?;
                let rows = stmt.query_map([size as i64], |r| r.get(0)).map_err(err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(err)
            }

            fn author_seqs(&self) -> Result<Vec<(String, u64)>, StoreError> {
                let err = |source| StoreError::Sqlite { path: self.path.clone(), source };
                let mut stmt = self.conn.prepare_cached("SELECT author, MAX(seq) FROM entries GROUP BY author").map_err(err)?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))).map_err(err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(err)
            }

            fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
                self.conn
                    .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                    .optional()
                    .map_err(|source| StoreError::Sqlite { path: self.path.clone(), source })
            }

            fn scan_attachments(&self, from: u64, to: u64, f: &mut dyn FnMut(Attachment) -> Result<(), StoreError>) -> Result<(), StoreError> {
                let err = |source| StoreError::Sqlite { path: self.path.clone(), source };
                let mut stmt = self
                    .conn
                    .prepare_cached("SELECT idx, bytes FROM attachments WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")
                    .map_err(err)?;
                let mut rows = stmt.query(params![from as i64, to as i64]).map_err(err)?;
                while let Some(r) = rows.next().map_err(err)? {
                    f(Attachment { index: r.get::<_, i64>(0).map_err(err)? as u64, bytes: r.get(1).map_err(err)? })?;
                }
                Ok(())
            }
        }
    };
}

impl_read!(SqliteStore);
impl_read!(SqliteReader);

impl Store for SqliteStore {
    fn reader_opener(&self) -> ReaderOpener {
        let path = self.path.clone();
        Arc::new(move || {
            let err = |source| StoreError::Sqlite {
                path: path.clone(),
                source,
            };
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(&path, flags).map_err(err)?;
            conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
            Ok(Box::new(SqliteReader {
                path: path.clone(),
                conn,
            }) as Box<dyn StoreRead>)
        })
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    fn append(
        &mut self,
        rows: &[Row],
        attachments: &[Attachment],
        checkpoint: &StoredCheckpoint,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        // IMMEDIATE takes the write lock up front, so the count check below cannot race
        // with another process.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let found = read_entry_count(&tx).map_err(err)?;
        let expected = rows.first().map_or(checkpoint.size, |r| r.index);
        if found != expected {
            return Err(StoreError::Conflict {
                path,
                expected,
                found,
            });
        }
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO entries(idx, leaf, chain, author, seq, envelope) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .map_err(err)?;
            for r in rows {
                insert
                    .execute(params![
                        r.index as i64,
                        &r.leaf[..],
                        &r.chain[..],
                        r.author,
                        r.seq as i64,
                        r.envelope
                    ])
                    .map_err(err)?;
            }
            let mut attach = tx
                .prepare_cached("INSERT INTO attachments(idx, bytes) VALUES (?1, ?2)")
                .map_err(err)?;
            for a in attachments {
                attach
                    .execute(params![a.index as i64, a.bytes])
                    .map_err(err)?;
            }
            tx.prepare_cached("INSERT INTO checkpoints(size, note) VALUES (?1, ?2)")
                .map_err(err)?
                .execute(params![checkpoint.size as i64, checkpoint.note])
                .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    fn truncate(&mut self, size: u64) -> Result<u64, StoreError> {
        self.conn
            .execute("DELETE FROM attachments WHERE idx >= ?1", [size as i64])
            .map_err(|e| self.err(e))?;
        let n = self
            .conn
            .execute("DELETE FROM entries WHERE idx >= ?1", [size as i64])
            .map_err(|e| self.err(e))?;
        Ok(n as u64)
    }

    fn add_cosignature(&mut self, size: u64, name: &str, line: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO cosignatures(size, name, line) VALUES (?1, ?2, ?3) ON CONFLICT(size, name) DO NOTHING",
                params![size as i64, name, line],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }
}
