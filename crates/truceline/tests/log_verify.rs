//! `truceline log verify --as PARTY` through the real binary: an export that shows one of
//! the party's own entries only as a leaf hash still verifies, with a warning naming the
//! index.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use truceline_ledger::envelope::Entry;
use truceline_ledger::receipt::b64_hash;

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "truceline-log-verify-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn p(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_truceline"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Appends an entry; returns the receipt (JSON) the command prints.
fn append(s: &Scratch, who: &str, audience: &str, body: &str) -> String {
    std::fs::write(s.p("body.json"), body).unwrap();
    let key = s.p(&format!("keys/{who}.key"));
    let (data, file) = (s.p("data"), s.p("body.json"));
    let mut args = vec!["log", "append", "--data", p(&data), "--key", p(&key)];
    args.extend([
        "--kind",
        "notice",
        "--body",
        p(&file),
        "--time-ms",
        "1700000000000",
    ]);
    if !audience.is_empty() {
        args.extend(["--audience", audience]);
    }
    ok(&args)
}

/// The export's line for `index` replaced by the entry's leaf hash.
fn withhold(text: &str, index: usize) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let line = &lines[index + 1];
    let prefix = format!("{{\"index\":{index},\"entry\":");
    assert!(line.starts_with(&prefix), "{line}");
    let bytes = &line.as_bytes()[prefix.len()..line.len() - 1];
    let leaf = Entry::parse(bytes).unwrap().leaf_hash();
    lines[index + 1] = format!(
        "{{\"index\":{index},\"leaf\":\"{}\"}}",
        b64_hash::encode(&leaf)
    );
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn an_own_entry_shown_as_a_leaf_hash_is_warned_of_by_index() {
    let s = Scratch::new("withheld");
    for party in ["israel", "syria"] {
        ok(&["keys", "new", "--party", party, "--out", p(&s.p("keys"))]);
    }
    let (data, keys) = (s.p("data"), s.p("keys"));
    ok(&[
        "log",
        "init",
        "--data",
        p(&data),
        "--agreement",
        "golan-1",
        "--party-keys",
        p(&keys),
    ]);
    append(&s, "israel", "syria", r#"{"n": 1}"#); // index 0
    append(&s, "syria", "", r#"{"private": true}"#); // index 1, hidden from israel
    append(&s, "israel", "syria", r#"{"n": 2}"#); // index 2
    let sent = append(&s, "syria", "israel", r#"{"to": "israel"}"#); // index 3
    std::fs::write(s.p("sent.receipt.json"), sent).unwrap();
    let export = s.p("israel.jsonl");
    ok(&[
        "log",
        "export",
        "--data",
        p(&data),
        "--as",
        "israel",
        "--out",
        p(&export),
    ]);
    let text = std::fs::read_to_string(&export).unwrap();

    let (keyring, log_pub) = (s.p("data/keyring"), s.p("data/log.pub"));
    let verify = |file: &Path, extra: &[&str]| {
        let mut args = vec!["log", "verify", p(file), "--as", "israel"];
        args.extend(["--party-keys", p(&keyring), "--log-key", p(&log_pub)]);
        args.extend(extra);
        run(&args)
    };
    // Honest: no warning.
    let out = verify(&export, &[]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));

    // Israel's seq 1 (index 0) and the entry syria sent it (index 3) as leaf hashes.
    let tampered = s.p("tampered.jsonl");
    std::fs::write(&tampered, withhold(&withhold(&text, 0), 3)).unwrap();
    let receipt = s.p("sent.receipt.json");
    let out = verify(&tampered, &["--receipt", p(&receipt)]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.starts_with("OK "), "{stdout}");
    assert!(
        stdout.contains("(1 readable, 3 as leaf hashes)"),
        "{stdout}"
    );
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 3, "{stderr}");
    // The gap in israel's seqs, its own receipt in the export, the receipt it was given.
    assert!(warnings[0].contains("seq 1 of \"israel\"'s own entries not shown: withheld as the leaf hash at one of indices 0, 1"), "{stderr}");
    assert!(
        warnings[1].contains("index 0: an entry a receipt names"),
        "{stderr}"
    );
    assert!(
        warnings[2].contains("index 3: an entry a receipt names"),
        "{stderr}"
    );
    for w in &warnings {
        assert!(
            w.starts_with("warning: israel is shown an entry of its own only as a leaf hash: "),
            "{w}"
        );
    }
    // Without the receipt it holds, the entry sent to israel cannot be told apart.
    let out = verify(&tampered, &[]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .count(),
        2,
        "{stderr}"
    );
    assert!(!stderr.contains("index 3"), "{stderr}");
}
