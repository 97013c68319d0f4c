//! The cluster recipes of docs/cluster.md: the Slurm array script and the Kubernetes Indexed
//! Job manifest. Both are executed here with a stand-in `dynsim` that records its arguments,
//! for every task/pod index, and the shards they ask for must cover every run of a sweep
//! exactly once. (scripts/slurm/test-local.sh runs the Slurm recipe on a real single-node
//! Slurm; the manifest has not been run on a Kubernetes cluster.)

use scenarios::sweep::plan::Shard;
use std::path::{Path, PathBuf};
use std::process::Command;
use tests::TempDir;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

/// A stand-in `dynsim` in `dir` that prints its arguments, one per line.
fn fake_dynsim(dir: &TempDir) -> PathBuf {
    let path = dir.write("dynsim", "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
    let ok = Command::new("chmod").arg("+x").arg(&path).status().expect("chmod").success();
    assert!(ok);
    path
}

/// The value following `flag` in a list of arguments.
fn arg_after<'a>(args: &'a [String], flag: &str) -> &'a str {
    let i = args.iter().position(|a| a == flag).unwrap_or_else(|| panic!("{flag} missing from {args:?}"));
    &args[i + 1]
}

/// Every run of a `runs`-run sweep is owned by exactly one of `shards`, and they are 1/m..m/m.
fn assert_partition(shards: &[Shard], runs: u64) {
    let m = shards.len() as u64;
    let mut ks: Vec<u64> = shards.iter().map(|s| s.k).collect();
    ks.sort_unstable();
    assert_eq!(ks, (1..=m).collect::<Vec<_>>(), "shards 1..=m once each");
    assert!(shards.iter().all(|s| s.m == m), "every task agrees on m = {m}");
    for i in 0..runs {
        assert_eq!(shards.iter().filter(|s| s.owns(i)).count(), 1, "run {i}");
    }
}

#[test]
fn the_slurm_array_script_gives_each_task_its_own_shard_and_covers_every_run() {
    let dir = TempDir::new("slurm-recipe");
    let dynsim = fake_dynsim(&dir);
    for (first, last) in [(0u64, 3u64), (5, 9)] {
        let shards: Vec<Shard> = (first..=last)
            .map(|task| {
                let out = Command::new("bash")
                    .arg(repo().join("scripts/slurm/sweep-array.sbatch"))
                    .env("DYNSIM", &dynsim)
                    .env("SCENARIO", "churn")
                    .env("GRID", "R=1..3; W=1..3")
                    .env("SEEDS", "1..20")
                    .env("OUT", "/shared/out")
                    .env("SLURM_ARRAY_TASK_ID", task.to_string())
                    .env("SLURM_ARRAY_TASK_MIN", first.to_string())
                    .env("SLURM_ARRAY_TASK_MAX", last.to_string())
                    .output()
                    .expect("bash runs the script");
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                let args: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect();
                assert_eq!(args[..2], ["sweep", "churn"]);
                assert_eq!((arg_after(&args, "--grid"), arg_after(&args, "--out")), ("R=1..3; W=1..3", "/shared/out"));
                Shard::parse(arg_after(&args, "--shard")).expect("a valid shard")
            })
            .collect();
        assert_partition(&shards, 9 * 20);
    }
}

#[test]
fn a_slurm_task_resubmitted_alone_keeps_its_shard_when_told_the_array() {
    let dir = TempDir::new("slurm-resubmit");
    let dynsim = fake_dynsim(&dir);
    let out = Command::new("bash")
        .arg(repo().join("scripts/slurm/sweep-array.sbatch"))
        .envs([("SCENARIO", "churn"), ("GRID", "R=1"), ("OUT", "/o"), ("SHARDS", "8"), ("ARRAY_FIRST", "0")])
        .envs([("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_MIN", "5"), ("SLURM_ARRAY_TASK_MAX", "5")])
        .env("DYNSIM", &dynsim)
        .output()
        .expect("bash runs the script");
    let args: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect();
    assert_eq!(arg_after(&args, "--shard"), "6/8");
}

#[test]
fn the_slurm_array_script_refuses_to_run_outside_an_array_job() {
    let out = Command::new("bash")
        .arg(repo().join("scripts/slurm/sweep-array.sbatch"))
        .env("SCENARIO", "churn")
        .env("GRID", "R=1")
        .env("OUT", "/tmp/x")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .expect("bash runs the script");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("array job"));
}

#[test]
fn the_kubernetes_indexed_job_is_well_formed_and_its_pods_cover_every_run() {
    let text = std::fs::read_to_string(repo().join("scripts/k8s/sweep-indexed-job.yaml")).expect("the manifest");
    let job: serde_json::Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
    assert_eq!((job["apiVersion"].as_str(), job["kind"].as_str()), (Some("batch/v1"), Some("Job")));
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let completions = spec["completions"].as_u64().expect("completions");
    let pod = &spec["template"]["spec"];
    assert!(matches!(pod["restartPolicy"].as_str(), Some("Never" | "OnFailure")));
    let c = &pod["containers"][0];
    let env = |name: &str| -> String {
        let e = c["env"].as_array().expect("env").iter().find(|e| e["name"] == name);
        e.and_then(|e| e["value"].as_str()).unwrap_or_else(|| panic!("env {name}")).to_string()
    };
    assert_eq!(env("SHARDS").parse::<u64>().ok(), Some(completions), "SHARDS must equal spec.completions");
    let mount = c["volumeMounts"][0]["mountPath"].as_str().expect("a results volume");
    let claim = &pod["volumes"][0]["persistentVolumeClaim"]["claimName"];
    assert!(claim.is_string(), "results go to a persistent volume");
    // Run the container's command for every index with a stand-in dynsim on PATH.
    let dir = TempDir::new("k8s-recipe");
    fake_dynsim(&dir);
    let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap_or_default());
    let command: Vec<&str> = c["command"].as_array().expect("command").iter().filter_map(|v| v.as_str()).collect();
    let script = c["args"][0].as_str().expect("the shell script");
    let shards: Vec<Shard> = (0..completions)
        .map(|index| {
            let mut cmd = Command::new(command[0]);
            cmd.args(&command[1..]).arg(script).env("PATH", &path).env("JOB_COMPLETION_INDEX", index.to_string());
            for name in ["SHARDS", "SCENARIO", "GRID", "SEEDS"] {
                cmd.env(name, env(name));
            }
            let out = cmd.output().expect("sh runs the command");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let args: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect();
            assert!(arg_after(&args, "--out").starts_with(mount), "results land on the volume");
            assert_eq!(arg_after(&args, "--grid"), env("GRID"));
            Shard::parse(arg_after(&args, "--shard")).expect("a valid shard")
        })
        .collect();
    assert_partition(&shards, 9 * 20);
}
