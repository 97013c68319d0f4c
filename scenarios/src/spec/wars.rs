//! The `wars` section of a scenario: the WARS predictor's settings (how many Monte Carlo trials)
//! and, optionally, a named preset for the four replica legs from PBS Table 3.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default Monte Carlo trials of the WARS predictor.
pub const DEFAULT_TRIALS: u64 = 200_000;
/// Fewest trials `wars.trials` accepts: fewer make the prediction's own noise rival the
/// measurement's.
pub const MIN_TRIALS: u64 = 1_000;
/// Most trials `wars.trials` accepts: the predictor keeps three `f64` per trial (24 MB at the
/// limit) and costs about 4N draws per trial.
pub const MAX_TRIALS: u64 = 1_000_000;

/// The WARS predictor (PBS §4–5), which runs whenever the scenario has staleness probes, and
/// the replica legs it predicts for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WarsSpec {
    /// A PBS Table 3 fit for the four replica legs (`replica_write` = W, `replica_write_ack`
    /// = A, `replica_read` = R, `replica_read_reply` = S), added to `network.by_kind` (which
    /// must then not set those kinds itself). Default: none (the legs are the network's).
    #[serde(default)]
    pub legs: Option<LegsPreset>,
    /// Monte Carlo trials, from 1,000 to 1,000,000. Default 200,000.
    #[serde(default = "default_trials")]
    pub trials: u64,
}

impl Default for WarsSpec {
    fn default() -> Self {
        WarsSpec { legs: None, trials: DEFAULT_TRIALS }
    }
}

fn default_trials() -> u64 {
    DEFAULT_TRIALS
}

/// PBS Table 3's fitted production latencies (Bailis et al., VLDB 2012), as mixtures of a
/// Pareto and an exponential distribution (milliseconds; the exponential's mean is 1/λ).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LegsPreset {
    /// LinkedIn Voldemort on SSDs: W = A = R = S = 91.22% Pareto(xm 0.235, α 10) + 8.78%
    /// exponential(λ 1.66).
    LnkdSsd,
    /// LinkedIn Voldemort on spinning disks: W = 38% Pareto(xm 1.05, α 1.51) + 62%
    /// exponential(λ 0.183); A = R = S as `lnkd-ssd`.
    LnkdDisk,
    /// Yammer Riak: W = 93.9% Pareto(xm 3, α 3.35) + 6.1% exponential(λ 0.0028); A = R = S =
    /// 98.2% Pareto(xm 1.5, α 3.8) + 1.8% exponential(λ 0.0217).
    Ymmr,
    /// PBS's WAN: `lnkd-disk` legs, plus 75 ms each way across datacenters (use one node per
    /// datacenter and N = nodes, so a request's coordinator is the one local replica).
    Wan,
}

impl LegsPreset {
    /// The preset's name as written in a scenario.
    pub fn name(self) -> &'static str {
        match self {
            LegsPreset::LnkdSsd => "lnkd-ssd",
            LegsPreset::LnkdDisk => "lnkd-disk",
            LegsPreset::Ymmr => "ymmr",
            LegsPreset::Wan => "wan",
        }
    }
}
