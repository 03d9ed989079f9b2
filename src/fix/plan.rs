//! Which change each rule's history supports: rule by rule (the
//! Alertmanager `alertname` and the rule's labels), the recommendation
//! worked out on that rule's own pages, written as edits to its definition
//! or to the Alertmanager configuration's routes.

use serde::Serialize;

use std::collections::HashMap;

use super::alertmanager::AmConfig;
use super::amedit::{self, AmAdds};
use super::edit::{self, Edit};
use super::routing::{
    dedup_advice, inhibit_storm, mute_recurring, route_away, Labels, Recurring, Section,
};
use super::rules::{self, RuleDef, YamlFile};
use crate::config::Config;
use crate::core::time::LocalClock;
use crate::pages::{Page, Pages};
use crate::whatif::recommend::{recommend_for, Guard, Recommendation};
use crate::whatif::Policy;

/// What the history says of each page: its source and labels (the
/// alert's, as the store keeps them: a JSON object), by the page's row.
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    /// The pages.
    pub pages: &'a Pages,
    /// Each row's source.
    pub source: &'a [Option<String>],
    /// Each row's labels.
    pub labels: &'a [Option<String>],
    /// Each row's title (the alert's `summary`, `title`, `message` or
    /// `description` annotation, as ingest reads it).
    pub titles: &'a [Option<String>],
    /// Each row's alert id.
    pub ids: &'a [Option<String>],
    /// Each row's storm episode: its lead's alert id.
    pub episodes: &'a [Option<String>],
}

/// What `fix` may do.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Allow a change that hides an actionable page.
    pub allow_hiding: bool,
}

/// One rule's change (written to the files, or only described).
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// The rule (`alert`).
    pub rule: String,
    /// Its file, as given.
    pub file: String,
    /// Its group.
    pub group: String,
    /// The line of its definition (1-based).
    pub line: usize,
    /// The labels that pick the rule's alerts out of the history: its
    /// `alertname` and literal labels.
    pub matchers: Vec<(String, String)>,
    /// What kind: `for`, `keep_firing_for`, `route`, `inhibit`, `mute`,
    /// `relabel` or `advice`.
    pub kind: String,
    /// The change in words.
    pub change: String,
    /// The value before and after (for `for`, `keep_firing_for`, a
    /// label), where one is written.
    pub before: Option<String>,
    /// See `before`.
    pub after: Option<String>,
    /// Whether `fix.diff` carries it (else it is advice only, with why).
    pub written: bool,
    /// An `inhibit` change: the source rule (`alertname`) and the labels
    /// that must be equal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inhibit: Option<(String, Vec<String>)>,
    /// A `mute` change: the daily windows (`HH:MM`, end excluded) and
    /// their time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute: Option<(Vec<(String, String)>, String)>,
    /// Why it is not written, or what to know.
    pub note: Option<String>,
    /// The evidence and the replayed effect per week.
    pub evidence: Recommendation,
    /// The pages the replay kept and hid, for the promtool replay test:
    /// per page, its labels, trigger and resolve times (µs) and kept.
    #[serde(skip)]
    pub replay: Vec<ReplayPage>,
    /// The rule's `for:` and `keep_firing_for:` in force in the history
    /// (seconds; 0 where unset), for the replay test.
    pub in_force: (u64, u64),
}

/// A page of a changed rule, as the promtool replay test needs it.
#[derive(Debug, Clone)]
pub struct ReplayPage {
    /// The alert's identity: its `instance` (or its id).
    pub series: String,
    /// Triggered (µs).
    pub start: i64,
    /// Resolved (µs); `None`: still open.
    pub end: Option<i64>,
    /// Whether the replay kept it as a page.
    pub kept: bool,
}

