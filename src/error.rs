//! Typed errors of the library. The binary adds context with `anyhow` and
//! maps them to exit codes (see `main.rs`).

use std::path::PathBuf;

use polars::prelude::PolarsError;

/// A configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {}: {source}", path.display())]
    Read {
        /// The config path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid alertsift config.
    #[error("invalid config {}: {message}", path.display())]
    Invalid {
        /// The config path.
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// An input file as a whole could not be ingested. Problems with single
/// records are not errors: they go to the rejects file.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The input path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file holds nothing.
    #[error("{} is empty: there are no records to ingest", path.display())]
    Empty {
        /// The input path.
        path: PathBuf,
    },
    /// No format recognised the file.
    #[error(
        "{} matches no known export format (tried: {}); first line: {first_line:?}. \
         Force one with --format, or describe the columns with --mapping",
        path.display(), tried.join(", ")
    )]
    UnknownFormat {
        /// The input path.
        path: PathBuf,
        /// The formats that were tried.
        tried: Vec<&'static str>,
        /// The start of the file, to help the user see what it is.
        first_line: String,
    },
    /// A CSV lacks a column the format requires.
    #[error(
        "{} ({format}) is missing required column(s) {}; columns found: {}",
        path.display(), missing.join(", "), found.join(", ")
    )]
    MissingColumns {
        /// The input path.
        path: PathBuf,
        /// The format it was read as.
        format: &'static str,
        /// The required columns that are absent.
        missing: Vec<String>,
        /// The header as found.
        found: Vec<String>,
    },
    /// Timestamps carry no zone and none is configured.
    #[error(
        "{} ({format}) has timestamps without a time zone (e.g. {example:?}) and no zone is configured; \
         set `timezone` under [sources.{source_name}] in alertsift.toml",
        path.display()
    )]
    NoTimezone {
        /// The input path.
        path: PathBuf,
        /// The format it was read as.
        format: &'static str,
        /// The `[sources.X]` section to set.
        source_name: String,
        /// A timestamp from the file.
        example: String,
    },
    /// The file is not what its format requires at the top level.
    #[error("{} ({format}): {message}", path.display())]
    Malformed {
        /// The input path.
        path: PathBuf,
        /// The format it was read as.
        format: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Every record of the file was rejected: read as nothing.
    #[error(
        "{} ({format}): all {count} record(s) were rejected, so nothing was read from it; {reasons}",
        path.display()
    )]
    AllRejected {
        /// The input path.
        path: PathBuf,
        /// The format it was read as.
        format: &'static str,
        /// Records rejected.
        count: u64,
        /// The most common reasons, with counts and an example line.
        reasons: String,
    },
    /// The inputs held records but none became an alert or an incident.
    #[error(
        "the inputs held {records} record(s) and yielded no alert and no incident: nothing to report on ({})",
        detail
    )]
    NothingRead {
        /// Records read in all.
        records: u64,
        /// What each input gave.
        detail: String,
    },
    /// A generic mapping file is invalid.
    #[error("invalid mapping {}: {message}", path.display())]
    Mapping {
        /// The mapping path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Handing rows to the store's spool failed.
    #[error("spooling alerts to the store: {message}")]
    Spool {
        /// What failed.
        message: String,
    },
    /// Building the columnar frame failed.
    #[error("building the alert table: {0}")]
    Frame(#[from] PolarsError),
}

/// The store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file of the store could not be read or written.
    #[error("store {}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Another alertsift process holds the store.
    #[error(
        "store {} is locked by another alertsift process (lock file {}); \
         if none is running, remove the lock file",
        dir.display(), lock.display()
    )]
    Locked {
        /// The store directory.
        dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// A file of the store is not Parquet (damaged or truncated).
    #[error(
        "store file {} is damaged: {why}; restore it from a backup, or remove \
         it and ingest that month's exports again",
        path.display()
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// A store file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The lock was left by a process that is no longer running.
    #[error(
        "store {} is locked by process {pid}, which is no longer running \
         (a run that was stopped?); remove the lock file {} and try again",
        dir.display(), lock.display()
    )]
    StaleLock {
        /// The store directory.
        dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// The process id written in it.
        pid: u32,
    },
    /// A Parquet file of the store could not be read or written.
    #[error("store {}: {source}", path.display())]
    Parquet {
        /// The path involved.
        path: PathBuf,
        /// The polars error.
        source: PolarsError,
    },
}

/// Any failure of a pipeline job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An input file.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An output file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A frame computation.
    #[error("computing {what}: {source}")]
    Polars {
        /// What was being computed.
        what: &'static str,
        /// The polars error.
        source: PolarsError,
    },
    /// An input read outside ingest (`templates`).
    #[error("{}: {message}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The human tags file (`--labels`).
    #[error("tags file {}: {message}", path.display())]
    Tags {
        /// The tags file.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
    /// A SQL query failed (the engine's message), or its tables are missing.
    #[error("query: {message}")]
    Query {
        /// What went wrong.
        message: String,
    },
    /// Rasterising a chart to PNG failed.
    #[error("drawing {chart} as PNG: {reason}")]
    Render {
        /// The chart's file name.
        chart: String,
        /// What the renderer said.
        reason: String,
    },
    /// Writing an output file.
    #[error("writing {}: {source}", path.display())]
    Output {
        /// The output path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Error {
    /// Wrap a polars error with what was being computed.
    pub fn polars(what: &'static str) -> impl FnOnce(PolarsError) -> Error {
        move |source| Error::Polars { what, source }
    }
}

/// A file could not be written (whole: see [`crate::core::fs`]).
#[derive(Debug, thiserror::Error)]
#[error("writing {}: {source}", path.display())]
pub struct WriteError {
    /// The file.
    pub path: PathBuf,
    /// The I/O error.
    pub source: std::io::Error,
}
