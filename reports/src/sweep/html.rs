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
        let _ = writeln!(h, "<figure>{}<figcaption>{}</figcaption>{files}</figure>", c.svg, escape(&c.title));
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

fn table(h: &mut String, s: &SweepSummary) {
    h.push_str("<h2>Summary</h2>\n<table><tr>");
    for a in &s.layout.axes {
        let _ = write!(h, "<th>{}</th>", escape(a));
    }
    for m in METRICS {
        let _ = write!(h, "<th>{}<br>mean [95% CI] (n)</th>", escape(m));
    }
    h.push_str("</tr>\n");
    for (c, combo) in s.layout.combos.iter().enumerate().filter(|(_, c)| c.skipped.is_none()) {
        h.push_str("<tr>");
        for v in &combo.values {
            let _ = write!(h, "<td>{}</td>", escape(&plain(v)));
        }
        for m in 0..METRICS.len() {
            let cell = match s.stat(c, m) {
                None => "–".to_string(),
                Some(st) => match (st.ci_low, st.ci_high) {
                    (Some(lo), Some(hi)) => format!("{:.4} [{lo:.4}, {hi:.4}] ({})", st.mean, st.n),
                    _ => format!("{:.4} ({})", st.mean, st.n),
                },
            };
            let _ = write!(h, "<td>{cell}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}
