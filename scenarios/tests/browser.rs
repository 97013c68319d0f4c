//! `report.html` in a real browser: headless Chromium (Debian's `chromium`, which `scripts/test`
//! installs) loads the page `dynsim run` writes, and the page must log nothing to the console.
//! The detector is proved able to fail: the same page with a script that throws, and a page
//! that logs an error, are both caught.
//!
//! Chromium started with `--enable-logging=stderr --v=0` prints every console message of the
//! page on stderr as a `...:CONSOLE(...)]` line (uncaught exceptions as `"Uncaught ..."`);
//! `--dump-dom` prints the page as parsed once it has loaded, which shows the page did load.

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
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed on {url}: {:?}\n{stderr}", out.status);
    let console =
        stderr.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught")).map(String::from).collect();
    Loaded { dom: String::from_utf8_lossy(&out.stdout).into_owned(), console }
}

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
