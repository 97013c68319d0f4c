//! Running a sweep: the runs of this shard that the results file does not hold yet, in
//! parallel (rayon, one single-threaded run per task), each reduced to a row, appended to the
//! results file and added to the streaming summary; then, for a whole sweep, the outputs.
//! Merging reads shard files into the same summary and writes the same outputs.
//!
//! Memory is bounded by the runs in flight (one per thread) plus O(combinations × metrics) for
//! the summary and a few bytes per run for bookkeeping; no run report is kept.

use super::SweepError;
use super::plan::{Plan, Shard};
use super::store::{self, Header, ResultsFile};
use crate::checked::CheckedScenario;
use crate::run::{RunOptions, run};
use rayon::prelude::*;
use reports::sweep::{METRICS, RunRow, SweepSummary, run_metrics};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How to run a sweep.
#[derive(Clone, Debug)]
pub struct Options {
    /// The output directory.
    pub out: PathBuf,
    /// Which runs this process does.
    pub shard: Shard,
    /// Worker threads (default: rayon's, which honours `RAYON_NUM_THREADS`).
    pub jobs: Option<usize>,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// How the charts are drawn and which files are written.
    pub look: reports::charts::Look,
}

/// What a sweep did.
#[derive(Debug)]
pub struct Outcome {
    /// The results file.
    pub results: PathBuf,
    /// Runs done now.
    pub ran: u64,
    /// Runs found already done in the results file.
    pub resumed: u64,
    /// Runs this shard owns (skipped combinations excluded).
    pub owned: u64,
    /// The outputs written (a whole sweep only; a shard writes only its results file).
    pub written: Vec<PathBuf>,
}

/// The results file name of a shard: `runs.jsonl` for a whole sweep.
pub fn results_name(shard: Shard) -> String {
    if shard == Shard::ALL { "runs.jsonl".into() } else { format!("runs-shard-{}-of-{}.jsonl", shard.k, shard.m) }
}

/// Runs the sweep (resuming from the results file in `opts.out` if there is one).
pub fn sweep(plan: &Plan, opts: &Options) -> Result<Outcome, SweepError> {
    let path = opts.out.join(results_name(opts.shard));
    let mut summary = SweepSummary::new(plan.layout.clone());
    let mut done = vec![false; plan.runs() as usize];
    let resumed = if path.exists() { Some(resume(plan, &path, &mut summary, &mut done)?) } else { None };
    let owned: Vec<(u64, &CheckedScenario)> = (0..plan.runs())
        .filter(|&i| opts.shard.owns(i))
        .filter_map(|i| plan.scenarios[plan.run(i).0].as_ref().map(|s| (i, s)))
        .collect();
    let todo: Vec<(u64, &CheckedScenario)> = owned.iter().copied().filter(|(i, _)| !done[*i as usize]).collect();
    let file = match resumed {
        Some(good_len) => ResultsFile::open_append(&path, good_len)?,
        None => {
            std::fs::create_dir_all(&opts.out)
                .map_err(|source| SweepError::Write { file: opts.out.clone(), source })?;
            let shard = format!("{}/{}", opts.shard.k, opts.shard.m);
            let header = Header {
                dynsim_sweep: store::FORMAT,
                fingerprint: plan.fingerprint.clone(),
                shard,
                layout: plan.layout.clone(),
            };
            ResultsFile::create(&path, &header)?
        }
    };
    let resumed_rows = summary.runs();
    let summary = run_all(plan, &todo, &file, summary, opts)?;
    let written = if opts.shard == Shard::ALL { write_outputs(&opts.out, &summary, &opts.look)? } else { Vec::new() };
    Ok(Outcome { results: path, ran: todo.len() as u64, resumed: resumed_rows, owned: owned.len() as u64, written })
}

/// Reads an existing results file of this sweep into `summary` and `done`; returns the length
/// of its complete lines.
fn resume(plan: &Plan, path: &Path, summary: &mut SweepSummary, done: &mut [bool]) -> Result<u64, SweepError> {
    let header = store::read_header(path)?;
    if header.fingerprint != plan.fingerprint {
        return Err(SweepError::Mismatch {
            file: path.to_path_buf(),
            found: header.fingerprint,
            expected: plan.fingerprint.clone(),
            fix: "give this sweep its own --out directory, or delete the old results file".into(),
        });
    }
    let contents = store::read(path, |row| {
        let slot = done.get_mut(row.run as usize).ok_or(format!("run {} is not part of this sweep", row.run))?;
        if !std::mem::replace(slot, true) {
            summary.add(&row).map_err(|e| e.to_string())?;
        }
        Ok(())
    })?;
    Ok(contents.good_len)
}

