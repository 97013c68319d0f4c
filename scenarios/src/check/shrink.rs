//! Shrinking a failing scenario by delta debugging: remove timeline faults (ddmin), chaos
//! generators, probes and workloads, halve client counts, rates and the duration — keeping each
//! reduction only if the same seed still breaks the same invariant. The result is the smallest
//! scenario found, written as a file the user can run.

use super::campaign::check_seed;
use crate::checked::{Budget, CheckedScenario, check};
use crate::spec::Scenario;
use crate::workload::arrival::ArrivalSpec;

/// Whether `s` with `seed` still breaks `invariant` (candidates that fail the scenario check
/// under `budget`, the original's, do not).
fn still_fails(s: &Scenario, budget: &Budget, seed: u64, invariant: &str) -> bool {
    check(s.clone(), budget)
        .is_ok_and(|c| check_seed(&c, seed).is_ok_and(|r| r.failures().any(|v| v.invariant == invariant)))
}

/// Shrinks `s` while `seed` keeps breaking `invariant`; returns the smallest failing scenario
/// and how many runs it took.
pub fn shrink(s: &CheckedScenario, seed: u64, invariant: &str) -> (Scenario, usize) {
    let mut best = s.scenario().clone();
    let mut runs = 0usize;
    let mut test = |c: &Scenario| {
        runs += 1;
        still_fails(c, s.budget(), seed, invariant)
    };
    best = ddmin_faults(best, &mut test);
    // Take the first reduction that still fails, then recompute the candidates from it, until
    // none applies.
    while let Some(smaller) = reductions(&best).into_iter().find(|c| test(c)) {
        best = ddmin_faults(smaller, &mut test);
    }
    (best, runs)
}

/// Delta debugging over the fault timeline: tries removing chunks, then single entries.
fn ddmin_faults(mut s: Scenario, test: &mut impl FnMut(&Scenario) -> bool) -> Scenario {
    let mut chunks = 2usize;
    while !s.faults.is_empty() {
        let n = s.faults.len();
        let size = n.div_ceil(chunks);
        let mut reduced = false;
        for start in (0..n).step_by(size.max(1)) {
            let mut c = s.clone();
            c.faults.drain(start..(start + size).min(n));
            if test(&c) {
                s = c;
                chunks = (chunks - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if size <= 1 {
                break;
            }
            chunks = (chunks * 2).min(n);
        }
    }
    s
}

/// One-step simplifications of a scenario, most aggressive first.
fn reductions(s: &Scenario) -> Vec<Scenario> {
    let mut out = Vec::new();
    let mut push = |f: &dyn Fn(&mut Scenario)| {
        let mut c = s.clone();
        f(&mut c);
        out.push(c);
    };
    if s.chaos.crashes.is_some() || s.chaos.pauses.is_some() || s.chaos.partitions.is_some() {
        push(&|c| c.chaos = Default::default());
    }
    if s.probes.is_some() {
        push(&|c| c.probes = None);
    }
    for i in 0..s.workloads.len() {
        if s.workloads.len() > 1 {
            push(&|c| {
                c.workloads.remove(i);
            });
        }
        if s.workloads[i].clients > 1 {
            push(&|c| c.workloads[i].clients = c.workloads[i].clients.div_ceil(2));
        }
        push(&|c| halve_rate(&mut c.workloads[i].arrival));
    }
    if s.duration_s > 1.0 {
        push(&|c| {
            c.duration_s /= 2.0;
            for w in &mut c.workloads {
                w.stop_s = w.stop_s.map(|t| t.min(c.duration_s));
            }
        });
    }
    out
}

fn halve_rate(a: &mut ArrivalSpec) {
    match a {
        ArrivalSpec::Poisson { rate_per_s } | ArrivalSpec::Constant { rate_per_s } => *rate_per_s /= 2.0,
        ArrivalSpec::OnOff { rate_per_s, .. } => *rate_per_s /= 2.0,
        ArrivalSpec::Diurnal { mean_rate_per_s, .. } => *mean_rate_per_s /= 2.0,
    }
}
