//! Simulated local clocks: one per process, with an offset, a drift and jumps.
//!
//! The world keeps true time. A process only ever sees its local clock, which reads
//! `anchor_local + (true - anchor_true) * (1 + drift_ppm / 1e6)`. Changing the offset, jumping or
//! changing the drift re-anchors the clock at the current true time, so the reading is
//! continuous except for the jump itself. Local readings never go below zero.

use crate::time::{SimDuration, SimTime};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The initial state of one process's clock.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ClockConfig {
    /// Offset of the local clock from true time at the start of the run, in milliseconds
    /// (positive: ahead). Default 0; at most 1e12 ms either way (`MAX_OFFSET_MS`).
    pub offset_ms: f64,
    /// Drift in parts per million (positive: runs fast). Default 0; greater than -1,000,000
    /// (a clock that stops) and at most 1,000,000, a clock that runs twice as fast (`MAX_DRIFT_PPM`).
    pub drift_ppm: f64,
}

/// The largest clock offset or jump, in milliseconds either way: 10^12 ms, about 31 years.
pub const MAX_OFFSET_MS: f64 = 1e12;
/// The fastest drift, in parts per million: 10^6, a clock running at twice true speed. A
/// faster clock would fire a node's timers faster than its configured periods allow.
pub const MAX_DRIFT_PPM: f64 = 1e6;

/// Error for clock parameters that are not finite or would stop or reverse time.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ClockError {
    /// The offset is NaN, infinite, or beyond [`MAX_OFFSET_MS`].
    #[error("must be a number of milliseconds from -1e12 to 1e12, got {0:e}")]
    BadOffset(f64),
    /// The drift is NaN, so negative the clock would stop or run backwards, or beyond
    /// [`MAX_DRIFT_PPM`].
    #[error("must be greater than -1e6 and at most 1e6 parts per million, got {0:e}")]
    BadDrift(f64),
}

impl ClockError {
    /// The [`ClockConfig`] field at fault (a jump is checked as an offset).
    pub fn field(&self) -> &'static str {
        match self {
            ClockError::BadOffset(_) => "offset_ms",
            ClockError::BadDrift(_) => "drift_ppm",
        }
    }
}

/// A process's local clock.
#[derive(Clone, Debug)]
pub struct Clock {
    anchor_true: u64,
    anchor_local: i128,
    drift_ppm: f64,
}

impl Clock {
    /// A clock in its configured initial state at true time zero.
    pub fn new(cfg: &ClockConfig) -> Result<Clock, ClockError> {
        check_offset(cfg.offset_ms)?;
        check_drift(cfg.drift_ppm)?;
        Ok(Clock { anchor_true: 0, anchor_local: ms_to_ns(cfg.offset_ms), drift_ppm: cfg.drift_ppm })
    }

    /// A perfect clock: local time equals true time.
    pub fn perfect() -> Clock {
        Clock { anchor_true: 0, anchor_local: 0, drift_ppm: 0.0 }
    }

    /// The local reading at true time `now`.
    #[inline]
    pub fn local(&self, now: SimTime) -> SimTime {
        if self.drift_ppm == 0.0 && self.anchor_local == self.anchor_true as i128 {
            return now; // a perfect clock
        }
        let elapsed = now.0.saturating_sub(self.anchor_true) as i128;
        let drifted =
            if self.drift_ppm == 0.0 { elapsed } else { elapsed + (elapsed as f64 * self.drift_ppm / 1e6) as i128 };
        let t = self.anchor_local + drifted;
        SimTime(t.clamp(0, u64::MAX as i128) as u64)
    }

    /// The true span that passes while this clock advances by `local` (timers use it).
    #[inline]
    pub fn true_span(&self, local: SimDuration) -> SimDuration {
        if self.drift_ppm == 0.0 {
            local
        } else {
            SimDuration::from_nanos_f64(local.0 as f64 / (1.0 + self.drift_ppm / 1e6))
        }
    }

