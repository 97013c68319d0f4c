//! reports: metric types, the run report (stable, versioned JSON), CSV, charts and HTML.
//!
//! - [`latency`]: HDR latency histograms and their summaries.
//! - [`run_report`]: [`RunReport`], what `report.json` holds.
//! - [`metrics`]: its measurement sections (windows, divergence, staleness, visibility,
//!   durability, convergence, cost, load).
//! - [`wars`]: the WARS predictor's section (prediction, comparison, assumptions).
//! - [`diagram`]: the message diagram of one key over a time window.
//! - [`csv`]: tidy `metrics.csv` and `timeseries.csv`; [`charts`]: SVG, PNG and PDF charts; [`html`]:
//!   the self-contained `report.html`.
pub mod charts;
pub mod checks;
pub mod csv;
pub mod diagram;
pub mod html;
pub mod interval;
pub mod latency;
pub mod metrics;
pub mod reachability;
pub mod run_report;
pub mod sweep;
#[cfg(test)]
mod testdata;
pub mod wars;

pub use checks::{Status, Verdict, Violation};
pub use diagram::{Arrow, Focus, Lifeline, MessageDiagram};
pub use latency::{LatencyHistogram, LatencySummary};
pub use run_report::{CounterSummary, FaultInterval, LatencyCdf, NodeSummary, OpSummary, RunReport, SCHEMA_VERSION};

/// The files derived from a report besides `report.json`, as (path relative to the output
/// directory, bytes), in a fixed order: `metrics.csv`, `timeseries.csv`, `visibility.csv` (only
/// when the report has a t-visibility grid), `charts/<name>.svg`, `.png` and `.pdf` for every
/// chart (the formats `look` asks for, drawn at its size and base font size), and
/// `report.html` (which inlines the charts as SVG and links their files).
pub fn derived_files(r: &RunReport, look: &charts::Look) -> Vec<(String, Vec<u8>)> {
    let charts = charts::all(r, look);
    let mut files = vec![
        ("metrics.csv".to_string(), csv::metrics_csv(r).into_bytes()),
        ("timeseries.csv".to_string(), csv::timeseries_csv(r).into_bytes()),
    ];
    if let Some(v) = csv::visibility_csv(r) {
        files.push(("visibility.csv".to_string(), v.into_bytes()));
    }
    for c in &charts {
        files.extend(c.files().into_iter().map(|(ext, bytes)| (format!("charts/{}.{ext}", c.name), bytes)));
    }
    files.push(("report.html".to_string(), html::report_html(r, &charts).into_bytes()));
    files
}

#[cfg(test)]
mod tests {
    #[test]
    fn derived_files_are_the_csvs_the_charts_and_the_page() {
        let r = crate::testdata::sample();
        let files = crate::derived_files(&r, &Default::default());
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[..2], ["metrics.csv", "timeseries.csv"]);
        assert_eq!(names.last(), Some(&"report.html"));
        // Ten charts and the message diagram, each as SVG and PNG.
        assert_eq!(names.iter().filter(|n| n.starts_with("charts/") && n.ends_with(".svg")).count(), 11);
        assert_eq!(names.iter().filter(|n| n.starts_with("charts/") && n.ends_with(".png")).count(), 11);
        assert_eq!(names.iter().filter(|n| n.ends_with(".pdf")).count(), 0, "no PDF unless asked");
        assert_eq!(files, crate::derived_files(&r, &Default::default()), "deterministic");
    }
}
