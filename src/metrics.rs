//! Paging-load, noise and toil metrics (domain.md, "Paging load" and "Toil").
//!
//! * **Interruptions** follow PagerDuty Analytics: each page interrupts each
//!   person it reached (its responders; else whoever acknowledged it; else
//!   the team's on-call, unnamed), in that person's time zone (`[people]`),
//!   else the team's, else the default. Notifications to one person within
//!   60 s of the last one counted count once. **Business hours** are
//!   08:00–18:00 Monday to Friday; **sleep hours** 22:00–08:00 every day;
//!   **off hours** the rest (18:00–22:00 Monday to Friday, and Saturday and
//!   Sunday outside sleep hours).
//! * **Disrupted hours**: distinct local clock hours per person with at least
//!   one page, summed over people.
//! * **Shifts**: 12-hour shifts per team, 08:00–20:00 and 20:00–08:00 local;
//!   the SRE book's target is at most 2 pages per shift ("Being On-Call").
//! * **MTTA** (trigger → first acknowledgement) and **MTTR** (trigger →
//!   resolve) over pages: p50, p90, p95 (linear interpolation between
//!   ranks) and the mean, in seconds; pages never acknowledged are counted
//!   apart (`unacknowledged`), not given the close time as Opsgenie does.
//! * **Toil**: for each noise page, its engaged time (acknowledgement to
//!   resolve, capped at [`TOIL_CAP_HOURS`]) or, never acknowledged, the
//!   interruption cost (`[classify] interruption_cost`, default 15 min).
//!   Toil share = toil hours / on-call hours (period hours × teams paged),
//!   against the SRE book's 50% cap.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use polars::prelude::*;

use chrono::{Datelike, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;

use crate::classify::history::LocalClock;
use crate::classify::REASONS;
use crate::config::Config;
use crate::error::Error;
use crate::schema as s;

/// Engaged time counted as toil is capped at this many hours per page.
pub const TOIL_CAP_HOURS: f64 = 4.0;
/// Notifications to one person within this many seconds count once.
pub const MERGE_SECONDS: i64 = 60;
/// The SRE book's most pages per 12-hour shift.
pub const PAGES_PER_SHIFT_TARGET: u64 = 2;

/// One page as the metrics need it; times in µs since the epoch (UTC).
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The alert's id.
    pub alert_id: String,
    /// Normalised severity, if known.
    pub severity: Option<Arc<str>>,
    /// The first alert of its storm episode (`episode_id` is its own id).
    pub episode_lead: bool,
    /// Team, if known.
    pub team: Option<Arc<str>>,
    /// Service, if known.
    pub service: Option<Arc<str>>,
    /// Template, if known.
    pub template: Option<Arc<str>>,
    /// People it reached.
    pub responders: Vec<Arc<str>>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<Arc<str>>,
    /// Triggered.
    pub triggered: i64,
    /// First acknowledgement.
    pub acknowledged: Option<i64>,
    /// Resolved.
    pub resolved: Option<i64>,
    /// Labelled noise.
    pub noise: bool,
    /// Reason codes as bits (bit k: `classify::REASONS[k]`).
    pub reasons: u16,
    /// Resolved by the integration.
    pub auto_resolved: bool,
    /// Seconds from the previous occurrence clearing to this one firing.
    pub clear_gap_s: Option<i64>,
}

impl Page {
    /// Does the page carry this reason code?
    pub fn has_reason(&self, code: &str) -> bool {
        self.reasons & reason_bit(code) != 0
    }

    /// Was it triggered in sleep hours, in its team's zone?
    pub fn in_sleep_hours(&self, config: &Config) -> bool {
        let tz = zone_of(config, None, self.team.as_deref());
        local(self.triggered, tz)
            .is_some_and(|lt| slot(lt.weekday(), chrono::Timelike::hour(&lt)) == Slot::Sleep)
    }

