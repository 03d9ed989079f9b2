//! Paging-load, noise and toil metrics (domain.md, "Paging load" and "Toil").
//!
//! * **Interruptions** follow PagerDuty Analytics: each page interrupts each
//!   person it reached (its responders; else whoever acknowledged it; else
//!   the team's on-call, unnamed), in that person's time zone (`[people]`),
//!   else the team's, else the default. Notifications to one person within
//!   the merge window (`[load] merge_window`, 60 s) of the last one counted
//!   count once. **Business hours**, **sleep hours** and **off hours** are
//!   [`crate::calendar`]'s, from `[load]`.
//! * **Disrupted hours**: distinct local clock hours per person with at least
//!   one page, summed over people.
//! * **Shifts**: 12-hour shifts per team ([`Calendar::shift`]); the SRE
//!   book's target is at most `[targets] pages_per_shift` (2) per shift.
//! * **MTTA** (trigger → first acknowledgement) and **MTTR** (trigger →
//!   resolve) over pages: p50, p90, p95 (linear interpolation between
//!   ranks) and the mean, in seconds; pages never acknowledged are counted
//!   apart (`unacknowledged`), not given the close time as Opsgenie does.
//! * **Toil**: for each noise page, its engaged time (acknowledgement to
//!   resolve, capped at `[load] toil_cap`) or, never acknowledged, the
//!   interruption cost (`[classify] interruption_cost`, default 15 min):
//!   [`ToilCost`]. Toil share = toil hours / on-call hours (period hours ×
//!   teams paged), against `[targets] toil_share` (the SRE book's 50%).
//!
//! Length: about 750 lines: the interruption engine (people reached, merge,
//! disrupted hours, per-group tallies) is one piece that the report's figures
//! and the what-if replay both count through; the calendar, the page model,
//! the period and the table counts are in their own files.

pub mod counts;
pub mod period;
pub mod repeats;
pub mod runbooks;

use std::borrow::Cow;
use std::collections::BTreeMap;

use polars::prelude::*;

use chrono_tz::Tz;
use serde::Serialize;

use crate::config::Config;
pub use crate::core::stats::Spread;
use crate::core::time::LocalClock;

use crate::calendar::{monday_of, weekday_of, Calendar, Slot, WEEK_US};
use crate::pages::{Name, Page, Pages, ToilCost, NO_NAME};
use crate::roster::Roster;

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

/// The metrics of a set of pages.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Load {
    /// Pages.
    pub pages: u64,
    /// Pages labelled noise.
    pub noise_pages: u64,
    /// noise pages / pages.
    pub page_noise_ratio: f64,
    /// Pages whose occurrence carried a runbook link.
    pub pages_with_runbook: u64,
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
    /// How evenly the load fell on the people it reached (teams only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fairness: Option<Fairness>,
}

/// How evenly interruptions fell on a team's people: everyone a page of
/// the team reached, and everyone who held one of its shifts in the period
/// (a shift holder no page reached counts as zero).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Fairness {
    /// People counted.
    pub people: u64,
    /// Of them, people who held a shift in the period (schedules given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shift_holders: Option<u64>,
    /// Hours the shift holders were on call in the period (a person's
    /// overlapping shifts once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_call_hours: Option<f64>,
    /// Interruptions (of the teams with shifts) per on-call hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interruptions_per_on_call_hour: Option<f64>,
    /// Gini coefficient of interruptions per person: 0 when everyone had
    /// the same, towards 1 when one person had them all.
    pub gini: f64,
    /// The same of sleep-hour interruptions.
    pub sleep_gini: f64,
    /// The most nights in a row one person was woken at least once (a
    /// night: from the start of sleep hours to their end, in the person's
    /// zone).
    pub max_consecutive_sleep_nights: u64,
    /// Each person counted, by name (the fairness chart and
    /// `tables/fairness.csv`; not in `summary.json`).
    #[serde(skip)]
    pub members: Vec<Member>,
}

/// One person's share of a team's (or the whole) load.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Member {
    /// Who.
    pub name: String,
    /// Interruptions.
    pub interruptions: u64,
    /// Of them, in sleep hours.
    pub sleep_interruptions: u64,
    /// The most nights in a row they were woken.
    pub consecutive_sleep_nights: u64,
    /// Hours on call in the period, when they held a shift.
    pub on_call_hours: Option<f64>,
}

impl Fairness {
    /// From each person's figures; `interruptions`: the group's (merged
    /// per group), for the rate per on-call hour.
    fn of(mut members: Vec<Member>, interruptions: u64) -> Fairness {
        members.sort_by(|a, b| a.name.cmp(&b.name));
        let gini = |f: fn(&Member) -> u64| {
            let v: Vec<f64> = members.iter().map(|p| f(p) as f64).collect();
            crate::core::stats::gini(&v).unwrap_or(0.0)
        };
        let holders: Vec<f64> = members.iter().filter_map(|m| m.on_call_hours).collect();
        let hours: f64 = holders.iter().sum();
        Fairness {
            people: members.len() as u64,
            shift_holders: (!holders.is_empty()).then_some(holders.len() as u64),
            on_call_hours: (!holders.is_empty()).then_some(hours),
            interruptions_per_on_call_hour: (hours > 0.0).then(|| interruptions as f64 / hours),
            gini: gini(|p| p.interruptions),
            sleep_gini: gini(|p| p.sleep_interruptions),
            max_consecutive_sleep_nights: members
                .iter()
                .map(|p| p.consecutive_sleep_nights)
                .max()
                .unwrap_or(0),
            members,
        }
    }
}

