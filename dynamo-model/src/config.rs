//! Dynamo's tunables for one run: quorum sizes, versioning, coordination, read repair, sloppy
//! quorum and hinted handoff, failure detection, storage, anti-entropy, admission control and
//! membership.
//!
//! Every field has a default that matches the paper's common configuration, (N,R,W) = (3,2,2)
//! with vector clocks truncated at 10. Spans of time are [`SimDuration`]s. These are the model's
//! own types: the scenario file format that fills them in lives in the `scenarios` crate.
//! [`DynamoConfig::validate`] rejects impossible settings with a typed error naming the field.

use crate::membership::GossipConfig;
use crate::ring::PlacementPolicy;
use crate::version::VersioningMode;
use sim_core::SimDuration;

/// Where a request's state machine runs (§4.5, §6.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

/// Which of the N replicas an operation is sent to (PBS §3; Voldemort).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QuorumShape {
    /// Dynamo's expanding quorums (§4.5): every get and put is sent to all N and waits for the
    /// first R (or W) answers.
    #[default]
    Expanding,
    /// PBS §3's probabilistic quorum: a put is sent to exactly W of the N, a get to exactly R,
    /// each chosen uniformly at random, and every one of them must answer.
    Static,
    /// Voldemort's read fan-out: a get is sent to R of the N chosen uniformly; a put still goes
    /// to all N and waits for W.
    ReadFanOut,
}

impl QuorumShape {
    /// How many of the N targets a get (`is_get`) or put is sent to with quorums `r` and `w`;
    /// `None` for all of them.
    pub fn fan_out(self, is_get: bool, r: usize, w: usize) -> Option<usize> {
        match (self, is_get) {
            (QuorumShape::Expanding, _) | (QuorumShape::ReadFanOut, false) => None,
            (QuorumShape::Static | QuorumShape::ReadFanOut, true) => Some(r),
            (QuorumShape::Static, false) => Some(w),
        }
    }

    /// Whether a put may leave its coordinator out of the replicas it writes (static quorums),
    /// so a replica coordinator must keep what it stamped apart from its store.
    pub fn narrows_writes(self) -> bool {
        self == QuorumShape::Static
    }
}

/// Read repair after a get (§5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadRepair {
    /// No repair.
    Off,
    /// Reply at R, wait briefly for late replies, then push the reconciled version to every
    /// replica that answered stale.
    Async {
        /// How long to wait for late replies after replying.
        wait: SimDuration,
    },
    /// Repair the stale replicas among the first R before replying.
    #[default]
    Blocking,
}

/// Sloppy quorum and hinted handoff (§4.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SloppyQuorum {
    /// Use the first N *healthy* nodes of the extended preference list, with hints on the
    /// substitutes. When false (a strict quorum), only the top N are ever asked. Default true.
    pub enabled: bool,
    /// Stop hinting for a node this node has believed down for longer than this (Cassandra's
    /// max_hint_window). Default 3 h.
    pub hint_window: SimDuration,
    /// At most this many hints in a node's hint store; further hinted writes are refused.
    /// Default 100,000.
    pub max_hints: usize,
    /// How often the hint store is scanned for deliverable hints. Default 1 s.
    pub scan_interval: SimDuration,
}

impl Default for SloppyQuorum {
    fn default() -> Self {
        SloppyQuorum {
            enabled: true,
            hint_window: SimDuration::from_millis(10_800_000),
            max_hints: 100_000,
            scan_interval: SimDuration::from_millis(1000),
        }
    }
}

/// Local failure detection (§4.8): a peer that does not answer is down for this node only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureDetection {
    /// A coordinator that has not confirmed a forwarded request within this span is suspected
    /// and the request routed again. (Replicas are suspected when they miss an operation's
    /// deadline.) Default 100 ms.
    pub suspect_after: SimDuration,
    /// How often a suspected peer is probed again. Default 1 s.
    pub retry_interval: SimDuration,
}

impl Default for FailureDetection {
    fn default() -> Self {
        FailureDetection {
            suspect_after: SimDuration::from_millis(100),
            retry_interval: SimDuration::from_millis(1000),
        }
    }
}

/// The storage engine (§5, §6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BufferConfig {
    /// Flush the buffer to disk this often. Default 1 s.
    pub flush_interval: SimDuration,
    /// Flush early when the buffer holds this many objects (the paper's "thousand objects").
    /// Default 1000.
    pub max_objects: usize,
}

impl Default for BufferConfig {
    fn default() -> Self {
        BufferConfig { flush_interval: SimDuration::from_millis(1000), max_objects: 1000 }
    }
}

/// Anti-entropy with Merkle trees (§4.7): each node keeps one tree per key range it
/// replicates and periodically compares one range with another replica of it, transferring
/// exactly the keys that differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AntiEntropyConfig {
    /// Keep Merkle trees and run periodic exchanges. Default false (no trees, no exchanges).
    pub enabled: bool,
    /// How often a node starts an exchange (one key range, one peer). Default 10 s.
    pub interval: SimDuration,
    /// Levels below each tree's root, in 1..=20; a tree has 2^depth leaf buckets. Default 10.
    pub depth: u8,
    /// At most this many differing keys are transferred by one exchange; the rest wait for a
    /// later exchange of the same range. Default 1000.
    pub max_keys_per_exchange: usize,
    /// An exchange step left unanswered this long is sent again (at most twice), then the
    /// exchange is abandoned. Default 300 ms (like `request_timeout`).
    pub reply_timeout: SimDuration,
}

