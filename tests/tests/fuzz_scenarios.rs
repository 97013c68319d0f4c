//! Fuzzing scenario input: mutated shipped scenarios must be refused with a location or
//! accepted, never panic, and cost `dynsim validate` a bounded amount; what validate accepts,
//! a run must accept too.
//!
//! # Knobs
//!
//! - `PROPTEST_CASES`: cases per fuzz property (default [`DEFAULT_CASES`]: in a debug build on
//!   two cores about 5 s for the validate property and 10 to 20 s for the run property). Every
//!   case runs in a child process (below), so a case costs a process start (a few
//!   milliseconds) on top of the work.
//! - `PROPTEST_RNG_SEED`: a fixed seed for a repeatable campaign (default: a fresh one).
//! - `DYNSIM_FUZZ_COLLECT=1`: instead of stopping at the first failure and shrinking it, run
//!   every case, reduce each failing case to the edits it needs, and print every distinct
//!   failure (by panic site, or by kind and path) with one reproducing input; the test still
//!   fails if any was found. This is how to survey what is left to fix.
//! - `DYNSIM_FUZZ_HANG_S`: the hang detector's limit in seconds (default 20 for validation, 60
//!   for a run); a survey that expects hangs can shorten it.
//!
//! # What a case is
//!
//! One of the shipped scenarios (`scenarios::library::EXAMPLES`), parsed to a JSON value, with
//! one to four random edits: a value replaced by one of another type; a field removed; a number
//! scaled by ±1e6 or 1e-6, or set to 0, -1, 1e308, 1e-9 or the largest u64 (integers stay
//! integers when they can, so count fields see big counts rather than a type error); an array
//! element duplicated; an object wrapped in an array; or a tunable the examples leave at its
//! default (intervals, rates, chaos pauses, ...) set to such a number. The result is
//! pretty-printed (keys in `serde_json`'s sorted order; positions are checked against this
//! text) and fed to what `dynsim validate` does (see [`validate_like_cli`]).
//!
//! # Budgets, and why each case runs in a child process
//!
//! The workspace forbids `unsafe` code, so this test binary cannot install a counting global
//! allocator. Instead each input is validated in a child process (this binary again, running
//! only [`child_process_entry_point`], with [`CHILD_ENV`] set and the input on stdin), and the
//! budget is the child's peak resident memory growth during validation (`VmHWM` from
//! `/proc/self/status`, minus the resident size just before): a fresh process makes it a
//! deterministic proxy for the bytes validation allocates and touches (a lower bound on the
//! bytes allocated: freed memory is reused). A watchdog thread in the child stops it as soon as
//! the growth passes the budget, so an unbounded input cannot take the machine's memory, and
//! the parent kills a child that runs past a generous wall-clock limit: that limit is only a
//! hang detector (a bounded validate takes milliseconds), and it reports the input. A child
//! also turns a stack overflow or an allocation failure (which abort the process) into a
//! reported finding instead of the end of the test run. The panic hook in the child records
//! the panic site and the first frame of the project's own code.
//!
//! # The run property
//!
//! Every mutated scenario validate accepts is run with `scenarios::run::run` up to
//! [`RUN_WINDOW_S`] simulated seconds (`RunOptions::stop_at`). The scenario is not changed: a
//! run refuses a scenario (returns `Err`) only before simulating anything (validation, the
//! metrics and diagram settings, assembly), so the short window decides exactly what the full
//! run would, and it also catches panics early in the simulation while keeping the cost of a
//! case bounded for any scenario whose cost validate bounds. The run has budgets too
//! ([`RUN_MEMORY`], [`RUN_HANG`]): a scenario whose first half second of simulated time
//! cannot be run within them is one validation should have refused as too costly.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestError, TestRunner};
use scenarios::checked::CheckedScenario;
use scenarios::error::ScenarioError;
use scenarios::library::EXAMPLES;
use scenarios::load;
use scenarios::run::{RunOptions, run};
use serde_json::{Map, Number, Value, json};
use sim_core::{SimDuration, SimTime};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Cases per fuzz property when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 1000;
/// Most bytes of resident memory one validation may add (see the module docs).
const VALIDATE_MEMORY: u64 = 256 << 20;
/// Most bytes of resident memory a short run may add.
const RUN_MEMORY: u64 = 1 << 30;
/// A validation still going after this long is reported as a hang.
const VALIDATE_HANG: Duration = Duration::from_secs(20);
/// A short run still going after this long is reported as a hang.
const RUN_HANG: Duration = Duration::from_secs(60);
/// The hang detector's limit for `phase`: [`RUN_HANG`] or [`VALIDATE_HANG`], or
/// `DYNSIM_FUZZ_HANG_S` seconds when set (a survey that expects hangs can shorten it).
fn hang_limit(phase: &str) -> Duration {
    let given = std::env::var("DYNSIM_FUZZ_HANG_S").ok().and_then(|v| v.parse::<f64>().ok());
    match given {
        Some(s) if s > 0.0 => Duration::from_secs_f64(s),
        _ if phase == "run" => RUN_HANG,
        _ => VALIDATE_HANG,
    }
}
/// How much simulated time the run property runs.
const RUN_WINDOW_S: f64 = 0.5;
/// Set (to `validate` or `run`) in a child process; the input comes on stdin.
const CHILD_ENV: &str = "DYNSIM_FUZZ_CHILD";
/// How the child's lines to the parent start.
const MARK: &str = "DYNSIM-FUZZ";
/// The file name errors name.
const FILE: &str = "fuzzed.json";

// ---------------------------------------------------------------------------------------------
// What `dynsim validate` does.

/// Loads and checks `text` as `dynsim validate` does (`cmd_validate` in scenarios/src/main.rs):
/// `load::load_str`, which parses, checks every rule, bound and the cost budget, and assembles
/// a trial world ([`scenarios::checked::check`]).
fn validate_like_cli(text: &str) -> Result<CheckedScenario, ScenarioError> {
    load::load_str(text, Path::new(FILE))
}

