//! Ingest: every vendor export into the canonical alerts and incidents frames.
//!
//! Two layers. The **reading layer** takes a file as real exports come:
//! [`json`] (JSON lines, pretty-printed documents, pages appended, arrays,
//! envelopes or bare records, single-record GET responses, with grammar
//! errors named by line and column), [`csvutil`] over [`decode`] (UTF-8
//! with or without BOM, else Windows-1252; CR LF, quoted line breaks,
//! blank lines) and [`time`] (every timestamp layout exports use, one range
//! kept). The **vendor modules** only map fields: each registers a
//! [`Vendor`] (its name, source, `sniff(&Head) -> u8` saying how sure it is
//! that a file is its format, and `read(&mut Ctx)` pushing canonical records
//! into the context's sink). Adding a vendor is one file (and its fixtures)
//! plus one line in [`Format::ALL`].
//!
//! A record that cannot be read becomes a [`Reject`] (input, record number,
//! line, reason, raw text) and the good records around it still load. A
//! problem with the file as a whole (unreadable, empty, no known format, a
//! required column missing, naive timestamps and no zone configured, JSON
//! that breaks the grammar) is an [`IngestError`]. Nothing is lost silently:
//! a file whose every record is rejected, and a run whose inputs yield no
//! alert and no incident, are errors; a file that loses more than half its
//! records says so in its notes.
//!
//! Length: about 1,200 lines: the ingest driver (registry, detection, the
//! input context, the parallel JSON driver, sinks and the silent-loss checks)
//! that every vendor module is written against; the CSV helpers are in
//! `csvutil.rs`.

pub mod alertmanager;
pub mod csvutil;
pub mod datadog;
pub mod decode;
pub mod elastic;
pub mod generic;
pub mod grafana_alerting;
pub mod grafana_oncall;
pub mod grafana_oncall_shifts;
pub mod incidentio;
pub mod jira_csv;
pub mod jsm;
pub mod json;
pub mod newrelic;
pub mod opsgenie;
pub mod opsgenie_timeline;
pub mod pagerduty_analytics;
pub mod pagerduty_csv;
pub mod pagerduty_log_entries;
pub mod pagerduty_oncalls;
pub mod pagerduty_rest;
pub mod parallel;
pub mod record;
pub mod scan;
pub mod schedule_csv;
pub mod servicenow;
pub mod splunk_oncall;
pub mod time;
pub mod zabbix;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use polars::prelude::DataFrame;

use crate::config::Config;
pub use crate::error::IngestError;
pub use record::{
    AlertColumns, AlertRecord, AlertRef, IncidentColumns, IncidentRecord, ShiftRecord,
};

/// One export format: what a vendor module registers in [`Format::ALL`].
/// Each module has the same shape: `sniff(&Head) -> u8` says how sure it is
/// that a file is its format (0 = not at all), and `read(&mut Ctx)` pushes
/// canonical records into the context's sink, on the reading layer
/// ([`json`], [`csvutil`], [`decode`], [`time`]).
pub struct Vendor {
    /// The format's name on the command line and in summaries.
    pub name: &'static str,
    /// The `source` column value of the records it produces. Formats of one
    /// vendor share it, so one PagerDuty incident seen in a CSV and in a
    /// REST export is one record in the store.
    pub source: &'static str,
    /// One line for `--format`'s help.
    pub help: &'static str,
    /// How sure the format is that a file's head is its own (0 = not).
    pub sniff: fn(&Head) -> u8,
    /// Read one file.
    pub read: fn(&mut Ctx<'_>) -> Result<(), IngestError>,
    /// Its files are read before all others (log entries: the incidents
    /// read them) and yield no rows of their own.
    pub feeds_others: bool,
    /// It reads nothing without `--mapping` (left out of "tried" lists).
    pub needs_mapping: bool,
    /// Its `repeat_count` counts copies of one alert the vendor folded
    /// into it by its own de-duplication (Opsgenie's `count` by alias), so
    /// more than one is evidence of DUPLICATE. Elsewhere the count means
    /// something else (PagerDuty: alerts grouped into an incident).
    pub folds_repeats: bool,
    /// Its exports keep only an alert's latest workflow change (Kibana's
    /// alerts-as-data), so a person closing an alert hides their
    /// acknowledgement: a close by a named person stands for both.
    pub close_hides_ack: bool,
}

impl Vendor {
    /// A format reading its own files, with a sniff and a reader: the
    /// flags off (set the ones a format needs with `..Vendor::new(…)`).
    pub const fn new(
        name: &'static str,
        source: &'static str,
        help: &'static str,
        sniff: fn(&Head) -> u8,
        read: fn(&mut Ctx<'_>) -> Result<(), IngestError>,
    ) -> Vendor {
        Vendor {
            name,
            source,
            help,
            sniff,
            read,
            feeds_others: false,
            needs_mapping: false,
            folds_repeats: false,
            close_hides_ack: false,
        }
    }
}

/// The `source` values whose `repeat_count` counts folded copies
/// ([`Vendor::folds_repeats`]).
pub fn sources_folding_repeats() -> Vec<&'static str> {
    sources_with(|v| v.folds_repeats)
}

/// The `source` values of the formats a flag of the registry is set for.
fn sources_with(flag: fn(&Vendor) -> bool) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Format::ALL
        .iter()
        .filter(|f| flag(f.0))
        .map(|f| f.0.source)
        .collect();
    out.dedup();
    out
}

/// The `source` values whose exports let a close hide the acknowledgement
/// ([`Vendor::close_hides_ack`]).
pub fn sources_where_close_hides_ack() -> Vec<&'static str> {
    sources_with(|v| v.close_hides_ack)
}

/// An export format alertsift reads: a handle on a registered [`Vendor`].
#[derive(Clone, Copy)]
pub struct Format(&'static Vendor);

impl PartialEq for Format {
    fn eq(&self, other: &Self) -> bool {
        self.0.name == other.0.name
    }
}

impl Eq for Format {}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
}

