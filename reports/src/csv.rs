//! Tidy CSV exports of a run report: `metrics.csv` (one row per scalar metric),
//! `timeseries.csv` (one row per time window per metric) and, when the scenario chose a
//! t-visibility grid, `visibility.csv` (one row per grid point with reads per curve per metric).
//!
//! Every row starts with the run's parameters ([`PARAM_HEADER`]: scenario name, seed, N, R, W),
//! so the files of many runs concatenate into one table. The `value` column is numeric in
//! every row (a `null` figure is empty); the few metrics that are words (the trace hash, the
//! versioning mode, a check's status) are in `metrics.csv`'s own `text` column with an empty
//! `value`. Written by hand (no csv crate): fields are quoted only when they hold a comma, a
//! quote or a line break. Floats use Rust's shortest round-trip formatting, so the bytes are a
//! function of the report alone.

use crate::run_report::RunReport;
use std::fmt::Write;

/// The parameter columns every row of every CSV starts with: the scenario's name, the seed,
/// and N, R, W (`dynamo.n`, `.r`, `.w` of the effective scenario).
pub const PARAM_HEADER: &str = "scenario,seed,n,r,w";
/// Header of `metrics.csv`.
pub const METRICS_HEADER: &str = "scenario,seed,n,r,w,section,op,metric,value,text";
/// Header of `timeseries.csv`.
pub const TIMESERIES_HEADER: &str = "scenario,seed,n,r,w,t_s,op,metric,value";
/// Header of `visibility.csv`.
pub const VISIBILITY_HEADER: &str = "scenario,seed,n,r,w,t_ms,curve,metric,value";

/// Formats a float stably: shortest round-trip digits, `-0` as `0`, non-finite as empty.
pub fn fmt_f64(x: f64) -> String {
    if !x.is_finite() {
        String::new()
    } else if x == 0.0 {
        "0".to_string()
    } else {
        format!("{x}")
    }
}

/// Quotes a field if it needs it (comma, quote, CR or LF), doubling inner quotes.
pub fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// A value of one CSV row.
enum Val {
    U(u64),
    F(f64),
    Null,
    S(String),
}

impl Val {
    /// The `value` column: the number, or empty for `null` and for words.
    fn number(&self) -> String {
        match self {
            Val::U(u) => u.to_string(),
            Val::F(f) => fmt_f64(*f),
            Val::Null | Val::S(_) => String::new(),
        }
    }

    /// The `text` column: the word, or empty for numbers.
    fn text(&self) -> &str {
        match self {
            Val::S(s) => s,
            _ => "",
        }
    }
}

fn opt(x: Option<f64>) -> Val {
    x.map_or(Val::Null, Val::F)
}

fn optu(x: Option<u64>) -> Val {
    x.map_or(Val::Null, Val::U)
}

/// Rows collected before rendering, each starting with the run's parameters.
struct Rows {
    out: String,
    params: String,
    /// Whether the file has a `text` column (`metrics.csv`); the others hold numbers only.
    text: bool,
}

impl Rows {
    fn new(header: &str, r: &RunReport, text: bool) -> Rows {
        debug_assert!(header.starts_with(PARAM_HEADER) && header.ends_with(if text { ",text" } else { ",value" }));
        Rows { out: format!("{header}\n"), params: params(r), text }
    }

    fn push(&mut self, a: &str, b: &str, metric: &str, v: Val) {
        debug_assert!(self.text || !matches!(v, Val::S(_)), "{metric}: a word in a numbers-only file");
        let (params, a, b, metric, value) = (&self.params, quote(a), quote(b), quote(metric), v.number());
        let _ = write!(self.out, "{params},{a},{b},{metric},{value}");
        if self.text {
            let _ = write!(self.out, ",{}", quote(v.text()));
        }
        self.out.push('\n');
    }
}

/// The parameter fields of [`PARAM_HEADER`] for `r` (N, R, W empty when the report carries no
/// scenario).
fn params(r: &RunReport) -> String {
    let nrw = |k: &str| r.scenario.pointer(&format!("/dynamo/{k}")).and_then(|v| v.as_u64()).map(|v| v.to_string());
    let [n, rr, w] = ["n", "r", "w"].map(|k| nrw(k).unwrap_or_default());
    format!("{},{},{n},{rr},{w}", quote(&r.scenario_name), r.seed)
}

