//! Clusters of alerts (issue 4): exact duplicates by vendor key, storm
//! episodes, and per-template statistics for the reports.
//!
//! Templates and episodes are assigned while classifying
//! ([`crate::classify`]: the rules need them); this stage counts them and
//! describes each template.

pub mod rules;

use polars::prelude::*;

use crate::config::Config;
use crate::core::intern::{codes, Interner, Name, NO_NAME};
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

/// The columns of a table as the tallies below read them, each failure
/// naming `what` was being worked out.
pub(crate) struct Read<'a> {
    pub(crate) df: &'a DataFrame,
    pub(crate) what: &'static str,
}

impl Read<'_> {
    pub(crate) fn strings(&self, name: &str) -> Result<StringChunked, Error> {
        (self.df.column(name).and_then(|c| c.str().cloned())).map_err(Error::polars(self.what))
    }

    pub(crate) fn flags(&self, name: &str) -> Result<BooleanChunked, Error> {
        (self.df.column(name).and_then(|c| c.bool().cloned())).map_err(Error::polars(self.what))
    }

    /// A time column as µs since the epoch.
    pub(crate) fn times(&self, name: &str) -> Result<Int64Chunked, Error> {
        self.df
            .column(name)
            .and_then(|c| c.cast(&DataType::Int64))
            .and_then(|c| c.i64().cloned())
            .map_err(Error::polars(self.what))
    }
}

/// The tallies made, each with its value's text (`None`: the last slot,
/// rows without a value), from tallies kept by code.
fn named<T>(by_code: Vec<Option<T>>, names: &Interner) -> Vec<(Option<&str>, T)> {
    (by_code.into_iter().enumerate())
        .filter_map(|(k, t)| Some((names.name(k as Name), t?)))
        .collect()
}