    /// Sets the offset from true time to `offset_ms` at true time `now`.
    pub fn set_offset(&mut self, now: SimTime, offset_ms: f64) -> Result<(), ClockError> {
        check_offset(offset_ms)?;
        self.anchor_true = now.0;
        self.anchor_local = now.0 as i128 + ms_to_ns(offset_ms);
        Ok(())
    }

    /// Jumps the local clock by `delta_ms` (negative: backwards) at true time `now`.
    pub fn jump(&mut self, now: SimTime, delta_ms: f64) -> Result<(), ClockError> {
        check_offset(delta_ms)?;
        let current = self.local(now).0 as i128;
        self.anchor_true = now.0;
        self.anchor_local = current + ms_to_ns(delta_ms);
        Ok(())
    }

    /// Changes the drift to `ppm` from true time `now` on.
    pub fn set_drift(&mut self, now: SimTime, ppm: f64) -> Result<(), ClockError> {
        check_drift(ppm)?;
        let current = self.local(now).0 as i128;
        self.anchor_true = now.0;
        self.anchor_local = current;
        self.drift_ppm = ppm;
        Ok(())
    }
}

fn ms_to_ns(ms: f64) -> i128 {
    (ms * 1e6) as i128
}

fn check_offset(ms: f64) -> Result<(), ClockError> {
    if ms.abs() <= MAX_OFFSET_MS { Ok(()) } else { Err(ClockError::BadOffset(ms)) }
}

fn check_drift(ppm: f64) -> Result<(), ClockError> {
    if ppm > -1e6 && ppm <= MAX_DRIFT_PPM { Ok(()) } else { Err(ClockError::BadDrift(ppm)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_shows_in_the_local_reading() {
        let c = Clock::new(&ClockConfig { offset_ms: 0.0, drift_ppm: 100.0 }).unwrap();
        // 10 s at +100 ppm is 1 ms ahead.
        assert_eq!(c.local(SimTime(10_000_000_000)), SimTime(10_001_000_000));
        let slow = Clock::new(&ClockConfig { offset_ms: 0.0, drift_ppm: -50.0 }).unwrap();
        assert_eq!(slow.local(SimTime(10_000_000_000)), SimTime(9_999_500_000));
    }

    #[test]
    fn offset_and_jump_move_the_reading_and_stay_non_negative() {
        let mut c = Clock::new(&ClockConfig { offset_ms: -5.0, drift_ppm: 0.0 }).unwrap();
        assert_eq!(c.local(SimTime(1_000_000)), SimTime(0), "clamped at zero");
        assert_eq!(c.local(SimTime(8_000_000)), SimTime(3_000_000));
        c.jump(SimTime(8_000_000), 100.0).unwrap();
        assert_eq!(c.local(SimTime(8_000_000)), SimTime(103_000_000));
        c.set_offset(SimTime(9_000_000), 0.0).unwrap();
        assert_eq!(c.local(SimTime(9_000_000)), SimTime(9_000_000));
    }

    #[test]
    fn drift_change_is_continuous() {
        let mut c = Clock::new(&ClockConfig { offset_ms: 0.0, drift_ppm: 1000.0 }).unwrap();
        let before = c.local(SimTime(1_000_000_000));
        c.set_drift(SimTime(1_000_000_000), 0.0).unwrap();
        assert_eq!(c.local(SimTime(1_000_000_000)), before);
        assert_eq!(c.local(SimTime(2_000_000_000)).0 - before.0, 1_000_000_000);
    }

    #[test]
    fn timers_follow_the_local_rate() {
        let c = Clock::new(&ClockConfig { offset_ms: 0.0, drift_ppm: 1e5 }).unwrap();
        // A clock 10% fast reaches +1.1 s of local time after 1 s of true time.
        assert_eq!(c.true_span(SimDuration::from_millis(1100)), SimDuration::from_nanos(999_999_999));
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        assert!(matches!(
            Clock::new(&ClockConfig { offset_ms: f64::NAN, drift_ppm: 0.0 }),
            Err(ClockError::BadOffset(_))
        ));
        assert!(matches!(Clock::new(&ClockConfig { offset_ms: 0.0, drift_ppm: -2e6 }), Err(ClockError::BadDrift(_))));
    }
}
