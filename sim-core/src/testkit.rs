//! A harness that drives one process by hand, with no event queue running: the proof of the
//! sans-IO boundary. Tests build a [`Harness`], call handlers through [`Harness::with_ctx`],
//! and inspect what the process sent, which timers it set, and what it wrote to its disk.
//!
//! Time only moves when the test says so ([`Harness::advance`], [`Harness::pop_timer`]).

use crate::clock::Clock;
use crate::counter::CounterSet;
use crate::disk::{Disk, DiskConfig, DiskModel};
use crate::id::ProcId;
use crate::process::{Ctx, Process};
use crate::queue::EventQueue;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::world::Event;

/// One process's surroundings, driven by hand.
pub struct Harness<P: Process> {
    me: ProcId,
    now: SimTime,
    clock: Clock,
    rng: SimRng,
    disk: Disk<P::DiskKey, P::DiskValue>,
    timers: EventQueue<Event<P>>,
    outbox: Vec<(ProcId, P::Msg)>,
    last_service: SimDuration,
    counters: Vec<u64>,
    notes: Vec<P::Note>,
}

impl<P: Process> Harness<P> {
    /// A harness for process `me` with a default disk and a perfect clock at time zero.
    pub fn new(me: ProcId, seed: u64) -> Self {
        let model = DiskModel::new(&DiskConfig::default()).expect("default disk config is valid");
        Harness {
            me,
            now: SimTime::ZERO,
            clock: Clock::perfect(),
            rng: SimRng::stream(seed, &format!("proc/{}", me.0)),
            disk: Disk::new(model, SimRng::stream(seed, &format!("disk/{}", me.0))),
            timers: EventQueue::default(),
            outbox: Vec::new(),
            last_service: SimDuration::ZERO,
            counters: vec![0; <P::Counter as CounterSet>::DEFS.len()],
            notes: Vec::new(),
        }
    }

    /// Runs `f` with a context for this process at the current time.
    pub fn with_ctx<R>(&mut self, f: impl FnOnce(&mut Ctx<'_, P>) -> R) -> R {
        let mut ctx = Ctx {
            me: self.me,
            true_now: self.now,
            local: self.clock.local(self.now),
            incarnation: 0,
            rate: &self.clock,
            rng: &mut self.rng,
            disk: &mut self.disk,
            queue: &mut self.timers,
            outbox: &mut self.outbox,
            service: SimDuration::ZERO,
            counters: &mut self.counters,
            notes: Some(&mut self.notes),
        };
        let r = f(&mut ctx);
        self.last_service = ctx.service;
        r
    }

    /// Takes every message sent so far, in order.
    pub fn take_sent(&mut self) -> Vec<(ProcId, P::Msg)> {
        std::mem::take(&mut self.outbox)
    }

    /// The process's counters so far, in `P::Counter::DEFS` order.
    pub fn counters(&self) -> &[u64] {
        &self.counters
    }

    /// The counter named `name` (panics on a name the process does not declare: a test bug).
    pub fn counter(&self, name: &str) -> u64 {
        let i = crate::counter::index_of::<P::Counter>(name).unwrap_or_else(|| panic!("no counter {name:?}"));
        self.counters[i]
    }

    /// Takes every note made so far, in order.
    pub fn take_notes(&mut self) -> Vec<P::Note> {
        std::mem::take(&mut self.notes)
    }

    /// The service time the last handler charged.
    pub fn last_service(&self) -> SimDuration {
        self.last_service
    }

    /// Moves time forward.
    pub fn advance(&mut self, d: SimDuration) {
        self.now += d;
    }

    /// True time now.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Pending timers (not cancelled).
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    /// Removes the earliest pending timer and moves time to it.
    pub fn pop_timer(&mut self) -> Option<P::Timer> {
        loop {
            let (t, ev) = self.timers.pop()?;
            if let Event::Timer { timer, .. } = ev {
                self.now = self.now.max(t);
                return Some(timer);
            }
        }
    }

    /// The process's disk.
    pub fn disk(&self) -> &Disk<P::DiskKey, P::DiskValue> {
        &self.disk
    }

    /// The process's disk, to inject faults or simulate a crash (`crash()`, `wipe()`).
    pub fn disk_mut(&mut self) -> &mut Disk<P::DiskKey, P::DiskValue> {
        &mut self.disk
    }

    /// Forgets every pending timer (as a crash does).
    pub fn drop_timers(&mut self) {
        while self.timers.pop().is_some() {}
    }
}