    /// Toil hours of this page (0 if actionable).
    pub fn toil_hours(&self, cost_hours: f64) -> f64 {
        self.toil_hours_notified_at(cost_hours, self.triggered)
    }

    /// Toil hours had the page notified at `notified` (µs; a what-if delay):
    /// engaged time runs from the later of the acknowledgement and the
    /// notification.
    pub fn toil_hours_notified_at(&self, cost_hours: f64, notified: i64) -> f64 {
        toil_hours(
            self.noise,
            self.acknowledged,
            self.resolved,
            notified,
            cost_hours,
        )
    }
}

/// Toil hours of a page notified at `notified` (µs): 0 if actionable; the
/// engaged time from the later of the acknowledgement and the notification
/// to the resolve, capped at [`TOIL_CAP_HOURS`]; else (never acknowledged or
/// still open) `cost_hours`.
pub fn toil_hours(
    noise: bool,
    acknowledged: Option<i64>,
    resolved: Option<i64>,
    notified: i64,
    cost_hours: f64,
) -> f64 {
    if !noise {
        return 0.0;
    }
    match (acknowledged, resolved) {
        (Some(a), Some(r)) => ((r - a.max(notified)) as f64 / 3.6e9).clamp(0.0, TOIL_CAP_HOURS),
        _ => cost_hours,
    }
}

/// When in the week an interruption fell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// 08:00–18:00 Monday–Friday.
    Business,
    /// 18:00–22:00 Monday–Friday, Saturday and Sunday outside sleep hours.
    OffHours,
    /// 22:00–08:00 every day.
    Sleep,
}

/// The slot of a local time.
pub fn slot(weekday: chrono::Weekday, hour: u32) -> Slot {
    use chrono::Weekday::{Sat, Sun};
    if !(8..22).contains(&hour) {
        Slot::Sleep
    } else if matches!(weekday, Sat | Sun) || hour >= 18 {
        Slot::OffHours
    } else {
        Slot::Business
    }
}

/// Interruptions by slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Interruptions {
    /// Business hours.
    pub business: u64,
    /// Off hours.
    pub off_hours: u64,
    /// Sleep hours.
    pub sleep: u64,
    /// All of them.
    pub total: u64,
}

impl Interruptions {
    fn add(&mut self, s: Slot) {
        match s {
            Slot::Business => self.business += 1,
            Slot::OffHours => self.off_hours += 1,
            Slot::Sleep => self.sleep += 1,
        }
        self.total += 1;
    }
}

/// p50, p90, p95 and mean of durations in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// How many values.
    pub count: u64,
}

/// Percentile by linear interpolation between closest ranks (numpy's
/// default): rank `q·(n−1)` of the sorted values.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

impl Spread {
    /// The spread of some values.
    pub fn of(mut v: Vec<f64>) -> Spread {
        v.sort_by(f64::total_cmp);
        Spread {
            p50: percentile(&v, 0.5),
            p90: percentile(&v, 0.9),
            p95: percentile(&v, 0.95),
            mean: (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64),
            count: v.len() as u64,
        }
    }
}

/// The metrics of a set of pages.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Load {
    /// Pages.
    pub pages: u64,
    /// Pages labelled noise.
    pub noise_pages: u64,
    /// noise pages / pages.
    pub page_noise_ratio: f64,
    /// Interruptions by slot.
    pub interruptions: Interruptions,
    /// Distinct local clock hours per person with a page, summed.
    pub disrupted_hours: u64,
    /// Trigger → first acknowledgement, seconds.
    pub mtta_seconds: Spread,
    /// Trigger → resolve, seconds.
    pub mttr_seconds: Spread,
    /// Pages never acknowledged.
    pub unacknowledged: u64,
    /// Toil hours on noise pages.
    pub toil_hours: f64,
}