impl Format {
    /// Every format, in sniffing order (a tie goes to the earlier): **the
    /// one list a new vendor module is added to**.
    pub const ALL: &'static [Format] = &[
        Format(&alertmanager::VENDOR),
        Format(&pagerduty_log_entries::VENDOR),
        Format(&pagerduty_rest::VENDOR),
        Format(&pagerduty_analytics::VENDOR),
        Format(&jsm::VENDOR),
        Format(&opsgenie::VENDOR),
        Format(&grafana_oncall::VENDOR),
        Format(&grafana_alerting::VENDOR),
        Format(&elastic::VENDOR),
        Format(&newrelic::VENDOR),
        Format(&datadog::VENDOR),
        Format(&incidentio::VENDOR),
        Format(&pagerduty_csv::VENDOR),
        Format(&servicenow::VENDOR),
        Format(&jira_csv::VENDOR),
        Format(&splunk_oncall::VENDOR),
        Format(&zabbix::VENDOR),
        Format(&pagerduty_oncalls::VENDOR),
        Format(&opsgenie_timeline::VENDOR),
        Format(&grafana_oncall_shifts::VENDOR),
        Format(&schedule_csv::VENDOR),
        Format(&generic::VENDOR),
    ];

    /// The format named `name` (its `--format` name).
    pub fn named(name: &str) -> Option<Format> {
        Self::ALL.iter().copied().find(|f| f.0.name == name)
    }

    /// The format's name on the command line and in summaries.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The `source` column value of the records it produces.
    pub fn source(self) -> &'static str {
        self.0.source
    }

    /// Its files feed other formats' records and yield no rows of their own.
    pub fn feeds_others(self) -> bool {
        self.0.feeds_others
    }

    fn sniff(self, head: &Head) -> u8 {
        (self.0.sniff)(head)
    }

    fn read(self, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
        (self.0.read)(ctx)
    }
}

impl clap::ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.name).help(self.0.help))
    }
}

/// The start of a file, for sniffing.
pub struct Head {
    /// Up to the first 64 KiB, lossily decoded.
    pub text: String,
    /// The first line (a CSV header, for CSV files).
    pub first_line: String,
    /// The CSV header fields of the first line, trimmed.
    pub csv_header: Vec<String>,
    /// Lower-cased file extension.
    pub extension: String,
    /// Whether a `--mapping` was given.
    pub has_mapping: bool,
}

impl Head {
    /// The head of the file at `path`.
    pub fn read(path: &Path, has_mapping: bool) -> Result<Head, IngestError> {
        let io = |source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut f = File::open(path).map_err(io)?;
        let mut buf = Vec::with_capacity(64 * 1024);
        f.by_ref()
            .take(64 * 1024)
            .read_to_end(&mut buf)
            .map_err(io)?;
        let text = match decode::utf16_mark(&buf) {
            Some(big_endian) => {
                let mut text = String::new();
                // A partial last unit at the 64 KiB cut is dropped.
                let _ = decode::Utf16::utf16(&buf[2..buf.len() & !1], big_endian)
                    .read_to_string(&mut text);
                text
            }
            None => String::from_utf8_lossy(&buf).into_owned(),
        };
        let text = text.trim_start_matches('\u{feff}').to_string();
        let first_line = text.lines().next().unwrap_or("").to_string();
        let csv_header = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(first_line.as_bytes())
            .records()
            .next()
            .and_then(Result::ok)
            .map(|r| r.iter().map(|f| f.trim().to_string()).collect())
            .unwrap_or_default();
        Ok(Head {
            text,
            first_line,
            csv_header,
            extension: path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default(),
            has_mapping,
        })
    }

    /// Is the file JSON (starts with `{` or `[`)?
    pub fn is_json(&self) -> bool {
        matches!(self.text.trim_start().chars().next(), Some('{' | '['))
    }

    /// Does the head contain the JSON key `"key":` (any spacing)?
    pub fn has_key(&self, key: &str) -> bool {
        let needle = format!("\"{key}\"");
        self.text
            .match_indices(&needle)
            .any(|(i, _)| self.text[i + needle.len()..].trim_start().starts_with(':'))
    }

    /// How many of `names` are in the CSV header.
    pub fn header_hits(&self, names: &[&str]) -> usize {
        names
            .iter()
            .filter(|n| self.csv_header.iter().any(|h| h == *n))
            .count()
    }

    fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// The last [`RecentIds::WINDOW`] alert ids of an input, as 64-bit hashes:
/// a record that repeats one of them is counted. Overlapping pages (offset
/// paging while alerts change) repeat records of the page before, so a
/// window finds them while staying small enough for the cache; a repeat
/// further apart is left to the store's merge, which keeps one copy of
/// every id whatever the distance (and counts it in its duplicates).
#[derive(Default)]
pub struct RecentIds {
    set: polars::prelude::PlHashSet<u64>,
    order: std::collections::VecDeque<u64>,
    hasher: polars::prelude::PlRandomState,
}

impl RecentIds {
    /// Ids remembered.
    pub const WINDOW: usize = 65_536;

