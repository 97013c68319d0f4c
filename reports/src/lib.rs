//! reports: metric types, the run report (stable, versioned JSON), CSV, charts and HTML.
//!
//! - [`latency`]: HDR latency histograms and their summaries.
//! - [`run_report`]: [`RunReport`], what `report.json` holds.
//! - [`metrics`]: its measurement sections (windows, divergence, staleness, visibility,
//!   durability, convergence, cost, load).
//! - [`csv`]: tidy `metrics.csv` and `timeseries.csv`; [`charts`]: SVG charts; [`html`]: the
//!   self-contained `report.html`.
pub mod charts;
pub mod checks;
pub mod csv;
pub mod html;
pub mod latency;
pub mod metrics;
pub mod run_report;
#[cfg(test)]
mod testdata;

pub use checks::{Status, Verdict, Violation};
pub use latency::{LatencyHistogram, LatencySummary};
pub use run_report::{FaultInterval, LatencyCdf, NodeSummary, OpSummary, RunReport, SCHEMA_VERSION};

/// The files derived from a report besides `report.json`, as (path relative to the output
/// directory, contents), in a fixed order: `metrics.csv`, `timeseries.csv`, `charts/<name>.svg`
/// for every chart, and `report.html` (which inlines the charts).
pub fn derived_files(r: &RunReport) -> Vec<(String, String)> {
    let charts = charts::all(r);
    let mut files =
        vec![("metrics.csv".to_string(), csv::metrics_csv(r)), ("timeseries.csv".to_string(), csv::timeseries_csv(r))];
    files.extend(charts.iter().map(|c| (format!("charts/{}.svg", c.name), c.svg.clone())));
    files.push(("report.html".to_string(), html::report_html(r, &charts)));
    files
}

#[cfg(test)]
mod tests {
    #[test]
    fn derived_files_are_the_csvs_the_charts_and_the_page() {
        let r = crate::testdata::sample();
        let files = crate::derived_files(&r);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[..2], ["metrics.csv", "timeseries.csv"]);
        assert_eq!(names.last(), Some(&"report.html"));
        assert_eq!(names.iter().filter(|n| n.starts_with("charts/") && n.ends_with(".svg")).count(), 8);
        assert_eq!(files, crate::derived_files(&r), "deterministic");
    }
}