/// Each person's (person, interruptions, sleep interruptions, longest run
/// of nights woken): overall, and per group of the first split (the teams).
#[derive(Debug, Default)]
struct Fair {
    overall: Vec<(u32, u64, u64, u64)>,
    per_group: Vec<Vec<(u32, u64, u64, u64)>>,
}

/// The people of `reached` ((person, interruptions, sleep, nights) by the
/// engine's person numbers) and the shift `holders` ((name, hours)), once
/// each: a holder no page reached counts as zero.
fn members(
    reached: &[(u32, u64, u64, u64)],
    names: &[Cow<'_, str>],
    holders: &[(&str, f64)],
) -> Vec<Member> {
    let mut by_name: BTreeMap<&str, Member> = BTreeMap::new();
    for &(k, n, sleep, nights) in reached {
        let name = names.get(k as usize).map_or("", |n| n.as_ref());
        by_name.insert(
            name,
            Member {
                name: name.to_string(),
                interruptions: n,
                sleep_interruptions: sleep,
                consecutive_sleep_nights: nights,
                on_call_hours: None,
            },
        );
    }
    for &(name, hours) in holders {
        let m = by_name.entry(name).or_insert_with(|| Member {
            name: name.to_string(),
            ..Member::default()
        });
        *m.on_call_hours.get_or_insert(0.0) += hours;
    }
    by_name.into_values().collect()
}

/// The longest run of consecutive days among `nights`.
fn longest_run(nights: &mut Vec<i32>) -> u64 {
    nights.sort_unstable();
    nights.dedup();
    let (mut best, mut run) = (0u64, 0u64);
    for (i, n) in nights.iter().enumerate() {
        run = if i > 0 && nights[i - 1] + 1 == *n {
            run + 1
        } else {
            1
        };
        best = best.max(run);
    }
    best
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
    /// Each ISO week (UTC) overlapping the period (an open-ended period:
    /// from its first page's week to its last's): its Monday (µs) and its
    /// figures (per-week merges and hours: a week counts only its pages).
    pub weekly: Vec<(i64, Load)>,
    /// Pages by local weekday (Monday first) and hour, in each page's team
    /// zone (else the default zone).
    pub weekday_hours: Vec<Vec<u64>>,
    /// How evenly the period's interruptions fell on the people reached.
    pub fairness: Fairness,
    /// The severity-weighted paging load per person per 12-hour shift
    /// (or the schedules' shifts).
    pub weighted: WeightedLoad,
    /// Each week of `weekly`, the KPIs its load does not carry.
    pub weekly_kpis: Vec<WeekKpis>,
    /// Runbook coverage of the period's pages.
    pub runbooks: runbooks::RunbookCoverage,
    /// Every rule paged, with its runbook coverage (`tables/runbooks.csv`).
    #[serde(skip)]
    pub runbook_rules: Vec<runbooks::Rule>,
}

/// One week's KPIs beyond its [`Load`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WeekKpis {
    /// Its toil hours over its on-call hours (the week's hours inside the
    /// period, for each team paged that week).
    pub toil_share: f64,
    /// Person-shifts whose first page fell in the week over `[targets]
    /// weighted_load_per_shift`.
    pub weighted_shifts_over_target: u64,
}

/// The severity-weighted paging load (issue #29): per person and shift,
/// the sum of the weights (`[kpis] weight_*`) of the pages that reached
/// them. A shift is the one the schedules say the person held when the
/// page fired, where schedules are given; else the team's 12-hour shift
/// in its zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WeightedLoad {
    /// (person, shift) pairs with at least one page.
    pub shifts_paged: u64,
    /// Of them, shifts from the schedules (the rest: 12-hour shifts).
    pub scheduled_shifts: u64,
    /// Of them, those over `[targets] weighted_load_per_shift`.
    pub shifts_over_target: u64,
    /// The most in one person's shift.
    pub max_per_shift: f64,
    /// Per person: their paged shifts, their total, most and median per
    /// paged shift.
    pub per_person: BTreeMap<String, PersonWeighted>,
}

/// One person's severity-weighted load.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PersonWeighted {
    /// Shifts in which a page reached them.
    pub shifts_paged: u64,
    /// The weights of every page that reached them.
    pub total: f64,
    /// The most in one shift.
    pub max_per_shift: f64,
    /// The median over their paged shifts.
    pub p50_per_shift: f64,
    /// Their shifts over the target.
    pub shifts_over_target: u64,
}

