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
    /// Distances beyond half the Earth's circumference are always a mistake.
    pub const MAX_DISTANCE_KM: f64 = 20_000.0;
}

pub type PartyIndex = u16;
pub type CategoryIndex = u16;
pub type FeatureIndex = u32;
pub type RuleIndex = u32;

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
    pub kind: RuleKind,
    /// Inclusive.
    pub active_from: Option<Timestamp>,
    /// Exclusive.
    pub active_until: Option<Timestamp>,
    /// The line of agreement.toml where the rule starts, for messages.
    pub line: usize,
}

impl Rule {
    pub fn is_active_at(&self, t: Timestamp) -> bool {
        self.active_from.is_none_or(|from| t >= from)
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
    pub features: Vec<Feature>,
    pub rules: Vec<Rule>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    agreement: Header,
    #[serde(default)]
    parties: Vec<Spanned<PartyDoc>>,
    #[serde(default)]
    categories: Vec<Spanned<CategoryDoc>>,
    #[serde(default)]
    rules: Vec<Spanned<RuleDoc>>,
    /// The server's deconfliction settings (lead times, buffers, deadlines, redaction). The
    /// engine does not use them; the server's `policy` module reads and validates them.
    #[serde(default)]
    notices: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    id: Spanned<String>,
    title: String,
    version: Spanned<i64>,
    geometry: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartyDoc {
    id: String,
    name: String,
    role: Role,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryDoc {
    id: String,
    name: String,
    #[serde(default)]
    symbol: Option<String>,
}

/// Every key any rule kind takes; which ones a kind needs is checked by hand so that the
/// message can say "a cap rule needs `max`" rather than a generic serde error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDoc {
    id: String,
    kind: String,
    #[serde(default)]
    description: Option<String>,
    zone: Option<String>,
    target: Option<String>,
    party: Option<String>,
    parties: Option<Vec<String>>,
    category: Option<String>,
    categories: Option<Vec<String>>,
    max: Option<i64>,
    min_km: Option<f64>,
    active_from: Option<String>,
    active_until: Option<String>,
}

/// The first step of loading: the TOML is parsed and its header read, so that the caller
/// knows which geometry file to read next.
pub struct AgreementSource {
    file: String,
    text_lines: Vec<usize>,
    doc: Document,
}

impl AgreementSource {
    /// Parses `agreement.toml`'s text; `file` is the name to quote in errors.
    pub fn parse(text: &str, file: &str) -> Result<AgreementSource, LoadError> {
        let doc: Document = toml::from_str(text).map_err(|err| LoadError {
            file: file.to_string(),
            line: err.span().map(|span| line_of(text, span.start)),
            problem: Problem::Toml {
                message: err.message().to_string(),
            },
        })?;
        let text_lines = text.match_indices('\n').map(|(at, _)| at).collect();
        Ok(AgreementSource {
            file: file.to_string(),
            text_lines,
            doc,
        })
    }

    /// The `[notices]` table as written, for the server's policy loader to validate.
    pub fn notices_table(&self) -> Option<&toml::Table> {
        self.doc.notices.as_ref()
    }

    /// The geometry file's path as written, relative to agreement.toml.
    pub fn geometry_path(&self) -> &str {
        &self.doc.agreement.geometry
    }

    fn line(&self, offset: usize) -> usize {
        self.text_lines.partition_point(|&newline| newline < offset) + 1
    }

    fn error(&self, offset: Option<usize>, problem: Problem) -> LoadError {
        LoadError {
            file: self.file.clone(),
            line: offset.map(|at| self.line(at)),
            problem,
        }
    }

    /// Checks a declared list (parties, categories): not more than `max`, every id well
    /// formed and declared once. Returns each id's index.
    #[allow(clippy::too_many_arguments)]
    fn index_ids<T>(
        &self,
        items: &[Spanned<T>],
        what: &'static str,
        what_plural: &'static str,
        max: usize,
        id_of: impl Fn(&T) -> &String,
        well_formed: impl Fn(&str) -> bool,
        shape: &'static str,
    ) -> Result<HashMap<String, u16>, LoadError> {
        if items.len() > max {
            return Err(self.error(
                None,
                Problem::TooMany {
                    what: what_plural,
                    count: items.len(),
                    max,
                },
            ));
        }
        let mut index = HashMap::new();
        for (i, spanned) in items.iter().enumerate() {
            let id = id_of(spanned.get_ref());
            let at = Some(spanned.span().start);
            if id.is_empty() || !well_formed(id) {
                return Err(self.error(
                    at,
                    Problem::BadId {
                        what,
                        id: id.clone(),
                        shape,
                    },
                ));
            }
            if index.insert(id.clone(), i as u16).is_some() {
                return Err(self.error(
                    at,
                    Problem::DeclaredTwice {
                        what,
                        id: id.clone(),
                    },
                ));
            }
        }
        Ok(index)
    }

    /// Resolves and validates everything, given the geometry file's text.
    pub fn build(self, geometry_text: &str, geometry_file: &str) -> Result<Agreement, LoadError> {
        let features = crate::geojson::load_features(geometry_text, geometry_file)?;
        let header = &self.doc.agreement;
        let id = header.id.get_ref();
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(self.error(
                Some(header.id.span().start),
                Problem::AgreementId { id: id.clone() },
            ));
        }
        if *header.version.get_ref() < 1 || *header.version.get_ref() > i64::from(u32::MAX) {
            return Err(self.error(
                Some(header.version.span().start),
                Problem::AgreementVersion {
                    version: *header.version.get_ref(),
                },
            ));
        }

        let party_index = self.index_ids(
            &self.doc.parties,
            "party",
            "parties",
            limits::MAX_PARTIES,
            |p| &p.id,
            |id| {
                id.len() <= 32
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            },
            "1 to 32 characters of A-Z, a-z, 0-9, _ and -",
        )?;
        let parties = self
            .doc
            .parties
            .iter()
            .map(|p| {
                let p = p.get_ref();
                Party {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    role: p.role,
                }
            })
            .collect();
        let category_index = self.index_ids(
            &self.doc.categories,
            "category",
            "categories",
            limits::MAX_CATEGORIES,
            |c| &c.id,
            |id| {
                id.len() <= 64
                    && id.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                    })
            },
            "1 to 64 characters of a-z, 0-9, _ and -",
        )?;
        let categories = self
            .doc
            .categories
            .iter()
            .map(|c| {
                let at = Some(c.span().start);
                let c = c.get_ref();
                match &c.symbol {
                    Some(code) if !is_symbol_code(code) => Err(self.error(
                        at,
                        Problem::BadSymbol {
                            category: c.id.clone(),
                            symbol: code.clone(),
                        },
                    )),
                    _ => Ok(Category {
                        id: c.id.clone(),
                        name: c.name.clone(),
                        symbol: c.symbol.clone(),
                    }),
                }
            })
            .collect::<Result<_, _>>()?;

