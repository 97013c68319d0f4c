//! The message diagram of a run (`outputs.diagram`, `dynsim run --diagram-key K
//! --diagram-from-s A --diagram-until-s B`): which key and window, and capturing their messages.
//!
//! - [`choose`]: the automatic key and window.
//! - [`capture`]: the trace sink that collects the key's messages.
//! - [`record`]: the observer that records the key's operations in the re-run.
//!
//! The diagram is captured by re-running the scenario with the same seed, measurement off, the
//! sink installed and an observer recording the key's operations ([`record`]), until the window
//! is settled (no operation that could still change it is in flight) and one second past it
//! (messages not handled by then are left out). The trace hash of a run does not depend on a
//! sink or an observer, so the re-run is the same run (tested).

pub mod capture;
pub mod choose;
pub mod record;

use crate::error::SpecError;
use crate::history::OpRecord;
use crate::run::RunOutcome;
use crate::spec::Scenario;
use dynamo_model::version::WriteId;
use reports::{Arrow, Focus, Lifeline, MessageDiagram, RunReport};
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
pub const MAX_ARROWS_LIMIT: u64 = 2000;

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
    let Some(pick) = choose::pick(report, out.measured(), spec.key)? else { return Ok(None) };
    let (ops, capture) = rerun(s, out.seed, &pick, spec.window())?;
    let Some(c) = choose::window(&pick, &ops, spec.window()) else { return Ok(None) };
    let completions: BTreeSet<(u32, u64)> = ops.iter().map(|r| (r.client, r.completed.0)).collect();
    let flights = capture.flights(c.from_s, c.until_s, &completions);
    Ok(Some(assemble(s, out, &c, flights, spec.max_arrows)))
}

/// Re-runs the scenario with the same seed, measurement off, recording `pick`'s key's
/// operations and capturing its messages, until its window is settled and one second past it
/// (messages not handled by then are left out); returns the key's operations, sorted by
/// invocation, and the capture.
fn rerun(
    s: &Scenario,
    seed: u64,
    pick: &choose::Pick,
    given: Option<(f64, f64)>,
) -> Result<(Vec<OpRecord>, capture::Capture), SpecError> {
    let mut asm = crate::assemble::assemble(s, seed)?;
    let capture = capture::Capture::new(pick.key);
    asm.world.set_trace_sink(Box::new(capture.clone()));
    let recorder = record::KeyOps::install(&mut asm, pick.key);
    let step = SimDuration::from_millis(100);
    let mut t = SimTime::ZERO;
    while t < asm.end {
        t = (t + step).min(asm.end);
        asm.world.run_until(t);
        let rec = recorder.borrow();
        let settled = choose::window(pick, &rec.sorted(), given).is_some_and(|c| {
            let past = t.as_secs_f64() >= c.until_s + 1.0;
            past && (given.is_some() || !rec.in_flight_invoked_by(c.settled_after))
        });
        if settled {
            break;
        }
    }
    drop(asm.world.take_observer());
    let ops = recorder.borrow().sorted();
    Ok((ops, capture))
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
    let mut replicas = Vec::new();
    asm.ring_now().preference_list(dynamo_model::ring::key_position(c.key), s.dynamo.n, &mut replicas);
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
            carried: f.carried.as_ref().map(|c| carried_text(c, &|w| short_write_name(asm, w))),
        })
        .collect();
    let focus = c.anchor.as_ref().and_then(|op| {
        let client = procs.iter().position(|p| p.0 == op.client)?;
        Some(Focus {
            client,
            kind: op.kind.name().to_string(),
            invoked_s: round9(op.invoked.as_secs_f64()),
            completed_s: round9(op.completed.as_secs_f64()),
            note: focus_note(op, c.prior_write.as_ref(), c.stale, &|w| write_name(asm, w)),
        })
    });
    MessageDiagram {
        key: c.key,
        from_s: round9(c.from_s),
        until_s: round9(c.until_s),
        chosen_by: c.chosen_by.clone(),
        lifelines,
        arrows,
        messages,
        max_arrows,
        focus,
    }
}

/// A write by its client and number: a write id is its client's process number above bit 40
/// and the client's count of writes below.
fn write_name(asm: &crate::assemble::Assembly, w: WriteId) -> String {
    let (proc, seq) = (w.0 >> 40, w.0 & ((1 << 40) - 1));
    match asm.clients.iter().position(|(id, _)| u64::from(id.0) == proc) {
        Some(i) => format!("write {seq} of client {i}"),
        None => format!("write {}", w.0),
    }
}

/// A write in an arrow's label: `w<seq>@c<client>` (write seq of that client, clients numbered
/// as in the focus line), or `w<id>` for a write of no client.
fn short_write_name(asm: &crate::assemble::Assembly, w: WriteId) -> String {
    let (proc, seq) = (w.0 >> 40, w.0 & ((1 << 40) - 1));
    match asm.clients.iter().position(|(id, _)| u64::from(id.0) == proc) {
        Some(i) => format!("w{seq}@c{i}"),
        None => format!("w{}", w.0),
    }
}

/// What a reply carried, as its arrow says it: the writes (a delete marked `†`) and the
/// longest clock, or `nothing`.
fn carried_text(c: &capture::Carried, name: &dyn Fn(WriteId) -> String) -> String {
    if c.versions.is_empty() {
        return "nothing".to_string();
    }
    let writes: Vec<String> =
        c.versions.iter().map(|&(w, dead)| format!("{}{}", if dead { "†" } else { "" }, name(WriteId(w)))).collect();
    format!("{} · clock {}", writes.join(", "), c.clock)
}

/// What the focus operation did, in words: what a read returned (and, for the stale read,
/// which acknowledged write it missed), what a write wrote, or how it failed.
fn focus_note(op: &OpRecord, prior: Option<&OpRecord>, stale: bool, name: &dyn Fn(WriteId) -> String) -> String {
    let ids = |w: &[WriteId]| w.iter().map(|&w| name(w)).collect::<Vec<_>>().join(", ");
    if !op.ok() {
        let why = match op.outcome {
            crate::history::Outcome::Timeout => "no quorum in time",
            crate::history::Outcome::Unavailable => "no replica to ask",
            crate::history::Outcome::ClientTimeout | crate::history::Outcome::Ok => "the client gave up",
        };
        return format!("failed: {why}");
    }
    if let Some(read) = &op.read {
        let got = if read.writes.is_empty() || read.deleted { "nothing".to_string() } else { ids(&read.writes) };
        let prior = prior.and_then(|p| Some((p.write?, p.completed.as_secs_f64())));
        return match (stale, prior) {
            (true, Some((w, at))) => {
                format!("stale: returned {got}, but {} was acknowledged at {at:.6} s, before it began", name(w))
            }
            (true, None) => format!("stale: returned {got}"),
            (false, Some((w, _))) => format!("returned {got}; the last write acknowledged before it: {}", name(w)),
            (false, None) => format!("returned {got}"),
        };
    }
    op.write.map_or_else(|| "succeeded".to_string(), |w| format!("wrote {}", name(w)))
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
