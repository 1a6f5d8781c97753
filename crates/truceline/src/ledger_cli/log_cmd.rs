//! `truceline log`: a ledger data directory and the commands over it.
//!
//! A data directory holds `ledger.sqlite3` (the store), `log.key` (the log's private key,
//! mode 0600), `log.pub` and `keyring` (the parties' public keys, and the mediator's,
//! which is the log key under the mediator's party id).

use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use truceline_ledger::envelope::Draft;
use truceline_ledger::export::{verify_export, Header, Outside, Trust, FULL_VIEW};
use truceline_ledger::jcs;
use truceline_ledger::keys::{Keyring, SignerKey};
use truceline_ledger::ledger::{Ledger, LedgerConfig};
use truceline_ledger::merkle::MerkleTree;
use truceline_ledger::note::Note;
use truceline_ledger::receipt::{b64_hash, Receipt};
use truceline_ledger::store::{SqliteStore, StoreRead};

use super::files::{
    self, keyring_arg, read_keyring, read_signer, read_text, read_verifier, write_new,
    MAX_BODY_FILE_BYTES, MAX_SMALL_FILE_BYTES,
};
use super::LogCommand;
use crate::exit::bad_input;

pub const LOG_HELP: &str = "\
Trust configuration:
  Every key is a file in the C2SP signed-note formats. `truceline keys new --party ID --out DIR`
  makes DIR/ID.key (private, mode 0600) and DIR/ID.pub (one line: <name>+<hash>+<base64>).
  The log key is named after the log's origin, truceline/<agreement-id>.
  A keyring maps party ids to public keys: a file of .pub lines, or a directory of .pub files.

  log init      takes the parties' keyring (--party-keys) and makes or imports the log key.
  log verify    trusts only what you give it: --party-keys PATH (or $TRUCELINE_KEYRING) and
                --log-key PUB (a vkey line or a file; if absent, the keyring entry named
                after the export's origin). Never take these from the export itself.

Example:
  truceline keys new --party israel --out keys/
  truceline keys new --party syria --out keys/
  truceline log init --data ledger/ --agreement golan-1 --party-keys keys/
  echo '{\"area\":\"A\"}' | truceline log append --data ledger/ --key keys/israel.key \\
      --kind notice --audience syria --body -
  truceline log export --data ledger/ --as syria --out syria.jsonl
  truceline log verify syria.jsonl --party-keys ledger/keyring --log-key ledger/log.pub
  (a party verifies with its own copies of keyring and log.pub, obtained out of band)

Exit status: 0 verified; 1 verification failed (the first failing index is named); 2 bad input.";

const STORE_FILE: &str = "ledger.sqlite3";
const LOG_KEY_FILE: &str = "log.key";
const LOG_PUB_FILE: &str = "log.pub";
const KEYRING_FILE: &str = "keyring";

#[derive(Args)]
pub struct DataArgs {
    /// Ledger data directory.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
}

#[derive(Args)]
pub struct InitArgs {
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Agreement id; the log's origin becomes truceline/<ID>.
    #[arg(long, value_name = "ID")]
    pub agreement: String,
    /// The parties' public keys: a keyring file or a directory of .pub files.
    #[arg(long = "party-keys", value_name = "PATH")]
    pub party_keys: PathBuf,
    /// Party id under which the log key authors the mediator's own entries.
    #[arg(long, value_name = "ID", default_value = "mediator")]
    pub mediator: String,
    /// Import this log private key instead of making one (its name must be the origin).
    #[arg(long = "log-key", value_name = "KEYFILE")]
    pub log_key: Option<PathBuf>,
}

#[derive(Args)]
pub struct AppendArgs {
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// The author's private key; its name is the author's party id.
    #[arg(long, value_name = "KEYFILE")]
    pub key: PathBuf,
    /// What the entry is: notice, ack, report-batch, incident, finding, ...
    #[arg(long, value_name = "K")]
    pub kind: String,
    /// Parties who may read the body, comma-separated (the author and mediator always can).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub audience: Vec<String>,
    /// The body: a JSON file, or - for standard input.
    #[arg(long, value_name = "FILE|-")]
    pub body: PathBuf,
    /// Author's time in Unix milliseconds (default: now).
    #[arg(long = "time-ms", value_name = "MS")]
    pub time_ms: Option<u64>,
}

#[derive(Args)]
pub struct ExportArgs {
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// The party the export is for; `*` for the mediator's full view.
    #[arg(long = "as", value_name = "PARTY")]
    pub party: String,
    /// Output file (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The export (JSON Lines), or - for standard input.
    #[arg(value_name = "EXPORT")]
    pub export: PathBuf,
    /// The log's public key: a vkey line or a file holding one.
    #[arg(long = "log-key", value_name = "PUB")]
    pub log_key: Option<String>,
    /// Party public keys: a keyring file or a directory of .pub files
    /// (default: $TRUCELINE_KEYRING).
    #[arg(long = "party-keys", value_name = "PATH")]
    pub party_keys: Option<PathBuf>,
    /// A checkpoint obtained elsewhere that the export must be consistent with (repeatable).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Vec<PathBuf>,
    /// A receipt (JSON) whose entry must be in the exported tree (repeatable): one you were
    /// given when you appended, or for an entry sent to you. If the export shows that
    /// entry only as a leaf hash, a warning names its index.
    #[arg(long, value_name = "FILE")]
    pub receipt: Vec<PathBuf>,
    /// Who you are: the export must be made for this party (`*` for the full view).
    #[arg(long = "as", value_name = "PARTY")]
    pub party: Option<String>,
}

#[derive(Args)]
pub struct ProofArgs {
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// The older tree size.
    #[arg(long, value_name = "N")]
    pub old: u64,
    /// The newer size (default: the latest checkpoint's).
    #[arg(long, value_name = "M")]
    pub new: Option<u64>,
}

#[derive(Args)]
pub struct CosignArgs {
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// A cosigned checkpoint note, as `truceline witness` prints it, or - for stdin.
    #[arg(value_name = "FILE|-")]
    pub note: PathBuf,
}

#[derive(Args)]
pub struct SignArgs {
    /// The author's private key; its name must be the envelope's author.
    #[arg(long, value_name = "KEYFILE")]
    pub key: PathBuf,
    /// The prepared envelope (JSON): a file, or - for standard input.
    #[arg(value_name = "FILE|-")]
    pub envelope: PathBuf,
    /// Output file (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(cmd: LogCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LogCommand::Init(a) => init(a),
        LogCommand::Append(a) => append(a),
        LogCommand::Export(a) => export(a),
        LogCommand::Verify(a) => verify(a),
        LogCommand::Checkpoint(a) => checkpoint(a),
        LogCommand::Proof(a) => proof(a),
        LogCommand::Cosign(a) => cosign(a),
        LogCommand::Sign(a) => sign(a),
    }
}

