//! The `truceline` binary: command-line parsing, file I/O and wiring of the library crates.
//! Nothing here decides compliance or builds the ledger; see ARCHITECTURE.md.

mod certifications;
mod check;
mod demo_force;
mod draft;
mod exit;
mod ledger_cli;
mod load;
mod patrol;
mod replay;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "truceline",
    version,
    about = "Runs the machinery of a mediated security arrangement: agreement as data, live compliance, a verifiable ledger."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay position reports against an agreement and write the compliance events as JSON Lines.
    Replay(replay::Args),
    /// Validate an agreement and print a summary a person can read.
    Check(check::Args),
    /// The talks, offline: the gap between two drafts, and what a draft would have meant
    /// over recorded reports.
    #[command(subcommand)]
    Draft(draft::Command),
    /// The separation force's figures, offline: a patrol's coverage of its route.
    #[command(subcommand)]
    Patrol(patrol::Command),
    /// Run the mechanism server on the bundled example with keys for everyone and its
    /// reports replayed in accelerated time (`--offline`: replay and print the findings).
    Demo(serve::DemoArgs),
    /// Run the mechanism server: live compliance, notices, incidents, each party's own view.
    Serve(serve::Args),
    /// Make and inspect signing keys.
    #[command(subcommand)]
    Keys(ledger_cli::KeysCommand),
    /// Append to, export and verify the ledger.
    #[command(subcommand)]
    Log(ledger_cli::LogCommand),
    /// Cosign checkpoints after checking they extend the last one cosigned.
    Witness(ledger_cli::WitnessArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay::run(args),
        Command::Check(args) => check::run(args),
        Command::Draft(cmd) => draft::run(cmd),
        Command::Patrol(cmd) => patrol::run(cmd),
        Command::Demo(args) => serve::demo(args),
        Command::Serve(args) => serve::run(args),
        Command::Keys(cmd) => ledger_cli::keys(cmd),
        Command::Log(cmd) => ledger_cli::log(cmd),
        Command::Witness(args) => ledger_cli::witness(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => exit::report(err),
    }
}
