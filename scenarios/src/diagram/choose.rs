//! Choosing the diagram's key and window when the user leaves them out.
//!
//! The key: the key of the earliest checker violation; else of the first stale read; else the
//! most-written key (the smallest on a tie). Only operations overlapping a window the user gave
//! are considered.
//!
//! The window, around an anchor operation of the key: the violating operation closest to the
//! violation's time, the stale read, or the key's first operation that overlaps another
//! operation on it (else its first operation). It spans the anchor, every operation on the key
//! overlapping it and, for a read, the latest write of the key completed in the second before it,
//! plus a margin of 5% (at least 1 ms) on each side.

use crate::error::SpecError;
use crate::history::OpRecord;
use reports::{RunReport, Status};
use std::collections::BTreeMap;

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
}

/// The key and window for the diagram: `key` and `window` where given, the rules above for the
/// rest. `stale[i]` says whether `history[i]` was a stale read. `None` when nothing was operated
/// on (within the window, if one was given).
pub fn choose(
    report: &RunReport,
    history: &[OpRecord],
    stale: &[bool],
    key: Option<u64>,
    window: Option<(f64, f64)>,
) -> Result<Option<Choice>, SpecError> {
    let in_window = |r: &OpRecord| window.is_none_or(|(a, b)| secs(r.completed) >= a && secs(r.invoked) <= b);
    let candidates: Vec<usize> = (0..history.len()).filter(|&i| in_window(&history[i])).collect();
    let picked = match key {
        Some(k) => {
            if !history.iter().any(|r| r.key == k) {
                return Err(unknown_key(k, history));
            }
            let anchor = first_contended(history, &candidates, k);
            Some((k, anchor, "given".to_string()))
        }
        None => auto_key(report, history, stale, &candidates),
    };
    let Some((key, anchor, why)) = picked else { return Ok(None) };
    let (from_s, until_s, why) = match (window, anchor) {
        (Some((a, b)), _) => (a, b, format!("key {why}, window given")),
        (None, Some(i)) => {
            let (a, b) = window_around(history, i);
            (a, b, format!("key {why}, window around its operation at {:.6} s", secs(history[i].invoked)))
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(Choice { key, from_s, until_s, chosen_by: why }))
}

fn secs(t: sim_core::SimTime) -> f64 {
    t.as_secs_f64()
}

/// The automatic key, an anchor operation (index into `history`) and why.
fn auto_key(
    report: &RunReport,
    history: &[OpRecord],
    stale: &[bool],
    candidates: &[usize],
) -> Option<(u64, Option<usize>, String)> {
    let violation = report
        .checks
        .iter()
        .filter_map(|v| match &v.status {
            Status::Fail { examples, .. } => examples.first().map(|e| (e, &v.invariant)),
            _ => None,
        })
        .filter(|(e, _)| candidates.iter().any(|&i| history[i].key == e.key))
        .min_by(|a, b| a.0.at_s.total_cmp(&b.0.at_s).then(a.0.key.cmp(&b.0.key)));
    if let Some((e, invariant)) = violation {
        let anchor = candidates.iter().copied().filter(|&i| history[i].key == e.key).min_by(|&a, &b| {
            (secs(history[a].completed) - e.at_s).abs().total_cmp(&(secs(history[b].completed) - e.at_s).abs())
        });
        return Some((e.key, anchor, format!("{} (the first violation of {invariant}, at {:.6} s)", e.key, e.at_s)));
    }
    if let Some(&i) = candidates.iter().find(|&&i| stale.get(i).copied().unwrap_or(false)) {
        return Some((history[i].key, Some(i), format!("{} (the first stale read)", history[i].key)));
    }
    let mut writes: BTreeMap<u64, u64> = BTreeMap::new();
    for &i in candidates.iter().filter(|&&i| !history[i].kind.is_read()) {
        *writes.entry(history[i].key).or_default() += 1;
    }
    let (key, n) = writes.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(k, n)| (*k, *n))?;
    Some((key, first_contended(history, candidates, key), format!("{key} (the most-written, {n} writes)")))
}

/// The first operation on `key` that overlaps another operation on it, else its first one.
fn first_contended(history: &[OpRecord], candidates: &[usize], key: u64) -> Option<usize> {
    let ops: Vec<usize> = candidates.iter().copied().filter(|&i| history[i].key == key).collect();
    let overlaps = |a: &OpRecord, b: &OpRecord| a.invoked <= b.completed && b.invoked <= a.completed;
    ops.iter()
        .copied()
        .find(|&i| ops.iter().any(|&j| j != i && overlaps(&history[i], &history[j])))
        .or(ops.first().copied())
}

/// The window around `history[anchor]` (see the module doc).
fn window_around(history: &[OpRecord], anchor: usize) -> (f64, f64) {
    let a = &history[anchor];
    let same_key = || history.iter().filter(|r| r.key == a.key);
    let mut from = secs(a.invoked);
    let mut until = secs(a.completed);
    for r in same_key().filter(|r| r.invoked <= a.completed && a.invoked <= r.completed) {
        from = from.min(secs(r.invoked));
        until = until.max(secs(r.completed));
    }
    if a.kind.is_read() {
        let before = secs(a.invoked) - 1.0;
        let prior = same_key()
            .filter(|r| !r.kind.is_read() && r.ok() && r.completed <= a.invoked && secs(r.completed) >= before)
            .max_by_key(|r| r.completed);
        if let Some(w) = prior {
            from = from.min(secs(w.invoked));
        }
    }
    let margin = ((until - from) * 0.05).max(0.001);
    ((from - margin).max(0.0), until + margin)
}

fn unknown_key(key: u64, history: &[OpRecord]) -> SpecError {
    let mut keys: Vec<u64> = history.iter().map(|r| r.key).collect();
    keys.sort_unstable();
    keys.dedup();
    let some: Vec<String> = keys.iter().take(8).map(u64::to_string).collect();
    SpecError::new(
        "outputs.diagram.key",
        format!("key {key} was never read or written in this run ({} keys were, e.g. {})", keys.len(), some.join(", ")),
        "pick a key the workload touches (see `dynsim replay --key`), or leave the key out (--diagram-key) to have \
         one chosen",
    )
}
