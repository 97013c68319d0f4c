//! Observation: the engine tells an observer what changed, as it happens, so measurement never
//! has to scan every process's state.
//!
//! An [`Observer`] installed in a world is called after every event that changed something it
//! may care about:
//! - a handler (or a boot) left notes ([`crate::Ctx::note`]): what the process says about
//!   state the world cannot see, such as a volatile buffer;
//! - records of the process's disk may have changed: the disk journals the keys its writes,
//!   deletes, crash losses, torn writes, corruption and wipes touched;
//! - the process booted or crashed.
//!
//! The observer receives shared references only: it cannot change the run, and installing one
//! draws no randomness and schedules nothing, so the trace hash is the same with and without.

use crate::disk::Disk;
use crate::id::ProcId;
use crate::process::Process;
use crate::time::SimTime;

/// A change in a process's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    /// It (re)started from its disk; `process` is the new incarnation.
    Booted,
    /// It crashed: its volatile state is gone (`process` is `None`); its disk lost what was not
    /// synced (those keys are in `disk_keys`).
    Crashed,
}

/// What changed at one process.
pub struct Observation<'a, P: Process> {
    /// True time.
    pub time: SimTime,
    /// The process.
    pub proc: ProcId,
    /// The process as it is now (`None` while it is down).
    pub process: Option<&'a P>,
    /// Its disk as it is now.
    pub disk: &'a Disk<P::DiskKey, P::DiskValue>,
    /// The notes of the event, in the order they were made.
    pub notes: &'a [P::Note],
    /// Disk keys whose records may have changed, in the order they were touched (a key may
    /// repeat). Read their state from `disk`.
    pub disk_keys: &'a [P::DiskKey],
    /// A boot or a crash, if this observation is one.
    pub lifecycle: Option<Lifecycle>,
}

/// Receives observations. Only called when installed, so observation costs nothing otherwise.
pub trait Observer<P: Process> {
    /// One event's changes at one process.
    fn observe(&mut self, ev: &Observation<'_, P>);
}
