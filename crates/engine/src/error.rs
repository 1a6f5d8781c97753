//! Typed errors of the engine's readers: loading an agreement ([`LoadError`], with a
//! [`Problem`] that says what is wrong) and reading a report ([`ReportError`]).
//!
//! Each variant carries the details as fields, so a caller can act on them; `Display`
//! gives the message a person reads (the same text the loader always gave, so the CLI's
//! output and the conformance suite's expected messages do not change).

use std::fmt;

use truceline_geometry::GeometryError;

use crate::time::{TimeError, Timestamp};

/// An agreement that does not load: the file, the line when it is known, and what is
/// wrong. Displays as `file:line: what` (or `file: what`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{problem}", Location(file, *line))]
pub struct LoadError {
    pub file: String,
    pub line: Option<usize>,
    pub problem: Problem,
}

struct Location<'a>(&'a str, Option<usize>);

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(line) => write!(f, "{}:{line}: ", self.0),
            None => write!(f, "{}: ", self.0),
        }
    }
}

/// What is wrong with an agreement.toml or its geometry file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// TOML that does not parse, or does not have the agreement's shape (unknown keys
    /// included); `message` is the TOML reader's.
    #[error("not a valid agreement: {message}")]
    Toml { message: String },
    #[error("agreement id {id:?} must be 1 to 64 characters of a-z, 0-9 and -")]
    AgreementId { id: String },
    #[error("agreement version must be a whole number from 1")]
    AgreementVersion { version: i64 },
    /// More parties, categories, rules or features than [`crate::agreement::limits`]
    /// allows; `what` is the plural.
    #[error("{count} {what}: at most {max} are allowed")]
    TooMany {
        what: &'static str,
        count: usize,
        max: usize,
    },
    /// A party or category id that is not well formed; `shape` says what it must be.
    #[error("{what} id {id:?} must be {shape}")]
    BadId {
        what: &'static str,
        id: String,
        shape: &'static str,
    },
    #[error("category {category:?}: symbol {symbol:?} must be a MIL-STD-2525 / APP-6 symbol code: 15 characters of A-Z, 0-9, * and - (2525C, APP-6B) or 20 or 30 digits (2525D/E, APP-6D)")]
    BadSymbol { category: String, symbol: String },
    #[error("{what} {id:?} is declared twice")]
    DeclaredTwice { what: &'static str, id: String },
    /// (The details are boxed: they are larger than the rest.)
    #[error("rule {rule:?}: {problem}")]
    Rule {
        rule: String,
        problem: Box<RuleProblem>,
    },
    /// The geometry file is not JSON; `message` is serde_json's (with its line and column).
    #[error("not valid JSON: {message}")]
    Json { message: String },
    #[error("expected a GeoJSON FeatureCollection")]
    NotFeatureCollection,
    #[error("the FeatureCollection has no `features` array")]
    NoFeatures,
    /// `position` counts features from 1.
    #[error("feature #{position} has no string `properties.id`")]
    FeatureWithoutId { position: usize },
    #[error("feature {feature:?}: {problem}")]
    Feature {
        feature: String,
        problem: Box<FeatureProblem>,
    },
    #[error("[operations] {key}: {range}")]
    OperationsTerm {
        key: &'static str,
        range: &'static str,
    },
    #[error("more than {max} vertices in all")]
    TooManyVerticesInAll { max: usize },
}

/// What is wrong with one rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleProblem {
    #[error("rule id must be 1 to {max} characters without spaces")]
    BadId { max: usize },
    #[error("the rule id is used twice")]
    IdUsedTwice,
    #[error("a {kind} rule needs `{key}`")]
    Needs {
        kind: &'static str,
        key: &'static str,
    },
    #[error("`{key}` does not apply to a {kind} rule")]
    DoesNotApply {
        key: &'static str,
        kind: &'static str,
    },
    #[error("party {id:?} is not declared")]
    UnknownParty { id: String },
    #[error("`parties` is empty")]
    NoParties,
    #[error("party {id:?} is listed twice")]
    PartyListedTwice { id: String },
    #[error("category {id:?} is not declared")]
    UnknownCategory { id: String },
    #[error("`categories` is empty: leave it out to mean every category")]
    NoCategories,
    #[error("category {id:?} is listed twice")]
    CategoryListedTwice { id: String },
    #[error("zone {id:?} is not in the geometry file")]
    UnknownZone { id: String },
    #[error("{id:?} is a line, not a zone (Polygon or MultiPolygon)")]
    NotAZone { id: String },
    #[error("target {id:?} is not in the geometry file")]
    UnknownTarget { id: String },
    #[error("min_km must be above 0 and at most {max} km, not {km}")]
    MinKm { km: f64, max: f64 },
    #[error("max must be 0 or more, not {max}")]
    NegativeMax { max: i64 },
    #[error("a separation rule needs exactly two different parties, not {count}")]
    SeparationParties { count: usize },
    #[error("unknown kind {kind:?}: expected exclusion, cap, standoff or separation")]
    UnknownKind { kind: String },
    /// `active_from` or `active_until` is not a time.
    #[error("`{key}`: {error}")]
    Time { key: &'static str, error: TimeError },
    #[error("active_from ({from}) must be before active_until ({until})")]
    EmptyWindow { from: Timestamp, until: Timestamp },
    #[error("`active_after` names phase {phase:?}, which [[phases]] does not declare")]
    UnknownPhase { phase: String },
    #[error("a rule starts either at `active_from` or `active_after` a phase, not both")]
    TwoStarts,
    #[error("`active_after.delay_minutes` must be 0 to {max}, not {minutes}")]
    PhaseDelay { minutes: i64, max: i64 },
}