impl Default for AntiEntropyConfig {
    fn default() -> Self {
        AntiEntropyConfig {
            enabled: false,
            interval: SimDuration::from_millis(10_000),
            depth: crate::merkle::DEFAULT_DEPTH,
            max_keys_per_exchange: 1000,
            reply_timeout: SimDuration::from_millis(300),
        }
    }
}

/// Admission control of background tasks (§6.5): hinted-handoff scans and anti-entropy
/// exchanges ask for a runtime slice first, and are deferred while foreground disk latency is
/// high.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// Gate background tasks on foreground disk latency. Default false (never deferred).
    pub enabled: bool,
    /// The sliding window over which foreground disk latency is measured. Default 60 s (the
    /// paper's "last 60 seconds").
    pub window: SimDuration,
    /// Background work is deferred while the window's 99th-percentile foreground disk service
    /// time exceeds this. Default 50 ms (the paper's example).
    pub p99_threshold: SimDuration,
    /// The first deferral; each further consecutive deferral doubles it. Default 1 s.
    pub min_backoff: SimDuration,
    /// The longest deferral (at least `min_backoff`). Default 60 s.
    pub max_backoff: SimDuration,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        AdmissionConfig {
            enabled: false,
            window: SimDuration::from_millis(60_000),
            p99_threshold: SimDuration::from_millis(50),
            min_backoff: SimDuration::from_millis(1000),
            max_backoff: SimDuration::from_millis(60_000),
        }
    }
}

/// Dynamo's settings for one run.
#[derive(Clone, Debug, PartialEq)]
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
    /// Which replicas a get or put is sent to. Default: all N (expanding quorums).
    pub quorum_shape: QuorumShape,
    /// Read repair. Default: blocking.
    pub read_repair: ReadRepair,
    /// Replica placement: walk the ring clockwise, or spread the first N over datacenters.
    /// Default: clockwise.
    pub placement: PlacementPolicy,
    /// A coordinator fails an operation that lacks its quorum after this span. Default 300 ms
    /// (the paper's SLA).
    pub request_timeout: SimDuration,
    /// Sloppy quorum and hinted handoff.
    pub sloppy_quorum: SloppyQuorum,
    /// Local failure detection.
    pub failure_detection: FailureDetection,
    /// The storage engine.
    pub storage: StorageConfig,
    /// A client-driven client polls a random node for membership this often. Default 10 s
    /// (§6.4).
    pub membership_poll: SimDuration,
    /// Anti-entropy with Merkle trees. Default: off.
    pub anti_entropy: AntiEntropyConfig,
    /// Admission control of background tasks. Default: off.
    pub admission: AdmissionConfig,
    /// Gossip-based membership and key transfer on join and leave.
    pub membership: MembershipConfig,
}

impl Default for DynamoConfig {
    fn default() -> Self {
        DynamoConfig {
            n: 3,
            r: 2,
            w: 2,
            versioning: VersioningMode::default(),
            coordinator: CoordinatorMode::default(),
            quorum_shape: QuorumShape::default(),
            read_repair: ReadRepair::default(),
            placement: PlacementPolicy::default(),
            request_timeout: SimDuration::from_millis(300),
            sloppy_quorum: SloppyQuorum::default(),
            failure_detection: FailureDetection::default(),
            storage: StorageConfig::default(),
            membership_poll: SimDuration::from_millis(10_000),
            anti_entropy: AntiEntropyConfig::default(),
            admission: AdmissionConfig::default(),
            membership: MembershipConfig::default(),
        }
    }
}

/// Gossip-based membership (§4.8) and key transfer on join and leave (§4.9).
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipConfig {
    /// Nodes gossip their membership lists and accept join and leave commands. Off: the ring
    /// is the static starting ring, no gossip is sent, and commands are refused. Default: on.
    pub enabled: bool,
    /// Gossip rounds: interval, seeds, seed probability.
    pub gossip: GossipConfig,
    /// Keys per key-transfer batch (one batch in flight per transfer). Default 64.
    pub transfer_batch_keys: usize,
    /// A transfer offer or batch unanswered for this long is sent again, and an accepted
    /// transfer silent this long is given up (another holder may then offer). Default 2 s.
    pub transfer_timeout: SimDuration,
}

