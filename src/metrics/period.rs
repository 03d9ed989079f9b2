//! The period the paging-load figures cover: all of the history, a range,
//! the latest ISO week or the latest calendar quarter, resolved against the
//! pages' time range; and the alerts of that period.

use polars::prelude::*;

use crate::calendar::DAY_US;
use crate::error::Error;
use crate::schema as s;

/// Which pages the paging-load figures cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeriodSpec {
    /// Every page: whole UTC days from the first page's to the last's.
    #[default]
    All,
    /// `[since, until)`, µs; an open end is the first or last page's day.
    Range(Option<i64>, Option<i64>),
    /// The ISO week (Monday 00:00 UTC) of the last page.
    LatestWeek,
    /// The calendar quarter (UTC) of the last page.
    LatestQuarter,
}

/// Resolve a period against the pages' time range.
pub fn resolve(spec: PeriodSpec, range: Option<(i64, i64)>) -> Option<(i64, i64)> {
    use chrono::Datelike;
    let (lo, hi) = range?;
    let all = (
        lo.div_euclid(DAY_US) * DAY_US,
        (hi.div_euclid(DAY_US) + 1) * DAY_US,
    );
    Some(match spec {
        PeriodSpec::All => all,
        PeriodSpec::Range(a, b) => (a.unwrap_or(all.0), b.unwrap_or(all.1)),
        PeriodSpec::LatestWeek => {
            let day = hi.div_euclid(DAY_US);
            // 1970-01-01 was a Thursday: Monday is 3 days before.
            let monday = day - (day + 3).rem_euclid(7);
            (monday * DAY_US, (monday + 7) * DAY_US)
        }
        PeriodSpec::LatestQuarter => {
            let d = chrono::DateTime::from_timestamp_micros(hi)?.date_naive();
            let q0 = (d.month0() / 3) * 3 + 1;
            let start = chrono::NaiveDate::from_ymd_opt(d.year(), q0, 1)?;
            let end = if q0 == 10 {
                chrono::NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)?
            } else {
                chrono::NaiveDate::from_ymd_opt(d.year(), q0 + 3, 1)?
            };
            let us = |n: chrono::NaiveDate| {
                n.and_hms_opt(0, 0, 0)
                    .map(|t| t.and_utc().timestamp_micros())
                    .unwrap_or(0)
            };
            (us(start), us(end))
        }
    })
}

/// The first and last trigger time (µs) of the table's pages, as
/// [`crate::pages::pages_of`] gives them (paged alerts with a trigger time).
pub fn paged_range(alerts: &DataFrame) -> Result<Option<(i64, i64)>, Error> {
    let what = "the pages' time range";
    let t = || col(s::TRIGGERED_AT).cast(DataType::Int64);
    let range = alerts
        .clone()
        .lazy()
        .filter(col(s::PAGED))
        .select([t().min().alias("first"), t().max().alias("last")])
        .collect()
        .map_err(Error::polars(what))?;
    let get = |name: &str| {
        range
            .column(name)
            .and_then(|c| c.i64().map(|ca| ca.get(0)))
            .map_err(Error::polars(what))
    };
    Ok(get("first")?.zip(get("last")?))
}

/// The alerts triggered in `period` (`[since, until)`, µs), or all of them
/// when the period is all of the history.
pub fn alerts_in(
    alerts: &DataFrame,
    spec: PeriodSpec,
    period: Option<(i64, i64)>,
) -> Result<DataFrame, Error> {
    let (since, until) = period.unwrap_or((0, 0));
    if spec == PeriodSpec::All || period.is_none() {
        return Ok(alerts.clone());
    }
    alerts
        .clone()
        .lazy()
        .filter(
            col(s::TRIGGERED_AT)
                .cast(DataType::Int64)
                .gt_eq(lit(since))
                .and(col(s::TRIGGERED_AT).cast(DataType::Int64).lt(lit(until))),
        )
        .collect()
        .map_err(Error::polars("the period's alerts"))
}
