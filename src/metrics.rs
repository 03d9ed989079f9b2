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

use chrono_tz::Tz;
use serde::Serialize;

use crate::classify::REASONS;
use crate::config::Config;
use crate::core::intern::{codes, Interner};
pub use crate::core::stats::Spread;
use crate::core::time::LocalClock;
use crate::error::Error;
use crate::schema as s;

/// Engaged time counted as toil is capped at this many hours per page.
pub const TOIL_CAP_HOURS: f64 = 4.0;
/// Notifications to one person within this many seconds count once.
pub const MERGE_SECONDS: i64 = 60;
/// The SRE book's most pages per 12-hour shift.
pub const PAGES_PER_SHIFT_TARGET: u64 = 2;

pub use crate::core::intern::{Name, NO_NAME};

/// One page as the metrics need it; times in µs since the epoch (UTC).
/// Names are codes into its [`Pages`]' table (no string per page): read
/// them with [`Pages::name`], [`Pages::responders`] and [`Pages::alert_id`].
///
/// Packed into one 64-byte cache line (the paging load and the what-if
/// replays pass over millions of pages, a dozen times): the optional times
/// and the flags are read through methods.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Where its alert id is in the table of ids.
    pub row: u32,
    /// Normalised severity, if known.
    pub severity: Name,
    /// Team, if known.
    pub team: Name,
    /// Service, if known.
    pub service: Name,
    /// Template, if known.
    pub template: Name,
    /// Who acknowledged it.
    pub acknowledged_by: Name,
    /// The people it reached: `start..end` in the table of responders.
    pub responders: (u32, u32),
    /// Triggered.
    pub triggered: i64,
    /// First acknowledgement, or [`NO_TIME`].
    acknowledged: i64,
    /// Resolved, or [`NO_TIME`].
    resolved: i64,
    /// Seconds from the previous occurrence clearing to this one firing
    /// (held to what 32 bits hold, beyond any threshold), or [`NO_GAP`].
    clear_gap_s: i32,
    /// Reason codes as bits (bit k: `classify::REASONS[k]`).
    pub reasons: u16,
    /// [`NOISE`], [`AUTO_RESOLVED`], [`EPISODE_LEAD`].
    flags: u8,
}

/// No time, in a [`Page`].
const NO_TIME: i64 = i64::MIN;
/// No gap, in a [`Page`].
const NO_GAP: i32 = i32::MIN;
/// A [`Page`]'s flags.
const NOISE: u8 = 1;
const AUTO_RESOLVED: u8 = 2;
const EPISODE_LEAD: u8 = 4;

impl Page {
    /// An optional time as a page holds it.
    fn pack_time(t: Option<i64>) -> i64 {
        t.unwrap_or(NO_TIME)
    }

    /// An optional gap as a page holds it: held to what 32 bits hold.
    fn pack_gap(g: Option<i64>) -> i32 {
        g.map_or(NO_GAP, |g| {
            g.clamp(i64::from(NO_GAP) + 1, i64::from(i32::MAX)) as i32
        })
    }

    /// The three flags as a page holds them.
    fn pack_flags(noise: bool, auto_resolved: bool, episode_lead: bool) -> u8 {
        let flag = |set: bool, bit: u8| if set { bit } else { 0 };
        flag(noise, NOISE) | flag(auto_resolved, AUTO_RESOLVED) | flag(episode_lead, EPISODE_LEAD)
    }

    /// First acknowledgement.
    pub fn acknowledged(&self) -> Option<i64> {
        (self.acknowledged != NO_TIME).then_some(self.acknowledged)
    }

    /// Resolved.
    pub fn resolved(&self) -> Option<i64> {
        (self.resolved != NO_TIME).then_some(self.resolved)
    }

    /// Seconds from the previous occurrence clearing to this one firing.
    pub fn clear_gap_s(&self) -> Option<i64> {
        (self.clear_gap_s != NO_GAP).then_some(i64::from(self.clear_gap_s))
    }

    /// Labelled noise.
    pub fn noise(&self) -> bool {
        self.flags & NOISE != 0
    }

    /// Resolved by the integration.
    pub fn auto_resolved(&self) -> bool {
        self.flags & AUTO_RESOLVED != 0
    }

    /// The first alert of its storm episode (`episode_id` is its own id).
    pub fn episode_lead(&self) -> bool {
        self.flags & EPISODE_LEAD != 0
    }

