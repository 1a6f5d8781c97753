//! The agreement's strict loader: the TOML document, checked key by key, and its rules
//! resolved against the geometry file's features.

#[allow(unused_imports)]
use super::*;

mod rules;
use rules::RuleResolver;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    agreement: Header,
    #[serde(default)]
    parties: Vec<Spanned<PartyDoc>>,
    #[serde(default)]
    categories: Vec<Spanned<CategoryDoc>>,
    #[serde(default)]
    phases: Vec<Spanned<PhaseDoc>>,
    #[serde(default)]
    rules: Vec<Spanned<RuleDoc>>,
    /// The server's deconfliction settings (lead times, buffers, deadlines, redaction). The
    /// engine does not use them; the server's `policy` module reads and validates them.
    #[serde(default)]
    notices: Option<toml::Table>,
    #[serde(default)]
    operations: Option<Spanned<super::OperationsTerms>>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhaseDoc {
    id: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhaseStartDoc {
    phase: String,
    #[serde(default)]
    delay_minutes: i64,
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
    active_after: Option<PhaseStartDoc>,
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
            is_slug,
            SLUG_SHAPE,
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

        let phase_index = self.index_ids(
            &self.doc.phases,
            "phase",
            "phases",
            limits::MAX_PHASES,
            |p| &p.id,
            is_slug,
            SLUG_SHAPE,
        )?;
        let phases: Vec<Phase> = self
            .doc
            .phases
            .iter()
            .map(|p| Phase {
                id: p.get_ref().id.clone(),
                name: p.get_ref().name.clone(),
            })
            .collect();

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
                phases: &phase_index,
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
            let rule = resolver.rule(raw)?;
            rules.push(rule);
        }

        let operations = match &self.doc.operations {
            Some(spanned) => {
                if let Some((key, range)) = spanned.get_ref().out_of_range() {
                    return Err(self.error(
                        Some(spanned.span().start),
                        Problem::OperationsTerm { key, range },
                    ));
                }
                spanned.get_ref().clone()
            }
            None => Default::default(),
        };
        Ok(Agreement {
            operations,
            id: id.clone(),
            title: header.title.clone(),
            version: *header.version.get_ref() as u32,
            parties,
            categories,
            phases,
            features,
            rules,
        })
    }
}

/// Category and phase ids: short, lowercase, safe in a URL and a file name.
fn is_slug(id: &str) -> bool {
    id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

const SLUG_SHAPE: &str = "1 to 64 characters of a-z, 0-9, _ and -";

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
