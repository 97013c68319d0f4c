//! The sans-IO `Process` contract, and the context a handler acts through.
//!
//! A process never sees the queue, the network or true time. It is driven by
//! [`Process::on_message`] and [`Process::on_timer`], and rebuilt after a crash by a [`Boot`]
//! from whatever its disk still holds. Everything it does goes through a [`Ctx`]: send, set and
//! cancel timers, read its *local* clock, draw from its own random stream, and use its disk.
//!
//! Each process is a server with a FIFO inbox: handling an event occupies it for a service time
//! (the CPU cost of the event plus the latency of every disk operation it performs). Messages
//! sent by a handler leave when that service time ends; events that arrive meanwhile wait.

use crate::counter::CounterSet;
use crate::disk::{Disk, DiskError, DiskStats, ScanEntry};
use crate::id::ProcId;
use crate::queue::{EventId, EventQueue};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::trace::Traced;
use crate::world::Event;
use std::fmt::Debug;

/// A message type: one enum per protocol, with a name per kind, that the structured trace
/// writes as JSON ([`Traced`]).
pub trait Message: Clone + Traced {
    /// The names of the message kinds; [`Message::kind`] indexes this.
    const KINDS: &'static [&'static str];
    /// This message's kind, an index into [`Message::KINDS`].
    fn kind(&self) -> usize;
    /// Size on the wire in bytes, for byte counters.
    fn size_bytes(&self) -> u32;
    /// The application key this message concerns, if any (lets traces be filtered by key).
    fn trace_key(&self) -> Option<u64> {
        None
    }
}

/// A simulated process (a storage node or a client), as a state machine.
pub trait Process: Sized {
    /// Its messages.
    type Msg: Message;
    /// Its timers (the structured trace writes them as JSON).
    type Timer: Traced;
    /// Keys of the records on its disk.
    type DiskKey: Ord + Clone + Debug;
    /// Records on its disk.
    type DiskValue: Clone;
    /// Its counters, kept by the world across incarnations ([`crate::counter`]).
    type Counter: CounterSet;
    /// What it tells an observer about itself (changes to state the world cannot see, such as
    /// a volatile buffer). Notes never change the run: only an installed
    /// [`crate::observe::Observer`] reads them.
    type Note;

    /// Handles a message from `from` (itself, for an injected command).
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: ProcId, msg: Self::Msg);
    /// Handles a timer it set earlier.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Self::Timer);
}

/// Builds a process at the start of a run, and rebuilds it after a restart from its disk.
pub trait Boot<P: Process> {
    /// Creates process `id`. Its disk holds whatever survived; it may set timers and send.
    fn boot(&mut self, id: ProcId, ctx: &mut Ctx<'_, P>) -> P;
}

impl<P: Process, F: FnMut(ProcId, &mut Ctx<'_, P>) -> P> Boot<P> for F {
    fn boot(&mut self, id: ProcId, ctx: &mut Ctx<'_, P>) -> P {
        self(id, ctx)
    }
}

/// Names a timer so it can be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(pub(crate) EventId);

/// What a handler can do. Built by the world for one event and dropped after it.
pub struct Ctx<'a, P: Process> {
    pub(crate) me: ProcId,
    pub(crate) true_now: SimTime,
    pub(crate) local: SimTime,
    pub(crate) incarnation: u32,
    pub(crate) rate: &'a crate::clock::Clock,
    pub(crate) rng: &'a mut SimRng,
    pub(crate) disk: &'a mut Disk<P::DiskKey, P::DiskValue>,
    pub(crate) queue: &'a mut EventQueue<Event<P>>,
    pub(crate) outbox: &'a mut Vec<(ProcId, P::Msg)>,
    pub(crate) service: SimDuration,
    /// This process's counters (one slot per [`CounterSet::DEFS`] entry).
    pub(crate) counters: &'a mut [u64],
    /// Notes for the observer; `None` when no observer is installed.
    pub(crate) notes: Option<&'a mut Vec<P::Note>>,
}

