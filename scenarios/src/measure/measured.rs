//! [`Measured`]: what measurement hands the report when the run ends.

use super::end::FinalState;
use super::{HistorySink, Measure, StaleRead};
use crate::assemble::Assembly;
use crate::check::invariants::{Findings, check_all};
use crate::history::OpRecord;
use crate::metrics::{Sections, activity, convergence, cost, divergence, durability, load};
use crate::spec::Scenario;
use crate::spec::dynamo::VersioningMode;
use reports::{LatencyCdf, OpSummary, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// The keys operations touched, for the message diagram's choice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Operated {
    /// How many keys an operation completed on.
    pub keys: u64,
    /// The smallest few of them.
    pub first: Vec<u64>,
    /// The key with the most completed writes overlapping the diagram's window (the smallest
    /// key on a tie), and that count; `None` when no write completed there.
    pub most_written: Option<(u64, u64)>,
    /// Whether an operation completed on the diagram's given key (`None` without one).
    pub given_key: Option<bool>,
}

/// Everything a run's report needs from measurement.
pub struct Measured {
    /// The measurement sections.
    pub sections: Sections,
    /// `ops`: outcomes and latency per operation kind.
    pub ops: BTreeMap<String, OpSummary>,
    /// `latency_cdf`.
    pub latency_cdf: LatencyCdf,
    /// Every checker's verdict.
    pub checks: Vec<Verdict>,
    /// The first stale ordinary read (by invocation) overlapping the diagram's window.
    pub first_stale: Option<StaleRead>,
    /// The keys operations touched.
    pub operated: Operated,
    /// The keys of the checkers' example violations that an operation touched.
    pub touched_example_keys: BTreeSet<u64>,
    /// The per-operation history, when it was kept in memory (the test oracle).
    pub history: Option<Vec<OpRecord>>,
    /// Why the history file could not be written, if it could not.
    pub history_error: Option<String>,
    /// Why the probes file could not be written, if it could not.
    pub probes_error: Option<String>,
    /// Records measurement held at the end (kept acknowledged writes and reads in flight,
    /// summed over keys) and the keys it tracked.
    pub held_records: (usize, usize),
    /// The reachability oracle's section.
    pub reachability: reports::reachability::ReachabilitySection,
}

/// How many keys [`Operated::first`] lists.
const FIRST_KEYS: usize = 8;

impl Measure {
    /// Reads the final state of `asm` and hands over every figure and verdict of the run of `s`.
    pub fn finish(mut self, s: &Scenario, asm: &Assembly) -> Measured {
        let fin = self.final_state(asm);
        let spec = &s.outputs.metrics;
        let samples = std::mem::take(&mut self.samples);
        let lww = s.dynamo.versioning == VersioningMode::Lww;
        let ops = std::mem::replace(
            &mut self.ops,
            super::ops::OpCounters::new(spec.window(), vec![], asm.end, spec.sla_ms, None),
        );
        let sections = Sections {
            divergence: divergence::section(ops.read_shapes(), Some(&samples)),
            staleness: ops.staleness(),
            visibility: ops.visibility(),
            durability: fin.durability(
                s.dynamo.versioning.to_model().name(),
                lww,
                durability::data_destroying_faults(s),
            ),
            convergence: convergence::section(s, asm, Some(&samples), (fin.divergent, fin.keys)),
            cost: cost::section(asm, ops.completed(), s.dynamo.anti_entropy.enabled),
            load: load::section(asm, Some(&samples), spec.window()),
            activity: activity::section(Some(&samples), spec.window(), asm.end, activity::features(s)),
            windows: Default::default(),
            phases: Default::default(),
        };
        let checks = check_all(s, asm, &Findings { reads: &self.checks, end: &fin, protocol: &self.protocol });
        let (summaries, latency_cdf) = (ops.summaries(), ops.latency_cdf());
        let (windows, phases) = ops.series();
        let phases = phases.finish(&sections.divergence.over_time);
        let sections = Sections { windows, phases, ..sections };
        self.hand_over(sections, summaries, latency_cdf, checks, &fin)
    }

    fn hand_over(
        mut self,
        sections: Sections,
        ops: BTreeMap<String, OpSummary>,
        latency_cdf: LatencyCdf,
        checks: Vec<Verdict>,
        _fin: &FinalState,
    ) -> Measured {
        let held_records = self.held_records();
        let ratio = |kind: &str| ops.get(kind).map_or(1.0, |o| o.success_ratio);
        let measured = reports::reachability::ReadWrite { read: ratio("all_reads"), write: ratio("all_writes") };
        let reachability = self.reach.section(measured);
        let sorted = self.keys.sorted();
        let touched = sorted.iter().filter(|(_, st)| st.ops > 0);
        let operated = Operated {
            keys: touched.clone().count() as u64,
            first: touched.clone().take(FIRST_KEYS).map(|(k, _)| *k).collect(),
            most_written: touched
                .filter(|(_, st)| st.writes_in_window > 0)
                .max_by(|a, b| a.1.writes_in_window.cmp(&b.1.writes_in_window).then(b.0.cmp(&a.0)))
                .map(|(k, st)| (*k, st.writes_in_window)),
            given_key: self.cfg.diagram_key.map(|k| self.keys.get(k).is_some_and(|st| st.ops > 0)),
        };
        let touched_example_keys = checks
            .iter()
            .filter_map(|v| match &v.status {
                reports::Status::Fail { examples, .. } => Some(examples),
                _ => None,
            })
            .flatten()
            .map(|e| e.key)
            .filter(|k| self.keys.get(*k).is_some_and(|st| st.ops > 0))
            .collect();
        let (mut history, mut history_error) = (None, self.history_error.take());
        match self.history.take() {
            Some(HistorySink::Memory(mut h)) => {
                h.sort_by_key(|r| (r.invoked, r.client, r.completed));
                history = Some(h);
            }
            Some(HistorySink::File(mut w)) => {
                if let Err(e) = w.flush() {
                    history_error.get_or_insert(e.to_string());
                }
            }
            None => {}
        }
        let mut probes_error = self.probes_error.take();
        if let Some(Err(e)) = self.probes.as_mut().map(|w| w.flush()) {
            probes_error.get_or_insert(e.to_string());
        }
        Measured {
            sections,
            ops,
            latency_cdf,
            checks,
            first_stale: self.first_stale,
            operated,
            touched_example_keys,
            history,
            history_error,
            probes_error,
            held_records,
            reachability,
        }
    }
}
