//! The geometry file: a GeoJSON FeatureCollection of zones and lines, read as it streams.
//!
//! Memory is bounded by the limits, not by the file. The file is never parsed into a
//! `serde_json::Value` as a whole (a position costs ~100 bytes there, so a 10-million-vertex
//! file would take ~2 GB before any limit could be checked). Instead:
//! 1. the text is checked to be JSON by reading it as a `RawValue`, which borrows the text
//!    and builds nothing;
//! 2. the collection and each feature are read as borrowed `RawValue` slices of the text
//!    (the features array by a visitor that keeps at most `MAX_FEATURES` of them and only
//!    counts the rest);
//! 3. each feature's coordinates are read by `DeserializeSeed` visitors straight into
//!    `[f64; 2]` positions, counting them as they go: once the feature's count reaches its
//!    budget (the per-feature `MAX_VERTICES`, or what is left of `MAX_TOTAL_VERTICES`) the
//!    remaining positions are only counted, never stored, and the feature is refused with
//!    the limit it broke;
//! 4. only a feature that passed every check gets its geometry as a `Value` (the console
//!    and exports show the coordinates as given), so that costs no more than the limits
//!    allow.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use truceline_geometry::{GeometryError, Line, LonLat, Zone, MAX_VERTICES};

use crate::agreement::{limits, Feature, Shape};
use crate::error::{FeatureProblem, LoadError, Problem};

#[derive(Deserialize, Default)]
struct Collection<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    features: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct FeatureDoc<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    properties: Option<&'a RawValue>,
    #[serde(borrow, default)]
    geometry: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct Properties<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    name: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct GeometryDoc<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    coordinates: Option<&'a RawValue>,
}

/// The names a feature carries in other languages, as OpenStreetMap writes them:
/// `"name:ar": "..."`, `"name:he": "..."`. Language -> name; anything else in `properties`
/// is left alone.
fn names_by_language(
    raw: Option<&RawValue>,
) -> Result<std::collections::BTreeMap<String, String>, FeatureProblem> {
    let mut names = std::collections::BTreeMap::new();
    let Some(raw) = raw else { return Ok(names) };
    let Ok(map) = serde_json::from_str::<std::collections::BTreeMap<String, &RawValue>>(raw.get())
    else {
        return Ok(names);
    };
    for (key, value) in map {
        let Some(language) = key.strip_prefix("name:") else {
            continue;
        };
        // A BCP 47 tag as OSM uses them: "ar", "he", "ru", "zh-Hant", "sr-Latn".
        let tag_ok = (2..=limits::MAX_LANGUAGE_TAG_CHARS).contains(&language.len())
            && language
                .split('-')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        let name = serde_json::from_str::<String>(value.get()).ok();
        match name {
            Some(n) if tag_ok && !n.is_empty() && n.chars().count() <= limits::MAX_NAME_CHARS => {
                names.insert(language.to_owned(), n);
            }
            _ => {
                return Err(FeatureProblem::NameInLanguage {
                    key,
                    max_tag: limits::MAX_LANGUAGE_TAG_CHARS,
                    max: limits::MAX_NAME_CHARS,
                })
            }
        }
        if names.len() > limits::MAX_NAMES_PER_FEATURE {
            return Err(FeatureProblem::TooManyNames {
                max: limits::MAX_NAMES_PER_FEATURE,
            });
        }
    }
    Ok(names)
}

/// A JSON string's value, or `None` for anything else.
fn as_string(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(|r| serde_json::from_str::<String>(r.get()).ok())
}

/// Reads an object of a known shape; anything that is not such an object reads as empty
/// (its keys absent), as a lookup in a `Value` would find nothing.
fn object<'a, T: Deserialize<'a> + Default>(raw: Option<&'a RawValue>) -> T {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or_default()
}