/// Everything `fix` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    /// The changes, most toil first.
    pub changes: Vec<Change>,
    /// Rules of the history with no definition in the files, with their
    /// pages.
    pub undefined: Vec<(String, u64)>,
    /// Rules of the history whose pages match more than one definition
    /// (the same `alertname` and no literal label to tell them apart),
    /// with their pages: left unchanged.
    pub ambiguous: Vec<(String, u64)>,
    /// Definitions that never paged in the history (`file: alert`).
    pub never_fired: Vec<String>,
    /// Pages read from sources other than Alertmanager (no rule files).
    pub other_sources: u64,
    /// Their noisy templates' changes, in each vendor's terms.
    pub vendor: Vec<super::vendor::VendorChange>,
    /// The edits behind the written changes.
    #[serde(skip)]
    pub edits: Vec<Edit>,
}

/// A Prometheus duration (`1h30m`, `90s`, `5m`) in seconds.
pub fn parse_duration(text: &str) -> Option<u64> {
    let (mut total, mut num, mut any) = (0u64, String::new(), false);
    let b = text.trim();
    let mut chars = b.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            // Milliseconds: whole seconds only here.
            'm' if chars.peek() == Some(&'s') => return None,
            'y' => 365 * 86_400,
            'w' => 7 * 86_400,
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total += num.parse::<u64>().ok()? * unit;
        num.clear();
        any = true;
    }
    (any && num.is_empty()).then_some(total)
}