/// Count templates and episodes (the rows of `templates` and `episodes`,
/// what [`template_stats`] and [`episodes`] made of `alerts`: no id is a
/// row of its own, as it is one value of polars' `n_unique`) and exact
/// duplicates.
pub fn counts(
    alerts: &DataFrame,
    templates: &DataFrame,
    episodes: &DataFrame,
) -> Result<Counts, Error> {
    let alerts_n = alerts.height() as u64;
    let (keyed, distinct) = keys(alerts)?;
    let episodes = episodes.height() as u64;
    Ok(Counts {
        templates: templates.height() as u64,
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
    let read = Read {
        df: alerts,
        what: "the vendor keys",
    };
    let (source, key) = (read.strings(s::SOURCE)?, read.strings(s::DEDUP_KEY)?);
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

/// Per-template statistics, one row per template, most alerts first (ties
/// by template id): alerts, pages, noise share, median and p90 duration
/// (trigger to resolve, seconds; linear interpolation), auto-resolve share,
/// median re-fire interval (seconds between consecutive triggers of the
/// template), share triggered in sleep hours (22:00–08:00 in the team's
/// zone, domain.md's PagerDuty definition), and the services, sorted.
///
/// One pass over the columns into a tally per template (there are tens of
/// them): at 10M alerts polars' group-by took 5 CPU seconds on lists of
/// row indices. The figures are polars' to the bit: seconds are whole
/// (floor division of µs), quantiles interpolate as polars' `Linear` does
/// over a group holding nulls, shares are means over non-null values.
pub fn template_stats(alerts: &DataFrame, config: &Config) -> Result<DataFrame, Error> {
    let what = "the template statistics";
    let read = Read { df: alerts, what };
    let (strings, flags, times) = (
        |name| read.strings(name),
        |name| read.flags(name),
        |name| read.times(name),
    );
    let (id, template, team) = (
        strings(s::TEMPLATE_ID)?,
        strings(s::TEMPLATE)?,
        strings(s::TEAM)?,
    );
    let (service, label) = (strings(s::SERVICE)?, strings(s::LABEL)?);
    let (paged, auto) = (flags(s::PAGED)?, flags(s::AUTO_RESOLVED)?);
    let (triggered, resolved) = (times(s::TRIGGERED_AT)?, times(s::RESOLVED_AT)?);
    // Template ids, teams, services and labels as codes (one hash lookup
    // per distinct value, not per row).
    let (mut ids, mut teams, mut services, mut labels) = (
        Interner::default(),
        Interner::default(),
        Interner::default(),
        Interner::default(),
    );
    let (id_of, team_of, service_of, label_of) = (
        codes(&id, &mut ids),
        codes(&team, &mut teams),
        codes(&service, &mut services),
        codes(&label, &mut labels),
    );
    let noise = labels.index.get("noise").copied().unwrap_or(NO_NAME);
    let slot = |n: Name, of: &Interner| (n as usize).min(of.names.len());
    let zones = config.team_zones();
    let zone_of: Vec<_> = (0..=teams.names.len())
        .map(|t| zones.of(teams.name(t as Name)))
        .collect();
    let mut clock = crate::core::time::LocalClock::default();

    // A tally per template id (the last: no id), made when first seen.
    let mut by_id: Vec<Option<Tally>> = (0..=ids.names.len()).map(|_| None).collect();
    let rows = template
        .iter()
        .zip(paged.iter())
        .zip(auto.iter())
        .zip(triggered.iter())
        .zip(resolved.iter());
    for (row, ((((template, paged), auto), t), r)) in rows.enumerate() {
        let code = |of: &[Name]| of.get(row).copied().unwrap_or(NO_NAME);
        let tally = by_id[slot(code(&id_of), &ids)].get_or_insert_with(|| Tally {
            services: vec![false; services.names.len()],
            ..Tally::default()
        });
        // The first row in trigger-time order, nulls first, ties by row.
        if tally.alerts == 0 || (t, row) < tally.first {
            tally.first = (t, row);
            tally.template = template;
        }
        tally.alerts += 1;
        tally.pages += u64::from(paged == Some(true));
        let label = code(&label_of);
        if label != NO_NAME {
            tally.labelled += 1;
            tally.noise += u64::from(label == noise);
        }
        match t.zip(r) {
            Some((t, r)) => tally
                .durations
                .push(r.wrapping_sub(t).div_euclid(1_000_000) as f64),
            None => tally.open += 1,
        }
        tally.auto_resolved += u64::from(auto == Some(true));
        if let Some(t) = t {
            tally.triggers.push(t);
            if let Some((_, minute)) = clock.day_minute(t, zone_of[slot(code(&team_of), &teams)]) {
                tally.clocked += 1;
                tally.asleep += u64::from(!(8 * 60..22 * 60).contains(&minute));
            }
        }
        if let Some(seen) = tally.services.get_mut(code(&service_of) as usize) {
            *seen = true;
        }
    }
    let mut tallies = named(by_id, &ids);
    tallies.sort_by(|(a, x), (b, y)| y.alerts.cmp(&x.alerts).then(a.cmp(b)));

    let n = tallies.len();
    let mut out = Columns::with_capacity(n);
    let share = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    for (id, mut tally) in tallies {
        let durations = &mut tally.durations;
        out.id.push(id);
        out.template.push(tally.template);
        out.alerts.push(tally.alerts);
        out.pages.push(tally.pages);
        out.noise.push(share(tally.noise, tally.labelled));
        out.median
            .push(crate::core::stats::quantile(durations, tally.open, 0.5));
        out.p90
            .push(crate::core::stats::quantile(durations, tally.open, 0.9));
        out.auto.push(share(tally.auto_resolved, tally.alerts));
        // Intervals between consecutive triggers; the first trigger, and
        // each missing one, give a null interval.
        // In table order, which is trigger order as the store keeps it.
        let triggers = &mut tally.triggers;
        if !triggers.is_sorted() {
            triggers.sort_unstable();
        }
        let mut refires: Vec<f64> = triggers
            .windows(2)
            .map(|w| w[1].wrapping_sub(w[0]).div_euclid(1_000_000) as f64)
            .collect();
        let null_refires = tally.alerts as usize - refires.len();
        out.refire.push(crate::core::stats::quantile(
            &mut refires,
            null_refires,
            0.5,
        ));
        out.sleep.push(share(tally.asleep, tally.clocked));
        let mut seen: Vec<&str> = (tally.services.iter().enumerate())
            .filter(|(_, seen)| **seen)
            .filter_map(|(k, _)| services.name(k as Name))
            .collect();
        seen.sort_unstable();
        out.services.push(seen.join(", "));
    }
    DataFrame::new(
        n,
        vec![
            Column::new(s::TEMPLATE_ID.into(), out.id),
            Column::new(s::TEMPLATE.into(), out.template),
            Column::new("alerts".into(), out.alerts),
            Column::new("pages".into(), out.pages),
            Column::new("noise_share".into(), out.noise),
            Column::new("median_duration_s".into(), out.median),
            Column::new("p90_duration_s".into(), out.p90),
            Column::new("auto_resolve_share".into(), out.auto),
            Column::new("median_refire_s".into(), out.refire),
            Column::new("sleep_share".into(), out.sleep),
            Column::new("services".into(), out.services),
        ],
    )
    .map_err(Error::polars(what))
}

/// One template's rows, as [`template_stats`] adds them up.
#[derive(Default)]
struct Tally<'a> {
    /// Trigger time and row of the first row.
    first: (Option<i64>, usize),
    template: Option<&'a str>,
    alerts: u64,
    pages: u64,
    labelled: u64,
    noise: u64,
    /// Whole seconds from trigger to resolve; `open` rows have none.
    durations: Vec<f64>,
    open: usize,
    auto_resolved: u64,
    triggers: Vec<i64>,
    /// Rows whose local time is known, and those in sleep hours.
    clocked: u64,
    asleep: u64,
    /// The services seen, by code.
    services: Vec<bool>,
}

/// [`template_stats`]' output columns.
struct Columns<'a> {
    id: Vec<Option<&'a str>>,
    template: Vec<Option<&'a str>>,
    alerts: Vec<u64>,
    pages: Vec<u64>,
    noise: Vec<Option<f64>>,
    median: Vec<Option<f64>>,
    p90: Vec<Option<f64>>,
    auto: Vec<Option<f64>>,
    refire: Vec<Option<f64>>,
    sleep: Vec<Option<f64>>,
    services: Vec<String>,
}

impl Columns<'_> {
    fn with_capacity(n: usize) -> Self {
        Columns {
            id: Vec::with_capacity(n),
            template: Vec::with_capacity(n),
            alerts: Vec::with_capacity(n),
            pages: Vec::with_capacity(n),
            noise: Vec::with_capacity(n),
            median: Vec::with_capacity(n),
            p90: Vec::with_capacity(n),
            auto: Vec::with_capacity(n),
            refire: Vec::with_capacity(n),
            sleep: Vec::with_capacity(n),
            services: Vec::with_capacity(n),
        }
    }
}

