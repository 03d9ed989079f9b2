//! Repeat incidents (issue #29; the definition is the README's "Repeat
//! incidents"): an incident *repeats* when another incident of the same
//! service (and, where both have one, the same category) started within
//! the window after it was resolved — at or after its resolution and at
//! most the window later, both ends included. The
//! rate is the share of the incidents resolved in the period that repeat.
//! An incident with no service cannot repeat or be repeated (counted
//! apart); one that started before the other was resolved overlaps it and
//! is no repeat. Chains follow each incident to its first repeat.

use std::collections::BTreeMap;
use std::time::Duration;

use polars::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::schema as s;

/// Resolved incidents and those that repeated, with the rate.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RepeatCount {
    /// Incidents resolved in the period (with a service).
    pub resolved: u64,
    /// Of them, those another incident of the same service followed within
    /// the window.
    pub repeated: u64,
    /// repeated / resolved (0 without any).
    pub rate: f64,
}

impl RepeatCount {
    /// The rate, when any incident was resolved.
    pub fn rate_if_any(&self) -> Option<f64> {
        (self.resolved > 0).then_some(self.rate)
    }

    fn add(&mut self, repeated: bool) {
        self.resolved += 1;
        self.repeated += u64::from(repeated);
        self.rate = self.repeated as f64 / self.resolved as f64;
    }
}

/// A run of incidents of one service, each the repeat of the one before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chain {
    /// The service.
    pub service: String,
    /// The team of its first incident.
    pub team: Option<String>,
    /// The incidents' ids, in start order.
    pub incidents: Vec<String>,
    /// When the first started and the last started (RFC 3339).
    pub first_started: String,
    /// See `first_started`.
    pub last_started: String,
}

/// Repeat incidents over one window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Repeats {
    /// The window, in days (fractions where it is not whole days).
    pub window_days: f64,
    /// Over every service.
    #[serde(flatten)]
    pub all: RepeatCount,
    /// Resolved incidents of the period with no service (left out above).
    pub without_service: u64,
    /// Per team of the repeated incident (`(none)` without one).
    pub per_team: BTreeMap<String, RepeatCount>,
    /// Per service.
    pub per_service: BTreeMap<String, RepeatCount>,
    /// How many chains of two or more incidents started with one resolved
    /// in the period.
    pub chains_total: u64,
    /// Those chains, longest first (`summary.json` keeps the 20 longest;
    /// `tables/repeat_incidents.csv` has them all).
    pub chains: Vec<Chain>,
}

/// One incident as the count needs it (its text borrowed from the table).
struct Incident<'a> {
    id: &'a str,
    service: Option<&'a str>,
    team: Option<&'a str>,
    category: Option<&'a str>,
    started: Option<i64>,
    resolved: Option<i64>,
}

/// The incidents, read once for every window: each service's incidents by
/// start.
pub struct Prepared<'a> {
    all: Vec<Incident<'a>>,
    by_service: polars::prelude::PlHashMap<&'a str, Vec<usize>>,
}

/// The time columns as µs.
fn times(incidents: &DataFrame, name: &str) -> Result<Int64Chunked, Error> {
    incidents
        .column(name)
        .and_then(|c| c.cast(&DataType::Int64))
        .and_then(|c| c.i64().cloned())
        .map_err(Error::polars("the incidents, for repeat incidents"))
}

/// Read `incidents` (the canonical incidents table) for [`Prepared::count`].
pub fn prepare(incidents: &DataFrame) -> Result<Prepared<'_>, Error> {
    let strs = |name: &str| {
        incidents
            .column(name)
            .and_then(|c| c.str())
            .map_err(Error::polars("the incidents, for repeat incidents"))
    };
    let (ids, services, teams) = (strs(s::INCIDENT_ID)?, strs(s::SERVICE)?, strs(s::TEAM)?);
    let (started, resolved) = (
        times(incidents, s::STARTED_AT)?,
        times(incidents, s::RESOLVED_AT)?,
    );
    // Read where the frame has it (every stored table does).
    let categories = incidents
        .column(s::CATEGORY)
        .ok()
        .and_then(|c| c.str().ok());
    let category = |i: usize| categories.and_then(|c| c.get(i)).filter(|c| !c.is_empty());
    let all: Vec<Incident<'_>> = ids
        .iter()
        .zip(services.iter())
        .zip(teams.iter())
        .zip(started.iter().zip(resolved.iter()))
        .enumerate()
        .map(
            |(i, (((id, service), team), (started, resolved)))| Incident {
                id: id.unwrap_or(""),
                service: service.filter(|s| !s.is_empty()),
                team: team.filter(|t| !t.is_empty()),
                category: category(i),
                started,
                resolved,
            },
        )
        .collect();
    let mut by_service: polars::prelude::PlHashMap<&str, Vec<usize>> = Default::default();
    for (i, inc) in all.iter().enumerate() {
        if let (Some(svc), Some(_)) = (inc.service, inc.started) {
            by_service.entry(svc).or_default().push(i);
        }
    }
    for list in by_service.values_mut() {
        list.sort_unstable_by(|&a, &b| {
            (all[a].started, all[a].id).cmp(&(all[b].started, all[b].id))
        });
    }
    Ok(Prepared { all, by_service })
}

