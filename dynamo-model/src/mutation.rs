//! Deliberately broken variants of the model, compiled only with the `mutation-testing` feature
//! (which only the tests enable). Each proves that some checker can fail: a test switches one
//! on for its thread, runs a scenario, and expects the matching checker to catch it.
//!
//! Without the feature, [`active`] is a constant `false` and the hooks vanish from the build.

/// A seeded bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// Vector-clock merge drops the entry of the lowest node.
    MergeDropsEntry,
    /// Hinted handoff never delivers: hints stay with their holder forever.
    HandoffNeverDelivers,
    /// A get coordinator answers after R − 1 replies.
    ReadQuorumMinusOne,
    /// Gossip drops every delta it receives: views never learn other nodes' changes.
    GossipDropsDeltas,
    /// A put coordinator that is a replica counts its own write as two acks.
    PutCountsOwnWriteTwice,
    /// A put coordinator counts a replica's refusal (a full hint store, a failed disk write) as
    /// an ack.
    RefusedWriteCountsAsAck,
    /// A hint is deleted as soon as its handoff is sent, before the intended node acks it.
    HintDeletedBeforeAck,
    /// Read repair pushes the fastest responder's versions, which may be stale, instead of the
    /// reconciled set.
    ReadRepairPushesStale,
    /// Last-write-wins keeps the version with the lower stamp.
    LwwKeepsOlderStamp,
    /// A node answers a ping with a pong and two pings of its own: a message storm that never
    /// ends, doubling every round trip.
    PingStorm,
    /// The preference-list walk compares a node only with the one chosen just before it, so a
    /// node whose tokens are not adjacent can appear twice in a key's list.
    PreferenceListRepeatsNode,
}

#[cfg(feature = "mutation-testing")]
thread_local! {
    static ACTIVE: std::cell::Cell<Option<Mutation>> = const { std::cell::Cell::new(None) };
}

/// Switches a mutation on (or all off) for runs on this thread.
#[cfg(feature = "mutation-testing")]
pub fn set(m: Option<Mutation>) {
    ACTIVE.with(|a| a.set(m));
}

/// Whether mutation `m` is on for this thread.
#[cfg(feature = "mutation-testing")]
#[inline]
pub fn active(m: Mutation) -> bool {
    ACTIVE.with(|a| a.get() == Some(m))
}

/// Whether mutation `m` is on: never, in a build without the `mutation-testing` feature.
#[cfg(not(feature = "mutation-testing"))]
#[inline(always)]
pub fn active(_m: Mutation) -> bool {
    false
}
