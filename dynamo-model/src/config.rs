//! Dynamo's tunables for one run: quorum sizes, versioning, coordination, read repair, sloppy
//! quorum and hinted handoff, failure detection, storage, anti-entropy and membership.
//!
//! Every field has a default that matches the paper's common configuration, (N,R,W) = (3,2,2)
//! with vector clocks truncated at 10. [`DynamoConfig::validate`] rejects impossible settings
//! with a typed error naming the field.

use crate::ring::PlacementPolicy;
use crate::version::VersioningMode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a request's state machine runs (§4.5, §6.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoordinatorMode {
    /// A storage node coordinates; a request reaching a node outside the key's top N is
    /// forwarded to the first reachable top-N node, which writes locally and waits for W−1 acks.
    #[default]
    Replica,
    /// The node that receives the request coordinates without storing locally: it sends to all
    /// N replicas and waits for W (or R) of them (the PBS / non-replica-coordinator model).
    Proxy,
    /// The client library coordinates reads itself and sends writes straight to a top-N node,
    /// using a membership snapshot it refreshes by polling a random node.
    ClientDriven,
}

/// Read repair after a get (§5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ReadRepair {
    /// No repair.
    Off,
    /// Reply at R, wait briefly for late replies, then push the reconciled version to every
    /// replica that answered stale.
    Async {
        /// How long to wait for late replies after replying, in milliseconds.
        wait_ms: f64,
    },
    /// Repair the stale replicas among the first R before replying.
    #[default]
    Blocking,
}

/// Sloppy quorum and hinted handoff (§4.6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SloppyQuorum {
    /// Use the first N *healthy* nodes of the extended preference list, with hints on the
    /// substitutes. When false (a strict quorum), only the top N are ever asked. Default true.
    pub enabled: bool,
    /// Stop hinting for a node this node has believed down for longer than this, in
    /// milliseconds (Cassandra's max_hint_window, default 3 h). Default 10,800,000.
    pub hint_window_ms: f64,
    /// At most this many hints in a node's hint store; further hinted writes are refused.
    /// Default 100,000.
    pub max_hints: usize,
    /// How often the hint store is scanned for deliverable hints, in milliseconds. Default 1000.
    pub scan_interval_ms: f64,
}

impl Default for SloppyQuorum {
    fn default() -> Self {
        SloppyQuorum { enabled: true, hint_window_ms: 10_800_000.0, max_hints: 100_000, scan_interval_ms: 1000.0 }
    }
}

/// Local failure detection (§4.8): a peer that does not answer is down for this node only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FailureDetection {
    /// A coordinator that has not confirmed a forwarded request within this many milliseconds
    /// is suspected and the request routed again. (Replicas are suspected when they miss an
    /// operation's deadline.) Default 100.
    pub suspect_after_ms: f64,
    /// How often a suspected peer is probed again, in milliseconds. Default 1000.
    pub retry_interval_ms: f64,
}

impl Default for FailureDetection {
    fn default() -> Self {
        FailureDetection { suspect_after_ms: 100.0, retry_interval_ms: 1000.0 }
    }
}

/// The storage engine (§5, §6.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// fsync every write before acknowledging it (direct, durable writes). Default true.
    pub fsync_writes: bool,
    /// Buffered writes (§6.1): keep writes in an in-memory object buffer flushed periodically,
    /// with one of the N replicas asked to write durably. Default: off.
    pub buffer: Option<BufferConfig>,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig { fsync_writes: true, buffer: None }
    }
}

/// The in-memory object buffer of §6.1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BufferConfig {
    /// Flush the buffer to disk this often, in milliseconds. Default 1000.
    pub flush_interval_ms: f64,
    /// Flush early when the buffer holds this many objects (the paper's "thousand objects").
    /// Default 1000.
    pub max_objects: usize,
}

impl Default for BufferConfig {
    fn default() -> Self {
        BufferConfig { flush_interval_ms: 1000.0, max_objects: 1000 }
    }
}

/// Dynamo's settings for one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DynamoConfig {
    /// Replicas per key. Default 3.
    pub n: usize,
    /// Read quorum. Default 2.
    pub r: usize,
    /// Write quorum. Default 2.
    pub w: usize,
    /// How versions are tracked and reconciled. Default: vector clocks truncated at 10.
    pub versioning: VersioningMode,
    /// Where requests are coordinated. Default: a replica.
    pub coordinator: CoordinatorMode,
    /// Read repair. Default: blocking.
    pub read_repair: ReadRepair,
    /// Replica placement: walk the ring clockwise, or spread the first N over datacenters.
    /// Default: clockwise.
    pub placement: PlacementPolicy,
    /// A coordinator fails an operation that lacks its quorum after this many milliseconds.
    /// Default 300 (the paper's SLA).
    pub request_timeout_ms: f64,
    /// Sloppy quorum and hinted handoff.
    pub sloppy_quorum: SloppyQuorum,
    /// Local failure detection.
    pub failure_detection: FailureDetection,
    /// The storage engine.
    pub storage: StorageConfig,
    /// A client-driven client polls a random node for membership this often, in milliseconds.
    /// Default 10,000 (§6.4).
    pub membership_poll_ms: f64,
}

