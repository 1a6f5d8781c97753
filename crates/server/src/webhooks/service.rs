//! Making and removing hooks: check, record the entry, project, then start or stop the
//! hook's delivery task. The registry changes only by projection.

use std::sync::Arc;

use serde_json::json;
use truceline_engine::agreement::Role;

use super::delivery::{check_url, Delivery};
use super::{hook_id, Hook, MAX_HOOKS, MAX_HOOKS_PER_OWNER};
use crate::access::{Audience, Principal};
use crate::error::{ApiError, ApiResult};

pub fn create(state: &Arc<Delivery>, who: &Principal, url: String) -> ApiResult<Hook> {
    if who.role == Role::Observer {
        return Err(ApiError::forbidden(
            "observers read the summary; they do not subscribe hooks",
        ));
    }
    check_url(&url)?;
    // One registration at a time, so that the limits hold between the check and the record.
    let _one = state.lock_changes();
    let (total, owned) = state.projector.read(|b| {
        (
            b.hooks.live().count(),
            b.hooks.live().filter(|h| h.owner == who.id).count(),
        )
    });
    if total >= MAX_HOOKS || owned >= MAX_HOOKS_PER_OWNER {
        return Err(ApiError::conflict("too many webhooks"));
    }
    // New hooks start at the present: they are for what happens from now on.
    let from_feed = state.feed.last_id();
    let index = state
        .recorder
        .record(
            "webhook/registered",
            &Audience::ids([who.id.clone()]),
            json!({"owner": who.id, "url": url, "from_feed": from_feed}),
        )
        .map_err(ApiError::from)?;
    state.project()?;
    let hook = state
        .projector
        .read(|b| b.hooks.by_id.get(&hook_id(index)).cloned())
        .ok_or_else(|| ApiError::internal("the registration is not in the projection"))?;
    state
        .store
        .set_cursor(&hook.id, from_feed)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    state.start_hook(&hook);
    Ok(hook)
}

pub fn delete(state: &Arc<Delivery>, who: &Principal, id: &str) -> ApiResult<()> {
    let _one = state.lock_changes();
    let owned = state.projector.read(|b| {
        b.hooks
            .by_id
            .get(id)
            .is_some_and(|h| h.is_live() && h.owner == who.id)
    });
    if !owned {
        return Err(ApiError::not_found(format!("no webhook {id:?} of yours")));
    }
    state
        .recorder
        .record(
            "webhook/removed",
            &Audience::ids([who.id.clone()]),
            json!({"hook": id}),
        )
        .map_err(ApiError::from)?;
    state.project()?;
    state.stop_hook(id);
    Ok(())
}
