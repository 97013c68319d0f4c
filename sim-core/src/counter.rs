//! Counters the engine keeps for every process, declared once by the model.
//!
//! A process type names its counters in one table ([`CounterSet::DEFS`]): a name, a doc line and
//! a kind per counter. Handlers add to them through [`crate::Ctx::count`]; the world keeps the
//! totals per process across incarnations (a crash loses the process, never its counts), the
//! way it keeps network counters. Reports list counters generically from the table, so adding a
//! counter touches one place.
//!
//! Counting is an array increment: no allocation, no lookup by name.

/// What a counter counts, for grouping in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CounterKind {
    /// Client-facing work: requests routed, forwarded and coordinated.
    Request,
    /// Replica work: reads and writes served for a coordinator.
    Replica,
    /// Repair: hinted writes and handoff, read repair, anti-entropy.
    Repair,
    /// Membership: gossip, ring changes, key transfers on join and leave.
    Membership,
    /// The storage engine and its disk: flushes, corrupt records, refused writes.
    Storage,
    /// Background scheduling: admission control.
    Admission,
    /// The client library.
    Client,
}

impl CounterKind {
    /// The kind's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            CounterKind::Request => "request",
            CounterKind::Replica => "replica",
            CounterKind::Repair => "repair",
            CounterKind::Membership => "membership",
            CounterKind::Storage => "storage",
            CounterKind::Admission => "admission",
            CounterKind::Client => "client",
        }
    }
}

/// One counter's declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CounterDef {
    /// Its name in reports (snake_case, unique within the set).
    pub name: &'static str,
    /// What it counts, in one line.
    pub doc: &'static str,
    /// Its kind.
    pub kind: CounterKind,
}

/// A process type's counters: an enum whose variants index [`CounterSet::DEFS`].
pub trait CounterSet: Copy + 'static {
    /// Every counter, in index order.
    const DEFS: &'static [CounterDef];
    /// This counter's index into [`CounterSet::DEFS`].
    fn index(self) -> usize;
}

/// The counter set of a process type that counts nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoCounters {}

impl CounterSet for NoCounters {
    const DEFS: &'static [CounterDef] = &[];
    fn index(self) -> usize {
        match self {}
    }
}

/// The index of the counter named `name` in `C`, if it has one.
pub fn index_of<C: CounterSet>(name: &str) -> Option<usize> {
    C::DEFS.iter().position(|d| d.name == name)
}
