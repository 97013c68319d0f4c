//! The `dynamo` section of a scenario: Dynamo's settings as the file spells them, and their
//! conversion to the model's own [`dynamo_model::config::DynamoConfig`].
//!
//! These types mirror the model's: same fields and defaults, but spans of time are `_ms`
//! numbers as written in the file. [`DynamoConfig::validate`] checks those numbers, then the
//! model's own rules; [`DynamoConfig::to_model`] converts them once, to [`SimDuration`]s.

use dynamo_model::NodeId;
use dynamo_model::config::{self as model, ConfigError};
use dynamo_model::membership;
use dynamo_model::ring;
use dynamo_model::version::{self, DEFAULT_TRUNCATION_THRESHOLD};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::SimDuration;
use sim_core::json_path::JsonPath;

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

/// Which of the N replicas a get or put is sent to (PBS §3; Voldemort).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuorumShape {
    /// Dynamo's expanding quorums (§4.5): every get and put is sent to all N and waits for the
    /// first R (or W) answers.
    #[default]
    Expanding,
    /// PBS §3's probabilistic quorum: a put is sent to exactly W of the N and a get to exactly
    /// R, chosen uniformly at random by the coordinator; all of them must answer. With R+W ≤ N
    /// a read misses the last k writes with probability (C(N−W,R)/C(N,R))^k.
    Static,
    /// Voldemort's read fan-out: a get is sent to R of the N chosen uniformly at random; a put
    /// still goes to all N and waits for W.
    ReadFanOut,
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

/// Anti-entropy with Merkle trees (§4.7): each node keeps one tree per key range it
/// replicates and periodically compares one range with another replica of it, transferring
/// exactly the keys that differ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AntiEntropyConfig {
    /// Keep Merkle trees and run periodic exchanges. Default false (no trees, no exchanges).
    pub enabled: bool,
    /// How often a node starts an exchange (one key range, one peer), in milliseconds.
    /// Default 10,000.
    pub interval_ms: f64,
    /// Levels below each tree's root, in 1..=20; a tree has 2^depth leaf buckets. Default 10.
    pub depth: u8,
    /// At most this many differing keys are transferred by one exchange; the rest wait for a
    /// later exchange of the same range. Default 1000.
    pub max_keys_per_exchange: usize,
    /// An exchange step left unanswered this long is sent again (at most twice), then the
    /// exchange is abandoned, in milliseconds. Default 300 (like `request_timeout_ms`).
    pub reply_timeout_ms: f64,
}

impl Default for AntiEntropyConfig {
    fn default() -> Self {
        AntiEntropyConfig {
            enabled: false,
            interval_ms: 10_000.0,
            depth: dynamo_model::merkle::DEFAULT_DEPTH,
            max_keys_per_exchange: 1000,
            reply_timeout_ms: 300.0,
        }
    }
}

/// Admission control of background tasks (§6.5): hinted-handoff scans and anti-entropy
/// exchanges ask for a runtime slice first, and are deferred while foreground disk latency is
/// high.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AdmissionConfig {
    /// Gate background tasks on foreground disk latency. Default false (never deferred).
    pub enabled: bool,
    /// The sliding window over which foreground disk latency is measured, in milliseconds.
    /// Default 60,000 (the paper's "last 60 seconds").
    pub window_ms: f64,
    /// Background work is deferred while the window's 99th-percentile foreground disk service
    /// time exceeds this, in milliseconds. Default 50 (the paper's example).
    pub p99_threshold_ms: f64,
    /// The first deferral, in milliseconds; each further consecutive deferral doubles it.
    /// Default 1000.
    pub min_backoff_ms: f64,
    /// The longest deferral, in milliseconds (at least `min_backoff_ms`). Default 60,000.
    pub max_backoff_ms: f64,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        AdmissionConfig {
            enabled: false,
            window_ms: 60_000.0,
            p99_threshold_ms: 50.0,
            min_backoff_ms: 1000.0,
            max_backoff_ms: 60_000.0,
        }
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
    /// Which of the N replicas a get or put is sent to: `expanding` (all N, Dynamo), `static`
    /// (exactly R or W chosen uniformly, PBS) or `read_fan_out` (gets to R chosen uniformly,
    /// puts to all N, Voldemort). Works with every coordinator mode, sloppy quorum and read
    /// repair. Default: expanding.
    pub quorum_shape: QuorumShape,
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
            request_timeout_ms: 300.0,
            sloppy_quorum: SloppyQuorum::default(),
            failure_detection: FailureDetection::default(),
            storage: StorageConfig::default(),
            membership_poll_ms: 10_000.0,
            anti_entropy: AntiEntropyConfig::default(),
            admission: AdmissionConfig::default(),
            membership: MembershipConfig::default(),
        }
    }
}