        let feature_index: HashMap<&str, FeatureIndex> = features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id.as_str(), i as FeatureIndex))
            .collect();

        if self.doc.rules.len() > limits::MAX_RULES {
            return Err(self.error(
                None,
                Problem::TooMany {
                    what: "rules",
                    count: self.doc.rules.len(),
                    max: limits::MAX_RULES,
                },
            ));
        }
        let mut rules: Vec<Rule> = Vec::new();
        for spanned in &self.doc.rules {
            let at = spanned.span().start;
            let raw = spanned.get_ref();
            let resolver = RuleResolver {
                source: &self,
                at,
                rule_id: &raw.id,
                parties: &party_index,
                categories: &category_index,
                features: &feature_index,
                feature_list: &features,
            };
            if raw.id.is_empty()
                || raw.id.len() > limits::MAX_ID_CHARS
                || raw.id.chars().any(|c| c.is_control() || c.is_whitespace())
            {
                return Err(resolver.fail(RuleProblem::BadId {
                    max: limits::MAX_ID_CHARS,
                }));
            }
            if rules.iter().any(|r| r.id == raw.id) {
                return Err(resolver.fail(RuleProblem::IdUsedTwice));
            }
            let _ = &raw.description;
            let rule = resolver.rule(raw)?;
            rules.push(rule);
        }

        Ok(Agreement {
            id: id.clone(),
            title: header.title.clone(),
            version: *header.version.get_ref() as u32,
            parties,
            categories,
            features,
            rules,
        })
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

