//! The `dynsim sweep` and `dynsim merge` commands: arguments, where the grid and seeds come
//! from (the command line, else the scenario's `sweep` block), and what they print.

use super::SweepError;
use super::exec::{self, Options};
use super::grid::{Grid, GridError, parse_seeds};
use super::plan::{Plan, Shard};
use crate::error::SpecError;
use crate::outln;
use crate::spec::Scenario;
use std::path::{Path, PathBuf};

/// The arguments of `dynsim sweep`.
#[derive(clap::Args, Debug, Clone)]
pub struct SweepArgs {
    /// Scenario file or shipped scenario name.
    pub scenario: String,
    /// The grid, e.g. 'N=3; R=1..3; W=1..3' (default: the scenario's sweep.grid). Any other
    /// axis is a JSON path into the scenario, e.g. chaos.crashes.mttf_s.exponential.mean=30,60.
    #[arg(long)]
    pub grid: Option<String>,
    /// Seeds for every combination: an inclusive range A..B (the same as A..=B), a list a,b,c,
    /// or one number; at most 1,000,000 (default: the scenario's sweep.seeds, else 1..10).
    #[arg(long)]
    pub seeds: Option<String>,
    /// Output directory (default: the scenario's outputs.dir, else `out`, plus `/sweep`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only shard k of m (1-based): the runs whose index is k−1 modulo m. Writes only
    /// its results file; `dynsim merge` combines the shards.
    #[arg(long)]
    pub shard: Option<String>,
    /// Worker threads, 1 to 1024 (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long, value_parser = crate::cli_args::parse_jobs)]
    pub jobs: Option<usize>,
    /// The cost budget every combination is checked under.
    #[command(flatten)]
    pub budget: crate::cli_args::BudgetArgs,
    /// Chart size, font and formats.
    #[command(flatten)]
    pub charts: crate::look::ChartArgs,
}

/// A sweep that cannot be planned: a problem in the scenario file's `sweep` block (to be
/// located in the file), or in the arguments.
#[derive(Debug)]
pub enum PlanError {
    /// In the file, at a JSON path (`sweep.grid`, `sweep.seeds`).
    InFile(SpecError),
    /// In the arguments.
    Arg(SweepError),
}

/// Where a grid or seed list came from.
enum Origin {
    Arg(&'static str),
    File(&'static str),
}

impl Origin {
    fn error(&self, source: GridError) -> PlanError {
        match self {
            Origin::Arg(flag) => PlanError::Arg(SweepError::Grid { origin: flag.to_string(), source }),
            Origin::File(path) => PlanError::InFile(SpecError::new(*path, source.to_string(), source.fix)),
        }
    }
}

/// Plans the sweep the arguments describe, checking grid, seeds, shard and every combination
/// before anything is written.
pub fn plan(s: &Scenario, args: &SweepArgs) -> Result<Plan, PlanError> {
    let from_file = s.sweep.as_ref();
    let (grid_text, grid_origin) = match (&args.grid, from_file) {
        (Some(g), _) => (g.clone(), Origin::Arg("--grid")),
        (None, Some(sw)) => (sw.grid.clone(), Origin::File("sweep.grid")),
        (None, None) => {
            let source = GridError {
                axis: "grid".into(),
                message: "no grid given".into(),
                fix: "give --grid 'N=3; R=1..3; W=1..3', or add a \"sweep\": {\"grid\": ...} block to the scenario"
                    .into(),
            };
            return Err(Origin::Arg("--grid").error(source));
        }
    };
    let (seed_text, seed_origin) = match (&args.seeds, from_file) {
        (Some(x), _) => (x.clone(), Origin::Arg("--seeds")),
        (None, Some(sw)) => (sw.seeds.clone(), Origin::File("sweep.seeds")),
        (None, None) => ("1..10".to_string(), Origin::Arg("--seeds")),
    };
    let grid = Grid::parse(&grid_text).map_err(|e| grid_origin.error(e))?;
    let seeds = parse_seeds(&seed_text).map_err(|e| seed_origin.error(e))?;
    shard(args)?;
    Plan::new(s, &grid, seeds, &args.budget.budget()).map_err(|e| grid_origin.error(e))
}

fn shard(args: &SweepArgs) -> Result<Shard, PlanError> {
    args.shard.as_deref().map_or(Ok(Shard::ALL), |t| Shard::parse(t).map_err(|e| Origin::Arg("--shard").error(e)))
}

/// The output directory: `--out`, else the scenario's `outputs.dir` (else `out`) plus `/sweep`.
pub fn out_dir(s: &Scenario, args: &SweepArgs) -> PathBuf {
    args.out.clone().unwrap_or_else(|| Path::new(s.outputs.dir.as_deref().unwrap_or("out")).join("sweep"))
}

/// Runs a planned sweep, drawing its charts in `look`, and prints what it did.
pub fn sweep(s: &Scenario, plan: &Plan, args: &SweepArgs, look: &reports::charts::Look) -> Result<(), SweepError> {
    let shard = shard(args).map_err(|e| match e {
        PlanError::Arg(e) => e,
        PlanError::InFile(p) => SweepError::Merge { message: p.to_string(), fix: p.fix },
    })?;
    let out = out_dir(s, args);
    let l = &plan.layout;
    let skipped = l.combos.iter().filter(|c| c.skipped.is_some()).count();
    outln!(
        "sweep of {}: {} combinations ({skipped} skipped) × {} seeds = {} runs; shard {}/{}",
        l.scenario,
        l.combos.len(),
        l.seeds.len(),
        plan.runs(),
        shard.k,
        shard.m
    )?;
    for c in l.combos.iter().filter(|c| c.skipped.is_some()) {
        outln!("  skipped {}: {}", c.label(&l.axes), c.skipped.as_deref().unwrap_or_default())?;
    }
    let outcome = exec::sweep(plan, &Options { out, shard, jobs: args.jobs, progress: true, look: *look })?;
    outln!(
        "ran {} runs ({} were already in the results file; this shard owns {})",
        outcome.ran,
        outcome.resumed,
        outcome.owned
    )?;
    outln!("results: {}", outcome.results.display())?;
    match outcome.written.first() {
        Some(first) => outln!("wrote {} and {} more files", first.display(), outcome.written.len() - 1)?,
        None => {
            outln!("a shard writes only its results file: combine the shards with `dynsim merge OUT_DIR FILES...`")?
        }
    }
    Ok(())
}

/// `dynsim merge`: combines shard results files into the whole sweep's outputs.
pub fn merge(out: &Path, inputs: &[PathBuf], look: &reports::charts::Look) -> Result<(), SweepError> {
    let m = exec::merge(inputs, out, look)?;
    outln!("merged {} runs from {} files", m.runs, m.files.len())?;
    match m.written.first() {
        Some(first) => outln!("wrote {} and {} more files", first.display(), m.written.len() - 1)?,
        None => outln!("wrote nothing")?,
    }
    Ok(())
}
