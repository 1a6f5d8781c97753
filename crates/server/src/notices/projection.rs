//! Notices as a projection of the ledger: each entry that makes or changes a notice,
//! applied in index order. The operations ([`super::service`]) only check and record;
//! this is the one place a notice changes, live and when the server catches up or
//! rebuilds, so the two can never differ.

use std::collections::BTreeMap;

use serde::Deserialize;
use truceline_ledger::envelope::Entry;

use super::{notice_id, AnswerKind, Notice, NoticeCheck, NoticeDraft, NoticeStatus, Relay};
use crate::acts::{AnswerAct, WithdrawAct};
use crate::clock::rfc3339_ms;
use crate::projection::{Change, Context};

/// The mediator's record of a notice it accepted.
#[derive(Debug, Deserialize)]
pub struct Accepted {
    pub notice: String,
    pub check: NoticeCheck,
}

/// The mediator's relay of a notice.
#[derive(Debug, Deserialize)]
struct Relayed {
    notice: String,
    relay: Relay,
}

#[derive(Debug, Deserialize)]
struct Overdue {
    notice: String,
    #[serde(default)]
    unanswered_by: Vec<String>,
    #[serde(default)]
    deadline: String,
}

/// Applies entry `index` if it is a notice's; returns what changed.
pub fn apply(
    notices: &mut BTreeMap<String, Notice>,
    index: u64,
    entry: &Entry,
    ctx: &Context,
) -> Result<Vec<Change>, String> {
    let d = entry.draft();
    let at_ms = d.time_ms as i64;
    let at = rfc3339_ms(at_ms);
    let body = &d.body;
    let from_mediator = d.author == ctx.mediator;
    use crate::projection::read_body as read;
    let changed = |notices: &mut BTreeMap<String, Notice>,
                   id: &str,
                   note: &'static str,
                   f: &mut dyn FnMut(&mut Notice)|
     -> Result<Vec<Change>, String> {
        let n = notices
            .get_mut(id)
            .ok_or_else(|| format!("names notice {id:?}, which no entry made"))?;
        f(n);
        n.ledger.push(index);
        Ok(vec![Change::Notice {
            id: id.to_owned(),
            note,
        }])
    };
    match d.kind.as_str() {
        "notice/submitted" => {
            let draft: NoticeDraft = read(body)?;
            let id = notice_id(index);
            let mut n = Notice {
                id: id.clone(),
                party: d.author.clone(),
                draft,
                submitted_at: at,
                status: NoticeStatus::Submitted,
                check: None,
                relay: None,
                answers: Vec::new(),
                escalated_at: None,
                ledger: vec![index],
                from_ms: 0,
                until_ms: 0,
            };
            n.fix_times();
            notices.insert(id.clone(), n);
            // Announced with its check, by the entry that follows.
            Ok(vec![Change::NoticeMade { id }])
        }
        "notice/accepted" if from_mediator => {
            let a: Accepted = read(body)?;
            let mut check = Some(a.check);
            changed(notices, &a.notice, "submitted", &mut |n| {
                n.check = check.take()
            })
        }
        "notice/relayed" if from_mediator => {
            let r: Relayed = read(body)?;
            let mut relay = Some(r.relay);
            changed(notices, &r.notice, "relayed", &mut |n| {
                n.relay = relay.take();
                n.status = NoticeStatus::Relayed;
                n.fix_times();
            })
        }
        "notice/answered" => {
            let a: AnswerAct = read(body)?;
            let answer = AnswerKind::parse(&a.answer)
                .ok_or_else(|| format!("answer {:?}: acknowledge or object", a.answer))?;
            let note = answer.as_str();
            let party = d.author.clone();
            changed(notices, &a.notice, note, &mut |n| {
                let late = n.relay.as_ref().is_some_and(|r| at_ms > r.deadline_ms);
                n.answers.push(super::Answer {
                    party: party.clone(),
                    answer,
                    reason: a.reason.clone(),
                    at: at.clone(),
                    late,
                });
                n.status = n.status_from_answers();
            })
        }
        "notice/withdrawn" => {
            let w: WithdrawAct = read(body)?;
            changed(notices, &w.notice, "withdrawn", &mut |n| {
                n.status = NoticeStatus::Withdrawn
            })
        }
        "notice/overdue" if from_mediator => {
            let o: Overdue = read(body)?;
            let mut out = changed(notices, &o.notice, "overdue", &mut |n| {
                n.status = NoticeStatus::Overdue;
                n.escalated_at = Some(at.clone());
            })?;
            out.push(Change::Escalation {
                notice: o.notice.clone(),
                why: format!(
                    "no answer from {} by {}",
                    o.unanswered_by.join(", "),
                    o.deadline
                ),
            });
            Ok(out)
        }
        _ => Ok(Vec::new()),
    }
}
