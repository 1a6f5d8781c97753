//! The projections as the store keeps them: loaded at open, and the documents a batch of
//! applied entries changed, written with the projection's position in one transaction.

use std::collections::BTreeMap;

use super::{Book, Change, ProjectionError};
use crate::incidents::{engine_link, Incident};
use crate::notices::Notice;
use crate::store::{DocKind, Store};

impl Book {
    /// The stored projections, at the position they were stored with.
    pub(super) fn load(store: &dyn Store) -> Result<Book, ProjectionError> {
        let mut book = Book {
            next: store.projection_next()?,
            ..Book::default()
        };
        for doc in store.docs(DocKind::Notice)? {
            let mut n: Notice =
                serde_json::from_str(&doc).map_err(|e| ProjectionError::BadDocument {
                    kind: "notice",
                    why: e.to_string(),
                })?;
            n.fix_times();
            book.notices.insert(n.id.clone(), n);
        }
        for doc in store.docs(DocKind::Incident)? {
            let mut i: Incident =
                serde_json::from_str(&doc).map_err(|e| ProjectionError::BadDocument {
                    kind: "incident",
                    why: e.to_string(),
                })?;
            if let Some(link) = &mut i.engine {
                link.last_breach_ms = crate::clock::parse_ms(&link.last_breach_at).unwrap_or(0);
                if i.status.is_open() {
                    book.incidents
                        .engine
                        .insert(engine_link::key_of_link(link), i.id.clone());
                }
            }
            book.incidents.by_id.insert(i.id.clone(), i);
        }
        for doc in store.docs(DocKind::Webhook)? {
            let h: crate::webhooks::Hook =
                serde_json::from_str(&doc).map_err(|e| ProjectionError::BadDocument {
                    kind: "webhook",
                    why: e.to_string(),
                })?;
            book.hooks.by_id.insert(h.id.clone(), h);
        }
        for doc in store.docs(DocKind::Draft)? {
            let d: crate::talks::DraftRecord =
                serde_json::from_str(&doc).map_err(|e| ProjectionError::BadDocument {
                    kind: "draft",
                    why: e.to_string(),
                })?;
            book.talks.drafts.insert(d.id.clone(), d);
        }
        for (key, doc) in store.keyed_docs(DocKind::Operation)? {
            book.operations
                .load(&key, &doc)
                .map_err(|why| ProjectionError::BadDocument {
                    kind: "operations",
                    why: format!("{key}: {why}"),
                })?;
        }
        if let Some(doc) = store.docs(DocKind::Talks)?.into_iter().next() {
            let t: TalksDoc =
                serde_json::from_str(&doc).map_err(|e| ProjectionError::BadDocument {
                    kind: "talks",
                    why: e.to_string(),
                })?;
            book.talks.signatures = t.signatures;
            book.talks.versions = t.versions;
            book.certified = t.certified;
        }
        Ok(book)
    }

    /// The documents `applied` changed, as they now stand.
    pub(super) fn changed_docs(&self, applied: &[Vec<Change>]) -> Vec<(DocKind, String, String)> {
        let mut notices: BTreeMap<&str, ()> = BTreeMap::new();
        let mut incidents: BTreeMap<&str, ()> = BTreeMap::new();
        let mut hooks: BTreeMap<&str, ()> = BTreeMap::new();
        let mut drafts: BTreeMap<&str, ()> = BTreeMap::new();
        let mut operations: BTreeMap<&str, ()> = BTreeMap::new();
        let mut talks = false;
        for changes in applied {
            for c in changes {
                match c {
                    Change::Notice { id, .. } | Change::NoticeMade { id } => {
                        notices.insert(id, ());
                    }
                    Change::Incident { id, .. } => {
                        incidents.insert(id, ());
                    }
                    Change::Webhook { id } => {
                        hooks.insert(id, ());
                    }
                    Change::Draft { id, .. } => {
                        drafts.insert(id, ());
                        talks = true;
                    }
                    Change::Operation { key, .. } => {
                        operations.insert(key, ());
                    }
                    Change::Version { .. } | Change::Phase { .. } => talks = true,
                    Change::Escalation { .. } | Change::Events { .. } => {}
                }
            }
        }
        let mut out = Vec::new();
        for id in notices.keys() {
            if let Some(n) = self.notices.get(*id) {
                out.push((
                    DocKind::Notice,
                    n.id.clone(),
                    serde_json::to_string(n).unwrap_or_default(),
                ));
            }
        }
        for id in incidents.keys() {
            if let Some(i) = self.incidents.by_id.get(*id) {
                out.push((
                    DocKind::Incident,
                    i.id.clone(),
                    serde_json::to_string(i).unwrap_or_default(),
                ));
            }
        }
        for id in hooks.keys() {
            if let Some(h) = self.hooks.by_id.get(*id) {
                out.push((
                    DocKind::Webhook,
                    h.id.clone(),
                    serde_json::to_string(h).unwrap_or_default(),
                ));
            }
        }
        for id in drafts.keys() {
            if let Some(d) = self.talks.drafts.get(*id) {
                out.push((
                    DocKind::Draft,
                    d.id.clone(),
                    serde_json::to_string(d).unwrap_or_default(),
                ));
            }
        }
        for key in operations.keys() {
            if let Some(doc) = self.operations.document(key) {
                out.push((DocKind::Operation, (*key).to_owned(), doc));
            }
        }
        if talks {
            let doc = TalksDoc {
                signatures: self.talks.signatures.clone(),
                versions: self.talks.versions.clone(),
                certified: self.certified.clone(),
            };
            out.push((
                DocKind::Talks,
                "talks".to_owned(),
                serde_json::to_string(&doc).unwrap_or_default(),
            ));
        }
        out
    }
}

/// The talks' small tables and the phases certified, stored as one document (drafts are
/// stored one by one).
#[derive(serde::Serialize, serde::Deserialize)]
struct TalksDoc {
    signatures: Vec<crate::talks::Signature>,
    versions: Vec<crate::talks::Version>,
    #[serde(default)]
    certified: Vec<crate::phases::Certification>,
}
