//! Local failure detection (§4.8): a peer that does not answer is down *for this node only*.
//!
//! A node suspects a peer when a request to it goes unanswered until the operation's deadline.
//! Any message from the peer clears the suspicion; suspected peers are probed periodically so
//! a recovered peer is noticed even when nothing else is sent to it. There is no global view
//! and no gossip of failures.

use crate::NodeId;
use sim_core::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// One node's (or client's) view of which peers are down.
#[derive(Clone, Debug, Default)]
pub struct Detector {
    /// Suspected peers and the local time suspicion began.
    suspected: BTreeMap<NodeId, SimTime>,
}

impl Detector {
    /// Nobody suspected.
    pub fn new() -> Self {
        Detector::default()
    }

    /// True while `peer` is believed down.
    #[inline]
    pub fn is_suspected(&self, peer: NodeId) -> bool {
        !self.suspected.is_empty() && self.suspected.contains_key(&peer)
    }

    /// Marks `peer` down from local time `now` (keeps an earlier start). Returns true if new.
    pub fn suspect(&mut self, peer: NodeId, now: SimTime) -> bool {
        let mut new = false;
        self.suspected.entry(peer).or_insert_with(|| {
            new = true;
            now
        });
        new
    }

    /// `peer` answered: it is up. Returns true if it had been suspected.
    #[inline]
    pub fn heard_from(&mut self, peer: NodeId) -> bool {
        !self.suspected.is_empty() && self.suspected.remove(&peer).is_some()
    }

    /// How long `peer` has been believed down, at local time `now`.
    pub fn down_for(&self, peer: NodeId, now: SimTime) -> Option<SimDuration> {
        self.suspected.get(&peer).map(|since| now.since(*since))
    }

    /// The suspected peers, ascending.
    pub fn suspected(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.suspected.keys().copied()
    }

    /// Number of suspected peers.
    pub fn len(&self) -> usize {
        self.suspected.len()
    }

    /// True when nobody is suspected.
    pub fn is_empty(&self) -> bool {
        self.suspected.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspicion_is_local_and_cleared_by_any_answer() {
        let mut a = Detector::new();
        let b = Detector::new();
        assert!(a.suspect(NodeId(2), SimTime(5)));
        assert!(!a.suspect(NodeId(2), SimTime(9)), "keeps the first start");
        assert_eq!(a.down_for(NodeId(2), SimTime(2_000_005)), Some(SimDuration::from_millis(2)));
        assert!(a.is_suspected(NodeId(2)));
        assert!(!b.is_suspected(NodeId(2)), "another node's view is unaffected");
        assert!(a.heard_from(NodeId(2)));
        assert!(!a.is_suspected(NodeId(2)));
        assert!(!a.heard_from(NodeId(2)));
    }
}
