//! The headline figures per phase of the fault timeline: before, during and after each fault
//! interval (`phases` in `report.json`).
//!
//! [`plan`] cuts the run at every start and end of a timeline fault (`report::fault_intervals`);
//! [`PhaseCounter`] is fed the same completed operations as the windows, in completion order,
//! and keeps one accumulator (two HDR histograms, reused) for the phase being filled, closing it
//! into its figures when the next phase begins. Memory: O(phases) figures plus one
//! accumulator; nothing per operation. Phases are at most twice the timeline's entries plus one.

use super::windows::Done;
use reports::latency::round3;
use reports::metrics::{DivergenceSample, Phase, PhaseOps, PhaseStale, PhasesSection, round6};
use reports::{FaultInterval, LatencyHistogram};
use sim_core::{SimDuration, SimTime};

/// One phase of the run before anything is counted.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// What was going on (see [`reports::metrics::Phase::label`]).
    pub label: String,
    /// When it starts.
    pub from: SimTime,
}

fn at(s: f64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs_f64(s.max(0.0))
}

/// The phases of a run ending at `end` with this fault timeline: `[0, end)` cut at every
/// start and end of a fault, each piece labelled by the faults active at its start (`during
/// …`), else by the fault that ended last (`after …`), else `before faults`. An empty timeline
/// gives one phase, `no faults`.
pub fn plan(faults: &[FaultInterval], end: SimTime) -> Vec<Span> {
    if faults.is_empty() {
        return vec![Span { label: "no faults".to_string(), from: SimTime::ZERO }];
    }
    let mut cuts: Vec<SimTime> = faults
        .iter()
        .flat_map(|f| [Some(at(f.at_s)), f.until_s.map(at)])
        .flatten()
        .filter(|t| *t > SimTime::ZERO && *t < end)
        .collect();
    cuts.push(SimTime::ZERO);
    cuts.sort();
    cuts.dedup();
    cuts.into_iter().map(|from| Span { label: label_at(faults, from), from }).collect()
}

/// What was going on at `t`.
fn label_at(faults: &[FaultInterval], t: SimTime) -> String {
    let until = |f: &FaultInterval| f.until_s.map(at);
    let active: Vec<&str> = faults
        .iter()
        .filter(|f| at(f.at_s) <= t && until(f).is_none_or(|u| u > t) && until(f) != Some(at(f.at_s)))
        .map(|f| f.label.as_str())
        .collect();
    if !active.is_empty() {
        return format!("during {}", active.join(", "));
    }
    let ended = faults.iter().filter(|f| until(f).is_some_and(|u| u <= t)).max_by_key(|f| until(f));
    match ended {
        Some(f) => format!("after {}", f.label),
        None => "before faults".to_string(),
    }
}

/// Outcomes and latency of one side (reads or writes) of the phase being filled.
#[derive(Clone, Debug, Default)]
struct Side {
    completed: u64,
    within: u64,
    latency: LatencyHistogram,
}

impl Side {
    fn add(&mut self, op: &Done, sla_ms: f64) {
        self.completed += 1;
        if op.ok {
            self.latency.record(op.latency.as_nanos());
            self.within += u64::from(op.latency.as_millis_f64() <= sla_ms);
        }
    }

    /// The side's figures, and resets for the next phase.
    fn take(&mut self) -> PhaseOps {
        let (completed, ok) = (self.completed, self.latency.len());
        let ratio = |x: u64| (completed > 0).then(|| round6(x as f64 / completed as f64));
        let ms = |q: f64| (ok > 0).then(|| round3(self.latency.quantile_ms(q)));
        let ops = PhaseOps {
            completed,
            ok,
            success_ratio: ratio(ok),
            within_sla: ratio(self.within),
            p50_ms: ms(0.5),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
        };
        self.completed = 0;
        self.within = 0;
        self.latency.clear();
        ops
    }
}

/// Counts operations into the phases of [`plan`] as they complete (in time order).
#[derive(Clone, Debug)]
pub struct PhaseCounter {
    spans: Vec<Span>,
    end: SimTime,
    sla_ms: f64,
    /// The phase being filled.
    current: usize,
    reads: Side,
    writes: Side,
    stale: PhaseStale,
    closed: Vec<Phase>,
}

impl PhaseCounter {
    /// Phases `spans` (from [`plan`]; at least one, the first from 0) of a run ending at `end`,
    /// `within_sla` against `sla_ms`.
    pub fn new(spans: Vec<Span>, end: SimTime, sla_ms: f64) -> Self {
        let spans = if spans.is_empty() { plan(&[], end) } else { spans };
        debug_assert!(spans.windows(2).all(|w| w[0].from < w[1].from), "phases are in time order");
        let reads = Side::default();
        PhaseCounter {
            spans,
            end,
            sla_ms,
            current: 0,
            writes: reads.clone(),
            reads,
            stale: PhaseStale::default(),
            closed: Vec::new(),
        }
    }

    /// Counts one operation; operations come in completion order.
    pub fn add(&mut self, op: &Done) {
        while self.spans.get(self.current + 1).is_some_and(|next| op.completed >= next.from) {
            self.close();
        }
        let side = if op.kind.is_read() { &mut self.reads } else { &mut self.writes };
        side.add(op, self.sla_ms);
        if let Some(stale) = op.stale {
            if op.prior {
                self.stale.with_prior_write += 1;
                self.stale.stale += u64::from(stale);
            } else {
                debug_assert!(!stale, "a read without a prior write is never stale");
                self.stale.without_prior_write += 1;
            }
        }
    }

