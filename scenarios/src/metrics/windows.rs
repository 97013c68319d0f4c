//! Availability, latency and stale reads per time window and operation kind. An operation
//! belongs to the window its completion time falls in. Latency percentiles come from an HDR
//! histogram per window and kind (reused from window to window).

use super::staleness::is_ordinary_read;
use crate::history::OpKind;
use reports::LatencyHistogram;
use reports::latency::round3;
use reports::metrics::{Window, WindowOps, WindowsSection, round6};
use sim_core::{SimDuration, SimTime};

/// Accumulates one kind's operations within one window.
#[derive(Clone, Debug)]
struct Acc {
    name: &'static str,
    completed: u64,
    ok: u64,
    within: u64,
    stale: Option<u64>,
    prior: Option<u64>,
    latency: LatencyHistogram,
}

impl Acc {
    fn new(name: &'static str, tracks_staleness: bool) -> Self {
        Acc {
            name,
            completed: 0,
            ok: 0,
            within: 0,
            stale: tracks_staleness.then_some(0),
            prior: tracks_staleness.then_some(0),
            latency: LatencyHistogram::new(),
        }
    }

    fn add(&mut self, op: &Done, sla_ms: f64) {
        self.completed += 1;
        if op.ok {
            self.ok += 1;
            self.latency.record(op.latency.as_nanos());
            self.within += u64::from(op.latency.as_millis_f64() <= sla_ms);
        }
        if let (Some(s), Some(p), Some(stale)) = (self.stale.as_mut(), self.prior.as_mut(), op.stale) {
            *s += u64::from(stale);
            *p += u64::from(op.prior);
        }
    }

    /// The window's figures, and resets for the next window.
    fn take(&mut self) -> Option<WindowOps> {
        if self.completed == 0 {
            return None;
        }
        let ratio = |x: u64| round6(x as f64 / self.completed as f64);
        let ops = WindowOps {
            completed: self.completed,
            ok: self.ok,
            success_ratio: ratio(self.ok),
            within_sla: ratio(self.within),
            p50_ms: round3(self.latency.quantile_ms(0.5)),
            p99_ms: round3(self.latency.quantile_ms(0.99)),
            p999_ms: round3(self.latency.quantile_ms(0.999)),
            stale_reads: self.stale,
            reads_with_prior_write: self.prior,
        };
        self.completed = 0;
        self.ok = 0;
        self.within = 0;
        self.stale = self.stale.map(|_| 0);
        self.prior = self.prior.map(|_| 0);
        self.latency.clear();
        Some(ops)
    }
}

/// One completed operation, as a window counts it.
#[derive(Clone, Copy, Debug)]
pub struct Done {
    /// Its kind.
    pub kind: OpKind,
    /// When it completed.
    pub completed: SimTime,
    /// Its latency.
    pub latency: SimDuration,
    /// Whether it succeeded.
    pub ok: bool,
    /// For a successful ordinary read: whether it was stale.
    pub stale: Option<bool>,
    /// For a successful ordinary read: whether its key had a write acknowledged before it began
    /// (only such reads can be stale; they make the headline's denominator).
    pub prior: bool,
}

/// Counts operations into windows of a fixed width from 0 to the end of the run, as they
/// complete (in time order): O(windows) memory for the result, one histogram per kind reused
/// from window to window.
#[derive(Clone, Debug)]
pub struct WindowCounter {
    width_ns: u64,
    count: u64,
    sla_ms: f64,
    /// The window being filled.
    current: u64,
    accs: Vec<Acc>,
    windows: Vec<Window>,
}

impl WindowCounter {
    /// Windows of `width` from 0 to `end`; `within_sla` against `sla_ms`.
    pub fn new(width: SimDuration, end: SimTime, sla_ms: f64) -> Self {
        let width_ns = width.as_nanos().max(1);
        let mut accs: Vec<Acc> = OpKind::ALL.iter().map(|k| Acc::new(k.name(), is_ordinary_read(*k))).collect();
        accs.push(Acc::new("all_reads", true));
        accs.push(Acc::new("all_writes", false));
        WindowCounter {
            width_ns,
            count: end.as_nanos().div_ceil(width_ns).max(1),
            sla_ms,
            current: 0,
            accs,
            windows: Vec::new(),
        }
    }

    /// Counts one operation; operations come in completion order.
    pub fn add(&mut self, op: &Done) {
        let w = (op.completed.as_nanos() / self.width_ns).min(self.count - 1);
        debug_assert!(w >= self.current, "operations come in completion order");
        while self.current < w {
            self.close();
        }
        let kind = OpKind::ALL.iter().position(|k| *k == op.kind).unwrap_or(0);
        let all = if op.kind.is_read() { OpKind::ALL.len() } else { OpKind::ALL.len() + 1 };
        let sla = self.sla_ms;
        self.accs[kind].add(op, sla);
        self.accs[all].add(op, sla);
    }

    fn close(&mut self) {
        let ops = self.accs.iter_mut().filter_map(|a| a.take().map(|o| (a.name.to_string(), o))).collect();
        let start_s = round6((self.current * self.width_ns) as f64 / 1e9);
        self.windows.push(Window { start_s, ops });
        self.current += 1;
    }

    /// Every window from 0 to the end.
    pub fn finish(mut self) -> WindowsSection {
        while self.current < self.count {
            self.close();
        }
        WindowsSection { window_s: round6(self.width_ns as f64 / 1e9), windows: self.windows }
    }
}
