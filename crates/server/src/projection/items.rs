//! The feed items of what an entry changed: each as every principal may see it
//! ([`crate::disclosure::Disclosure`]), one copy per distinct view.

use serde_json::json;

use super::{Book, Change, Projector};
use crate::access::{Audience, Principal};
use crate::feed::NewItem;

impl Projector {
    pub(super) fn items_for(
        &self,
        book: &Book,
        index: u64,
        time_ms: i64,
        change: &Change,
    ) -> Vec<NewItem> {
        let d = &self.disclosure;
        let item = |kind: &'static str, (audience, data): (Audience, serde_json::Value)| NewItem {
            kind,
            time_ms,
            audience,
            data,
            source: Some(index),
        };
        match change {
            Change::NoticeMade { .. } | Change::Webhook { .. } => Vec::new(),
            Change::Draft {
                id,
                note,
                told_only,
            } => {
                let Some(draft) = book.talks.drafts.get(id) else {
                    return Vec::new();
                };
                let told = |who: &Principal| {
                    told_only
                        .as_ref()
                        .is_none_or(|only| who.is_mediator() || who.id == *only)
                };
                d.fan_out(|who| {
                    told(who)
                        .then(|| d.draft(draft, &book.talks, who))
                        .flatten()
                })
                .into_iter()
                .map(|(a, v)| item("draft", (a, json!({"note": note, "draft": v}))))
                .collect()
            }
            Change::Operation { key, note } => {
                crate::operations::items::items(&book.operations, d, key, note, time_ms)
                    .into_iter()
                    .map(|(kind, a, v)| item(kind, (a, v)))
                    .collect()
            }
            Change::Phase { phase } => book
                .certified
                .iter()
                .rev()
                .find(|c| c.phase == *phase)
                .map(|c| {
                    let public = Audience {
                        public: true,
                        ..Audience::default()
                    };
                    vec![item("phase", (public, d.certification(c)))]
                })
                .unwrap_or_default(),
            Change::Version { sha256 } => {
                let Some(v) = book.talks.version(sha256) else {
                    return Vec::new();
                };
                vec![item(
                    "version",
                    (
                        Audience {
                            public: true,
                            ..Audience::default()
                        },
                        d.version(v),
                    ),
                )]
            }
            Change::Events { audience, events } => events
                .iter()
                .map(|e| item("event", (audience.clone(), e.clone())))
                .collect(),
            Change::Notice { id, note } => {
                let Some(n) = book.notices.get(id) else {
                    return Vec::new();
                };
                d.fan_out(|who| d.notice(n, who))
                    .into_iter()
                    .map(|(a, v)| item("notice", (a, json!({"note": note, "notice": v}))))
                    .collect()
            }
            Change::Incident { id, note } => {
                let Some(i) = book.incidents.by_id.get(id) else {
                    return Vec::new();
                };
                d.fan_out(|who| d.incident(i, who))
                    .into_iter()
                    .map(|(a, v)| item("incident", (a, json!({"note": note, "incident": v}))))
                    .collect()
            }
            Change::Escalation { notice, why } => {
                let Some(n) = book.notices.get(notice) else {
                    return Vec::new();
                };
                vec![item(
                    "escalation",
                    (
                        Audience::ids([n.party.clone()]),
                        json!({"notice": notice, "why": why}),
                    ),
                )]
            }
        }
    }
}

/// The events of an `engine/events` entry as the feed items the engine thread made of
/// them: one entry per view, so its ledger audience is the view's readers (a copy is for
/// them alone).
pub(super) fn retold_events(entry: &truceline_ledger::envelope::Entry) -> Option<Change> {
    let d = entry.draft();
    if d.kind != "engine/events" {
        return None;
    }
    let events = d.body.get("events")?.as_array()?.clone();
    let readers = d.audience.iter().cloned();
    let audience = match d.body.get("view").and_then(|v| v.as_str()) {
        Some("copy") => Audience::only(readers),
        _ => Audience::ids(readers),
    };
    Some(Change::Events { audience, events })
}
