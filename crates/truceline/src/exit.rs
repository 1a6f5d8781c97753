//! Exit statuses and the way errors reach the user.
//!
//! Status 2 means "your input is bad" (the contract in spec/engine.md section 5); status 1
//! means anything else went wrong (I/O, a failed verification is reported by its command).

use std::fmt;
use std::process::ExitCode;

/// Marks an error as the user's input being wrong: the process exits with status 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Shorthand for returning a bad-input error.
pub fn bad_input(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(message.into()))
}

/// Prints the error with its chain of context and picks the exit status.
pub fn report(err: anyhow::Error) -> ExitCode {
    eprintln!("error: {err:#}");
    if err
        .chain()
        .any(|cause| cause.downcast_ref::<BadInput>().is_some())
    {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}
