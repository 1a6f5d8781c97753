//! Reading an export's lines: each within the line limit, and a leaf line parsed into the
//! entry it shows or the leaf hash it stands for.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::report::fail;
use super::{VerifyError, MAX_LINE_BYTES};
use crate::envelope::Entry;
use crate::merkle::Hash;
use crate::receipt::{b64_hash, Receipt};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AnyLine<'a> {
    pub(super) index: Option<u64>,
    #[serde(borrow)]
    pub(super) entry: Option<&'a RawValue>,
    pub(super) leaf: Option<&'a str>,
    pub(super) checkpoint: Option<String>,
    pub(super) receipt: Option<Receipt>,
}

pub(super) enum Leaf {
    Visible(Box<Entry>),
    Hidden(Hash),
}

pub(super) fn parse_leaf(line: u64, index: u64, text: &[u8]) -> Result<Leaf, VerifyError> {
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

/// Reads one line (without its newline) of at most [`MAX_LINE_BYTES`].
pub(super) fn read_line<'b>(
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