    /// Whether `id` is among the recent ids; remember it either way.
    pub fn repeats(&mut self, id: &str) -> bool {
        use std::hash::BuildHasher;
        let h = self.hasher.hash_one(id);
        if self.set.contains(&h) {
            return true;
        }
        if self.order.len() == Self::WINDOW {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.order.push_back(h);
        self.set.insert(h);
        false
    }
}

/// One input file, with its format if forced.
#[derive(Debug, Clone)]
pub struct Input {
    /// The file.
    pub path: PathBuf,
    /// `--format`, or `None` to sniff.
    pub format: Option<Format>,
}

/// A record that could not be ingested.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reject {
    /// The input file.
    pub input: String,
    /// The 1-based record number within the file (CSV rows after the
    /// header, JSON records, JSON lines).
    pub record: u64,
    /// The 1-based line where the record starts, where known.
    pub line: Option<u64>,
    /// Why it was rejected.
    pub reason: String,
    /// The record as it stood in the file (cut at 64 KiB).
    pub raw: String,
}

/// What one input yielded.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct InputReport {
    /// The file.
    pub path: String,
    /// The format it was read as.
    pub format: String,
    /// Records read from the file (before folding).
    pub records: u64,
    /// Alert rows it produced.
    pub alerts: u64,
    /// Incident rows it produced.
    pub incidents: u64,
    /// Schedule shifts it produced.
    #[serde(skip_serializing_if = "is_zero")]
    pub shifts: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Things worth knowing about this input (folded re-sends, caps hit…).
    pub notes: Vec<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Where adapters put what they read.
#[derive(Default)]
pub struct Sink {
    /// Canonical alert rows being built here (after `alert_frames`).
    pub alerts: AlertColumns,
    /// Alert rows built on worker threads, in input order.
    pub alert_frames: Vec<DataFrame>,
    /// Canonical incident rows.
    pub incidents: IncidentColumns,
    /// Schedule shifts, with the source of each.
    pub shifts: Vec<(&'static str, ShiftRecord)>,
    /// Rejected records.
    pub rejects: Vec<Reject>,
    /// PagerDuty log entries by incident id, read before the incidents.
    pub pd_log: pagerduty_log_entries::LogIndex,
    /// Fields settled at the end of a file, for rows handed on before.
    pub late: LateFields,
}

/// Fields that an adapter settles only when its whole file is read
/// (Alertmanager: each occurrence's resolution, re-sends, paging and last
/// update). Rows handed on before then carry [`crate::schema::OCCURRENCE`],
/// their row here; [`LateFields::settle`]
/// fills the fields in and drops that column. Rows go to the store's spool as
/// they are first seen, so nothing waits for the end of the file but these
/// few fixed-width columns.
#[derive(Default)]
pub struct LateFields {
    /// Row `i` holds occurrence `i`'s fields (columns of the alerts schema).
    columns: Option<DataFrame>,
}

impl LateFields {
    /// Occurrences held: the number the next file's occurrences start from.
    pub fn len(&self) -> usize {
        self.columns.as_ref().map_or(0, DataFrame::height)
    }

    /// True when no adapter left fields to settle.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Add the next occurrences' fields (one row each, in order).
    pub fn append(&mut self, columns: DataFrame) -> polars::prelude::PolarsResult<()> {
        match &mut self.columns {
            None => self.columns = Some(columns),
            Some(all) => {
                all.vstack_mut_owned(columns)?;
            }
        }
        Ok(())
    }

    /// A frame with its late fields filled in and [`crate::schema::OCCURRENCE`]
    /// dropped; a frame without that column is returned as it is.
    pub fn settle(&self, frame: DataFrame) -> polars::prelude::PolarsResult<DataFrame> {
        use polars::prelude::*;
        let Ok(occurrence) = frame.column(crate::schema::OCCURRENCE) else {
            return Ok(frame);
        };
        let columns = self.columns.as_ref().ok_or_else(
            || polars_err!(ComputeError: "rows wait for late fields that no adapter gave"),
        )?;
        let settled = columns.take(occurrence.idx()?)?;
        let mut frame = frame.drop(crate::schema::OCCURRENCE)?;
        for c in settled.columns() {
            frame.with_column(c.clone())?;
        }
        Ok(frame)
    }
}

impl Sink {
    /// Append a frame of canonical alerts, keeping input order.
    pub fn push_alert_frame(&mut self, frame: DataFrame) -> polars::prelude::PolarsResult<()> {
        if !self.alerts.is_empty() {
            let done = std::mem::take(&mut self.alerts).finish()?;
            self.alert_frames.push(done);
        }
        self.alert_frames.push(frame);
        Ok(())
    }

    /// Rows held in finished frames.
    fn frame_rows(&self) -> usize {
        self.alert_frames.iter().map(DataFrame::height).sum()
    }

    /// Take the finished frames (and, with `all`, the rows still being
    /// built), in input order.
    fn drain(&mut self, all: bool) -> polars::prelude::PolarsResult<Vec<DataFrame>> {
        if all && !self.alerts.is_empty() {
            let done = std::mem::take(&mut self.alerts).finish()?;
            self.alert_frames.push(done);
        }
        Ok(std::mem::take(&mut self.alert_frames))
    }
}

/// What a parallel adapter makes of one record.
pub enum Parsed {
    /// An alert; the flag counts something the adapter notes about it.
    Alert(AlertRecord, bool),
    /// An incident.
    Incident(IncidentRecord),
    /// The shifts of one schedule record (an Opsgenie timeline holds many).
    Shifts(Vec<ShiftRecord>),
    /// A record deliberately left out (counted, noted by the adapter).
    Skipped,
}

/// Counts a parallel read returns to its adapter.
#[derive(Debug, Default, Clone, Copy)]
pub struct ParsedCounts {
    /// Alerts whose flag was set.
    pub flagged: u64,
    /// Records skipped.
    pub skipped: u64,
    /// CSV rows that repeat the header (exports appended to one file).
    pub headers: u64,
}

/// One batch parsed on a worker thread: alert rows already columnar.
struct ParsedChunk {
    rows: u64,
    /// The chunk's alert rows; an error if their columns could not be
    /// built (the whole read then fails: rows are never dropped unsaid).
    alerts: Option<Result<DataFrame, String>>,
    incidents: Vec<IncidentRecord>,
    shifts: Vec<ShiftRecord>,
    /// (record number or index in the chunk, line, reason, raw)
    rejects: Vec<(u64, Option<u64>, String, String)>,
    counts: ParsedCounts,
}

impl ParsedChunk {
    fn new() -> Self {
        ParsedChunk {
            rows: 0,
            alerts: None,
            incidents: Vec::new(),
            shifts: Vec::new(),
            rejects: Vec::new(),
            counts: ParsedCounts::default(),
        }
    }
}

/// Builds a [`ParsedChunk`] on a worker thread.
struct ChunkBuilder<'a> {
    config: &'a Config,
    source: &'static str,
    columns: AlertColumns,
    chunk: ParsedChunk,
}

impl<'a> ChunkBuilder<'a> {
    fn new(config: &'a Config, source: &'static str) -> Self {
        ChunkBuilder {
            config,
            source,
            columns: AlertColumns::default(),
            chunk: ParsedChunk::new(),
        }
    }

