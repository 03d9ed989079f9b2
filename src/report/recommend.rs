//! What to fix first: one recommendation per noisy template, ranked by the
//! toil it cost, with the fix domain.md's table gives for its dominant
//! reason, concrete values from the template's own history, and what the
//! fix would have saved on the analysed period (per week).

use std::collections::BTreeMap;

use chrono::TimeZone;
use serde::Serialize;

use super::metrics::{percentile, Page};
use crate::classify::REASONS;
use crate::config::Config;

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

fn has(p: &Page, code: &str) -> bool {
    REASONS
        .iter()
        .position(|r| *r == code)
        .is_some_and(|k| p.reasons & (1 << k) != 0)
}

/// Whole minutes at least `secs` (at least 1).
fn minutes_up(secs: f64) -> i64 {
    ((secs / 60.0).ceil() as i64).max(1)
}

/// Recommendations for the `top` templates with the most toil among pages
/// triggered in `[since, until)`; templates without noise pages get none.
pub fn recommend(
    pages: &[Page],
    config: &Config,
    since: i64,
    until: i64,
    top: usize,
) -> Vec<Recommendation> {
    let cost = config.classify.interruption_cost.as_secs_f64() / 3600.0;
    let weeks = ((until - since) as f64 / (7.0 * 86_400e6)).max(1.0 / 7.0);
    let mut by: BTreeMap<&str, Vec<&Page>> = BTreeMap::new();
    for p in pages {
        if p.triggered >= since && p.triggered < until {
            by.entry(p.template.as_deref().unwrap_or("(none)"))
                .or_default()
                .push(p);
        }
    }
    let mut out = Vec::new();
    for (template, ps) in by {
        let noise: Vec<&&Page> = ps.iter().filter(|p| p.noise).collect();
        if noise.is_empty() {
            continue;
        }
        let mut reasons: Vec<(String, u64)> = REASONS
            .iter()
            .map(|r| {
                (
                    r.to_string(),
                    noise.iter().filter(|p| has(p, r)).count() as u64,
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        // Most frequent first; ties in REASONS order (stable sort).
        reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
        let diagnosis = reasons
            .first()
            .map(|r| r.0.clone())
            .unwrap_or_else(|| "UNACKED".into());
        let actionable = ps.iter().filter(|p| !p.noise).count() as u64;
        let dur = |p: &Page| p.resolved.map(|r| (r - p.triggered) as f64 / 1e6);
        let (fix, saved, delayed, hidden): (String, Vec<&Page>, u64, u64) = match diagnosis.as_str()
        {
            "TRANSIENT" => {
                let mut d: Vec<f64> = ps
                    .iter()
                    .filter(|p| p.auto_resolved)
                    .filter_map(|p| dur(p))
                    .collect();
                d.sort_by(f64::total_cmp);
                let p90 = percentile(&d, 0.9).unwrap_or(0.0);
                let m = minutes_up(p90);
                let saved = ps
                    .iter()
                    .filter(|p| p.auto_resolved && dur(p).is_some_and(|d| d <= (m * 60) as f64))
                    .copied()
                    .collect();
                (
                    format!(
                        "delay paging: add `for: {m}m` to the alert rule (or PagerDuty Auto-Pause for {m} minutes); p90 of this template's auto-resolved durations is {}",
                        super::document::human_secs(p90)
                    ),
                    saved,
                    actionable,
                    0,
                )
            }
            "FLAPPING" => {
                let mut g: Vec<f64> = noise
                    .iter()
                    .filter(|p| has(p, "FLAPPING"))
                    .filter_map(|p| p.clear_gap_s.map(|g| g as f64))
                    .collect();
                g.sort_by(f64::total_cmp);
                let p90 = percentile(&g, 0.9).unwrap_or(0.0);
                let m = minutes_up(p90);
                let saved = ps
                    .iter()
                    .filter(|p| p.clear_gap_s.is_some_and(|g| g <= m * 60))
                    .copied()
                    .collect();
                (
                    format!(
                        "hysteresis: `keep_firing_for: {m}m` (p90 from clearing to re-firing is {}), a wider threshold band or a longer evaluation window",
                        super::document::human_secs(p90)
                    ),
                    saved,
                    0,
                    0,
                )
            }
            "DUPLICATE" | "STORM_SECONDARY" => (
                "deduplicate: a dedup key or Alertmanager `group_by` for the copies, or an inhibition while the upstream alert fires".to_string(),
                ps.iter()
                    .filter(|p| has(p, "DUPLICATE") || has(p, "STORM_SECONDARY"))
                    .copied()
                    .collect(),
                0,
                0,
            ),
            "RECURRING" => {
                // The usual local time: the median minute of the day.
                let mut minutes: Vec<f64> = ps
                    .iter()
                    .filter(|p| has(p, "RECURRING"))
                    .filter_map(|p| {
                        let tz = p
                            .team
                            .as_deref()
                            .and_then(|t| config.teams.get(t))
                            .and_then(|t| t.timezone)
                            .unwrap_or(config.timezone);
                        chrono::Utc
                            .timestamp_micros(p.triggered)
                            .single()
                            .map(|u| {
                                let l = u.with_timezone(&tz);
                                f64::from(
                                    chrono::Timelike::hour(&l) * 60 + chrono::Timelike::minute(&l),
                                )
                            })
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
                    ps.iter().filter(|p| has(p, "RECURRING")).copied().collect(),
                    0,
                    0,
                )
            }
            _ => (
                "route it to a ticket queue instead of the pager, or delete the rule".to_string(),
                noise.iter().map(|p| **p).collect(),
                0,
                actionable,
            ),
        };
        out.push(Recommendation {
            template: template.to_string(),
            pages: ps.len() as u64,
            noise_pages: noise.len() as u64,
            toil_hours: ps.iter().map(|p| p.toil_hours(cost)).sum::<f64>() + 0.0,
            reasons,
            diagnosis,
            fix,
            saved_pages_per_week: saved.len() as f64 / weeks,
            saved_sleep_pages_per_week: saved.iter().filter(|p| p.in_sleep_hours(config)).count()
                as f64
                / weeks,
            saved_toil_hours_per_week: (saved.iter().map(|p| p.toil_hours(cost)).sum::<f64>()
                + 0.0)
                / weeks,
            actionable_delayed: delayed,
            actionable_hidden: hidden,
        });
    }
    out.sort_by(|a, b| {
        b.toil_hours
            .total_cmp(&a.toil_hours)
            .then_with(|| a.template.cmp(&b.template))
    });
    out.truncate(top);
    out
}
