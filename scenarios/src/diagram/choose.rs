//! Choosing the diagram's key and window when the user leaves them out.
//!
//! The key ([`pick`], from what the main run measured): the key of the earliest checker
//! violation (among keys an operation touched); else of the first stale read (by invocation);
//! else the most-written key (the smallest on a tie). With a window given, only operations
//! overlapping it count.
//!
//! The window ([`window`], from the key's operations as the diagram's re-run records them),
//! around an anchor operation of the key: the operation that completed closest to the
//! violation's time, the stale read, or the key's first operation that overlaps another
//! operation on it (else its first operation). It spans the anchor, every operation on the key
//! overlapping it and, for a read, the latest write of the key completed in the second before
//! it, plus a margin of 5% (at least 1 ms) on each side.

use crate::error::SpecError;
use crate::history::OpRecord;
use crate::measure::measured::{Measured, Operated};
use reports::{RunReport, Status};
use sim_core::SimTime;

/// A key and a window, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The key.
    pub key: u64,
    /// Start of the window, seconds.
    pub from_s: f64,
    /// End of the window, seconds.
    pub until_s: f64,
    /// Why these, in words.
    pub chosen_by: String,
    /// The latest invocation among the operations that decided the window (the re-run may stop
    /// once nothing invoked before it is still in flight).
    pub settled_after: SimTime,
    /// The operation the window was chosen around (none when the user gave the window).
    pub anchor: Option<OpRecord>,
    /// For an anchor read: the latest successful write of the key that completed before it was
    /// invoked.
    pub prior_write: Option<OpRecord>,
    /// The anchor is the run's first stale read.
    pub stale: bool,
}

/// What anchors the window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Anchor {
    /// The operation that completed closest to this time (a violation's).
    Near(f64),
    /// This client's operation invoked at this time (a stale read).
    Op {
        /// The client.
        client: u32,
        /// Its invocation.
        invoked: SimTime,
    },
    /// The first operation overlapping another, else the first.
    Contended,
}

/// The chosen key, what anchors its window, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Pick {
    /// The key.
    pub key: u64,
    /// The anchor.
    pub anchor: Anchor,
    /// Why this key, in words.
    pub why: String,
}

/// The key for the diagram: `key` when given (it must have been operated on), else by the rules
/// above. `None` when nothing was operated on (within the window, if one was given).
pub fn pick(report: &RunReport, m: &Measured, key: Option<u64>) -> Result<Option<Pick>, SpecError> {
    if let Some(k) = key {
        if m.operated.given_key == Some(false) {
            return Err(unknown_key(k, &m.operated));
        }
        return Ok(Some(Pick { key: k, anchor: Anchor::Contended, why: "given".to_string() }));
    }
    let violation = report
        .checks
        .iter()
        .filter_map(|v| match &v.status {
            Status::Fail { examples, .. } => examples.first().map(|e| (e, &v.invariant)),
            _ => None,
        })
        .filter(|(e, _)| m.touched_example_keys.contains(&e.key))
        .min_by(|a, b| a.0.at_s.total_cmp(&b.0.at_s).then(a.0.key.cmp(&b.0.key)));
    if let Some((e, invariant)) = violation {
        let why = format!("{} (the first violation of {invariant}, at {:.6} s)", e.key, e.at_s);
        return Ok(Some(Pick { key: e.key, anchor: Anchor::Near(e.at_s), why }));
    }
    if let Some(r) = m.first_stale {
        let why = format!("{} (the first stale read)", r.key);
        return Ok(Some(Pick { key: r.key, anchor: Anchor::Op { client: r.client, invoked: r.invoked }, why }));
    }
    Ok(m.operated.most_written.map(|(key, n)| Pick {
        key,
        anchor: Anchor::Contended,
        why: format!("{key} (the most-written, {n} writes)"),
    }))
}

fn secs(t: SimTime) -> f64 {
    t.as_secs_f64()
}

