//! Semantic checks of a parsed scenario that the types alone cannot express.
//!
//! Each check returns a [`SpecError`] naming the JSON path, what is wrong and how to fix it.
//! Checks that need a built world (fault shapes, network kind names, chaos node lists) happen
//! when the world is assembled, with the same kind of error.

use crate::error::{JsonPath, SpecError};
use crate::spec::partitioning::PartitionStrategy;
use crate::spec::{Admin, Cluster, Probes, Scenario, TimedAction, Workload};
use sim_core::dist::Dist;
use std::collections::BTreeSet;

/// Checks a scenario; the first problem found is returned.
pub fn validate(s: &Scenario) -> Result<(), SpecError> {
    positive("duration_s", s.duration_s, "set duration_s to the simulated seconds the workloads run, e.g. 60")?;
    non_negative("settle_s", s.settle_s)?;
    cluster(&s.cluster)?;
    s.dynamo.validate(s.cluster.nodes).map_err(|e| config_error(&e))?;
    if let Some(seed) = s.dynamo.membership.gossip.seeds.iter().find(|n| n.index() >= s.cluster.storage_nodes()) {
        let msg = format!("seed node {} does not exist", seed.0);
        return Err(SpecError::new("dynamo.membership.gossip.seeds", msg, node_fix(s)));
    }
    positive("client.timeout_ms", s.client.timeout_ms, "give the client a timeout in milliseconds, e.g. 1000")?;
    if let Some(node) = s.clocks.keys().find(|n| **n as usize >= s.cluster.storage_nodes()) {
        return Err(SpecError::new(format!("clocks.{node}"), format!("node {node} does not exist"), node_fix(s)));
    }
    if s.workloads.is_empty() {
        return Err(SpecError::new(
            "workloads",
            "at least one workload is needed",
            "add a client group, e.g. {\"arrival\": {\"poisson\": {\"rate_per_s\": 100}}, \"keys\": {\"count\": 1000}}",
        ));
    }
    for (i, w) in s.workloads.iter().enumerate() {
        workload(s, w).map_err(|e| e.under(JsonPath::root().field("workloads").index(i)))?;
    }
    if let Some(p) = &s.probes {
        probes(s, p).map_err(|e| e.under("probes"))?;
    }
    if let Some(w) = &s.wars {
        wars(s, w)?;
    }
    timeline(s)
}

/// The WARS predictor's trials are bounded, and a legs preset is the only source of the legs.
fn wars(s: &Scenario, w: &crate::spec::wars::WarsSpec) -> Result<(), SpecError> {
    use crate::spec::wars::{MAX_TRIALS, MIN_TRIALS};
    if !(MIN_TRIALS..=MAX_TRIALS).contains(&w.trials) {
        let msg = format!("{} trials; between {MIN_TRIALS} and {MAX_TRIALS}", w.trials);
        return Err(SpecError::new("wars.trials", msg, "leave it out for the default 200,000"));
    }
    let Some(preset) = w.legs else { return Ok(()) };
    let legs = crate::wars::presets::LEG_KINDS;
    if let Some(i) = s.network.by_kind.iter().position(|o| legs.contains(&o.kind.as_str())) {
        let msg = format!(
            "wars.legs \"{}\" sets the {} latency, so this entry would be overridden",
            preset.name(),
            s.network.by_kind[i].kind
        );
        let fix = "remove this by_kind entry, or remove wars.legs to set the legs here";
        return Err(SpecError::new(JsonPath::from("network.by_kind").index(i).field("kind"), msg, fix));
    }
    Ok(())
}

