//! A plain schedule CSV: `team,person,start,end` (and optionally
//! `schedule`), one shift per row, the simplest thing any rota tool or
//! spreadsheet can write.
//!
//! Times are RFC 3339 with an offset, or naive in `[sources.schedule]
//! timezone` (a naive time without one configured stops the read and says
//! how to set it). `team` may be empty when `schedule` names a schedule the
//! configuration maps (`[teams.X] schedules`).

use super::csvutil::{self, cell, RowError};
use super::time::{parse_instant_or_local, NAIVE_ISO};
use super::{Ctx, Head, IngestError, ShiftRecord};

/// The columns a schedule CSV must have.
const REQUIRED: [&str; 4] = ["team", "person", "start", "end"];

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "schedule-csv",
    "schedule",
    "CSV of shifts: team,person,start,end[,schedule] (who was on call)",
    sniff,
    read,
);

/// Sure when the header has all of `team`, `person`, `start`, `end`.
pub fn sniff(head: &Head) -> u8 {
    if !head.is_json() && head.header_hits(&REQUIRED) == REQUIRED.len() {
        92
    } else {
        0
    }
}

/// Read every row as a shift.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let mut table = csvutil::open(ctx, &REQUIRED)?;
    let [team, person, start, end] = REQUIRED.map(|c| table.col(c));
    let schedule = table.col("schedule");
    let tz = ctx.config.source_timezone(VENDOR.source);
    csvutil::for_each_row(ctx, &mut table, |ctx, rec| {
        let when = |ctx: &Ctx<'_>, idx, what: &str| -> Result<i64, RowError> {
            let raw = cell(rec, idx).ok_or_else(|| format!("empty `{what}`"))?;
            match parse_instant_or_local(raw, tz, NAIVE_ISO) {
                Ok(v) => Ok(v),
                Err(_) if tz.is_none() && super::time::parse_naive(raw, NAIVE_ISO).is_some() => {
                    Err(RowError::Fatal(
                        ctx.naive_zone(raw)
                            .err()
                            .unwrap_or_else(|| ctx.malformed("no zone")),
                    ))
                }
                Err(e) => Err(RowError::Reject(format!("{what}: {e}"))),
            }
        };
        let shift = ShiftRecord {
            schedule: cell(rec, schedule).map(str::to_string),
            policy: None,
            team: cell(rec, team).map(str::to_string),
            person: cell(rec, person).ok_or("empty `person`")?.to_string(),
            level: None,
            start: when(ctx, start, "start")?,
            end: when(ctx, end, "end")?,
        }
        .checked()?;
        if shift.team.is_none() && shift.schedule.is_none() {
            return Err("empty `team` and no `schedule`: whose shift is it?".into());
        }
        ctx.push_shift(shift);
        Ok(())
    })?;
    Ok(())
}
