//! The fixed 64-bit mixing functions behind leaf placement, leaf hashes and node hashes, and the
//! hashes they give an all-empty subtree of each height ([`EMPTY_SUBTREE`]).
//!
//! They are part of the exchange's contract: two replicas agree only if they hash alike, so a
//! test pins their output and any change to them fails loudly.

use super::config::MAX_DEPTH;

/// The SplitMix64 increment (2^64 / golden ratio).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
/// Salt for leaf placement, so placement is independent of the entry hash.
const LEAF_SALT: u64 = 0x6A09_E667_F3BC_C908;
/// Salt for interior nodes, so a node hash is never confused with an entry hash.
const NODE_SALT: u64 = 0xBB67_AE85_84CA_A73B;

/// SplitMix64: a bijective, well-avalanched mix of 64 bits.
#[inline]
pub(crate) const fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The leaf bucket of `key` in a tree of `depth` levels: the top `depth` bits of a salted mix.
#[inline]
pub(crate) const fn leaf_of(key: u64, depth: u8) -> u32 {
    debug_assert!(depth >= 1 && depth <= 32);
    (mix64(key ^ LEAF_SALT) >> (64 - depth as u32)) as u32
}

/// What one `(key, digest)` pair adds (wrapping) to its leaf's hash.
#[inline]
pub(crate) const fn entry_hash(key: u64, digest: u64) -> u64 {
    mix64(mix64(key) ^ digest)
}

/// An interior node's hash from its children's; order matters.
#[inline]
pub(crate) const fn node_hash(left: u64, right: u64) -> u64 {
    mix64(mix64(left ^ NODE_SALT) ^ right)
}

/// `EMPTY_SUBTREE[h]`: the hash of a subtree of height `h` (`h` levels below its root) holding no
/// key. A leaf of nothing sums to 0; an interior node hashes its two empty children. A sparse tree
/// answers for every node it does not store from this table.
pub(crate) const EMPTY_SUBTREE: [u64; MAX_DEPTH as usize + 1] = {
    let mut table = [0u64; MAX_DEPTH as usize + 1];
    let mut h = 1;
    while h < table.len() {
        table[h] = node_hash(table[h - 1], table[h - 1]);
        h += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_pinned() {
        assert_eq!(mix64(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(entry_hash(1, 2), ENTRY_1_2);
        assert_eq!(node_hash(1, 2), NODE_1_2);
        assert_eq!(leaf_of(42, 10), LEAF_42);
        assert_eq!(EMPTY_SUBTREE[0], 0);
        assert_eq!(EMPTY_SUBTREE[1], node_hash(0, 0));
        assert_eq!(EMPTY_SUBTREE[10], EMPTY_10);
    }

    #[test]
    fn node_hash_is_ordered() {
        assert_ne!(node_hash(1, 2), node_hash(2, 1));
        assert_ne!(node_hash(0, 0), 0);
    }

    #[test]
    fn leaves_spread_evenly() {
        let mut counts = [0u32; 16];
        for key in 0..16_000u64 {
            counts[leaf_of(key, 4) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (800..1200).contains(&c)), "{counts:?}");
    }

    const ENTRY_1_2: u64 = 0xBCD9_DBB4_9673_066B;
    const NODE_1_2: u64 = 0xB1F1_3598_27FA_0586;
    const LEAF_42: u32 = 215;
    const EMPTY_10: u64 = 0x2AA2_A03C_0D27_EA97;
}
