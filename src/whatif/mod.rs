//! What-if replay (domain.md, "Recommendations"): replay the paging history
//! under a changed policy and count what it would have saved and cost.
//!
//! Only pages are replayed: every policy here removes or delays pages, so
//! an alert that did not page never starts to. Each page either still
//! notifies, possibly later, or no longer does. Policies, applied in this
//! order and combinable:
//!
//! * **delay** — PagerDuty Auto-Pause for `D` (every page) or a Prometheus
//!   `for: D` (one template's pages): a page that resolved *by itself*
//!   within `D` of triggering (duration ≤ D) never notifies; any other
//!   notifies `D` late. Delays add up (`for:` then the pause).
//! * **ticket** — pages of the given templates or severities go to a ticket
//!   queue instead of the pager.
//! * **recurring** — pages that fired at their template's usual time of day
//!   (reason RECURRING) fall in a silence.
//! * **inhibit** — pages that are not the lead of their storm episode are
//!   inhibited (Alertmanager inhibition).
//! * **dedup** — pages with reason DUPLICATE (a copy of an open alert) fold
//!   into it, as a dedup key would.
//! * **keep firing** — Prometheus `keep_firing_for: D`: a page that fires
//!   again within `D` of the previous occurrence clearing (reason evidence
//!   `clear_gap_s`) continues it and does not notify.
//! * **group window** — PagerDuty time-based grouping over `W`: per team
//!   and service, a page that notifies within `W` of the first page of an
//!   open group (its first page not resolved yet) joins it silently.
//!
//! Then, before and after: pages, interruptions (business, off, sleep
//! hours; [`crate::metrics::Recipients`]) and toil hours; the actionable
//! pages that notify later (count, p50 and max delay) and the actionable
//! pages that no longer notify (each listed: a policy that hides real
//! problems must say so), overall and per team.
//!
//! Length: about 800 lines: the policies, the replay engine and the sweep
//! share the replay's row model; the outputs are written by `report::whatif`,
//! the recommendations are in `recommend.rs`.

pub mod recommend;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::config::Config;
use crate::core::stats::percentile;
use polars::prelude::PlHashMap;

use crate::metrics::{Interruptions, Recipients};
use crate::pages::{toil_hours, Pages, ToilCost, NO_NAME};
use crate::reasons::bit as reason_bit;

/// One policy change.
#[derive(Debug, Clone, PartialEq)]
pub enum Policy {
    /// Auto-Pause every page for this long.
    Pause(Duration),
    /// `for:` on the pages of one template (its text or `template_id`).
    For {
        /// Template text or id.
        template: String,
        /// The delay.
        delay: Duration,
    },
    /// Route to a ticket queue: pages of these templates (text or id) and
    /// of these severities.
    Ticket {
        /// Template texts or ids.
        templates: Vec<String>,
        /// Normalised severities.
        severities: Vec<String>,
    },
    /// Silence recurring pages in their usual time window.
    SuppressRecurring,
    /// Inhibit the secondaries of a storm episode.
    InhibitSecondaries,
    /// Fold copies of an open alert into it.
    Dedup,
    /// `keep_firing_for`: a re-fire within this long of clearing continues
    /// the previous occurrence.
    KeepFiringFor(Duration),
    /// Time-based grouping per team and service.
    GroupWindow(Duration),
}

impl Policy {
    /// A short name with the parameter, e.g. `pause=5m`.
    pub fn name(&self) -> String {
        let d = |d: &Duration| crate::core::duration::exact(*d);
        match self {
            Policy::Pause(x) => format!("pause={}", d(x)),
            Policy::For { template, delay } => format!("for={template}={}", d(delay)),
            Policy::Ticket {
                templates,
                severities,
            } => {
                let mut parts: Vec<String> = templates.clone();
                parts.extend(severities.iter().map(|s| format!("severity:{s}")));
                format!("ticket={}", parts.join(","))
            }
            Policy::SuppressRecurring => "suppress-recurring".into(),
            Policy::InhibitSecondaries => "inhibit-secondaries".into(),
            Policy::Dedup => "dedup".into(),
            Policy::KeepFiringFor(x) => format!("keep-firing-for={}", d(x)),
            Policy::GroupWindow(x) => format!("group-window={}", d(x)),
        }
    }

