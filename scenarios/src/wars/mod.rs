//! The WARS predictor (PBS, Bailis et al., VLDB 2012, §4–5) beside the measurement: what the
//! model predicts for a scenario's N, R, W, quorum shape and replica legs, how far the probes'
//! measured t-visibility and latencies are from it, and which WARS assumptions the scenario
//! breaks (`wars` in `report.json`).
//!
//! - [`model`]: the model of a scenario and its seeded Monte Carlo; [`curve`]: p(t) and
//!   latency quantiles from the trials; [`closed`]: PBS §3's closed forms for static quorums.
//! - [`stats`]: χ², RMSE and N-RMSE; [`assumptions`]: what the scenario breaks.
//! - [`presets`]: PBS Table 3's fitted legs (`wars.legs`) and the network they give.
//!
//! The predictor runs when the report is built, only for scenarios with staleness probes
//! (they are what it is compared with), with `wars.trials` trials (default 200,000, at most
//! 1,000,000) on its own stream: it changes no simulation stream, trace hash or other figure.

pub mod assumptions;
pub mod closed;
pub mod curve;
pub mod model;
pub mod presets;
pub mod stats;

use crate::spec::Scenario;
use crate::spec::client::Routing;
use crate::spec::dynamo::QuorumShape;
use model::{ClassLeg, CoordinatorChoice, Trials, WarsModel};
use reports::RunReport;
use reports::metrics::round6;
use reports::wars::{
    ChiSquared, Leg, PredictedPoint, PredictedT, WarsComparison, WarsModelSummary, WarsPrediction, WarsSection,
};
use sim_core::dist::{Dist, DistError};
use sim_core::net::NetConfig;
use sim_core::topology::LinkClass;

/// The WARS section of the report `r` of a run of `s` with `seed`; `None` without probes.
pub fn section(s: &Scenario, r: &RunReport, seed: u64) -> Option<WarsSection> {
    s.probes.as_ref()?;
    let trials_wanted = s.wars.as_ref().map_or(crate::spec::wars::DEFAULT_TRIALS, |w| w.trials);
    let net = presets::network(s);
    // A checked scenario's distributions are valid: the world was built from them.
    let model = model_of(s, &net).ok()?;
    let trials = model.run(seed, trials_wanted);
    Some(build(s, r, &net, &model, &trials))
}

/// The WARS model of `s` on network `net` (its preset applied).
pub fn model_of(s: &Scenario, net: &NetConfig) -> Result<WarsModel, DistError> {
    let leg = |kind: &str| ClassLeg::new(LinkClass::ALL.map(|c| assumptions::kind_latency(net, kind, c).clone()));
    let [w, a, r, sl] = presets::LEG_KINDS;
    let legs = [leg(w)?, leg(a)?, leg(r)?, leg(sl)?];
    let nodes: Vec<_> = crate::assemble::node_placements(s).into_iter().take(s.cluster.nodes).collect();
    let classes = WarsModel::classes_between(&nodes);
    let per_class = legs.iter().any(|l| !l.same_on(&classes));
    let coordinator = match s.client.routing {
        Routing::LoadBalancer => CoordinatorChoice::AnyNode,
        Routing::PartitionAware => CoordinatorChoice::FirstReplica,
    };
    let d = &s.dynamo;
    Ok(WarsModel { n: d.n, r: d.r, w: d.w, shape: d.quorum_shape, legs, nodes, coordinator, per_class })
}

/// The section from a model's trials and the run's report.
pub fn build(s: &Scenario, r: &RunReport, net: &NetConfig, model: &WarsModel, trials: &Trials) -> WarsSection {
    let assumptions = assumptions::assumptions(s, net, r, model.per_class);
    let broken: Vec<&str> = assumptions.iter().filter(|a| !a.holds).map(|a| a.name.as_str()).collect();
    let label = if broken.is_empty() {
        "every WARS assumption holds: prediction and measurement should agree within sampling noise".to_string()
    } else {
        format!(
            "{} of {} WARS assumptions broken ({}): the prediction is the WARS model's, not this system's, and \
             differences are expected",
            broken.len(),
            assumptions.len(),
            broken.join(", ")
        )
    };
    let predicted = predict(s, trials);
    WarsSection {
        applies: broken.is_empty(),
        label,
        comparison: compare(r, &predicted, trials),
        assumptions,
        model: summary(model, trials.len() as u64),
        closed_form: (model.shape == QuorumShape::Static).then(|| closed::static_quorum(model.n, model.r, model.w)),
        predicted,
    }
}

