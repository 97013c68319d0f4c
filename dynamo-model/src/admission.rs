//! Admission control of background tasks (§6.5).
//!
//! Background tasks (hinted-handoff scans, anti-entropy exchanges) ask the node's
//! [`AdmissionController`] for a runtime slice before doing any work. The controller watches
//! foreground disk latency: every foreground handler (a replica read or write, a coordinator's
//! local read or write) reports the disk service time it charged, and the controller keeps those
//! samples over a sliding window. While the window's 99th percentile exceeds the threshold, a
//! background task is deferred, the delay doubling from `min_backoff` up to `max_backoff`
//! with each consecutive deferral; the first request made while the percentile is back under the
//! threshold is admitted and resets the delay.
//!
//! The window holds at most [`MAX_SAMPLES`] samples (the oldest are dropped first), so memory is
//! bounded however heavy the foreground load; the percentile is then over the most recent
//! samples of the window. Time is the node's local clock; a clock that jumps back only makes
//! samples linger longer.

use crate::config::AdmissionConfig;
use sim_core::{SimDuration, SimTime};
use std::collections::VecDeque;

/// The most foreground samples kept in the window.
pub const MAX_SAMPLES: usize = 8192;

/// The controller's answer to a background task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead now.
    Admit,
    /// Foreground latency is too high: ask again after this long.
    Defer(SimDuration),
}

/// One node's admission controller.
#[derive(Clone, Debug)]
pub struct AdmissionController {
    window: SimDuration,
    threshold: SimDuration,
    min_backoff: SimDuration,
    max_backoff: SimDuration,
    /// (local time, foreground disk service time), oldest first.
    samples: VecDeque<(SimTime, SimDuration)>,
    /// Reused buffer for the percentile selection.
    scratch: Vec<SimDuration>,
    /// The current deferral; zero when not backing off.
    backoff: SimDuration,
}

impl AdmissionController {
    /// A controller with no samples (everything is admitted until foreground work is measured).
    pub fn new(cfg: &AdmissionConfig) -> Self {
        AdmissionController {
            window: cfg.window,
            threshold: cfg.p99_threshold,
            min_backoff: cfg.min_backoff,
            max_backoff: cfg.max_backoff,
            samples: VecDeque::new(),
            scratch: Vec::new(),
            backoff: SimDuration::ZERO,
        }
    }

    /// Records the disk service time one foreground operation charged, at local time `now`.
    pub fn record(&mut self, now: SimTime, latency: SimDuration) {
        if self.samples.len() == MAX_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back((now, latency));
    }

    /// The 99th percentile (nearest rank) of the foreground samples within the window ending at
    /// `now`, or `None` when there are none.
    pub fn p99(&mut self, now: SimTime) -> Option<SimDuration> {
        while let Some(&(at, _)) = self.samples.front() {
            if now.since(at) < self.window {
                break;
            }
            self.samples.pop_front();
        }
        if self.samples.is_empty() {
            return None;
        }
        self.scratch.clear();
        self.scratch.extend(self.samples.iter().map(|&(_, d)| d));
        let n = self.scratch.len();
        let rank = (n * 99).div_ceil(100).max(1) - 1;
        Some(*self.scratch.select_nth_unstable(rank).1)
    }

    /// A background task asks for a runtime slice at local time `now`.
    pub fn admit(&mut self, now: SimTime) -> Admission {
        match self.p99(now) {
            Some(p99) if p99 > self.threshold => {
                self.backoff = if self.backoff == SimDuration::ZERO {
                    self.min_backoff
                } else {
                    SimDuration::from_nanos(self.backoff.as_nanos().saturating_mul(2)).min(self.max_backoff)
                };
                Admission::Defer(self.backoff)
            }
            _ => {
                self.backoff = SimDuration::ZERO;
                Admission::Admit
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }

    fn at(v: u64) -> SimTime {
        SimTime(0) + ms(v)
    }

    fn controller() -> AdmissionController {
        AdmissionController::new(&AdmissionConfig {
            enabled: true,
            window: ms(1000),
            p99_threshold: ms(50),
            min_backoff: ms(100),
            max_backoff: ms(700),
        })
    }

    #[test]
    fn p99_is_the_nearest_rank_over_the_window() {
        let mut c = controller();
        assert_eq!(c.p99(at(0)), None);
        for i in 1..=200 {
            c.record(at(10), ms(i));
        }
        // Rank ceil(0.99 · 200) = 198.
        assert_eq!(c.p99(at(10)), Some(ms(198)));
        c.record(at(500), ms(1));
        assert_eq!(c.p99(at(1009)), Some(ms(198)), "still inside the 1 s window");
        assert_eq!(c.p99(at(1010)), Some(ms(1)), "the 200 samples at 10 ms have left the window");
        assert_eq!(c.p99(at(1500)), None);
    }

    #[test]
    fn slow_foreground_disk_defers_with_doubling_backoff_and_recovers() {
        let mut c = controller();
        assert_eq!(c.admit(at(0)), Admission::Admit, "nothing measured yet");
        for _ in 0..100 {
            c.record(at(1), ms(80));
        }
        let delays: Vec<_> = (0..5).map(|i| c.admit(at(2 + i))).collect();
        let want = [100, 200, 400, 700, 700].map(|d| Admission::Defer(ms(d)));
        assert_eq!(delays, want, "doubles from min_backoff up to max_backoff");
        // Fast operations push the 99th percentile back under the threshold.
        for _ in 0..10_000 {
            c.record(at(20), ms(1));
        }
        assert_eq!(c.admit(at(21)), Admission::Admit);
        for _ in 0..100 {
            c.record(at(22), ms(80));
        }
        assert_eq!(c.admit(at(23)), Admission::Defer(ms(100)), "the backoff restarted from its minimum");
    }

    #[test]
    fn the_window_keeps_at_most_max_samples() {
        let mut c = controller();
        for _ in 0..MAX_SAMPLES {
            c.record(at(1), ms(90));
        }
        for _ in 0..MAX_SAMPLES {
            c.record(at(2), ms(1));
        }
        assert_eq!(c.samples.len(), MAX_SAMPLES);
        assert_eq!(c.p99(at(3)), Some(ms(1)), "the slow samples were the oldest and were dropped");
    }
}
