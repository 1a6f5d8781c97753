//! Exports for one party, and their offline verification.
//!
//! An export is JSON Lines:
//!
//! ```text
//! {"format":"truceline-export/v1","origin":"truceline/agr-1","party":"israel","size":3}
//! {"index":0,"entry":{...the canonical envelope, byte for byte...}}
//! {"index":1,"leaf":"<base64 leaf hash>"}          (an entry the party may not read)
//! {"index":2,"entry":{...}}
//! {"checkpoint":"<signed note: log signature and cosignatures>"}   (increasing sizes)
//! {"receipt":{"index":0,"leaf_hash":"...","checkpoint":"...","inclusion":[...]}}
//! ```
//!
//! The last checkpoint's size equals the header's size: an export shows a whole tree.
//! Verification streams the file, parses and hashes lines in parallel, checks entry
//! signatures in batches, and names the first index (and line) where anything fails.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::envelope::{Entry, MAX_ENTRY_BYTES};
use crate::keys::{Keyring, VerifierKey};
use crate::merkle::{verify_consistency, Hash, MerkleTree};
use crate::note::{Cosigned, SignedCheckpoint, MAX_NOTE_BYTES};
use crate::receipt::{b64_hash, Receipt};

/// Format tag of the header line.
pub const EXPORT_FORMAT: &str = "truceline-export/v1";
/// Longest line accepted: one full entry plus its wrapping.
pub const MAX_LINE_BYTES: usize = MAX_ENTRY_BYTES + 1024;
/// Most leaves an export may claim; about 64 bytes of memory a leaf while verifying.
pub const MAX_EXPORT_LEAVES: u64 = 100_000_000;
/// Most checkpoints and receipts an export may carry, together.
pub const MAX_EXPORT_NOTES: usize = 10_000_000;
/// Party id meaning "the mediator's full view" in exports.
pub const FULL_VIEW: &str = "*";

/// Lines parsed and hashed together; bounds memory while verifying.
const CHUNK_LINES: usize = 8192;
/// Signatures checked in one batch: measured, 1024 costs about 30% less a signature than
/// 128, and bigger batches gain little more.
const SIGNATURE_BATCH: usize = 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub origin: String,
    /// Whom the export is for; [`FULL_VIEW`] for the mediator's export of everything.
    pub party: String,
    pub size: u64,
}

#[derive(Serialize)]
struct EntryLine<'a> {
    index: u64,
    entry: &'a RawValue,
}

#[derive(Serialize)]
struct LeafLine<'a> {
    index: u64,
    leaf: &'a str,
}

#[derive(Serialize)]
struct CheckpointLine<'a> {
    checkpoint: &'a str,
}

#[derive(Serialize)]
struct ReceiptLine<'a> {
    receipt: &'a Receipt,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnyLine<'a> {
    index: Option<u64>,
    #[serde(borrow)]
    entry: Option<&'a RawValue>,
    leaf: Option<&'a str>,
    checkpoint: Option<String>,
    receipt: Option<Receipt>,
}

/// Writes an export line by line; the caller supplies lines in order.
pub struct ExportWriter<W: Write> {
    out: W,
}

impl<W: Write> ExportWriter<W> {
    pub fn new(mut out: W, header: &Header) -> std::io::Result<Self> {
        serde_json::to_writer(&mut out, header)?;
        out.write_all(b"\n")?;
        Ok(Self { out })
    }

    /// An entry the party may read: its canonical bytes, unchanged.
    pub fn entry(&mut self, index: u64, bytes: &[u8]) -> std::io::Result<()> {
        let text = std::str::from_utf8(bytes).map_err(std::io::Error::other)?;
        let raw: &RawValue = serde_json::from_str(text).map_err(std::io::Error::other)?;
        serde_json::to_writer(&mut self.out, &EntryLine { index, entry: raw })?;
        self.out.write_all(b"\n")
    }

    /// An entry the party may not read: its leaf hash only.
    pub fn leaf(&mut self, index: u64, leaf: &Hash) -> std::io::Result<()> {
        serde_json::to_writer(
            &mut self.out,
            &LeafLine {
                index,
                leaf: &B64.encode(leaf),
            },
        )?;
        self.out.write_all(b"\n")
    }

    pub fn checkpoint(&mut self, note: &str) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, &CheckpointLine { checkpoint: note })?;
        self.out.write_all(b"\n")
    }

    pub fn receipt(&mut self, receipt: &Receipt) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, &ReceiptLine { receipt })?;
        self.out.write_all(b"\n")
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// What the verifier trusts, brought from outside the export.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The log's public key; its name is the origin.
    pub log_key: VerifierKey,
    /// Party id -> key, for entry authors and cosigners.
    pub keyring: Keyring,
}

/// The first thing that failed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{what}", location(*.line, *.index))]
pub struct VerifyError {
    /// 1-based line of the export, when the failure is tied to one.
    pub line: Option<u64>,
    /// Leaf index, when the failure is tied to one.
    pub index: Option<u64>,
    pub what: String,
}

fn location(line: Option<u64>, index: Option<u64>) -> String {
    match (line, index) {
        (Some(l), Some(i)) => format!("line {l}, index {i}: "),
        (Some(l), None) => format!("line {l}: "),
        (None, Some(i)) => format!("index {i}: "),
        (None, None) => String::new(),
    }
}

