//! The KPIs over three periods (issue #29, item 4): this period, the one
//! just before it, and the same period two quarters back (26 weeks, 182
//! days, earlier: the same weekdays), each against its target, and whether
//! toil is on track for the 20–40% reduction over two quarters that on-call
//! teams are asked for. `summary.json` `kpis.over_periods`,
//! `tables/kpis.csv`, a table in `report.md`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Targets;
use crate::metrics::repeats::RepeatCount;
use crate::metrics::{Load, WeekKpis, WeightedLoad};

/// 26 weeks in µs.
const TWO_QUARTERS_US: i64 = 182 * 86_400 * 1_000_000;

/// The toil reduction over two quarters that is on track (the low end of
/// the 20–40% teams are asked for).
pub const TOIL_REDUCTION_ON_TRACK: f64 = 0.2;

/// A reduction on track: at least [`TOIL_REDUCTION_ON_TRACK`] (a hair of
/// floating-point rounding below it counts: 1 − 8/10 is 0.1999…).
fn on_track(reduction: f64) -> bool {
    reduction >= TOIL_REDUCTION_ON_TRACK - 1e-9
}

/// `[since, until)` two quarters (182 days) earlier.
pub fn two_quarters_back(since: i64, until: i64) -> (i64, i64) {
    (since - TWO_QUARTERS_US, until - TWO_QUARTERS_US)
}

/// One KPI in the three periods.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KpiRow {
    /// Its name.
    pub kpi: String,
    /// Its target, in words (`≤ 0.3`), where it has one.
    pub target: Option<String>,
    /// This period.
    pub this: Option<f64>,
    /// The period just before, of the same length.
    pub previous: Option<f64>,
    /// The same period two quarters back.
    pub two_quarters_back: Option<f64>,
    /// This period's figure within its target.
    pub within_target: Option<bool>,
}

/// The KPIs over the three periods.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OverPeriods {
    /// The rows.
    pub rows: Vec<KpiRow>,
    /// 1 − toil this period / toil two quarters back (none without toil
    /// then).
    pub toil_reduction: Option<f64>,
    /// The reduction is at least [`TOIL_REDUCTION_ON_TRACK`].
    pub toil_reduction_on_track: Option<bool>,
}

/// What the rows are made of, per period.
pub struct Period<'a> {
    /// Its paging load.
    pub load: &'a Load,
    /// Its toil share (toil hours over on-call hours).
    pub toil_share: f64,
    /// Its severity-weighted load.
    pub weighted: &'a WeightedLoad,
    /// Its 7-day repeat-incident rate (none without resolved incidents).
    pub repeat_rate: Option<f64>,
    /// The share of its tier-1 rules with a runbook (computed for the
    /// period itself only; none without tier-1 rules).
    pub runbook_tier1: Option<f64>,
}

/// The KPIs of `this`, `previous` and `back` against `targets`.
pub fn over_periods(
    this: Period<'_>,
    previous: Period<'_>,
    back: Period<'_>,
    targets: &Targets,
) -> OverPeriods {
    let periods = [&this, &previous, &back];
    let each = |f: &dyn Fn(&Period<'_>) -> Option<f64>| -> [Option<f64>; 3] {
        [f(periods[0]), f(periods[1]), f(periods[2])]
    };
    let share = |p: &Period<'_>| (p.load.pages > 0).then_some(p.load.page_noise_ratio);
    let row =
        |kpi: &str, target: Option<String>, v: [Option<f64>; 3], within: Option<bool>| KpiRow {
            kpi: kpi.into(),
            target,
            this: v[0],
            previous: v[1],
            two_quarters_back: v[2],
            within_target: within,
        };
    let noise = each(&share);
    let actionable = each(&|p| share(p).map(|s| 1.0 - s));
    let toil = each(&|p| Some(p.load.toil_hours));
    let reduction = match (toil[0], toil[2]) {
        (Some(now), Some(then)) if then > 0.0 => Some(1.0 - now / then),
        _ => None,
    };
    let rows = vec![
        row("pages", None, each(&|p| Some(p.load.pages as f64)), None),
        row(
            "non_actionable_share",
            Some(format!("≤ {}", targets.non_actionable_share)),
            noise,
            noise[0].map(|v| v <= targets.non_actionable_share),
        ),
        row(
            "actionable_share",
            Some(format!("≥ {}", 1.0 - targets.non_actionable_share)),
            actionable,
            actionable[0].map(|v| v >= 1.0 - targets.non_actionable_share),
        ),
        {
            let mtta = each(&|p| p.load.mtta_seconds.p50);
            let target = targets.mtta.as_secs_f64();
            row(
                "mtta_p50_seconds",
                Some(format!("< {target}")),
                mtta,
                mtta[0].map(|v| v < target),
            )
        },
        {
            let coverage = each(&|p| {
                (p.load.pages > 0).then(|| p.load.pages_with_runbook as f64 / p.load.pages as f64)
            });
            row("runbook_coverage_pages", None, coverage, None)
        },
        row(
            "runbook_coverage_tier1_rules",
            Some(format!("≥ {}", targets.runbook_coverage)),
            [this.runbook_tier1, None, None],
            this.runbook_tier1
                .map(|v| v + 1e-9 >= targets.runbook_coverage),
        ),
        row(
            "toil_hours",
            Some(format!(
                "≥ {:.0}% below two quarters back",
                100.0 * TOIL_REDUCTION_ON_TRACK
            )),
            toil,
            reduction.map(on_track),
        ),
        {
            let shares = each(&|p| Some(p.toil_share));
            row(
                "toil_share",
                Some(format!("< {}", targets.toil_share)),
                shares,
                shares[0].map(|v| v < targets.toil_share),
            )
        },
        {
            let over = each(&|p| Some(p.weighted.shifts_over_target as f64));
            row(
                "weighted_load_shifts_over_target",
                Some(format!(
                    "0 over {} per person and shift",
                    targets.weighted_load_per_shift
                )),
                over,
                over[0].map(|v| v == 0.0),
            )
        },
        row(
            "repeat_incident_rate_7d",
            None,
            each(&|p| p.repeat_rate),
            None,
        ),
    ];
    OverPeriods {
        rows,
        toil_reduction: reduction,
        toil_reduction_on_track: reduction.map(on_track),
    }
}

