//! The Jira issue CSV export ("Export → CSV (all fields)") as incidents
//! (formats-more.md §9.2).
//!
//! `incident_id` = `Issue key`, title = `Summary`, status = `Status`,
//! started = `Created`, resolved = `Resolved`, updated = `Updated`;
//! service = the first `Components` (or `Component/s`) value, team =
//! `Custom field (Team)`. Severity: `Custom field (Severity)` when it reads
//! as one, else `Priority` (Highest → critical, High → error, Medium →
//! warning, Low and Lowest → info: a choice). A multi-value field repeats
//! its header once per value (`Labels,Labels`): every column of the name is
//! read. Dates carry no zone (the exporting user's profile zone): they are
//! read in `[sources.jira] timezone`, and without it the read stops and
//! says so; layouts `14/Jul/25 3:42 PM`, `11/May/2024 03:26 PM`,
//! `6/21/2025 16:14`, with month names of several languages. A file of
//! exactly 1,000 rows (Jira's default export cap) is noted.

use super::csvutil::{self, cell, RowError};
use super::time::{english_months, in_range, localise, parse_naive, NAIVE_JIRA};
use super::{Ctx, Head, IncidentRecord, IngestError};
use crate::schema::normalise_severity;

/// Jira's default row cap of an export (`jira.search.views.default.max`).
const EXPORT_CAP: u64 = 1000;

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "jira-csv",
    "jira",
    "Jira issue CSV export (all fields) as incidents; dates in [sources.jira] timezone; severity (a choice): Highest critical, High error, Medium warning, Low/Lowest info",
    sniff,
    read,
);

/// Sure when the header has `Issue key`, `Summary` and `Created`.
pub fn sniff(head: &Head) -> u8 {
    if !head.is_json() && head.header_hits(&["Issue key", "Summary", "Created"]) == 3 {
        92
    } else {
        0
    }
}

fn priority(p: &str) -> Option<&'static str> {
    match p.trim().to_ascii_lowercase().as_str() {
        "highest" | "blocker" => Some("critical"),
        "high" | "critical" | "major" => Some("error"),
        "medium" => Some("warning"),
        "low" | "lowest" | "minor" | "trivial" => Some("info"),
        _ => None,
    }
}

/// Read every issue.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let mut table = csvutil::open(ctx, &["Issue key", "Summary", "Created"])?;
    let col = |t: &csvutil::Table, name: &str| t.col(name);
    let (key, summary, created) = (
        col(&table, "Issue key"),
        col(&table, "Summary"),
        col(&table, "Created"),
    );
    let (resolved, updated, status, prio) = (
        col(&table, "Resolved"),
        col(&table, "Updated"),
        col(&table, "Status"),
        col(&table, "Priority"),
    );
    let severity_col = col(&table, "Custom field (Severity)");
    let team_col = col(&table, "Custom field (Team)");
    let components: Vec<usize> = table
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| *h == "Components" || *h == "Component/s")
        .map(|(i, _)| i)
        .collect();
    let tz = ctx.config.source_timezone(VENDOR.source);
    let rows = csvutil::for_each_row(ctx, &mut table, |ctx, rec| {
        let when =
            |ctx: &Ctx<'_>, raw: Option<&str>, what: &str| -> Result<Option<i64>, RowError> {
                let Some(raw) = raw else { return Ok(None) };
                let naive = parse_naive(&english_months(raw), NAIVE_JIRA)
                    .ok_or_else(|| RowError::Reject(format!("{what}: not a Jira date {raw:?}")))?;
                let Some(tz) = tz else {
                    return Err(RowError::Fatal(
                        ctx.naive_zone(raw)
                            .err()
                            .unwrap_or_else(|| ctx.malformed("no zone")),
                    ));
                };
                in_range(raw, localise(naive, tz))
                    .map(Some)
                    .map_err(|e| RowError::Reject(format!("{what}: {e}")))
            };
        let id = cell(rec, key).ok_or("empty `Issue key`")?;
        let started = when(ctx, cell(rec, created), "Created")?.ok_or("empty `Created`")?;
        let resolved_at = when(ctx, cell(rec, resolved), "Resolved")?;
        if resolved_at.is_some_and(|r| r < started) {
            return Err("resolved before it was created".into());
        }
        let severity = cell(rec, severity_col)
            .and_then(normalise_severity)
            .or_else(|| cell(rec, prio).and_then(priority));
        ctx.push_incident(IncidentRecord {
            incident_id: id.to_string(),
            title: cell(rec, summary).map(str::to_string),
            severity,
            service: components
                .iter()
                .find_map(|&i| cell(rec, Some(i)))
                .map(str::to_string),
            team: cell(rec, team_col).map(str::to_string),
            status: cell(rec, status).map(str::to_string),
            category: None,
            started_at: started,
            resolved_at,
            updated_at: when(ctx, cell(rec, updated), "Updated")?,
        });
        Ok(())
    })?;
    if rows == EXPORT_CAP {
        ctx.report.notes.push(format!(
            "exactly {EXPORT_CAP} rows: Jira caps an issue export there by default, so the history may be cut; export shorter date ranges"
        ));
    }
    Ok(())
}
