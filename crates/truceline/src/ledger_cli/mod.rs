//! `truceline keys`, `truceline log` and `truceline witness`: placeholder until the ledger lands.

use std::process::ExitCode;

use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Make a new Ed25519 key pair for a party.
    New,
}

#[derive(Subcommand)]
pub enum LogCommand {
    /// Verify an export offline.
    Verify,
}

#[derive(Args)]
pub struct WitnessArgs {}

pub fn keys(_cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the ledger is not built yet")
}

pub fn log(_cmd: LogCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the ledger is not built yet")
}

pub fn witness(_args: WitnessArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the ledger is not built yet")
}