/// `metrics.csv`: the parameters, then `section,op,metric,value,text`, one row per scalar
/// metric of the report. `op` names what the metric is about within its section: an operation
/// kind, a message kind, a node (`n3`), a curve, a phase (`p2 during partition split`), or
/// empty for section-wide figures.
pub fn metrics_csv(r: &RunReport) -> String {
    let mut w = Rows::new(METRICS_HEADER, r, true);
    w.push("run", "", "seed", Val::U(r.seed));
    w.push("run", "", "trace_hash", Val::S(r.trace_hash.clone()));
    w.push("run", "", "sim_end_s", Val::F(r.sim_end_s));
    w.push("run", "", "events", Val::U(r.events));
    w.push("run", "", "sla_ms", Val::F(r.sla_ms));
    for (kind, o) in &r.ops {
        let l = &o.latency_ms;
        for (m, v) in [
            ("completed", Val::U(o.completed)),
            ("ok", Val::U(o.ok)),
            ("failed", Val::U(o.failed)),
            ("success_ratio", Val::F(o.success_ratio)),
            ("within_sla", Val::F(o.within_sla)),
            ("latency_mean_ms", Val::F(l.mean)),
            ("latency_p50_ms", Val::F(l.p50)),
            ("latency_p90_ms", Val::F(l.p90)),
            ("latency_p99_ms", Val::F(l.p99)),
            ("latency_p999_ms", Val::F(l.p999)),
            ("latency_max_ms", Val::F(l.max)),
        ] {
            w.push("ops", kind, m, v);
        }
    }
    for (k, v) in &r.workload {
        w.push("workload", "", k, Val::U(*v));
    }
    for (kind, fields) in &r.network {
        for (k, v) in fields {
            w.push("network", kind, k, Val::U(*v));
        }
    }
    for c in &r.counters {
        w.push("counters", &c.name, "nodes", Val::U(c.nodes));
        w.push("counters", &c.name, "clients", Val::U(c.clients));
    }
    for n in &r.nodes {
        let node = format!("n{}", n.node);
        w.push("nodes", &node, "up", Val::U(u64::from(n.up)));
        for (k, v) in &n.counters {
            w.push("nodes", &node, k, Val::U(*v));
        }
    }
    let d = &r.divergence;
    for (kind, shapes) in &d.reads {
        for (name, b) in [("versions", &shapes.versions), ("siblings", &shapes.siblings)] {
            w.push("divergence", kind, &format!("{name}_total"), Val::U(b.total));
            for (bucket, share) in &b.shares {
                w.push("divergence", kind, &format!("{name}_share_{bucket}"), Val::F(*share));
            }
            w.push("divergence", kind, &format!("{name}_mean"), opt(b.mean));
        }
    }
    w.push("divergence", "", "max_divergent_fraction", opt(d.max_divergent_fraction));
    w.push("divergence", "", "mean_divergent_fraction", opt(d.mean_divergent_fraction));
    phases(&mut w, r);
    for (kind, s) in &r.staleness.by_kind {
        w.push("staleness", kind, "reads", Val::U(s.reads));
        w.push("staleness", kind, "with_prior_write", Val::U(s.with_prior_write));
        w.push("staleness", kind, "without_prior_write", Val::U(s.without_prior_write));
        w.push("staleness", kind, "stale", Val::U(s.stale));
        w.push("staleness", kind, "stale_ratio_with_prior_write", opt(s.stale_ratio_with_prior_write));
        w.push("staleness", kind, "stale_ratio", opt(s.stale_ratio));
        w.push("staleness", kind, "fresh_via_newer_write", Val::U(s.fresh_via_newer_write));
        w.push("staleness", kind, "k_mean", opt(s.k.mean));
        w.push("staleness", kind, "k_max", Val::U(s.k.max));
        for (k, p) in (1..).zip(&s.p_within_k) {
            w.push("staleness", kind, &format!("p_within_k{k}"), Val::F(*p));
        }
    }
    for (curve, c) in [("probes", &r.visibility.probes), ("reads", &r.visibility.reads)] {
        w.push("visibility", curve, "reads", Val::U(c.reads));
        w.push("visibility", curve, "consistent", Val::U(c.consistent));
        w.push("visibility", curve, "p_consistent", opt(c.p_consistent));
    }
    if let Some(g) = &r.visibility.grid {
        for (curve, c) in [("probes", &g.probes), ("reads", &g.reads)] {
            w.push("visibility", curve, "grid_before", Val::U(c.before));
            w.push("visibility", curve, "grid_after", Val::U(c.after));
            for t in &c.first_t {
                let target = fmt_f64(t.target);
                w.push("visibility", curve, &format!("first_t_ms_p{target}"), opt(t.t_ms));
                w.push("visibility", curve, &format!("first_t_ms_low_p{target}"), opt(t.t_ms_low));
                w.push("visibility", curve, &format!("first_t_ms_high_p{target}"), opt(t.t_ms_high));
            }
        }
    }
    if let Some(wars) = &r.wars {
        wars_rows(&mut w, wars);
    }
    let du = &r.durability;
    w.push("durability", "", "versioning", Val::S(du.versioning.clone()));
    w.push("durability", "", "acked_writes", Val::U(du.acked_writes));
    w.push("durability", "", "lost_acked_writes", Val::U(du.lost_acked_writes));
    w.push("durability", "", "lww_overwritten", Val::U(du.lww_overwritten));
    w.push("durability", "", "lost_acked_writes_unexcused", Val::U(du.lost_acked_writes_unexcused));
    w.push("durability", "", "failed_writes", Val::U(du.failed_writes));
    w.push("durability", "", "failed_writes_surviving", Val::U(du.failed_writes_surviving));
    let c = &r.convergence;
    w.push("convergence", "", "last_heal_s", opt(c.last_heal_s));
    w.push("convergence", "", "workload_end_s", Val::F(c.workload_end_s));
    w.push("convergence", "", "converged_at_s", opt(c.converged_at_s));
    w.push("convergence", "", "convergence_s", opt(c.convergence_s));
    w.push("convergence", "", "after_workload_end_s", opt(c.after_workload_end_s));
    w.push("convergence", "", "divergent_keys_at_end", Val::U(c.divergent_keys_at_end));
    w.push("convergence", "", "keys_at_end", Val::U(c.keys_at_end));
    let co = &r.cost;
    w.push("cost", "", "client_ops", Val::U(co.client_ops));
    w.push("cost", "", "messages", Val::U(co.messages));
    w.push("cost", "", "bytes", Val::U(co.bytes));
    w.push("cost", "", "messages_per_op", opt(co.messages_per_op));
    w.push("cost", "", "bytes_per_op", opt(co.bytes_per_op));
    for (kind, k) in &co.by_kind {
        w.push("cost", kind, "messages", Val::U(k.messages));
        w.push("cost", kind, "bytes", Val::U(k.bytes));
        w.push("cost", kind, "messages_per_op", opt(k.messages_per_op));
        w.push("cost", kind, "bytes_per_op", opt(k.bytes_per_op));
    }
    w.push("cost", "", "hinted_writes", Val::U(co.hinted_writes));
    w.push("cost", "", "hints_stored", Val::U(co.hints_stored));
    w.push("cost", "", "hinted_handoffs", Val::U(co.hinted_handoffs));
    w.push("cost", "", "read_repairs", Val::U(co.read_repairs));
    w.push("cost", "", "anti_entropy_keys_repaired", optu(co.anti_entropy_keys_repaired));
    let lo = &r.load;
    for n in &lo.nodes {
        let node = format!("n{}", n.node);
        w.push("load", &node, "requests", Val::U(n.requests));
        w.push("load", &node, "replica_reads", Val::U(n.replica_reads));
        w.push("load", &node, "replica_writes", Val::U(n.replica_writes));
        w.push("load", &node, "coordinated", Val::U(n.coordinated));
        w.push("load", &node, "keys", Val::U(n.keys));
    }
    for (name, b) in [("requests", &lo.requests), ("keys", &lo.keys)] {
        w.push("load", "", &format!("{name}_mean"), Val::F(b.mean));
        w.push("load", "", &format!("{name}_max"), Val::U(b.max));
        w.push("load", "", &format!("{name}_min"), Val::U(b.min));
        w.push("load", "", &format!("{name}_efficiency"), opt(b.efficiency));
        w.push("load", "", &format!("{name}_out_of_balance_share"), opt(b.out_of_balance_share));
    }
    for v in &r.checks {
        let (status, n) = match &v.status {
            crate::Status::Pass => ("pass", 0),
            crate::Status::Fail { violations, .. } => ("fail", *violations),
            crate::Status::NotApplicable { .. } => ("not_applicable", 0),
        };
        w.push("checks", &v.invariant, "status", Val::S(status.to_string()));
        w.push("checks", &v.invariant, "violations", Val::U(n));
    }
    w.out
}

