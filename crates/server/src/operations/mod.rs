//! The separation force at work: patrols tasked, announced, followed from the force's
//! reports and reported with the server's figures, and the period coverage of the
//! agreement's lines and zone edges. One more domain, built as ARCHITECTURE's "how to add
//! a domain" says; declarations, inspections, denied access and checkpoint logs are to
//! come as more tables of it ([`Table`]).
//!
//! Boundary and invariants:
//! - The record is the ledger. Every record here is made by one entry and changed only by
//!   later entries that name it ([`projection`]); ids come from ledger indices, so no
//!   two records share one and a crash never leaves an acknowledged act without its
//!   record.
//! - The force's figures (a patrol's coverage) are computed
//!   by the server from what it holds and put in the body its author signs, so the signed
//!   entry carries the figure both parties can recompute (spec/operations.md).
//! - Patrol tracks ([`tracks`]) are what the engine thread applied, kept as it applies
//!   them and rebuilt from the ledger's batches on restart, like the engine's own state.
//! - What each principal sees of a record is [`crate::disclosure::Disclosure`]'s to say
//!   (its operations methods are in [`disclosure`]).

pub mod disclosure;
pub mod items;
pub mod patrol_service;
pub mod patrols;
pub mod projection;
pub mod tracks;

/// Every record of the domain, in memory.
#[derive(Debug, Default)]
pub struct Operations {
    pub patrols: patrols::Patrols,
}

/// Which of the domain's tables a stored document belongs to: the store keeps them in
/// one table keyed `"<table>/<id>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Table {
    Patrol,
}

impl Table {
    pub fn prefix(self) -> &'static str {
        match self {
            Table::Patrol => "patrol",
        }
    }

    pub(crate) fn of_key(key: &str) -> Option<(Table, &str)> {
        let (prefix, id) = key.split_once('/')?;
        let table = [Table::Patrol].into_iter().find(|t| t.prefix() == prefix)?;
        Some((table, id))
    }

    pub fn key(self, id: &str) -> String {
        format!("{}/{id}", self.prefix())
    }
}

impl Operations {
    /// The stored form of record `key` (`"<table>/<id>"`), if it exists.
    pub fn document(&self, key: &str) -> Option<String> {
        let (table, id) = Table::of_key(key)?;
        match table {
            Table::Patrol => self.patrols.document(id),
        }
    }

    /// Takes back a stored document at open.
    pub fn load(&mut self, key: &str, doc: &str) -> Result<(), String> {
        let (table, id) = Table::of_key(key).ok_or_else(|| format!("unknown key {key:?}"))?;
        match table {
            Table::Patrol => self.patrols.load(id, doc),
        }
    }
}

impl crate::mechanism::Mechanism {
    /// Flags what the force owes and has not done in time: patrol reports.
    pub fn tick_operations(&self) {
        self.tick_patrols();
    }
}

/// Reads and writes one table's records as JSON documents.
pub(crate) fn to_document<T: serde::Serialize>(record: Option<&T>) -> Option<String> {
    record.and_then(|r| serde_json::to_string(r).ok())
}

pub(crate) fn from_document<T: serde::de::DeserializeOwned>(doc: &str) -> Result<T, String> {
    serde_json::from_str(doc).map_err(|e| e.to_string())
}
