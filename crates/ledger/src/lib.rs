//! The verifiable ledger of truceline (see `shared/spec/ledger.md`).
pub mod envelope;
pub mod jcs;
pub mod keys;
pub mod merkle;
pub mod note;