/// The phases of the fault timeline: `op` is `p<i> <label>` (labels can repeat), one row per
/// figure.
fn phases(w: &mut Rows, r: &RunReport) {
    for (i, p) in r.phases.phases.iter().enumerate() {
        let op = format!("p{i} {}", p.label);
        w.push("phases", &op, "from_s", Val::F(p.from_s));
        w.push("phases", &op, "until_s", Val::F(p.until_s));
        for (side, o) in [("reads", &p.reads), ("writes", &p.writes)] {
            w.push("phases", &op, &format!("{side}_completed"), Val::U(o.completed));
            w.push("phases", &op, &format!("{side}_ok"), Val::U(o.ok));
            w.push("phases", &op, &format!("{side}_success_ratio"), opt(o.success_ratio));
            w.push("phases", &op, &format!("{side}_within_sla"), opt(o.within_sla));
            w.push("phases", &op, &format!("{side}_p50_ms"), opt(o.p50_ms));
            w.push("phases", &op, &format!("{side}_p99_ms"), opt(o.p99_ms));
            w.push("phases", &op, &format!("{side}_p999_ms"), opt(o.p999_ms));
        }
        let s = &p.stale;
        w.push("phases", &op, "reads_with_prior_write", Val::U(s.with_prior_write));
        w.push("phases", &op, "reads_without_prior_write", Val::U(s.without_prior_write));
        w.push("phases", &op, "stale_reads", Val::U(s.stale));
        w.push("phases", &op, "stale_ratio_with_prior_write", opt(s.stale_ratio_with_prior_write));
        w.push("phases", &op, "divergent_fraction_mean", opt(p.divergent_fraction_mean));
    }
}

