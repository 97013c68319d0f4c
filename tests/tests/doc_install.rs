//! The README's quick start puts `dynsim` on PATH, since the replay command a run prints
//! (`dynsim run default --seed 1`) and every command in the docs call it by name: right after
//! its first command (`cargo run --release`, which stays first) comes the one-line install of the
//! package that actually owns the `dynsim` binary, found here from the workspace's manifests.

use std::path::Path;

/// The workspace members (`members = [...]` of the root manifest).
fn members(root_manifest: &str) -> Vec<String> {
    let line = root_manifest.lines().find(|l| l.trim_start().starts_with("members")).expect("a members line");
    let list = line.split_once('[').and_then(|(_, r)| r.split_once(']')).map(|(l, _)| l).expect("members = [...]");
    list.split(',').map(|m| m.trim().trim_matches('"').to_string()).filter(|m| !m.is_empty()).collect()
}

/// Whether a package manifest declares a binary target named `bin`.
fn declares_bin(manifest: &str, bin: &str) -> bool {
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && line.replace(' ', "") == format!("name=\"{bin}\"") {
            return true;
        }
    }
    false
}

/// The command lines of the README's first fenced `sh` block (the quick start), comments cut.
fn quick_start(readme: &str) -> Vec<String> {
    let body = readme.split_once("```sh\n").map(|(_, b)| b).expect("a fenced sh block");
    let block = body.split_once("```").map(|(b, _)| b).expect("closed");
    block.lines().map(|l| l.split('#').next().unwrap_or("").trim().to_string()).filter(|l| !l.is_empty()).collect()
}

#[test]
fn the_quick_start_installs_the_package_that_owns_dynsim_right_after_cargo_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let owners: Vec<String> = members(&read("Cargo.toml"))
        .into_iter()
        .filter(|m| declares_bin(&read(&format!("{m}/Cargo.toml")), "dynsim"))
        .collect();
    assert_eq!(owners.len(), 1, "exactly one workspace package builds `dynsim`: {owners:?}");
    let readme = read("README.md");
    let commands = quick_start(&readme);
    assert_eq!(commands.first().map(String::as_str), Some("cargo run --release"), "cargo run stays the first command");
    let install = format!("cargo install --path {} --locked", owners[0]);
    assert_eq!(commands.get(1), Some(&install), "the second command installs dynsim: {commands:?}");
    assert!(readme.contains("replay commands assume it"), "the README says why it installs dynsim");
}

#[test]
fn the_manifest_readers_find_what_they_should() {
    assert_eq!(members("[workspace]\nmembers = [\"a\", \"b-c\"]\n"), vec!["a".to_string(), "b-c".to_string()]);
    let manifest = "[package]\nname = \"x\"\n\n[[bin]]\nname = \"dynsim\"\npath = \"src/main.rs\"\n";
    assert!(declares_bin(manifest, "dynsim"));
    assert!(!declares_bin("[package]\nname = \"dynsim\"\n", "dynsim"), "a package name is not a bin target");
    assert!(!declares_bin(manifest, "other"));
    let readme = "# x\n\n```sh\ncargo run --release   # run\ncargo install --path p --locked # on PATH\n```\n";
    assert_eq!(
        quick_start(readme),
        vec!["cargo run --release".to_string(), "cargo install --path p --locked".to_string()]
    );
}
