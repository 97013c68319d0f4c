//! The simulated disk: one per process, a record store with latency, fsync and faults.
//!
//! A disk maps keys to records. A write lands in a volatile write-back cache and becomes durable
//! only at the next `fsync`; a crash loses what was not synced (or, with the torn-write fault,
//! leaves it half written). Every record carries a checksum over its key and contents; the model
//! keeps that as an `intact` flag, so corruption is always *detectable* on read, as a real
//! checksum would make it. Faults:
//!
//! - `write_error`: a write fails with EIO and changes nothing;
//! - `read_corruption`: a read finds the record rotted (it stays corrupt until rewritten);
//! - `torn_write`: on a crash, an unsynced write is left half written instead of vanishing;
//! - `misdirected_write`: a write silently lands on another record, which then fails its
//!   checksum, while the intended record keeps its old contents;
//! - a byte capacity, beyond which writes fail with `Full`; and `wipe`, which loses everything.
//!
//! Each operation returns its latency; the caller charges it to the process's service time.
//!
//! With its journal on ([`Disk::set_journal`]), the disk records the key of every record whose
//! readable state may have changed (a write, a delete, a crash's lost or torn write, a record
//! found rotten, a misdirected write's victim, a wipe), so an observer can follow the disk
//! without scanning it. The journal draws nothing and changes nothing.

use crate::dist::{Dist, DistError, DistSpec};
use crate::json_path::JsonPath;
use crate::rng::SimRng;
use crate::time::SimDuration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Disk fault probabilities, each in `[0, 1]`. All default to 0 (a perfect disk).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DiskFaults {
    /// Probability that a write fails with an I/O error (EIO). Default 0.
    pub write_error: f64,
    /// Probability that a read finds its record corrupt (detected by checksum). Default 0.
    pub read_corruption: f64,
    /// Probability that an unsynced write is left torn (corrupt) by a crash instead of lost.
    /// Default 0.
    pub torn_write: f64,
    /// Probability that a write lands on another existing record instead of its own. Default 0.
    pub misdirected_write: f64,
}

/// Configuration of one disk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DiskConfig {
    /// Latency of one record read, in milliseconds. Default: constant 0.1.
    pub read_ms: DistSpec,
    /// Latency of one record write into the write-back cache, in milliseconds.
    /// Default: constant 0.02.
    pub write_ms: DistSpec,
    /// Latency of an fsync, in milliseconds. Default: constant 1.
    pub fsync_ms: DistSpec,
    /// Capacity in bytes; writes beyond it fail with `Full`. Default: unlimited.
    pub capacity_bytes: Option<u64>,
    /// Fault probabilities in force from the start. Default: none.
    pub faults: DiskFaults,
}

impl Default for DiskConfig {
    fn default() -> Self {
        DiskConfig {
            read_ms: DistSpec::Constant { value: 0.1 },
            write_ms: DistSpec::Constant { value: 0.02 },
            fsync_ms: DistSpec::Constant { value: 1.0 },
            capacity_bytes: None,
            faults: DiskFaults::default(),
        }
    }
}

/// Bad disk parameters.
#[derive(Clone, Debug, thiserror::Error)]
pub enum DiskConfigError {
    /// A latency distribution is invalid.
    #[error("{field}.{source}")]
    Latency {
        /// Which latency field.
        field: &'static str,
        /// What is wrong with it.
        source: DistError,
    },
    /// A fault probability is outside `[0, 1]` or not a number.
    #[error("{}: {}", self.path(), self.message())]
    Probability {
        /// Which fault field.
        field: &'static str,
        /// The bad value.
        value: f64,
    },
}

impl DiskConfigError {
    /// Where the problem is, relative to the [`DiskConfig`].
    pub fn path(&self) -> JsonPath {
        match self {
            DiskConfigError::Latency { field, source } => JsonPath::root().field(*field).join(&source.path),
            DiskConfigError::Probability { field, .. } => JsonPath::root().field("faults").field(*field),
        }
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> String {
        match self {
            DiskConfigError::Latency { source, .. } => source.problem.to_string(),
            DiskConfigError::Probability { value, .. } => format!("probability must be in [0, 1], got {value}"),
        }
    }
}

/// Why a disk operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DiskError {
    /// The write failed with an I/O error; nothing changed.
    #[error("I/O error (EIO)")]
    Io,
    /// The disk has no room for the write; nothing changed.
    #[error("disk full")]
    Full,
    /// The record failed its checksum.
    #[error("record failed its checksum")]
    Corrupt,
}

