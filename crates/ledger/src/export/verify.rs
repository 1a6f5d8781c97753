//! Verifying an export offline: streamed, with lines parsed and hashed in parallel and
//! entry signatures checked in batches; the first failure is named by line and index.

use std::collections::HashMap;
use std::io::BufRead;

use rayon::prelude::*;

use super::parse::{parse_leaf, read_line, AnyLine, Leaf};
use super::report::fail;
use super::{
    Header, Outside, Report, Trust, VerifyError, Withheld, EXPORT_FORMAT, FULL_VIEW,
    MAX_EXPORT_LEAVES, MAX_EXPORT_NOTES,
};
use crate::envelope::Entry;
use crate::keys::{Keyring, VerifierKey};
use crate::merkle::{verify_consistency, Hash, MerkleTree};
use crate::note::{SignedCheckpoint, MAX_NOTE_BYTES};
use crate::receipt::Receipt;

/// Lines parsed and hashed together; bounds memory while verifying.
const CHUNK_LINES: usize = 8192;
/// Signatures checked in one batch: measured, 1024 costs about 30% less a signature than
/// 128, and bigger batches gain little more.
const SIGNATURE_BATCH: usize = 1024;

/// Candidate indices a [`Withheld::SeqGap`] lists by number.
const GAP_CANDIDATES_LISTED: usize = 16;

