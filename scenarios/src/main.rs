//! `dynsim`: run, validate and replay Dynamo scenarios; print the schema; list the library.
//!
//! Exit codes: 0 success, also when the reader closes stdout early (`dynsim list | head -1`
//! ends quietly); 2 bad input, found before anything runs or is written: a scenario error
//! (file, line, column and JSON path), or a bad argument (the flag, its value and the fix;
//! checked by clap and [`scenarios::cli_args`]); 1 anything else (a seed broke an invariant
//! under `check`, even if stdout was closed; an output file could not be written).

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use scenarios::checked::Budget;
use scenarios::cli_args::{self, ArgError, BudgetArgs, DiagramArgs};
use scenarios::console::{self, PrintError};
use scenarios::error::ScenarioError;
use scenarios::look::ChartArgs;
use scenarios::outln;
use scenarios::seeds::SeedSet;
use scenarios::spec::Scenario;
use scenarios::{library, load, report, run};
use sim_core::trace::{JsonlTrace, TraceFilter};
use sim_core::{ProcId, SimDuration, SimTime};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "dynsim", version, about = "Deterministic simulation testbed for Dynamo-style key-value stores")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (a file, or a shipped name; the embedded default when omitted).
    Run {
        /// Scenario file or shipped scenario name.
        scenario: Option<String>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Output directory, created if missing (default: the scenario's outputs.dir, else
        /// `out`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the report JSON to stdout instead of the summary.
        #[arg(long)]
        json: bool,
        /// Also write every operation as one JSON line to this file (in an existing
        /// directory), in completion order (the report itself keeps no per-operation history).
        #[arg(long)]
        history: Option<PathBuf>,
        /// Also write every staleness probe's read as one JSON line to this file (in an
        /// existing directory): the write's commit time, the read's start, t, fresh or stale
        /// and k, and which replicas answered with what each held.
        #[arg(long)]
        probes: Option<PathBuf>,
        #[command(flatten)]
        diagram: DiagramArgs,
        #[command(flatten)]
        charts: ChartArgs,
        #[command(flatten)]
        budget: BudgetArgs,
    },
    /// Run many seeds in parallel and check every invariant; exit 1 if any seed fails.
    Check {
        /// Scenario file or shipped scenario name.
        scenario: String,
        /// Seeds: an inclusive range A..B (the same as A..=B), a list a,b,c, or one number; at
        /// most 1,000,000.
        #[arg(long, default_value = "1..10", value_parser = scenarios::seeds::parse_arg)]
        seeds: SeedSet,
        /// Shrink the first failing seed's scenario by delta debugging and write it out.
        #[arg(long)]
        shrink: bool,
        /// Where to write the shrunk scenario, in an existing directory (default
        /// `shrunk-seed<S>.json`).
        #[arg(long, requires = "shrink")]
        shrink_out: Option<PathBuf>,
        /// Also write JUnit XML to this file (in an existing directory): one test case per seed
        /// and check, a failure's message ending with its replay command. Written whole once
        /// every seed has run; never on bad input.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        #[command(flatten)]
        budget: BudgetArgs,
    },
    /// Run a scenario over a grid of parameters × seeds, in parallel; resumable; shardable.
    Sweep(scenarios::sweep::cli::SweepArgs),
    /// Combine the results files of a sharded sweep into the whole sweep's outputs.
    Merge {
        /// Where to write summary.csv, skipped.csv, charts/ and sweep.html (a directory,
        /// created if missing).
        out: PathBuf,
        /// Shard results files (runs-shard-K-of-M.jsonl), or directories holding them.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[command(flatten)]
        charts: ChartArgs,
    },
    /// Check a scenario without running it.
    Validate {
        /// Scenario file or shipped scenario name.
        scenario: String,
        #[command(flatten)]
        budget: BudgetArgs,
    },
    /// Print the scenario JSON Schema.
    Schema {
        /// Print the Markdown reference page instead (docs/scenario-reference.md).
        #[arg(long)]
        markdown: bool,
    },
    /// List the shipped scenarios.
    List,
    /// Re-run a scenario and write its event trace as JSON lines.
    Replay {
        /// Scenario file or shipped scenario name.
        scenario: String,
        /// The seed to replay.
        #[arg(long)]
        seed: u64,
        /// Where to write the trace (JSON lines), in an existing directory.
        #[arg(long)]
        trace: PathBuf,
        #[command(flatten)]
        filter: ReplayFilter,
        #[command(flatten)]
        budget: BudgetArgs,
    },
}

