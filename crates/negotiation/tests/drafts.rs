//! Drafts: the engine's errors come through; the hash depends on content only.

use truceline_negotiation::{diff, Draft, DraftError, DraftSource};

const TOML: &str =
    "[agreement]\nid = \"t\"\ntitle = \"T\"\nversion = 1\ngeometry = \"z.geojson\"\n\
    [[parties]]\nid = \"A\"\nname = \"A\"\nrole = \"party\"\n\
    [[categories]]\nid = \"tank\"\nname = \"Tanks\"\n\
    [[rules]]\nid = \"x\"\nkind = \"standoff\"\ntarget = \"sq\"\nparties = [\"A\"]\nmin_km = 25\n";
const ZONES: &str = r#"{"type":"FeatureCollection","features":[
    {"type":"Feature","properties":{"id":"sq"},"geometry":{"type":"Polygon","coordinates":[[[35,33],[36,33],[36,34],[35,34],[35,33]]]}}]}"#;

fn load(toml: &str, zones: &str) -> Result<Draft, DraftError> {
    DraftSource::parse(toml, "agreement.toml")?.build(zones, "z.geojson")
}

#[test]
fn the_hash_is_the_content_not_the_text() {
    let a = load(TOML, ZONES).unwrap();
    let respaced = format!(
        "# a comment\n{}",
        TOML.replace("min_km = 25", "min_km    = 25.0")
    );
    let zones = ZONES
        .replace("[[[35,33]", "[[[35.0, 33.0]")
        .replace('\n', "\n\n  ");
    let b = load(&respaced, &zones).unwrap();
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(a.sha256.len(), 64);
    let c = load(&TOML.replace("min_km = 25", "min_km = 26"), ZONES).unwrap();
    assert_ne!(a.sha256, c.sha256);
    let report = diff(&a, &b);
    assert_eq!(report.summary.rules_changed, 0);
    assert_eq!(
        report.summary.zones_changed, 0,
        "the same coordinates written differently"
    );
}

#[test]
fn bad_drafts_are_refused_with_the_loaders_file_and_line() {
    let err = load(
        &TOML.replace("target = \"sq\"", "target = \"nowhere\""),
        ZONES,
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("agreement.toml:13: rule \"x\""),
        "{err}"
    );
    assert!(matches!(err, DraftError::Load(_)));
    let err = load("[agreement\n", ZONES).unwrap_err();
    assert!(err.to_string().starts_with("agreement.toml:1:"), "{err}");
    let err = load(TOML, &ZONES.replace("[35,33]]]", "[35,33.5]]]")).unwrap_err();
    assert!(
        err.to_string().starts_with("z.geojson: feature \"sq\""),
        "{err}"
    );
    // Loads, but has no canonical form: a key written twice in the geometry.
    let twice = ZONES.replace(
        "\"properties\":{\"id\":\"sq\"}",
        "\"properties\":{\"id\":\"sq\",\"id\":\"sq\"}",
    );
    if let Err(err) = load(TOML, &twice) {
        assert!(err.to_string().starts_with("z.geojson"), "{err}");
    }
}

#[test]
fn phases_and_a_rule_after_a_phase_are_compared_key_by_key() {
    let phased = |name: &str, delay: u32| {
        TOML.replace(
            "[[rules]]",
            &format!("[[phases]]\nid = \"w1\"\nname = \"{name}\"\n[[rules]]"),
        )
        .replace(
            "min_km = 25\n",
            &format!("min_km = 25\nactive_after = {{ phase = \"w1\", delay_minutes = {delay} }}\n"),
        )
    };
    let a = load(&phased("First withdrawal", 60), ZONES).unwrap();
    let b = load(&phased("First withdrawal, armour", 1440), ZONES).unwrap();
    let report = diff(&a, &b);
    assert_eq!(report.phases.len(), 1);
    assert_eq!(report.phases[0].id, "w1");
    assert_eq!(report.phases[0].changes[0].key, "name");
    assert_eq!(report.summary.rules_changed, 1);
    let change = &report.rules[0].changes[0];
    assert_eq!(change.key, "active_after");
    assert_eq!(change.b["delay_minutes"], 1440);
    // The same phases: none listed, as for parties and categories.
    assert!(diff(&a, &a).phases.is_empty());
}
