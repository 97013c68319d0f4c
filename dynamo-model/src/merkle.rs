//! Merkle trees per key range for anti-entropy (being written).
