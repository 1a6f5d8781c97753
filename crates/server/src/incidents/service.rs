//! The incident operations: each is checked whole against the projection, recorded in the
//! ledger, and seen through the projection. Engine incidents are not made here: the
//! projection makes them from the engine's events in the ledger ([`super::engine_link`]).

use serde_json::{json, Value};
use truceline_engine::agreement::Role;

use super::{
    incident_id, Incident, IncidentDraft, IncidentStatus, Outcome, INCIDENT_CATEGORIES,
    MAX_EVIDENCE,
};
use crate::access::{Audience, Principal};
use crate::acts::{InvestigateAct, ResponseAct, Signing};
use crate::mechanism::Mechanism;
use crate::notices::check::{parse_time, text};
use crate::refusal::{DomainResult, Refusal};

pub const MAX_INCIDENTS: usize = 1_000_000;

impl Mechanism {
    fn visible_incident(&self, who: &Principal, id: &str) -> DomainResult<Incident> {
        self.projector
            .read(|b| b.incidents.by_id.get(id).cloned())
            .filter(|i| i.audience().allows(who))
            .ok_or_else(|| Refusal::not_found(format!("no incident {id:?} that you may see")))
    }

    fn incident_view(&self, who: &Principal, id: &str) -> DomainResult<Value> {
        self.projector
            .read(|b| {
                b.incidents
                    .by_id
                    .get(id)
                    .and_then(|i| self.disclosure.incident(i, who))
            })
            .ok_or_else(|| Refusal::not_found(format!("no incident {id:?} that you may see")))
    }

    pub fn incident_for(&self, who: &Principal, id: &str) -> DomainResult<Value> {
        self.incident_view(who, id)
    }

    /// Every incident `who` may see, as it may see it.
    pub fn incidents_for(&self, who: &Principal) -> Vec<Value> {
        self.projector.read(|b| {
            b.incidents
                .by_id
                .values()
                .filter_map(|i| self.disclosure.incident(i, who))
                .collect()
        })
    }

    /// Every incident in full, for the compliance summary.
    pub fn all_incidents(&self) -> Vec<Incident> {
        self.projector
            .read(|b| b.incidents.by_id.values().cloned().collect())
    }

    pub fn report_incident(
        &self,
        who: &Principal,
        d: IncidentDraft,
        signing: &Signing,
    ) -> DomainResult<Value> {
        if who.role == Role::Observer {
            return Err(Refusal::forbidden("observers do not report incidents"));
        }
        if !INCIDENT_CATEGORIES.contains(&d.category.as_str()) {
            return Err(Refusal::invalid(format!(
                "category {:?}: one of {INCIDENT_CATEGORIES:?}",
                d.category
            )));
        }
        parse_time("occurred_at", &d.occurred_at)?;
        if let Some(p) = &d.place {
            truceline_geometry::check_position([p.lon, p.lat])
                .map_err(|e| Refusal::invalid(format!("place: {e}")))?;
            if !(p.precision_m.is_finite() && (0.0..=1_000_000.0).contains(&p.precision_m)) {
                return Err(Refusal::invalid("place.precision_m: 0 to 1000000"));
            }
        }
        if let Some(a) = &d.alleged_party {
            if self.projector.context().role(a) != Some(Role::Party) {
                return Err(Refusal::invalid(format!(
                    "alleged_party {a:?} is not a party to the agreement"
                )));
            }
        }
        if d.evidence.len() > MAX_EVIDENCE {
            return Err(Refusal::invalid(format!(
                "at most {MAX_EVIDENCE} pieces of evidence"
            )));
        }
        for e in &d.evidence {
            if e.sha256.len() != 64
                || !e
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            {
                return Err(Refusal::invalid("evidence.sha256: 64 lowercase hex digits"));
            }
            if e.media_type.len() > 128 || !e.media_type.contains('/') {
                return Err(Refusal::invalid(
                    "evidence.media_type: a media type such as image/jpeg",
                ));
            }
        }
        text("description", &d.description)?;
        let about: Vec<String> = d.alleged_party.iter().cloned().collect();
        let audience = Audience::ids(about.iter().cloned().chain([who.id.clone()])).with_monitors();
        let _one = self.one_at_a_time();
        if self.projector.read(|b| b.incidents.by_id.len()) >= MAX_INCIDENTS {
            return Err(Refusal::unavailable("the incident book is full"));
        }
        // The reporter's own signed entry makes the incident (its index is the id); the
        // mediator's is its `incident/opened`, signed by the log key.
        let index = if who.is_mediator() {
            self.recorder.record(
                "incident/opened",
                &audience,
                serde_json::to_value(&d).unwrap_or_default(),
            )?
        } else {
            self.recorder
                .record_act(who, signing, "incident/reported", &audience, || {
                    serde_json::to_value(&d).unwrap_or_default()
                })?
        };
        self.project()?;
        self.incident_view(who, &incident_id(index))
    }

