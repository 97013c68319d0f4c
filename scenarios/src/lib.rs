//! scenarios: scenario files, workloads, the runner and the CLI.