/// Runs `s` (which validated from `text`) for [`RUN_WINDOW_S`] simulated seconds, as
/// `dynsim run` runs it (`run::run`, problems located in `text`).
fn run_like_cli(s: &CheckedScenario, text: &str) -> Result<(), ScenarioError> {
    let stop = SimTime::ZERO + SimDuration::from_secs_f64(RUN_WINDOW_S);
    let opts = RunOptions { stop_at: Some(stop), ..RunOptions::default() };
    run(s, opts).map(drop).map_err(|p| load::locate_problem(text, Path::new(FILE), p))
}

// ---------------------------------------------------------------------------------------------
// JSON paths and edits.

/// One step of a path into a JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `workloads[0].keys.count`, or `(root)`.
fn show_path(p: &[Seg]) -> String {
    let mut out = String::new();
    for s in p {
        match s {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() { "(root)".into() } else { out }
}

/// Splits `a.b[2].c` into segments.
fn parse_path(p: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in p.split('.') {
        let (key, rest) = part.split_once('[').map_or((part, None), |(k, r)| (k, Some(r)));
        if !key.is_empty() {
            out.push(Seg::Key(key.to_string()));
        }
        if let Some(r) = rest {
            for idx in r.split('[') {
                out.push(Seg::Index(idx.trim_end_matches(']').parse().expect("an index")));
            }
        }
    }
    out
}

fn get_mut<'a>(v: &'a mut Value, p: &[Seg]) -> Option<&'a mut Value> {
    p.iter().try_fold(v, |v, s| match s {
        Seg::Key(k) => v.as_object_mut()?.get_mut(k),
        Seg::Index(i) => v.as_array_mut()?.get_mut(*i),
    })
}

/// Every path in `v`, parents before children, the root first.
fn all_paths(v: &Value) -> Vec<Vec<Seg>> {
    fn walk(v: &Value, here: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
        out.push(here.clone());
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    here.push(Seg::Key(k.clone()));
                    walk(x, here, out);
                    here.pop();
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    here.push(Seg::Index(i));
                    walk(x, here, out);
                    here.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// A value of another JSON type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    String,
    Bool,
    Null,
    Array,
    Object,
    Number,
}

impl Kind {
    fn value(self) -> Value {
        match self {
            Kind::String => json!("fuzz"),
            Kind::Bool => json!(true),
            Kind::Null => Value::Null,
            Kind::Array => json!([]),
            Kind::Object => json!({}),
            Kind::Number => json!(7),
        }
    }
}

/// A change to a number.
#[derive(Clone, Copy, Debug, PartialEq)]
enum NumEdit {
    Times(f64),
    Set(f64),
    /// The largest `u64` (an integer), where counts overflow.
    MaxU64,
}

const NUM_EDITS: [NumEdit; 8] = [
    NumEdit::Times(1e6),
    NumEdit::Times(-1e6),
    NumEdit::Times(1e-6),
    NumEdit::Set(0.0),
    NumEdit::Set(-1.0),
    NumEdit::Set(1e308),
    NumEdit::Set(1e-9),
    NumEdit::MaxU64,
];

/// A JSON number for `x` (an integer when `x` is a whole number an integer field can take and
/// `integral` asks for one; non-finite values saturate at ±f64::MAX).
fn number(x: f64, integral: bool) -> Value {
    if integral && x.fract() == 0.0 && x.abs() < 9.2e18 {
        return Value::from(x as i64);
    }
    let x = if x.is_finite() { x } else { f64::MAX.copysign(x) };
    Value::Number(Number::from_f64(x).expect("finite"))
}

/// `n` edited by `how`; integers stay integers when the result is whole.
fn edit_number(n: &Number, how: NumEdit) -> Value {
    let integral = n.is_i64() || n.is_u64();
    match how {
        NumEdit::Times(f) => {
            if let Some(i) = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from))
                && f.fract() == 0.0
            {
                let p = i * f as i128;
                if let Ok(u) = u64::try_from(p) {
                    return Value::from(u);
                }
                if let Ok(s) = i64::try_from(p) {
                    return Value::from(s);
                }
            }
            number(n.as_f64().unwrap_or(0.0) * f, false)
        }
        NumEdit::Set(x) => number(x, integral),
        NumEdit::MaxU64 => Value::from(u64::MAX),
    }
}

