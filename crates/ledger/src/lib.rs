//! The verifiable ledger of truceline: one append-only log per agreement that every party
//! can check offline without trusting the mediator (contract: `shared/spec/ledger.md`).
//!
//! # What a server uses
//! - [`Ledger::open`] over a [`SqliteStore`] with a [`LedgerConfig`] (log key, keyring,
//!   mediator id); share the `Ledger` in an `Arc`.
//! - [`Ledger::append`] (or [`Ledger::append_bytes`] for submitted envelope bytes): checks
//!   the author's signature and seq, returns a [`Receipt`] once the entry is durable.
//!   Concurrent callers share one commit and one fsync (group commit);
//!   [`Ledger::submit`] queues without waiting, for many appends in flight per task.
//! - [`Ledger::append_own`]: entries the mediator authors, signed with the log key.
//! - [`Ledger::checkpoint`], [`Ledger::inclusion_proof`], [`Ledger::consistency_proof`],
//!   [`Ledger::add_cosignature`], [`Ledger::export`] (for one party, or [`export::FULL_VIEW`]).
//! - Offline, a party runs [`export::verify_export`] and its witness
//!   ([`witness::StateFile::cosign`]).
//!
//! # Keys and trust
//! Keys use the C2SP signed-note text forms ([`keys`]): a private key is
//! `PRIVATE+KEY+<name>+<hash>+<base64>`, a public key ("vkey") `<name>+<hash>+<base64>`.
//! The log key's name is the origin `truceline/<agreement-id>`. A [`Keyring`] maps party
//! ids to public keys (one vkey a line); it includes the mediator's party id mapped to
//! the log key, since the mediator authors its own entries with it. The ledger refuses
//! entries from authors outside its keyring. A verifier brings its own keyring and log
//! key ([`Trust`]); nothing in an export is trusted to say which keys count.
//!
//! # Invariants
//! - An entry is the canonical JSON (RFC 8785) envelope `{seq, time, author, kind,
//!   audience, body, sig}`; `sig` is the author's Ed25519 signature over the envelope
//!   without `sig`. [`Entry`] values are canonical and well-formed by construction;
//!   signatures are checked where a key is known ([`Entry::verify`]).
//! - `seq` counts each author's entries from 1 without gaps; the ledger refuses anything
//!   else, so an author's entries cannot be replayed, dropped or reordered unseen.
//! - Leaf hash = SHA-256(0x00 || envelope bytes); nodes SHA-256(0x01 || l || r): RFC 6962.
//! - Every committed batch gets a checkpoint (C2SP tlog-checkpoint signed note, origin
//!   `truceline/<agreement-id>`) stored in the same transaction as its entries, so every
//!   stored entry below the last checkpoint is acknowledged and every receipt's checkpoint
//!   exists. Cosignatures follow C2SP tlog-cosignature (`cosignature/v1`).
//! - A stored row that no longer hashes to its leaf hash, breaks the row hash chain, or
//!   makes a stored checkpoint's root unreproducible stops [`Ledger::open`] with the index.
//!   Rows past the last checkpoint (never acknowledged) are dropped as a torn tail.
//! - Everything read from outside has a limit: entry and body size, audience size, ids,
//!   note size, proof length, export line length and leaf count, keyring size.
//!
//! # Boundary
//! The modules [`jcs`], [`merkle`], [`keys`], [`note`], [`envelope`], [`receipt`] and
//! [`witness::decide`] are pure: no I/O, no clock (times are passed in). I/O lives in
//! [`store`] (SQLite), [`ledger`] (the writer thread), [`export`] (streams given by the
//! caller) and [`witness::StateFile`]. Key files, data directories and the command line
//! belong to the `truceline` binary.

pub mod envelope;
pub mod export;
pub mod jcs;
pub mod keys;
pub mod ledger;
pub mod merkle;
pub mod note;
pub mod receipt;
pub mod store;
pub mod witness;

pub use envelope::{Draft, Entry, EntryError};
pub use export::{verify_export, Outside, Report, Trust, VerifyError};
pub use keys::{Keyring, SignerKey, VerifierKey};
pub use ledger::{AppendError, Ledger, LedgerConfig, LedgerError, OpenReport, Pending};
pub use merkle::{Hash, MerkleTree};
pub use note::{Checkpoint, SignedCheckpoint};
pub use receipt::Receipt;
pub use store::{Attachment, SqliteStore, Store, StoreRead};
