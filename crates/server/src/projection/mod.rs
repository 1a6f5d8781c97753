//! The server's tables as a projection of the ledger. The ledger is the record; notices,
//! incidents, webhooks and their feed items are what its entries say, applied in index order by
//! [`Projector::catch_up`], the one code path for live operation, for opening after a
//! crash and for `serve --rebuild`.
//!
//! Invariants:
//! - The stored documents and the projection's position (`next`, the first entry not
//!   applied) commit in one transaction per batch of entries, so the store always holds
//!   the ledger's state up to one index, and opening brings it level with the ledger.
//! - Feed items made from an entry carry its index as their source and are published
//!   (durably) before the batch that made them commits; on catching up, items of entries
//!   up to the feed's highest source are not published again. So a crash anywhere loses
//!   no item and says none twice.
//! - Ids come from ledger indices ([`crate::notices::notice_id`],
//!   [`crate::incidents::incident_id`]): an id names one thing, whatever crashes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex};

use truceline_engine::agreement::{Role, RuleKind};
use truceline_engine::Agreement;
use truceline_ledger::ledger::ExportError;
use truceline_ledger::ledger::Ledger;

use crate::access::Audience;
use crate::disclosure::Disclosure;
use crate::feed::{Feed, NewItem};
use crate::incidents::projection::Incidents;
use crate::notices::Notice;
use crate::store::{Store, StoreError};

/// Entries applied per store transaction when catching up.
mod items;
mod stored;

pub const CATCH_UP_BATCH: usize = 8_192;

/// What an entry changed, for the feed.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A notice was made; it is announced with its check, by the entry that follows.
    NoticeMade {
        id: String,
    },
    Notice {
        id: String,
        note: &'static str,
    },
    Incident {
        id: String,
        note: &'static str,
    },
    Escalation {
        notice: String,
        why: String,
    },
    /// A hook registered or removed: delivery state, no feed item.
    Webhook {
        id: String,
    },
    /// A draft filed, shared, commented on, signed or countersigned.
    Draft {
        id: String,
        note: &'static str,
        /// A comment or a signature: told only to its author (and the mediator), whom
        /// alone it shows to, so that the other side does not learn that one was made.
        told_only: Option<String>,
    },
    /// A version countersigned to enter into force: public.
    Version {
        sha256: String,
    },
    /// One of the force's records made or changed: `key` is `"<table>/<id>"`
    /// ([`crate::operations::Table`]).
    Operation {
        key: String,
        note: &'static str,
    },
    /// A phase certified complete: public.
    Phase {
        phase: String,
    },
    /// An `engine/events` entry's events, told again when the feed was lost (live, the
    /// engine thread publishes them itself, before their entry commits).
    Events {
        audience: Audience,
        events: Vec<serde_json::Value>,
    },
}

/// What the domain projections need to know of the agreement.
#[derive(Debug, Clone)]
pub struct Context {
    pub mediator: String,
    pub join_within_ms: i64,
    roles: HashMap<String, Role>,
    /// Rule id -> the parties its events are about, when the rule says (caps, separations).
    rule_parties: HashMap<String, Vec<String>>,
    separations: HashMap<String, [String; 2]>,
    /// The parties (role party), in the agreement's order.
    parties: Vec<String>,
    /// The operations terms of the starting agreement, for the force's records.
    pub operations: OperationsContext,
}

/// What the force's projections need of the agreement's `[operations]` terms.
#[derive(Debug, Clone)]
pub struct OperationsContext {
    pub patrol_report_due_minutes: i64,
}

impl Context {
    pub fn new(agreement: &Agreement, join_within_ms: i64) -> Context {
        let name = |p: u16| agreement.parties[usize::from(p)].id.clone();
        let mut rule_parties = HashMap::new();
        let mut separations = HashMap::new();
        for r in &agreement.rules {
            match &r.kind {
                RuleKind::Separation { parties, .. } => {
                    rule_parties.insert(r.id.clone(), parties.iter().map(|&p| name(p)).collect());
                    separations.insert(r.id.clone(), parties.map(name));
                }
                RuleKind::Cap { party, .. } => {
                    rule_parties.insert(r.id.clone(), vec![name(*party)]);
                }
                _ => {}
            }
        }
        Context {
            mediator: agreement
                .parties
                .iter()
                .find(|p| p.role == Role::Mediator)
                .map_or_else(String::new, |p| p.id.clone()),
            join_within_ms,
            roles: agreement
                .parties
                .iter()
                .map(|p| (p.id.clone(), p.role))
                .collect(),
            rule_parties,
            separations,
            parties: agreement
                .parties
                .iter()
                .filter(|p| p.role == Role::Party)
                .map(|p| p.id.clone())
                .collect(),
            operations: {
                let t = agreement.operations();
                OperationsContext {
                    patrol_report_due_minutes: i64::from(t.patrol_report_due_minutes),
                }
            },
        }
    }

