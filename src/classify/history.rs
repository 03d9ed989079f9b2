//! The two rules that look across the whole history by key rather than by
//! neighbouring rows: incident linkage and RECURRING. Both run as column
//! functions inside the lazy plan.

use polars::prelude::PlHashMap as HashMap;

/// One incident, its interval in microseconds.
#[derive(Debug, Clone)]
pub struct Incident {
    /// The tracker's id.
    pub id: String,
    /// Start (µs).
    pub start: i64,
    /// End (µs); `None`: still open.
    pub end: Option<i64>,
    /// Service.
    pub service: Option<String>,
    /// Team.
    pub team: Option<String>,
}

/// Incidents indexed by service and by team, for overlap look-ups.
#[derive(Debug, Default)]
pub struct IncidentIndex {
    incidents: Vec<Incident>,
    by_service: HashMap<String, Lane>,
    by_team: HashMap<String, Lane>,
}

/// Incidents of one key sorted by start, with the running maximum of their
/// ends so a look-up can stop early.
#[derive(Debug, Default)]
struct Lane {
    starts: Vec<i64>,
    ends: Vec<i64>,
    max_end: Vec<i64>,
    idx: Vec<usize>,
}

impl Lane {
    fn build(mut items: Vec<(i64, i64, usize)>) -> Lane {
        items.sort();
        let mut lane = Lane::default();
        let mut running = i64::MIN;
        for (s, e, i) in items {
            running = running.max(e);
            lane.starts.push(s);
            lane.ends.push(e);
            lane.max_end.push(running);
            lane.idx.push(i);
        }
        lane
    }

    /// The latest-starting incident with `start - lead <= t <= end`.
    fn find(&self, t: i64, lead: i64) -> Option<(i64, usize)> {
        let mut k = self
            .starts
            .partition_point(|&s| s.saturating_sub(lead) <= t);
        while k > 0 {
            k -= 1;
            if self.max_end[k] < t {
                return None;
            }
            if self.ends[k] >= t {
                return Some((self.starts[k], self.idx[k]));
            }
        }
        None
    }
}

impl IncidentIndex {
    /// Index the incidents.
    pub fn new(incidents: Vec<Incident>) -> IncidentIndex {
        let mut svc: HashMap<String, Vec<(i64, i64, usize)>> = HashMap::default();
        let mut team: HashMap<String, Vec<(i64, i64, usize)>> = HashMap::default();
        for (i, inc) in incidents.iter().enumerate() {
            let item = (inc.start, inc.end.unwrap_or(i64::MAX), i);
            if let Some(s) = &inc.service {
                svc.entry(s.clone()).or_default().push(item);
            }
            if let Some(t) = &inc.team {
                team.entry(t.clone()).or_default().push(item);
            }
        }
        IncidentIndex {
            incidents,
            by_service: svc.into_iter().map(|(k, v)| (k, Lane::build(v))).collect(),
            by_team: team.into_iter().map(|(k, v)| (k, Lane::build(v))).collect(),
        }
    }

    /// The incident an alert that fired at `t` overlaps: same service or
    /// same team, from `lead` µs before the incident started to its end.
    /// Of several, the one that started last (then the smaller id).
    pub fn overlap(
        &self,
        service: Option<&str>,
        team: Option<&str>,
        t: i64,
        lead: i64,
    ) -> Option<&str> {
        let a = service
            .and_then(|s| self.by_service.get(s))
            .and_then(|l| l.find(t, lead));
        let b = team
            .and_then(|s| self.by_team.get(s))
            .and_then(|l| l.find(t, lead));
        let best = match (a, b) {
            (Some(x), Some(y)) => {
                let key = |(s, i): (i64, usize)| (s, std::cmp::Reverse(&self.incidents[i].id));
                Some(if key(x) >= key(y) { x } else { y })
            }
            (x, None) => x,
            (None, y) => y,
        };
        best.map(|(_, i)| self.incidents[i].id.as_str())
    }