/// A tunable that the shipped examples mostly leave at its default: its path, a typical value
/// (an integer for integer fields) that a [`NumEdit`] changes, and what else must be there for
/// the field to count (set only where missing).
struct Known {
    path: &'static str,
    typical: fn() -> Value,
    needs: fn() -> Vec<(&'static str, Value)>,
}

fn none() -> Vec<(&'static str, Value)> {
    Vec::new()
}

const KNOWN: &[Known] = &[
    Known { path: "outputs.metrics.window_s", typical: || json!(1.0), needs: none },
    Known { path: "outputs.metrics.sample_interval_s", typical: || json!(0.25), needs: none },
    Known { path: "outputs.metrics.sla_ms", typical: || json!(300.0), needs: none },
    Known { path: "outputs.diagram.max_arrows", typical: || json!(60), needs: none },
    Known { path: "outputs.diagram.key", typical: || json!(1), needs: none },
    Known { path: "dynamo.membership.gossip.interval_ms", typical: || json!(1000.0), needs: none },
    Known { path: "dynamo.membership.transfer_batch_keys", typical: || json!(64), needs: none },
    Known { path: "dynamo.membership.transfer_timeout_ms", typical: || json!(2000.0), needs: none },
    Known { path: "dynamo.sloppy_quorum.scan_interval_ms", typical: || json!(1000.0), needs: none },
    Known { path: "dynamo.sloppy_quorum.max_hints", typical: || json!(100_000), needs: none },
    Known { path: "dynamo.failure_detection.retry_interval_ms", typical: || json!(1000.0), needs: none },
    Known { path: "dynamo.failure_detection.suspect_after_ms", typical: || json!(100.0), needs: none },
    Known { path: "dynamo.request_timeout_ms", typical: || json!(300.0), needs: none },
    Known { path: "dynamo.membership_poll_ms", typical: || json!(10_000.0), needs: none },
    Known {
        path: "dynamo.anti_entropy.interval_ms",
        typical: || json!(10_000.0),
        needs: || vec![("dynamo.anti_entropy.enabled", json!(true))],
    },
    Known {
        path: "dynamo.anti_entropy.max_keys_per_exchange",
        typical: || json!(1000),
        needs: || vec![("dynamo.anti_entropy.enabled", json!(true))],
    },
    Known { path: "dynamo.storage.buffer.flush_interval_ms", typical: || json!(1000.0), needs: none },
    Known { path: "dynamo.storage.buffer.max_objects", typical: || json!(1000), needs: none },
    Known { path: "client.timeout_ms", typical: || json!(1000.0), needs: none },
    Known { path: "cluster.spares", typical: || json!(1), needs: none },
    Known {
        path: "probes.rate_per_s",
        typical: || json!(10.0),
        needs: || vec![("probes.delay_ms", json!({ "constant": { "value": 10 } }))],
    },
    Known {
        path: "chaos.pauses.interval_s.constant.value",
        typical: || json!(1.0),
        needs: || {
            vec![
                ("chaos.pauses.nodes", json!([0])),
                ("chaos.pauses.duration_s", json!({ "constant": { "value": 0.1 } })),
            ]
        },
    },
    Known {
        path: "chaos.pauses.duration_s.constant.value",
        typical: || json!(0.1),
        needs: || {
            vec![("chaos.pauses.nodes", json!([0])), ("chaos.pauses.interval_s", json!({ "constant": { "value": 1 } }))]
        },
    },
    Known { path: "workloads[0].max_outstanding", typical: || json!(64), needs: none },
];

/// A random edit, as generated: which node it applies to is an [`Index`] into the nodes of the
/// value at the time it is applied.
#[derive(Clone, Debug)]
enum Mutation {
    Retype { at: Index, to: Kind },
    Remove { at: Index },
    Number { at: Index, how: NumEdit },
    Duplicate { at: Index, element: Index },
    Wrap { at: Index },
    SetKnown { which: Index, how: NumEdit },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let kind =
        prop::sample::select(vec![Kind::String, Kind::Bool, Kind::Null, Kind::Array, Kind::Object, Kind::Number]);
    let num = || prop::sample::select(NUM_EDITS.to_vec());
    prop_oneof![
        4 => (any::<Index>(), num()).prop_map(|(at, how)| Mutation::Number { at, how }),
        2 => (any::<Index>(), kind).prop_map(|(at, to)| Mutation::Retype { at, to }),
        1 => any::<Index>().prop_map(|at| Mutation::Remove { at }),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(at, element)| Mutation::Duplicate { at, element }),
        1 => any::<Index>().prop_map(|at| Mutation::Wrap { at }),
        2 => (any::<Index>(), num()).prop_map(|(which, how)| Mutation::SetKnown { which, how }),
    ]
}

/// A concrete edit at a path: what a [`Mutation`] turned into, applied again as is when a
/// failing case is reduced.
#[derive(Clone, Debug, PartialEq)]
enum Edit {
    /// Set the value at the path, creating missing object members on the way when `create`.
    Set {
        path: Vec<Seg>,
        value: Value,
        create: bool,
    },
    /// Set the value only when nothing is there (creating parents).
    SetIfMissing {
        path: Vec<Seg>,
        value: Value,
    },
    Remove {
        path: Vec<Seg>,
    },
    Duplicate {
        path: Vec<Seg>,
        element: usize,
    },
    Wrap {
        path: Vec<Seg>,
    },
}

impl fmt::Display for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = |v: &Value| {
            let s = v.to_string();
            if s.len() > 70 { format!("{}...", &s[..67]) } else { s }
        };
        match self {
            Edit::Set { path, value, create: false } => write!(f, "{} = {}", show_path(path), short(value)),
            Edit::Set { path, value, create: true } => write!(f, "{} := {} (added)", show_path(path), short(value)),
            Edit::SetIfMissing { path, value } => write!(f, "{} := {} (if missing)", show_path(path), short(value)),
            Edit::Remove { path } => write!(f, "remove {}", show_path(path)),
            Edit::Duplicate { path, element } => write!(f, "duplicate {}[{element}]", show_path(path)),
            Edit::Wrap { path } => write!(f, "wrap {} in an array", show_path(path)),
        }
    }
}

/// Walks to `path`, creating missing object members; `None` when a step is not an object (or
/// an index is out of range).
fn get_or_create<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, s| match s {
        Seg::Key(k) => Some(v.as_object_mut()?.entry(k.clone()).or_insert_with(|| Value::Object(Map::new()))),
        Seg::Index(i) => v.as_array_mut()?.get_mut(*i),
    })
}

impl Edit {
    /// Applies the edit; false when its path is no longer there.
    fn apply(&self, v: &mut Value) -> bool {
        match self {
            Edit::Set { path, value, create } => {
                let slot = if *create { get_or_create(v, path) } else { get_mut(v, path) };
                slot.map(|s| *s = value.clone()).is_some()
            }
            Edit::SetIfMissing { path, value } => {
                if get_mut(v, path).is_some() {
                    return true;
                }
                get_or_create(v, path).map(|s| *s = value.clone()).is_some()
            }
            Edit::Remove { path } => {
                let Some((Seg::Key(k), parent)) = path.split_last() else { return false };
                get_mut(v, parent).and_then(Value::as_object_mut).and_then(|m| m.remove(k)).is_some()
            }
            Edit::Duplicate { path, element } => {
                let Some(a) = get_mut(v, path).and_then(Value::as_array_mut) else { return false };
                let Some(x) = a.get(*element).cloned() else { return false };
                a.insert(element + 1, x);
                true
            }
            Edit::Wrap { path } => get_mut(v, path).map(|s| *s = Value::Array(vec![s.take()])).is_some(),
        }
    }
}

