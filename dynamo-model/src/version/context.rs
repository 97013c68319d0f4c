//! The opaque causal context a get returns and a put takes (Dynamo §4.1): a version vector
//! summarising every sibling the get returned.

use super::{CausalMeta, Dot, Sibling, VectorClock};

/// What a client had seen when it writes. A put with this context supersedes every sibling the
/// context dominates. Empty for a blind write, and always empty under LWW.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Context {
    clock: VectorClock,
}

impl Context {
    /// The context of a blind write: it has seen nothing.
    pub const fn empty() -> Self {
        Context { clock: VectorClock::new() }
    }

    /// A context holding this version vector.
    pub fn from_clock(clock: VectorClock) -> Self {
        Context { clock }
    }

    /// The version vector.
    pub fn clock(&self) -> &VectorClock {
        &self.clock
    }

    /// Whether the context has seen nothing.
    pub fn is_empty(&self) -> bool {
        self.clock.is_empty()
    }

    /// Whether this context has seen everything `other` has.
    pub fn descends(&self, other: &Context) -> bool {
        self.clock.descends(&other.clock)
    }

    /// Whether this context has seen `sibling`, so a put carrying it supersedes `sibling`: the
    /// context descends the sibling's clock, or covers its dot. Never for LWW siblings, which
    /// carry no causality.
    pub fn dominates(&self, sibling: &Sibling) -> bool {
        match &sibling.meta {
            CausalMeta::Clock(clock) => self.clock.descends(clock),
            CausalMeta::Dotted(dotted) => self.covers_dot(dotted.dot),
            CausalMeta::Stamp(_) => false,
        }
    }

    /// Whether the context includes the event `dot`.
    pub fn covers_dot(&self, dot: Dot) -> bool {
        self.clock.counter(dot.node) >= dot.counter
    }

    /// Adds everything `other` has seen (a client combining two reads).
    pub fn merge(&mut self, other: &Context) {
        self.clock.merge(&other.clock);
    }

    /// Adds one sibling's history: its clock, or its past and dot.
    pub(super) fn add_sibling(&mut self, sibling: &Sibling) {
        match &sibling.meta {
            CausalMeta::Clock(clock) => self.clock.merge(clock),
            CausalMeta::Dotted(dotted) => dotted.add_history_to(&mut self.clock),
            CausalMeta::Stamp(_) => {}
        }
    }
}
