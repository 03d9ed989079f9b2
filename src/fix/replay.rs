//! The `promtool test rules` file that replays a changed rule's own history
//! through Prometheus' evaluator: the rule's `expr` replaced by a series
//! that is 1 exactly while the expression was true in the history (from
//! `for:` before the page fired until it resolved), the changed `for:`
//! evaluated over it, and at each moment the page would notify the alerts
//! Prometheus says fire — which must be the pages alertsift's replay kept.
//! Each page is a series of its own, laid out one after another (the test
//! time is not the history's: long idle stretches are left out).

use super::plan::{format_duration, parse_duration, Change};

/// The rule file and the test file (their text), or `None` when no
/// changed `for:` has pages to replay.
pub struct ReplayTest {
    /// `replay-rules.yml`.
    pub rules: String,
    /// `replay-test.yml` (reads `replay-rules.yml` beside it).
    pub test: String,
    /// The checks it makes, one per page.
    pub checks: usize,
}

/// Greatest common divisor.
fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The test of every written `for:` change.
pub fn replay_test(changes: &[Change]) -> Option<ReplayTest> {
    let mut rules = String::from(
        "# Written by `alertsift fix`: each changed rule with its expression replaced by\n# the series its history implies (see replay-test.yml).\ngroups:\n  - name: alertsift-replay\n    rules:\n",
    );
    let mut tests = String::new();
    let mut checks = 0;
    // Each written `for:` and `keep_firing_for:` change: its rule, the
    // `for:` and `keep_firing_for:` in force and the new value (seconds).
    let changed: Vec<(&Change, u64, u64, u64)> = changes
        .iter()
        .filter(|c| c.written && !c.replay.is_empty())
        .filter(|c| c.kind == "for" || c.kind == "keep_firing_for")
        .filter_map(|c| {
            let new = parse_duration(c.after.as_deref()?)?;
            Some((c, c.in_force.0, c.in_force.1, new))
        })
        .collect();
    // One sample and one evaluation per step: a step that divides every
    // value, so that the sample grid decides as the durations do.
    let step = changed
        .iter()
        .fold(60, |g, (_, f, k, new)| gcd(gcd(gcd(g, *f), *k), *new))
        .max(1);
    for (c, for_, kff, new) in changed {
        let name = &c.rule;
        let (rule_for, rule_kff) = match c.kind.as_str() {
            "for" => (new, kff),
            _ => (for_, new),
        };
        rules.push_str(&format!(
            "      - alert: {}\n        expr: alertsift_replay{{rule={}}} == 1\n        for: {}\n",
            super::edit::quoted(name),
            super::edit::quoted(name),
            format_duration(rule_for)
        ));
        if rule_kff > 0 {
            rules.push_str(&format!(
                "        keep_firing_for: {}\n",
                format_duration(rule_kff)
            ));
        }
        let timing = Timing {
            step,
            for_,
            kff,
            new,
        };
        let (series, alerts, n) = match c.kind.as_str() {
            "for" => for_series(c, timing),
            _ => kff_series(c, timing),
        };
        checks += n;
        tests.push_str(&format!(
            "  # {name}: `{}: {}` over its {} pages of the history\n  - interval: {}\n    input_series:\n{series}    alert_rule_test:\n{alerts}",
            c.kind,
            format_duration(new),
            c.replay.len(),
            format_duration(step)
        ));
    }
    if checks == 0 {
        return None;
    }
    Some(ReplayTest {
        rules,
        test: format!(
            "# Written by `alertsift fix`: rerun with `promtool test rules replay-test.yml`.\n# Each page of a changed rule is a series that is 1 while the rule's\n# expression was true in the history; Prometheus must fire exactly the pages\n# alertsift's replay kept.\nrule_files:\n  - replay-rules.yml\nevaluation_interval: {}\ntests:\n{tests}",
            format_duration(step)
        ),
        checks,
    })
}

/// The durations a rule's test is laid out with (seconds).
#[derive(Clone, Copy)]
struct Timing {
    /// The evaluation and sample step.
    step: u64,
    /// `for:` in force in the history.
    for_: u64,
    /// `keep_firing_for:` in force in the history.
    kff: u64,
    /// The changed value.
    new: u64,
}

/// An input series' line.
fn series_line(name: &str, label: &str, i: usize, values: &str) -> String {
    format!(
        "          - series: 'alertsift_replay{{rule={}, {label}=\"{i}\"}}'\n            values: '{values}'\n",
        super::edit::quoted(name).replace('\'', "''"),
    )
}

