//! [`OpCounters`]: every per-operation figure of a report, counted as operations complete.
//!
//! Outcomes and latency per kind (`ops`, `latency_cdf`: one HDR histogram per kind), the time
//! windows, staleness and k-staleness of ordinary reads, the t-visibility curves, and the
//! shapes of reads' answers (`divergence.reads`). Memory is O(kinds × histogram + windows):
//! nothing per operation.

use crate::history::OpKind;
use crate::metrics::VisibilityGridSpec;
use crate::metrics::divergence::ShapeCounter;
use crate::metrics::phases::{PhaseCounter, Span};
use crate::metrics::staleness::{StaleCounter, Verdict, is_ordinary_read};
use crate::metrics::visibility::{CurveCounter, GridCounter, grid_section};
use crate::metrics::windows::{Done, WindowCounter};
use reports::latency::round3;
use reports::metrics::{StalenessSection, VisibilitySection, WindowsSection};
use reports::{LatencyCdf, LatencyHistogram, OpSummary};
use sim_core::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// Outcomes and latency of one kind of operation.
#[derive(Clone, Debug, Default)]
struct SummaryCounter {
    completed: u64,
    within: u64,
    latency: LatencyHistogram,
}

impl SummaryCounter {
    fn add(&mut self, latency: SimDuration, ok: bool, sla_ms: f64) {
        self.completed += 1;
        if ok {
            self.latency.record(latency.as_nanos());
            self.within += u64::from(latency.as_millis_f64() <= sla_ms);
        }
    }

    fn finish(&self) -> OpSummary {
        let ok = self.latency.len();
        let ratio = |x: u64| if self.completed == 0 { 1.0 } else { x as f64 / self.completed as f64 };
        OpSummary {
            completed: self.completed,
            ok,
            failed: self.completed - ok,
            success_ratio: ratio(ok),
            within_sla: ratio(self.within),
            latency_ms: self.latency.summary(),
        }
    }
}

/// The read kinds, in report order (`divergence.reads`).
const READ_KINDS: [OpKind; 3] = [OpKind::Get, OpKind::RmwRead, OpKind::ProbeRead];

/// Every per-operation figure.
#[derive(Clone, Debug)]
pub struct OpCounters {
    sla_ms: f64,
    /// Per [`OpKind::ALL`] kind, then all reads, then all writes.
    summaries: Vec<SummaryCounter>,
    windows: WindowCounter,
    phases: PhaseCounter,
    /// Ordinary reads: get, rmw_read, and both.
    stale: [StaleCounter; 3],
    probes: CurveCounter,
    reads: CurveCounter,
    /// Both curves on the scenario's grid, when it chose one: (spec, probes, reads).
    grid: Option<Box<(VisibilityGridSpec, GridCounter, GridCounter)>>,
    /// Per [`READ_KINDS`] kind, then all reads.
    shapes: [ShapeCounter; 4],
    completed: u64,
}

/// What [`OpCounters::add`] needs of one completed operation besides its kind and times.
#[derive(Clone, Copy, Debug, Default)]
pub struct Judged {
    /// For a successful ordinary read: its staleness verdict.
    pub verdict: Option<Verdict>,
    /// For a successful read: (distinct writes, siblings, longest clock) returned.
    pub shape: Option<(u64, u64, u32)>,
    /// For a successful probe read: t since the probe write completed, and whether it came back.
    pub probe: Option<(SimDuration, bool)>,
}

impl OpCounters {
    /// Counters for a run ending at `end`, with windows of `window`, the phases of the fault
    /// timeline (`metrics::phases::plan`), the SLA `sla_ms` and the t-visibility grid, if any.
    pub fn new(
        window: SimDuration,
        phases: Vec<Span>,
        end: SimTime,
        sla_ms: f64,
        grid: Option<VisibilityGridSpec>,
    ) -> Self {
        let grid = grid.map(|g| {
            let (probes, reads) = (GridCounter::new(g.grid), GridCounter::new(g.grid));
            Box::new((g, probes, reads))
        });
        OpCounters {
            sla_ms,
            summaries: vec![SummaryCounter::default(); OpKind::ALL.len() + 2],
            windows: WindowCounter::new(window, end, sla_ms),
            phases: PhaseCounter::new(phases, end, sla_ms),
            stale: Default::default(),
            probes: CurveCounter::default(),
            reads: CurveCounter::default(),
            grid,
            shapes: Default::default(),
            completed: 0,
        }
    }