/// Verifies an export, and the evidence in `outside` against it.
pub fn verify_export(
    input: &mut dyn BufRead,
    trust: &Trust,
    outside: &Outside,
) -> Result<Report, VerifyError> {
    let mut line_no: u64 = 0;
    let mut buf = Vec::new();
    let header_line = read_line(input, &mut buf, &mut line_no)?
        .ok_or_else(|| fail(None, None, "export is empty"))?;
    let header: Header = serde_json::from_slice(header_line)
        .map_err(|e| fail(Some(1), None, format!("bad header: {e}")))?;
    if header.format != EXPORT_FORMAT {
        return Err(fail(
            Some(1),
            None,
            format!("format is {:?}, expected {EXPORT_FORMAT:?}", header.format),
        ));
    }
    if header.origin != trust.log_key.name() {
        return Err(fail(
            Some(1),
            None,
            format!(
                "origin {:?} is not the log key's {:?}",
                header.origin,
                trust.log_key.name()
            ),
        ));
    }
    if header.size > MAX_EXPORT_LEAVES {
        return Err(fail(
            Some(1),
            None,
            format!(
                "size {} is over the limit of {MAX_EXPORT_LEAVES}",
                header.size
            ),
        ));
    }
    if let Some(me) = &outside.party {
        if *me != header.party {
            return Err(fail(
                Some(1),
                None,
                format!("export is for {:?}, not for {me:?}", header.party),
            ));
        }
    }
    let full_view = header.party == FULL_VIEW;

    // The header's size is a claim: reserve for it only up to a bound.
    let mut leaves: Vec<Hash> = Vec::with_capacity(header.size.min(1 << 20) as usize);
    let mut last_seq: HashMap<String, u64> = HashMap::new();
    let (mut visible, mut hidden) = (0u64, 0u64);
    // Which leaves are hashes only (one bit a leaf), and those since the party's last
    // shown entry of its own: where a gap in its seqs may hide.
    let mut hidden_bits: Vec<u64> = Vec::new();
    let mut hidden_since_own: u64 = 0;
    let mut hidden_since_own_listed: Vec<u64> = Vec::new();
    let mut withheld: Vec<Withheld> = Vec::new();

    // Leaves, chunk by chunk.
    let mut chunk: Vec<(u64, Vec<u8>)> = Vec::with_capacity(CHUNK_LINES);
    let mut leaves_done = header.size == 0;
    while !leaves_done {
        chunk.clear();
        while chunk.len() < CHUNK_LINES && (leaves.len() + chunk.len()) < header.size as usize {
            match read_line(input, &mut buf, &mut line_no)? {
                Some(line) => chunk.push((line_no, line.to_vec())),
                None => break,
            }
        }
        if chunk.is_empty() {
            return Err(fail(
                None,
                Some(leaves.len() as u64),
                format!(
                    "export ends after {} of {} leaves (entries dropped?)",
                    leaves.len(),
                    header.size
                ),
            ));
        }
        let first_index = leaves.len() as u64;
        let parsed: Vec<Result<Leaf, VerifyError>> = chunk
            .par_iter()
            .enumerate()
            .map(|(i, (line, text))| parse_leaf(*line, first_index + i as u64, text))
            .collect();
        // Signatures of the visible entries, in parallel batches.
        let mut sig_jobs: Vec<(usize, &Entry)> = Vec::new();
        for (i, p) in parsed.iter().enumerate() {
            if let Ok(Leaf::Visible(e)) = p {
                sig_jobs.push((i, e));
            }
        }
        let bad_sig: Option<usize> = sig_jobs
            .par_chunks(SIGNATURE_BATCH)
            .filter_map(|jobs| first_bad_signature(jobs, &trust.keyring))
            .min();
        for (i, p) in parsed.into_iter().enumerate() {
            let index = first_index + i as u64;
            let line = Some(chunk[i].0);
            match p? {
                Leaf::Visible(entry) => {
                    let author = entry.author();
                    if trust.keyring.get(author).is_none() {
                        return Err(fail(
                            line,
                            Some(index),
                            format!("author {author:?} is not in the keyring"),
                        ));
                    }
                    if bad_sig == Some(i) {
                        return Err(fail(line, Some(index), format!("signature of author {author:?} does not verify (forged, altered or replayed under another author)")));
                    }
                    // Seq: every entry an author makes is seen by that author, and by the
                    // mediator's full view; there it must count up by one. Elsewhere only
                    // its order can be checked.
                    let prev = last_seq.get(author).copied().unwrap_or(0);
                    let own = !full_view && author == header.party;
                    let contiguous = full_view || own;
                    let mut ok = if contiguous {
                        entry.seq() == prev + 1
                    } else {
                        entry.seq() > prev
                    };
                    // The party's own entries skipped, where as many leaf hashes lie
                    // between: their bodies withheld (a warning), not the tree broken.
                    if own && !ok && entry.seq() > prev + 1 {
                        let missing = entry.seq() - prev - 1;
                        if hidden_since_own >= missing {
                            withheld.push(Withheld::SeqGap {
                                author: author.to_owned(),
                                first_seq: prev + 1,
                                last_seq: entry.seq() - 1,
                                more: hidden_since_own - hidden_since_own_listed.len() as u64,
                                candidates: std::mem::take(&mut hidden_since_own_listed),
                            });
                            ok = true;
                        }
                    }
                    if own {
                        hidden_since_own = 0;
                        hidden_since_own_listed.clear();
                    }
                    if !ok {
                        let want = if contiguous {
                            format!("{}", prev + 1)
                        } else {
                            format!("more than {prev}")
                        };
                        return Err(fail(line, Some(index), format!("seq {} of author {author:?} should be {want} (entry dropped, reordered or replayed)", entry.seq())));
                    }
                    last_seq.insert(author.to_owned(), entry.seq());
                    leaves.push(entry.leaf_hash());
                    visible += 1;
                }
                Leaf::Hidden(hash) => {
                    if full_view {
                        return Err(fail(
                            line,
                            Some(index),
                            "a full-view export must show every entry",
                        ));
                    }
                    let at = leaves.len();
                    if hidden_bits.len() <= at / 64 {
                        hidden_bits.resize(at / 64 + 1, 0);
                    }
                    hidden_bits[at / 64] |= 1 << (at % 64);
                    hidden_since_own += 1;
                    if hidden_since_own_listed.len() < GAP_CANDIDATES_LISTED {
                        hidden_since_own_listed.push(index);
                    }
                    leaves.push(hash);
                    hidden += 1;
                }
            }
        }
        leaves_done = leaves.len() as u64 == header.size;
    }
    let tree = MerkleTree::from_leaves(leaves);
    // Everything after the leaves, parsed as it streams in.
    let mut checkpoints: Vec<(u64, SignedCheckpoint)> = Vec::new();
    let mut receipts: Vec<(u64, Receipt)> = Vec::new();
    while let Some(text) = read_line(input, &mut buf, &mut line_no)? {
        let line = &line_no;
        if checkpoints.len() + receipts.len() >= MAX_EXPORT_NOTES {
            return Err(fail(Some(*line), None, "too many checkpoints and receipts"));
        }
        let any: AnyLine = serde_json::from_slice(text)
            .map_err(|e| fail(Some(*line), None, format!("not an export line: {e}")))?;
        match any {
            AnyLine {
                checkpoint: Some(note),
                index: None,
                entry: None,
                leaf: None,
                receipt: None,
            } => {
                if note.len() > MAX_NOTE_BYTES {
                    return Err(fail(Some(*line), None, "checkpoint note too long"));
                }
                let cp = SignedCheckpoint::parse_verified(&note, &trust.log_key)
                    .map_err(|e| fail(Some(*line), None, format!("checkpoint: {e}")))?;
                checkpoints.push((*line, cp));
            }
            AnyLine {
                receipt: Some(r),
                index: None,
                entry: None,
                leaf: None,
                checkpoint: None,
            } => receipts.push((*line, r)),
            AnyLine { index: Some(i), .. } => {
                return Err(fail(
                    Some(*line),
                    Some(i),
                    format!("more leaves than the header's size {}", header.size),
                ))
            }
            _ => {
                return Err(fail(
                    Some(*line),
                    None,
                    "expected a checkpoint or a receipt",
                ))
            }
        }
    }

    // Checkpoints: each root rebuilt from the leaves, sizes increasing, each consistent
    // with the one before, every cosignature valid.
    let last = checkpoints
        .last()
        .ok_or_else(|| fail(None, None, "export has no checkpoint"))?;
    if last.1.checkpoint.size != header.size {
        return Err(fail(
            Some(last.0),
            None,
            format!(
                "latest checkpoint has size {}, the export {} leaves",
                last.1.checkpoint.size, header.size
            ),
        ));
    }
    // Parties expected to cosign: everyone in the keyring except the log key itself.
    let others: Vec<&VerifierKey> = trust
        .keyring
        .iter()
        .filter(|k| k.key() != trust.log_key.key())
        .collect();
    let mut prev: Option<&SignedCheckpoint> = None;
    let mut final_size = None;
    let mut latest_cosigners = Vec::new();
    for (line, cp) in &checkpoints {
        let c = &cp.checkpoint;
        let root = tree
            .root_at(c.size)
            .map_err(|e| fail(Some(*line), None, format!("checkpoint: {e}")))?;
        if root != c.root {
            return Err(fail(Some(*line), c.size.checked_sub(1), format!("checkpoint of size {} has a root the leaves do not rebuild (a fork, or a leaf altered before index {})", c.size, c.size)));
        }
        if let Some(p) = prev {
            if c.size <= p.checkpoint.size {
                let what = if c.size == p.checkpoint.size && c.root != p.checkpoint.root {
                    "fork: two checkpoints of one size with different roots"
                } else {
                    "checkpoint sizes must increase"
                };
                return Err(fail(
                    Some(*line),
                    None,
                    format!("{what} (size {} after {})", c.size, p.checkpoint.size),
                ));
            }
            let proof = tree
                .consistency_proof(p.checkpoint.size, c.size)
                .expect("sizes in range");
            verify_consistency(
                p.checkpoint.size,
                c.size,
                &p.checkpoint.root,
                &c.root,
                &proof,
            )
            .map_err(|e| {
                fail(
                    Some(*line),
                    None,
                    format!(
                        "checkpoint of size {} is not consistent with size {}: {e}",
                        c.size, p.checkpoint.size
                    ),
                )
            })?;
        }
        let cosigners = cp
            .verify_cosignatures(&trust.log_key, &trust.keyring)
            .map_err(|e| {
                fail(
                    Some(*line),
                    None,
                    format!("checkpoint of size {}: {e}", c.size),
                )
            })?;
        if !others.is_empty()
            && others
                .iter()
                .all(|k| cosigners.iter().any(|s| s.name == k.name()))
        {
            final_size = Some(c.size);
        }
        latest_cosigners = cosigners;
        prev = Some(cp);
    }
    for extra in &outside.checkpoints {
        let cp = SignedCheckpoint::parse_verified(extra, &trust.log_key)
            .map_err(|e| fail(None, None, format!("given checkpoint: {e}")))?;
        let c = &cp.checkpoint;
        if c.size > header.size {
            return Err(fail(None, None, format!("a given checkpoint has size {}, beyond this export's {}: the export is stale or hides entries", c.size, header.size)));
        }
        if tree.root_at(c.size).expect("in range") != c.root {
            return Err(fail(None, c.size.checked_sub(1), format!("fork: the given checkpoint of size {} has a root this export's leaves do not rebuild", c.size)));
        }
    }

    // Receipts: signed, included, and about this very tree.
    // Receipts given from outside carry no line number.
    let outside_receipts = outside.receipts.iter().map(|r| (0u64, r.clone()));
    let receipt_count = receipts.len();
    for (line, r) in receipts.into_iter().chain(outside_receipts) {
        let line = &line;
        let r = &r;
        let line_ref = (*line > 0).then_some(*line);
        let cp = r
            .verify(&trust.log_key)
            .map_err(|e| fail(line_ref, Some(r.index), format!("receipt: {e}")))?;
        let c = &cp.checkpoint;
        if c.size > header.size || tree.root_at(c.size).expect("checked") != c.root {
            return Err(fail(
                line_ref,
                Some(r.index),
                "receipt's checkpoint is not one of this tree (fork)",
            ));
        }
        if tree.leaf(r.index) != Some(r.leaf_hash) {
            return Err(fail(
                line_ref,
                Some(r.index),
                "receipt's entry is not in the tree at its index",
            ));
        }
        let is_hidden = hidden_bits
            .get((r.index / 64) as usize)
            .is_some_and(|w| w & (1 << (r.index % 64)) != 0);
        if is_hidden && !withheld.contains(&Withheld::Receipt { index: r.index }) {
            withheld.push(Withheld::Receipt { index: r.index });
        }
    }
    withheld.sort_by_key(Withheld::first_index);

    Ok(Report {
        origin: header.origin,
        party: header.party,
        size: header.size,
        root: tree.root(),
        visible,
        hidden,
        checkpoints: checkpoints.len(),
        receipts: receipt_count,
        latest_cosigners,
        final_size,
        withheld,
    })
}

/// Index (within the chunk) of the first entry whose signature fails; unknown authors are
/// reported by the caller, so they are skipped here.
fn first_bad_signature(jobs: &[(usize, &Entry)], keyring: &Keyring) -> Option<usize> {
    let mut messages = Vec::with_capacity(jobs.len());
    let mut sigs = Vec::with_capacity(jobs.len());
    let mut keys = Vec::with_capacity(jobs.len());
    let mut known = Vec::with_capacity(jobs.len());
    for (i, entry) in jobs {
        let Some(key) = keyring.get(entry.author()) else {
            continue;
        };
        let Ok((message, sig)) = entry.signed_parts() else {
            return Some(*i);
        };
        messages.push(message);
        sigs.push(sig);
        keys.push(*key.key());
        known.push((*i, *entry, key));
    }
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    if ed25519_dalek::verify_batch(&refs, &sigs, &keys).is_ok() {
        return None;
    }
    // Some signature is bad: find the first one.
    known
        .iter()
        .find(|(_, e, k)| e.verify(k).is_err())
        .map(|(i, _, _)| *i)
}