    /// The policy's parameters, for whatif.json.
    pub fn parameters(&self) -> BTreeMap<String, serde_json::Value> {
        let secs = |d: &Duration| serde_json::Value::from(d.as_secs());
        let mut m = BTreeMap::new();
        match self {
            Policy::Pause(x) => {
                m.insert("pause_seconds".into(), secs(x));
            }
            Policy::For { template, delay } => {
                m.insert("template".into(), template.clone().into());
                m.insert("for_seconds".into(), secs(delay));
            }
            Policy::Ticket {
                templates,
                severities,
            } => {
                m.insert("templates".into(), templates.clone().into());
                m.insert("severities".into(), severities.clone().into());
            }
            Policy::KeepFiringFor(x) => {
                m.insert("keep_firing_for_seconds".into(), secs(x));
            }
            Policy::GroupWindow(x) => {
                m.insert("group_window_seconds".into(), secs(x));
            }
            Policy::SuppressRecurring | Policy::InhibitSecondaries | Policy::Dedup => {}
        }
        m
    }
}

fn us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// A page as the replay reads it: small and flat, so each of a sweep's many
/// passes over millions of pages reads little memory.
#[derive(Debug, Clone, Copy)]
struct Row {
    triggered: i64,
    /// `None`: still open.
    resolved: Option<i64>,
    acknowledged: Option<i64>,
    clear_gap_us: Option<i64>,
    team: u32,
    /// Team and service, for group windows.
    scope: u32,
    /// Index into the distinct templates (`u32::MAX`: none).
    template: u32,
    /// Index into [`crate::schema::SEVERITIES`] (`u8::MAX`: none).
    severity: u8,
    reasons: u16,
    noise: bool,
    auto_resolved: bool,
    episode_lead: bool,
}

/// The pages as rows, with their distinct teams and templates.
struct Rows {
    rows: Vec<Row>,
    /// Each row's team (as in `Row::team`), for counting per team.
    team_of: Vec<u32>,
    teams: Vec<String>,
    templates: Vec<String>,
}

impl Rows {
    fn new(pages: &Pages) -> Rows {
        let names = pages.names();
        // Teams in name order, so per-team results come out sorted.
        let mut team_codes = vec![false; names + 1];
        for p in &pages.list {
            team_codes[pages.slot(p.team)] = true;
        }
        let label = |k: usize| pages.label(if k == names { NO_NAME } else { k as u32 });
        let team_names: Vec<&str> = (0..=names)
            .filter(|&k| team_codes[k])
            .map(label)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let team_of_code: Vec<u32> = (0..=names)
            .map(|k| {
                team_names
                    .binary_search(&label(k))
                    .map_or(u32::MAX, |i| i as u32)
            })
            .collect();
        // Templates and severities by code, on first sight.
        let mut template_of_code = vec![u32::MAX; names];
        let mut templates: Vec<String> = Vec::new();
        let severity_of_code: Vec<u8> = (0..names)
            .map(|k| {
                pages
                    .name(k as u32)
                    .and_then(|s| crate::schema::SEVERITIES.iter().position(|x| *x == s))
                    .map_or(u8::MAX, |k| k as u8)
            })
            .collect();
        let mut scopes: PlHashMap<(u32, u32), u32> = PlHashMap::default();
        let rows: Vec<Row> = pages
            .list
            .iter()
            .map(|p| {
                let n = scopes.len() as u32;
                let scope = *scopes.entry((p.team, p.service)).or_insert(n);
                let template = match template_of_code.get_mut(p.template as usize) {
                    Some(k) if *k == u32::MAX => {
                        *k = templates.len() as u32;
                        templates.push(pages.label(p.template).to_string());
                        *k
                    }
                    Some(k) => *k,
                    None => u32::MAX,
                };
                Row {
                    triggered: p.triggered,
                    resolved: p.resolved(),
                    acknowledged: p.acknowledged(),
                    clear_gap_us: p.clear_gap_s().map(|g| g.saturating_mul(1_000_000)),
                    team: team_of_code[pages.slot(p.team)],
                    scope,
                    template,
                    severity: severity_of_code
                        .get(p.severity as usize)
                        .copied()
                        .unwrap_or(u8::MAX),
                    reasons: p.reasons,
                    noise: p.noise(),
                    auto_resolved: p.auto_resolved(),
                    episode_lead: p.episode_lead(),
                }
            })
            .collect();
        Rows {
            team_of: rows.iter().map(|r: &Row| r.team).collect(),
            rows,
            teams: team_names.into_iter().map(str::to_string).collect(),
            templates,
        }
    }

