//! The domain's projection: each `patrol/` entry, in index order, to the record it makes
//! or changes.

use truceline_ledger::envelope::Entry;

use super::Operations;
use crate::projection::{Change, Context};

/// Whether entries of `kind` belong to this domain.
pub fn handles(kind: &str) -> bool {
    kind.starts_with("patrol/")
}

/// Applies entry `index`; returns what changed.
pub fn apply(
    ops: &mut Operations,
    index: u64,
    entry: &Entry,
    ctx: &Context,
) -> Result<Vec<Change>, String> {
    super::patrols::apply(&mut ops.patrols, index, entry, ctx)
}