/// `timeseries.csv`: the parameters, then `t_s,op,metric,value`, one row per time window per
/// metric: the `windows` (per operation kind), the divergence samples (`op` = `replicas`), the
/// load windows (`op` = `nodes`) and the repair activity windows (`op` = `repair`: hinted
/// writes, hints stored and delivered, read repairs, and with anti-entropy on its exchanges and
/// keys transferred). `t_s` is the window start or sample time.
///
/// Every window has rows for every operation kind that completed anywhere in the run: a window
/// in which a kind completed nothing has its counts as 0 and its ratios and latencies empty
/// (there is nothing to divide, and a 0 would read as an outage); a window in which some
/// completed but none succeeded has empty latencies.
pub fn timeseries_csv(r: &RunReport) -> String {
    let mut w = Rows::new(TIMESERIES_HEADER, r, false);
    let empty = crate::metrics::WindowOps::default();
    let kinds: std::collections::BTreeMap<&str, bool> = r
        .windows
        .windows
        .iter()
        .flat_map(|win| win.ops.iter().map(|(k, o)| (k.as_str(), o.stale_reads.is_some())))
        .collect();
    for win in &r.windows.windows {
        let t = fmt_f64(win.start_s);
        for (kind, stale) in &kinds {
            let o = win.ops.get(*kind).unwrap_or(&empty);
            let some = |x: f64, n: u64| if n > 0 { Val::F(x) } else { Val::Null };
            w.push(&t, kind, "completed", Val::U(o.completed));
            w.push(&t, kind, "ok", Val::U(o.ok));
            w.push(&t, kind, "success_ratio", some(o.success_ratio, o.completed));
            w.push(&t, kind, "within_sla", some(o.within_sla, o.completed));
            w.push(&t, kind, "p50_ms", some(o.p50_ms, o.ok));
            w.push(&t, kind, "p99_ms", some(o.p99_ms, o.ok));
            w.push(&t, kind, "p999_ms", some(o.p999_ms, o.ok));
            if *stale {
                w.push(&t, kind, "stale_reads", Val::U(o.stale_reads.unwrap_or(0)));
                w.push(&t, kind, "reads_with_prior_write", Val::U(o.reads_with_prior_write.unwrap_or(0)));
            }
        }
    }
    for s in &r.divergence.over_time {
        let t = fmt_f64(s.t_s);
        w.push(&t, "replicas", "keys", Val::U(s.keys));
        w.push(&t, "replicas", "divergent_keys", Val::U(s.divergent));
        w.push(&t, "replicas", "divergent_fraction", Val::F(s.fraction));
    }
    for l in &r.load.over_time {
        let t = fmt_f64(l.start_s);
        w.push(&t, "nodes", "requests", Val::U(l.requests));
        w.push(&t, "nodes", "load_efficiency", opt(l.efficiency));
        w.push(&t, "nodes", "out_of_balance_share", opt(l.out_of_balance_share));
    }
    for a in &r.activity.windows {
        let t = fmt_f64(a.start_s);
        w.push(&t, "repair", "hinted_writes", Val::U(a.hinted_writes));
        w.push(&t, "repair", "hints_stored", Val::U(a.hints_stored));
        w.push(&t, "repair", "hints_delivered", Val::U(a.hints_delivered));
        w.push(&t, "repair", "read_repairs", Val::U(a.read_repairs));
        if let (Some(x), Some(k)) = (a.ae_exchanges, a.ae_keys_transferred) {
            w.push(&t, "repair", "ae_exchanges", Val::U(x));
            w.push(&t, "repair", "ae_keys_transferred", Val::U(k));
        }
        if let Some(k) = a.transfer_keys {
            w.push(&t, "repair", "transfer_keys", Val::U(k));
        }
    }
    w.out
}

