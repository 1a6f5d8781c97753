//! Two agreements fed from one reading of each line (`classify_chunk_pair_into`, as
//! `truceline draft impact` does) say exactly what each says fed alone, and
//! `apply_chunk_attributed` says the same events as `apply_chunk`.

use std::path::Path;
use std::sync::Arc;

use truceline_engine::{
    classify_chunk, classify_chunk_pair_into, AgreementSource, ClassifiedChunk, Engine,
    PairClassifier,
};

fn load(dir: &str) -> Arc<truceline_engine::Agreement> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir);
    let text = std::fs::read_to_string(root.join("agreement.toml")).unwrap();
    let zones = std::fs::read_to_string(root.join("zones.geojson")).unwrap();
    Arc::new(
        AgreementSource::parse(&text, "agreement.toml")
            .unwrap()
            .build(&zones, "zones.geojson")
            .unwrap(),
    )
}

#[test]
fn a_pair_says_what_each_says_alone() {
    let a = load("examples/golan-illustrative");
    let b = load("examples/drafts/golan-every-zone");
    let tracks = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/golan-illustrative/tracks.jsonl"),
    )
    .unwrap();
    // Chunks of whole lines, as the replay cuts them (small, so that there are many).
    let mut chunks = Vec::new();
    let (mut start, mut line) = (0, 1u64);
    while start < tracks.len() {
        let mut end = (start + 40_000).min(tracks.len());
        while end < tracks.len() && tracks[end - 1] != b'\n' {
            end += 1;
        }
        chunks.push((start, end, line));
        line += tracks[start..end].iter().filter(|&&c| c == b'\n').count() as u64;
        start = end;
    }
    assert!(chunks.len() > 10);
    for (agreements, k) in [([&a, &b], 0), ([&a, &b], 1), ([&b, &a], 0), ([&a, &a], 1)] {
        let mut alone = Engine::new(agreements[k].clone());
        let mut paired = [
            Engine::new(agreements[0].clone()),
            Engine::new(agreements[1].clone()),
        ];
        let classifiers = PairClassifier::new(
            paired[0].classifier().clone(),
            paired[1].classifier().clone(),
        );
        let (mut want, mut got, mut causes) = (Vec::new(), Vec::new(), Vec::new());
        for &(s, e, first) in &chunks {
            let chunk = classify_chunk(alone.classifier(), &tracks[s..e], first);
            alone.apply_chunk(&chunk, &mut want).unwrap();
            let mut pair = [ClassifiedChunk::default(), ClassifiedChunk::default()];
            let [pa, pb] = &mut pair;
            classify_chunk_pair_into(&classifiers, &tracks[s..e], first, [pa, pb]);
            assert_eq!(pair[k].report_count(), chunk.report_count());
            paired[k]
                .apply_chunk_attributed(&pair[k], &mut got, &mut causes)
                .unwrap();
        }
        assert_eq!(got, want);
        if std::ptr::eq(agreements[0], agreements[1]) {
            let (shared, all) = classifiers.shared_predicates().unwrap();
            assert_eq!(shared, all, "a draft against itself shares every predicate");
        }
        assert_eq!(causes.len(), got.len());
        assert!(!want.is_empty());
        // Every event a report made names that report's party where it names one.
        for (event, cause) in got.iter().zip(&causes) {
            if let (Some(party), Some(cause)) = (&event.party, cause) {
                if event.kind != truceline_engine::EventKind::CapExceeded
                    && event.kind != truceline_engine::EventKind::CapRestored
                {
                    assert_eq!(**party, *agreements[k].parties[usize::from(*cause)].id);
                }
            }
        }
    }
}

#[test]
fn a_pair_stops_both_at_the_first_line_either_refuses() {
    let a = load("examples/golan-illustrative");
    let b = load("examples/drafts/golan-every-zone");
    let lines = b"{\"t\":\"2025-12-01T00:00:00Z\",\"unit\":\"u1\",\"party\":\"IL\",\"category\":\"tank\",\"lon\":35.7,\"lat\":33.1}\n\
{\"t\":\"2025-12-01T00:00:01Z\",\"unit\":\"u2\",\"party\":\"ZZ\",\"category\":\"tank\",\"lon\":35.7,\"lat\":33.1}\n\
{\"t\":\"2025-12-01T00:00:02Z\",\"unit\":\"u3\",\"party\":\"IL\",\"category\":\"tank\",\"lon\":35.7,\"lat\":33.1}\n";
    let (ca, cb) = (Engine::new(a), Engine::new(b));
    let mut pair = [ClassifiedChunk::default(), ClassifiedChunk::default()];
    let [pa, pb] = &mut pair;
    let classifiers = PairClassifier::new(ca.classifier().clone(), cb.classifier().clone());
    classify_chunk_pair_into(&classifiers, lines, 7, [pa, pb]);
    for chunk in &pair {
        assert_eq!(chunk.report_count(), 1);
        let err = chunk.error.as_ref().expect("the unknown party");
        assert_eq!(err.line, 8);
        assert!(err.message.contains("ZZ"), "{}", err.message);
    }
}
