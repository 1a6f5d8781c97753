//! Writing an export, line by line.

use std::io::Write;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Serialize;
use serde_json::value::RawValue;

use super::Header;
use crate::merkle::Hash;
use crate::receipt::Receipt;

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
