//! How charts are drawn and written (`outputs.charts`; `--chart-width`, `--chart-height`,
//! `--font-size` and `--formats` on `dynsim run`, `dynsim sweep` and `dynsim merge`): the chart
//! size, the base font size, and which of SVG, PNG and PDF are written. Checked once into a
//! [`reports::charts::Look`], the only form the report writers see.

use crate::cli_args::ArgError;
use crate::error::{JsonPath, Segment, SpecError};
use reports::charts::{Formats, Look};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Narrowest and widest chart, in pixels (height too).
pub const CHART_PX: (u32, u32) = (200, 4000);

/// Smallest and largest base font size, in pixels.
pub const FONT_PX: (f64, f64) = (6.0, 32.0);

/// A chart file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ChartFormat {
    /// `charts/<name>.svg`: vector, inlined in the HTML pages.
    Svg,
    /// `charts/<name>.png`: 8-bit RGB pixels, the chart's size.
    Png,
    /// `charts/<name>.pdf`: one vector page, 0.75 pt per pixel, the font embedded.
    Pdf,
}

/// Chart size, base font size and formats (`outputs.charts`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ChartsSpec {
    /// Width of every chart in pixels (`--chart-width`), 200 to 4000. Default: 800. The message
    /// diagram keeps its own size (960 × 760).
    pub width: Option<u32>,
    /// Height of every chart in pixels (`--chart-height`), 200 to 4000. Default: 440 for a
    /// run's charts, 480 for a sweep's.
    pub height: Option<u32>,
    /// Base font size in pixels (`--font-size`), 6 to 32: the axis tick labels' size; titles,
    /// legends and labels scale with it. Default 13.
    pub font_size: f64,
    /// The chart files written (`--formats svg,png,pdf`): any of `svg`, `png`, `pdf`, each at
    /// most once. Default `["svg", "png"]`. The HTML page inlines every chart as SVG either way
    /// and links the files written.
    pub formats: Vec<ChartFormat>,
}

impl Default for ChartsSpec {
    fn default() -> Self {
        ChartsSpec {
            width: None,
            height: None,
            font_size: reports::charts::BASE_FONT_PX,
            formats: vec![ChartFormat::Svg, ChartFormat::Png],
        }
    }
}

impl ChartsSpec {
    /// Checks every setting against its bound.
    pub fn check(&self) -> Result<(), SpecError> {
        let err =
            |field: &str, msg: String, fix: String| Err(SpecError::new(format!("outputs.charts.{field}"), msg, fix));
        let (lo, hi) = CHART_PX;
        for (field, v) in [("width", self.width), ("height", self.height)] {
            if let Some(v) = v.filter(|v| !(lo..=hi).contains(v)) {
                return err(
                    field,
                    format!("must be from {lo} to {hi} pixels, got {v}"),
                    format!("give a {field} in {lo}..={hi}, e.g. 800"),
                );
            }
        }
        let (flo, fhi) = FONT_PX;
        if !(self.font_size.is_finite() && (flo..=fhi).contains(&self.font_size)) {
            return err(
                "font_size",
                format!("must be from {flo} to {fhi} pixels, got {}", self.font_size),
                "give a base font size in pixels, e.g. 13 (the default) or 16 for a paper's column".into(),
            );
        }
        if self.formats.is_empty() {
            return err("formats", "lists no format".into(), "give at least one of \"svg\", \"png\", \"pdf\"".into());
        }
        let mut sorted = self.formats.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return err("formats", format!("lists {:?} twice", w[0]).to_lowercase(), "list each format once".into());
        }
        Ok(())
    }

    /// The look the report writers draw with (the settings must have passed [`Self::check`]).
    pub fn look(&self) -> Look {
        let has = |f: ChartFormat| self.formats.contains(&f);
        let formats = Formats { svg: has(ChartFormat::Svg), png: has(ChartFormat::Png), pdf: has(ChartFormat::Pdf) };
        Look { width: self.width, height: self.height, font_px: self.font_size, formats }
    }
}

