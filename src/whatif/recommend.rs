//! What to fix first: one recommendation per noisy template, ranked by the
//! toil it cost, with the fix domain.md's table gives for its dominant
//! reason, concrete values from the template's own history, and what the
//! fix would have saved on the analysed period (per week).

use std::time::Duration;

use serde::Serialize;

use crate::config::Config;
use crate::core::stats::percentile;
use crate::core::time::LocalClock;
use crate::metrics::{in_period, Split};
use crate::pages::{Page, Pages, ToilCost};
use crate::reasons::bit as reason_bit;
use crate::reasons::REASONS;
use crate::whatif::{self, Policy};

/// One recommendation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Recommendation {
    /// The template.
    pub template: String,
    /// Its pages in the period.
    pub pages: u64,
    /// Of which noise.
    pub noise_pages: u64,
    /// Toil hours it cost in the period.
    pub toil_hours: f64,
    /// Reason codes among its noise pages, most frequent first.
    pub reasons: Vec<(String, u64)>,
    /// The dominant reason.
    pub diagnosis: String,
    /// The fix, with values.
    pub fix: String,
    /// Pages the fix would have spared, per week.
    pub saved_pages_per_week: f64,
    /// Of those, in sleep hours (the team's zone), per week.
    pub saved_sleep_pages_per_week: f64,
    /// Toil hours spared, per week.
    pub saved_toil_hours_per_week: f64,
    /// Actionable pages the fix would have delayed (a `for:` delay).
    pub actionable_delayed: u64,
    /// Actionable pages the fix would have hidden (routing away, deleting).
    pub actionable_hidden: u64,
}

/// The noise reasons with a fix of their own (the others — no trace of
/// work, unacknowledged — say only that nobody acted).
const SPECIFIC: [&str; 5] = [
    "TRANSIENT",
    "FLAPPING",
    "DUPLICATE",
    "STORM_SECONDARY",
    "RECURRING",
];

/// Whole minutes at least `secs` (at least 1).
fn minutes_up(secs: f64) -> i64 {
    ((secs / 60.0).ceil() as i64).max(1)
}

