//! Incidents as a projection of the ledger: reports, the mediator's steps and the engine's
//! breaches, applied in index order. The one place an incident changes.

use std::collections::BTreeMap;

use serde::Deserialize;
use truceline_engine::agreement::Role;
use truceline_ledger::envelope::Entry;

use super::{
    engine_link, incident_id, Finding, Incident, IncidentDraft, IncidentStatus, Outcome, Response,
    Source, Step,
};
use crate::acts::{InvestigateAct, ResponseAct};
use crate::clock::rfc3339_ms;
use crate::projection::{Change, Context};

#[derive(Debug, Deserialize)]
struct FindingBody {
    incident: String,
    finding: FindingFields,
}

#[derive(Debug, Deserialize)]
struct FindingFields {
    outcome: Outcome,
    reasons: String,
}

/// The incidents, and the engine's breaches still joinable to the incident they opened.
#[derive(Debug, Default)]
pub struct Incidents {
    pub by_id: BTreeMap<String, Incident>,
    pub engine: engine_link::Open,
}

/// Applies entry `index` if it is an incident's or carries engine events; returns what
/// changed.
pub fn apply(
    book: &mut Incidents,
    index: u64,
    entry: &Entry,
    ctx: &Context,
) -> Result<Vec<Change>, String> {
    let d = entry.draft();
    let at = rfc3339_ms(d.time_ms as i64);
    let body = &d.body;
    let from_mediator = d.author == ctx.mediator;
    use crate::projection::read_body as read;
    let change = |book: &mut Incidents,
                  id: &str,
                  note: &'static str,
                  f: &mut dyn FnMut(&mut Incident) -> Result<(), String>|
     -> Result<Vec<Change>, String> {
        let i = book
            .by_id
            .get_mut(id)
            .ok_or_else(|| format!("names incident {id:?}, which no entry made"))?;
        f(i)?;
        i.cite(index);
        Ok(vec![Change::Incident {
            id: id.to_owned(),
            note,
        }])
    };
    match d.kind.as_str() {
        "incident/reported" | "incident/opened" => {
            if d.kind == "incident/opened" && !from_mediator {
                return Ok(Vec::new());
            }
            let draft: IncidentDraft = read(body)?;
            let source = match ctx.role(&d.author) {
                Some(Role::Party) => Source::Party,
                Some(Role::Monitor) => Source::Monitor,
                _ => Source::Mediator,
            };
            let id = incident_id(index);
            let i = Incident {
                id: id.clone(),
                about: draft.alleged_party.iter().cloned().collect(),
                draft,
                status: IncidentStatus::Alleged,
                source,
                reporter: d.author.clone(),
                opened_at: at.clone(),
                engine: None,
                responses: Vec::new(),
                finding: None,
                history: vec![Step {
                    at,
                    by: d.author.clone(),
                    status: IncidentStatus::Alleged,
                    note: String::new(),
                }],
                ledger: vec![index],
            };
            book.by_id.insert(id.clone(), i);
            Ok(vec![Change::Incident { id, note: "opened" }])
        }
        "incident/investigating" => {
            let a: InvestigateAct = read(body)?;
            let by = d.author.clone();
            change(book, &a.incident, "investigating", &mut |i| {
                if i.status != IncidentStatus::Alleged {
                    return Err(format!("incident {} is {}", i.id, i.status.as_str()));
                }
                i.status = IncidentStatus::Investigating;
                i.history.push(Step {
                    at: at.clone(),
                    by: by.clone(),
                    status: IncidentStatus::Investigating,
                    note: a.note.clone(),
                });
                Ok(())
            })
        }
        "incident/response" => {
            let a: ResponseAct = read(body)?;
            let party = d.author.clone();
            change(book, &a.incident, "response", &mut |i| {
                i.responses.push(Response {
                    party: party.clone(),
                    text: a.text.clone(),
                    at: at.clone(),
                });
                Ok(())
            })
        }
        "incident/finding" if from_mediator => {
            let f: FindingBody = read(body)?;
            let by = d.author.clone();
            let incident = f.incident.clone();
            let out = change(book, &f.incident, "finding", &mut |i| {
                if i.status != IncidentStatus::Investigating {
                    return Err(format!("incident {} is {}", i.id, i.status.as_str()));
                }
                let status = f.finding.outcome.status();
                i.status = status;
                i.history.push(Step {
                    at: at.clone(),
                    by: by.clone(),
                    status,
                    note: String::new(),
                });
                i.finding = Some(Finding {
                    outcome: f.finding.outcome,
                    reasons: f.finding.reasons.clone(),
                    by: by.clone(),
                    at: at.clone(),
                });
                Ok(())
            })?;
            // A closed incident takes no more breaches: the next opens a new one.
            book.engine.forget(&incident);
            Ok(out)
        }
        "engine/events" if from_mediator => engine_link::apply(book, index, body, ctx),
        _ => Ok(Vec::new()),
    }
}