/// Gossip-based membership (§4.8) and key transfer on join and leave (§4.9).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MembershipConfig {
    /// Nodes gossip their membership lists and accept join and leave commands. Off: the ring
    /// is the static starting ring, no gossip is sent, and commands are refused. Default: on.
    pub enabled: bool,
    /// Gossip rounds: interval, seeds, seed probability.
    pub gossip: GossipConfig,
    /// Keys per key-transfer batch (one batch in flight per transfer). Default 64.
    pub transfer_batch_keys: usize,
    /// A transfer offer or batch unanswered for this long is sent again, and an accepted
    /// transfer silent this long is given up (another holder may then offer), in
    /// milliseconds. Default 2000.
    pub transfer_timeout_ms: f64,
}

impl Default for MembershipConfig {
    fn default() -> Self {
        MembershipConfig {
            enabled: true,
            gossip: GossipConfig::default(),
            transfer_batch_keys: 64,
            transfer_timeout_ms: 2000.0,
        }
    }
}

/// Gossip settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GossipConfig {
    /// How often a node starts a gossip round, in milliseconds. Default 1000 (§4.8: "every second").
    pub interval_ms: f64,
    /// Seed nodes, known from static configuration; every node also gossips with them.
    pub seeds: Vec<NodeId>,
    /// Probability that a round contacts a random seed instead of a random peer of the view.
    /// A node whose view holds no other peer always contacts a seed. Default 0.1.
    pub seed_chance: f64,
}

impl Default for GossipConfig {
    fn default() -> Self {
        GossipConfig { interval_ms: 1000.0, seeds: Vec::new(), seed_chance: 0.1 }
    }
}

/// How versions are stamped and reconciled: one mode for the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum VersioningMode {
    /// Dynamo's vector clocks with server-side (coordinator) entries, siblings on conflict.
    VectorClock {
        /// The clock size above which the oldest-timestamp entries are dropped, at least 1. The
        /// paper says "say 10"; truncation can make a superseded version look concurrent.
        #[serde(default = "default_truncation_threshold")]
        truncation_threshold: usize,
    },
    /// Dotted version vectors: siblings bounded by the number of truly concurrent writers.
    Dvv,
    /// Last write wins by the coordinator's local clock: one version, lost updates under skew.
    Lww,
}

fn default_truncation_threshold() -> usize {
    DEFAULT_TRUNCATION_THRESHOLD
}

impl Default for VersioningMode {
    /// Dynamo's own: vector clocks truncated at 10 entries.
    fn default() -> Self {
        VersioningMode::VectorClock { truncation_threshold: DEFAULT_TRUNCATION_THRESHOLD }
    }
}

/// How a preference list is ordered once the ring walk has found distinct nodes (§4.3, §4.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlacementPolicy {
    /// Distinct physical nodes in the order the clockwise walk meets them.
    #[default]
    Clockwise,
    /// Round-robin over datacenters. Walk clockwise as for `Clockwise`; order the datacenters
    /// by where the walk first meets them; then emit, round after round, the next not-yet-emitted
    /// node of each datacenter in that order, skipping datacenters with no nodes left. Any prefix
    /// of length k therefore spans `min(k, D)` datacenters, the first entry is still the owner,
    /// and within a datacenter nodes keep their clockwise order.
    DatacenterAware,
}

