//! For sources without rule files (PagerDuty, Opsgenie, Datadog, …): each
//! noisy template's recommendation, worked out on its own pages as for a
//! rule, said in that vendor's terms (the setting to change and where),
//! with the same evidence. Nothing here is written to a file: the vendor's
//! settings live in its web app or its Terraform.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Config;
use crate::core::time::LocalClock;
use crate::pages::Page;
use crate::whatif::recommend::{recommend_for, Guard, Recommendation};
use crate::whatif::Policy;

use super::plan::History;

/// One template's change, in its vendor's terms.
#[derive(Debug, Clone, Serialize)]
pub struct VendorChange {
    /// The source (`pagerduty`, `opsgenie`, `datadog`, …).
    pub source: String,
    /// The template.
    pub template: String,
    /// Its services, most pages first.
    pub services: Vec<String>,
    /// The change, in the vendor's terms.
    pub change: String,
    /// The evidence and the replayed effect per week.
    pub evidence: Recommendation,
}

/// Minutes of a duration, at least 1.
fn minutes(d: std::time::Duration) -> u64 {
    d.as_secs().div_ceil(60).max(1)
}

/// The change in `source`'s terms (`services`: where it is set).
fn in_terms(source: &str, policy: &Policy, services: &str, generic: &str) -> String {
    match (source, policy) {
        ("pagerduty", Policy::For { delay, .. }) if minutes(*delay) <= 15 => format!(
            "turn on Auto-Pause incident notifications on {services} with a {} min pause (the service's settings; PagerDuty offers 2–15 min, and an alert resolved within the pause never notifies)",
            minutes(*delay).max(2)
        ),
        ("pagerduty", Policy::For { delay, .. }) => format!(
            "a {} min wait is longer than PagerDuty's Auto-Pause offers (2–15 min): raise the monitor's own window at the source, or Auto-Pause {services} for 15 min to catch most of it",
            minutes(*delay)
        ),
        ("pagerduty", Policy::KeepFiringFor(d)) => format!(
            "Time-Based Alert Grouping on {services} with a {} min window, so a re-fire within it joins the open incident instead of paging",
            minutes(*d)
        ),
        ("pagerduty", Policy::Dedup) => format!(
            "send one `dedup_key` per problem from the integration, or Content-Based Alert Grouping on {services} by the fields its copies share"
        ),
        ("pagerduty", Policy::InhibitSecondaries) => format!(
            "Intelligent (or Time-Based) Alert Grouping on {services}, so a storm's alerts join its first incident"
        ),
        ("pagerduty", Policy::SuppressRecurring) => format!(
            "a recurring maintenance window on {services} at that time, or an Event Orchestration rule that suppresses it then ({generic})"
        ),
        ("pagerduty", Policy::Ticket { .. }) => format!(
            "make it low urgency on {services} (an urgency rule or an Event Orchestration rule that sets severity to info), or delete it at the source"
        ),
        ("opsgenie", Policy::For { delay, .. }) => format!(
            "a notification policy on the team that owns {services}, delaying these alerts' notifications by {} min (an alert closed within the delay never notifies)",
            minutes(*delay)
        ),
        ("opsgenie", Policy::KeepFiringFor(d)) => format!(
            "keep one alias per problem, so a re-fire while it is open is counted into it, and a notification policy that delays its notifications {} min so a quick re-fire after closing does not page",
            minutes(*d)
        ),
        ("opsgenie", Policy::Dedup) => "give its copies one `alias`: Opsgenie folds an alert whose alias is open into it and counts it".to_string(),
        ("opsgenie", Policy::InhibitSecondaries) => format!(
            "a notification policy on the team that owns {services} that suppresses it, or one alias for the storm so its alerts fold into the first"
        ),
        ("opsgenie", Policy::SuppressRecurring) => format!(
            "a notification policy with a time restriction that suppresses it then ({generic})"
        ),
        ("opsgenie", Policy::Ticket { .. }) => "an alert policy that sets its priority to P4 or P5 (not paging by default), or delete it at the source".to_string(),
        ("datadog", Policy::For { delay, .. }) => format!(
            "evaluate the monitor over at least the last {} min, so a blip shorter than that never triggers",
            minutes(*delay)
        ),
        ("datadog", Policy::KeepFiringFor(_)) => "a recovery threshold (`critical_recovery`) short of the alert threshold, so the monitor does not recover and re-trigger".to_string(),
        ("datadog", Policy::Dedup) => "notify by fewer tags (`notify_by`), so its copies fold into one alert".to_string(),
        ("datadog", Policy::InhibitSecondaries) => "a composite monitor with the storm's lead, or a downtime on it while the lead is in alert".to_string(),
        ("datadog", Policy::SuppressRecurring) => format!("a recurring downtime at that time ({generic})"),
        ("datadog", Policy::Ticket { .. }) => "take the paging @-handle (`@pagerduty-…`, `@opsgenie-…`) out of the monitor's message: it still reaches the event stream".to_string(),
        _ => format!("{generic} (in {source}'s own settings)"),
    }
}

