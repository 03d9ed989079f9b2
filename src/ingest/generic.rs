//! Any other tool's export — CSV, JSON lines or Parquet — described by a
//! small TOML mapping given with `--mapping FILE`:
//!
//! ```toml
//! source = "nagios"                 # the `source` column value (required)
//! kind = "alerts"                   # or "incidents"; default "alerts"
//! format = "csv"                    # csv | jsonl | parquet; default: file extension
//! timestamp_format = "%Y-%m-%d %H:%M:%S"   # chrono strftime, or "epoch_s" / "epoch_ms";
//!                                   # default: RFC 3339 / ISO 8601
//! timezone = "UTC"                  # zone of timestamps that carry none
//! true_values = ["true", "1", "yes", "y"]  # cells meaning yes (paged, auto_resolved)
//! list_separator = ";"              # between names in `responders`
//!
//! [columns]                         # canonical column = source column
//! alert_id = "id"
//! title = "message"
//! triggered_at = "opened"
//! resolved_at = "closed"
//! ```
//!
//! Alerts need `alert_id` and `triggered_at`; incidents `incident_id` and
//! `started_at`. `severity` is normalised like every vendor's; `labels` names
//! a column of `k=v` pairs separated by `list_separator`. A mapped column
//! missing from the file is an error naming it; a row whose cells cannot be
//! read is a reject.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use chrono_tz::Tz;
use serde::Deserialize;

use super::csvutil::{self, RowError};
use super::time::{parse_instant_or_local, parse_naive, NAIVE_ISO};
use super::{AlertRecord, Ctx, Head, IncidentRecord, IngestError};
use crate::config::parse_tz;
use crate::schema::{self as s, normalise_severity};

/// The mapping file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The `source` column value.
    pub source: String,
    /// `alerts` or `incidents`.
    #[serde(default = "default_kind")]
    pub kind: String,
    /// `csv`, `jsonl` or `parquet`.
    #[serde(default)]
    pub format: Option<String>,
    /// strftime layout, `epoch_s` or `epoch_ms`.
    #[serde(default)]
    pub timestamp_format: Option<String>,
    /// Zone of naive timestamps.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Cells that mean yes.
    #[serde(default = "default_true")]
    pub true_values: Vec<String>,
    /// Separator inside list cells.
    #[serde(default = "default_sep")]
    pub list_separator: String,
    /// Canonical column → source column.
    pub columns: BTreeMap<String, String>,
}