/// Everything a report shows about one period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Metrics {
    /// All pages.
    pub all: Load,
    /// Per team (`(none)` for pages without a team).
    pub teams: BTreeMap<String, Load>,
    /// Per person interrupted.
    pub responders: BTreeMap<String, Load>,
    /// Per service.
    pub services: BTreeMap<String, Load>,
    /// Per template.
    pub templates: BTreeMap<String, Load>,
    /// 12-hour shifts (per team) with more than the target's pages.
    pub shifts_over_target: u64,
    /// Most pages in one team's 12-hour shift.
    pub max_pages_per_shift: u64,
    /// Toil hours / on-call hours (period hours × teams paged).
    pub toil_share: f64,
}

fn zone_of(config: &Config, person: Option<&str>, team: Option<&str>) -> Tz {
    person
        .and_then(|p| config.people.get(p))
        .map(|p| p.timezone)
        .or_else(|| {
            team.and_then(|t| config.teams.get(t))
                .and_then(|t| t.timezone)
        })
        .unwrap_or(config.timezone)
}

fn local(t_us: i64, tz: Tz) -> Option<chrono::DateTime<Tz>> {
    chrono::Utc
        .timestamp_micros(t_us)
        .single()
        .map(|u| u.with_timezone(&tz))
}

/// The weekday of a day counted from 0001-01-01 (a Monday) as day 1.
fn weekday_of(day: i32) -> chrono::Weekday {
    use chrono::Weekday::*;
    [Mon, Tue, Wed, Thu, Fri, Sat, Sun][(day - 1).rem_euclid(7) as usize]
}

/// The headline load of the pages triggered in `[since, until)`, without
/// the breakdowns (for trends and the previous period).
pub fn load_between(pages: &[Page], config: &Config, since: i64, until: i64) -> Load {
    let cost = config.classify.interruption_cost.as_secs_f64() / 3600.0;
    let inside: Vec<&Page> = pages
        .iter()
        .filter(|p| p.triggered >= since && p.triggered < until)
        .collect();
    load(&inside, config, cost)
}

/// The people a page interrupted, borrowed where they can be.
pub fn recipients_of(p: &Page) -> Vec<Cow<'_, str>> {
    let mut out: Vec<Cow<'_, str>> = Vec::with_capacity(p.responders.len().max(1));
    for r in &p.responders {
        if !out.iter().any(|o| **o == **r) {
            out.push(Cow::Borrowed(r));
        }
    }
    if out.is_empty() {
        out.push(match &p.acknowledged_by {
            Some(a) => Cow::Borrowed(a),
            None => Cow::Owned(format!(
                "{} on-call",
                p.team.as_deref().unwrap_or("(no team)")
            )),
        });
    }
    out
}

/// Interruptions and disrupted hours of pages that notified at the given
/// times (µs): per person in time order, within 60 s of the last counted
/// notification counts once.
pub fn interruptions<'a>(
    notified: impl Iterator<Item = (&'a Page, i64)>,
    config: &Config,
) -> (Interruptions, u64) {
    let mut out = Interruptions::default();
    let mut disrupted = 0;
    let mut by_person: PlHashMap<Cow<'a, str>, Vec<Notified>> = PlHashMap::default();
    for (p, t) in notified {
        for r in recipients_of(p) {
            by_person.entry(r).or_default().push(Notified {
                at: t,
                group: 0,
                tz: zone_of(config, None, p.team.as_deref()),
            });
        }
    }
    let mut counter = Counter::new(1);
    let mut hours: PlHashSet<(i32, u16)> = PlHashSet::default();
    // Each person on their own: the sums do not depend on the map's order.
    for (person, mut times) in by_person {
        let own_zone = config.people.get(person.as_ref()).map(|p| p.timezone);
        hours.clear();
        counter.person(&mut times, own_zone, &mut out, None, Some(&mut hours));
        disrupted += hours.len() as u64;
    }
    (out, disrupted)
}

/// One notification of one person.
#[derive(Debug, Clone, Copy)]
struct Notified {
    at: i64,
    group: u32,
    tz: Tz,
}

