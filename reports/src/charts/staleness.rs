//! Stale reads over time: per window, the stale-read headline
//! ([`crate::metrics::STALE_HEADLINE`]: the share of successful ordinary reads (`get`,
//! `rmw_read`; probes have their own t-visibility) with an acknowledged prior write that were
//! stale), with its Wilson interval, faults shaded, so a reader sees when staleness happened
//! and what was going on.

use super::ratio::{RatioPoint, draw_ratio_series, share_axes, sparse_legend};
use super::{Chart, Look, colour, legend, ops_end_s, render, span};
use crate::run_report::RunReport;
use plotters::prelude::*;

/// The ordinary read kinds whose windows carry stale-read counts.
const READ_KINDS: [&str; 2] = ["get", "rmw_read"];

/// Per window with a successful ordinary read with a prior write: (midpoint, stale, those
/// reads). A report from before `reads_with_prior_write` existed divides by every successful
/// read.
fn stale_per_window(r: &RunReport) -> Vec<RatioPoint> {
    let half = r.windows.window_s / 2.0;
    r.windows
        .windows
        .iter()
        .filter_map(|w| {
            let kinds = READ_KINDS.iter().filter_map(|k| w.ops.get(*k));
            let (stale, ok) = kinds.fold((0, 0), |(s, n), o| {
                (s + o.stale_reads.unwrap_or(0), n + o.reads_with_prior_write.unwrap_or(o.ok))
            });
            (ok > 0).then(|| RatioPoint::new(w.start_s + half, stale.min(ok), ok))
        })
        .collect()
}

/// The stale-read headline per window.
pub fn stale_reads_over_time(r: &RunReport, look: &Look) -> Chart {
    let title = "Stale reads over time";
    let pts = stale_per_window(r);
    let hi = pts.iter().filter(|p| !p.sparse()).map(|p| p.high.max(p.ratio)).fold(0.0, f64::max);
    let end = ops_end_s(r);
    render(look, "stale_reads_over_time", title, !pts.is_empty(), |root| {
        let (lo, hi) = span(0.0, (hi * 1.15).clamp(0.01, 1.0));
        let mut chart = share_axes(root, r, title, (end, lo, hi), "stale / successful gets and rmw reads")?;
        draw_ratio_series(&mut chart, "stale reads", &pts, colour(1), (lo, hi), "stale")?;
        if pts.iter().any(RatioPoint::sparse) {
            sparse_legend(&mut chart)?;
        }
        legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn the_share_counts_stale_gets_and_rmw_reads_over_those_with_a_prior_write() {
        let r = testdata::sample_with_read_kinds();
        let pts = stale_per_window(&r);
        let counts: Vec<(f64, u64, u64)> = pts.iter().map(|p| (p.t, p.hits, p.n)).collect();
        assert_eq!(
            counts,
            [(0.5, 3, 11), (2.5, 3, 9)],
            "the headline's denominator; probes and all_reads are not counted; windows without reads are skipped"
        );
        let mut old = r.clone();
        old.windows.windows.iter_mut().flat_map(|w| w.ops.values_mut()).for_each(|o| o.reads_with_prior_write = None);
        let counts: Vec<u64> = stale_per_window(&old).iter().map(|p| p.n).collect();
        assert_eq!(counts, [14, 12], "an older report divides by every successful read");
        assert!(pts.iter().all(|p| p.low <= p.ratio && p.ratio <= p.high));
        let c = stale_reads_over_time(&r, &Look::default());
        assert!(c.svg.contains("Stale reads over time") && c.svg.contains("stale reads: Wilson 95% interval"));
        assert!(
            c.svg.contains("window of &lt; 20 ops") || c.svg.contains("window of < 20 ops"),
            "sparse windows are marked"
        );
    }
}