/// A page's weight by its normalised severity (`[kpis] weight_*`; a page
/// of unknown severity weighs `weight_unknown`).
pub fn severity_weight(severity: Option<&str>, k: &crate::config::Kpis) -> f64 {
    match severity {
        Some("critical") => k.weight_critical,
        Some("error") => k.weight_error,
        Some("warning") => k.weight_warning,
        Some("info") => k.weight_info,
        _ => k.weight_unknown,
    }
}

/// The pages triggered in `[since, until)` (µs).
pub fn in_period(pages: &[Page], since: i64, until: i64) -> impl Iterator<Item = &Page> {
    pages
        .iter()
        .filter(move |p| p.triggered >= since && p.triggered < until)
}

/// The headline figures of another period than the report's (the one
/// before it, two quarters back): its load, severity-weighted load and
/// toil share.
#[derive(Debug, Clone, Default)]
pub struct PeriodLoad {
    /// Its paging load.
    pub load: Load,
    /// Its severity-weighted load per person and shift.
    pub weighted: WeightedLoad,
    /// Its toil share ([`toil_share`]).
    pub toil_share: f64,
}

/// The headline figures of the pages triggered in `[since, until)`,
/// without the breakdowns (the previous period, two quarters back).
pub fn load_between(
    pages: &Pages,
    config: &Config,
    since: i64,
    until: i64,
    roster: &Roster,
) -> PeriodLoad {
    let inside: Vec<&Page> = in_period(&pages.list, since, until).collect();
    let engine = Engine::new(&inside, pages, config);
    let load = engine.all(&[]).0;
    let mut clock = LocalClock::default();
    let shift_of: Vec<Option<(i32, bool)>> = inside
        .iter()
        .enumerate()
        .map(|(i, p)| {
            clock
                .day_minute(p.triggered, engine.zones[i])
                .map(|(day, minute)| engine.calendar.shift(day, minute))
        })
        .collect();
    let shifts = shift_loads(&inside, pages, &engine.reach, &shift_of, roster, config);
    let mut teams: Vec<Name> = inside.iter().map(|p| p.team).collect();
    teams.sort_unstable();
    teams.dedup();
    PeriodLoad {
        toil_share: toil_share(load.toil_hours, until - since, teams.len()),
        weighted: summarise_weighted(&shifts, &engine.reach, config),
        load,
    }
}

/// Toil hours over on-call hours: `span` (µs) for each of `teams` teams
/// paged (at least one); 0 for an empty span.
pub fn toil_share(toil_hours: f64, span: i64, teams: usize) -> f64 {
    let hours = span as f64 / 3.6e9;
    if hours > 0.0 {
        toil_hours / (hours * teams.max(1) as f64)
    } else {
        0.0
    }
}

/// The people pages reach, each numbered once by name in first-seen order
/// (a name's code is looked up by text only the first time it is seen).
struct People<'a> {
    names: Vec<Cow<'a, str>>,
    own: Vec<Option<Tz>>,
    index: PlHashMap<Cow<'a, str>, u32>,
    by_code: Vec<u32>,
}

impl<'a> People<'a> {
    fn new(codes: usize) -> People<'a> {
        People {
            names: Vec::new(),
            own: Vec::new(),
            index: PlHashMap::default(),
            by_code: vec![u32::MAX; codes],
        }
    }

    fn named(&mut self, name: Cow<'a, str>, config: &Config) -> u32 {
        if let Some(&k) = self.index.get(name.as_ref()) {
            return k;
        }
        let k = self.names.len() as u32;
        self.own
            .push(config.people.get(name.as_ref()).map(|p| p.timezone));
        self.names.push(name.clone());
        self.index.insert(name, k);
        k
    }

    fn coded(&mut self, n: Name, all: &'a Pages, config: &Config) -> u32 {
        match self.by_code.get(n as usize) {
            Some(&k) if k != u32::MAX => k,
            _ => {
                let k = self.named(Cow::Borrowed(all.label(n)), config);
                if let Some(slot) = self.by_code.get_mut(n as usize) {
                    *slot = k;
                }
                k
            }
        }
    }
}

/// Who the pages reached (domain.md: each page interrupts each person it
/// reached — its responders; else whoever acknowledged it; else the team's
/// on-call, unnamed), each person numbered once in first-seen order.
struct Reach<'a> {
    /// Each person's name.
    names: Vec<Cow<'a, str>>,
    /// Each person's own zone (`[people]`), if they have one.
    own: Vec<Option<Tz>>,
    /// (page, person) pairs in page order.
    pairs: Vec<(u32, u32)>,
}