/// The concrete edits `m` makes to `v` as it is now (none when nothing fits).
fn resolve(v: &Value, m: &Mutation) -> Vec<Edit> {
    let paths = all_paths(v);
    let pick = |at: &Index, keep: &dyn Fn(&Vec<Seg>, &Value) -> bool| -> Option<Vec<Seg>> {
        let fit: Vec<&Vec<Seg>> = paths.iter().filter(|p| keep(p, get(v, p))).collect();
        (!fit.is_empty()).then(|| at.get(&fit).to_vec())
    };
    match m {
        Mutation::Retype { at, to } => pick(at, &|p, _| !p.is_empty())
            .map(|path| vec![Edit::Set { path, value: to.value(), create: false }])
            .unwrap_or_default(),
        Mutation::Remove { at } => pick(at, &|p, _| matches!(p.last(), Some(Seg::Key(_))))
            .map(|path| vec![Edit::Remove { path }])
            .unwrap_or_default(),
        Mutation::Number { at, how } => pick(at, &|_, x| x.is_number())
            .map(|path| {
                let Value::Number(n) = get(v, &path) else { unreachable!() };
                vec![Edit::Set { value: edit_number(n, *how), path, create: false }]
            })
            .unwrap_or_default(),
        Mutation::Duplicate { at, element } => pick(at, &|_, x| x.as_array().is_some_and(|a| !a.is_empty()))
            .map(|path| {
                let len = get(v, &path).as_array().map_or(1, Vec::len);
                vec![Edit::Duplicate { path, element: element.index(len) }]
            })
            .unwrap_or_default(),
        Mutation::Wrap { at } => {
            pick(at, &|_, x| x.is_object()).map(|path| vec![Edit::Wrap { path }]).unwrap_or_default()
        }
        Mutation::SetKnown { which, how } => {
            let k = which.get(KNOWN);
            let Value::Number(typical) = (k.typical)() else { unreachable!("typical values are numbers") };
            let mut edits: Vec<Edit> =
                (k.needs)().into_iter().map(|(p, value)| Edit::SetIfMissing { path: parse_path(p), value }).collect();
            edits.push(Edit::Set { path: parse_path(k.path), value: edit_number(&typical, *how), create: true });
            edits
        }
    }
}

fn get<'a>(v: &'a Value, p: &[Seg]) -> &'a Value {
    p.iter().fold(v, |v, s| match s {
        Seg::Key(k) => &v[k.as_str()],
        Seg::Index(i) => &v[*i],
    })
}

/// The shipped scenarios, parsed.
fn bases() -> &'static [Value] {
    static B: OnceLock<Vec<Value>> = OnceLock::new();
    B.get_or_init(|| {
        EXAMPLES
            .iter()
            .map(|(n, t)| serde_json::from_str(t).unwrap_or_else(|e| panic!("shipped scenario {n} is not JSON: {e}")))
            .collect()
    })
}

/// One fuzz input, made concrete: the shipped scenario and the edits applied to it, one group
/// per mutation (a tunable set where it was missing may need its neighbours: they go together).
#[derive(Clone, Debug)]
struct Case {
    example: usize,
    steps: Vec<Vec<Edit>>,
}

impl Case {
    fn from_mutations(example: usize, ms: &[Mutation]) -> Case {
        let mut v = bases()[example].clone();
        let mut steps = Vec::new();
        for m in ms {
            let step: Vec<Edit> = resolve(&v, m).into_iter().filter(|e| e.apply(&mut v)).collect();
            if !step.is_empty() {
                steps.push(step);
            }
        }
        Case { example, steps }
    }

    fn edits(&self) -> impl Iterator<Item = &Edit> {
        self.steps.iter().flatten()
    }

    fn value(&self) -> Value {
        let mut v = bases()[self.example].clone();
        for e in self.edits() {
            e.apply(&mut v);
        }
        v
    }

    fn text(&self) -> String {
        serde_json::to_string_pretty(&self.value()).expect("a JSON value serialises") + "\n"
    }

    fn name(&self) -> &'static str {
        EXAMPLES[self.example].0
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shipped scenario `{}` with edits:", self.name())?;
        if self.steps.is_empty() {
            write!(f, " (none)")?;
        }
        for step in &self.steps {
            for (i, e) in step.iter().enumerate() {
                write!(f, "\n    {}{e}", if i == 0 { "" } else { "  and " })?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The child process.

/// Where the child's panic hook leaves what it saw.
static PANIC_SEEN: Mutex<Option<(String, String, String)>> = Mutex::new(None);
/// The child's peak resident size when it panicked (before resolving a backtrace, which loads
/// debug information and costs memory of its own).
static PEAK_AT_PANIC: AtomicU64 = AtomicU64::new(0);
/// The growth the child's watchdog allows now.
static LIMIT: AtomicU64 = AtomicU64::new(VALIDATE_MEMORY);
/// Whether the child has moved on to the run.
static IN_RUN: AtomicBool = AtomicBool::new(false);

/// The workspace root, to find the project's own frames in a backtrace.
fn workspace_root() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").display().to_string()
}

/// The first frame of a backtrace in the project's code other than this file: `function at
/// file:line`.
fn first_project_frame(bt: &str) -> String {
    let root = workspace_root();
    let lines: Vec<&str> = bt.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        let l = l.trim();
        // Std prints paths under the working directory (tests/) as `./...`.
        if let Some(at) = l.strip_prefix("at ")
            && (at.starts_with(&root) || at.starts_with("./"))
            && !at.contains("fuzz_scenarios.rs")
        {
            let func = i.checked_sub(1).map_or("", |j| lines[j].trim());
            let func = func.split_once(": ").map_or(func, |(_, f)| f);
            return format!("{func} at {}", at.strip_prefix(&format!("{root}/")).unwrap_or(at));
        }
    }
    "(no frame in the project's code)".into()
}

/// Resident size and its peak, in bytes, from `/proc/self/status`.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|r| r.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{MARK} {line}");
    let _ = out.flush();
}

/// An outcome as the child sends it.
fn outcome_json(r: &Result<(), ScenarioError>) -> Value {
    match r {
        Ok(()) => json!({ "kind": "accepted" }),
        Err(e) => json!({
            "kind": "refused", "line": e.line, "column": e.column, "path": e.problem.path,
            "message": e.problem.message, "fix": e.problem.fix, "rendered": e.to_string(),
        }),
    }
}

