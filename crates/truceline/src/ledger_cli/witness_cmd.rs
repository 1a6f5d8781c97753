//! `truceline witness`.

use std::process::ExitCode;

use truceline_ledger::merkle::Hash;
use truceline_ledger::note::SignedCheckpoint;
use truceline_ledger::witness::StateFile;

use super::files::{now_ms, read_signer, read_text, read_verifier, MAX_SMALL_FILE_BYTES};
use super::log_cmd::{latest_note, tree_from_data};
use super::WitnessArgs;
use crate::exit::bad_input;

pub const WITNESS_HELP: &str = "\
The witness keeps the last checkpoint it cosigned in --state DIR (one file per log). It
cosigns a new checkpoint only if it is signed by --log-key and a consistency proof shows it
extends that one; the first checkpoint is taken on trust. It refuses, with exit status 1,
a smaller size (rollback), a same-size different root (FORK) or a failed proof. The state
is saved (and fsync'd) before the cosignature is printed. Output: the checkpoint note with
the cosignature line added (C2SP tlog-cosignature, cosignature/v1); hand it to the mediator
for `truceline log cosign`.

Proof file format (as `truceline log proof` prints it): `old <N>`, then one base64 hash a line.";

pub fn run(a: WitnessArgs) -> anyhow::Result<ExitCode> {
    let key = read_signer(&a.key)?;
    let log_key = read_verifier(&a.log_key)?;
    let state = StateFile::new(&a.state, log_key.name())?;
    let last = state.load(&log_key)?;
    let last_size = last.as_ref().map_or(0, |l| l.checkpoint.size);
    let (note, proof) = match (&a.data, &a.checkpoint) {
        (Some(dir), _) => {
            let note = latest_note(dir)?;
            let cp = SignedCheckpoint::parse_verified(&note, &log_key)
                .map_err(|e| bad_input(format!("{}: latest checkpoint: {e}", dir.display())))?;
            let size = cp.checkpoint.size;
            // The proof is computed from the data directory, and checked like any other.
            let tree = tree_from_data(dir, size)?;
            let proof = if last_size <= size {
                tree.consistency_proof(last_size, size).unwrap_or_default()
            } else {
                Vec::new()
            };
            (note, proof)
        }
        (None, Some(path)) => {
            let note = read_text(path, MAX_SMALL_FILE_BYTES)?;
            let proof = match &a.proof {
                Some(p) => parse_proof(&read_text(p, MAX_SMALL_FILE_BYTES)?, last_size)
                    .map_err(|e| bad_input(format!("{}: {e}", p.display())))?,
                None => Vec::new(),
            };
            (note, proof)
        }
        (None, None) => return Err(bad_input("give --data DIR or --checkpoint FILE")),
    };
    let mut cp = SignedCheckpoint::parse_verified(&note, &log_key)
        .map_err(|e| bad_input(format!("checkpoint: {e}")))?;
    let line = match state.cosign(&cp, &proof, &log_key, &key, now_ms() / 1000) {
        Ok(line) => line,
        Err(e) => {
            eprintln!("REFUSED to cosign: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    cp.add_signature(line);
    let text = cp.to_string();
    match &a.out {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    eprintln!(
        "cosigned {} at size {} (state in {})",
        cp.checkpoint.origin,
        cp.checkpoint.size,
        state.path().display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Parses `old <N>` and base64 hash lines; N must be the last cosigned size.
fn parse_proof(text: &str, last_size: u64) -> Result<Vec<Hash>, String> {
    let mut lines = text.lines();
    let old: u64 = lines
        .next()
        .and_then(|l| l.strip_prefix("old "))
        .and_then(|n| n.parse().ok())
        .ok_or("first line must be `old <N>`")?;
    if old != last_size {
        return Err(format!(
            "proof starts at size {old}, but the last cosigned size is {last_size}"
        ));
    }
    let hashes = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            truceline_ledger::receipt::b64_hash::decode(l)
                .ok_or_else(|| format!("not a base64 hash: {l:?}"))
        })
        .collect::<Result<Vec<Hash>, String>>()?;
    if hashes.len() > truceline_ledger::merkle::MAX_PROOF_HASHES {
        return Err("proof too long".into());
    }
    Ok(hashes)
}