/// Recommendations for the `top` templates with the most toil among pages
/// triggered in `[since, until)`; templates without noise pages get none.
pub fn recommend(
    pages: &Pages,
    config: &Config,
    since: i64,
    until: i64,
    top: usize,
) -> Vec<Recommendation> {
    let cost = ToilCost::of(config);
    let weeks = ((until - since) as f64 / (7.0 * 86_400e6)).max(1.0 / 7.0);
    // By template text (`(none)` for pages without one), in table order.
    let inside: Vec<&Page> = in_period(&pages.list, since, until).collect();
    let (split, names) = Split::by(&inside, pages, |p| p.template);
    let mut by: Vec<Vec<&Page>> = vec![Vec::new(); split.groups];
    for (p, g) in inside.iter().zip(&split.of) {
        by[*g as usize].push(p);
    }
    // The `top` templates with noise pages, most toil first (ties by text).
    let mut ranked: Vec<(f64, &str, Vec<&Page>)> = names
        .into_iter()
        .zip(by)
        .filter(|(_, ps)| ps.iter().any(|p| p.noise()))
        .map(|(t, ps)| {
            (
                ps.iter().map(|p| p.toil_hours(cost)).sum::<f64>() + 0.0,
                t,
                ps,
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    ranked.truncate(top);
    let mut clock = LocalClock::default();
    ranked
        .into_iter()
        .map(|(_, template, ps)| {
            let templates = [template.to_string()];
            let guard = Guard::default();
            recommend_for(
                pages, &ps, template, &templates, config, weeks, guard, &mut clock,
            )
            .0
        })
        .collect()
}

/// What a recommendation may cost: with `protect_actionable`, a `for:` or
/// `keep_firing_for:` is held below the shortest self-resolved duration (or
/// clear gap) of an actionable page, so that it hides none (`fix` without
/// `--allow-hiding`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Guard {
    /// Never hide an actionable page.
    pub protect_actionable: bool,
}

/// The recommendation for one group of pages (a template's, or a rule's as
/// `fix` groups them): named `name`, its pages of `templates`; with the
/// policy it replayed (`None` values: the group needs no change).
#[allow(clippy::too_many_arguments)]
pub fn recommend_for(
    pages: &Pages,
    ps: &[&Page],
    name: &str,
    templates: &[String],
    config: &Config,
    weeks: f64,
    guard: Guard,
    clock: &mut LocalClock,
) -> (Recommendation, Policy) {
    let cost = ToilCost::of(config);
    let toil_hours = ps.iter().map(|p| p.toil_hours(cost)).sum::<f64>() + 0.0;
    let (flapping, recurring) = (reason_bit("FLAPPING"), reason_bit("RECURRING"));
    let noise: Vec<&&Page> = ps.iter().filter(|p| p.noise()).collect();
    // Each reason's count over the noise pages, bit by bit.
    let mut per_bit = [0u64; 16];
    for p in &noise {
        for (k, n) in per_bit.iter_mut().enumerate() {
            *n += u64::from(p.reasons >> k & 1);
        }
    }
    let mut reasons: Vec<(String, u64)> = REASONS
        .iter()
        .zip(per_bit)
        .map(|(r, n)| (r.to_string(), n))
        .filter(|(_, n)| *n > 0)
        .collect();
    // Most frequent first; ties in REASONS order (stable sort).
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
    // The diagnosis: the most frequent reason with a fix of its own when
    // it covers at least half the noise pages (a rule whose blips also
    // left no trace of work gets the `for:` its blips call for), else the
    // most frequent reason.
    let specific = reasons
        .iter()
        .find(|(r, _)| SPECIFIC.contains(&r.as_str()))
        .filter(|(_, n)| 2 * n >= noise.len() as u64);
    let diagnosis = specific
        .or(reasons.first())
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "UNACKED".into());
    let dur = |p: &Page| p.resolved().map(|r| (r - p.triggered) as f64 / 1e6);
    let whose = if templates.len() == 1 && templates[0] == name {
        "this template's"
    } else {
        "this rule's"
    };
    // The most whole minutes that hide no actionable page whose `value` is
    // at most that long (`None`: no limit).
    let cap = |value: &dyn Fn(&Page) -> Option<f64>| -> Option<i64> {
        if !guard.protect_actionable {
            return None;
        }
        ps.iter()
            .filter(|p| !p.noise())
            .filter_map(|p| value(p))
            .min_by(f64::total_cmp)
            .map(|least| ((least / 60.0).ceil() as i64 - 1).max(0))
    };
    let held = |m: i64, cap: Option<i64>| match cap {
        Some(c) if c < m => (
            c,
            format!(" (held to {c}m: a longer one would hide an actionable page)"),
        ),
        _ => (m, String::new()),
    };
    let (fix, policy): (String, Policy) = match diagnosis.as_str() {
        "TRANSIENT" => {
            let mut d: Vec<f64> = ps
                .iter()
                .filter(|p| p.auto_resolved())
                .filter_map(|p| dur(p))
                .collect();
            d.sort_by(f64::total_cmp);
            let p90 = percentile(&d, 0.9).unwrap_or(0.0);
            let (m, note) = held(
                minutes_up(p90),
                cap(&|p: &Page| if p.auto_resolved() { dur(p) } else { None }),
            );
            (
                format!(
                    "delay paging: add `for: {m}m` to the alert rule (or PagerDuty Auto-Pause for {m} minutes); p90 of {whose} auto-resolved durations is {}{note}",
                    crate::core::duration::rounded(p90)
                ),
                Policy::For {
                    template: templates.first().cloned().unwrap_or_default(),
                    delay: Duration::from_secs(m as u64 * 60),
                },
            )
        }
        "FLAPPING" => {
            let mut g: Vec<f64> = noise
                .iter()
                .filter(|p| p.reasons & flapping != 0)
                .filter_map(|p| p.clear_gap_s().map(|g| g as f64))
                // Re-fires only: a flapping burst's first page comes hours
                // after the last burst.
                .filter(|&g| g <= config.classify.refire_window.as_secs_f64())
                .collect();
            g.sort_by(f64::total_cmp);
            let p90 = percentile(&g, 0.9).unwrap_or(0.0);
            let (m, note) = held(
                minutes_up(p90),
                cap(&|p: &Page| p.clear_gap_s().map(|g| g as f64)),
            );
            (
                format!(
                    "hysteresis: `keep_firing_for: {m}m` (p90 from clearing to re-firing is {}){note}, a wider threshold band or a longer evaluation window",
                    crate::core::duration::rounded(p90)
                ),
                Policy::KeepFiringFor(Duration::from_secs(m as u64 * 60)),
            )
        }
        "DUPLICATE" => (
            "deduplicate: a dedup key (or Alertmanager `group_by`) so copies of an open alert fold into it".to_string(),
            Policy::Dedup,
        ),
        "STORM_SECONDARY" => (
            "inhibit it while the storm's first alert fires (an Alertmanager inhibition or a dependency rule)".to_string(),
            Policy::InhibitSecondaries,
        ),
        "RECURRING" => {
            // The usual local time: the median minute of the day.
            let mut minutes: Vec<f64> = ps
                .iter()
                .filter(|p| p.reasons & recurring != 0)
                .filter_map(|p| {
                    let tz = config.team_timezone(pages.name(p.team));
                    clock.day_minute(p.triggered, tz).map(|(_, m)| f64::from(m))
                })
                .collect();
            minutes.sort_by(f64::total_cmp);
            let at = percentile(&minutes, 0.5).unwrap_or(0.0) as i64;
            (
                format!(
                    "a maintenance window or silence around {:02}:{:02} team time, or fix the job that fires it",
                    at / 60,
                    at % 60
                ),
                Policy::SuppressRecurring,
            )
        }
        _ => (
            "route it to a ticket queue instead of the pager, or delete the rule".to_string(),
            Policy::Ticket {
                templates: templates.to_vec(),
                severities: Vec::new(),
            },
        ),
    };
    // What the fix would have done, replayed on the group's own pages (the
    // what-if engine: one replay implementation). There a `for:` on the
    // group's templates is a pause on every page.
    let own = pages.subset(ps.iter().copied());
    let replayed = match &policy {
        Policy::For { delay, .. } => Policy::Pause(*delay),
        p => p.clone(),
    };
    let (outcome, fate) = whatif::Replayer::new(&own, config).run(std::slice::from_ref(&replayed));
    let effect = outcome.all;
    let saved: Vec<&Page> = own
        .list
        .iter()
        .zip(&fate)
        .filter(|(_, f)| f.is_none())
        .map(|(p, _)| p)
        .collect();
    let recommendation = Recommendation {
        template: name.to_string(),
        pages: ps.len() as u64,
        noise_pages: noise.len() as u64,
        toil_hours,
        reasons,
        diagnosis,
        fix,
        saved_pages_per_week: saved.len() as f64 / weeks,
        saved_sleep_pages_per_week: saved
            .iter()
            .filter(|p| own.in_sleep_hours(p, config, clock))
            .count() as f64
            / weeks,
        saved_toil_hours_per_week: (effect.before.toil_hours - effect.after.toil_hours).max(0.0)
            / weeks,
        actionable_delayed: effect.actionable_delayed.count,
        actionable_hidden: effect.actionable_hidden.count,
    };
    (recommendation, policy)
}
