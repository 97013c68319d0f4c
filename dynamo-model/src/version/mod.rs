//! Data versioning (Dynamo §4.4): how a key's concurrent versions are stamped, compared and
//! reconciled, in three modes chosen per run ([`VersioningMode`]) behind one API.
//!
//! - Vector clocks ([`vclock`]): the paper's scheme, with truncation of the oldest entry.
//! - Dotted version vectors ([`dvv`]): Riak 2.0's fix for the false concurrency of server-side
//!   clocks.
//! - Last write wins ([`lww`]): Cassandra's scheme, which loses updates under clock skew.
//!
//! A replica stores a key's [`Versions`], sends them in replies and replication messages, and
//! [`Versions::merge`]s what it receives. A get returns the merged [`Versions`] and their
//! [`Context`]. A put hands that context to [`Versions::coordinate_put`] on the coordinator.
//! Every [`Value`] carries the [`WriteId`] of its put, so checkers can compare what the versioning
//! kept with what really happened.

pub mod context;
mod digest;
pub mod dvv;
pub mod lww;
pub mod sibling;
#[cfg(test)]
mod testkit;
pub mod vclock;
pub mod versions;

use serde::Serialize;
use std::any::Any;
use std::sync::Arc;

pub use context::Context;
pub use dvv::{Dot, DottedVersion};
pub use lww::LwwStamp;
pub use sibling::{CausalMeta, Sibling};
pub use vclock::{ClockEntry, VectorClock};
pub use versions::Versions;

/// The paper's truncation threshold: "say 10" `(node, counter)` pairs.
pub const DEFAULT_TRUNCATION_THRESHOLD: usize = 10;

/// The identity of one client put, unique per run: the ground truth checkers compare with.
/// Serializes as its number: operation records (`dynsim run --history`) name writes by it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct WriteId(pub u64);

/// The application's contents of a value, opaque to Dynamo: the model stores, copies and
/// returns it and never looks inside, as a real store treats a value's bytes. A workload keeps
/// what it needs there (a cart's items, the write's causal past), so that what a read returns
/// carries its own ground truth and nothing has to be remembered per write elsewhere.
#[derive(Clone, Default)]
pub struct AppData(Option<Arc<dyn Any + Send + Sync>>);

impl AppData {
    /// Contents of type `T`.
    pub fn new<T: Any + Send + Sync>(contents: T) -> Self {
        AppData(Some(Arc::new(contents)))
    }

    /// The contents, if there are any and they are a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.as_deref().and_then(|c| (c as &dyn Any).downcast_ref())
    }
}

impl std::fmt::Debug for AppData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "AppData(..)" } else { "AppData(-)" })
    }
}

/// The opaque object a put stores. A delete is a put of a tombstone.
///
/// Values compare, order and hash by `(write_id, size_bytes, tombstone)`: a write id names one
/// put, whose contents ([`AppData`]) never change.
#[derive(Clone, Debug)]
pub struct Value {
    /// The put that wrote it.
    pub write_id: WriteId,
    /// Its size, which is what replies and replication messages cost.
    pub size_bytes: u32,
    /// Whether this is a delete.
    pub tombstone: bool,
    /// The application's contents (not compared).
    pub app: AppData,
}

impl Value {
    /// A value with no application contents.
    pub fn plain(write_id: WriteId, size_bytes: u32, tombstone: bool) -> Self {
        Value { write_id, size_bytes, tombstone, app: AppData::default() }
    }

    fn identity(&self) -> (WriteId, u32, bool) {
        (self.write_id, self.size_bytes, self.tombstone)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.identity() == other.identity()
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.identity().cmp(&other.identity())
    }
}

impl std::hash::Hash for Value {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.identity().hash(state);
    }
}

/// How versions are stamped and reconciled: one mode for the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersioningMode {
    /// Dynamo's vector clocks with server-side (coordinator) entries, siblings on conflict.
    VectorClock {
        /// The clock size above which the oldest-timestamp entries are dropped, at least 1. The
        /// paper says "say 10"; truncation can make a superseded version look concurrent.
        truncation_threshold: usize,
    },
    /// Dotted version vectors: siblings bounded by the number of truly concurrent writers.
    Dvv,
    /// Last write wins by the coordinator's local clock: one version, lost updates under skew.
    Lww,
}

impl Default for VersioningMode {
    /// Dynamo's own: vector clocks truncated at 10 entries.
    fn default() -> Self {
        VersioningMode::VectorClock { truncation_threshold: DEFAULT_TRUNCATION_THRESHOLD }
    }
}

impl VersioningMode {
    /// Checks the options: a truncation threshold of at least 1.
    pub fn validate(&self) -> Result<(), VersioningError> {
        match *self {
            VersioningMode::VectorClock { truncation_threshold: 0 } => Err(VersioningError::ZeroTruncationThreshold),
            _ => Ok(()),
        }
    }

    /// A short name for reports: `vector_clock`, `dvv` or `lww`.
    pub fn name(&self) -> &'static str {
        match self {
            VersioningMode::VectorClock { .. } => "vector_clock",
            VersioningMode::Dvv => "dvv",
            VersioningMode::Lww => "lww",
        }
    }
}

/// An invalid [`VersioningMode`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersioningError {
    /// A vector clock cannot be truncated to nothing.
    #[error("versioning.vector_clock.truncation_threshold must be at least 1, got 0")]
    ZeroTruncationThreshold,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_dynamos_vector_clocks() {
        assert_eq!(VersioningMode::default(), VersioningMode::VectorClock { truncation_threshold: 10 });
        assert_eq!(VersioningMode::default().validate(), Ok(()));
        assert_eq!(VersioningMode::default().name(), "vector_clock");
    }

    #[test]
    fn zero_threshold_is_rejected_with_its_path() {
        let err = VersioningMode::VectorClock { truncation_threshold: 0 }.validate().unwrap_err();
        assert!(err.to_string().contains("versioning.vector_clock.truncation_threshold"));
    }
}
