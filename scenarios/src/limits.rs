//! Every documented limit on what a scenario or a command may ask for, as one Markdown table
//! built from the constants that enforce them (so the reference page cannot drift from the
//! code). `docs.rs` appends it to `docs/scenario-reference.md`.

use crate::checked::{bounds, cost};
use std::fmt::Write;

/// One limit: what it bounds, the bound, and why it exists.
struct Limit {
    what: &'static str,
    bound: String,
    why: &'static str,
}

/// The limits section of the reference page, in Markdown.
pub fn limits_markdown() -> String {
    let mut out = String::from("## Limits\n\n");
    out.push_str(
        "Every input that drives cost has a bound, checked before anything runs (`dynsim validate` \
         checks exactly what `run`, `check`, `sweep` and `replay` check). A scenario beyond one is \
         refused with exit code 2, its line, column and JSON path, and a fix. Then a cost estimate \
         (events and memory) is compared with a budget that flags can lift on purpose.\n\n",
    );
    out.push_str("| what | limit | why |\n|---|---|---|\n");
    for l in file_limits().into_iter().chain(scenario_limits()).chain(command_limits()) {
        let _ = writeln!(out, "| {} | {} | {} |", l.what, l.bound, l.why);
    }
    out.push('\n');
    out
}

fn limit(what: &'static str, bound: String, why: &'static str) -> Limit {
    Limit { what, bound, why }
}

fn file_limits() -> Vec<Limit> {
    vec![
        limit(
            "scenario file size",
            format!("{} MiB", crate::load::MAX_SCENARIO_BYTES >> 20),
            "read no further: a larger file is the wrong file",
        ),
        limit(
            "encoding",
            "UTF-8 (a BOM is skipped)".into(),
            "UTF-16, UTF-32, invalid bytes and NUL are refused with their line and column",
        ),
        limit(
            "JSON nesting",
            format!("{} levels", crate::strict::MAX_DEPTH),
            "duplicate keys and arrays in place of objects are refused too",
        ),
        limit(
            "distribution nesting (`mixture`, `shift`, `scale`)",
            format!("{} levels", sim_core::dist::MAX_NESTING),
            "sampling never exhausts the stack",
        ),
    ]
}

