//! ServiceNow `incident` CSV exports (formats.md §5.1; the real export in
//! `shared/data/servicenow/`).
//!
//! Rows are read into the incidents table. An export with one row per update
//! (the `sys_mod_count` column) folds into one incident per `number`: the
//! row with the highest `sys_mod_count` wins (ties: the later row). `?` and
//! empty cells are null. Dates carry no zone — `d/m/yyyy HH:MM` (original),
//! `dd-mm-yyyy HH:MM` (spreadsheet re-save) or `yyyy-mm-dd HH:MM:SS` (Table
//! API) — and are read in `[sources.servicenow] timezone`; without it the
//! file is refused. Mapping: `short_description` → title, `priority` →
//! severity (`1` critical … `4`/`5` info), `cmdb_ci` → service,
//! `assignment_group` → team, `incident_state` (or `state`) → status,
//! `opened_at` → started_at, `resolved_at` (else `closed_at`) → resolved_at,
//! `sys_updated_on`/`sys_updated_at` → updated_at.

use std::collections::HashMap;

use super::csvutil::{self, cell, RowError};
use super::time::{in_range, localise, parse_naive, NAIVE_DAY_FIRST, NAIVE_ISO};
use super::{Ctx, Head, IncidentRecord, IngestError};
use crate::schema::normalise_severity;

/// ServiceNow's default row cap for a list export.
pub const EXPORT_CAP: u64 = 10_000;

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "servicenow",
    "servicenow",
    "ServiceNow incident CSV export (one row per update is folded)",
    sniff,
    read,
);

/// Sure when the header has `number` and `opened_at` with ServiceNow fields.
pub fn sniff(head: &Head) -> u8 {
    if head.is_json() {
        return 0;
    }
    let core = head.header_hits(&["number", "opened_at"]);
    let extra = head.header_hits(&[
        "incident_state",
        "state",
        "short_description",
        "assignment_group",
        "sys_mod_count",
        "priority",
        "caller_id",
    ]);
    if core == 2 && extra >= 1 {
        75 + extra as u8
    } else {
        0
    }
}

fn null_cell(rec: &csv::StringRecord, idx: Option<usize>) -> Option<&str> {
    cell(rec, idx).filter(|v| *v != "?")
}

/// Read and fold every row.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let mut table = csvutil::open(ctx, &["number", "opened_at"])?;
    let number = table.col("number");
    let state = table.col("incident_state").or_else(|| table.col("state"));
    let title = table.col("short_description");
    let priority = table.col("priority");
    let service = table.col("cmdb_ci");
    let team = table.col("assignment_group");
    let category = table.col("category");
    let opened = table.col("opened_at");
    let resolved_col = table.col("resolved_at");
    let closed_col = table.col("closed_at");
    let updated_col = table
        .col("sys_updated_on")
        .or_else(|| table.col("sys_updated_at"));
    let mod_count = table.col("sys_mod_count");
    let tz = ctx.config.source_timezone("servicenow");
    let mut latest: HashMap<String, (i64, u64, IncidentRecord)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut row = 0u64;
    let when = |ctx: &Ctx<'_>, raw: &str, what: &str| -> Result<i64, RowError> {
        let naive = parse_naive(raw, NAIVE_DAY_FIRST)
            .or_else(|| parse_naive(raw, NAIVE_ISO))
            .ok_or_else(|| RowError::Reject(format!("{what}: invalid date {raw:?}")))?;
        match tz {
            Some(tz) => in_range(raw, localise(naive, tz))
                .map_err(|e| RowError::Reject(format!("{what}: {e}"))),
            None => Err(RowError::Fatal(
                ctx.naive_zone(raw)
                    .err()
                    .unwrap_or_else(|| ctx.malformed("no zone")),
            )),
        }
    };
    let rows = csvutil::for_each_row(ctx, &mut table, |ctx, rec| {
        row += 1;
        let id = null_cell(rec, number).ok_or("empty `number`")?;
        let started = when(
            ctx,
            null_cell(rec, opened).ok_or("empty `opened_at`")?,
            "opened_at",
        )?;
        let resolved = match null_cell(rec, resolved_col).or_else(|| null_cell(rec, closed_col)) {
            Some(raw) => Some(when(ctx, raw, "resolved_at")?),
            None => None,
        };
        let updated = match null_cell(rec, updated_col) {
            Some(raw) => Some(when(ctx, raw, "sys_updated_at")?),
            None => None,
        };
        let version: i64 = match null_cell(rec, mod_count) {
            Some(v) => v
                .parse()
                .map_err(|_| format!("sys_mod_count is not a number: {v:?}"))?,
            None => 0,
        };
        let record = IncidentRecord {
            incident_id: id.to_string(),
            title: null_cell(rec, title).map(str::to_string),
            severity: null_cell(rec, priority).and_then(normalise_severity),
            service: null_cell(rec, service).map(str::to_string),
            team: null_cell(rec, team).map(str::to_string),
            status: null_cell(rec, state).map(str::to_string),
            category: null_cell(rec, category).map(str::to_string),
            started_at: started,
            resolved_at: resolved,
            updated_at: updated,
        };
        match latest.get_mut(id) {
            Some(slot) if (version, row) >= (slot.0, slot.1) => *slot = (version, row, record),
            Some(_) => {}
            None => {
                order.push(id.to_string());
                latest.insert(id.to_string(), (version, row, record));
            }
        }
        Ok(())
    })?;
    let incidents = order.len();
    for id in order {
        if let Some((_, _, r)) = latest.remove(&id) {
            ctx.push_incident(r);
        }
    }
    if rows == EXPORT_CAP {
        ctx.report.notes.push(format!(
            "exactly {EXPORT_CAP} rows: ServiceNow caps a list export there by default \
             (glide.ui.export.limit), so the history may be cut; export shorter date ranges"
        ));
    }
    if rows > incidents as u64 {
        ctx.report.notes.push(format!(
            "{rows} rows folded into {incidents} incident(s) (one row per update)"
        ));
    }
    Ok(())
}
