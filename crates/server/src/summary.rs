//! The compliance summary per party and period: incidents by category and status, open
//! breaches and headroom under each cap, as JSON and as a printable HTML page.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use truceline_engine::agreement::{Role, RuleKind};
use truceline_engine::Agreement;

use crate::live::{event_parties, Snapshot};
use crate::mechanism::Incident;

pub fn compute(
    agreement: &Agreement,
    incidents: &[Incident],
    snapshot: &Snapshot,
    party: Option<&str>,
    from_ms: i64,
    until_ms: i64,
) -> Value {
    let parties: Vec<&str> = agreement
        .parties
        .iter()
        .filter(|p| p.role == Role::Party)
        .map(|p| p.id.as_str())
        .filter(|p| party.is_none_or(|q| q == *p))
        .collect();
    let mut out = Vec::new();
    for p in parties {
        let mut by_category: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
        let mut total = 0;
        for i in incidents.iter().filter(|i| {
            i.about.iter().any(|a| a == p) && i.occurred_ms >= from_ms && i.occurred_ms < until_ms
        }) {
            *by_category
                .entry(&i.draft.category)
                .or_default()
                .entry(&i.status)
                .or_default() += 1;
            total += 1;
        }
        let open: Vec<Value> = snapshot
            .open_breaches
            .iter()
            .filter(|e| event_parties(agreement, e).iter().any(|q| q == p))
            .map(|e| serde_json::to_value(e).unwrap_or_default())
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
                if agreement.parties[usize::from(*cp)].id == p {
                    let present = snapshot.cap_totals.get(&rule.id).copied().unwrap_or(0);
                    caps.push(json!({
                        "rule": rule.id,
                        "zone": agreement.features[*zone as usize].id,
                        "category": agreement.categories[usize::from(*category)].id,
                        "max": max,
                        "present": present,
                        "headroom": *max as i64 - present as i64,
                    }));
                }
            }
        }
        out.push(json!({
            "party": p,
            "incidents": total,
            "by_category": by_category,
            "open_breaches": open,
            "caps": caps,
        }));
    }
    json!({
        "agreement": agreement.id,
        "from": crate::clock::rfc3339_ms(from_ms),
        "until": crate::clock::rfc3339_ms(until_ms),
        "engine_time": snapshot.last_report_t,
        "parties": out,
    })
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
        "<h1>Compliance summary: {}</h1><p>Period {} to {}; engine time {}.</p>",
        s(&summary["agreement"]),
        s(&summary["from"]),
        s(&summary["until"]),
        esc(summary["engine_time"].as_str().unwrap_or("no reports yet"))
    ));
    for p in summary["parties"].as_array().into_iter().flatten() {
        h.push_str(&format!(
            "<h2>{}</h2><p>{} incidents in the period.</p>",
            s(&p["party"]),
            p["incidents"]
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
                .unwrap_or("");
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                s(&e["t"]),
                s(&e["rule"]),
                s(&e["kind"]),
                s(&e["unit"]),
                esc(place)
            ));
        }
        h.push_str("</table><h3>Caps</h3><table><tr><th>Rule</th><th>Zone</th><th>Category</th><th>Present</th><th>Cap</th><th>Headroom</th></tr>");
        for c in p["caps"].as_array().into_iter().flatten() {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                s(&c["rule"]),
                s(&c["zone"]),
                s(&c["category"]),
                c["present"],
                c["max"],
                c["headroom"]
            ));
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    h
}