fn scenario_limits() -> Vec<Limit> {
    let mut v = vec![
        limit("`duration_s + settle_s`", format!("{:e} s", bounds::MAX_SIM_SECONDS), "about 11.6 simulated days"),
        limit(
            "storage nodes (`cluster.nodes + cluster.spares`)",
            dynamo_model::stamp::MAX_NODES.to_string(),
            "actor ids pack the node in 12 bits",
        ),
        limit(
            "tokens per node / partitions",
            format!("{} / {}", dynamo_model::ring::MAX_TOKENS_PER_NODE, dynamo_model::ring::MAX_PARTITIONS),
            "ring metadata stays bounded",
        ),
        limit(
            "ring positions over all nodes (tokens × capacity)",
            format!("{}", bounds::MAX_RING_POSITIONS),
            "preference-list tables stay bounded",
        ),
        limit(
            "client processes over all workloads",
            bounds::MAX_CLIENTS.to_string(),
            "rates are per group: use fewer, faster clients",
        ),
        limit(
            "arrival and probe rates",
            format!("{:e} per s", crate::workload::arrival::MAX_RATE_PER_S),
            "one arrival per nanosecond, the clock's resolution",
        ),
        limit(
            "ON/OFF periods between two arrivals of a client",
            format!("{:e}", crate::workload::arrival::MAX_PERIODS_PER_ARRIVAL),
            "the simulation would walk periods instead of running",
        ),
        limit("workload keys when probes are on", "2^62".into(), "probe keys are numbered above the workloads' keys"),
        limit(
            "value sizes",
            format!("{} bytes (4 GiB - 1)", u32::MAX),
            "a size is a `u32` on the wire; workload draws are clamped",
        ),
        limit(
            "background periods (gossip, membership poll, hint scan, anti-entropy, detector retry, buffer flush, admission window)",
            format!("at least {} ms", bounds::MIN_PERIOD_MS),
            "a shorter period floods the event queue",
        ),
        limit(
            "report windows (`(duration_s + settle_s) / outputs.metrics.window_s`)",
            format!("{}", bounds::MAX_WINDOWS),
            "per-window series are allocated up front",
        ),
        limit(
            "measurement samples (`(duration_s + settle_s) / sample_interval_s`)",
            format!("{}", bounds::MAX_SAMPLES),
            "each sample visits every node",
        ),
        limit(
            "t-visibility grid points (`outputs.metrics.t_visibility.grid_ms`)",
            format!("{}", bounds::MAX_VISIBILITY_POINTS),
            "two counters per point per curve, and a report row per point with reads",
        ),
        limit(
            "t-visibility target probabilities (`outputs.metrics.t_visibility.targets`)",
            format!("{}", crate::metrics::MAX_TARGETS),
            "each is searched on every curve",
        ),
        limit(
            "WARS predictor trials (`wars.trials`)",
            format!("{} to {}", crate::spec::wars::MIN_TRIALS, crate::spec::wars::MAX_TRIALS),
            "24 bytes and about 4N draws per trial, after the run",
        ),
        limit(
            "mean chaos cycle (time to a fault + its repair)",
            format!("at least {} s", bounds::MIN_CHAOS_CYCLE_S),
            "a zero-length cycle would stop simulated time",
        ),
        limit(
            "queue and batch sizes (`max_hints`, `max_keys_per_exchange`, `transfer_batch_keys`, `buffer.max_objects`, `max_outstanding`)",
            format!("{}", bounds::MAX_SIZE),
            "each is allocated or scanned as a whole",
        ),
        limit(
            "clock offsets and jumps / drift",
            format!("±{:e} ms / ≤ {:e} ppm", sim_core::clock::MAX_OFFSET_MS, sim_core::clock::MAX_DRIFT_PPM),
            "a faster clock would fire timers faster than their periods allow",
        ),
        limit(
            "Merkle tree depth",
            format!("{} to {}", dynamo_model::merkle::MIN_DEPTH, dynamo_model::merkle::MAX_DEPTH),
            "a tree has 2^depth leaves per range",
        ),
        limit(
            "diagram arrows (`outputs.diagram.max_arrows`)",
            crate::diagram::MAX_ARROWS_LIMIT.to_string(),
            "the chart stays readable and small",
        ),
        limit(
            "chart width and height (`outputs.charts`, `--chart-width`, `--chart-height`)",
            format!("{} to {} px", crate::look::CHART_PX.0, crate::look::CHART_PX.1),
            "a PNG's pixels are allocated whole (4000 × 4000 is 48 MB per chart)",
        ),
        limit(
            "base font size (`outputs.charts.font_size`, `--font-size`)",
            format!("{} to {} px", crate::look::FONT_PX.0, crate::look::FONT_PX.1),
            "text stays legible and inside the charts' label areas",
        ),
    ];
    v.push(limit(
        "estimated events per run (default budget)",
        format!("{:e}; `--budget-events N` lifts it", cost::DEFAULT_BUDGET_EVENTS),
        "about 25 minutes of a 1,000-node run on one core",
    ));
    v.push(limit(
        "estimated memory per run (default budget)",
        format!("{} MiB; `--budget-memory-mb MB` lifts it", cost::DEFAULT_BUDGET_MEMORY_BYTES / 1048576.0),
        "the estimate counts processes, ring, keys a run can write and report windows",
    ));
    v
}

fn command_limits() -> Vec<Limit> {
    vec![
        limit(
            "seeds per command (`--seeds`, `sweep.seeds`)",
            crate::seeds::MAX_SEEDS.to_string(),
            "split a larger campaign",
        ),
        limit(
            "values per sweep axis",
            crate::sweep::grid::MAX_VALUES.to_string(),
            "a guard against typos like `1..1e9`",
        ),
        limit(
            "runs per sweep (combinations × seeds)",
            crate::sweep::plan::MAX_SWEEP_RUNS.to_string(),
            "refused before the grid is materialised; shard bigger sweeps",
        ),
        limit("`sweep --jobs`", format!("1 to {}", crate::cli_args::MAX_JOBS), "worker threads"),
    ]
}
