//! Engine incidents: each breach event in the ledger's full-view `engine/events` entries
//! opens an incident, or joins the open one of the same rule and unit (pair, or cap) when
//! it comes within the agreement's `join_within_h` of that incident's last breach.
//! Clearing events mark the condition clear. Everything comes from the entry (time is the
//! event's `t`), so the projection is the same live, after a crash and when rebuilt.

use std::collections::HashMap;

use serde_json::Value;
use truceline_engine::EventKind;

use super::projection::Incidents;
use super::{
    engine_incident_id, EngineLink, Incident, IncidentDraft, IncidentStatus, PlaceReport, Source,
    Step,
};
use crate::clock::parse_ms;
use crate::projection::{Change, Context};

/// A breach's identity: rule, unit and other unit (a cap's is its rule alone).
pub type BreachKey = (String, Option<String>, Option<String>);

/// The incident each breach key last opened, while that incident may still take more.
#[derive(Debug, Default)]
pub struct Open {
    by_key: HashMap<BreachKey, String>,
}

impl Open {
    pub fn insert(&mut self, key: BreachKey, incident: String) {
        self.by_key.insert(key, incident);
    }

    /// An incident that was closed takes no more breaches.
    pub fn forget(&mut self, incident: &str) {
        self.by_key.retain(|_, id| id != incident);
    }

    pub fn get(&self, key: &BreachKey) -> Option<&String> {
        self.by_key.get(key)
    }
}