#[derive(Clone, Debug)]
struct Record<V> {
    value: V,
    size: u64,
    intact: bool,
}

/// Operation counters of one disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiskStats {
    /// Record reads (including scanned records).
    pub reads: u64,
    /// Record writes and deletes accepted.
    pub writes: u64,
    /// Fsyncs.
    pub fsyncs: u64,
    /// Writes failed with EIO.
    pub write_errors: u64,
    /// Writes failed because the disk was full.
    pub full_errors: u64,
    /// Reads that found a corrupt record.
    pub corrupt_reads: u64,
    /// Writes misdirected onto another record.
    pub misdirected: u64,
    /// Unsynced writes lost to crashes.
    pub lost_unsynced: u64,
    /// Unsynced writes left torn by crashes.
    pub torn: u64,
}

/// A validated disk configuration, shared by every disk built from it.
#[derive(Clone, Debug)]
pub struct DiskModel {
    read: Dist,
    write: Dist,
    fsync: Dist,
    capacity: Option<u64>,
    faults: DiskFaults,
}

impl DiskModel {
    /// Validates a configuration.
    pub fn new(cfg: &DiskConfig) -> Result<DiskModel, DiskConfigError> {
        let dist = |field, spec| Dist::new(spec).map_err(|source| DiskConfigError::Latency { field, source });
        check_faults(&cfg.faults)?;
        Ok(DiskModel {
            read: dist("read_ms", &cfg.read_ms)?,
            write: dist("write_ms", &cfg.write_ms)?,
            fsync: dist("fsync_ms", &cfg.fsync_ms)?,
            capacity: cfg.capacity_bytes,
            faults: cfg.faults.clone(),
        })
    }
}

/// Checks that every fault probability lies in `[0, 1]`.
pub fn check_faults(f: &DiskFaults) -> Result<(), DiskConfigError> {
    for (field, value) in [
        ("write_error", f.write_error),
        ("read_corruption", f.read_corruption),
        ("torn_write", f.torn_write),
        ("misdirected_write", f.misdirected_write),
    ] {
        if !(0.0..=1.0).contains(&value) {
            return Err(DiskConfigError::Probability { field, value });
        }
    }
    Ok(())
}

/// One record of a scan: its key and its value, or `Err(Corrupt)`.
pub type ScanEntry<K, V> = (K, Result<V, DiskError>);

/// One process's disk: durable records plus a volatile write-back cache.
#[derive(Clone, Debug)]
pub struct Disk<K, V> {
    model: DiskModel,
    rng: SimRng,
    durable: BTreeMap<K, Record<V>>,
    /// Unsynced writes; `None` is an unsynced delete.
    cache: BTreeMap<K, Option<Record<V>>>,
    used: u64,
    stats: DiskStats,
    /// Keys whose readable state may have changed since the journal was last taken; `None`
    /// when journaling is off.
    journal: Option<Vec<K>>,
}

impl<K: Ord + Clone, V: Clone> Disk<K, V> {
    /// An empty disk drawing its latencies and faults from `rng`.
    pub fn new(model: DiskModel, rng: SimRng) -> Self {
        Disk {
            model,
            rng,
            durable: BTreeMap::new(),
            cache: BTreeMap::new(),
            used: 0,
            stats: DiskStats::default(),
            journal: None,
        }
    }

    /// Turns the change journal on or off (off empties it).
    pub fn set_journal(&mut self, on: bool) {
        self.journal = on.then(Vec::new);
    }

