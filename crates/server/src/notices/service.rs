//! The notice operations: each is checked whole against the projection, recorded in the
//! ledger (durable before anything else), and then seen through the projection, which
//! applies the new entries. Nothing here changes a notice itself.

use std::sync::Arc;

use serde_json::{json, Value};
use truceline_engine::agreement::Role;

use super::check::{text, Checker};
use super::{notice_id, AnswerKind, Notice, NoticeCheck, NoticeDraft, NoticeStatus, Relay};
use crate::access::{Audience, Principal};
use crate::acts::{AnswerAct, Signing};
use crate::clock::rfc3339_ms;
use crate::live::Snapshot;
use crate::mechanism::Mechanism;
use crate::refusal::{DomainResult, Refusal};

pub const MAX_NOTICES: usize = 1_000_000;

impl Mechanism {
    fn checker<'a>(&'a self, agreement: &'a truceline_engine::Agreement) -> Checker<'a> {
        Checker {
            agreement,
            policy: &self.policy.notices,
        }
    }

    /// The version a notice starting at `from` (RFC 3339) is checked under: the one in
    /// force then, as the schedule stands (the one in force now when `from` is no time).
    fn version_for(&self, from: &str) -> Arc<truceline_engine::Agreement> {
        match crate::clock::parse_ms(from) {
            Ok(ms) => Arc::clone(
                self.versions
                    .current()
                    .version_at(truceline_engine::Timestamp(ms.saturating_mul(1_000_000)))
                    .classifier
                    .agreement(),
            ),
            Err(_) => Arc::clone(self.versions.in_force().classifier.agreement()),
        }
    }

    /// Checks a notice against the agreement, the present and the other side's notices.
    pub fn check_notice(
        &self,
        party: &str,
        d: &NoticeDraft,
        now_ms: i64,
        snapshot: &Snapshot,
    ) -> DomainResult<NoticeCheck> {
        let agreement = self.version_for(&d.from);
        self.projector.read(|book| {
            self.checker(&agreement)
                .check(party, d, now_ms, snapshot, book.notices.values())
        })
    }

    fn notice(&self, id: &str) -> Option<Notice> {
        self.projector.read(|b| b.notices.get(id).cloned())
    }

    fn visible_notice(&self, who: &Principal, id: &str) -> DomainResult<Notice> {
        self.notice(id)
            .filter(|n| self.disclosure.notice(n, who).is_some())
            .ok_or_else(|| Refusal::not_found(format!("no notice {id:?} that you may see")))
    }

    fn notice_view(&self, who: &Principal, id: &str) -> DomainResult<Value> {
        self.notice(id)
            .and_then(|n| self.disclosure.notice(&n, who))
            .ok_or_else(|| Refusal::internal(format!("notice {id} is not in the projection")))
    }

    pub fn submit_notice(
        &self,
        who: &Principal,
        d: NoticeDraft,
        snapshot: &Snapshot,
        signing: &Signing,
    ) -> DomainResult<Value> {
        if who.role != Role::Party {
            return Err(Refusal::forbidden(
                "only a party gives notice of its own activities",
            ));
        }
        let _one = self.one_at_a_time();
        let now = self.clock.now_ms();
        let check = self.check_notice(&who.id, &d, now, snapshot)?;
        if self.projector.read(|b| b.notices.len()) >= MAX_NOTICES {
            return Err(Refusal::unavailable("the notice book is full"));
        }
        // The party's own signed entry makes the notice (its index is the id); the
        // mediator's record of the check follows.
        let audience = Audience::ids([who.id.clone()]);
        let act = self
            .recorder
            .record_act(who, signing, "notice/submitted", &audience, || {
                serde_json::to_value(&d).unwrap_or_default()
            })?;
        let id = notice_id(act);
        self.recorder.record(
            "notice/accepted",
            &audience,
            json!({"notice": id, "check": check}),
        )?;
        self.project()?;
        self.notice_view(who, &id)
    }