fn run_all(
    plan: &Plan,
    todo: &[(u64, &CheckedScenario)],
    file: &ResultsFile,
    summary: SweepSummary,
    opts: &Options,
) -> Result<SweepSummary, SweepError> {
    let bar = crate::progress::RunsBar::new(todo.len() as u64, opts.progress);
    let summary = Mutex::new(summary);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .build()
        .map_err(|e| SweepError::Write { file: opts.out.clone(), source: std::io::Error::other(e) })?;
    pool.install(|| {
        todo.par_iter().with_max_len(1).try_for_each(|&(i, s)| {
            let row = one_run(plan, i, s)?;
            file.append(&row)?;
            summary.lock().unwrap_or_else(std::sync::PoisonError::into_inner).add(&row).map_err(|e| {
                SweepError::Merge { message: e.to_string(), fix: "this is a bug in dynsim; please report it".into() }
            })?;
            bar.inc();
            Ok::<(), SweepError>(())
        })
    })?;
    bar.finish();
    Ok(summary.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// Runs run `i` (scenario `s`) and reduces it to its row; the run and its report are dropped
/// here.
fn one_run(plan: &Plan, i: u64, s: &CheckedScenario) -> Result<RunRow, SweepError> {
    let (c, seed) = plan.run(i);
    let out = run(s, RunOptions { seed: Some(seed), ..RunOptions::default() }).map_err(|source| SweepError::Run {
        run: i,
        seed,
        source,
    })?;
    let report = crate::report::build(s, "sweep", &out);
    let params = plan.layout.axes.iter().cloned().zip(plan.layout.combos[c].values.iter().cloned()).collect();
    let metrics = METRICS.iter().map(|m| m.to_string()).zip(run_metrics(&report)).collect();
    Ok(RunRow { run: i, combo: c, params, seed, trace_hash: out.trace_hash, metrics })
}

/// Writes `summary.csv`, `skipped.csv`, the charts (drawn in `look`, in its formats) and
/// `sweep.html` into `dir`, each through a temporary name.
pub fn write_outputs(
    dir: &Path,
    summary: &SweepSummary,
    look: &reports::charts::Look,
) -> Result<Vec<PathBuf>, SweepError> {
    let mut written = Vec::new();
    for (name, bytes) in reports::sweep::files(summary, look) {
        let path = dir.join(name);
        write_atomic(&path, &bytes).map_err(|source| SweepError::Write { file: path.clone(), source })?;
        written.push(path);
    }
    Ok(written)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("partial");
    let written =
        std::fs::File::create(&tmp).and_then(|mut f| f.write_all(bytes)).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// What a merge did.
#[derive(Debug)]
pub struct Merged {
    /// The results files read, in order.
    pub files: Vec<PathBuf>,
    /// Distinct runs found.
    pub runs: u64,
    /// The outputs written.
    pub written: Vec<PathBuf>,
}

/// Merges shard results files (or directories holding `runs*.jsonl`) into the outputs of the
/// whole sweep in `out`, the charts drawn in `look`. Every run of the sweep must be present exactly once (a run found in
/// two files must have the same trace hash in both).
pub fn merge(inputs: &[PathBuf], out: &Path, look: &reports::charts::Look) -> Result<Merged, SweepError> {
    let files = expand(inputs)?;
    let first = store::read_header(&files[0])?;
    let runs = (first.layout.combos.len() * first.layout.seeds.len()) as u64;
    let mut seen: Vec<Option<u64>> = vec![None; runs as usize];
    let mut summary = SweepSummary::new(first.layout.clone());
    for f in &files {
        let h = store::read_header(f)?;
        if h.fingerprint != first.fingerprint {
            return Err(SweepError::Mismatch {
                file: f.clone(),
                found: h.fingerprint,
                expected: first.fingerprint.clone(),
                fix: format!("merge only the shards of one sweep (the sweep of {})", files[0].display()),
            });
        }
        store::read(f, |row| add_once(&mut seen, &mut summary, row))?;
    }
    check_complete(&seen, &first)?;
    let written = write_outputs(out, &summary, look)?;
    Ok(Merged { files, runs: summary.runs(), written })
}

/// Adds a row unless its run was seen; a run seen with another trace hash is an error. Trace
/// hashes are kept as integers (16 bytes per run).
fn add_once(seen: &mut [Option<u64>], summary: &mut SweepSummary, row: RunRow) -> Result<(), String> {
    let hash = u64::from_str_radix(&row.trace_hash, 16)
        .map_err(|_| format!("run {}: `{}` is not a trace hash (16 hex digits)", row.run, row.trace_hash))?;
    let slot = seen.get_mut(row.run as usize).ok_or(format!("run {} is not part of this sweep", row.run))?;
    match *slot {
        Some(h) if h == hash => Ok(()),
        Some(h) => Err(format!("run {} appears twice with different trace hashes ({h:016x} and {hash:016x})", row.run)),
        None => {
            *slot = Some(hash);
            summary.add(&row).map_err(|e| e.to_string())
        }
    }
}

fn check_complete(seen: &[Option<u64>], h: &Header) -> Result<(), SweepError> {
    let n = h.layout.seeds.len();
    let missing: Vec<usize> =
        (0..seen.len()).filter(|&i| seen[i].is_none() && h.layout.combos[i / n].skipped.is_none()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let first: Vec<String> = missing
        .iter()
        .take(5)
        .map(|&i| format!("run {i} ({} seed {})", h.layout.combos[i / n].label(&h.layout.axes), h.layout.seeds[i % n]))
        .collect();
    Err(SweepError::Merge {
        message: format!("{} run(s) of the sweep are in none of the files, e.g. {}", missing.len(), first.join("; ")),
        fix: "merge every shard's results file; re-run an unfinished shard (it resumes) before merging".into(),
    })
}

/// Files as given, and directories as their `runs*.jsonl` files, sorted by name.
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, SweepError> {
    let mut files = Vec::new();
    for p in inputs {
        if !p.exists() {
            return Err(SweepError::Merge {
                message: format!("{} does not exist", p.display()),
                fix: "give the shards' results files (runs-shard-K-of-M.jsonl) or the directories holding them".into(),
            });
        }
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|source| store::StoreError::Io { file: p.clone(), source })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && f.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("runs") && n.ends_with(".jsonl"))
                })
                .collect();
            if found.is_empty() {
                return Err(SweepError::Merge {
                    message: format!("{}: the directory holds no results files (runs*.jsonl)", p.display()),
                    fix: "give the directories the shards wrote into (their --out), or their runs-shard-K-of-M.jsonl \
                          files"
                        .into(),
                });
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    if files.is_empty() {
        return Err(SweepError::Merge {
            message: "no results files were given".into(),
            fix: "give the shards' runs-shard-K-of-M.jsonl files or the directories holding them".into(),
        });
    }
    Ok(files)
}