impl<'a> Reach<'a> {
    fn of(pages: &[&Page], all: &'a Pages, config: &Config) -> Reach<'a> {
        let mut pairs = Vec::with_capacity(pages.len());
        let mut people = People::new(all.names());
        // Each team's on-call (the last slot: pages without a team).
        let mut on_call = vec![u32::MAX; all.names() + 1];
        for (i, p) in pages.iter().enumerate() {
            let first = pairs.len();
            let responders = all.responders(p);
            if !responders.is_empty() {
                for &n in responders {
                    let k = people.coded(n, all, config);
                    if !pairs[first..].iter().any(|&(_, q)| q == k) {
                        pairs.push((i as u32, k));
                    }
                }
            } else if p.acknowledged_by != NO_NAME {
                pairs.push((i as u32, people.coded(p.acknowledged_by, all, config)));
            } else {
                let slot = all.slot(p.team);
                let k = match on_call[slot] {
                    u32::MAX => {
                        let team = all.name(p.team).unwrap_or("(no team)");
                        let k = people.named(Cow::Owned(format!("{team} on-call")), config);
                        on_call[slot] = k;
                        k
                    }
                    k => k,
                };
                pairs.push((i as u32, k));
            }
        }
        Reach {
            names: people.names,
            own: people.own,
            pairs,
        }
    }
}

impl Reach<'_> {
    /// The pages that reached each person, in page order: person `k`'s are
    /// `pages[start[k]..start[k + 1]]`. Returns `(start, pages)`.
    fn by_person(&self) -> (Vec<usize>, Vec<u32>) {
        let persons = self.names.len();
        let mut start = vec![0usize; persons + 1];
        for &(_, k) in &self.pairs {
            start[k as usize + 1] += 1;
        }
        for k in 0..persons {
            start[k + 1] += start[k];
        }
        let mut fill = start.clone();
        let mut pages = vec![0u32; self.pairs.len()];
        for &(i, k) in &self.pairs {
            pages[fill[k as usize]] = i;
            fill[k as usize] += 1;
        }
        (start, pages)
    }
}

/// Each page's team zone (else the default zone), looked up once per team.
fn team_zones(pages: &[&Page], all: &Pages, config: &Config) -> Vec<Tz> {
    let mut cache: Vec<Option<Tz>> = vec![None; all.names() + 1];
    pages
        .iter()
        .map(|p| {
            let slot = all.slot(p.team);
            *cache[slot].get_or_insert_with(|| config.team_timezone(all.name(p.team)))
        })
        .collect()
}

/// The merge of one person's notifications, per group: a notification
/// counts for its group unless it came within the window (µs) of the last
/// one counted for that group. The one implementation of the merge (the
/// report's figures and the what-if replay both count through it).
struct Merge {
    anchors: Vec<Option<i64>>,
    touched: Vec<u32>,
    window: i64,
}

impl Merge {
    fn new(groups: usize, window: i64) -> Merge {
        Merge {
            anchors: vec![None; groups],
            touched: Vec::new(),
            window,
        }
    }

    /// Does a notification at `at` (µs, in time order) count for group `g`?
    fn counts(&mut self, g: u32, at: i64) -> bool {
        let anchor = &mut self.anchors[g as usize];
        match *anchor {
            Some(a) if at - a <= self.window => false,
            Some(_) => {
                *anchor = Some(at);
                true
            }
            None => {
                *anchor = Some(at);
                self.touched.push(g);
                true
            }
        }
    }

    /// Forget the last person's notifications.
    fn next_person(&mut self) {
        for g in self.touched.drain(..) {
            self.anchors[g as usize] = None;
        }
    }
}

/// Pages split into groups: each page's group, and the number of groups.
pub(crate) struct Split {
    /// Each page's group.
    pub(crate) of: Vec<u32>,
    /// How many groups.
    pub(crate) groups: usize,
}

impl Split {
    /// By a name (first-seen order, `(none)` for a missing one); returns
    /// the names too.
    pub(crate) fn by<'a>(
        pages: &[&Page],
        all: &'a Pages,
        key: impl Fn(&Page) -> Name,
    ) -> (Split, Vec<&'a str>) {
        // A code's group is looked up by text the first time it is seen.
        let mut by_code = vec![u32::MAX; all.names() + 1];
        let mut index: PlHashMap<&str, u32> = PlHashMap::default();
        let mut names = Vec::new();
        let of = pages
            .iter()
            .map(|p| {
                let n = key(p);
                let slot = all.slot(n);
                if by_code[slot] == u32::MAX {
                    let text = all.label(n);
                    by_code[slot] = *index.entry(text).or_insert_with(|| {
                        names.push(text);
                        names.len() as u32 - 1
                    });
                }
                by_code[slot]
            })
            .collect();
        (
            Split {
                of,
                groups: names.len(),
            },
            names,
        )
    }
}

/// The page-level figures of one group, and its durations (µs) to spread.
#[derive(Default)]
struct Tally {
    load: Load,
    ack: Vec<i64>,
    res: Vec<i64>,
}

impl Tally {
    fn add(&mut self, p: &Page, toil: f64) {
        self.load.pages += 1;
        self.load.noise_pages += u64::from(p.noise());
        self.load.pages_with_runbook += u64::from(p.has_runbook());
        match p.acknowledged() {
            Some(a) => self.ack.push(a - p.triggered),
            None => self.load.unacknowledged += 1,
        }
        if let Some(r) = p.resolved() {
            self.res.push(r - p.triggered);
        }
        self.load.toil_hours += toil;
    }