    /// Does the page carry this reason code?
    pub fn has_reason(&self, code: &str) -> bool {
        self.reasons & reason_bit(code) != 0
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
            self.noise(),
            self.acknowledged(),
            self.resolved(),
            notified,
            cost_hours,
        )
    }
}

/// What [`Pages`] share: the names, the responders' lists and the alert
/// ids the pages point into.
#[derive(Debug, Default)]
struct Tables {
    /// Each name once (a name is one code whatever column it came from).
    names: Vec<Arc<str>>,
    /// Responders' lists, one after another.
    responders: Vec<Name>,
    /// Alert ids (a page's `row` is its place here).
    ids: StringChunked,
}

/// Pages, in table order, with the tables their names point into, and the
/// first and last trigger time among them (µs).
#[derive(Debug, Clone, Default)]
pub struct Pages {
    /// The pages.
    pub list: Vec<Page>,
    tables: Arc<Tables>,
    /// First and last trigger time (µs), if any page.
    pub range: Option<(i64, i64)>,
}

impl Pages {
    /// A name's text (`None` for [`NO_NAME`]).
    pub fn name(&self, n: Name) -> Option<&str> {
        self.tables.names.get(n as usize).map(|s| &**s)
    }

    /// A name's text, `(none)` when missing.
    pub fn label(&self, n: Name) -> &str {
        self.name(n).unwrap_or("(none)")
    }

    /// The people a page reached.
    pub fn responders(&self, p: &Page) -> &[Name] {
        self.tables
            .responders
            .get(p.responders.0 as usize..p.responders.1 as usize)
            .unwrap_or(&[])
    }

    /// The page's alert id.
    pub fn alert_id(&self, p: &Page) -> &str {
        self.tables.ids.get(p.row as usize).unwrap_or("")
    }

    /// How many names the table holds (every [`Name`] but [`NO_NAME`] is
    /// below it).
    pub fn names(&self) -> usize {
        self.tables.names.len()
    }

    /// A name's place in a per-name vector of `names() + 1` slots (the
    /// last one: [`NO_NAME`]).
    pub fn slot(&self, n: Name) -> usize {
        (n as usize).min(self.names())
    }

    /// Some of these pages (sharing the tables).
    pub fn subset<'a>(&self, keep: impl IntoIterator<Item = &'a Page>) -> Pages {
        let list: Vec<Page> = keep.into_iter().copied().collect();
        Pages {
            range: time_range(&list),
            list,
            tables: self.tables.clone(),
        }
    }

    /// Was the page triggered in sleep hours, in its team's zone? (`clock`
    /// remembers zone offsets across calls.)
    pub fn in_sleep_hours(&self, p: &Page, config: &Config, clock: &mut LocalClock) -> bool {
        when(clock, p.triggered, config.team_timezone(self.name(p.team)))
            .is_some_and(|(_, _, s)| s == Slot::Sleep)
    }

    /// Pages from records (hand-built histories, tests).
    pub fn from_records(records: &[PageRecord]) -> Pages {
        let mut names = Interner::default();
        let mut t = Tables::default();
        let mut name = |v: Option<&str>| v.map_or(NO_NAME, |v| names.code(v));
        let list: Vec<Page> = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let start = t.responders.len() as u32;
                for who in &r.responders {
                    t.responders.push(name(Some(who)));
                }
                Page {
                    row: i as u32,
                    severity: name(r.severity.as_deref()),
                    team: name(r.team.as_deref()),
                    service: name(r.service.as_deref()),
                    template: name(r.template.as_deref()),
                    acknowledged_by: name(r.acknowledged_by.as_deref()),
                    responders: (start, t.responders.len() as u32),
                    triggered: r.triggered,
                    acknowledged: Page::pack_time(r.acknowledged),
                    resolved: Page::pack_time(r.resolved),
                    clear_gap_s: Page::pack_gap(r.clear_gap_s),
                    reasons: r.reasons,
                    flags: Page::pack_flags(r.noise, r.auto_resolved, r.episode_lead),
                }
            })
            .collect();
        t.names = names.names;
        t.ids = StringChunked::from_iter_values(
            s::ALERT_ID.into(),
            records.iter().map(|r| r.alert_id.as_str()),
        );
        Pages {
            range: time_range(&list),
            list,
            tables: Arc::new(t),
        }
    }
}

