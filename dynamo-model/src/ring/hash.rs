//! Ring positions: where keys land (MD5, §4.2) and where random tokens are drawn.

use md5::{Digest, Md5};
use sim_core::SimRng;

/// A point on Dynamo's ring: the 128-bit output space of MD5, read as an unsigned integer.
///
/// The ring wraps: the successor of `u128::MAX` is `0`. "Clockwise" means increasing values.
pub type RingPos = u128;

/// The ring position of a key: MD5 over the key's decimal representation, read big-endian.
///
/// Exact encoding: the key is written in base 10 as ASCII digits, with no sign, no leading
/// zeros (`0` is the single byte `"0"`), no terminator and no padding. The 16 output bytes of
/// MD5 are read as a big-endian `u128`, so the first digest byte is the most significant.
/// Example: key `42` hashes the two bytes `b"42"`, digest `a1d0c6e8…f4ac58a6`.
///
/// Memoised: each thread keeps the last position computed per slot of a small direct-mapped
/// table ([`MEMO_SLOTS`] entries), so a hot key is hashed once, not once per operation and
/// per hop. The memo only stores results of this pure function, so it cannot change a run.
pub fn key_position(key: u64) -> RingPos {
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        let slot = &mut memo[(key % MEMO_SLOTS as u64) as usize];
        if slot.0 != key {
            *slot = (key, md5_position(key));
        }
        slot.1
    })
}

/// Slots of the per-thread [`key_position`] memo (32 bytes each: 2 MiB per thread).
pub const MEMO_SLOTS: usize = 1 << 16;

thread_local! {
    /// Every slot starts out holding key 0 with its true position, so no slot is ever wrong.
    static MEMO: std::cell::RefCell<Box<[(u64, RingPos)]>> =
        std::cell::RefCell::new(vec![(0, md5_position(0)); MEMO_SLOTS].into_boxed_slice());
}

/// [`key_position`] without the memo.
fn md5_position(key: u64) -> RingPos {
    let mut digits = [0u8; 20];
    let text = decimal(key, &mut digits);
    let digest: [u8; 16] = Md5::digest(text).into();
    u128::from_be_bytes(digest)
}

/// Writes `n` in base 10 into the tail of `buf` and returns the written digits (no allocation).
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[start..];
        }
    }
}

/// A uniformly random token position: two draws, the first one giving the high 64 bits.
pub fn random_token(rng: &mut SimRng) -> RingPos {
    let high = rng.next_u64() as u128;
    let low = rng.next_u64() as u128;
    (high << 64) | low
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memo_returns_what_md5_gives_even_when_keys_share_a_slot() {
        let colliding = [7u64, 7 + MEMO_SLOTS as u64, 7 + 2 * MEMO_SLOTS as u64];
        for _ in 0..2 {
            for key in colliding {
                assert_eq!(key_position(key), md5_position(key));
            }
        }
    }

    #[test]
    fn md5_of_42_is_pinned() {
        // `printf 42 | md5sum` = a1d0c6e83f027327d8461063f4ac58a6
        assert_eq!(key_position(42), 0xa1d0_c6e8_3f02_7327_d846_1063_f4ac_58a6);
    }

    #[test]
    fn decimal_encoding_matches_to_string() {
        for key in [0u64, 1, 9, 10, 42, 1_000_000, u64::MAX] {
            let mut buf = [0u8; 20];
            assert_eq!(decimal(key, &mut buf), key.to_string().as_bytes());
            let digest: [u8; 16] = Md5::digest(key.to_string().as_bytes()).into();
            assert_eq!(key_position(key), u128::from_be_bytes(digest));
        }
    }

    #[test]
    fn random_tokens_use_both_halves() {
        let mut a = SimRng::stream(1, "tokens");
        let mut b = SimRng::stream(1, "tokens");
        let t = random_token(&mut a);
        let high = b.next_u64() as u128;
        let low = b.next_u64() as u128;
        assert_eq!(t, (high << 64) | low);
    }
}
