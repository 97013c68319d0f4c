//! The sweep's aggregate: per combination and metric, a streaming [`Accumulator`] over seeds;
//! rendered as `summary.csv` (mean, standard deviation and 95% Student-t interval of the mean,
//! with n) and `skipped.csv` (combinations the scenario validator refused, with the reason).
//!
//! Memory is O(combinations × metrics), independent of the number of seeds; the bytes depend
//! only on which rows were added, never on their order.

use super::row::{METRICS, RunRow};
use super::stats::{Accumulator, Stat};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// What a sweep varies: the scenario, the axes and every combination in canonical order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepLayout {
    /// The scenario's name.
    pub scenario: String,
    /// The axis names as the grid spelled them (`N`, `R`, `W`, `chaos.crashes.mttf_s...`).
    pub axes: Vec<String>,
    /// Every combination, first axis outermost.
    pub combos: Vec<Combo>,
    /// The seeds each combination runs.
    pub seeds: Vec<u64>,
}

/// One combination of axis values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Combo {
    /// One value per axis.
    pub values: Vec<serde_json::Value>,
    /// Why the scenario validator refused it; `None` when it runs.
    pub skipped: Option<String>,
}

impl Combo {
    /// A short label such as `N=3 R=1 W=2`.
    pub fn label(&self, axes: &[String]) -> String {
        let parts: Vec<String> = axes.iter().zip(&self.values).map(|(a, v)| format!("{a}={}", plain(v))).collect();
        parts.join(" ")
    }
}

/// A value as text: numbers and booleans as JSON writes them, strings without quotes.
pub fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A row that does not belong to the sweep being aggregated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("run {run} names combination {combo}, but the sweep has {combos} combinations")]
pub struct ForeignRow {
    /// The row's run index.
    pub run: u64,
    /// The combination it names.
    pub combo: usize,
    /// How many the sweep has.
    pub combos: usize,
}

/// The streaming aggregate of a sweep's rows.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSummary {
    /// What was swept.
    pub layout: SweepLayout,
    acc: Vec<[Accumulator; METRICS.len()]>,
    runs: u64,
}

impl SweepSummary {
    /// An empty aggregate over `layout`.
    pub fn new(layout: SweepLayout) -> Self {
        let acc = vec![[Accumulator::default(); METRICS.len()]; layout.combos.len()];
        SweepSummary { layout, acc, runs: 0 }
    }

    /// Adds one run's metrics.
    pub fn add(&mut self, row: &RunRow) -> Result<(), ForeignRow> {
        let combos = self.acc.len();
        let acc = self.acc.get_mut(row.combo).ok_or(ForeignRow { run: row.run, combo: row.combo, combos })?;
        for (a, name) in acc.iter_mut().zip(METRICS) {
            if let Some(x) = row.metrics.get(name).copied().flatten().filter(|x| x.is_finite()) {
                a.add(x);
            }
        }
        self.runs += 1;
        Ok(())
    }

    /// Rows added so far.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// The statistics of metric `m` (an index into [`METRICS`]) for combination `c`.
    pub fn stat(&self, c: usize, m: usize) -> Option<Stat> {
        self.acc.get(c).and_then(|a| a[m].stat())
    }

    /// The statistics of the metric named `name` for combination `c`.
    pub fn stat_of(&self, c: usize, name: &str) -> Option<Stat> {
        METRICS.iter().position(|m| *m == name).and_then(|m| self.stat(c, m))
    }

    /// `summary.csv`: one row per combination that ran and metric.
    pub fn summary_csv(&self) -> String {
        let mut out = header(&self.layout.axes, &["metric", "n", "mean", "sd", "ci95_low", "ci95_high"]);
        for (c, combo) in self.layout.combos.iter().enumerate().filter(|(_, c)| c.skipped.is_none()) {
            for (m, name) in METRICS.iter().enumerate() {
                let s = self.stat(c, m);
                let num = |x: Option<f64>| x.map(|x| format!("{x:.6}")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{},{name},{},{},{},{},{}",
                    values(combo),
                    s.map_or(0, |s| s.n),
                    num(s.map(|s| s.mean)),
                    num(s.and_then(|s| s.sd)),
                    num(s.and_then(|s| s.ci_low)),
                    num(s.and_then(|s| s.ci_high)),
                );
            }
        }
        out
    }

    /// `skipped.csv`: every combination the scenario validator refused, with the reason.
    pub fn skipped_csv(&self) -> String {
        let mut out = header(&self.layout.axes, &["reason"]);
        for combo in &self.layout.combos {
            if let Some(reason) = &combo.skipped {
                let _ = writeln!(out, "{},{}", values(combo), field(reason));
            }
        }
        out
    }
}

fn header(axes: &[String], rest: &[&str]) -> String {
    let mut cols: Vec<String> = axes.iter().map(|a| field(a)).collect();
    cols.extend(rest.iter().map(|s| s.to_string()));
    cols.join(",") + "\n"
}

fn values(c: &Combo) -> String {
    c.values.iter().map(|v| field(&plain(v))).collect::<Vec<_>>().join(",")
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn layout() -> SweepLayout {
        let combo = |r: u64, skipped: Option<&str>| Combo {
            values: vec![json!(3), json!(r)],
            skipped: skipped.map(String::from),
        };
        SweepLayout {
            scenario: "t".into(),
            axes: vec!["N".into(), "R".into()],
            combos: vec![combo(1, None), combo(4, Some("dynamo.r: must be between 1 and 3, got 4"))],
            seeds: vec![1, 2],
        }
    }

    fn row(run: u64, seed: u64, availability: f64) -> RunRow {
        let mut metrics: std::collections::BTreeMap<String, Option<f64>> =
            METRICS.iter().map(|m| (m.to_string(), None)).collect();
        metrics.insert("availability".into(), Some(availability));
        RunRow { run, combo: 0, params: Default::default(), seed, trace_hash: "h".into(), metrics }
    }

    #[test]
    fn summary_csv_has_a_row_per_metric_of_each_run_combination_and_skips_the_refused() {
        let mut s = SweepSummary::new(layout());
        s.add(&row(0, 1, 0.5)).unwrap();
        s.add(&row(1, 2, 1.0)).unwrap();
        let csv = s.summary_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "N,R,metric,n,mean,sd,ci95_low,ci95_high");
        assert_eq!(lines.len(), 1 + METRICS.len());
        assert!(lines[1].starts_with("3,1,availability,2,0.750000,0.353553,"), "{}", lines[1]);
        assert_eq!(lines[2], "3,1,read_availability,0,,,,", "a metric never measured has n = 0");
        assert_eq!(s.skipped_csv(), "N,R,reason\n3,4,\"dynamo.r: must be between 1 and 3, got 4\"\n");
    }

    #[test]
    fn a_row_for_a_combination_outside_the_layout_is_refused() {
        let mut s = SweepSummary::new(layout());
        let mut r = row(9, 1, 1.0);
        r.combo = 7;
        assert_eq!(s.add(&r), Err(ForeignRow { run: 9, combo: 7, combos: 2 }));
    }
}
