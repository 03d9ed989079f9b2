//! Who was on call: the schedule shifts of the store, per team.
//!
//! A shift belongs to the team its export or the configuration names
//! (`[teams.X] schedules`); else to the team of the run whose name the
//! schedule's (or its escalation policy's) name contains, ignoring case,
//! the longest such name winning ("Payments primary" → `payments`). Shifts of
//! no team are counted ([`Roster::unplaced`]) and otherwise left out.
//!
//! Two uses: a page whose export does not say whom it reached goes to the
//! people on call for its team when it fired ([`Roster::on_call`]: the
//! lowest escalation level on call then, everyone of that level), and the
//! fairness figures count everyone who held a shift in the period, with
//! their on-call hours ([`Roster::holders`]).

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::config::Config;
use crate::error::Error;
use crate::schema as s;

/// One team's timeline: consecutive segments, each with who was first on
/// call in it.
#[derive(Debug, Default, Clone)]
struct Timeline {
    /// `(start, end, people)`: non-overlapping, in time order (µs).
    segments: Vec<(i64, i64, Vec<u32>)>,
    /// Each person's shifts `(start, end)` (every level), for their hours.
    shifts: BTreeMap<u32, Vec<(i64, i64)>>,
}

/// The shifts of the store, per team.
#[derive(Debug, Default, Clone)]
pub struct Roster {
    /// Each person's name (people are indices into it).
    people: Vec<String>,
    /// Each team's timeline.
    teams: BTreeMap<String, Timeline>,
    /// Shifts whose schedule no team could be found for.
    unplaced: u64,
    /// The schedules without a team (for the summary's notes).
    unplaced_schedules: Vec<String>,
    /// Each person's shifts of every team, by start, with the latest end
    /// so far (to stop looking back): `(start, end, latest end up to it)`.
    own: Vec<Vec<(i64, i64, i64)>>,
    /// Each person's index into `people`, by name.
    index: BTreeMap<String, u32>,
}

/// The team among `teams` whose name `name` contains (ignoring case), the
/// longest such name.
fn team_named_in<'a>(name: &str, teams: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    teams
        .iter()
        .filter(|t| !t.is_empty() && lower.contains(&t.to_lowercase()))
        .max_by_key(|t| (t.len(), std::cmp::Reverse(**t)))
        .copied()
}

impl Roster {
    /// The roster of a shifts table (`schema::shifts_schema`); `teams`: the
    /// teams of the run (those of its alerts and incidents, and the
    /// configured ones) that a schedule's name may name.
    pub fn of(shifts: &DataFrame, teams: &[&str], config: &Config) -> Result<Roster, Error> {
        let what = "the schedule shifts";
        let strs = |name: &str| {
            shifts
                .column(name)
                .and_then(|c| c.str().cloned())
                .map_err(Error::polars(what))
        };
        let times = |name: &str| {
            shifts
                .column(name)
                .and_then(|c| c.cast(&DataType::Int64))
                .and_then(|c| c.i64().cloned())
                .map_err(Error::polars(what))
        };
        let (schedule, policy, team, person) = (
            strs(s::SCHEDULE)?,
            strs(s::POLICY)?,
            strs(s::TEAM)?,
            strs(s::PERSON)?,
        );
        let (start, end) = (times(s::STARTED_AT)?, times(s::ENDED_AT)?);
        let level = shifts
            .column(s::ESCALATION_LEVEL)
            .and_then(|c| c.u32().cloned())
            .map_err(Error::polars(what))?;
        let mut roster = Roster::default();
        let mut index: BTreeMap<String, u32> = BTreeMap::new();
        // (team, start, end, level, person)
        let mut rows: BTreeMap<String, Vec<(i64, i64, u32, u32)>> = BTreeMap::new();
        for i in 0..shifts.height() {
            let (Some(who), Some(from), Some(to)) = (person.get(i), start.get(i), end.get(i))
            else {
                continue;
            };
            let named = |n: Option<&str>| n.and_then(|n| team_named_in(n, teams));
            let owner = team
                .get(i)
                .map(|t| config.resolve_team_ref(t).to_string())
                .or_else(|| {
                    config
                        .team_of_schedule(schedule.get(i), policy.get(i))
                        .or_else(|| named(schedule.get(i)).or_else(|| named(policy.get(i))))
                        .map(str::to_string)
                });
            let Some(owner) = owner else {
                roster.unplaced += 1;
                let name = schedule
                    .get(i)
                    .or(policy.get(i))
                    .unwrap_or("(unnamed)")
                    .to_string();
                if !roster.unplaced_schedules.contains(&name) {
                    roster.unplaced_schedules.push(name);
                }
                continue;
            };
            let next = index.len() as u32;
            let k = *index.entry(who.to_string()).or_insert_with(|| {
                roster.people.push(who.to_string());
                next
            });
            rows.entry(owner)
                .or_default()
                .push((from, to, level.get(i).unwrap_or(1), k));
        }
        roster.unplaced_schedules.sort();
        roster.own = vec![Vec::new(); roster.people.len()];
        for shifts in rows.values() {
            for &(a, b, _, k) in shifts {
                roster.own[k as usize].push((a, b, b));
            }
        }
        for spans in &mut roster.own {
            spans.sort_unstable();
            spans.dedup();
            let mut latest = i64::MIN;
            for span in spans.iter_mut() {
                latest = latest.max(span.1);
                span.2 = latest;
            }
        }
        roster.index = index;
        for (team, shifts) in rows {
            roster.teams.insert(team, Timeline::of(shifts));
        }
        Ok(roster)
    }