    fn finish(self) -> Load {
        let mut l = self.load;
        l.page_noise_ratio = if l.pages == 0 {
            0.0
        } else {
            l.noise_pages as f64 / l.pages as f64
        };
        l.mtta_seconds = Spread::of(self.ack);
        l.mttr_seconds = Spread::of(self.res);
        l
    }
}

/// The merge window of `[load]`, µs.
fn merge_window(config: &Config) -> i64 {
    i64::try_from(config.load.merge_window.as_micros()).unwrap_or(i64::MAX)
}

/// The pages of one period prepared once for every breakdown: their team
/// zones, who they reached, and their toil.
struct Engine<'p> {
    pages: &'p [&'p Page],
    zones: Vec<Tz>,
    reach: Reach<'p>,
    toil: Vec<f64>,
    calendar: Calendar,
    merge_window: i64,
}

/// Tally `members` ((page, group) in page order) into `groups` loads.
fn tally(
    pages: &[&Page],
    toil: &[f64],
    groups: usize,
    members: impl Iterator<Item = (u32, u32)>,
) -> Vec<Load> {
    let mut t: Vec<Tally> = (0..groups).map(|_| Tally::default()).collect();
    for (i, g) in members {
        t[g as usize].add(pages[i as usize], toil[i as usize]);
    }
    t.into_iter().map(Tally::finish).collect()
}

impl<'p> Engine<'p> {
    fn new(pages: &'p [&'p Page], all: &'p Pages, config: &Config) -> Engine<'p> {
        let cost = ToilCost::of(config);
        Engine {
            pages,
            zones: team_zones(pages, all, config),
            reach: Reach::of(pages, all, config),
            toil: pages.iter().map(|p| p.toil_hours(cost)).collect(),
            calendar: Calendar::of(&config.load),
            merge_window: merge_window(config),
        }
    }

    /// The load of all pages, of each group of each split, and of each
    /// person reached (that person's own interruptions).
    fn all(&self, splits: &[&Split]) -> (Load, Vec<Vec<Load>>, Vec<Load>, Fair) {
        let n = self.pages.len() as u32;
        let mut all = tally(self.pages, &self.toil, 1, (0..n).map(|i| (i, 0)))
            .pop()
            .unwrap_or_default();
        let mut loads: Vec<Vec<Load>> = splits
            .iter()
            .map(|s| {
                let members = s.of.iter().enumerate().map(|(i, g)| (i as u32, *g));
                tally(self.pages, &self.toil, s.groups, members)
            })
            .collect();
        let mut people = tally(
            self.pages,
            &self.toil,
            self.reach.names.len(),
            self.reach.pairs.iter().copied(),
        );
        let fair = self.interrupt(splits, &mut all, &mut loads, &mut people);
        (all, loads, people, fair)
    }

    /// Interruptions and disrupted hours, person by person in time order:
    /// overall, per person, and per group of each split (the merge runs per
    /// group: a team's figure counts only that team's pages).
    fn interrupt(
        &self,
        splits: &[&Split],
        all: &mut Load,
        loads: &mut [Vec<Load>],
        people: &mut [Load],
    ) -> Fair {
        let mut fair = Fair {
            overall: Vec::new(),
            per_group: vec![Vec::new(); splits.first().map_or(0, |s| s.groups)],
        };
        // This person's (interruptions, sleep, nights) per group of the
        // first split, and the nights they were woken overall.
        let mut mine_fair: BTreeMap<u32, (u64, u64, Vec<i32>)> = BTreeMap::new();
        let mut nights: Vec<i32> = Vec::new();
        // Each person's notifications, in page order, then time order.
        let persons = self.reach.names.len();
        let (start, reached) = self.reach.by_person();
        let mut notes: Vec<(i64, u32)> = reached
            .iter()
            .map(|&i| (self.pages[i as usize].triggered, i))
            .collect();
        let mut clock = LocalClock::default();
        let window = self.merge_window;
        let mut overall = Merge::new(1, window);
        let mut merges: Vec<Merge> = splits
            .iter()
            .map(|s| Merge::new(s.groups, window))
            .collect();
        let mut hours = Hours::new(1);
        let mut split_hours: Vec<Hours> = splits.iter().map(|s| Hours::new(s.groups)).collect();
        for k in 0..persons {
            let mine = &mut notes[start[k]..start[k + 1]];
            if !mine.is_sorted_by_key(|n| n.0) {
                mine.sort_by_key(|n| n.0);
            }
            let own = self.reach.own[k];
            let zone = |i: u32| own.unwrap_or(self.zones[i as usize]);
            let one_zone = mine.windows(2).all(|w| zone(w[0].1) == zone(w[1].1));
            overall.next_person();
            hours.next_person(one_zone);
            for (m, h) in merges.iter_mut().zip(&mut split_hours) {
                m.next_person();
                h.next_person(one_zone);
            }
            let mut mine_hours = 0;
            mine_fair.clear();
            nights.clear();
            for &(at, i) in mine.iter() {
                let Some((day, hour, s)) = self.calendar.when(&mut clock, at, zone(i)) else {
                    continue;
                };
                let night = (s == Slot::Sleep).then(|| self.calendar.night(day, hour));
                if overall.counts(0, at) {
                    all.interruptions.add(s);
                    people[k].interruptions.add(s);
                    nights.extend(night);
                }
                hours.add(0, (day, hour), |_| mine_hours += 1);
                for (j, split) in splits.iter().enumerate() {
                    let g = split.of[i as usize];
                    if merges[j].counts(g, at) {
                        loads[j][g as usize].interruptions.add(s);
                        if j == 0 {
                            let f = mine_fair.entry(g).or_default();
                            f.0 += 1;
                            f.1 += u64::from(night.is_some());
                            f.2.extend(night);
                        }
                    }
                    split_hours[j].add(g, (day, hour), |g| {
                        loads[j][g as usize].disrupted_hours += 1;
                    });
                }
            }
            hours.finish(|_| mine_hours += 1);
            let i = people[k].interruptions;
            fair.overall
                .push((k as u32, i.total, i.sleep, longest_run(&mut nights)));
            for (g, (n, sleep, woken)) in mine_fair.iter_mut() {
                fair.per_group[*g as usize].push((k as u32, *n, *sleep, longest_run(woken)));
            }
            people[k].disrupted_hours = mine_hours;
            all.disrupted_hours += mine_hours;
            for (j, h) in split_hours.iter_mut().enumerate() {
                h.finish(|g| loads[j][g as usize].disrupted_hours += 1);
            }
        }
        fair
    }
}

