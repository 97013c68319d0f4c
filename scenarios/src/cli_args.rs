//! Checks of `dynsim`'s command-line arguments that clap cannot make alone, done before
//! anything runs or is written: output paths, times and windows, process numbers, the message
//! diagram flags, worker threads, the cost budget.
//!
//! Every failed check is an [`ArgError`] naming the flag, its value, what is wrong and how to
//! fix it; the binary prints it as `error: --out out.txt: is a file, not a directory` plus a
//! `  fix:` line and exits with code 2. Values clap parses one at a time (times, `--jobs`,
//! `--seeds`) are checked by the value parsers here, so clap reports them the same way as its
//! own usage errors (exit code 2, flag and value named).
//!
//! Ranges of numbers in messages are written inclusively, `0..=4`, like `--seeds` ranges.

use crate::diagram::DiagramSpec;
use crate::error::{JsonPath, Segment, SpecError};
use crate::spec::Scenario;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// A bad command-line argument: the flag, its value, what is wrong, how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgError {
    /// The flag as typed (`--out`), or the positional argument's name (`OUT`).
    pub flag: String,
    /// The value as given (a path is displayed), possibly with where it came from.
    pub value: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl ArgError {
    /// A problem with `flag`'s `value`.
    pub fn new(flag: &str, value: impl fmt::Display, message: impl Into<String>, fix: impl Into<String>) -> Self {
        ArgError { flag: flag.to_string(), value: value.to_string(), message: message.into(), fix: fix.into() }
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}\n  fix: {}", self.flag, self.value, self.message, self.fix)
    }
}

impl std::error::Error for ArgError {}

/// `0..=4`, or `4` when the range holds one number: how messages write a range of numbers.
pub fn span(first: usize, last: usize) -> String {
    if first == last { first.to_string() } else { format!("{first}..={last}") }
}

// ---------------------------------------------------------------------------------------------
// Output paths

/// Checks that `path` can be an output directory (`--out`): an existing, writable directory,
/// or a path whose nearest existing ancestor is a writable directory (it is created, with its
/// parents, only when the command writes). `value` is how to show the path.
pub fn output_dir(flag: &str, value: &str, path: &Path) -> Result<(), ArgError> {
    let err = |message: String, fix: &str| ArgError::new(flag, value, message, fix);
    if path.as_os_str().is_empty() {
        return Err(err("is empty".into(), "give a directory path, e.g. out"));
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => writable(path)
            .map_err(|e| err(format!("cannot write into this directory: {e}"), "give a directory you can write to")),
        Ok(_) => Err(err(
            "is a file, not a directory".into(),
            "give a directory path (it is created if missing), or move the file away",
        )),
        Err(e) if missing(&e) => {
            let (a, is_dir) = existing_ancestor(path).map_err(|e| err(format!("cannot be checked: {e}"), FIX_PATH))?;
            if !is_dir {
                return Err(err(
                    format!("cannot be created: {} is a file, not a directory", a.display()),
                    "give a directory path whose parents are directories",
                ));
            }
            writable(&a).map_err(|e| {
                err(
                    format!("cannot be created: cannot write into {}: {e}", a.display()),
                    "give a directory under one you can write to",
                )
            })
        }
        Err(e) => Err(err(format!("cannot be checked: {e}"), FIX_PATH)),
    }
}

