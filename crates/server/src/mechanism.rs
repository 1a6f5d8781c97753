//! Notices (deconfliction) and incidents (alleged violations and findings): the mechanism's
//! own records. Each operation is checked whole, then recorded in the ledger (durable before
//! anything else changes), then kept in memory and the store, then published to the feed.
//! Operations are serialised by one lock; they are few and each waits for one commit.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use truceline_engine::agreement::{Role, RuleKind};
use truceline_engine::{Agreement, Event, EventKind};
use truceline_ledger::envelope::{Draft, Entry};
use truceline_ledger::ledger::{AppendError, Ledger};
use truceline_ledger::receipt::Receipt;

use crate::access::{Audience, Principal};
use crate::clock::{parse_ms, rfc3339_ms, Clock};
use crate::error::{ApiError, ApiResult};
use crate::feed::{Feed, NewItem};
use crate::geo::{distance_between_m, distance_to_feature_m, Place};
use crate::live::{event_parties, LiveEvent, Snapshot};
use crate::policy::{NoticePolicy, NOTICE_KINDS};
use crate::store::{DocKind, Store};

pub const MAX_TEXT_CHARS: usize = 4_000;
pub const MAX_FORCES: usize = 64;
pub const MAX_EVIDENCE: usize = 64;
pub const MAX_NOTICES: usize = 1_000_000;
pub const MAX_INCIDENTS: usize = 1_000_000;

pub const INCIDENT_CATEGORIES: [&str; 8] = [
    "exclusion_breach",
    "cap_exceeded",
    "standoff",
    "separation",
    "fire_across_line",
    "airspace_violation",
    "restriction_of_monitors",
    "other",
];

// ---- notices --------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Force {
    pub category: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AltitudeBand {
    pub min_m: f64,
    pub max_m: f64,
}