/// Seconds as a Prometheus duration (`5m`, `1h`, `1h30m`, `45s`).
pub fn format_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// The labels of a JSON object of strings, as pairs.
pub(super) fn label_pairs(json: &str) -> Vec<(String, String)> {
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json)
        .map(|m| {
            m.into_iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// A definition's literal labels (templated ones are left out: their value
/// depends on the alert) with its `alertname`.
pub(super) fn routing_labels(def: &RuleDef) -> Vec<(String, String)> {
    let mut l: Vec<(String, String)> = def
        .labels
        .iter()
        .filter(|(_, v)| !v.contains("{{"))
        .cloned()
        .collect();
    l.push(("alertname".into(), def.alert.clone()));
    l
}

/// Work out the plan. Edits name their file by its index in `files`; the
/// Alertmanager configuration's index is `files.len()`, the Prometheus
/// configuration's `files.len() + 1`.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    history: History<'_>,
    files: &[YamlFile],
    defs: &[RuleDef],
    am: Option<&AmConfig>,
    prometheus: Option<&YamlFile>,
    config: &Config,
    period: (i64, i64),
    options: Options,
) -> Plan {
    let pages = history.pages;
    let (since, until) = period;
    let weeks = ((until - since) as f64 / (7.0 * 86_400e6)).max(1.0 / 7.0);
    let mut plan = Plan::default();
    // Each Alertmanager row's labels, parsed once (matching, the replay
    // test's series, storms and duplicates all read them).
    let parsed: Vec<Labels> = history
        .labels
        .iter()
        .zip(history.source)
        .map(|(l, s)| match (l, s.as_deref()) {
            (Some(l), Some("alertmanager")) => label_pairs(l),
            _ => Vec::new(),
        })
        .collect();
    let labels_of = |row: usize| parsed.get(row).map_or(&[][..], Vec::as_slice);
    // Each definition's literal labels, and the pattern of its title
    // annotation (to tell apart two definitions of one name).
    let def_labels: Vec<Labels> = defs.iter().map(routing_labels).collect();
    let def_titles: Vec<Option<regex::Regex>> = defs
        .iter()
        .map(|d| {
            ["summary", "title", "message", "description"]
                .iter()
                .find_map(|k| d.annotations.iter().find(|(a, _)| a == k))
                .and_then(|(_, tmpl)| rules::title_pattern(tmpl))
        })
        .collect();
    // Each page to its definition: the alertname, then the definition's
    // literal labels (two rules may share a name).
    let mut by_def: Vec<Vec<&Page>> = vec![Vec::new(); defs.len()];
    let mut undefined: std::collections::BTreeMap<String, u64> = Default::default();
    let mut ambiguous: std::collections::BTreeMap<String, u64> = Default::default();
    let mut others: Vec<&Page> = Vec::new();
    for p in crate::metrics::in_period(&pages.list, since, until) {
        let row = p.row as usize;
        if history.source.get(row).and_then(|s| s.as_deref()) != Some("alertmanager") {
            plan.other_sources += 1;
            others.push(p);
            continue;
        }
        let labels = labels_of(row);
        let name = labels
            .iter()
            .find(|(k, _)| k == "alertname")
            .map_or("(no alertname)", |(_, v)| v.as_str());
        let found: Vec<usize> = defs
            .iter()
            .enumerate()
            .filter(|(i, d)| {
                d.alert == name
                    && def_labels[*i]
                        .iter()
                        .all(|(k, v)| labels.iter().any(|(k2, v2)| k2 == k && v2 == v))
            })
            .map(|(i, _)| i)
            .collect();
        // Two definitions of one name and the same literal labels: the
        // alert's title tells them apart when only one's annotation (as
        // ingest picks it) could have written it.
        let found = match found.as_slice() {
            [_, _, ..] => {
                let title = history.titles.get(row).and_then(|t| t.as_deref());
                let fits: Vec<usize> = found
                    .iter()
                    .copied()
                    .filter(|&i| {
                        title
                            .zip(def_titles[i].as_ref())
                            .is_some_and(|(t, re)| re.is_match(t.trim()))
                    })
                    .collect();
                if fits.is_empty() {
                    found
                } else {
                    fits
                }
            }
            _ => found,
        };
        match found.as_slice() {
            [i] => by_def[*i].push(p),
            [] => *undefined.entry(name.to_string()).or_default() += 1,
            _ => *ambiguous.entry(name.to_string()).or_default() += 1,
        }
    }
    plan.undefined = undefined.into_iter().collect();
    plan.ambiguous = ambiguous.into_iter().collect();
    let mut clock = LocalClock::default();
    let guard = Guard {
        protect_actionable: !options.allow_hiding,
    };
    plan.vendor = super::vendor::changes(history, &others, config, weeks, guard, &mut clock);
    let mut changes: Vec<(f64, Change, Vec<Edit>)> = Vec::new();
    // What the rules add to the Alertmanager configuration: (change,
    // section, the entry's lines).
    let mut adds: Vec<(usize, Section, Vec<String>)> = Vec::new();
    // Labels to clear in prometheus.yml: label → rules; and those changes.
    let mut drops: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut relabeled: Vec<usize> = Vec::new();
    // Each alert id's row, to find a storm's lead.
    let ids: HashMap<&str, usize> = history
        .ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| id.as_deref().map(|id| (id, i)))
        .collect();
    for (def, ps) in defs.iter().zip(&by_def) {
        let file = &files[def.file];
        if ps.is_empty() {
            plan.never_fired
                .push(format!("{}: {}", file.path.display(), def.alert));
            continue;
        }
        if !ps.iter().any(|p| p.noise()) {
            continue;
        }
        let mut templates: Vec<String> = ps
            .iter()
            .filter_map(|p| pages.name(p.template).map(str::to_string))
            .collect();
        templates.sort();
        templates.dedup();
        let (evidence, policy) = recommend_for(
            pages, ps, &def.alert, &templates, config, weeks, guard, &mut clock,
        );
        let mut change = Change {
            rule: def.alert.clone(),
            file: file.path.display().to_string(),
            group: def.group.clone(),
            line: def.node.line + 1,
            matchers: routing_labels(def),
            kind: "advice".into(),
            change: evidence.fix.clone(),
            before: None,
            after: None,
            written: false,
            inhibit: None,
            mute: None,
            note: None,
            evidence,
            replay: Vec::new(),
            in_force: (0, 0),
        };
        let timing = match &policy {
            Policy::For { delay, .. } => Some(("for", delay.as_secs())),
            Policy::KeepFiringFor(d) => Some(("keep_firing_for", d.as_secs())),
            _ => None,
        };
        let edits = if let Some((key, secs)) = timing {
            let (h, l) = (history, &parsed[..]);
            timing_change(&mut change, file, def, key, secs, ps, h, l, config)
        } else {
            match &policy {
                _ if change.evidence.actionable_hidden > 0 && !options.allow_hiding => {
                    change.note = Some(format!(
                    "it would hide {} actionable page(s) of the history: not written (rerun with --allow-hiding to write it anyway)",
                    change.evidence.actionable_hidden
                ));
                    Vec::new()
                }
                Policy::Ticket { .. } => {
                    route_away(&mut change, file, def, am, files.len(), config)
                }
                Policy::InhibitSecondaries => {
                    let found = inhibit_storm(
                        &mut change,
                        def,
                        ps,
                        history,
                        &parsed,
                        &ids,
                        am,
                        options.allow_hiding,
                    );
                    if let Some((lines, muted)) = found {
                        let at = &mut clock;
                        restate(&mut change.evidence, &muted, pages, config, weeks, at);
                        adds.push((changes.len(), Section::Inhibit, lines));
                    }
                    Vec::new()
                }
                Policy::SuppressRecurring => {
                    let ctx = Recurring {
                        am,
                        config,
                        options,
                    };
                    let found = mute_recurring(&mut change, def, ps, pages, ctx, &mut clock);
                    if let Some((interval, route, muted)) = found {
                        let at = &mut clock;
                        restate(&mut change.evidence, &muted, pages, config, weeks, at);
                        adds.push((changes.len(), Section::Intervals, interval));
                        adds.push((changes.len(), Section::Routes, route));
                    }
                    Vec::new()
                }
                Policy::Dedup => {
                    if let Some(keys) = dedup_advice(&mut change, ps, &parsed) {
                        change.kind = "relabel".into();
                        change.after = Some(format!("clear {} on {}", keys.join(", "), def.alert));
                        for k in keys {
                            drops.entry(k).or_default().push(def.alert.clone());
                        }
                        relabeled.push(changes.len());
                    }
                    Vec::new()
                }
                _ => {
                    change.note = Some(
                    "not written as a patch: make this change by hand (fix.md gives the evidence)"
                        .into(),
                );
                    Vec::new()
                }
            }
        };
        change.written = !edits.is_empty();
        changes.push((change.evidence.toil_hours, change, edits));
    }
    // prometheus.yml's `alert_relabel_configs`, in one edit.
    if !relabeled.is_empty() {
        let edit = prometheus.and_then(|p| {
            amedit::relabel_edit(p, files.len() + 1, &super::routing::relabel_items(&drops))
        });
        for &i in &relabeled {
            let c = &mut changes[i].1;
            c.written = edit.is_some();
            c.note = match (prometheus, &edit) {
                (None, _) => Some("give prometheus.yml with --prometheus to have it written; until then make it there by hand".into()),
                (Some(_), None) => Some("prometheus.yml's `alerting` is not in a layout fix can add to (flow style?): make this change by hand".into()),
                _ => None,
            };
        }
        plan.edits.extend(edit);
    }
    // The Alertmanager configuration's new sections, each written once.
    if let (Some(am), false) = (am, adds.is_empty()) {
        let mut all = AmAdds::default();
        for (_, section, lines) in &adds {
            match section {
                Section::Routes => all.routes.push(lines.clone()),
                Section::Inhibit => all.inhibit_rules.push(lines.clone()),
                Section::Intervals => all.time_intervals.push(lines.clone()),
            }
        }
        let (edits, failed) = amedit::edits(am, files.len(), &all);
        for (i, _, _) in &adds {
            changes[*i].1.written = true;
        }
        for (i, section, _) in &adds {
            if failed.contains(&section.key()) {
                let c = &mut changes[*i].1;
                c.written = false;
                c.note = Some(format!(
                    "the configuration's `{}` is not in a layout fix can add to (flow style?): make this change by hand",
                    section.key()
                ));
            }
        }
        // A mute is a route and its interval: when either section could
        // not be written, none is (a route naming a missing interval would
        // not load).
        let half_mute = changes.iter().any(|c| c.1.kind == "mute" && !c.1.written);
        if half_mute {
            for (i, _, _) in &adds {
                if changes[*i].1.written {
                    changes[*i].1.written = false;
                    changes[*i].1.note = Some("another change to the configuration could not be written, and this one goes with it: make it by hand".into());
                }
            }
        } else {
            plan.edits.extend(edits);
        }
    }
    changes.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.rule.cmp(&b.1.rule)));
    for (_, c, e) in changes {
        plan.edits.extend(e);
        plan.changes.push(c);
    }
    plan
}