/// Checks that `path` can be an output file (`--history`, `--probes`, `--trace`, `--shrink-out`): not a
/// directory, in an existing writable directory. An existing file is replaced.
pub fn output_file(flag: &str, path: &Path) -> Result<(), ArgError> {
    let value = path.display().to_string();
    let err = |message: String, fix: String| ArgError::new(flag, &value, message, fix);
    let ends_with_slash = value.ends_with('/') || value.ends_with(std::path::MAIN_SEPARATOR);
    if path.as_os_str().is_empty() || path.file_name().is_none() || ends_with_slash {
        return Err(err("names a directory, not a file".into(), "give a file path, e.g. out/trace.jsonl".into()));
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            let fix = format!("give a file path, e.g. {}", path.join("file.jsonl").display());
            return Err(err("is a directory, not a file".into(), fix));
        }
        Ok(_) => {}
        Err(e) if missing(&e) => {}
        Err(e) => return Err(err(format!("cannot be checked: {e}"), FIX_PATH.into())),
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match std::fs::metadata(parent) {
        Ok(m) if m.is_dir() => writable(parent).map_err(|e| {
            err(
                format!("cannot write into {}: {e}", parent.display()),
                "give a path in a directory you can write to".into(),
            )
        }),
        Ok(_) => Err(err(
            format!("{} is a file, not a directory", parent.display()),
            "give a path whose parents are directories".into(),
        )),
        Err(e) if missing(&e) => {
            let (a, is_dir) =
                existing_ancestor(parent).map_err(|e| err(format!("cannot be checked: {e}"), FIX_PATH.into()))?;
            if !is_dir {
                return Err(err(
                    format!("{} is a file, not a directory", a.display()),
                    "give a path whose parents are directories".into(),
                ));
            }
            Err(err(
                format!("the directory {} does not exist", parent.display()),
                format!("create it first (mkdir -p {}), or give a path in an existing directory", parent.display()),
            ))
        }
        Err(e) => Err(err(format!("cannot be checked: {e}"), FIX_PATH.into())),
    }
}

const FIX_PATH: &str = "give a path you can write to";

fn missing(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory)
}