    fn add(
        &mut self,
        id: u64,
        line: Option<u64>,
        raw: impl FnOnce() -> String,
        parsed: Result<Parsed, String>,
    ) {
        self.chunk.rows += 1;
        match parsed {
            Ok(Parsed::Alert(mut r, flag)) => {
                resolve_team(self.config, &mut r.team, r.service.as_deref());
                self.columns.push(self.source, &r);
                self.chunk.counts.flagged += u64::from(flag);
            }
            Ok(Parsed::Incident(mut r)) => {
                resolve_team(self.config, &mut r.team, r.service.as_deref());
                self.chunk.incidents.push(r);
            }
            Ok(Parsed::Shifts(shifts)) => {
                for mut r in shifts {
                    resolve_shift_team(self.config, &mut r);
                    self.chunk.shifts.push(r);
                }
            }
            Ok(Parsed::Skipped) => self.chunk.counts.skipped += 1,
            Err(reason) => self.chunk.rejects.push((id, line, reason, raw())),
        }
    }

    /// A CSV row that repeats the header: counted, not read.
    fn header_again(&mut self) {
        self.chunk.rows += 1;
        self.chunk.counts.headers += 1;
    }

    fn finish(self) -> ParsedChunk {
        let mut chunk = self.chunk;
        if !self.columns.is_empty() {
            // A frame that cannot be built fails the read in the consumer.
            chunk.alerts = Some(self.columns.finish().map_err(|e| e.to_string()));
        }
        chunk
    }
}

/// The config's team for a vendor team (aliases), else the service's owner.
pub fn resolve_team(config: &Config, team: &mut Option<String>, service: Option<&str>) {
    let resolved = team_of(config, team.as_deref(), service);
    // Kept as it is (no copy) when it is already the configured name.
    if resolved != team.as_deref() {
        let resolved = resolved.map(str::to_string);
        *team = resolved;
    }
}

/// A shift's team: the export's (through the config's aliases), else the
/// configured team that lists its schedule or policy (`[teams.X]
/// schedules`); else left for the run to settle by name
/// ([`ShiftRecord::team`]).
pub fn resolve_shift_team(config: &Config, r: &mut ShiftRecord) {
    let team = match r.team.as_deref() {
        Some(t) => Some(config.resolve_team_ref(t)),
        None => config.team_of_schedule(r.schedule.as_deref(), r.policy.as_deref()),
    };
    if team != r.team.as_deref() {
        r.team = team.map(str::to_string);
    }
}

/// [`resolve_team`], borrowed: the configured team a vendor's team (or,
/// without one, the service) belongs to.
pub fn team_of<'a>(
    config: &'a Config,
    team: Option<&'a str>,
    service: Option<&str>,
) -> Option<&'a str> {
    match team {
        Some(t) => Some(config.resolve_team_ref(t)),
        None => service.and_then(|s| config.team_of_service(s)),
    }
}

/// Options of one ingest.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// A generic mapping file, for inputs no built-in format claims.
    pub mapping: Option<PathBuf>,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

/// Everything one adapter needs while reading one file.
pub struct Ctx<'a> {
    /// The input path.
    pub path: &'a Path,
    /// The format being read.
    pub format: Format,
    /// The configuration.
    pub config: &'a Config,
    /// The options of this ingest.
    pub options: &'a IngestOptions,
    /// Where records go.
    pub sink: &'a mut Sink,
    /// Counters for this input.
    pub report: InputReport,
    progress: ProgressBar,
    /// Where finished alert frames go (the store's spool).
    on_alerts: &'a mut dyn AlertSink,
    /// The first failure of `on_alerts`.
    failed: Option<String>,
    /// Set when a text reader of this input decoded Windows-1252.
    cp1252: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Set when the input was UTF-16.
    utf16: std::sync::atomic::AtomicBool,
    /// With `Some`, the recent alert ids of this input, to count the
    /// records that repeat one ([`Ctx::track_repeats`]).
    ids: Option<RecentIds>,
    /// Alert records that repeated an id already read from this input.
    repeats: u64,
}