pub(crate) fn load_features(text: &str, file: &str) -> Result<Vec<Feature>, LoadError> {
    let fail = |problem: Problem| LoadError {
        file: file.to_string(),
        line: None,
        problem,
    };
    let root: &RawValue = serde_json::from_str(text).map_err(|err| LoadError {
        file: file.to_string(),
        line: Some(err.line()),
        problem: Problem::Json {
            message: err.to_string(),
        },
    })?;
    let collection: Collection = object(Some(root));
    if as_string(collection.kind).as_deref() != Some("FeatureCollection") {
        return Err(fail(Problem::NotFeatureCollection));
    }
    let Some(Ok((list, count))) = collection.features.map(|raw| {
        let mut de = serde_json::Deserializer::from_str(raw.get());
        Bounded {
            keep: limits::MAX_FEATURES,
        }
        .deserialize(&mut de)
    }) else {
        return Err(fail(Problem::NoFeatures));
    };
    if count > limits::MAX_FEATURES {
        return Err(fail(Problem::TooMany {
            what: "features",
            count,
            max: limits::MAX_FEATURES,
        }));
    }
    let mut features: Vec<Feature> = Vec::with_capacity(list.len());
    let mut total_vertices = 0usize;
    for (position, raw) in list.iter().enumerate() {
        let doc: FeatureDoc = object(Some(raw));
        let properties: Properties = object(doc.properties);
        let id = as_string(properties.id).ok_or_else(|| {
            fail(Problem::FeatureWithoutId {
                position: position + 1,
            })
        })?;
        let fail_feature = |problem: FeatureProblem| {
            fail(Problem::Feature {
                feature: id.clone(),
                problem: Box::new(problem),
            })
        };
        if id.is_empty() || id.len() > limits::MAX_ID_CHARS {
            return Err(fail_feature(FeatureProblem::IdLength {
                max: limits::MAX_ID_CHARS,
            }));
        }
        if features.iter().any(|f| f.id == id) {
            return Err(fail_feature(FeatureProblem::IdUsedTwice));
        }
        if as_string(doc.kind).as_deref() != Some("Feature") {
            return Err(fail_feature(FeatureProblem::NotAFeature));
        }
        let name = as_string(properties.name);
        let names = names_by_language(doc.properties).map_err(fail_feature)?;
        let geometry = doc
            .geometry
            .ok_or_else(|| fail_feature(FeatureProblem::NoGeometry))?;
        let geometry_doc: GeometryDoc = object(Some(geometry));
        let kind = as_string(geometry_doc.kind).unwrap_or_default();
        let coordinates = geometry_doc
            .coordinates
            .ok_or_else(|| fail_feature(FeatureProblem::NoCoordinates))?;
        let budget = MAX_VERTICES.min(limits::MAX_TOTAL_VERTICES - total_vertices);
        let mut state = State {
            budget,
            count: 0,
            problem: None,
        };
        let read = match kind.as_str() {
            "Polygon" => read(coordinates, Rings { state: &mut state }).map(Coordinates::Zone1),
            "MultiPolygon" => {
                read(coordinates, Polygons { state: &mut state }).map(Coordinates::Zone)
            }
            "LineString" => {
                read(coordinates, Positions { state: &mut state }).map(Coordinates::Line1)
            }
            "MultiLineString" => {
                read(coordinates, Rings { state: &mut state }).map(Coordinates::Line)
            }
            _ => {
                return Err(fail_feature(FeatureProblem::UnsupportedType { kind }));
            }
        };
        // Over a limit: refused by the count alone (the positions past the budget were
        // counted, not kept).
        if state.count > MAX_VERTICES {
            return Err(fail_feature(FeatureProblem::Geometry(
                GeometryError::TooManyVertices {
                    count: state.count,
                    max: MAX_VERTICES,
                },
            )));
        }
        if state.count > budget {
            return Err(fail(Problem::TooManyVerticesInAll {
                max: limits::MAX_TOTAL_VERTICES,
            }));
        }
        let coordinates = match (read, state.problem) {
            (_, Some(problem)) => return Err(fail_feature(problem)),
            // Not reachable: the text is JSON and the visitors record why they stop.
            (Err(err), None) => {
                return Err(fail(Problem::Json {
                    message: err.to_string(),
                }))
            }
            (Ok(c), None) => c,
        };
        let shape = match coordinates {
            Coordinates::Zone1(rings) => Zone::new(vec![rings]).map(Shape::Zone),
            Coordinates::Zone(polygons) => Zone::new(polygons).map(Shape::Zone),
            Coordinates::Line1(positions) => Line::new(vec![positions]).map(Shape::Line),
            Coordinates::Line(parts) => Line::new(parts).map(Shape::Line),
        }
        .map_err(|err| fail_feature(FeatureProblem::Geometry(err)))?;
        total_vertices += state.count;
        let geometry_json = serde_json::from_str(geometry.get()).map_err(|err| {
            fail(Problem::Json {
                message: err.to_string(),
            })
        })?;
        features.push(Feature {
            id,
            name,
            names,
            shape,
            geometry_json,
        });
    }
    Ok(features)
}

enum Coordinates {
    Zone1(Vec<Vec<LonLat>>),
    Zone(Vec<Vec<Vec<LonLat>>>),
    Line1(Vec<LonLat>),
    Line(Vec<Vec<LonLat>>),
}

fn read<'de, S: DeserializeSeed<'de>>(
    raw: &'de RawValue,
    seed: S,
) -> Result<S::Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    seed.deserialize(&mut de)
}

/// The features array: the first `keep` elements as raw slices, and how many there are.
struct Bounded {
    keep: usize,
}

