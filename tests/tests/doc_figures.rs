//! Figures quoted in the README come from the scripts that produce them: every line of a block
//! the README marks with `<!-- figures: FILE -->` must appear, verbatim, in FILE (a script's
//! saved output, such as `bench/results/full-model.txt`), so a figure edited by hand or left
//! behind by a new run fails here.

use std::path::Path;

const MARK: &str = "<!-- figures: ";

/// The marked blocks of `doc`: (file named by the mark, the lines of the fenced block after it).
fn marked_blocks(doc: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.trim().strip_prefix(MARK) else { continue };
        let file = rest.trim_end_matches("-->").trim().to_string();
        let fence = lines.by_ref().find(|l| !l.trim().is_empty()).unwrap_or_default();
        assert!(fence.starts_with("```"), "the figures mark for {file} must be followed by a fenced block");
        let body: Vec<String> = lines.by_ref().take_while(|l| !l.starts_with("```")).map(str::to_string).collect();
        blocks.push((file, body));
    }
    blocks
}

/// The lines of `block` that `source` does not contain as whole lines.
fn missing_lines(block: &[String], source: &str) -> Vec<String> {
    let have: Vec<&str> = source.lines().map(str::trim_end).collect();
    block.iter().filter(|l| !l.trim().is_empty() && !have.contains(&l.trim_end())).cloned().collect()
}

#[test]
fn every_figure_block_in_the_readme_is_a_verbatim_excerpt_of_its_script_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let blocks = marked_blocks(&readme);
    assert!(!blocks.is_empty(), "the README quotes the full-model benchmark through a figures block");
    for (file, block) in blocks {
        let source = std::fs::read_to_string(root.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!block.is_empty(), "the figures block for {file} is empty");
        let missing = missing_lines(&block, &source);
        assert!(missing.is_empty(), "README lines not in {file} (re-run the script and copy them):\n{missing:#?}");
    }
}

#[test]
fn a_line_changed_by_hand_is_caught() {
    let doc = "x\n<!-- figures: out.txt -->\n\n```\nratio 15.0\nrow 1\n```\n";
    let blocks = marked_blocks(doc);
    assert_eq!(blocks, vec![("out.txt".to_string(), vec!["ratio 15.0".to_string(), "row 1".to_string()])]);
    assert!(missing_lines(&blocks[0].1, "header\nratio 15.0\nrow 1\n").is_empty());
    assert_eq!(missing_lines(&blocks[0].1, "ratio 14.9\nrow 1\n"), vec!["ratio 15.0".to_string()]);
}