impl Ctx<'_> {
    /// Open the input for reading, wired to the progress bar. A file that
    /// starts with a UTF-16 byte order mark is read as UTF-8 (noted); a
    /// UTF-8 byte order mark is dropped.
    pub fn open(&self) -> Result<Box<dyn BufRead + Send>, IngestError> {
        let mut f = File::open(self.path).map_err(|source| self.io(source))?;
        let mut mark = [0u8; 3];
        let n = read_up_to(&mut f, &mut mark).map_err(|source| self.io(source))?;
        if let Some(big_endian) = decode::utf16_mark(&mark[..n]) {
            self.utf16.store(true, std::sync::atomic::Ordering::Relaxed);
            let rest = std::io::Cursor::new(mark[2..n].to_vec());
            return Ok(Box::new(decode::Utf16::utf16(
                rest.chain(self.progress.wrap_read(f)),
                big_endian,
            )));
        }
        // A UTF-8 byte order mark is not part of the first line or record.
        let kept = if mark[..n] == *b"\xEF\xBB\xBF" { 0 } else { n };
        let f = std::io::Cursor::new(mark[..kept].to_vec()).chain(self.progress.wrap_read(f));
        Ok(Box::new(BufReader::with_capacity(256 * 1024, f)))
    }

    /// Open the input as text (CSV): UTF-8 as it is, a byte order mark
    /// dropped, else decoded from Windows-1252 (noted in the input's
    /// report when the reading is done).
    pub fn open_text(&self) -> Result<Box<dyn BufRead + Send>, IngestError> {
        Ok(Box::new(decode::Decoding::with_flag(
            self.open()?,
            std::sync::Arc::clone(&self.cp1252),
        )))
    }

    /// Count the alert records (of parallel reads) that repeat an id read
    /// shortly before in this input ([`RecentIds`]): the store keeps one
    /// copy of each (the latest update), and [`Ctx::repeats`] says how many.
    /// For exports whose pages can overlap (Opsgenie's offset paging).
    pub fn track_repeats(&mut self) {
        self.ids = Some(Default::default());
    }

    /// Records that repeated an id, since [`Ctx::track_repeats`].
    pub fn repeats(&self) -> u64 {
        self.repeats
    }

    /// The whole input as text (formats read as whole JSON documents; see
    /// [`Ctx::open`] for encodings).
    pub fn read_text(&self) -> Result<String, IngestError> {
        let mut text = String::new();
        self.open()?
            .read_to_string(&mut text)
            .map_err(|e| self.io(e))?;
        Ok(text)
    }

    /// The input's file name without its extension (a schedule export
    /// that does not name its schedule is named after its file).
    pub fn file_stem(&self) -> Option<String> {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
    }

    /// An I/O error on this input.
    pub fn io(&self, source: std::io::Error) -> IngestError {
        IngestError::Io {
            path: self.path.to_path_buf(),
            source,
        }
    }

    /// A whole-file error on this input.
    pub fn malformed(&self, message: impl Into<String>) -> IngestError {
        IngestError::Malformed {
            path: self.path.to_path_buf(),
            format: self.format.name(),
            message: message.into(),
        }
    }

    /// Record a rejected record.
    pub fn reject(&mut self, record: u64, line: Option<u64>, reason: impl Into<String>, raw: &str) {
        const CAP: usize = 64 * 1024;
        let raw = if raw.len() > CAP {
            let mut end = CAP;
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…[cut]", &raw[..end])
        } else {
            raw.to_string()
        };
        self.report.rejected += 1;
        self.sink.rejects.push(Reject {
            input: self.path.display().to_string(),
            record,
            line,
            reason: reason.into(),
            raw,
        });
    }

    /// Close a JSON read: a truncated file keeps the records before the
    /// cut and the cut is one reject; JSON that breaks the grammar (where
    /// the file is not line-delimited, so nothing after the fault can be
    /// trusted) is an error that names the line and column.
    pub fn finish_json(&mut self, result: Result<u64, json::JsonStop>) -> Result<(), IngestError> {
        match result {
            Ok(n) => {
                self.report.records = n;
                Ok(())
            }
            Err(stop) if stop.truncated && stop.records > 0 => {
                self.report.records = stop.records + 1;
                self.reject(stop.records + 1, Some(stop.line), stop.reason(), "");
                Ok(())
            }
            Err(stop) => Err(self.malformed(format!(
                "{}{}{}",
                if stop.truncated { "invalid JSON: " } else { "" },
                stop.message,
                if stop.records > 0 {
                    format!(" (after {} record(s))", stop.records)
                } else {
                    String::new()
                }
            ))),
        }
    }

    /// Reject a JSON record: `reason` (why the adapter refused it), or
    /// where a syntax error lies in the file when the text is not JSON.
    pub fn reject_json(&mut self, at: json::RecordAt, reason: String, raw: &[u8]) {
        let reason = json::explain(raw, at, reason);
        self.reject(at.n, Some(at.line), reason, &String::from_utf8_lossy(raw));
    }

    /// Resolve the team (config aliases, else the owner of the service) and
    /// push an alert; returns its row.
    pub fn push_alert(&mut self, mut r: AlertRecord) -> usize {
        self.resolve_team(&mut r.team, r.service.as_deref());
        self.report.alerts += 1;
        self.sink.alerts.push(self.format.source(), &r)
    }

    /// Push an alert whose row the adapter will not touch again, and hand
    /// the rows built so far to the store's spool once there are enough of
    /// them, so memory does not grow with the file (for adapters that map
    /// records on worker threads and push them here in order).
    pub fn push_alert_streamed(&mut self, r: AlertRecord) {
        self.push_alert(r);
        if self.sink.alerts.len() >= FLUSH_ROWS {
            match std::mem::take(&mut self.sink.alerts).finish() {
                Ok(frame) => {
                    if let Err(e) = self.sink.push_alert_frame(frame) {
                        self.failed.get_or_insert(e.to_string());
                    }
                    self.flush(false);
                }
                Err(e) => {
                    self.failed
                        .get_or_insert(format!("building alert rows: {e}"));
                }
            }
        }
    }

    /// Push an alert under an explicit source name (generic mappings).
    pub fn push_alert_as(&mut self, source: &str, mut r: AlertRecord) -> usize {
        self.resolve_team(&mut r.team, r.service.as_deref());
        self.report.alerts += 1;
        self.sink.alerts.push(source, &r)
    }

    /// Resolve the team and push an incident.
    pub fn push_incident(&mut self, r: IncidentRecord) {
        let source = self.format.source();
        self.push_incident_as(source, r);
    }

    /// Push an incident under an explicit source name (generic mappings).
    pub fn push_incident_as(&mut self, source: &str, mut r: IncidentRecord) {
        self.resolve_team(&mut r.team, r.service.as_deref());
        self.report.incidents += 1;
        self.sink.incidents.push(source, &r);
    }

    /// Resolve the team and push a schedule shift.
    pub fn push_shift(&mut self, mut r: ShiftRecord) {
        resolve_shift_team(self.config, &mut r);
        self.report.shifts += 1;
        self.sink.shifts.push((self.format.source(), r));
    }

    fn resolve_team(&self, team: &mut Option<String>, service: Option<&str>) {
        resolve_team(self.config, team, service);
    }

    /// Hand finished alert frames to `on_alerts` (with `all`, the rows being
    /// built too).
    fn flush(&mut self, all: bool) {
        match self.sink.drain(all) {
            Ok(frames) => {
                for f in frames {
                    // Hand big frames over in slices (zero-copy), so what
                    // the receiver copies stays small.
                    let mut offset = 0;
                    while offset < f.height() {
                        let part = f.slice(offset as i64, FLUSH_ROWS);
                        offset += FLUSH_ROWS;
                        if let Err(e) = self.on_alerts.add(part) {
                            self.failed.get_or_insert(e);
                        }
                    }
                }
            }
            Err(e) => {
                self.failed.get_or_insert(e.to_string());
            }
        }
    }

    /// Push a frame of finished canonical alert rows (teams resolved), in
    /// input order, handing them to the store's spool once there are
    /// enough of them.
    pub fn push_alert_frame_streamed(&mut self, frame: DataFrame) {
        self.report.alerts += frame.height() as u64;
        if let Some(recent) = &mut self.ids {
            if let Ok(ids) = frame.column(crate::schema::ALERT_ID).and_then(|c| c.str()) {
                for id in ids.iter().flatten() {
                    self.repeats += u64::from(recent.repeats(id));
                }
            }
        }
        if let Err(e) = self.sink.push_alert_frame(frame) {
            self.failed.get_or_insert(e.to_string());
        }
        if self.sink.frame_rows() >= FLUSH_ROWS {
            self.flush(false);
        }
    }

    /// Remember where this input's alert rows stand, to forget every row
    /// pushed after it with [`Ctx::rollback`] (an adapter whose fast pass
    /// finds it must read the file again another way).
    pub fn mark(&mut self) -> Mark {
        self.flush(true);
        match self.on_alerts.mark() {
            Ok(sink) => Mark {
                sink,
                alerts: self.report.alerts,
                repeats: self.repeats,
            },
            Err(e) => {
                self.failed.get_or_insert(e);
                Mark::default()
            }
        }
    }

    /// Forget every alert row pushed since `mark` (and the recent ids kept
    /// for [`Ctx::track_repeats`]).
    pub fn rollback(&mut self, mark: Mark) {
        self.sink.alerts = AlertColumns::default();
        self.sink.alert_frames.clear();
        if let Err(e) = self.on_alerts.rollback(mark.sink) {
            self.failed.get_or_insert(e);
        }
        self.report.alerts = mark.alerts;
        self.repeats = mark.repeats;
        if self.ids.is_some() {
            self.ids = Some(RecentIds::default());
        }
    }

    /// Take in a chunk parsed on a worker; `base` is added to the chunk's
    /// reject ids (0 when they are record numbers already).
    fn accept_chunk(&mut self, chunk: ParsedChunk, base: u64) -> ParsedCounts {
        let frame = match chunk.alerts {
            Some(Ok(frame)) => Some(frame),
            Some(Err(e)) => {
                self.failed
                    .get_or_insert(format!("building a chunk's alert rows: {e}"));
                None
            }
            None => None,
        };
        if let Some(frame) = frame {
            self.push_alert_frame_streamed(frame);
        }
        for r in chunk.incidents {
            self.report.incidents += 1;
            self.sink.incidents.push(self.format.source(), &r);
        }
        for r in chunk.shifts {
            self.report.shifts += 1;
            self.sink.shifts.push((self.format.source(), r));
        }
        for (id, line, reason, raw) in chunk.rejects {
            self.reject(base + id, line, reason, &raw);
        }
        chunk.counts
    }

    /// The configured zone for naive timestamps of this source, or the error
    /// that says how to set it.
    pub fn naive_zone(&self, example: &str) -> Result<chrono_tz::Tz, IngestError> {
        let source = self.format.source();
        self.config
            .source_timezone(source)
            .ok_or_else(|| IngestError::NoTimezone {
                path: self.path.to_path_buf(),
                format: self.format.name(),
                source_name: source.to_string(),
                example: example.to_string(),
            })
    }
}

