//! Sweeps: many runs of one scenario over a grid of parameters × seeds, reduced to compact
//! rows ([`row`]), aggregated per combination in a streaming, order-independent way
//! ([`stats`], [`summary`]), and drawn ([`charts`], [`html`]).
//!
//! [`files`] gives every output of a sweep from its summary alone, so a sweep run on one
//! machine and one merged from shards write the same bytes.

pub mod charts;
pub mod html;
pub mod row;
pub mod stats;
pub mod summary;

pub use row::{METRICS, RunRow, run_metrics};
pub use stats::{Accumulator, Stat};
pub use summary::{Combo, SweepLayout, SweepSummary};

/// The outputs of a sweep as (path relative to the output directory, contents), in a fixed
/// order: `summary.csv`, `skipped.csv`, `charts/<name>.svg` for every chart, `sweep.html`.
pub fn files(s: &SweepSummary) -> Vec<(String, String)> {
    let charts = charts::all(s);
    let mut out = vec![("summary.csv".to_string(), s.summary_csv()), ("skipped.csv".to_string(), s.skipped_csv())];
    out.extend(charts.iter().map(|c| (format!("charts/{}.svg", c.name), c.svg.clone())));
    out.push(("sweep.html".to_string(), html::sweep_html(s, &charts)));
    out
}