/// `dynsim replay`'s filters.
#[derive(clap::Args)]
struct ReplayFilter {
    /// Keep only events about this key.
    #[arg(long)]
    key: Option<u64>,
    /// Keep only events about these processes (repeatable): storage nodes first, then clients.
    #[arg(long = "node")]
    nodes: Vec<u32>,
    /// Keep only events at or after this time, in seconds (>= 0).
    #[arg(long, value_parser = cli_args::parse_time_s)]
    from_s: Option<f64>,
    /// Keep only events at or before this time, in seconds (not before --from-s).
    #[arg(long, value_parser = cli_args::parse_time_s)]
    until_s: Option<f64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_run = Command::Run {
        scenario: None,
        seed: None,
        out: None,
        json: false,
        history: None,
        probes: None,
        diagram: DiagramArgs::default(),
        charts: ChartArgs::default(),
        budget: BudgetArgs::default(),
    };
    let result = match cli.command.unwrap_or(default_run) {
        Command::Run { scenario, seed, out, json, history, probes, diagram, charts, budget } => cmd_run(
            scenario.as_deref(),
            seed,
            RunOutputs { out, json, history, probes, charts },
            &diagram,
            &budget.budget(),
        ),
        Command::Validate { scenario, budget } => cmd_validate(&scenario, &budget.budget()),
        Command::Check { scenario, seeds, shrink, shrink_out, junit, budget } => {
            let outputs = CheckOutputs { shrink: Shrink { on: shrink, out: shrink_out }, junit };
            cmd_check(&scenario, &seeds, outputs, &budget.budget())
        }
        Command::Sweep(args) => cmd_sweep(&args),
        Command::Merge { out, inputs, charts } => cmd_merge(&out, &inputs, &charts),
        Command::Schema { markdown } => cmd_schema(markdown),
        Command::List => cmd_list(),
        Command::Replay { scenario, seed, trace, filter, budget } => {
            cmd_replay(&scenario, seed, &trace, &filter, &budget.budget())
        }
    };
    match result {
        Ok(()) | Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Arg(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Usage(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
        Err(Failure::Checks(n)) => {
            eprintln!("{n} seed(s) broke an invariant");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    /// A scenario that cannot be loaded or run, located in its file.
    Input(ScenarioError),
    /// A bad command-line argument.
    Arg(ArgError),
    /// Bad input other than a scenario file or an argument (a sweep's grid, shard files).
    Usage(String),
    /// Anything else: a failed write, a bug.
    Other(anyhow::Error),
    /// Some seeds broke an invariant (already printed).
    Checks(usize),
    /// The reader closed stdout: stop quietly.
    Closed,
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Self {
        Failure::Input(e)
    }
}

impl From<ArgError> for Failure {
    fn from(e: ArgError) -> Self {
        Failure::Arg(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<PrintError> for Failure {
    fn from(e: PrintError) -> Self {
        match e {
            PrintError::Closed => Failure::Closed,
            PrintError::Failed(e) => Failure::Other(anyhow::Error::new(e).context("writing to standard output")),
        }
    }
}

impl From<scenarios::sweep::SweepError> for Failure {
    fn from(e: scenarios::sweep::SweepError) -> Self {
        match e {
            scenarios::sweep::SweepError::Stdout(p) => p.into(),
            // The message already holds its cause: `{:#}` would repeat it.
            e if e.is_input() => Failure::Usage(e.to_string()),
            e => Failure::Other(anyhow::Error::msg(e.to_string())),
        }
    }
}

/// A loaded scenario and how to name it in a replay command.
struct Loaded {
    scenario: scenarios::checked::CheckedScenario,
    text: String,
    file: PathBuf,
    source: String,
}

/// Loads a scenario from a file path, or a shipped name when no such file exists, and checks
/// it under `budget`.
fn load_scenario(arg: Option<&str>, budget: &Budget) -> Result<Loaded, ScenarioError> {
    let arg = arg.unwrap_or("default");
    let path = Path::new(arg);
    let (text, file) = match (path.exists(), library::find(arg)) {
        (false, Some(text)) => (text.to_string(), PathBuf::from(format!("<shipped scenario {arg}>"))),
        _ => (load::read_source(path)?, path.to_path_buf()),
    };
    let scenario = load::load_str_with(&text, &file, budget)?;
    Ok(Loaded { scenario, text, file, source: arg.to_string() })
}

/// Checks an output directory that came from a flag or, when the flag is absent, from the
/// scenario's `outputs.dir` or the default `default`.
fn check_out_dir(flag: &str, given: Option<&Path>, from_file: Option<&Path>, default: &Path) -> Result<(), ArgError> {
    let (path, value) = match (given, from_file) {
        (Some(p), _) => (p, p.display().to_string()),
        (None, Some(p)) => (p, format!("{} (the scenario's outputs.dir)", p.display())),
        (None, None) => (default, format!("{} (the default)", default.display())),
    };
    cli_args::output_dir(flag, &value, path)
}

fn cmd_sweep(args: &scenarios::sweep::cli::SweepArgs) -> Result<(), Failure> {
    let l = load_scenario(Some(&args.scenario), &args.budget.budget())?;
    let out = scenarios::sweep::cli::out_dir(&l.scenario, args);
    let from_file = l.scenario.outputs.dir.as_ref().map(|d| Path::new(d).join("sweep"));
    check_out_dir("--out", args.out.as_deref(), from_file.as_deref(), &out)?;
    let look = args.charts.apply(&l.scenario.outputs.charts)?.look();
    let plan = scenarios::sweep::cli::plan(&l.scenario, args).map_err(|e| match e {
        scenarios::sweep::cli::PlanError::InFile(p) => Failure::Input(load::locate_problem(&l.text, &l.file, p)),
        scenarios::sweep::cli::PlanError::Arg(e) => Failure::from(e),
    })?;
    scenarios::sweep::cli::sweep(&l.scenario, &plan, args, &look)?;
    Ok(())
}

fn cmd_merge(out: &Path, inputs: &[PathBuf], charts: &ChartArgs) -> Result<(), Failure> {
    let look = charts.apply(&Default::default())?.look();
    cli_args::output_dir("OUT", &out.display().to_string(), out)?;
    scenarios::sweep::cli::merge(out, inputs, &look)?;
    Ok(())
}

fn run_loaded(l: &Loaded, opts: run::RunOptions) -> Result<run::RunOutcome, ScenarioError> {
    run::run(&l.scenario, opts).map_err(|p| load::locate_problem(&l.text, &l.file, p))
}

/// Where `dynsim run` writes, besides the report directory's files.
struct RunOutputs {
    out: Option<PathBuf>,
    json: bool,
    history: Option<PathBuf>,
    charts: ChartArgs,
    probes: Option<PathBuf>,
}

fn cmd_run(
    arg: Option<&str>,
    seed: Option<u64>,
    o: RunOutputs,
    diagram: &DiagramArgs,
    budget: &Budget,
) -> Result<(), Failure> {
    diagram.check()?;
    if let Some(out) = &o.out {
        cli_args::output_dir("--out", &out.display().to_string(), out)?;
    }
    if let Some(h) = &o.history {
        cli_args::output_file("--history", h)?;
    }
    if let Some(p) = &o.probes {
        cli_args::output_file("--probes", p)?;
    }
    let mut l = load_scenario(arg, budget)?;
    diagram.check_with(&l.scenario.outputs.diagram, cli_args::run_end_s(&l.scenario))?;
    let from_file = l.scenario.outputs.dir.as_ref().map(PathBuf::from);
    let dir = o.out.clone().or_else(|| from_file.clone()).unwrap_or_else(|| PathBuf::from("out"));
    check_out_dir("--out", o.out.as_deref(), from_file.as_deref(), &dir)?;
    let mut scenario = l.scenario.scenario().clone();
    scenario.outputs.charts = o.charts.apply(&scenario.outputs.charts)?;
    let flags = diagram.apply(&mut scenario.outputs.diagram);
    if !flags.is_empty() || scenario.outputs.charts != l.scenario.outputs.charts {
        // The flags changed the scenario: check the changed copy (without flags, nothing to redo).
        l.scenario =
            scenarios::checked::check(scenario, budget).map_err(|p| load::locate_problem(&l.text, &l.file, p))?;
    }
    let progress = !o.json;
    let history_tmp = o.history.as_deref().map(temp_path);
    let history = match &history_tmp {
        Some(tmp) => {
            let f = std::fs::File::create(tmp).with_context(|| format!("creating {}", tmp.display()))?;
            Some(scenarios::measure::HistorySink::File(Box::new(std::io::BufWriter::new(f))))
        }
        None => None,
    };
    let probes_tmp = o.probes.as_deref().map(temp_path);
    let probes = match &probes_tmp {
        Some(tmp) => {
            let f = std::fs::File::create(tmp).with_context(|| format!("creating {}", tmp.display()))?;
            Some(Box::new(std::io::BufWriter::new(f)) as Box<dyn std::io::Write>)
        }
        None => None,
    };
    let temps = [&history_tmp, &probes_tmp];
    let outcome = run_loaded(&l, run::RunOptions { seed, progress, history, probes, ..Default::default() })
        .inspect_err(|_| {
            temps.iter().filter_map(|t| t.as_ref()).for_each(|tmp| {
                let _ = std::fs::remove_file(tmp);
            });
        })?;
    let m = outcome.measured();
    let streamed = [(&history_tmp, &o.history, &m.history_error), (&probes_tmp, &o.probes, &m.probes_error)];
    // Either file failed: neither is kept (no partial output).
    if let Some((Some(tmp), _, Some(e))) = streamed.iter().find(|(t, _, e)| t.is_some() && e.is_some()) {
        temps.iter().filter_map(|t| t.as_ref()).for_each(|t| {
            let _ = std::fs::remove_file(t);
        });
        return Err(anyhow::anyhow!("writing {}: {e}", tmp.display()).into());
    }
    for (tmp, path, _) in streamed {
        if let (Some(tmp), Some(path)) = (tmp, path) {
            rename(tmp, path)?;
        }
    }
    let mut rep =
        report::build_with_diagram(&l.scenario, &l.source, &outcome).map_err(|p| match diagram.blame(&p) {
            Some(flag) => Failure::Arg(flag),
            None => Failure::Input(load::locate_problem(&l.text, &l.file, p)),
        })?;
    rep.replay.push_str(&flags);
    write_atomic(&dir.join("report.json"), rep.to_json().as_bytes())?;
    let look = l.scenario.outputs.charts.look();
    for (name, bytes) in reports::derived_files(&rep, &look) {
        write_atomic(&dir.join(name), &bytes)?;
    }
    if o.json {
        console::print(format_args!("{}", rep.to_json()))?;
    } else {
        console::print(format_args!("{}", scenarios::summary::render(&rep, outcome.wall_s, &dir, &look.formats)))?;
    }
    // The process exits next, and every output is written and closed: freeing a world of a
    // million keys one record at a time would only add seconds to the wall time.
    std::mem::forget(outcome);
    Ok(())
}

fn cmd_validate(arg: &str, budget: &Budget) -> Result<(), Failure> {
    let l = load_scenario(Some(arg), budget)?;
    outln!("{}: ok", l.file.display())?;
    Ok(())
}

/// Seeds checked per batch: results are kept only for failing seeds, so memory does not grow
/// with the number of seeds.
const CHECK_BATCH: usize = 1024;

/// `dynsim check --shrink [--shrink-out PATH]`.
struct Shrink {
    on: bool,
    out: Option<PathBuf>,
}

/// What `dynsim check` writes besides stdout.
struct CheckOutputs {
    shrink: Shrink,
    /// `--junit FILE`.
    junit: Option<PathBuf>,
}

fn cmd_check(arg: &str, seeds: &SeedSet, outputs: CheckOutputs, budget: &Budget) -> Result<(), Failure> {
    let CheckOutputs { shrink, junit } = outputs;
    if let Some(p) = &shrink.out {
        cli_args::output_file("--shrink-out", p)?;
    }
    if let Some(p) = &junit {
        cli_args::output_file("--junit", p)?;
    }
    let l = load_scenario(Some(arg), budget)?;
    let mut junit = match &junit {
        Some(p) => Some(
            scenarios::check::junit::JunitFile::create(p, &l.source)
                .with_context(|| format!("writing {}", p.display()))?,
        ),
        None => None,
    };
    let bar = indicatif::ProgressBar::with_draw_target(Some(seeds.len()), indicatif::ProgressDrawTarget::stderr());
    let tick = || bar.inc(1);
    let (mut checked, mut failed) = (0u64, Vec::new());
    let mut not_applicable = scenarios::check::campaign::NotApplicable::default();
    let mut next = seeds.iter();
    loop {
        let batch: Vec<u64> = next.by_ref().take(CHECK_BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let results = match scenarios::check::campaign::check_seeds(&l.scenario, &batch, &tick) {
            Ok(r) => r,
            Err(p) => {
                if let Some(j) = junit.take() {
                    j.discard();
                }
                return Err(load::locate_problem(&l.text, &l.file, p).into());
            }
        };
        checked += results.len() as u64;
        results.iter().for_each(|r| not_applicable.add(r));
        let suite = |r| scenarios::check::junit::SeedSuite::of_invariants(&l.source, r);
        let written = junit.as_mut().map_or(Ok(()), |j| results.iter().try_for_each(|r| j.add(&suite(r))));
        if let Err(e) = written {
            if let Some(j) = junit.take() {
                j.discard();
            }
            return Err(anyhow::Error::new(e).context("writing the JUnit file").into());
        }
        failed.extend(results.into_iter().filter(|r| r.failures().next().is_some()));
    }
    bar.finish_and_clear();
    if let Some(j) = junit {
        j.finish().context("writing the JUnit file")?;
    }
    // Stdout closed early: the verdict still decides the exit code.
    let verdict = |e: PrintError| match e {
        PrintError::Closed if !failed.is_empty() => Failure::Checks(failed.len()),
        e => Failure::from(e),
    };
    print_check(&l.source, checked, &failed, &not_applicable).map_err(verdict)?;
    if let (true, Some(first)) = (shrink.on, failed.first()) {
        let invariant = first.failures().next().map(|v| v.invariant.clone()).unwrap_or_default();
        let (small, runs) = scenarios::check::shrink::shrink(&l.scenario, first.seed, &invariant);
        let path = shrink.out.unwrap_or_else(|| PathBuf::from(format!("shrunk-seed{}.json", first.seed)));
        let text = serde_json::to_string_pretty(&small).context("rendering the shrunk scenario")? + "\n";
        write_atomic(&path, text.as_bytes())?;
        let (shown, seed) = (path.display(), first.seed);
        outln!("shrunk in {runs} runs: {shown} still breaks {invariant} with seed {seed}")
            .and_then(|()| outln!("  replay: dynsim run {shown} --seed {seed}"))
            .map_err(verdict)?;
    }
    if failed.is_empty() { Ok(()) } else { Err(Failure::Checks(failed.len())) }
}

/// Prints what `dynsim check` found.
fn print_check(
    source: &str,
    checked: u64,
    failed: &[scenarios::check::campaign::SeedResult],
    not_applicable: &scenarios::check::campaign::NotApplicable,
) -> Result<(), PrintError> {
    let passed = checked - failed.len() as u64;
    outln!("checked {checked} seeds of {source}: {passed} passed, {} failed", failed.len())?;
    for line in not_applicable.lines(checked) {
        outln!("{line}")?;
    }
    for r in failed {
        for v in r.failures() {
            outln!("seed {}: {} broken: {}", r.seed, v.invariant, first_violation(v))?;
        }
        outln!("  replay: dynsim run {source} --seed {}", r.seed)?;
    }
    Ok(())
}

fn first_violation(v: &reports::Verdict) -> String {
    match &v.status {
        reports::Status::Fail { violations, examples } => {
            let e = examples.first();
            let at = e.map(|e| format!("first at {:.6}s, key {}: {}", e.at_s, e.key, e.detail)).unwrap_or_default();
            format!("{violations} violations; {at}")
        }
        _ => String::new(),
    }
}

fn cmd_schema(markdown: bool) -> Result<(), Failure> {
    if markdown {
        console::print(format_args!("{}", scenarios::docs::reference_markdown()))?;
        return Ok(());
    }
    let schema = schemars::schema_for!(Scenario);
    let text = serde_json::to_string_pretty(&schema).context("rendering the schema")?;
    outln!("{text}")?;
    Ok(())
}

fn cmd_list() -> Result<(), Failure> {
    for (name, text) in library::EXAMPLES {
        let about = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("description").and_then(|d| d.as_str()).map(str::to_string))
            .unwrap_or_default();
        outln!("{name:<28} {about}")?;
    }
    Ok(())
}

fn cmd_replay(arg: &str, seed: u64, trace: &Path, f: &ReplayFilter, budget: &Budget) -> Result<(), Failure> {
    cli_args::window(("--from-s", f.from_s), ("--until-s", f.until_s), true)?;
    cli_args::output_file("--trace", trace)?;
    let l = load_scenario(Some(arg), budget)?;
    cli_args::starts_in_run("--from-s", f.from_s, cli_args::run_end_s(&l.scenario))?;
    cli_args::processes("--node", &f.nodes, &l.scenario, &l.source)?;
    let filter = TraceFilter {
        procs: (!f.nodes.is_empty()).then(|| f.nodes.iter().copied().map(ProcId).collect()),
        key: f.key,
        from: f.from_s.map(|s| SimTime::ZERO + SimDuration::from_secs_f64(s)),
        until: f.until_s.map(|s| SimTime::ZERO + SimDuration::from_secs_f64(s)),
    };
    let tmp = temp_path(trace);
    let file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let sink = JsonlTrace::new(std::io::BufWriter::new(file), filter);
    let opts = run::RunOptions { seed: Some(seed), trace: Some(Box::new(sink)), progress: true, ..Default::default() };
    let outcome = run_loaded(&l, opts).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    if let Some(Err(e)) = outcome.trace.map(|mut sink| sink.flush()) {
        let _ = std::fs::remove_file(&tmp);
        return Err(anyhow::Error::new(e).context(format!("writing {}", tmp.display())).into());
    }
    rename(&tmp, trace)?;
    outln!("trace of seed {seed} written to {} (trace hash {})", trace.display(), outcome.trace_hash)?;
    Ok(())
}

fn temp_path(p: &Path) -> PathBuf {
    let mut name = p.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    p.with_file_name(name)
}

/// Moves a finished temporary file into place; on failure, removes it.
fn rename(tmp: &Path, path: &Path) -> anyhow::Result<()> {
    std::fs::rename(tmp, path)
        .inspect_err(|_| {
            let _ = std::fs::remove_file(tmp);
        })
        .with_context(|| format!("writing {}", path.display()))
}

/// Writes a file via a temporary name, so a failed run never leaves a partial file.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = temp_path(path);
    let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    if let Err(e) = f.write_all(bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(anyhow::Error::new(e).context(format!("writing {}", tmp.display())));
    }
    rename(&tmp, path)
}
