//! The signed-acts recorder: how an act reaches the ledger. A party's or monitor's own
//! act is an entry it signs with its own key (the server never holds that key), checked
//! here for its author, kind and audience; the mediator's are signed by the log key.
//! Without a signature the answer is 428 with the exact envelope to sign, and nothing
//! changes.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use truceline_engine::agreement::Role;
use truceline_engine::Agreement;
use truceline_ledger::envelope::{Draft, Entry};
use truceline_ledger::ledger::{AppendError, Ledger};
use truceline_ledger::receipt::Receipt;

use crate::access::{Audience, Principal};
use crate::clock::Clock;
use crate::incidents::IncidentDraft;
use crate::notices::NoticeDraft;
use crate::operations::patrols::{PatrolReportAct, PatrolTasking};
use crate::refusal::{DomainResult, Refusal};
use crate::talks::{CommentAct, DraftFiling, SignAct};

/// The ledger kinds of the acts a party or monitor signs itself. The server never holds
/// their private keys (spec/ledger.md), so each of these entries is the author's own.
pub const ACT_KINDS: [&str; 11] = [
    "notice/submitted",
    "notice/answered",
    "notice/withdrawn",
    "incident/reported",
    "incident/response",
    "incident/investigating",
    "draft/filed",
    "draft/commented",
    "version/signed",
    "patrol/tasked",
    "patrol/reported",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerAct {
    pub notice: String,
    /// acknowledge | object
    pub answer: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawAct {
    pub notice: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseAct {
    pub incident: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvestigateAct {
    pub incident: String,
    #[serde(default)]
    pub note: String,
}

/// An act as its author signs it: the entry's `kind` says which, its `body` is the act.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    Notice(NoticeDraft),
    Answer(AnswerAct),
    Withdraw(WithdrawAct),
    Incident(IncidentDraft),
    Response(ResponseAct),
    Investigate(InvestigateAct),
    Draft(DraftFiling),
    Comment(CommentAct),
    Sign(SignAct),
    PatrolTasking(PatrolTasking),
    PatrolReport(PatrolReportAct),
}

impl Act {
    /// Reads an act from an entry's kind and body.
    pub fn parse(kind: &str, body: &Value) -> DomainResult<Act> {
        fn read<T: serde::de::DeserializeOwned>(kind: &str, body: &Value) -> DomainResult<T> {
            T::deserialize(body)
                .map_err(|e| Refusal::invalid(format!("body of a {kind} entry: {e}")))
        }
        Ok(match kind {
            "notice/submitted" => Act::Notice(read(kind, body)?),
            "notice/answered" => Act::Answer(read(kind, body)?),
            "notice/withdrawn" => Act::Withdraw(read(kind, body)?),
            "incident/reported" => Act::Incident(read(kind, body)?),
            "incident/response" => Act::Response(read(kind, body)?),
            "incident/investigating" => Act::Investigate(read(kind, body)?),
            "draft/filed" => Act::Draft(read(kind, body)?),
            "draft/commented" => Act::Comment(read(kind, body)?),
            "version/signed" => Act::Sign(read(kind, body)?),
            "patrol/tasked" => Act::PatrolTasking(read(kind, body)?),
            "patrol/reported" => Act::PatrolReport(read(kind, body)?),
            _ => {
                return Err(Refusal::invalid(format!(
                    "kind {kind:?}: one of {ACT_KINDS:?}"
                )))
            }
        })
    }
}

/// How the actor's own entry for an act is signed.
pub struct Signing {
    entry: Option<Entry>,
    receipt: Mutex<Option<Receipt>>,
}

impl Signing {
    /// Whether the actor's signed entry came with the act.
    pub fn is_signed(&self) -> bool {
        self.entry.is_some()
    }

    /// No signature came with the act: the log key signs if the actor is the mediator;
    /// anyone else is answered 428 with the envelope to sign.
    pub fn log() -> Self {
        Signing {
            entry: None,
            receipt: Mutex::new(None),
        }
    }

    /// The actor's own signed envelope.
    pub fn signed(entry: Entry) -> Self {
        Signing {
            entry: Some(entry),
            receipt: Mutex::new(None),
        }
    }

    /// The receipt of the signed entry, once it is recorded.
    pub fn take_receipt(&self) -> Option<Receipt> {
        self.receipt
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

fn append_error(e: AppendError) -> Refusal {
    use truceline_ledger::envelope::EntryError;
    match e {
        AppendError::UnknownAuthor(a) => {
            Refusal::forbidden(format!("{a:?} has no registered key in the ledger"))
        }
        AppendError::Entry(EntryError::BadSignature { author }) => Refusal::forbidden(format!(
            "the signature does not verify under {author}'s registered key"
        )),
        AppendError::Entry(e) => Refusal::invalid(e.to_string()),
        AppendError::Seq { expected, got, .. } => Refusal::conflict(format!(
            "seq {got} is not the next one ({expected}): prepare the act again and sign that"
        )),
        AppendError::Stopped(why) => {
            Refusal::unavailable(format!("the ledger refused the entry: {why}"))
        }
    }
}

/// Writes acts to the ledger: durable when a call returns.
pub struct Recorder {
    ledger: Arc<Ledger>,
    clock: Arc<dyn Clock>,
    monitors: Vec<String>,
    everyone: Vec<String>,
}

impl Recorder {
    pub fn new(agreement: &Agreement, ledger: Arc<Ledger>, clock: Arc<dyn Clock>) -> Recorder {
        let ids = |keep: &dyn Fn(Role) -> bool| {
            agreement
                .parties
                .iter()
                .filter(|p| keep(p.role))
                .map(|p| p.id.clone())
                .collect()
        };
        Recorder {
            monitors: ids(&|r| r == Role::Monitor),
            everyone: ids(&|r| r != Role::Mediator),
            ledger,
            clock,
        }
    }

    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// The ledger audience of `audience`.
    pub fn ledger_ids(&self, audience: &Audience) -> Vec<String> {
        audience.ledger_ids(&self.monitors, &self.everyone)
    }

    /// Records in the ledger; durable when this returns.
    pub fn record(&self, kind: &str, audience: &Audience, body: Value) -> DomainResult<u64> {
        let ids = self.ledger_ids(audience);
        let now = self.clock.now_ms().max(0) as u64;
        self.ledger
            .append_own(kind, ids, body, now)
            .map(|r| r.index)
            .map_err(|e| Refusal::unavailable(format!("the ledger refused the entry: {e}")))
    }

    /// Records the actor's own entry for an act: the mediator's is signed by the log key;
    /// anyone else's must come signed (`signing`), with the kind and audience the act
    /// requires. Without one, the answer is 428 with the envelope to sign, and nothing
    /// changes. Durable when this returns.
    pub fn record_act(
        &self,
        who: &Principal,
        signing: &Signing,
        kind: &str,
        audience: &Audience,
        body: impl FnOnce() -> Value,
    ) -> DomainResult<u64> {
        let ids = self.ledger_ids(audience);
        let Some(entry) = &signing.entry else {
            if who.is_mediator() {
                return self.record(kind, audience, body());
            }
            return Err(self.to_sign(who, kind, ids, body()));
        };
        let d = entry.draft();
        if d.author != who.id {
            return Err(Refusal::forbidden(format!(
                "the entry's author is {:?}; you are signed in as {:?}",
                d.author, who.id
            )));
        }
        if d.kind != kind {
            return Err(Refusal::invalid(format!(
                "kind {:?}: this act is a {kind:?} entry",
                d.kind
            )));
        }
        if d.audience != ids {
            return Err(Refusal::invalid(format!(
                "audience {:?}: this act's entry is for {ids:?}",
                d.audience
            )));
        }
        let receipt = self.ledger.append(entry.clone()).map_err(append_error)?;
        let index = receipt.index;
        *signing.receipt.lock().unwrap_or_else(|e| e.into_inner()) = Some(receipt);
        Ok(index)
    }

    /// The 428 answer to an unsigned act: the envelope its author signs.
    fn to_sign(&self, who: &Principal, kind: &str, audience: Vec<String>, body: Value) -> Refusal {
        let draft = Draft {
            seq: self.ledger.next_seq(&who.id),
            time_ms: self.clock.now_ms().max(0) as u64,
            author: who.id.clone(),
            kind: kind.to_owned(),
            audience,
            body,
        }
        .normalise();
        let (draft, input) = match draft.and_then(|d| d.signing_bytes().map(|b| (d, b))) {
            Ok(x) => x,
            Err(e) => return Refusal::invalid(e.to_string()),
        };
        use base64::Engine as _;
        let envelope = json!({
            "audience": draft.audience,
            "author": draft.author,
            "body": draft.body,
            "kind": draft.kind,
            "seq": draft.seq,
            "time": draft.time_ms,
        });
        Refusal::SignatureRequired {
            detail: format!(
                "{} signs its own {kind} entry: sign the bytes of signing_input (base64; the \
                 canonical envelope without sig) with your Ed25519 key, add the signature as \
                 \"sig\" (base64) to envelope and POST it to /v1/acts",
                who.id
            ),
            envelope: std::sync::Arc::new(json!({
                "envelope": envelope,
                "signing_input": base64::engine::general_purpose::STANDARD.encode(input),
            })),
        }
    }
}