impl Prepared<'_> {
    /// The first incident of `i`'s service (and category, where both have
    /// one) that started within `w` (µs) after `i` was resolved.
    fn next(&self, i: usize, w: i64) -> Option<usize> {
        let all = &self.all;
        let inc = &all[i];
        let (svc, r) = (inc.service?, inc.resolved?);
        let list = self.by_service.get(svc)?;
        // The list is by start: from the first that started at or after `r`.
        let from = list.partition_point(|&j| all[j].started.is_some_and(|t| t < r));
        list[from..]
            .iter()
            .copied()
            .take_while(|&j| all[j].started.is_some_and(|t| t - r <= w))
            .find(|&j| {
                j != i
                    && match (inc.category, all[j].category) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    }
            })
    }

    /// Repeat incidents resolved in `period` (`[since, until)`, µs; all
    /// without one) over `window`; with `detail`, per team and service
    /// and the chains too.
    pub fn count(&self, period: Option<(i64, i64)>, window: Duration, detail: bool) -> Repeats {
        let all = &self.all;
        let w = window.as_micros() as i64;
        let in_period = |t: i64| period.is_none_or(|(a, b)| t >= a && t < b);
        let mut out = Repeats {
            window_days: window.as_secs_f64() / 86_400.0,
            ..Repeats::default()
        };
        let mut per_team: BTreeMap<&str, RepeatCount> = BTreeMap::new();
        let mut per_service: BTreeMap<&str, RepeatCount> = BTreeMap::new();
        let mut heads: Vec<usize> = Vec::new();
        let mut has_prev = vec![false; if detail { all.len() } else { 0 }];
        for (i, inc) in all.iter().enumerate() {
            if !inc.resolved.is_some_and(in_period) {
                continue;
            }
            let Some(svc) = inc.service else {
                out.without_service += 1;
                continue;
            };
            let repeat = self.next(i, w);
            let repeated = repeat.is_some();
            out.all.add(repeated);
            if !detail {
                continue;
            }
            per_service.entry(svc).or_default().add(repeated);
            per_team
                .entry(inc.team.unwrap_or("(none)"))
                .or_default()
                .add(repeated);
            if let Some(j) = repeat {
                has_prev[j] = true;
                heads.push(i);
            }
        }
        out.per_team = per_team
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        out.per_service = per_service
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        if detail {
            out.chains = self.chains(&heads, &has_prev, w);
            out.chains_total = out.chains.len() as u64;
        }
        out
    }

    /// The incidents with a service resolved in each ISO week (UTC; by
    /// its Monday, µs) and those of them that repeat within `window`.
    pub fn by_week(&self, window: Duration) -> BTreeMap<i64, RepeatCount> {
        let w = window.as_micros() as i64;
        let mut out: BTreeMap<i64, RepeatCount> = BTreeMap::new();
        for (i, inc) in self.all.iter().enumerate() {
            let (Some(r), Some(_)) = (inc.resolved, inc.service) else {
                continue;
            };
            out.entry(crate::calendar::monday_of(r))
                .or_default()
                .add(self.next(i, w).is_some());
        }
        out
    }

    /// Chains start at a repeated incident that repeats none before it, in
    /// start order, and follow each incident's first repeat. Two chains
    /// can meet (two incidents whose first repeat is the same): the later
    /// chain ends on the incident where it joins the earlier one.
    fn chains(&self, heads: &[usize], has_prev: &[bool], w: i64) -> Vec<Chain> {
        let all = &self.all;
        let time = |t: Option<i64>| t.map(crate::core::time::rfc3339_utc).unwrap_or_default();
        let mut starts: Vec<usize> = heads.iter().copied().filter(|&h| !has_prev[h]).collect();
        starts.sort_by(|&a, &b| (all[a].started, all[a].id).cmp(&(all[b].started, all[b].id)));
        let mut seen = vec![false; all.len()];
        let mut out = Vec::new();
        for h in starts {
            let mut chain = vec![h];
            seen[h] = true;
            let mut at = h;
            while let Some(j) = self.next(at, w) {
                chain.push(j);
                if seen[j] {
                    break;
                }
                seen[j] = true;
                at = j;
            }
            let first = &all[h];
            out.push(Chain {
                service: first.service.unwrap_or_default().to_string(),
                team: first.team.map(str::to_string),
                incidents: chain.iter().map(|&i| all[i].id.to_string()).collect(),
                first_started: time(first.started),
                last_started: time(all[*chain.last().unwrap_or(&h)].started),
            });
        }
        out.sort_by(|a, b| {
            b.incidents
                .len()
                .cmp(&a.incidents.len())
                .then_with(|| a.first_started.cmp(&b.first_started))
                .then_with(|| a.service.cmp(&b.service))
        });
        out
    }
}