    /// Which templates `wanted` (a template's text or id) names.
    fn matching(&self, wanted: &[String]) -> Vec<bool> {
        self.templates
            .iter()
            .map(|t| {
                let id = crate::classify::template::template_id(t);
                wanted.iter().any(|w| *w == *t || *w == id)
            })
            .collect()
    }

    /// Each row's fate under the policies (see [`replay`]).
    fn replay(&self, policies: &[Policy]) -> Vec<Option<i64>> {
        let rows = &self.rows;
        let in_set = |set: &[bool], r: &Row| set.get(r.template as usize).copied().unwrap_or(false);
        // Delays: `for:` per template, then the pause for all; a page that
        // resolved by itself within its total delay never notifies.
        let mut pause = 0i64;
        let mut fors: Vec<(Vec<bool>, i64)> = Vec::new();
        for policy in policies {
            match policy {
                Policy::Pause(d) => pause = pause.saturating_add(us(*d)),
                Policy::For { template, delay } => {
                    fors.push((self.matching(std::slice::from_ref(template)), us(*delay)));
                }
                _ => {}
            }
        }
        let mut fate: Vec<Option<i64>> = rows
            .iter()
            .map(|r| {
                let mut delay = pause;
                for (set, d) in &fors {
                    if in_set(set, r) {
                        delay = delay.saturating_add(*d);
                    }
                }
                if delay == 0 {
                    return Some(0);
                }
                let self_resolved = r.auto_resolved
                    && r.resolved
                        .is_some_and(|t| t.saturating_sub(r.triggered) <= delay);
                (!self_resolved).then_some(delay)
            })
            .collect();
        // Policies that take a page off the pager.
        let recurring = reason_bit("RECURRING");
        let duplicate = reason_bit("DUPLICATE");
        for policy in policies {
            let off: Box<dyn Fn(&Row) -> bool> = match policy {
                Policy::Ticket {
                    templates,
                    severities,
                } => {
                    let set = self.matching(templates);
                    let sev: Vec<bool> = crate::schema::SEVERITIES
                        .iter()
                        .map(|s| severities.iter().any(|w| w == s))
                        .collect();
                    Box::new(move |r: &Row| {
                        in_set(&set, r) || sev.get(r.severity as usize).copied().unwrap_or(false)
                    })
                }
                Policy::SuppressRecurring => Box::new(move |r: &Row| r.reasons & recurring != 0),
                Policy::InhibitSecondaries => Box::new(|r: &Row| !r.episode_lead),
                Policy::Dedup => Box::new(move |r: &Row| r.reasons & duplicate != 0),
                Policy::KeepFiringFor(d) => {
                    let d = us(*d);
                    Box::new(move |r: &Row| r.clear_gap_us.is_some_and(|g| g <= d))
                }
                _ => continue,
            };
            for (r, f) in rows.iter().zip(fate.iter_mut()) {
                if f.is_some() && off(r) {
                    *f = None;
                }
            }
        }
        // Grouping, over what still notifies, in notification order.
        for policy in policies {
            let Policy::GroupWindow(w) = policy else {
                continue;
            };
            let w = us(*w);
            let mut order: Vec<(i64, usize)> = rows
                .iter()
                .zip(&fate)
                .enumerate()
                .filter_map(|(i, (r, f))| f.map(|d| (r.triggered + d, i)))
                .collect();
            order.sort_unstable();
            // Per scope: the group's first page and when it notified.
            let mut open: PlHashMap<u32, (usize, i64)> = PlHashMap::default();
            for (t, i) in order {
                let r = &rows[i];
                let joins = open.get(&r.scope).is_some_and(|&(lead, start)| {
                    t - start <= w && rows[lead].resolved.is_none_or(|end| end > t)
                });
                if joins {
                    fate[i] = None;
                } else {
                    open.insert(r.scope, (i, t));
                }
            }
        }
        fate
    }
}

/// Each page's fate under the policies: `Some(delay µs)` if it still
/// notifies, `None` if it no longer does.
pub fn replay(pages: &Pages, policies: &[Policy]) -> Vec<Option<i64>> {
    Rows::new(pages).replay(policies)
}

/// Pages, interruptions and toil.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Pages that notified.
    pub pages: u64,
    /// Interruptions by when they fell (PagerDuty's definitions).
    pub interruptions: Interruptions,
    /// Toil hours (engaged time on noise pages, else the interruption cost).
    pub toil_hours: f64,
}