/// The chart flags (override `outputs.charts`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ChartArgs {
    /// Chart width in pixels, 200 to 4000 (default: the scenario's outputs.charts.width, else
    /// 800).
    #[arg(long, value_name = "PX")]
    pub chart_width: Option<u32>,
    /// Chart height in pixels, 200 to 4000 (default: the scenario's outputs.charts.height, else
    /// 440 for a run, 480 for a sweep).
    #[arg(long, value_name = "PX")]
    pub chart_height: Option<u32>,
    /// Base font size of the charts in pixels, 6 to 32 (default: outputs.charts.font_size, else
    /// 13).
    #[arg(long, value_name = "PX")]
    pub font_size: Option<f64>,
    /// Chart files to write, comma-separated: svg, png, pdf (default: outputs.charts.formats,
    /// else svg,png).
    #[arg(long, value_delimiter = ',', value_name = "FORMATS")]
    pub formats: Option<Vec<ChartFormat>>,
}

impl ChartArgs {
    /// The scenario's chart settings with the flags applied, checked; a problem is the flag's
    /// (the scenario's own settings were checked when it was loaded).
    pub fn apply(&self, file: &ChartsSpec) -> Result<ChartsSpec, ArgError> {
        let mut spec = file.clone();
        spec.width = self.chart_width.or(spec.width);
        spec.height = self.chart_height.or(spec.height);
        spec.font_size = self.font_size.unwrap_or(spec.font_size);
        if let Some(f) = &self.formats {
            spec.formats = f.clone();
        }
        spec.check().map_err(|e| self.blame(&e))?;
        Ok(spec)
    }

    /// The flag that set the field a problem is about.
    fn blame(&self, e: &SpecError) -> ArgError {
        let field = e.path.strip_prefix(&JsonPath::root().field("outputs").field("charts"));
        let field = match field.as_ref().map(|p| p.segments()) {
            Some([Segment::Field(f)]) => f.as_str(),
            _ => "",
        };
        let (flag, value) = match field {
            "width" => ("--chart-width", self.chart_width.map(|v| v.to_string())),
            "height" => ("--chart-height", self.chart_height.map(|v| v.to_string())),
            "font_size" => ("--font-size", self.font_size.map(|v| v.to_string())),
            _ => ("--formats", self.formats.as_ref().map(|f| format!("{f:?}").to_lowercase())),
        };
        ArgError::new(flag, value.unwrap_or_default(), e.message.clone(), e.fix.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_look_is_what_runs_have_always_drawn() {
        let spec = ChartsSpec::default();
        spec.check().expect("the default is valid");
        assert_eq!(spec.look(), Look::default());
    }

    #[test]
    fn settings_beyond_their_bounds_are_refused_with_their_path() {
        type Case = (fn(&mut ChartsSpec), &'static str, &'static str);
        let cases: [Case; 7] = [
            (|s| s.width = Some(199), "outputs.charts.width", "from 200 to 4000"),
            (|s| s.width = Some(4001), "outputs.charts.width", "got 4001"),
            (|s| s.height = Some(0), "outputs.charts.height", "got 0"),
            (|s| s.font_size = 5.9, "outputs.charts.font_size", "from 6 to 32"),
            (|s| s.font_size = f64::NAN, "outputs.charts.font_size", "got NaN"),
            (|s| s.formats.clear(), "outputs.charts.formats", "lists no format"),
            (|s| s.formats.push(ChartFormat::Png), "outputs.charts.formats", "lists png twice"),
        ];
        for (edit, path, says) in cases {
            let mut s = ChartsSpec::default();
            edit(&mut s);
            let e = s.check().expect_err(path);
            assert_eq!(e.path, path);
            assert!(e.message.contains(says) && !e.fix.is_empty(), "{path}: {} / {}", e.message, e.fix);
        }
    }

    #[test]
    fn flags_override_the_file_and_are_blamed_for_their_values() {
        let file = ChartsSpec { width: Some(600), formats: vec![ChartFormat::Svg], ..Default::default() };
        let flags = ChartArgs { chart_height: Some(300), formats: Some(vec![ChartFormat::Pdf]), ..Default::default() };
        let spec = flags.apply(&file).expect("valid");
        assert_eq!((spec.width, spec.height, spec.formats.as_slice()), (Some(600), Some(300), &[ChartFormat::Pdf][..]));
        let look = spec.look();
        assert!(look.formats.pdf && !look.formats.svg && !look.formats.png);
        let bad = ChartArgs { font_size: Some(100.0), ..Default::default() };
        let e = bad.apply(&file).expect_err("too big");
        assert_eq!((e.flag.as_str(), e.value.as_str()), ("--font-size", "100"));
        assert!(e.message.contains("from 6 to 32"), "{e}");
    }
}
