//! A small deterministic 64-bit hash (FNV-1a) for version digests: the same on every platform
//! and Rust release, unlike `std`'s `DefaultHasher`.

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over the little-endian bytes of the words written.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fnv1a(u64);

impl Fnv1a {
    /// A hasher in its initial state.
    pub(super) const fn new() -> Self {
        Fnv1a(OFFSET_BASIS)
    }

    /// Feeds one word.
    pub(super) fn write_u64(&mut self, word: u64) {
        for byte in word.to_le_bytes() {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(PRIME);
        }
    }

    /// The hash of everything fed so far.
    pub(super) const fn finish(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_fnv1a_vector_and_is_order_sensitive() {
        // FNV-1a 64 of the single byte "a" is 0xaf63dc4c8601ec8c.
        let mut h = Fnv1a::new();
        h.0 = (h.0 ^ u64::from(b'a')).wrapping_mul(PRIME);
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
        let (mut ab, mut ba) = (Fnv1a::new(), Fnv1a::new());
        ab.write_u64(1);
        ab.write_u64(2);
        ba.write_u64(2);
        ba.write_u64(1);
        assert_ne!(ab.finish(), ba.finish());
    }
}
