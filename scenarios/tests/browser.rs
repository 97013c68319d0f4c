//! `report.html` in a real browser: headless Chromium (Debian's `chromium`, which `scripts/test`
//! installs) loads the page `dynsim run` writes, and the page must log nothing to the console.
//! The detector is proved able to fail: the same page with a script that throws, and a page
//! that logs an error, are both caught.
//!
//! Chromium started with `--enable-logging=stderr --v=0` prints every console message of the
//! page on stderr as a `...:CONSOLE(...)]` line (uncaught exceptions as `"Uncaught ..."`);
//! `--dump-dom` prints the page as parsed once it has loaded, which shows the page did load.
//!
//! The page is also screenshotted (`--screenshot`, a PNG decoded here), and a test-only copy of
//! it carries a script that measures every chart as laid out (each inline SVG's box, each
//! image's decoded size) and writes what it found into the DOM, so the dump shows whether every
//! chart rendered with a non-zero size. The shipped page itself has no script.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tests::{SMALL, TempDir};

/// What loading a page showed.
struct Loaded {
    /// The DOM after loading, serialised.
    dom: String,
    /// The console messages the page logged.
    console: Vec<String>,
}

fn chromium() -> PathBuf {
    let path = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(
        path.exists(),
        "{} is missing: this test needs Debian's chromium. `scripts/test` installs it when it is absent \
         (apt-get install -y chromium); set CHROMIUM to use another binary",
        path.display()
    );
    path
}

/// Loads `page` in headless Chromium (fresh profile, no network services, 120 s at most).
fn load(page: &Path) -> Loaded {
    let out = chromium_on(page, &["--dump-dom"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console =
        stderr.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught")).map(String::from).collect();
    Loaded { dom: String::from_utf8_lossy(&out.stdout).into_owned(), console }
}

/// Runs headless Chromium on `page` with `extra` arguments; it must succeed.
fn chromium_on(page: &Path, extra: &[&str]) -> std::process::Output {
    let profile = TempDir::new("chromium-profile");
    let url = format!("file://{}", page.canonicalize().expect("the page exists").display());
    let out = std::process::Command::new("timeout")
        .arg("120")
        .arg(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(&url)
        .output()
        .expect("chromium starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed on {url}: {:?}\n{stderr}", out.status);
    out
}

/// A script that measures every chart once the page has loaded and writes one line per chart
/// (`<figure id> <kind> <width>x<height>`) into a `<pre id="chart-sizes">`.
const MEASURE: &str = "<script>addEventListener('load', () => { const rows = []; \
    for (const f of document.querySelectorAll('figure')) { \
      for (const s of f.querySelectorAll(':scope > svg')) { const b = s.getBoundingClientRect(); \
        rows.push(f.id + ' svg ' + Math.round(b.width) + 'x' + Math.round(b.height)); } \
      for (const i of f.querySelectorAll('img')) { \
        rows.push(f.id + ' img ' + (i.complete ? i.naturalWidth : 0) + 'x' + (i.complete ? i.naturalHeight : 0)); } } \
    const pre = document.createElement('pre'); pre.id = 'chart-sizes'; pre.textContent = rows.join('\\n'); \
    document.body.appendChild(pre); });</script>";

/// `dynsim run` of the small scenario into `dir/o`; returns the path of its report.html.
fn report_page(dir: &TempDir) -> PathBuf {
    let file = dir.write("small.json", SMALL);
    let out = Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .current_dir(dir.path())
        .arg("run")
        .arg(&file)
        .args(["--out", "o"])
        .output()
        .expect("dynsim runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir.path().join("o/report.html")
}

#[test]
fn the_report_page_renders_without_console_messages() {
    let dir = TempDir::new("browser-report");
    let page = report_page(&dir);
    let loaded = load(&page);
    assert!(loaded.dom.contains("<h1>dynsim report: small</h1>"), "the page loaded: {}", loaded.dom);
    assert!(loaded.dom.matches("<svg").count() >= 9, "every chart and the diagram are in the DOM");
    assert!(loaded.console.is_empty(), "console messages:\n{}", loaded.console.join("\n"));
}

#[test]
fn every_chart_renders_with_a_size_and_the_page_screenshots() {
    let dir = TempDir::new("browser-sizes");
    let page = report_page(&dir);
    let html = std::fs::read_to_string(&page).expect("written");
    let charts = html.matches("<figure id=").count();
    assert!(charts >= 10, "every chart and the diagram are figures: {charts}");
    let measured = dir.write("o/measured.html", &html.replacen("</body>", &format!("{MEASURE}</body>"), 1));
    let dom = load(&measured).dom;
    let sizes = dom.split("<pre id=\"chart-sizes\">").nth(1).and_then(|s| s.split("</pre>").next());
    let rows: Vec<&str> = sizes.expect("the script ran and wrote its rows").lines().collect();
    assert_eq!(rows.len(), charts, "one picture per figure: {rows:?}");
    for row in &rows {
        let size = row.rsplit(' ').next().unwrap_or_default();
        let (w, h) = size.split_once('x').expect("WxH");
        let (w, h): (u32, u32) = (w.parse().expect("a width"), h.parse().expect("a height"));
        assert!(w > 100 && h > 100, "{row}: rendered at {w}x{h}");
    }
    let shot = dir.path().join("o/screenshot.png");
    chromium_on(&page, &["--hide-scrollbars", "--window-size=1200,4000", &format!("--screenshot={}", shot.display())]);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).expect("a screenshot")));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("it decodes");
    assert_eq!((info.width, info.height), (1200, 4000), "the window asked for");
    let pixels = &buf[..info.buffer_size()];
    let step = info.color_type.samples();
    let colours: std::collections::BTreeSet<&[u8]> = pixels.chunks(step).collect();
    assert!(colours.len() > 50, "the screenshot shows the page, not a blank: {} colours", colours.len());
}

#[test]
fn the_detector_catches_a_script_error_in_the_report_page_and_a_logged_error() {
    let dir = TempDir::new("browser-broken");
    let page = report_page(&dir);
    let html = std::fs::read_to_string(&page).expect("written");
    let broken = dir.write("broken.html", &html.replacen("</body>", "<script>null.boom();</script></body>", 1));
    let loaded = load(&broken);
    assert!(loaded.dom.contains("<h1>dynsim report: small</h1>"), "the broken page still loaded");
    assert!(
        loaded.console.iter().any(|l| l.contains("Uncaught TypeError")),
        "a script that throws must be caught: {:?}",
        loaded.console
    );
    let logged = dir.write("logged.html", "<!DOCTYPE html><p>x</p><script>console.error('boom-logged')</script>");
    let loaded = load(&logged);
    assert!(loaded.console.iter().any(|l| l.contains("boom-logged")), "{:?}", loaded.console);
}
