//! Exports for one party, and their offline verification.
//!
//! An export is JSON Lines:
//!
//! ```text
//! {"format":"truceline-export/v1","origin":"truceline/agr-1","party":"israel","size":3}
//! {"index":0,"entry":{...the canonical envelope, byte for byte...}}
//! {"index":1,"leaf":"<base64 leaf hash>"}          (an entry the party may not read)
//! {"index":2,"entry":{...}}
//! {"checkpoint":"<signed note: log signature and cosignatures>"}   (increasing sizes)
//! {"receipt":{"index":0,"leaf_hash":"...","checkpoint":"...","inclusion":[...]}}
//! ```
//!
//! The last checkpoint's size equals the header's size: an export shows a whole tree.
//! Verification streams the file, parses and hashes lines in parallel, checks entry
//! signatures in batches, and names the first index (and line) where anything fails.

// Building an export is `writer`; reading its lines `parse`; checking it `verify`; what
// verification takes from outside and gives back `report`.

mod parse;
mod report;
mod verify;
mod writer;

use serde::{Deserialize, Serialize};

use crate::envelope::MAX_ENTRY_BYTES;

pub use report::{Outside, Report, Trust, VerifyError, Withheld};
pub use verify::verify_export;
pub use writer::ExportWriter;

/// Format tag of the header line.
pub const EXPORT_FORMAT: &str = "truceline-export/v1";
/// Longest line accepted: one full entry plus its wrapping.
pub const MAX_LINE_BYTES: usize = MAX_ENTRY_BYTES + 1024;
/// Most leaves an export may claim; about 64 bytes of memory a leaf while verifying.
pub const MAX_EXPORT_LEAVES: u64 = 100_000_000;
/// Most checkpoints and receipts an export may carry, together.
pub const MAX_EXPORT_NOTES: usize = 10_000_000;
/// Party id meaning "the mediator's full view" in exports.
pub const FULL_VIEW: &str = "*";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub origin: String,
    /// Whom the export is for; [`FULL_VIEW`] for the mediator's export of everything.
    pub party: String,
    pub size: u64,
}
