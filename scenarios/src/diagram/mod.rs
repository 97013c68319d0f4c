//! The message diagram of a run (`outputs.diagram`, `dynsim run --diagram-key K
//! --diagram-from-s A --diagram-until-s B`): which key and window, and capturing their messages.
//!
//! - [`choose`]: the automatic key and window.
//! - [`capture`]: the trace sink that collects the key's messages.
//!
//! The diagram is captured by re-running the scenario with the same seed, with the sink
//! installed and sampling off, up to one second past the window (messages not handled by then
//! are left out). The trace hash of a run does not depend on a sink, so the re-run is the same
//! run (tested).

pub mod capture;
pub mod choose;

use crate::error::SpecError;
use crate::run::{RunOptions, RunOutcome, Sampling, run_with};
use crate::spec::Scenario;
use reports::{Arrow, Lifeline, MessageDiagram, RunReport};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::{ProcId, SimDuration, SimTime};
use std::collections::BTreeSet;

/// Which key and window the message diagram shows (`outputs.diagram`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DiagramSpec {
    /// Draw the message diagram (`charts/message_diagram.svg`/`.png`, and in `report.html`).
    /// Default true.
    pub enabled: bool,
    /// The key (`--diagram-key`). Default: the key of the earliest checker violation, else of
    /// the first stale read, else the most-written key.
    pub key: Option<u64>,
    /// Start of the window, in seconds of simulated time (`--diagram-from-s`). Give both ends or
    /// neither. Default: a short window around an interesting operation on the key (the
    /// violating one, the stale read, or the first one concurrent with another).
    pub from_s: Option<f64>,
    /// End of the window, in seconds (`--diagram-until-s`); after `from_s`.
    pub until_s: Option<f64>,
    /// Most messages drawn; the diagram says when more were left out. Default 60.
    pub max_arrows: u64,
}

impl Default for DiagramSpec {
    fn default() -> Self {
        DiagramSpec { enabled: true, key: None, from_s: None, until_s: None, max_arrows: 60 }
    }
}

/// Most arrows a diagram may be asked for.
const MAX_ARROWS_LIMIT: u64 = 2000;

impl DiagramSpec {
    /// Checks the settings against a run that ends at `end_s` seconds.
    pub fn check(&self, end_s: f64) -> Result<(), SpecError> {
        let err =
            |field: &str, msg: String, fix: &str| Err(SpecError::new(format!("outputs.diagram.{field}"), msg, fix));
        match (self.from_s, self.until_s) {
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => {
                return err(
                    if self.from_s.is_none() { "from_s" } else { "until_s" },
                    "the window needs both ends".into(),
                    "give both from_s and until_s (--diagram-from-s and --diagram-until-s), or neither",
                );
            }
            (Some(a), Some(b)) => {
                if !(a.is_finite() && a >= 0.0 && a < end_s) {
                    return err(
                        "from_s",
                        format!("must be a time in the run, from 0 to before its end at {end_s} s; got {a}"),
                        "give the window's start in seconds of simulated time (--diagram-from-s)",
                    );
                }
                if !(b.is_finite() && b > a) {
                    return err(
                        "until_s",
                        format!("must be after from_s ({a}); got {b}"),
                        "give the window's end in seconds, after its start (--diagram-until-s)",
                    );
                }
            }
        }
        if self.max_arrows == 0 || self.max_arrows > MAX_ARROWS_LIMIT {
            return err(
                "max_arrows",
                format!("must be between 1 and {MAX_ARROWS_LIMIT}, got {}", self.max_arrows),
                "a diagram stays readable up to about 100 arrows, e.g. 60",
            );
        }
        Ok(())
    }

    fn window(&self) -> Option<(f64, f64)> {
        self.from_s.zip(self.until_s)
    }
}

