//! The one-screen summary `dynsim run` prints.

use reports::RunReport;
use std::fmt::Write;
use std::path::Path;

/// Renders the summary of a report; `wall_s` is shown but never stored in the report.
pub fn render(r: &RunReport, wall_s: f64, dir: &Path, formats: &reports::charts::Formats) -> String {
    let mut s = String::new();
    let name = if r.scenario_name.is_empty() { "(unnamed)" } else { r.scenario_name.as_str() };
    let _ = writeln!(s, "dynsim {}  scenario {name}  seed {}", r.dynsim_version, r.seed);
    let speed = if wall_s > 0.0 { r.sim_end_s / wall_s } else { 0.0 };
    let _ = writeln!(
        s,
        "simulated {:.1} s, {} events in {:.2} s wall ({}, {:.0}x real time)",
        r.sim_end_s,
        r.events,
        wall_s,
        events_per_second(r.events as f64 / wall_s.max(1e-9)),
        speed
    );
    let _ = writeln!(s, "trace hash {}", r.trace_hash);
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "op", "done", "ok %", "in SLA %", "p50 ms", "p99 ms", "p99.9 ms", "max ms"
    );
    for (kind, o) in &r.ops {
        let _ = writeln!(
            s,
            "{:<12} {:>9} {:>9.3} {:>9.3} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            kind,
            o.completed,
            100.0 * o.success_ratio,
            100.0 * o.within_sla,
            o.latency_ms.p50,
            o.latency_ms.p99,
            o.latency_ms.p999,
            o.latency_ms.max
        );
    }
    let _ = writeln!(s);
    for (k, v) in &r.workload {
        let _ = writeln!(s, "{k}: {v}");
    }
    headline(&mut s, r);
    phases(&mut s, &r.phases);
    checks(&mut s, &r.checks);
    let down: Vec<String> = r.nodes.iter().filter(|n| !n.up).map(|n| n.node.to_string()).collect();
    if !down.is_empty() {
        let _ = writeln!(s, "nodes down at the end: {}", down.join(", "));
    }
    if let Some(d) = &r.diagram {
        let _ = writeln!(
            s,
            "message diagram: key {}, {:.6} s to {:.6} s, {} messages ({})",
            d.key, d.from_s, d.until_s, d.messages, d.chosen_by
        );
    }
    let _ = writeln!(s, "report: {}", dir.join("report.json").display());
    let _ = writeln!(
        s,
        "page: {} (charts as {} in {})",
        dir.join("report.html").display(),
        formats.describe(),
        dir.join("charts").display()
    );
    let _ = writeln!(s, "replay: {}", r.replay);
    s
}

/// A processing rate with a unit that keeps its digits: "1.4 M events/s", "35 k events/s",
/// "870 events/s".
pub fn events_per_second(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.1} M events/s", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.0} k events/s", rate / 1e3)
    } else {
        format!("{rate:.0} events/s")
    }
}

/// The stale-read headline line ([`reports::metrics::STALE_HEADLINE`]), with the reads it
/// leaves out.
pub fn stale_headline(all: &reports::metrics::StaleStats) -> String {
    let ratio = all.stale_ratio_with_prior_write.map_or("–".to_string(), |x| format!("{:.3}%", 100.0 * x));
    format!(
        "{}: {ratio}, {} of {}; not counted: {} reads of keys with no acknowledged write yet",
        reports::metrics::STALE_HEADLINE,
        all.stale,
        all.with_prior_write,
        all.without_prior_write
    )
}

