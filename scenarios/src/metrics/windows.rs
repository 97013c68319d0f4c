//! Availability, latency and stale reads per time window and operation kind. An operation
//! belongs to the window its completion time falls in. Latency percentiles come from an HDR
//! histogram per window and kind (reused from window to window).

use super::staleness::{Verdict, is_ordinary_read};
use crate::history::{OpKind, OpRecord};
use reports::LatencyHistogram;
use reports::latency::round3;
use reports::metrics::{Window, WindowOps, WindowsSection, round6};
use sim_core::{SimDuration, SimTime};

/// Accumulates one kind's operations within one window.
struct Acc {
    name: &'static str,
    completed: u64,
    ok: u64,
    within: u64,
    stale: Option<u64>,
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
            latency: LatencyHistogram::new(),
        }
    }

    fn add(&mut self, r: &OpRecord, verdict: Option<&Verdict>, sla_ms: f64) {
        self.completed += 1;
        if r.ok() {
            self.ok += 1;
            self.latency.record(r.latency().as_nanos());
            self.within += u64::from(r.latency().as_millis_f64() <= sla_ms);
        }
        if let (Some(s), Some(v)) = (self.stale.as_mut(), verdict) {
            *s += u64::from(v.stale);
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
        };
        self.completed = 0;
        self.ok = 0;
        self.within = 0;
        self.stale = self.stale.map(|_| 0);
        self.latency.clear();
        Some(ops)
    }
}

/// The windows of width `width` from 0 to `end`. `verdicts` is indexed like `history`.
pub fn section(
    history: &[OpRecord],
    verdicts: &[Option<Verdict>],
    width: SimDuration,
    end: SimTime,
    sla_ms: f64,
) -> WindowsSection {
    let width_ns = width.as_nanos().max(1);
    let count = end.as_nanos().div_ceil(width_ns).max(1);
    let window_of = |t: SimTime| (t.as_nanos() / width_ns).min(count - 1);
    let mut order: Vec<usize> = (0..history.len()).collect();
    order.sort_by_key(|&i| (history[i].completed, i));
    let mut accs: Vec<Acc> = OpKind::ALL.iter().map(|k| Acc::new(k.name(), is_ordinary_read(*k))).collect();
    let (mut reads, mut writes) = (Acc::new("all_reads", true), Acc::new("all_writes", false));
    let mut windows = Vec::with_capacity(count as usize);
    let mut next = order.iter().peekable();
    for w in 0..count {
        while let Some(&&i) = next.peek() {
            let r = &history[i];
            if window_of(r.completed) != w {
                break;
            }
            next.next();
            let v = verdicts.get(i).and_then(Option::as_ref);
            let kind = OpKind::ALL.iter().position(|k| *k == r.kind).unwrap_or(0);
            accs[kind].add(r, v, sla_ms);
            if r.kind.is_read() { reads.add(r, v, sla_ms) } else { writes.add(r, v, sla_ms) }
        }
        let ops = accs
            .iter_mut()
            .chain([&mut reads, &mut writes])
            .filter_map(|a| a.take().map(|o| (a.name.to_string(), o)))
            .collect();
        windows.push(Window { start_s: round6((w * width_ns) as f64 / 1e9), ops });
    }
    WindowsSection { window_s: round6(width.as_secs_f64()), windows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Outcome;
    use crate::metrics::testkit::record;

    fn op(kind: OpKind, invoked_ms: u64, completed_ms: u64, ok: bool) -> OpRecord {
        let mut r = record(kind, 1, invoked_ms, completed_ms);
        if !ok {
            r.outcome = Outcome::Timeout;
        }
        r
    }

    #[test]
    fn operations_fall_in_the_window_they_complete_in() {
        let h = vec![
            op(OpKind::Get, 900, 1_100, true),   // 200 ms, window 1
            op(OpKind::Get, 100, 500, true),     // 400 ms (beyond the SLA), window 0
            op(OpKind::Put, 200, 700, false),    // failed, window 0
            op(OpKind::Get, 2_000, 2_999, true), // window 2
        ];
        let stale = Verdict { stale: true, k: 1, since_prior: None, via_newer: false };
        let verdicts = vec![None, Some(stale), None, None];
        let w = section(&h, &verdicts, SimDuration::from_secs(1), SimTime(3_000_000_000), 300.0);
        assert_eq!(w.window_s, 1.0);
        assert_eq!(w.windows.len(), 3);
        let w0 = &w.windows[0].ops;
        assert_eq!((w0["get"].completed, w0["get"].ok, w0["get"].within_sla), (1, 1, 0.0));
        assert_eq!(w0["get"].stale_reads, Some(1));
        assert!((w0["get"].p50_ms - 400.0).abs() <= 0.4, "HDR: 3 significant digits");
        assert_eq!((w0["put"].completed, w0["put"].ok, w0["put"].success_ratio), (1, 0, 0.0));
        assert_eq!(w0["put"].stale_reads, None);
        assert_eq!(w0["all_writes"].completed, 1);
        assert_eq!(w0["all_reads"].stale_reads, Some(1));
        let w1 = &w.windows[1].ops;
        assert_eq!((w1["get"].within_sla, w1["get"].stale_reads), (1.0, Some(0)));
        assert!((w1["get"].p99_ms - 200.0).abs() <= 0.2);
        assert!(!w1.contains_key("put"), "kinds with nothing completed are left out");
        assert_eq!(w.windows[2].start_s, 2.0);
        assert_eq!(w.windows[2].ops["get"].completed, 1);
    }
}