/// `for:` or `keep_firing_for:` raised by the recommended amount (the
/// history was recorded with the current value in force, so the new value
/// is the current one plus what the history asks for).
#[allow(clippy::too_many_arguments)]
fn timing_change(
    change: &mut Change,
    file: &YamlFile,
    def: &RuleDef,
    key: &str,
    add_secs: u64,
    ps: &[&Page],
    history: History<'_>,
    labels: &[Labels],
    config: &Config,
) -> Vec<Edit> {
    if add_secs == 0 {
        change.note = Some(format!(
            "no `{key}:` would spare a page without hiding an actionable one (rerun with --allow-hiding to see the trade-off)"
        ));
        return Vec::new();
    }
    if change.evidence.saved_pages_per_week <= 0.0 {
        change.note = Some("the replay spares no page: nothing to change".into());
        return Vec::new();
    }
    let current = match key {
        "for" => def.for_.as_deref(),
        _ => def.keep_firing_for.as_deref(),
    };
    let now = match current.map(|c| (c, parse_duration(c))) {
        Some((c, None)) => {
            change.note = Some(format!(
                "its `{key}: {c}` is not a duration fix can read: change it by hand"
            ));
            return Vec::new();
        }
        Some((_, Some(s))) => s,
        None => 0,
    };
    let for_now = def.for_.as_deref().and_then(parse_duration).unwrap_or(0);
    let kff_now = def
        .keep_firing_for
        .as_deref()
        .and_then(parse_duration)
        .unwrap_or(0);
    change.in_force = (for_now, kff_now);
    // The history asks to continue an alert that fires again within
    // `add_secs` of clearing. Prometheus keeps an alert firing while its
    // expression has been false for less than `keep_firing_for`, and the
    // expression came back `for:` before the next page fired: so the
    // history's gap of `add_secs` is an expression gap of `add_secs - for`
    // beyond the `keep_firing_for` in force.
    let raise = match key {
        "for" => add_secs,
        _ if add_secs > for_now => add_secs - for_now,
        _ => {
            change.note = Some(format!(
                "re-fires within {} of clearing would be continued, but its `for: {}` already holds each re-fire back that long: change it by hand",
                format_duration(add_secs),
                format_duration(for_now)
            ));
            return Vec::new();
        }
    };
    let new = format_duration(now + raise);
    change.kind = key.to_string();
    change.before = current.map(str::to_string);
    change.after = Some(new.clone());
    change.change = format!(
        "`{key}: {new}` on {} (was {}): {}",
        def.alert,
        current.unwrap_or("unset"),
        change.evidence.fix
    );
    // A page kept firing `keep_firing_for` (in force) after its expression
    // cleared: a new `for:` hides it when it was true for less.
    let window = match key {
        "for" => add_secs + kff_now,
        _ => add_secs,
    };
    change.replay = replay_pages(ps, history, labels, key, window, config);
    let edit = match def.node.get(key) {
        Some(v) => Some(edit::replace_scalar(def.file, v, &new)),
        None => {
            let (before, after): (&[&str], &[&str]) = match key {
                "for" => (
                    &["keep_firing_for", "labels", "annotations"],
                    &["expr", "alert"],
                ),
                _ => (&["labels", "annotations"], &["for", "expr", "alert"]),
            };
            edit::add_entry(def.file, &file.text, &def.node, key, &new, before, after)
        }
    };
    match edit {
        Some(e) => vec![e],
        None => {
            change.note =
                Some("the rule is written in flow style (`{…}`): change it by hand".into());
            Vec::new()
        }
    }
}

