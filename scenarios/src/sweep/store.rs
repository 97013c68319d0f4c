//! The sweep's results file: JSON lines, a header (format, fingerprint, layout, shard) then
//! one compact [`RunRow`] per finished run, appended as each run finishes (one `write` per
//! line, so an interrupted sweep loses at most the line being written).
//!
//! Reading streams the rows to a callback (nothing is held). A last line without its newline
//! is a torn write: it is ignored, and [`ResultsFile::open_append`] cuts it off before
//! appending. A header from another scenario, grid, seed list or dynsim version (another
//! fingerprint) is refused, so results never mix.

use reports::sweep::{RunRow, SweepLayout};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The results file format version.
pub const FORMAT: u32 = 1;

/// The first line of a results file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The results file format ([`FORMAT`]).
    pub dynsim_sweep: u32,
    /// The plan's fingerprint (scenario, grid, seeds, version).
    pub fingerprint: String,
    /// The shard that wrote the file, `k/m`.
    pub shard: String,
    /// What was swept.
    pub layout: SweepLayout,
}

/// A results file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing failed.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a sweep results file, or a line in it is damaged.
    #[error("{}:{line}: {message}\n  fix: {fix}", file.display())]
    Damaged {
        /// The file.
        file: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
        /// How to fix it.
        fix: String,
    },
}

impl StoreError {
    fn io(file: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
        move |source| StoreError::Io { file: file.to_path_buf(), source }
    }
}

/// What reading a results file found.
#[derive(Debug)]
pub struct Contents {
    /// The header.
    pub header: Header,
    /// Complete rows read.
    pub rows: u64,
    /// Byte length of the complete lines (a torn last line starts here).
    pub good_len: u64,
}

/// Reads `file`, passing every complete row to `each` in file order.
pub fn read(file: &Path, mut each: impl FnMut(RunRow) -> Result<(), String>) -> Result<Contents, StoreError> {
    let f = File::open(file).map_err(StoreError::io(file))?;
    let mut reader = BufReader::new(f);
    let mut line = String::new();
    let (mut header, mut rows, mut good_len, mut n) = (None, 0, 0u64, 0);
    loop {
        line.clear();
        let got = reader.read_line(&mut line).map_err(StoreError::io(file))?;
        if got == 0 || !line.ends_with('\n') {
            break; // end of file, or a torn last line
        }
        n += 1;
        let damaged = |message: String| StoreError::Damaged {
            file: file.to_path_buf(),
            line: n,
            message,
            fix:
                "the file is not a complete dynsim sweep results file: move it away (or delete the line) and run again"
                    .into(),
        };
        if header.is_none() {
            let h: Header =
                serde_json::from_str(&line).map_err(|e| damaged(format!("not a sweep results header: {e}")))?;
            if h.dynsim_sweep != FORMAT {
                return Err(damaged(format!("results format {} (this dynsim reads {FORMAT})", h.dynsim_sweep)));
            }
            header = Some(h);
        } else {
            let row: RunRow = serde_json::from_str(&line).map_err(|e| damaged(format!("not a run row: {e}")))?;
            each(row).map_err(damaged)?;
            rows += 1;
        }
        good_len += got as u64;
    }
    let header = header.ok_or_else(|| StoreError::Damaged {
        file: file.to_path_buf(),
        line: 1,
        message: "the file has no complete header line".into(),
        fix: "delete the file and run again".into(),
    })?;
    Ok(Contents { header, rows, good_len })
}

/// Reads only the header of `file`.
pub fn read_header(file: &Path) -> Result<Header, StoreError> {
    let f = File::open(file).map_err(StoreError::io(file))?;
    let mut line = String::new();
    BufReader::new(f).read_line(&mut line).map_err(StoreError::io(file))?;
    let damaged = |message: String| StoreError::Damaged {
        file: file.to_path_buf(),
        line: 1,
        message,
        fix: "this is not a dynsim sweep results file: give a runs*.jsonl file that `dynsim sweep` wrote".into(),
    };
    let h: Header = serde_json::from_str(&line).map_err(|e| damaged(format!("not a sweep results header: {e}")))?;
    if h.dynsim_sweep != FORMAT {
        return Err(damaged(format!("results format {} (this dynsim reads {FORMAT})", h.dynsim_sweep)));
    }
    Ok(h)
}

/// A results file open for appending rows from many threads.
pub struct ResultsFile {
    path: PathBuf,
    file: Mutex<File>,
}

impl ResultsFile {
    /// Creates `path` with `header` (replacing nothing: the caller checked it does not exist).
    pub fn create(path: &Path, header: &Header) -> Result<ResultsFile, StoreError> {
        let mut file = File::create(path).map_err(StoreError::io(path))?;
        let line = serde_json::to_string(header).unwrap_or_default() + "\n";
        file.write_all(line.as_bytes()).map_err(StoreError::io(path))?;
        Ok(ResultsFile { path: path.to_path_buf(), file: Mutex::new(file) })
    }

    /// Opens an existing file for appending after its first `good_len` bytes (cutting off a
    /// torn last line).
    pub fn open_append(path: &Path, good_len: u64) -> Result<ResultsFile, StoreError> {
        let file = OpenOptions::new().write(true).open(path).map_err(StoreError::io(path))?;
        file.set_len(good_len).map_err(StoreError::io(path))?;
        drop(file);
        let file = OpenOptions::new().append(true).open(path).map_err(StoreError::io(path))?;
        Ok(ResultsFile { path: path.to_path_buf(), file: Mutex::new(file) })
    }

    /// Appends one row as one line, with a single write.
    pub fn append(&self, row: &RunRow) -> Result<(), StoreError> {
        let line = serde_json::to_string(row).unwrap_or_default() + "\n";
        let mut f = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f.write_all(line.as_bytes()).map_err(StoreError::io(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reports::sweep::Combo;

    fn header() -> Header {
        let layout = SweepLayout {
            scenario: "t".into(),
            axes: vec!["R".into()],
            combos: vec![Combo { values: vec![1.into()], skipped: None }],
            seeds: vec![1, 2],
        };
        Header { dynsim_sweep: FORMAT, fingerprint: "f".into(), shard: "1/1".into(), layout }
    }

    fn row(run: u64) -> RunRow {
        RunRow {
            run,
            combo: 0,
            params: Default::default(),
            seed: run + 1,
            trace_hash: "h".into(),
            metrics: Default::default(),
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dynsim-store-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("runs.jsonl")
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_cut_off_before_appending() {
        let path = temp("torn");
        let f = ResultsFile::create(&path, &header()).unwrap();
        f.append(&row(0)).unwrap();
        drop(f);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"run\":1,\"com"); // an interrupted write
        std::fs::write(&path, &text).unwrap();
        let mut seen = Vec::new();
        let c = read(&path, |r| {
            seen.push(r.run);
            Ok(())
        })
        .unwrap();
        assert_eq!((seen, c.rows), (vec![0], 1));
        let f = ResultsFile::open_append(&path, c.good_len).unwrap();
        f.append(&row(1)).unwrap();
        drop(f);
        let mut seen = Vec::new();
        read(&path, |r| {
            seen.push(r.run);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [0, 1], "the repaired file holds both rows");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_damaged_middle_line_is_an_error_naming_the_line() {
        let path = temp("damaged");
        std::fs::write(&path, serde_json::to_string(&header()).unwrap() + "\nnot json\n").unwrap();
        let e = read(&path, |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("runs.jsonl:2: not a run row"), "{e}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
