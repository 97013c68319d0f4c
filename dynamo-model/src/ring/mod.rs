//! Consistent hashing, partitioning strategies and preference lists (being written).
