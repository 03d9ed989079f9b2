//! The embedded store: a directory of plain Parquet files.
//!
//! ```text
//! alertsift-data/
//!   alerts/2026-09.parquet   canonical alerts triggered in that UTC month,
//!   alerts/2026-10.parquet   one row per (source, alert_id)
//!   incidents.parquet        canonical incidents, one row per (source, incident_id)
//!   schedules.parquet        on-call shifts, one row per (source, shift_id)
//!   store.json               layout version
//!   rejects.csv              records the last ingest could not read
//! ```
//!
//! A merge keeps, for each key, the copy with the latest `updated_at` (ties:
//! the copy ingested last), so re-ingesting overlapping weekly exports never
//! double counts and a newer export of the same alert updates it. Rows are
//! written sorted by `(triggered_at|started_at, source, id)`, so the same
//! inputs give the same bytes.
//!
//! Alerts are partitioned by the month they were triggered in: an ingest
//! spools its rows to disk by month as it reads ([`Spool`]), then merges one
//! month at a time ([`Store::commit`]), so memory is bounded by a month of
//! alerts, not by the size of the export or of the store. This relies on an
//! alert's trigger time never changing between exports of it (it is the
//! vendor's creation time in every format read here).
//!
//! Every file is written aside and renamed into place; nothing is renamed
//! until every input was read, so a failed or interrupted ingest leaves the
//! previous store as it was. A commit is all or nothing across months: once
//! every new file is written aside, a journal (`.spool-*/commit.json`) lists
//! the renames, and only then are they made. A failure or a crash between
//! two renames leaves the journal, and the next [`Store::open`] makes the
//! rest (rolls the commit forward) before anything reads the store. A lock
//! file keeps two processes from merging at once.
//!
//! Length: about 1,000 lines of code and 150 of tests: spool, merge, journal
//! and lock share the store's invariants (a reader never sees a store half
//! old and half new).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::core::fs::write_atomic;
use crate::core::timing::since as timing;
use crate::error::StoreError;
use crate::ingest::{LateFields, Reject};
use crate::schema as s;

/// Version of the store layout; bumped when the canonical schema changes.
pub const STORE_VERSION: u32 = 4;

const ALERTS_DIR: &str = "alerts";
const INCIDENTS_FILE: &str = "incidents.parquet";
const SHIFTS_FILE: &str = "schedules.parquet";
const MANIFEST_FILE: &str = "store.json";
const REJECTS_FILE: &str = "rejects.csv";
const LOCK_FILE: &str = ".lock";
const JOURNAL_FILE: &str = "commit.json";

/// The renames of a commit, decided: `(from, to)`, relative to the store.
#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    moves: Vec<(String, String)>,
}

#[cfg(test)]
thread_local! {
    /// Tests: fail a commit (on this thread) after this many renames.
    static FAIL_AFTER_RENAMES: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

/// Tests inject a failure before the rename of `path`, the `done`-th.
#[cfg(test)]
fn fail_point(done: usize, path: &Path) -> Result<(), StoreError> {
    if done >= FAIL_AFTER_RENAMES.with(std::cell::Cell::get) {
        return Err(StoreError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("failure injected between two renames"),
        });
    }
    Ok(())
}

#[cfg(not(test))]
fn fail_point(_done: usize, _path: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// Make the renames a journal in `spool_dir` lists that are not made yet,
/// then drop the journal.
fn apply_journal(store_dir: &Path, spool_dir: &Path) -> Result<(), StoreError> {
    let path = spool_dir.join(JOURNAL_FILE);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let text = fs::read_to_string(&path).map_err(io(&path))?;
    let journal: Journal = serde_json::from_str(&text).map_err(|e| StoreError::Io {
        path: path.clone(),
        source: std::io::Error::other(format!("not a commit journal: {e}")),
    })?;
    for (done, (from, to)) in journal.moves.iter().enumerate() {
        fail_point(done, &store_dir.join(to))?;
        let (from, to) = (store_dir.join(from), store_dir.join(to));
        if from.exists() {
            fs::rename(&from, &to).map_err(io(&to))?;
        }
    }
    fs::remove_file(&path).map_err(io(&path))
}

/// A store directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// What one merge did to one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MergeCounts {
    /// Rows before the merge.
    pub before: u64,
    /// Rows in the batch.
    pub batch: u64,
    /// Batch rows that repeated another batch row's key (the newer kept).
    pub duplicates_in_batch: u64,
    /// Keys new to the store.
    pub inserted: u64,
    /// Keys already stored, now replaced by a copy with a later `updated_at`.
    pub updated: u64,
    /// Keys already stored at the same or a later `updated_at` (a copy of
    /// the same version replaces the stored one, so the latest ingest of a
    /// version wins).
    pub unchanged: u64,
    /// Rows after the merge.
    pub after: u64,
}

impl MergeCounts {
    fn add(&mut self, o: &MergeCounts) {
        self.before += o.before;
        self.batch += o.batch;
        self.duplicates_in_batch += o.duplicates_in_batch;
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.after += o.after;
    }
}

/// A merged month written aside: (staged file, its place in the store, counts).
type StagedMonth = (PathBuf, PathBuf, MergeCounts);