impl<'de> DeserializeSeed<'de> for Bounded {
    type Value = (Vec<&'de RawValue>, usize);

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Bounded {
    type Value = (Vec<&'de RawValue>, usize);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut kept = Vec::new();
        let mut count = 0;
        loop {
            if count < self.keep {
                match seq.next_element::<&'de RawValue>()? {
                    Some(raw) => kept.push(raw),
                    None => break,
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            count += 1;
        }
        Ok((kept, count))
    }
}

/// What one feature's coordinate readers share: positions counted so far, how many may
/// be kept, and the first thing found wrong (the readers then stop with an error whose
/// own text is not used).
struct State {
    budget: usize,
    count: usize,
    problem: Option<FeatureProblem>,
}

impl State {
    fn fail<E: de::Error>(&mut self, problem: FeatureProblem) -> E {
        if self.problem.is_none() {
            self.problem = Some(problem);
        }
        E::custom("see State::problem")
    }
}

/// Everything that is not an array is refused as `what`.
macro_rules! only_arrays {
    ($what:expr) => {
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str($what)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(self.state.fail(FeatureProblem::NotAnArray { what: $what }))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(self.state.fail(FeatureProblem::NotAnArray { what: $what }))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(self.state.fail(FeatureProblem::NotAnArray { what: $what }))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(self.state.fail(FeatureProblem::NotAnArray { what: $what }))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(self.state.fail(FeatureProblem::NotAnArray { what: $what }))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(self.state.fail(FeatureProblem::NotAnArray { what: $what }))
        }
        fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(self.state.fail(FeatureProblem::NotAnArray { what: $what }))
        }
    };
}

/// A MultiPolygon's coordinates: polygons of rings of positions.
struct Polygons<'s> {
    state: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for Polygons<'_> {
    type Value = Vec<Vec<Vec<LonLat>>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Polygons<'_> {
    type Value = Vec<Vec<Vec<LonLat>>>;
    only_arrays!("a MultiPolygon's coordinates");
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(rings) = seq.next_element_seed(Rings {
            state: &mut *self.state,
        })? {
            out.push(rings);
        }
        Ok(out)
    }
}

/// Rings of a Polygon, or parts of a MultiLineString: lists of positions.
struct Rings<'s> {
    state: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for Rings<'_> {
    type Value = Vec<Vec<LonLat>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Rings<'_> {
    type Value = Vec<Vec<LonLat>>;
    only_arrays!("a list of rings");
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(positions) = seq.next_element_seed(Positions {
            state: &mut *self.state,
        })? {
            out.push(positions);
        }
        Ok(out)
    }
}

/// A list of positions, each counted; kept only within the budget.
struct Positions<'s> {
    state: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for Positions<'_> {
    type Value = Vec<LonLat>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Positions<'_> {
    type Value = Vec<LonLat>;
    only_arrays!("a list of positions");
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut index = 0;
        loop {
            if self.state.count < self.state.budget {
                let seed = Position {
                    state: &mut *self.state,
                    number: index + 1,
                };
                match seq.next_element_seed(seed)? {
                    Some(p) => out.push(p),
                    None => break,
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            self.state.count += 1;
            index += 1;
        }
        Ok(out)
    }
}

/// One position: `[lon, lat]` or `[lon, lat, anything]`.
struct Position<'s> {
    state: &'s mut State,
    /// Its number in its list, from 1 (for messages).
    number: usize,
}

impl<'de> DeserializeSeed<'de> for Position<'_> {
    type Value = LonLat;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Position<'_> {
    type Value = LonLat;
    only_arrays!("a position");
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut values = [None, None];
        let mut len = 0;
        while let Some(Number(n)) = seq.next_element::<Number>()? {
            if len < 2 {
                values[len] = n;
            }
            len += 1;
        }
        let position = self.number;
        match (len, values) {
            (2 | 3, [Some(lon), Some(lat)]) => Ok([lon, lat]),
            (2 | 3, _) => Err(self
                .state
                .fail(FeatureProblem::PositionNotNumbers { position })),
            _ => Err(self.state.fail(FeatureProblem::PositionArity { position })),
        }
    }
}

/// Any JSON value: `Some` for a number (as `Value::as_f64` reads it), `None` otherwise.
struct Number(Option<f64>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
        d.deserialize_any(NumberVisitor)
    }
}

struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Number;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_f64<E>(self, v: f64) -> Result<Number, E> {
        Ok(Number(Some(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Number, E> {
        Ok(Number(Some(v as f64)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Number, E> {
        Ok(Number(Some(v as f64)))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Number, E> {
        Ok(Number(None))
    }
    fn visit_str<E>(self, _: &str) -> Result<Number, E> {
        Ok(Number(None))
    }
    fn visit_unit<E>(self) -> Result<Number, E> {
        Ok(Number(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Number, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Number(None))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Number, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Number(None))
    }
}
