//! The loader's and the report reader's errors: typed, with the details as fields, and
//! displayed with the messages they have always had. The geometry file's vertex limit is
//! applied while it is read.

use truceline_engine::agreement::{limits, Shape};
use truceline_engine::{
    parse_report, AgreementError, AgreementSource, FeatureProblem, LoadError, Problem, ReportError,
    RuleProblem,
};
use truceline_geometry::{Contact, GeometryError, MAX_VERTICES};

const HEAD: &str =
    "[agreement]\nid = \"t\"\ntitle = \"T\"\nversion = 1\ngeometry = \"z.geojson\"\n\
    [[parties]]\nid = \"A\"\nname = \"A\"\nrole = \"party\"\n";

fn collection(features: &str) -> String {
    format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
}

fn feature(id: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{{"id":"{id}"}},"geometry":{geometry}}}"#)
}

const SQUARE: &str =
    r#"{"type":"Polygon","coordinates":[[[35,33],[36,33],[36,34],[35,34],[35,33]]]}"#;

fn load(toml: &str, zones: &str) -> Result<truceline_engine::Agreement, LoadError> {
    AgreementSource::parse(toml, "agreement.toml")?.build(zones, "z.geojson")
}

fn geometry_error(geometry: &str) -> LoadError {
    load(HEAD, &collection(&feature("f", geometry))).unwrap_err()
}

#[test]
fn a_bowtie_is_refused_with_its_feature_and_crossing() {
    let bowtie = r#"{"type":"Polygon","coordinates":[[[35,33],[36,34],[36,33],[35,34],[35,33]]]}"#;
    let err = load(HEAD, &collection(&feature("bow", bowtie))).unwrap_err();
    assert_eq!(
        err,
        LoadError {
            file: "z.geojson".into(),
            line: None,
            problem: Problem::Feature {
                feature: "bow".into(),
                problem: Box::new(FeatureProblem::Geometry(GeometryError::RingSelfContact {
                    polygon: 0,
                    ring: 0,
                    edge_a: 0,
                    edge_b: 2,
                    at: [35.5, 33.5],
                    kind: Contact::Cross,
                })),
            },
        }
    );
    assert_eq!(
        err.to_string(),
        "z.geojson: feature \"bow\": polygon 0, ring 0: crosses itself at [35.5, 33.5], where \
         edge 0 (positions 0 to 1) crosses edge 2 (positions 2 to 3); a ring must not cross, \
         touch or overlap itself"
    );
}