struct RuleResolver<'a> {
    source: &'a AgreementSource,
    at: usize,
    rule_id: &'a str,
    parties: &'a HashMap<String, PartyIndex>,
    categories: &'a HashMap<String, CategoryIndex>,
    features: &'a HashMap<&'a str, FeatureIndex>,
    feature_list: &'a [Feature],
}

impl RuleResolver<'_> {
    fn fail(&self, problem: RuleProblem) -> LoadError {
        self.source.error(
            Some(self.at),
            Problem::Rule {
                rule: self.rule_id.to_string(),
                problem: Box::new(problem),
            },
        )
    }

    fn required<'v, T>(
        &self,
        value: &'v Option<T>,
        key: &'static str,
        kind: &'static str,
    ) -> Result<&'v T, LoadError> {
        value
            .as_ref()
            .ok_or_else(|| self.fail(RuleProblem::Needs { kind, key }))
    }

    fn refuse_keys(
        &self,
        raw: &RuleDoc,
        kind: &'static str,
        allowed: &[&str],
    ) -> Result<(), LoadError> {
        let present = [
            ("zone", raw.zone.is_some()),
            ("target", raw.target.is_some()),
            ("party", raw.party.is_some()),
            ("parties", raw.parties.is_some()),
            ("category", raw.category.is_some()),
            ("categories", raw.categories.is_some()),
            ("max", raw.max.is_some()),
            ("min_km", raw.min_km.is_some()),
        ];
        for (key, is_present) in present {
            if is_present && !allowed.contains(&key) {
                return Err(self.fail(RuleProblem::DoesNotApply { key, kind }));
            }
        }
        Ok(())
    }

    fn party(&self, id: &str) -> Result<PartyIndex, LoadError> {
        self.parties
            .get(id)
            .copied()
            .ok_or_else(|| self.fail(RuleProblem::UnknownParty { id: id.to_string() }))
    }

    fn parties(&self, ids: &[String]) -> Result<Vec<PartyIndex>, LoadError> {
        if ids.is_empty() {
            return Err(self.fail(RuleProblem::NoParties));
        }
        let mut out = Vec::new();
        for id in ids {
            let p = self.party(id)?;
            if out.contains(&p) {
                return Err(self.fail(RuleProblem::PartyListedTwice { id: id.clone() }));
            }
            out.push(p);
        }
        Ok(out)
    }

    fn category(&self, id: &str) -> Result<CategoryIndex, LoadError> {
        self.categories
            .get(id)
            .copied()
            .ok_or_else(|| self.fail(RuleProblem::UnknownCategory { id: id.to_string() }))
    }

    fn categories(
        &self,
        ids: &Option<Vec<String>>,
    ) -> Result<Option<Vec<CategoryIndex>>, LoadError> {
        let Some(ids) = ids else { return Ok(None) };
        if ids.is_empty() {
            return Err(self.fail(RuleProblem::NoCategories));
        }
        let mut out = Vec::new();
        for id in ids {
            let c = self.category(id)?;
            if out.contains(&c) {
                return Err(self.fail(RuleProblem::CategoryListedTwice { id: id.clone() }));
            }
            out.push(c);
        }
        Ok(Some(out))
    }

    fn zone(&self, id: &str) -> Result<FeatureIndex, LoadError> {
        let index = *self
            .features
            .get(id)
            .ok_or_else(|| self.fail(RuleProblem::UnknownZone { id: id.to_string() }))?;
        if self.feature_list[index as usize].zone().is_none() {
            return Err(self.fail(RuleProblem::NotAZone { id: id.to_string() }));
        }
        Ok(index)
    }

    fn target(&self, id: &str) -> Result<FeatureIndex, LoadError> {
        self.features
            .get(id)
            .copied()
            .ok_or_else(|| self.fail(RuleProblem::UnknownTarget { id: id.to_string() }))
    }

    fn min_km(&self, raw: &RuleDoc, kind: &'static str) -> Result<f64, LoadError> {
        let km = *self.required(&raw.min_km, "min_km", kind)?;
        if !(km.is_finite() && km > 0.0 && km <= limits::MAX_DISTANCE_KM) {
            return Err(self.fail(RuleProblem::MinKm {
                km,
                max: limits::MAX_DISTANCE_KM,
            }));
        }
        Ok(km)
    }

    fn instant(
        &self,
        text: &Option<String>,
        key: &'static str,
    ) -> Result<Option<Timestamp>, LoadError> {
        text.as_deref()
            .map(|t| {
                Timestamp::parse(t).map_err(|error| self.fail(RuleProblem::Time { key, error }))
            })
            .transpose()
    }

    fn rule(&self, raw: &RuleDoc) -> Result<Rule, LoadError> {
        const KINDS: [&str; 4] = ["exclusion", "cap", "standoff", "separation"];
        let Some(kind_name) = KINDS.iter().copied().find(|k| *k == raw.kind) else {
            return Err(self.fail(RuleProblem::UnknownKind {
                kind: raw.kind.clone(),
            }));
        };
        let kind = match kind_name {
            "exclusion" => {
                self.refuse_keys(raw, kind_name, &["zone", "parties", "categories"])?;
                RuleKind::Exclusion {
                    zone: self.zone(self.required(&raw.zone, "zone", kind_name)?)?,
                    forces: ForceFilter {
                        parties: self.parties(self.required(
                            &raw.parties,
                            "parties",
                            kind_name,
                        )?)?,
                        categories: self.categories(&raw.categories)?,
                    },
                }
            }
            "cap" => {
                self.refuse_keys(raw, kind_name, &["zone", "party", "category", "max"])?;
                let max = *self.required(&raw.max, "max", kind_name)?;
                if max < 0 {
                    return Err(self.fail(RuleProblem::NegativeMax { max }));
                }
                RuleKind::Cap {
                    zone: self.zone(self.required(&raw.zone, "zone", kind_name)?)?,
                    party: self.party(self.required(&raw.party, "party", kind_name)?)?,
                    category: self.category(self.required(
                        &raw.category,
                        "category",
                        kind_name,
                    )?)?,
                    max: max as u64,
                }
            }
            "standoff" => {
                self.refuse_keys(
                    raw,
                    kind_name,
                    &["target", "parties", "categories", "min_km"],
                )?;
                RuleKind::Standoff {
                    target: self.target(self.required(&raw.target, "target", kind_name)?)?,
                    forces: ForceFilter {
                        parties: self.parties(self.required(
                            &raw.parties,
                            "parties",
                            kind_name,
                        )?)?,
                        categories: self.categories(&raw.categories)?,
                    },
                    min_km: self.min_km(raw, kind_name)?,
                }
            }
            "separation" => {
                self.refuse_keys(raw, kind_name, &["parties", "categories", "min_km"])?;
                let listed = self.required(&raw.parties, "parties", kind_name)?;
                if listed.len() != 2 {
                    return Err(self.fail(RuleProblem::SeparationParties {
                        count: listed.len(),
                    }));
                }
                let parties = self.parties(listed)?;
                RuleKind::Separation {
                    parties: [parties[0], parties[1]],
                    categories: self.categories(&raw.categories)?,
                    min_km: self.min_km(raw, kind_name)?,
                }
            }
            _ => {
                return Err(self.fail(RuleProblem::UnknownKind {
                    kind: raw.kind.clone(),
                }))
            }
        };
        let active_from = self.instant(&raw.active_from, "active_from")?;
        let active_until = self.instant(&raw.active_until, "active_until")?;
        if let (Some(from), Some(until)) = (active_from, active_until) {
            if from >= until {
                return Err(self.fail(RuleProblem::EmptyWindow { from, until }));
            }
        }
        Ok(Rule {
            id: raw.id.clone(),
            kind,
            active_from,
            active_until,
            line: self.source.line(self.at),
        })
    }
}

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
