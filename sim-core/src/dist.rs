//! Distributions for latencies and sizes (being written).