impl Default for MembershipConfig {
    fn default() -> Self {
        MembershipConfig {
            enabled: true,
            gossip: GossipConfig::default(),
            transfer_batch_keys: 64,
            transfer_timeout: SimDuration::from_millis(2000),
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
    /// A count must be positive.
    #[error("{field}: must be at least 1")]
    Count {
        /// The field path.
        field: &'static str,
    },
    /// A value lies outside its allowed range.
    #[error("{field}: {problem}")]
    Range {
        /// The field path.
        field: &'static str,
        /// What the value must be, and what it was.
        problem: String,
    },
}

impl ConfigError {
    /// The setting at fault, as a dotted path relative to the settings (`n`, `gossip.seed_chance`).
    pub fn field(&self) -> &'static str {
        match self {
            ConfigError::Quorum { field, .. } | ConfigError::Count { field } | ConfigError::Range { field, .. } => {
                field
            }
        }
    }

    /// What is wrong, without the field.
    pub fn message(&self) -> String {
        match self {
            ConfigError::Quorum { max, got, .. } => format!("must be between 1 and {max}, got {got}"),
            ConfigError::Count { .. } => "must be at least 1".to_string(),
            ConfigError::Range { problem, .. } => problem.clone(),
        }
    }
}

impl DynamoConfig {
    /// Checks the settings for a cluster of `nodes` storage nodes. Spans of time are not
    /// checked: any [`SimDuration`] is one the model can run with.
    pub fn validate(&self, nodes: usize) -> Result<(), ConfigError> {
        let quorum = |field, got: usize, max: usize| {
            if (1..=max).contains(&got) { Ok(()) } else { Err(ConfigError::Quorum { field, max, got }) }
        };
        quorum("n", self.n, nodes.max(1))?;
        quorum("r", self.r, self.n)?;
        quorum("w", self.w, self.n)?;
        if self.membership.transfer_batch_keys == 0 {
            return Err(ConfigError::Count { field: "membership.transfer_batch_keys" });
        }
        let chance = self.membership.gossip.seed_chance;
        if !(0.0..=1.0).contains(&chance) {
            let problem = format!("must be a probability in [0, 1], got {chance}");
            return Err(ConfigError::Range { field: "membership.gossip.seed_chance", problem });
        }
        if self.storage.buffer.as_ref().is_some_and(|b| b.max_objects == 0) {
            return Err(ConfigError::Count { field: "storage.buffer.max_objects" });
        }
        if let VersioningMode::VectorClock { truncation_threshold: 0 } = self.versioning {
            return Err(ConfigError::Count { field: "versioning.vector_clock.truncation_threshold" });
        }
        let ae = &self.anti_entropy;
        if crate::merkle::MerkleConfig::with_depth(ae.depth).is_err() {
            let (lo, hi) = (crate::merkle::MIN_DEPTH, crate::merkle::MAX_DEPTH);
            let problem = format!("must be between {lo} and {hi}, got {}", ae.depth);
            return Err(ConfigError::Range { field: "anti_entropy.depth", problem });
        }
        if ae.max_keys_per_exchange == 0 {
            return Err(ConfigError::Count { field: "anti_entropy.max_keys_per_exchange" });
        }
        let adm = &self.admission;
        if adm.max_backoff < adm.min_backoff {
            let problem = format!("must be at least min_backoff ({}), got {}", adm.min_backoff, adm.max_backoff);
            return Err(ConfigError::Range { field: "admission.max_backoff", problem });
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
        let c = DynamoConfig {
            versioning: VersioningMode::VectorClock { truncation_threshold: 0 },
            ..DynamoConfig::default()
        };
        assert_eq!(c.validate(5), Err(ConfigError::Count { field: "versioning.vector_clock.truncation_threshold" }));
        let c = DynamoConfig { read_repair: ReadRepair::Async { wait: SimDuration::ZERO }, ..DynamoConfig::default() };
        assert!(c.validate(5).is_ok(), "spans of time are the file format's to check");
    }

    #[test]
    fn anti_entropy_and_admission_settings_are_checked_by_field() {
        let err = |c: DynamoConfig| c.validate(5).unwrap_err().to_string();
        let ae = |a: AntiEntropyConfig| DynamoConfig { anti_entropy: a, ..DynamoConfig::default() };
        let adm = |a: AdmissionConfig| DynamoConfig { admission: a, ..DynamoConfig::default() };
        assert!(!DynamoConfig::default().anti_entropy.enabled && !DynamoConfig::default().admission.enabled);
        assert_eq!(
            err(ae(AntiEntropyConfig { depth: 0, ..Default::default() })),
            "anti_entropy.depth: must be between 1 and 20, got 0"
        );
        assert_eq!(
            err(ae(AntiEntropyConfig { depth: 21, ..Default::default() })),
            "anti_entropy.depth: must be between 1 and 20, got 21"
        );
        assert_eq!(
            err(ae(AntiEntropyConfig { max_keys_per_exchange: 0, ..Default::default() })),
            "anti_entropy.max_keys_per_exchange: must be at least 1"
        );
        let (min_backoff, max_backoff) = (SimDuration::from_millis(10), SimDuration::from_millis(5));
        assert_eq!(
            err(adm(AdmissionConfig { min_backoff, max_backoff, ..Default::default() })),
            "admission.max_backoff: must be at least min_backoff (10.000ms), got 5.000ms"
        );
        assert!(ae(AntiEntropyConfig { enabled: true, depth: 20, ..Default::default() }).validate(5).is_ok());
    }
}
