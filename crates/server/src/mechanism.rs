//! The mechanism's facade: the domains (notices, incidents) over one recorder of acts and
//! one projection of the ledger. Every operation checks, records in the ledger, and reads
//! the result back through the projection ([`crate::projection`]), so what the API answers
//! is what the ledger says. Operations are serialised by one lock: each checks the state
//! it then records against, and they are few (each waits for one commit).
//!
//! The domains' operations are in their own modules (`notices::service`,
//! `incidents::service`) as `impl Mechanism` blocks; acts signed by their authors come in
//! through [`Mechanism::act`] and go to the same operations.

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use truceline_engine::Agreement;
use truceline_ledger::envelope::Entry;
use truceline_ledger::receipt::Receipt;

use crate::access::Principal;
use crate::acts::{Act, Recorder, Signing};
use crate::clock::Clock;
use crate::disclosure::Disclosure;
use crate::live::Snapshot;
use crate::policy::{NoticePolicy, ServerPolicy};
use crate::projection::Projector;
use crate::refusal::{DomainResult, Refusal};

pub struct Mechanism {
    pub(crate) agreement: Arc<Agreement>,
    pub(crate) policy: ServerPolicy,
    pub(crate) recorder: Arc<Recorder>,
    pub(crate) projector: Arc<Projector>,
    pub(crate) disclosure: Arc<Disclosure>,
    pub(crate) clock: Arc<dyn Clock>,
    /// The versions of the agreement by the instant each enters into force (the engine
    /// thread's schedule): a notice is checked under the version in force when it starts.
    pub(crate) versions: Arc<crate::live::Versions>,
    /// Drafts built from their files, by hash.
    pub(crate) talks_built: crate::talks::service::Built,
    /// The force's tracks, as the engine thread applied them.
    pub(crate) tracks: Arc<crate::operations::tracks::PatrolTracks>,
    /// An impact over the recorded reports is being computed.
    pub(crate) impact_running: std::sync::atomic::AtomicBool,
    ops: Mutex<()>,
}

/// What the engine thread keeps that the domains read: the versions by the instant each
/// enters into force, and the force's tracks.
pub struct EngineViews {
    pub versions: Arc<crate::live::Versions>,
    pub tracks: Arc<crate::operations::tracks::PatrolTracks>,
}

impl Mechanism {
    pub fn new(
        agreement: Arc<Agreement>,
        policy: ServerPolicy,
        recorder: Arc<Recorder>,
        projector: Arc<Projector>,
        disclosure: Arc<Disclosure>,
        clock: Arc<dyn Clock>,
        EngineViews { versions, tracks }: EngineViews,
    ) -> Mechanism {
        Mechanism {
            agreement,
            policy,
            recorder,
            projector,
            disclosure,
            clock,
            versions,
            tracks,
            talks_built: Default::default(),
            impact_running: Default::default(),
            ops: Mutex::new(()),
        }
    }

    pub fn policy(&self) -> &NoticePolicy {
        &self.policy.notices
    }

    pub fn projector(&self) -> &Arc<Projector> {
        &self.projector
    }

    pub(crate) fn one_at_a_time(&self) -> MutexGuard<'_, ()> {
        self.ops.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings the projection level with the ledger after recording.
    pub(crate) fn project(&self) -> DomainResult<()> {
        self.projector
            .catch_up()
            .map_err(|e| Refusal::unavailable(format!("the projection stopped: {e}")))
    }

    /// Carries out an act with its author's signed entry (`POST /v1/acts`). Answers what
    /// the act's own route answers, and the receipt of the author's entry.
    pub fn act(
        &self,
        who: &Principal,
        entry: Entry,
        snapshot: &Snapshot,
    ) -> DomainResult<(Value, Receipt)> {
        if who.is_mediator() {
            return Err(Refusal::forbidden(
                "the mediator's acts are signed by the log key: use the act's own route",
            ));
        }
        if entry.author() != who.id {
            return Err(Refusal::forbidden(format!(
                "the entry's author is {:?}; you are signed in as {:?}",
                entry.author(),
                who.id
            )));
        }
        let act = Act::parse(&entry.draft().kind, &entry.draft().body)?;
        let signing = Signing::signed(entry);
        let result = self.apply(who, act, &signing, snapshot)?;
        let receipt = signing
            .take_receipt()
            .ok_or_else(|| Refusal::internal("the act recorded no entry of its author"))?;
        Ok((result, receipt))
    }

    /// Checks an act and answers the envelope its author must sign (`POST
    /// /v1/acts/prepare`). Changes nothing.
    pub fn prepare(&self, who: &Principal, act: Act, snapshot: &Snapshot) -> DomainResult<Value> {
        if who.is_mediator() {
            return Err(Refusal::forbidden(
                "the mediator's acts are signed by the log key: use the act's own route",
            ));
        }
        match self.apply(who, act, &Signing::log(), snapshot) {
            Err(Refusal::SignatureRequired { envelope, .. }) => Ok((*envelope).clone()),
            Err(e) => Err(e),
            Ok(_) => Err(Refusal::internal("an unsigned act was carried out")),
        }
    }

    /// Carries out an act; `signing` says who signs the actor's entry.
    pub fn apply(
        &self,
        who: &Principal,
        act: Act,
        signing: &Signing,
        snapshot: &Snapshot,
    ) -> DomainResult<Value> {
        match act {
            Act::Notice(d) => self.submit_notice(who, d, snapshot, signing),
            Act::Answer(a) => self.answer_notice(who, &a.notice, &a.answer, &a.reason, signing),
            Act::Withdraw(w) => self.withdraw_notice(who, &w.notice, signing),
            Act::Incident(d) => self.report_incident(who, d, signing),
            Act::Response(r) => self.respond(who, &r.incident, &r.text, signing),
            Act::Investigate(i) => self.investigate(who, &i.incident, &i.note, signing),
            Act::Draft(f) => self.file_draft(who, f, signing),
            Act::Comment(c) => self.comment_draft(who, c, signing),
            Act::Sign(s) => self.sign_version(who, &s.draft, signing),
            Act::PatrolTasking(t) => self.task_patrol(who, t, signing),
            Act::PatrolReport(r) => self.report_patrol(who, r, signing),
        }
    }
}
