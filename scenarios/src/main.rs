//! `dynsim`: run, validate and replay Dynamo scenarios; print the schema; list the library.
//!
//! Exit codes: 0 success; 2 bad input (a scenario or argument error, reported with file, line,
//! column and JSON path; nothing is written); 1 anything else (a seed broke an invariant under
//! `check`, or an output file could not be written).

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use scenarios::error::ScenarioError;
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
        /// Output directory (default: the scenario's outputs.dir, else `out`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the report JSON to stdout instead of the summary.
        #[arg(long)]
        json: bool,
        /// Also write every operation as one JSON line to this file, in completion order (the
        /// report itself keeps no per-operation history).
        #[arg(long)]
        history: Option<PathBuf>,
        #[command(flatten)]
        diagram: DiagramArgs,
    },
    /// Run many seeds in parallel and check every invariant; exit 1 if any seed fails.
    Check {
        /// Scenario file or shipped scenario name.
        scenario: String,
        /// Seeds: `A..B` (B excluded), `A..=B`, or one number.
        #[arg(long, default_value = "1..11", value_parser = parse_seeds)]
        seeds: SeedRange,
        /// Shrink the first failing seed's scenario by delta debugging and write it out.
        #[arg(long)]
        shrink: bool,
        /// Where to write the shrunk scenario (default `shrunk-seed<S>.json`).
        #[arg(long)]
        shrink_out: Option<PathBuf>,
    },
    /// Run a scenario over a grid of parameters × seeds, in parallel; resumable; shardable.
    Sweep(scenarios::sweep::cli::SweepArgs),
    /// Combine the results files of a sharded sweep into the whole sweep's outputs.
    Merge {
        /// Where to write summary.csv, skipped.csv, charts/ and sweep.html.
        out: PathBuf,
        /// Shard results files (runs-shard-K-of-M.jsonl), or directories holding them.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Check a scenario without running it.
    Validate {
        /// Scenario file or shipped scenario name.
        scenario: String,
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
        /// Where to write the trace (JSON lines).
        #[arg(long)]
        trace: PathBuf,
        /// Keep only events about this key.
        #[arg(long)]
        key: Option<u64>,
        /// Keep only events about these processes (repeatable).
        #[arg(long = "node")]
        nodes: Vec<u32>,
        /// Keep only events at or after this time, in seconds.
        #[arg(long)]
        from_s: Option<f64>,
        /// Keep only events at or before this time, in seconds.
        #[arg(long)]
        until_s: Option<f64>,
    },
}

/// `dynsim run`'s message diagram flags (override `outputs.diagram`).
#[derive(clap::Args, Clone, Debug, Default)]
struct DiagramArgs {
    /// Message diagram: the key to draw (default: chosen automatically, see README).
    #[arg(long)]
    diagram_key: Option<u64>,
    /// Message diagram: start of the window, in seconds (give --diagram-until-s too).
    #[arg(long)]
    diagram_from_s: Option<f64>,
    /// Message diagram: end of the window, in seconds.
    #[arg(long)]
    diagram_until_s: Option<f64>,
    /// Do not draw the message diagram (saves the second run that captures it).
    #[arg(long)]
    no_diagram: bool,
}

