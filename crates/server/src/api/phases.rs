//! Phases of the agreement in force and their certifications; the mediator certifies one
//! complete. The operations are the phases domain's (`crate::phases::service`).

#[allow(unused_imports)]
use super::prelude::*;
use crate::phases::CertificationRequest;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/phases", get(list_phases))
        .route("/v1/phases/{id}/certify", post(certify_phase))
}

/// Each phase of the version in force, with its certification once there is one.
async fn list_phases(State(s): S, _who: Principal) -> ApiResult<Json<Value>> {
    let version = s.live.versions().in_force();
    let certified = s.mech.certifications();
    let a = version.classifier.agreement();
    let items: Vec<Value> = a
        .phases
        .iter()
        .map(|p| {
            let certification = certified.iter().rev().find(|c| c["phase"] == p.id.as_str());
            json!({"id": p.id, "name": p.name, "certification": certification})
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

async fn certify_phase(
    State(s): S,
    who: Principal,
    Path(id): Path<String>,
    Body(req): Body<CertificationRequest>,
) -> ApiResult<Json<Value>> {
    blocking(move || s.mech.certify_phase(&who, &id, req, &s.live))
        .await
        .map(Json)
}
