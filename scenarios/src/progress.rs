//! The progress bars on stderr: simulated time, events per second and ETA for one run, runs
//! done and ETA for a sweep. indicatif hides them when stderr is not a terminal, so logs and
//! CI output stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sim_core::SimTime;
use std::cell::Cell;
use std::time::Instant;

/// A progress bar over simulated time.
pub struct Bar {
    bar: ProgressBar,
    started: Instant,
    last_events: Cell<u64>,
}

impl Bar {
    /// A bar running to simulated time `end`.
    pub fn new(end: SimTime) -> Self {
        let bar = ProgressBar::with_draw_target(Some(end.0 / 1_000_000), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{bar:30} sim {msg} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Bar { bar, started: Instant::now(), last_events: Cell::new(0) }
    }

    /// Simulated time `t` reached after `events` events.
    pub fn update(&self, t: SimTime, events: u64) {
        self.last_events.set(events);
        let wall = self.started.elapsed().as_secs_f64().max(1e-9);
        self.bar.set_position(t.0 / 1_000_000);
        self.bar.set_message(format!(
            "{:.1}s  {}",
            t.as_secs_f64(),
            crate::summary::events_per_second(events as f64 / wall)
        ));
    }

    /// Removes the bar.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// A progress bar over the runs of a sweep: runs done, elapsed time and ETA. Safe to advance
/// from worker threads.
pub struct RunsBar {
    bar: Option<ProgressBar>,
}

impl RunsBar {
    /// A bar over `runs` runs; `show` false draws nothing.
    pub fn new(runs: u64, show: bool) -> Self {
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(Some(runs), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{bar:30} {pos}/{len} runs  elapsed {elapsed}  ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        RunsBar { bar }
    }

    /// One more run done.
    pub fn inc(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    /// Removes the bar.
    pub fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}
