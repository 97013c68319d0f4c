//! The progress bar on stderr: simulated time, events per second and ETA. indicatif hides it
//! when stderr is not a terminal, so logs and CI output stay clean.

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
        self.bar.set_message(format!("{:.1}s  {:.2} M events/s", t.as_secs_f64(), events as f64 / wall / 1e6));
    }

    /// Removes the bar.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
