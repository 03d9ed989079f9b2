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
    // Each written `for:` change: its rule, old and new values (seconds).
    let changed: Vec<(&Change, u64, u64)> = changes
        .iter()
        .filter(|c| c.written && c.kind == "for" && !c.replay.is_empty())
        .filter_map(|c| {
            let new = parse_duration(c.after.as_deref()?)?;
            let old = match c.before.as_deref() {
                Some(b) => parse_duration(b)?,
                None => 0,
            };
            Some((c, old, new))
        })
        .collect();
    // One sample and one evaluation per step: a step that divides every
    // value, so that the sample grid decides as the durations do.
    let step = changed
        .iter()
        .fold(60, |g, (_, old, new)| gcd(gcd(g, *old), *new))
        .max(1);
    for (c, old, new) in changed {
        let name = &c.rule;
        rules.push_str(&format!(
            "      - alert: {}\n        expr: alertsift_replay{{rule={}}} == 1\n        for: {}\n",
            super::edit::quoted(name),
            super::edit::quoted(name),
            format_duration(new)
        ));
        let fire_steps = new / step;
        let mut series = String::new();
        let mut alerts = String::new();
        let mut at = 0u64; // the slot's first step
        for (i, p) in c.replay.iter().enumerate() {
            // True from `old` before the page fired until it resolved (a
            // page still open: until past the check).
            let true_secs = p
                .end
                .map(|e| old + ((e - p.start).max(0) / 1_000_000) as u64);
            let n = match true_secs {
                Some(s) => s.div_ceil(step).max(1),
                None => fire_steps + 2,
            };
            let tail = fire_steps + 2;
            series.push_str(&format!(
                "          - series: 'alertsift_replay{{rule={}, page=\"{i}\"}}'\n            values: '{}1x{} 0x{}'\n",
                super::edit::quoted(name).replace('\'', "''"),
                if at > 0 { format!("_x{at} ") } else { String::new() },
                n - 1,
                tail.max(n) - 1 + 1
            ));
            let check = at + fire_steps;
            alerts.push_str(&format!(
                "          - eval_time: {}\n            alertname: {}\n            exp_alerts:{}\n",
                format_duration(check * step),
                super::edit::quoted(name),
                if p.kept {
                    format!(
                        "\n              - exp_labels:\n                  rule: {}\n                  page: \"{i}\"\n",
                        super::edit::quoted(name)
                    )
                } else {
                    " []\n".to_string()
                }
            ));
            checks += 1;
            // The next slot starts once this series is over.
            at += n + tail.max(n) + 1;
        }
        tests.push_str(&format!(
            "  # {name}: `for: {}` over its {} pages of the history (one series each)\n  - interval: {}\n    input_series:\n{series}    alert_rule_test:\n{alerts}",
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