/// What a file that is no export is, where it is one of the files teams
/// keep next to their exports: a Prometheus rule file or an Alertmanager
/// configuration (YAML; as `alertsift demo` writes them too).
pub fn not_an_export(path: &Path) -> Option<&'static str> {
    let yaml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"));
    if !yaml {
        return None;
    }
    let mut head = vec![0u8; 64 << 10];
    let n = File::open(path).and_then(|mut f| f.read(&mut head)).ok()?;
    let text = String::from_utf8_lossy(&head[..n]);
    let key = |k: &str| {
        text.lines()
            .any(|l| l.trim_start().trim_start_matches("- ").starts_with(k))
    };
    if key("groups:") && key("alert:") && key("expr:") {
        Some("a Prometheus rule file: it says which alerts exist, not when they fired (`run --rules` reads its runbook annotations)")
    } else if key("route:") && key("receivers:") {
        Some("an Alertmanager configuration: it says where alerts go, not when they fired")
    } else {
        None
    }
}

/// The reading thread of a parallel JSON read: the input's records (and
/// bad lines) in batches of `size` for `emit`; any other event of the
/// reading layer (a page's meta value, a page's end) to `other`.
pub fn split_json(
    reader: impl Read,
    envelope_keys: &[&str],
    meta_keys: &[&str],
    size: usize,
    emit: &mut dyn FnMut(json::RawBatch),
    other: &mut dyn FnMut(json::JsonEvent<'_>),
) -> Result<u64, json::JsonStop> {
    let mut batch = json::RawBatch::default();
    let r = json::read_records(reader, envelope_keys, meta_keys, &mut |ev| {
        match ev {
            json::JsonEvent::Record(at, raw) => batch.push(at, raw),
            json::JsonEvent::Bad(at, why, raw) => batch.push_bad(at, Some(why), raw),
            ev => return other(ev),
        }
        if batch.len() == size {
            let next = batch.empty_like();
            emit(std::mem::replace(&mut batch, next));
        }
    });
    if !batch.is_empty() {
        emit(batch);
    }
    r
}

/// Read a JSON export whose records parse on their own: records are split
/// on one thread, parsed by `parse` and turned into columns on worker
/// threads, and appended here in file order. A record `parse` refuses is a
/// reject.
pub fn json_records_parallel(
    ctx: &mut Ctx<'_>,
    envelope_keys: &[&str],
    parse: impl Fn(&str) -> Result<Parsed, String> + Sync,
) -> Result<ParsedCounts, IngestError> {
    let reader = ctx.open()?;
    let config = ctx.config;
    let source = ctx.format.source();
    let mut counts = ParsedCounts::default();
    let result = parallel::pipeline(
        |emit| {
            split_json(
                reader,
                envelope_keys,
                &[],
                parallel::BATCH,
                emit,
                &mut |_| {},
            )
        },
        |batch: json::RawBatch| {
            let mut b = ChunkBuilder::new(config, source);
            for (at, bad, raw) in batch.iter() {
                // Validate UTF-8 once per record, so the parser need not
                // check every string again.
                let parsed = match (bad, simdutf8::basic::from_utf8(raw)) {
                    (Some(why), _) => Err(why.to_string()),
                    (None, Ok(text)) => parse(text).map_err(|why| json::explain(raw, at, why)),
                    (None, Err(_)) => Err(match std::str::from_utf8(raw) {
                        Err(e) => format!("record is not valid UTF-8: {e}"),
                        Ok(_) => "record is not valid UTF-8".to_string(),
                    }),
                };
                b.add(
                    at.n,
                    Some(at.line),
                    || String::from_utf8_lossy(raw).into_owned(),
                    parsed,
                );
            }
            b.finish()
        },
        |chunk| {
            let c = ctx.accept_chunk(chunk, 0);
            counts.flagged += c.flagged;
            counts.skipped += c.skipped;
        },
    );
    ctx.finish_json(result)?;
    Ok(counts)
}

/// Read into `buf` until it is full or the input ends; how many bytes.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The result of ingesting a set of inputs.
pub struct Batch {
    /// Canonical alerts (not yet de-duplicated).
    pub alerts: DataFrame,
    /// Canonical incidents (not yet de-duplicated).
    pub incidents: DataFrame,
    /// Schedule shifts (not yet de-duplicated).
    pub shifts: DataFrame,
    /// Records that could not be ingested.
    pub rejects: Vec<Reject>,
    /// Per-input counts, in input order.
    pub inputs: Vec<InputReport>,
    /// Fields of alert rows handed on before their file was read to the
    /// end; whoever holds those rows settles them with it.
    pub late: LateFields,
}

/// Decide the format of one input.
pub fn detect(path: &Path, has_mapping: bool) -> Result<Format, IngestError> {
    let meta = std::fs::metadata(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return Err(IngestError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("is a directory, not an export file"),
        });
    }
    let head = Head::read(path, has_mapping)?;
    if head.is_blank() && head.extension != "parquet" {
        return Err(IngestError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut best: Option<(u8, Format)> = None;
    for &f in Format::ALL {
        let score = f.sniff(&head);
        if score > 0 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, f));
        }
    }
    best.map(|(_, f)| f)
        .ok_or_else(|| IngestError::UnknownFormat {
            path: path.to_path_buf(),
            tried: Format::ALL
                .iter()
                .filter(|f| has_mapping || !f.0.needs_mapping)
                .map(|f| f.name())
                .collect(),
            first_line: head.first_line.chars().take(120).collect(),
        })
}