    /// Takes the journal's keys (empty when journaling is off), leaving it empty; give the
    /// vector back with [`Disk::return_journal`] to keep its allocation.
    pub fn take_journal(&mut self) -> Vec<K> {
        self.journal.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Hands back a vector taken with [`Disk::take_journal`], cleared, for reuse.
    pub fn return_journal(&mut self, mut keys: Vec<K>) {
        if let Some(j) = &mut self.journal
            && j.is_empty()
        {
            keys.clear();
            *j = keys;
        }
    }

    /// Whether the journal holds keys.
    pub fn journal_is_empty(&self) -> bool {
        self.journal.as_ref().is_none_or(Vec::is_empty)
    }

    #[inline]
    fn journal(&mut self, key: &K) {
        if let Some(j) = &mut self.journal {
            j.push(key.clone());
        }
    }

    /// Replaces the fault probabilities (the timeline's disk fault modes on and off).
    pub fn set_faults(&mut self, faults: DiskFaults) -> Result<(), DiskConfigError> {
        check_faults(&faults)?;
        self.model.faults = faults;
        Ok(())
    }

    /// Operation counters so far.
    pub fn stats(&self) -> DiskStats {
        self.stats
    }

    /// Bytes in use (durable records and unsynced writes).
    pub fn used_bytes(&self) -> u64 {
        self.used
    }

    /// Reads `key`: `Ok(None)` if absent, `Err(Corrupt)` if it fails its checksum.
    pub fn read(&mut self, key: &K) -> (Result<Option<V>, DiskError>, SimDuration) {
        let latency = self.model.read.sample_duration_ms(&mut self.rng);
        self.stats.reads += 1;
        let corrupt_now = self.rng.chance(self.model.faults.read_corruption);
        let rec = match self.cache.get_mut(key) {
            Some(Some(r)) => r,
            Some(None) => return (Ok(None), latency),
            None => match self.durable.get_mut(key) {
                Some(r) => r,
                None => return (Ok(None), latency),
            },
        };
        let rotted = corrupt_now && rec.intact;
        if corrupt_now {
            rec.intact = false;
        }
        let result = if rec.intact { Ok(Some(rec.value.clone())) } else { Err(DiskError::Corrupt) };
        if result.is_err() {
            self.stats.corrupt_reads += 1;
        }
        if rotted {
            self.journal(key);
        }
        (result, latency)
    }

    /// Writes `value` (of `size` bytes) under `key` into the write-back cache.
    pub fn write(&mut self, key: K, value: V, size: u64) -> (Result<(), DiskError>, SimDuration) {
        let latency = self.model.write.sample_duration_ms(&mut self.rng);
        if self.rng.chance(self.model.faults.write_error) {
            self.stats.write_errors += 1;
            return (Err(DiskError::Io), latency);
        }
        let old = self.current_size(&key);
        if let Some(cap) = self.model.capacity
            && self.used - old + size > cap
        {
            self.stats.full_errors += 1;
            return (Err(DiskError::Full), latency);
        }
        self.stats.writes += 1;
        if self.rng.chance(self.model.faults.misdirected_write) && self.misdirect(&key) {
            return (Ok(()), latency);
        }
        self.used = self.used - old + size;
        self.journal(&key);
        self.cache.insert(key, Some(Record { value, size, intact: true }));
        (Ok(()), latency)
    }

    /// Deletes `key` (an unsynced delete until the next fsync).
    pub fn delete(&mut self, key: K) -> SimDuration {
        let latency = self.model.write.sample_duration_ms(&mut self.rng);
        self.stats.writes += 1;
        self.used -= self.current_size(&key);
        self.journal(&key);
        self.cache.insert(key, None);
        latency
    }

    /// Makes every cached write durable.
    pub fn fsync(&mut self) -> SimDuration {
        let latency = self.model.fsync.sample_duration_ms(&mut self.rng);
        self.stats.fsyncs += 1;
        // Popping (rather than taking the map) keeps the cache's root node for the next write.
        while let Some((k, w)) = self.cache.pop_first() {
            match w {
                Some(r) => {
                    self.durable.insert(k, r);
                }
                None => {
                    self.durable.remove(&k);
                }
            }
        }
        latency
    }

    /// Every key with its readable value (or `Err(Corrupt)`), cache over durable, in key order.
    /// Costs one read latency for the whole sequential scan; counts every record as a read.
    pub fn scan(&mut self) -> (Vec<ScanEntry<K, V>>, SimDuration) {
        let latency = self.model.read.sample_duration_ms(&mut self.rng);
        let mut out = Vec::with_capacity(self.durable.len() + self.cache.len());
        let mut merged: BTreeMap<&K, Option<&Record<V>>> = self.durable.iter().map(|(k, r)| (k, Some(r))).collect();
        for (k, w) in &self.cache {
            merged.insert(k, w.as_ref());
        }
        for (k, r) in merged {
            if let Some(r) = r {
                let v = if r.intact { Ok(r.value.clone()) } else { Err(DiskError::Corrupt) };
                out.push((k.clone(), v));
            }
        }
        self.stats.reads += out.len() as u64;
        self.stats.corrupt_reads += out.iter().filter(|(_, v)| v.is_err()).count() as u64;
        (out, latency)
    }

    /// Number of records (durable and cached), for inspection.
    pub fn len(&self) -> usize {
        self.scan_keys().count()
    }

    /// True when the disk holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every key that holds a record (cache over durable), without latency, faults or counting
    /// (world inspection). Unordered: durable keys first, then cached ones.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.scan_keys()
    }