/// A `dynamo` setting the model cannot run with; paths are relative to `dynamo`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DynamoConfigError {
    /// A span of time is not a finite number of milliseconds above zero.
    #[error("{field}: must be a finite number of milliseconds > 0, got {got}")]
    Duration {
        /// The field path.
        field: &'static str,
        /// The value given.
        got: f64,
    },
    /// The longest admission backoff is shorter than the first.
    #[error("admission.max_backoff_ms: must be at least min_backoff_ms ({min_backoff_ms}), got {max_backoff_ms}")]
    BackoffOrder {
        /// `admission.min_backoff_ms`.
        min_backoff_ms: f64,
        /// `admission.max_backoff_ms`.
        max_backoff_ms: f64,
    },
    /// The converted settings break one of the model's own rules.
    #[error(transparent)]
    Model(#[from] ConfigError),
}

impl DynamoConfigError {
    /// The setting at fault, relative to `dynamo`.
    pub fn path(&self) -> JsonPath {
        match self {
            DynamoConfigError::Duration { field, .. } => JsonPath::from(*field),
            DynamoConfigError::BackoffOrder { .. } => JsonPath::from("admission.max_backoff_ms"),
            DynamoConfigError::Model(e) => JsonPath::from(e.field()),
        }
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> String {
        match self {
            DynamoConfigError::Duration { got, .. } => {
                format!("must be a finite number of milliseconds > 0, got {got}")
            }
            DynamoConfigError::BackoffOrder { min_backoff_ms, max_backoff_ms } => {
                format!("must be at least min_backoff_ms ({min_backoff_ms}), got {max_backoff_ms}")
            }
            DynamoConfigError::Model(e) => e.message(),
        }
    }
}

/// A span of `ms` milliseconds as the model counts time (truncated to whole nanoseconds).
fn ms(v: f64) -> SimDuration {
    SimDuration::from_millis_f64(v)
}

impl DynamoConfig {
    /// Checks the settings for a cluster of `nodes` storage nodes: every span of time is a
    /// finite number of milliseconds above zero and the admission backoffs are ordered, then the
    /// converted settings keep the model's rules ([`model::DynamoConfig::validate`]).
    pub fn validate(&self, nodes: usize) -> Result<(), DynamoConfigError> {
        let mut durations = vec![
            ("request_timeout_ms", self.request_timeout_ms),
            ("sloppy_quorum.hint_window_ms", self.sloppy_quorum.hint_window_ms),
            ("sloppy_quorum.scan_interval_ms", self.sloppy_quorum.scan_interval_ms),
            ("failure_detection.suspect_after_ms", self.failure_detection.suspect_after_ms),
            ("failure_detection.retry_interval_ms", self.failure_detection.retry_interval_ms),
            ("membership_poll_ms", self.membership_poll_ms),
            ("anti_entropy.interval_ms", self.anti_entropy.interval_ms),
            ("anti_entropy.reply_timeout_ms", self.anti_entropy.reply_timeout_ms),
            ("admission.window_ms", self.admission.window_ms),
            ("admission.p99_threshold_ms", self.admission.p99_threshold_ms),
            ("admission.min_backoff_ms", self.admission.min_backoff_ms),
            ("admission.max_backoff_ms", self.admission.max_backoff_ms),
            ("membership.gossip.interval_ms", self.membership.gossip.interval_ms),
            ("membership.transfer_timeout_ms", self.membership.transfer_timeout_ms),
        ];
        if let ReadRepair::Async { wait_ms } = self.read_repair {
            durations.push(("read_repair.async.wait_ms", wait_ms));
        }
        if let Some(b) = &self.storage.buffer {
            durations.push(("storage.buffer.flush_interval_ms", b.flush_interval_ms));
        }
        if let Some((field, got)) = durations.into_iter().find(|(_, got)| !(got.is_finite() && *got > 0.0)) {
            return Err(DynamoConfigError::Duration { field, got });
        }
        let adm = &self.admission;
        if adm.max_backoff_ms < adm.min_backoff_ms {
            let (min_backoff_ms, max_backoff_ms) = (adm.min_backoff_ms, adm.max_backoff_ms);
            return Err(DynamoConfigError::BackoffOrder { min_backoff_ms, max_backoff_ms });
        }
        Ok(self.to_model().validate(nodes)?)
    }