fn cluster(c: &Cluster) -> Result<(), SpecError> {
    if c.nodes == 0 {
        return Err(SpecError::new(
            "cluster.nodes",
            "a cluster needs at least one node",
            "set cluster.nodes to 1 or more",
        ));
    }
    if c.storage_nodes() > dynamo_model::stamp::MAX_NODES {
        let msg = format!(
            "at most {} storage nodes are supported (actor ids pack the node in 12 bits), got {} nodes and {} spares",
            dynamo_model::stamp::MAX_NODES,
            c.nodes,
            c.spares
        );
        let path = if c.spares > c.nodes { "cluster.spares" } else { "cluster.nodes" };
        return Err(SpecError::new(path, msg, "use fewer nodes or spares"));
    }
    if c.datacenters == 0 || c.datacenters > c.nodes {
        return Err(SpecError::new(
            "cluster.datacenters",
            format!("must be between 1 and cluster.nodes ({}), got {}", c.nodes, c.datacenters),
            "use fewer datacenters than nodes",
        ));
    }
    if c.racks_per_datacenter == 0 {
        return Err(SpecError::new("cluster.racks_per_datacenter", "must be at least 1", "set it to 1 or more"));
    }
    c.partitioning.to_model().validate().map_err(|e| {
        // Ring errors name the strategy `strategy`; in a scenario it is `cluster.partitioning`.
        let path = e.path();
        let field = path.strip_prefix(&JsonPath::root().field("strategy")).unwrap_or(path);
        let fix = "see `dynsim schema` for the partitioning strategies";
        SpecError::new(JsonPath::from("cluster.partitioning").join(&field), e.message(), fix)
    })?;
    if let PartitionStrategy::EqualPartitions { partitions: q } = c.partitioning
        && (q as usize) < c.nodes
    {
        return Err(SpecError::new(
            "cluster.partitioning.partitions",
            format!("strategy 3 needs at least one partition per node: {q} partitions for {} nodes", c.nodes),
            "raise partitions to a multiple of the node count, e.g. 8 per node",
        ));
    }
    for (&node, &cap) in &c.capacities {
        let path = JsonPath::from("cluster.capacities").field(node.to_string());
        if node as usize >= c.storage_nodes() {
            return Err(SpecError::new(
                path,
                format!("node {node} does not exist (nodes are {})", procs(0, c.storage_nodes())),
                "use a node number below cluster.nodes + cluster.spares",
            ));
        }
        positive(path, cap, "capacities are positive weights, 1 by default")?;
    }
    Ok(())
}

fn workload(s: &Scenario, w: &Workload) -> Result<(), SpecError> {
    if w.clients == 0 {
        return Err(SpecError::new("clients", "a workload needs at least one client", "set clients to 1 or more"));
    }
    if w.datacenter as usize >= s.cluster.datacenters {
        return Err(SpecError::new(
            "datacenter",
            format!("datacenter {} does not exist (there are {})", w.datacenter, s.cluster.datacenters),
            "use a datacenter number below cluster.datacenters",
        ));
    }
    w.arrival.validate().map_err(|e| e.under("arrival"))?;
    w.keys.validate().map_err(|e| e.under("keys"))?;
    w.mix.validate().map_err(|e| e.under("mix"))?;
    Dist::new(&w.value_bytes).map_err(|e| {
        SpecError::new(
            JsonPath::from("value_bytes").join(&e.path),
            e.problem.to_string(),
            "value sizes are a distribution of bytes, e.g. {\"constant\": {\"value\": 1024}}",
        )
    })?;
    non_negative("start_s", w.start_s)?;
    let stop = w.stop_s.unwrap_or(s.duration_s);
    if !(stop.is_finite() && stop > w.start_s && stop <= s.duration_s) {
        return Err(SpecError::new(
            "stop_s",
            format!("must be after start_s ({}) and at most duration_s ({}), got {stop}", w.start_s, s.duration_s),
            "times are ordered: 0 <= start_s < stop_s <= duration_s",
        ));
    }
    if w.max_outstanding == 0 {
        return Err(SpecError::new("max_outstanding", "must be at least 1", "set it to 1 for a closed loop, or more"));
    }
    Ok(())
}

fn probes(s: &Scenario, p: &Probes) -> Result<(), SpecError> {
    positive("rate_per_s", p.rate_per_s, "probes per second, e.g. 10")?;
    Dist::new(&p.delay_ms).map_err(|e| {
        SpecError::new(
            JsonPath::from("delay_ms").join(&e.path),
            e.problem.to_string(),
            "the delay is a distribution of milliseconds, e.g. {\"uniform\": {\"low\": 0, \"high\": 100}}",
        )
    })?;
    if p.datacenter as usize >= s.cluster.datacenters {
        return Err(SpecError::new(
            "datacenter",
            format!("datacenter {} does not exist", p.datacenter),
            "use a datacenter number below cluster.datacenters",
        ));
    }
    if !(p.value_bytes.is_finite() && (0.0..=u32::MAX as f64).contains(&p.value_bytes)) {
        return Err(SpecError::new(
            "value_bytes",
            format!("must be a number of bytes from 0 to {} (4 GiB - 1), got {}", u32::MAX, p.value_bytes),
            "e.g. 1",
        ));
    }
    Ok(())
}

fn timeline(s: &Scenario) -> Result<(), SpecError> {
    let end = s.duration_s + s.settle_s;
    let mut last = 0.0;
    // The ring members as the commands so far leave them (a command takes effect over the
    // following seconds; validation tracks what was commanded).
    let mut on_ring: BTreeSet<u32> = (0..s.cluster.nodes as u32).collect();
    for (i, a) in s.faults.iter().enumerate() {
        let path = JsonPath::root().field("faults").index(i);
        action(s, a, end, last, &mut on_ring).map_err(|e| e.under(path))?;
        last = a.at_s;
    }
    Ok(())
}