/// The headline figures per phase of the fault timeline, one line each (none for a run
/// without faults: the table above is its only phase).
pub fn phases(s: &mut String, p: &reports::metrics::PhasesSection) {
    if p.phases.len() < 2 {
        return;
    }
    let width = p.phases.iter().map(|x| x.label.chars().count()).max().unwrap_or(0).max(5);
    let pct = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{:.2}", 100.0 * x));
    let ms = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:.1}"));
    let _ = writeln!(s, "by phase of the fault timeline (an operation counts in the phase it completed in):");
    let head = ["s", "reads", "ok %", "p99 ms", "writes", "ok %", "p99 ms", "stale %"];
    let _ = write!(s, "  {:<width$}", "phase");
    head.iter().for_each(|h| {
        let _ = write!(s, " {h:>8}");
    });
    let _ = writeln!(s);
    for ph in &p.phases {
        let cells = [
            format!("{}–{}", ph.from_s, ph.until_s),
            ph.reads.completed.to_string(),
            pct(ph.reads.success_ratio),
            ms(ph.reads.p99_ms),
            ph.writes.completed.to_string(),
            pct(ph.writes.success_ratio),
            ms(ph.writes.p99_ms),
            pct(ph.stale.stale_ratio_with_prior_write),
        ];
        let _ = write!(s, "  {:<width$}", ph.label);
        cells.iter().for_each(|c| {
            let _ = write!(s, " {c:>8}");
        });
        let _ = writeln!(s);
    }
}

/// The checks: how many passed, failed and did not apply, then one line per check that failed
/// or did not apply, with its count or reason.
pub fn checks(s: &mut String, verdicts: &[reports::Verdict]) {
    let count = |f: fn(&reports::Status) -> bool| verdicts.iter().filter(|v| f(&v.status)).count();
    let _ = writeln!(
        s,
        "checks: {} passed, {} failed, {} not applicable",
        count(|st| matches!(st, reports::Status::Pass)),
        count(|st| matches!(st, reports::Status::Fail { .. })),
        count(|st| matches!(st, reports::Status::NotApplicable { .. }))
    );
    for v in verdicts {
        match &v.status {
            reports::Status::Fail { violations, .. } => {
                let _ = writeln!(s, "  failed: {} ({violations} violations)", v.invariant);
            }
            reports::Status::NotApplicable { reason } => {
                let _ = writeln!(s, "  not applicable: {}: {reason}", v.invariant);
            }
            reports::Status::Pass => {}
        }
    }
}

/// The headline measurements: stale reads, lost writes, convergence, load balance.
fn headline(s: &mut String, r: &RunReport) {
    if let Some(all) = r.staleness.by_kind.get("all") {
        let _ = writeln!(s, "{}", stale_headline(all));
    }
    if let Some(g) = &r.visibility.grid {
        for (name, c) in [("probes", &g.probes), ("reads", &g.reads)].into_iter().filter(|(_, c)| !c.points.is_empty())
        {
            let ms = |x: Option<f64>| x.map_or("never".to_string(), |t| format!("{t} ms"));
            let each: Vec<String> = c
                .first_t
                .iter()
                .map(|t| format!("p≥{}: {} [{}, {}]", t.target, ms(t.t_ms), ms(t.t_ms_low), ms(t.t_ms_high)))
                .collect();
            let _ = writeln!(s, "t-visibility ({name}), first t staying above: {}", each.join("; "));
        }
    }
    reachability(s, &r.reachability);
    let d = &r.durability;
    if d.versioning == "lww" {
        let _ = writeln!(
            s,
            "acknowledged writes overwritten by LWW: {} of {} (a concurrent write with a higher \
             timestamp replaced them; LWW keeps one of concurrent writes by design)",
            d.lww_overwritten, d.acked_writes
        );
    } else {
        let excuse = if d.data_destroying_faults.is_empty() || d.lost_acked_writes == 0 {
            String::new()
        } else {
            format!(" (excused by {})", d.data_destroying_faults.join(", "))
        };
        let _ = writeln!(s, "acknowledged writes lost: {} of {}{excuse}", d.lost_acked_writes, d.acked_writes);
    }
    let c = &r.convergence;
    let converged = match (c.convergence_s, c.converged_at_s) {
        (Some(t), _) => format!("{t:.2} s after the last heal"),
        (None, Some(at)) => format!("replicas agree from {at:.2} s"),
        (None, None) if c.sampled => {
            let why = r.checks.iter().find(|v| v.invariant == "replicas_converge").and_then(|v| match &v.status {
                reports::Status::NotApplicable { reason } => Some(format!("; not promised: {reason}")),
                _ => None,
            });
            format!(
                "not converged: {} of {} keys (every key read, written or stored) disagree at the end{}",
                c.divergent_keys_at_end,
                c.keys_at_end,
                why.unwrap_or_default()
            )
        }
        (None, None) => format!("{} of {} keys disagree at the end", c.divergent_keys_at_end, c.keys_at_end),
    };
    let _ = writeln!(s, "convergence: {converged}");
    if let Some(e) = r.load.requests.efficiency {
        let off = r.load.requests.out_of_balance_nodes.len();
        let _ = writeln!(
            s,
            "load balance: efficiency {e:.3}, {off} of {} nodes more than 15% off the mean",
            r.load.nodes.len()
        );
    }
}