fn panic_json() -> Value {
    let (message, location, frame) = PANIC_SEEN.lock().unwrap().take().unwrap_or_default();
    json!({ "kind": "panicked", "message": message, "location": location, "frame": frame })
}

/// The child's work: validate stdin's text (and, in `run` mode, run it briefly if accepted),
/// reporting each step to the parent on stdout.
fn child_main(mode: &str) {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).expect("the input on stdin");
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(a non-string panic payload)".into());
        let location = info.location().map_or_else(String::new, |l| format!("{}:{}", l.file(), l.line()));
        PEAK_AT_PANIC.store(memory().1, Ordering::SeqCst);
        let limit = LIMIT.swap(u64::MAX, Ordering::SeqCst); // the backtrace is not the input's cost
        let frame = first_project_frame(&std::backtrace::Backtrace::force_capture().to_string());
        LIMIT.store(limit, Ordering::SeqCst);
        *PANIC_SEEN.lock().unwrap() = Some((message, location, frame));
    }));
    let (baseline, _) = memory();
    // The watchdog: stops the child as soon as its memory grows past the phase's budget.
    std::thread::spawn(move || {
        loop {
            let (rss, hwm) = memory();
            let grown = rss.max(hwm).saturating_sub(baseline);
            if grown > LIMIT.load(Ordering::SeqCst) {
                let phase = if IN_RUN.load(Ordering::SeqCst) { "run" } else { "validate" };
                say(&format!("over {phase} {grown}"));
                std::process::exit(3);
            }
            std::thread::sleep(Duration::from_millis(3));
        }
    });
    say("phase validate");
    let validated = catch_unwind(AssertUnwindSafe(|| validate_like_cli(&text)));
    let hwm = if validated.is_err() { PEAK_AT_PANIC.load(Ordering::SeqCst) } else { memory().1 };
    say(&format!("peak validate {}", hwm.saturating_sub(baseline)));
    let s = match validated {
        Err(_) => return say(&format!("validate {}", panic_json())),
        Ok(Err(e)) => return say(&format!("validate {}", outcome_json(&Err(e)))),
        Ok(Ok(s)) => {
            say(&format!("validate {}", outcome_json(&Ok(()))));
            s
        }
    };
    if mode != "run" {
        return;
    }
    LIMIT.store(RUN_MEMORY, Ordering::SeqCst);
    IN_RUN.store(true, Ordering::SeqCst);
    say("phase run");
    let ran = catch_unwind(AssertUnwindSafe(|| run_like_cli(&s, &text)));
    let hwm = if ran.is_err() { PEAK_AT_PANIC.load(Ordering::SeqCst) } else { memory().1 };
    say(&format!("peak run {}", hwm.saturating_sub(baseline)));
    match ran {
        Err(_) => say(&format!("run {}", panic_json())),
        Ok(r) => say(&format!("run {}", outcome_json(&r))),
    }
}

/// Not a test: the entry point of the child processes the fuzz starts (see the module docs).
/// Without [`CHILD_ENV`] it does nothing.
#[test]
fn child_process_entry_point() {
    if let Ok(mode) = std::env::var(CHILD_ENV) {
        child_main(&mode);
    }
}

// ---------------------------------------------------------------------------------------------
// The parent's side.

/// How a validation or a run ended, as the child reported it.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Accepted,
    Refused { line: Option<usize>, column: Option<usize>, path: String, message: String, fix: String, rendered: String },
    Panicked { message: String, location: String, frame: String },
}

impl Outcome {
    fn from_json(v: &Value) -> Outcome {
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let n = |k: &str| v[k].as_u64().map(|x| x as usize);
        match v["kind"].as_str() {
            Some("accepted") => Outcome::Accepted,
            Some("refused") => Outcome::Refused {
                line: n("line"),
                column: n("column"),
                path: s("path"),
                message: s("message"),
                fix: s("fix"),
                rendered: s("rendered"),
            },
            _ => Outcome::Panicked { message: s("message"), location: s("location"), frame: s("frame") },
        }
    }
}

/// Everything the child reported, or what became of it.
#[derive(Clone, Debug, Default)]
struct Report {
    validate: Option<Outcome>,
    validate_peak: Option<u64>,
    run: Option<Outcome>,
    run_peak: Option<u64>,
    /// The watchdog stopped the child: (phase, bytes grown).
    over: Option<(String, u64)>,
    /// The parent killed the child in this phase.
    hung: Option<String>,
    /// The child ended without a verdict: its exit status and the end of its stderr.
    died: Option<String>,
    /// The last phase the child started.
    phase: String,
}

impl Report {
    /// Takes in one line from the child; true when it says the run starts.
    fn absorb(&mut self, line: &str) -> bool {
        let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
        let (phase, n) = rest.split_once(' ').unwrap_or_default();
        match head {
            "phase" => {
                self.phase = rest.to_string();
                return rest == "run";
            }
            "peak" if phase == "run" => self.run_peak = n.parse().ok(),
            "peak" => self.validate_peak = n.parse().ok(),
            "over" => self.over = Some((phase.to_string(), n.parse().unwrap_or(0))),
            "validate" => self.validate = serde_json::from_str(rest).ok().map(|v| Outcome::from_json(&v)),
            "run" => self.run = serde_json::from_str(rest).ok().map(|v| Outcome::from_json(&v)),
            _ => {}
        }
        false
    }
}

/// Validates `text` (and in `run` mode runs it briefly if accepted) in a child process.
fn in_child(text: &str, mode: &str) -> Report {
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe)
        .args(["child_process_entry_point", "--exact", "--nocapture", "--test-threads=1", "-q"])
        .env(CHILD_ENV, mode)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting a child process");
    let mut stdin = child.stdin.take().expect("piped");
    let input = text.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix(MARK) {
                let _ = tx.send(rest.trim().to_string());
            }
        }
    });
    let mut stderr = child.stderr.take().expect("piped");
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut r = Report { phase: "start".into(), ..Report::default() };
    let mut since = Instant::now();
    let status = loop {
        for line in rx.try_iter() {
            if r.absorb(&line) {
                since = Instant::now(); // the run's clock starts with the run
            }
        }
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            break Some(status);
        }
        let limit = hang_limit(&r.phase);
        if since.elapsed() > limit {
            r.hung = Some(if r.phase == "run" { "run".into() } else { "validate".into() });
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = writer.join();
    let _ = reader.join();
    let err = err_reader.join().unwrap_or_default();
    for line in rx.try_iter() {
        r.absorb(&line); // what arrived after the last poll
    }
    let finished =
        if mode == "run" && r.validate == Some(Outcome::Accepted) { r.run.is_some() } else { r.validate.is_some() };
    if let Some(status) = status
        && !finished
        && r.over.is_none()
    {
        let tail: String = err.chars().rev().take(600).collect::<Vec<_>>().into_iter().rev().collect();
        r.died = Some(format!("{status}; stderr ends: {}", tail.trim()));
    }
    r
}

