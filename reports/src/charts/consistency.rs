//! Consistency charts: versions returned per read (§6.3), the fraction of keys whose replicas
//! disagree over time, and t-visibility with its Wilson band (on log bins, or on the scenario's
//! grid with its target probabilities and, when the report has one, the WARS prediction).

use super::canvas::FONT;
use super::{Chart, DrawResult, Look, bars, colour, end_s, legend, mesh, render, shade_faults, text_room, tick};
use crate::metrics::VisibilityGrid;
use crate::run_report::RunReport;
use crate::wars::WarsSection;
use plotters::prelude::*;

/// Versions returned per successful read, as shares of reads per bucket, one bar group per
/// bucket and one bar per read kind.
pub fn versions_per_read(r: &RunReport, look: &Look) -> Chart {
    let title = "Versions returned per read";
    let kinds: Vec<(&String, &crate::metrics::Buckets)> =
        r.divergence.reads.iter().map(|(k, s)| (k, &s.versions)).filter(|(_, b)| b.total > 0).collect();
    let mut buckets: Vec<&String> = Vec::new();
    for (_, b) in &kinds {
        for k in b.shares.keys() {
            if !buckets.contains(&k) {
                buckets.push(k);
            }
        }
    }
    let cats: Vec<String> = buckets.iter().map(|b| b.to_string()).collect();
    let series: Vec<(String, Vec<f64>)> = kinds
        .iter()
        .map(|(k, b)| (k.to_string(), buckets.iter().map(|x| b.shares.get(*x).copied().unwrap_or(0.0)).collect()))
        .collect();
    render(look, "versions_per_read", title, !series.is_empty(), |root| {
        bars(root, title, "distinct versions returned", "share of successful reads", &cats, &series, false)
    })
}

/// Fraction of known keys whose live replicas disagree, per sample, faults shaded.
pub fn divergence_over_time(r: &RunReport, look: &Look) -> Chart {
    let title = "Divergent replicas over time";
    let pts: Vec<(f64, f64)> = r.divergence.over_time.iter().map(|s| (s.t_s, s.fraction)).collect();
    let hi = pts.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(0.01) * 1.15;
    let end = end_s(r);
    render(look, "divergence_over_time", title, !pts.is_empty(), |root| -> DrawResult {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(text_room(root, 40))
            .y_label_area_size(text_room(root, 56))
            .build_cartesian_2d(0.0..end, 0.0..hi)?;
        let every = r.divergence.sample_interval_s.map(|s| format!(", sampled every {s} s")).unwrap_or_default();
        mesh(&mut chart)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .x_desc(format!("simulated time (s{every})"))
            .y_desc("fraction of keys divergent")
            .draw()?;
        shade_faults(&mut chart, &r.faults, end, 0.0, hi)?;
        let c = colour(0);
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
            .label("keys whose live replicas disagree")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c.stroke_width(2)));
        chart.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.85)).draw()?;
        Ok(())
    })
}

/// t-visibility: P(consistent | t since commit) per bin, for probes and ordinary reads, with the
/// Wilson 95% interval as a band, on a log-scaled t axis. A bin is drawn at the geometric
/// midpoint of its edges (a bin from 0 at half its upper edge, the open last bin at 1.5 × its
/// lower edge).
pub fn visibility(r: &RunReport, look: &Look) -> Chart {
    if let Some(g) = &r.visibility.grid {
        return visibility_on_grid(g, r.visibility.confidence, r.wars.as_ref(), look);
    }
    let title = "t-visibility: P(consistent read | t since commit)";
    let curves: Vec<(&str, Vec<BandPoint>)> =
        [("probes", &r.visibility.probes), ("ordinary reads", &r.visibility.reads)]
            .into_iter()
            .map(|(name, c)| {
                let pts = c
                    .bins
                    .iter()
                    .map(|b| (bin_x(b.from_ms, b.to_ms), b.p, b.ci_low, b.ci_high))
                    .filter(|p| p.0 > 0.0 && p.0.is_finite())
                    .collect::<Vec<_>>();
                (name, pts)
            })
            .filter(|(_, p)| !p.is_empty())
            .collect();
    let xs = curves.iter().flat_map(|(_, p)| p.iter().map(|x| x.0));
    let (xmin, xmax) = xs.fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let lo = curves.iter().flat_map(|(_, p)| p.iter().map(|x| x.2)).fold(1.0_f64, f64::min);
    let conf = r.visibility.confidence;
    render(look, "t_visibility", title, !curves.is_empty(), |root| -> DrawResult {
        let lo = (lo - 0.05).clamp(0.0, 0.95);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(text_room(root, 40))
            .y_label_area_size(text_room(root, 56))
            .build_cartesian_2d((xmin * 0.7..xmax * 1.4).log_scale(), lo..1.02)?;
        mesh(&mut chart)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .x_desc("t since the write committed (ms, log scale)")
            .y_desc("P(consistent)")
            .draw()?;
        draw_curves(&mut chart, &curves, conf)?;
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    })
}

