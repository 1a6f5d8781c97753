//! `truceline keys`.

use std::fs;
use std::process::ExitCode;

use anyhow::Context;
use truceline_ledger::keys::SignerKey;

use super::files::{file_stem, read_signer, write_new};
use super::KeysCommand;
use crate::exit::bad_input;

pub fn run(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        KeysCommand::New { party, out } => {
            let key =
                SignerKey::generate(&party).map_err(|e| bad_input(format!("--party: {e}")))?;
            fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let stem = file_stem(&party);
            let private = out.join(format!("{stem}.key"));
            let public = out.join(format!("{stem}.pub"));
            let vkey = key.verifier().to_string();
            write_new(&private, key.to_secret_text().as_bytes(), 0o600)?;
            write_new(&public, format!("{vkey}\n").as_bytes(), 0o644)?;
            eprintln!(
                "wrote {} (private, mode 0600) and {}",
                private.display(),
                public.display()
            );
            println!("{vkey}");
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Show { key } => {
            println!("{}", read_signer(&key)?.verifier());
            Ok(ExitCode::SUCCESS)
        }
    }
}