    /// Records `kind` for an incident `who` may see, after `allowed` agrees, and answers
    /// the incident as `who` sees it.
    fn step(
        &self,
        who: &Principal,
        signing: &Signing,
        id: &str,
        kind: &str,
        allowed: impl FnOnce(&Incident) -> DomainResult<()>,
        body: Value,
    ) -> DomainResult<Value> {
        let _one = self.one_at_a_time();
        let i = self.visible_incident(who, id)?;
        allowed(&i)?;
        self.recorder
            .record_act(who, signing, kind, &i.audience(), || body)?;
        self.project()?;
        self.incident_view(who, id)
    }

    pub fn investigate(
        &self,
        who: &Principal,
        id: &str,
        note: &str,
        signing: &Signing,
    ) -> DomainResult<Value> {
        if !(who.is_mediator() || who.role == Role::Monitor) {
            self.visible_incident(who, id)?;
            return Err(Refusal::forbidden(
                "the mediator or a monitor opens an investigation",
            ));
        }
        text("note", note)?;
        let body = serde_json::to_value(InvestigateAct {
            incident: id.into(),
            note: note.into(),
        })
        .unwrap_or_default();
        self.step(
            who,
            signing,
            id,
            "incident/investigating",
            |i| {
                if i.status != IncidentStatus::Alleged {
                    return Err(Refusal::conflict(format!(
                        "incident {id} is {}, not alleged",
                        i.status.as_str()
                    )));
                }
                Ok(())
            },
            body,
        )
    }

    pub fn respond(
        &self,
        who: &Principal,
        id: &str,
        body: &str,
        signing: &Signing,
    ) -> DomainResult<Value> {
        let i = self.visible_incident(who, id)?;
        if who.role != Role::Party || !i.about.contains(&who.id) {
            return Err(Refusal::forbidden(
                "only a party the incident is about responds to it",
            ));
        }
        if body.trim().is_empty() {
            return Err(Refusal::invalid("a response has text"));
        }
        text("text", body)?;
        let act = serde_json::to_value(ResponseAct {
            incident: id.into(),
            text: body.into(),
        })
        .unwrap_or_default();
        self.step(who, signing, id, "incident/response", |_| Ok(()), act)
    }

    pub fn find(
        &self,
        who: &Principal,
        id: &str,
        outcome: &str,
        reasons: &str,
    ) -> DomainResult<Value> {
        if !who.is_mediator() {
            return Err(Refusal::forbidden("only the mediator makes a finding"));
        }
        self.visible_incident(who, id)?;
        let outcome = Outcome::parse(outcome).ok_or_else(|| {
            Refusal::invalid("outcome: verified, not_substantiated or undetermined")
        })?;
        if reasons.trim().is_empty() {
            return Err(Refusal::invalid("a finding gives its reasons"));
        }
        text("reasons", reasons)?;
        let body = json!({"incident": id, "finding": {"outcome": outcome, "reasons": reasons}});
        self.step(
            who,
            &Signing::log(),
            id,
            "incident/finding",
            |i| {
                if i.status != IncidentStatus::Investigating {
                    return Err(Refusal::conflict(format!(
                        "incident {id} is {}: a finding follows an investigation",
                        i.status.as_str()
                    )));
                }
                Ok(())
            },
            body,
        )
    }

    /// Whether `who` may fetch the evidence file `sha256`: it is cited by an incident they
    /// may see, or by a phase's certification (public).
    pub fn may_see_evidence(&self, who: &Principal, sha256: &str) -> bool {
        who.is_mediator()
            || self.certification_cites(sha256)
            || self.projector.read(|b| {
                b.incidents.by_id.values().any(|i| {
                    i.audience().allows(who) && i.draft.evidence.iter().any(|e| e.sha256 == sha256)
                })
            })
    }

    /// Notices and incidents `who` may see whose text, as `who` sees it, contains `q`
    /// (case-insensitive).
    pub fn search(&self, who: &Principal, q: &str) -> Vec<Value> {
        let q = q.to_lowercase();
        let hit = |v: &Value| v.to_string().to_lowercase().contains(&q);
        let mut out: Vec<Value> = self
            .notices_for(who)
            .into_iter()
            .filter(hit)
            .map(|v| json!({"type": "notice", "item": v}))
            .collect();
        out.extend(
            self.incidents_for(who)
                .into_iter()
                .filter(hit)
                .map(|v| json!({"type": "incident", "item": v})),
        );
        out
    }
}