impl<P: Process> Ctx<'_, P> {
    /// This process's id.
    #[inline]
    pub fn me(&self) -> ProcId {
        self.me
    }

    /// The local clock's reading at the start of this event (skew and drift included).
    #[inline]
    pub fn now(&self) -> SimTime {
        self.local
    }

    /// This process's incarnation: 0 at the first boot, one more after each crash. A consumer
    /// that derives its own random stream at boot numbers it with this, so a restarted process
    /// does not replay the draws of its previous life.
    #[inline]
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }

    /// True simulated time at the start of this event. For measurement only (recording a
    /// client's history); protocol logic must use [`Ctx::now`], the local clock.
    #[inline]
    pub fn observe_time(&self) -> SimTime {
        self.true_now
    }

    /// Sends `msg` to `to`; it leaves when this event's service time ends.
    #[inline]
    pub fn send(&mut self, to: ProcId, msg: P::Msg) {
        self.outbox.push((to, msg));
    }

    /// Fires `timer` after `after` of local time.
    #[inline]
    pub fn set_timer(&mut self, after: SimDuration, timer: P::Timer) -> TimerId {
        let at = self.true_now + self.rate.true_span(after);
        let ev = Event::Timer { proc: self.me, inc: self.incarnation, timer };
        TimerId(self.queue.push(at, ev))
    }

    /// Cancels a timer; returns false if it already fired or was cancelled.
    pub fn cancel(&mut self, id: TimerId) -> bool {
        self.queue.cancel(id.0).is_some()
    }

    /// This process's own random stream.
    #[inline]
    pub fn rng(&mut self) -> &mut SimRng {
        self.rng
    }

    /// Adds CPU time to this event's service time.
    #[inline]
    pub fn charge(&mut self, d: SimDuration) {
        self.service += d;
    }

    /// The service time accumulated so far in this event.
    pub fn service_time(&self) -> SimDuration {
        self.service
    }

    /// Reads a record; its latency is charged to this event.
    pub fn disk_read(&mut self, key: &P::DiskKey) -> Result<Option<P::DiskValue>, DiskError> {
        let (r, lat) = self.disk.read(key);
        self.service += lat;
        r
    }

    /// Writes a record (unsynced until [`Ctx::disk_fsync`]); its latency is charged.
    pub fn disk_write(&mut self, key: P::DiskKey, value: P::DiskValue, bytes: u64) -> Result<(), DiskError> {
        let (r, lat) = self.disk.write(key, value, bytes);
        self.service += lat;
        r
    }

    /// Deletes a record (unsynced until [`Ctx::disk_fsync`]); its latency is charged.
    pub fn disk_delete(&mut self, key: P::DiskKey) {
        let lat = self.disk.delete(key);
        self.service += lat;
    }

    /// Makes every write so far durable; its latency is charged.
    pub fn disk_fsync(&mut self) {
        let lat = self.disk.fsync();
        self.service += lat;
    }

    /// Reads every record (a sequential scan, as at recovery); one read latency is charged.
    pub fn disk_scan(&mut self) -> Vec<ScanEntry<P::DiskKey, P::DiskValue>> {
        let (all, lat) = self.disk.scan();
        self.service += lat;
        all
    }

    /// This disk's counters.
    pub fn disk_stats(&self) -> DiskStats {
        self.disk.stats()
    }

    /// Adds one to counter `c`.
    #[inline]
    pub fn count(&mut self, c: P::Counter) {
        self.counters[c.index()] += 1;
    }

    /// Adds `n` to counter `c`.
    #[inline]
    pub fn count_by(&mut self, c: P::Counter, n: u64) {
        self.counters[c.index()] += n;
    }

    /// This process's counters so far, summed over its incarnations, in [`CounterSet::DEFS`]
    /// order.
    pub fn counters(&self) -> &[u64] {
        self.counters
    }

    /// Whether an observer reads notes (build costly notes only then).
    #[inline]
    pub fn observed(&self) -> bool {
        self.notes.is_some()
    }

    /// Tells the observer something about this process (dropped when none is installed).
    #[inline]
    pub fn note(&mut self, note: P::Note) {
        if let Some(notes) = self.notes.as_deref_mut() {
            notes.push(note);
        }
    }
}