/// One row per storm episode (domain.md, "Episodes"), earliest first (ties
/// by episode id; no episode id counts as one episode, first): its team,
/// first and last trigger, when its last alert resolved (null while any is
/// open), alerts, pages, noise alerts, distinct templates (no template
/// counting as one), and its lead (the alert whose id is the episode's,
/// the first in table order if an id repeats) with the lead's title; an
/// episode without its lead has neither.
///
/// One pass over the columns into a tally per episode, by code (polars'
/// group-by, join and sort took 1.1 CPU seconds at 10M alerts).
pub fn episodes(alerts: &DataFrame) -> Result<DataFrame, Error> {
    let what = "the episodes table";
    let read = Read { df: alerts, what };
    let (strings, times) = (|name| read.strings(name), |name| read.times(name));
    let (alert_id, episode, team, title) = (
        strings(s::ALERT_ID)?,
        strings(s::EPISODE_ID)?,
        strings(s::TEAM)?,
        strings(s::TITLE)?,
    );
    let (template, label) = (strings(s::TEMPLATE_ID)?, strings(s::LABEL)?);
    let paged = read.flags(s::PAGED)?;
    let (triggered, resolved) = (times(s::TRIGGERED_AT)?, times(s::RESOLVED_AT)?);
    let (mut ids, mut templates, mut labels) = (
        Interner::default(),
        Interner::default(),
        Interner::default(),
    );
    let (episode_of, template_of, label_of) = (
        codes(&episode, &mut ids),
        codes(&template, &mut templates),
        codes(&label, &mut labels),
    );
    let noise = labels.index.get("noise").copied().unwrap_or(NO_NAME);
    let code = |of: &[Name], row: usize| of.get(row).copied().unwrap_or(NO_NAME);

    // A tally per episode id (the last: no id), made when first seen.
    let mut by_id: Vec<Option<Episode>> = (0..=ids.names.len()).map(|_| None).collect();
    let rows = alert_id
        .iter()
        .zip(paged.iter())
        .zip(triggered.iter())
        .zip(resolved.iter());
    for (row, (((id, paged), t), r)) in rows.enumerate() {
        let k = code(&episode_of, row);
        let e = by_id[(k as usize).min(ids.names.len())].get_or_insert_with(Episode::default);
        if let Some(t) = t {
            e.first = Some(e.first.map_or(t, |f| f.min(t)));
            e.last = Some(e.last.map_or(t, |l| l.max(t)));
        }
        match r {
            Some(r) => e.resolved = Some(e.resolved.map_or(r, |m| m.max(r))),
            None => e.open = true,
        }
        e.alerts += 1;
        e.pages += u64::from(paged == Some(true));
        let l = code(&label_of, row);
        e.noise += u64::from(l != NO_NAME && l == noise);
        let t = code(&template_of, row);
        if !e.templates.contains(&t) {
            e.templates.push(t);
        }
        if e.lead.is_none() && id.is_some() && id == ids.name(k) {
            e.lead = Some(row);
        }
    }
    let mut out = named(by_id, &ids);
    out.sort_by(|(a, x), (b, y)| x.first.cmp(&y.first).then(a.cmp(b)));

    let time = |name: &str, values: Vec<Option<i64>>| {
        Column::new(name.into(), values).cast(&DataType::Datetime(
            TimeUnit::Microseconds,
            Some(TimeZone::UTC),
        ))
    };
    let count = |name: &str, f: fn(&Episode) -> u64| {
        Column::new(
            name.into(),
            out.iter().map(|(_, e)| f(e)).collect::<Vec<u64>>(),
        )
    };
    let columns = vec![
        Column::new(
            s::EPISODE_ID.into(),
            out.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        ),
        Column::new(
            s::TEAM.into(),
            out.iter()
                .map(|(_, e)| e.lead.and_then(|row| team.get(row)))
                .collect::<Vec<_>>(),
        ),
        time(
            "first_triggered_at",
            out.iter().map(|(_, e)| e.first).collect(),
        )
        .map_err(Error::polars(what))?,
        time(
            "last_triggered_at",
            out.iter().map(|(_, e)| e.last).collect(),
        )
        .map_err(Error::polars(what))?,
        time(
            "resolved_at",
            out.iter()
                .map(|(_, e)| if e.open { None } else { e.resolved })
                .collect(),
        )
        .map_err(Error::polars(what))?,
        count("alerts", |e| e.alerts),
        count("pages", |e| e.pages),
        count("noise", |e| e.noise),
        count("templates", |e| e.templates.len() as u64),
        Column::new(
            "lead_title".into(),
            out.iter()
                .map(|(_, e)| e.lead.and_then(|row| title.get(row)))
                .collect::<Vec<_>>(),
        ),
    ];
    DataFrame::new(out.len(), columns).map_err(Error::polars(what))
}

