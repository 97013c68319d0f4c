//! dynamo-model: Amazon's Dynamo (SOSP 2007) as sans-IO state machines driven by sim-core.
//!
//! - [`ring`]: MD5 consistent hashing, the three partitioning strategies of §6.2, preference
//!   lists; [`version`]: vector clocks, dotted version vectors, last-write-wins.
//! - [`node`]: a storage node — routing, [`coordinator`] (get/put state machines, read repair),
//!   replica service, [`storage`] (disk, object buffer, hint store), [`quorum`] (sloppy quorum
//!   targets), [`detector`] (local failure detection).
//! - [`client`]: the client library (routing, client-driven coordination).
//! - [`merkle`]: Merkle trees for anti-entropy; [`anti_entropy`]: the node's per-range trees and
//!   exchange driver; [`admission`]: admission control of background tasks (§6.5).
//! - [`msg`]: the messages, timers, disk records and notes ([`trace`]: their JSON form in the
//!   structured trace); [`counters`]: every counter, declared once; [`config`]: the settings.
pub mod actor;
pub mod admission;
pub mod anti_entropy;
pub mod client;
pub mod config;
pub mod coordinator;
pub mod counters;
pub mod detector;
pub mod membership;
pub mod merkle;
pub mod msg;
pub mod mutation;
pub mod node;
pub mod quorum;
pub mod rebalance;
pub mod ring;
pub mod stamp;
pub mod storage;
#[cfg(test)]
mod tests;
pub mod trace;
pub mod version;
pub mod view;

/// A storage node's identity is its simulated process id.
pub use sim_core::ProcId as NodeId;
