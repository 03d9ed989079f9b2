//! The embedded store: a directory of plain Parquet files.
//!
//! ```text
//! alertsift-data/
//!   alerts.parquet      canonical alerts, one row per (source, alert_id)
//!   incidents.parquet   canonical incidents, one row per (source, incident_id)
//!   store.json          schema version and what the last ingest did
//!   rejects.csv         records the last ingest could not read
//! ```
//!
//! A merge keeps, for each key, the copy with the latest `updated_at` (ties:
//! the copy ingested last), so re-ingesting overlapping weekly exports never
//! double counts and a newer export of the same alert updates it. Rows are
//! written sorted by `(triggered_at|started_at, source, id)`, so the same
//! inputs give the same bytes. Every file is written aside and renamed into
//! place, so a crash leaves the previous store intact; a lock file keeps two
//! processes from merging at once.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::ingest::{timing, Reject};
use crate::schema as s;

/// Version of the store layout; bumped when the canonical schema changes.
pub const STORE_VERSION: u32 = 1;

const ALERTS_FILE: &str = "alerts.parquet";
const INCIDENTS_FILE: &str = "incidents.parquet";
const MANIFEST_FILE: &str = "store.json";
const REJECTS_FILE: &str = "rejects.csv";
const LOCK_FILE: &str = ".lock";

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

/// What a merge did.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct MergeStats {
    /// The alerts table.
    pub alerts: MergeCounts,
    /// The incidents table.
    pub incidents: MergeCounts,
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
}

struct Lock(PathBuf);

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
        Ok(store)
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the last ingest's rejects are written.
    pub fn rejects_path(&self) -> PathBuf {
        self.dir.join(REJECTS_FILE)
    }

    fn read_table(&self, file: &str, schema: Schema) -> Result<LazyFrame, StoreError> {
        let path = self.dir.join(file);
        if !path.exists() {
            return Ok(DataFrame::empty_with_schema(&schema).lazy());
        }
        let f = File::open(&path).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
        let df = ParquetReader::new(f)
            .finish()
            .map_err(|source| StoreError::Parquet { path, source })?;
        Ok(df.lazy())
    }

    /// All stored alerts.
    pub fn alerts(&self) -> Result<LazyFrame, StoreError> {
        self.read_table(ALERTS_FILE, s::alerts_schema())
    }

    /// All stored incidents.
    pub fn incidents(&self) -> Result<LazyFrame, StoreError> {
        self.read_table(INCIDENTS_FILE, s::incidents_schema())
    }

    fn lock(&self) -> Result<Lock, StoreError> {
        let path = self.dir.join(LOCK_FILE);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                let _ = writeln!(f, "{}", std::process::id());
                Ok(Lock(path))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StoreError::Locked {
                dir: self.dir.clone(),
                lock: path,
            }),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    /// Merge a batch into the store (see the module docs for the rule).
    pub fn merge(&self, alerts: DataFrame, incidents: DataFrame) -> Result<MergeStats, StoreError> {
        let _lock = self.lock()?;
        let alerts_stats = self.merge_table(
            ALERTS_FILE,
            alerts,
            s::alerts_schema(),
            s::ALERT_ID,
            s::TRIGGERED_AT,
        )?;
        let incidents_stats = self.merge_table(
            INCIDENTS_FILE,
            incidents,
            s::incidents_schema(),
            s::INCIDENT_ID,
            s::STARTED_AT,
        )?;
        let manifest = serde_json::to_vec_pretty(&Manifest {
            store_version: STORE_VERSION,
        })
        .unwrap_or_default();
        write_atomic(&self.dir.join(MANIFEST_FILE), |f| f.write_all(&manifest))?;
        Ok(MergeStats {
            alerts: alerts_stats,
            incidents: incidents_stats,
        })
    }

    fn merge_table(
        &self,
        file: &str,
        batch: DataFrame,
        schema: Schema,
        id: &str,
        start: &str,
    ) -> Result<MergeCounts, StoreError> {
        let path = self.dir.join(file);
        let pe = |source: PolarsError| StoreError::Parquet {
            path: path.clone(),
            source,
        };
        let t = std::time::Instant::now();
        let existing = self.read_table(file, schema)?.collect().map_err(pe)?;
        timing("read stored table", t);
        let key = [col(s::SOURCE), col(id)];
        let batch_rows = batch.height() as u64;
        let before = existing.height() as u64;
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
        let mut out = all.take(&index).map_err(pe)?;
        timing("merge and sort", t);
        let after = out.height() as u64;
        let inserted = after - before;
        let t = std::time::Instant::now();
        write_atomic(&path, |f| {
            ParquetWriter::new(f)
                .with_compression(ParquetCompression::Snappy)
                .finish(&mut out)
                .map(|_| ())
                .map_err(std::io::Error::other)
        })?;
        timing("write parquet", t);
        Ok(MergeCounts {
            before,
            batch: batch_rows,
            duplicates_in_batch: batch_rows - batch_unique,
            inserted,
            updated,
            unchanged: batch_unique - inserted - updated,
            after,
        })
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
                    .map(crate::ingest::time::rfc3339_utc)
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
            alerts: table(self.alerts()?, s::TRIGGERED_AT, ALERTS_FILE)?,
            incidents: table(self.incidents()?, s::STARTED_AT, INCIDENTS_FILE)?,
        })
    }
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
    })
}

/// Write `path` by writing a sibling temporary file, syncing it, and renaming
/// it over `path`.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        write(&mut f)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)
}