/// Distinct local clock hours per group, one person at a time. In one
/// zone, time order is clock order (a DST fall-back repeats the hour just
/// passed, right after it), so an hour is new when it differs from the
/// group's last; across zones the hours are collected, sorted and
/// deduplicated.
struct Hours {
    last: Vec<Option<(i32, u16)>>,
    touched: Vec<u32>,
    seen: Vec<(u32, i32, u16)>,
    one_zone: bool,
}

impl Hours {
    fn new(groups: usize) -> Hours {
        Hours {
            last: vec![None; groups],
            touched: Vec::new(),
            seen: Vec::new(),
            one_zone: true,
        }
    }

    /// Start a person whose notifications are all in one zone, or not.
    fn next_person(&mut self, one_zone: bool) {
        for g in self.touched.drain(..) {
            self.last[g as usize] = None;
        }
        self.seen.clear();
        self.one_zone = one_zone;
    }

    /// A notification of group `g` in local clock hour `at` (in time
    /// order); `new(g)` when the hour is new to the group (one zone).
    fn add(&mut self, g: u32, at: (i32, u16), mut new: impl FnMut(u32)) {
        if !self.one_zone {
            self.seen.push((g, at.0, at.1));
            return;
        }
        let last = &mut self.last[g as usize];
        if *last != Some(at) {
            if last.is_none() {
                self.touched.push(g);
            }
            *last = Some(at);
            new(g);
        }
    }

    /// The person is done: `new(g)` for each distinct hour collected
    /// (several zones).
    fn finish(&mut self, mut new: impl FnMut(u32)) {
        self.seen.sort_unstable();
        self.seen.dedup();
        for &(g, _, _) in &self.seen {
            new(g);
        }
    }
}

/// The most weeks a weekly breakdown covers before it is cut to the pages'.
const MAX_WEEKS: i64 = 10_000;

