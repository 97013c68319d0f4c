//! JUnit XML for CI (`dynsim check --junit FILE`): one test suite per seed, one test case per
//! check of that seed, a failure's message holding its replay command.
//!
//! The shape is the one common CI systems read (Jenkins, GitLab, GitHub test reporters):
//!
//! ```text
//! <testsuites name="dynsim check SOURCE" tests= failures= errors="0" skipped=>
//!   <testsuite name="SOURCE seed S" tests= failures= errors="0" skipped=>
//!     <testcase classname="SOURCE.seedS" name="INVARIANT"/>                      passed
//!     <testcase ...><failure message="...; replay: dynsim run SOURCE --seed S" type="INVARIANT">details</failure></testcase>
//!     <testcase ...><skipped message="REASON"/></testcase>                       not applicable
//! ```
//!
//! A case is a name and an [`Outcome`]: invariants give one each ([`SeedSuite::of_invariants`]);
//! any other per-seed check (an expectation) adds its cases the same way.
//!
//! [`JunitFile`] streams each seed's suite to a temporary file as seeds finish (memory stays
//! O(one seed) whatever the number of seeds), then writes the document with its totals under a
//! second temporary name and renames it into place: the file appears whole, or not at all.

use super::campaign::SeedResult;
use reports::Status;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// How one check of one seed ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Checked and kept.
    Passed,
    /// Checked and broken: a one-line message (with the replay command) and the details.
    Failed {
        /// The one-line summary, ending with the replay command.
        message: String,
        /// Every example, one per line, then the replay command.
        details: String,
    },
    /// Not applicable to this run: why.
    Skipped {
        /// The reason.
        reason: String,
    },
}

/// One test case: a check of one seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The check's name (an invariant's name).
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
}

/// One seed's test suite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedSuite {
    /// The seed.
    pub seed: u64,
    /// Its cases, in check order.
    pub cases: Vec<Case>,
}

/// Test, failure and skip counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Test cases.
    pub tests: u64,
    /// Failed cases.
    pub failures: u64,
    /// Skipped (not applicable) cases.
    pub skipped: u64,
}

impl Totals {
    fn add(&mut self, o: Totals) {
        self.tests += o.tests;
        self.failures += o.failures;
        self.skipped += o.skipped;
    }
}

/// The command that replays `seed` of `source`.
pub fn replay_command(source: &str, seed: u64) -> String {
    format!("dynsim run {source} --seed {seed}")
}

impl SeedSuite {
    /// One case per invariant verdict of `r`, a run of `source`.
    pub fn of_invariants(source: &str, r: &SeedResult) -> SeedSuite {
        let replay = replay_command(source, r.seed);
        let cases = r
            .verdicts
            .iter()
            .map(|v| {
                let outcome = match &v.status {
                    Status::Pass => Outcome::Passed,
                    Status::NotApplicable { reason } => Outcome::Skipped { reason: reason.clone() },
                    Status::Fail { violations, examples } => {
                        let first = examples
                            .first()
                            .map(|e| format!("; first at {:.6} s, key {}: {}", e.at_s, e.key, e.detail))
                            .unwrap_or_default();
                        let message =
                            format!("{} broken: {violations} violations{first}; replay: {replay}", v.invariant);
                        let mut details: String = examples
                            .iter()
                            .map(|e| format!("at {:.6} s, key {}: {} {:?}\n", e.at_s, e.key, e.detail, e.ops))
                            .collect();
                        details.push_str(&format!("replay: {replay}\n"));
                        Outcome::Failed { message, details }
                    }
                };
                Case { name: v.invariant.clone(), outcome }
            })
            .collect();
        SeedSuite { seed: r.seed, cases }
    }

    /// Its counts.
    pub fn totals(&self) -> Totals {
        let count = |f: fn(&Outcome) -> bool| self.cases.iter().filter(|c| f(&c.outcome)).count() as u64;
        Totals {
            tests: self.cases.len() as u64,
            failures: count(|o| matches!(o, Outcome::Failed { .. })),
            skipped: count(|o| matches!(o, Outcome::Skipped { .. })),
        }
    }

    /// The `<testsuite>` element, indented by two spaces, ending with a newline.
    pub fn to_xml(&self, source: &str) -> String {
        let t = self.totals();
        let mut x = format!(
            "  <testsuite name=\"{} seed {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
            escape(source),
            self.seed,
            t.tests,
            t.failures,
            t.skipped
        );
        let class = escape(&format!("{source}.seed{}", self.seed));
        for c in &self.cases {
            let open = format!("    <testcase classname=\"{class}\" name=\"{}\"", escape(&c.name));
            match &c.outcome {
                Outcome::Passed => x.push_str(&format!("{open}/>\n")),
                Outcome::Skipped { reason } => {
                    x.push_str(&format!("{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n", escape(reason)));
                }
                Outcome::Failed { message, details } => x.push_str(&format!(
                    "{open}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(message),
                    escape(&c.name),
                    escape(details)
                )),
            }
        }
        x.push_str("  </testsuite>\n");
        x
    }
}

