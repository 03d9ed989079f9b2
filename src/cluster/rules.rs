//! Each rule's detection quality (`rules.csv`): how often its pages meant a
//! real problem, and which problems of its services it never announced.
//!
//! A **rule** is a title template (`template_id`). Over the pages of the
//! period, per rule:
//!
//! * `pages`, `noise_pages`, `noise_share`;
//! * `incident_pages`: its pages that overlap an incident of their service
//!   or team (classify's link: from `[classify] incident_lead` before the
//!   incident starts to its end);
//! * `precision` = `incident_pages / pages`, with its 95% Clopper–Pearson
//!   interval (`precision_low`, `precision_high`; the exact binomial
//!   interval, from the Beta distribution's quantiles);
//! * `incidents`: incidents that started in the period on a service the rule
//!   paged for; `silent_incidents`: those that no page of the rule on that
//!   service announced, i.e. none fired from `incident_lead` before the
//!   incident's start up to its start;
//! * `lead_time_p50_s`: over the announced incidents, the median of the
//!   incident's start less the rule's first page in that window.

use std::collections::BTreeMap;

use polars::prelude::*;
use statrs::distribution::{Beta, ContinuousCDF};

use crate::config::Config;
use crate::core::stats::percentile;
use crate::error::Error;
use crate::schema as s;

/// The 95% Clopper–Pearson interval of `k` successes in `n` trials
/// (`None` for no trials).
pub fn clopper_pearson(k: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 || k > n {
        return None;
    }
    let (kf, nf) = (k as f64, n as f64);
    let low = if k == 0 {
        0.0
    } else {
        Beta::new(kf, nf - kf + 1.0).ok()?.inverse_cdf(0.025)
    };
    let high = if k == n {
        1.0
    } else {
        Beta::new(kf + 1.0, nf - kf).ok()?.inverse_cdf(0.975)
    };
    Some((low, high))
}

/// One rule's pages (its strings borrowed from the table).
#[derive(Default)]
struct Rule<'a> {
    template: &'a str,
    pages: u64,
    noise: u64,
    with_incident: u64,
    /// The services it paged for.
    services: std::collections::BTreeSet<&'a str>,
    /// (service, trigger µs) of its pages on services that had an
    /// incident in the period (the only ones that can announce one).
    fired: Vec<(&'a str, i64)>,
}

