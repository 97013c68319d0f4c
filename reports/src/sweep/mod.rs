//! Sweeps: many runs of one scenario over a grid of parameters × seeds, reduced to compact
//! rows ([`row`]), aggregated per combination in a streaming, order-independent way
//! ([`stats`], [`summary`]), and drawn ([`charts`], [`html`]).
//!
//! [`files`] gives every output of a sweep from its summary alone, so a sweep run on one
//! machine and one merged from shards write the same bytes.

pub mod charts;
pub mod html;
pub mod row;
pub mod stats;
pub mod summary;

pub use row::{METRICS, RunRow, run_metrics};
pub use stats::{Accumulator, Stat};
pub use summary::{Combo, SweepLayout, SweepSummary};

/// The outputs of a sweep as (path relative to the output directory, contents), in a fixed
/// order: `summary.csv`, `skipped.csv`, `charts/<name>.svg`, `.png` and `.pdf` for every chart
/// (the formats `look` asks for, drawn at its size and base font size), `sweep.html`.
pub fn files(s: &SweepSummary, look: &crate::charts::Look) -> Vec<(String, Vec<u8>)> {
    let charts = charts::all(s, look);
    let mut out = vec![
        ("summary.csv".to_string(), s.summary_csv().into_bytes()),
        ("skipped.csv".to_string(), s.skipped_csv().into_bytes()),
    ];
    for c in &charts {
        out.extend(c.files().into_iter().map(|(ext, bytes)| (format!("charts/{}.{ext}", c.name), bytes)));
    }
    out.push(("sweep.html".to_string(), html::sweep_html(s, &charts).into_bytes()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Two facets (N = 2, 3) of an R × W grid, one combination skipped, two seeds each.
    fn summary() -> SweepSummary {
        let mut combos = Vec::new();
        for n in [2, 3] {
            for r in [1, 2] {
                for w in [1, 2] {
                    let skipped = (n == 2 && r == 2 && w == 2).then(|| "a reason".to_string());
                    combos.push(Combo { values: vec![json!(n), json!(r), json!(w)], skipped });
                }
            }
        }
        let layout = SweepLayout {
            scenario: "s".into(),
            axes: ["N", "R", "W"].map(String::from).into(),
            combos,
            seeds: vec![1, 2],
        };
        let mut s = SweepSummary::new(layout);
        for c in (0..8).filter(|&c| c != 3) {
            for seed in [1, 2] {
                let v = |base: f64| Some(base + c as f64 / 100.0 + seed as f64 / 1000.0);
                let metrics = METRICS
                    .iter()
                    .map(|m| (m.to_string(), if *m == "t_visibility_999_ms" { None } else { v(0.5) }))
                    .collect();
                let row = RunRow {
                    run: c as u64 * 2 + seed - 1,
                    combo: c,
                    params: Default::default(),
                    seed,
                    trace_hash: "h".into(),
                    metrics,
                };
                s.add(&row).unwrap();
            }
        }
        s
    }

    #[test]
    fn files_are_a_function_of_the_summary_with_a_heatmap_per_facet() {
        let s = summary();
        let files = files(&s, &Default::default());
        assert_eq!(files, super::files(&s.clone(), &Default::default()), "deterministic");
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[..2], ["summary.csv", "skipped.csv"]);
        assert_eq!(names.last(), Some(&"sweep.html"));
        assert!(
            names.contains(&"charts/heatmap-availability-0.svg")
                && names.contains(&"charts/heatmap-availability-1.svg")
        );
        let svg = |name: &str| String::from_utf8(files.iter().find(|(n, _)| n == name).unwrap().1.clone()).unwrap();
        let heat = svg("charts/heatmap-availability-0.svg");
        assert!(
            heat.contains("N=2") && heat.contains("skipped") && heat.contains("W (write quorum"),
            "facet title, skipped cell, axis label"
        );
        let never = svg("charts/heatmap-t_visibility_999_ms-0.svg");
        assert!(never.contains("no data") && never.contains("in no run did the t-visibility curve stay"), "and why");
        assert!(heat.contains("(fixed 0 to 1)"), "a ratio's colours span [0, 1], not the data's range");
        assert!(
            svg("charts/heatmap-read_p999_ms-0.svg").contains("(this sweep&apos;s range)")
                || svg("charts/heatmap-read_p999_ms-0.svg").contains("(this sweep's range)"),
            "a latency says its range"
        );
        let html = svg("sweep.html");
        let svgs = names.iter().filter(|n| n.ends_with(".svg")).count();
        assert_eq!(names.iter().filter(|n| n.ends_with(".png")).count(), svgs, "a PNG beside every SVG");
        assert!(html.contains("N=2 R=2 W=2: a reason") && html.matches("<svg").count() == svgs);
        assert!(html.contains("<a href=\"charts/heatmap-availability-0.png\">PNG</a></p>"), "the page links the files");
        assert!(!html.contains("<figcaption>"), "each title is printed once, in its chart");
        let tables = html.matches("<table>").count();
        assert_eq!(tables, METRICS.len().div_ceil(4), "the summary split into tables of four metrics");
        assert!(
            html.contains("<tr><td>2</td><td>1</td><td>1</td><td>0.5015 ± 0.0064 (2)</td>"),
            "mean ± half-width (n)"
        );
    }

    #[test]
    fn a_sweep_writes_png_and_pdf_at_the_size_asked_for() {
        let s = summary();
        let formats = crate::charts::Formats { svg: true, png: true, pdf: true };
        let look = crate::charts::Look { width: Some(640), height: Some(400), formats, ..Default::default() };
        let files = files(&s, &look);
        let charts: Vec<&(String, Vec<u8>)> = files.iter().filter(|(n, _)| n.starts_with("charts/")).collect();
        let count = |ext: &str| charts.iter().filter(|(n, _)| n.ends_with(ext)).count();
        assert!(count(".svg") > 10 && count(".svg") == count(".png") && count(".png") == count(".pdf"));
        for (name, bytes) in &charts {
            if name.ends_with(".png") {
                let (w, h, _) = crate::charts::canvas::tests::decode(bytes);
                assert_eq!((w, h), (640, 400), "{name}");
            } else if name.ends_with(".pdf") {
                let doc = crate::charts::pdf_read::Doc::parse(bytes);
                assert_eq!(doc.page_size(), (480.0, 300.0), "{name}");
                assert!(!doc.lines().is_empty(), "{name}: its text");
            }
        }
        let html = String::from_utf8(files.last().expect("the page").1.clone()).expect("UTF-8");
        assert!(html.contains("<a href=\"charts/tradeoff-latency-staleness.pdf\">PDF</a>"), "the page links the PDFs");
        assert_eq!(files, super::files(&s, &look), "deterministic");
    }
}
