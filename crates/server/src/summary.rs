//! The compliance summary per party and period: incidents by category and status (and the
//! change since the period before, of the same length), breaches open now and each cap's
//! headroom, as JSON and as a printable HTML page. It names the agreement, when it was
//! made and the ledger checkpoint it was made from, so that a printout can be checked.
//!
//! Open breaches and cap totals are the engine's state ([`Snapshot`]), never a pairing of
//! past events; what a principal sees of each breach is [`Disclosure`]'s to decide.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use truceline_engine::agreement::{Role, RuleKind};
use truceline_engine::{Agreement, EventKind};

use crate::access::{Audience, Principal};
use crate::clock::{parse_ms, rfc3339_ms};
use crate::disclosure::Disclosure;
use crate::incidents::engine_link::format_km;
use crate::incidents::Incident;
use crate::live::{event_parties, Snapshot};

/// What a summary is made from.
pub struct Input<'a> {
    pub agreement: &'a Agreement,
    pub incidents: &'a [Incident],
    pub snapshot: &'a Snapshot,
    pub disclosure: &'a Disclosure,
    pub who: &'a Principal,
    pub party: Option<&'a str>,
    /// The period; `None` for the first and the last report's times.
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub made_at_ms: i64,
    /// The ledger's latest checkpoint: tree size and root (base64).
    pub checkpoint: Option<(u64, String)>,
}

/// An event kind in words.
pub fn kind_in_words(kind: &str) -> &'static str {
    match serde_json::from_value::<EventKind>(Value::String(kind.to_owned())) {
        Ok(EventKind::ExclusionBreach) => "entered an excluded zone",
        Ok(EventKind::ExclusionCleared) => "left an excluded zone",
        Ok(EventKind::CapExceeded) => "over a cap",
        Ok(EventKind::CapRestored) => "back under a cap",
        Ok(EventKind::StandoffBreach) => "closer than a standoff",
        Ok(EventKind::StandoffCleared) => "back beyond a standoff",
        Ok(EventKind::SeparationBreach) => "forces closer than the separation",
        Ok(EventKind::SeparationCleared) => "forces separated again",
        Err(_) => "other",
    }
}

fn occurred_ms(i: &Incident) -> i64 {
    parse_ms(&i.draft.occurred_at).unwrap_or(0)
}

pub fn compute(input: &Input) -> Value {
    let Input {
        agreement,
        incidents,
        snapshot,
        disclosure,
        who,
        ..
    } = *input;
    let first = snapshot
        .first_report_t
        .as_deref()
        .and_then(|t| parse_ms(t).ok());
    let last = snapshot
        .last_report_t
        .as_deref()
        .and_then(|t| parse_ms(t).ok());
    let from_ms = input.from_ms.or(first).unwrap_or(input.made_at_ms);
    // The period holds its last report: it ends just after it.
    let until_ms = input
        .until_ms
        .or(last.map(|l| l + 1))
        .unwrap_or(input.made_at_ms)
        .max(from_ms);
    let length = until_ms - from_ms;
    let parties: Vec<&str> = agreement
        .parties
        .iter()
        .filter(|p| p.role == Role::Party)
        .map(|p| p.id.as_str())
        .filter(|p| input.party.is_none_or(|q| q == *p))
        .collect();
    let mut out = Vec::new();
    for p in parties {
        let mut by_category: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
        let about_p = |i: &&Incident| i.about.iter().any(|a| a == p);
        let mut total = 0;
        for i in incidents
            .iter()
            .filter(about_p)
            .filter(|i| (from_ms..until_ms).contains(&occurred_ms(i)))
        {
            *by_category
                .entry(&i.draft.category)
                .or_default()
                .entry(i.status.as_str())
                .or_default() += 1;
            total += 1;
        }
        let previous = incidents
            .iter()
            .filter(about_p)
            .filter(|i| (from_ms - length..from_ms).contains(&occurred_ms(i)))
            .count() as i64;
        let open: Vec<Value> = snapshot
            .open_breaches
            .iter()
            .filter(|e| event_parties(agreement, e).iter().any(|q| q == p))
            .filter_map(|e| {
                let base = Audience::ids(event_parties(agreement, e)).with_monitors();
                let full = serde_json::to_value(e).unwrap_or_default();
                let since = open_since(incidents, e);
                let mut v = if base.allows(who) {
                    disclosure.event(&full, who)?
                } else {
                    disclosure.public_event(&full)
                };
                if let Some(o) = v.as_object_mut() {
                    o.insert("kind_words".into(), kind_in_words(e.kind.as_str()).into());
                    o.insert("since".into(), since.map_or(Value::Null, Value::from));
                    o.remove("t");
                }
                Some(v)
            })
            .collect();
        let mut caps = Vec::new();
        for rule in &agreement.rules {
            if let RuleKind::Cap {
                zone,
                party: cp,
                category,
                max,
            } = &rule.kind
            {
                if agreement.parties[usize::from(*cp)].id != p {
                    continue;
                }
                let present = snapshot.cap_totals.get(&rule.id).copied().unwrap_or(0);
                let in_force = snapshot.in_force.get(&rule.id).copied().unwrap_or(false);
                let mut cap = json!({
                    "rule": rule.id,
                    "zone": agreement.features[*zone as usize].id,
                    "category": agreement.categories[usize::from(*category)].id,
                    "max": max,
                    "present": present,
                    "in_force": in_force,
                });
                // Headroom under a cap that is not in force means nothing.
                if in_force {
                    cap["headroom"] = json!(*max as i64 - present as i64);
                }
                caps.push(cap);
            }
        }
        out.push(json!({
            "party": p,
            "incidents": total,
            "previous_period_incidents": previous,
            "change": total as i64 - previous,
            "by_category": by_category,
            "open_breaches": open,
            "caps": caps,
        }));
    }
    json!({
        "agreement": agreement.id,
        "title": agreement.title,
        "version": agreement.version,
        "made_at": rfc3339_ms(input.made_at_ms),
        "checkpoint": input.checkpoint.as_ref().map(|(size, root)| json!({"size": size, "root": root})),
        "from": rfc3339_ms(from_ms),
        "until": rfc3339_ms(until_ms),
        "previous_from": rfc3339_ms(from_ms - length),
        "engine_time": snapshot.last_report_t,
        "parties": out,
    })
}

