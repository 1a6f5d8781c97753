//! A draft: a complete agreement, validated by the engine's own loader, with its identity
//! (spec/negotiation.md, "Drafts"): `sha256(jcs({"agreement": A, "geometry": G}))`, where A
//! is the agreement file's parsed content and G the geometry file's, as RFC 8785 JSON.

use std::sync::Arc;

use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};
use truceline_engine::{Agreement, AgreementSource, LoadError};
use truceline_ledger::jcs;

/// Why a draft was refused. Both display as `file:line: what` or `file: what`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DraftError {
    /// The engine's loader refused the agreement or its geometry.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The draft loads but has no canonical form (RFC 8785 reads I-JSON: no NaN or
    /// infinity, no integer beyond 2^53, no duplicate member names).
    #[error("{file}: {message}")]
    Canonical { file: String, message: String },
}

/// The first step of loading a draft: agreement.toml parsed (by the engine's loader, so
/// errors name the file and line), so that the caller knows which geometry file to read.
pub struct DraftSource {
    source: AgreementSource,
    file: String,
    document: Value,
}

impl DraftSource {
    /// Parses agreement.toml's text; `file` is the name to quote in errors.
    pub fn parse(text: &str, file: &str) -> Result<DraftSource, DraftError> {
        let source = AgreementSource::parse(text, file)?;
        // The engine's reader accepted the text, so the generic one does too.
        let table: toml::Table = toml::from_str(text).map_err(|err| DraftError::Canonical {
            file: file.to_string(),
            message: err.message().to_string(),
        })?;
        let document =
            toml_to_json(&toml::Value::Table(table)).map_err(|message| DraftError::Canonical {
                file: file.to_string(),
                message,
            })?;
        Ok(DraftSource {
            source,
            file: file.to_string(),
            document,
        })
    }

    /// The geometry file's path as written, relative to agreement.toml.
    pub fn geometry_path(&self) -> &str {
        self.source.geometry_path()
    }

    /// Validates everything with the engine's loader and computes the draft's hash.
    pub fn build(self, geometry_text: &str, geometry_file: &str) -> Result<Draft, DraftError> {
        let agreement = self.source.build(geometry_text, geometry_file)?;
        let geometry =
            jcs::parse_strict(geometry_text.as_bytes()).map_err(|err| DraftError::Canonical {
                file: geometry_file.to_string(),
                message: err.to_string(),
            })?;
        jcs::check_numbers(&self.document).map_err(|err| DraftError::Canonical {
            file: self.file.clone(),
            message: err.to_string(),
        })?;
        let mut bundle = Map::new();
        bundle.insert("agreement".into(), self.document);
        bundle.insert("geometry".into(), geometry);
        let bundle = Value::Object(bundle);
        let sha256 = hex::encode(Sha256::digest(jcs::to_vec(&bundle)));
        let Value::Object(mut bundle) = bundle else {
            unreachable!("built as an object")
        };
        Ok(Draft {
            agreement: Arc::new(agreement),
            document: bundle.remove("agreement").unwrap_or(Value::Null),
            sha256,
        })
    }
}

/// A validated draft.
#[derive(Debug)]
pub struct Draft {
    /// As the engine evaluates it.
    pub agreement: Arc<Agreement>,
    /// agreement.toml's parsed content as JSON (what the hash covers, and what rules,
    /// parties and categories are compared on, key by key).
    pub document: Value,
    /// The draft's identity, lowercase hex.
    pub sha256: String,
}

impl Draft {
    /// The tables of one array of agreement.toml (`rules`, `parties`, `categories`), by id,
    /// in file order.
    pub(crate) fn tables<'a>(&'a self, array: &str) -> Vec<(&'a str, &'a Map<String, Value>)> {
        self.document
            .get(array)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        let table = item.as_object()?;
                        Some((table.get("id")?.as_str()?, table))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// TOML as JSON: datetimes as their RFC 3339 text; a float JSON cannot hold is refused.
fn toml_to_json(value: &toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::Number(Number::from(*i)),
        toml::Value::Float(f) => Value::Number(
            Number::from_f64(*f)
                .ok_or_else(|| format!("{f} has no JSON form (RFC 8785 needs finite numbers)"))?,
        ),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .iter()
                .map(toml_to_json)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        toml::Value::Table(table) => Value::Object(
            table
                .iter()
                .map(|(k, v)| Ok((k.clone(), toml_to_json(v)?)))
                .collect::<Result<Map<_, _>, String>>()?,
        ),
    })
}