/// The message diagram of a finished run of `s` (whose report is `report`), captured by a
/// second run with the same seed; `None` when turned off or when nothing was operated on.
pub fn build(s: &Scenario, out: &RunOutcome, report: &RunReport) -> Result<Option<MessageDiagram>, SpecError> {
    let spec = &s.outputs.diagram;
    if !spec.enabled {
        return Ok(None);
    }
    spec.check(out.assembly.end.as_secs_f64())?;
    let stale = stale_reads(out);
    let Some(c) = choose::choose(report, &out.history, &stale, spec.key, spec.window())? else { return Ok(None) };
    let stop = SimTime::ZERO + SimDuration::from_secs_f64(c.until_s + 1.0);
    let completions = out.history.iter().filter(|r| r.key == c.key).map(|r| (r.client, r.completed.0)).collect();
    let sink = capture::Capture::new(c.key, c.from_s, c.until_s, completions);
    let trace: Option<Box<dyn sim_core::trace::TraceSink>> = Some(Box::new(sink.clone()));
    let opts = RunOptions { seed: Some(out.seed), trace, progress: false, stop_at: Some(stop) };
    run_with(s, opts, Sampling::Off)?;
    Ok(Some(assemble(s, out, &c, sink.flights(), spec.max_arrows)))
}

/// Whether each operation of the history was a stale read.
fn stale_reads(out: &RunOutcome) -> Vec<bool> {
    let causality = crate::analysis::causal::Causality::new(&out.history);
    crate::metrics::staleness::verdicts(&out.history, &causality).iter().map(|v| v.is_some_and(|v| v.stale)).collect()
}

/// The diagram from the captured flights: lifelines for the processes involved (clients first,
/// then nodes, in process order), the earliest `max_arrows` flights as arrows.
fn assemble(
    s: &Scenario,
    out: &RunOutcome,
    c: &choose::Choice,
    flights: Vec<capture::Flight>,
    max_arrows: u64,
) -> MessageDiagram {
    let asm = &out.assembly;
    let messages = flights.len() as u64;
    let kept: Vec<capture::Flight> = flights.into_iter().take(max_arrows as usize).collect();
    let is_client = |p: ProcId| p.index() >= asm.nodes;
    let mut procs: Vec<ProcId> =
        kept.iter().flat_map(|f| [f.from, f.to]).collect::<BTreeSet<_>>().into_iter().collect();
    procs.sort_by_key(|p| (!is_client(*p), *p));
    let replicas = crate::analysis::inspect::replicas_of(asm, c.key, s.dynamo.n);
    let lifelines = procs
        .iter()
        .map(|&p| {
            let (name, role) = if is_client(p) {
                let i = asm.clients.iter().position(|(id, _)| *id == p).unwrap_or(p.index() - asm.nodes);
                (format!("client {i}"), "client".to_string())
            } else {
                (format!("n{}", p.0), node_role(p, &kept, replicas.contains(&p)))
            };
            Lifeline { proc: p.0, name, role }
        })
        .collect();
    let lane = |p: ProcId| procs.iter().position(|q| *q == p).unwrap_or(0);
    let arrows = kept
        .iter()
        .map(|f| Arrow {
            from: lane(f.from),
            to: lane(f.to),
            kind: f.kind.to_string(),
            sent_s: round9(f.sent_s),
            at_s: round9(f.at_s),
            lost: f.lost.map(str::to_string),
        })
        .collect();
    MessageDiagram {
        key: c.key,
        from_s: round9(c.from_s),
        until_s: round9(c.until_s),
        chosen_by: c.chosen_by.clone(),
        lifelines,
        arrows,
        messages,
        max_arrows,
    }
}

/// What a node did for the key in the diagram: `coordinator` (sent replica reads or writes or
/// answered a client), `forwarder` (passed a request on), and `replica` (one of the key's top N
/// by the ring at the end of the run) or `substitute` (another node that received a replica
/// read, write or handoff); `node` when none applies.
fn node_role(p: ProcId, flights: &[capture::Flight], top_n: bool) -> String {
    let sent = |kinds: &[&str]| flights.iter().any(|f| f.from == p && kinds.contains(&f.kind));
    let got = |kinds: &[&str]| flights.iter().any(|f| f.to == p && kinds.contains(&f.kind));
    let mut roles = Vec::new();
    if sent(&["replica_read", "replica_write", "get_reply", "put_reply"]) {
        roles.push("coordinator");
    }
    if sent(&["request"]) {
        roles.push("forwarder");
    }
    if top_n {
        roles.push("replica");
    } else if got(&["replica_read", "replica_write", "handoff"]) {
        roles.push("substitute");
    }
    if roles.is_empty() { "node".to_string() } else { roles.join(", ") }
}

/// Rounds seconds to the nanosecond, so report bytes are stable.
fn round9(s: f64) -> f64 {
    (s * 1e9).round() / 1e9
}
