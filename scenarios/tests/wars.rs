//! The WARS predictor beside the measurement (issue 14 §3): with every WARS assumption met it
//! agrees with the measured t-visibility on the shipped PBS examples; it detects a deliberately
//! mismatched model; its Monte Carlo matches the closed forms of a static quorum; the report
//! lists the assumptions a scenario breaks and labels the comparison; it is deterministic and
//! leaves the simulation alone; bad `wars` settings are refused with their path.

use reports::RunReport;
use scenarios::checked::CheckedScenario;
use scenarios::library;
use scenarios::load::load_str;
use scenarios::report;
use scenarios::run::{RunOptions, run};
use scenarios::spec::dynamo::QuorumShape;
use scenarios::wars::{self, closed, model::ClassLeg, presets};
use serde_json::Value;
use sim_core::dist::DistSpec;
use std::path::Path;

fn shipped(name: &str, edit: impl FnOnce(&mut Value)) -> CheckedScenario {
    let mut v: Value = serde_json::from_str(library::find(name).expect("shipped")).expect("JSON");
    edit(&mut v);
    load_str(&v.to_string(), Path::new(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn report_of(s: &CheckedScenario) -> RunReport {
    let out = run(s, RunOptions::default()).expect("runs");
    report::build(s, &s.name, &out)
}

/// `jq '.network.by_kind[0].latency_ms.exponential.mean = MEAN'`: W's mean, in ms.
fn w_mean(mean: f64) -> impl FnOnce(&mut Value) {
    move |v: &mut Value| v["network"]["by_kind"][0]["latency_ms"]["exponential"]["mean"] = mean.into()
}

fn assert_agrees(r: &RunReport, label: &str) {
    let w = r.wars.as_ref().expect("probes give a WARS section");
    let broken: Vec<&str> = w.assumptions.iter().filter(|a| !a.holds).map(|a| a.name.as_str()).collect();
    assert!(w.applies && broken.is_empty(), "{label}: every assumption holds, broken: {broken:?}");
    let chi2 = w.comparison.chi2.as_ref().expect("a χ² test");
    assert!(chi2.df >= 3, "{label}: enough cells to mean something: {chi2:?}");
    assert!(chi2.p_value > 0.001, "{label}: the measurement follows the prediction: {chi2:?}");
    let rd = w.comparison.read_latency_nrmse.expect("probe reads");
    let wr = w.comparison.write_latency_nrmse.expect("probe writes");
    assert!(rd < 0.02 && wr < 0.02, "{label}: latency quantiles within 2% N-RMSE: {rd} {wr}");
}

#[test]
fn with_every_assumption_met_the_prediction_agrees_with_the_shipped_pbs_examples() {
    // PBS §5.2's exponential validation at three W rates (A = R = S mean 1 ms), and LNKD-DISK.
    for mean in [1.0, 5.0, 10.0] {
        let r = report_of(&shipped("pbs-wars-exponential", w_mean(mean)));
        assert_agrees(&r, &format!("pbs-wars-exponential, W mean {mean} ms"));
    }
    let r = report_of(&shipped("pbs-lnkd-disk", |_| ()));
    assert_agrees(&r, "pbs-lnkd-disk");
    // PBS's own figure for LNKD-DISK, N=3, R=W=1: 43.9% consistent at t = 0.
    let p0 = r.wars.as_ref().unwrap().predicted.p_at_0;
    assert!((p0 - 0.439).abs() < 0.01, "{p0}");
}

#[test]
fn a_model_with_w_and_s_swapped_is_detected() {
    let s = shipped("pbs-wars-exponential", |_| ());
    let r = report_of(&s);
    let net = presets::network(&s);
    let mut model = wars::model_of(&s, &net).expect("valid legs");
    model.legs.swap(0, 3);
    let trials = model.run(s.seed, 200_000);
    let swapped = wars::build(&s, &r, &net, &model, &trials);
    let chi2 = swapped.comparison.chi2.expect("a χ² test");
    assert!(chi2.p_value < 1e-6, "the wrong model is rejected: {chi2:?}");
    let right = r.wars.as_ref().unwrap().comparison.chi2.as_ref().unwrap().p_value;
    assert!(right > 0.001, "and the right one is not: {right}");
}

#[test]
fn the_monte_carlo_matches_the_closed_form_of_a_static_quorum() {
    let s = shipped("pbs-static-quorum", |_| ());
    let net = presets::network(&s);
    let mut model = wars::model_of(&s, &net).expect("valid legs");
    assert_eq!(model.shape, QuorumShape::Static);
    model.legs = [1.0, 0.5, 0.5, 0.5].map(|mean| ClassLeg::uniform(DistSpec::Exponential { mean }).unwrap());
    model.per_class = false;
    let m = 200_000;
    for (r, w) in [(1, 1), (1, 2), (2, 1), (2, 2)] {
        (model.r, model.w) = (r, w);
        let trials = model.run(7, m);
        let expected = 1.0 - closed::p_stale(3, r, w);
        let se = (expected * (1.0 - expected) / m as f64).sqrt().max(1e-12);
        for t in [0.0, 1.0, 50.0] {
            let p = trials.p_at(t);
            assert!((p - expected).abs() <= 4.0 * se, "(R,W)=({r},{w}) t={t}: {p} against {expected} ± {se}");
        }
        let cf = closed::static_quorum(3, r, w);
        assert_eq!(cf.p_within_k[2], reports::metrics::round6(1.0 - (1.0 - expected).powi(3)));
    }
}

#[test]
fn the_report_lists_the_assumptions_a_scenario_breaks_and_labels_the_comparison() {
    let replica = |v: &mut Value| {
        v["dynamo"]["coordinator"] = "replica".into();
        v["dynamo"]["read_repair"] = "blocking".into();
        v["network"]["loss"] = 0.001.into();
        v["cpu"] = serde_json::json!({"message_ms": {"constant": {"value": 0.05}}});
        v["duration_s"] = 5.into();
    };
    let r = report_of(&shipped("pbs-wars-exponential", replica));
    let w = r.wars.as_ref().unwrap();
    let broken: Vec<&str> = w.assumptions.iter().filter(|a| !a.holds).map(|a| a.name.as_str()).collect();
    for name in ["coordinator_not_a_replica", "no_read_repair", "no_service_time", "no_message_loss"] {
        assert!(broken.contains(&name), "{name} is listed as broken: {broken:?}");
    }
    assert!(!broken.contains(&"free_client_legs") && !broken.contains(&"no_failures"), "{broken:?}");
    assert!(!w.applies && w.label.contains("broken") && w.label.contains("coordinator_not_a_replica"));
    let svg =
        &reports::charts::all(&r, &Default::default()).into_iter().find(|c| c.name == "t_visibility").unwrap().svg;
    assert!(svg.contains("WARS prediction (assumptions broken)"), "the chart says so too");
    let page = reports::html::report_html(&r, &[]);
    assert!(page.contains("WARS prediction") && page.contains("<strong>broken</strong>"));
    // The shipped static-quorum example keeps disk latency and client legs: listed, not hidden.
    let st = report_of(&shipped("pbs-static-quorum", |v| v["duration_s"] = 5.into()));
    let names: Vec<String> = st.wars.unwrap().assumptions.into_iter().filter(|a| !a.holds).map(|a| a.name).collect();
    assert!(names.contains(&"no_service_time".into()) && names.contains(&"free_client_legs".into()), "{names:?}");
}

#[test]
fn the_prediction_is_deterministic_and_leaves_the_simulation_alone() {
    let short = |v: &mut Value| v["duration_s"] = 3.into();
    let s = shipped("pbs-wars-exponential", short);
    let (a, b) = (report_of(&s), report_of(&s));
    assert_eq!(a.to_json(), b.to_json(), "same bytes twice");
    let look = Default::default();
    assert_eq!(reports::derived_files(&a, &look), reports::derived_files(&b, &look));
    // Fewer trials change the prediction, never the run.
    let few = report_of(&shipped("pbs-wars-exponential", |v| {
        short(v);
        v["wars"] = serde_json::json!({"trials": 1000});
    }));
    assert_eq!((few.trace_hash.as_str(), few.events), (a.trace_hash.as_str(), a.events));
    assert_eq!(few.visibility, a.visibility);
    assert_ne!(few.wars.as_ref().unwrap().predicted, a.wars.as_ref().unwrap().predicted);
    // No probes, no predictor: the report has no `wars` key.
    let none = report_of(&shipped("pbs-wars-exponential", |v| {
        short(v);
        v.as_object_mut().unwrap().remove("probes");
    }));
    assert!(none.wars.is_none() && !none.to_json().contains("\"wars\""));
}

#[test]
fn bad_wars_settings_are_refused_with_their_path() {
    let refused = |edit: fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(library::find("pbs-wars-exponential").unwrap()).unwrap();
        edit(&mut v);
        let e = load_str(&v.to_string(), Path::new("x.json")).expect_err("refused");
        (e.problem.path.as_str().to_string(), e.problem.message.clone())
    };
    let (path, msg) = refused(|v| v["wars"] = serde_json::json!({"trials": 5_000_000}));
    assert_eq!(path, "wars.trials");
    assert!(msg.contains("1000000"), "{msg}");
    let (path, msg) = refused(|v| v["wars"] = serde_json::json!({"legs": "lnkd-ssd"}));
    assert_eq!(path, "network.by_kind[0].kind", "the replica_write entry the preset would override");
    assert!(msg.contains("lnkd-ssd") && msg.contains("replica_write"), "{msg}");
    let (path, _) = refused(|v| v["wars"] = serde_json::json!({"legs": "lnkd-hdd"}));
    assert!(path.starts_with("wars.legs"), "{path}");
}

#[test]
fn a_preset_sets_the_legs_the_run_uses() {
    // The WAN preset: 75 ms more each way across datacenters, so nothing is read before ~75 ms
    // unless the read's coordinator is the write's (one in three).
    let r = report_of(&shipped("pbs-wan", |v| v["duration_s"] = 5.into()));
    let w = r.wars.as_ref().unwrap();
    assert!(w.model.per_class, "WAN legs differ by class");
    let p0 = w.predicted.p_at_0;
    assert!((p0 - 1.0 / 3.0).abs() < 0.01, "{p0}");
    let points = &r.visibility.grid.as_ref().unwrap().probes.points;
    let early = points.iter().filter(|p| p.t_ms < 50.0);
    let (n, ok) = early.fold((0, 0), |(n, ok), p| (n + p.reads, ok + p.consistent));
    assert!((ok as f64 / n as f64 - 1.0 / 3.0).abs() < 0.05, "measured before 50 ms: {ok} of {n}");
    let chi2 = w.comparison.chi2.as_ref().unwrap();
    assert!(chi2.p_value > 0.001, "the per-class prediction follows the WAN run: {chi2:?}");
}
