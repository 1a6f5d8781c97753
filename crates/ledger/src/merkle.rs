//! The Merkle tree of RFC 6962 / RFC 9162 section 2.1: hashes, tree heads, inclusion and
//! consistency proofs. Pure: no I/O.
//!
//! [`MerkleTree`] keeps every complete (perfect, aligned) subtree hash, level by level, so a
//! proof or a past root costs O(log^2 n) hashes at worst and appending is amortised O(1).
//! Memory is about 64 bytes a leaf.

use sha2::{Digest, Sha256};

/// A SHA-256 hash: leaf, node or root.
pub type Hash = [u8; 32];

/// Longest proof accepted from outside: two per level of a 2^64 tree is far more than any
/// real tree needs, and bounds the work a hostile proof can cause.
pub const MAX_PROOF_HASHES: usize = 128;

/// Leaf hash: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// Interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Why a proof was refused, or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("size {size} is larger than the tree ({len} leaves)")]
    SizeOutOfRange { size: u64, len: u64 },
    #[error("old size {old} is larger than new size {new}")]
    SizesReversed { old: u64, new: u64 },
    #[error("proof has {0} hashes, more than allowed")]
    TooLong(usize),
    #[error("proof has the wrong number of hashes")]
    WrongLength,
    #[error("proof does not lead to the expected root")]
    RootMismatch,
    #[error("trees of equal size have different roots")]
    EqualSizeDifferentRoots,
}

/// Largest power of two strictly smaller than `n` (n >= 2), the split point of RFC 6962.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// An append-only Merkle tree holding all complete subtree hashes.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    /// `levels[k][i]` is the hash of leaves `i*2^k .. (i+1)*2^k`; only complete subtrees.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a tree from leaf hashes.
    pub fn from_leaves(leaves: Vec<Hash>) -> Self {
        let mut levels = vec![leaves];
        while levels.last().is_some_and(|l| l.len() >= 2) {
            let below = levels.last().expect("just checked");
            let above = below
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
            levels.push(above);
        }
        Self { levels }
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let mut k = 0;
        while self.levels[k].len() % 2 == 0 {
            let n = self.levels[k].len();
            let parent = node_hash(&self.levels[k][n - 2], &self.levels[k][n - 1]);
            if self.levels.len() == k + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[k + 1].push(parent);
            k += 1;
        }
    }

    /// Drops every leaf from `size` on (undo of appends that were not made durable).
    pub fn truncate(&mut self, size: u64) {
        for (k, level) in self.levels.iter_mut().enumerate() {
            level.truncate((size >> k) as usize);
        }
        while self.levels.len() > 1 && self.levels.last().is_some_and(|l| l.is_empty()) {
            self.levels.pop();
        }
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels
            .first()?
            .get(usize::try_from(index).ok()?)
            .copied()
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        self.root_at(self.len()).expect("own size is in range")
    }

    /// The root the tree had when it held `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        self.check_size(size)?;
        Ok(if size == 0 {
            empty_root()
        } else {
            self.subtree(0, size)
        })
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        if size > self.len() {
            return Err(ProofError::SizeOutOfRange {
                size,
                len: self.len(),
            });
        }
        Ok(())
    }

    /// MTH of leaves `start .. start+n` (n >= 1).
    fn subtree(&self, start: u64, n: u64) -> Hash {
        if n.is_power_of_two() && start % n == 0 {
            let k = n.trailing_zeros() as usize;
            return self.levels[k][(start >> k) as usize];
        }
        let k = split_point(n);
        node_hash(&self.subtree(start, k), &self.subtree(start + k, n - k))
    }

    /// Audit path for the leaf at `index` in the tree of `size` leaves (RFC 6962 PATH).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Ok(proof)
    }

    fn path(&self, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) {
        if n == 1 {
            return;
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.subtree(start + k, n - k));
        } else {
            self.path(m - k, start + k, n - k, out);
            out.push(self.subtree(start, k));
        }
    }

    /// Consistency proof from the tree of `old` leaves to the tree of `new` leaves
    /// (RFC 6962 PROOF). Empty when `old` is 0 or equal to `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(new)?;
        if old > new {
            return Err(ProofError::SizesReversed { old, new });
        }
        let mut proof = Vec::new();
        if old > 0 && old < new {
            self.subproof(old, 0, new, true, &mut proof);
        }
        Ok(proof)
    }

    fn subproof(&self, m: u64, start: u64, n: u64, whole: bool, out: &mut Vec<Hash>) {
        if m == n {
            if !whole {
                out.push(self.subtree(start, n));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, k, whole, out);
            out.push(self.subtree(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.subtree(start, k));
        }
    }
}

