//! `truceline draft diff` and `draft impact` on the draft pairs in tests/drafts, run
//! through the real binary: one check per case folder (see tests/drafts/README.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/drafts")
}

fn truceline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_truceline"))
        .args(args)
        .current_dir(cases_dir())
        .output()
        .expect("run truceline")
}

/// Within the contract's tolerance for the key the number is under.
fn close(key: &str, got: f64, want: f64) -> bool {
    let d = (got - want).abs();
    if key.ends_with("_km2") {
        d <= 0.05 || d <= 0.005 * want.abs()
    } else if key == "max_offset_m" {
        d <= 5.0 || d <= 0.01 * want.abs()
    } else if key.starts_with("length_") {
        d <= 0.001 * want.abs() + 1e-9
    } else {
        got == want
    }
}

/// The first difference between `got` and `want`, as a path and why.
fn compare(path: &str, key: &str, got: &Value, want: &Value) -> Option<String> {
    match (got, want) {
        (_, Value::String(s)) if s == "*" => None,
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            (!close(key, g, w)).then(|| format!("{path}: {g} where {w} was expected"))
        }
        (Value::Array(g), Value::Array(w)) => {
            if g.len() != w.len() {
                return Some(format!("{path}: {} items, {} expected", g.len(), w.len()));
            }
            g.iter()
                .zip(w)
                .enumerate()
                .find_map(|(i, (g, w))| compare(&format!("{path}[{i}]"), key, g, w))
        }
        (Value::Object(g), Value::Object(w)) => {
            let (gk, wk): (Vec<_>, Vec<_>) = (g.keys().collect(), w.keys().collect());
            if gk != wk {
                return Some(format!("{path}: keys {gk:?}, expected {wk:?}"));
            }
            g.iter()
                .find_map(|(k, v)| compare(&format!("{path}.{k}"), k, v, &w[k]))
        }
        _ => (got != want).then(|| format!("{path}: {got} where {want} was expected")),
    }
}

fn json_out(out: &Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"))
}