/// The nearest existing ancestor of `path` (itself excluded; `.` for a relative path's start)
/// and whether it is a directory.
fn existing_ancestor(path: &Path) -> io::Result<(PathBuf, bool)> {
    for a in path.ancestors().skip(1) {
        let a = if a.as_os_str().is_empty() { Path::new(".") } else { a };
        match std::fs::metadata(a) {
            Ok(m) => return Ok((a.to_path_buf(), m.is_dir())),
            Err(e) if missing(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((PathBuf::from("."), true))
}

/// Whether a file can be created in `dir`, tried by creating and removing an empty one
/// (permission bits do not tell: root ignores them, a read-only mount does not show in them).
fn writable(dir: &Path) -> io::Result<()> {
    // Unique per process and call, also across machines sharing the directory (shards).
    let nonce = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let probe = dir.join(format!(".dynsim-write-check-{}-{nonce}", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => match std::fs::remove_file(&probe) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Value parsers (clap names the flag and the value; these say what is wrong and the fix)

/// A time in seconds of simulated time: a finite number >= 0.
pub fn parse_time_s(text: &str) -> Result<f64, String> {
    let fix = "\n  fix: give seconds of simulated time, a number >= 0 such as 1.5";
    let x: f64 = text.trim().parse().map_err(|_| format!("not a number of seconds{fix}"))?;
    if !x.is_finite() {
        return Err(format!("not a finite number of seconds{fix}"));
    }
    if x < 0.0 {
        return Err(format!("negative; times count from the start of the run at 0 s{fix}"));
    }
    Ok(x)
}

/// The most worker threads `--jobs` accepts.
pub const MAX_JOBS: usize = 1024;

/// Worker threads: 1 to [`MAX_JOBS`].
pub fn parse_jobs(text: &str) -> Result<usize, String> {
    let fix = format!("\n  fix: give a number of threads from 1 to {MAX_JOBS}, or leave --jobs out to use every core");
    let n: usize = text.trim().parse().map_err(|_| format!("not a whole number{fix}"))?;
    if n == 0 || n > MAX_JOBS {
        return Err(format!("must be from 1 to {MAX_JOBS}{fix}"));
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// The cost budget

/// The flags that lift (or lower) the cost budget a scenario is checked under
/// ([`crate::checked::Budget`]); every command that checks a scenario takes them.
#[derive(clap::Args, Debug, Clone, Copy, Default)]
pub struct BudgetArgs {
    /// Most events a run may handle, by the estimate made before it starts (default 1e9,
    /// about 25 minutes of a 1,000-node run): raise it to run a bigger scenario on purpose.
    #[arg(long, value_name = "N", value_parser = parse_budget_events)]
    pub budget_events: Option<f64>,
    /// Most memory a run may take, in MiB, by the same estimate (default 8192).
    #[arg(long, value_name = "MB", value_parser = parse_budget_memory_mb)]
    pub budget_memory_mb: Option<f64>,
}

impl BudgetArgs {
    /// The budget: the defaults, with what the flags give in their place.
    pub fn budget(&self) -> crate::checked::Budget {
        let d = crate::checked::Budget::default();
        crate::checked::Budget {
            events: self.budget_events.unwrap_or(d.events),
            memory_bytes: self.budget_memory_mb.map_or(d.memory_bytes, |mb| mb * 1024.0 * 1024.0),
        }
    }
}

/// `--budget-events`: a positive number of events (`1e10` or `10000000000`).
pub fn parse_budget_events(text: &str) -> Result<f64, String> {
    positive(text, "give a number of events, e.g. 1e10 (the default is 1e9)")
}

/// `--budget-memory-mb`: a positive number of MiB.
pub fn parse_budget_memory_mb(text: &str) -> Result<f64, String> {
    positive(text, "give a number of MiB, e.g. 16384 (the default is 8192)")
}

fn positive(text: &str, fix: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err(format!("must be a positive finite number\n  fix: {fix}")),
        Err(_) => Err(format!("not a number\n  fix: {fix}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Times, windows and processes

/// Checks a window given by two flags: `from` must come before `until` (or be equal, when
/// `allow_equal`: an instant).
pub fn window(
    (from_flag, from): (&str, Option<f64>),
    (until_flag, until): (&str, Option<f64>),
    allow_equal: bool,
) -> Result<(), ArgError> {
    let (Some(a), Some(b)) = (from, until) else { return Ok(()) };
    if b < a || (b == a && !allow_equal) {
        let rel = if allow_equal { "before" } else { "at or before" };
        return Err(ArgError::new(
            until_flag,
            b,
            format!("is {rel} {from_flag} {a}, so the window is empty"),
            format!("give {until_flag} a time after {from_flag}, or swap the two"),
        ));
    }
    Ok(())
}

/// Seconds of simulated time a run of `s` lasts: `duration_s + settle_s`.
pub fn run_end_s(s: &Scenario) -> f64 {
    s.duration_s + s.settle_s
}

/// Checks that a window's start `t` (given by `flag`) lies in a run that ends at `end_s`.
pub fn starts_in_run(flag: &str, t: Option<f64>, end_s: f64) -> Result<(), ArgError> {
    match t {
        Some(t) if t > end_s => Err(ArgError::new(
            flag,
            t,
            format!("is after the run's end at {end_s} s (duration_s + settle_s), so nothing is kept"),
            format!("give a time from 0 to {end_s}"),
        )),
        _ => Ok(()),
    }
}

/// The number of processes of a run of `s`: storage nodes (the starting ring, then the
/// spares), each workload group's clients, then the probe client (the numbering of
/// [`crate::assemble`]).
pub fn process_count(s: &Scenario) -> usize {
    s.cluster.storage_nodes() + s.workloads.iter().map(|w| w.clients).sum::<usize>() + usize::from(s.probes.is_some())
}

/// Checks that every process number given with `flag` exists in a run of `s` (`name` is how to
/// call the scenario).
pub fn processes(flag: &str, procs: &[u32], s: &Scenario, name: &str) -> Result<(), ArgError> {
    let count = process_count(s);
    let Some(bad) = procs.iter().find(|&&p| p as usize >= count) else { return Ok(()) };
    let nodes = s.cluster.storage_nodes();
    let clients: usize = s.workloads.iter().map(|w| w.clients).sum();
    let mut parts = vec![format!("storage nodes {}", span(0, nodes.saturating_sub(1)))];
    if clients > 0 {
        parts.push(format!("clients {}", span(nodes, nodes + clients - 1)));
    }
    if s.probes.is_some() {
        parts.push(format!("the probe client {}", nodes + clients));
    }
    Err(ArgError::new(
        flag,
        bad,
        format!(
            "there is no process {bad}: {name} has {count} processes, {} ({})",
            span(0, count.saturating_sub(1)),
            parts.join(", ")
        ),
        format!("give process numbers in {}", span(0, count.saturating_sub(1))),
    ))
}

// ---------------------------------------------------------------------------------------------
// The message diagram flags

/// `dynsim run`'s message diagram flags (override `outputs.diagram`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct DiagramArgs {
    /// Message diagram: the key to draw (default: chosen automatically, see README).
    #[arg(long, conflicts_with = "no_diagram")]
    pub diagram_key: Option<u64>,
    /// Message diagram: start of the window, in seconds (>= 0, before the run's end; the window
    /// needs both ends).
    #[arg(long, value_parser = parse_time_s, conflicts_with = "no_diagram")]
    pub diagram_from_s: Option<f64>,
    /// Message diagram: end of the window, in seconds (after --diagram-from-s).
    #[arg(long, value_parser = parse_time_s, conflicts_with = "no_diagram")]
    pub diagram_until_s: Option<f64>,
    /// Do not draw the message diagram (saves the second run that captures it).
    #[arg(long)]
    pub no_diagram: bool,
}

impl DiagramArgs {
    /// Applies the flags to the scenario's diagram settings; returns them as they appear on a
    /// command line.
    pub fn apply(&self, spec: &mut DiagramSpec) -> String {
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

    /// Checks the flags among themselves (before the scenario is read).
    pub fn check(&self) -> Result<(), ArgError> {
        window(("--diagram-from-s", self.diagram_from_s), ("--diagram-until-s", self.diagram_until_s), false)
    }

    /// Checks the window the flags make with the scenario's own `outputs.diagram` (`file`)
    /// for a run that ends at `end_s`. A problem the flags take part in is theirs; one that is
    /// only the file's is left to the run, which locates it in the file.
    pub fn check_with(&self, file: &DiagramSpec, end_s: f64) -> Result<(), ArgError> {
        let (fa, fb) = (self.diagram_from_s, self.diagram_until_s);
        if self.no_diagram || (fa.is_none() && fb.is_none()) {
            return Ok(());
        }
        let (from, until) = (fa.or(file.from_s), fb.or(file.until_s));
        let from_flag = ("--diagram-from-s", "outputs.diagram.from_s");
        let until_flag = ("--diagram-until-s", "outputs.diagram.until_s");
        match (from, until) {
            (Some(_), None) | (None, Some(_)) => {
                let (given, value, other) =
                    if from.is_some() { (from_flag, fa, until_flag) } else { (until_flag, fb, from_flag) };
                Err(ArgError::new(
                    given.0,
                    value.unwrap_or_default(),
                    "the diagram's window needs both ends",
                    format!("give {} too (or set {} in the scenario)", other.0, other.1),
                ))
            }
            (Some(a), Some(b)) => {
                if fa.is_some() && a >= end_s {
                    return Err(ArgError::new(
                        from_flag.0,
                        a,
                        format!("is not before the run's end at {end_s} s (duration_s + settle_s)"),
                        format!("give a start from 0 to before {end_s}"),
                    ));
                }
                if b <= a {
                    let (flag, value, other) = match fb {
                        Some(b) => (until_flag.0, b, format!("the window's start {a} s")),
                        None => (from_flag.0, a, format!("the window's end {b} s ({})", until_flag.1)),
                    };
                    let rel = if fb.is_some() { "at or before" } else { "at or after" };
                    return Err(ArgError::new(
                        flag,
                        value,
                        format!("is {rel} {other}, so the window is empty"),
                        "give a window whose start is before its end (--diagram-from-s A --diagram-until-s B)",
                    ));
                }
                Ok(())
            }
            (None, None) => Ok(()),
        }
    }

    /// The flag to blame for a problem found with the diagram after the run (a key never
    /// operated on), if the flag set what the problem is about.
    pub fn blame(&self, e: &SpecError) -> Option<ArgError> {
        let rest = e.path.strip_prefix(&JsonPath::root().field("outputs").field("diagram"))?;
        let [Segment::Field(field)] = rest.segments() else { return None };
        let (flag, value) = match field.as_str() {
            "key" => ("--diagram-key", self.diagram_key.map(|k| k.to_string())),
            "from_s" => ("--diagram-from-s", self.diagram_from_s.map(|a| a.to_string())),
            "until_s" => ("--diagram-until-s", self.diagram_until_s.map(|b| b.to_string())),
            _ => return None,
        };
        Some(ArgError::new(flag, value?, e.message.clone(), e.fix.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_inclusive() {
        assert_eq!(span(0, 4), "0..=4");
        assert_eq!(span(7, 7), "7");
    }

    #[test]
    fn times_must_be_finite_and_not_negative() {
        assert_eq!(parse_time_s("1.5"), Ok(1.5));
        assert_eq!(parse_time_s("0"), Ok(0.0));
        for (bad, says) in [("-5", "negative"), ("NaN", "finite"), ("inf", "finite"), ("x", "not a number")] {
            let e = parse_time_s(bad).expect_err(bad);
            assert!(e.contains(says) && e.contains("fix:"), "{bad}: {e}");
        }
    }

    #[test]
    fn jobs_are_from_one_to_the_maximum() {
        assert_eq!(parse_jobs("1"), Ok(1));
        assert_eq!(parse_jobs("1024"), Ok(1024));
        assert!(parse_jobs("0").unwrap_err().contains("from 1 to 1024"));
        assert!(parse_jobs("1025").is_err());
        assert!(parse_jobs("-1").is_err());
    }

    #[test]
    fn a_window_must_not_end_before_it_starts() {
        let w = |a: f64, b: f64, eq| window(("--from-s", Some(a)), ("--until-s", Some(b)), eq);
        assert!(w(1.0, 2.0, false).is_ok());
        assert!(w(1.0, 1.0, true).is_ok(), "an instant is a window when ends are inclusive");
        assert_eq!(w(1.0, 1.0, false).unwrap_err().flag, "--until-s");
        let e = w(5.0, 1.0, true).unwrap_err();
        assert_eq!(e.to_string().lines().next(), Some("--until-s 1: is before --from-s 5, so the window is empty"));
        assert!(window(("--from-s", Some(5.0)), ("--until-s", None), true).is_ok());
    }

    fn diagram(a: Option<f64>, b: Option<f64>) -> DiagramArgs {
        DiagramArgs { diagram_from_s: a, diagram_until_s: b, ..Default::default() }
    }

    #[test]
    fn diagram_flags_are_checked_with_the_files_window_and_blamed_on_the_flag() {
        let file = DiagramSpec::default();
        let with_file = DiagramSpec { from_s: Some(2.0), until_s: Some(3.0), ..DiagramSpec::default() };
        let flag = |d: DiagramArgs, f: &DiagramSpec| d.check_with(f, 4.0).map_err(|e| (e.flag, e.message));
        assert!(flag(diagram(Some(1.0), Some(2.0)), &file).is_ok());
        assert!(flag(diagram(None, Some(3.5)), &with_file).is_ok(), "the file's start completes the window");
        let (f, m) = flag(diagram(Some(1.0), None), &file).unwrap_err();
        assert_eq!((f.as_str(), m.as_str()), ("--diagram-from-s", "the diagram's window needs both ends"));
        let (f, m) = flag(diagram(Some(4.0), Some(5.0)), &file).unwrap_err();
        assert!(f == "--diagram-from-s" && m.contains("run's end at 4 s"), "{m}");
        let (f, m) = flag(diagram(None, Some(1.0)), &with_file).unwrap_err();
        assert!(f == "--diagram-until-s" && m.contains("start 2 s"), "{m}");
        let (f, m) = flag(diagram(Some(3.5), None), &with_file).unwrap_err();
        assert!(f == "--diagram-from-s" && m.contains("end 3 s"), "{m}");
        assert!(diagram(None, None).check_with(&with_file, 1.0).is_ok(), "the file's own problems are the file's");
    }

    #[test]
    fn a_problem_with_a_flag_set_diagram_key_blames_the_flag() {
        let d = DiagramArgs { diagram_key: Some(9), ..Default::default() };
        let e = SpecError::new("outputs.diagram.key", "key 9 was never read or written", "pick another");
        let a = d.blame(&e).expect("the flag set the key");
        assert_eq!((a.flag.as_str(), a.value.as_str()), ("--diagram-key", "9"));
        assert!(DiagramArgs::default().blame(&e).is_none(), "the file set it");
        assert!(d.blame(&SpecError::new("dynamo.r", "x", "y")).is_none());
    }

    #[test]
    fn process_count_is_the_number_of_processes_assemble_creates_for_every_shipped_scenario() {
        for (name, text) in crate::library::EXAMPLES {
            let s = crate::load::load_str(text, Path::new(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let asm = crate::assemble::assemble(&s, s.seed).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(process_count(&s), asm.nodes + asm.clients.len(), "{name}");
        }
    }

    #[test]
    fn a_process_that_does_not_exist_is_refused_with_the_inclusive_ranges() {
        let text = crate::library::find("staleness-probes").expect("shipped");
        let s = crate::load::load_str(text, Path::new("p")).expect("valid");
        let count = process_count(&s);
        assert!(processes("--node", &[0, count as u32 - 1], &s, "p").is_ok());
        let e = processes("--node", &[1, count as u32], &s, "p").unwrap_err();
        assert_eq!((e.flag.as_str(), e.value.as_str()), ("--node", count.to_string().as_str()));
        let last = count - 1;
        assert!(e.message.contains(&format!("0..={last}")) && e.message.contains("the probe client"), "{}", e.message);
        assert_eq!(e.fix, format!("give process numbers in 0..={last}"));
    }

    #[test]
    fn output_paths_are_refused_when_they_cannot_be_written() {
        let dir = std::env::temp_dir().join(format!("dynsim-cli-args-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("d")).unwrap();
        let file = dir.join("f.txt");
        std::fs::write(&file, "x").unwrap();
        let msg = |r: Result<(), ArgError>| r.map_err(|e| e.message);
        assert!(output_dir("--out", "x", &dir.join("d")).is_ok());
        assert!(output_dir("--out", "x", &dir.join("new/deeper")).is_ok());
        assert_eq!(msg(output_dir("--out", "x", &file)), Err("is a file, not a directory".into()));
        assert!(msg(output_dir("--out", "x", &file.join("sub"))).unwrap_err().contains("is a file, not a directory"));
        assert!(output_file("--trace", &dir.join("t.jsonl")).is_ok());
        assert!(output_file("--trace", &file).is_ok(), "an existing file is replaced");
        assert_eq!(msg(output_file("--trace", &dir.join("d"))), Err("is a directory, not a file".into()));
        assert!(msg(output_file("--trace", &dir.join("no/t.jsonl"))).unwrap_err().contains("does not exist"));
        assert!(msg(output_file("--trace", &file.join("t.jsonl"))).unwrap_err().contains("is a file"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("d")).unwrap().collect();
        assert!(leftovers.is_empty(), "the write check leaves nothing behind");
        assert!(!dir.join("new").exists(), "checking never creates the directory");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