/// A check: at `at` steps, the alert of series `i` fires or not.
fn check_line(name: &str, label: &str, i: usize, secs: u64, firing: bool) -> String {
    format!(
        "          - eval_time: {}\n            alertname: {}\n            exp_alerts:{}\n",
        format_duration(secs),
        super::edit::quoted(name),
        if firing {
            format!(
                "\n              - exp_labels:\n                  rule: {}\n                  {label}: \"{i}\"\n",
                super::edit::quoted(name)
            )
        } else {
            " []\n".to_string()
        }
    )
}

/// A changed `for:`: each page a series of its own, laid out one after
/// another, true from `for:` (in force) before it fired until it resolved;
/// checked once the new `for:` has passed: firing iff the replay kept it.
fn for_series(c: &Change, t: Timing) -> (String, String, usize) {
    let (mut series, mut alerts) = (String::new(), String::new());
    let fire_steps = t.new / t.step;
    let mut at = 0u64; // the slot's first step
    for (i, p) in c.replay.iter().enumerate() {
        // True from `for` before the page fired until `keep_firing_for`
        // before it resolved (a page still open: until past the check).
        let true_secs = p
            .end
            .map(|e| (t.for_ + ((e - p.start).max(0) / 1_000_000) as u64).saturating_sub(t.kff));
        let n = match true_secs {
            Some(s) => s.div_ceil(t.step).max(1),
            None => fire_steps + 2,
        };
        let tail = fire_steps + 2;
        let blank = if at > 0 {
            format!("_x{at} ")
        } else {
            String::new()
        };
        series.push_str(&series_line(
            &c.rule,
            "page",
            i,
            &format!("{blank}1x{} 0x{}", n - 1, tail.max(n)),
        ));
        alerts.push_str(&check_line(
            &c.rule,
            "page",
            i,
            (at + fire_steps) * t.step,
            p.kept,
        ));
        // The next slot starts once this series is over.
        at += n + tail.max(n) + 1;
    }
    (series, alerts, c.replay.len())
}

/// A changed `keep_firing_for:`: one series per alert of the rule, its
/// pages in order, true from `for:` before each fired until
/// `keep_firing_for:` (in force) before it resolved. The first page is
/// checked once it fires; each later one at the last evaluation before
/// its expression came back: still firing iff the replay continued it
/// (hid it), resolved iff the replay kept it as a page of its own.
fn kff_series(c: &Change, t: Timing) -> (String, String, usize) {
    let (mut series, mut alerts, mut checks) = (String::new(), String::new(), 0);
    let mut ids: Vec<&str> = c.replay.iter().map(|p| p.series.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let fire_steps = t.for_ / t.step;
    let keep_steps = t.new / t.step;
    let secs = |us: i64| (us.max(0) / 1_000_000) as u64;
    let mut at = 0u64;
    for (j, id) in ids.iter().enumerate() {
        let mut ps: Vec<_> = c.replay.iter().filter(|p| p.series == *id).collect();
        ps.sort_by_key(|p| p.start);
        let mut values = if at > 0 {
            vec![format!("_x{at}")]
        } else {
            Vec::new()
        };
        let mut now = at; // the next sample's step
        for (k, p) in ps.iter().enumerate() {
            if k > 0 {
                // The expression's gap: from `keep_firing_for` before the
                // previous page resolved to `for` before this one fired.
                let prev_end = ps[k - 1].end.unwrap_or(ps[k - 1].start);
                let gap = (secs(p.start) + t.kff).saturating_sub(secs(prev_end) + t.for_);
                let g = gap.div_ceil(t.step).clamp(1, keep_steps + 1);
                values.push(format!("0x{}", g - 1));
                now += g;
                alerts.push_str(&check_line(
                    &c.rule,
                    "alert",
                    j,
                    (now - 1) * t.step,
                    !p.kept,
                ));
                checks += 1;
            } else {
                alerts.push_str(&check_line(
                    &c.rule,
                    "alert",
                    j,
                    (now + fire_steps) * t.step,
                    p.kept,
                ));
                checks += 1;
            }
            // True long enough to fire (it did, in the history).
            let true_secs = p.end.map_or(t.for_ + t.step, |e| {
                (secs(e) + t.for_).saturating_sub(secs(p.start) + t.kff)
            });
            let n = true_secs.div_ceil(t.step).max(fire_steps + 1);
            values.push(format!("1x{}", n - 1));
            now += n;
        }
        values.push(format!("0x{}", keep_steps + 2));
        now += keep_steps + 3;
        series.push_str(&series_line(&c.rule, "alert", j, &values.join(" ")));
        at = now + 1;
    }
    (series, alerts, checks)
}
