//! The page model: every paged alert of the classified table as one
//! 64-byte [`Page`], its names interned into a table the pages share
//! ([`Pages`]). The paging load, the what-if replays and the
//! recommendations all read it; [`pages_of`] builds it from the frame.
//!
//! Length: about 530 lines of code and 70 of tests.

use std::sync::Arc;

use polars::prelude::*;

use crate::calendar::{Calendar, Slot};
use crate::config::Config;
use crate::core::intern::{codes, Interner};
pub use crate::core::intern::{Name, NO_NAME};
use crate::core::time::LocalClock;
use crate::error::Error;
use crate::reasons::bit as reason_bit;
use crate::roster::Roster;
use crate::schema as s;

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
    /// Reason codes as bits (bit k: `reasons::REASONS[k]`).
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
const ATTRIBUTED: u8 = 8;
const HAS_RUNBOOK: u8 = 16;

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

    /// Its export named no one it reached; the schedules gave the people
    /// on call for its team then.
    pub fn attributed(&self) -> bool {
        self.flags & ATTRIBUTED != 0
    }

    /// Its occurrence carried a runbook link ([`s::RUNBOOK`]).
    pub fn has_runbook(&self) -> bool {
        self.flags & HAS_RUNBOOK != 0
    }

    /// Does the page carry this reason code?
    pub fn has_reason(&self, code: &str) -> bool {
        self.reasons & reason_bit(code) != 0
    }

    /// Toil hours of this page (0 if actionable).
    pub fn toil_hours(&self, cost: ToilCost) -> f64 {
        self.toil_hours_notified_at(cost, self.triggered)
    }

    /// Toil hours had the page notified at `notified` (µs; a what-if delay):
    /// engaged time runs from the later of the acknowledgement and the
    /// notification.
    pub fn toil_hours_notified_at(&self, cost: ToilCost, notified: i64) -> f64 {
        toil_hours(
            self.noise(),
            self.acknowledged(),
            self.resolved(),
            notified,
            cost,
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
        Calendar::of(&config.load)
            .when(clock, p.triggered, config.team_timezone(self.name(p.team)))
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
                    flags: Page::pack_flags(r.noise, r.auto_resolved, r.episode_lead)
                        | if r.runbook { HAS_RUNBOOK } else { 0 },
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
    /// Reason codes as bits (bit k: `reasons::REASONS[k]`).
    pub reasons: u16,
    /// Resolved by the integration.
    pub auto_resolved: bool,
    /// Seconds from the previous occurrence clearing to this one firing.
    pub clear_gap_s: Option<i64>,
    /// Its occurrence carried a runbook link.
    pub runbook: bool,
}

/// What a noise page costs in toil: its engaged time, capped (`[load]
/// toil_cap`), or the cost of an interruption when there is none
/// (`[classify] interruption_cost`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToilCost {
    /// Hours a noise page never acknowledged (or still open) costs.
    pub unengaged_hours: f64,
    /// Engaged time counted is at most this many hours.
    pub cap_hours: f64,
}

impl ToilCost {
    /// The costs `config` sets.
    pub fn of(config: &Config) -> ToilCost {
        ToilCost {
            unengaged_hours: config.classify.interruption_cost.as_secs_f64() / 3600.0,
            cap_hours: config.load.toil_cap.as_secs_f64() / 3600.0,
        }
    }
}

/// Toil hours of a page notified at `notified` (µs): 0 if actionable; the
/// engaged time from the later of the acknowledgement and the notification
/// to the resolve, capped; else (never acknowledged or still open) the
/// unengaged cost.
pub fn toil_hours(
    noise: bool,
    acknowledged: Option<i64>,
    resolved: Option<i64>,
    notified: i64,
    cost: ToilCost,
) -> f64 {
    if !noise {
        return 0.0;
    }
    match (acknowledged, resolved) {
        (Some(a), Some(r)) => ((r - a.max(notified)) as f64 / 3.6e9).clamp(0.0, cost.cap_hours),
        _ => cost.unengaged_hours,
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
/// range of their trigger times. Reads [`PAGE_COLUMNS`]. A page that names
/// no one it reached (no responders, no acknowledger) reaches the people on
/// call for its team when it fired, where `roster` knows them
/// ([`Page::attributed`]).
pub fn pages_of(df: &DataFrame, roster: &Roster) -> Result<Pages, Error> {
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
    // Read where the frame has it (the report's analysed alerts; the
    // what-if's and fix's page columns leave it out).
    let runbook: Option<Vec<bool>> = df
        .column(s::RUNBOOK)
        .ok()
        .map(|c| c.is_not_null().iter().map(|v| v.unwrap_or(false)).collect());
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
    // Each team code's name, once (the roster is keyed by name).
    let team_names: Vec<Option<Arc<str>>> = if roster.is_empty() {
        Vec::new()
    } else {
        names.names.iter().map(|n| Some(n.clone())).collect()
    };
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
        let team_code = code(&team, i);
        let mut by_schedule = false;
        if people.len() as u32 == start && code(&ack_by, i) == NO_NAME && !team_names.is_empty() {
            if let Some(Some(name)) = team_names.get(team_code as usize) {
                for who in roster.on_call(name, trig) {
                    people.push(names.code(who));
                }
                by_schedule = people.len() as u32 > start;
            }
        }
        let bits = span(&reason_at, i)
            .map(|j| bit_of.get(code(&reasons, j) as usize).copied().unwrap_or(0))
            .fold(0, |m, b| m | b);
        list.push(Page {
            row: i as u32,
            severity: code(&severity, i),
            team: team_code,
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
            ) | if by_schedule { ATTRIBUTED } else { 0 }
                | if runbook.as_ref().is_some_and(|r| r[i]) {
                    HAS_RUNBOOK
                } else {
                    0
                },
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