    /// The model's settings: every `_ms` span converted to a [`SimDuration`].
    pub fn to_model(&self) -> model::DynamoConfig {
        model::DynamoConfig {
            n: self.n,
            r: self.r,
            w: self.w,
            versioning: self.versioning.to_model(),
            coordinator: self.coordinator.to_model(),
            quorum_shape: self.quorum_shape.to_model(),
            read_repair: self.read_repair.to_model(),
            placement: self.placement.to_model(),
            request_timeout: ms(self.request_timeout_ms),
            sloppy_quorum: self.sloppy_quorum.to_model(),
            failure_detection: self.failure_detection.to_model(),
            storage: self.storage.to_model(),
            membership_poll: ms(self.membership_poll_ms),
            anti_entropy: self.anti_entropy.to_model(),
            admission: self.admission.to_model(),
            membership: self.membership.to_model(),
        }
    }
}

impl QuorumShape {
    /// The model's quorum shape.
    pub fn to_model(self) -> model::QuorumShape {
        match self {
            QuorumShape::Expanding => model::QuorumShape::Expanding,
            QuorumShape::Static => model::QuorumShape::Static,
            QuorumShape::ReadFanOut => model::QuorumShape::ReadFanOut,
        }
    }
}

impl CoordinatorMode {
    /// The model's coordinator mode.
    pub fn to_model(self) -> model::CoordinatorMode {
        match self {
            CoordinatorMode::Replica => model::CoordinatorMode::Replica,
            CoordinatorMode::Proxy => model::CoordinatorMode::Proxy,
            CoordinatorMode::ClientDriven => model::CoordinatorMode::ClientDriven,
        }
    }
}

impl ReadRepair {
    /// The model's read repair.
    pub fn to_model(self) -> model::ReadRepair {
        match self {
            ReadRepair::Off => model::ReadRepair::Off,
            ReadRepair::Async { wait_ms } => model::ReadRepair::Async { wait: ms(wait_ms) },
            ReadRepair::Blocking => model::ReadRepair::Blocking,
        }
    }
}

impl SloppyQuorum {
    /// The model's sloppy-quorum settings.
    pub fn to_model(&self) -> model::SloppyQuorum {
        model::SloppyQuorum {
            enabled: self.enabled,
            hint_window: ms(self.hint_window_ms),
            max_hints: self.max_hints,
            scan_interval: ms(self.scan_interval_ms),
        }
    }
}

impl FailureDetection {
    /// The model's failure-detection settings.
    pub fn to_model(&self) -> model::FailureDetection {
        model::FailureDetection { suspect_after: ms(self.suspect_after_ms), retry_interval: ms(self.retry_interval_ms) }
    }
}

impl StorageConfig {
    /// The model's storage settings.
    pub fn to_model(&self) -> model::StorageConfig {
        model::StorageConfig {
            fsync_writes: self.fsync_writes,
            buffer: self
                .buffer
                .as_ref()
                .map(|b| model::BufferConfig { flush_interval: ms(b.flush_interval_ms), max_objects: b.max_objects }),
        }
    }
}

impl AntiEntropyConfig {
    /// The model's anti-entropy settings.
    pub fn to_model(&self) -> model::AntiEntropyConfig {
        model::AntiEntropyConfig {
            enabled: self.enabled,
            interval: ms(self.interval_ms),
            depth: self.depth,
            max_keys_per_exchange: self.max_keys_per_exchange,
            reply_timeout: ms(self.reply_timeout_ms),
        }
    }
}

impl AdmissionConfig {
    /// The model's admission-control settings.
    pub fn to_model(&self) -> model::AdmissionConfig {
        model::AdmissionConfig {
            enabled: self.enabled,
            window: ms(self.window_ms),
            p99_threshold: ms(self.p99_threshold_ms),
            min_backoff: ms(self.min_backoff_ms),
            max_backoff: ms(self.max_backoff_ms),
        }
    }
}

impl MembershipConfig {
    /// The model's membership settings.
    pub fn to_model(&self) -> model::MembershipConfig {
        let g = &self.gossip;
        model::MembershipConfig {
            enabled: self.enabled,
            gossip: membership::GossipConfig {
                interval: ms(g.interval_ms),
                seeds: g.seeds.clone(),
                seed_chance: g.seed_chance,
            },
            transfer_batch_keys: self.transfer_batch_keys,
            transfer_timeout: ms(self.transfer_timeout_ms),
        }
    }
}

impl VersioningMode {
    /// The model's versioning mode.
    pub fn to_model(self) -> version::VersioningMode {
        match self {
            VersioningMode::VectorClock { truncation_threshold } => {
                version::VersioningMode::VectorClock { truncation_threshold }
            }
            VersioningMode::Dvv => version::VersioningMode::Dvv,
            VersioningMode::Lww => version::VersioningMode::Lww,
        }
    }
}

impl PlacementPolicy {
    /// The model's placement policy.
    pub fn to_model(self) -> ring::PlacementPolicy {
        match self {
            PlacementPolicy::Clockwise => ring::PlacementPolicy::Clockwise,
            PlacementPolicy::DatacenterAware => ring::PlacementPolicy::DatacenterAware,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_convert_to_the_models_defaults() {
        assert_eq!(DynamoConfig::default().to_model(), model::DynamoConfig::default());
        let buffer = StorageConfig { buffer: Some(BufferConfig::default()), ..StorageConfig::default() };
        assert_eq!(buffer.to_model().buffer, Some(model::BufferConfig::default()));
    }

    #[test]
    fn spans_convert_as_the_model_always_did() {
        let c = DynamoConfig {
            request_timeout_ms: 0.5,
            read_repair: ReadRepair::Async { wait_ms: 1.5 },
            ..DynamoConfig::default()
        };
        let m = c.to_model();
        assert_eq!(m.request_timeout, SimDuration::from_nanos(500_000));
        assert_eq!(m.read_repair, model::ReadRepair::Async { wait: SimDuration::from_nanos(1_500_000) });
    }

    #[test]
    fn spans_are_checked_in_milliseconds_by_field() {
        let err = |c: DynamoConfig| c.validate(5).unwrap_err().to_string();
        let c = DynamoConfig { request_timeout_ms: f64::NAN, ..DynamoConfig::default() };
        assert_eq!(err(c), "request_timeout_ms: must be a finite number of milliseconds > 0, got NaN");
        let c = DynamoConfig { read_repair: ReadRepair::Async { wait_ms: -1.0 }, ..DynamoConfig::default() };
        assert_eq!(err(c), "read_repair.async.wait_ms: must be a finite number of milliseconds > 0, got -1");
        let adm = |a: AdmissionConfig| DynamoConfig { admission: a, ..DynamoConfig::default() };
        assert!(
            err(adm(AdmissionConfig { window_ms: f64::INFINITY, ..Default::default() }))
                .starts_with("admission.window_ms:")
        );
        assert_eq!(
            err(adm(AdmissionConfig { min_backoff_ms: 10.0, max_backoff_ms: 5.0, ..Default::default() })),
            "admission.max_backoff_ms: must be at least min_backoff_ms (10), got 5"
        );
        let c = DynamoConfig { r: 4, ..DynamoConfig::default() };
        assert_eq!(err(c), "r: must be between 1 and 3, got 4");
    }
}