const MIB: f64 = 1024.0 * 1024.0;

/// A problem a case showed: a kind and a place that tell distinct problems apart, and the
/// details.
#[derive(Clone, Debug)]
struct Finding {
    signature: String,
    detail: String,
}

/// Leaves only the keys of a path (`workloads[0].keys` -> `workloads[].keys`), to group
/// findings.
fn generic(path: &str) -> String {
    let mut out = String::new();
    let mut skip = false;
    for c in path.chars() {
        match c {
            '[' => {
                skip = true;
                out.push('[');
            }
            ']' => {
                skip = false;
                out.push(']');
            }
            _ if skip => {}
            _ => out.push(c),
        }
    }
    out
}

/// What the edits touched, for grouping budget findings.
fn edited_paths(case: &Case) -> String {
    let mut ps: Vec<String> = case
        .edits()
        .map(|e| match e {
            Edit::Set { path, .. }
            | Edit::SetIfMissing { path, .. }
            | Edit::Remove { path }
            | Edit::Duplicate { path, .. }
            | Edit::Wrap { path } => generic(&show_path(path)),
        })
        .collect();
    ps.sort();
    ps.dedup();
    ps.join(", ")
}

/// Lines `line - 2 ..= line + 2` of `text`, numbered.
fn excerpt(text: &str, line: Option<usize>) -> String {
    let Some(line) = line else { return String::new() };
    let from = line.saturating_sub(2).max(1);
    text.lines().enumerate().skip(from - 1).take(5).map(|(i, l)| format!("\n    {:>4} | {l}", i + 1)).collect()
}

/// Checks how validation (`phase` "validate") or the run ended; `None` when it is fine.
fn judge_bounds(case: &Case, r: &Report, phase: &str) -> Option<Finding> {
    let budget = if phase == "run" { RUN_MEMORY } else { VALIDATE_MEMORY };
    let hang = hang_limit(phase);
    let what = if phase == "run" { format!("a run of the first {RUN_WINDOW_S} s") } else { "validate".into() };
    if r.hung.as_deref() == Some(phase) {
        return Some(Finding {
            signature: format!("{phase} hangs (> {} s) after editing {}", hang.as_secs(), edited_paths(case)),
            detail: format!("{what} did not finish within {} s", hang.as_secs()),
        });
    }
    if let Some((p, grown)) = &r.over
        && p == phase
    {
        return Some(Finding {
            signature: format!("{phase} memory unbounded after editing {}", edited_paths(case)),
            detail: format!(
                "{what} grew resident memory past {:.0} MiB ({:.0} MiB when stopped)",
                budget as f64 / MIB,
                *grown as f64 / MIB
            ),
        });
    }
    let peak = if phase == "run" { r.run_peak } else { r.validate_peak };
    if let Some(p) = peak
        && p > budget
    {
        return Some(Finding {
            signature: format!("{phase} memory over budget after editing {}", edited_paths(case)),
            detail: format!("{what} peaked at {:.0} MiB of new resident memory", p as f64 / MIB),
        });
    }
    if let Some(d) = &r.died
        && r.phase == phase
    {
        let sig = if d.contains("memory allocation of") {
            "allocation failure"
        } else if d.contains("stack overflow") {
            "stack overflow"
        } else {
            "child died"
        };
        return Some(Finding {
            signature: format!("{phase}: {sig} after editing {}", edited_paths(case)),
            detail: format!("{what} killed the process: {d}"),
        });
    }
    None
}

/// Property 1: validation ends (bounded) with an acceptance or a located refusal.
fn judge_validate(case: &Case, text: &str, r: &Report) -> Option<Finding> {
    if let Some(f) = judge_bounds(case, r, "validate") {
        return Some(f);
    }
    match r.validate.as_ref()? {
        Outcome::Accepted => None,
        Outcome::Panicked { message, location, frame } => Some(Finding {
            signature: format!("validate panics at {location} ({frame})"),
            detail: format!("validate panicked at {location}: {message}\n  first project frame: {frame}"),
        }),
        Outcome::Refused { line, column, path, message, fix, rendered } => {
            let mut wrong = Vec::new();
            match (line, column) {
                (Some(l), Some(c)) => {
                    let lines: Vec<&str> = text.split('\n').collect();
                    let width = lines.get(l.wrapping_sub(1)).map(|x| x.chars().count());
                    if !(1..=lines.len()).contains(l) || width.is_none_or(|w| !(1..=w + 1).contains(c)) {
                        wrong.push(format!("position {l}:{c} is outside the text"));
                    }
                }
                _ => wrong.push("no line and column".to_string()),
            }
            if message.trim().is_empty() {
                wrong.push("an empty message".into());
            }
            if fix.trim().is_empty() {
                wrong.push("no fix".into());
            }
            (!wrong.is_empty()).then(|| Finding {
                signature: format!("refusal with {} at {}", wrong.join(" and "), generic(path)),
                detail: format!("refused with {}:\n  {rendered}{}", wrong.join(", "), excerpt(text, *line)),
            })
        }
    }
}

