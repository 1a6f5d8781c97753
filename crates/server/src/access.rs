//! Who may see what. One place decides, so that every route (list, get, stream, export,
//! search, webhooks) asks the same question.
//!
//! - the mediator sees everything;
//! - a party sees its own notices, what was relayed to it, engine events about its own
//!   forces, incidents about it or reported by it, and the public summary;
//! - a monitor sees engine events and incidents (it reports and investigates them), not
//!   notices;
//! - an observer sees the public summary only.
//!
//! What each of them sees *of* an item it may see is [`crate::disclosure`]'s to decide.

use serde::{Deserialize, Serialize};
use truceline_engine::agreement::Role;

/// A signed-in principal: a party, monitor, observer or the mediator of the agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub id: String,
    pub role: Role,
}

impl Principal {
    pub fn is_mediator(&self) -> bool {
        self.role == Role::Mediator
    }
}

/// Who, besides the mediator, may read an item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// Principals by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    /// Every monitor.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub monitors: bool,
    /// Everyone signed in, observers included (public items).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
    /// A copy made for `ids` alone (what the disclosure policy lets them see of a thing
    /// others see in full): neither the mediator nor the monitors read it, so that each
    /// principal receives one item per change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only: bool,
}

impl Audience {
    pub fn ids(ids: impl IntoIterator<Item = String>) -> Self {
        let mut ids: Vec<String> = ids.into_iter().collect();
        ids.sort();
        ids.dedup();
        Audience {
            ids,
            monitors: false,
            public: false,
            only: false,
        }
    }

    /// For `ids` alone: a redacted copy (see [`Audience::only`]).
    pub fn only(ids: impl IntoIterator<Item = String>) -> Self {
        Audience {
            only: true,
            ..Audience::ids(ids)
        }
    }

    pub fn with_monitors(mut self) -> Self {
        self.monitors = true;
        self
    }

    pub fn allows(&self, who: &Principal) -> bool {
        if self.only {
            return self.ids.contains(&who.id);
        }
        who.role == Role::Mediator
            || self.public
            || (self.monitors && who.role == Role::Monitor)
            || self.ids.contains(&who.id)
    }

    /// The ledger audience: party ids that may read the entry's body (the mediator always
    /// can). Monitors are named one by one.
    pub fn ledger_ids(&self, monitors: &[String], everyone: &[String]) -> Vec<String> {
        let mut out = if self.public {
            everyone.to_vec()
        } else {
            self.ids.clone()
        };
        if self.monitors {
            out.extend(monitors.iter().cloned());
        }
        out.sort();
        out.dedup();
        out
    }
}
