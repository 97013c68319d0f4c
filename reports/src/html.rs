//! `report.html`: one self-contained page (inline SVG charts, inline CSS, no scripts, no
//! external resources) with the run's identity, summary tables, the checkers' verdicts, every
//! chart and the message diagram.

use crate::charts::Chart;
use crate::checks::Status;
use crate::run_report::RunReport;
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values. NUL characters (a parse error
/// in HTML) are dropped, so no escaped text can carry the [`TEXT`] cell marker.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222}\
table{border-collapse:collapse;margin:0.5em 0 1.5em}\
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\
th:first-child,td:first-child{text-align:left}\
th{background:#f0f0f0}\
code{background:#f4f4f4;padding:1px 4px}\
.pass{color:#176f2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}.na{color:#666}\
td.text{text-align:left}td small{color:#555}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto}";

/// Marks a cell as text (left-aligned); see [`text`].
const TEXT: &str = "\u{0}text:";

/// A left-aligned table cell holding already-escaped `html`.
fn text(html: String) -> String {
    format!("{TEXT}{html}")
}

/// A float with `digits` decimals, or `–` for `null`.
fn num(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "–".to_string(), |x| format!("{x:.digits$}"))
}

/// A table from a header (none when empty) and rows of already-escaped cells. Cells are
/// right-aligned (numbers) except the first column and cells given as [`text`].
fn table(s: &mut String, header: &[&str], rows: &[Vec<String>]) {
    s.push_str("<table>");
    if !header.is_empty() {
        s.push_str("<tr>");
        for h in header {
            let _ = write!(s, "<th>{}</th>", escape(h));
        }
        s.push_str("</tr>");
    }
    s.push('\n');
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            match c.strip_prefix(TEXT) {
                Some(c) => {
                    let _ = write!(s, "<td class=\"text\">{c}</td>");
                }
                None => {
                    let _ = write!(s, "<td>{c}</td>");
                }
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
}

/// The page for `r` with `charts` (usually [`crate::charts::all`]). Deterministic: the same
/// report and charts give the same bytes.
pub fn report_html(r: &RunReport, charts: &[Chart]) -> String {
    let mut s = String::new();
    let name = if r.scenario_name.is_empty() { "(unnamed)" } else { r.scenario_name.as_str() };
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>dynsim report: {}</title><style>{STYLE}</style></head><body>\n",
        escape(name)
    );
    let _ = writeln!(s, "<h1>dynsim report: {}</h1>", escape(name));
    table(
        &mut s,
        &[],
        &[
            vec!["scenario".into(), text(escape(name))],
            vec!["seed".into(), text(r.seed.to_string())],
            vec!["trace hash".into(), text(format!("<code>{}</code>", escape(&r.trace_hash)))],
            vec!["replay".into(), text(format!("<code>{}</code>", escape(&r.replay)))],
            vec!["dynsim".into(), text(escape(&r.dynsim_version))],
            vec!["simulated".into(), text(format!("{:.1} s, {} events", r.sim_end_s, r.events))],
        ],
    );
    configuration(&mut s, r);
    checks(&mut s, r);
    ops(&mut s, r);
    phases(&mut s, r);
    staleness(&mut s, r);
    if let Some(w) = &r.wars {
        wars(&mut s, w);
    }
    durability_and_convergence(&mut s, r);
    load(&mut s, r);
    counters(&mut s, r);
    s.push_str("<h2>Charts</h2>\n");
    how(
        &mut s,
        "time runs left to right in simulated seconds with the fault intervals shaded; \
         each chart's legend names its lines; a shaded band is a 95% interval, and a hollow \
         marker is a window with too few operations to be a measurement. Each figure links its \
         files (SVG, PNG, PDF when asked for).",
    );
    for c in charts.iter().filter(|c| c.name != DIAGRAM) {
        figure(&mut s, c);
    }
    if let (Some(d), Some(c)) = (&r.diagram, charts.iter().find(|c| c.name == DIAGRAM)) {
        diagram(&mut s, d, c);
    }
    s.push_str("</body></html>\n");
    s
}

/// The configuration the run had, from the effective scenario: what a reader needs to read the
/// numbers (cluster, N/R/W, coordination, network loss, workloads, the fault timeline); the
/// whole effective scenario is in `report.json` under `scenario`.
fn configuration(s: &mut String, r: &RunReport) {
    let sc = &r.scenario;
    let get = |path: &str| sc.pointer(path).filter(|v| !v.is_null());
    let plain = |v: &serde_json::Value| match v {
        serde_json::Value::String(t) => t.clone(),
        other => other.to_string(),
    };
    let _ = writeln!(s, "<h2>Configuration</h2>");
    if let Some(d) = get("/description").map(plain).filter(|d| !d.is_empty()) {
        let _ = writeln!(s, "<p>{}</p>", escape(&d));
    }
    let field = |label: &str, path: &str| get(path).map(|v| vec![label.to_string(), text(escape(&plain(v)))]);
    let mut rows: Vec<Vec<String>> = [
        ("storage nodes", "/cluster/nodes"),
        ("datacenters", "/cluster/datacenters"),
        ("N (replicas per key)", "/dynamo/n"),
        ("R (read quorum)", "/dynamo/r"),
        ("W (write quorum)", "/dynamo/w"),
        ("coordinator", "/dynamo/coordinator"),
        ("read repair", "/dynamo/read_repair"),
        ("request timeout (ms)", "/dynamo/request_timeout_ms"),
        ("message loss", "/network/loss"),
        ("workload duration (s)", "/duration_s"),
        ("settle after it (s)", "/settle_s"),
    ]
    .iter()
    .filter_map(|(label, path)| field(label, path))
    .collect();
    if let Some(serde_json::Value::Array(groups)) = get("/workloads") {
        for g in groups {
            let name = g.get("name").map(plain).unwrap_or_default();
            let clients = g.get("clients").map(plain).unwrap_or_default();
            let keys = g.pointer("/keys/count").map(plain).unwrap_or_default();
            let rate =
                g.pointer("/arrival/poisson/rate_per_s").map(|v| format!("Poisson arrivals, {} per s", plain(v)));
            let arrivals =
                rate.or_else(|| g.get("arrival").map(|v| format!("arrivals {}", plain(v)))).unwrap_or_default();
            let what = format!("{clients} clients, {keys} keys, {arrivals}");
            rows.push(vec![format!("workload {}", escape(&name)), text(escape(&what))]);
        }
    }
    let timeline: Vec<String> = r
        .faults
        .iter()
        .map(|f| match f.until_s {
            Some(u) => format!("{} from {} s to {} s", f.label, f.at_s, u),
            None => format!("{} at {} s", f.label, f.at_s),
        })
        .collect();
    let timeline = if timeline.is_empty() { "none".to_string() } else { timeline.join("; ") };
    rows.push(vec!["faults".into(), text(escape(&timeline))]);
    table(s, &[], &rows);
    how(
        s,
        "every figure below is a measurement of this configuration and seed; the effective \
         scenario, every default filled in, is <code>scenario</code> in <code>report.json</code>, \
         and the replay command above reproduces the run bit for bit. A partition cuts only the \
         links its groups name: a client process it does not list reaches both sides.",
    );
}

/// A short "how to read this" note under a section's heading (`html` is already escaped).
fn how(s: &mut String, html: &str) {
    let _ = writeln!(s, "<p class=\"how\"><small>How to read this: {html}</small></p>");
}

/// The message diagram's chart name.
const DIAGRAM: &str = "message_diagram";

/// A chart as an inline SVG figure, with links to its files.
fn figure(s: &mut String, c: &Chart) {
    // Inline SVG in HTML needs no namespace declaration; dropping it keeps the page free of URLs.
    let svg = c.svg.trim().replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    let files = file_links(c.name, &c.formats.extensions());
    let _ = writeln!(s, "<figure id=\"{}\">\n{svg}\n{files}</figure>", escape(c.name));
}

/// A line linking a chart's files (`charts/<name>.<ext>`, relative to the page), or nothing
/// when no file is written.
pub fn file_links(name: &str, extensions: &[&str]) -> String {
    if extensions.is_empty() {
        return String::new();
    }
    let links: Vec<String> = extensions
        .iter()
        .map(|ext| {
            let path = escape(&format!("charts/{name}.{ext}"));
            format!("<a href=\"{path}\">{}</a>", ext.to_uppercase())
        })
        .collect();
    format!("<p class=\"files\">files: {}</p>\n", links.join(" · "))
}

/// The message diagram section: what it shows, how it was chosen, how to choose another.
fn diagram(s: &mut String, d: &crate::diagram::MessageDiagram, c: &Chart) {
    let _ = writeln!(
        s,
        "<h2>Message diagram</h2>\n<p>Every message about key {} in flight between {:.6} s and {:.6} s: one \
         lifeline per process, time flowing down by event (each row is a send or handling time, not to \
         scale; long quiet spells are marked), an arrow from when a message left its sender to when \
         its receiver handled it; lost messages are dashed red and end in a cross; a reply's label \
         lists the versions it carried, <code>w5@c2</code> for write 5 of client 2 (<code>†</code> a \
         delete), and the entries of the longest vector clock among them; the amber bar marks \
         the operation the window was chosen around. Chosen: {}. {} \
         Choose another with <code>dynsim run … --diagram-key K --diagram-from-s A --diagram-until-s B</code> \
         or <code>outputs.diagram</code> in the scenario.</p>",
        d.key,
        d.from_s,
        d.until_s,
        escape(&d.chosen_by),
        if d.capped() {
            format!("Only the first {} of its {} messages are drawn.", d.arrows.len(), d.messages)
        } else {
            String::new()
        },
    );
    figure(s, c);
}

fn checks(s: &mut String, r: &RunReport) {
    s.push_str("<h2>Checks</h2>\n");
    how(
        s,
        "each invariant is judged over the whole run: <em>pass</em> means no violation was seen, \
         <em>fail</em> lists the count and the earliest examples (time, key, the operations \
         involved), <em>not applicable</em> says why this configuration does not promise it.",
    );
    let rows: Vec<Vec<String>> = r
        .checks
        .iter()
        .map(|v| {
            let (verdict, detail) = match &v.status {
                Status::Pass => ("<span class=\"pass\">pass</span>".to_string(), String::new()),
                Status::Fail { violations, examples } => {
                    let mut d = format!("{violations} violations");
                    for e in examples {
                        let _ = write!(
                            d,
                            "<br>at {:.6} s, key {}: {} ({})",
                            e.at_s,
                            e.key,
                            escape(&e.detail),
                            escape(&e.ops.join("; "))
                        );
                    }
                    ("<span class=\"fail\">fail</span>".to_string(), d)
                }
                Status::NotApplicable { reason } => {
                    ("<span class=\"na\">not applicable</span>".to_string(), escape(reason))
                }
            };
            vec![escape(&v.invariant), text(verdict), text(detail)]
        })
        .collect();
    table(s, &["invariant", "verdict", "detail"], &rows);
}

fn ops(s: &mut String, r: &RunReport) {
    s.push_str("<h2>Operations</h2>\n");
    how(
        s,
        "one row per operation kind over the whole run; <em>ok %</em> is availability (successes \
         over completions), <em>in SLA %</em> the share that succeeded within the SLA latency, \
         and the percentiles are of successful operations only (HDR histograms, 3 significant \
         digits); a p99.9 over fewer than 1000 operations is their maximum.",
    );
    let rows: Vec<Vec<String>> = r
        .ops
        .iter()
        .map(|(k, o)| {
            let l = &o.latency_ms;
            vec![
                escape(k),
                o.completed.to_string(),
                format!("{:.3}", 100.0 * o.success_ratio),
                format!("{:.3}", 100.0 * o.within_sla),
                format!("{:.2}", l.p50),
                format!("{:.2}", l.p99),
                format!("{:.2}", l.p999),
                format!("{:.2}", l.max),
            ]
        })
        .collect();
    let sla = format!("in SLA ({} ms) %", r.sla_ms);
    table(s, &["op", "done", "ok %", &sla, "p50 ms", "p99 ms", "p99.9 ms", "max ms"], &rows);
}

/// The headline figures before, during and after each fault interval.
fn phases(s: &mut String, r: &RunReport) {
    let p = &r.phases.phases;
    if p.is_empty() {
        return;
    }
    s.push_str("<h2>Phases</h2>\n");
    how(
        s,
        "the run cut at every start and end of a fault on the timeline; each operation counts in \
         the phase it completed in. Compare a fault's row with the rows before and after it: \
         availability (ok %), latency of successful operations, the stale-read share (over reads \
         with an acknowledged prior write, as above) and the mean share of keys whose replicas \
         disagreed. Faults injected by chaos generators are not on the timeline and cut nothing.",
    );
    let pct = |x: Option<f64>| num(x.map(|x| 100.0 * x), 2);
    let rows: Vec<Vec<String>> = p
        .iter()
        .map(|ph| {
            vec![
                escape(&ph.label),
                format!("{}–{}", ph.from_s, ph.until_s),
                ph.reads.completed.to_string(),
                pct(ph.reads.success_ratio),
                num(ph.reads.p99_ms, 1),
                num(ph.reads.p999_ms, 1),
                ph.writes.completed.to_string(),
                pct(ph.writes.success_ratio),
                num(ph.writes.p99_ms, 1),
                format!(
                    "{} ({} of {})",
                    pct(ph.stale.stale_ratio_with_prior_write),
                    ph.stale.stale,
                    ph.stale.with_prior_write
                ),
                pct(ph.divergent_fraction_mean),
            ]
        })
        .collect();
    let head = [
        "phase",
        "s",
        "reads",
        "ok %",
        "p99 ms",
        "p99.9 ms",
        "writes",
        "ok %",
        "p99 ms",
        "stale %",
        "divergent keys %",
    ];
    table(s, &head, &rows);
}

fn staleness(s: &mut String, r: &RunReport) {
    s.push_str("<h2>Staleness</h2>\n");
    if let Some(all) = r.staleness.by_kind.get("all") {
        let _ = writeln!(
            s,
            "<p><strong>{}: {}</strong> ({} of {}; {} reads of keys with no acknowledged write yet \
             are not counted).</p>",
            escape(crate::metrics::STALE_HEADLINE),
            num(all.stale_ratio_with_prior_write.map(|x| 100.0 * x), 3) + "%",
            all.stale,
            all.with_prior_write,
            all.without_prior_write
        );
    }
    how(
        s,
        "a read is stale when it missed the latest write of its key acknowledged before it \
         began and returned nothing that supersedes it; only reads with such a prior write can be \
         stale, so the stale share divides by them. <em>k</em> counts the acknowledged writes a \
         read missed. P(consistent) of ordinary reads is one minus the stale share, over the same \
         reads; the probes' curve is measured by dedicated write-then-read pairs.",
    );
    let rows: Vec<Vec<String>> = r
        .staleness
        .by_kind
        .iter()
        .map(|(k, st)| {
            vec![
                escape(k),
                st.reads.to_string(),
                st.with_prior_write.to_string(),
                st.without_prior_write.to_string(),
                st.stale.to_string(),
                num(st.stale_ratio_with_prior_write.map(|x| 100.0 * x), 3),
                num(st.k.mean, 3),
                st.k.max.to_string(),
            ]
        })
        .collect();
    let head = [
        "read kind",
        "successful reads",
        "with prior write",
        "never-written key",
        "stale",
        "stale % of prior",
        "mean k",
        "max k",
    ];
    table(s, &head, &rows);
    let rows: Vec<Vec<String>> = [("probes", &r.visibility.probes), ("ordinary reads", &r.visibility.reads)]
        .into_iter()
        .map(|(k, c)| vec![k.to_string(), c.reads.to_string(), c.consistent.to_string(), num(c.p_consistent, 4)])
        .collect();
    table(s, &["t-visibility", "reads", "consistent", "P(consistent)"], &rows);
    if let Some(g) = &r.visibility.grid {
        let ms = |x: Option<f64>| x.map_or("never".to_string(), |t| format!("{t} ms"));
        let rows: Vec<Vec<String>> = [("probes", &g.probes), ("ordinary reads", &g.reads)]
            .into_iter()
            .flat_map(|(k, c)| {
                c.first_t.iter().map(move |t| {
                    vec![k.to_string(), format!("{}", t.target), ms(t.t_ms), ms(t.t_ms_low), ms(t.t_ms_high)]
                })
            })
            .collect();
        let head = ["curve", "target", "first t staying above", "from the upper bound", "from the lower bound"];
        table(s, &head, &rows);
    }
}

/// The WARS prediction beside the probes' measurement: how to read it, the comparison, the
/// latencies side by side, and every assumption with whether the scenario keeps it.
fn wars(s: &mut String, w: &crate::wars::WarsSection) {
    s.push_str("<h2>WARS prediction</h2>\n");
    let m = &w.model;
    let _ = writeln!(
        s,
        "<p>PBS's WARS model (Bailis et al., VLDB 2012, §4–5) for N={}, R={}, W={}, {} quorums, from {} Monte \
         Carlo trials of the scenario's replica legs{}. The t-visibility chart draws it over the probes. \
         <strong>{}</strong>.</p>",
        m.n,
        m.r,
        m.w,
        escape(&m.quorum_shape),
        m.trials,
        if m.per_class { " (per link class)" } else { "" },
        escape(&w.label)
    );
    let c = &w.comparison;
    let chi2 = c.chi2.as_ref().map_or_else(
        || text(escape(&c.chi2_unavailable)),
        |t| format!("{:.2} on {} df, p = {:.3e}", t.statistic, t.df, t.p_value),
    );
    let rows = vec![
        vec!["RMSE of P(consistent) over the grid".into(), num(c.p_rmse, 4)],
        vec!["χ² of the probe counts".into(), chi2],
        vec!["N-RMSE of the read latency quantiles".into(), num(c.read_latency_nrmse.map(|x| 100.0 * x), 2) + " %"],
        vec!["N-RMSE of the write latency quantiles".into(), num(c.write_latency_nrmse.map(|x| 100.0 * x), 2) + " %"],
        vec!["predicted P(consistent) at t = 0".into(), format!("{:.4}", w.predicted.p_at_0)],
    ];
    table(s, &["measured against predicted", ""], &rows);
    if let Some(cf) = &w.closed_form {
        let _ = writeln!(
            s,
            "<p>Static quorum, closed form (PBS §3): p<sub>stale</sub> = C(N−W,R)/C(N,R) = {}, so t-visibility \
             is {} at every t and P(within k) = 1 − {}<sup>k</sup>.</p>",
            cf.p_stale, cf.t_visibility, cf.p_stale
        );
    }
    let l = [&w.predicted.read_ms, &w.predicted.write_ms];
    let rows: Vec<Vec<String>> = [("p50", 0), ("p90", 1), ("p99", 2), ("p99.9", 3)]
        .into_iter()
        .map(|(q, i)| {
            let at = |x: &crate::LatencySummary| [x.p50, x.p90, x.p99, x.p999][i];
            vec![q.to_string(), format!("{:.3}", at(l[0])), format!("{:.3}", at(l[1]))]
        })
        .collect();
    table(s, &["predicted latency (ms)", "read", "write"], &rows);
    let rows: Vec<Vec<String>> = w
        .assumptions
        .iter()
        .map(|a| {
            let holds = if a.holds { "holds" } else { "<strong>broken</strong>" };
            let why = if a.holds { escape(&a.assumes) } else { escape(&a.broken_by) };
            vec![escape(&a.name), text(holds.to_string()), text(why)]
        })
        .collect();
    table(s, &["WARS assumption", "", "what it assumes, or what breaks it"], &rows);
}

fn durability_and_convergence(s: &mut String, r: &RunReport) {
    let d = &r.durability;
    s.push_str("<h2>Durability</h2>\n");
    how(
        s,
        "an acknowledged write is lost when nothing the cluster holds at the end (every replica, \
         buffer and hint) is it or descends from it; under LWW a write a concurrent one with a \
         higher timestamp replaced is counted apart, as LWW drops it by design. Faults that \
         destroy data (wipes, corruption, unsynced writes with crashes) excuse losses.",
    );
    let excused =
        if d.data_destroying_faults.is_empty() { "–".to_string() } else { d.data_destroying_faults.join(", ") };
    table(
        s,
        &["measure", "value"],
        &[
            vec!["versioning".into(), text(escape(&d.versioning))],
            vec!["acknowledged writes".into(), d.acked_writes.to_string()],
            vec!["lost acknowledged writes".into(), d.lost_acked_writes.to_string()],
            vec!["lost, unexcused".into(), d.lost_acked_writes_unexcused.to_string()],
            vec!["overwritten by LWW".into(), d.lww_overwritten.to_string()],
            vec!["excused by".into(), text(escape(&excused))],
            vec!["failed writes (surviving)".into(), format!("{} ({})", d.failed_writes, d.failed_writes_surviving)],
        ],
    );
    let c = &r.convergence;
    s.push_str("<h2>Convergence</h2>\n");
    how(
        s,
        "replica state is sampled during the run; replicas have converged from the first sample \
         after which every known key's live replicas hold the same versions. Keys counted are \
         every key read, written or stored, probe keys included. Without anti-entropy only reads \
         (read repair) and hinted handoff bring replicas back together, so keys nobody reads after \
         a fault may disagree at the end.",
    );
    table(
        s,
        &["measure", "value"],
        &[
            vec!["sampled".into(), c.sampled.to_string()],
            vec!["last heal (s)".into(), num(c.last_heal_s, 3)],
            vec!["workload end (s)".into(), format!("{:.3}", c.workload_end_s)],
            vec!["converged at (s)".into(), num(c.converged_at_s, 3)],
            vec!["convergence after last heal (s)".into(), num(c.convergence_s, 3)],
            vec!["after workload end (s)".into(), num(c.after_workload_end_s, 3)],
            vec!["divergent keys at end".into(), format!("{} of {}", c.divergent_keys_at_end, c.keys_at_end)],
        ],
    );
}

fn load(s: &mut String, r: &RunReport) {
    let l = &r.load;
    let _ = writeln!(s, "<h2>Load</h2>\n<p>Node counters: {}.</p>", escape(&l.node_counters));
    how(
        s,
        "requests a node handled are the gets and puts it coordinated plus the replica reads and \
         writes it served; efficiency is the mean over the maximum (1 is perfectly even, §6.2), and \
         nodes more than 15% off the mean are listed.",
    );
    let rows: Vec<Vec<String>> = l
        .nodes
        .iter()
        .map(|n| {
            vec![
                format!("n{}", n.node),
                n.requests.to_string(),
                n.coordinated.to_string(),
                n.replica_reads.to_string(),
                n.replica_writes.to_string(),
                n.keys.to_string(),
            ]
        })
        .collect();
    table(s, &["node", "requests", "coordinated", "replica reads", "replica writes", "keys"], &rows);
    let rows: Vec<Vec<String>> = [("requests", &l.requests), ("keys", &l.keys)]
        .into_iter()
        .map(|(k, b)| {
            let off: Vec<String> = b.out_of_balance_nodes.iter().map(|n| format!("n{n}")).collect();
            vec![
                k.to_string(),
                format!("{:.1}", b.mean),
                b.min.to_string(),
                b.max.to_string(),
                num(b.efficiency, 3),
                num(b.out_of_balance_share, 3),
                off.join(", "),
            ]
        })
        .collect();
    table(s, &["balance", "mean", "min", "max", "efficiency", "share >15% off", "nodes off"], &rows);
}

/// Clusters up to this size get one column per node in the counters table; larger ones get the
/// minimum and maximum over the nodes and the node with the maximum.
const PER_NODE_COLUMNS: usize = 10;

/// Every counter the model declares, with its totals and its value on each node: one table
/// that follows the model's counter list, so a new counter appears here without a change.
fn counters(s: &mut String, r: &RunReport) {
    if r.counters.is_empty() {
        return;
    }
    s.push_str(
        "<h2>Counters</h2>\n<p>Every counter the model declares, summed over each process's \
         incarnations (a restart does not reset it). <em>nodes</em> and <em>clients</em> are \
         totals over the storage nodes and the client libraries.</p>\n",
    );
    how(s, "each row is one counter with what it counts; the last columns are its value on each node.");
    let per_node = r.nodes.len() <= PER_NODE_COLUMNS;
    let names: Vec<String> = r.nodes.iter().map(|n| format!("n{}", n.node)).collect();
    let mut header = vec!["counter", "kind", "nodes", "clients"];
    if per_node {
        header.extend(names.iter().map(String::as_str));
    } else {
        header.extend(["min per node", "max per node", "on"]);
    }
    let rows: Vec<Vec<String>> = r
        .counters
        .iter()
        .map(|c| {
            let mut row = vec![
                text(format!("<code>{}</code><br><small>{}</small>", escape(&c.name), escape(&c.doc))),
                text(escape(&c.kind)),
                c.nodes.to_string(),
                c.clients.to_string(),
            ];
            let values = r.nodes.iter().map(|n| (n.counters.get(&c.name).copied().unwrap_or(0), n.node));
            if per_node {
                row.extend(values.map(|(v, _)| v.to_string()));
            } else {
                let min = values.clone().map(|(v, _)| v).min().unwrap_or(0);
                let (max, on) = values.max_by_key(|&(v, node)| (v, std::cmp::Reverse(node))).unwrap_or((0, 0));
                row.extend([min.to_string(), max.to_string(), format!("n{on}")]);
            }
            row
        })
        .collect();
    table(s, &header, &rows);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_states_the_configuration_and_the_fault_timeline() {
        let mut r = crate::testdata::sample();
        r.scenario = serde_json::json!({
            "description": "A (3,2,2) cluster rides through a partition.",
            "cluster": {"nodes": 6, "datacenters": 1},
            "dynamo": {"n": 3, "r": 2, "w": 2, "coordinator": "replica"},
            "network": {"loss": 0.001},
            "workloads": [{"name": "carts", "clients": 8, "keys": {"count": 2000}, "arrival": {"poisson": {"rate_per_s": 400.0}}}]
        });
        let page = super::report_html(&r, &[]);
        let config = &page[page.find("<h2>Configuration</h2>").expect("a configuration section")..];
        for want in [
            "A (3,2,2) cluster rides through a partition.",
            "<td>N (replicas per key)</td><td class=\"text\">3</td>",
            "<td>R (read quorum)</td><td class=\"text\">2</td>",
            "<td>W (write quorum)</td><td class=\"text\">2</td>",
            "<td>message loss</td><td class=\"text\">0.001</td>",
            "8 clients, 2000 keys, Poisson arrivals, 400.0 per s",
            "partition split from 0.5 s to 1.5 s; crash n2 at 2 s",
        ] {
            assert!(config.contains(want), "{want}");
        }
    }

    use super::*;
    use crate::charts;
    use crate::testdata;

    #[test]
    fn the_page_inlines_every_chart_and_names_the_run() {
        let r = testdata::sample();
        let cs = charts::all(&r, &Default::default());
        let page = report_html(&r, &cs);
        assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
        assert_eq!(page.matches("<svg").count(), cs.len(), "one inline SVG per chart");
        for c in &cs {
            assert!(page.contains(&format!("<figure id=\"{}\">", c.name)), "{}", c.name);
        }
        assert!(page.contains(&r.trace_hash));
        assert!(page.contains("dynsim run sample --seed 7"));
        assert!(page.contains("sample, with &quot;quotes&quot;"), "the name is escaped");
        assert!(!page.contains("http"), "no external resources or URLs");
        assert!(!page.contains("<script") && !page.contains("<link"), "self-contained");
        let diagram = page.find("<h2>Message diagram</h2>").expect("the diagram has its section");
        assert!(page[diagram..].contains("<figure id=\"message_diagram\">"), "after its explanation");
        assert!(page[diagram..].contains("Only the first 5 of its 9 messages are drawn."));
        assert!(page[diagram..].contains("--diagram-key K"), "how to choose another");
    }

    #[test]
    fn every_figure_links_the_files_written_pdf_included_when_asked_for() {
        let r = testdata::sample();
        let page = report_html(&r, &charts::all(&r, &Default::default()));
        assert!(
            page.contains(
                "<a href=\"charts/latency_cdf.svg\">SVG</a> · <a href=\"charts/latency_cdf.png\">PNG</a></p>"
            )
        );
        assert!(!page.contains(".pdf"), "no PDF unless asked for");
        let formats = charts::Formats { svg: false, png: true, pdf: true };
        let page = report_html(&r, &charts::all(&r, &charts::Look { formats, ..Default::default() }));
        for c in charts::all(&r, &Default::default()) {
            let want =
                format!("files: <a href=\"charts/{0}.png\">PNG</a> · <a href=\"charts/{0}.pdf\">PDF</a></p>", c.name);
            assert!(page.contains(&want), "{}: {want}", c.name);
        }
        assert!(!page.contains("charts/latency_cdf.svg"), "only the files written are linked");
    }

    #[test]
    fn the_counters_table_lists_every_declared_counter_with_its_doc_and_node_values() {
        let r = testdata::sample();
        let page = report_html(&r, &[]);
        let at = page.find("<h2>Counters</h2>").expect("a counters section");
        let section = &page[at..];
        assert!(section.contains("<th>n0</th><th>n1</th><th>n2</th>"), "one column per node");
        assert!(section.contains(
            "<td class=\"text\"><code>read_repairs</code><br><small>Read-repair writes a coordinator \
             sent to stale replicas.</small></td><td class=\"text\">repair</td>\
             <td>3</td><td>0</td><td>1</td><td>1</td><td>1</td></tr>"
        ));
        let mut big = r.clone();
        big.nodes = (0..20)
            .map(|n| crate::run_report::NodeSummary {
                node: n,
                counters: [("read_repairs".to_string(), u64::from(n % 7))].into(),
                ..Default::default()
            })
            .collect();
        let page = report_html(&big, &[]);
        let section = &page[page.find("<h2>Counters</h2>").unwrap()..];
        assert!(!section.contains("<th>n19</th>"), "no column per node for more than ten nodes");
        assert!(section.contains("<td>0</td><td>6</td><td>n6</td>"), "min, max and the first node with it");
    }

    #[test]
    fn the_page_lists_the_first_t_of_each_target_only_with_a_grid() {
        let mut r = testdata::sample();
        assert!(!report_html(&r, &[]).contains("first t staying above"));
        r.visibility.grid = Some(testdata::visibility_grid());
        let page = report_html(&r, &[]);
        assert!(page.contains("first t staying above"), "the table's header");
        assert!(page.contains("<td>5 ms</td><td>2.5 ms</td><td>5 ms</td>"), "probes: {page}");
        assert!(page.contains("<td>5 ms</td><td>5 ms</td><td>never</td>"), "reads: a bound never reached");
    }

    #[test]
    fn the_page_breaks_the_headline_figures_down_by_phase() {
        let page = report_html(&testdata::sample(), &[]);
        let at = page.find("<h2>Phases</h2>").expect("a phases section");
        let section = &page[at..page.find("<h2>Staleness</h2>").expect("staleness follows")];
        assert!(section.contains("How to read this:"), "explained");
        let labels = ["before faults", "during partition split", "after partition split", "during crash n2"];
        let rows: Vec<usize> = labels.iter().map(|l| section.find(&format!("<td>{l}</td>")).expect(l)).collect();
        assert!(rows.windows(2).all(|w| w[0] < w[1]), "in time order");
        assert!(section.contains("<td>0.5–1.5</td><td>20</td><td>95.00</td>"), "reads and availability: {section}");
        assert!(section.contains("<td>25.00 (4 of 16)</td>"), "the stale headline with its counts");
        assert!(section.contains("<td>1.5–2</td><td>0</td><td>–</td>"), "an empty phase is dashes, not 0 %");
        assert!(!report_html(&testdata::empty(), &[]).contains("<h2>Phases</h2>"), "no phases, no section");
    }

    #[test]
    fn the_stale_headline_is_labelled_as_defined_and_counts_never_written_keys_apart() {
        let page = report_html(&testdata::sample(), &[]);
        let want =
            format!("<strong>{}: 15.000%</strong> (9 of 60; 30 reads of keys", escape(crate::metrics::STALE_HEADLINE));
        assert!(page.contains(&want), "{page}");
        assert!(
            page.contains("<th>stale % of prior</th>")
                && page.contains("<td>60</td><td>30</td><td>9</td><td>15.000</td>")
        );
    }

    #[test]
    fn every_section_says_how_to_read_it() {
        let r = testdata::sample();
        let page = report_html(&r, &charts::all(&r, &Default::default()));
        let sections: Vec<&str> = page.split("<h2>").skip(1).collect();
        assert!(sections.len() >= 11, "{}", sections.len());
        for s in sections {
            let title = &s[..s.find("</h2>").unwrap_or(0)];
            assert!(s.contains("How to read this") || title == "Message diagram", "{title} lacks its note");
        }
    }

    #[test]
    fn the_page_has_a_wars_section_only_with_a_prediction() {
        let mut r = testdata::sample();
        assert!(!report_html(&r, &[]).contains("WARS prediction"));
        r.wars = Some(testdata::wars());
        let page = report_html(&r, &[]);
        assert!(page.contains("<h2>WARS prediction</h2>") && page.contains("3.50 on 2 df"), "{page}");
        assert!(page.contains("no_read_repair") && page.contains("read repair is on"), "broken assumptions are listed");
    }

    #[test]
    fn the_page_shows_every_verdict() {
        let page = report_html(&testdata::sample(), &[]);
        assert!(page.contains("<span class=\"pass\">pass</span>"));
        assert!(page.contains("<span class=\"fail\">fail</span>"));
        assert!(page.contains("1 violations<br>at 1.250000 s, key 42: write &lt;w1&gt; lost (put w1)"));
        assert!(page.contains("not applicable</span></td><td class=\"text\">sloppy quorum"));
        for section in ["Operations", "Staleness", "Durability", "Convergence", "Load", "Counters", "Checks"] {
            assert!(page.contains(&format!("<h2>{section}</h2>")), "{section}");
        }
    }

    #[test]
    fn the_page_is_deterministic_and_renders_an_empty_report() {
        let r = testdata::sample();
        assert_eq!(
            report_html(&r, &charts::all(&r, &Default::default())),
            report_html(&r, &charts::all(&r, &Default::default()))
        );
        let e = testdata::empty();
        let page = report_html(&e, &charts::all(&e, &Default::default()));
        assert!(page.contains("no data") && page.contains("(unnamed)"));
    }
}
