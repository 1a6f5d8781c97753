//! A new version entering into force (spec/negotiation.md), against what must hold whatever
//! the reports:
//! - amending to an identical version changes nothing: the same events, report by report;
//! - after the instant, the open breaches are those the new version alone would have on the
//!   same last positions (exclusions, standoffs, caps and separations depend only on them),
//!   a brute-force check of the state carried over and rebuilt;
//! - a version of another agreement, or an instant before the last report, is refused.

use std::collections::BTreeSet;
use std::sync::Arc;

mod support;

use proptest::prelude::*;
use support::{apply_all, at_minutes, reports};
use truceline_engine::{AgreementSource, AmendError, Classifier, Engine, Event, Timestamp};

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/scenarios");

fn load(dir: &str) -> Arc<Classifier> {
    let toml = std::fs::read_to_string(format!("{dir}/agreement.toml")).unwrap();
    let zones = std::fs::read_to_string(format!("{dir}/zones.geojson")).unwrap();
    let agreement = AgreementSource::parse(&toml, "agreement.toml")
        .unwrap()
        .build(&zones, "zones.geojson")
        .unwrap();
    Arc::new(Classifier::new(Arc::new(agreement)))
}

/// What a breach is, without its time or measures.
fn keys(events: &[Event]) -> BTreeSet<(String, String, Option<String>)> {
    events
        .iter()
        .map(|e| {
            (
                e.rule.to_string(),
                e.unit
                    .as_deref()
                    .filter(|_| !e.kind.as_str().starts_with("cap"))
                    .unwrap_or("")
                    .to_owned(),
                e.other.as_deref().map(str::to_owned),
            )
        })
        .collect()
}

const PAIRS: [(&str, &str); 4] = [
    ("amend-zone-enlarged", "amend-zone-enlarged/amend"),
    ("amend-cap-lowered", "amend-cap-lowered/amend"),
    ("amend-rule-removed", "amend-rule-removed/amend"),
    ("amend-unchanged", "amend-unchanged/amend"),
];

proptest! {
    #[test]
    fn amending_to_the_same_version_changes_nothing(
        steps in reports(5),
        pair in 0usize..4,
        amend_minutes in 0i64..300,
    ) {
        let old = load(&format!("{SCENARIOS}/{}", PAIRS[pair].0));
        let mut plain = Engine::with_classifier(old.clone());
        let mut amended = Engine::with_classifier(old.clone());
        amended
            .schedule_amendment(load(&format!("{SCENARIOS}/{}", PAIRS[pair].0)), at_minutes(amend_minutes))
            .unwrap();
        prop_assert_eq!(apply_all(&mut plain, &steps), apply_all(&mut amended, &steps));
    }

    #[test]
    fn after_the_instant_open_breaches_are_the_new_versions_own(
        steps in reports(5),
        pair in 0usize..4,
        amend_minutes in 0i64..300,
    ) {
        let (old_dir, new_dir) = PAIRS[pair];
        let new = load(&format!("{SCENARIOS}/{new_dir}"));
        let mut amended = Engine::with_classifier(load(&format!("{SCENARIOS}/{old_dir}")));
        let at = at_minutes(amend_minutes);
        amended.schedule_amendment(new.clone(), at).unwrap();
        apply_all(&mut amended, &steps);
        let last = amended.last_report_time().unwrap();
        prop_assume!(last >= at);
        // The new version alone on the same reports: the same last positions.
        let mut alone = Engine::with_classifier(new);
        apply_all(&mut alone, &steps);
        prop_assert_eq!(keys(&amended.open_breaches()), keys(&alone.open_breaches()));
        for rule in 0..amended.agreement().rules.len() as u32 {
            prop_assert_eq!(amended.cap_total(rule), alone.cap_total(rule));
            prop_assert_eq!(amended.rule_active(rule), alone.rule_active(rule));
        }
    }
}

#[test]
fn a_version_of_another_agreement_or_before_the_last_report_is_refused() {
    let old = load(&format!("{SCENARIOS}/amend-zone-enlarged"));
    let other = load(&format!("{SCENARIOS}/amend-cap-lowered/amend"));
    let mut engine = Engine::with_classifier(old.clone());
    assert!(matches!(
        engine.schedule_amendment(other, Timestamp::from_unix_seconds(0)),
        Err(AmendError::OtherAgreement { .. })
    ));
    apply_all(&mut engine, &[(60, 0, 1, 1, 1)]);
    let last = engine.last_report_time().unwrap();
    assert_eq!(
        engine.schedule_amendment(old.clone(), last),
        Err(AmendError::NotAfterLastReport { at: last, last })
    );
    let later = Timestamp::from_unix_seconds(last.unix_seconds() + 60);
    engine.schedule_amendment(old.clone(), later).unwrap();
    assert_eq!(
        engine.schedule_amendment(old, later),
        Err(AmendError::AlreadyDue { at: later })
    );
}
