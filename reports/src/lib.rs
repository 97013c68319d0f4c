//! reports: metric types and the run report (stable, versioned JSON).
//!
//! - [`latency`]: HDR latency histograms and their summaries.
//! - [`run_report`]: [`RunReport`], what `report.json` holds.
//! - [`metrics`]: its measurement sections (windows, divergence, staleness, visibility,
//!   durability, convergence, cost, load).
pub mod checks;
pub mod latency;
pub mod metrics;
pub mod run_report;

pub use checks::{Status, Verdict, Violation};
pub use latency::{LatencyHistogram, LatencySummary};
pub use run_report::{NodeSummary, OpSummary, RunReport, SCHEMA_VERSION};
