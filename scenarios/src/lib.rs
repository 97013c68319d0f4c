//! scenarios: scenario files, workloads, the runner and the `dynsim` CLI.
//!
//! - [`spec`]: the file format; [`load`]: parsing with located errors ([`locate`], [`error`],
//!   [`strict`]); [`validate`]: semantic checks; [`checked`]: the one check every command goes
//!   through (rules, bounds, timeline, cost budget); [`limits`]: every documented limit, as
//!   the reference page's table.
//! - [`workload`]: arrival processes, key choosers, op mixes, workload and probe clients.
//! - [`assemble`]: scenario → world; [`run`]: running it; [`history`]: what clients saw;
//!   [`measure`]: the observer that measures and checks a run as it happens.
//! - [`wars`]: the WARS predictor beside the measurement, and PBS's latency presets.
//! - [`report`]: the run report, with the measurements of [`metrics`] and the message
//!   [`diagram`]; [`look`]: chart size, font and formats; [`library`]: the shipped scenarios.
//! - [`sweep`]: `dynsim sweep` and `dynsim merge`, grids of parameters × seeds.
//! - The command line's shared parts: [`seeds`] (seed sets), [`cli_args`] (argument checks),
//!   [`console`] (stdout that may be closed).
pub mod app;
pub mod assemble;
pub mod check;
pub mod checked;
pub mod cli_args;
pub mod console;
pub mod diagram;
pub mod docs;
pub mod error;
pub mod history;
pub mod library;
pub mod limits;
pub mod load;
pub mod locate;
pub mod look;
pub mod measure;
pub mod metrics;
#[cfg(feature = "oracle")]
pub mod oracle;
pub mod progress;
pub mod report;
pub mod run;
pub mod seeds;
pub mod spec;
pub mod strict;
pub mod summary;
pub mod sweep;
pub mod validate;
pub mod wars;
pub mod workload;
