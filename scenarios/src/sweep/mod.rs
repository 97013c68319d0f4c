//! `dynsim sweep` and `dynsim merge`: a scenario over a grid of parameters × seeds, run in
//! parallel on local cores or split into shards across machines, aggregated into
//! `summary.csv`, `skipped.csv`, charts and `sweep.html` (drawn by `reports::sweep`).
//!
//! - [`grid`]: the grid and seed syntax, axis paths into the scenario.
//! - [`plan`]: combinations applied to the scenario, skip reasons, run numbering, shards, the
//!   fingerprint.
//! - [`store`]: the resumable JSONL results file.
//! - [`cli`]: the commands' arguments and output.
//! - [`exec`]: running the runs (rayon), resuming, merging shard files, writing the outputs.

pub mod cli;
pub mod exec;
pub mod grid;
pub mod plan;
pub mod store;

use std::path::PathBuf;

/// Why a sweep or a merge could not be done.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The grid, the seeds or the shard are malformed or do not fit the scenario.
    #[error("{origin}: {source}\n  fix: {}", source.fix)]
    Grid {
        /// Where the grid came from (`--grid`, `--seeds`, `--shard`, or `sweep.grid in FILE`).
        origin: String,
        /// The problem.
        source: grid::GridError,
    },
    /// The output directory holds results of another sweep.
    #[error(
        "{}: holds results of a different sweep (fingerprint {found}, this sweep is {expected}: another scenario, grid, seed list or dynsim version)\n  fix: {fix}",
        file.display()
    )]
    Mismatch {
        /// The results file.
        file: PathBuf,
        /// Its fingerprint.
        found: String,
        /// The expected one.
        expected: String,
        /// How to fix it.
        fix: String,
    },
    /// Shard files that do not add up to a whole sweep.
    #[error("{message}\n  fix: {fix}")]
    Merge {
        /// What is wrong.
        message: String,
        /// How to fix it.
        fix: String,
    },
    /// A results file could not be read or written.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// An output file could not be written.
    #[error("writing {}: {source}", file.display())]
    Write {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The command's output could not be printed (or the reader closed stdout).
    #[error(transparent)]
    Stdout(#[from] crate::console::PrintError),
    /// A run failed after its combination passed the validator (a bug).
    #[error("run {run} (seed {seed}) failed: {source}")]
    Run {
        /// The run index.
        run: u64,
        /// Its seed.
        seed: u64,
        /// The problem.
        source: crate::error::SpecError,
    },
}

impl SweepError {
    /// Whether the error is bad input (exit code 2) rather than a failure to run or write.
    pub fn is_input(&self) -> bool {
        match self {
            SweepError::Grid { .. } | SweepError::Mismatch { .. } | SweepError::Merge { .. } => true,
            SweepError::Store(e) => matches!(e, store::StoreError::Damaged { .. }),
            SweepError::Write { .. } | SweepError::Run { .. } | SweepError::Stdout(_) => false,
        }
    }
}