/// t-visibility on the scenario's grid: each curve's points with reads, with the Wilson band,
/// on a linear t axis, a dashed line at each target probability, and the WARS prediction (when
/// the report has one) as a black line over them, labelled with whether its assumptions hold.
fn visibility_on_grid(g: &VisibilityGrid, conf: f64, wars: Option<&WarsSection>, look: &Look) -> Chart {
    let title = "t-visibility: P(consistent read | t since commit)";
    let curves: Vec<(&str, Vec<BandPoint>)> = [("probes", &g.probes), ("ordinary reads", &g.reads)]
        .into_iter()
        .map(|(name, c)| (name, c.points.iter().map(|p| (p.t_ms, p.p, p.ci_low, p.ci_high)).collect::<Vec<_>>()))
        .filter(|(_, p)| !p.is_empty())
        .collect();
    let predicted: Vec<(f64, f64)> =
        wars.map(|w| w.predicted.grid.iter().map(|p| (p.t_ms, p.p)).collect()).unwrap_or_default();
    let lo = curves.iter().flat_map(|(_, p)| p.iter().map(|x| x.2)).chain(predicted.iter().map(|p| p.1));
    let lo = lo.fold(1.0_f64, f64::min);
    let (xmin, xmax) = (g.from_ms, (g.to_ms + g.step_ms).max(g.from_ms + g.step_ms));
    render(look, "t_visibility", title, !curves.is_empty(), |root| -> DrawResult {
        let lo = (lo - 0.05).clamp(0.0, 0.95);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(text_room(root, 40))
            .y_label_area_size(text_room(root, 56))
            .build_cartesian_2d(xmin..xmax, lo..1.02)?;
        mesh(&mut chart).x_desc("t since the write committed (ms)").y_desc("P(consistent)").draw()?;
        for &target in g.targets.iter().filter(|t| **t >= lo) {
            let line = DashedLineSeries::new([(xmin, target), (xmax, target)], 6, 4, BLACK.mix(0.5).stroke_width(1));
            chart.draw_series(line)?;
        }
        draw_curves(&mut chart, &curves, conf)?;
        if let Some(w) = wars.filter(|_| !predicted.is_empty()) {
            let label = if w.applies { "WARS prediction" } else { "WARS prediction (assumptions broken)" };
            chart
                .draw_series(LineSeries::new(predicted.iter().copied(), BLACK.stroke_width(2)))?
                .label(label)
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    })
}

/// Each t-visibility curve as its Wilson band and its P(consistent) line, on either t axis.
fn draw_curves<DB: DrawingBackend, X: plotters::coord::ranged1d::Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    curves: &[(&str, Vec<BandPoint>)],
    conf: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    for (i, (name, pts)) in curves.iter().enumerate() {
        let c = colour(i);
        let band: Vec<(f64, f64)> =
            pts.iter().map(|p| (p.0, p.3)).chain(pts.iter().rev().map(|p| (p.0, p.2))).collect();
        chart
            .draw_series(std::iter::once(Polygon::new(band, c.mix(0.2).filled())))?
            .label(format!("{name}: Wilson {:.0}% interval", conf * 100.0))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.mix(0.2).filled()));
        chart
            .draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), c.stroke_width(2)))?
            .label(format!("{name}: P(consistent)"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c.stroke_width(2)));
    }
    Ok(())
}

/// Where a t bin is drawn on the log axis.
fn bin_x(from_ms: f64, to_ms: Option<f64>) -> f64 {
    match to_ms {
        Some(t) if from_ms > 0.0 => (from_ms * t).sqrt(),
        Some(t) => t / 2.0,
        None => from_ms * 1.5,
    }
}

/// A point of a t-visibility curve: (t, p, Wilson low, Wilson high).
type BandPoint = (f64, f64, f64, f64);