    /// The parties (role party), in the agreement's order.
    pub fn parties(&self) -> &[String] {
        &self.parties
    }

    pub fn role(&self, id: &str) -> Option<Role> {
        self.roles.get(id).copied()
    }

    /// The parties an event of `rule` is about: the rule's own (a cap's party, both sides
    /// of a separation), else the event's party.
    pub fn event_parties(&self, rule: &str, party: Option<&str>) -> Vec<String> {
        match self.rule_parties.get(rule) {
            Some(p) => p.clone(),
            None => party.map(str::to_owned).into_iter().collect(),
        }
    }

    pub fn separation_sides(&self, rule: &str) -> Option<&[String; 2]> {
        self.separations.get(rule)
    }
}

/// An entry's body as the record it carries; why not, for the projection's warning.
pub fn read_body<T: serde::de::DeserializeOwned>(body: &serde_json::Value) -> Result<T, String> {
    T::deserialize(body).map_err(|e| e.to_string())
}

/// Every projection, in memory.
#[derive(Debug, Default)]
pub struct Book {
    pub notices: BTreeMap<String, Notice>,
    pub incidents: Incidents,
    pub hooks: crate::webhooks::Registry,
    pub talks: crate::talks::Talks,
    pub operations: crate::operations::Operations,
    /// Phases certified complete, in ledger order.
    pub certified: Vec<crate::phases::Certification>,
    /// The first ledger index not applied.
    pub next: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("the projection's store: {0}")]
    Store(#[from] StoreError),
    #[error("reading the ledger: {0}")]
    Ledger(#[from] ExportError),
    #[error("a stored {kind} document is not valid: {why}")]
    BadDocument { kind: &'static str, why: String },
}

pub struct Projector {
    book: Mutex<Book>,
    ledger: Arc<Ledger>,
    store: Arc<dyn Store>,
    feed: Arc<Feed>,
    disclosure: Arc<Disclosure>,
    ctx: Context,
    /// The highest ledger index whose feed items are published.
    feed_mark: Mutex<u64>,
    /// When the feed was empty at open but the ledger was not (the feed was lost), the
    /// ledger's size then: the events of entries below it are told again. 0 otherwise.
    retell_events_below: u64,
    /// Background catch-up requests (engine incidents after a batch).
    poke: (Mutex<bool>, Condvar),
}

impl Projector {
    /// Loads the stored projections and brings them level with the ledger.
    pub fn open(
        ledger: Arc<Ledger>,
        store: Arc<dyn Store>,
        feed: Arc<Feed>,
        disclosure: Arc<Disclosure>,
        ctx: Context,
    ) -> Result<Arc<Projector>, ProjectionError> {
        // A new server's ledger holds only the agreement's entry; more than that with an
        // empty feed means the feed is gone: the projections are rebuilt, which tells it
        // again from the record.
        let retell_events_below = if store.last_feed_id()? == 0 && ledger.size() > 1 {
            tracing::warn!(
                "the feed is empty but the ledger holds {} entries: rebuilding the projections, which tells the feed again",
                ledger.size()
            );
            store.clear_projection()?;
            ledger.size()
        } else {
            0
        };
        let book = Book::load(store.as_ref())?;
        let feed_mark = store.last_feed_source()?;
        let projector = Arc::new(Projector {
            book: Mutex::new(book),
            ledger,
            store,
            feed,
            disclosure,
            ctx,
            feed_mark: Mutex::new(feed_mark),
            retell_events_below,
            poke: (Mutex::new(false), Condvar::new()),
        });
        projector.catch_up()?;
        Ok(projector)
    }

    /// Drops the stored projections and rebuilds them from the ledger alone. Feed items
    /// already published are kept (clients resume from their ids) and not said again.
    pub fn rebuild(&self) -> Result<(), ProjectionError> {
        {
            let mut book = self.lock();
            self.store.clear_projection()?;
            *book = Book::default();
        }
        self.catch_up()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the projections.
    pub fn read<R>(&self, f: impl FnOnce(&Book) -> R) -> R {
        f(&self.lock())
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Whether the feed was lost and told again from the ledger at open (its ids are new).
    pub fn feed_was_retold(&self) -> bool {
        self.retell_events_below > 0
    }

    /// Applies every ledger entry not yet applied, in order; stores each batch with the
    /// new position in one transaction after publishing its feed items.
    pub fn catch_up(&self) -> Result<(), ProjectionError> {
        let mut book = self.lock();
        loop {
            let from = book.next;
            let mut applied: Vec<Vec<Change>> = Vec::new();
            // Each entry's feed items are made as soon as it is applied, so that they show
            // the state it made (a notice given, not yet relayed), not the batch's last.
            let mut items: Vec<NewItem> = Vec::new();
            let mark = *self.feed_mark.lock().unwrap_or_else(|e| e.into_inner());
            let mut count = 0usize;
            let mut last = from;
            let result = self
                .ledger
                .scan_entries::<ScanStop>(from, &mut |index, entry| {
                    if count == CATCH_UP_BATCH {
                        return Err(ScanStop::Full);
                    }
                    count += 1;
                    last = index + 1;
                    // Live, an entry's events reach the feed before what it changes.
                    let mut changes: Vec<Change> = if index < self.retell_events_below {
                        items::retold_events(&entry).into_iter().collect()
                    } else {
                        Vec::new()
                    };
                    changes.extend(self.apply_one(&mut book, index, &entry));
                    if !changes.is_empty() {
                        if index > mark {
                            let time_ms = entry.draft().time_ms as i64;
                            for c in &changes {
                                items.extend(self.items_for(&book, index, time_ms, c));
                            }
                        }
                        applied.push(changes);
                    }
                    Ok(())
                });
            let more = match result {
                Ok(_) => false,
                Err(ScanStop::Full) => true,
                Err(ScanStop::Ledger(e)) => return Err(e.into()),
            };
            if last == from {
                return Ok(());
            }
            self.publish(items, last - 1);
            let docs = book.changed_docs(&applied);
            self.store.commit_projection(&docs, last)?;
            book.next = last;
            if !more {
                return Ok(());
            }
        }
    }

    fn apply_one(
        &self,
        book: &mut Book,
        index: u64,
        entry: &truceline_ledger::envelope::Entry,
    ) -> Vec<Change> {
        let kind = entry.draft().kind.as_str();
        let result = if kind.starts_with("notice/") {
            crate::notices::projection::apply(&mut book.notices, index, entry, &self.ctx)
        } else if kind.starts_with("incident/") || kind == "engine/events" {
            crate::incidents::projection::apply(&mut book.incidents, index, entry, &self.ctx)
        } else if kind.starts_with("webhook/") {
            crate::webhooks::projection::apply(&mut book.hooks, index, entry, &self.ctx)
        } else if kind.starts_with("phase/") {
            crate::phases::projection::apply(&mut book.certified, index, entry, &self.ctx)
        } else if crate::operations::projection::handles(kind) {
            crate::operations::projection::apply(&mut book.operations, index, entry, &self.ctx)
        } else if kind.starts_with("draft/") || kind.starts_with("version/") {
            crate::talks::projection::apply(&mut book.talks, index, entry, &self.ctx)
        } else {
            Ok(Vec::new())
        };
        result.unwrap_or_else(|why| {
            // The entry stands in the ledger; the projection says why it did not apply.
            tracing::warn!("ledger entry {index} ({kind}) changes no projection: {why}");
            Vec::new()
        })
    }

    /// Publishes the feed items of the entries up to `last` applied (those past the
    /// feed's mark), and waits until they are durable.
    fn publish(&self, items: Vec<NewItem>, last: u64) {
        let mut mark = self.feed_mark.lock().unwrap_or_else(|e| e.into_inner());
        *mark = (*mark).max(last);
        if !items.is_empty() {
            self.feed.publish_durable(items);
        }
    }

    /// Asks the background thread to catch up (after a batch's engine events are durable).
    pub fn poke(&self) {
        let (m, cv) = &self.poke;
        *m.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_one();
    }

    /// Runs the background catch-up on a thread of its own, woken by [`Self::poke`].
    pub fn start_background(self: &Arc<Self>) -> std::io::Result<()> {
        let me = Arc::clone(self);
        std::thread::Builder::new()
            .name("projection".into())
            .spawn(move || loop {
                {
                    let (m, cv) = &me.poke;
                    let mut poked = m.lock().unwrap_or_else(|e| e.into_inner());
                    while !*poked {
                        poked = cv.wait(poked).unwrap_or_else(|e| e.into_inner());
                    }
                    *poked = false;
                }
                if let Err(e) = me.catch_up() {
                    tracing::error!("catching up the projections: {e}");
                }
            })
            .map(|_| ())
    }
}

/// Why a scan stopped early.
enum ScanStop {
    Full,
    Ledger(ExportError),
}

impl From<ExportError> for ScanStop {
    fn from(e: ExportError) -> Self {
        ScanStop::Ledger(e)
    }
}
