//! reports: metric types, the run report, CSV, charts and the HTML report.