fn summary(m: &WarsModel, trials: u64) -> WarsModelSummary {
    let classes = WarsModel::classes_between(&m.nodes);
    let legs = ["W", "A", "R", "S"]
        .iter()
        .zip(presets::LEG_KINDS)
        .zip(&m.legs)
        .map(|((leg, kind), l)| Leg {
            leg: leg.to_string(),
            kind: kind.to_string(),
            mean_ms: classes
                .iter()
                .map(|c| {
                    let name = serde_json::to_value(c).ok().and_then(|v| v.as_str().map(String::from));
                    let mean = Dist::new(&l.specs[*c as usize]).ok().and_then(|d| d.mean()).map(round6);
                    (name.unwrap_or_default(), mean)
                })
                .collect(),
        })
        .collect();
    let shape = serde_json::to_value(m.shape).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
    WarsModelSummary {
        n: m.n,
        r: m.r,
        w: m.w,
        quorum_shape: shape,
        legs,
        per_class: m.per_class,
        trials,
        stream: model::STREAM.into(),
    }
}

/// The prediction on the scenario's grid (if any) and the latency summaries.
fn predict(s: &Scenario, trials: &Trials) -> WarsPrediction {
    let spec = s.outputs.metrics.visibility_grid();
    let prefix = trials.prefix();
    let grid: Vec<PredictedPoint> = spec
        .as_ref()
        .map(|g| {
            let step = g.grid.step_ns as f64 / 1e6;
            (0..g.grid.points)
                .map(|i| {
                    let t_ms = (g.grid.from_ns + i as u64 * g.grid.step_ns) as f64 / 1e6;
                    PredictedPoint { t_ms, p: round6(trials.p_over(t_ms, step, &prefix)) }
                })
                .collect()
        })
        .unwrap_or_default();
    let first_t = spec
        .map(|g| {
            let targets = g.targets;
            targets.iter().map(|&target| PredictedT { target, t_ms: first_t(&grid, target) }).collect()
        })
        .unwrap_or_default();
    WarsPrediction {
        first_t,
        p_at_0: round6(trials.p_at(0.0)),
        read_ms: curve::summary(&trials.read_ms),
        write_ms: curve::summary(&trials.write_ms),
        grid,
    }
}

/// The first t from which the predicted curve stays at or above `target`.
fn first_t(grid: &[PredictedPoint], target: f64) -> Option<f64> {
    grid.iter().rev().take_while(|p| p.p >= target).last().map(|p| p.t_ms)
}

/// The probes' measurement against the prediction.
fn compare(r: &RunReport, predicted: &WarsPrediction, trials: &Trials) -> WarsComparison {
    let mut c = WarsComparison::default();
    let (rd, wr) = (latency_nrmse(r, "probe_read", &trials.read_ms), latency_nrmse(r, "probe_write", &trials.write_ms));
    (c.read_latency_nrmse, c.write_latency_nrmse) = (rd, wr);
    let Some(g) = &r.visibility.grid else {
        c.chi2_unavailable = "no t-visibility grid (outputs.metrics.t_visibility)".into();
        return c;
    };
    let observed: Vec<stats::Observed> = g
        .probes
        .points
        .iter()
        .filter_map(|p| {
            let i = ((p.t_ms - g.from_ms) / g.step_ms).round() as usize;
            let pred = predicted.grid.get(i)?;
            Some(stats::Observed { n: p.reads, consistent: p.consistent, p: pred.p })
        })
        .collect();
    c.p_rmse = stats::rmse(observed.iter().map(|o| (o.consistent as f64 / o.n as f64, o.p))).map(round6);
    match stats::chi2(&observed, trials.len() as u64) {
        Some((statistic, df)) => {
            let p_value = stats::chi2_upper_tail(statistic, df);
            c.chi2 = Some(ChiSquared { statistic: round6(statistic), df, p_value, points: observed.len() as u64 });
        }
        None if observed.is_empty() => c.chi2_unavailable = "no probe reads on the grid".into(),
        None => {
            c.chi2_unavailable = format!(
                "too few probe reads: no cell of grid points expects {} consistent and {} stale reads",
                stats::MIN_EXPECTED,
                stats::MIN_EXPECTED
            )
        }
    }
    c
}

/// N-RMSE of the measured latency quantiles of `kind` (q = 0.01..0.99 and 0.999) against the
/// predicted latencies `predicted` (sorted).
fn latency_nrmse(r: &RunReport, kind: &str, predicted: &[f64]) -> Option<f64> {
    let measured = r.latency_cdf.ms.get(kind)?;
    let (m, p): (Vec<f64>, Vec<f64>) = r
        .latency_cdf
        .quantiles
        .iter()
        .zip(measured)
        .filter(|(q, _)| **q <= 0.999)
        .map(|(q, v)| (*v, curve::quantile(predicted, *q)))
        .unzip();
    stats::nrmse(&m, &p).map(round6)
}