/// Counts one person's notifications at a time: the one implementation of
/// the 60 s merge and the slots, overall and per group (the merge runs per
/// group too: a team's figure counts only that team's pages).
struct Counter {
    clock: LocalClock,
    anchors: Vec<Option<i64>>,
}

impl Counter {
    fn new(groups: usize) -> Counter {
        Counter {
            clock: LocalClock::default(),
            anchors: vec![None; groups],
        }
    }

    fn person(
        &mut self,
        times: &mut [Notified],
        own_zone: Option<Tz>,
        out: &mut Interruptions,
        mut per_group: Option<&mut [Interruptions]>,
        mut hours: Option<&mut PlHashSet<(i32, u16)>>,
    ) {
        if !times.is_sorted_by_key(|n| n.at) {
            times.sort_by_key(|n| n.at);
        }
        for n in times.iter() {
            self.anchors[n.group as usize] = None;
        }
        let mut anchor: Option<i64> = None;
        let merged = |a: Option<i64>, t: i64| a.is_some_and(|a| t - a <= MERGE_SECONDS * 1_000_000);
        for n in times.iter() {
            let Some((day, minute)) = self.clock.day_minute(n.at, own_zone.unwrap_or(n.tz)) else {
                continue;
            };
            let hour = minute / 60;
            if let Some(h) = hours.as_deref_mut() {
                h.insert((day, hour));
            }
            let s = slot(weekday_of(day), u32::from(hour));
            if let Some(g) = per_group.as_deref_mut() {
                let a = &mut self.anchors[n.group as usize];
                if !merged(*a, n.at) {
                    *a = Some(n.at);
                    g[n.group as usize].add(s);
                }
            }
            if merged(anchor, n.at) {
                continue;
            }
            anchor = Some(n.at);
            out.add(s);
        }
    }
}

/// Who each page reached, prepared once to count interruptions many times
/// (the what-if replay counts them under every policy).
#[derive(Debug)]
pub struct Recipients {
    /// Per person: their own zone, and the pages that reached them with
    /// the zone of each page's team.
    people: Vec<Person>,
}

/// A person's own zone, and the pages that reached them with the zone of
/// each page's team.
type Person = (Option<Tz>, Vec<(u32, Tz)>);

impl Recipients {
    /// Prepare the recipients of `pages`.
    pub fn new(pages: &[Page], config: &Config) -> Recipients {
        let mut index: PlHashMap<Cow<'_, str>, usize> = PlHashMap::default();
        let mut people: Vec<Person> = Vec::new();
        for (i, p) in pages.iter().enumerate() {
            let tz = zone_of(config, None, p.team.as_deref());
            for r in recipients_of(p) {
                let k = match index.get(&r) {
                    Some(&k) => k,
                    None => {
                        let own = config.people.get(r.as_ref()).map(|p| p.timezone);
                        people.push((own, Vec::new()));
                        index.insert(r, people.len() - 1);
                        people.len() - 1
                    }
                };
                people[k].1.push((i as u32, tz));
            }
        }
        Recipients { people }
    }

    /// Interruptions with page `i` notified at `at[i]` (µs; `None`: it did
    /// not notify), overall and per group (`group_of[i]` < `groups`).
    pub fn count(
        &self,
        at: &[Option<i64>],
        group_of: &[u32],
        groups: usize,
    ) -> (Interruptions, Vec<Interruptions>) {
        let mut out = Interruptions::default();
        let mut per_group = vec![Interruptions::default(); groups];
        let mut counter = Counter::new(groups);
        let mut times: Vec<Notified> = Vec::new();
        for (own, pages) in &self.people {
            times.clear();
            times.extend(pages.iter().filter_map(|&(i, tz)| {
                at[i as usize].map(|t| Notified {
                    at: t,
                    group: group_of[i as usize],
                    tz,
                })
            }));
            counter.person(&mut times, *own, &mut out, Some(&mut per_group), None);
        }
        (out, per_group)
    }
}

