//! The agreement as data: parties, force categories, zones and lines, rules with windows.
//!
//! Loading is pure: the caller reads the files and hands their text here with the names to
//! quote in errors. Every reference is resolved to an index once, so that evaluation never
//! looks a name up. Validation is strict (spec/engine.md section 5): an agreement that loads
//! is one the engine can evaluate without a further check.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use toml::Spanned;
use truceline_geometry::{Line, Zone};

pub use crate::error::{FeatureProblem, LoadError, Problem, RuleProblem};
use crate::time::Timestamp;

/// The most of each thing an agreement may declare: a limit on all input from outside.
pub mod limits {
    pub const MAX_PARTIES: usize = 256;
    pub const MAX_CATEGORIES: usize = 1024;
    pub const MAX_RULES: usize = 4096;
    pub const MAX_FEATURES: usize = 100_000;
    /// Vertices in all features together.
    pub const MAX_TOTAL_VERTICES: usize = 5_000_000;
    pub const MAX_ID_CHARS: usize = 128;
    /// A feature's name in one language (`name:xx`).
    pub const MAX_NAME_CHARS: usize = 200;
    /// A language tag in `name:xx`.
    pub const MAX_LANGUAGE_TAG_CHARS: usize = 16;
    /// Names in other languages on one feature.
    pub const MAX_NAMES_PER_FEATURE: usize = 64;
    pub const MAX_PHASES: usize = 256;
    /// A rule's delay after its phase is certified: a year at most.
    pub const MAX_PHASE_DELAY_MINUTES: i64 = 366 * 24 * 60;
    /// Distances beyond half the Earth's circumference are always a mistake.
    pub const MAX_DISTANCE_KM: f64 = 20_000.0;
}

pub type PartyIndex = u16;
pub type CategoryIndex = u16;
pub type FeatureIndex = u32;
pub type RuleIndex = u32;
pub type PhaseIndex = u16;

/// A named stage of a phased withdrawal, certified complete by the mediator (a signed act)
/// rather than by the calendar; rules may start a stated delay after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    pub id: String,
    pub name: String,
}