fn default_kind() -> String {
    "alerts".into()
}
fn default_true() -> Vec<String> {
    ["true", "1", "yes", "y"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}
fn default_sep() -> String {
    ";".into()
}

const ALERT_TARGETS: &[&str] = &[
    s::ALERT_ID,
    s::DEDUP_KEY,
    s::TITLE,
    s::SERVICE,
    s::TEAM,
    s::SEVERITY,
    s::URGENCY,
    s::PAGED,
    s::TRIGGERED_AT,
    s::ACKNOWLEDGED_AT,
    s::RESOLVED_AT,
    s::ACKNOWLEDGED_BY,
    s::RESOLVED_BY,
    s::AUTO_RESOLVED,
    s::ESCALATIONS,
    s::NOTES,
    s::REPEAT_COUNT,
    s::RESPONDERS,
    s::LABELS,
    s::RUNBOOK,
    s::UPDATED_AT,
];

const INCIDENT_TARGETS: &[&str] = &[
    s::INCIDENT_ID,
    s::TITLE,
    s::SEVERITY,
    s::SERVICE,
    s::TEAM,
    s::STATUS,
    s::CATEGORY,
    s::STARTED_AT,
    s::RESOLVED_AT,
    s::UPDATED_AT,
];

impl Mapping {
    /// Read and check a mapping file.
    pub fn load(path: &Path) -> Result<Mapping, IngestError> {
        let bad = |message: String| IngestError::Mapping {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let m: Mapping = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let (targets, required): (&[&str], [&str; 2]) = match m.kind.as_str() {
            "alerts" => (ALERT_TARGETS, [s::ALERT_ID, s::TRIGGERED_AT]),
            "incidents" => (INCIDENT_TARGETS, [s::INCIDENT_ID, s::STARTED_AT]),
            other => {
                return Err(bad(format!(
                    "kind must be \"alerts\" or \"incidents\", not {other:?}"
                )))
            }
        };
        for k in m.columns.keys() {
            if !targets.contains(&k.as_str()) {
                return Err(bad(format!(
                    "[columns] {k:?} is not a canonical {} column (expected one of: {})",
                    m.kind,
                    targets.join(", ")
                )));
            }
        }
        for r in required {
            if !m.columns.contains_key(r) {
                return Err(bad(format!(
                    "[columns] must map {r:?} for kind {:?}",
                    m.kind
                )));
            }
        }
        if let Some(f) = &m.format {
            if !["csv", "jsonl", "parquet"].contains(&f.as_str()) {
                return Err(bad(format!(
                    "format must be csv, jsonl or parquet, not {f:?}"
                )));
            }
        }
        if let Some(tz) = &m.timezone {
            parse_tz(tz).map_err(bad)?;
        }
        Ok(m)
    }
}

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor {
    needs_mapping: true,
    ..super::Vendor::new(
        "generic",
        "generic",
        "Any CSV, JSON lines or Parquet file described by a --mapping TOML",
        sniff,
        read,
    )
};

/// Generic claims anything readable, but only when a mapping was given, and
/// with the lowest score so a built-in format always wins.
pub fn sniff(head: &Head) -> u8 {
    u8::from(head.has_mapping)
}

/// One row as cells by source column.
type Row = BTreeMap<String, String>;

/// Read the file with the mapping.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let Some(mapping_path) = ctx.options.mapping.clone() else {
        return Err(ctx.malformed("the generic format needs --mapping FILE"));
    };
    let m = Mapping::load(&mapping_path)?;
    let tz = m
        .timezone
        .as_deref()
        .map(parse_tz)
        .transpose()
        .ok()
        .flatten();
    let ext = ctx
        .path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let format = m.format.clone().unwrap_or_else(|| match ext.as_str() {
        "jsonl" | "ndjson" | "json" => "jsonl".into(),
        "parquet" | "pq" => "parquet".into(),
        _ => "csv".into(),
    });
    let conv = Converter { m: &m, tz };
    match format.as_str() {
        "csv" => {
            let required: Vec<&str> = m.columns.values().map(String::as_str).collect();
            let mut table = csvutil::open(ctx, &required)?;
            let header = table.header.clone();
            csvutil::for_each_row(ctx, &mut table, |ctx, rec| {
                let row: Row = header
                    .iter()
                    .zip(rec.iter())
                    .map(|(h, v)| (h.clone(), v.to_string()))
                    .collect();
                conv.push(ctx, &row)
            })?;
        }
        "jsonl" => {
            let mut reader = ctx.open()?;
            let mut line = String::new();
            let mut n = 0u64;
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return Err(ctx.io(e)),
                }
                n += 1;
                let text = line.trim();
                if text.is_empty() {
                    continue;
                }
                let outcome =
                    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
                        .map_err(|e| RowError::Reject(format!("not a JSON object: {e}")))
                        .and_then(|obj| {
                            let row: Row = obj
                                .into_iter()
                                .filter(|(_, v)| !v.is_null())
                                .map(|(k, v)| match v {
                                    serde_json::Value::String(s) => (k, s),
                                    other => (k, other.to_string()),
                                })
                                .collect();
                            conv.push(ctx, &row)
                        });
                match outcome {
                    Ok(()) => {}
                    Err(RowError::Reject(reason)) => ctx.reject(n, Some(n), reason, text),
                    Err(RowError::Fatal(e)) => return Err(e),
                }
            }
            ctx.report.records = n;
        }
        _ => read_parquet(ctx, &m, &conv)?,
    }
    Ok(())
}