    /// What a read would return, without latency, faults or counting (world inspection).
    pub fn peek(&self, key: &K) -> Result<Option<&V>, DiskError> {
        let rec = match self.cache.get(key) {
            Some(w) => w.as_ref(),
            None => self.durable.get(key),
        };
        match rec {
            None => Ok(None),
            Some(r) if r.intact => Ok(Some(&r.value)),
            Some(_) => Err(DiskError::Corrupt),
        }
    }

    /// A crash: unsynced writes are lost, or left torn with the torn-write probability.
    pub fn crash(&mut self) {
        for (k, w) in std::mem::take(&mut self.cache) {
            self.journal(&k);
            let Some(mut r) = w else {
                self.stats.lost_unsynced += 1;
                continue;
            };
            if self.rng.chance(self.model.faults.torn_write) {
                self.stats.torn += 1;
                r.intact = false;
                self.durable.insert(k, r);
            } else {
                self.stats.lost_unsynced += 1;
            }
        }
        self.used = self.durable.values().map(|r| r.size).sum();
    }

    /// Permanent loss of everything on the disk.
    pub fn wipe(&mut self) {
        if let Some(j) = &mut self.journal {
            j.extend(self.durable.keys().chain(self.cache.keys()).cloned());
        }
        self.durable.clear();
        self.cache.clear();
        self.used = 0;
    }

    fn current_size(&self, key: &K) -> u64 {
        match self.cache.get(key) {
            Some(w) => w.as_ref().map_or(0, |r| r.size),
            None => self.durable.get(key).map_or(0, |r| r.size),
        }
    }

    fn scan_keys(&self) -> impl Iterator<Item = &K> {
        let durable = self.durable.keys().filter(|k| !self.cache.contains_key(*k));
        let cached = self.cache.iter().filter(|(_, w)| w.is_some()).map(|(k, _)| k);
        durable.chain(cached)
    }

