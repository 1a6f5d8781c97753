//! Phases certified complete (docs/agreement-format.md, phases), against what must hold:
//! - a rule `active_after` a phase certified at `t` behaves, report by report, exactly as
//!   the same rule with `active_from = t + delay` (the brute-force version: the calendar);
//! - until its phase is certified, such a rule says nothing;
//! - an amendment carries certifications over: the new version's rule after the phase
//!   starts from the same instant;
//! - bad phases and certifications are refused with what is wrong, changing nothing.

use std::sync::Arc;

mod support;

use proptest::prelude::*;
use support::{apply_all, at_minutes, reports};
use truceline_engine::{
    AgreementSource, Classifier, Engine, LoadError, PhaseError, Problem, RuleProblem,
};

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/scenarios");

/// The cap-lowered scenario's agreement with `start` put into its first rule and, when
/// `phases`, a `[[phases]]` table.
fn agreement_toml(start: &str, phases: bool) -> String {
    let base =
        std::fs::read_to_string(format!("{SCENARIOS}/amend-cap-lowered/agreement.toml")).unwrap();
    let with_start = base.replacen("max = 30\n", &format!("max = 30\n{start}\n"), 1);
    if phases {
        with_start.replacen(
            "[[rules]]",
            "[[phases]]\nid = \"withdrawal-1\"\nname = \"First withdrawal\"\n\n\
             [[phases]]\nid = \"withdrawal-2\"\nname = \"Second withdrawal\"\n\n[[rules]]",
            1,
        )
    } else {
        with_start
    }
}

fn load(toml: &str) -> Result<Arc<Classifier>, LoadError> {
    let zones =
        std::fs::read_to_string(format!("{SCENARIOS}/amend-cap-lowered/zones.geojson")).unwrap();
    let agreement =
        AgreementSource::parse(toml, "agreement.toml")?.build(&zones, "zones.geojson")?;
    Ok(Arc::new(Classifier::new(Arc::new(agreement))))
}

proptest! {
    #[test]
    fn a_certified_phase_is_the_calendar_from_its_instant_plus_delay(
        steps in reports(40),
        certified_minutes in 0i64..300,
        delay_minutes in 0i64..120,
        until in prop::option::of(0i64..400),
    ) {
        let until_key = until.map_or(String::new(), |m| format!("active_until = \"{}\"", at_minutes(m)));
        let opens = certified_minutes + delay_minutes;
        prop_assume!(until.is_none_or(|u| u > opens));
        let phased = load(&agreement_toml(
            &format!("active_after = {{ phase = \"withdrawal-1\", delay_minutes = {delay_minutes} }}\n{until_key}"),
            true,
        )).unwrap();
        let calendar = load(&agreement_toml(
            &format!("active_from = \"{}\"\n{until_key}", at_minutes(opens)),
            false,
        )).unwrap();
        let mut by_phase = Engine::with_classifier(phased);
        by_phase.certify_phase("withdrawal-1", at_minutes(certified_minutes)).unwrap();
        let mut by_date = Engine::with_classifier(calendar);
        prop_assert_eq!(apply_all(&mut by_phase, &steps), apply_all(&mut by_date, &steps));
    }

    #[test]
    fn an_amendment_keeps_the_certifications_made(
        steps in reports(40),
        certified_minutes in 0i64..100,
        amend_minutes in 0i64..300,
    ) {
        // Version 2 extends the delay: the rule is changed, and starts from the same
        // certification with the new delay.
        let v1 = load(&agreement_toml("active_after = { phase = \"withdrawal-1\", delay_minutes = 30 }", true)).unwrap();
        let v2 = load(&agreement_toml("active_after = { phase = \"withdrawal-1\", delay_minutes = 90 }", true)).unwrap();
        let mut amended = Engine::with_classifier(v1);
        amended.certify_phase("withdrawal-1", at_minutes(certified_minutes)).unwrap();
        amended.schedule_amendment(v2.clone(), at_minutes(amend_minutes)).unwrap();
        apply_all(&mut amended, &steps);
        prop_assume!(amended.last_report_time().is_some_and(|last| last >= at_minutes(amend_minutes)));
        let mut alone = Engine::with_classifier(v2);
        alone.certify_phase("withdrawal-1", at_minutes(certified_minutes)).unwrap();
        apply_all(&mut alone, &steps);
        prop_assert_eq!(amended.rule_start(0), Some(at_minutes(certified_minutes + 90)));
        for rule in 0..amended.agreement().rules.len() as u32 {
            prop_assert_eq!(amended.rule_active(rule), alone.rule_active(rule));
            prop_assert_eq!(amended.cap_total(rule), alone.cap_total(rule));
        }
        prop_assert_eq!(amended.open_breaches().len(), alone.open_breaches().len());
    }
}

