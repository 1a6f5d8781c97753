//! Why opening, appending, cosigning or exporting failed.

use crate::envelope::EntryError;
use crate::note::NoteError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("store holds the log {found:?}, not {expected:?}")]
    WrongOrigin { found: String, expected: String },
    #[error("ledger is corrupt at index {index}: {what}")]
    Corrupt { index: u64, what: String },
    #[error("stored checkpoint of size {size} is invalid: {source}")]
    BadCheckpoint { size: u64, source: NoteError },
    #[error("mediator id {0:?} is not valid: {1}")]
    BadMediator(String, String),
}

/// Why an append was refused. Nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("author {0:?} is not in the keyring")]
    UnknownAuthor(String),
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error("author {author:?}: seq {got} is not the next one ({expected}); a replay, a gap or a race between two submissions")]
    Seq {
        author: String,
        expected: u64,
        got: u64,
    },
    #[error("the ledger stopped after a storage failure; reopen it: {0}")]
    Stopped(String),
}

#[derive(Debug, thiserror::Error)]
pub enum CosignError {
    #[error("no checkpoint of size {0}")]
    NoCheckpoint(u64),
    #[error("cosigner {0:?} is not in the keyring")]
    UnknownCosigner(String),
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored entry at index {index} is damaged: {what}")]
    Corrupt { index: u64, what: String },
}