    /// The share of `[from, to]` (µs) in which an alert of this service and
    /// team would overlap some incident by [`IncidentIndex::overlap`]'s
    /// rule: the union of `[start - lead, end]` of the incidents of the
    /// service or the team, clipped to the span. The chance that an alert
    /// firing at a random instant of the span overlaps an incident it has
    /// nothing to do with. 0 for an empty span.
    pub fn coverage(
        &self,
        service: Option<&str>,
        team: Option<&str>,
        from: i64,
        to: i64,
        lead: i64,
    ) -> f64 {
        if to <= from {
            return 0.0;
        }
        let lanes = [
            service.and_then(|s| self.by_service.get(s)),
            team.and_then(|t| self.by_team.get(t)),
        ];
        let mut spans: Vec<(i64, i64)> = lanes
            .into_iter()
            .flatten()
            .flat_map(|l| l.starts.iter().zip(&l.ends))
            .map(|(&s, &e)| (s.saturating_sub(lead).max(from), e.min(to)))
            .filter(|(s, e)| s < e)
            .collect();
        spans.sort_unstable();
        let (mut covered, mut reach) = (0i128, from);
        for (s, e) in spans {
            let s = s.max(reach);
            if e > s {
                covered += i128::from(e) - i128::from(s);
                reach = e;
            }
        }
        covered as f64 / (i128::from(to) - i128::from(from)) as f64
    }
}

/// Minutes in a day.
const DAY_MINUTES: i32 = 24 * 60;

/// RECURRING's window: the days counted up to an alert's own and after
/// it, and how near its local time of day counts.
#[derive(Debug, Clone, Copy)]
pub struct RecurringWindow {
    /// Days ending with the alert's own (7: its own and the 6 before).
    pub back: u32,
    /// Days after it (a batch run sees them too).
    pub ahead: u32,
    /// Minutes either side of its local time of day.
    pub tolerance: u16,
}

/// One template's fires (of one team): the days it fired on, ascending,
/// and each day's minutes, ascending (`minutes[starts[i]..starts[i + 1]]`
/// are day `days[i]`'s), with the row of each.
#[derive(Debug, Default)]
struct Fires {
    days: Vec<i32>,
    starts: Vec<usize>,
    minutes: Vec<u16>,
    rows: Vec<usize>,
}

impl Fires {
    /// The minutes of the `i`-th day fired on.
    fn of(&self, i: usize) -> &[u16] {
        let end = self
            .starts
            .get(i + 1)
            .copied()
            .unwrap_or(self.minutes.len());
        &self.minutes[self.starts[i]..end]
    }

    /// Any minute of the `i`-th day within `[lo, hi]` (clamped to the day).
    fn any(&self, i: usize, lo: i32, hi: i32) -> bool {
        let (lo, hi) = (lo.max(0), hi.min(DAY_MINUTES - 1));
        let m = self.of(i);
        let k = m.partition_point(|&x| i32::from(x) < lo);
        lo <= hi && k < m.len() && i32::from(m[k]) <= hi
    }
}

/// Group rows by template key: each template's fires by day.
fn by_template_day(keys: &[Option<(u64, i32, u16)>]) -> HashMap<u64, Fires> {
    let mut raw: HashMap<u64, Vec<(i32, u16, usize)>> = HashMap::default();
    for (row, key) in keys.iter().enumerate() {
        if let Some((g, day, minute)) = key {
            raw.entry(*g).or_default().push((*day, *minute, row));
        }
    }
    raw.into_iter()
        .map(|(g, mut fires)| {
            fires.sort_unstable();
            let mut f = Fires {
                minutes: Vec::with_capacity(fires.len()),
                rows: Vec::with_capacity(fires.len()),
                ..Fires::default()
            };
            for (day, minute, row) in fires {
                if f.days.last() != Some(&day) {
                    f.days.push(day);
                    f.starts.push(f.minutes.len());
                }
                f.minutes.push(minute);
                f.rows.push(row);
            }
            (g, f)
        })
        .collect()
}