impl Default for DynamoConfig {
    fn default() -> Self {
        DynamoConfig {
            n: 3,
            r: 2,
            w: 2,
            versioning: VersioningMode::default(),
            coordinator: CoordinatorMode::default(),
            read_repair: ReadRepair::default(),
            placement: PlacementPolicy::default(),
            request_timeout_ms: 300.0,
            sloppy_quorum: SloppyQuorum::default(),
            failure_detection: FailureDetection::default(),
            storage: StorageConfig::default(),
            membership_poll_ms: 10_000.0,
        }
    }
}

/// An impossible Dynamo setting.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A quorum size is out of range.
    #[error("{field}: must be between 1 and {max}, got {got}")]
    Quorum {
        /// `n`, `r` or `w`.
        field: &'static str,
        /// The largest allowed value.
        max: usize,
        /// The value given.
        got: usize,
    },
    /// A duration is not a finite number above zero.
    #[error("{field}: must be a finite number of milliseconds > 0, got {got}")]
    Duration {
        /// The field path.
        field: &'static str,
        /// The value given.
        got: f64,
    },
    /// A count must be positive.
    #[error("{field}: must be at least 1")]
    Count {
        /// The field path.
        field: &'static str,
    },
}

impl DynamoConfig {
    /// Checks the settings for a cluster of `nodes` storage nodes.
    pub fn validate(&self, nodes: usize) -> Result<(), ConfigError> {
        let quorum = |field, got: usize, max: usize| {
            if (1..=max).contains(&got) { Ok(()) } else { Err(ConfigError::Quorum { field, max, got }) }
        };
        quorum("n", self.n, nodes.max(1))?;
        quorum("r", self.r, self.n)?;
        quorum("w", self.w, self.n)?;
        let mut durations = vec![
            ("request_timeout_ms", self.request_timeout_ms),
            ("sloppy_quorum.hint_window_ms", self.sloppy_quorum.hint_window_ms),
            ("sloppy_quorum.scan_interval_ms", self.sloppy_quorum.scan_interval_ms),
            ("failure_detection.suspect_after_ms", self.failure_detection.suspect_after_ms),
            ("failure_detection.retry_interval_ms", self.failure_detection.retry_interval_ms),
            ("membership_poll_ms", self.membership_poll_ms),
        ];
        if let ReadRepair::Async { wait_ms } = self.read_repair {
            durations.push(("read_repair.async.wait_ms", wait_ms));
        }
        if let Some(b) = &self.storage.buffer {
            durations.push(("storage.buffer.flush_interval_ms", b.flush_interval_ms));
            if b.max_objects == 0 {
                return Err(ConfigError::Count { field: "storage.buffer.max_objects" });
            }
        }
        for (field, got) in durations {
            if !(got.is_finite() && got > 0.0) {
                return Err(ConfigError::Duration { field, got });
            }
        }
        if let VersioningMode::VectorClock { truncation_threshold: 0 } = self.versioning {
            return Err(ConfigError::Count { field: "versioning.vector_clock.truncation_threshold" });
        }
        Ok(())
    }

    /// True when R + W > N: read and write quorums always intersect.
    pub fn is_strict_overlap(&self) -> bool {
        self.r + self.w > self.n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_papers_common_configuration() {
        let c = DynamoConfig::default();
        assert_eq!((c.n, c.r, c.w), (3, 2, 2));
        assert!(c.validate(5).is_ok());
        assert!(c.is_strict_overlap());
    }

    #[test]
    fn impossible_settings_are_named() {
        let c = DynamoConfig { r: 4, ..DynamoConfig::default() };
        assert_eq!(c.validate(5).unwrap_err().to_string(), "r: must be between 1 and 3, got 4");
        let c = DynamoConfig { n: 6, ..DynamoConfig::default() };
        assert_eq!(c.validate(5).unwrap_err(), ConfigError::Quorum { field: "n", max: 5, got: 6 });
        let c = DynamoConfig { request_timeout_ms: f64::NAN, ..DynamoConfig::default() };
        assert!(matches!(c.validate(5), Err(ConfigError::Duration { field: "request_timeout_ms", .. })));
        let c = DynamoConfig { read_repair: ReadRepair::Async { wait_ms: -1.0 }, ..DynamoConfig::default() };
        assert!(c.validate(5).is_err());
    }
}