/// What a party submits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeDraft {
    /// movement | deployment | exercise | flight | strike (on a third party)
    pub kind: String,
    pub place: Place,
    /// RFC 3339 UTC.
    pub from: String,
    pub until: String,
    #[serde(default)]
    pub altitude: Option<AltitudeBand>,
    #[serde(default)]
    pub forces: Vec<Force>,
    /// For a strike: on whom (a third party, never a party to the agreement).
    #[serde(default)]
    pub third_party: Option<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleConflict {
    pub rule: String,
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overlap {
    pub notice: String,
    pub party: String,
    pub status: String,
    pub distance_km: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeCheck {
    /// True when the lead time is met, no rule would be broken and no accepted notice of
    /// another party overlaps.
    pub ok: bool,
    pub lead_time_required_min: u32,
    pub lead_time_given_min: i64,
    pub lead_time_met: bool,
    pub rule_conflicts: Vec<RuleConflict>,
    /// Overlaps with acknowledged notices of another party (these make `ok` false).
    pub overlaps: Vec<Overlap>,
    /// Overlaps with notices of another party still awaiting an answer.
    pub pending_overlaps: Vec<Overlap>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relay {
    pub at: String,
    pub to: Vec<String>,
    pub redacted: Vec<String>,
    pub deadline: String,
    #[serde(skip)]
    pub deadline_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub party: String,
    /// acknowledge | object
    pub answer: String,
    #[serde(default)]
    pub reason: String,
    pub at: String,
    pub late: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub id: String,
    pub party: String,
    #[serde(flatten)]
    pub draft: NoticeDraft,
    pub submitted_at: String,
    /// submitted | relayed | acknowledged | objected | overdue | withdrawn
    pub status: String,
    pub check: NoticeCheck,
    #[serde(default)]
    pub relay: Option<Relay>,
    #[serde(default)]
    pub answers: Vec<Answer>,
    #[serde(default)]
    pub escalated_at: Option<String>,
    /// Ledger indices of this notice's entries.
    #[serde(default)]
    pub ledger: Vec<u64>,
    #[serde(skip)]
    from_ms: i64,
    #[serde(skip)]
    until_ms: i64,
}

impl Notice {
    fn fix_times(&mut self) {
        self.from_ms = parse_ms(&self.draft.from).unwrap_or(0);
        self.until_ms = parse_ms(&self.draft.until).unwrap_or(0);
        if let Some(r) = &mut self.relay {
            r.deadline_ms = parse_ms(&r.deadline).unwrap_or(0);
        }
    }

    fn full_audience(&self) -> Audience {
        Audience::ids([self.party.clone()])
    }

    /// What `who` sees of this notice, if anything.
    pub fn view_for(&self, who: &Principal, policy: &NoticePolicy) -> Option<Value> {
        if who.is_mediator() || who.id == self.party {
            return serde_json::to_value(self).ok();
        }
        let relay = self.relay.as_ref()?;
        if !relay.to.contains(&who.id) {
            return None;
        }
        Some(self.redacted(policy))
    }

    fn redacted(&self, policy: &NoticePolicy) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        let o = v.as_object_mut().expect("a notice is an object");
        o.remove("check");
        o.remove("ledger");
        if policy.redacts("forces") {
            o.remove("forces");
        } else if policy.redacts("counts") {
            if let Some(Value::Array(forces)) = o.get_mut("forces") {
                forces.iter_mut().for_each(|f| {
                    f.as_object_mut().map(|f| f.remove("count"));
                });
            }
        }
        if policy.redacts("description") {
            o.remove("description");
        }
        if policy.redacts("altitude") {
            o.remove("altitude");
        }
        v
    }
}

// ---- incidents ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceReport {
    pub lon: f64,
    pub lat: f64,
    /// Radius within which the place is known.
    pub precision_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Hex SHA-256 of the file (upload it to /v1/evidence first).
    pub sha256: String,
    pub media_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentDraft {
    pub category: String,
    /// RFC 3339 UTC: when it happened.
    pub occurred_at: String,
    /// How well the time is known, in seconds.
    #[serde(default)]
    pub time_precision_s: u32,
    #[serde(default)]
    pub place: Option<PlaceReport>,
    #[serde(default)]
    pub alleged_party: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineLink {
    pub rule: String,
    pub kind: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub other: Option<String>,
    /// The feed id of the breach event.
    pub event: u64,
    #[serde(default)]
    pub cleared_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub party: String,
    pub text: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// verified | not_substantiated | undetermined
    pub outcome: String,
    pub reasons: String,
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub at: String,
    pub by: String,
    pub status: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    #[serde(flatten)]
    pub draft: IncidentDraft,
    /// alleged | investigating | verified | not_substantiated | undetermined
    pub status: String,
    /// party | monitor | mediator | engine
    pub source: String,
    pub reporter: String,
    /// The parties it is about (the alleged party, or both sides of a separation).
    pub about: Vec<String>,
    pub opened_at: String,
    #[serde(default)]
    pub engine: Option<EngineLink>,
    #[serde(default)]
    pub responses: Vec<Response>,
    #[serde(default)]
    pub finding: Option<Finding>,
    pub history: Vec<Step>,
    #[serde(default)]
    pub ledger: Vec<u64>,
    #[serde(skip)]
    pub occurred_ms: i64,
}

impl Incident {
    pub fn audience(&self) -> Audience {
        let mut ids = self.about.clone();
        ids.push(self.reporter.clone());
        Audience::ids(ids).with_monitors()
    }

    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "alleged" | "investigating")
    }
}

// ---- a principal's own acts, signed by it ----------------------------------------------

/// The ledger kinds of the acts a party or monitor signs itself. The server never holds
/// their private keys (spec/ledger.md), so each of these entries is the author's own.
pub const ACT_KINDS: [&str; 6] = [
    "notice/submitted",
    "notice/answered",
    "notice/withdrawn",
    "incident/reported",
    "incident/response",
    "incident/investigating",
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
}

impl Act {
    /// Reads an act from an entry's kind and body.
    pub fn parse(kind: &str, body: &Value) -> ApiResult<Act> {
        fn read<T: serde::de::DeserializeOwned>(kind: &str, body: &Value) -> ApiResult<T> {
            T::deserialize(body)
                .map_err(|e| ApiError::unprocessable(format!("body of a {kind} entry: {e}")))
        }
        Ok(match kind {
            "notice/submitted" => Act::Notice(read(kind, body)?),
            "notice/answered" => Act::Answer(read(kind, body)?),
            "notice/withdrawn" => Act::Withdraw(read(kind, body)?),
            "incident/reported" => Act::Incident(read(kind, body)?),
            "incident/response" => Act::Response(read(kind, body)?),
            "incident/investigating" => Act::Investigate(read(kind, body)?),
            _ => {
                return Err(ApiError::unprocessable(format!(
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

fn append_error(e: AppendError) -> ApiError {
    use truceline_ledger::envelope::EntryError;
    match e {
        AppendError::UnknownAuthor(a) => {
            ApiError::forbidden(format!("{a:?} has no registered key in the ledger"))
        }
        AppendError::Entry(EntryError::BadSignature { author }) => ApiError::forbidden(format!(
            "the signature does not verify under {author}'s registered key"
        )),
        AppendError::Entry(e) => ApiError::unprocessable(e.to_string()),
        AppendError::Seq { expected, got, .. } => ApiError::conflict(format!(
            "seq {got} is not the next one ({expected}): prepare the act again and sign that"
        )),
        AppendError::Stopped(why) => {
            ApiError::unavailable(format!("the ledger refused the entry: {why}"))
        }
    }
}

// ---- the book -------------------------------------------------------------------------

#[derive(Default)]
struct Book {
    notices: BTreeMap<String, Notice>,
    incidents: BTreeMap<String, Incident>,
    next_notice: u64,
    next_incident: u64,
    /// Engine breach (rule, unit, other) -> incident id, while the breach is open.
    open_engine: BTreeMap<(String, Option<String>, Option<String>), String>,
}

pub struct Mechanism {
    agreement: Arc<Agreement>,
    policy: NoticePolicy,
    ledger: Arc<Ledger>,
    store: Arc<dyn Store>,
    feed: Arc<Feed>,
    clock: Arc<dyn Clock>,
    book: Mutex<Book>,
    monitors: Vec<String>,
    everyone: Vec<String>,
}

fn text(field: &str, s: &str) -> ApiResult<()> {
    if s.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::unprocessable(format!(
            "{field}: at most {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(())
}

fn parse_time(field: &str, s: &str) -> ApiResult<i64> {
    parse_ms(s).map_err(|e| ApiError::unprocessable(format!("{field}: {e}")))
}

impl Mechanism {
    pub fn open(
        agreement: Arc<Agreement>,
        policy: NoticePolicy,
        ledger: Arc<Ledger>,
        store: Arc<dyn Store>,
        feed: Arc<Feed>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, crate::store::StoreError> {
        let mut book = Book::default();
        for doc in store.docs(DocKind::Notice)? {
            let mut n: Notice = serde_json::from_str(&doc)
                .map_err(|e| crate::store::StoreError(format!("notice: {e}")))?;
            n.fix_times();
            book.next_notice = book.next_notice.max(n.id[2..].parse().unwrap_or(0));
            book.notices.insert(n.id.clone(), n);
        }
        for doc in store.docs(DocKind::Incident)? {
            let mut i: Incident = serde_json::from_str(&doc)
                .map_err(|e| crate::store::StoreError(format!("incident: {e}")))?;
            i.occurred_ms = parse_ms(&i.draft.occurred_at).unwrap_or(0);
            book.next_incident = book.next_incident.max(i.id[2..].parse().unwrap_or(0));
            if let Some(e) = &i.engine {
                if e.cleared_at.is_none() {
                    book.open_engine.insert(
                        (e.rule.clone(), e.unit.clone(), e.other.clone()),
                        i.id.clone(),
                    );
                }
            }
            book.incidents.insert(i.id.clone(), i);
        }
        let monitors = agreement
            .parties
            .iter()
            .filter(|p| p.role == Role::Monitor)
            .map(|p| p.id.clone())
            .collect();
        let everyone = agreement
            .parties
            .iter()
            .filter(|p| p.role != Role::Mediator)
            .map(|p| p.id.clone())
            .collect();
        Ok(Mechanism {
            agreement,
            policy,
            ledger,
            store,
            feed,
            clock,
            book: Mutex::new(book),
            monitors,
            everyone,
        })
    }

    pub fn policy(&self) -> &NoticePolicy {
        &self.policy
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records in the ledger; durable when this returns.
    fn record(&self, kind: &str, audience: &Audience, body: Value) -> ApiResult<u64> {
        let ids = audience.ledger_ids(&self.monitors, &self.everyone);
        let now = self.clock.now_ms().max(0) as u64;
        self.ledger
            .append_own(kind, ids, body, now)
            .map(|r| r.index)
            .map_err(|e| ApiError::unavailable(format!("the ledger refused the entry: {e}")))
    }

    /// Records the actor's own entry for an act: the mediator's is signed by the log key;
    /// anyone else's must come signed (`signing`), with the kind and audience the act
    /// requires. Without one, the answer is 428 with the envelope to sign, and nothing
    /// changes. Durable when this returns.
    fn record_act(
        &self,
        who: &Principal,
        signing: &Signing,
        kind: &str,
        audience: &Audience,
        body: impl FnOnce() -> Value,
    ) -> ApiResult<u64> {
        let ids = audience.ledger_ids(&self.monitors, &self.everyone);
        let Some(entry) = &signing.entry else {
            if who.is_mediator() {
                return self.record(kind, audience, body());
            }
            return Err(self.to_sign(who, kind, ids, body()));
        };
        let d = entry.draft();
        if d.author != who.id {
            return Err(ApiError::forbidden(format!(
                "the entry's author is {:?}; you are signed in as {:?}",
                d.author, who.id
            )));
        }
        if d.kind != kind {
            return Err(ApiError::unprocessable(format!(
                "kind {:?}: this act is a {kind:?} entry",
                d.kind
            )));
        }
        if d.audience != ids {
            return Err(ApiError::unprocessable(format!(
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
    fn to_sign(&self, who: &Principal, kind: &str, audience: Vec<String>, body: Value) -> ApiError {
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
            Err(e) => return ApiError::unprocessable(e.to_string()),
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
        ApiError::precondition_required(format!(
            "{} signs its own {kind} entry: sign the bytes of signing_input (base64; the \
             canonical envelope without sig) with your Ed25519 key, add the signature as \
             \"sig\" (base64) to envelope and POST it to /v1/acts",
            who.id
        ))
        .with_ext(json!({
            "envelope": envelope,
            "signing_input": base64::engine::general_purpose::STANDARD.encode(input),
        }))
    }

    /// Carries out an act with its author's signed entry (`POST /v1/acts`). Answers what
    /// the act's own route answers, and the receipt of the author's entry.
    pub fn act(
        &self,
        who: &Principal,
        entry: Entry,
        snapshot: &Snapshot,
    ) -> ApiResult<(Value, Receipt)> {
        if who.is_mediator() {
            return Err(ApiError::forbidden(
                "the mediator's acts are signed by the log key: use the act's own route",
            ));
        }
        if entry.author() != who.id {
            return Err(ApiError::forbidden(format!(
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
            .ok_or_else(|| ApiError::internal("the act recorded no entry of its author"))?;
        Ok((result, receipt))
    }

    /// Checks an act and answers the envelope its author must sign (`POST
    /// /v1/acts/prepare`). Changes nothing.
    pub fn prepare(&self, who: &Principal, act: Act, snapshot: &Snapshot) -> ApiResult<Value> {
        if who.is_mediator() {
            return Err(ApiError::forbidden(
                "the mediator's acts are signed by the log key: use the act's own route",
            ));
        }
        match self.apply(who, act, &Signing::log(), snapshot) {
            Err(e) if e.status == axum::http::StatusCode::PRECONDITION_REQUIRED => e
                .ext
                .as_deref()
                .cloned()
                .ok_or_else(|| ApiError::internal("no envelope to sign")),
            Err(e) => Err(e),
            Ok(_) => Err(ApiError::internal("an unsigned act was carried out")),
        }
    }

    /// Carries out an act; `signing` says who signs the actor's entry.
    pub fn apply(
        &self,
        who: &Principal,
        act: Act,
        signing: &Signing,
        snapshot: &Snapshot,
    ) -> ApiResult<Value> {
        fn v<T: Serialize>(x: ApiResult<T>) -> ApiResult<Value> {
            x.map(|x| serde_json::to_value(x).unwrap_or_default())
        }
        match act {
            Act::Notice(d) => v(self.submit_notice(who, d, snapshot, signing)),
            Act::Answer(a) => self.answer_notice(who, &a.notice, &a.answer, &a.reason, signing),
            Act::Withdraw(w) => v(self.withdraw_notice(who, &w.notice, signing)),
            Act::Incident(d) => v(self.report_incident(who, d, signing)),
            Act::Response(r) => v(self.respond(who, &r.incident, &r.text, signing)),
            Act::Investigate(i) => v(self.investigate(who, &i.incident, &i.note, signing)),
        }
    }

    fn save(&self, kind: DocKind, id: &str, doc: &impl Serialize) -> ApiResult<()> {
        let json = serde_json::to_string(doc).map_err(|e| ApiError::internal(e.to_string()))?;
        self.store
            .put_doc(kind, id, &json)
            .map_err(|e| ApiError::internal(e.to_string()))
    }

    fn party_role(&self, id: &str) -> Option<Role> {
        self.agreement
            .parties
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.role)
    }

    fn parties(&self) -> impl Iterator<Item = &str> {
        self.agreement
            .parties
            .iter()
            .filter(|p| p.role == Role::Party)
            .map(|p| p.id.as_str())
    }

    // ---- notices ----

    fn validate_notice(&self, d: &NoticeDraft) -> ApiResult<(i64, i64)> {
        if !NOTICE_KINDS.contains(&d.kind.as_str()) {
            return Err(ApiError::unprocessable(format!(
                "kind {:?}: one of {NOTICE_KINDS:?}",
                d.kind
            )));
        }
        d.place
            .validate()
            .map_err(|e| ApiError::unprocessable(format!("place: {e}")))?;
        let from = parse_time("from", &d.from)?;
        let until = parse_time("until", &d.until)?;
        if until <= from {
            return Err(ApiError::unprocessable("until must be after from"));
        }
        if until - from > 31 * 24 * 3_600_000 {
            return Err(ApiError::unprocessable(
                "a notice's window is at most 31 days; give several notices",
            ));
        }
        match (&d.kind[..], &d.altitude) {
            ("flight", None) => {
                return Err(ApiError::unprocessable(
                    "a flight notice needs an altitude band",
                ))
            }
            (_, Some(a))
                if !(a.min_m.is_finite()
                    && a.max_m.is_finite()
                    && a.min_m <= a.max_m
                    && a.min_m >= -500.0
                    && a.max_m <= 100_000.0) =>
            {
                return Err(ApiError::unprocessable(
                    "altitude: min_m <= max_m, within -500 and 100000",
                ))
            }
            _ => {}
        }
        if d.forces.len() > MAX_FORCES {
            return Err(ApiError::unprocessable(format!(
                "at most {MAX_FORCES} force lines"
            )));
        }
        for f in &d.forces {
            if !self.agreement.categories.iter().any(|c| c.id == f.category) {
                return Err(ApiError::unprocessable(format!(
                    "forces: unknown category {:?}",
                    f.category
                )));
            }
        }
        if d.kind == "strike" {
            match &d.third_party {
                None => {
                    return Err(ApiError::unprocessable(
                        "a strike notice names the third party it is on",
                    ))
                }
                Some(t) if self.party_role(t) == Some(Role::Party) => {
                    return Err(ApiError::unprocessable(
                        "a strike notice is for a third party, not a party to the agreement",
                    ))
                }
                Some(t) => text("third_party", t)?,
            }
        }
        text("description", &d.description)?;
        Ok((from, until))
    }

    /// Checks a notice against the agreement, the present and the other side's notices.
    pub fn check_notice(
        &self,
        party: &str,
        d: &NoticeDraft,
        now_ms: i64,
        snapshot: &Snapshot,
    ) -> ApiResult<NoticeCheck> {
        let (from, until) = self.validate_notice(d)?;
        let required = self.policy.lead_time_min(&d.kind);
        let given = (from - now_ms).div_euclid(60_000);
        let lead_met = from - now_ms >= i64::from(required) * 60_000;
        let a = &self.agreement;
        let party_ix = a.parties.iter().position(|p| p.id == party);
        let mut conflicts = Vec::new();
        for rule in &a.rules {
            let active = rule.active_from.is_none_or(|f| f.0 / 1_000_000 < until)
                && rule.active_until.is_none_or(|u| u.0 / 1_000_000 > from);
            if !active || party_ix.is_none() {
                continue;
            }
            let p = party_ix.unwrap_or(0) as u16;
            let declared = |cat: u16| -> u64 {
                d.forces
                    .iter()
                    .filter(|f| f.category == a.categories[usize::from(cat)].id)
                    .map(|f| f.count)
                    .sum()
            };
            match &rule.kind {
                RuleKind::Exclusion { zone, forces } => {
                    let hit: Vec<&str> = d
                        .forces
                        .iter()
                        .filter(|f| f.count > 0)
                        .filter_map(|f| {
                            a.categories
                                .iter()
                                .position(|c| c.id == f.category)
                                .map(|c| (f, c as u16))
                        })
                        .filter(|(_, c)| forces.matches(p, *c))
                        .map(|(f, _)| f.category.as_str())
                        .collect();
                    if !hit.is_empty()
                        && distance_to_feature_m(&d.place, &a.features[*zone as usize]) == 0.0
                    {
                        conflicts.push(RuleConflict {
                            rule: rule.id.clone(),
                            kind: "exclusion".into(),
                            detail: format!(
                                "{} would enter {}, which excludes them",
                                hit.join(", "),
                                a.features[*zone as usize].id
                            ),
                        });
                    }
                }
                RuleKind::Cap {
                    zone,
                    party: cp,
                    category,
                    max,
                } if *cp == p => {
                    let n = declared(*category);
                    if n > 0 && distance_to_feature_m(&d.place, &a.features[*zone as usize]) == 0.0
                    {
                        let present = snapshot.cap_totals.get(&rule.id).copied().unwrap_or(0);
                        if n + present > *max {
                            conflicts.push(RuleConflict {
                                rule: rule.id.clone(),
                                kind: "cap".into(),
                                detail: format!(
                                    "{n} {} declared with {present} already in {}: {} over the cap of {max}",
                                    a.categories[usize::from(*category)].id,
                                    a.features[*zone as usize].id,
                                    n + present - max
                                ),
                            });
                        }
                    }
                }
                RuleKind::Standoff {
                    target,
                    forces,
                    min_km,
                } => {
                    let any = d.forces.iter().filter(|f| f.count > 0).any(|f| {
                        a.categories
                            .iter()
                            .position(|c| c.id == f.category)
                            .is_some_and(|c| forces.matches(p, c as u16))
                    });
                    if any {
                        let dist = distance_to_feature_m(&d.place, &a.features[*target as usize]);
                        if dist < min_km * 1000.0 {
                            conflicts.push(RuleConflict {
                                rule: rule.id.clone(),
                                kind: "standoff".into(),
                                detail: format!(
                                    "the place comes within {:.1} km of {}; the standoff is {min_km} km",
                                    dist / 1000.0,
                                    a.features[*target as usize].id
                                ),
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        let mut overlaps = Vec::new();
        let mut pending = Vec::new();
        let buffer_ms = i64::from(self.policy.buffer_min) * 60_000;
        for other in self.book().notices.values() {
            if other.party == party
                || !matches!(
                    other.status.as_str(),
                    "relayed" | "acknowledged" | "overdue"
                )
            {
                continue;
            }
            if other.until_ms + buffer_ms <= from || until + buffer_ms <= other.from_ms {
                continue;
            }
            let dist = distance_between_m(&d.place, &other.draft.place);
            if dist <= self.policy.buffer_km * 1000.0 {
                let o = Overlap {
                    notice: other.id.clone(),
                    party: other.party.clone(),
                    status: other.status.clone(),
                    distance_km: (dist / 10.0).round() / 100.0,
                };
                if other.status == "acknowledged" {
                    overlaps.push(o);
                } else {
                    pending.push(o);
                }
            }
        }
        Ok(NoticeCheck {
            ok: lead_met && conflicts.is_empty() && overlaps.is_empty(),
            lead_time_required_min: required,
            lead_time_given_min: given,
            lead_time_met: lead_met,
            rule_conflicts: conflicts,
            overlaps,
            pending_overlaps: pending,
        })
    }

    pub fn submit_notice(
        &self,
        who: &Principal,
        d: NoticeDraft,
        snapshot: &Snapshot,
        signing: &Signing,
    ) -> ApiResult<Notice> {
        if who.role != Role::Party {
            return Err(ApiError::forbidden(
                "only a party gives notice of its own activities",
            ));
        }
        let now = self.clock.now_ms();
        let check = self.check_notice(&who.id, &d, now, snapshot)?;
        let mut book = self.book();
        if book.notices.len() >= MAX_NOTICES {
            return Err(ApiError::unavailable("the notice book is full"));
        }
        let id = format!("N-{:06}", book.next_notice + 1);
        let mut notice = Notice {
            id: id.clone(),
            party: who.id.clone(),
            draft: d,
            submitted_at: rfc3339_ms(now),
            status: "submitted".into(),
            check,
            relay: None,
            answers: Vec::new(),
            escalated_at: None,
            ledger: Vec::new(),
            from_ms: 0,
            until_ms: 0,
        };
        notice.fix_times();
        // The party's own signed entry, then the mediator's record of what it accepted
        // (the notice's id and the check).
        let act = self.record_act(
            who,
            signing,
            "notice/submitted",
            &notice.full_audience(),
            || serde_json::to_value(&notice.draft).unwrap_or_default(),
        )?;
        notice.ledger.push(act);
        let index = self.record(
            "notice/accepted",
            &notice.full_audience(),
            serde_json::to_value(&notice).unwrap_or_default(),
        )?;
        notice.ledger.push(index);
        book.next_notice += 1;
        self.save(DocKind::Notice, &id, &notice)?;
        book.notices.insert(id, notice.clone());
        self.publish_notice(&notice, None);
        Ok(notice)
    }

    fn publish_notice(&self, n: &Notice, note: Option<&str>) {
        let now = self.clock.now_ms();
        let mut items = vec![NewItem {
            kind: "notice",
            time_ms: now,
            audience: n.full_audience(),
            data: json!({"note": note, "notice": serde_json::to_value(n).unwrap_or_default()}),
        }];
        if let Some(r) = &n.relay {
            items.push(NewItem {
                kind: "notice",
                time_ms: now,
                audience: Audience::ids(r.to.clone()),
                data: json!({"note": note, "notice": n.redacted(&self.policy)}),
            });
        }
        self.feed.publish_durable(items);
    }

    pub fn notices_for(&self, who: &Principal) -> Vec<Value> {
        self.book()
            .notices
            .values()
            .filter_map(|n| n.view_for(who, &self.policy))
            .collect()
    }

    pub fn notice_for(&self, who: &Principal, id: &str) -> ApiResult<Value> {
        self.book()
            .notices
            .get(id)
            .and_then(|n| n.view_for(who, &self.policy))
            .ok_or_else(|| ApiError::not_found(format!("no notice {id:?} that you may see")))
    }

    pub fn relay_notice(&self, who: &Principal, id: &str) -> ApiResult<Notice> {
        if !who.is_mediator() {
            return Err(ApiError::forbidden("only the mediator relays notices"));
        }
        let now = self.clock.now_ms();
        let mut book = self.book();
        let mut n = book
            .notices
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("no notice {id:?}")))?;
        if n.status != "submitted" {
            return Err(ApiError::conflict(format!(
                "notice {id} is {}, not submitted",
                n.status
            )));
        }
        let to: Vec<String> = self
            .parties()
            .filter(|p| *p != n.party)
            .map(String::from)
            .collect();
        let deadline_ms = now + i64::from(self.policy.answer_within_min) * 60_000;
        n.relay = Some(Relay {
            at: rfc3339_ms(now),
            to: to.clone(),
            redacted: self.policy.redact.clone(),
            deadline: rfc3339_ms(deadline_ms),
            deadline_ms,
        });
        n.status = "relayed".into();
        let index = self.record(
            "notice/relayed",
            &Audience::ids(to.iter().cloned().chain([n.party.clone()])),
            n.redacted(&self.policy),
        )?;
        n.ledger.push(index);
        self.save(DocKind::Notice, id, &n)?;
        book.notices.insert(id.to_owned(), n.clone());
        drop(book);
        self.publish_notice(&n, Some("relayed"));
        Ok(n)
    }

    pub fn answer_notice(
        &self,
        who: &Principal,
        id: &str,
        answer: &str,
        reason: &str,
        signing: &Signing,
    ) -> ApiResult<Value> {
        if !matches!(answer, "acknowledge" | "object") {
            return Err(ApiError::unprocessable("answer is acknowledge or object"));
        }
        text("reason", reason)?;
        if answer == "object" && reason.trim().is_empty() {
            return Err(ApiError::unprocessable("an objection gives its reason"));
        }
        let now = self.clock.now_ms();
        let mut book = self.book();
        let mut n = book
            .notices
            .get(id)
            .filter(|n| n.view_for(who, &self.policy).is_some())
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("no notice {id:?} that you may see")))?;
        let relay = n
            .relay
            .clone()
            .filter(|r| r.to.contains(&who.id))
            .ok_or_else(|| {
                ApiError::forbidden("only a party the notice was relayed to answers it")
            })?;
        if !matches!(n.status.as_str(), "relayed" | "overdue") {
            return Err(ApiError::conflict(format!(
                "notice {id} is {}: it takes no answer now",
                n.status
            )));
        }
        n.answers.push(Answer {
            party: who.id.clone(),
            answer: answer.into(),
            reason: reason.into(),
            at: rfc3339_ms(now),
            late: now > relay.deadline_ms,
        });
        let answered: Vec<&Answer> = relay
            .to
            .iter()
            .filter_map(|p| n.answers.iter().rev().find(|a| a.party == *p))
            .collect();
        if answered.iter().any(|a| a.answer == "object") {
            n.status = "objected".into();
        } else if answered.len() == relay.to.len() {
            n.status = "acknowledged".into();
        }
        let audience = Audience::ids(relay.to.iter().cloned().chain([n.party.clone()]));
        let index = self.record_act(who, signing, "notice/answered", &audience, || {
            serde_json::to_value(AnswerAct {
                notice: id.into(),
                answer: answer.into(),
                reason: reason.into(),
            })
            .unwrap_or_default()
        })?;
        n.ledger.push(index);
        self.save(DocKind::Notice, id, &n)?;
        book.notices.insert(id.to_owned(), n.clone());
        drop(book);
        self.publish_notice(&n, Some(answer));
        n.view_for(who, &self.policy)
            .ok_or_else(|| ApiError::internal("view lost"))
    }

    pub fn withdraw_notice(
        &self,
        who: &Principal,
        id: &str,
        signing: &Signing,
    ) -> ApiResult<Notice> {
        let mut book = self.book();
        let mut n = book
            .notices
            .get(id)
            .filter(|n| n.view_for(who, &self.policy).is_some())
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("no notice {id:?} that you may see")))?;
        if n.party != who.id {
            return Err(ApiError::forbidden(
                "only the party that gave a notice withdraws it",
            ));
        }
        if n.status == "withdrawn" {
            return Err(ApiError::conflict("already withdrawn"));
        }
        n.status = "withdrawn".into();
        let mut audience = n.full_audience();
        if let Some(r) = &n.relay {
            audience = Audience::ids(r.to.iter().cloned().chain([n.party.clone()]));
        }
        let index = self.record_act(
            who,
            signing,
            "notice/withdrawn",
            &audience,
            || json!({"notice": id}),
        )?;
        n.ledger.push(index);
        self.save(DocKind::Notice, id, &n)?;
        book.notices.insert(id.to_owned(), n.clone());
        drop(book);
        self.publish_notice(&n, Some("withdrawn"));
        Ok(n)
    }

    /// Flags relayed notices whose deadline has passed without every answer as overdue and
    /// escalates them to the mediator. Returns the ids flagged.
    pub fn tick(&self) -> Vec<String> {
        let now = self.clock.now_ms();
        let due: Vec<String> = self
            .book()
            .notices
            .values()
            .filter(|n| {
                n.status == "relayed" && n.relay.as_ref().is_some_and(|r| now > r.deadline_ms)
            })
            .map(|n| n.id.clone())
            .collect();
        let mut flagged = Vec::new();
        for id in due {
            let mut book = self.book();
            let Some(mut n) = book.notices.get(&id).cloned() else {
                continue;
            };
            if n.status != "relayed" {
                continue;
            }
            let relay = n
                .relay
                .clone()
                .unwrap_or_else(|| unreachable!("relayed notices have a relay"));
            let missing: Vec<String> = relay
                .to
                .iter()
                .filter(|p| !n.answers.iter().any(|a| a.party == **p))
                .cloned()
                .collect();
            n.status = "overdue".into();
            n.escalated_at = Some(rfc3339_ms(now));
            let audience = Audience::ids(relay.to.iter().cloned().chain([n.party.clone()]));
            let Ok(index) = self.record(
                "notice/overdue",
                &audience,
                json!({"notice": id, "unanswered_by": missing, "deadline": relay.deadline}),
            ) else {
                continue;
            };
            n.ledger.push(index);
            if self.save(DocKind::Notice, &id, &n).is_err() {
                continue;
            }
            book.notices.insert(id.clone(), n.clone());
            drop(book);
            self.publish_notice(&n, Some("overdue"));
            self.feed.publish_durable(vec![NewItem {
                kind: "escalation",
                time_ms: now,
                audience: Audience::ids([n.party.clone()]),
                data: json!({"notice": id, "why": format!("no answer from {} by {}", missing.join(", "), relay.deadline)}),
            }]);
            flagged.push(id);
        }
        flagged
    }

    // ---- incidents ----

    pub fn report_incident(
        &self,
        who: &Principal,
        d: IncidentDraft,
        signing: &Signing,
    ) -> ApiResult<Incident> {
        if who.role == Role::Observer {
            return Err(ApiError::forbidden("observers do not report incidents"));
        }
        if !INCIDENT_CATEGORIES.contains(&d.category.as_str()) {
            return Err(ApiError::unprocessable(format!(
                "category {:?}: one of {INCIDENT_CATEGORIES:?}",
                d.category
            )));
        }
        let occurred = parse_time("occurred_at", &d.occurred_at)?;
        if let Some(p) = &d.place {
            truceline_geometry::check_position([p.lon, p.lat])
                .map_err(|e| ApiError::unprocessable(format!("place: {e}")))?;
            if !(p.precision_m.is_finite() && (0.0..=1_000_000.0).contains(&p.precision_m)) {
                return Err(ApiError::unprocessable("place.precision_m: 0 to 1000000"));
            }
        }
        if let Some(a) = &d.alleged_party {
            if self.party_role(a) != Some(Role::Party) {
                return Err(ApiError::unprocessable(format!(
                    "alleged_party {a:?} is not a party to the agreement"
                )));
            }
        }
        if d.evidence.len() > MAX_EVIDENCE {
            return Err(ApiError::unprocessable(format!(
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
                return Err(ApiError::unprocessable(
                    "evidence.sha256: 64 lowercase hex digits",
                ));
            }
            if e.media_type.len() > 128 || !e.media_type.contains('/') {
                return Err(ApiError::unprocessable(
                    "evidence.media_type: a media type such as image/jpeg",
                ));
            }
        }
        text("description", &d.description)?;
        let source = match who.role {
            Role::Party => "party",
            Role::Monitor => "monitor",
            _ => "mediator",
        };
        let about: Vec<String> = d.alleged_party.iter().cloned().collect();
        // The reporter's own signed entry (the mediator's is its "incident/opened" alone).
        let act = if who.is_mediator() {
            None
        } else {
            let audience =
                Audience::ids(about.iter().cloned().chain([who.id.clone()])).with_monitors();
            Some(
                self.record_act(who, signing, "incident/reported", &audience, || {
                    serde_json::to_value(&d).unwrap_or_default()
                })?,
            )
        };
        self.open_incident(who.id.clone(), source, d, occurred, about, None, act)
    }

    #[allow(clippy::too_many_arguments)]
    fn open_incident(
        &self,
        reporter: String,
        source: &str,
        draft: IncidentDraft,
        occurred_ms: i64,
        about: Vec<String>,
        engine: Option<EngineLink>,
        act: Option<u64>,
    ) -> ApiResult<Incident> {
        let now = self.clock.now_ms();
        let mut book = self.book();
        if book.incidents.len() >= MAX_INCIDENTS {
            return Err(ApiError::unavailable("the incident book is full"));
        }
        let id = format!("I-{:06}", book.next_incident + 1);
        let mut i = Incident {
            id: id.clone(),
            draft,
            status: "alleged".into(),
            source: source.into(),
            reporter: reporter.clone(),
            about,
            opened_at: rfc3339_ms(now),
            engine,
            responses: Vec::new(),
            finding: None,
            history: vec![Step {
                at: rfc3339_ms(now),
                by: reporter,
                status: "alleged".into(),
                note: String::new(),
            }],
            ledger: act.into_iter().collect(),
            occurred_ms,
        };
        let index = self.record(
            "incident/opened",
            &i.audience(),
            serde_json::to_value(&i).unwrap_or_default(),
        )?;
        i.ledger.push(index);
        book.next_incident += 1;
        self.save(DocKind::Incident, &id, &i)?;
        if let Some(e) = &i.engine {
            book.open_engine.insert(
                (e.rule.clone(), e.unit.clone(), e.other.clone()),
                id.clone(),
            );
        }
        book.incidents.insert(id, i.clone());
        drop(book);
        self.publish_incident(&i, "opened");
        Ok(i)
    }

    fn publish_incident(&self, i: &Incident, note: &str) {
        self.feed.publish_durable(vec![NewItem {
            kind: "incident",
            time_ms: self.clock.now_ms(),
            audience: i.audience(),
            data: json!({"note": note, "incident": i}),
        }]);
    }

    /// Opens an incident for every breach the engine saw, and notes on the incident when
    /// the breach clears. Runs off the engine thread.
    pub fn engine_events(&self, events: &[LiveEvent]) {
        for le in events {
            let e = &le.event;
            let key = (
                e.rule.to_string(),
                e.unit.as_ref().map(|u| u.to_string()),
                e.other.as_ref().map(|u| u.to_string()),
            );
            if e.kind.is_breach() {
                let category = match e.kind {
                    EventKind::ExclusionBreach => "exclusion_breach",
                    EventKind::CapExceeded => "cap_exceeded",
                    EventKind::StandoffBreach => "standoff",
                    _ => "separation",
                };
                let about = event_parties(&self.agreement, e);
                let alleged = if about.len() == 1 {
                    about.first().cloned()
                } else {
                    None
                };
                let draft = IncidentDraft {
                    category: category.into(),
                    occurred_at: e.t.to_string(),
                    time_precision_s: 0,
                    place: le.position.map(|p| PlaceReport {
                        lon: p[0],
                        lat: p[1],
                        precision_m: 0.0,
                    }),
                    alleged_party: alleged,
                    description: describe(e),
                    evidence: Vec::new(),
                };
                let link = EngineLink {
                    rule: key.0.clone(),
                    kind: e.kind.as_str().into(),
                    unit: key.1.clone(),
                    other: key.2.clone(),
                    event: le.item.id,
                    cleared_at: None,
                };
                let mediator = self
                    .agreement
                    .parties
                    .iter()
                    .find(|p| p.role == Role::Mediator)
                    .map_or("mediator".into(), |p| p.id.clone());
                if let Err(err) = self.open_incident(
                    mediator,
                    "engine",
                    draft,
                    e.t.0 / 1_000_000,
                    about,
                    Some(link),
                    None,
                ) {
                    tracing::error!("opening an incident for event {}: {err}", le.item.id);
                }
            } else {
                let mut book = self.book();
                let Some(id) = book.open_engine.remove(&key) else {
                    continue;
                };
                let Some(mut i) = book.incidents.get(&id).cloned() else {
                    continue;
                };
                if let Some(link) = &mut i.engine {
                    link.cleared_at = Some(e.t.to_string());
                }
                let Ok(index) = self.record(
                    "incident/cleared",
                    &i.audience(),
                    json!({"incident": id, "event": le.item.id, "t": e.t.to_string()}),
                ) else {
                    continue;
                };
                i.ledger.push(index);
                if self.save(DocKind::Incident, &id, &i).is_ok() {
                    book.incidents.insert(id, i.clone());
                    drop(book);
                    self.publish_incident(&i, "condition cleared");
                }
            }
        }
    }

    fn visible_incident(&self, who: &Principal, id: &str) -> ApiResult<Incident> {
        self.book()
            .incidents
            .get(id)
            .filter(|i| i.audience().allows(who))
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("no incident {id:?} that you may see")))
    }

    pub fn incident_for(&self, who: &Principal, id: &str) -> ApiResult<Incident> {
        self.visible_incident(who, id)
    }

    pub fn incidents_for(&self, who: &Principal) -> Vec<Incident> {
        self.book()
            .incidents
            .values()
            .filter(|i| i.audience().allows(who))
            .cloned()
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn update_incident(
        &self,
        who: &Principal,
        signing: &Signing,
        id: &str,
        kind: &str,
        note: &str,
        body: Value,
        change: impl FnOnce(&mut Incident),
    ) -> ApiResult<Incident> {
        let mut book = self.book();
        let mut i = book
            .incidents
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("no incident {id:?}")))?;
        change(&mut i);
        let index = self.record_act(who, signing, kind, &i.audience(), || body)?;
        i.ledger.push(index);
        self.save(DocKind::Incident, id, &i)?;
        book.incidents.insert(id.to_owned(), i.clone());
        drop(book);
        self.publish_incident(&i, note);
        Ok(i)
    }

    pub fn investigate(
        &self,
        who: &Principal,
        id: &str,
        note: &str,
        signing: &Signing,
    ) -> ApiResult<Incident> {
        let i = self.visible_incident(who, id)?;
        if !(who.is_mediator() || who.role == Role::Monitor) {
            return Err(ApiError::forbidden(
                "the mediator or a monitor opens an investigation",
            ));
        }
        if i.status != "alleged" {
            return Err(ApiError::conflict(format!(
                "incident {id} is {}, not alleged",
                i.status
            )));
        }
        text("note", note)?;
        let now = rfc3339_ms(self.clock.now_ms());
        let step = Step {
            at: now,
            by: who.id.clone(),
            status: "investigating".into(),
            note: note.into(),
        };
        let body = serde_json::to_value(InvestigateAct {
            incident: id.into(),
            note: note.into(),
        })
        .unwrap_or_default();
        self.update_incident(
            who,
            signing,
            id,
            "incident/investigating",
            "investigating",
            body,
            |i| {
                i.status = "investigating".into();
                i.history.push(step);
            },
        )
    }

    pub fn respond(
        &self,
        who: &Principal,
        id: &str,
        body: &str,
        signing: &Signing,
    ) -> ApiResult<Incident> {
        let i = self.visible_incident(who, id)?;
        if who.role != Role::Party || !i.about.contains(&who.id) {
            return Err(ApiError::forbidden(
                "only a party the incident is about responds to it",
            ));
        }
        if body.trim().is_empty() {
            return Err(ApiError::unprocessable("a response has text"));
        }
        text("text", body)?;
        let r = Response {
            party: who.id.clone(),
            text: body.into(),
            at: rfc3339_ms(self.clock.now_ms()),
        };
        let act = serde_json::to_value(ResponseAct {
            incident: id.into(),
            text: body.into(),
        })
        .unwrap_or_default();
        self.update_incident(
            who,
            signing,
            id,
            "incident/response",
            "response",
            act,
            |i| i.responses.push(r),
        )
    }

    pub fn find(
        &self,
        who: &Principal,
        id: &str,
        outcome: &str,
        reasons: &str,
    ) -> ApiResult<Incident> {
        if !who.is_mediator() {
            return Err(ApiError::forbidden("only the mediator makes a finding"));
        }
        let i = self.visible_incident(who, id)?;
        if !matches!(outcome, "verified" | "not_substantiated" | "undetermined") {
            return Err(ApiError::unprocessable(
                "outcome: verified, not_substantiated or undetermined",
            ));
        }
        if reasons.trim().is_empty() {
            return Err(ApiError::unprocessable("a finding gives its reasons"));
        }
        text("reasons", reasons)?;
        if i.status != "investigating" {
            return Err(ApiError::conflict(format!(
                "incident {id} is {}: a finding follows an investigation",
                i.status
            )));
        }
        let now = rfc3339_ms(self.clock.now_ms());
        let f = Finding {
            outcome: outcome.into(),
            reasons: reasons.into(),
            by: who.id.clone(),
            at: now.clone(),
        };
        self.update_incident(
            who,
            &Signing::log(),
            id,
            "incident/finding",
            "finding",
            json!({"incident": id, "finding": f}),
            |i| {
                i.status = outcome.into();
                i.history.push(Step {
                    at: now,
                    by: f.by.clone(),
                    status: outcome.into(),
                    note: String::new(),
                });
                i.finding = Some(f);
            },
        )
    }

    /// Whether `who` may fetch the evidence file `sha256`: it is cited by an incident they
    /// may see.
    pub fn may_see_evidence(&self, who: &Principal, sha256: &str) -> bool {
        who.is_mediator()
            || self.book().incidents.values().any(|i| {
                i.audience().allows(who) && i.draft.evidence.iter().any(|e| e.sha256 == sha256)
            })
    }

    /// Notices and incidents `who` may see whose text contains `q` (case-insensitive).
    pub fn search(&self, who: &Principal, q: &str) -> Vec<Value> {
        let q = q.to_lowercase();
        let mut out: Vec<Value> = self
            .notices_for(who)
            .into_iter()
            .filter(|v| v.to_string().to_lowercase().contains(&q))
            .map(|v| json!({"type": "notice", "item": v}))
            .collect();
        out.extend(
            self.incidents_for(who)
                .into_iter()
                .filter(|i| {
                    serde_json::to_string(i)
                        .unwrap_or_default()
                        .to_lowercase()
                        .contains(&q)
                })
                .map(|i| json!({"type": "incident", "item": i})),
        );
        out
    }

    pub fn all_incidents(&self) -> Vec<Incident> {
        self.book().incidents.values().cloned().collect()
    }
}

fn describe(e: &Event) -> String {
    let unit = e.unit.as_deref().unwrap_or("?");
    match e.kind {
        EventKind::ExclusionBreach => format!(
            "{unit} entered {} (rule {})",
            e.zone.as_deref().unwrap_or("?"),
            e.rule
        ),
        EventKind::CapExceeded => format!(
            "{} {} in {}: {} over a cap of {} (rule {})",
            e.party.as_deref().unwrap_or("?"),
            e.category.as_deref().unwrap_or("?"),
            e.zone.as_deref().unwrap_or("?"),
            e.value.unwrap_or(0),
            e.limit.unwrap_or(0),
            e.rule
        ),
        EventKind::StandoffBreach => format!(
            "{unit} within {:.2} km of {} (standoff {} km, rule {})",
            e.distance_km.unwrap_or(0.0),
            e.target.as_deref().unwrap_or("?"),
            e.limit_km.unwrap_or(0.0),
            e.rule
        ),
        _ => format!(
            "{unit} and {} {:.2} km apart (separation {} km, rule {})",
            e.other.as_deref().unwrap_or("?"),
            e.distance_km.unwrap_or(0.0),
            e.limit_km.unwrap_or(0.0),
            e.rule
        ),
    }
}
