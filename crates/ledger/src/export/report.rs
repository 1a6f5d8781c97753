//! What verification takes from outside the export ([`Trust`], [`Outside`]) and what it
//! gives back ([`Report`], [`Withheld`], or the [`VerifyError`] that stopped it).

use crate::keys::{Keyring, VerifierKey};
use crate::merkle::Hash;
use crate::note::Cosigned;
use crate::receipt::Receipt;

/// What the verifier trusts, brought from outside the export.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The log's public key; its name is the origin.
    pub log_key: VerifierKey,
    /// Party id -> key, for entry authors and cosigners.
    pub keyring: Keyring,
}

/// The first thing that failed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{what}", location(*.line, *.index))]
pub struct VerifyError {
    /// 1-based line of the export, when the failure is tied to one.
    pub line: Option<u64>,
    /// Leaf index, when the failure is tied to one.
    pub index: Option<u64>,
    pub what: String,
}

fn location(line: Option<u64>, index: Option<u64>) -> String {
    match (line, index) {
        (Some(l), Some(i)) => format!("line {l}, index {i}: "),
        (Some(l), None) => format!("line {l}: "),
        (None, Some(i)) => format!("index {i}: "),
        (None, None) => String::new(),
    }
}

pub(super) fn fail(line: Option<u64>, index: Option<u64>, what: impl Into<String>) -> VerifyError {
    VerifyError {
        line,
        index,
        what: what.into(),
    }
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub origin: String,
    pub party: String,
    pub size: u64,
    pub root: Hash,
    /// Entries whose body the export shows (all checked: signature, seq, leaf hash).
    pub visible: u64,
    /// Entries shown as a leaf hash only.
    pub hidden: u64,
    pub checkpoints: usize,
    pub receipts: usize,
    /// Cosigners of the latest checkpoint.
    pub latest_cosigners: Vec<Cosigned>,
    /// Largest checkpoint size cosigned by every keyring party other than the log itself.
    pub final_size: Option<u64>,
    /// Entries of the export's party (it wrote them, or is in their audience) shown only
    /// as a leaf hash, as far as the verifier can tell: the tree is intact, but the
    /// mediator withheld the body. In index order. Not a failure: the caller warns.
    pub withheld: Vec<Withheld>,
}

/// One of the export's party's own entries (or a run of them) shown only as a leaf hash.
///
/// A leaf hash says nothing about its entry, so the verifier knows an entry is the party's
/// only from evidence: a receipt naming its index (the export carries one for each entry
/// the party wrote; the party may give others, [`Outside::receipts`], for entries it was
/// sent), or a gap in the seqs of the entries the party wrote, which count 1, 2, 3... A
/// withheld entry after the party's last shown one, with no receipt, cannot be seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withheld {
    /// A receipt names the entry at `index`, and the export shows only its leaf hash.
    Receipt { index: u64 },
    /// The entries `author` (the export's party) wrote with seqs `first_seq..=last_seq`
    /// are not shown; the export shows leaf hashes where they may be: `candidates` (the
    /// first of them), and `more` others after those.
    SeqGap {
        author: String,
        first_seq: u64,
        last_seq: u64,
        candidates: Vec<u64>,
        more: u64,
    },
}

impl Withheld {
    /// The first index it names (for ordering).
    pub(super) fn first_index(&self) -> u64 {
        match self {
            Withheld::Receipt { index } => *index,
            Withheld::SeqGap { candidates, .. } => candidates.first().copied().unwrap_or(0),
        }
    }
}

impl std::fmt::Display for Withheld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Withheld::Receipt { index } => write!(
                f,
                "index {index}: an entry a receipt names is shown only as a leaf hash (its body was withheld)"
            ),
            Withheld::SeqGap {
                author,
                first_seq,
                last_seq,
                candidates,
                more,
            } => {
                let seqs = if first_seq == last_seq {
                    format!("seq {first_seq}")
                } else {
                    format!("seqs {first_seq} to {last_seq}")
                };
                let list: Vec<String> = candidates.iter().map(u64::to_string).collect();
                let more = if *more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                write!(
                    f,
                    "{seqs} of {author:?}'s own entries not shown: withheld as the leaf hash at one of indices {}{more} (or dropped before logging)",
                    list.join(", ")
                )
            }
        }
    }
}

/// Evidence the verifier holds from elsewhere, to check against the export.
#[derive(Debug, Clone, Default)]
pub struct Outside {
    /// Checkpoint notes obtained elsewhere (the witness's state, another party's view):
    /// each must be consistent with the export, which is how two parties shown two
    /// histories find out.
    pub checkpoints: Vec<String>,
    /// Receipts the verifier was given when it appended: each entry must be in the tree.
    pub receipts: Vec<Receipt>,
    /// Who the verifier is: the export must be made for this party. Checks that rely on
    /// the party (its own entries' seqs counting up without gaps) depend on it.
    pub party: Option<String>,
}
