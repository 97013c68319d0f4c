//! Comparing a run's streamed measurement with the oracle's, figure by figure.
//!
//! Equal except where the definition changed (README "What a report shows", CHANGELOG):
//! - k-staleness is counted among the `RECENT` (64) writes acknowledged last before the read
//!   began: the oracle counts it the same way before comparing;
//! - lost-write examples are drawn from each key's last `RECENT` acknowledged writes: the
//!   streamed examples must be lost writes the oracle lists (when its list is complete);
//! - a violation that names a write still in flight, or a lost write, describes it from what
//!   is kept (no context, or no completion time), and examples are ordered by a total order:
//!   verdicts are compared by status, count, reason and the (key, time) of each example;
//! - the protocol invariants (`measure::protocol`: acknowledged writes held, quorum
//!   intersection, handoff, read repair) are judged from what coordinators and replicas tell as
//!   it happens, which no history or end-of-run scan holds: the oracle has no counterpart, and
//!   the verdicts compared are the oracle's, in [`crate::check::Invariant::ALL`] order.

use super::sections;
use crate::measure::writes::RECENT;
use crate::run::RunOutcome;
use crate::spec::Scenario;
use reports::{Status, Verdict as CheckVerdict};
use std::collections::BTreeSet;

/// Compares the streamed measurement of `out` (run with the oracle and an in-memory history)
/// with the oracle's; the error says what differs.
pub fn compare(s: &Scenario, out: &RunOutcome) -> Result<(), String> {
    let m = out.measured();
    let history = m.history.as_ref().ok_or("the run kept no history (RunOptions::history)")?;
    let samples = out.oracle_samples.as_ref().ok_or("the run had no oracle sampler (RunOptions::oracle)")?;
    let asm = &out.assembly;
    let mut o = sections::compute_capped(s, asm, history, Some(samples), RECENT as u32);
    let n = &m.sections;
    same("windows", &o.windows, &n.windows)?;
    same("phases", &o.phases, &n.phases)?;
    same("divergence", &o.divergence, &n.divergence)?;
    same("staleness", &o.staleness, &n.staleness)?;
    same("visibility", &o.visibility, &n.visibility)?;
    same("convergence", &o.convergence, &n.convergence)?;
    same("cost", &o.cost, &n.cost)?;
    same("load", &o.load, &n.load)?;
    same("activity", &o.activity, &n.activity)?;
    let (oe, ne) = (std::mem::take(&mut o.durability.lost_examples), &n.durability.lost_examples);
    let mut nd = n.durability.clone();
    nd.lost_examples.clear();
    same("durability", &o.durability, &nd)?;
    if o.durability.lost_acked_writes + o.durability.lww_overwritten <= oe.len() as u64
        && !ne.iter().all(|e| oe.contains(e))
    {
        return Err(format!("durability.lost_examples: {ne:?} are not all among the oracle's {oe:?}"));
    }
    same("ops", &sections::op_summaries(history, s.outputs.metrics.sla_ms), &m.ops)?;
    same("latency_cdf", &sections::latency_cdf(history), &m.latency_cdf)?;
    let oracle_checks = super::invariants::check_all(s, asm, history);
    debug_assert!(oracle_checks.iter().zip(&m.checks).all(|(a, b)| a.invariant == b.invariant));
    for (a, b) in oracle_checks.iter().zip(&m.checks) {
        same(&format!("checks.{}", a.invariant), &verdict_shape(a), &verdict_shape(b))?;
    }
    Ok(())
}

/// A verdict as compared: status, violation count, reason, and the examples' (key, time).
fn verdict_shape(v: &CheckVerdict) -> (String, u64, String, BTreeSet<(u64, String)>) {
    match &v.status {
        Status::Pass => ("pass".into(), 0, String::new(), BTreeSet::new()),
        Status::Fail { violations, examples } => {
            let ex = examples.iter().map(|e| (e.key, format!("{:.9}", e.at_s))).collect();
            ("fail".into(), *violations, String::new(), ex)
        }
        Status::NotApplicable { reason } => ("not_applicable".into(), 0, reason.clone(), BTreeSet::new()),
    }
}

fn same<T: PartialEq + std::fmt::Debug>(what: &str, oracle: &T, streamed: &T) -> Result<(), String> {
    if oracle == streamed {
        return Ok(());
    }
    let (o, n) = (format!("{oracle:?}"), format!("{streamed:?}"));
    let at = o.bytes().zip(n.bytes()).position(|(a, b)| a != b).unwrap_or(0);
    let from = at.saturating_sub(200);
    Err(format!(
        "{what} differs from the oracle at byte {at}:\n  oracle:   …{}\n  streamed: …{}",
        &o[from..(at + 200).min(o.len())],
        &n[from..(at + 200).min(n.len())]
    ))
}