#[test]
fn errors_are_typed_and_display_as_before() {
    let rule =
        "[[rules]]\nid = \"x\"\nkind = \"exclusion\"\nzone = \"nowhere\"\nparties = [\"A\"]\n";
    let zones = collection(&feature("sq", SQUARE));
    let err = load(&format!("{HEAD}{rule}"), &zones).unwrap_err();
    assert_eq!(
        err.problem,
        Problem::Rule {
            rule: "x".into(),
            problem: Box::new(RuleProblem::UnknownZone {
                id: "nowhere".into()
            })
        }
    );
    assert_eq!(err.line, Some(HEAD.lines().count() + 1));
    assert_eq!(
        err.to_string(),
        format!(
            "agreement.toml:{}: rule \"x\": zone \"nowhere\" is not in the geometry file",
            HEAD.lines().count() + 1
        )
    );
    // The rendered form keeps the same text, for callers that build their own.
    let rendered = AgreementError::from(err.clone());
    assert_eq!(rendered.to_string(), err.to_string());
    assert_eq!(rendered.message, err.problem.to_string());

    let cases: [(String, Problem, &str); 4] = [
        (
            format!("{HEAD}[[rules]]\nid = \"c\"\nkind = \"cap\"\nzone = \"sq\"\nparty = \"A\"\ncategory = \"t\"\nmax = -1\n"),
            Problem::Rule { rule: "c".into(), problem: Box::new(RuleProblem::NegativeMax { max: -1 }) },
            "rule \"c\": max must be 0 or more, not -1",
        ),
        (
            format!("{HEAD}[[rules]]\nid = \"w\"\nkind = \"flyover\"\n"),
            Problem::Rule { rule: "w".into(), problem: Box::new(RuleProblem::UnknownKind { kind: "flyover".into() }) },
            "rule \"w\": unknown kind \"flyover\": expected exclusion, cap, standoff or separation",
        ),
        (
            format!("{HEAD}[[parties]]\nid = \"A\"\nname = \"again\"\nrole = \"party\"\n"),
            Problem::DeclaredTwice { what: "party", id: "A".into() },
            "party \"A\" is declared twice",
        ),
        (
            format!("{HEAD}[[rules]]\nid = \"s\"\nkind = \"standoff\"\ntarget = \"sq\"\nparties = [\"A\"]\nmin_km = 0\n"),
            Problem::Rule { rule: "s".into(), problem: Box::new(RuleProblem::MinKm { km: 0.0, max: limits::MAX_DISTANCE_KM }) },
            "rule \"s\": min_km must be above 0 and at most 20000 km, not 0",
        ),
    ];
    for (toml, problem, text) in cases {
        let err = load(&toml, &zones).unwrap_err();
        assert_eq!(err.problem, problem, "{toml}");
        assert!(err.to_string().ends_with(text), "{err}");
    }
    let err = load("[[parties]\n", &zones).unwrap_err();
    assert!(matches!(err.problem, Problem::Toml { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("agreement.toml:1: not a valid agreement: "),
        "{err}"
    );
}

#[test]
fn geometry_file_errors_say_what_and_where() {
    let err = load(HEAD, "{\"type\":\"FeatureCollection\",\n\"features\":[}").unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(matches!(err.problem, Problem::Json { .. }));
    assert!(
        err.to_string().starts_with("z.geojson:2: not valid JSON: "),
        "{err}"
    );
    for (text, problem) in [
        ("[]", Problem::NotFeatureCollection),
        (r#"{"type":"Feature"}"#, Problem::NotFeatureCollection),
        (
            r#"{"type":"FeatureCollection","features":{}}"#,
            Problem::NoFeatures,
        ),
        (r#"{"type":"FeatureCollection"}"#, Problem::NoFeatures),
        (
            &collection(r#"{"type":"Feature","properties":{"id":7}}"#),
            Problem::FeatureWithoutId { position: 1 },
        ),
        (&collection("3"), Problem::FeatureWithoutId { position: 1 }),
    ] {
        assert_eq!(load(HEAD, text).unwrap_err().problem, problem, "{text}");
    }
    let feature_problem = |geometry: &str| match geometry_error(geometry).problem {
        Problem::Feature { feature, problem } if feature == "f" => *problem,
        other => panic!("{geometry}: {other:?}"),
    };
    for (geometry, problem, text) in [
        ("null", FeatureProblem::NoGeometry, "no geometry"),
        (r#"{"type":"Polygon"}"#, FeatureProblem::NoCoordinates, "the geometry has no coordinates"),
        (r#"{"type":"Point","coordinates":[1,2]}"#, FeatureProblem::UnsupportedType { kind: "Point".into() }, "geometry type \"Point\" is not a zone (Polygon, MultiPolygon) or a line (LineString, MultiLineString)"),
        (r#"{"type":"Polygon","coordinates":3}"#, FeatureProblem::NotAnArray { what: "a list of rings" }, "a list of rings must be an array"),
        (r#"{"type":"Polygon","coordinates":[{}]}"#, FeatureProblem::NotAnArray { what: "a list of positions" }, "a list of positions must be an array"),
        (r#"{"type":"MultiPolygon","coordinates":"x"}"#, FeatureProblem::NotAnArray { what: "a MultiPolygon's coordinates" }, "a MultiPolygon's coordinates must be an array"),
        (r#"{"type":"LineString","coordinates":[[1,2],"p"]}"#, FeatureProblem::NotAnArray { what: "a position" }, "a position must be an array"),
        (r#"{"type":"LineString","coordinates":[[1,2],[1,2,3,4]]}"#, FeatureProblem::PositionArity { position: 2 }, "position 2 must have 2 (or 3) numbers"),
        (r#"{"type":"LineString","coordinates":[[1],[1,2]]}"#, FeatureProblem::PositionArity { position: 1 }, "position 1 must have 2 (or 3) numbers"),
        (r#"{"type":"LineString","coordinates":[[1,2],[1,"2"]]}"#, FeatureProblem::PositionNotNumbers { position: 2 }, "position 2 is not a pair of numbers"),
    ] {
        assert_eq!(feature_problem(geometry), problem, "{geometry}");
        assert_eq!(geometry_error(geometry).to_string(), format!("z.geojson: feature \"f\": {text}"));
    }
    // A third value (altitude, or anything) is allowed and ignored; the geometry is kept as
    // written.
    let a = load(
        HEAD,
        &collection(&feature(
            "l",
            r#"{"type":"LineString","coordinates":[[35,33,"x"],[36.5,34,null]]}"#,
        )),
    )
    .unwrap();
    assert!(matches!(a.features[0].shape, Shape::Line(_)));
    assert_eq!(
        a.features[0].geometry_json["coordinates"][1][0],
        serde_json::json!(36.5)
    );
    assert_eq!(
        a.features[0].geometry_json["coordinates"][0][2],
        serde_json::json!("x")
    );
}

#[test]
fn a_feature_just_over_the_vertex_limit_is_refused_naming_it() {
    // One position over the limit: the coordinates are counted as they are read, and the
    // positions past the limit are not kept.
    let n = MAX_VERTICES + 1;
    let mut coords = String::with_capacity(n * 12);
    coords.push('[');
    for k in 0..n {
        if k > 0 {
            coords.push(',');
        }
        coords.push_str(&format!("[{}.5,1]", k % 100));
    }
    coords.push(']');
    let geometry = format!(r#"{{"type":"LineString","coordinates":{coords}}}"#);
    let err = geometry_error(&geometry);
    assert_eq!(
        err.problem,
        Problem::Feature {
            feature: "f".into(),
            problem: Box::new(FeatureProblem::Geometry(GeometryError::TooManyVertices {
                count: n,
                max: MAX_VERTICES
            }))
        }
    );
    assert_eq!(
        err.to_string(),
        "z.geojson: feature \"f\": too many vertices: 1000001 positions, the limit is 1000000 per feature"
    );
}

#[test]
fn report_errors_are_typed_and_display_as_before() {
    let line = |count: &str, lon: &str, lat: &str| {
        format!(
            r#"{{"t":"2025-12-01T06:00:00Z","unit":"u","party":"SY","category":"tank","count":{count},"lon":{lon},"lat":{lat}}}"#
        )
    };
    for (text, want, message) in [
        (
            line("-3", "35", "33"),
            ReportError::NegativeCount { count: -3 },
            "`count` must be 0 or more, not -3",
        ),
        (
            line("1.5", "35", "33"),
            ReportError::CountNotWhole { text: "1.5".into() },
            "`count` must be a whole number, not 1.5",
        ),
        (
            line("1", "181", "33"),
            ReportError::Longitude { lon: 181.0 },
            "longitude 181 is out of range (-180 to 180)",
        ),
        (
            line("1", "35", "95.5"),
            ReportError::Latitude { lat: 95.5 },
            "latitude 95.5 is out of range (-90 to 90)",
        ),
    ] {
        let err = parse_report(text.as_bytes()).unwrap_err();
        assert_eq!(err, want, "{text}");
        assert_eq!(err.to_string(), message);
        assert_eq!(String::from(err), message);
    }
    let err = parse_report(b"[1,2]").unwrap_err();
    assert!(
        matches!(&err, ReportError::Json { message } if !message.contains(" at line ")),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("not a valid report: "));
    let err = parse_report(br#"{"t":"2025-12-01T06:00:00+01:00","unit":"u","party":"SY","category":"tank","lon":35,"lat":33}"#).unwrap_err();
    assert!(matches!(err, ReportError::Time(_)), "{err:?}");
    assert!(err.to_string().starts_with("`t`: "), "{err}");
    let long = vec![b' '; truceline_engine::report::MAX_LINE_BYTES + 1];
    assert_eq!(
        parse_report(&long).unwrap_err(),
        ReportError::LineTooLong {
            bytes: long.len(),
            max: truceline_engine::report::MAX_LINE_BYTES
        }
    );
}

#[test]
fn a_category_symbol_is_a_symbol_code_or_refused_with_its_line() {
    let zones = collection(&feature("sq", SQUARE));
    for good in ["SUGPUCA--------", "10031000001211000000"] {
        let toml =
            format!("{HEAD}[[categories]]\nid = \"tank\"\nname = \"Tanks\"\nsymbol = \"{good}\"\n");
        let agreement = load(&toml, &zones).unwrap();
        assert_eq!(agreement.categories[0].symbol.as_deref(), Some(good));
    }
    let toml =
        format!("{HEAD}[[categories]]\nid = \"tank\"\nname = \"Tanks\"\nsymbol = \"tank\"\n");
    let err = load(&toml, &zones).unwrap_err();
    assert_eq!(
        err.problem,
        Problem::BadSymbol {
            category: "tank".into(),
            symbol: "tank".into()
        }
    );
    assert_eq!(err.line, Some(HEAD.lines().count() + 1), "{err}");
}

/// A feature's names in other languages (`name:xx`, as OpenStreetMap writes them) are kept
/// by language; a malformed one is refused naming the feature and the key.
#[test]
fn names_in_other_languages_are_kept_and_bad_ones_refused() {
    let with = |props: &str| {
        collection(&format!(
            r#"{{"type":"Feature","properties":{{"id":"f",{props}}},"geometry":{SQUARE}}}"#
        ))
    };
    let a = load(
        HEAD,
        &with(r#""name":"Zone","name:ar":"منطقة","name:zh-Hant":"區","note":"kept out""#),
    )
    .unwrap();
    let names: Vec<(&str, &str)> = a.features[0]
        .names
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(names, vec![("ar", "منطقة"), ("zh-Hant", "區")]);
    for bad in [
        r#""name:ar":7"#,
        r#""name:ar":"""#,
        r#""name:":"x""#,
        r#""name:a b":"x""#,
        r#""name:abcdefghijklmnopq":"x""#,
    ] {
        let err = load(HEAD, &with(bad)).unwrap_err();
        match &err.problem {
            Problem::Feature { feature, problem } => {
                assert_eq!(feature, "f");
                assert!(
                    matches!(**problem, FeatureProblem::NameInLanguage { .. }),
                    "{bad}: {err}"
                );
            }
            other => panic!("{bad}: {other:?}"),
        }
        assert!(err.to_string().contains("properties.\"name:"), "{err}");
    }
    let many: Vec<String> = (0..=limits::MAX_NAMES_PER_FEATURE)
        .map(|i| format!(r#""name:x{i:02}":"n""#))
        .collect();
    let err = load(HEAD, &with(&many.join(","))).unwrap_err();
    assert!(err.to_string().contains("more than 64 names"), "{err}");
}