fn fail(line: Option<u64>, index: Option<u64>, what: impl Into<String>) -> VerifyError {
    VerifyError {
        line,
        index,
        what: what.into(),
    }
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub origin: String,
    pub party: String,
    pub size: u64,
    pub root: Hash,
    /// Entries whose body the export shows (all checked: signature, seq, leaf hash).
    pub visible: u64,
    /// Entries shown as a leaf hash only.
    pub hidden: u64,
    pub checkpoints: usize,
    pub receipts: usize,
    /// Cosigners of the latest checkpoint.
    pub latest_cosigners: Vec<Cosigned>,
    /// Largest checkpoint size cosigned by every keyring party other than the log itself.
    pub final_size: Option<u64>,
    /// Entries of the export's party (it wrote them, or is in their audience) shown only
    /// as a leaf hash, as far as the verifier can tell: the tree is intact, but the
    /// mediator withheld the body. In index order. Not a failure: the caller warns.
    pub withheld: Vec<Withheld>,
}

/// One of the export's party's own entries (or a run of them) shown only as a leaf hash.
///
/// A leaf hash says nothing about its entry, so the verifier knows an entry is the party's
/// only from evidence: a receipt naming its index (the export carries one for each entry
/// the party wrote; the party may give others, [`Outside::receipts`], for entries it was
/// sent), or a gap in the seqs of the entries the party wrote, which count 1, 2, 3... A
/// withheld entry after the party's last shown one, with no receipt, cannot be seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withheld {
    /// A receipt names the entry at `index`, and the export shows only its leaf hash.
    Receipt { index: u64 },
    /// The entries `author` (the export's party) wrote with seqs `first_seq..=last_seq`
    /// are not shown; the export shows leaf hashes where they may be: `candidates` (the
    /// first of them), and `more` others after those.
    SeqGap {
        author: String,
        first_seq: u64,
        last_seq: u64,
        candidates: Vec<u64>,
        more: u64,
    },
}

impl Withheld {
    /// The first index it names (for ordering).
    fn first_index(&self) -> u64 {
        match self {
            Withheld::Receipt { index } => *index,
            Withheld::SeqGap { candidates, .. } => candidates.first().copied().unwrap_or(0),
        }
    }
}

impl std::fmt::Display for Withheld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Withheld::Receipt { index } => write!(
                f,
                "index {index}: an entry a receipt names is shown only as a leaf hash (its body was withheld)"
            ),
            Withheld::SeqGap {
                author,
                first_seq,
                last_seq,
                candidates,
                more,
            } => {
                let seqs = if first_seq == last_seq {
                    format!("seq {first_seq}")
                } else {
                    format!("seqs {first_seq} to {last_seq}")
                };
                let list: Vec<String> = candidates.iter().map(u64::to_string).collect();
                let more = if *more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                write!(
                    f,
                    "{seqs} of {author:?}'s own entries not shown: withheld as the leaf hash at one of indices {}{more} (or dropped before logging)",
                    list.join(", ")
                )
            }
        }
    }
}

/// Candidate indices a [`Withheld::SeqGap`] lists by number.
const GAP_CANDIDATES_LISTED: usize = 16;

enum Leaf {
    Visible(Box<Entry>),
    Hidden(Hash),
}

/// Verifies an export, and the evidence in `outside` against it.
/// Evidence the verifier holds from elsewhere, to check against the export.
#[derive(Debug, Clone, Default)]
pub struct Outside {
    /// Checkpoint notes obtained elsewhere (the witness's state, another party's view):
    /// each must be consistent with the export, which is how two parties shown two
    /// histories find out.
    pub checkpoints: Vec<String>,
    /// Receipts the verifier was given when it appended: each entry must be in the tree.
    pub receipts: Vec<Receipt>,
    /// Who the verifier is: the export must be made for this party. Checks that rely on
    /// the party (its own entries' seqs counting up without gaps) depend on it.
    pub party: Option<String>,
}

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

fn parse_leaf(line: u64, index: u64, text: &[u8]) -> Result<Leaf, VerifyError> {
    let any: AnyLine = serde_json::from_slice(text)
        .map_err(|e| fail(Some(line), Some(index), format!("not an export line: {e}")))?;
    if any.index != Some(index) {
        return Err(fail(Some(line), Some(index), format!("expected the leaf at index {index}, found {} (entries dropped, swapped or inserted)", any.index.map_or("no index".to_owned(), |i| i.to_string()))));
    }
    match (any.entry, any.leaf) {
        (Some(raw), None) => {
            let entry = Entry::parse(raw.get().as_bytes())
                .map_err(|e| fail(Some(line), Some(index), format!("entry: {e}")))?;
            Ok(Leaf::Visible(Box::new(entry)))
        }
        (None, Some(leaf)) => b64_hash::decode(leaf)
            .map(Leaf::Hidden)
            .ok_or_else(|| fail(Some(line), Some(index), "leaf is not a base64 32-byte hash")),
        _ => Err(fail(
            Some(line),
            Some(index),
            "a leaf line holds exactly one of entry or leaf",
        )),
    }
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

/// Reads one line (without its newline) of at most [`MAX_LINE_BYTES`].
fn read_line<'b>(
    input: &mut dyn BufRead,
    buf: &'b mut Vec<u8>,
    line_no: &mut u64,
) -> Result<Option<&'b [u8]>, VerifyError> {
    buf.clear();
    let mut limited = std::io::Read::take(&mut *input, MAX_LINE_BYTES as u64 + 1);
    let n = limited
        .read_until(b'\n', buf)
        .map_err(|e| fail(Some(*line_no + 1), None, format!("read error: {e}")))?;
    if n == 0 {
        return Ok(None);
    }
    *line_no += 1;
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if buf.len() > MAX_LINE_BYTES {
        return Err(fail(
            Some(*line_no),
            None,
            format!("line longer than {MAX_LINE_BYTES} bytes"),
        ));
    }
    Ok(Some(buf))
}