/// Property 2: what validation accepted, a (short) run accepts too, without panicking.
fn judge_run(case: &Case, _text: &str, r: &Report) -> Option<Finding> {
    if r.validate != Some(Outcome::Accepted) {
        return None; // property 1's business
    }
    if let Some(f) = judge_bounds(case, r, "run") {
        return Some(f);
    }
    match r.run.as_ref()? {
        Outcome::Accepted => None,
        Outcome::Panicked { message, location, frame } => Some(Finding {
            signature: format!("run panics at {location} ({frame})"),
            detail: format!(
                "validate accepted it, then the run panicked at {location}: {message}\n  first project frame: {frame}"
            ),
        }),
        Outcome::Refused { path, rendered, .. } => Some(Finding {
            signature: format!("run refuses what validate accepts at {}", generic(path)),
            detail: format!("validate accepted it, then the run refused it:\n  {rendered}"),
        }),
    }
}

/// A judge: the case, its text and what the child reported, to a finding or none.
type Judge = fn(&Case, &str, &Report) -> Option<Finding>;

fn check_case(case: &Case, mode: &str, judge: Judge) -> (Report, Option<Finding>) {
    let text = case.text();
    let r = in_child(&text, mode);
    let f = judge(case, &text, &r);
    (r, f)
}

/// Drops every edit the finding does not need (the same signature must remain).
fn reduce(case: &Case, mode: &str, judge: Judge, found: Finding) -> (Case, Finding) {
    let mut case = case.clone();
    let mut found = found;
    let mut i = 0;
    while i < case.steps.len() && case.steps.len() > 1 {
        let mut fewer = case.clone();
        fewer.steps.remove(i);
        match check_case(&fewer, mode, judge).1 {
            Some(f) if same_kind(&f, &found) => {
                case = fewer;
                found = f;
            }
            _ => i += 1,
        }
    }
    (case, found)
}

/// Two findings are the same problem (budget findings name the edited paths, which reduction
/// changes; compare what comes before them).
fn same_kind(a: &Finding, b: &Finding) -> bool {
    let head = |s: &str| s.split(" after editing ").next().unwrap_or(s).to_string();
    head(&a.signature) == head(&b.signature)
}

fn config() -> Config {
    let mut c = Config::default(); // reads PROPTEST_CASES and PROPTEST_RNG_SEED
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = DEFAULT_CASES;
    }
    c.source_file = Some(file!());
    c.failure_persistence = Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions")));
    // A hang costs VALIDATE_HANG per try: keep shrinking short.
    c.max_shrink_iters = 200;
    c.max_shrink_time = 120_000;
    c
}

fn inputs() -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    (0..EXAMPLES.len(), prop::collection::vec(mutation(), 1..=4))
}

/// Runs a fuzz property: fail fast with proptest's shrinking, or (`DYNSIM_FUZZ_COLLECT`) run
/// every case and report every distinct finding.
fn campaign(mode: &str, judge: Judge) {
    let cfg = config();
    if std::env::var_os("DYNSIM_FUZZ_COLLECT").is_some() {
        return collect(mode, judge, cfg);
    }
    let mut runner = TestRunner::new(cfg);
    let outcome = runner.run(&inputs(), |(example, ms)| {
        let case = Case::from_mutations(example, &ms);
        match check_case(&case, mode, judge).1 {
            None => Ok(()),
            Some(f) => {
                Err(TestCaseError::fail(format!("{}\n  input: {case}\n  full text:\n{}", f.detail, case.text())))
            }
        }
    });
    match outcome {
        Ok(()) => {}
        Err(TestError::Fail(reason, _)) => panic!("fuzz found a problem (shrunk):\n{reason}"),
        Err(e) => panic!("{e}"),
    }
}

fn collect(mode: &str, judge: Judge, cfg: Config) {
    let cases = cfg.cases;
    let mut runner = TestRunner::new(cfg);
    let strategy = inputs();
    let mut found: BTreeMap<String, (usize, Case, Finding)> = BTreeMap::new();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    for _ in 0..cases {
        let (example, ms) = strategy.new_tree(&mut runner).expect("an input").current();
        let case = Case::from_mutations(example, &ms);
        let (r, f) = check_case(&case, mode, judge);
        let outcome = match (&r.validate, &r.run) {
            (Some(Outcome::Accepted), None) if mode == "run" => "validate accepted, run did not finish",
            (Some(Outcome::Accepted), Some(Outcome::Accepted)) => "validate and run accepted",
            (Some(Outcome::Accepted), Some(_)) => "validate accepted, run refused or panicked",
            (Some(Outcome::Accepted), None) => "validate accepted",
            (Some(Outcome::Refused { .. }), _) => "validate refused",
            (Some(Outcome::Panicked { .. }), _) => "validate panicked",
            (None, _) => "validate did not finish",
        };
        *tally.entry(outcome).or_default() += 1;
        let Some(f) = f else { continue };
        // Budget findings are told apart by the edits that cause them: reduce those first.
        let budget = f.signature.contains(" after editing ");
        if !budget && let Some(entry) = found.get_mut(&f.signature) {
            entry.0 += 1;
            continue;
        }
        let (small, f) = reduce(&case, mode, judge, f);
        found.entry(f.signature.clone()).or_insert((0, small, f)).0 += 1;
    }
    let mut out = format!("{cases} cases ({mode}):\n");
    for (k, n) in &tally {
        out.push_str(&format!("  {n:>5}  {k}\n"));
    }
    out.push_str(&format!("{} distinct finding(s):\n", found.len()));
    for (sig, (n, case, f)) in &found {
        out.push_str(&format!("\n* {sig}  [{n} case(s)]\n  {}\n  input: {case}\n", f.detail));
    }
    println!("{out}");
    assert!(found.is_empty(), "{out}");
}

// ---------------------------------------------------------------------------------------------
// The fuzz properties.

/// Property 1: any mutation of a shipped scenario is refused with a line, column, message and
/// fix, or accepted; never a panic; validation stays within its memory budget and finishes.
#[test]
fn mutated_shipped_scenarios_are_refused_with_a_location_or_accepted_within_budget() {
    campaign("validate", judge_validate);
}

/// Property 2: a mutated scenario that validation accepts, a run accepts too (no `Err`, no
/// panic in its first [`RUN_WINDOW_S`] seconds).
#[test]
fn what_validate_accepts_a_run_accepts() {
    campaign("run", judge_run);
}

