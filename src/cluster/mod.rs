//! Clusters of alerts (issue 4): exact duplicates by vendor key, storm
//! episodes, and per-template statistics for the reports.
//!
//! Templates and episodes are assigned while classifying
//! ([`crate::classify`]: the rules need them); this stage counts them and
//! describes each template.

use polars::prelude::*;

use crate::config::Config;
use crate::error::Error;
use crate::schema as s;

/// Counts of the clusters of a classified alerts table.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Counts {
    /// Distinct templates.
    pub templates: u64,
    /// Distinct storm episodes.
    pub episodes: u64,
    /// `1 − episodes / alerts` (BigPanda's event compression; 0 with no
    /// alerts).
    pub compression: f64,
    /// Alerts whose vendor key (`source`, `dedup_key`) an earlier alert
    /// already had: alerts with a key minus distinct keys.
    pub exact_duplicates: u64,
}

/// Count templates, episodes and exact duplicates.
pub fn counts(alerts: &DataFrame) -> Result<Counts, Error> {
    let what = "the cluster counts";
    let df = alerts
        .clone()
        .lazy()
        .select([
            col(s::TEMPLATE_ID).n_unique().alias("templates"),
            col(s::EPISODE_ID).n_unique().alias("episodes"),
            len().alias("alerts"),
        ])
        .collect()
        .map_err(Error::polars(what))?;
    let get = |name: &str| -> u64 {
        df.column(name)
            .ok()
            .and_then(|c| c.cast(&DataType::UInt64).ok())
            .and_then(|c| c.u64().ok().and_then(|c| c.get(0)))
            .unwrap_or(0)
    };
    let alerts_n = get("alerts");
    let (keyed, distinct) = keys(alerts)?;
    let episodes = if alerts_n == 0 { 0 } else { get("episodes") };
    Ok(Counts {
        templates: if alerts_n == 0 { 0 } else { get("templates") },
        episodes,
        compression: if alerts_n == 0 {
            0.0
        } else {
            1.0 - episodes as f64 / alerts_n as f64
        },
        exact_duplicates: keyed - distinct,
    })
}

/// Alerts with a vendor key (`source`, `dedup_key`) and distinct keys.
fn keys(alerts: &DataFrame) -> Result<(u64, u64), Error> {
    let what = "the vendor keys";
    let column = |name: &str| {
        alerts
            .column(name)
            .and_then(|c| c.str().cloned())
            .map_err(Error::polars(what))
    };
    let (source, key) = (column(s::SOURCE)?, column(s::DEDUP_KEY)?);
    let mut seen: PlHashSet<(Option<&str>, &str)> = PlHashSet::default();
    let mut keyed = 0;
    for (src, k) in source.iter().zip(key.iter()) {
        if let Some(k) = k {
            keyed += 1;
            seen.insert((src, k));
        }
    }
    Ok((keyed, seen.len() as u64))
}

/// A group's pages (paged alerts).
fn pages() -> Expr {
    col(s::PAGED)
        .fill_null(lit(false))
        .sum()
        .cast(DataType::UInt64)
        .alias("pages")
}

