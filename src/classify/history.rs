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
}

/// For each alert, on how many distinct days of the `lookback` days ending
/// with its own the same template (of the same team) fired within
/// `tolerance` minutes of its local time of day. `keys[i]` is `None` when
/// the alert has no usable time.
pub fn recurring_days(keys: &[Option<(u64, i32, u16)>], lookback: u32, tolerance: u16) -> Vec<u32> {
    // Group rows by template key, then by day: sorted minutes per day.
    let mut groups: HashMap<u64, HashMap<i32, Vec<u16>>> = HashMap::default();
    for (g, day, minute) in keys.iter().flatten() {
        groups
            .entry(*g)
            .or_default()
            .entry(*day)
            .or_default()
            .push(*minute);
    }
    for days in groups.values_mut() {
        for minutes in days.values_mut() {
            minutes.sort_unstable();
        }
    }
    let lookback = i32::try_from(lookback.max(1)).unwrap_or(i32::MAX);
    keys.iter()
        .map(|k| {
            let Some((g, day, minute)) = k else { return 0 };
            let Some(days) = groups.get(g) else { return 0 };
            let lo = minute.saturating_sub(tolerance);
            let hi = minute.saturating_add(tolerance);
            (0..lookback)
                .filter(|back| {
                    days.get(&(day - back)).is_some_and(|m| {
                        let k = m.partition_point(|&x| x < lo);
                        k < m.len() && m[k] <= hi
                    })
                })
                .count() as u32
        })
        .collect()
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
        let days = recurring_days(&keys, 7, 30);
        // Day 15 at 02:15 looks back over 9..=15: days 10, 11, 14, 15 are
        // within ±30 min (day 13's 02:46 is 31 min off).
        assert_eq!(days[5], 4);
        // Day 13's own alert: only itself within ±30 min of 02:46 on 7..=13
        // plus day 11 at 02:20 (26 min).
        assert_eq!(days[2], 2);
        // Exactly 30 min off counts, 31 does not.
        let edge = recurring_days(&[Some((1, 1, 100)), Some((1, 2, 130))], 7, 30);
        assert_eq!(edge[1], 2);
        let past = recurring_days(&[Some((1, 1, 100)), Some((1, 2, 131))], 7, 30);
        assert_eq!(past[1], 1);
        // Another template, or a day outside the look-back, does not count.
        let other = recurring_days(&[Some((2, 1, 100)), Some((1, 9, 100))], 7, 30);
        assert_eq!(other[1], 1);
    }
}
