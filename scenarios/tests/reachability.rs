//! The reachability oracle end to end: with datacenter 2 and its clients cut off, no strict
//! quorum is reachable for their requests, yet the run's sloppy quorum keeps serving them; with
//! unlisted clients reaching both sides of a node partition, a strict quorum stays reachable.

use reports::RunReport;
use scenarios::load::load_str;
use scenarios::report;
use scenarios::run::{RunOptions, run};
use std::path::Path;

fn report_of(name: &str) -> RunReport {
    let text = scenarios::library::find(name).expect("a shipped scenario");
    let s = load_str(text, Path::new(name)).expect("the shipped scenario is valid");
    let out = run(&s, RunOptions::default()).expect("the shipped scenario runs");
    report::build(&s, name, &out)
}

#[test]
fn a_datacenter_cut_off_with_its_clients_leaves_sloppy_quorum_above_any_strict_quorum() {
    let r = report_of("datacenter-outage");
    let q = &r.reachability;
    assert!(q.computed);
    let during: Vec<f64> =
        q.windows.iter().filter(|w| (21.0..49.0).contains(&w.start_s)).map(|w| w.strict.write).collect();
    assert!(!during.is_empty());
    // 3 of the 10 clients (datacenter 2's, with one replica of every key) reach 1 of 3 replicas.
    assert!(during.iter().all(|&s| (s - 0.7).abs() < 1e-9), "strict write share during the outage: {during:?}");
    assert!(q.windows.iter().filter(|w| w.start_s < 19.0).all(|w| w.strict.read == 1.0 && w.strict.write == 1.0));
    assert!(q.strict.write < 0.95, "overall ideal strict availability {:?}", q.strict);
    assert!(
        q.measured.write > q.strict.write + 0.05 && q.measured.read > q.strict.read + 0.05,
        "sloppy quorum serves what no strict quorum could: measured {:?} vs ideal {:?}",
        q.measured,
        q.strict
    );
}

#[test]
fn unlisted_clients_reach_a_strict_quorum_on_either_side_of_a_node_partition() {
    let r = report_of("default");
    let q = &r.reachability;
    assert!(q.computed && q.samples > 0);
    assert_eq!((q.strict.read, q.strict.write), (1.0, 1.0), "N=3 split 2/1 always leaves 2 replicas on one side");
}