/// The first and last trigger time of some pages.
fn time_range(list: &[Page]) -> Option<(i64, i64)> {
    let lo = list.iter().map(|p| p.triggered).min()?;
    let hi = list.iter().map(|p| p.triggered).max()?;
    Some((lo, hi))
}

/// One page written out in full, to build [`Pages`] by hand.
#[derive(Debug, Clone, Default)]
pub struct PageRecord {
    /// The alert's id.
    pub alert_id: String,
    /// Normalised severity, if known.
    pub severity: Option<String>,
    /// The first alert of its storm episode.
    pub episode_lead: bool,
    /// Team, if known.
    pub team: Option<String>,
    /// Service, if known.
    pub service: Option<String>,
    /// Template, if known.
    pub template: Option<String>,
    /// People it reached.
    pub responders: Vec<String>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// Triggered (µs).
    pub triggered: i64,
    /// First acknowledgement (µs).
    pub acknowledged: Option<i64>,
    /// Resolved (µs).
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
    /// Each ISO week (UTC) overlapping the period (an open-ended period:
    /// from its first page's week to its last's): its Monday (µs) and its
    /// figures (per-week merges and hours: a week counts only its pages).
    pub weekly: Vec<(i64, Load)>,
    /// Pages by local weekday (Monday first) and hour, in each page's team
    /// zone (else the default zone).
    pub weekday_hours: Vec<Vec<u64>>,
}

/// The weekday of a day counted from 0001-01-01 (a Monday) as day 1.
fn weekday_of(day: i32) -> chrono::Weekday {
    use chrono::Weekday::*;
    [Mon, Tue, Wed, Thu, Fri, Sat, Sun][(day - 1).rem_euclid(7) as usize]
}

/// The pages triggered in `[since, until)` (µs).
pub fn in_period(pages: &[Page], since: i64, until: i64) -> impl Iterator<Item = &Page> {
    pages
        .iter()
        .filter(move |p| p.triggered >= since && p.triggered < until)
}

