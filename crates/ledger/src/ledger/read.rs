//! Reads of the published log, each from a reader of its own: scans (what projections
//! catch up from) and exports.

use std::io::Write;

use super::{ExportError, Ledger};
use crate::envelope::Entry;
use crate::export::{ExportWriter, Header, EXPORT_FORMAT, FULL_VIEW};
use crate::merkle::{leaf_hash, Hash};
use crate::receipt::Receipt;
use crate::store::StoreError;

impl Ledger {
    /// Calls `f` with each published entry from index `from` on (up to the latest
    /// checkpoint), in index order, from a reader of its own: what a projection catches up
    /// from. Stops at the first error `f` returns and gives it back.
    pub fn scan_entries<E: From<ExportError>>(
        &self,
        from: u64,
        f: &mut dyn FnMut(u64, Entry) -> Result<(), E>,
    ) -> Result<u64, E> {
        let size = self.size();
        if from >= size {
            return Ok(size);
        }
        let reader = (self.open_reader)().map_err(|e| E::from(ExportError::Store(e)))?;
        let mut failed: Option<E> = None;
        let scanned = reader.scan(from, size, &mut |row| {
            let entry = Entry::parse(&row.envelope).map_err(|e| {
                failed = Some(E::from(ExportError::Corrupt {
                    index: row.index,
                    what: e.to_string(),
                }));
                StoreError::Interrupted
            })?;
            f(row.index, entry).map_err(|e| {
                failed = Some(e);
                StoreError::Interrupted
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        scanned.map_err(|e| E::from(ExportError::Store(e)))?;
        Ok(size)
    }

    /// Calls `f` with each published entry's attachment from index `from` on, in index
    /// order, from a reader of its own. The bytes are as stored: the caller checks them
    /// against the hash its entry names.
    pub fn scan_attachments(
        &self,
        from: u64,
        f: &mut dyn FnMut(u64, Vec<u8>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let size = self.size();
        if from >= size {
            return Ok(size);
        }
        let reader = (self.open_reader)()?;
        reader.scan_attachments(from, size, &mut |a| f(a.index, a.bytes))?;
        Ok(size)
    }

    /// Writes an export for `party` (or [`FULL_VIEW`] for everything) of the latest
    /// published tree: bodies the party may read, leaf hashes for the rest, every
    /// checkpoint with its cosignatures, and receipts for the party's own entries.
    pub fn export(&self, party: &str, out: &mut dyn Write) -> Result<u64, ExportError> {
        let (checkpoints, size) = {
            let view = self.view();
            (
                view.checkpoints.clone(),
                view.checkpoints.last().map_or(0, |c| c.checkpoint.size),
            )
        };
        let header = Header {
            format: EXPORT_FORMAT.into(),
            origin: self.shared.log_verifier.name().into(),
            party: party.into(),
            size,
        };
        let mut w = ExportWriter::new(out, &header)?;
        let mut own: Vec<(u64, Hash)> = Vec::new();
        // A reader of its own, so a long export blocks nobody.
        let reader = (self.open_reader)()?;
        let mut result: Result<(), ExportError> = Ok(());
        reader
            .scan(0, size, &mut |row| {
                let step = (|| {
                    if leaf_hash(&row.envelope) != row.leaf {
                        return Err(ExportError::Corrupt {
                            index: row.index,
                            what: "envelope does not hash to its leaf hash".into(),
                        });
                    }
                    let entry = Entry::parse(&row.envelope).map_err(|e| ExportError::Corrupt {
                        index: row.index,
                        what: e.to_string(),
                    })?;
                    if party == FULL_VIEW || entry.readable_by(party) {
                        w.entry(row.index, entry.bytes())?;
                    } else {
                        w.leaf(row.index, &row.leaf)?;
                    }
                    if entry.author() == party {
                        own.push((row.index, row.leaf));
                    }
                    Ok(())
                })();
                match step {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        result = Err(e);
                        Err(StoreError::Interrupted)
                    }
                }
            })
            .or_else(|e| match e {
                StoreError::Interrupted => Ok(()),
                e => Err(e),
            })?;
        result?;
        for cp in &checkpoints {
            w.checkpoint(&self.with_cosignatures(cp.clone())?.to_string())?;
        }
        for (index, leaf) in own {
            let cp = checkpoints
                .iter()
                .find(|c| c.checkpoint.size > index)
                .expect("index below the last size");
            let inclusion = self
                .view()
                .tree
                .inclusion_proof(index, cp.checkpoint.size)
                .expect("in range");
            w.receipt(&Receipt {
                index,
                leaf_hash: leaf,
                checkpoint: cp.to_string(),
                inclusion,
            })?;
        }
        w.finish()?;
        Ok(size)
    }
}
