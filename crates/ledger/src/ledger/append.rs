//! Appends and submissions: checked on the caller's thread, then queued for the writer.

use std::sync::mpsc::{self, Receiver};

use serde_json::Value;

use super::writer::Request;
use super::{AppendError, Ledger};
use crate::envelope::{Draft, Entry};
use crate::receipt::Receipt;

/// An append in flight; [`Pending::wait`] returns its receipt once it is durable.
#[must_use = "an append is acknowledged only by its receipt"]
pub struct Pending {
    answer: Receiver<Result<Receipt, AppendError>>,
}

impl Pending {
    pub fn wait(self) -> Result<Receipt, AppendError> {
        self.answer
            .recv()
            .map_err(|_| AppendError::Stopped("writer thread ended".into()))?
    }
}

impl Ledger {
    /// Appends an entry signed by a party. Blocks until it is durable (or refused).
    /// Signature checks run on the caller's thread, so appenders use every core.
    pub fn append(&self, entry: Entry) -> Result<Receipt, AppendError> {
        self.submit(entry)?.wait()
    }

    /// Checks an entry and queues it without waiting: one task can keep many appends in
    /// flight (they commit together) and wait for each receipt later. Entries submitted
    /// by one thread are committed in submission order, so an author may pipeline its
    /// seqs.
    pub fn submit(&self, entry: Entry) -> Result<Pending, AppendError> {
        let key = self
            .shared
            .config
            .keyring
            .get(entry.author())
            .ok_or_else(|| AppendError::UnknownAuthor(entry.author().to_owned()))?;
        entry.verify(key)?;
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Request::Append(entry, reply))?;
        Ok(Pending { answer })
    }

    /// Parses, checks and appends submitted envelope bytes.
    pub fn append_bytes(&self, bytes: &[u8]) -> Result<Receipt, AppendError> {
        self.append(Entry::parse(bytes)?)
    }

    /// Appends an entry the mediator authors (engine events, say): the writer assigns the
    /// seq and signs with the log key under the mediator's party id.
    pub fn append_own(
        &self,
        kind: &str,
        audience: Vec<String>,
        body: Value,
        time_ms: u64,
    ) -> Result<Receipt, AppendError> {
        self.submit_own(kind, audience, body, time_ms)?.wait()
    }

    /// [`Self::append_own`] without waiting: entries one thread submits are committed in
    /// that order, and those queued together share one commit (one fsync).
    pub fn submit_own(
        &self,
        kind: &str,
        audience: Vec<String>,
        body: Value,
        time_ms: u64,
    ) -> Result<Pending, AppendError> {
        self.submit_own_attached(kind, audience, body, time_ms, None)
    }

    /// [`Self::submit_own`] with bytes the body names (by their SHA-256, which the caller
    /// puts in the body), committed with the entry: once its receipt exists, so do they.
    pub fn submit_own_attached(
        &self,
        kind: &str,
        audience: Vec<String>,
        body: Value,
        time_ms: u64,
        attachment: Option<Vec<u8>>,
    ) -> Result<Pending, AppendError> {
        let draft = Draft {
            seq: 1,
            time_ms,
            author: self.shared.config.mediator.clone(),
            kind: kind.to_owned(),
            audience,
            body,
        }
        .normalise()?;
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Request::Own(draft, attachment, reply))?;
        Ok(Pending { answer })
    }

    fn send(&self, request: Request) -> Result<(), AppendError> {
        if let Some(why) = &self.view().stopped {
            return Err(AppendError::Stopped(why.clone()));
        }
        let tx = self.tx.as_ref().expect("sender lives until drop");
        tx.send(request)
            .map_err(|_| AppendError::Stopped("writer thread ended".into()))
    }
}