    /// Counts one completed operation (in completion order).
    pub fn add(&mut self, kind: OpKind, invoked: SimTime, completed: SimTime, ok: bool, j: &Judged) {
        let latency = completed - invoked;
        self.completed += 1;
        let k = OpKind::ALL.iter().position(|x| *x == kind).unwrap_or(0);
        let all = if kind.is_read() { OpKind::ALL.len() } else { OpKind::ALL.len() + 1 };
        let sla = self.sla_ms;
        self.summaries[k].add(latency, ok, sla);
        self.summaries[all].add(latency, ok, sla);
        let stale = j.verdict.map(|v| v.stale);
        let prior = j.verdict.is_some_and(|v| v.since_prior.is_some());
        let done = Done { kind, completed, latency, ok, stale, prior };
        self.windows.add(&done);
        self.phases.add(&done);
        if let Some(v) = &j.verdict {
            self.stale[usize::from(kind == OpKind::RmwRead)].add(v);
            self.stale[2].add(v);
            if let Some(t) = v.since_prior {
                self.reads.add(t, !v.stale);
                if let Some(g) = &mut self.grid {
                    g.2.add(t, !v.stale);
                }
            }
        }
        if let Some((t, ok)) = j.probe {
            self.probes.add(t, ok);
            if let Some(g) = &mut self.grid {
                g.1.add(t, ok);
            }
        }
        if let Some((versions, siblings, clock)) = j.shape {
            let i = READ_KINDS.iter().position(|x| *x == kind).unwrap_or(0);
            self.shapes[i].add(versions, siblings, clock);
            self.shapes[3].add(versions, siblings, clock);
        }
    }

    /// Operations completed so far.
    pub fn completed(&self) -> u64 {
        self.completed
    }

    /// `ops` of the report: per kind that completed anything, plus `all_reads`, `all_writes`.
    pub fn summaries(&self) -> BTreeMap<String, OpSummary> {
        let mut out = BTreeMap::new();
        for (kind, c) in OpKind::ALL.iter().zip(&self.summaries) {
            if c.completed > 0 {
                out.insert(kind.name().to_string(), c.finish());
            }
        }
        out.insert("all_reads".to_string(), self.summaries[OpKind::ALL.len()].finish());
        out.insert("all_writes".to_string(), self.summaries[OpKind::ALL.len() + 1].finish());
        out
    }

    /// `latency_cdf` of the report: latency at the standard quantiles per kind with successful
    /// operations.
    pub fn latency_cdf(&self) -> LatencyCdf {
        let quantiles = LatencyCdf::standard_quantiles();
        let mut ms = BTreeMap::new();
        for (kind, c) in OpKind::ALL.iter().zip(&self.summaries) {
            if !c.latency.is_empty() {
                let points = quantiles.iter().map(|&q| round3(c.latency.quantile_ms(q))).collect();
                ms.insert(kind.name().to_string(), points);
            }
        }
        LatencyCdf { quantiles, ms }
    }

    /// `staleness` of the report.
    pub fn staleness(&self) -> StalenessSection {
        let mut by_kind = BTreeMap::new();
        for (kind, c) in [OpKind::Get, OpKind::RmwRead].iter().zip(&self.stale) {
            if !c.is_empty() {
                by_kind.insert(kind.name().to_string(), c.finish());
            }
        }
        by_kind.insert("all".to_string(), self.stale[2].finish());
        StalenessSection { headline: reports::metrics::STALE_HEADLINE.to_string(), by_kind }
    }

    /// `visibility` of the report.
    pub fn visibility(&self) -> VisibilitySection {
        let grid = self.grid.as_ref().map(|g| grid_section(&g.0, &g.1, &g.2));
        VisibilitySection { confidence: 0.95, probes: self.probes.finish(), reads: self.reads.finish(), grid }
    }

    /// `divergence.reads` of the report.
    pub fn read_shapes(&self) -> BTreeMap<String, reports::metrics::ReadShapes> {
        let mut out = BTreeMap::new();
        for (kind, c) in READ_KINDS.iter().zip(&self.shapes) {
            if !c.is_empty() {
                out.insert(kind.name().to_string(), c.finish());
            }
        }
        out.insert("all_reads".to_string(), self.shapes[3].finish());
        out
    }

    /// The windows, closing the remaining ones, and the phases, still to be given the
    /// divergence samples ([`PhaseCounter::finish`]).
    pub fn series(self) -> (WindowsSection, PhaseCounter) {
        (self.windows.finish(), self.phases)
    }
}

/// Whether a read of this kind gets a staleness verdict (probes have their own curve).
pub fn judged_for_staleness(kind: OpKind) -> bool {
    is_ordinary_read(kind)
}
