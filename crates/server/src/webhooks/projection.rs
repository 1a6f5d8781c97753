//! The webhook registry as a projection of the ledger: `webhook/registered` makes a hook
//! (its id is the entry's index), `webhook/removed` marks it removed. Only the mediator's
//! log key records these; an entry by anyone else changes nothing.

use serde::Deserialize;
use truceline_ledger::envelope::Entry;

use super::{hook_id, Hook, Registry};
use crate::clock::rfc3339_ms;
use crate::projection::{Change, Context};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Registered {
    owner: String,
    url: String,
    from_feed: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Removed {
    hook: String,
}

/// Applies entry `index` if it is a webhook's; returns what changed.
pub fn apply(
    registry: &mut Registry,
    index: u64,
    entry: &Entry,
    ctx: &Context,
) -> Result<Vec<Change>, String> {
    let d = entry.draft();
    if d.author != ctx.mediator {
        return Err(format!(
            "{} by {:?}: only the mediator's log key records webhooks",
            d.kind, d.author
        ));
    }
    let at = rfc3339_ms(d.time_ms as i64);
    match d.kind.as_str() {
        "webhook/registered" => {
            let r = Registered::deserialize(&d.body).map_err(|e| e.to_string())?;
            let id = hook_id(index);
            registry.by_id.insert(
                id.clone(),
                Hook {
                    id: id.clone(),
                    owner: r.owner,
                    url: r.url,
                    created_at: at,
                    from_feed: r.from_feed,
                    removed_at: None,
                },
            );
            Ok(vec![Change::Webhook { id }])
        }
        "webhook/removed" => {
            let r = Removed::deserialize(&d.body).map_err(|e| e.to_string())?;
            let hook = registry
                .by_id
                .get_mut(&r.hook)
                .ok_or_else(|| format!("names webhook {:?}, which no entry made", r.hook))?;
            hook.removed_at.get_or_insert(at);
            Ok(vec![Change::Webhook { id: r.hook }])
        }
        other => Err(format!("{other} is not a webhook entry")),
    }
}