/// When an open breach began: the last breach joined to its open engine incident.
fn open_since(incidents: &[Incident], e: &truceline_engine::Event) -> Option<String> {
    let cap = matches!(e.kind, EventKind::CapExceeded);
    incidents
        .iter()
        .filter(|i| i.is_open())
        .filter_map(|i| i.engine.as_ref())
        .find(|l| {
            *l.rule == *e.rule
                && (cap
                    || (l.unit.as_deref() == e.unit.as_deref()
                        && l.other.as_deref() == e.other.as_deref()))
        })
        .map(|l| l.last_breach_at.clone())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn html(summary: &Value) -> String {
    let mut h = String::new();
    let s = |v: &Value| esc(v.as_str().unwrap_or(""));
    h.push_str("<!doctype html><html><head><meta charset=\"utf-8\"><title>Compliance summary</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #888;padding:0.2em 0.6em;text-align:left}@media print{body{margin:0}}</style></head><body>");
    h.push_str(&format!(
        "<h1>Compliance summary: {}</h1><p>{} (agreement {}, version {}).</p><p>Period {} to {} (UTC); engine time {}.</p><p>Made {} from the ledger checkpoint of size {} with root {}.</p>",
        s(&summary["title"]),
        s(&summary["title"]),
        s(&summary["agreement"]),
        summary["version"],
        s(&summary["from"]),
        s(&summary["until"]),
        esc(summary["engine_time"].as_str().unwrap_or("no reports yet")),
        s(&summary["made_at"]),
        summary["checkpoint"]["size"],
        esc(summary["checkpoint"]["root"].as_str().unwrap_or("(none yet)")),
    ));
    for p in summary["parties"].as_array().into_iter().flatten() {
        h.push_str(&format!(
            "<h2>{}</h2><p>{} incidents in the period; {} in the period before ({}{}).</p>",
            s(&p["party"]),
            p["incidents"],
            p["previous_period_incidents"],
            if p["change"].as_i64().unwrap_or(0) > 0 {
                "+"
            } else {
                ""
            },
            p["change"]
        ));
        h.push_str("<table><tr><th>Category</th><th>Status</th><th>Count</th></tr>");
        for (cat, statuses) in p["by_category"].as_object().into_iter().flatten() {
            for (status, n) in statuses.as_object().into_iter().flatten() {
                h.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{n}</td></tr>",
                    esc(cat),
                    esc(status)
                ));
            }
        }
        h.push_str("</table><h3>Open breaches</h3><table><tr><th>Since</th><th>Rule</th><th>Kind</th><th>Unit</th><th>Where</th></tr>");
        for e in p["open_breaches"].as_array().into_iter().flatten() {
            let place = e["zone"]
                .as_str()
                .or(e["target"].as_str())
                .or(e["other"].as_str())
                .or(e["other_label"].as_str())
                .unwrap_or("");
            let distance = e["distance_km"]
                .as_f64()
                .map(|d| format!(" ({} km)", format_km(d)))
                .unwrap_or_default();
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
                esc(e["since"].as_str().unwrap_or("")),
                s(&e["rule"]),
                s(&e["kind_words"]),
                s(&e["unit"]),
                esc(place),
                esc(&distance)
            ));
        }
        h.push_str("</table><h3>Caps</h3><table><tr><th>Rule</th><th>Zone</th><th>Category</th><th>Present</th><th>Cap</th><th>Headroom</th></tr>");
        for c in p["caps"].as_array().into_iter().flatten() {
            let headroom = if c["in_force"].as_bool().unwrap_or(false) {
                c["headroom"].to_string()
            } else {
                "not in force".to_owned()
            };
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                s(&c["rule"]),
                s(&c["zone"]),
                s(&c["category"]),
                c["present"],
                c["max"],
                esc(&headroom)
            ));
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    h
}