/// Compute the load of some pages (already filtered to the period).
fn load(pages: &[&Page], config: &Config, cost_hours: f64) -> Load {
    let mut l = Load {
        pages: pages.len() as u64,
        noise_pages: pages.iter().filter(|p| p.noise).count() as u64,
        ..Load::default()
    };
    l.page_noise_ratio = if l.pages == 0 {
        0.0
    } else {
        l.noise_pages as f64 / l.pages as f64
    };
    (l.interruptions, l.disrupted_hours) =
        interruptions(pages.iter().map(|p| (*p, p.triggered)), config);
    let secs = |a: i64, b: i64| (b - a) as f64 / 1e6;
    l.mtta_seconds = Spread::of(
        pages
            .iter()
            .filter_map(|p| p.acknowledged.map(|a| secs(p.triggered, a)))
            .collect(),
    );
    l.unacknowledged = pages.iter().filter(|p| p.acknowledged.is_none()).count() as u64;
    l.mttr_seconds = Spread::of(
        pages
            .iter()
            .filter_map(|p| p.resolved.map(|r| secs(p.triggered, r)))
            .collect(),
    );
    // `+ 0.0`: an empty f64 sum is −0.0.
    l.toil_hours = pages.iter().map(|p| p.toil_hours(cost_hours)).sum::<f64>() + 0.0;
    l
}

/// The metrics of the pages triggered in `[since, until)` (µs).
pub fn compute(pages: &[Page], config: &Config, since: i64, until: i64) -> Metrics {
    let cost = config.classify.interruption_cost.as_secs_f64() / 3600.0;
    let inside: Vec<&Page> = pages
        .iter()
        .filter(|p| p.triggered >= since && p.triggered < until)
        .collect();
    let group = |key: &dyn for<'p> Fn(&'p Page) -> Vec<Cow<'p, str>>| {
        let mut m: PlHashMap<Cow<'_, str>, Vec<&Page>> = PlHashMap::default();
        for p in &inside {
            for k in key(p) {
                m.entry(k).or_default().push(p);
            }
        }
        m.into_iter()
            .map(|(k, v)| (k.into_owned(), load(&v, config, cost)))
            .collect::<BTreeMap<_, _>>()
    };
    fn one(v: &Option<Arc<str>>) -> Vec<Cow<'_, str>> {
        vec![Cow::Borrowed(v.as_deref().unwrap_or("(none)"))]
    }
    let teams = group(&|p| one(&p.team));
    let responders = group(&recipients_of);
    let services = group(&|p| one(&p.service));
    let templates = group(&|p| one(&p.template));
    // Shifts: (team, local date of the shift start, day or night).
    let mut shifts: PlHashMap<(&str, i32, bool), u64> = PlHashMap::default();
    let mut clock = LocalClock::default();
    for p in &inside {
        let tz = zone_of(config, None, p.team.as_deref());
        let Some((day, minute)) = clock.day_minute(p.triggered, tz) else {
            continue;
        };
        let key = match minute / 60 {
            8..=19 => (day, true),
            20..=23 => (day, false),
            _ => (day - 1, false),
        };
        *shifts
            .entry((p.team.as_deref().unwrap_or("(none)"), key.0, key.1))
            .or_insert(0) += 1;
    }
    let all = load(&inside, config, cost);
    let period_hours = (until - since) as f64 / 3.6e9;
    let teams_paged = teams.len().max(1) as f64;
    Metrics {
        toil_share: if period_hours > 0.0 {
            all.toil_hours / (period_hours * teams_paged)
        } else {
            0.0
        },
        all,
        teams,
        responders,
        services,
        templates,
        shifts_over_target: shifts
            .values()
            .filter(|n| **n > PAGES_PER_SHIFT_TARGET)
            .count() as u64,
        max_pages_per_shift: shifts.values().copied().max().unwrap_or(0),
    }
}