    /// No shifts of any team.
    pub fn is_empty(&self) -> bool {
        self.teams.is_empty()
    }

    /// Shifts left out because no team could be found for their schedule,
    /// and those schedules' names.
    pub fn unplaced(&self) -> (u64, &[String]) {
        (self.unplaced, &self.unplaced_schedules)
    }

    /// The teams with shifts.
    pub fn teams(&self) -> impl Iterator<Item = &str> {
        self.teams.keys().map(String::as_str)
    }

    /// Who was first on call for `team` at `at` (µs): everyone of the
    /// lowest escalation level on call then. Empty when no one was.
    pub fn on_call(&self, team: &str, at: i64) -> impl Iterator<Item = &str> {
        let people = self
            .teams
            .get(team)
            .and_then(|t| {
                let i = t.segments.partition_point(|seg| seg.0 <= at);
                i.checked_sub(1)
                    .and_then(|i| t.segments.get(i))
                    .filter(|seg| at < seg.1)
            })
            .map_or(&[][..], |seg| &seg.2[..]);
        people.iter().map(|&k| self.people[k as usize].as_str())
    }

    /// The shift `person` held at `at` (µs), of any team: `(start, end)`;
    /// of overlapping ones, the one that started last.
    pub fn shift_of(&self, person: &str, at: i64) -> Option<(i64, i64)> {
        let spans = &self.own[*self.index.get(person)? as usize];
        let upto = spans.partition_point(|s| s.0 <= at);
        spans[..upto]
            .iter()
            .rev()
            .take_while(|s| s.2 > at)
            .find(|s| s.1 > at)
            .map(|s| (s.0, s.1))
    }