/// For each alert, on how many distinct days of the window around its own
/// (its own included) the same template (of the same team) fired within
/// the tolerance of its local time of day — across midnight too (a job at
/// about 00:05 that fires at 23:58 one night has fired within 7 minutes of
/// it that day). `keys[i]` is `None` when the alert has no usable time.
pub fn recurring_days(keys: &[Option<(u64, i32, u16)>], w: RecurringWindow) -> Vec<u32> {
    let groups = by_template_day(keys);
    let back = i32::try_from(w.back.max(1) - 1).unwrap_or(i32::MAX);
    let ahead = i32::try_from(w.ahead).unwrap_or(i32::MAX);
    let tol = i32::from(w.tolerance);
    // Which days of the window have a fire near the time (reused).
    let mut hit: Vec<bool> = Vec::new();
    let mut out = vec![0u32; keys.len()];
    // Template by template, its fires in time order (their neighbours
    // are then near in memory too).
    for f in groups.values() {
        for (i, &day) in f.days.iter().enumerate() {
            let (first, last) = (day.saturating_sub(back), day.saturating_add(ahead));
            let width = usize::try_from(i64::from(last) - i64::from(first) + 1).unwrap_or(0);
            // The days fired on from the day before the window.
            let from = f.days.partition_point(|&d| d < first.saturating_sub(1));
            for j in f.starts[i]..f.starts.get(i + 1).copied().unwrap_or(f.minutes.len()) {
                hit.clear();
                hit.resize(width, false);
                let mut mark = |w: i32| {
                    if (first..=last).contains(&w) {
                        hit[(w - first) as usize] = true;
                    }
                };
                let minute = i32::from(f.minutes[j]);
                let (lo, hi) = (minute - tol, minute + tol);
                // To the day after the window: a fire counts for its own
                // day's window, late in the evening for the next day's (a
                // window reaching back over midnight), early in the morning
                // for the day before's.
                let mut k = from;
                while let Some(&e) = f.days.get(k) {
                    if e > last.saturating_add(1) {
                        break;
                    }
                    if f.any(k, lo, hi) {
                        mark(e);
                    }
                    if lo < 0 && f.any(k, lo + DAY_MINUTES, DAY_MINUTES - 1) {
                        mark(e.saturating_add(1));
                    }
                    if hi >= DAY_MINUTES && f.any(k, 0, hi - DAY_MINUTES) {
                        mark(e.saturating_sub(1));
                    }
                    k += 1;
                }
                out[f.rows[j]] = hit.iter().filter(|&&h| h).count() as u32;
            }
        }
    }
    out
}

/// The other times of day [`recurring_contrast`] compares with: every
/// three hours.
const OTHER_TIMES: [i32; 7] = [180, 360, 540, 720, 900, 1080, 1260];

/// For each alert, how much more often its template (of its team) fires at
/// this local time of day than at others, over the whole history: the days
/// it fired within `tolerance` minutes of this time, over one plus the mean
/// of the same count at the seven other times three, six … 21 hours away.
/// A nightly job scores about as many days as it fired on; a template that
/// fires around the clock scores about 1 however often it fires (so a busy
/// template is not a nightly job because it fires at every hour). `None`
/// for an alert with no usable time.
pub fn recurring_contrast(keys: &[Option<(u64, i32, u16)>], tolerance: u16) -> Vec<Option<f64>> {
    let groups = by_template_day(keys);
    let tol = i32::from(tolerance);
    let mut out = vec![None; keys.len()];
    for f in groups.values() {
        let profile = profile(f, tol);
        let at = |m: i32| f64::from(profile[m.rem_euclid(DAY_MINUTES) as usize]);
        for (&minute, &row) in f.minutes.iter().zip(&f.rows) {
            let minute = i32::from(minute);
            let elsewhere =
                OTHER_TIMES.iter().map(|o| at(minute + o)).sum::<f64>() / OTHER_TIMES.len() as f64;
            out[row] = Some(at(minute) / (1.0 + elsewhere));
        }
    }
    out
}

