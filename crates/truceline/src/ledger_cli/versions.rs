//! Which version of the agreement was in force when, as a verified export shows it: the
//! ledger's first entry (`agreement/in-force`, naming the starting version's hash) and each
//! `version/countersigned` entry (the new version's hash and instant). Only entries the
//! log key authored count: a party's entry of that kind is not the mediator's word.
//!
//! Read after `verify_export` passed, so each line is a checked entry within the export's
//! limits.

use std::io::BufRead;

use serde_json::Value;
use truceline_ledger::export::MAX_LINE_BYTES;

/// A version in force from an instant (or from the start), by the entry that says so.
#[derive(Debug, Clone, PartialEq)]
pub struct InForce {
    pub sha256: String,
    /// `None`: from the ledger's start.
    pub from: Option<String>,
    pub entry: u64,
}

/// The versions the export's readable entries put in force, in ledger order; `mediator` is
/// the author id the log key signs as.
pub fn versions<R: BufRead>(mut input: R, mediator: &str) -> std::io::Result<Vec<InForce>> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = std::io::Read::take(&mut input, MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(out);
        }
        let Ok(v) = serde_json::from_slice::<Value>(&line) else {
            continue;
        };
        let (Some(index), Some(entry)) = (v["index"].as_u64(), v.get("entry")) else {
            continue;
        };
        if entry["author"] != mediator {
            continue;
        }
        let body = &entry["body"];
        let sha256 = body["sha256"].as_str().unwrap_or_default().to_owned();
        match entry["kind"].as_str() {
            Some("agreement/in-force") if !sha256.is_empty() => out.push(InForce {
                sha256,
                from: None,
                entry: index,
            }),
            Some("version/countersigned") => out.push(InForce {
                sha256,
                from: body["in_force_at"].as_str().map(str::to_owned),
                entry: index,
            }),
            _ => {}
        }
    }
}

/// One line for `log verify`'s report.
pub fn describe(list: &[InForce]) -> String {
    if list.is_empty() {
        return "versions in force: none named in the entries readable here".to_owned();
    }
    let each: Vec<String> = list
        .iter()
        .map(|v| match &v.from {
            None => format!("{} from the start (entry {})", v.sha256, v.entry),
            Some(t) => format!("{} from {t} (entry {})", v.sha256, v.entry),
        })
        .collect();
    format!("versions in force: {}", each.join("; "))
}
