//! The agreement's `[operations]` terms: defaults when absent, read when given, and a term
//! out of range or unknown refused with the file and line.

use truceline_engine::agreement::FutureRoutes;
use truceline_engine::{AgreementSource, LoadError, Problem};

const HEAD: &str =
    "[agreement]\nid = \"t\"\ntitle = \"T\"\nversion = 1\ngeometry = \"z.geojson\"\n\
    [[parties]]\nid = \"A\"\nname = \"A\"\nrole = \"party\"\n";
const ZONES: &str = r#"{"type":"FeatureCollection","features":[]}"#;

fn load(extra: &str) -> Result<truceline_engine::Agreement, LoadError> {
    AgreementSource::parse(&format!("{HEAD}{extra}"), "agreement.toml")?.build(ZONES, "z.geojson")
}

#[test]
fn absent_terms_are_the_defaults() {
    let a = load("").unwrap();
    let t = a.operations();
    assert_eq!(t.patrol_notice_minutes, 60);
    assert_eq!(t.patrol_report_due_minutes, 120);
    assert_eq!(t.inspection_cadence_days, 15);
    assert_eq!(t.inspection_request_hours, 48);
    assert_eq!(t.coverage_corridor_m, 500);
    assert_eq!(t.future_routes, FutureRoutes::Announced);
}

#[test]
fn given_terms_are_read_and_the_rest_default() {
    let a = load("[operations]\nfuture_routes = \"force_only\"\npatrol_observers = 2\n").unwrap();
    assert_eq!(a.operations().future_routes, FutureRoutes::ForceOnly);
    assert_eq!(a.operations().patrol_observers, 2);
    assert_eq!(a.operations().inspection_cadence_days, 15);
}

#[test]
fn a_term_out_of_range_names_its_key_and_line() {
    let err = load("[operations]\ninspection_cadence_days = 0\n").unwrap_err();
    assert_eq!(
        err.problem,
        Problem::OperationsTerm {
            key: "inspection_cadence_days",
            range: "1 to 365"
        }
    );
    assert_eq!(err.line, Some(10));
    assert_eq!(
        err.to_string(),
        "agreement.toml:10: [operations] inspection_cadence_days: 1 to 365"
    );
}

#[test]
fn an_unknown_term_is_refused() {
    let err = load("[operations]\npatrol_notice_hours = 1\n").unwrap_err();
    assert!(matches!(err.problem, Problem::Toml { .. }), "{err}");
    assert!(err.to_string().starts_with("agreement.toml:"), "{err}");
}
