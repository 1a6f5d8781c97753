//! Short ids packed into words for comparison by integers (parties, categories, units).

/// An id with its first 16 bytes packed in two words, so that looking up a party or a
/// category among a handful compares integers, not memory (this runs for every report).
#[derive(Debug, Clone)]
pub(crate) struct PackedId {
    len: usize,
    words: [u64; 2],
    text: Box<str>,
}

impl PackedId {
    pub(crate) fn new(id: &str) -> PackedId {
        PackedId {
            len: id.len(),
            words: PackedId::pack(id),
            text: id.into(),
        }
    }

    /// The first 16 bytes of `id`, zero-padded, as two little-endian words. By overlapping
    /// loads rather than a byte loop: it runs twice for every report.
    #[inline]
    pub(crate) fn pack(id: &str) -> [u64; 2] {
        let b = id.as_bytes();
        let n = b.len();
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let u32_at = |i: usize| u64::from(u32::from_le_bytes(b[i..i + 4].try_into().expect("4")));
        let u16_at = |i: usize| u64::from(u16::from_le_bytes(b[i..i + 2].try_into().expect("2")));
        // Two loads that overlap in the middle cover every length in their range; the
        // bytes they share are the same, so or-ing them is exact.
        match n {
            0 => [0, 0],
            1 => [u64::from(b[0]), 0],
            2..=3 => [u16_at(0) | u16_at(n - 2) << (8 * (n - 2)), 0],
            4..=7 => [u32_at(0) | u32_at(n - 4) << (8 * (n - 4)), 0],
            8 => [u64_at(0), 0],
            9..=15 => [u64_at(0), u64_at(n - 8) >> (8 * (16 - n))],
            _ => [u64_at(0), u64_at(8)],
        }
    }

    #[inline]
    pub(crate) fn same(&self, words: &[u64; 2], text: &str) -> bool {
        self.len == text.len() && self.words == *words && (self.len <= 16 || *self.text == *text)
    }
}

#[cfg(test)]
mod tests {
    use super::PackedId;
    use proptest::prelude::*;

    proptest! {
        /// The overlapping loads pack the same words as a byte loop, at every length.
        #[test]
        fn packing_matches_a_byte_loop(id in "[ -~]{0,24}") {
            let mut want = [0u64; 2];
            for (i, &b) in id.as_bytes().iter().take(16).enumerate() {
                want[i / 8] |= u64::from(b) << (8 * (i % 8));
            }
            prop_assert_eq!(PackedId::pack(&id), want);
        }
    }
}