    /// Lands a write on another durable record, which then fails its checksum. Returns false
    /// (the write proceeds normally) when there is no other record to hit.
    fn misdirect(&mut self, intended: &K) -> bool {
        let others = self.durable.len() - usize::from(self.durable.contains_key(intended));
        if others == 0 {
            return false;
        }
        let pick = self.rng.index(others);
        let victim = self.durable.iter_mut().filter(|(k, _)| *k != intended).nth(pick);
        if let Some((k, rec)) = victim {
            rec.intact = false;
            self.stats.misdirected += 1;
            if let Some(j) = &mut self.journal {
                j.push(k.clone());
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(faults: DiskFaults, capacity: Option<u64>) -> Disk<u32, u64> {
        let cfg = DiskConfig { faults, capacity_bytes: capacity, ..DiskConfig::default() };
        Disk::new(DiskModel::new(&cfg).unwrap(), SimRng::stream(5, "disk-test"))
    }

    #[test]
    fn keys_list_cache_over_durable_without_counting() {
        let mut d = disk(DiskFaults::default(), None);
        d.write(1, 10, 8).0.unwrap();
        d.write(2, 20, 8).0.unwrap();
        d.fsync();
        d.write(3, 30, 8).0.unwrap();
        d.delete(2);
        let before = d.stats();
        let mut keys: Vec<u32> = d.keys().copied().collect();
        keys.sort_unstable();
        assert_eq!(keys, vec![1, 3], "an unsynced delete hides the durable record");
        assert_eq!(d.stats(), before, "inspection counts nothing");
    }

    #[test]
    fn crash_loses_unsynced_writes_and_keeps_synced_ones() {
        let mut d = disk(DiskFaults::default(), None);
        d.write(1, 10, 8).0.unwrap();
        d.fsync();
        d.write(2, 20, 8).0.unwrap();
        d.write(1, 11, 8).0.unwrap();
        d.delete(1);
        d.crash();
        assert_eq!(d.read(&1).0, Ok(Some(10)), "synced value survives; unsynced delete lost");
        assert_eq!(d.read(&2).0, Ok(None), "unsynced write lost");
        assert_eq!(d.stats().lost_unsynced, 2);
        assert_eq!(d.used_bytes(), 8);
    }

    #[test]
    fn torn_writes_are_detected_by_checksum() {
        let mut d = disk(DiskFaults { torn_write: 1.0, ..DiskFaults::default() }, None);
        d.write(7, 70, 8).0.unwrap();
        d.crash();
        assert_eq!(d.read(&7).0, Err(DiskError::Corrupt));
        d.write(7, 71, 8).0.unwrap();
        assert_eq!(d.read(&7).0, Ok(Some(71)), "a rewrite repairs the record");
    }

    #[test]
    fn write_errors_change_nothing() {
        let mut d = disk(DiskFaults { write_error: 1.0, ..DiskFaults::default() }, None);
        assert_eq!(d.write(1, 1, 8).0, Err(DiskError::Io));
        assert_eq!(d.read(&1).0, Ok(None));
        assert_eq!(d.stats().write_errors, 1);
    }

    #[test]
    fn read_corruption_rate_matches_its_setting_and_sticks() {
        let mut d = disk(DiskFaults { read_corruption: 0.1, ..DiskFaults::default() }, None);
        let n = 20_000u32;
        for k in 0..n {
            d.write(k, k as u64, 1).0.unwrap();
        }
        let corrupt = (0..n).filter(|k| d.read(k).0.is_err()).count() as f64 / n as f64;
        // 20k Bernoulli(0.1) trials: sd = 0.0021, allow 5 sd.
        assert!((corrupt - 0.1).abs() < 0.011, "corrupt share {corrupt}");
        let first_bad = (0..n).find(|k| d.peek(k).is_err()).unwrap();
        d.set_faults(DiskFaults::default()).unwrap();
        assert_eq!(d.read(&first_bad).0, Err(DiskError::Corrupt), "rot persists");
    }

    #[test]
    fn misdirected_write_corrupts_another_record_and_not_the_intended_one() {
        let mut d = disk(DiskFaults::default(), None);
        d.write(1, 10, 8).0.unwrap();
        d.write(2, 20, 8).0.unwrap();
        d.fsync();
        d.set_faults(DiskFaults { misdirected_write: 1.0, ..DiskFaults::default() }).unwrap();
        assert_eq!(d.write(1, 11, 8).0, Ok(()), "misdirection is silent");
        assert_eq!(d.read(&1).0, Ok(Some(10)), "intended record keeps its old contents");
        assert_eq!(d.read(&2).0, Err(DiskError::Corrupt), "victim fails its checksum");
    }

    #[test]
    fn capacity_limit_gives_disk_full() {
        let mut d = disk(DiskFaults::default(), Some(20));
        d.write(1, 1, 10).0.unwrap();
        d.write(2, 2, 10).0.unwrap();
        assert_eq!(d.write(3, 3, 1).0, Err(DiskError::Full));
        assert_eq!(d.write(2, 9, 10).0, Ok(()), "overwriting in place fits");
        d.delete(1);
        assert_eq!(d.write(3, 3, 10).0, Ok(()));
    }

    #[test]
    fn wipe_loses_everything() {
        let mut d = disk(DiskFaults::default(), None);
        d.write(1, 1, 1).0.unwrap();
        d.fsync();
        d.wipe();
        assert!(d.is_empty());
        assert_eq!(d.read(&1).0, Ok(None));
    }

    #[test]
    fn scan_merges_cache_over_durable() {
        let mut d = disk(DiskFaults::default(), None);
        d.write(1, 1, 1).0.unwrap();
        d.write(2, 2, 1).0.unwrap();
        d.fsync();
        d.delete(1);
        d.write(3, 3, 1).0.unwrap();
        let (all, _) = d.scan();
        assert_eq!(all, vec![(2, Ok(2)), (3, Ok(3))]);
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn bad_probabilities_are_rejected() {
        let cfg =
            DiskConfig { faults: DiskFaults { torn_write: 1.5, ..DiskFaults::default() }, ..DiskConfig::default() };
        let err = DiskModel::new(&cfg).unwrap_err();
        assert_eq!(err.to_string(), "faults.torn_write: probability must be in [0, 1], got 1.5");
        assert_eq!(err.path().as_str(), "faults.torn_write");
        let slow = DiskConfig { read_ms: DistSpec::Exponential { mean: -1.0 }, ..DiskConfig::default() };
        let err = DiskModel::new(&slow).unwrap_err();
        assert_eq!(
            (err.path().as_str(), err.message().as_str()),
            ("read_ms.exponential.mean", "mean must be a finite number >= 0, got -1")
        );
        let nan = DiskFaults { write_error: f64::NAN, ..DiskFaults::default() };
        assert!(check_faults(&nan).is_err());
    }
}