/// The `wars` rows of `metrics.csv`: whether every assumption holds (and each one), the
/// comparison, the predicted latencies and first t's, and the closed form of a static quorum.
fn wars_rows(w: &mut Rows, x: &crate::wars::WarsSection) {
    w.push("wars", "", "applies", Val::U(u64::from(x.applies)));
    for a in &x.assumptions {
        w.push("wars", &a.name, "holds", Val::U(u64::from(a.holds)));
    }
    w.push("wars", "", "trials", Val::U(x.model.trials));
    w.push("wars", "", "predicted_p_at_0", Val::F(x.predicted.p_at_0));
    for t in &x.predicted.first_t {
        w.push("wars", "", &format!("predicted_first_t_ms_p{}", fmt_f64(t.target)), opt(t.t_ms));
    }
    let c = &x.comparison;
    w.push("wars", "", "p_rmse", opt(c.p_rmse));
    w.push("wars", "", "chi2_statistic", opt(c.chi2.as_ref().map(|t| t.statistic)));
    w.push("wars", "", "chi2_df", optu(c.chi2.as_ref().map(|t| t.df)));
    w.push("wars", "", "chi2_p_value", opt(c.chi2.as_ref().map(|t| t.p_value)));
    w.push("wars", "", "read_latency_nrmse", opt(c.read_latency_nrmse));
    w.push("wars", "", "write_latency_nrmse", opt(c.write_latency_nrmse));
    for (op, l) in [("read", &x.predicted.read_ms), ("write", &x.predicted.write_ms)] {
        for (m, v) in [("mean", l.mean), ("p50", l.p50), ("p90", l.p90), ("p99", l.p99), ("p999", l.p999)] {
            w.push("wars", op, &format!("predicted_{m}_ms"), Val::F(v));
        }
    }
    if let Some(cf) = &x.closed_form {
        w.push("wars", "", "closed_form_p_stale", Val::F(cf.p_stale));
        w.push("wars", "", "closed_form_t_visibility", Val::F(cf.t_visibility));
    }
}