/// `rules.csv` of the period's `alerts` (labelled, linked to incidents) and
/// every incident; `period` is `[since, until)` in µs.
pub fn rules(
    alerts: &DataFrame,
    incidents: &DataFrame,
    period: Option<(i64, i64)>,
    config: &Config,
) -> Result<DataFrame, Error> {
    let what = "the rules' detection quality";
    let a = super::Read { df: alerts, what };
    let (tid, template, service) = (
        a.strings(s::TEMPLATE_ID)?,
        a.strings(s::TEMPLATE)?,
        a.strings(s::SERVICE)?,
    );
    let (label, linked) = (a.strings(s::LABEL)?, a.strings(s::INCIDENT_ID)?);
    let (triggered, paged) = (a.times(s::TRIGGERED_AT)?, a.flags(s::PAGED)?);
    let inc = super::Read {
        df: incidents,
        what,
    };
    let mut by_rule: BTreeMap<&str, Rule> = BTreeMap::new();
    // Incidents that started in the period, by service.
    let (inc_service, inc_start) = (inc.strings(s::SERVICE)?, inc.times(s::STARTED_AT)?);
    let (since, until) = period.unwrap_or((i64::MIN, i64::MAX));
    let mut starts: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (svc, t) in inc_service.iter().zip(inc_start.iter()) {
        if let (Some(svc), Some(t)) = (svc, t) {
            if t >= since && t < until {
                starts.entry(svc).or_default().push(t);
            }
        }
    }
    // One pass over the columns in step (iterators, not `get(i)`: the
    // table comes in many chunks).
    let rows = paged
        .iter()
        .zip(tid.iter())
        .zip(template.iter())
        .zip(service.iter())
        .zip(label.iter())
        .zip(linked.iter())
        .zip(triggered.iter());
    for ((((((paged, id), template), service), label), linked), t) in rows {
        let (Some(true), Some(id)) = (paged, id) else {
            continue;
        };
        let r = by_rule.entry(id).or_default();
        if r.pages == 0 {
            r.template = template.unwrap_or("");
        }
        r.pages += 1;
        r.noise += u64::from(label == Some("noise"));
        r.with_incident += u64::from(linked.is_some());
        if let Some(svc) = service {
            r.services.insert(svc);
            if let (Some(t), true) = (t, starts.contains_key(svc)) {
                r.fired.push((svc, t));
            }
        }
    }
    let lead = i64::try_from(config.classify.incident_lead.as_micros()).unwrap_or(i64::MAX);
    let mut rows: Vec<(&&str, &Rule)> = by_rule.iter().collect();
    rows.sort_by(|a, b| b.1.pages.cmp(&a.1.pages).then(a.0.cmp(b.0)));
    let quality: Vec<Quality> = rows
        .iter()
        .map(|(_, r)| Quality::of(r, &starts, lead))
        .collect();
    let col_u64 = |name: &str, f: &dyn Fn(&Rule<'_>) -> u64| {
        Column::new(
            name.into(),
            rows.iter().map(|(_, r)| f(r)).collect::<Vec<u64>>(),
        )
    };
    let col_q = |name: &str, f: &dyn Fn(&Quality) -> Option<f64>| {
        Column::new(
            name.into(),
            quality.iter().map(f).collect::<Vec<Option<f64>>>(),
        )
    };
    let share = |a: u64, b: u64| a as f64 / b as f64;
    DataFrame::new_infer_height(vec![
        Column::new(
            "template_id".into(),
            rows.iter().map(|(id, _)| **id).collect::<Vec<_>>(),
        ),
        Column::new(
            "template".into(),
            rows.iter().map(|(_, r)| r.template).collect::<Vec<_>>(),
        ),
        col_u64("pages", &|r| r.pages),
        col_u64("noise_pages", &|r| r.noise),
        Column::new(
            "noise_share".into(),
            rows.iter()
                .map(|(_, r)| share(r.noise, r.pages))
                .collect::<Vec<_>>(),
        ),
        col_u64("incident_pages", &|r| r.with_incident),
        Column::new(
            "precision".into(),
            rows.iter()
                .map(|(_, r)| share(r.with_incident, r.pages))
                .collect::<Vec<_>>(),
        ),
        col_q("precision_low", &|q| q.interval.map(|c| c.0)),
        col_q("precision_high", &|q| q.interval.map(|c| c.1)),
        Column::new(
            "services".into(),
            quality.iter().map(|q| q.services).collect::<Vec<u64>>(),
        ),
        Column::new(
            "incidents".into(),
            quality.iter().map(|q| q.incidents).collect::<Vec<u64>>(),
        ),
        Column::new(
            "silent_incidents".into(),
            quality.iter().map(|q| q.silent).collect::<Vec<u64>>(),
        ),
        col_q("lead_time_p50_s", &|q| q.lead_p50),
    ])
    .map_err(Error::polars(what))
}

/// What a rule's pages say about the incidents of its services.
struct Quality {
    interval: Option<(f64, f64)>,
    services: u64,
    incidents: u64,
    silent: u64,
    lead_p50: Option<f64>,
}

impl Quality {
    fn of(r: &Rule<'_>, starts: &BTreeMap<&str, Vec<i64>>, lead: i64) -> Quality {
        let mut own: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for (svc, t) in &r.fired {
            own.entry(svc).or_default().push(*t);
        }
        let (mut incidents, mut silent, mut leads) = (0u64, 0u64, Vec::new());
        for (svc, fired) in &mut own {
            fired.sort_unstable();
            for &start in starts.get(svc).map_or(&[][..], Vec::as_slice) {
                incidents += 1;
                // The first page in [start − lead, start].
                let from = fired.partition_point(|&t| t < start.saturating_sub(lead));
                match fired.get(from).filter(|&&t| t <= start) {
                    Some(&first) => leads.push((start - first) as f64 / 1e6),
                    None => silent += 1,
                }
            }
        }
        leads.sort_by(f64::total_cmp);
        Quality {
            interval: clopper_pearson(r.with_incident, r.pages),
            services: r.services.len() as u64,
            incidents,
            silent,
            lead_p50: percentile(&leads, 0.5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clopper–Pearson against published values: 0 of 10 → [0, 0.3085];
    /// 5 of 10 → [0.1871, 0.8129]; 10 of 10 → [0.6915, 1] (e.g. R's
    /// `binom.test`).
    #[test]
    fn clopper_pearson_intervals() {
        let close = |a: f64, b: f64| (a - b).abs() < 5e-4;
        let (l, h) = clopper_pearson(0, 10).unwrap();
        assert!(l == 0.0 && close(h, 0.3085), "{l} {h}");
        let (l, h) = clopper_pearson(5, 10).unwrap();
        assert!(close(l, 0.1871) && close(h, 0.8129), "{l} {h}");
        let (l, h) = clopper_pearson(10, 10).unwrap();
        assert!(close(l, 0.6915) && h == 1.0, "{l} {h}");
        assert_eq!(clopper_pearson(0, 0), None);
    }
}