/// Why a phase's certification cannot be applied (spec: docs/agreement-format.md, phases).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhaseError {
    #[error("phase {phase:?} is not declared in agreement {agreement:?}")]
    UnknownPhase { phase: String, agreement: String },
    #[error("phase {phase:?} was already certified complete at {at}")]
    AlreadyCertified { phase: String, at: Timestamp },
    #[error(
        "rule {rule:?} would open at {opens}, not after the last report applied ({last}): \
         a certification takes effect only forward in time"
    )]
    NotAfterLastReport {
        rule: String,
        opens: Timestamp,
        last: Timestamp,
    },
}

/// What is wrong with one feature of the geometry file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeatureProblem {
    #[error("the id must be 1 to {max} characters")]
    IdLength { max: usize },
    #[error("the id is used twice")]
    IdUsedTwice,
    #[error("`type` must be \"Feature\"")]
    NotAFeature,
    #[error("no geometry")]
    NoGeometry,
    /// `key` is the property as written, `name:ar` say.
    #[error("properties.{key:?} must be a name of 1 to {max} characters under a language tag of 2 to {max_tag} letters, digits and hyphens")]
    NameInLanguage {
        key: String,
        max_tag: usize,
        max: usize,
    },
    #[error("more than {max} names in other languages")]
    TooManyNames { max: usize },
    #[error("the geometry has no coordinates")]
    NoCoordinates,
    /// `kind` is the geometry's `type` as written ("" when it is not a string).
    #[error("geometry type {kind:?} is not a zone (Polygon, MultiPolygon) or a line (LineString, MultiLineString)")]
    UnsupportedType { kind: String },
    /// `what`: "a list of rings", "a list of positions", "a position", ...
    #[error("{what} must be an array")]
    NotAnArray { what: &'static str },
    /// `position` counts from 1 within its list.
    #[error("position {position} must have 2 (or 3) numbers")]
    PositionArity { position: usize },
    #[error("position {position} is not a pair of numbers")]
    PositionNotNumbers { position: usize },
    /// The coordinates do not make a valid zone or line (open ring, self-crossing ring,
    /// out of range, too many vertices...).
    #[error(transparent)]
    Geometry(#[from] GeometryError),
}

/// A report line that cannot be read, and why. The caller adds the file and line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("line of {bytes} bytes: a report is at most {max}")]
    LineTooLong { bytes: usize, max: usize },
    #[error("`t`: {0}")]
    Time(TimeError),
    #[error("`unit` must be 1 to {max} characters")]
    Unit { max: usize },
    #[error("`count` must be 0 or more, not {count}")]
    NegativeCount { count: i64 },
    /// `text` is the number as written.
    #[error("`count` must be a whole number, not {text}")]
    CountNotWhole { text: String },
    #[error("longitude {lon} is out of range (-180 to 180)")]
    Longitude { lon: f64 },
    #[error("latitude {lat} is out of range (-90 to 90)")]
    Latitude { lat: f64 },
    /// Not a JSON object of the report's shape; `message` is serde_json's, without its
    /// "at line 1 column N" (the caller names the file's line).
    #[error("not a valid report: {message}")]
    Json { message: String },
}

/// A report the engine refuses: it names a party or category the agreement does not
/// declare, or applying it would break what the engine keeps true of its input. When a
/// report is refused nothing changes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    #[error("party {party:?} is not declared in agreement {agreement:?}")]
    UnknownParty { party: String, agreement: String },
    #[error("category {category:?} is not declared in agreement {agreement:?}")]
    UnknownCategory { category: String, agreement: String },
    #[error(
        "report at {t} is earlier than the one before it at {last}: reports must be in time order"
    )]
    OutOfOrder { t: Timestamp, last: Timestamp },
    /// `from` and `to` are party ids.
    #[error("unit {unit:?} changed party from {from} to {to}: a unit's party never changes")]
    PartyChanged {
        unit: String,
        from: String,
        to: String,
    },
    /// `from` and `to` are category ids.
    #[error("unit {unit:?} changed category from {from} to {to}: a unit's category never changes")]
    CategoryChanged {
        unit: String,
        from: String,
        to: String,
    },
    #[error("more than {max} units: refusing unit {unit:?}")]
    TooManyUnits { unit: String, max: usize },
}

/// Why a new version of the agreement cannot enter into force (spec/negotiation.md).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmendError {
    #[error("the new version is of agreement {found:?}, not {expected:?}")]
    OtherAgreement { expected: String, found: String },
    #[error(
        "the new version would enter into force at {at}, but a report at {last} is already applied: \
         reports before the instant are evaluated under the old version, at or after it under the new"
    )]
    NotAfterLastReport { at: Timestamp, last: Timestamp },
    #[error("another version is already due to enter into force at {at}")]
    AlreadyDue { at: Timestamp },
}

/// For callers that keep errors of a line as text (the chunk classifier's [`crate::LineError`]).
impl From<ApplyError> for String {
    fn from(err: ApplyError) -> String {
        err.to_string()
    }
}

/// For callers that keep report errors as text (`Engine::apply` and the chunk classifier
/// return `Result<_, String>`).
impl From<ReportError> for String {
    fn from(err: ReportError) -> String {
        err.to_string()
    }
}