/// What a merge did.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct MergeStats {
    /// The alerts table.
    pub alerts: MergeCounts,
    /// The incidents table.
    pub incidents: MergeCounts,
    /// The schedule shifts table.
    pub schedules: MergeCounts,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    store_version: u32,
}

/// Rows per source and the time range, for `store info`.
#[derive(Debug, Clone, Serialize)]
pub struct TableInfo {
    /// Total rows.
    pub rows: u64,
    /// `(source, rows)`, by source name.
    pub per_source: Vec<(String, u64)>,
    /// Earliest start, RFC 3339 UTC.
    pub first: Option<String>,
    /// Latest start, RFC 3339 UTC.
    pub last: Option<String>,
}

/// Both tables' [`TableInfo`].
#[derive(Debug, Clone, Serialize)]
pub struct StoreInfo {
    /// The store directory.
    pub dir: String,
    /// The alerts table.
    pub alerts: TableInfo,
    /// The incidents table.
    pub incidents: TableInfo,
    /// The schedule shifts table.
    pub schedules: TableInfo,
}

struct Lock(PathBuf);

/// A store file must at least look like Parquet (its magic bytes at both
/// ends), so a damaged partition is named before a query reads it.
fn check_parquet(path: &Path) -> Result<(), StoreError> {
    use std::io::{Read, Seek, SeekFrom};
    let damaged = |why: String| StoreError::Damaged {
        path: path.to_path_buf(),
        why,
    };
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    if len < 12 {
        return Err(damaged(format!("{len} bytes, too short for Parquet")));
    }
    let (mut head, mut tail) = ([0u8; 4], [0u8; 4]);
    f.read_exact(&mut head).map_err(io)?;
    f.seek(SeekFrom::End(-4)).map_err(io)?;
    f.read_exact(&mut tail).map_err(io)?;
    if &head != b"PAR1" {
        return Err(damaged("it does not start as Parquet does".into()));
    }
    if &tail != b"PAR1" {
        return Err(damaged(
            "it does not end as Parquet does (truncated?)".into(),
        ));
    }
    Ok(())
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

impl Store {
    /// Open (creating if needed) a store directory.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let store = Store {
            dir: dir.to_path_buf(),
        };
        let manifest = store.dir.join(MANIFEST_FILE);
        if manifest.exists() {
            let text = fs::read_to_string(&manifest).map_err(|source| StoreError::Io {
                path: manifest.clone(),
                source,
            })?;
            let m: Manifest = serde_json::from_str(&text).map_err(|e| StoreError::Io {
                path: manifest.clone(),
                source: std::io::Error::other(format!("not an alertsift store manifest: {e}")),
            })?;
            if m.store_version != STORE_VERSION {
                return Err(StoreError::Io {
                    path: manifest,
                    source: std::io::Error::other(format!(
                        "store version {} is not {STORE_VERSION}, the version this alertsift writes; \
                         re-ingest the exports into a new store",
                        m.store_version
                    )),
                });
            }
        }
        store.finish_commits()?;
        Ok(store)
    }

    /// Roll forward a commit that stopped between two renames (its journal
    /// is still there), unless another process holds the lock.
    fn finish_commits(&self) -> Result<(), StoreError> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Ok(());
        };
        let pending: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(".spool-"))
                    && p.join(JOURNAL_FILE).exists()
            })
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let Ok(_lock) = self.lock() else {
            return Ok(());
        };
        for spool_dir in pending {
            apply_journal(&self.dir, &spool_dir)?;
            let _ = fs::remove_dir_all(&spool_dir);
        }
        Ok(())
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the last ingest's rejects are written.
    pub fn rejects_path(&self) -> PathBuf {
        self.dir.join(REJECTS_FILE)
    }

    /// The alert partitions, oldest month first.
    fn partitions(&self) -> Result<Vec<PathBuf>, StoreError> {
        let dir = self.dir.join(ALERTS_DIR);
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(|source| StoreError::Io {
                path: dir.clone(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect();
        files.sort();
        Ok(files)
    }

    /// All stored alerts, every partition in month order.
    pub fn alerts(&self) -> Result<LazyFrame, StoreError> {
        // Scanned, not read: a plan that needs one column reads one column.
        // One scan over every month's file, in month order (not a union of
        // scans: polars' `count(*)` over a union fails with "casting from
        // UInt32 to UInt128").
        let paths = self.partitions()?;
        for path in &paths {
            check_parquet(path)?;
        }
        if paths.is_empty() {
            return Ok(DataFrame::empty_with_schema(&s::alerts_schema()).lazy());
        }
        let args = ScanArgsParquet {
            schema: Some(std::sync::Arc::new(s::alerts_schema())),
            ..ScanArgsParquet::default()
        };
        let sources = paths
            .iter()
            .map(|p| PlRefPath::new(p.to_string_lossy().into_owned()))
            .collect();
        LazyFrame::scan_parquet_files(sources, args).map_err(|source| StoreError::Parquet {
            path: self.dir.join(ALERTS_DIR),
            source,
        })
    }

    /// All stored incidents.
    pub fn incidents(&self) -> Result<LazyFrame, StoreError> {
        Ok(read_parquet(&self.dir.join(INCIDENTS_FILE), &s::incidents_schema())?.lazy())
    }

    /// All stored schedule shifts.
    pub fn shifts(&self) -> Result<LazyFrame, StoreError> {
        Ok(read_parquet(&self.dir.join(SHIFTS_FILE), &s::shifts_schema())?.lazy())
    }

    /// Start an ingest: rows added to the spool go to disk by month until
    /// [`Store::commit`].
    pub fn spool(&self) -> Result<Spool, StoreError> {
        Spool::new(self.dir.join(format!(".spool-{}", std::process::id())))
    }

    fn lock(&self) -> Result<Lock, StoreError> {
        let path = self.dir.join(LOCK_FILE);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                let _ = writeln!(f, "{}", std::process::id());
                Ok(Lock(path))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // The lock holds its process's id: say so when that process
                // is gone (on Linux, where /proc tells).
                let pid = fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| t.trim().parse::<u32>().ok());
                let proc_fs = Path::new("/proc/self").exists();
                match pid {
                    Some(pid) if proc_fs && !Path::new(&format!("/proc/{pid}")).exists() => {
                        Err(StoreError::StaleLock {
                            dir: self.dir.clone(),
                            lock: path,
                            pid,
                        })
                    }
                    _ => Err(StoreError::Locked {
                        dir: self.dir.clone(),
                        lock: path,
                    }),
                }
            }
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    /// Merge everything spooled, month by month (rows that await late
    /// fields settled with `late`), then the incidents and the schedule
    /// shifts (a store that never had shifts gets no file for them).
    pub fn commit(
        &self,
        spool: Spool,
        incidents: DataFrame,
        shifts: DataFrame,
        late: &LateFields,
    ) -> Result<MergeStats, StoreError> {
        let _lock = self.lock()?;
        let mut alerts = MergeCounts::default();
        let dir = self.dir.join(ALERTS_DIR);
        fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let mut spool = spool;
        let spool_dir = spool.dir.clone();
        let months: Vec<(String, Month)> = std::mem::take(&mut spool.months).into_iter().collect();
        // Two months at a time (polars keeps both cores busy inside one only
        // part of the time). Every month is decided before any is renamed
        // into place, so a failure leaves the store as it was.
        let merge_month = |month: &str, buf: Month| -> Result<StagedMonth, StoreError> {
            let t = std::time::Instant::now();
            let batch = buf.into_frame(&spool_dir, late)?;
            let path = dir.join(format!("{month}.parquet"));
            let existing = read_parquet(&path, &s::alerts_schema())?;
            let (mut out, counts) =
                Self::merge_frames(existing, batch, s::ALERT_ID, s::TRIGGERED_AT).map_err(
                    |source| StoreError::Parquet {
                        path: path.clone(),
                        source,
                    },
                )?;
            let staged = spool_dir.join(format!("{month}.parquet"));
            write_parquet_file(&staged, &mut out)?;
            timing(&format!("merge and write {month}"), t);
            Ok((staged, path, counts))
        };
        let mut slots: Vec<Option<Result<StagedMonth, StoreError>>> =
            months.iter().map(|_| None).collect();
        let lanes = 2usize;
        std::thread::scope(|scope| {
            let mut lane_months: Vec<Vec<(usize, String, Month)>> =
                (0..lanes).map(|_| Vec::new()).collect();
            for (i, (month, buf)) in months.into_iter().enumerate() {
                lane_months[i % lanes].push((i, month, buf));
            }
            let handles: Vec<_> = lane_months
                .into_iter()
                .map(|work| {
                    let merge_month = &merge_month;
                    scope.spawn(move || {
                        work.into_iter()
                            .map(|(i, month, buf)| (i, merge_month(&month, buf)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                match h.join() {
                    Ok(results) => {
                        for (i, r) in results {
                            slots[i] = Some(r);
                        }
                    }
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        });
        let mut ready: Vec<(PathBuf, PathBuf)> = Vec::new();
        for slot in slots.into_iter().flatten() {
            let (staged, path, counts) = slot?;
            alerts.add(&counts);
            ready.push((staged, path));
        }
        let incidents_path = self.dir.join(INCIDENTS_FILE);
        let existing = read_parquet(&incidents_path, &s::incidents_schema())?;
        let (mut merged, incident_counts) =
            Self::merge_frames(existing, incidents, s::INCIDENT_ID, s::STARTED_AT).map_err(
                |source| StoreError::Parquet {
                    path: incidents_path.clone(),
                    source,
                },
            )?;
        let staged = spool.dir.join(INCIDENTS_FILE);
        write_parquet_file(&staged, &mut merged)?;
        ready.push((staged, incidents_path));
        let shifts_path = self.dir.join(SHIFTS_FILE);
        let mut shift_counts = MergeCounts::default();
        if shifts.height() > 0 || shifts_path.exists() {
            let existing = read_parquet(&shifts_path, &s::shifts_schema())?;
            let (mut merged, counts) =
                Self::merge_frames(existing, shifts, s::SHIFT_ID, s::STARTED_AT).map_err(
                    |source| StoreError::Parquet {
                        path: shifts_path.clone(),
                        source,
                    },
                )?;
            shift_counts = counts;
            let staged = spool.dir.join(SHIFTS_FILE);
            write_parquet_file(&staged, &mut merged)?;
            ready.push((staged, shifts_path));
        }
        // Decided: the journal first, then the renames it lists.
        let relative = |p: &Path| {
            p.strip_prefix(&self.dir)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned()
        };
        let journal = Journal {
            moves: ready
                .iter()
                .map(|(from, to)| (relative(from), relative(to)))
                .collect(),
        };
        let text = serde_json::to_vec(&journal).unwrap_or_default();
        write_atomic(&spool.dir.join(JOURNAL_FILE), |f| f.write_all(&text))?;
        apply_journal(&self.dir, &spool.dir)?;
        let manifest = serde_json::to_vec_pretty(&Manifest {
            store_version: STORE_VERSION,
        })
        .unwrap_or_default();
        write_atomic(&self.dir.join(MANIFEST_FILE), |f| f.write_all(&manifest))?;
        Ok(MergeStats {
            alerts,
            incidents: incident_counts,
            schedules: shift_counts,
        })
    }

    /// Merge one stored table (or partition) with batch rows of the same
    /// table: the winners sorted by `(start, source, id)`, and the counts.
    fn merge_frames(
        existing: DataFrame,
        batch: DataFrame,
        id: &str,
        start: &str,
    ) -> PolarsResult<(DataFrame, MergeCounts)> {
        let pe = |e: PolarsError| e;
        let key = [col(s::SOURCE), col(id)];
        let batch_rows = batch.height() as u64;
        let before = existing.height() as u64;
        if before == 0 {
            if let Some(order) = Self::unique_batch_order(&batch, id, start)? {
                // Identity: already in order (nothing to gather).
                let in_order = order.iter().enumerate().all(|(i, &r)| r as usize == i);
                let out = if in_order {
                    batch
                } else {
                    batch.take(&IdxCa::from_vec(PlSmallStr::EMPTY, order))?
                };
                return Ok((
                    out,
                    MergeCounts {
                        before: 0,
                        batch: batch_rows,
                        duplicates_in_batch: 0,
                        inserted: batch_rows,
                        updated: 0,
                        unchanged: 0,
                        after: batch_rows,
                    },
                ));
            }
        }
        const ORIGIN: &str = "__origin";
        const ROW: &str = "__row";
        const PREVIOUS: &str = "__previous";
        // Decide on narrow frames (keys and times only), then gather the
        // full rows once: sorting wide rows with nested columns is slow.
        let narrow = |df: &DataFrame, origin: u32| {
            df.clone()
                .lazy()
                .select([col(s::SOURCE), col(id), col(s::UPDATED_AT), col(start)])
                .with_row_index(ROW, None)
                .with_column(lit(origin).cast(DataType::UInt32).alias(ORIGIN))
        };
        let keys = concat(
            [narrow(&existing, 0), narrow(&batch, 1)],
            UnionArgs {
                rechunk: false,
                ..UnionArgs::default()
            },
        )
        .map_err(pe)?;
        // With an empty store every winner is a distinct batch key.
        let batch_unique = if before == 0 {
            None
        } else {
            Some(
                narrow(&batch, 1)
                    .select(key.clone())
                    .unique(None, UniqueKeepStrategy::Any)
                    .collect()
                    .map_err(pe)?
                    .height() as u64,
            )
        };
        // Within each key the last row after this sort wins: the latest
        // updated_at, then the batch over the store, then the later row.
        let winners = keys
            .sort_by_exprs(
                [col(s::UPDATED_AT), col(ORIGIN), col(ROW)],
                SortMultipleOptions::default()
                    .with_nulls_last(false)
                    .with_maintain_order(true),
            )
            .unique_stable_generic(Some(key.to_vec()), UniqueKeepStrategy::Last)
            .sort_by_exprs(
                [col(start), col(s::SOURCE), col(id)],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .collect()
            .map_err(pe)?;
        let batch_unique = batch_unique.unwrap_or(winners.height() as u64);
        let origins = winners
            .column(ORIGIN)
            .and_then(|c| c.u32().cloned())
            .map_err(pe)?;
        let rows = winners
            .column(ROW)
            .and_then(|c| c.u32().cloned())
            .map_err(pe)?;
        let before_idx = u32::try_from(before).unwrap_or(u32::MAX);
        let index: Vec<IdxSize> = origins
            .iter()
            .zip(rows.iter())
            .map(|(o, r)| {
                let r = r.unwrap_or(0);
                if o == Some(1) {
                    r + before_idx
                } else {
                    r
                }
            })
            .collect();
        let index = IdxCa::from_vec(PlSmallStr::EMPTY, index);
        // Batch copies that replaced a stored copy of an older version.
        let previous = existing.clone().lazy().select([
            col(s::SOURCE),
            col(id),
            col(s::UPDATED_AT).alias(PREVIOUS),
        ]);
        let updated = if before == 0 {
            0
        } else {
            winners
                .clone()
                .lazy()
                .filter(col(ORIGIN).eq(lit(1u32)))
                .select([col(s::SOURCE), col(id), col(s::UPDATED_AT)])
                .join(
                    previous,
                    [col(s::SOURCE), col(id)],
                    [col(s::SOURCE), col(id)],
                    JoinArgs::new(JoinType::Inner),
                )
                .filter(
                    col(PREVIOUS)
                        .is_null()
                        .or(col(s::UPDATED_AT).gt(col(PREVIOUS))),
                )
                .collect()
                .map_err(pe)?
                .height() as u64
        };
        let all = if before == 0 {
            batch
        } else {
            existing.vstack(&batch).map_err(pe)?
        };
        let out = all.take(&index).map_err(pe)?;
        let after = out.height() as u64;
        let inserted = after - before;
        Ok((
            out,
            MergeCounts {
                before,
                batch: batch_rows,
                duplicates_in_batch: batch_rows - batch_unique,
                inserted,
                updated,
                unchanged: batch_unique - inserted - updated,
                after,
            },
        ))
    }

    /// The batch's rows in `(start, source, id)` order (nulls first, as the
    /// general merge sorts them) when every row has a key of its own, else
    /// `None`. This is the whole merge into an empty partition — the usual
    /// first ingest — found by one sort of row numbers instead of sorting by
    /// update, dropping repeated keys and sorting again.
    fn unique_batch_order(
        batch: &DataFrame,
        id: &str,
        start: &str,
    ) -> PolarsResult<Option<Vec<IdxSize>>> {
        let starts = batch.column(start)?.cast(&DataType::Int64)?;
        let starts: Vec<Option<i64>> = starts.i64()?.iter().collect();
        let texts = |name: &str| -> PolarsResult<Vec<Option<&str>>> {
            Ok(batch.column(name)?.str()?.iter().collect())
        };
        let (sources, ids) = (texts(s::SOURCE)?, texts(id)?);
        let mut keys: PlHashSet<(Option<&str>, Option<&str>)> = PlHashSet::with_capacity(ids.len());
        if !sources.iter().zip(&ids).all(|k| keys.insert((*k.0, *k.1))) {
            return Ok(None);
        }
        let mut order: Vec<IdxSize> = (0..batch.height())
            .map(IdxSize::try_from)
            .collect::<Result<_, _>>()
            .map_err(|_| polars_err!(ComputeError: "too many rows for one partition"))?;
        // Stable, and quick on rows that come mostly in time order.
        order.sort_by_key(|&r| {
            let r = r as usize;
            (starts[r], sources[r], ids[r])
        });
        Ok(Some(order))
    }

    /// Write the rejects of the last ingest (an empty file when none).
    pub fn write_rejects(&self, rejects: &[Reject]) -> Result<PathBuf, StoreError> {
        let path = self.rejects_path();
        write_rejects(&path, rejects)?;
        Ok(path)
    }

    /// Rows per source and time range of both tables.
    pub fn info(&self) -> Result<StoreInfo, StoreError> {
        let table = |lf: LazyFrame, start: &str, file: &str| -> Result<TableInfo, StoreError> {
            let path = self.dir.join(file);
            let pe = |source: PolarsError| StoreError::Parquet {
                path: path.clone(),
                source,
            };
            let per = lf
                .clone()
                .group_by([col(s::SOURCE)])
                .agg([len().alias("rows")])
                .sort([s::SOURCE], SortMultipleOptions::default())
                .collect()
                .map_err(pe)?;
            let sources = per
                .column(s::SOURCE)
                .and_then(|c| c.str().cloned())
                .map_err(pe)?;
            let rows = per
                .column("rows")
                .and_then(|c| c.cast(&DataType::UInt64))
                .map_err(pe)?;
            let rows = rows.u64().map_err(pe)?;
            let per_source: Vec<(String, u64)> = sources
                .iter()
                .zip(rows.iter())
                .map(|(s, n)| (s.unwrap_or("").to_string(), n.unwrap_or(0)))
                .collect();
            let range = lf
                .select([
                    col(start).min().alias("first"),
                    col(start).max().alias("last"),
                ])
                .with_columns([
                    col("first").dt().timestamp(TimeUnit::Microseconds),
                    col("last").dt().timestamp(TimeUnit::Microseconds),
                ])
                .collect()
                .map_err(pe)?;
            let get = |name: &str| -> Option<String> {
                range
                    .column(name)
                    .ok()
                    .and_then(|c| c.i64().ok().and_then(|ca| ca.get(0)))
                    .map(crate::core::time::rfc3339_utc)
            };
            Ok(TableInfo {
                rows: per_source.iter().map(|(_, n)| n).sum(),
                per_source,
                first: get("first"),
                last: get("last"),
            })
        };
        Ok(StoreInfo {
            dir: self.dir.display().to_string(),
            alerts: table(self.alerts()?, s::TRIGGERED_AT, ALERTS_DIR)?,
            incidents: table(self.incidents()?, s::STARTED_AT, INCIDENTS_FILE)?,
            schedules: table(self.shifts()?, s::STARTED_AT, SHIFTS_FILE)?,
        })
    }
}

/// Read a Parquet file, or an empty frame of `schema` if it does not exist.
fn read_parquet(path: &Path, schema: &Schema) -> Result<DataFrame, StoreError> {
    if !path.exists() {
        return Ok(DataFrame::empty_with_schema(schema));
    }
    let f = File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    ParquetReader::new(f)
        .finish()
        .map_err(|source| StoreError::Parquet {
            path: path.to_path_buf(),
            source,
        })
}

/// Write a spool file: Arrow IPC, uncompressed; it lives for one ingest.
fn write_spool_file(path: &Path, df: &mut DataFrame) -> Result<(), StoreError> {
    let f = File::create(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    IpcWriter::new(std::io::BufWriter::new(f))
        .finish(df)
        .map_err(|source| StoreError::Parquet {
            path: path.to_path_buf(),
            source,
        })
}

/// Read a spool file back.
fn read_spool_file(path: &Path) -> Result<DataFrame, StoreError> {
    let f = File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // Left in its record batches: the month is stacked into one block
    // once, when it is merged.
    IpcReader::new(f)
        .set_rechunk(false)
        .finish()
        .map_err(|source| StoreError::Parquet {
            path: path.to_path_buf(),
            source,
        })
}

/// Write a store file: Parquet with LZ4 (raw; as small as Snappy on alert
/// rows and faster to write, read by every current engine), synced to disk
/// before it is renamed into place.
fn write_parquet_file(path: &Path, df: &mut DataFrame) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = File::create(path).map_err(io)?;
    ParquetWriter::new(&mut f)
        .with_compression(ParquetCompression::Lz4Raw)
        .finish(df)
        .map_err(|source| StoreError::Parquet {
            path: path.to_path_buf(),
            source,
        })?;
    f.sync_all().map_err(io)
}

/// Rows spooled during an ingest, by UTC month of `triggered_at`: kept in
/// memory up to [`Spool::SPILL_ROWS`] over all months, then written to files in a
/// hidden directory of the store. Rows that await late fields (they carry
/// [`s::OCCURRENCE`]) are kept apart, and settled at commit. Dropping a
/// spool removes it.
pub struct Spool {
    dir: PathBuf,
    months: BTreeMap<String, Month>,
    /// Per [`crate::ingest::AlertSink::mark`], each month's spool files
    /// then (nothing was held in memory at a mark).
    marks: Vec<BTreeMap<String, (usize, usize)>>,
}

/// One month's spooled rows: complete ones, and ones awaiting late fields.
#[derive(Default)]
struct Month {
    complete: MonthBuf,
    awaiting: MonthBuf,
}

#[derive(Default)]
struct MonthBuf {
    frames: Vec<DataFrame>,
    rows: usize,
    files: Vec<PathBuf>,
}

impl Spool {
    /// Rows held in memory (over all months) before they go to disk.
    pub const SPILL_ROWS: usize = 262_144;

    fn new(dir: PathBuf) -> Result<Spool, StoreError> {
        if dir.exists() {
            let _ = fs::remove_dir_all(&dir);
        }
        fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(Spool {
            dir,
            months: BTreeMap::new(),
            marks: Vec::new(),
        })
    }

    /// Add canonical alert rows.
    pub fn add(&mut self, df: DataFrame) -> Result<(), StoreError> {
        if df.height() == 0 {
            return Ok(());
        }
        let pe = |source: PolarsError| StoreError::Parquet {
            path: PathBuf::from(s::TRIGGERED_AT),
            source,
        };
        let micros = df
            .column(s::TRIGGERED_AT)
            .and_then(|c| c.cast(&DataType::Int64))
            .map_err(pe)?;
        let micros = micros.i64().map_err(pe)?;
        let mut by_month: BTreeMap<String, Vec<IdxSize>> = BTreeMap::new();
        let mut last: Option<(i64, i64, String)> = None; // month window cache
        for (i, v) in micros.iter().enumerate() {
            let v = v.unwrap_or(0);
            let key = match &last {
                Some((lo, hi, k)) if v >= *lo && v < *hi => k.clone(),
                _ => {
                    let (k, lo, hi) = month_of(v);
                    last = Some((lo, hi, k.clone()));
                    k
                }
            };
            by_month.entry(key).or_default().push(i as IdxSize);
        }
        let single = by_month.len() == 1;
        let awaiting = df.column(s::OCCURRENCE).is_ok();
        for (month, idx) in by_month {
            let part = if single {
                df.clone()
            } else {
                df.take(&IdxCa::from_vec(PlSmallStr::EMPTY, idx))
                    .map_err(pe)?
            };
            let entry = self.months.entry(month).or_default();
            let buf = if awaiting {
                &mut entry.awaiting
            } else {
                &mut entry.complete
            };
            buf.rows += part.height();
            buf.frames.push(part);
        }
        // Bound memory by the rows held over all months, not per month.
        let held: usize = self
            .months
            .values()
            .map(|m| m.complete.rows + m.awaiting.rows)
            .sum();
        if held >= Self::SPILL_ROWS {
            self.spill()?;
        }
        Ok(())
    }

    /// Write every month's rows held in memory to a spool file.
    fn spill(&mut self) -> Result<(), StoreError> {
        let bufs = self.months.iter_mut().flat_map(|(month, m)| {
            [
                (month.clone(), &mut m.complete),
                (format!("{month}-late"), &mut m.awaiting),
            ]
        });
        for (month, buf) in bufs {
            if buf.frames.is_empty() {
                continue;
            }
            let mut frame =
                // Each frame is written as a record batch of its own: the
                // rows are not copied into one block first.
                stack_chunks(std::mem::take(&mut buf.frames)).map_err(|source| StoreError::Parquet {
                    path: self.dir.clone(),
                    source,
                })?;
            buf.rows = 0;
            let path = self
                .dir
                .join(format!("{month}-{:05}.arrow", buf.files.len()));
            write_spool_file(&path, &mut frame)?;
            buf.files.push(path);
        }
        Ok(())
    }
}

impl crate::ingest::AlertSink for Spool {
    fn add(&mut self, rows: DataFrame) -> Result<(), String> {
        Spool::add(self, rows).map_err(|e| e.to_string())
    }

    /// Spill what is held, so that a mark falls between spool files.
    fn mark(&mut self) -> Result<usize, String> {
        self.spill().map_err(|e| e.to_string())?;
        let files = self
            .months
            .iter()
            .map(|(month, m)| {
                (
                    month.clone(),
                    (m.complete.files.len(), m.awaiting.files.len()),
                )
            })
            .collect();
        self.marks.push(files);
        Ok(self.marks.len() - 1)
    }

    fn rollback(&mut self, to: usize) -> Result<(), String> {
        let Some(files) = self.marks.get(to).cloned() else {
            return Err(format!("no spool mark {to}"));
        };
        self.marks.truncate(to + 1);
        for (month, m) in &mut self.months {
            let (complete, awaiting) = files.get(month).copied().unwrap_or((0, 0));
            for (buf, keep) in [(&mut m.complete, complete), (&mut m.awaiting, awaiting)] {
                buf.frames.clear();
                buf.rows = 0;
                for f in buf.files.drain(keep.min(buf.files.len())..) {
                    let _ = fs::remove_file(f);
                }
            }
        }
        self.months.retain(|month, _| files.contains_key(month));
        Ok(())
    }
}

impl MonthBuf {
    /// Everything spooled for this month, read back and stacked.
    fn into_frame(self, dir: &Path) -> Result<DataFrame, StoreError> {
        let mut frames = Vec::with_capacity(self.files.len() + self.frames.len());
        for f in &self.files {
            frames.push(read_spool_file(f)?);
            let _ = fs::remove_file(f);
        }
        frames.extend(self.frames);
        stack(frames).map_err(|source| StoreError::Parquet {
            path: dir.to_path_buf(),
            source,
        })
    }
}

impl Month {
    /// The month's rows, those that awaited late fields settled, stacked.
    fn into_frame(self, dir: &Path, late: &LateFields) -> Result<DataFrame, StoreError> {
        let pe = |source| StoreError::Parquet {
            path: dir.to_path_buf(),
            source,
        };
        let mut frame = self.complete.into_frame(dir)?;
        if !self.awaiting.frames.is_empty() || !self.awaiting.files.is_empty() {
            let settled = late.settle(self.awaiting.into_frame(dir)?).map_err(pe)?;
            if frame.height() == 0 {
                return Ok(settled);
            }
            frame.vstack_mut_owned(settled).map_err(pe)?;
            frame.rechunk_mut();
        }
        Ok(frame)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        // A commit stopped between renames keeps its files and journal for
        // the next open to finish.
        if !self.dir.join(JOURNAL_FILE).exists() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Stack frames vertically into one contiguous frame.
fn stack(frames: Vec<DataFrame>) -> PolarsResult<DataFrame> {
    let mut all = stack_chunks(frames)?;
    all.rechunk_mut();
    Ok(all)
}

/// Stack frames vertically, each kept as chunks of its own (no copy).
fn stack_chunks(frames: Vec<DataFrame>) -> PolarsResult<DataFrame> {
    let mut frames = frames.into_iter();
    let Some(mut all) = frames.next() else {
        return Ok(DataFrame::empty_with_schema(&s::alerts_schema()));
    };
    for f in frames {
        all.vstack_mut_owned(f)?;
    }
    Ok(all)
}

/// The UTC month of an instant: `("YYYY-MM", month start, next month start)`
/// in microseconds.
fn month_of(micros: i64) -> (String, i64, i64) {
    use chrono::{Datelike, NaiveDate};
    let dt = chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default();
    let (y, m) = (dt.year(), dt.month());
    let start = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default();
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    }
    .unwrap_or_default();
    let us = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp_micros()
    };
    (format!("{y:04}-{m:02}"), us(start), us(next))
}

/// Write a rejects CSV: `input,record,line,reason,raw`.
pub fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<(), StoreError> {
    write_atomic(path, |f| {
        let mut w = csv::Writer::from_writer(f);
        w.write_record(["input", "record", "line", "reason", "raw"])
            .map_err(std::io::Error::other)?;
        for r in rejects {
            let record = r.record.to_string();
            let line = r.line.map(|l| l.to_string()).unwrap_or_default();
            w.write_record([r.input.as_str(), &record, &line, &r.reason, &r.raw])
                .map_err(std::io::Error::other)?;
        }
        w.flush()
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(start µs, source, id, updated µs, tag)`.
    type Row = (Option<i64>, &'static str, &'static str, i64, &'static str);

    /// A batch of rows.
    fn batch(rows: &[Row]) -> DataFrame {
        let time = |v: Vec<Option<i64>>, name: &str| {
            Series::new(name.into(), v)
                .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
                .map(Column::from)
        };
        let text = |f: fn(&Row) -> &'static str, name: &str| {
            Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
        };
        let columns = vec![
            time(rows.iter().map(|r| r.0).collect(), s::TRIGGERED_AT).expect("a time column"),
            text(|r| r.1, s::SOURCE),
            text(|r| r.2, s::ALERT_ID),
            time(rows.iter().map(|r| Some(r.3)).collect(), s::UPDATED_AT).expect("a time column"),
            text(|r| r.4, "tag"),
        ];
        DataFrame::new(rows.len(), columns).expect("a frame")
    }

    fn merged_tags(rows: &[Row]) -> (Vec<String>, MergeCounts) {
        let b = batch(rows);
        let (out, counts) =
            Store::merge_frames(b.clear(), b, s::ALERT_ID, s::TRIGGERED_AT).expect("a merge");
        let tags = out.column("tag").expect("tags").str().expect("text").iter();
        (tags.map(|t| t.unwrap_or("").to_string()).collect(), counts)
    }

    #[test]
    fn a_first_write_orders_by_start_then_source_then_id() {
        let rows = [
            (Some(30), "pd", "b", 1, "r0"),
            (Some(10), "pd", "z", 1, "r1"),
            (Some(30), "og", "c", 1, "r2"),
            (None, "pd", "y", 1, "r3"),
            (Some(30), "pd", "a", 1, "r4"),
            (Some(10), "og", "x", 1, "r5"),
        ];
        // Nulls first; ties by source, then id.
        let (tags, counts) = merged_tags(&rows);
        assert_eq!(tags, ["r3", "r5", "r1", "r2", "r4", "r0"]);
        assert_eq!((counts.inserted, counts.duplicates_in_batch), (6, 0));
        // A repeated key takes the general merge: the later update wins,
        // in the place its own start gives it.
        let mut repeated = rows.to_vec();
        repeated.push((Some(20), "pd", "z", 5, "r6"));
        let (tags, counts) = merged_tags(&repeated);
        assert_eq!(tags, ["r3", "r5", "r6", "r2", "r4", "r0"]);
        assert_eq!((counts.inserted, counts.duplicates_in_batch), (6, 1));
        // Already in order: the same rows, nothing gathered.
        let sorted = [
            (Some(1), "og", "a", 1, "s0"),
            (Some(1), "og", "b", 1, "s1"),
            (Some(2), "og", "a2", 1, "s2"),
        ];
        assert_eq!(merged_tags(&sorted).0, ["s0", "s1", "s2"]);
    }

    #[test]
    fn a_commit_is_all_or_nothing_across_months() {
        use crate::ingest::{AlertColumns, AlertRecord};
        // 2024-01-01 and 2024-02-01, 00:00 UTC.
        const JAN: i64 = 1_704_067_200_000_000;
        const FEB: i64 = 1_706_745_600_000_000;
        let frame = |rows: &[(&str, i64)]| {
            let mut c = AlertColumns::default();
            for (id, t) in rows {
                c.push(
                    "pagerduty",
                    &AlertRecord {
                        alert_id: id.to_string(),
                        triggered_at: *t,
                        ..AlertRecord::default()
                    },
                );
            }
            c.finish().expect("a frame")
        };
        let no_incidents = || DataFrame::empty_with_schema(&s::incidents_schema());
        let no_shifts = || DataFrame::empty_with_schema(&s::shifts_schema());
        let ids = |store: &Store| -> Vec<String> {
            let df = store.alerts().expect("alerts").collect().expect("read");
            let mut ids: Vec<String> = df
                .column(s::ALERT_ID)
                .expect("ids")
                .str()
                .expect("text")
                .iter()
                .flatten()
                .map(str::to_string)
                .collect();
            ids.sort();
            ids
        };
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path()).expect("a store");
        let mut spool = store.spool().expect("a spool");
        spool
            .add(frame(&[("a", JAN + 1), ("b", FEB + 1)]))
            .expect("spooled");
        store
            .commit(spool, no_incidents(), no_shifts(), &LateFields::default())
            .expect("the first commit");
        assert_eq!(ids(&store), ["a", "b"]);

        // The second commit fails after its first rename (January's file):
        // February's is not in place yet.
        let mut spool = store.spool().expect("a spool");
        spool
            .add(frame(&[("c", JAN + 2), ("d", FEB + 2)]))
            .expect("spooled");
        FAIL_AFTER_RENAMES.with(|f| f.set(1));
        let failed = store.commit(spool, no_incidents(), no_shifts(), &LateFields::default());
        FAIL_AFTER_RENAMES.with(|f| f.set(usize::MAX));
        let message = failed.expect_err("the injected failure").to_string();
        assert!(message.contains("failure injected"), "{message}");
        let jan = read_parquet(
            &dir.path().join("alerts/2024-01.parquet"),
            &s::alerts_schema(),
        )
        .expect("January");
        let feb = read_parquet(
            &dir.path().join("alerts/2024-02.parquet"),
            &s::alerts_schema(),
        )
        .expect("February");
        assert_eq!((jan.height(), feb.height()), (2, 1), "mixed on disk");

        // Whoever opens the store next finishes the commit first: all of it.
        let store = Store::open(dir.path()).expect("reopened");
        assert_eq!(ids(&store), ["a", "b", "c", "d"]);
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .expect("the store")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".spool-"))
            .collect();
        assert!(leftovers.is_empty(), "the journal and its files are gone");
    }
}
