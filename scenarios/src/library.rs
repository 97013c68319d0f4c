//! The scenario library shipped with dynsim (`scenarios/examples/`), embedded in the binary so
//! `dynsim list` and `dynsim run NAME` work from any directory.

/// Every shipped scenario: (name, JSON text). The first is the default `dynsim run` runs.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("default", include_str!("../examples/default.json")),
    ("quorum-322", include_str!("../examples/quorum-322.json")),
    ("read-engine", include_str!("../examples/read-engine.json")),
    ("always-writeable", include_str!("../examples/always-writeable.json")),
    ("partition-heal", include_str!("../examples/partition-heal.json")),
    ("datacenter-outage", include_str!("../examples/datacenter-outage.json")),
    ("rolling-restart", include_str!("../examples/rolling-restart.json")),
    ("churn", include_str!("../examples/churn.json")),
    ("disk-faults", include_str!("../examples/disk-faults.json")),
    ("buffered-writes", include_str!("../examples/buffered-writes.json")),
    ("direct-writes", include_str!("../examples/direct-writes.json")),
    ("client-driven", include_str!("../examples/client-driven.json")),
    ("server-driven", include_str!("../examples/server-driven.json")),
    ("strategy-1-random-tokens", include_str!("../examples/strategy-1-random-tokens.json")),
    ("strategy-2-equal-partitions", include_str!("../examples/strategy-2-equal-partitions.json")),
    ("strategy-3-q-over-s", include_str!("../examples/strategy-3-q-over-s.json")),
    ("lww-clock-skew", include_str!("../examples/lww-clock-skew.json")),
    ("dvv-siblings", include_str!("../examples/dvv-siblings.json")),
    ("staleness-probes", include_str!("../examples/staleness-probes.json")),
    ("pbs-static-quorum", include_str!("../examples/pbs-static-quorum.json")),
    ("pbs-read-fan-out", include_str!("../examples/pbs-read-fan-out.json")),
    ("pbs-wars-exponential", include_str!("../examples/pbs-wars-exponential.json")),
    ("pbs-lnkd-disk", include_str!("../examples/pbs-lnkd-disk.json")),
    ("pbs-wan", include_str!("../examples/pbs-wan.json")),
    ("join-leave", include_str!("../examples/join-leave.json")),
    ("quorum-core", include_str!("../examples/quorum-core.json")),
];

/// The shipped scenario called `name`.
pub fn find(name: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