/// `visibility.csv`: the parameters, then `t_ms,curve,metric,value`, one row per grid point
/// with reads, per curve (`probes`, `reads`), per metric (`reads`, `consistent`, `p`,
/// `ci_low`, `ci_high`), then, when the report has a WARS prediction, one `predicted,p` row per
/// grid point; `None` when the report has no grid.
pub fn visibility_csv(r: &RunReport) -> Option<String> {
    let g = r.visibility.grid.as_ref()?;
    let mut w = Rows::new(VISIBILITY_HEADER, r, false);
    for (curve, c) in [("probes", &g.probes), ("reads", &g.reads)] {
        for p in &c.points {
            let t = fmt_f64(p.t_ms);
            for (m, v) in [
                ("reads", Val::U(p.reads)),
                ("consistent", Val::U(p.consistent)),
                ("p", Val::F(p.p)),
                ("ci_low", Val::F(p.ci_low)),
                ("ci_high", Val::F(p.ci_high)),
            ] {
                w.push(&t, curve, m, v);
            }
        }
    }
    for p in r.wars.iter().flat_map(|x| &x.predicted.grid) {
        w.push(&fmt_f64(p.t_ms), "predicted", "p", Val::F(p.p));
    }
    Some(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;
    use serde::Deserialize;

    /// A row of `metrics.csv` as a typed reader (pandas with dtypes, serde here) reads it: a
    /// row whose `value` is not a number fails to parse.
    #[derive(Debug, Deserialize)]
    struct MetricRow {
        scenario: String,
        seed: u64,
        n: Option<u32>,
        r: Option<u32>,
        w: Option<u32>,
        section: String,
        op: String,
        metric: String,
        value: Option<f64>,
        text: String,
    }

    /// A row of `timeseries.csv` or `visibility.csv` (`t` is `t_s` or `t_ms`, `op` the kind or
    /// curve).
    #[derive(Debug, Deserialize)]
    struct SeriesRow {
        scenario: String,
        seed: u64,
        n: Option<u32>,
        r: Option<u32>,
        w: Option<u32>,
        t: f64,
        op: String,
        metric: String,
        value: Option<f64>,
    }

    /// Reads `csv` with a typed reader, checking the header names first.
    fn typed<T: for<'de> Deserialize<'de>>(csv: &str, header: &str) -> Vec<T> {
        let mut rd = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
        let names: Vec<String> = rd.headers().expect("a header").iter().map(str::to_string).collect();
        assert_eq!(names.join(","), header);
        let mut rd = csv::ReaderBuilder::new().has_headers(false).from_reader(csv.as_bytes());
        rd.deserialize().skip(1).map(|row| row.unwrap_or_else(|e| panic!("{e}: {csv}"))).collect()
    }

    fn rows_of(csv: &str) -> Vec<MetricRow> {
        typed(csv, METRICS_HEADER)
    }

    fn find<'a>(rows: &'a [MetricRow], section: &str, op: &str, metric: &str) -> &'a MetricRow {
        rows.iter()
            .find(|r| r.section == section && r.op == op && r.metric == metric)
            .unwrap_or_else(|| panic!("no row {section},{op},{metric}"))
    }

    #[test]
    fn a_wars_section_adds_its_rows_and_the_predicted_curve() {
        let mut r = testdata::sample();
        assert!(!metrics_csv(&r).contains("\nwars,"), "no section, no rows");
        r.visibility.grid = Some(testdata::visibility_grid());
        r.wars = Some(testdata::wars());
        let rows = rows_of(&metrics_csv(&r));
        for (op, metric, value) in
            [("", "applies", 0.0), ("no_read_repair", "holds", 0.0), ("", "chi2_df", 2.0), ("", "chi2_p_value", 0.17)]
        {
            assert_eq!(find(&rows, "wars", op, metric).value, Some(value), "wars,{op},{metric}");
        }
        let v = visibility_csv(&r).unwrap();
        let last: Vec<&str> = v.lines().rev().take(2).collect();
        assert!(last[1].ends_with(",0,predicted,p,0.5") && last[0].ends_with(",5,predicted,p,0.9"), "{v}");
    }

    #[test]
    fn metrics_csv_has_the_header_and_one_row_per_metric() {
        let csv = metrics_csv(&testdata::sample());
        let rows = rows_of(&csv);
        // run 5, ops 2×11, workload 1, network 2, counters 1×2, nodes 3×2, phases 4×21,
        // divergence 2×14+2, staleness 2×9 + 16 (P(within k) of get), visibility 6,
        // durability 7, convergence 7, cost 10, load 3×5+10, checks 3×2.
        let want = 5 + 22 + 1 + 2 + 2 + 6 + 84 + 30 + 34 + 6 + 7 + 7 + 10 + 25 + 6;
        assert_eq!(rows.len(), want, "{csv}");
        assert_eq!(find(&rows, "staleness", "get", "p_within_k2").value, Some(0.983333));
        assert_eq!(find(&rows, "staleness", "get", "p_within_k16").value, Some(1.0));
        assert_eq!(find(&rows, "staleness", "all", "stale_ratio_with_prior_write").value, Some(0.15));
        assert_eq!(find(&rows, "staleness", "all", "without_prior_write").value, Some(30.0));
        assert_eq!(find(&rows, "counters", "read_repairs", "nodes").value, Some(3.0));
        assert_eq!(find(&rows, "ops", "get", "latency_p99_ms").value, Some(20.0));
        let p1 = "p1 during partition split";
        assert_eq!(find(&rows, "phases", p1, "stale_ratio_with_prior_write").value, Some(0.25));
        assert_eq!(find(&rows, "phases", p1, "from_s").value, Some(0.5));
        assert_eq!(find(&rows, "phases", "p2 after partition split", "reads_p99_ms").value, None, "nothing completed");
        let null = find(&rows, "cost", "", "anti_entropy_keys_repaired");
        assert_eq!((null.value, null.text.as_str()), (None, ""), "null is an empty value");
        assert_eq!(find(&rows, "checks", "no_lost_writes", "violations").value, Some(1.0));
        assert!(csv.ends_with('\n'));
    }

    #[test]
    fn metrics_csv_values_are_numbers_and_words_sit_in_their_own_column() {
        let rows = rows_of(&metrics_csv(&testdata::sample()));
        let words: Vec<(&str, &str)> =
            rows.iter().filter(|r| !r.text.is_empty()).map(|r| (r.metric.as_str(), r.text.as_str())).collect();
        assert_eq!(
            words,
            [
                ("trace_hash", "0123456789abcdef"),
                ("versioning", "vector_clock"),
                ("status", "pass"),
                ("status", "fail"),
                ("status", "not_applicable")
            ]
        );
        assert!(rows.iter().all(|r| r.text.is_empty() || r.value.is_none()), "a word never has a value too");
        let trace = find(&rows, "run", "", "trace_hash");
        assert_eq!(trace.value, None);
    }

    #[test]
    fn every_row_of_every_csv_carries_the_run_parameters() {
        let mut r = testdata::sample();
        r.visibility.grid = Some(testdata::visibility_grid());
        let want = ("sample, with \"quotes\"", 7, Some(3), Some(2), Some(2));
        let metrics = rows_of(&metrics_csv(&r));
        let series = typed::<SeriesRow>(&timeseries_csv(&r), TIMESERIES_HEADER);
        let visibility = typed::<SeriesRow>(&visibility_csv(&r).expect("a grid"), VISIBILITY_HEADER);
        assert!(!metrics.is_empty() && !series.is_empty() && !visibility.is_empty());
        for p in metrics.iter().map(|m| (m.scenario.as_str(), m.seed, m.n, m.r, m.w)) {
            assert_eq!(p, want);
        }
        for p in series.iter().chain(&visibility).map(|m| (m.scenario.as_str(), m.seed, m.n, m.r, m.w)) {
            assert_eq!(p, want);
        }
        let bare = testdata::empty();
        let rows = rows_of(&metrics_csv(&bare));
        assert_eq!((rows[0].n, rows[0].r, rows[0].w), (None, None, None), "no scenario: empty, still numeric columns");
    }

    #[test]
    fn visibility_csv_has_a_row_per_grid_point_per_metric_and_only_with_a_grid() {
        let mut r = testdata::sample();
        assert_eq!(visibility_csv(&r), None, "no grid, no file");
        r.visibility.grid = Some(testdata::visibility_grid());
        let rows = typed::<SeriesRow>(&visibility_csv(&r).unwrap(), VISIBILITY_HEADER);
        assert_eq!(rows.len(), (3 + 2) * 5, "3 probe points and 2 read points, 5 metrics each");
        assert!(
            rows.iter()
                .any(|x| (x.t, x.op.as_str(), x.metric.as_str(), x.value) == (2.5, "probes", "ci_low", Some(0.9)))
        );
        let m = rows_of(&metrics_csv(&r));
        assert_eq!(find(&m, "visibility", "probes", "first_t_ms_p0.99").value, Some(5.0));
        assert_eq!(find(&m, "visibility", "reads", "first_t_ms_high_p0.99").value, None, "null is empty");
    }

    #[test]
    fn timeseries_csv_has_one_row_per_window_per_metric_empty_windows_as_zeros() {
        let rows = typed::<SeriesRow>(&timeseries_csv(&testdata::sample()), TIMESERIES_HEADER);
        // 3 windows × (2 kinds × 7 metrics + 2 staleness rows of all_reads); 2 divergence
        // samples × 3; 2 load windows × 3; 3 activity windows × 4 (no anti-entropy).
        assert_eq!(rows.len(), 3 * 16 + 6 + 6 + 12);
        let at = |t: f64, op: &str, metric: &str| {
            rows.iter()
                .find(|x| x.t == t && x.op == op && x.metric == metric)
                .unwrap_or_else(|| panic!("no row {t},{op},{metric}"))
                .value
        };
        assert_eq!(at(2.0, "repair", "hints_delivered"), Some(3.0));
        assert_eq!(at(1.0, "repair", "read_repairs"), Some(0.0), "idle windows are rows too");
        assert_eq!(at(2.0, "all_reads", "p99_ms"), Some(12.25));
        assert_eq!(at(2.0, "all_reads", "reads_with_prior_write"), Some(6.0));
        assert_eq!(at(1.5, "replicas", "divergent_fraction"), Some(0.2));
        assert_eq!(at(2.0, "nodes", "load_efficiency"), None);
        for m in ["completed", "ok", "stale_reads", "reads_with_prior_write"] {
            assert_eq!(at(1.0, "all_reads", m), Some(0.0), "an empty window counts 0 {m}");
        }
        for m in ["success_ratio", "within_sla", "p50_ms", "p99_ms", "p999_ms"] {
            assert_eq!(at(1.0, "all_writes", m), None, "nothing to divide in an empty window: {m}");
        }
        assert!(!rows.iter().any(|x| x.metric.starts_with("ae_")), "no anti-entropy rows when it is off");
    }

    #[test]
    fn an_empty_report_gives_just_the_headers_and_fixed_rows() {
        let r = testdata::empty();
        assert_eq!(timeseries_csv(&r), format!("{TIMESERIES_HEADER}\n"));
        assert!(metrics_csv(&r).starts_with(&format!("{METRICS_HEADER}\n,0,,,,run,,seed,0,\n")));
    }

    #[test]
    fn the_bytes_are_deterministic() {
        let (a, b) = (testdata::sample(), testdata::sample());
        assert_eq!(metrics_csv(&a).as_bytes(), metrics_csv(&b).as_bytes());
        assert_eq!(timeseries_csv(&a).as_bytes(), timeseries_csv(&b).as_bytes());
    }

    #[test]
    fn fields_are_quoted_only_when_needed_and_floats_are_stable() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(fmt_f64(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(fmt_f64(-0.0), "0");
        assert_eq!(fmt_f64(3.0), "3");
        assert_eq!(fmt_f64(f64::NAN), "");
    }
}
