//! The reachability oracle's section of a report: how available an ideal strict-quorum system
//! could have been, per window and overall, beside the run's measured availability.
//!
//! `scenarios::metrics::reachability` computes it (its module doc gives the definition); this
//! is only its shape in `report.json`.

use serde::{Deserialize, Serialize};

/// Shares of reads and of writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadWrite {
    /// Of reads.
    pub read: f64,
    /// Of writes.
    pub write: f64,
}

/// One window of the oracle.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReachWindow {
    /// Start of the window, seconds (the report's windows).
    pub start_s: f64,
    /// Sampling instants that fell in it.
    pub samples: u64,
    /// Mean over those instants of the share of (client, key) pairs with a reachable strict
    /// read quorum and write quorum.
    pub strict: ReadWrite,
}

/// `reachability` in `report.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReachabilitySection {
    /// Whether the oracle ran (it needs measurement and at least one sampling instant).
    pub computed: bool,
    /// What the shares mean, in one sentence.
    pub definition: String,
    /// How a client reaches replicas: `client_driven` or `through_coordinator`.
    pub routing: String,
    /// The strict read quorum: R of the top N.
    pub r: usize,
    /// The strict write quorum: W of the top N.
    pub w: usize,
    /// Replicas per key.
    pub n: usize,
    /// Sampling instants while the workload ran (what `strict` averages).
    pub samples: u64,
    /// Mean share of (client, key) pairs with a reachable strict quorum while the workload ran:
    /// the availability an ideal strict-quorum system could have had.
    pub strict: ReadWrite,
    /// The run's measured availability: successful / completed reads and writes (`all_reads`,
    /// `all_writes`), its actual (possibly sloppy) quorum configuration.
    pub measured: ReadWrite,
    /// Per report window (every window that had a sampling instant).
    pub windows: Vec<ReachWindow>,
}