/// Repeat incidents of `incidents` (the canonical incidents table, µs
/// times) resolved in `period` (`[since, until)`; all without one), over
/// `window`, with the detail.
pub fn repeats(
    incidents: &DataFrame,
    period: Option<(i64, i64)>,
    window: Duration,
) -> Result<Repeats, Error> {
    Ok(prepare(incidents)?.count(period, window, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000_000;

    /// (id, service, team, started, resolved).
    type Row<'a> = (&'a str, Option<&'a str>, Option<&'a str>, i64, Option<i64>);

    fn frame(rows: &[Row<'_>]) -> DataFrame {
        let col_s = |name: &str, v: Vec<Option<&str>>| Column::new(name.into(), v);
        let ts = |name: &str, v: Vec<Option<i64>>| {
            Column::new(name.into(), v)
                .cast(&DataType::Datetime(
                    TimeUnit::Microseconds,
                    Some(TimeZone::UTC),
                ))
                .unwrap()
        };
        DataFrame::new_infer_height(vec![
            col_s(s::INCIDENT_ID, rows.iter().map(|r| Some(r.0)).collect()),
            col_s(s::SERVICE, rows.iter().map(|r| r.1).collect()),
            col_s(s::TEAM, rows.iter().map(|r| r.2).collect()),
            ts(s::STARTED_AT, rows.iter().map(|r| Some(r.3)).collect()),
            ts(s::RESOLVED_AT, rows.iter().map(|r| r.4).collect()),
        ])
        .unwrap()
    }

    #[test]
    fn a_repeat_starts_within_the_window_after_the_resolution() {
        let api = Some("api");
        let df = frame(&[
            // a: resolved day 1; b starts exactly 7 days later: a repeat
            // (the edge counts).
            ("a", api, Some("web"), 0, Some(DAY)),
            ("b", api, Some("web"), 8 * DAY, Some(8 * DAY + 1)),
            // c starts 7 days and 1 µs after b resolved: no repeat of b.
            ("c", api, Some("web"), 15 * DAY + 2, Some(16 * DAY)),
            // d started before c was resolved: it overlaps, no repeat;
            // still open, so not counted as resolved either.
            ("d", api, Some("web"), 15 * DAY + 10, None),
            // Another service: never a repeat of api's.
            ("e", Some("db"), None, 2 * DAY, Some(3 * DAY)),
            // No service: counted apart.
            ("f", None, Some("web"), 0, Some(DAY)),
        ]);
        let r = repeats(&df, None, Duration::from_secs(7 * 86_400)).unwrap();
        // Resolved with a service: a, b, c, e; repeated: a.
        assert_eq!(
            r.all,
            RepeatCount {
                resolved: 4,
                repeated: 1,
                rate: 0.25
            }
        );
        assert_eq!(r.without_service, 1);
        assert_eq!(r.per_service["api"].repeated, 1);
        assert_eq!(r.per_service["api"].resolved, 3);
        assert_eq!(
            r.per_team["(none)"],
            RepeatCount {
                resolved: 1,
                repeated: 0,
                rate: 0.0
            }
        );
        assert_eq!(r.chains.len(), 1);
        assert_eq!(r.chains[0].incidents, ["a", "b"]);
        // Over 30 days b repeats too (c started within 30 days of it), and
        // the chain runs a → b → c.
        let r = repeats(&df, None, Duration::from_secs(30 * 86_400)).unwrap();
        assert_eq!(r.all.repeated, 2);
        assert_eq!(r.chains[0].incidents, ["a", "b", "c"]);
        // A period holding only b's resolution: one resolved, none repeated.
        let r = repeats(
            &df,
            Some((8 * DAY, 9 * DAY)),
            Duration::from_secs(7 * 86_400),
        )
        .unwrap();
        assert_eq!(
            r.all,
            RepeatCount {
                resolved: 1,
                repeated: 0,
                rate: 0.0
            }
        );
    }

    #[test]
    fn chains_that_meet_end_where_they_join() {
        let q = Some("q");
        // x and y overlap; both are followed by z; z by w.
        let df = frame(&[
            ("x", q, None, 0, Some(DAY)),
            ("y", q, None, DAY / 2, Some(2 * DAY)),
            ("z", q, None, 3 * DAY, Some(4 * DAY)),
            ("w", q, None, 5 * DAY, Some(6 * DAY)),
        ]);
        let r = repeats(&df, None, Duration::from_secs(7 * 86_400)).unwrap();
        assert_eq!(
            r.all,
            RepeatCount {
                resolved: 4,
                repeated: 3,
                rate: 0.75
            }
        );
        let chains: Vec<Vec<String>> = r.chains.iter().map(|c| c.incidents.clone()).collect();
        assert_eq!(chains, [vec!["x", "z", "w"], vec!["y", "z"]]);
    }
}