/// Every noisy template of the sources without rule files, most toil
/// first.
pub fn changes(
    history: History<'_>,
    rows: &[&Page],
    config: &Config,
    weeks: f64,
    guard: Guard,
    clock: &mut LocalClock,
) -> Vec<VendorChange> {
    let pages = history.pages;
    let mut groups: BTreeMap<(String, String), Vec<&Page>> = BTreeMap::new();
    for p in rows {
        let source = history
            .source
            .get(p.row as usize)
            .and_then(|s| s.as_deref())
            .unwrap_or("unknown");
        let Some(template) = pages.name(p.template) else {
            continue;
        };
        groups
            .entry((source.to_string(), template.to_string()))
            .or_default()
            .push(p);
    }
    let mut out = Vec::new();
    for ((source, template), ps) in groups {
        if !ps.iter().any(|p| p.noise()) {
            continue;
        }
        let (evidence, policy) = recommend_for(
            pages,
            &ps,
            &template,
            std::slice::from_ref(&template),
            config,
            weeks,
            guard,
            clock,
        );
        if evidence.saved_pages_per_week <= 0.0 {
            continue;
        }
        let mut services: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &ps {
            if let Some(s) = pages.name(p.service) {
                *services.entry(s).or_default() += 1;
            }
        }
        let mut services: Vec<(&str, usize)> = services.into_iter().collect();
        services.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let services: Vec<String> = services.into_iter().map(|(s, _)| s.to_string()).collect();
        let named = match services.as_slice() {
            [] => "its service".to_string(),
            [one] => format!("service {one}"),
            more => format!("services {}", more.join(", ")),
        };
        let change = in_terms(&source, &policy, &named, &evidence.fix);
        out.push(VendorChange {
            source,
            template,
            services,
            change,
            evidence,
        });
    }
    out.sort_by(|a, b| {
        b.evidence
            .toil_hours
            .total_cmp(&a.evidence.toil_hours)
            .then_with(|| a.template.cmp(&b.template))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn each_vendor_names_its_own_setting() {
        let pause = Policy::For {
            template: "t".into(),
            delay: Duration::from_secs(240),
        };
        let pd = in_terms("pagerduty", &pause, "service api", "g");
        assert!(
            pd.contains("Auto-Pause") && pd.contains("4 min") && pd.contains("service api"),
            "{pd}"
        );
        let long = Policy::For {
            template: "t".into(),
            delay: Duration::from_secs(20 * 60),
        };
        assert!(in_terms("pagerduty", &long, "s", "g").contains("longer than"));
        assert!(in_terms("opsgenie", &pause, "s", "g")
            .contains("delaying these alerts' notifications by 4 min"));
        assert!(in_terms("opsgenie", &Policy::Dedup, "s", "g").contains("alias"));
        assert!(in_terms("datadog", &pause, "s", "g").contains("at least the last 4 min"));
        assert!(in_terms("splunk-oncall", &Policy::Dedup, "s", "generic").starts_with("generic"));
    }
}