/// Ingest every input. Fails on the first whole-file problem, before anything
/// is written anywhere; record-level problems become rejects.
pub fn ingest(
    inputs: &[Input],
    config: &Config,
    options: &IngestOptions,
) -> Result<Batch, IngestError> {
    let mut frames: Vec<DataFrame> = Vec::new();
    let mut batch = ingest_with(inputs, config, options, &mut frames)?;
    let mut frames = frames.into_iter().map(|f| batch.late.settle(f));
    if let Some(all) = frames.next() {
        let mut all = all?;
        for f in frames {
            all.vstack_mut_owned(f?)?;
        }
        all.rechunk_mut();
        batch.alerts = all;
    }
    Ok(batch)
}

/// Rows of finished alert frames held before they are handed on.
pub(crate) const FLUSH_ROWS: usize = 65_536;

/// Where ingest hands canonical alert rows, in input order: the store's
/// spool, or a list of frames.
pub trait AlertSink {
    /// Take rows.
    fn add(&mut self, rows: DataFrame) -> Result<(), String>;
    /// A mark of the rows taken so far, for [`AlertSink::rollback`].
    fn mark(&mut self) -> Result<usize, String>;
    /// Forget every row taken since `mark` returned `to`.
    fn rollback(&mut self, to: usize) -> Result<(), String>;
}

impl AlertSink for Vec<DataFrame> {
    fn add(&mut self, rows: DataFrame) -> Result<(), String> {
        self.push(rows);
        Ok(())
    }

    fn mark(&mut self) -> Result<usize, String> {
        Ok(self.len())
    }

    fn rollback(&mut self, to: usize) -> Result<(), String> {
        self.truncate(to);
        Ok(())
    }
}

/// Where an input's alert rows stood ([`Ctx::mark`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct Mark {
    sink: usize,
    alerts: u64,
    repeats: u64,
}

