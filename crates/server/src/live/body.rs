//! A report batch's body as the ledger keeps it: compressed with LZ4 (JSON Lines of
//! positions shrink about 3.6 times), so that keeping every batch costs the disk a
//! quarter of the bytes posted. At 100,000 reports a second that is ~3 MB/s instead of
//! ~12 MB/s through the ledger's fsync'd commits, which the feed's commits share the disk
//! with. The entry names the body by the SHA-256 of the bytes as posted, never of this
//! form, so the format can change without touching the record.
//!
//! Format: one tag byte (1: an LZ4 block), then the body's length as u32 little-endian,
//! then the block.

use crate::api::MAX_BODY_BYTES;

const LZ4_BLOCK: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the kept body has an unknown format (tag {0})")]
    UnknownFormat(u8),
    #[error("the kept body says it is {0} bytes, more than a batch may be")]
    TooLarge(usize),
    #[error("the kept body does not decompress: {0}")]
    Corrupt(String),
}

/// The body in the form the ledger keeps.
pub fn pack(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + lz4_flex::block::get_maximum_output_size(body.len()) + 4);
    out.push(LZ4_BLOCK);
    out.extend_from_slice(&lz4_flex::compress_prepend_size(body));
    out
}

/// The body as posted, from the form the ledger keeps; the length it claims is checked
/// before anything is allocated for it.
pub fn unpack(kept: &[u8]) -> Result<Vec<u8>, BodyError> {
    match kept.first() {
        Some(&LZ4_BLOCK) => {}
        Some(&tag) => return Err(BodyError::UnknownFormat(tag)),
        None => return Err(BodyError::Corrupt("empty".into())),
    }
    let rest = &kept[1..];
    let claimed = rest
        .get(..4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        .ok_or_else(|| BodyError::Corrupt("no length".into()))?;
    if claimed > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge(claimed));
    }
    lz4_flex::decompress_size_prepended(rest).map_err(|e| BodyError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_body_comes_back_as_posted(body in proptest::collection::vec(any::<u8>(), 0..4096)) {
            prop_assert_eq!(unpack(&pack(&body)).unwrap(), body);
        }

        #[test]
        fn damage_is_an_error_never_a_panic(body in proptest::collection::vec(any::<u8>(), 0..512), at in any::<usize>(), byte in any::<u8>()) {
            let mut kept = pack(&body);
            let i = at % kept.len();
            kept[i] = byte;
            let _ = unpack(&kept);
            let _ = unpack(&kept[..i]);
        }
    }

    #[test]
    fn a_claimed_length_past_the_limit_is_refused_before_allocating() {
        let mut kept = vec![LZ4_BLOCK];
        kept.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(unpack(&kept), Err(BodyError::TooLarge(_))));
        assert!(matches!(unpack(&[9]), Err(BodyError::UnknownFormat(9))));
    }
}