/// `text` as XML character data or an attribute value: the five special characters escaped,
/// and characters XML 1.0 cannot hold (controls other than tab, newline and carriage return)
/// replaced by U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A JUnit file being written: suites go to a temporary body file as seeds finish; [`finish`]
/// writes the whole document and renames it into place.
///
/// [`finish`]: JunitFile::finish
pub struct JunitFile {
    path: PathBuf,
    source: String,
    body_path: PathBuf,
    body: BufWriter<File>,
    totals: Totals,
}

/// `path` with `suffix` added to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

impl JunitFile {
    /// Starts the file for `dynsim check` of `source` at `path` (nothing appears at `path`
    /// until [`JunitFile::finish`]).
    pub fn create(path: &Path, source: &str) -> std::io::Result<JunitFile> {
        let body_path = beside(path, ".body.partial");
        let body = BufWriter::new(File::create(&body_path)?);
        Ok(JunitFile {
            path: path.to_path_buf(),
            source: source.to_string(),
            body_path,
            body,
            totals: Totals::default(),
        })
    }

    /// Adds one seed's suite.
    pub fn add(&mut self, suite: &SeedSuite) -> std::io::Result<()> {
        self.totals.add(suite.totals());
        self.body.write_all(suite.to_xml(&self.source).as_bytes())
    }

    /// The counts so far.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Writes the document and moves it into place; the temporary files are gone either way.
    pub fn finish(self) -> std::io::Result<Totals> {
        let (body_path, totals) = (self.body_path.clone(), self.totals);
        let tmp = beside(&self.path, ".partial");
        let result = self.write_document(&tmp).and_then(|path| std::fs::rename(&tmp, path));
        let _ = std::fs::remove_file(&body_path);
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map(|()| totals)
    }

    fn write_document(mut self, tmp: &Path) -> std::io::Result<PathBuf> {
        self.body.flush()?;
        let t = self.totals;
        let mut out = BufWriter::new(File::create(tmp)?);
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            out,
            "<testsuites name=\"dynsim check {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
            escape(&self.source),
            t.tests,
            t.failures,
            t.skipped
        )?;
        let mut body = File::open(&self.body_path)?;
        let mut buf = Vec::new();
        body.read_to_end(&mut buf)?;
        out.write_all(&buf)?;
        writeln!(out, "</testsuites>")?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(self.path)
    }

    /// Abandons the file: removes the temporary body; nothing is written at the path.
    pub fn discard(self) {
        let body_path = self.body_path.clone();
        drop(self);
        let _ = std::fs::remove_file(body_path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reports::{Verdict, Violation};

    fn result() -> SeedResult {
        let bad =
            Violation { key: 7, ops: vec!["a < b & \"c\"".into()], at_s: 1.5, detail: "lost <it> & \u{1} 'q'".into() };
        SeedResult {
            seed: 3,
            trace_hash: String::new(),
            verdicts: vec![
                Verdict { invariant: "x".into(), status: Status::Pass },
                Verdict::not_applicable("y", "because <reasons>"),
                Verdict::from_violations("z", vec![bad]),
            ],
        }
    }

    #[test]
    fn escape_leaves_no_markup_and_no_character_xml_refuses() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(escape("tab\there\nok\u{0}\u{1b}"), "tab\there\nok\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn a_seed_gives_one_case_per_verdict_and_a_failure_carries_its_replay_command() {
        let s = SeedSuite::of_invariants("my file.json", &result());
        assert_eq!(s.totals(), Totals { tests: 3, failures: 1, skipped: 1 });
        let Outcome::Failed { message, details } = &s.cases[2].outcome else { panic!("z failed") };
        assert!(message.ends_with("replay: dynsim run my file.json --seed 3"), "{message}");
        assert!(details.contains("replay: dynsim run my file.json --seed 3"), "{details}");
        let xml = s.to_xml("my file.json");
        assert!(xml.contains("lost &lt;it&gt; &amp; \u{FFFD} &apos;q&apos;"), "{xml}");
        assert!(xml.contains("<skipped message=\"because &lt;reasons&gt;\"/>"), "{xml}");
        assert!(!xml.contains("<it>"), "{xml}");
    }
}