/// A rule that starts `delay_minutes` after `phase` is certified complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseStart {
    pub phase: PhaseIndex,
    pub delay_minutes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Party,
    Mediator,
    Monitor,
    Observer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Party => "party",
            Role::Mediator => "mediator",
            Role::Monitor => "monitor",
            Role::Observer => "observer",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Party {
    pub id: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub struct Category {
    pub id: String,
    pub name: String,
    /// How maps draw its units: a MIL-STD-2525 / APP-6 symbol identification code, if the
    /// agreement gives one ([`is_symbol_code`]).
    pub symbol: Option<String>,
}

/// A MIL-STD-2525 / APP-6 symbol identification code as `milsymbol` reads it: 15
/// characters of `A-Z`, `0-9`, `*` and `-` (2525C, APP-6B), or 20 or 30 digits (2525D
/// and E, APP-6D). What it depicts is the map's business; the engine only keeps it.
pub fn is_symbol_code(code: &str) -> bool {
    match code.len() {
        15 => code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'*' || b == b'-'),
        20 | 30 => code.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

#[derive(Debug)]
pub enum Shape {
    Zone(Zone),
    Line(Line),
}

#[derive(Debug)]
pub struct Feature {
    pub id: String,
    pub name: Option<String>,
    /// The name in other languages (`properties["name:ar"]` and the like, as OpenStreetMap
    /// writes them): language tag -> name.
    pub names: std::collections::BTreeMap<String, String>,
    pub shape: Shape,
    /// The coordinates as given, kept for the console and for exports.
    pub geometry_json: serde_json::Value,
}

impl Feature {
    pub fn zone(&self) -> Option<&Zone> {
        match &self.shape {
            Shape::Zone(zone) => Some(zone),
            Shape::Line(_) => None,
        }
    }
}

/// Which units a rule looks at: a set of parties and, optionally, of categories.
#[derive(Debug, Clone, PartialEq)]
pub struct ForceFilter {
    pub parties: Vec<PartyIndex>,
    /// `None`: every category.
    pub categories: Option<Vec<CategoryIndex>>,
}

impl ForceFilter {
    pub fn matches(&self, party: PartyIndex, category: CategoryIndex) -> bool {
        self.parties.contains(&party)
            && self
                .categories
                .as_ref()
                .is_none_or(|cats| cats.contains(&category))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    Exclusion {
        zone: FeatureIndex,
        forces: ForceFilter,
    },
    Cap {
        zone: FeatureIndex,
        party: PartyIndex,
        category: CategoryIndex,
        max: u64,
    },
    Standoff {
        target: FeatureIndex,
        forces: ForceFilter,
        min_km: f64,
    },
    Separation {
        /// The first party's units are reported as `unit`, the second's as `other`.
        parties: [PartyIndex; 2],
        categories: Option<Vec<CategoryIndex>>,
        min_km: f64,
    },
}

impl RuleKind {
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::Exclusion { .. } => "exclusion",
            RuleKind::Cap { .. } => "cap",
            RuleKind::Standoff { .. } => "standoff",
            RuleKind::Separation { .. } => "separation",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    /// Free text; kept because an amendment that changes only it still changes the rule
    /// (spec/negotiation.md: a rule is changed when any of its keys differs).
    pub description: Option<String>,
    pub kind: RuleKind,
    /// Inclusive.
    pub active_from: Option<Timestamp>,
    /// Instead of `active_from`: the rule starts a delay after a phase is certified; until
    /// then it is not in force.
    pub active_after: Option<PhaseStart>,
    /// Exclusive.
    pub active_until: Option<Timestamp>,
    /// The line of agreement.toml where the rule starts, for messages.
    pub line: usize,
}

impl Rule {
    /// By the calendar alone: a rule that waits for a phase is not active until the engine
    /// knows the phase's certification ([`crate::Engine::rule_active_at`] says).
    pub fn is_active_at(&self, t: Timestamp) -> bool {
        self.active_after.is_none()
            && self.active_from.is_none_or(|from| t >= from)
            && self.active_until.is_none_or(|until| t < until)
    }
}

#[derive(Debug)]
pub struct Agreement {
    pub id: String,
    pub title: String,
    pub version: u32,
    pub parties: Vec<Party>,
    pub categories: Vec<Category>,
    pub phases: Vec<Phase>,
    pub features: Vec<Feature>,
    pub rules: Vec<Rule>,
    /// The separation force's terms (`[operations]`).
    pub operations: OperationsTerms,
}

impl Agreement {
    /// The separation force's terms (`[operations]`, each with its default).
    pub fn operations(&self) -> &OperationsTerms {
        &self.operations
    }
}

/// An agreement error as text: the file, the line when known, and the message.
///
/// The loader's own errors are typed ([`LoadError`], whose [`Problem`] has the details);
/// this is their rendered form, for callers that add messages of their own beside the
/// loader's (the server's policy tables) and convert with `?` (`From<LoadError>`). Both
/// display the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for AgreementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for AgreementError {}

impl From<LoadError> for AgreementError {
    fn from(err: LoadError) -> AgreementError {
        AgreementError {
            file: err.file,
            line: err.line,
            message: err.problem.to_string(),
        }
    }
}

// ---- the TOML document as written ------------------------------------------------------

mod compare;
mod load;
mod operations;

pub use operations::{FutureRoutes, OperationsTerms};

pub use load::AgreementSource;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEAD: &str =
        "[agreement]\nid = \"t\"\ntitle = \"T\"\nversion = 1\ngeometry = \"z.geojson\"\n\
        [[parties]]\nid = \"A\"\nname = \"A\"\nrole = \"party\"\n\
        [[parties]]\nid = \"B\"\nname = \"B\"\nrole = \"party\"\n\
        [[categories]]\nid = \"tank\"\nname = \"Tanks\"\n";
    const ZONES: &str = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"id":"sq"},"geometry":{"type":"Polygon","coordinates":[[[35,33],[36,33],[36,34],[35,34],[35,33]]]}},
        {"type":"Feature","properties":{"id":"ln"},"geometry":{"type":"LineString","coordinates":[[35,33],[36,34]]}}]}"#;

    fn load(toml: &str, zones: &str) -> Result<Agreement, LoadError> {
        AgreementSource::parse(toml, "agreement.toml")?.build(zones, "z.geojson")
    }

    /// Loads HEAD + `rules` and expects an error whose text holds every needle.
    fn check_error(rules: &str, zones: &str, needles: &[&str]) {
        let err = load(&format!("{HEAD}{rules}"), zones)
            .expect_err(rules)
            .to_string();
        for needle in needles {
            assert!(
                err.contains(needle),
                "{err:?} lacks {needle:?} (rules: {rules})"
            );
        }
    }

    #[test]
    fn loads_every_rule_kind() {
        let rules = "[[rules]]\nid = \"x\"\nkind = \"exclusion\"\nzone = \"sq\"\nparties = [\"A\"]\n\
            [[rules]]\nid = \"c\"\nkind = \"cap\"\nzone = \"sq\"\nparty = \"A\"\ncategory = \"tank\"\nmax = 3\n\
            [[rules]]\nid = \"s\"\nkind = \"standoff\"\ntarget = \"ln\"\nparties = [\"B\"]\ncategories = [\"tank\"]\nmin_km = 2.5\n\
            [[rules]]\nid = \"p\"\nkind = \"separation\"\nparties = [\"B\", \"A\"]\nmin_km = 2\n\
            active_from = \"2026-01-01T00:00:00Z\"\nactive_until = \"2026-01-02T00:00:00Z\"\n";
        let a = load(&format!("{HEAD}{rules}"), ZONES).unwrap();
        assert_eq!(a.rules.len(), 4);
        assert_eq!(
            a.rules[3].kind,
            RuleKind::Separation {
                parties: [1, 0],
                categories: None,
                min_km: 2.0
            }
        );
        assert!(a.rules[3].is_active_at(Timestamp::parse("2026-01-01T12:00:00Z").unwrap()));
        assert!(!a.rules[3].is_active_at(Timestamp::parse("2026-01-02T00:00:00Z").unwrap()));
        assert_eq!(
            a.rules[2].line,
            HEAD.lines().count() + 13,
            "the line of its [[rules]] header"
        );
    }

    #[test]
    fn names_what_is_wrong_and_where() {
        let x = "[[rules]]\nid = \"x\"\nkind = \"exclusion\"\n";
        check_error(
            &format!("{x}zone = \"nowhere\"\nparties = [\"A\"]\n"),
            ZONES,
            &["rule \"x\"", "nowhere", "agreement.toml:"],
        );
        check_error(
            &format!("{x}zone = \"ln\"\nparties = [\"A\"]\n"),
            ZONES,
            &["\"ln\" is a line"],
        );
        check_error(
            &format!("{x}zone = \"sq\"\nparties = [\"Q\"]\n"),
            ZONES,
            &["party \"Q\" is not declared"],
        );
        check_error(
            &format!("{x}zone = \"sq\"\nparties = [\"A\"]\ncategories = [\"jet\"]\n"),
            ZONES,
            &["category \"jet\""],
        );
        check_error(
            &format!("{x}zone = \"sq\"\nparties = [\"A\"]\nmin_km = 3\n"),
            ZONES,
            &["`min_km` does not apply to a exclusion rule"],
        );
        check_error(&format!("{x}parties = [\"A\"]\n"), ZONES, &["needs `zone`"]);
        check_error(
            &format!("{x}zone = \"sq\"\nparties = []\n"),
            ZONES,
            &["`parties` is empty"],
        );
        check_error(
            &format!("{x}zone = \"sq\"\nparties = [\"A\"]\n{x}zone = \"sq\"\nparties = [\"A\"]\n"),
            ZONES,
            &["rule \"x\"", "used twice"],
        );
        check_error(
            "[[rules]]\nid = \"p\"\nkind = \"separation\"\nparties = [\"A\"]\nmin_km = 2\n",
            ZONES,
            &["rule \"p\"", "exactly two"],
        );
        check_error(
            "[[rules]]\nid = \"p\"\nkind = \"separation\"\nparties = [\"A\", \"A\"]\nmin_km = 2\n",
            ZONES,
            &["listed twice"],
        );
        check_error("[[rules]]\nid = \"s\"\nkind = \"standoff\"\ntarget = \"ln\"\nparties = [\"A\"]\nmin_km = -1\n", ZONES, &["min_km must be above 0"]);
        check_error("[[rules]]\nid = \"c\"\nkind = \"cap\"\nzone = \"sq\"\nparty = \"A\"\ncategory = \"tank\"\nmax = -1\n", ZONES, &["0 or more"]);
        check_error(
            "[[rules]]\nid = \"w\"\nkind = \"flyover\"\n",
            ZONES,
            &["unknown kind \"flyover\""],
        );
        check_error(
            "[[parties]]\nid = \"A\"\nname = \"A again\"\nrole = \"party\"\n",
            ZONES,
            &["party \"A\" is declared twice"],
        );
        check_error(
            "[[parties]]\nid = \"no spaces\"\nname = \"X\"\nrole = \"party\"\n",
            ZONES,
            &["party id \"no spaces\" must be"],
        );
        check_error(
            "[[categories]]\nid = \"Tank\"\nname = \"X\"\n",
            ZONES,
            &["category id \"Tank\" must be"],
        );
        check_error(
            "[[categories]]\nid = \"tank\"\nname = \"X\"\n",
            ZONES,
            &["category \"tank\" is declared twice"],
        );
        check_error(
            &format!("{x}zone = \"sq\"\nparties = [\"A\"]\nactive_from = \"2026-01-02T00:00:00Z\"\nactive_until = \"2026-01-01T00:00:00Z\"\n"),
            ZONES,
            &["must be before"],
        );
        check_error(
            &format!("{x}zone = \"sq\"\nparties = [\"A\"]\nactive_from = \"2026-01-02\"\n"),
            ZONES,
            &["active_from"],
        );
        check_error("[[rules]]\nid = \"x\"\nkind = \"exclusion\"\nzone = \"sq\"\nparties = [\"A\"]\ncolour = \"red\"\n", ZONES, &["agreement.toml:", "colour"]);
        check_error(
            "",
            "{\"type\":\"FeatureCollection\",\"features\":[}",
            &["z.geojson:1", "not valid JSON"],
        );
        check_error(
            "",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"o"},"geometry":{"type":"Polygon","coordinates":[[[35,33],[36,33],[36,34],[35,34]]]}}]}"#,
            &["feature \"o\""],
        );
        check_error(
            "",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"p"},"geometry":{"type":"Point","coordinates":[35,33]}}]}"#,
            &["feature \"p\"", "\"Point\""],
        );
        check_error(
            "",
            &ZONES.replace("\"ln\"", "\"sq\""),
            &["feature \"sq\"", "used twice"],
        );
        let err = load(
            "[agreement]\nid = \"BAD ID\"\ntitle = \"T\"\nversion = 1\ngeometry = \"z\"\n",
            ZONES,
        )
        .unwrap_err();
        assert!(err.to_string().contains("agreement.toml:2"), "{err}");
        let err = load("[[parties]\n", ZONES).unwrap_err();
        assert!(err.to_string().starts_with("agreement.toml:1"), "{err}");
    }

    proptest! {
        /// Arbitrary text, and valid text with a byte changed, never panics the loader.
        #[test]
        fn arbitrary_input_never_panics(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            at in 0usize..2000,
            byte in any::<u8>(),
        ) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = load(&text, ZONES);
            let _ = load(HEAD, &text);
            let mut mutated = format!("{HEAD}[[rules]]\nid = \"x\"\nkind = \"exclusion\"\nzone = \"sq\"\nparties = [\"A\"]\n").into_bytes();
            let i = at % mutated.len();
            mutated[i] = byte;
            let _ = load(&String::from_utf8_lossy(&mutated), ZONES);
            let mut zones = ZONES.as_bytes().to_vec();
            let j = at % zones.len();
            zones[j] = byte;
            let _ = load(HEAD, &String::from_utf8_lossy(&zones));
        }
    }
}