/// For each minute of the day, on how many days of the history a template
/// fired within `tol` minutes of it (the day's clock read round, so 23:50
/// is 15 minutes from 00:05).
fn profile(fires: &Fires, tol: i32) -> Vec<u32> {
    let span = (2 * tol + 1).min(DAY_MINUTES);
    let mut counts = vec![0u32; DAY_MINUTES as usize];
    let mut covered = vec![false; DAY_MINUTES as usize];
    for minutes in (0..fires.days.len()).map(|i| fires.of(i)) {
        covered.fill(false);
        // The day's fires as merged intervals of covered minutes.
        let mut open: Option<(i32, i32)> = None;
        let mut mark = |(s, e): (i32, i32)| {
            for m in s..e.min(s + DAY_MINUTES) {
                covered[m.rem_euclid(DAY_MINUTES) as usize] = true;
            }
        };
        for &m in minutes.iter() {
            let (s, e) = (i32::from(m) - tol, i32::from(m) - tol + span);
            open = match open {
                Some((os, oe)) if s <= oe => Some((os, oe.max(e))),
                Some(done) => {
                    mark(done);
                    Some((s, e))
                }
                None => Some((s, e)),
            };
        }
        if let Some(done) = open {
            mark(done);
        }
        for (c, &hit) in counts.iter_mut().zip(covered.iter()) {
            *c += u32::from(hit);
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000;

    fn inc(id: &str, start: i64, end: Option<i64>, svc: &str, team: &str) -> Incident {
        Incident {
            id: id.into(),
            start,
            end,
            service: Some(svc.into()),
            team: Some(team.into()),
        }
    }

    #[test]
    fn overlap_window() {
        let idx = IncidentIndex::new(vec![
            inc("INC1", 100 * MIN, Some(200 * MIN), "api", "web"),
            inc("INC2", 150 * MIN, None, "db", "data"),
        ]);
        let lead = 30 * MIN;
        // Exactly 30 min before the start counts; one µs earlier does not.
        assert_eq!(idx.overlap(Some("api"), None, 70 * MIN, lead), Some("INC1"));
        assert_eq!(idx.overlap(Some("api"), None, 70 * MIN - 1, lead), None);
        // Up to and including the end.
        assert_eq!(
            idx.overlap(Some("api"), None, 200 * MIN, lead),
            Some("INC1")
        );
        assert_eq!(idx.overlap(Some("api"), None, 200 * MIN + 1, lead), None);
        // By team when the service differs; open incidents never end.
        assert_eq!(
            idx.overlap(Some("x"), Some("data"), 10_000 * MIN, lead),
            Some("INC2")
        );
        assert_eq!(idx.overlap(Some("x"), Some("y"), 150 * MIN, lead), None);
    }

    /// Coverage of a 100-minute span by the service's and the team's
    /// incidents with a 10-minute lead: `api` 20–30 (window 10–30) and the
    /// team's 25–40 (window 15–40) overlap into 10–40; an open `api`
    /// incident from 95 (window 85–) is clipped at 100: 30 + 15 = 45 of
    /// 100. Another service's incident does not count; an empty span is 0.
    #[test]
    fn coverage_is_the_union_of_the_windows() {
        let idx = IncidentIndex::new(vec![
            inc("a", 20 * MIN, Some(30 * MIN), "api", "x"),
            inc("b", 25 * MIN, Some(40 * MIN), "db", "web"),
            inc("c", 95 * MIN, None, "api", "x"),
            inc("d", 50 * MIN, Some(60 * MIN), "db", "x"),
        ]);
        let share = idx.coverage(Some("api"), Some("web"), 0, 100 * MIN, 10 * MIN);
        assert!((share - 0.45).abs() < 1e-12, "{share}");
        let share = idx.coverage(Some("api"), None, 0, 100 * MIN, 10 * MIN);
        assert!((share - 0.35).abs() < 1e-12, "{share}");
        assert_eq!(idx.coverage(Some("zzz"), None, 0, 100 * MIN, 0), 0.0);
        assert_eq!(idx.coverage(Some("api"), Some("web"), 5, 5, 0), 0.0);
    }

    /// The live rule: the last 7 days (its own included), ±30 minutes.
    const LAST_7: RecurringWindow = RecurringWindow {
        back: 7,
        ahead: 0,
        tolerance: 30,
    };

    #[test]
    fn recurring_counts_distinct_days() {
        // Days 10..=16 at 02:15 ± a few minutes, except day 12; one alert
        // 31 minutes off on day 13 and a second alert on day 14.
        let mut keys = Vec::new();
        for (day, minute) in [
            (10, 135),
            (11, 140),
            (13, 166),
            (14, 130),
            (14, 131),
            (15, 135),
        ] {
            keys.push(Some((7u64, day, minute)));
        }
        let days = recurring_days(&keys, LAST_7);
        // Day 15 at 02:15 looks back over 9..=15: days 10, 11, 14, 15 are
        // within ±30 min (day 13's 02:46 is 31 min off).
        assert_eq!(days[5], 4);
        // Day 13's own alert: only itself within ±30 min of 02:46 on 7..=13
        // plus day 11 at 02:20 (26 min).
        assert_eq!(days[2], 2);
        // Exactly 30 min off counts, 31 does not.
        let edge = recurring_days(&[Some((1, 1, 100)), Some((1, 2, 130))], LAST_7);
        assert_eq!(edge[1], 2);
        let past = recurring_days(&[Some((1, 1, 100)), Some((1, 2, 131))], LAST_7);
        assert_eq!(past[1], 1);
        // Another template, or a day outside the look-back, does not count.
        let other = recurring_days(&[Some((2, 1, 100)), Some((1, 9, 100))], LAST_7);
        assert_eq!(other[1], 1);
    }

    /// A job at about midnight local: day 1 23:50, day 3 00:10, day 4
    /// 23:55, day 6 00:05. The window of a look-back day d around 00:05 is
    /// day d − 1 23:35 to day d 00:35: day 6's 00:05 finds days 6 (itself),
    /// 5 (day 4's 23:55), 3 (00:10) and 2 (day 1's 23:50): 4, where a
    /// window cut at midnight found 2 (days 6 and 3).
    #[test]
    fn recurring_looks_across_midnight() {
        let keys = [
            Some((1u64, 1, 1430)), // day 1 23:50
            Some((1u64, 3, 10)),   // day 3 00:10
            Some((1u64, 4, 1435)), // day 4 23:55
            Some((1u64, 6, 5)),    // day 6 00:05
        ];
        let days = recurring_days(&keys, LAST_7);
        assert_eq!(days[3], 4);
        // Day 4's 23:55: windows day d 23:25 to day d + 1 00:25 — days 4
        // (itself), 2 (day 3's 00:10) and 1 (23:50): 3.
        assert_eq!(days[2], 3);
    }

    /// Looking ahead: day 10's alert at 02:15 with fires on days 11, 12
    /// and 17 near that time: the last 7 days alone find only itself; 6
    /// days ahead find days 11 and 12 too (day 17 is 7 ahead: outside).
    #[test]
    fn recurring_looks_ahead() {
        let keys = [
            Some((3u64, 10, 135)),
            Some((3u64, 11, 150)),
            Some((3u64, 12, 120)),
            Some((3u64, 17, 135)),
        ];
        assert_eq!(recurring_days(&keys, LAST_7)[0], 1);
        let both = RecurringWindow { ahead: 6, ..LAST_7 };
        assert_eq!(recurring_days(&keys, both)[0], 3);
        // Day 17's alert sees 11..=17 back: days 11, 12 and itself.
        assert_eq!(recurring_days(&keys, both)[3], 3);
    }

    /// A nightly job at 02:00 on days 0..10 (one day at 02:40), and a
    /// template that fires every 3 hours around the clock on days 0..5.
    #[test]
    fn recurring_contrast_tells_a_nightly_job_from_a_busy_template() {
        let mut keys: Vec<Option<(u64, i32, u16)>> = (0..10)
            .map(|d| Some((1u64, d, if d == 4 { 160 } else { 120 })))
            .collect();
        for d in 0..5 {
            for h in 0..8u16 {
                keys.push(Some((2u64, d, h * 180 + 30)));
            }
        }
        let contrast = recurring_contrast(&keys, 30);
        // The job at 02:00: 9 days within 30 minutes (day 4's 02:40 is 40
        // off); at the other times 05:00, 08:00 … 23:00 none: 9 / (1 + 0).
        assert_eq!(contrast[0], Some(9.0));
        // Day 4's 02:40: within 30 minutes only its own day: 1 / (1 + 0).
        assert_eq!(contrast[4], Some(1.0));
        // The busy template at 00:30: 5 days here, 5 at each other time
        // (03:30, 06:30 …): 5 / (1 + 5).
        assert_eq!(contrast[10], Some(5.0 / 6.0));
        // No time, no contrast.
        assert_eq!(recurring_contrast(&[None], 30), vec![None]);
    }

    /// The profile reads the clock round: a fire at 23:50 is 15 minutes
    /// from 00:05, so a job around midnight is one time of day.
    #[test]
    fn recurring_contrast_wraps_midnight() {
        let keys = [
            Some((1u64, 1, 1430)), // 23:50
            Some((1u64, 2, 5)),    // 00:05
            Some((1u64, 3, 1435)), // 23:55
        ];
        let c = recurring_contrast(&keys, 30);
        assert_eq!(c, vec![Some(3.0), Some(3.0), Some(3.0)]);
    }
}