fn read_parquet(ctx: &mut Ctx<'_>, m: &Mapping, conv: &Converter<'_>) -> Result<(), IngestError> {
    use polars::prelude::*;
    let file = std::fs::File::open(ctx.path).map_err(|e| ctx.io(e))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| ctx.malformed(format!("not a readable Parquet file: {e}")))?;
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let missing: Vec<String> = m
        .columns
        .values()
        .filter(|c| !names.contains(c))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(IngestError::MissingColumns {
            path: ctx.path.to_path_buf(),
            format: "generic",
            missing,
            found: names,
        });
    }
    // Every mapped column as text; instants as RFC 3339 in UTC.
    let mut cols: Vec<(String, StringChunked)> = Vec::new();
    for name in m.columns.values() {
        let col = df.column(name)?.as_materialized_series().clone();
        let text = match col.dtype() {
            DataType::Datetime(_, tz) => {
                // Zone-aware: an instant, written RFC 3339 UTC. Naive: a local
                // time, written without an offset so the mapping's zone applies.
                let naive = tz.is_none();
                let micros = col
                    .cast(&DataType::Datetime(TimeUnit::Microseconds, tz.clone()))?
                    .cast(&DataType::Int64)?;
                let ca = micros.i64()?.clone();
                ca.iter()
                    .map(|v| {
                        v.map(|m| {
                            if naive {
                                chrono::DateTime::from_timestamp_micros(m)
                                    .map(|d| {
                                        d.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string()
                                    })
                                    .unwrap_or_default()
                            } else {
                                super::time::rfc3339_utc(m)
                            }
                        })
                    })
                    .collect::<StringChunked>()
            }
            _ => col.cast(&DataType::String)?.str()?.clone(),
        };
        cols.push((name.clone(), text));
    }
    let height = df.height();
    for i in 0..height {
        let row: Row = cols
            .iter()
            .filter_map(|(n, ca)| ca.get(i).map(|v| (n.clone(), v.to_string())))
            .collect();
        match conv.push(ctx, &row) {
            Ok(()) => {}
            Err(RowError::Reject(reason)) => {
                let raw = serde_json::to_string(&row).unwrap_or_default();
                ctx.reject(i as u64 + 1, None, reason, &raw);
            }
            Err(RowError::Fatal(e)) => return Err(e),
        }
    }
    ctx.report.records = height as u64;
    Ok(())
}

struct Converter<'a> {
    m: &'a Mapping,
    tz: Option<Tz>,
}