    /// Records the check of every notice whose `notice/accepted` entry a crash lost
    /// (its party's act is in the ledger, the mediator's record of it is not). The check
    /// is made now, at its submission time, against what the engine knows now, and says so.
    pub fn recover_unchecked_notices(&self) -> DomainResult<()> {
        let _one = self.one_at_a_time();
        let unchecked: Vec<Notice> = self.projector.read(|b| {
            b.notices
                .values()
                .filter(|n| n.check.is_none())
                .cloned()
                .collect()
        });
        for n in unchecked {
            let submitted = crate::clock::parse_ms(&n.submitted_at).unwrap_or(0);
            let agreement = self.version_for(&n.draft.from);
            let check = self.projector.read(|b| {
                self.checker(&agreement).check(
                    &n.party,
                    &n.draft,
                    submitted,
                    &Snapshot::default(),
                    b.notices.values().filter(|o| o.id != n.id),
                )
            });
            let check = match check {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("notice {}: no check on recovery: {e}", n.id);
                    continue;
                }
            };
            self.recorder.record(
                "notice/accepted",
                &n.own_audience(),
                json!({"notice": n.id, "check": check, "recovered": true}),
            )?;
        }
        self.project()
    }

    pub fn notices_for(&self, who: &Principal) -> Vec<Value> {
        self.projector.read(|b| {
            b.notices
                .values()
                .filter_map(|n| self.disclosure.notice(n, who))
                .collect()
        })
    }

    pub fn notice_for(&self, who: &Principal, id: &str) -> DomainResult<Value> {
        self.notice(id)
            .and_then(|n| self.disclosure.notice(&n, who))
            .ok_or_else(|| Refusal::not_found(format!("no notice {id:?} that you may see")))
    }

    pub fn relay_notice(&self, who: &Principal, id: &str) -> DomainResult<Value> {
        if !who.is_mediator() {
            return Err(Refusal::forbidden("only the mediator relays notices"));
        }
        let _one = self.one_at_a_time();
        let now = self.clock.now_ms();
        let mut n = self
            .notice(id)
            .ok_or_else(|| Refusal::not_found(format!("no notice {id:?}")))?;
        if !n.status.relayable() {
            return Err(Refusal::conflict(format!(
                "notice {id} is {}, not submitted",
                n.status.as_str()
            )));
        }
        let to: Vec<String> = self
            .agreement
            .parties
            .iter()
            .filter(|p| p.role == Role::Party && p.id != n.party)
            .map(|p| p.id.clone())
            .collect();
        let deadline_ms = now + i64::from(self.policy.notices.answer_within_min) * 60_000;
        let relay = Relay {
            at: rfc3339_ms(now),
            to,
            redacted: self.policy.notices.redact.clone(),
            deadline: rfc3339_ms(deadline_ms),
            deadline_ms,
        };
        n.relay = Some(relay.clone());
        n.status = NoticeStatus::Relayed;
        // The body carries what the recipients may read of the notice: their exports
        // show them the notice as relayed, nothing more.
        let view = self.disclosure.notice_relayed(&n);
        self.recorder.record(
            "notice/relayed",
            &n.relay_audience(),
            json!({"notice": id, "relay": relay, "view": view}),
        )?;
        self.project()?;
        self.notice_view(who, id)
    }

    pub fn answer_notice(
        &self,
        who: &Principal,
        id: &str,
        answer: &str,
        reason: &str,
        signing: &Signing,
    ) -> DomainResult<Value> {
        let kind = AnswerKind::parse(answer)
            .ok_or_else(|| Refusal::invalid("answer is acknowledge or object"))?;
        text("reason", reason)?;
        if kind == AnswerKind::Object && reason.trim().is_empty() {
            return Err(Refusal::invalid("an objection gives its reason"));
        }
        let _one = self.one_at_a_time();
        let n = self.visible_notice(who, id)?;
        if !n.relay.as_ref().is_some_and(|r| r.to.contains(&who.id)) {
            return Err(Refusal::forbidden(
                "only a party the notice was relayed to answers it",
            ));
        }
        if !n.status.answerable() {
            return Err(Refusal::conflict(format!(
                "notice {id} is {}: it takes no answer now",
                n.status.as_str()
            )));
        }
        self.recorder
            .record_act(who, signing, "notice/answered", &n.relay_audience(), || {
                serde_json::to_value(AnswerAct {
                    notice: id.into(),
                    answer: kind.as_str().into(),
                    reason: reason.into(),
                })
                .unwrap_or_default()
            })?;
        self.project()?;
        self.notice_view(who, id)
    }

    pub fn withdraw_notice(
        &self,
        who: &Principal,
        id: &str,
        signing: &Signing,
    ) -> DomainResult<Value> {
        let _one = self.one_at_a_time();
        let n = self.visible_notice(who, id)?;
        if n.party != who.id {
            return Err(Refusal::forbidden(
                "only the party that gave a notice withdraws it",
            ));
        }
        if n.status == NoticeStatus::Withdrawn {
            return Err(Refusal::conflict("already withdrawn"));
        }
        self.recorder.record_act(
            who,
            signing,
            "notice/withdrawn",
            &n.relay_audience(),
            || json!({"notice": id}),
        )?;
        self.project()?;
        self.notice_view(who, id)
    }

    /// Flags relayed notices whose deadline has passed without every answer as overdue and
    /// escalates them to the mediator. Returns the ids flagged.
    pub fn tick(&self) -> Vec<String> {
        let now = self.clock.now_ms();
        let _one = self.one_at_a_time();
        let due: Vec<Notice> = self.projector.read(|b| {
            b.notices
                .values()
                .filter(|n| {
                    n.status == NoticeStatus::Relayed
                        && n.relay.as_ref().is_some_and(|r| now > r.deadline_ms)
                })
                .cloned()
                .collect()
        });
        let mut flagged = Vec::new();
        for n in due {
            let Some(relay) = &n.relay else { continue };
            let missing: Vec<&String> = relay
                .to
                .iter()
                .filter(|p| !n.answers.iter().any(|a| a.party == **p))
                .collect();
            let recorded = self.recorder.record(
                "notice/overdue",
                &n.relay_audience(),
                json!({"notice": n.id, "unanswered_by": missing, "deadline": relay.deadline}),
            );
            match recorded {
                Ok(_) => flagged.push(n.id.clone()),
                Err(e) => tracing::error!("flagging notice {} overdue: {e}", n.id),
            }
        }
        if !flagged.is_empty() {
            if let Err(e) = self.project() {
                tracing::error!("projecting overdue notices: {e}");
            }
        }
        flagged
    }
}
