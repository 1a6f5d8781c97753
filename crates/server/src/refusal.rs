//! Why a domain (notices, incidents, the acts recorder) refuses an operation, in the
//! domain's own terms. The domains know nothing of HTTP; `error.rs` maps each refusal to
//! its status in one place.

use std::sync::Arc;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// The input is not what the operation takes.
    #[error("{0}")]
    Invalid(String),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing, or not one the caller may see (the two answer alike).
    #[error("{0}")]
    NotFound(String),
    /// The thing is not in a state that takes this step.
    #[error("{0}")]
    Conflict(String),
    /// The record (ledger or projection) cannot take it now.
    #[error("{0}")]
    Unavailable(String),
    /// The author must sign its own entry: here is the envelope to sign.
    #[error("{detail}")]
    SignatureRequired {
        detail: String,
        envelope: Arc<Value>,
    },
    /// A bug: an invariant did not hold.
    #[error("{0}")]
    Internal(String),
}

pub type DomainResult<T> = Result<T, Refusal>;

impl Refusal {
    pub fn invalid(detail: impl Into<String>) -> Self {
        Refusal::Invalid(detail.into())
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Refusal::Forbidden(detail.into())
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Refusal::NotFound(detail.into())
    }
    pub fn conflict(detail: impl Into<String>) -> Self {
        Refusal::Conflict(detail.into())
    }
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Refusal::Unavailable(detail.into())
    }
    pub fn internal(detail: impl Into<String>) -> Self {
        Refusal::Internal(detail.into())
    }
}