/// The reachability oracle's line: what an ideal strict quorum could have served beside what
/// the run served.
fn reachability(s: &mut String, q: &reports::reachability::ReachabilitySection) {
    if !q.computed {
        return;
    }
    let pct = |x: f64| format!("{:.2}%", 100.0 * x);
    let _ = writeln!(
        s,
        "strict quorum reachable (ideal, R={} W={} of N={}): reads {}, writes {} of (client, key) pairs; \
         measured availability: reads {}, writes {}",
        q.r,
        q.w,
        q.n,
        pct(q.strict.read),
        pct(q.strict.write),
        pct(q.measured.read),
        pct(q.measured.write)
    );
}

#[cfg(test)]
mod tests {
    use super::events_per_second;
    use reports::{Verdict, Violation};

    #[test]
    fn the_summary_has_one_line_per_phase_and_the_stale_headline_with_its_denominator() {
        use reports::metrics::{Phase, PhaseOps, PhaseStale, PhasesSection, StaleStats};
        let ops = |completed, ok, p99| PhaseOps {
            completed,
            ok,
            success_ratio: Some(ok as f64 / completed as f64),
            p99_ms: Some(p99),
            ..Default::default()
        };
        let phase = |label: &str, from_s, until_s, stale| Phase {
            label: label.into(),
            from_s,
            until_s,
            reads: ops(200, 199, 10.25),
            writes: ops(100, 100, 12.0),
            stale: PhaseStale { stale_ratio_with_prior_write: stale, ..Default::default() },
            divergent_fraction_mean: None,
        };
        let p = PhasesSection {
            phases: vec![
                phase("before faults", 0.0, 15.0, Some(0.0)),
                phase("during partition split", 15.0, 30.5, None),
            ],
        };
        let mut s = String::new();
        super::phases(&mut s, &p);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 4, "{s}");
        assert!(lines[2].starts_with("  before faults          ") && lines[2].ends_with("12.0     0.00"), "{s}");
        assert!(lines[3].contains("15–30.5") && lines[3].contains("99.50") && lines[3].ends_with(" –"), "{s}");
        let mut one = String::new();
        super::phases(&mut one, &PhasesSection { phases: p.phases[..1].to_vec() });
        assert_eq!(one, "", "a run without faults has no phase table");
        let all = StaleStats {
            reads: 30,
            with_prior_write: 20,
            without_prior_write: 10,
            stale: 5,
            stale_ratio_with_prior_write: Some(0.25),
            ..Default::default()
        };
        assert_eq!(
            super::stale_headline(&all),
            format!(
                "{}: 25.000%, 5 of 20; not counted: 10 reads of keys with no acknowledged write yet",
                reports::metrics::STALE_HEADLINE
            )
        );
    }

    #[test]
    fn a_slow_run_is_not_zero_million_events_per_second() {
        assert_eq!(events_per_second(1_430_000.0), "1.4 M events/s");
        assert_eq!(events_per_second(35_200.0), "35 k events/s");
        assert_eq!(events_per_second(870.4), "870 events/s");
    }

    #[test]
    fn the_checks_block_counts_each_status_and_names_every_check_that_failed_or_did_not_apply() {
        let bad = Violation { key: 1, ops: vec![], at_s: 1.0, detail: String::new() };
        let verdicts = vec![
            Verdict { invariant: "a".into(), status: reports::Status::Pass },
            Verdict::not_applicable("b", "no faults promised"),
            Verdict::from_violations("c", vec![bad.clone(), bad]),
        ];
        let mut s = String::new();
        super::checks(&mut s, &verdicts);
        let want = "checks: 1 passed, 1 failed, 1 not applicable\n  not applicable: b: no faults promised\n  failed: c (2 violations)\n";
        assert_eq!(s, want);
    }
}