/// The key of an engine incident, from its link.
pub fn key_of_link(link: &EngineLink) -> BreachKey {
    if link.kind.starts_with("cap_") {
        (link.rule.clone(), None, None)
    } else {
        (link.rule.clone(), link.unit.clone(), link.other.clone())
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn position(v: &Value, lon: &str, lat: &str) -> Option<[f64; 2]> {
    Some([v.get(lon)?.as_f64()?, v.get(lat)?.as_f64()?])
}

/// Applies the events of one `engine/events` entry.
pub fn apply(
    book: &mut Incidents,
    index: u64,
    body: &Value,
    ctx: &Context,
) -> Result<Vec<Change>, String> {
    // Copies made for one party tell of the same events as the full view: only the full
    // view makes incidents.
    if body.get("view").and_then(Value::as_str) != Some("full") {
        return Ok(Vec::new());
    }
    let Some(events) = body.get("events").and_then(Value::as_array) else {
        return Err("an engine/events entry without events".into());
    };
    let mut out = Vec::new();
    for (n, e) in events.iter().enumerate() {
        let kind: EventKind = serde_json::from_value(e.get("kind").cloned().unwrap_or_default())
            .map_err(|err| format!("event {n}: kind: {err}"))?;
        let rule = text(e, "rule").ok_or_else(|| format!("event {n}: no rule"))?;
        let t = text(e, "t").ok_or_else(|| format!("event {n}: no t"))?;
        let t_ms = parse_ms(&t).map_err(|err| format!("event {n}: t: {err}"))?;
        let is_cap = matches!(kind, EventKind::CapExceeded | EventKind::CapRestored);
        let key: BreachKey = if is_cap {
            (rule.clone(), None, None)
        } else {
            (rule.clone(), text(e, "unit"), text(e, "other"))
        };
        let joinable = book
            .engine
            .get(&key)
            .and_then(|id| book.by_id.get_mut(id))
            .filter(|i| i.is_open());
        if kind.is_breach() {
            if let Some(i) = joinable {
                let within = i
                    .engine
                    .as_ref()
                    .is_some_and(|l| t_ms - l.last_breach_ms <= ctx.join_within_ms);
                if within {
                    if let Some(link) = &mut i.engine {
                        link.occurrences = link.occurrences.saturating_add(1);
                        link.last_breach_at = t.clone();
                        link.last_breach_ms = t_ms;
                        link.cleared_at = None;
                    }
                    i.cite(index);
                    out.push(Change::Incident {
                        id: i.id.clone(),
                        note: "repeated",
                    });
                    continue;
                }
            }
            let incident = open_incident(index, n, e, kind, &rule, &t, t_ms, key.clone(), ctx);
            let id = incident.id.clone();
            book.engine.insert(key, id.clone());
            book.by_id.insert(id.clone(), incident);
            out.push(Change::Incident { id, note: "opened" });
        } else if let Some(i) = joinable {
            if let Some(link) = &mut i.engine {
                link.cleared_at = Some(t.clone());
            }
            i.cite(index);
            out.push(Change::Incident {
                id: i.id.clone(),
                note: "condition cleared",
            });
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn open_incident(
    index: u64,
    n: usize,
    e: &Value,
    kind: EventKind,
    rule: &str,
    t: &str,
    t_ms: i64,
    key: BreachKey,
    ctx: &Context,
) -> Incident {
    let category = match kind {
        EventKind::ExclusionBreach => "exclusion_breach",
        EventKind::CapExceeded => "cap_exceeded",
        EventKind::StandoffBreach => "standoff",
        _ => "separation",
    };
    let about = ctx.event_parties(rule, text(e, "party").as_deref());
    let sides = ctx.separation_sides(rule);
    let alleged = (about.len() == 1).then(|| about[0].clone());
    let (_, unit, other) = key;
    Incident {
        id: engine_incident_id(index, n),
        draft: IncidentDraft {
            category: category.into(),
            occurred_at: t.to_owned(),
            time_precision_s: 0,
            place: position(e, "lon", "lat").map(|[lon, lat]| PlaceReport {
                lon,
                lat,
                precision_m: 0.0,
            }),
            alleged_party: alleged,
            description: describe(e, kind),
            evidence: Vec::new(),
        },
        status: IncidentStatus::Alleged,
        source: Source::Engine,
        reporter: ctx.mediator.clone(),
        about,
        opened_at: t.to_owned(),
        engine: Some(EngineLink {
            rule: rule.to_owned(),
            kind: kind.as_str().into(),
            unit_party: sides.map(|s| s[0].clone()).or_else(|| text(e, "party")),
            other_party: sides.map(|s| s[1].clone()),
            unit,
            other,
            other_place: position(e, "other_lon", "other_lat"),
            entry: index,
            occurrences: 1,
            last_breach_at: t.to_owned(),
            cleared_at: None,
            last_breach_ms: t_ms,
        }),
        responses: Vec::new(),
        finding: None,
        history: vec![Step {
            at: t.to_owned(),
            by: ctx.mediator.clone(),
            status: IncidentStatus::Alleged,
            note: String::new(),
        }],
        ledger: vec![index],
    }
}

/// The incident's description, as the mediator reads it.
fn describe(e: &Value, kind: EventKind) -> String {
    let s = |k: &str| text(e, k).unwrap_or_else(|| "?".into());
    let f = |k: &str| e.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let u = |k: &str| e.get(k).and_then(Value::as_u64).unwrap_or(0);
    match kind {
        EventKind::ExclusionBreach => {
            format!("{} entered {} (rule {})", s("unit"), s("zone"), s("rule"))
        }
        EventKind::CapExceeded => format!(
            "{} {} in {}: {} over a cap of {} (rule {})",
            s("party"),
            s("category"),
            s("zone"),
            u("value"),
            u("limit"),
            s("rule")
        ),
        EventKind::StandoffBreach => format!(
            "{} within {} km of {} (standoff {} km, rule {})",
            s("unit"),
            format_km(f("distance_km")),
            s("target"),
            format_km(f("limit_km")),
            s("rule")
        ),
        _ => format!(
            "{} and {} {} km apart (separation {} km, rule {})",
            s("unit"),
            s("other"),
            format_km(f("distance_km")),
            format_km(f("limit_km")),
            s("rule")
        ),
    }
}

/// Kilometres to two decimals, without trailing zeros: 1.96, 2, 0.5.
pub fn format_km(km: f64) -> String {
    let s = format!("{km:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}
