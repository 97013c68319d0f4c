//! The opt-in `probes.jsonl` (`dynsim run --probes FILE`): one JSON line per probe read, streamed
//! as it completes, for analysis elsewhere — when the probe's write committed, when the read
//! began and ended, t, fresh or stale and k, and which replicas answered with what each held.
//!
//! What the replicas held comes from the coordinator's [`ModelNote::ReadAnswered`]
//! (`dynamo_model::msg::ModelNote`), kept with the read while it is in flight (only while a
//! probes file is being written), so memory stays O(reads in flight).

use dynamo_model::NodeId;
use dynamo_model::version::Versions;
use serde::Serialize;
use sim_core::{SimDuration, SimTime};

/// One replica's answer to a probe read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplicaHeld {
    /// The node.
    pub node: u32,
    /// The digest of the versions it returned, 16 hex digits (equal digests: equal versions).
    pub digest: String,
    /// The write ids of the versions it returned (empty: it held nothing for the key).
    pub writes: Vec<u64>,
}

impl ReplicaHeld {
    /// What `node` answered with `versions`.
    pub fn of(node: NodeId, versions: &Versions) -> Self {
        let writes = versions.write_ids().into_iter().map(|w| w.0).collect();
        ReplicaHeld { node: node.0, digest: format!("{:016x}", versions.digest()), writes }
    }
}

/// One line of `probes.jsonl`. Times are milliseconds of simulated time since the start.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProbeRow {
    /// The probe's key (written once, by the probe).
    pub key: u64,
    /// The probe's write id.
    pub write: u64,
    /// The probe client process.
    pub client: u32,
    /// When the probe's write was acknowledged (committed); `null` when measurement no longer
    /// holds it (it cannot be: a probe key has one write).
    pub write_committed_ms: Option<f64>,
    /// When the read began.
    pub read_invoked_ms: f64,
    /// When the read finished.
    pub read_completed_ms: f64,
    /// `read_invoked_ms − write_committed_ms`.
    pub t_ms: Option<f64>,
    /// Whether the read succeeded.
    pub ok: bool,
    /// A successful read returned the probe's write; `null` for a failed read.
    pub fresh: Option<bool>,
    /// Acknowledged versions the read was behind (0 fresh, 1 stale); `null` for a failed read.
    pub k: Option<u32>,
    /// The replicas that had answered when the coordinator replied, in answer order (empty for
    /// a failed read).
    pub replicas: Vec<ReplicaHeld>,
}

/// Milliseconds of a time since the start, exact to the nanosecond.
pub fn ms(t: SimTime) -> f64 {
    t.as_nanos() as f64 / 1e6
}

/// Milliseconds of a span.
pub fn span_ms(d: SimDuration) -> f64 {
    d.as_nanos() as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_serializes_every_field_in_order() {
        let row = ProbeRow {
            key: 7,
            write: 9,
            client: 4,
            write_committed_ms: Some(1.5),
            read_invoked_ms: 2.0,
            read_completed_ms: 2.25,
            t_ms: Some(0.5),
            ok: true,
            fresh: Some(false),
            k: Some(1),
            replicas: vec![ReplicaHeld { node: 2, digest: "00000000000000ff".into(), writes: vec![] }],
        };
        assert_eq!(
            serde_json::to_string(&row).unwrap(),
            r#"{"key":7,"write":9,"client":4,"write_committed_ms":1.5,"read_invoked_ms":2.0,"read_completed_ms":2.25,"t_ms":0.5,"ok":true,"fresh":false,"k":1,"replicas":[{"node":2,"digest":"00000000000000ff","writes":[]}]}"#
        );
        assert_eq!((ms(SimTime(1_500_001)), span_ms(SimDuration::from_nanos(2_000_000))), (1.500001, 2.0));
    }
}