/// The metrics of the pages triggered in `[since, until)` (µs); fairness
/// over the people reached and `roster`'s shift holders.
pub fn compute(pages: &Pages, config: &Config, since: i64, until: i64, roster: &Roster) -> Metrics {
    let inside: Vec<&Page> = in_period(&pages.list, since, until).collect();
    let engine = Engine::new(&inside, pages, config);
    let (teams, team_names) = Split::by(&inside, pages, |p| p.team);
    let (services, service_names) = Split::by(&inside, pages, |p| p.service);
    let (templates, template_names) = Split::by(&inside, pages, |p| p.template);
    // ISO weeks (UTC) overlapping the period; an open-ended one (over
    // [`MAX_WEEKS`]) is cut to the weeks of its first and last page.
    let (lo, hi) = if (until - since) / WEEK_US > MAX_WEEKS {
        let first = inside.iter().map(|p| p.triggered).min().unwrap_or(since);
        let last = inside.iter().map(|p| p.triggered).max().unwrap_or(since);
        (first, last + 1)
    } else {
        (since, until)
    };
    let first_monday = monday_of(lo);
    let weeks = Split {
        of: inside
            .iter()
            .map(|p| ((p.triggered - first_monday) / WEEK_US) as u32)
            .collect(),
        groups: if hi > lo {
            ((hi - 1 - first_monday) / WEEK_US + 1) as usize
        } else {
            0
        },
    };
    let (all, loads, people, fair) = engine.all(&[&teams, &services, &templates, &weeks]);
    let mut loads = loads.into_iter();
    let mut named = |names: &[&str]| -> BTreeMap<String, Load> {
        names
            .iter()
            .map(|n| n.to_string())
            .zip(loads.next().unwrap_or_default())
            .collect()
    };
    let (mut team_loads, service_loads, template_loads) = (
        named(&team_names),
        named(&service_names),
        named(&template_names),
    );
    let names = &engine.reach.names;
    let mut all_holders: Vec<(&str, f64)> = Vec::new();
    let mut scheduled_interruptions = 0;
    // Groups are numbered in first-seen order; the map is by name.
    for (team, people) in team_names.iter().zip(&fair.per_group) {
        let Some(load) = team_loads.get_mut(*team) else {
            continue;
        };
        let holders = roster.holders(team, since, until);
        if !holders.is_empty() {
            scheduled_interruptions += load.interruptions.total;
        }
        let team_members = members(people, names, &holders);
        load.fairness = Some(Fairness::of(team_members, load.interruptions.total));
        all_holders.extend(holders);
    }
    let weekly: Vec<(i64, Load)> = loads
        .next()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(w, l)| (first_monday + w as i64 * WEEK_US, l))
        .collect();
    let responders = engine
        .reach
        .names
        .iter()
        .map(|n| n.to_string())
        .zip(people)
        .collect();
    // Shifts: (team, local date of the shift start, day or night), and
    // pages by local weekday and hour, both in the team's zone.
    let mut shifts: PlHashMap<(u32, i32, bool), u64> = PlHashMap::default();
    let mut weekday_hours = vec![vec![0u64; 24]; 7];
    let mut clock = LocalClock::default();
    let mut shift_of: Vec<Option<(i32, bool)>> = vec![None; inside.len()];
    for (i, p) in inside.iter().enumerate() {
        let Some((day, minute)) = clock.day_minute(p.triggered, engine.zones[i]) else {
            continue;
        };
        let key = engine.calendar.shift(day, minute);
        shift_of[i] = Some(key);
        *shifts.entry((teams.of[i], key.0, key.1)).or_insert(0) += 1;
        let wd = weekday_of(day).num_days_from_monday() as usize;
        weekday_hours[wd][usize::from(minute / 60).min(23)] += 1;
    }
    let shift_weights = shift_loads(&inside, pages, &engine.reach, &shift_of, roster, config);
    let weighted = summarise_weighted(&shift_weights, &engine.reach, config);
    let weekly_kpis = week_kpis(
        &weekly,
        &weeks.of,
        &teams.of,
        &shift_weights,
        config,
        (lo, hi),
    );
    let runbook_rules = runbooks::rules(&inside, pages, &template_loads, config);
    let runbooks = runbooks::coverage(&runbook_rules, config);
    Metrics {
        toil_share: toil_share(all.toil_hours, until - since, team_loads.len()),
        all,
        teams: team_loads,
        responders,
        services: service_loads,
        templates: template_loads,
        shifts_over_target: shifts
            .values()
            .filter(|n| **n > config.targets.pages_per_shift)
            .count() as u64,
        max_pages_per_shift: shifts.values().copied().max().unwrap_or(0),
        weekly,
        weekday_hours,
        fairness: Fairness::of(
            members(&fair.overall, names, &all_holders),
            scheduled_interruptions,
        ),
        weighted,
        weekly_kpis,
        runbooks,
        runbook_rules,
    }
}

/// One person's shift with its severity-weighted load: the person, the
/// first of its pages (an index into the period's pages), the sum of the
/// weights, and whether the shift is a scheduled one.
#[derive(Debug, Clone, Copy)]
struct ShiftLoad {
    person: u32,
    first: u32,
    weight: f64,
    scheduled: bool,
}

/// The severity-weighted load of the period's pages (`inside`) per person
/// they reached and shift: the one `roster` says the person held when the
/// page fired, else the page's 12-hour team shift (`shift_of`).
fn shift_loads(
    inside: &[&Page],
    pages: &Pages,
    reach: &Reach<'_>,
    shift_of: &[Option<(i32, bool)>],
    roster: &Roster,
    config: &Config,
) -> Vec<ShiftLoad> {
    // (person, scheduled, start, end or night) → index into `out`.
    let mut at: PlHashMap<(u32, bool, i64, i64), usize> = PlHashMap::default();
    let mut out: Vec<ShiftLoad> = Vec::new();
    // Each severity's weight, looked up once per name.
    let mut weights: PlHashMap<u32, f64> = PlHashMap::default();
    let scheduled = !roster.is_empty();
    for &(i, k) in &reach.pairs {
        let page = inside[i as usize];
        let key = match scheduled
            .then(|| roster.shift_of(&reach.names[k as usize], page.triggered))
            .flatten()
        {
            Some((a, b)) => (k, true, a, b),
            None => match shift_of[i as usize] {
                Some((day, night)) => (k, false, i64::from(day), i64::from(night)),
                None => continue,
            },
        };
        let w = *weights
            .entry(page.severity)
            .or_insert_with(|| severity_weight(pages.name(page.severity), &config.kpis));
        let slot = *at.entry(key).or_insert_with(|| {
            out.push(ShiftLoad {
                person: k,
                first: i,
                weight: 0.0,
                scheduled: key.1,
            });
            out.len() - 1
        });
        out[slot].weight += w;
    }
    out
}