/// One episode's rows, as [`episodes`] adds them up.
#[derive(Default)]
struct Episode {
    first: Option<i64>,
    last: Option<i64>,
    /// Latest resolve; `open` when some row has none.
    resolved: Option<i64>,
    open: bool,
    alerts: u64,
    pages: u64,
    noise: u64,
    /// Distinct template codes (`NO_NAME` among them for no template).
    templates: Vec<Name>,
    /// The lead's row.
    lead: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Six alerts by hand (times in µs): episode a1 of four rows (its
    /// lead a1 first, a later row repeating the id; a row with no trigger,
    /// template, label or paged flag), episode b9 whose lead is missing and
    /// whose alert is open, and an alert with no episode id.
    #[test]
    fn episodes_by_hand() {
        let time = |name: &str, v: Vec<Option<i64>>| {
            Column::new(name.into(), v)
                .cast(&DataType::Datetime(
                    TimeUnit::Microseconds,
                    Some(TimeZone::UTC),
                ))
                .unwrap()
        };
        let df = DataFrame::new_infer_height(vec![
            Column::new(s::ALERT_ID.into(), ["a1", "a2", "a3", "b1", "c1", "a1"]),
            Column::new(
                s::EPISODE_ID.into(),
                [
                    Some("a1"),
                    Some("a1"),
                    Some("a1"),
                    Some("b9"),
                    None,
                    Some("a1"),
                ],
            ),
            Column::new(s::TEAM.into(), ["t1", "t2", "t1", "t3", "t4", "t5"]),
            Column::new(
                s::TITLE.into(),
                ["A one", "A two", "A three", "B", "C", "A again"],
            ),
            Column::new(
                s::TEMPLATE_ID.into(),
                [
                    Some("T1"),
                    Some("T2"),
                    None,
                    Some("T1"),
                    Some("T1"),
                    Some("T1"),
                ],
            ),
            Column::new(
                s::LABEL.into(),
                [
                    Some("noise"),
                    Some("actionable"),
                    None,
                    Some("noise"),
                    Some("noise"),
                    Some("noise"),
                ],
            ),
            Column::new(
                s::PAGED.into(),
                [
                    Some(true),
                    Some(false),
                    None,
                    Some(true),
                    Some(true),
                    Some(true),
                ],
            ),
            time(
                s::TRIGGERED_AT,
                vec![Some(100), Some(50), None, Some(400), Some(10), Some(500)],
            ),
            time(
                s::RESOLVED_AT,
                vec![Some(200), Some(300), Some(250), None, Some(20), Some(600)],
            ),
        ])
        .unwrap();
        let e = episodes(&df).unwrap();
        let strs = |name: &str| -> Vec<Option<String>> {
            let c = e.column(name).unwrap().str().unwrap().clone();
            c.iter().map(|v| v.map(str::to_string)).collect()
        };
        let ints = |name: &str| -> Vec<Option<i64>> {
            let c = e.column(name).unwrap().cast(&DataType::Int64).unwrap();
            c.i64().unwrap().iter().collect()
        };
        let s = |v: &str| Some(v.to_string());
        // Earliest first: no episode (10), a1 (50), b9 (400).
        assert_eq!(strs(s::EPISODE_ID), [None, s("a1"), s("b9")]);
        assert_eq!(strs(s::TEAM), [None, s("t1"), None]);
        assert_eq!(strs("lead_title"), [None, s("A one"), None]);
        assert_eq!(ints("first_triggered_at"), [Some(10), Some(50), Some(400)]);
        assert_eq!(ints("last_triggered_at"), [Some(10), Some(500), Some(400)]);
        assert_eq!(ints("resolved_at"), [Some(20), Some(600), None]);
        assert_eq!(ints("alerts"), [Some(1), Some(4), Some(1)]);
        assert_eq!(ints("pages"), [Some(1), Some(2), Some(1)]);
        assert_eq!(ints("noise"), [Some(1), Some(2), Some(1)]);
        // a1: T1, T2 and no template.
        assert_eq!(ints("templates"), [Some(1), Some(3), Some(1)]);
    }
}