/// Actionable pages that would have notified later.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Delayed {
    /// How many.
    pub count: u64,
    /// Median delay, seconds (null with none).
    pub p50_seconds: Option<f64>,
    /// Longest delay, seconds (null with none).
    pub max_seconds: Option<f64>,
}

/// Actionable pages that would no longer have notified.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Hidden {
    /// How many.
    pub count: u64,
    /// Their alert ids, in time order.
    pub alert_ids: Vec<String>,
}

/// What a policy does to some pages.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Effect {
    /// As it happened.
    pub before: Figures,
    /// Under the policy.
    pub after: Figures,
    /// Actionable pages delayed.
    pub actionable_delayed: Delayed,
    /// Actionable pages hidden.
    pub actionable_hidden: Hidden,
}

/// One policy's outcome, overall and per team.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The policy's name (`pause=5m`, or several joined by ` + `).
    pub name: String,
    /// Its parameters.
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// Overall.
    #[serde(flatten)]
    pub all: Effect,
    /// Per team (`(none)` for pages without one).
    pub teams: BTreeMap<String, Effect>,
}

/// Pages prepared for replaying many policies: who each page reached, its
/// team, and the figures as it happened (computed once).
pub struct Replayer<'a> {
    pages: &'a Pages,
    config: &'a Config,
    recipients: Recipients,
    rows: Rows,
    before_all: Figures,
    before_teams: Vec<Figures>,
}

impl<'a> Replayer<'a> {
    /// Prepare `pages`.
    pub fn new(pages: &'a Pages, config: &'a Config) -> Replayer<'a> {
        let mut r = Replayer {
            pages,
            config,
            recipients: Recipients::new(pages, config),
            rows: Rows::new(pages),
            before_all: Figures::default(),
            before_teams: Vec::new(),
        };
        let asis: Vec<Option<i64>> = vec![Some(0); pages.list.len()];
        (r.before_all, r.before_teams) = r.figures(&asis);
        r
    }

    /// Figures overall and per team with the pages notifying `fate` late.
    fn figures(&self, fate: &[Option<i64>]) -> (Figures, Vec<Figures>) {
        let cost = ToilCost::of(self.config);
        let rows = &self.rows.rows;
        let at: Vec<Option<i64>> = rows
            .iter()
            .zip(fate)
            .map(|(r, f)| f.map(|d| r.triggered + d))
            .collect();
        let (all_i, team_i) = self
            .recipients
            .count(&at, &self.rows.team_of, self.rows.teams.len());
        let mut all = Figures {
            interruptions: all_i,
            ..Figures::default()
        };
        let mut teams: Vec<Figures> = team_i
            .into_iter()
            .map(|i| Figures {
                interruptions: i,
                ..Figures::default()
            })
            .collect();
        for (r, t) in rows.iter().zip(&at) {
            let Some(t) = *t else { continue };
            let toil = toil_hours(r.noise, r.acknowledged, r.resolved, t, cost);
            for f in [&mut all, &mut teams[r.team as usize]] {
                f.pages += 1;
                f.toil_hours += toil;
            }
        }
        (all, teams)
    }

    /// Replay `policies` together and measure the outcome.
    pub fn evaluate(&self, policies: &[Policy]) -> Outcome {
        self.run(policies).0
    }

    /// [`Replayer::evaluate`], with each page's fate (see [`replay`]).
    pub fn run(&self, policies: &[Policy]) -> (Outcome, Vec<Option<i64>>) {
        let fate = self.rows.replay(policies);
        let (after_all, after_teams) = self.figures(&fate);
        // Actionable pages delayed (delay s) and hidden (trigger, id).
        let n = self.rows.teams.len();
        let mut delays: Vec<Vec<f64>> = vec![Vec::new(); n];
        let mut hidden: Vec<Vec<(i64, &str)>> = vec![Vec::new(); n];
        for (i, (r, f)) in self.rows.rows.iter().zip(&fate).enumerate() {
            if r.noise {
                continue;
            }
            match f {
                Some(d) if *d > 0 => delays[r.team as usize].push(*d as f64 / 1e6),
                Some(_) => {}
                None => hidden[r.team as usize]
                    .push((r.triggered, self.pages.alert_id(&self.pages.list[i]))),
            }
        }
        let delayed = |mut d: Vec<f64>| {
            d.sort_by(f64::total_cmp);
            Delayed {
                count: d.len() as u64,
                p50_seconds: percentile(&d, 0.5),
                max_seconds: d.last().copied(),
            }
        };
        let hide = |mut h: Vec<(i64, &str)>| {
            h.sort_unstable();
            Hidden {
                count: h.len() as u64,
                alert_ids: h.into_iter().map(|(_, id)| id.to_string()).collect(),
            }
        };
        let all = Effect {
            before: self.before_all.clone(),
            after: after_all,
            actionable_delayed: delayed(delays.concat()),
            actionable_hidden: hide(hidden.concat()),
        };
        let teams = self
            .rows
            .teams
            .iter()
            .zip(self.before_teams.iter().zip(after_teams))
            .zip(delays.into_iter().zip(hidden))
            .map(|((name, (before, after)), (d, h))| {
                (
                    name.clone(),
                    Effect {
                        before: before.clone(),
                        after,
                        actionable_delayed: delayed(d),
                        actionable_hidden: hide(h),
                    },
                )
            })
            .collect();
        let mut parameters = BTreeMap::new();
        for p in policies {
            parameters.extend(p.parameters());
        }
        let outcome = Outcome {
            name: policies
                .iter()
                .map(Policy::name)
                .collect::<Vec<_>>()
                .join(" + "),
            parameters,
            all,
            teams,
        };
        (outcome, fate)
    }
}