fn action(s: &Scenario, a: &TimedAction, end: f64, last: f64, on_ring: &mut BTreeSet<u32>) -> Result<(), SpecError> {
    if !(a.at_s.is_finite() && a.at_s >= 0.0 && a.at_s <= end) {
        return Err(SpecError::new(
            "at_s",
            format!("must be between 0 and duration_s + settle_s ({end}), got {}", a.at_s),
            "schedule the action inside the run",
        ));
    }
    if a.at_s < last {
        return Err(SpecError::new(
            "at_s",
            format!("times out of order: {} comes after an action at {last}", a.at_s),
            "list faults in time order",
        ));
    }
    match (&a.fault, &a.admin) {
        (Some(_), Some(_)) | (None, None) => Err(SpecError::new(
            "",
            "each timeline entry needs exactly one of `fault` or `admin`",
            "split it into two entries, or add the missing action",
        )),
        (Some(f), None) => match f.node() {
            Some(n) if n.index() >= s.cluster.storage_nodes() => Err(SpecError::new(
                format!("fault.{}.node", f.label()),
                format!("node {} does not exist (nodes are {})", n.0, procs(0, s.cluster.storage_nodes())),
                node_fix(s),
            )),
            _ => Ok(()),
        },
        (None, Some(adm)) => admin(s, adm, on_ring),
    }
}

fn admin(s: &Scenario, a: &Admin, on_ring: &mut BTreeSet<u32>) -> Result<(), SpecError> {
    match a {
        Admin::Join { node } => {
            membership_command(s, "join", *node)?;
            if !on_ring.insert(*node) {
                let msg =
                    format!("node {node} is already on the ring at this time (it started there or joined earlier)");
                return Err(SpecError::new(
                    "admin.join.node",
                    msg,
                    "join a spare (cluster.spares) or a node that left",
                ));
            }
            Ok(())
        }
        Admin::Leave { node } => {
            membership_command(s, "leave", *node)?;
            if !on_ring.remove(node) {
                let msg = format!("node {node} is not on the ring at this time (a spare, or it already left)");
                return Err(SpecError::new("admin.leave.node", msg, "leave a node that is on the ring"));
            }
            if on_ring.len() < s.dynamo.n {
                let msg =
                    format!("after node {node} leaves, {} nodes remain, fewer than N = {}", on_ring.len(), s.dynamo.n);
                return Err(SpecError::new(
                    "admin.leave.node",
                    msg,
                    "keep at least N nodes on the ring, or add spares",
                ));
            }
            Ok(())
        }
        Admin::Replace { node, after_ms } => {
            if *node as usize >= s.cluster.storage_nodes() {
                return Err(SpecError::new("admin.replace.node", format!("node {node} does not exist"), node_fix(s)));
            }
            non_negative("admin.replace.after_ms", *after_ms)
        }
    }
}

/// What every join or leave needs: membership on, and a storage node.
fn membership_command(s: &Scenario, kind: &str, node: u32) -> Result<(), SpecError> {
    if !s.dynamo.membership.enabled {
        return Err(SpecError::new(
            "admin",
            format!("{kind} needs gossip-based membership, which dynamo.membership.enabled turns off"),
            "remove `\"enabled\": false` from dynamo.membership",
        ));
    }
    if node as usize >= s.cluster.storage_nodes() {
        return Err(SpecError::new(format!("admin.{kind}.node"), format!("node {node} does not exist"), node_fix(s)));
    }
    Ok(())
}

fn node_fix(s: &Scenario) -> String {
    let all = procs(0, s.cluster.storage_nodes());
    if s.cluster.spares == 0 {
        format!("nodes are numbered {all}; use one of those (cluster.spares adds nodes that can join)")
    } else {
        format!("nodes are numbered {all} (spares from {}); use one of those", s.cluster.nodes)
    }
}

/// The process numbers from `first` up to `end` (not included) as messages write ranges:
/// inclusive, as seed ranges are (`procs(0, 5)` is `0..=4`).
pub(crate) fn procs(first: usize, end: usize) -> String {
    format!("{first}..={}", end.saturating_sub(1))
}

fn positive(path: impl Into<JsonPath>, v: f64, fix: &str) -> Result<(), SpecError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(SpecError::new(path, format!("must be a finite number > 0, got {v}"), fix))
    }
}

fn non_negative(path: &str, v: f64) -> Result<(), SpecError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(SpecError::new(path, format!("must be a finite number >= 0, got {v}"), "use 0 or a positive number"))
    }
}

/// A `dynamo` settings error, placed under `dynamo`.
fn config_error(e: &crate::spec::dynamo::DynamoConfigError) -> SpecError {
    let fix =
        "see `dynsim schema` for the allowed values; R and W must not exceed N, and N must not exceed cluster.nodes";
    SpecError::new(JsonPath::from("dynamo").join(&e.path()), e.message(), fix)
}
