//! The conformance scenarios (tests/scenarios, vendored from shared/scenarios), run through
//! the real binary: one check per scenario folder, compared the way
//! shared/tools/conformance compares (canonical order, exact fields, distances within 1 m).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const EXACT_FIELDS: [&str; 11] = [
    "rule", "kind", "unit", "other", "zone", "party", "category", "target", "value", "limit",
    "reason",
];
const DISTANCE_TOLERANCE_KM: f64 = 0.001;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios")
}

fn read_jsonl(text: &str, what: &str) -> Vec<Value> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{what} line {}: {e}: {l}", i + 1))
        })
        .collect()
}

fn sort_key(e: &Value) -> (String, String, String, String, String) {
    let field = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    // Times in this suite are whole seconds written the same way, so text order is time order.
    (
        field("t"),
        field("rule"),
        field("kind"),
        field("unit"),
        field("other"),
    )
}

fn first_difference(got: &Value, want: &Value) -> Option<String> {
    if got.get("t") != want.get("t") {
        return Some("t".into());
    }
    for f in EXACT_FIELDS {
        let (g, w) = (got.get(f), want.get(f));
        let same = match (g.and_then(Value::as_f64), w.and_then(Value::as_f64)) {
            (Some(a), Some(b)) if f == "value" || f == "limit" => a == b,
            _ => g == w,
        };
        if !same {
            return Some(f.into());
        }
    }
    for f in ["distance_km", "limit_km"] {
        match (
            got.get(f).and_then(Value::as_f64),
            want.get(f).and_then(Value::as_f64),
        ) {
            (None, None) => {}
            (Some(a), Some(b)) if (a - b).abs() <= DISTANCE_TOLERANCE_KM => {}
            _ => return Some(f.into()),
        }
    }
    None
}

fn run_replay(dir: &Path, extra: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_truceline"))
        .arg("replay")
        .arg(dir.join("agreement.toml"))
        .arg(dir.join("tracks.jsonl"))
        .args(extra)
        .output()
        .expect("the truceline binary runs")
}

/// The words of the scenario's `args` file, a word naming a file or folder of the scenario
/// made its path (as shared/tools/conformance does).
fn scenario_args(dir: &Path) -> Vec<std::ffi::OsString> {
    let Ok(text) = std::fs::read_to_string(dir.join("args")) else {
        return Vec::new();
    };
    text.split_whitespace()
        .map(|word| {
            let path = dir.join(word);
            if path.exists() {
                path.into_os_string()
            } else {
                word.into()
            }
        })
        .collect()
}

fn check_scenario(dir: &Path) -> Result<(), String> {
    let args = scenario_args(dir);
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let output = run_replay(dir, &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("panicked") {
        return Err(format!("panicked: {stderr}"));
    }
    if let Ok(want) = std::fs::read_to_string(dir.join("expect-error")) {
        let want = want.trim();
        if output.status.code() != Some(2) {
            return Err(format!(
                "exit status {:?}, expected 2; stderr: {stderr}",
                output.status.code()
            ));
        }
        if !stderr.contains(want) {
            return Err(format!("stderr does not name {want:?}: {stderr}"));
        }
        return Ok(());
    }
    if !output.status.success() {
        return Err(format!(
            "exit status {:?}; stderr: {stderr}",
            output.status.code()
        ));
    }
    let mut got = read_jsonl(&String::from_utf8_lossy(&output.stdout), "stdout");
    let mut want = read_jsonl(
        &std::fs::read_to_string(dir.join("expected.jsonl")).unwrap(),
        "expected.jsonl",
    );
    got.sort_by_key(sort_key);
    want.sort_by_key(sort_key);
    for (g, w) in got.iter().zip(&want) {
        if let Some(field) = first_difference(g, w) {
            return Err(format!(
                "first difference in {field}:\n  got  {g}\n  want {w}"
            ));
        }
    }
    if got.len() != want.len() {
        return Err(format!("{} events, expected {}", got.len(), want.len()));
    }
    Ok(())
}

#[test]
fn every_conformance_scenario_passes() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("tests/scenarios exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 16,
        "the vendored suite has at least 16 scenarios"
    );
    let failures: Vec<String> = dirs
        .iter()
        .filter_map(|d| {
            check_scenario(d)
                .err()
                .map(|why| format!("{}: {why}", d.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}

#[test]
fn out_file_appears_only_when_the_replay_succeeds() {
    let tmp = std::env::temp_dir().join(format!("truceline-out-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let good = tmp.join("good.jsonl");
    let output = run_replay(
        &scenarios_dir().join("edges-windows"),
        &["--out".as_ref(), good.as_os_str()],
    );
    assert!(output.status.success());
    assert!(
        output.stdout.is_empty(),
        "with --out, nothing goes to stdout"
    );
    assert_eq!(
        read_jsonl(&std::fs::read_to_string(&good).unwrap(), "out").len(),
        11
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("11 events") && stderr.contains("reports/s"),
        "summary on stderr: {stderr}"
    );

    let bad = tmp.join("bad.jsonl");
    let output = run_replay(
        &scenarios_dir().join("bad-time-order"),
        &["--out".as_ref(), bad.as_os_str()],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !bad.exists(),
        "a failed replay left {} behind",
        bad.display()
    );
    assert!(!bad.with_extension("partial").exists());
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn one_thread_and_many_threads_say_the_same() {
    let dir = scenarios_dir().join("golan-illustrative");
    let one = run_replay(&dir, &["--threads".as_ref(), "1".as_ref()]);
    let many = run_replay(&dir, &["--threads".as_ref(), "7".as_ref()]);
    assert!(one.status.success() && many.status.success());
    assert!(!one.stdout.is_empty());
    assert_eq!(
        one.stdout, many.stdout,
        "events depend on the number of threads"
    );
}

#[test]
fn check_describes_the_example() {
    let output = Command::new(env!("CARGO_BIN_EXE_truceline"))
        .arg("check")
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/golan-illustrative/agreement.toml"),
        )
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "golan-illustrative",
        "AOS",
        "km²",
        "line-a",
        "il-sy-separation",
        "2025-12-02T04:48:00Z",
        "valid",
    ] {
        assert!(
            text.contains(needle),
            "check output lacks {needle:?}:\n{text}"
        );
    }
}

#[test]
fn demo_prints_findings_a_person_reads() {
    let output = Command::new(env!("CARGO_BIN_EXE_truceline"))
        .args(["demo", "--offline"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    for needle in ["Rule by rule", "aos-no-forces", "536 events", "entered AOS"] {
        assert!(
            text.contains(needle),
            "demo output lacks {needle:?}:\n{text}"
        );
    }
}
