//! `truceline keys`, `truceline log` and `truceline witness`: file handling and wiring
//! around `truceline-ledger`. Nothing here decides what is valid; the library does.
//!
//! Keys and trust are configured with files in the signed-note formats:
//! - a private key file holds `PRIVATE+KEY+<name>+<hash>+<base64>` (mode 0600);
//! - a public key ("vkey") is one line `<name>+<hash>+<base64>`;
//! - a keyring is a file of vkey lines (party id -> key), or a directory of `*.pub` files;
//! - the log key's name is the log's origin, `truceline/<agreement-id>`.

mod files;
mod keys_cmd;
mod log_cmd;
mod versions;
mod witness_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Make a new Ed25519 key pair: <OUT>/<ID>.key (private, mode 0600) and <OUT>/<ID>.pub.
    /// Prints the public key. ID is a party id, or a log origin `truceline/<agreement>`.
    New {
        /// Party id (letters, digits, '.', '_', '-') or log origin.
        #[arg(long = "party", value_name = "ID")]
        party: String,
        /// Directory for the two files (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Print the public key (vkey line) of a private key file.
    Show {
        #[arg(value_name = "KEYFILE")]
        key: PathBuf,
    },
}

/// The ledger commands.
#[derive(Subcommand)]
#[command(after_long_help = log_cmd::LOG_HELP)]
pub enum LogCommand {
    /// Create a ledger data directory for one agreement.
    Init(log_cmd::InitArgs),
    /// Append an entry signed with a party's key; prints the receipt (JSON).
    Append(log_cmd::AppendArgs),
    /// Export the ledger as one party may see it (JSON Lines).
    Export(log_cmd::ExportArgs),
    /// Verify an export offline; names the first failing index and exits 1 on failure.
    Verify(log_cmd::VerifyArgs),
    /// Print the latest checkpoint (signed note, with cosignatures).
    Checkpoint(log_cmd::DataArgs),
    /// Print a consistency proof from an older size to the latest checkpoint.
    Proof(log_cmd::ProofArgs),
    /// Record a witness's cosignature (checked against the keyring).
    Cosign(log_cmd::CosignArgs),
    /// Sign an envelope a server prepared for you (the answer of `POST /v1/acts/prepare`,
    /// or a 428 problem, or the envelope alone); prints the signed envelope to POST to
    /// `/v1/acts`.
    Sign(log_cmd::SignArgs),
}

/// Cosign a checkpoint, only if it is consistent with the last one this witness cosigned.
#[derive(Args)]
#[command(after_long_help = witness_cmd::WITNESS_HELP)]
pub struct WitnessArgs {
    /// The witness's private key (its name is the party id).
    #[arg(long, value_name = "KEYFILE")]
    pub key: PathBuf,
    /// The log's public key (vkey line, or a file holding one).
    #[arg(long = "log-key", value_name = "PUB")]
    pub log_key: String,
    /// Directory where the witness keeps the last checkpoint it cosigned.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
    /// Read the latest checkpoint and the proof from a ledger data directory.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["checkpoint", "proof"])]
    pub data: Option<PathBuf>,
    /// The checkpoint to cosign (signed note).
    #[arg(long, value_name = "FILE", required_unless_present = "data")]
    pub checkpoint: Option<PathBuf>,
    /// Consistency proof from the last cosigned size: `old <N>` then one base64 hash a line.
    #[arg(long, value_name = "FILE")]
    pub proof: Option<PathBuf>,
    /// Write the cosignature line here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn keys(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    keys_cmd::run(cmd)
}

pub fn log(cmd: LogCommand) -> anyhow::Result<ExitCode> {
    log_cmd::run(cmd)
}

pub fn witness(args: WitnessArgs) -> anyhow::Result<ExitCode> {
    witness_cmd::run(args)
}

#[cfg(test)]
mod tests;
