//! The talks as a projection of the ledger: each entry that files, shares, comments on,
//! signs or countersigns a draft, applied in index order. The operations
//! ([`super::service`]) check and record; this is the one place the talks change.

use serde::Deserialize;
use truceline_ledger::envelope::Entry;

use super::{
    draft_id, Comment, CommentAct, DraftFiling, DraftRecord, SignAct, Signature, Talks, Version,
};
use crate::clock::rfc3339_ms;
use crate::projection::{Change, Context};

/// The mediator's sharing of a draft.
#[derive(Debug, Deserialize)]
pub struct Shared {
    pub draft: String,
    pub with: Vec<String>,
}

/// The mediator's countersignature (its files are in the entry too, for the engine and
/// for every reader's export).
#[derive(Debug, Deserialize)]
pub struct Countersigned {
    pub draft: String,
    pub sha256: String,
    pub in_force_at: String,
    pub signatures: Vec<u64>,
}

/// Applies entry `index` if it is the talks'; returns what changed.
pub fn apply(
    talks: &mut Talks,
    index: u64,
    entry: &Entry,
    ctx: &Context,
) -> Result<Vec<Change>, String> {
    let d = entry.draft();
    let at = rfc3339_ms(d.time_ms as i64);
    let from_mediator = d.author == ctx.mediator;
    use crate::projection::read_body as read;
    let draft_change = |id: &str, note: &'static str| {
        vec![Change::Draft {
            id: id.to_owned(),
            note,
            told_only: None,
        }]
    };
    // A comment and a signature show only to their author and the mediator.
    let own_change = |id: &str, note: &'static str| {
        vec![Change::Draft {
            id: id.to_owned(),
            note,
            told_only: Some(d.author.clone()),
        }]
    };
    match d.kind.as_str() {
        "draft/filed" => {
            let filing: DraftFiling = read(&d.body)?;
            let bundle = filing.bundle();
            let id = draft_id(index);
            talks.drafts.insert(
                id.clone(),
                DraftRecord {
                    id: id.clone(),
                    author: d.author.clone(),
                    title: filing.title,
                    note: filing.note,
                    sha256: filing.sha256,
                    filed_at: at,
                    bundle,
                    shared_with: Vec::new(),
                    comments: Vec::new(),
                    ledger: vec![index],
                },
            );
            Ok(draft_change(&id, "filed"))
        }
        "draft/shared" if from_mediator => {
            let s: Shared = read(&d.body)?;
            let draft = talks
                .drafts
                .get_mut(&s.draft)
                .ok_or_else(|| format!("names draft {:?}, which no entry filed", s.draft))?;
            for party in s.with {
                if !draft.shared_with.contains(&party) {
                    draft.shared_with.push(party);
                }
            }
            draft.ledger.push(index);
            Ok(draft_change(&s.draft, "shared"))
        }
        "draft/commented" => {
            let c: CommentAct = read(&d.body)?;
            let draft = talks
                .drafts
                .get_mut(&c.draft)
                .ok_or_else(|| format!("names draft {:?}, which no entry filed", c.draft))?;
            draft.comments.push(Comment {
                by: d.author.clone(),
                on: c.on,
                stance: c.stance,
                reason: c.reason,
                at,
                entry: index,
            });
            draft.ledger.push(index);
            Ok(own_change(&c.draft, "commented"))
        }
        "version/signed" => {
            let s: SignAct = read(&d.body)?;
            let draft = talks
                .drafts
                .get_mut(&s.draft)
                .ok_or_else(|| format!("names draft {:?}, which no entry filed", s.draft))?;
            draft.ledger.push(index);
            talks.signatures.push(Signature {
                party: d.author.clone(),
                sha256: s.sha256,
                draft: s.draft.clone(),
                at,
                entry: index,
            });
            Ok(own_change(&s.draft, "signed"))
        }
        "version/countersigned" if from_mediator => {
            let c: Countersigned = read(&d.body)?;
            let draft = talks
                .drafts
                .get_mut(&c.draft)
                .ok_or_else(|| format!("names draft {:?}, which no entry filed", c.draft))?;
            draft.ledger.push(index);
            let title = draft.title.clone();
            let signatures = talks
                .signatures
                .iter()
                .filter(|s| c.signatures.contains(&s.entry))
                .cloned()
                .collect();
            talks.versions.push(Version {
                sha256: c.sha256.clone(),
                draft: c.draft.clone(),
                title,
                in_force_at: c.in_force_at,
                countersigned_at: at,
                signatures,
                entry: index,
            });
            Ok(vec![
                Change::Draft {
                    id: c.draft,
                    note: "countersigned",
                    told_only: None,
                },
                Change::Version { sha256: c.sha256 },
            ])
        }
        _ => Ok(Vec::new()),
    }
}