/// What the replay did to each page of the rule. `for`: a page that
/// resolved by itself within the added delay never notifies (the
/// what-if engine's pause). `keep_firing_for`: a page that fires again
/// within it of the same alert clearing continues that alert — the same
/// alert as Prometheus sees it, by its whole label set (the what-if
/// engine's identity masks numbers in the title, which can join two
/// instances: here they stay apart, as in Prometheus).
fn replay_pages(
    ps: &[&Page],
    history: History<'_>,
    labels: &[Labels],
    key: &str,
    secs: u64,
    config: &Config,
) -> Vec<ReplayPage> {
    let pages = history.pages;
    let series = |p: &Page| {
        let mut l: Vec<&(String, String)> =
            labels.get(p.row as usize).into_iter().flatten().collect();
        l.sort();
        match l.is_empty() {
            true => pages.alert_id(p).to_string(),
            false => l
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    };
    if key == "for" {
        let own = pages.subset(ps.iter().copied());
        let policy = Policy::Pause(std::time::Duration::from_secs(secs));
        let (_, fate) = crate::whatif::Replayer::new(&own, config).run(&[policy]);
        return own
            .list
            .iter()
            .zip(&fate)
            .map(|(p, f)| ReplayPage {
                series: series(p),
                start: p.triggered,
                end: p.resolved(),
                kept: f.is_some(),
            })
            .collect();
    }
    let mut out: Vec<ReplayPage> = ps
        .iter()
        .map(|p| ReplayPage {
            series: series(p),
            start: p.triggered,
            end: p.resolved(),
            kept: true,
        })
        .collect();
    out.sort_by(|a, b| a.series.cmp(&b.series).then(a.start.cmp(&b.start)));
    for i in 1..out.len() {
        let (prev, this) = (&out[i - 1], &out[i]);
        if prev.series != this.series {
            continue;
        }
        if let Some(end) = prev.end.filter(|&e| this.start >= e) {
            out[i].kept = (this.start - end) / 1_000_000 > secs as i64;
        }
    }
    out
}

/// The evidence's effect restated for the pages the written change
/// itself mutes (the what-if engine's replay of the diagnosis mutes every
/// page with the reason; an inhibition by one lead, or a window, mutes
/// fewer): pages and sleep interruptions counted, toil in proportion.
fn restate(
    e: &mut Recommendation,
    muted: &[&Page],
    pages: &Pages,
    config: &Config,
    weeks: f64,
    clock: &mut LocalClock,
) {
    let replayed = e.saved_pages_per_week * weeks;
    let n = muted.len() as f64;
    e.saved_toil_hours_per_week *= if replayed > 0.0 { n / replayed } else { 0.0 };
    e.saved_pages_per_week = n / weeks;
    e.actionable_delayed = 0;
    e.actionable_hidden = muted.iter().filter(|p| !p.noise()).count() as u64;
    e.saved_sleep_pages_per_week = muted
        .iter()
        .filter(|p| pages.in_sleep_hours(p, config, clock))
        .count() as f64
        / weeks;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_prometheus_writes_them() {
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("1d"), Some(86_400));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(format_duration(300), "5m");
        assert_eq!(format_duration(5400), "1h30m");
        assert_eq!(format_duration(3600), "1h");
        assert_eq!(format_duration(45), "45s");
        assert_eq!(format_duration(0), "0s");
    }
}
