//! Identifiers of simulated processes (storage nodes and clients alike).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A simulated process: a storage node or a client. Dense, starting at 0, so it indexes vectors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ProcId(pub u32);

impl ProcId {
    /// This id as a vector index.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ProcId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}