/// The headline load of the pages triggered in `[since, until)`, without
/// the breakdowns (the previous period).
pub fn load_between(pages: &Pages, config: &Config, since: i64, until: i64) -> Load {
    let inside: Vec<&Page> = in_period(&pages.list, since, until).collect();
    Engine::new(&inside, pages, config).all(&[]).0
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

/// The 60 s merge of one person's notifications, per group: a notification
/// counts for its group unless it came within [`MERGE_SECONDS`] of the last
/// one counted for that group. The one implementation of the merge (the
/// report's figures and the what-if replay both count through it).
struct Merge {
    anchors: Vec<Option<i64>>,
    touched: Vec<u32>,
}

impl Merge {
    fn new(groups: usize) -> Merge {
        Merge {
            anchors: vec![None; groups],
            touched: Vec::new(),
        }
    }

    /// Does a notification at `at` (µs, in time order) count for group `g`?
    fn counts(&mut self, g: u32, at: i64) -> bool {
        let anchor = &mut self.anchors[g as usize];
        match *anchor {
            Some(a) if at - a <= MERGE_SECONDS * 1_000_000 => false,
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

/// The pages of one period prepared once for every breakdown: their team
/// zones, who they reached, and their toil.
struct Engine<'p> {
    pages: &'p [&'p Page],
    zones: Vec<Tz>,
    reach: Reach<'p>,
    toil: Vec<f64>,
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
        let cost = config.classify.interruption_cost.as_secs_f64() / 3600.0;
        Engine {
            pages,
            zones: team_zones(pages, all, config),
            reach: Reach::of(pages, all, config),
            toil: pages.iter().map(|p| p.toil_hours(cost)).collect(),
        }
    }

    /// The load of all pages, of each group of each split, and of each
    /// person reached (that person's own interruptions).
    fn all(&self, splits: &[&Split]) -> (Load, Vec<Vec<Load>>, Vec<Load>) {
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
        self.interrupt(splits, &mut all, &mut loads, &mut people);
        (all, loads, people)
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
    ) {
        // Each person's notifications, in page order, then time order.
        let persons = self.reach.names.len();
        let (start, reached) = self.reach.by_person();
        let mut notes: Vec<(i64, u32)> = reached
            .iter()
            .map(|&i| (self.pages[i as usize].triggered, i))
            .collect();
        let mut clock = LocalClock::default();
        let mut overall = Merge::new(1);
        let mut merges: Vec<Merge> = splits.iter().map(|s| Merge::new(s.groups)).collect();
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
            for &(at, i) in mine.iter() {
                let Some((day, hour, s)) = when(&mut clock, at, zone(i)) else {
                    continue;
                };
                if overall.counts(0, at) {
                    all.interruptions.add(s);
                    people[k].interruptions.add(s);
                }
                hours.add(0, (day, hour), |_| mine_hours += 1);
                for (j, split) in splits.iter().enumerate() {
                    let g = split.of[i as usize];
                    if merges[j].counts(g, at) {
                        loads[j][g as usize].interruptions.add(s);
                    }
                    split_hours[j].add(g, (day, hour), |g| {
                        loads[j][g as usize].disrupted_hours += 1;
                    });
                }
            }
            hours.finish(|_| mine_hours += 1);
            people[k].disrupted_hours = mine_hours;
            all.disrupted_hours += mine_hours;
            for (j, h) in split_hours.iter_mut().enumerate() {
                h.finish(|g| loads[j][g as usize].disrupted_hours += 1);
            }
        }
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

/// The Monday (UTC, µs) starting the ISO week of `t`.
fn monday_of(t: i64) -> i64 {
    let day = t.div_euclid(DAY_US);
    (day - (day + 3).rem_euclid(7)) * DAY_US
}

const DAY_US: i64 = 86_400_000_000;
const WEEK_US: i64 = 7 * DAY_US;
/// The most weeks a weekly breakdown covers before it is cut to the pages'.
const MAX_WEEKS: i64 = 10_000;

/// The metrics of the pages triggered in `[since, until)` (µs).
pub fn compute(pages: &Pages, config: &Config, since: i64, until: i64) -> Metrics {
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
    let (all, loads, people) = engine.all(&[&teams, &services, &templates, &weeks]);
    let mut loads = loads.into_iter();
    let mut named = |names: &[&str]| -> BTreeMap<String, Load> {
        names
            .iter()
            .map(|n| n.to_string())
            .zip(loads.next().unwrap_or_default())
            .collect()
    };
    let (team_loads, service_loads, template_loads) = (
        named(&team_names),
        named(&service_names),
        named(&template_names),
    );
    let weekly = loads
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
    for (i, p) in inside.iter().enumerate() {
        let Some((day, minute)) = clock.day_minute(p.triggered, engine.zones[i]) else {
            continue;
        };
        let key = match minute / 60 {
            8..=19 => (day, true),
            20..=23 => (day, false),
            _ => (day - 1, false),
        };
        *shifts.entry((teams.of[i], key.0, key.1)).or_insert(0) += 1;
        let wd = weekday_of(day).num_days_from_monday() as usize;
        weekday_hours[wd][usize::from(minute / 60).min(23)] += 1;
    }
    let period_hours = (until - since) as f64 / 3.6e9;
    let teams_paged = team_loads.len().max(1) as f64;
    Metrics {
        toil_share: if period_hours > 0.0 {
            all.toil_hours / (period_hours * teams_paged)
        } else {
            0.0
        },
        all,
        teams: team_loads,
        responders,
        services: service_loads,
        templates: template_loads,
        shifts_over_target: shifts
            .values()
            .filter(|n| **n > PAGES_PER_SHIFT_TARGET)
            .count() as u64,
        max_pages_per_shift: shifts.values().copied().max().unwrap_or(0),
        weekly,
        weekday_hours,
    }
}

/// The local day, hour and slot of a notification at `at` (µs) in `tz`.
fn when(clock: &mut LocalClock, at: i64, tz: Tz) -> Option<(i32, u16, Slot)> {
    let (day, minute) = clock.day_minute(at, tz)?;
    let hour = minute / 60;
    Some((day, hour, slot(weekday_of(day), u32::from(hour))))
}

/// Who each page reached, prepared once to count interruptions many times
/// (the what-if replay counts them under every policy).
#[derive(Debug)]
pub struct Recipients {
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
        let (mut overall, mut per) = (Merge::new(1), Merge::new(groups));
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
                let Some((_, _, s)) = when(&mut clock, t, own.unwrap_or(tz)) else {
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

/// The bit of a reason code (bit k: `REASONS[k]`; 0 for an unknown code).
pub fn reason_bit(code: &str) -> u16 {
    REASONS
        .iter()
        .position(|r| *r == code)
        .map_or(0, |k| 1 << k)
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

/// A list-of-strings column as its values and offsets: row `i` holds
/// `values[offsets[i]..offsets[i + 1]]` (no Series per row). Chunk by
/// chunk, without copying: each chunk's strings are a slice of its values
/// (joining the chunks first copied every string, a third of the pages'
/// time at 10M alerts read back in row groups).
pub fn list_values(
    df: &DataFrame,
    name: &str,
    what: &'static str,
) -> Result<(StringChunked, Vec<usize>), Error> {
    let l = df
        .column(name)
        .and_then(|c| c.list().cloned())
        .map_err(Error::polars(what))?;
    let mut offsets = Vec::with_capacity(l.len() + 1);
    offsets.push(0);
    let mut chunks = Vec::with_capacity(l.chunks().len());
    for list in l.downcast_iter() {
        let at = list.offsets().buffer();
        let first = at.first().map_or(0, |&o| o as usize);
        let last = at.last().map_or(0, |&o| o as usize);
        let base = offsets.last().copied().unwrap_or(0);
        offsets.extend(at.iter().skip(1).map(|&o| base + (o as usize - first)));
        let strings = list
            .values()
            .as_any()
            .downcast_ref::<polars_arrow::array::Utf8ViewArray>()
            .filter(|strings| first <= last && last <= strings.len())
            .ok_or_else(|| {
                Error::polars(what)(
                    polars_err!(SchemaMismatch: "`{name}` is not a list of strings"),
                )
            })?;
        chunks.push(strings.clone().sliced(first, last - first));
    }
    Ok((StringChunked::from_chunk_iter(name.into(), chunks), offsets))
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
    let (responders, responder_at) = list_values(df, s::RESPONDERS, what)?;
    let (reasons, reason_at) = list_values(df, s::REASONS, what)?;
    let auto = df
        .column(s::AUTO_RESOLVED)
        .and_then(|c| c.bool().cloned())
        .map_err(Error::polars(what))?;
    let gap = df
        .column(s::CLEAR_GAP_S)
        .and_then(|c| c.i64().cloned())
        .map_err(Error::polars(what))?;
    // Every distinct team, service, template, severity and person numbered
    // once, column by column: a page holds codes, not strings.
    let mut names = Interner::default();
    let (severity, team, service, template, ack_by, responders) = (
        codes(&severity, &mut names),
        codes(&team, &mut names),
        codes(&service, &mut names),
        codes(&template, &mut names),
        codes(&ack_by, &mut names),
        codes(&responders, &mut names),
    );
    let mut other = Interner::default();
    let (label, reasons) = (codes(&label, &mut other), codes(&reasons, &mut other));
    let noise = other.index.get("noise").copied().unwrap_or(NO_NAME);
    let bit_of: Vec<u16> = other.names.iter().map(|r| reason_bit(r)).collect();
    // Row i's values of a list column (none past the offsets' end).
    let span = |at: &[usize], i: usize| {
        at.get(i).copied().unwrap_or(0)..at.get(i + 1).copied().unwrap_or(0)
    };
    let code = |v: &[Name], i: usize| v.get(i).copied().unwrap_or(NO_NAME);
    // Sized once (growing it copied gigabytes at 10M alerts).
    let mut list = Vec::with_capacity(paged.iter().filter(|p| *p == Some(true)).count());
    let mut range: Option<(i64, i64)> = None;
    let mut people: Vec<Name> = Vec::new();
    // Every column read in order, one row per step (a lookup by row number
    // searches the chunks each time).
    let (mut ids, mut episodes, mut acks, mut resolveds, mut autos, mut gaps) = (
        id.iter(),
        episode.iter(),
        a.iter(),
        r.iter(),
        auto.iter(),
        gap.iter(),
    );
    for (i, (is_paged, trig)) in paged.iter().zip(t.iter()).enumerate() {
        let (alert_id, episode, acknowledged, resolved) = (
            ids.next().flatten(),
            episodes.next().flatten(),
            acks.next().flatten(),
            resolveds.next().flatten(),
        );
        let (auto_resolved, clear_gap_s) = (autos.next().flatten(), gaps.next().flatten());
        let (Some(true), Some(trig)) = (is_paged, trig) else {
            continue;
        };
        range = Some(match range {
            None => (trig, trig),
            Some((lo, hi)) => (lo.min(trig), hi.max(trig)),
        });
        let start = people.len() as u32;
        people.extend(
            span(&responder_at, i)
                .map(|j| code(&responders, j))
                .filter(|&n| n != NO_NAME),
        );
        let bits = span(&reason_at, i)
            .map(|j| bit_of.get(code(&reasons, j) as usize).copied().unwrap_or(0))
            .fold(0, |m, b| m | b);
        list.push(Page {
            row: i as u32,
            severity: code(&severity, i),
            team: code(&team, i),
            service: code(&service, i),
            template: code(&template, i),
            responders: (start, people.len() as u32),
            acknowledged_by: code(&ack_by, i),
            triggered: trig,
            acknowledged: Page::pack_time(acknowledged),
            resolved: Page::pack_time(resolved),
            clear_gap_s: Page::pack_gap(clear_gap_s),
            reasons: bits,
            flags: Page::pack_flags(
                noise != NO_NAME && code(&label, i) == noise,
                auto_resolved == Some(true),
                episode.is_none_or(|e| Some(e) == alert_id),
            ),
        });
    }
    Ok(Pages {
        list,
        tables: Arc::new(Tables {
            names: names.names,
            responders: people,
            ids: id.clone(),
        }),
        range,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_one_cache_line_and_keeps_what_it_was_given() {
        assert_eq!(std::mem::size_of::<Page>(), 64);
        let records = [
            PageRecord {
                triggered: 1_000,
                acknowledged: Some(0),
                resolved: Some(-5),
                noise: true,
                auto_resolved: false,
                episode_lead: true,
                clear_gap_s: Some(0),
                ..PageRecord::default()
            },
            PageRecord {
                // 100 years of seconds is past 32 bits (2^31 - 1 =
                // 2,147,483,647 s, about 68 years): held at the most they hold.
                clear_gap_s: Some(3_153_600_000),
                auto_resolved: true,
                ..PageRecord::default()
            },
            PageRecord {
                clear_gap_s: Some(-3_153_600_000),
                ..PageRecord::default()
            },
        ];
        let pages = Pages::from_records(&records);
        let [a, b, c] = [pages.list[0], pages.list[1], pages.list[2]];
        assert_eq!((a.acknowledged(), a.resolved()), (Some(0), Some(-5)));
        assert_eq!(a.clear_gap_s(), Some(0));
        assert!(a.noise() && !a.auto_resolved() && a.episode_lead());
        assert_eq!((b.acknowledged(), b.resolved()), (None, None));
        assert_eq!(b.clear_gap_s(), Some(2_147_483_647));
        assert!(!b.noise() && b.auto_resolved() && !b.episode_lead());
        assert_eq!(c.clear_gap_s(), Some(-2_147_483_647));
        assert_eq!(c.triggered, 0);
    }

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

    /// Two chunks, the second a slice of a longer list (its offsets do not
    /// start at 0): rows ["a", "b"], null, [], ["c"] | ["e"], ["f", "g"].
    #[test]
    fn list_values_reads_every_chunk_in_place() {
        let list = |rows: Vec<Option<Vec<&str>>>| {
            let series: Vec<Option<Series>> = rows
                .into_iter()
                .map(|r| r.map(|v| Series::new("".into(), v)))
                .collect();
            Series::new("r".into(), series)
        };
        let mut first = list(vec![
            Some(vec!["a", "b"]),
            None,
            Some(vec![]),
            Some(vec!["c"]),
        ]);
        let second = list(vec![Some(vec!["d"]), Some(vec!["e"]), Some(vec!["f", "g"])]).slice(1, 2);
        first.append(&second).unwrap();
        assert_eq!(first.n_chunks(), 2);
        let df = DataFrame::new_infer_height(vec![first.into()]).unwrap();
        let (values, at) = list_values(&df, "r", "test").unwrap();
        let values: Vec<Option<&str>> = values.iter().collect();
        assert_eq!(values, ["a", "b", "c", "e", "f", "g"].map(Some));
        assert_eq!(at, [0, 2, 2, 2, 3, 4, 6]);
    }
}
