//! Running a scenario: assemble the world, install measurement, run it to the end under an
//! optional progress bar, and hand back what was measured with the final state.
//!
//! The run itself is single-threaded and reads no wall clock; the progress bar (stderr, hidden
//! when stderr is not a terminal) is the only thing here that looks at real time, and nothing
//! it sees reaches the simulation or the report.

use crate::app::ClientApp;
use crate::assemble::{Assembly, assemble};
use crate::checked::CheckedScenario;
use crate::error::SpecError;
use crate::measure::measured::Measured;
use crate::measure::{HistorySink, Measure, MeasureConfig};
use crate::spec::Scenario;
use crate::workload::client::ClientCounters;
use sim_core::trace::TraceSink;
use sim_core::{SimDuration, SimTime};
use std::cell::RefCell;
use std::rc::Rc;
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
    /// Where every operation's record goes, if anywhere (`dynsim run --history FILE`, and the
    /// test oracle).
    pub history: Option<HistorySink>,
    /// Where every probe read's row goes, if anywhere (`dynsim run --probes FILE`).
    pub probes: Option<Box<dyn std::io::Write>>,
    /// Stop once the run has handled this many events (`dynsim check`'s event budget); the
    /// outcome then says so in [`RunOutcome::budget_blown`].
    pub event_budget: Option<u64>,
    /// Also run the oracle's scanning sampler beside measurement (tests only).
    #[cfg(feature = "oracle")]
    pub oracle: bool,
}

/// What a run produced.
pub struct RunOutcome {
    /// The seed used.
    pub seed: u64,
    /// The trace hash, 16 hex digits.
    pub trace_hash: String,
    /// Workload counters summed over clients.
    pub counters: ClientCounters,
    /// The world at the end of the run, for inspection.
    pub assembly: Assembly,
    /// The trace sink, if one was installed.
    pub trace: Option<Box<dyn TraceSink>>,
    /// What measurement found (`None` when measurement was off).
    pub measured: Option<Measured>,
    /// The oracle's samples, when asked for (tests only).
    #[cfg(feature = "oracle")]
    pub oracle_samples: Option<crate::metrics::Samples>,
    /// Wall-clock seconds the run took (for the console only; never in a report).
    pub wall_s: f64,
    /// When the run was stopped at its event budget: the simulated time it had reached.
    pub budget_blown: Option<SimTime>,
}

impl RunOutcome {
    /// What measurement found; measurement is on unless the run was started with
    /// [`Measurement::Off`].
    pub fn measured(&self) -> &Measured {
        self.measured.as_ref().expect("this run was measured")
    }
}

/// Whether a run is measured. Measurement only observes the world: it never changes the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Measurement {
    /// Measure and check (sampling every `outputs.metrics.sample_interval_s`).
    #[default]
    On,
    /// Install no observer (a re-run that only needs a trace).
    Off,
}

/// Assembles, runs and measures a checked scenario.
pub fn run(s: &CheckedScenario, opts: RunOptions) -> Result<RunOutcome, SpecError> {
    run_with(s, opts, Measurement::On)
}

/// Assembles and runs a checked scenario, measured or not. Errors are only those a world can
/// raise while being built for a seed other than the one [`crate::checked::check`] tried.
pub fn run_with(s: &CheckedScenario, mut opts: RunOptions, measurement: Measurement) -> Result<RunOutcome, SpecError> {
    let s = s.scenario();
    let seed = opts.seed.unwrap_or(s.seed);
    let mut asm = assemble(s, seed)?;
    if let Some(sink) = opts.trace.take() {
        asm.world.set_trace_sink(sink);
    }
    let measure = (measurement == Measurement::On).then(|| {
        let cfg = measure_config(s, &asm);
        let m = Measure::install(&mut asm, cfg, opts.history.take());
        if let Some(sink) = opts.probes.take() {
            m.borrow_mut().set_probe_sink(sink);
        }
        m
    });
    #[cfg(feature = "oracle")]
    let mut oracle = opts.oracle.then(|| {
        let interval = s.outputs.metrics.sample_interval(asm.end);
        crate::oracle::sampler::Sampler::new(s.dynamo.n, interval)
    });
    let started = Instant::now();
    let end = opts.stop_at.map_or(asm.end, |t| t.min(asm.end));
    let interval = s.outputs.metrics.sample_interval(asm.end);
    let budget = opts.event_budget.unwrap_or(u64::MAX);
    let finished = drive(&mut asm, (end, budget), opts.progress, interval, |asm| {
        if let Some(m) = &measure {
            m.borrow_mut().sample(asm);
            #[cfg(feature = "oracle")]
            if let Some(o) = oracle.as_mut() {
                o.sample(asm, m.borrow().history_so_far().unwrap_or(&[]));
            }
        }
    });
    let wall_s = started.elapsed().as_secs_f64();
    let counters = workload_counters(&asm);
    let trace = asm.world.take_trace_sink();
    let measured = measure.map(|m| finish(&mut asm, m, s));
    let trace_hash = asm.world.trace_hash().hex();
    let budget_blown = (!finished).then(|| asm.world.now());
    Ok(RunOutcome {
        seed,
        trace_hash,
        counters,
        assembly: asm,
        trace,
        measured,
        #[cfg(feature = "oracle")]
        oracle_samples: oracle.map(crate::oracle::sampler::Sampler::finish),
        wall_s,
        budget_blown,
    })
}