#[test]
fn a_rule_waiting_for_its_phase_says_nothing() {
    let toml = agreement_toml(
        "active_after = { phase = \"withdrawal-1\", delay_minutes = 0 }",
        true,
    );
    let mut engine = Engine::with_classifier(load(&toml).unwrap());
    // 35 tanks of A in the area, over the cap of 30, all day: no cap event without the phase.
    let events = apply_all(&mut engine, &[(0, 1, 2, 2, 35), (600, 1, 2, 2, 35)]);
    assert!(
        events.iter().all(|e| &*e.rule != "cap-a-tank"),
        "{events:?}"
    );
    assert!(!engine.rule_active(0));
    assert_eq!(engine.rule_start(0), None);
}

#[test]
fn bad_phases_are_refused_with_their_rule() {
    let problem = |start: &str, phases: bool| match load(&agreement_toml(start, phases)) {
        Err(LoadError {
            problem: Problem::Rule { rule, problem },
            line,
            ..
        }) => {
            assert_eq!(rule, "cap-a-tank");
            assert!(line.is_some());
            *problem
        }
        other => panic!("expected a rule problem, got {other:?}"),
    };
    assert_eq!(
        problem(
            "active_after = { phase = \"withdrawal-9\", delay_minutes = 0 }",
            true
        ),
        RuleProblem::UnknownPhase {
            phase: "withdrawal-9".into()
        }
    );
    assert_eq!(
        problem(
            "active_after = { phase = \"withdrawal-1\", delay_minutes = 0 }",
            false
        ),
        RuleProblem::UnknownPhase {
            phase: "withdrawal-1".into()
        }
    );
    assert_eq!(
        problem(
            "active_after = { phase = \"withdrawal-1\", delay_minutes = 0 }\n\
             active_from = \"2026-01-01T00:00:00Z\"",
            true
        ),
        RuleProblem::TwoStarts
    );
    assert!(matches!(
        problem(
            "active_after = { phase = \"withdrawal-1\", delay_minutes = -5 }",
            true
        ),
        RuleProblem::PhaseDelay { minutes: -5, .. }
    ));
    assert!(matches!(
        problem(
            "active_after = { phase = \"withdrawal-1\", delay_minutes = 999999999 }",
            true
        ),
        RuleProblem::PhaseDelay { .. }
    ));
    // An unknown key in the table is the TOML reader's error, with its line.
    let err = load(&agreement_toml(
        "active_after = { phase = \"withdrawal-1\", delay = 5 }",
        true,
    ))
    .unwrap_err();
    assert!(err.to_string().contains("delay"), "{err}");
    // A phase declared twice.
    let twice = agreement_toml("", true).replacen("withdrawal-2", "withdrawal-1", 1);
    let err = load(&twice).unwrap_err();
    assert!(err.to_string().contains("declared twice"), "{err}");
}

#[test]
fn bad_certifications_are_refused_and_change_nothing() {
    let toml = agreement_toml(
        "active_after = { phase = \"withdrawal-1\", delay_minutes = 10 }",
        true,
    );
    let mut engine = Engine::with_classifier(load(&toml).unwrap());
    assert!(matches!(
        engine.certify_phase("nope", at_minutes(0)),
        Err(PhaseError::UnknownPhase { .. })
    ));
    apply_all(&mut engine, &[(60, 1, 2, 2, 35)]);
    // Certified at 45 min, the rule would open at 55 min, before the report at 60.
    assert!(matches!(
        engine.certify_phase("withdrawal-1", at_minutes(45)),
        Err(PhaseError::NotAfterLastReport { .. })
    ));
    assert_eq!(engine.certified_phases().count(), 0);
    assert_eq!(engine.rule_start(0), None);
    engine
        .certify_phase("withdrawal-1", at_minutes(60))
        .unwrap();
    assert_eq!(
        engine.certify_phase("withdrawal-1", at_minutes(70)),
        Err(PhaseError::AlreadyCertified {
            phase: "withdrawal-1".into(),
            at: at_minutes(60)
        })
    );
    // The rule opens at 70 min on the tanks already there.
    let events = apply_all(&mut engine, &[(80, 1, 2, 2, 35)]);
    let opened: Vec<_> = events.iter().filter(|e| &*e.rule == "cap-a-tank").collect();
    assert_eq!(opened.len(), 1, "{events:?}");
    assert_eq!(opened[0].t, at_minutes(70));
}