impl Converter<'_> {
    fn cell<'r>(&self, row: &'r Row, target: &str) -> Option<&'r str> {
        self.m
            .columns
            .get(target)
            .and_then(|c| row.get(c))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn text(&self, row: &Row, target: &str) -> Option<String> {
        self.cell(row, target).map(str::to_string)
    }

    fn flag(&self, row: &Row, target: &str) -> Option<bool> {
        self.cell(row, target)
            .map(|v| self.m.true_values.iter().any(|t| t.eq_ignore_ascii_case(v)))
    }

    fn count(&self, row: &Row, target: &str) -> Result<Option<u32>, RowError> {
        self.cell(row, target)
            .map(|v| {
                v.parse::<u32>()
                    .map_err(|_| RowError::Reject(format!("{target}: not a whole number: {v:?}")))
            })
            .transpose()
    }

    fn instant(&self, ctx: &Ctx<'_>, row: &Row, target: &str) -> Result<Option<i64>, RowError> {
        let Some(raw) = self.cell(row, target) else {
            return Ok(None);
        };
        let bad = |e: String| RowError::Reject(format!("{target}: {e}"));
        let v = match self.m.timestamp_format.as_deref() {
            Some("epoch_s") => raw
                .parse::<f64>()
                .map(|x| (x * 1e6) as i64)
                .map_err(|_| bad(format!("not epoch seconds: {raw:?}")))?,
            Some("epoch_ms") => raw
                .parse::<f64>()
                .map(|x| (x * 1e3) as i64)
                .map_err(|_| bad(format!("not epoch milliseconds: {raw:?}")))?,
            Some(fmt) => match chrono::DateTime::parse_from_str(raw, fmt) {
                Ok(dt) => dt.timestamp_micros(),
                // Native Parquet datetimes arrive as ISO 8601 whatever the
                // mapping's format says.
                Err(_) => match (
                    parse_naive(raw, &[fmt]).or_else(|| parse_naive(raw, NAIVE_ISO)),
                    self.tz,
                ) {
                    (Some(naive), Some(tz)) => super::time::localise(naive, tz),
                    (Some(_), None) => return Err(RowError::Fatal(no_zone(ctx, raw))),
                    (None, _) => match super::time::parse_instant(raw) {
                        Ok(v) => v,
                        Err(_) => return Err(bad(format!("{raw:?} does not match {fmt:?}"))),
                    },
                },
            },
            None => match parse_instant_or_local(raw, self.tz, NAIVE_ISO) {
                Ok(v) => v,
                Err(_) if self.tz.is_none() && parse_naive(raw, NAIVE_ISO).is_some() => {
                    return Err(RowError::Fatal(no_zone(ctx, raw)));
                }
                Err(e) => return Err(bad(e)),
            },
        };
        super::time::in_range(raw, v).map(Some).map_err(bad)
    }

    fn push(&self, ctx: &mut Ctx<'_>, row: &Row) -> Result<(), RowError> {
        let sep = self.m.list_separator.as_str();
        let source = self.m.source.clone();
        if self.m.kind == "incidents" {
            let record = IncidentRecord {
                incident_id: self.text(row, s::INCIDENT_ID).ok_or("empty incident_id")?,
                title: self.text(row, s::TITLE),
                severity: self.cell(row, s::SEVERITY).and_then(normalise_severity),
                service: self.text(row, s::SERVICE),
                team: self.text(row, s::TEAM),
                status: self.text(row, s::STATUS),
                category: self.text(row, s::CATEGORY),
                started_at: self
                    .instant(ctx, row, s::STARTED_AT)?
                    .ok_or("empty started_at")?,
                resolved_at: self.instant(ctx, row, s::RESOLVED_AT)?,
                updated_at: self.instant(ctx, row, s::UPDATED_AT)?,
            };
            ctx.push_incident_as(&source, record);
            return Ok(());
        }
        let list = |v: Option<&str>| -> Option<Vec<String>> {
            v.map(|v| {
                v.split(sep)
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            })
        };
        let labels = list(self.cell(row, s::LABELS))
            .unwrap_or_default()
            .into_iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
                None => (kv, String::new()),
            })
            .collect();
        let record = AlertRecord {
            alert_id: self.text(row, s::ALERT_ID).ok_or("empty alert_id")?,
            dedup_key: self.text(row, s::DEDUP_KEY),
            title: self.text(row, s::TITLE),
            service: self.text(row, s::SERVICE),
            team: self.text(row, s::TEAM),
            severity: self.cell(row, s::SEVERITY).and_then(normalise_severity),
            urgency: self.text(row, s::URGENCY),
            paged: self.flag(row, s::PAGED),
            triggered_at: self
                .instant(ctx, row, s::TRIGGERED_AT)?
                .ok_or("empty triggered_at")?,
            acknowledged_at: self.instant(ctx, row, s::ACKNOWLEDGED_AT)?,
            resolved_at: self.instant(ctx, row, s::RESOLVED_AT)?,
            acknowledged_by: self.text(row, s::ACKNOWLEDGED_BY),
            resolved_by: self.text(row, s::RESOLVED_BY),
            auto_resolved: self.flag(row, s::AUTO_RESOLVED),
            escalations: self.count(row, s::ESCALATIONS)?,
            notes: self.count(row, s::NOTES)?,
            repeat_count: self.count(row, s::REPEAT_COUNT)?,
            responders: list(self.cell(row, s::RESPONDERS)),
            labels,
            runbook: self.text(row, s::RUNBOOK),
            updated_at: self.instant(ctx, row, s::UPDATED_AT)?,
        };
        ctx.push_alert_as(&source, record);
        Ok(())
    }
}

fn no_zone(ctx: &Ctx<'_>, example: &str) -> IngestError {
    IngestError::Malformed {
        path: ctx.path.to_path_buf(),
        format: "generic",
        message: format!(
            "timestamps carry no time zone (e.g. {example:?}) and the mapping sets none; \
             add `timezone = \"…\"` to the mapping file"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_rejects_unknown_targets() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.toml");
        std::fs::write(
            &p,
            "source='x'\n[columns]\nalert_id='id'\ntriggered_at='t'\ncolour='c'\n",
        )
        .unwrap();
        let e = Mapping::load(&p).unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
        std::fs::write(&p, "source='x'\n[columns]\nalert_id='id'\n").unwrap();
        let e = Mapping::load(&p).unwrap_err().to_string();
        assert!(e.contains("triggered_at"), "{e}");
    }
}
