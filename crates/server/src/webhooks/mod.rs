//! Webhooks: each hook gets, in feed order and at least once, every feed item its owner may
//! see, POSTed as JSON and signed with the log key.
//!
//! A domain like notices: a hook is made and removed by ledger entries (`webhook/registered`,
//! `webhook/removed`, recorded by the mediator's log key for the owner alone: its URL is
//! its own business), and the registry is their projection ([`projection`]), rebuilt
//! with the others. Its id is the registration's ledger index (`H-<index>`), so it can
//! never name two hooks.
//!
//! Where a hook has got to is delivery state, not the record: its cursor (the last feed
//! item it acknowledged with a 2xx) is kept in the store beside the feed, which is the
//! durable outbox. A hook whose cursor is lost (a rebuilt store) resumes from the feed
//! position its registration recorded: delivery is at least once, so an item may come
//! twice but never not at all.

pub mod delivery;
pub mod projection;
pub mod service;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use delivery::{read_ca_pem, signature, start, tls_config, Delivery};
pub use service::{create, delete};

use crate::access::Principal;

pub const MAX_HOOKS: usize = 256;
pub const MAX_HOOKS_PER_OWNER: usize = 8;

/// A hook as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    pub id: String,
    pub owner: String,
    pub url: String,
    pub created_at: String,
    /// The feed's last item when the hook was registered: where delivery starts, and
    /// resumes if its cursor is lost.
    #[serde(default)]
    pub from_feed: u64,
    /// Set once the owner removes it; the entry that made it stays in the ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<String>,
}

impl Hook {
    pub fn is_live(&self) -> bool {
        self.removed_at.is_none()
    }
}

/// The id of the hook registered by ledger entry `index`.
pub fn hook_id(index: u64) -> String {
    format!("H-{index}")
}

/// The ledger index of the entry that registered hook `id`.
pub fn registration_index(id: &str) -> Option<u64> {
    id.strip_prefix("H-")?.parse().ok()
}

/// The registry: every hook ever registered, by id (removed ones kept, marked).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Registry {
    pub by_id: BTreeMap<String, Hook>,
}

impl Registry {
    pub fn live(&self) -> impl Iterator<Item = &Hook> {
        self.by_id.values().filter(|h| h.is_live())
    }

    pub fn list_for(&self, who: &Principal) -> Vec<Hook> {
        self.live().filter(|h| h.owner == who.id).cloned().collect()
    }
}
