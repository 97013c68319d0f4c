//! Every assumption of the WARS model, checked against a scenario (and, for what only a run
//! shows, its report): when one is broken the report says so and labels the comparison.

use crate::spec::Scenario;
use crate::spec::dynamo::{CoordinatorMode, ReadRepair};
use reports::RunReport;
use reports::wars::Assumption;
use sim_core::dist::DistSpec;
use sim_core::net::NetConfig;
use sim_core::topology::LinkClass;

/// The message kinds between a client and the node it sends to.
const CLIENT_KINDS: [&str; 3] = ["request", "get_reply", "put_reply"];

/// The distribution the network draws for `kind` on `class`: the class's default, then every
/// `by_kind` entry for the kind and class in order (the last wins), as `sim_core::net` does.
pub fn kind_latency<'a>(net: &'a NetConfig, kind: &str, class: LinkClass) -> &'a DistSpec {
    let c = &net.latency_ms;
    let default = match class {
        LinkClass::Loopback => &c.loopback,
        LinkClass::SameRack => &c.same_rack,
        LinkClass::SameDatacenter => &c.same_datacenter,
        LinkClass::CrossDatacenter => &c.cross_datacenter,
    };
    net.by_kind
        .iter()
        .rev()
        .find(|o| o.kind == kind && o.class.is_none_or(|k| k == class))
        .map_or(default, |o| &o.latency_ms)
}

fn zero(d: &DistSpec) -> bool {
    matches!(d, DistSpec::Constant { value } if *value == 0.0)
}

fn check(name: &str, assumes: &str, broken: Vec<String>) -> Assumption {
    Assumption { name: name.into(), assumes: assumes.into(), holds: broken.is_empty(), broken_by: broken.join("; ") }
}

/// Every WARS assumption for a run of `s` (with network `net`, its preset applied) that gave
/// `r`; `per_class` says whether some leg differs by link class.
pub fn assumptions(s: &Scenario, net: &NetConfig, r: &RunReport, per_class: bool) -> Vec<Assumption> {
    vec![
        coordinator(s),
        check(
            "no_read_repair",
            "nothing but the write itself carries it to replicas",
            match s.dynamo.read_repair {
                ReadRepair::Off => vec![],
                _ => vec!["read repair is on (dynamo.read_repair)".into()],
            },
        ),
        check(
            "no_anti_entropy",
            "no background exchange spreads writes",
            if s.dynamo.anti_entropy.enabled { vec!["anti-entropy is on".into()] } else { vec![] },
        ),
        service_time(s),
        faults(s),
        check("no_message_loss", "every message arrives, once", loss(net)),
        substitutes(r),
        client_legs(net),
        legs(net, per_class),
    ]
}

fn coordinator(s: &Scenario) -> Assumption {
    let broken = match s.dynamo.coordinator {
        CoordinatorMode::Proxy => vec![],
        CoordinatorMode::Replica => {
            vec![
                "a replica coordinates (dynamo.coordinator = replica): its own copy is written and read with no leg"
                    .into(),
            ]
        }
        CoordinatorMode::ClientDriven => {
            vec!["client-driven: the client library coordinates reads and a replica coordinates writes".into()]
        }
    };
    check("coordinator_not_a_replica", "the coordinator reaches every replica over the W, A, R, S legs", broken)
}

fn service_time(s: &Scenario) -> Assumption {
    let mut broken = Vec::new();
    let cpu = &s.cpu;
    let costly = cpu.by_kind_ms.iter().filter(|(_, d)| !zero(d)).map(|(k, _)| format!("cpu.by_kind_ms.{k}"));
    broken.extend(costly);
    for (name, d) in [("cpu.message_ms", &cpu.message_ms), ("cpu.timer_ms", &cpu.timer_ms)] {
        if d.as_ref().is_some_and(|d| !zero(d)) {
            broken.push(name.to_string());
        }
    }
    for (name, d) in
        [("disk.read_ms", &s.disk.read_ms), ("disk.write_ms", &s.disk.write_ms), ("disk.fsync_ms", &s.disk.fsync_ms)]
    {
        if !zero(d) {
            broken.push(name.to_string());
        }
    }
    let broken = if broken.is_empty() {
        broken
    } else {
        vec![format!("handlers take time, so messages queue: {} not constant 0", broken.join(", "))]
    };
    check("no_service_time", "handling a message takes no time, so nothing queues", broken)
}

fn faults(s: &Scenario) -> Assumption {
    let mut broken = Vec::new();
    if !s.faults.is_empty() {
        broken.push(format!("{} timed faults or admin commands", s.faults.len()));
    }
    let c = &s.chaos;
    if c.crashes.is_some() || c.pauses.is_some() || c.partitions.is_some() {
        broken.push("chaos generators".into());
    }
    if s.disk.faults != Default::default() {
        broken.push("disk faults".into());
    }
    check("no_failures", "no node fails, pauses, is cut off or loses data", broken)
}

fn loss(net: &NetConfig) -> Vec<String> {
    let mut broken = Vec::new();
    if net.loss > 0.0 {
        broken.push(format!("network.loss = {}", net.loss));
    }
    if net.duplicate > 0.0 {
        broken.push(format!("network.duplicate = {}", net.duplicate));
    }
    broken
}

fn substitutes(r: &RunReport) -> Assumption {
    let mut broken = Vec::new();
    if r.cost.hinted_writes > 0 {
        broken.push(format!("{} writes went to substitutes with a hint (sloppy quorum)", r.cost.hinted_writes));
    }
    let failed: u64 = ["probe_write", "probe_read"].iter().filter_map(|k| r.ops.get(*k)).map(|o| o.failed).sum();
    if failed > 0 {
        broken.push(format!("{failed} probe operations failed"));
    }
    check("strict_quorum_in_practice", "every operation reaches its own N replicas and completes", broken)
}

fn client_legs(net: &NetConfig) -> Assumption {
    let classes = [LinkClass::SameRack, LinkClass::SameDatacenter, LinkClass::CrossDatacenter];
    let broken: Vec<String> = CLIENT_KINDS
        .iter()
        .filter(|k| classes.iter().any(|c| !zero(kind_latency(net, k, *c))))
        .map(|k| format!("{k} latency is not constant 0 (network.by_kind)"))
        .collect();
    check("free_client_legs", "the client's own legs to and from the coordinator take no time", broken)
}

fn legs(net: &NetConfig, per_class: bool) -> Assumption {
    let mut broken = Vec::new();
    if per_class {
        broken.push(
            "a replica leg differs by link class: predicted per class with replicas placed uniformly on the nodes \
             (PBS's WAN model; exact when every key is on every node)"
                .into(),
        );
    }
    if !net.by_link.is_empty() {
        broken.push(format!(
            "{} per-link latency overrides (network.by_link), which the prediction ignores",
            net.by_link.len()
        ));
    }
    check("identically_distributed_legs", "every replica's legs are drawn from the same distributions", broken)
}
