//! Data versioning: vector clocks, dotted version vectors, last-write-wins (being written).
