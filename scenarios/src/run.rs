//! Running a scenario: assemble the world, run it to the end under an optional progress bar,
//! and collect the history and the final state.
//!
//! The run itself is single-threaded and reads no wall clock; the progress bar (stderr, hidden
//! when stderr is not a terminal) is the only thing here that looks at real time, and nothing
//! it sees reaches the simulation or the report.

use crate::app::ClientApp;
use crate::assemble::{Assembly, assemble};
use crate::error::SpecError;
use crate::history::OpRecord;
use crate::metrics::{Sampler, Samples};
use crate::spec::Scenario;
use crate::validate::validate;
use crate::workload::client::ClientCounters;
use sim_core::trace::TraceSink;
use sim_core::{SimDuration, SimTime};
use std::time::Instant;

/// How to run.
#[derive(Default)]
pub struct RunOptions {
    /// Override the scenario's seed.
    pub seed: Option<u64>,
    /// A structured trace sink (for `dynsim replay`).
    pub trace: Option<Box<dyn TraceSink>>,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
    /// Stop at this time instead of the scenario's end (a re-run that only needs a trace of
    /// an early window); the outcome then describes the run up to that time.
    pub stop_at: Option<SimTime>,
}

/// What a run produced.
pub struct RunOutcome {
    /// The seed used.
    pub seed: u64,
    /// The trace hash, 16 hex digits.
    pub trace_hash: String,
    /// Every client operation, ordered by invocation time (then client).
    pub history: Vec<OpRecord>,
    /// Workload counters summed over clients.
    pub counters: ClientCounters,
    /// The world at the end of the run, for inspection.
    pub assembly: Assembly,
    /// The trace sink, if one was installed.
    pub trace: Option<Box<dyn TraceSink>>,
    /// Replica state sampled during the run (`None` when sampling was off).
    pub samples: Option<Samples>,
    /// Wall-clock seconds the run took (for the console only; never in a report).
    pub wall_s: f64,
}

/// Whether a run samples replica state for the metrics (divergence over time, convergence,
/// node counters across restarts). Sampling only reads the world: it never changes the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sampling {
    /// Sample every `outputs.metrics.sample_interval_s`.
    #[default]
    On,
    /// Do not sample (the sections that need samples report `null` or nothing).
    Off,
}

/// Validates, assembles and runs a scenario, sampling replica state for the metrics.
pub fn run(s: &Scenario, opts: RunOptions) -> Result<RunOutcome, SpecError> {
    run_with(s, opts, Sampling::On)
}

/// Validates, assembles and runs a scenario, sampling or not.
pub fn run_with(s: &Scenario, opts: RunOptions, sampling: Sampling) -> Result<RunOutcome, SpecError> {
    validate(s)?;
    s.outputs.metrics.check()?;
    s.outputs.diagram.check(s.duration_s + s.settle_s)?;
    let seed = opts.seed.unwrap_or(s.seed);
    let mut asm = assemble(s, seed)?;
    if let Some(sink) = opts.trace {
        asm.world.set_trace_sink(sink);
    }
    let started = Instant::now();
    let mut sampler =
        (sampling == Sampling::On).then(|| Sampler::new(s.dynamo.n, s.outputs.metrics.sample_interval(asm.end)));
    let end = opts.stop_at.map_or(asm.end, |t| t.min(asm.end));
    drive(&mut asm, end, opts.progress, sampler.as_mut());
    let wall_s = started.elapsed().as_secs_f64();
    let (history, counters) = collect(&asm);
    let trace = asm.world.take_trace_sink();
    let samples = sampler.map(Sampler::finish);
    let trace_hash = asm.world.trace_hash().hex();
    Ok(RunOutcome { seed, trace_hash, history, counters, assembly: asm, trace, samples, wall_s })
}

/// Runs the world to `end` in slices (200, or one per sample), updating the progress bar and
/// sampling between slices. Slicing does not change the run: `run_until` handles the same
/// events in the same order however the time is cut.
fn drive(asm: &mut Assembly, end: SimTime, progress: bool, mut sampler: Option<&mut Sampler>) {
    let bar = progress.then(|| crate::progress::Bar::new(end));
    let slice = sampler.as_ref().map_or(SimDuration::from_nanos((end.0 / 200).max(1)), |s| s.interval());
    let mut t = SimTime::ZERO;
    while t < end {
        t = (t + slice).min(end);
        asm.world.run_until(t);
        if let Some(s) = sampler.as_deref_mut() {
            s.sample(asm);
        }
        if let Some(b) = &bar {
            b.update(t, asm.world.stats().popped);
        }
    }
    if let Some(b) = bar {
        b.finish();
    }
}

fn collect(asm: &Assembly) -> (Vec<OpRecord>, ClientCounters) {
    let mut history = Vec::new();
    let mut counters = ClientCounters::default();
    for &(id, _) in &asm.clients {
        let Some(c) = asm.world.process(id).and_then(|a| a.as_client()) else { continue };
        history.extend_from_slice(c.app().history());
        if let ClientApp::Workload(w) = c.app() {
            let k = w.counters();
            counters.shed += k.shed;
            counters.resurrected_items += k.resurrected_items;
        }
    }
    history.sort_by_key(|r| (r.invoked, r.client, r.completed));
    (history, counters)
}
