//! Measured availability against the reachability oracle: per window, the share of reads and
//! writes that succeeded in the run (with Wilson intervals) beside the share of (client, key)
//! pairs that could have reached a strict read or write quorum (dashed), faults shaded. Where
//! the measured line sits above the dashed one, the run's sloppy quorum served requests that no
//! strict-quorum system could have.

use super::ratio::{RatioPoint, draw_ratio_series, share_axes, sparse_legend, success_per_window};
use super::{Chart, Look, colour, legend, ops_end_s, render, span};
use crate::run_report::RunReport;
use plotters::prelude::*;

/// The oracle's per-window strict shares as (midpoint, read, write).
fn strict(r: &RunReport) -> Vec<(f64, f64, f64)> {
    let half = r.windows.window_s / 2.0;
    r.reachability.windows.iter().map(|w| (w.start_s + half, w.strict.read, w.strict.write)).collect()
}

/// The chart `strict_quorum_reachability`.
pub fn strict_quorum_reachability(r: &RunReport, look: &Look) -> Chart {
    let title = "Measured availability vs. an ideal strict quorum";
    let (reads, writes, ideal) = (success_per_window(r, "all_reads"), success_per_window(r, "all_writes"), strict(r));
    let floor = (reads.iter().chain(&writes).filter(|p| !p.sparse()).map(|p| p.low))
        .chain(ideal.iter().flat_map(|&(_, a, b)| [a, b]))
        .fold(1.0, f64::min);
    let end = ops_end_s(r);
    let has_data = r.reachability.computed && !ideal.is_empty();
    render(look, "strict_quorum_reachability", title, has_data, |root| {
        let (lo, hi) = span((floor - 0.05).max(0.0), 1.0);
        let mut chart = share_axes(root, r, title, (end, lo, hi), "share")?;
        draw_ratio_series(&mut chart, "reads ok (measured)", &reads, colour(0), (lo, hi), "ok")?;
        draw_ratio_series(&mut chart, "writes ok (measured)", &writes, colour(1), (lo, hi), "ok")?;
        let q = &r.reachability;
        let same = ideal.iter().all(|&(_, a, b)| a == b);
        let lines = if same {
            vec![(format!("strict read and write quorums reachable (R={}, W={})", q.r, q.w), 0, colour(2))]
        } else {
            vec![
                (format!("strict read quorum reachable (R={})", q.r), 0, colour(0)),
                (format!("strict write quorum reachable (W={})", q.w), 1, colour(1)),
            ]
        };
        for (label, pick, c) in lines {
            let pts = ideal.iter().filter(|p| p.0 <= end).map(|&(t, a, b)| (t, if pick == 0 { a } else { b }));
            chart
                .draw_series(DashedLineSeries::new(pts, 6, 4, c.stroke_width(2)))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
        }
        if reads.iter().chain(&writes).any(RatioPoint::sparse) {
            sparse_legend(&mut chart)?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reachability::{ReachWindow, ReachabilitySection, ReadWrite};
    use crate::testdata;

    #[test]
    fn the_chart_draws_both_measured_shares_and_the_ideal_lines_once_each() {
        let mut r = testdata::sample_with_read_kinds();
        let half = ReadWrite { read: 0.5, write: 0.25 };
        let even = ReadWrite { read: 0.5, write: 0.5 };
        r.reachability = ReachabilitySection {
            computed: true,
            r: 2,
            w: 2,
            n: 3,
            windows: vec![ReachWindow { start_s: 0.0, samples: 4, strict: half }],
            ..ReachabilitySection::default()
        };
        assert_eq!(strict(&r), vec![(r.windows.window_s / 2.0, 0.5, 0.25)]);
        let c = strict_quorum_reachability(&r, &Look::default());
        for label in [
            "reads ok (measured)",
            "writes ok (measured)",
            "strict read quorum reachable (R=2)",
            "strict write quorum reachable (W=2)",
        ] {
            assert!(c.svg.contains(label), "legend names {label}");
        }
        r.reachability.windows[0].strict = even;
        let c = strict_quorum_reachability(&r, &Look::default());
        assert!(c.svg.contains("strict read and write quorums reachable (R=2, W=2)"), "equal lines are drawn once");
        assert!(!c.svg.contains("strict read quorum reachable"));
    }

    #[test]
    fn without_the_oracle_the_chart_says_no_data() {
        let mut r = testdata::sample_with_read_kinds();
        r.reachability = ReachabilitySection::default();
        assert!(strict_quorum_reachability(&r, &Look::default()).svg.contains("no data"));
    }
}