/// The bit of a reason code (bit k: `REASONS[k]`; 0 for an unknown code).
pub fn reason_bit(code: &str) -> u16 {
    REASONS
        .iter()
        .position(|r| *r == code)
        .map_or(0, |k| 1 << k)
}

/// A list of reason codes as bits (see [`reason_bit`]).
pub fn reason_bits(list: &Series) -> u16 {
    let Ok(codes) = list.str() else { return 0 };
    codes.iter().flatten().fold(0, |m, c| m | reason_bit(c))
}

/// Shared copies of repeated strings.
#[derive(Default)]
struct Interner(PlHashMap<Arc<str>, ()>);

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some((k, _)) = self.0.get_key_value(s) {
            return k.clone();
        }
        let k: Arc<str> = Arc::from(s);
        self.0.insert(k.clone(), ());
        k
    }
}

/// The columns [`pages_of`] reads.
pub const PAGE_COLUMNS: [&str; 16] = [
    s::ALERT_ID,
    s::SEVERITY,
    s::EPISODE_ID,
    s::TEAM,
    s::SERVICE,
    s::TEMPLATE,
    s::ACKNOWLEDGED_BY,
    s::LABEL,
    s::TRIGGERED_AT,
    s::ACKNOWLEDGED_AT,
    s::RESOLVED_AT,
    s::PAGED,
    s::RESPONDERS,
    s::REASONS,
    s::AUTO_RESOLVED,
    s::CLEAR_GAP_S,
];

/// Pages, and the first and last trigger time among them (µs).
pub type Pages = (Vec<Page>, Option<(i64, i64)>);

/// Pages triggered in `[since, until)` by local weekday (Monday first) and
/// hour, in each page's team zone (else the default zone).
pub fn weekday_hours(pages: &[Page], config: &Config, since: i64, until: i64) -> Vec<Vec<u64>> {
    let mut grid = vec![vec![0u64; 24]; 7];
    let mut clock = LocalClock::default();
    for p in pages {
        if p.triggered < since || p.triggered >= until {
            continue;
        }
        let tz = zone_of(config, None, p.team.as_deref());
        if let Some((day, minute)) = clock.day_minute(p.triggered, tz) {
            let wd = weekday_of(day).num_days_from_monday() as usize;
            grid[wd][usize::from(minute / 60).min(23)] += 1;
        }
    }
    grid
}