/// One ISO week's KPIs (`summary.json` `kpis.weekly`,
/// `tables/kpis_weekly.csv`, `charts/kpis-per-week.svg`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KpiWeek {
    /// ISO week, `2026-W47`.
    pub week: String,
    /// Pages triggered in it.
    pub pages: u64,
    /// Non-actionable pages over pages (null without pages).
    pub non_actionable_share: Option<f64>,
    /// The median time to acknowledge, seconds (null without an ack).
    pub mtta_p50_seconds: Option<f64>,
    /// Toil hours on its noise pages.
    pub toil_hours: f64,
    /// Toil hours over its on-call hours.
    pub toil_share: f64,
    /// Its pages with a runbook over its pages (null without pages).
    pub runbook_coverage_pages: Option<f64>,
    /// Person-shifts (first paged in the week) over `[targets]
    /// weighted_load_per_shift`.
    pub weighted_shifts_over_target: u64,
    /// Of the incidents (with a service) resolved in the week, the share
    /// another of their service followed within 7 days (null without any).
    pub repeat_incident_rate_7d: Option<f64>,
}

/// Each week's KPIs: `weeks` (label, Monday in µs, load, the other
/// figures) and the 7-day repeat incidents by the Monday of the week they
/// were resolved in.
pub fn weekly(
    weeks: &[(String, i64, &Load, &WeekKpis)],
    repeats: &BTreeMap<i64, RepeatCount>,
) -> Vec<KpiWeek> {
    weeks
        .iter()
        .map(|(label, monday, load, extra)| {
            let share = |n: u64| (load.pages > 0).then(|| n as f64 / load.pages as f64);
            KpiWeek {
                week: label.clone(),
                pages: load.pages,
                non_actionable_share: share(load.noise_pages),
                mtta_p50_seconds: load.mtta_seconds.p50,
                toil_hours: load.toil_hours,
                toil_share: extra.toil_share,
                runbook_coverage_pages: share(load.pages_with_runbook),
                weighted_shifts_over_target: extra.weighted_shifts_over_target,
                repeat_incident_rate_7d: repeats.get(monday).and_then(RepeatCount::rate_if_any),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pages: u64, noise: u64, toil: f64) -> Load {
        Load {
            pages,
            noise_pages: noise,
            page_noise_ratio: if pages > 0 {
                noise as f64 / pages as f64
            } else {
                0.0
            },
            toil_hours: toil,
            ..Load::default()
        }
    }

    #[test]
    fn toil_on_track_is_a_fifth_below_two_quarters_back() {
        let (now, before, back) = (load(4, 1, 8.0), load(0, 0, 0.0), load(10, 6, 10.0));
        let w = WeightedLoad::default();
        let p = |l| Period {
            load: l,
            toil_share: 0.1,
            weighted: &w,
            repeat_rate: Some(0.25),
            runbook_tier1: None,
        };
        let o = over_periods(p(&now), p(&before), p(&back), &Targets::default());
        // 1 − 8/10 = 0.2: on track, exactly at the edge.
        assert!((o.toil_reduction.unwrap() - 0.2).abs() < 1e-12);
        assert_eq!(o.toil_reduction_on_track, Some(true));
        let noise = &o.rows[1];
        assert_eq!(noise.kpi, "non_actionable_share");
        assert_eq!(
            (noise.this, noise.previous, noise.two_quarters_back),
            (Some(0.25), None, Some(0.6))
        );
        assert_eq!(noise.within_target, Some(true));
        assert_eq!(o.rows[2].this, Some(0.75));
        // No acknowledgement: no MTTA, nothing to hold against its target.
        assert_eq!((o.rows[3].this, o.rows[3].within_target), (None, None));
        assert_eq!(o.rows[3].target.as_deref(), Some("< 300"));
        // No toil then: no reduction to speak of.
        let o = over_periods(p(&now), p(&before), p(&before), &Targets::default());
        assert_eq!((o.toil_reduction, o.toil_reduction_on_track), (None, None));
    }
}
