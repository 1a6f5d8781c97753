//! The verifiable ledger of truceline (see `shared/spec/ledger.md`).
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
