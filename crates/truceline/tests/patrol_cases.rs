//! `truceline patrol coverage` over the cases in `tests/patrol/<case>/`: each a task, a
//! tracks file and the expected answer, written by hand from spec/operations.md (routes
//! along a meridian, where 100 m is a known latitude step, and line A of the example
//! reported at its own vertices). One check function compares every case: the printed
//! figures within 0.01 as the spec allows, or the exit status and message of bad input.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn check(case: &Path) {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap())
            .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_truceline"))
        .args(["patrol", "coverage", "task.toml", "tracks.jsonl"])
        .current_dir(case)
        .output()
        .unwrap();
    let name = case.file_name().unwrap().to_string_lossy();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Some(code) = expected.get("exit") {
        assert_eq!(
            out.status.code(),
            code.as_i64().map(|c| c as i32),
            "{name}: {stderr}"
        );
        let wanted = expected["stderr"].as_str().unwrap();
        assert!(
            stderr.contains(wanted),
            "{name}: {stderr:?} lacks {wanted:?}"
        );
        assert!(out.stdout.is_empty(), "{name}: printed on bad input");
        return;
    }
    assert!(out.status.success(), "{name}: {stderr}");
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "task",
        "unit",
        "route_km",
        "samples",
        "covered_samples",
        "coverage",
        "covered_km",
        "reports",
        "first_on_route",
        "last_on_route",
    ] {
        assert!(got.get(key).is_some(), "{name}: no {key} in {got}");
    }
    for (key, want) in expected.as_object().unwrap() {
        let have = &got[key];
        match (want.as_f64(), have.as_f64()) {
            (Some(w), Some(h)) if !want.is_u64() => {
                assert!((w - h).abs() <= 0.01, "{name}: {key} {h}, expected {w}")
            }
            _ => assert_eq!(have, want, "{name}: {key}"),
        }
    }
}

#[test]
fn every_patrol_case_gives_its_expected_answer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/patrol");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10);
    for case in &cases {
        check(case);
    }
}
