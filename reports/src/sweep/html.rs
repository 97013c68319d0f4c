//! `sweep.html`: one self-contained page (inline SVG, inline CSS, no scripts, no external
//! resources) with what was swept, the skipped combinations, every chart and the summary table.

use super::charts::SweepChart;
use super::row::{METRICS, VISIBILITY_TARGET};
use super::summary::{SweepSummary, plain};
use std::fmt::Write;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222}\
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:90%}\
th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#f0f0f0}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto}";

/// The page for `s` with `charts` (from [`super::charts::all`]). Deterministic.
pub fn sweep_html(s: &SweepSummary, charts: &[SweepChart]) -> String {
    let l = &s.layout;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sweep of {}</title><style>{STYLE}</style></head><body>\n",
        escape(&l.scenario)
    );
    let _ = writeln!(h, "<h1>Sweep of {}</h1>", escape(&l.scenario));
    let ran = l.combos.iter().filter(|c| c.skipped.is_none()).count();
    let _ = writeln!(
        h,
        "<p>Axes: {}. {} combinations ({} run, {} skipped) × {} seeds; {} runs aggregated. Every figure is a mean over seeds; intervals are 95% Student-t intervals of the mean (t with n−1 degrees of freedom); n counts the runs in which the metric could be measured. t-visibility is the time since commit from which every bin of the curve (probes, else ordinary reads) has P(consistent) ≥ {VISIBILITY_TARGET}.</p>",
        escape(&l.axes.join(", ")),
        l.combos.len(),
        ran,
        l.combos.len() - ran,
        l.seeds.len(),
        s.runs()
    );
    skipped(&mut h, s);
    h.push_str("<h2>Charts</h2>\n");
    for c in charts {
        let files = crate::html::file_links(&c.name, &c.formats.extensions());
        // The title is drawn in the chart itself: no caption repeats it.
        let _ = writeln!(h, "<figure id=\"{}\">{}{files}</figure>", escape(&c.name), c.svg);
    }
    table(&mut h, s);
    h.push_str("</body></html>\n");
    h
}

fn skipped(h: &mut String, s: &SweepSummary) {
    let refused: Vec<_> = s.layout.combos.iter().filter(|c| c.skipped.is_some()).collect();
    if refused.is_empty() {
        return;
    }
    h.push_str("<h2>Skipped combinations</h2>\n<ul>\n");
    for c in refused {
        let why = c.skipped.as_deref().unwrap_or_default();
        let _ = writeln!(h, "<li>{}: {}</li>", escape(&c.label(&s.layout.axes)), escape(why));
    }
    h.push_str("</ul>\n");
}

/// Metrics per summary table, so each table fits the page beside the axes.
const METRICS_PER_TABLE: usize = 4;

/// The summary: one table per group of [`METRICS_PER_TABLE`] metrics, a row per combination
/// that ran, each cell the mean ± the half-width of its 95% interval, with n (the exact
/// figures are in `summary.csv`).
fn table(h: &mut String, s: &SweepSummary) {
    h.push_str(
        "<h2>Summary</h2>\n<p>Each cell: mean over seeds ± half the 95% Student-t interval (n runs that \
         measured it); – where no run did. Full precision and both interval ends are in \
         <code>summary.csv</code>.</p>\n",
    );
    for group in (0..METRICS.len()).collect::<Vec<_>>().chunks(METRICS_PER_TABLE) {
        h.push_str("<table><tr>");
        for a in &s.layout.axes {
            let _ = write!(h, "<th>{}</th>", escape(a));
        }
        for &m in group {
            let _ = write!(h, "<th>{}</th>", escape(METRICS[m]));
        }
        h.push_str("</tr>\n");
        for (c, combo) in s.layout.combos.iter().enumerate().filter(|(_, c)| c.skipped.is_none()) {
            h.push_str("<tr>");
            for v in &combo.values {
                let _ = write!(h, "<td>{}</td>", escape(&plain(v)));
            }
            for &m in group {
                let _ = write!(h, "<td>{}</td>", cell(s.stat(c, m)));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
}

/// One summary cell: `0.9685 ± 0.0120 (5)`, the mean to 4 significant digits and the
/// half-width to as many decimals.
fn cell(stat: Option<super::Stat>) -> String {
    let Some(st) = stat else { return "–".to_string() };
    let d = if st.mean == 0.0 { 4 } else { (3 - st.mean.abs().log10().floor() as i32).clamp(0, 6) as usize };
    match (st.ci_low, st.ci_high) {
        (Some(lo), Some(hi)) => format!("{:.d$} ± {:.d$} ({})", st.mean, (hi - lo) / 2.0, st.n),
        _ => format!("{:.d$} ({})", st.mean, st.n),
    }
}