/// Replay `policies` together over `pages` and measure the outcome.
pub fn evaluate(pages: &Pages, policies: &[Policy], config: &Config) -> Outcome {
    Replayer::new(pages, config).evaluate(policies)
}

/// A parameter a sweep can vary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepParam {
    /// `pause`.
    Pause,
    /// `group-window`.
    GroupWindow,
    /// `keep-firing-for`.
    KeepFiringFor,
}

impl SweepParam {
    /// The policy with this parameter at `value`.
    pub fn policy(self, value: Duration) -> Policy {
        match self {
            SweepParam::Pause => Policy::Pause(value),
            SweepParam::GroupWindow => Policy::GroupWindow(value),
            SweepParam::KeepFiringFor => Policy::KeepFiringFor(value),
        }
    }

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SweepParam::Pause => "pause",
            SweepParam::GroupWindow => "group-window",
            SweepParam::KeepFiringFor => "keep-firing-for",
        }
    }
}

/// The knee of a trade-off curve (Kneedle, Satopää et al. 2011): the point
/// farthest above the straight line from the first point to the last, both
/// axes scaled to 0–1. `None` with fewer than three points or a flat curve.
pub fn knee(points: &[(f64, f64)]) -> Option<usize> {
    if points.len() < 3 {
        return None;
    }
    let (x0, y0) = points[0];
    let (x1, y1) = points[points.len() - 1];
    if x1 == x0 || y1 == y0 {
        return None;
    }
    let mut best: Option<(f64, usize)> = None;
    for (i, &(x, y)) in points.iter().enumerate() {
        let d = (y - y0) / (y1 - y0) - (x - x0) / (x1 - x0);
        if d > 1e-12 && best.is_none_or(|(b, _)| d > b) {
            best = Some((d, i));
        }
    }
    best.map(|(_, i)| i)
}

/// A sweep of one parameter: `pause=0m..15m/1m`.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSpec {
    /// The parameter.
    pub param: SweepParam,
    /// The values, in order.
    pub values: Vec<Duration>,
}

impl SweepSpec {
    /// Parse `NAME=FROM..TO/STEP` (durations as in the config: `90s`, `5m`).
    pub fn parse(text: &str) -> Result<SweepSpec, String> {
        let bad = |why: &str| {
            format!(
                "--sweep {text:?}: {why} (expected NAME=FROM..TO/STEP with NAME one of \
                 pause, group-window, keep-firing-for, e.g. pause=0m..15m/1m)"
            )
        };
        let (name, range) = text.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let param = match name.trim() {
            "pause" => SweepParam::Pause,
            "group-window" => SweepParam::GroupWindow,
            "keep-firing-for" => SweepParam::KeepFiringFor,
            _ => return Err(bad("unknown parameter")),
        };
        let (span, step) = range.split_once('/').ok_or_else(|| bad("no `/STEP`"))?;
        let (from, to) = span.split_once("..").ok_or_else(|| bad("no `FROM..TO`"))?;
        let d = |s: &str| crate::config::parse_duration(s).map_err(|e| bad(&e));
        let (from, to, step) = (d(from)?, d(to)?, d(step)?);
        if step.is_zero() {
            return Err(bad("the step must be more than 0s"));
        }
        if to < from {
            return Err(bad("TO is before FROM"));
        }
        let n = (to - from).as_secs() / step.as_secs().max(1) + 1;
        if n > 1000 {
            return Err(bad("more than 1000 values"));
        }
        let values = (0..n)
            .map(|k| from + step * u32::try_from(k).unwrap_or(u32::MAX))
            .collect();
        Ok(SweepSpec { param, values })
    }
}