/// Measurement's settings for a run of `s`.
fn measure_config(s: &Scenario, asm: &Assembly) -> MeasureConfig {
    let m = &s.outputs.metrics;
    let d = &s.outputs.diagram;
    let at = |x: f64| SimTime::ZERO + SimDuration::from_secs_f64(x);
    MeasureConfig {
        n: s.dynamo.n,
        w: s.dynamo.w,
        r: s.dynamo.r,
        routing: match s.dynamo.coordinator {
            crate::spec::dynamo::CoordinatorMode::ClientDriven => crate::metrics::reachability::Routing::ClientDriven,
            _ => crate::metrics::reachability::Routing::ThroughCoordinator,
        },
        workload_end: asm.workload_end,
        versioning: s.dynamo.versioning.to_model(),
        nodes: asm.nodes,
        window: m.window(),
        end: asm.end,
        sla_ms: m.sla_ms,
        sample_interval: m.sample_interval(asm.end),
        diagram_window: d.from_s.zip(d.until_s).map(|(a, b)| (at(a), at(b))),
        diagram_key: d.key,
        repair_cutoff: crate::check::invariants::repair_time_s(s, asm)
            .map(|r| SimTime::ZERO + SimDuration::from_secs_f64((asm.end.as_secs_f64() - r).max(0.0))),
        visibility_grid: m.visibility_grid(),
        phases: crate::metrics::phases::plan(&crate::report::fault_intervals(s, asm.end.as_secs_f64()), asm.end),
    }
}

/// Takes measurement back from the world and reads the final state.
fn finish(asm: &mut Assembly, m: Rc<RefCell<Measure>>, s: &Scenario) -> Measured {
    drop(asm.world.take_observer());
    let m = Rc::try_unwrap(m).ok().expect("the world held the only other handle").into_inner();
    m.finish(s, asm)
}

/// Runs the world to `end` in slices (one per sampling interval), updating the progress bar
/// and calling `between` after each slice, unless it handles `budget` events first; returns
/// whether it reached `end`. Slicing does not change the run: `run_until` handles the same
/// events in the same order however the time is cut.
fn drive(
    asm: &mut Assembly,
    (end, budget): (SimTime, u64),
    progress: bool,
    slice: SimDuration,
    mut between: impl FnMut(&Assembly),
) -> bool {
    let bar = progress.then(|| crate::progress::Bar::new(end));
    let (mut t, mut finished) = (SimTime::ZERO, true);
    while t < end && finished {
        t = (t + slice).min(end);
        finished = asm.world.run_until_capped(t, budget);
        between(asm);
        if let Some(b) = &bar {
            b.update(t, asm.world.stats().popped);
        }
    }
    if let Some(b) = bar {
        b.finish();
    }
    finished
}

/// Workload counters summed over the client processes up at the end.
fn workload_counters(asm: &Assembly) -> ClientCounters {
    let mut counters = ClientCounters::default();
    for &(id, _) in &asm.clients {
        if let Some(ClientApp::Workload(w)) = asm.world.process(id).and_then(|a| a.as_client()).map(|c| c.app()) {
            let k = w.counters();
            counters.shed += k.shed;
            counters.resurrected_items += k.resurrected_items;
        }
    }
    counters
}