    /// Everyone who held a shift of `team` overlapping `[since, until)`,
    /// with their on-call hours in it (overlapping shifts of one person
    /// counted once), by name.
    pub fn holders(&self, team: &str, since: i64, until: i64) -> Vec<(&str, f64)> {
        let Some(t) = self.teams.get(team) else {
            return Vec::new();
        };
        let mut out: Vec<(&str, f64)> = t
            .shifts
            .iter()
            .filter_map(|(&k, spans)| {
                let hours = covered(spans, since, until) as f64 / 3.6e9;
                (hours > 0.0).then(|| (self.people[k as usize].as_str(), hours))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }
}

/// Microseconds of `[since, until)` that `spans` (sorted by start) cover.
fn covered(spans: &[(i64, i64)], since: i64, until: i64) -> i64 {
    let mut total = 0;
    let mut reach = since;
    for &(a, b) in spans {
        let (a, b) = (a.max(reach), b.min(until));
        if b > a {
            total += b - a;
            reach = b;
        }
    }
    total
}

impl Timeline {
    /// From `(start, end, level, person)` shifts: the segments between
    /// every start and end, each with the people of the lowest level on
    /// call in it.
    fn of(mut shifts: Vec<(i64, i64, u32, u32)>) -> Timeline {
        shifts.sort_unstable();
        shifts.dedup();
        let mut t = Timeline::default();
        for &(a, b, _, k) in &shifts {
            t.shifts.entry(k).or_default().push((a, b));
        }
        let mut bounds: Vec<i64> = shifts.iter().flat_map(|&(a, b, _, _)| [a, b]).collect();
        bounds.sort_unstable();
        bounds.dedup();
        // Sweep: shifts sorted by start; the active ones at each boundary.
        let mut active: Vec<(i64, u32, u32)> = Vec::new();
        let mut next = 0;
        for w in bounds.windows(2) {
            let (from, to) = (w[0], w[1]);
            active.retain(|&(end, _, _)| end > from);
            while next < shifts.len() && shifts[next].0 <= from {
                let (_, b, level, k) = shifts[next];
                if b > from {
                    active.push((b, level, k));
                }
                next += 1;
            }
            let Some(first) = active.iter().map(|a| a.1).min() else {
                continue;
            };
            let mut people: Vec<u32> = active
                .iter()
                .filter(|a| a.1 == first)
                .map(|a| a.2)
                .collect();
            people.sort_unstable();
            people.dedup();
            match t.segments.last_mut() {
                Some(last) if last.1 == from && last.2 == people => last.1 = to,
                _ => t.segments.push((from, to, people)),
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000_000;

    #[test]
    fn a_schedule_belongs_to_the_longest_team_name_it_contains() {
        let teams = ["pay", "payments", "search"];
        assert_eq!(team_named_in("Payments primary", &teams), Some("payments"));
        assert_eq!(team_named_in("SEARCH on-call", &teams), Some("search"));
        assert_eq!(team_named_in("Storage", &teams), None);
    }

    #[test]
    fn a_persons_shift_is_the_latest_started_that_holds_the_moment() {
        // ann: 00–24 (a day-long rotation), 06–08 (another, inside it),
        // 30–40; bob none.
        let own = vec![vec![
            (0, 24 * H, 24 * H),
            (6 * H, 8 * H, 24 * H),
            (30 * H, 40 * H, 40 * H),
        ]];
        let roster = Roster {
            people: vec!["ann".into()],
            own,
            index: [("ann".to_string(), 0)].into(),
            ..Roster::default()
        };
        assert_eq!(roster.shift_of("ann", 0), Some((0, 24 * H)));
        assert_eq!(roster.shift_of("ann", 7 * H), Some((6 * H, 8 * H)));
        // After the inner one ended, the day-long one still holds.
        assert_eq!(roster.shift_of("ann", 8 * H), Some((0, 24 * H)));
        // The end is not in a shift.
        assert_eq!(roster.shift_of("ann", 24 * H), None);
        assert_eq!(roster.shift_of("ann", 35 * H), Some((30 * H, 40 * H)));
        assert_eq!(roster.shift_of("ann", -1), None);
        assert_eq!(roster.shift_of("bob", H), None);
    }

    #[test]
    fn the_lowest_level_on_call_is_paged_and_hours_count_once() {
        // ann level 1 00:00–12:00, bob level 1 12:00–24:00, cid level 2
        // all day; ann again 06:00–08:00 on another rotation (overlap).
        let t = Timeline::of(vec![
            (0, 12 * H, 1, 0),
            (12 * H, 24 * H, 1, 1),
            (0, 24 * H, 2, 2),
            (6 * H, 8 * H, 1, 0),
        ]);
        let roster = Roster {
            people: vec!["ann".into(), "bob".into(), "cid".into()],
            teams: [("pay".to_string(), t)].into(),
            ..Roster::default()
        };
        let at = |h: i64| roster.on_call("pay", h).collect::<Vec<_>>();
        assert_eq!(at(0), ["ann"]);
        assert_eq!(at(7 * H), ["ann"]);
        assert_eq!(at(12 * H), ["bob"]);
        assert!(at(24 * H).is_empty());
        assert!(at(-1).is_empty());
        assert!(roster.on_call("search", H).next().is_none());
        // The first day's half: ann 6 h (06–08 inside 00–12), bob none,
        // cid 6 h.
        let h = roster.holders("pay", 6 * H, 12 * H);
        assert_eq!(h, [("ann", 6.0), ("cid", 6.0)]);
        assert_eq!(
            roster.holders("pay", 0, 48 * H),
            [("ann", 12.0), ("bob", 12.0), ("cid", 24.0)]
        );
    }
}