/// One point of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepPoint {
    /// The parameter's value, seconds.
    pub value_seconds: u64,
    /// Pages that no longer notify.
    pub pages_saved: u64,
    /// Sleep-hour interruptions saved.
    pub sleep_interruptions_saved: u64,
    /// Toil hours saved.
    pub toil_hours_saved: f64,
    /// Actionable pages delayed.
    pub actionable_delayed: u64,
    /// Actionable pages hidden.
    pub actionable_hidden: u64,
}

/// A sweep's results: one point per value, and the knee of pages saved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweep {
    /// The parameter's name.
    pub parameter: String,
    /// The points.
    pub points: Vec<SweepPoint>,
    /// Index of the knee of pages saved against the value (Kneedle).
    pub knee: Option<usize>,
}

/// What `alertsift whatif` writes to whatif.json.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIf {
    /// Version of this layout.
    pub schema_version: u32,
    /// The first and last trigger of the pages replayed (RFC 3339 UTC).
    pub first_page: Option<String>,
    /// See `first_page`.
    pub last_page: Option<String>,
    /// Weeks the pages span (at least 1/7).
    pub weeks: f64,
    /// Each policy given, all of them together (when more than one), then
    /// each point of the sweep (with the fixed policies).
    pub policies: Vec<Outcome>,
    /// The sweep, if any.
    pub sweep: Option<Sweep>,
}

/// The layout version of whatif.json.
pub const WHATIF_VERSION: u32 = 1;

/// Evaluate each policy, all together, and the sweep.
pub fn analyse(
    pages: &Pages,
    policies: &[Policy],
    sweep: Option<&SweepSpec>,
    config: &Config,
    progress: &(dyn Fn() + Sync),
) -> WhatIf {
    let replayer = Replayer::new(pages, config);
    let mut out = Vec::new();
    for p in policies {
        out.push(replayer.evaluate(std::slice::from_ref(p)));
        progress();
    }
    if policies.len() > 1 {
        out.push(replayer.evaluate(policies));
        progress();
    }
    let sweep = sweep.map(|spec| {
        // The points in parallel, one share per core, then in order.
        let workers = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(spec.values.len().max(1));
        let chunk = spec.values.len().div_ceil(workers).max(1);
        let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = spec
                .values
                .chunks(chunk)
                .map(|values| {
                    let replayer = &replayer;
                    scope.spawn(move || {
                        values
                            .iter()
                            .map(|v| {
                                let mut all = policies.to_vec();
                                all.push(spec.param.policy(*v));
                                let o = replayer.evaluate(&all);
                                progress();
                                o
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut points = Vec::new();
        for (v, o) in spec.values.iter().zip(outcomes) {
            points.push(SweepPoint {
                value_seconds: v.as_secs(),
                pages_saved: o.all.before.pages - o.all.after.pages,
                sleep_interruptions_saved: o
                    .all
                    .before
                    .interruptions
                    .sleep
                    .saturating_sub(o.all.after.interruptions.sleep),
                toil_hours_saved: o.all.before.toil_hours - o.all.after.toil_hours,
                actionable_delayed: o.all.actionable_delayed.count,
                actionable_hidden: o.all.actionable_hidden.count,
            });
            out.push(o);
        }
        let curve: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (p.value_seconds as f64, p.pages_saved as f64))
            .collect();
        Sweep {
            parameter: spec.param.name().to_string(),
            knee: knee(&curve),
            points,
        }
    });
    let (first, last) = (pages.range.map(|r| r.0), pages.range.map(|r| r.1));
    let weeks = match (first, last) {
        (Some(a), Some(b)) => ((b - a) as f64 / (7.0 * 86_400e6)).max(1.0 / 7.0),
        _ => 1.0 / 7.0,
    };
    WhatIf {
        schema_version: WHATIF_VERSION,
        first_page: first.map(crate::core::time::rfc3339_utc),
        last_page: last.map(crate::core::time::rfc3339_utc),
        weeks,
        policies: out,
        sweep,
    }
}