/// The pages (paged alerts) of a classified table, in table order, and the
/// range of their trigger times. Reads [`PAGE_COLUMNS`].
pub fn pages_of(df: &DataFrame) -> Result<Pages, Error> {
    let what = "the pages";
    let strs = |name: &str| {
        df.column(name)
            .and_then(|c| c.str().cloned())
            .map_err(Error::polars(what))
    };
    let times = |name: &str| {
        df.column(name)
            .and_then(|c| c.cast(&DataType::Int64))
            .and_then(|c| c.i64().cloned())
            .map_err(Error::polars(what))
    };
    let (id, severity, episode, team, service, template, ack_by, label) = (
        strs(s::ALERT_ID)?,
        strs(s::SEVERITY)?,
        strs(s::EPISODE_ID)?,
        strs(s::TEAM)?,
        strs(s::SERVICE)?,
        strs(s::TEMPLATE)?,
        strs(s::ACKNOWLEDGED_BY)?,
        strs(s::LABEL)?,
    );
    let (t, a, r) = (
        times(s::TRIGGERED_AT)?,
        times(s::ACKNOWLEDGED_AT)?,
        times(s::RESOLVED_AT)?,
    );
    let paged = df
        .column(s::PAGED)
        .and_then(|c| c.bool().cloned())
        .map_err(Error::polars(what))?;
    let responders = df
        .column(s::RESPONDERS)
        .and_then(|c| c.list().cloned())
        .map_err(Error::polars(what))?;
    let reasons = df
        .column(s::REASONS)
        .and_then(|c| c.list().cloned())
        .map_err(Error::polars(what))?;
    let auto = df
        .column(s::AUTO_RESOLVED)
        .and_then(|c| c.bool().cloned())
        .map_err(Error::polars(what))?;
    let gap = df
        .column(s::CLEAR_GAP_S)
        .and_then(|c| c.i64().cloned())
        .map_err(Error::polars(what))?;
    // One pass over the reason lists (no Series per row).
    let bits: Vec<u16> = reasons
        .amortized_iter()
        .map(|l| l.map_or(0, |l| reason_bits(l.as_ref())))
        .collect();
    let mut out = Vec::new();
    let mut range: Option<(i64, i64)> = None;
    // One shared copy of each distinct team, service, template, severity
    // and person: a page holds references, not copies.
    let mut names = Interner::default();
    for (i, resp) in responders.amortized_iter().enumerate() {
        let (Some(true), Some(trig)) = (paged.get(i), t.get(i)) else {
            continue;
        };
        range = Some(match range {
            None => (trig, trig),
            Some((lo, hi)) => (lo.min(trig), hi.max(trig)),
        });
        let people: Vec<Arc<str>> = resp
            .and_then(|l| {
                l.as_ref()
                    .str()
                    .ok()
                    .map(|c| c.iter().flatten().map(|n| names.get(n)).collect())
            })
            .unwrap_or_default();
        out.push(Page {
            alert_id: id.get(i).unwrap_or_default().to_string(),
            severity: severity.get(i).map(|v| names.get(v)),
            episode_lead: episode.get(i).is_none_or(|e| Some(e) == id.get(i)),
            team: team.get(i).map(|v| names.get(v)),
            service: service.get(i).map(|v| names.get(v)),
            template: template.get(i).map(|v| names.get(v)),
            responders: people,
            acknowledged_by: ack_by.get(i).map(|v| names.get(v)),
            triggered: trig,
            acknowledged: a.get(i),
            resolved: r.get(i),
            noise: label.get(i) == Some("noise"),
            reasons: bits[i],
            auto_resolved: auto.get(i) == Some(true),
            clear_gap_s: gap.get(i),
        });
    }
    Ok((out, range))
}

/// Seconds as `1h02m`, `4m10s` or `12s`.
pub fn human_secs(s: f64) -> String {
    let s = s.round() as i64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots() {
        use chrono::Weekday::*;
        assert_eq!(slot(Mon, 8), Slot::Business);
        assert_eq!(slot(Mon, 7), Slot::Sleep);
        assert_eq!(slot(Fri, 17), Slot::Business);
        assert_eq!(slot(Fri, 18), Slot::OffHours);
        assert_eq!(slot(Fri, 21), Slot::OffHours);
        assert_eq!(slot(Fri, 22), Slot::Sleep);
        assert_eq!(slot(Sat, 12), Slot::OffHours);
        assert_eq!(slot(Sun, 23), Slot::Sleep);
    }

    #[test]
    fn weekdays_from_day_numbers() {
        use chrono::Datelike;
        for (y, m, d) in [(2026, 3, 30), (2026, 4, 4), (2001, 1, 1), (1970, 1, 1)] {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
            assert_eq!(weekday_of(date.num_days_from_ce()), date.weekday());
        }
    }

    #[test]
    fn percentiles_by_hand() {
        // 10, 20, 30, 40: p50 at rank 1.5 = 25; p90 at 2.7 = 37; p95 at
        // 2.85 = 38.5; mean 25.
        let s = Spread::of(vec![40.0, 10.0, 30.0, 20.0]);
        assert_eq!(s.p50, Some(25.0));
        assert!((s.p90.unwrap_or(0.0) - 37.0).abs() < 1e-9);
        assert!((s.p95.unwrap_or(0.0) - 38.5).abs() < 1e-9);
        assert_eq!(s.mean, Some(25.0));
        assert_eq!(Spread::of(vec![]).p50, None);
    }
}