/// Signs a prepared envelope with the author's key. The server sent it; the key never
/// leaves this machine. What is signed is the canonical envelope without `sig`, rebuilt
/// here from its fields, so the signature covers exactly what the entry will say.
fn sign(a: SignArgs) -> anyhow::Result<ExitCode> {
    let key = read_signer(&a.key)?;
    let text = if a.envelope.as_os_str() == "-" {
        use std::io::Read as _;
        let mut buf = Vec::new();
        std::io::stdin()
            .take(MAX_BODY_FILE_BYTES)
            .read_to_end(&mut buf)?;
        buf
    } else {
        files::read_limited(&a.envelope, MAX_BODY_FILE_BYTES)?
    };
    let value = jcs::parse_strict(&text)
        .map_err(|e| bad_input(format!("{}: {e}", a.envelope.display())))?;
    // The prepare answer and the 428 problem carry it as "envelope".
    let envelope = value.get("envelope").unwrap_or(&value);
    let draft = Draft::from_value(envelope)
        .map_err(|e| bad_input(format!("{}: {e}", a.envelope.display())))?;
    if draft.author != key.name() {
        return Err(bad_input(format!(
            "the envelope's author is {:?}; the key {} is {:?}'s",
            draft.author,
            a.key.display(),
            key.name()
        )));
    }
    let entry = draft.sign(&key).map_err(|e| bad_input(e.to_string()))?;
    let mut out = entry.bytes().to_vec();
    out.push(b'\n');
    match &a.out {
        Some(p) => fs::write(p, &out).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().write_all(&out)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn init(a: InitArgs) -> anyhow::Result<ExitCode> {
    let origin = format!("truceline/{}", a.agreement);
    let parties = read_keyring(&a.party_keys)?;
    truceline_ledger::envelope::check_party_id(&a.agreement)
        .map_err(|e| bad_input(format!("--agreement: {e}")))?;
    truceline_ledger::envelope::check_party_id(&a.mediator)
        .map_err(|e| bad_input(format!("--mediator: {e}")))?;
    if a.data.join(STORE_FILE).exists() {
        return Err(bad_input(format!(
            "{}: already a ledger data directory",
            a.data.display()
        )));
    }
    let log_key = match &a.log_key {
        Some(p) => {
            let k = read_signer(p)?;
            if k.name() != origin {
                return Err(bad_input(format!(
                    "{}: key is named {:?}, the log's origin is {origin:?}",
                    p.display(),
                    k.name()
                )));
            }
            k
        }
        None => SignerKey::generate(&origin).map_err(|e| bad_input(e.to_string()))?,
    };
    let mut keyring = Keyring::new();
    for k in parties.iter().filter(|k| !k.name().contains('/')) {
        keyring
            .insert(k.clone())
            .map_err(|e| bad_input(e.to_string()))?;
    }
    keyring
        .insert(
            log_key
                .verifier()
                .renamed(&a.mediator)
                .map_err(|e| bad_input(e.to_string()))?,
        )
        .map_err(|e| bad_input(format!("--mediator {:?}: {e}", a.mediator)))?;
    keyring
        .insert(log_key.verifier())
        .map_err(|e| bad_input(e.to_string()))?;
    create_private_dir(&a.data)?;
    write_new(
        &a.data.join(LOG_KEY_FILE),
        log_key.to_secret_text().as_bytes(),
        0o600,
    )?;
    write_new(
        &a.data.join(LOG_PUB_FILE),
        format!("{}\n", log_key.verifier()).as_bytes(),
        0o644,
    )?;
    write_new(
        &a.data.join(KEYRING_FILE),
        keyring.to_string().as_bytes(),
        0o644,
    )?;
    let mut store = SqliteStore::open(a.data.join(STORE_FILE))?;
    use truceline_ledger::store::Store;
    store.set_meta("mediator", &a.mediator)?;
    drop(store);
    let (ledger, _) = open_data(&a.data)?;
    drop(ledger);
    eprintln!(
        "ledger {origin} created in {} ({} keys in its keyring)",
        a.data.display(),
        keyring.len()
    );
    println!("{}", log_key.verifier());
    Ok(ExitCode::SUCCESS)
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

fn open_data(dir: &Path) -> anyhow::Result<(Ledger, u64)> {
    let store_path = dir.join(STORE_FILE);
    if !store_path.exists() {
        return Err(bad_input(format!(
            "{}: not a ledger data directory (run `truceline log init`)",
            dir.display()
        )));
    }
    let log_key = read_signer(&dir.join(LOG_KEY_FILE))?;
    let keyring = read_keyring(&dir.join(KEYRING_FILE))?;
    let store = SqliteStore::open(&store_path)?;
    let mediator = store.meta("mediator")?.unwrap_or_else(|| "mediator".into());
    let (ledger, report) = Ledger::open(
        store,
        LedgerConfig {
            log_key,
            keyring,
            mediator,
        },
    )
    .with_context(|| format!("opening the ledger in {}", dir.display()))?;
    if report.truncated > 0 {
        eprintln!(
            "note: removed {} unacknowledged entries past the last checkpoint (torn tail)",
            report.truncated
        );
    }
    Ok((ledger, report.size))
}

fn append(a: AppendArgs) -> anyhow::Result<ExitCode> {
    let key = read_signer(&a.key)?;
    let raw = files::read_limited(&a.body, MAX_BODY_FILE_BYTES)?;
    let body =
        jcs::parse_strict(&raw).map_err(|e| bad_input(format!("{}: {e}", a.body.display())))?;
    let (ledger, _) = open_data(&a.data)?;
    let draft = Draft {
        seq: ledger.next_seq(key.name()),
        time_ms: a.time_ms.unwrap_or_else(files::now_ms),
        author: key.name().to_owned(),
        kind: a.kind,
        audience: a.audience.into_iter().filter(|s| !s.is_empty()).collect(),
        body,
    };
    let entry = draft
        .normalise()
        .and_then(|d| d.sign(&key))
        .map_err(|e| bad_input(format!("entry: {e}")))?;
    let receipt = ledger
        .append(entry)
        .map_err(|e| bad_input(format!("append refused, nothing stored: {e}")))?;
    println!("{}", serde_json::to_string(&receipt)?);
    Ok(ExitCode::SUCCESS)
}

fn export(a: ExportArgs) -> anyhow::Result<ExitCode> {
    if a.party != FULL_VIEW {
        truceline_ledger::envelope::check_party_id(&a.party)
            .map_err(|e| bad_input(format!("--as: {e}")))?;
    }
    let (ledger, _) = open_data(&a.data)?;
    let size = match &a.out {
        Some(path) => {
            let f =
                fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
            let mut w = BufWriter::new(f);
            let size = ledger.export(&a.party, &mut w)?;
            let f = w
                .into_inner()
                .map_err(|e| e.into_error())
                .with_context(|| format!("writing {}", path.display()))?;
            f.sync_all()
                .with_context(|| format!("syncing {}", path.display()))?;
            size
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            let size = ledger.export(&a.party, &mut w)?;
            w.flush()?;
            size
        }
    };
    eprintln!("exported {size} entries for {}", a.party);
    Ok(ExitCode::SUCCESS)
}

fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let keyring = keyring_arg(a.party_keys.as_deref())?;
    let log_key = match &a.log_key {
        Some(arg) => read_verifier(arg)?,
        None => {
            if a.export == Path::new("-") {
                return Err(bad_input(
                    "--log-key is required when the export comes from standard input",
                ));
            }
            let origin = read_header(&a.export)?.origin;
            keyring.get(&origin).cloned().ok_or_else(|| {
                bad_input(format!(
                    "no --log-key, and the keyring has no key named {origin:?}"
                ))
            })?
        }
    };
    let mut outside = Outside {
        party: a.party.clone(),
        ..Outside::default()
    };
    for p in &a.checkpoint {
        outside
            .checkpoints
            .push(read_text(p, MAX_SMALL_FILE_BYTES)?);
    }
    for p in &a.receipt {
        let text = read_text(p, MAX_SMALL_FILE_BYTES)?;
        let r: Receipt = serde_json::from_str(&text)
            .map_err(|e| bad_input(format!("{}: not a receipt: {e}", p.display())))?;
        outside.receipts.push(r);
    }
    let trust = Trust { log_key, keyring };
    let mut input: Box<dyn BufRead> = if a.export == Path::new("-") {
        Box::new(BufReader::with_capacity(1 << 20, std::io::stdin().lock()))
    } else {
        let f = fs::File::open(&a.export)
            .map_err(|e| bad_input(format!("{}: {e}", a.export.display())))?;
        Box::new(BufReader::with_capacity(1 << 20, f))
    };
    match verify_export(&mut *input, &trust, &outside) {
        Ok(r) => {
            println!(
                "OK {}: {} entries for {} ({} readable, {} as leaf hashes)",
                r.origin, r.size, r.party, r.visible, r.hidden
            );
            println!("root {}", b64_hash::encode(&r.root));
            println!(
                "{} checkpoints consistent, {} receipts included",
                r.checkpoints,
                r.receipts + outside.receipts.len()
            );
            let names: Vec<&str> = r.latest_cosigners.iter().map(|c| c.name.as_str()).collect();
            println!(
                "latest checkpoint cosigned by: {}",
                if names.is_empty() {
                    "nobody".to_owned()
                } else {
                    names.join(", ")
                }
            );
            match r.final_size {
                Some(s) => println!("final (cosigned by every party) up to size {s}"),
                None => println!("no checkpoint is cosigned by every party yet"),
            }
            // Which version was in force when: from the entries just verified (a file
            // can be read again; standard input cannot).
            if a.export != Path::new("-") {
                let log = trust.log_key.key().to_bytes();
                if let Some(mediator) = trust
                    .keyring
                    .iter()
                    .find(|k| k.key().to_bytes() == log && !k.name().starts_with("truceline/"))
                {
                    let f = fs::File::open(&a.export)
                        .map_err(|e| bad_input(format!("{}: {e}", a.export.display())))?;
                    let list = super::versions::versions(BufReader::new(f), mediator.name())?;
                    println!("{}", super::versions::describe(&list));
                }
            }
            // The tree is intact, but entries of the party's own came only as leaf hashes:
            // the mediator withheld their bodies. Said, not failed.
            for w in &r.withheld {
                eprintln!(
                    "warning: {} is shown an entry of its own only as a leaf hash: {w}",
                    r.party
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("VERIFICATION FAILED: {}: {e}", a.export.display());
            Ok(ExitCode::from(1))
        }
    }
}

fn read_header(path: &Path) -> anyhow::Result<Header> {
    let f = fs::File::open(path).map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
    let mut first = Vec::new();
    std::io::Read::take(BufReader::new(f), 64 * 1024).read_until(b'\n', &mut first)?;
    serde_json::from_slice(&first).map_err(|e| {
        bad_input(format!(
            "{}: line 1 is not an export header: {e}",
            path.display()
        ))
    })
}

fn checkpoint(a: DataArgs) -> anyhow::Result<ExitCode> {
    let (ledger, _) = open_data(&a.data)?;
    match ledger.checkpoint()? {
        Some(cp) => print!("{cp}"),
        None => {
            return Err(bad_input(format!(
                "{}: the ledger is empty, no checkpoint yet",
                a.data.display()
            )))
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn proof(a: ProofArgs) -> anyhow::Result<ExitCode> {
    let (ledger, size) = open_data(&a.data)?;
    let new = a.new.unwrap_or(size);
    let proof = ledger
        .consistency_proof(a.old, new)
        .map_err(|e| bad_input(format!("proof {} -> {new}: {e}", a.old)))?;
    print!("{}", format_proof(a.old, &proof));
    Ok(ExitCode::SUCCESS)
}

/// The tlog-witness form: `old <N>` then one base64 hash a line.
pub fn format_proof(old: u64, proof: &[[u8; 32]]) -> String {
    let mut out = format!("old {old}\n");
    for h in proof {
        out.push_str(&b64_hash::encode(h));
        out.push('\n');
    }
    out
}

fn cosign(a: CosignArgs) -> anyhow::Result<ExitCode> {
    let text = read_text(&a.note, MAX_SMALL_FILE_BYTES)?;
    let note = Note::parse(&text).map_err(|e| bad_input(format!("{}: {e}", a.note.display())))?;
    let cp = truceline_ledger::note::Checkpoint::parse_body(&note.text)
        .map_err(|e| bad_input(format!("{}: {e}", a.note.display())))?;
    let (ledger, _) = open_data(&a.data)?;
    let log_name = ledger.log_key().name().to_owned();
    let mut added = 0;
    for line in note.signatures.iter().filter(|s| s.name != log_name) {
        ledger
            .add_cosignature(cp.size, line)
            .map_err(|e| bad_input(format!("cosignature by {:?}: {e}", line.name)))?;
        added += 1;
    }
    eprintln!(
        "recorded {added} cosignature(s) on the checkpoint of size {}",
        cp.size
    );
    Ok(ExitCode::SUCCESS)
}

/// Leaf hashes of a data directory's store up to `size`, read-only, for the witness.
pub fn tree_from_data(dir: &Path, size: u64) -> anyhow::Result<MerkleTree> {
    let store = SqliteStore::open(dir.join(STORE_FILE))?;
    let mut leaves = Vec::with_capacity(size as usize);
    store.scan(0, size, &mut |row| {
        leaves.push(row.leaf);
        Ok(())
    })?;
    Ok(MerkleTree::from_leaves(leaves))
}

/// The latest stored checkpoint note of a data directory, read-only.
pub fn latest_note(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join(STORE_FILE);
    if !path.exists() {
        return Err(bad_input(format!(
            "{}: not a ledger data directory",
            dir.display()
        )));
    }
    let store = SqliteStore::open(path)?;
    let cps = store.checkpoints()?;
    cps.last()
        .map(|c| c.note.clone())
        .ok_or_else(|| bad_input(format!("{}: no checkpoint yet", dir.display())))
}