/// Verifies an inclusion proof (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    if proof.len() > MAX_PROOF_HASHES {
        return Err(ProofError::TooLong(proof.len()));
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies a consistency proof (RFC 9162 section 2.1.4.2). A tree of size 0 is consistent
/// with every tree, with an empty proof.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesReversed {
            old: old_size,
            new: new_size,
        });
    }
    if proof.len() > MAX_PROOF_HASHES {
        return Err(ProofError::TooLong(proof.len()));
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        if old_root != new_root {
            return Err(ProofError::EqualSizeDifferentRoots);
        }
        return Ok(());
    }
    if old_size == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(s: &str) -> Hash {
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    fn b64(s: &str) -> Hash {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .unwrap()
            .try_into()
            .unwrap()
    }

    /// The leaf inputs of the certificate-transparency reference tests
    /// (transparency-dev/merkle testonly, derived from the CT C++ tests).
    fn reference_leaves() -> Vec<Vec<u8>> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| {
            (0..h.len() / 2)
                .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
                .collect()
        })
        .collect()
    }

    /// Published roots for the trees of sizes 0..=8 over the reference leaves.
    const REFERENCE_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn reference_tree() -> MerkleTree {
        let mut tree = MerkleTree::new();
        for leaf in reference_leaves() {
            tree.push(leaf_hash(&leaf));
        }
        tree
    }

    #[test]
    fn published_roots_for_sizes_0_to_8() {
        let tree = reference_tree();
        for (size, want) in REFERENCE_ROOTS.iter().enumerate() {
            assert_eq!(tree.root_at(size as u64).unwrap(), hex(want), "size {size}");
        }
    }

    #[test]
    fn published_consistency_proof_1_to_8() {
        // transparency-dev/merkle testdata/consistency/1/happy-path.json
        let proof = [
            b64("lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c="),
            b64("Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4="),
            b64("a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="),
        ];
        let root1 = b64("bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=");
        let root8 = b64("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=");
        verify_consistency(1, 8, &root1, &root8, &proof).unwrap();
        assert_eq!(reference_tree().consistency_proof(1, 8).unwrap(), proof);
        let mut bad = proof;
        bad[1][4] ^= 1;
        assert!(verify_consistency(1, 8, &root1, &root8, &bad).is_err());
        assert!(verify_consistency(1, 8, &root8, &root1, &proof).is_err());
    }

    #[test]
    fn published_inclusion_proofs_for_8_leaves() {
        // RFC 6962 reference vectors: audit path of leaf 0 in the tree of 8 is the siblings
        // 96a2.., then the node over leaves 2..4 (5f08..), then over 4..8 (6b47..).
        let tree = reference_tree();
        let want = [
            hex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            hex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            hex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ];
        assert_eq!(tree.inclusion_proof(0, 8).unwrap(), want);
        let root = hex(REFERENCE_ROOTS[8]);
        verify_inclusion(0, 8, &tree.leaf(0).unwrap(), &want, &root).unwrap();
        assert!(verify_inclusion(1, 8, &tree.leaf(0).unwrap(), &want, &root).is_err());
    }

    /// The RFC 6962 definition, written independently and recursively, as the oracle.
    fn brute_mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node_hash(&brute_mth(&leaves[..k]), &brute_mth(&leaves[k..]))
            }
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n as u32).map(|i| leaf_hash(&i.to_le_bytes())).collect()
    }

    proptest! {
        #[test]
        fn roots_match_brute_force(n in 0usize..300, cut in 0usize..300) {
            let hashes = leaves(n);
            let tree = MerkleTree::from_leaves(hashes.clone());
            let mut pushed = MerkleTree::new();
            for h in &hashes { pushed.push(*h); }
            let size = cut.min(n);
            prop_assert_eq!(tree.root_at(size as u64).unwrap(), brute_mth(&hashes[..size]));
            prop_assert_eq!(pushed.root_at(size as u64).unwrap(), brute_mth(&hashes[..size]));
            pushed.truncate(size as u64);
            prop_assert_eq!(pushed.root(), brute_mth(&hashes[..size]));
            pushed.push(leaf_hash(b"after truncate"));
            let mut again = hashes[..size].to_vec();
            again.push(leaf_hash(b"after truncate"));
            prop_assert_eq!(pushed.root(), brute_mth(&again));
        }

        #[test]
        fn inclusion_proofs_verify_and_bind_the_index(n in 1usize..200, i in 0usize..200, s in 1usize..200) {
            let hashes = leaves(n);
            let tree = MerkleTree::from_leaves(hashes.clone());
            let size = s.min(n);
            let index = i % size;
            let root = brute_mth(&hashes[..size]);
            let proof = tree.inclusion_proof(index as u64, size as u64).unwrap();
            verify_inclusion(index as u64, size as u64, &hashes[index], &proof, &root).unwrap();
            if size > 1 {
                let other = (index + 1) % size;
                prop_assert!(verify_inclusion(other as u64, size as u64, &hashes[index], &proof, &root).is_err());
            }
            if let Some(first) = proof.first() {
                let mut bad = proof.clone();
                bad[0] = node_hash(first, first);
                prop_assert!(verify_inclusion(index as u64, size as u64, &hashes[index], &bad, &root).is_err());
            }
        }

        #[test]
        fn consistency_proofs_verify_and_catch_forks(n in 1usize..200, a in 0usize..200, b in 0usize..200) {
            let hashes = leaves(n);
            let tree = MerkleTree::from_leaves(hashes.clone());
            let (old, new) = (a.min(b).min(n), a.max(b).min(n));
            let (old_root, new_root) = (brute_mth(&hashes[..old]), brute_mth(&hashes[..new]));
            let proof = tree.consistency_proof(old as u64, new as u64).unwrap();
            verify_consistency(old as u64, new as u64, &old_root, &new_root, &proof).unwrap();
            if old > 0 && old < new {
                // A fork: the same new size with one leaf before `old` changed.
                let mut forked = hashes.clone();
                forked[old - 1] = leaf_hash(b"forked");
                let forked_root = brute_mth(&forked[..new]);
                prop_assert!(verify_consistency(old as u64, new as u64, &old_root, &forked_root, &proof).is_err());
            }
        }
    }
}
