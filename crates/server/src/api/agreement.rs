//! The agreement in force, as data, with the server's notices policy, the version in
//! force (by the engine's clock: the time of the last report) and the versions before
//! and after it.

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/agreement", get(agreement))
        .route("/v1/agreement/files", get(files))
}

async fn agreement(State(s): S, _who: Principal) -> ApiResult<Json<Value>> {
    let schedule = s.live.schedule();
    let current = s
        .live
        .versions()
        .in_force_index()
        .min(schedule.versions().len() - 1);
    let in_force = &schedule.versions()[current];
    let versions = s.mech.versions();
    let history: Vec<Value> = schedule
        .versions()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let state = match i.cmp(&current) {
                std::cmp::Ordering::Less => "superseded",
                std::cmp::Ordering::Equal => "in_force",
                std::cmp::Ordering::Greater => "due",
            };
            let countersigned = versions.iter().find(|c| c["sha256"] == v.sha256.as_str());
            json!({
                "sha256": v.sha256,
                "in_force_from": v.from.map(|t| t.to_string()),
                "state": state,
                "countersigned": countersigned,
            })
        })
        .collect();
    let a = in_force.classifier.agreement();
    Ok(Json(json!({
        "id": a.id, "title": a.title, "version": a.version,
        "parties": a.parties.iter().map(|p| json!({"id": p.id, "name": p.name, "role": p.role.as_str()})).collect::<Vec<_>>(),
        "categories": a.categories.iter().map(|c| json!({"id": c.id, "name": c.name, "symbol": c.symbol})).collect::<Vec<_>>(),
        "features": a.features.iter().map(|f| json!({"id": f.id, "name": f.name, "geometry": f.geometry_json})).collect::<Vec<_>>(),
        "rules": a.rules.iter().map(|r| json!({"id": r.id, "kind": r.kind.name(),
            "active_from": r.active_from.map(|t| t.to_string()),
            "active_after": r.active_after.map(|s| json!({"phase": a.phases[usize::from(s.phase)].id, "delay_minutes": s.delay_minutes})),
            "active_until": r.active_until.map(|t| t.to_string())})).collect::<Vec<_>>(),
        "phases": a.phases.iter().map(|p| json!({"id": p.id, "name": p.name})).collect::<Vec<_>>(),
        "notices": s.mech.policy(),
        "in_force": {"sha256": in_force.sha256, "from": in_force.from.map(|t| t.to_string())},
        "history": history,
    })))
}

/// The two files of the version in force, to draft a change to it (public, as the version
/// is). The version the ledger began under comes from the files the server started with,
/// its own tables blanked; a later one from the countersigned draft.
async fn files(State(s): S, who: Principal) -> ApiResult<Json<Value>> {
    let version = s.live.versions().in_force();
    let bundle = if version.from.is_none() {
        s.starting_files.clone()
    } else {
        s.mech.version_files(&who, &version.sha256)
    };
    let bundle = bundle.ok_or_else(|| {
        ApiError::not_found("the server was not given the files of the version in force")
    })?;
    Ok(Json(json!({
        "sha256": version.sha256,
        "agreement_toml": bundle.agreement_toml,
        "geometry": bundle.geometry,
    })))
}