impl DiagramArgs {
    /// Applies the flags to the scenario; returns them as they appear on a command line.
    fn apply(&self, spec: &mut scenarios::diagram::DiagramSpec) -> String {
        let mut flags = String::new();
        if let Some(k) = self.diagram_key {
            spec.key = Some(k);
            flags += &format!(" --diagram-key {k}");
        }
        if let Some(a) = self.diagram_from_s {
            spec.from_s = Some(a);
            flags += &format!(" --diagram-from-s {a}");
        }
        if let Some(b) = self.diagram_until_s {
            spec.until_s = Some(b);
            flags += &format!(" --diagram-until-s {b}");
        }
        if self.no_diagram {
            spec.enabled = false;
            flags += " --no-diagram";
        }
        flags
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_run = Command::Run {
        scenario: None,
        seed: None,
        out: None,
        json: false,
        history: None,
        diagram: DiagramArgs::default(),
    };
    let result = match cli.command.unwrap_or(default_run) {
        Command::Run { scenario, seed, out, json, history, diagram } => {
            cmd_run(scenario.as_deref(), seed, RunOutputs { out, json, history }, &diagram)
        }
        Command::Validate { scenario } => cmd_validate(&scenario),
        Command::Check { scenario, seeds, shrink, shrink_out } => cmd_check(&scenario, &seeds, shrink, shrink_out),
        Command::Sweep(args) => cmd_sweep(&args),
        Command::Merge { out, inputs } => scenarios::sweep::cli::merge(&out, &inputs).map_err(Failure::from),
        Command::Schema { markdown } => cmd_schema(markdown),
        Command::List => cmd_list(),
        Command::Replay { scenario, seed, trace, key, nodes, from_s, until_s } => {
            let filter = TraceFilter {
                procs: (!nodes.is_empty()).then(|| nodes.into_iter().map(ProcId).collect()),
                key,
                from: from_s.map(|s| SimTime::ZERO + SimDuration::from_secs_f64(s)),
                until: until_s.map(|s| SimTime::ZERO + SimDuration::from_secs_f64(s)),
            };
            cmd_replay(&scenario, seed, &trace, filter)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(e)) => {
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
    Input(ScenarioError),
    Other(anyhow::Error),
    /// Bad arguments or input other than a scenario file (a sweep's grid, shard files).
    Usage(String),
    /// Some seeds broke an invariant (already printed).
    Checks(usize),
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Self {
        Failure::Input(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

/// A loaded scenario and how to name it in a replay command.
struct Loaded {
    scenario: scenarios::checked::CheckedScenario,
    text: String,
    file: PathBuf,
    source: String,
}

/// Loads a scenario from a file path, or a shipped name when no such file exists.
fn load_scenario(arg: Option<&str>) -> Result<Loaded, ScenarioError> {
    let arg = arg.unwrap_or("default");
    let path = Path::new(arg);
    let (text, file) = match (path.exists(), library::find(arg)) {
        (false, Some(text)) => (text.to_string(), PathBuf::from(format!("<shipped scenario {arg}>"))),
        _ => (load::read_source(path)?, path.to_path_buf()),
    };
    let scenario = load::load_str(&text, &file)?;
    Ok(Loaded { scenario, text, file, source: arg.to_string() })
}

impl From<scenarios::sweep::SweepError> for Failure {
    fn from(e: scenarios::sweep::SweepError) -> Self {
        if e.is_input() { Failure::Usage(e.to_string()) } else { Failure::Other(e.into()) }
    }
}

fn cmd_sweep(args: &scenarios::sweep::cli::SweepArgs) -> Result<(), Failure> {
    let l = load_scenario(Some(&args.scenario))?;
    let plan = scenarios::sweep::cli::plan(&l.scenario, args).map_err(|e| match e {
        scenarios::sweep::cli::PlanError::InFile(p) => Failure::Input(load::locate_problem(&l.text, &l.file, p)),
        scenarios::sweep::cli::PlanError::Arg(e) => Failure::from(e),
    })?;
    scenarios::sweep::cli::sweep(&l.scenario, &plan, args)?;
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
}

fn cmd_run(arg: Option<&str>, seed: Option<u64>, o: RunOutputs, diagram: &DiagramArgs) -> Result<(), Failure> {
    let mut l = load_scenario(arg)?;
    let mut scenario = l.scenario.clone().into_inner();
    let flags = diagram.apply(&mut scenario.outputs.diagram);
    l.scenario = scenarios::checked::check(scenario, &scenarios::checked::Budget::default())
        .map_err(|p| load::locate_problem(&l.text, &l.file, p))?;
    let progress = !o.json;
    let history_tmp = o.history.as_deref().map(temp_path);
    let history = match &history_tmp {
        Some(tmp) => {
            let f = std::fs::File::create(tmp).with_context(|| format!("creating {}", tmp.display()))?;
            Some(scenarios::measure::HistorySink::File(Box::new(std::io::BufWriter::new(f))))
        }
        None => None,
    };
    let outcome =
        run_loaded(&l, run::RunOptions { seed, progress, history, ..Default::default() }).inspect_err(|_| {
            if let Some(tmp) = &history_tmp {
                let _ = std::fs::remove_file(tmp);
            }
        })?;
    if let (Some(tmp), Some(path)) = (&history_tmp, &o.history) {
        if let Some(e) = &outcome.measured().history_error {
            let _ = std::fs::remove_file(tmp);
            return Err(anyhow::anyhow!("writing {}: {e}", tmp.display()).into());
        }
        std::fs::rename(tmp, path).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut rep = report::build_with_diagram(&l.scenario, &l.source, &outcome)
        .map_err(|p| load::locate_problem(&l.text, &l.file, p))?;
    rep.replay.push_str(&flags);
    let (out, json) = (o.out, o.json);
    let dir = out.unwrap_or_else(|| PathBuf::from(l.scenario.outputs.dir.clone().unwrap_or_else(|| "out".into())));
    write_atomic(&dir.join("report.json"), rep.to_json().as_bytes())?;
    for (name, bytes) in reports::derived_files(&rep) {
        write_atomic(&dir.join(name), &bytes)?;
    }
    if json {
        print!("{}", rep.to_json());
    } else {
        print!("{}", scenarios::summary::render(&rep, outcome.wall_s, &dir));
    }
    // The process exits next, and every output is written and closed: freeing a world of a
    // million keys one record at a time would only add seconds to the wall time.
    std::mem::forget(outcome);
    Ok(())
}

fn cmd_validate(arg: &str) -> Result<(), Failure> {
    let l = load_scenario(Some(arg))?;
    println!("{}: ok", l.file.display());
    Ok(())
}

/// A list of seeds from the command line.
#[derive(Clone, Debug)]
struct SeedRange(Vec<u64>);

fn parse_seeds(arg: &str) -> Result<SeedRange, String> {
    let num = |x: &str| x.trim().parse::<u64>().map_err(|e| format!("`{x}` is not a seed: {e}"));
    let seeds: Vec<u64> = if let Some((a, b)) = arg.split_once("..=") {
        (num(a)?..=num(b)?).collect()
    } else if let Some((a, b)) = arg.split_once("..") {
        (num(a)?..num(b)?).collect()
    } else {
        vec![num(arg)?]
    };
    if seeds.is_empty() {
        return Err(format!("`{arg}` is an empty range; write A..B with A < B, or A..=B"));
    }
    Ok(SeedRange(seeds))
}

fn cmd_check(arg: &str, seeds: &SeedRange, shrink: bool, shrink_out: Option<PathBuf>) -> Result<(), Failure> {
    let l = load_scenario(Some(arg))?;
    let bar =
        indicatif::ProgressBar::with_draw_target(Some(seeds.0.len() as u64), indicatif::ProgressDrawTarget::stderr());
    let tick = || bar.inc(1);
    let results = scenarios::check::campaign::check_seeds(&l.scenario, &seeds.0, &tick)
        .map_err(|p| load::locate_problem(&l.text, &l.file, p))?;
    bar.finish_and_clear();
    let failed: Vec<_> = results.iter().filter(|r| r.failures().next().is_some()).collect();
    println!(
        "checked {} seeds of {}: {} passed, {} failed",
        results.len(),
        l.source,
        results.len() - failed.len(),
        failed.len()
    );
    for r in &failed {
        for v in r.failures() {
            println!("seed {}: {} broken: {}", r.seed, v.invariant, first_violation(v));
        }
        println!("  replay: dynsim run {} --seed {}", l.source, r.seed);
    }
    if let (true, Some(first)) = (shrink, failed.first()) {
        let invariant = first.failures().next().map(|v| v.invariant.clone()).unwrap_or_default();
        let (small, runs) = scenarios::check::shrink::shrink(&l.scenario, first.seed, &invariant);
        let path = shrink_out.unwrap_or_else(|| PathBuf::from(format!("shrunk-seed{}.json", first.seed)));
        let text = serde_json::to_string_pretty(&small).context("rendering the shrunk scenario")? + "\n";
        write_atomic(&path, text.as_bytes())?;
        println!("shrunk in {runs} runs: {} still breaks {invariant} with seed {}", path.display(), first.seed);
        println!("  replay: dynsim run {} --seed {}", path.display(), first.seed);
    }
    if failed.is_empty() { Ok(()) } else { Err(Failure::Checks(failed.len())) }
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
        print!("{}", scenarios::docs::reference_markdown());
        return Ok(());
    }
    let schema = schemars::schema_for!(Scenario);
    let text = serde_json::to_string_pretty(&schema).context("rendering the schema")?;
    println!("{text}");
    Ok(())
}

fn cmd_list() -> Result<(), Failure> {
    for (name, text) in library::EXAMPLES {
        let about = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("description").and_then(|d| d.as_str()).map(str::to_string))
            .unwrap_or_default();
        println!("{name:<28} {about}");
    }
    Ok(())
}

fn cmd_replay(arg: &str, seed: u64, trace: &Path, filter: TraceFilter) -> Result<(), Failure> {
    let l = load_scenario(Some(arg))?;
    let tmp = temp_path(trace);
    let file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let sink = JsonlTrace::new(std::io::BufWriter::new(file), filter);
    let opts = run::RunOptions { seed: Some(seed), trace: Some(Box::new(sink)), progress: true, ..Default::default() };
    let outcome = run_loaded(&l, opts).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    if let Some(mut sink) = outcome.trace {
        sink.flush().with_context(|| format!("writing {}", tmp.display()))?;
    }
    std::fs::rename(&tmp, trace).with_context(|| format!("writing {}", trace.display()))?;
    println!("trace of seed {seed} written to {} (trace hash {})", trace.display(), outcome.trace_hash);
    Ok(())
}

fn temp_path(p: &Path) -> PathBuf {
    let mut name = p.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    p.with_file_name(name)
}

/// Writes a file via a temporary name, so a failed run never leaves a partial file.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = temp_path(path);
    let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
