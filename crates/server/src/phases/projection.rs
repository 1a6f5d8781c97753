//! Certifications as a projection of the ledger: each `phase/certified` entry of the
//! mediator's, in index order.

use truceline_ledger::envelope::Entry;

use super::{Certification, RuleStart};
use crate::clock::rfc3339_ms;
use crate::projection::{Change, Context};

#[derive(Debug, serde::Deserialize)]
struct Certified {
    phase: String,
    at: String,
    reasons: String,
    #[serde(default)]
    evidence: Vec<String>,
    #[serde(default)]
    starts: Vec<RuleStart>,
}

/// Applies entry `index` if it certifies a phase; returns what changed.
pub fn apply(
    certified: &mut Vec<Certification>,
    index: u64,
    entry: &Entry,
    ctx: &Context,
) -> Result<Vec<Change>, String> {
    let d = entry.draft();
    if d.kind != super::service::CERTIFIED_KIND || d.author != ctx.mediator {
        return Ok(Vec::new());
    }
    let c: Certified = crate::projection::read_body(&d.body)?;
    certified.push(Certification {
        phase: c.phase.clone(),
        at: c.at,
        reasons: c.reasons,
        evidence: c.evidence,
        starts: c.starts,
        certified_at: rfc3339_ms(d.time_ms as i64),
        entry: index,
    });
    Ok(vec![Change::Phase { phase: c.phase }])
}
