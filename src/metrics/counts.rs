//! What the summary counts off the period's alerts table: its time range,
//! pages, labels and reason codes, alerts per source and per team.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::error::Error;
use crate::pages::list_values;
use crate::reasons::REASONS;
use crate::schema as s;

/// What the summary counts off the period's alerts table.
#[derive(Debug)]
pub struct TableCounts {
    /// First and last trigger time (µs).
    pub first: Option<i64>,
    /// See `first`.
    pub last: Option<i64>,
    /// Alerts that paged.
    pub pages: u64,
    /// Labels and reasons.
    pub labels: LabelCounts,
    /// Alerts per source.
    pub per_source: BTreeMap<String, u64>,
    /// Alerts per team (`(none)` without one).
    pub per_team: BTreeMap<String, u64>,
}

/// The counts of the period's alerts table.
pub fn table_counts(alerts: &DataFrame) -> Result<TableCounts, Error> {
    let range = alerts
        .clone()
        .lazy()
        .select([
            col(s::TRIGGERED_AT)
                .min()
                .dt()
                .timestamp(TimeUnit::Microseconds)
                .alias("first"),
            col(s::TRIGGERED_AT)
                .max()
                .dt()
                .timestamp(TimeUnit::Microseconds)
                .alias("last"),
            col(s::PAGED).sum().cast(DataType::UInt64).alias("pages"),
        ])
        .collect()
        .map_err(Error::polars("the time range"))?;
    let get_i64 = |name: &str| {
        range
            .column(name)
            .ok()
            .and_then(|c| c.i64().ok().and_then(|ca| ca.get(0)))
    };
    Ok(TableCounts {
        first: get_i64("first"),
        last: get_i64("last"),
        pages: range
            .column("pages")
            .ok()
            .and_then(|c| c.u64().ok().and_then(|ca| ca.get(0)))
            .unwrap_or(0),
        labels: label_counts(alerts)?,
        per_source: counts_by(alerts, s::SOURCE)?,
        per_team: counts_by(alerts, s::TEAM)?,
    })
}

/// Counts of `column` values, nulls as `(none)`.
fn counts_by(df: &DataFrame, column: &str) -> Result<BTreeMap<String, u64>, Error> {
    let values = df
        .column(column)
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars("counts"))?;
    let mut counts = BTreeMap::new();
    let nulls = values.null_count() as u64;
    if nulls > 0 {
        counts.insert("(none)".to_string(), nulls);
    }
    for (value, n) in crate::core::intern::value_counts(&values) {
        *counts.entry(value.to_string()).or_insert(0) += n;
    }
    Ok(counts)
}

/// Alerts by label, noise pages, and alerts carrying each reason code.
#[derive(Debug, Default)]
pub struct LabelCounts {
    /// Alerts labelled actionable.
    pub actionable: u64,
    /// Alerts labelled noise.
    pub noise: u64,
    /// Noise alerts that paged.
    pub noise_pages: u64,
    /// Alerts carrying each code (every code listed).
    pub reasons: BTreeMap<String, u64>,
}

fn label_counts(df: &DataFrame) -> Result<LabelCounts, Error> {
    let what = "the label counts";
    let label = df
        .column(s::LABEL)
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars(what))?;
    let paged = df
        .column(s::PAGED)
        .and_then(|c| c.bool().cloned())
        .map_err(Error::polars(what))?;
    let (reasons, _) = list_values(df, s::REASONS, what)?;
    let mut out = LabelCounts {
        reasons: REASONS.iter().map(|r| (r.to_string(), 0)).collect(),
        ..LabelCounts::default()
    };
    for (l, p) in label.iter().zip(paged.iter()) {
        match l {
            Some("noise") => {
                out.noise += 1;
                if p == Some(true) {
                    out.noise_pages += 1;
                }
            }
            Some(_) => out.actionable += 1,
            None => {}
        }
    }
    // Every row's codes (`list_values` gives the rows' strings and no
    // others).
    for (code, n) in crate::core::intern::value_counts(&reasons) {
        *out.reasons.entry(code.to_string()).or_insert(0) += n;
    }
    Ok(out)
}
