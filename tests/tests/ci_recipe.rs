//! The GitHub Actions workflow of docs/ci.md: it parses as YAML, its matrix splits seeds 1 to
//! 1000 of each scenario into disjoint shards that cover them all, and its check step, run by
//! bash for every matrix cell with a stand-in `dynsim` that records its arguments, asks for
//! `check` of that cell's scenario and seeds with its own JUnit and shrink files. (The workflow
//! has not been run on GitHub; this checks what can be checked here.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use tests::TempDir;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

/// The first ```yaml block of docs/ci.md.
fn workflow() -> serde_json::Value {
    let doc = std::fs::read_to_string(repo().join("docs/ci.md")).expect("docs/ci.md");
    let start = doc.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let len = doc[start..].find("```").expect("the block ends");
    serde_yaml_ng::from_str(&doc[start..start + len]).expect("the workflow is valid YAML")
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().expect("a list").iter().map(|x| x.as_str().expect("a string").to_string()).collect()
}

#[test]
fn the_nightly_matrix_covers_a_thousand_seeds_once_each() {
    let matrix = &workflow()["jobs"]["check"]["strategy"]["matrix"];
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for text in strings(&matrix["seeds"]) {
        let set = scenarios::seeds::parse_arg(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        total += set.len();
        seen.extend(set.iter());
    }
    assert_eq!(total, 1000, "no seed twice");
    assert_eq!(seen, (1..=1000).collect::<BTreeSet<u64>>());
    assert!(strings(&matrix["scenario"]).len() >= 2);
}

#[test]
fn the_check_step_runs_dynsim_check_with_a_junit_file_per_matrix_cell() {
    let job = &workflow()["jobs"]["check"];
    let matrix = &job["strategy"]["matrix"];
    let step = job["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("dynsim check")))
        .expect("a step runs dynsim check");
    let script = step["run"].as_str().expect("a script");
    let dir = TempDir::new("ci-recipe");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    let fake = bin.join("dynsim");
    std::fs::write(&fake, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n").expect("write");
    assert!(Command::new("chmod").arg("+x").arg(&fake).status().expect("chmod").success());
    let mut junit_files = BTreeSet::new();
    for scenario in strings(&matrix["scenario"]) {
        for seeds in strings(&matrix["seeds"]) {
            let cell = script.replace("${{ matrix.scenario }}", &scenario).replace("${{ matrix.seeds }}", &seeds);
            assert!(!cell.contains("${{"), "an unknown expression in {cell}");
            let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
            let out = Command::new("bash").arg("-ec").arg(&cell).current_dir(dir.path()).env("PATH", path).output();
            let out = out.expect("bash runs the step");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let args: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
            let after = |flag: &str| {
                let i = args.iter().position(|a| a == flag).unwrap_or_else(|| panic!("{flag} missing from {args:?}"));
                args[i + 1].clone()
            };
            assert_eq!((args[0].as_str(), args[1].as_str()), ("check", scenario.as_str()));
            assert_eq!(after("--seeds"), seeds);
            assert!(args.contains(&"--shrink".to_string()));
            assert!(after("--junit").starts_with("junit/") && after("--junit").ends_with(".xml"));
            assert!(dir.path().join("junit").is_dir() && dir.path().join("shrunk").is_dir(), "output dirs exist");
            assert!(junit_files.insert(after("--junit")), "two cells write {}", after("--junit"));
        }
    }
}