/// The window for `pick` from the key's operations `ops` (sorted by invocation, client,
/// completion): `given` when the user gave one, else around the anchor. `None` when no
/// operation anchors it (yet).
pub fn window(pick: &Pick, ops: &[OpRecord], given: Option<(f64, f64)>) -> Option<Choice> {
    let in_window = |r: &OpRecord| given.is_none_or(|(a, b)| secs(r.completed) >= a && secs(r.invoked) <= b);
    let candidates: Vec<usize> = (0..ops.len()).filter(|&i| in_window(&ops[i])).collect();
    let anchor = match pick.anchor {
        Anchor::Near(at) => candidates
            .iter()
            .copied()
            .min_by(|&a, &b| (secs(ops[a].completed) - at).abs().total_cmp(&(secs(ops[b].completed) - at).abs())),
        Anchor::Op { client, invoked } => {
            candidates.iter().copied().find(|&i| ops[i].client == client && ops[i].invoked == invoked)
        }
        Anchor::Contended => first_contended(ops, &candidates),
    };
    let (from_s, until_s, chosen_by, settled_after) = match (given, anchor) {
        (Some((a, b)), _) => (a, b, format!("key {}, window given", pick.why), SimTime::ZERO),
        (None, Some(i)) => {
            let (a, b) = window_around(ops, i);
            let why = format!("key {}, window around its operation at {:.6} s", pick.why, secs(ops[i].invoked));
            (a, b, why, ops[i].completed)
        }
        (None, None) => return None,
    };
    let anchor = anchor.filter(|_| given.is_none()).map(|i| ops[i].clone());
    let prior_write = anchor.as_ref().filter(|a| a.kind.is_read()).and_then(|a| {
        ops.iter()
            .filter(|r| !r.kind.is_read() && r.ok() && r.completed <= a.invoked)
            .max_by_key(|r| r.completed)
            .cloned()
    });
    let stale = matches!(pick.anchor, Anchor::Op { .. });
    Some(Choice { key: pick.key, from_s, until_s, chosen_by, settled_after, anchor, prior_write, stale })
}

/// The first operation on the key that overlaps another, else its first one.
fn first_contended(ops: &[OpRecord], candidates: &[usize]) -> Option<usize> {
    let overlaps = |a: &OpRecord, b: &OpRecord| a.invoked <= b.completed && b.invoked <= a.completed;
    candidates
        .iter()
        .copied()
        .find(|&i| candidates.iter().any(|&j| j != i && overlaps(&ops[i], &ops[j])))
        .or(candidates.first().copied())
}

/// The window around `ops[anchor]` (see the module doc).
fn window_around(ops: &[OpRecord], anchor: usize) -> (f64, f64) {
    let a = &ops[anchor];
    let mut from = secs(a.invoked);
    let mut until = secs(a.completed);
    for r in ops.iter().filter(|r| r.invoked <= a.completed && a.invoked <= r.completed) {
        from = from.min(secs(r.invoked));
        until = until.max(secs(r.completed));
    }
    if a.kind.is_read() {
        let before = secs(a.invoked) - 1.0;
        let prior = ops
            .iter()
            .filter(|r| !r.kind.is_read() && r.ok() && r.completed <= a.invoked && secs(r.completed) >= before)
            .max_by_key(|r| r.completed);
        if let Some(w) = prior {
            from = from.min(secs(w.invoked));
        }
    }
    let margin = ((until - from) * 0.05).max(0.001);
    ((from - margin).max(0.0), until + margin)
}

fn unknown_key(key: u64, o: &Operated) -> SpecError {
    let some: Vec<String> = o.first.iter().map(u64::to_string).collect();
    SpecError::new(
        "outputs.diagram.key",
        format!("key {key} was never read or written in this run ({} keys were, e.g. {})", o.keys, some.join(", ")),
        "pick a key the workload touches (see `dynsim replay --key`), or leave the key out (--diagram-key) to have \
         one chosen",
    )
}