    fn close(&mut self) {
        let span = &self.spans[self.current];
        let until = self.spans.get(self.current + 1).map_or(self.end, |s| s.from);
        let mut stale = std::mem::take(&mut self.stale);
        stale.stale_ratio_with_prior_write =
            (stale.with_prior_write > 0).then(|| round6(stale.stale as f64 / stale.with_prior_write as f64));
        self.closed.push(Phase {
            label: span.label.clone(),
            from_s: round6(span.from.as_secs_f64()),
            until_s: round6(until.as_secs_f64()),
            reads: self.reads.take(),
            writes: self.writes.take(),
            stale,
            divergent_fraction_mean: None,
        });
        self.current += 1;
    }

    /// Every phase, with the mean divergent fraction of the `samples` taken in each.
    pub fn finish(mut self, samples: &[DivergenceSample]) -> PhasesSection {
        while self.current < self.spans.len() {
            self.close();
        }
        let last = self.closed.len().saturating_sub(1);
        for (i, p) in self.closed.iter_mut().enumerate() {
            let inside: Vec<f64> = samples
                .iter()
                .filter(|s| s.t_s >= p.from_s && (s.t_s < p.until_s || i == last))
                .map(|s| s.fraction)
                .collect();
            p.divergent_fraction_mean =
                (!inside.is_empty()).then(|| round6(inside.iter().sum::<f64>() / inside.len() as f64));
        }
        PhasesSection { phases: self.closed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpKind;

    fn fault(at_s: f64, until_s: Option<f64>, label: &str) -> FaultInterval {
        FaultInterval { at_s, until_s, label: label.to_string() }
    }

    fn secs(s: f64) -> SimTime {
        at(s)
    }

    fn labels(spans: &[Span]) -> Vec<(f64, &str)> {
        spans.iter().map(|s| (s.from.as_secs_f64(), s.label.as_str())).collect()
    }

    #[test]
    fn the_default_timeline_gives_before_during_and_after_each_fault() {
        let faults = [fault(15.0, Some(30.0), "partition split"), fault(40.0, Some(50.0), "crash n4")];
        let spans = plan(&faults, secs(70.0));
        assert_eq!(
            labels(&spans),
            vec![
                (0.0, "before faults"),
                (15.0, "during partition split"),
                (30.0, "after partition split"),
                (40.0, "during crash n4"),
                (50.0, "after crash n4"),
            ]
        );
    }

    #[test]
    fn overlapping_faults_instants_and_open_intervals_label_their_pieces() {
        let faults = [
            fault(2.0, Some(6.0), "partition split"),
            fault(4.0, None, "crash n1"),
            fault(1.0, Some(1.0), "clock_jump n0"),
        ];
        let spans = plan(&faults, secs(10.0));
        assert_eq!(
            labels(&spans),
            vec![
                (0.0, "before faults"),
                (1.0, "after clock_jump n0"),
                (2.0, "during partition split"),
                (4.0, "during partition split, crash n1"),
                (6.0, "during crash n1"),
            ]
        );
        assert_eq!(labels(&plan(&[], secs(10.0))), vec![(0.0, "no faults")]);
    }

    fn done(kind: OpKind, completed_ms: u64, latency_ms: u64, ok: bool, stale: Option<(bool, bool)>) -> Done {
        Done {
            kind,
            completed: SimTime(completed_ms * 1_000_000),
            latency: SimDuration::from_millis(latency_ms),
            ok,
            stale: stale.map(|s| s.0),
            prior: stale.is_some_and(|s| s.1),
        }
    }

    #[test]
    fn operations_count_in_the_phase_their_completion_falls_in_with_the_stale_headline() {
        let faults = [fault(1.0, Some(2.0), "partition split")];
        let mut c = PhaseCounter::new(plan(&faults, secs(3.0)), secs(3.0), 300.0);
        c.add(&done(OpKind::Get, 500, 4, true, Some((false, false))));
        c.add(&done(OpKind::Put, 900, 400, true, None));
        c.add(&done(OpKind::Get, 1000, 8, true, Some((true, true))));
        c.add(&done(OpKind::RmwRead, 1500, 2, true, Some((false, true))));
        c.add(&done(OpKind::Get, 1900, 2, false, None));
        let samples: Vec<DivergenceSample> = [(0.5, 0.0), (1.5, 0.5), (1.75, 0.25), (3.0, 0.125)]
            .iter()
            .map(|&(t_s, fraction)| DivergenceSample { t_s, fraction, ..Default::default() })
            .collect();
        let p = c.finish(&samples).phases;
        assert_eq!(p.len(), 3);
        assert_eq!((p[0].label.as_str(), p[0].from_s, p[0].until_s), ("before faults", 0.0, 1.0));
        assert_eq!((p[0].reads.completed, p[0].writes.completed, p[0].writes.within_sla), (1, 1, Some(0.0)));
        assert_eq!((p[0].stale.without_prior_write, p[0].stale.stale_ratio_with_prior_write), (1, None));
        assert_eq!(p[1].label, "during partition split");
        assert_eq!((p[1].reads.completed, p[1].reads.ok, p[1].reads.success_ratio), (3, 2, Some(0.666667)));
        assert_eq!((p[1].stale.with_prior_write, p[1].stale.stale), (2, 1));
        assert_eq!(p[1].stale.stale_ratio_with_prior_write, Some(0.5));
        assert_eq!(p[1].reads.p999_ms, Some(8.004), "the phase's own histogram (8 ms to 3 significant digits)");
        assert_eq!(p[1].divergent_fraction_mean, Some(0.375), "the samples inside the phase");
        assert_eq!((p[2].reads.completed, p[2].reads.success_ratio, p[2].reads.p50_ms), (0, None, None));
        assert_eq!(p[2].divergent_fraction_mean, Some(0.125), "the last phase keeps the sample at the end");
    }
}