/// Per-template statistics, one row per template, most alerts first (ties
/// by template id): alerts, pages, noise share, median and p90 duration
/// (trigger to resolve, seconds; linear interpolation), auto-resolve share,
/// median re-fire interval (seconds between consecutive triggers of the
/// template), share triggered in sleep hours (22:00–08:00 in the team's
/// zone, domain.md's PagerDuty definition), and the services, sorted.
pub fn template_stats(alerts: LazyFrame, config: &Config) -> LazyFrame {
    let zones = config.team_zones();
    let t = || col("__t");
    alerts
        // Only what the statistics read goes through the sort.
        .select([
            col(s::TEMPLATE_ID),
            col(s::TEMPLATE),
            col(s::TEAM),
            col(s::SERVICE),
            col(s::PAGED),
            col(s::LABEL),
            col(s::AUTO_RESOLVED),
            col(s::TRIGGERED_AT),
            col(s::RESOLVED_AT),
        ])
        .with_columns([
            col(s::TRIGGERED_AT).cast(DataType::Int64).alias("__t"),
            ((col(s::RESOLVED_AT).cast(DataType::Int64)
                - col(s::TRIGGERED_AT).cast(DataType::Int64))
                / lit(1_000_000i64))
            .cast(DataType::Float64)
            .alias("__dur"),
            col(s::TEAM)
                .map_many(
                    move |c| {
                        let team = c[0].str()?;
                        let t = c[1].i64()?;
                        let mut clock = crate::classify::history::LocalClock::default();
                        let out: BooleanChunked = team
                            .iter()
                            .zip(t.iter())
                            .map(|(team, t)| {
                                t.and_then(|t| clock.day_minute(t, zones.of(team)))
                                    .map(|(_, m)| !(8 * 60..22 * 60).contains(&m))
                            })
                            .collect();
                        Ok(out.into_column())
                    },
                    &[col(s::TRIGGERED_AT).cast(DataType::Int64)],
                    |_, f| Ok(Field::new(f[0].name().clone(), DataType::Boolean)),
                )
                .alias("__sleep"),
        ])
        // By the trigger time itself: a table already in that order (the
        // store's) whose column says so is not sorted again.
        .sort(
            [s::TRIGGERED_AT],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .group_by([col(s::TEMPLATE_ID)])
        .agg([
            col(s::TEMPLATE).first(),
            len().cast(DataType::UInt64).alias("alerts"),
            pages(),
            col(s::LABEL)
                .eq(lit("noise"))
                .cast(DataType::Float64)
                .mean()
                .alias("noise_share"),
            col("__dur").median().alias("median_duration_s"),
            col("__dur")
                .quantile(lit(0.9), QuantileMethod::Linear)
                .alias("p90_duration_s"),
            col(s::AUTO_RESOLVED)
                .fill_null(lit(false))
                .cast(DataType::Float64)
                .mean()
                .alias("auto_resolve_share"),
            // Within each template's rows, in trigger-time order.
            ((t() - t().shift(lit(1))) / lit(1_000_000i64))
                .cast(DataType::Float64)
                .median()
                .alias("median_refire_s"),
            col("__sleep")
                .cast(DataType::Float64)
                .mean()
                .alias("sleep_share"),
            col(s::SERVICE)
                .drop_nulls()
                .unique()
                .sort(SortOptions::default())
                .alias("services"),
        ])
        .with_columns([col("services")
            .map(
                |c| {
                    let lists = c.list()?;
                    let out: StringChunked = lists
                        .amortized_iter()
                        .map(|l| {
                            l.map(|l| {
                                l.as_ref()
                                    .str()
                                    .map(|s| s.iter().flatten().collect::<Vec<_>>().join(", "))
                                    .unwrap_or_default()
                            })
                        })
                        .collect();
                    Ok(out.into_column())
                },
                |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
            )
            .alias("services")])
        .sort_by_exprs(
            [col("alerts"), col(s::TEMPLATE_ID)],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
}

/// One row per storm episode (domain.md, "Episodes"), earliest first (ties
/// by episode id): its team, first and last trigger, when its last alert
/// resolved (null while any is open), alerts, pages, noise alerts, distinct
/// templates, and its lead (the first alert: `episode_id` is its id) with
/// the lead's title.
pub fn episodes(alerts: LazyFrame) -> LazyFrame {
    alerts
        .sort(
            [s::TRIGGERED_AT, s::ALERT_ID],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .group_by([col(s::EPISODE_ID)])
        .agg([
            col(s::TEAM).first(),
            col(s::TRIGGERED_AT).min().alias("first_triggered_at"),
            col(s::TRIGGERED_AT).max().alias("last_triggered_at"),
            // Null while any alert of the episode is still open.
            when(col(s::RESOLVED_AT).null_count().gt(lit(0)))
                .then(lit(NULL).cast(DataType::Datetime(
                    TimeUnit::Microseconds,
                    Some(TimeZone::UTC),
                )))
                .otherwise(col(s::RESOLVED_AT).max())
                .alias("resolved_at"),
            len().cast(DataType::UInt64).alias("alerts"),
            pages(),
            col(s::LABEL)
                .eq(lit("noise"))
                .sum()
                .cast(DataType::UInt64)
                .alias("noise"),
            col(s::TEMPLATE_ID)
                .n_unique()
                .cast(DataType::UInt64)
                .alias("templates"),
            col(s::TITLE).first().alias("lead_title"),
        ])
        .sort(
            ["first_triggered_at", s::EPISODE_ID],
            SortMultipleOptions::default().with_maintain_order(true),
        )
}
