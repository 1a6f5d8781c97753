//! `Engine::check_batch` refuses exactly what applying the same reports one by one would:
//! the same first report and the same reason. The server relies on it to apply a batch
//! whole or not at all.

use std::sync::Arc;

use proptest::prelude::*;
use truceline_engine::{AgreementSource, Classifier, Engine, Hit, ReportRef, Timestamp};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/golan-illustrative"
);

/// Loaded once: building the classifier costs more than a case.
fn classifier() -> Arc<Classifier> {
    static CLASSIFIER: std::sync::OnceLock<Arc<Classifier>> = std::sync::OnceLock::new();
    Arc::clone(CLASSIFIER.get_or_init(load))
}

fn load() -> Arc<Classifier> {
    let toml = std::fs::read_to_string(format!("{DIR}/agreement.toml")).unwrap();
    let zones = std::fs::read_to_string(format!("{DIR}/zones.geojson")).unwrap();
    let agreement = AgreementSource::parse(&toml, "agreement.toml")
        .unwrap()
        .build(&zones, "zones.geojson")
        .unwrap();
    Arc::new(Classifier::new(Arc::new(agreement)))
}

/// (seconds, unit, party, category): a few units, so that some change party or category,
/// and times that sometimes go back.
fn reports() -> impl Strategy<Value = Vec<(i64, usize, u16, u16)>> {
    prop::collection::vec((0i64..40, 0usize..6, 0u16..2, 0u16..2), 0..30)
}

proptest! {
    #[test]
    fn check_batch_refuses_what_apply_refuses(
        before in reports(),
        batch in reports(),
    ) {
        let classifier = classifier();
        let names: Vec<String> = (0..6).map(|u| format!("u{u}")).collect();
        let no_hits: &[Hit] = &[];
        let as_ref = |&(s, u, p, c): &(i64, usize, u16, u16)| ReportRef {
            t: Timestamp(s * 1_000_000_000),
            unit: &names[u],
            party: p,
            category: c,
            count: 1,
            lon: 35.8,
            lat: 33.0,
            hits: no_hits,
        };
        // An engine with some state already: the reports of `before` it accepts.
        let mut checked = Engine::with_classifier(Arc::clone(&classifier));
        let mut applied = Engine::with_classifier(Arc::clone(&classifier));
        let mut events = Vec::new();
        for r in &before {
            let _ = checked.apply(&as_ref(r), &mut events);
            let _ = applied.apply(&as_ref(r), &mut events);
        }
        let verdict = checked.check_batch(batch.iter().map(as_ref));
        let mut first_refusal = None;
        for (i, r) in batch.iter().enumerate() {
            if let Err(why) = applied.apply(&as_ref(r), &mut events) {
                first_refusal = Some((i, why));
                break;
            }
        }
        match (verdict, first_refusal) {
            (Ok(()), None) => {}
            (Err(got), Some(want)) => prop_assert_eq!(got, want),
            (got, want) => prop_assert!(false, "check_batch said {:?}, applying {:?}", got, want),
        }
        // Checking changed nothing.
        prop_assert_eq!(checked.unit_count(), {
            let mut fresh = Engine::with_classifier(Arc::clone(&classifier));
            for r in &before {
                let _ = fresh.apply(&as_ref(r), &mut events);
            }
            fresh.unit_count()
        });
    }
}