/// The harness itself: every shipped scenario, unedited, validates in a child within budget and
/// starts running, so a failure of the fuzz is the edits', not the base's.
#[test]
fn every_shipped_scenario_validates_and_runs_in_the_harness() {
    let mut failures = Vec::new();
    for example in 0..EXAMPLES.len() {
        let case = Case { example, steps: Vec::new() };
        let (r, f) = check_case(&case, "run", judge_run);
        if r.validate != Some(Outcome::Accepted) {
            failures.push(format!("{}: validate gave {:?}", case.name(), r));
        } else if let Some(f) = f.or_else(|| judge_validate(&case, &case.text(), &r)) {
            failures.push(format!("{}: {}", case.name(), f.detail));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The known cases of issue 13.

/// [`tests::SMALL`] with `edit` applied to its JSON value, pretty-printed.
fn small_with(edit: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(tests::SMALL).expect("SMALL is JSON");
    edit(&mut v);
    serde_json::to_string_pretty(&v).expect("serialises") + "\n"
}

/// Validates `text` in a child: `Err` when validation is unbounded, panics, or refuses without
/// a location, message and fix.
fn bounded_and_located(text: &str) -> Result<Report, String> {
    let case = Case { example: 0, steps: Vec::new() }; // only names the edits in findings
    let r = in_child(text, "validate");
    if let Some(f) = judge_bounds(&case, &r, "validate") {
        return Err(f.detail);
    }
    match &r.validate {
        None => Err(format!("no verdict: {r:?}")),
        Some(Outcome::Panicked { message, location, frame }) => {
            Err(format!("validate panicked at {location}: {message} (first project frame: {frame})"))
        }
        Some(Outcome::Refused { line, column, message, fix, rendered, .. })
            if line.is_none() || column.is_none() || message.trim().is_empty() || fix.trim().is_empty() =>
        {
            Err(format!("a refusal must carry a line, column, message and fix: {rendered}"))
        }
        Some(_) => Ok(r),
    }
}

/// Validation of `text` must stay bounded, and any refusal be located.
fn assert_bounded(text: &str) {
    if let Err(e) = bounded_and_located(text) {
        panic!("{e}\ninput:\n{text}");
    }
}

/// Validation (not just a run) must refuse `text`, with a location, within budget, and (when
/// given) at a path that starts with `path`.
fn assert_refused_by_validate(text: &str, path: Option<&str>) {
    let r = bounded_and_located(text).unwrap_or_else(|e| panic!("{e}\ninput:\n{text}"));
    match r.validate {
        Some(Outcome::Refused { path: got, rendered, .. }) => {
            if let Some(want) = path {
                assert!(got.starts_with(want), "refused at {got:?}, expected a path under {want:?}: {rendered}");
            }
        }
        other => panic!("validate must refuse this, got {other:?}\ninput:\n{text}"),
    }
}

#[test]
fn a_billion_clients_validate_is_bounded() {
    // As a float literal serde refuses it for a count; as an integer it is a real request.
    let float = tests::with_line(
        tests::SMALL,
        11,
        r#"    { "clients": 1e9, "arrival": { "poisson": { "rate_per_s": 50 } }, "keys": { "count": 50 } }"#,
    );
    assert_bounded(&float);
    assert_bounded(&small_with(|v| v["workloads"][0]["clients"] = json!(1_000_000_000u64)));
}

#[test]
fn nodes_4096_with_65536_tokens_each_validate_is_bounded() {
    assert_bounded(&small_with(|v| {
        v["cluster"] = json!({ "nodes": 4096, "partitioning": { "kind": "random_tokens", "tokens_per_node": 65536 } });
    }));
}

#[test]
fn a_nanosecond_metrics_window_is_refused_by_validate() {
    let text = small_with(|v| v["outputs"] = json!({ "metrics": { "window_s": 1e-9 } }));
    assert_refused_by_validate(&text, Some("outputs.metrics.window_s"));
}

#[test]
fn a_nanosecond_sample_interval_is_refused_by_validate() {
    let text = small_with(|v| v["outputs"] = json!({ "metrics": { "sample_interval_s": 1e-9 } }));
    assert_refused_by_validate(&text, Some("outputs.metrics.sample_interval_s"));
}

#[test]
fn a_gossip_interval_of_1e_9_ms_is_refused_by_validate() {
    let text = small_with(|v| v["dynamo"]["membership"] = json!({ "gossip": { "interval_ms": 1e-9 } }));
    assert_refused_by_validate(&text, Some("dynamo.membership.gossip.interval_ms"));
}

#[test]
fn a_hint_scan_interval_of_1e_9_ms_is_refused_by_validate() {
    let text = small_with(|v| v["dynamo"]["sloppy_quorum"] = json!({ "scan_interval_ms": 1e-9 }));
    assert_refused_by_validate(&text, Some("dynamo.sloppy_quorum.scan_interval_ms"));
}

#[test]
fn a_probe_rate_of_1e12_per_s_is_refused_by_validate() {
    let text = small_with(|v| v["probes"] = json!({ "rate_per_s": 1e12, "delay_ms": { "constant": { "value": 10 } } }));
    assert_refused_by_validate(&text, None);
}

#[test]
fn a_duration_of_1e12_s_is_refused_by_validate() {
    assert_refused_by_validate(&small_with(|v| v["duration_s"] = json!(1e12)), None);
}

#[test]
fn a_duration_of_1e308_s_is_refused_by_validate() {
    assert_refused_by_validate(&small_with(|v| v["duration_s"] = json!(1e308)), None);
}

#[test]
fn a_settle_time_of_1e12_s_is_refused_by_validate() {
    assert_refused_by_validate(&small_with(|v| v["settle_s"] = json!(1e12)), None);
}

#[test]
fn pause_chaos_with_zero_interval_and_zero_duration_is_refused_by_validate() {
    let text = small_with(|v| {
        v["chaos"] = json!({ "pauses": {
            "nodes": [0],
            "interval_s": { "constant": { "value": 0 } },
            "duration_s": { "constant": { "value": 0 } }
        } });
    });
    assert_refused_by_validate(&text, Some("chaos.pauses"));
}