/// Breaches per rule in `truceline replay`'s events.
fn replay_breaches(agreement: &str, tracks: &str) -> BTreeMap<String, u64> {
    let out = truceline(&["replay", agreement, tracks]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut counts = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let kind = e["kind"].as_str().unwrap();
        if kind.ends_with("_breach") || kind == "cap_exceeded" {
            *counts
                .entry(e["rule"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    counts
}

fn check(case: &str) -> Vec<String> {
    let dir = cases_dir().join(case);
    let (a, b) = (
        format!("{case}/a/agreement.toml"),
        format!("{case}/b/agreement.toml"),
    );
    let mut failures = Vec::new();
    if let Ok(needles) = std::fs::read_to_string(dir.join("expect-error")) {
        let out = truceline(&["draft", "diff", &a, &b]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2) {
            failures.push(format!("{case}: exit {:?}, 2 expected", out.status.code()));
        }
        for needle in needles.lines().filter(|l| !l.is_empty()) {
            if !stderr.contains(needle) {
                failures.push(format!("{case}: {stderr:?} lacks {needle:?}"));
            }
        }
        if stderr.contains("panicked") {
            failures.push(format!("{case}: panicked"));
        }
        return failures;
    }
    let got = json_out(&truceline(&["draft", "diff", &a, &b]), case);
    if let Ok(text) = std::fs::read_to_string(dir.join("expected-diff.json")) {
        let want: Value = serde_json::from_str(&text).unwrap();
        failures.extend(compare(case, "", &got, &want));
    }
    if dir.join("same-hash").exists() {
        if got["a"]["sha256"] != got["b"]["sha256"] {
            failures.push(format!("{case}: the hashes differ"));
        }
        let s = &got["summary"];
        if s["disputed_km2"] != 0.0 || s["zones_changed"] != 0 || s["rules_changed"] != 0 {
            failures.push(format!("{case}: differences found: {s}"));
        }
    }
    if dir.join("tracks.jsonl").exists() {
        let tracks = format!("{case}/tracks.jsonl");
        let got = json_out(
            &truceline(&["draft", "impact", "--baseline", &a, "--draft", &b, &tracks]),
            case,
        );
        if let Ok(text) = std::fs::read_to_string(dir.join("expected-impact.json")) {
            let want: Value = serde_json::from_str(&text).unwrap();
            if got != want {
                failures.push(format!("{case}: impact {got}, expected {want}"));
            }
        }
        for (side, agreement) in [("a", &a), ("b", &b)] {
            let replayed = replay_breaches(agreement, &tracks);
            for rule in got["rules"].as_array().unwrap() {
                let id = rule["id"].as_str().unwrap();
                let n = rule[format!("breaches_{side}")].as_u64().unwrap();
                if n != replayed.get(id).copied().unwrap_or(0) {
                    failures.push(format!(
                        "{case}: {id} under {side}: {n}, replay says {replayed:?}"
                    ));
                }
            }
        }
    }
    failures
}

#[test]
fn every_draft_pair() {
    let mut cases: Vec<String> = std::fs::read_dir(cases_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(cases.len() >= 4, "{cases:?}");
    let failures: Vec<String> = cases.iter().flat_map(|c| check(c)).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The bundled example against a draft with every zone changed: the report's invariants
/// (pieces add up to each draft's area, swapping the drafts swaps them), the printable
/// page, and the impact's counts against `replay`'s.
#[test]
fn the_example_against_every_zone_changed() {
    let a = "../../examples/golan-illustrative/agreement.toml";
    let b = "../../examples/drafts/golan-every-zone/agreement.toml";
    let page = std::env::temp_dir().join(format!("truceline-gap-{}.html", std::process::id()));
    let page_arg = page.display().to_string();
    let ab = json_out(
        &truceline(&["draft", "diff", a, b, "--html", &page_arg]),
        "a b",
    );
    let ba = json_out(&truceline(&["draft", "diff", b, a]), "b a");
    let html = std::fs::read_to_string(&page).unwrap();
    let _ = std::fs::remove_file(&page);
    assert!(html.starts_with("<!doctype html>") && html.contains("<svg"));
    assert!(
        !html.contains("src=") && !html.contains("href=") && !html.contains("@import"),
        "no network assets"
    );
    assert!(!html.contains("<script"), "no script");
    let zones = ab["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 6);
    for (x, y) in zones.iter().zip(ba["zones"].as_array().unwrap()) {
        let f = |v: &Value, k: &str| v[k].as_f64().unwrap();
        assert_eq!(x["status"], "changed", "{x}");
        let tol = |area: f64| 0.05f64.max(0.005 * area);
        assert!(
            (f(x, "only_a_km2") + f(x, "both_km2") - f(x, "area_a_km2")).abs()
                < tol(f(x, "area_a_km2")),
            "{x}"
        );
        assert!(
            (f(x, "only_b_km2") + f(x, "both_km2") - f(x, "area_b_km2")).abs()
                < tol(f(x, "area_b_km2")),
            "{x}"
        );
        assert!(
            (f(x, "only_a_km2") - f(y, "only_b_km2")).abs() < 1e-3,
            "{x} {y}"
        );
        assert!(
            (f(x, "only_b_km2") - f(y, "only_a_km2")).abs() < 1e-3,
            "{x} {y}"
        );
        assert!(
            (f(x, "both_km2") - f(y, "both_km2")).abs() < 1e-3,
            "{x} {y}"
        );
    }
    assert_eq!(ab["summary"]["zones_changed"], 6);
    let tracks = "../../examples/golan-illustrative/tracks.jsonl";
    let impact = json_out(
        &truceline(&["draft", "impact", "--baseline", a, "--draft", b, tracks]),
        "impact",
    );
    for (side, agreement) in [("a", a), ("b", b)] {
        let replayed = replay_breaches(agreement, tracks);
        for rule in impact["rules"].as_array().unwrap() {
            let id = rule["id"].as_str().unwrap();
            assert_eq!(
                rule[format!("breaches_{side}")].as_u64().unwrap(),
                replayed.get(id).copied().unwrap_or(0),
                "{id} under {side}"
            );
        }
        let by_party: u64 = impact["parties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[format!("breaches_{side}")].as_u64().unwrap())
            .sum();
        assert_eq!(
            by_party,
            replayed.values().sum::<u64>(),
            "parties add up under {side}"
        );
    }
}

#[test]
fn impact_refuses_reports_one_draft_does_not_know() {
    // Draft B declares a category A does not: a report of it is bad input under A.
    let tracks =
        std::env::temp_dir().join(format!("truceline-impact-{}.jsonl", std::process::id()));
    std::fs::write(
        &tracks,
        "{\"t\":\"2026-01-01T00:00:00Z\",\"unit\":\"X9\",\"party\":\"X\",\"category\":\"arty\",\"lon\":35.0,\"lat\":33.0}\n",
    )
    .unwrap();
    let out = truceline(&[
        "draft",
        "impact",
        "--baseline",
        "rectangles/a/agreement.toml",
        "--draft",
        "rectangles/b/agreement.toml",
        &tracks.display().to_string(),
    ]);
    let _ = std::fs::remove_file(&tracks);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(":1: ")
            && stderr.contains("arty")
            && stderr.contains("rectangles/a/agreement.toml"),
        "{stderr}"
    );
}