/// The per-person and overall figures of the shifts' loads.
fn summarise_weighted(shifts: &[ShiftLoad], reach: &Reach<'_>, config: &Config) -> WeightedLoad {
    let target = config.targets.weighted_load_per_shift;
    let mut out = WeightedLoad {
        scheduled_shifts: shifts.iter().filter(|s| s.scheduled).count() as u64,
        ..WeightedLoad::default()
    };
    let mut by_person: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for s in shifts {
        by_person.entry(s.person).or_default().push(s.weight);
    }
    for (k, mut loads) in by_person {
        loads.sort_by(f64::total_cmp);
        let over = loads.iter().filter(|&&w| w > target).count() as u64;
        let person = PersonWeighted {
            shifts_paged: loads.len() as u64,
            total: loads.iter().sum(),
            max_per_shift: loads.last().copied().unwrap_or(0.0),
            p50_per_shift: crate::core::stats::percentile(&loads, 0.5).unwrap_or(0.0),
            shifts_over_target: over,
        };
        out.shifts_paged += person.shifts_paged;
        out.shifts_over_target += over;
        out.max_per_shift = out.max_per_shift.max(person.max_per_shift);
        let name = reach
            .names
            .get(k as usize)
            .map_or_else(String::new, |n| n.to_string());
        out.per_person.insert(name, person);
    }
    out
}

/// Each week's toil share and weighted shifts (a shift in the week of its
/// first page): `weekly` the weeks' loads, `week_of` and `team_of` each
/// page's week and team, `span` the period the weeks are cut to.
fn week_kpis(
    weekly: &[(i64, Load)],
    week_of: &[u32],
    team_of: &[u32],
    shifts: &[ShiftLoad],
    config: &Config,
    span: (i64, i64),
) -> Vec<WeekKpis> {
    let mut out = vec![WeekKpis::default(); weekly.len()];
    let mut teams: Vec<(u32, u32)> = week_of
        .iter()
        .copied()
        .zip(team_of.iter().copied())
        .collect();
    teams.sort_unstable();
    teams.dedup();
    let mut paged = vec![0usize; weekly.len()];
    for (w, _) in teams {
        if let Some(n) = paged.get_mut(w as usize) {
            *n += 1;
        }
    }
    for (w, (monday, load)) in weekly.iter().enumerate() {
        let hours = (monday + WEEK_US).min(span.1) - (*monday).max(span.0);
        out[w].toil_share = toil_share(load.toil_hours, hours, paged[w]);
    }
    let target = config.targets.weighted_load_per_shift;
    for s in shifts {
        let Some(week) = week_of
            .get(s.first as usize)
            .and_then(|&w| out.get_mut(w as usize))
        else {
            continue;
        };
        week.weighted_shifts_over_target += u64::from(s.weight > target);
    }
    out
}

/// Who each page reached, prepared once to count interruptions many times
/// (the what-if replay counts them under every policy).
#[derive(Debug)]
pub struct Recipients {
    calendar: Calendar,
    merge_window: i64,
    /// Each person's own zone, if any.
    own: Vec<Option<Tz>>,
    /// Person `k`'s pages are `pages[start[k]..start[k + 1]]`.
    start: Vec<usize>,
    pages: Vec<u32>,
    /// Each page's team zone.
    zones: Vec<Tz>,
}

impl Recipients {
    /// Prepare the recipients of `pages`.
    pub fn new(pages: &Pages, config: &Config) -> Recipients {
        let list: Vec<&Page> = pages.list.iter().collect();
        let reach = Reach::of(&list, pages, config);
        let (start, reached) = reach.by_person();
        Recipients {
            calendar: Calendar::of(&config.load),
            merge_window: merge_window(config),
            own: reach.own,
            start,
            pages: reached,
            zones: team_zones(&list, pages, config),
        }
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
        let mut clock = LocalClock::default();
        let window = self.merge_window;
        let (mut overall, mut per) = (Merge::new(1, window), Merge::new(groups, window));
        let mut times: Vec<(i64, u32, Tz)> = Vec::new();
        for (k, own) in self.own.iter().enumerate() {
            times.clear();
            times.extend(
                self.pages[self.start[k]..self.start[k + 1]]
                    .iter()
                    .filter_map(|&i| {
                        let i = i as usize;
                        at[i].map(|t| (t, group_of[i], self.zones[i]))
                    }),
            );
            if !times.is_sorted_by_key(|n| n.0) {
                times.sort_by_key(|n| n.0);
            }
            overall.next_person();
            per.next_person();
            for &(t, g, tz) in &times {
                let Some((_, _, s)) = self.calendar.when(&mut clock, t, own.unwrap_or(tz)) else {
                    continue;
                };
                if per.counts(g, t) {
                    per_group[g as usize].add(s);
                }
                if overall.counts(0, t) {
                    out.add(s);
                }
            }
        }
        (out, per_group)
    }
}