/// Ingest every input, handing canonical alert rows to `on_alerts` in input
/// order as they are read (the returned batch's `alerts` is then empty), so
/// memory does not grow with the export. Fails on the first whole-file
/// problem; record-level problems become rejects.
pub fn ingest_with(
    inputs: &[Input],
    config: &Config,
    options: &IngestOptions,
    on_alerts: &mut dyn AlertSink,
) -> Result<Batch, IngestError> {
    // Resolve every format first, so an unknown file fails before any work.
    let mut planned: Vec<(usize, PathBuf, Format)> = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        let format = match input.format {
            Some(f) => {
                let meta = std::fs::metadata(&input.path).map_err(|source| IngestError::Io {
                    path: input.path.clone(),
                    source,
                })?;
                if meta.len() == 0 {
                    return Err(IngestError::Empty {
                        path: input.path.clone(),
                    });
                }
                f
            }
            None => detect(&input.path, options.mapping.is_some())?,
        };
        planned.push((index, input.path.clone(), format));
    }
    // Formats that feed others (log entries: the REST incidents read them)
    // are read first.
    planned.sort_by_key(|(_, _, f)| !f.feeds_others());

    let mut sink = Sink::default();
    let mut reports: BTreeMap<usize, InputReport> = BTreeMap::new();
    for (index, path, format) in &planned {
        let first_reject = sink.rejects.len();
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let progress = if options.progress {
            progress_bar(size, path)
        } else {
            ProgressBar::hidden()
        };
        let mut ctx = Ctx {
            path,
            format: *format,
            config,
            options,
            sink: &mut sink,
            report: InputReport {
                path: path.display().to_string(),
                format: format.name().to_string(),
                ..InputReport::default()
            },
            progress: progress.clone(),
            on_alerts: &mut *on_alerts,
            failed: None,
            cp1252: Default::default(),
            utf16: Default::default(),
            ids: None,
            repeats: 0,
        };
        let started = std::time::Instant::now();
        format.read(&mut ctx)?;
        if ctx.utf16.load(std::sync::atomic::Ordering::Relaxed) {
            ctx.report
                .notes
                .push("UTF-16 (as Windows PowerShell writes): read as UTF-8".to_string());
        }
        if ctx.cp1252.load(std::sync::atomic::Ordering::Relaxed) {
            ctx.report.notes.push(
                "not valid UTF-8: read as Windows-1252 (the encoding spreadsheets and older help desks save CSV in)"
                    .to_string(),
            );
        }
        ctx.flush(true);
        if let Some(message) = ctx.failed.take() {
            return Err(IngestError::Spool { message });
        }
        progress.finish_and_clear();
        crate::core::timing::since(&format!("read {}", path.display()), started);
        let mut report = ctx.report;
        check_yield(&mut report, path, *format, &sink.rejects[first_reject..])?;
        reports.insert(*index, report);
    }
    let unmatched = sink.pd_log.unmatched_incidents();
    if unmatched > 0 {
        if let Some(r) = reports
            .values_mut()
            .find(|r| r.format == pagerduty_log_entries::VENDOR.name)
        {
            r.notes.push(format!(
                "log entries of {unmatched} incident(s) matched no incident in the REST inputs"
            ));
        }
    }
    let records: u64 = reports.values().map(|r| r.records).sum();
    let yielded: u64 = reports
        .values()
        .map(|r| r.alerts + r.incidents + r.shifts)
        .sum();
    if !reports.is_empty() && yielded == 0 {
        return Err(IngestError::NothingRead {
            records,
            detail: reports
                .values()
                .map(|r| {
                    let feeds = Format::named(&r.format).is_some_and(Format::feeds_others);
                    format!(
                        "{} ({}): {} record(s), {} rejected{}",
                        r.path,
                        r.format,
                        r.records,
                        r.rejected,
                        if feeds {
                            ", and it only completes the records of another export (give that export in the same run)"
                        } else {
                            ""
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    let Sink {
        incidents,
        shifts,
        rejects,
        late,
        ..
    } = sink;
    let alerts = DataFrame::empty_with_schema(&crate::schema::alerts_schema());
    Ok(Batch {
        alerts,
        incidents: incidents.finish()?,
        shifts: record::shifts_frame(&shifts)?,
        rejects,
        inputs: reports.into_values().collect(),
        late,
    })
}

/// No silent loss: a file whose every record was rejected is an error that
/// says why (the three most common reasons, each with a line); one where
/// more than half were rejected gets a warning in its notes.
fn check_yield(
    report: &mut InputReport,
    path: &Path,
    format: Format,
    rejects: &[Reject],
) -> Result<(), IngestError> {
    let rejected = report.rejected;
    if report.records == 0 {
        report
            .notes
            .push("warning: the file holds no records (an empty page or export)".to_string());
    }
    if rejected == 0 {
        return Ok(());
    }
    let yielded = report.alerts + report.incidents + report.shifts;
    // Log entries yield no rows of their own: they add to the incidents.
    let all = if format.feeds_others() {
        rejected >= report.records
    } else {
        yielded == 0
    };
    if all {
        return Err(IngestError::AllRejected {
            path: path.to_path_buf(),
            format: format.name(),
            count: rejected,
            reasons: common_reasons(rejects, 3),
        });
    }
    if rejected * 2 > report.records.max(yielded) {
        report.notes.push(format!(
            "warning: more than half of the records were rejected ({rejected} of {}); {}",
            report.records,
            common_reasons(rejects, 3)
        ));
    }
    Ok(())
}

/// The `most` most common reject reasons (alike but for numbers and quoted
/// values), with counts and the line of the first of each.
pub fn common_reasons(rejects: &[Reject], most: usize) -> String {
    fn shape(reason: &str) -> String {
        let mut out = String::with_capacity(reason.len());
        let mut quoted = false;
        for c in reason.chars() {
            match c {
                '"' => {
                    quoted = !quoted;
                    if quoted {
                        out.push_str("\"…\"");
                    }
                }
                _ if quoted => {}
                c if c.is_ascii_digit() => {
                    if !out.ends_with('N') {
                        out.push('N');
                    }
                }
                c => out.push(c),
            }
        }
        out
    }
    let mut groups: Vec<(String, u64, &Reject)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for r in rejects {
        let key = shape(&r.reason);
        match index.get(&key) {
            Some(&i) => groups[i].1 += 1,
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key, 1, r));
            }
        }
    }
    // Most common first; ties in file order.
    groups.sort_by_key(|g| std::cmp::Reverse(g.1));
    let shown: Vec<String> = groups
        .iter()
        .take(most)
        .map(|(_, n, r)| {
            let at = match r.line {
                Some(l) => format!("line {l}"),
                None => format!("record {}", r.record),
            };
            format!("{n}× {} ({at})", r.reason)
        })
        .collect();
    format!("the most common reasons: {}", shown.join("; "))
}

fn progress_bar(size: u64, path: &Path) -> ProgressBar {
    let bar = ProgressBar::new(size);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(
        path.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_ids_find_repeats_within_the_window() {
        let mut recent = RecentIds::default();
        assert!(!recent.repeats("a"));
        assert!(recent.repeats("a"));
        assert!(!recent.repeats("b"));
        // WINDOW other ids later, "a" has left the window ("b" with it).
        for i in 0..RecentIds::WINDOW {
            assert!(!recent.repeats(&format!("x{i}")));
        }
        assert!(!recent.repeats("a"));
        assert!(recent.repeats(&format!("x{}", RecentIds::WINDOW - 1)));
    }

    fn reject(reason: &str, line: u64) -> Reject {
        Reject {
            input: "f".into(),
            record: line,
            line: Some(line),
            reason: reason.into(),
            raw: String::new(),
        }
    }

    #[test]
    fn common_reasons_group_alike_reasons_most_first() {
        let rejects = [
            reject("createdAt: invalid timestamp \"x\"", 3),
            reject("missing field `id`", 4),
            reject("createdAt: invalid timestamp \"y\"", 7),
            reject("row has 3 fields, the header has 5", 9),
            reject("row has 4 fields, the header has 5", 12),
            reject("createdAt: invalid timestamp \"z\"", 15),
        ];
        // Three timestamps (alike but for the quoted value), two row widths
        // (alike but for the numbers), one missing id: the two most common
        // shown, each with the line of its first.
        assert_eq!(
            common_reasons(&rejects, 2),
            "the most common reasons: 3× createdAt: invalid timestamp \"x\" (line 3); \
             2× row has 3 fields, the header has 5 (line 9)"
        );
    }
}
