//! The talks: drafts of the agreement traded under the mediator, the parties' comments on
//! them, and the signatures that put a version in force (spec/negotiation.md).
//!
//! - A party or the mediator **files** a draft: the agreement's two files, validated by the
//!   engine's own loader and named by their hash. A party's filing is an act it signs.
//! - The mediator holds the single negotiating text: a party sees its own drafts and what
//!   the mediator **shares** with it, and a draft shared with it reads as the mediator's
//!   (the cloak of deniability: nobody learns from truceline whose proposal a text was).
//! - A party **comments** on a draft feature by feature and rule by rule (agreed or
//!   disputed, with its reason); the mediator reads every comment, a party its own.
//! - Each party **signs** a draft's hash, and the mediator **countersigns** it with the
//!   instant it enters into force; from that instant the live engine runs it. A
//!   countersigned version is public: every principal, and every export, can tell which
//!   version was in force when.

pub mod impact;
pub mod projection;
pub mod service;

use serde::{Deserialize, Serialize};
use truceline_negotiation::{Draft, DraftError, DraftSource};

/// The agreement file's name in a filed draft's errors.
pub const AGREEMENT_FILE: &str = "agreement.toml";
/// Most drafts the book holds.
pub const MAX_DRAFTS: usize = 1_000;
/// Most comments on one draft.
pub const MAX_COMMENTS: usize = 10_000;
/// Longest title, note or reason, in bytes.
pub const MAX_TEXT_BYTES: usize = 4_096;

/// A draft's id, from the ledger index of the entry that filed it.
pub fn draft_id(index: u64) -> String {
    format!("D-{index:06}")
}

/// A draft's two files, as filed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub agreement_toml: String,
    /// The geometry file (GeoJSON) agreement.toml names.
    pub geometry: String,
}

impl Bundle {
    /// Validates the files with the engine's loader (errors name the file and line) and
    /// computes the draft's identity.
    pub fn build(&self) -> Result<Draft, DraftError> {
        let source = DraftSource::parse(&self.agreement_toml, AGREEMENT_FILE)?;
        let geometry_file = source.geometry_path().to_owned();
        source.build(&self.geometry, &geometry_file)
    }
}

/// What an author files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftFiling {
    pub title: String,
    #[serde(default)]
    pub note: String,
    pub agreement_toml: String,
    /// The geometry file (GeoJSON) agreement.toml names.
    pub geometry: String,
    /// The files' hash: the author signs it with the files. Filled in by the server
    /// when the filing comes without it (the envelope to sign then carries it).
    #[serde(default)]
    pub sha256: String,
}

impl DraftFiling {
    pub fn bundle(&self) -> Bundle {
        Bundle {
            agreement_toml: self.agreement_toml.clone(),
            geometry: self.geometry.clone(),
        }
    }
}

/// A party's stance on one part of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    Agreed,
    Disputed,
}

/// What a comment is about: the whole draft, or one of its parts by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Draft,
    Feature(String),
    Rule(String),
    Party(String),
    Category(String),
    Phase(String),
}

impl Target {
    /// Reads `draft`, `feature:ID`, `rule:ID`, `party:ID`, `category:ID` or `phase:ID`.
    pub fn parse(text: &str) -> Option<Target> {
        if text == "draft" {
            return Some(Target::Draft);
        }
        let (kind, id) = text.split_once(':')?;
        let id = id.to_owned();
        Some(match kind {
            "feature" => Target::Feature(id),
            "rule" => Target::Rule(id),
            "party" => Target::Party(id),
            "category" => Target::Category(id),
            "phase" => Target::Phase(id),
            _ => return None,
        })
    }

    /// Whether the draft has the part this names.
    pub fn exists_in(&self, draft: &Draft) -> bool {
        let a = &draft.agreement;
        match self {
            Target::Draft => true,
            Target::Feature(id) => a.features.iter().any(|f| f.id == *id),
            Target::Rule(id) => a.rules.iter().any(|r| r.id == *id),
            Target::Party(id) => a.parties.iter().any(|p| p.id == *id),
            Target::Category(id) => a.categories.iter().any(|c| c.id == *id),
            Target::Phase(id) => a.phases.iter().any(|p| p.id == *id),
        }
    }
}

/// A party's comment, as its author signs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentAct {
    pub draft: String,
    /// `draft`, or `feature:ID`, `rule:ID`, `party:ID`, `category:ID`, `phase:ID`.
    pub on: String,
    pub stance: Stance,
    #[serde(default)]
    pub reason: String,
}

/// A party's signature on a draft's hash, as its author signs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignAct {
    pub draft: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub by: String,
    pub on: String,
    pub stance: Stance,
    pub reason: String,
    pub at: String,
    pub entry: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    pub party: String,
    pub sha256: String,
    /// The draft it was signed on (another draft may carry the same hash).
    pub draft: String,
    pub at: String,
    pub entry: u64,
}

/// A version countersigned by the mediator to enter into force at an instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub sha256: String,
    pub draft: String,
    pub title: String,
    pub in_force_at: String,
    pub countersigned_at: String,
    /// The parties' signatures it rests on: their ledger entries.
    pub signatures: Vec<Signature>,
    pub entry: u64,
}

/// A filed draft as the book keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftRecord {
    pub id: String,
    pub author: String,
    pub title: String,
    pub note: String,
    pub sha256: String,
    pub filed_at: String,
    pub bundle: Bundle,
    /// The parties the mediator shared it with, in the order it did.
    pub shared_with: Vec<String>,
    pub comments: Vec<Comment>,
    pub ledger: Vec<u64>,
}

/// The talks as the ledger says they stand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Talks {
    pub drafts: std::collections::BTreeMap<String, DraftRecord>,
    /// Every party's signatures, in ledger order.
    pub signatures: Vec<Signature>,
    /// Countersigned versions, in ledger order (which is their order of entry into force).
    pub versions: Vec<Version>,
}

impl Talks {
    /// The version countersigned for `sha256`, if any.
    pub fn version(&self, sha256: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.sha256 == sha256)
    }

    pub fn signed_by(&self, sha256: &str, party: &str) -> Option<&Signature> {
        self.signatures
            .iter()
            .find(|s| s.sha256 == sha256 && s.party == party)
    }
}
