//! The agreement in force, as data, with the server's notices policy.

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/agreement", get(agreement))
}

async fn agreement(State(s): S, _who: Principal) -> Json<Value> {
    let a = &s.agreement;
    Json(json!({
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
    }))
}
