//! The changes a rule's history supports outside its own definition: in
//! the Alertmanager configuration (a route away from the pager, an
//! inhibition by the storms' lead, a daily mute window) and the advice
//! for duplicates. [`super::plan`] decides which one a rule gets.

use std::collections::HashMap;

use super::alertmanager::{AmConfig, Op};
use super::edit::{self, Edit};
use super::plan::{routing_labels, Change, History, Options};
use super::rules::{self, RuleDef, YamlFile};
use crate::config::Config;
use crate::core::time::LocalClock;
use crate::pages::{Page, Pages};

/// A section of the Alertmanager configuration a change adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Routes,
    Inhibit,
    Intervals,
}

impl Section {
    pub(super) fn key(self) -> &'static str {
        match self {
            Section::Routes => "routes",
            Section::Inhibit => "inhibit_rules",
            Section::Intervals => "time_intervals",
        }
    }
}

/// A matcher as a YAML list item's text (single-quoted: label values may
/// hold `: ` or `#`).
pub(super) fn matcher_item(name: &str, value: &str) -> String {
    format!("  - '{name}={}'", edit::quoted(value).replace('\'', "''"))
}

/// A label and its value.
type Pair = (String, String);

/// A label set, as pairs.
pub(super) type Labels = Vec<Pair>;

/// A label's value in a label set.
fn value<'a>(labels: &'a [(String, String)], key: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A row's labels (parsed once by [`super::plan::plan`]; none for rows
/// that are not Alertmanager's).
fn row_labels(labels: &[Labels], row: usize) -> &[(String, String)] {
    labels.get(row).map_or(&[][..], Vec::as_slice)
}

/// Storm secondaries: an `inhibit_rules` entry that mutes this rule while
/// the storms' usual lead fires with the same values of the labels they
/// always shared. Returns the entry's lines.
#[allow(clippy::too_many_arguments)]
pub(super) fn inhibit_storm<'p>(
    change: &mut Change,
    def: &RuleDef,
    ps: &[&'p Page],
    history: History<'_>,
    labels: &[Labels],
    ids: &HashMap<&str, usize>,
    am: Option<&AmConfig>,
    allow_hiding: bool,
) -> Option<(Vec<String>, Vec<&'p Page>)> {
    if am.is_none() {
        change.note = Some(
            "no Alertmanager configuration given (--alertmanager): add the inhibition by hand"
                .into(),
        );
        return None;
    }
    let storm = crate::reasons::bit("STORM_SECONDARY");
    // Each secondary with its lead's labels.
    let mut pairs: Vec<(&[Pair], &[Pair])> = Vec::new();
    for p in ps
        .iter()
        .filter(|p| p.reasons & storm != 0 && !p.episode_lead())
    {
        let row = p.row as usize;
        let Some(&lead) = history
            .episodes
            .get(row)
            .and_then(|e| e.as_deref())
            .and_then(|e| ids.get(e))
        else {
            continue;
        };
        pairs.push((row_labels(labels, lead), row_labels(labels, row)));
    }
    let mut leads: HashMap<&str, usize> = HashMap::new();
    for (lead, _) in &pairs {
        if let Some(n) = value(lead, "alertname").filter(|n| *n != def.alert) {
            *leads.entry(n).or_default() += 1;
        }
    }
    let Some((lead, n)) = leads
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
    else {
        change.note = Some("its storms' leads are not among the pages read (or are this rule itself): add an inhibition by hand".into());
        return None;
    };
    // The labels every such storm's lead and secondary shared.
    let with_lead: Vec<_> = pairs
        .iter()
        .filter(|(l, _)| value(l, "alertname") == Some(lead))
        .collect();
    let mut equal: Vec<String> = with_lead[0]
        .0
        .iter()
        .map(|(k, _)| k.clone())
        .filter(|k| k != "alertname")
        .collect();
    equal.retain(|k| {
        with_lead
            .iter()
            .all(|(l, s)| value(l, k).is_some() && value(l, k) == value(s, k))
    });
    equal.sort();
    if equal.is_empty() {
        change.note = Some(format!(
            "its storms' usual lead, {lead}, shares no label with it: an inhibition would mute it everywhere; add one by hand"
        ));
        return None;
    }
    // An actionable page of this rule that fired while the lead did, with
    // the same values: the inhibition would have muted it.
    let lead_pages: Vec<(i64, Option<i64>, &[Pair])> = history
        .pages
        .list
        .iter()
        .filter_map(|q| {
            let l = row_labels(labels, q.row as usize);
            (value(l, "alertname") == Some(lead)).then(|| (q.triggered, q.resolved(), l))
        })
        .collect();
    let muted: Vec<&Page> = ps
        .iter()
        .copied()
        .filter(|p| {
            let l = row_labels(labels, p.row as usize);
            lead_pages.iter().any(|(t, r, ql)| {
                *t <= p.triggered
                    && r.is_none_or(|r| r > p.triggered)
                    && equal.iter().all(|k| value(ql, k) == value(l, k))
            })
        })
        .collect();
    let hidden = muted.iter().filter(|p| !p.noise()).count();
    if hidden > 0 && !allow_hiding {
        change.note = Some(format!(
            "{hidden} actionable page(s) fired while {lead} did: an inhibition would have muted them; not written (rerun with --allow-hiding to write it anyway)"
        ));
        return None;
    }
    let mut lines = vec![
        "source_matchers:".to_string(),
        matcher_item("alertname", lead),
    ];
    lines.push("target_matchers:".into());
    for (k, v) in routing_labels(def).iter().rev() {
        lines.push(matcher_item(k, v));
    }
    lines.push(format!("equal: [{}]", equal.join(", ")));
    let total = pairs.len();
    change.kind = "inhibit".into();
    change.inhibit = Some((lead.to_string(), equal.clone()));
    change.after = Some(format!(
        "inhibit_rules: {lead} mutes {} (equal: {})",
        def.alert,
        equal.join(", ")
    ));
    change.change = format!(
        "mute {} while {lead} fires with the same {}: {lead} led {n} of the {total} storms it paged in as a secondary",
        def.alert,
        equal.join(", ")
    );
    if n < total {
        change.note = Some(format!(
            "{} of its storm pages had another lead: this inhibition covers the rest only",
            total - n
        ));
    }
    Some((lines, muted))
}

/// What [`mute_recurring`] reads.
#[derive(Clone, Copy)]
pub(super) struct Recurring<'a> {
    pub(super) am: Option<&'a AmConfig>,
    pub(super) config: &'a Config,
    pub(super) options: Options,
}

/// `HH:MM` of a minute of the day (1440 is `24:00`).
fn hhmm(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Recurring at one local time: a `time_intervals` entry around it (every
/// recurring page of the rule from its firing to its end, in whole five
/// minutes, in the team's zone) and a route for the rule that mutes it
/// then. Returns the interval's and the route's lines.
pub(super) fn mute_recurring<'p>(
    change: &mut Change,
    def: &RuleDef,
    ps: &[&'p Page],
    pages: &Pages,
    ctx: Recurring<'_>,
    clock: &mut LocalClock,
) -> Option<(Vec<String>, Vec<String>, Vec<&'p Page>)> {
    let Some(am) = ctx.am else {
        change.note = Some(
            "no Alertmanager configuration given (--alertmanager): add the mute by hand".into(),
        );
        return None;
    };
    let recurring = crate::reasons::bit("RECURRING");
    let tz = ctx
        .config
        .team_timezone(ps.first().and_then(|p| pages.name(p.team)));
    let minute =
        |t: i64, clock: &mut LocalClock| clock.day_minute(t, tz).map(|(_, m)| i64::from(m));
    let mut starts: Vec<(i64, i64)> = ps
        .iter()
        .filter(|p| p.reasons & recurring != 0)
        .filter_map(|p| {
            let m = minute(p.triggered, clock)?;
            let dur = p.resolved().map_or(0, |r| (r - p.triggered) / 60_000_000);
            Some((m, dur))
        })
        .collect();
    starts.sort_unstable();
    let median = starts.get(starts.len() / 2)?.0;
    let tolerance = (ctx.config.classify.recurring_tolerance.as_secs() / 60) as i64;
    // Each recurring page near the usual time: its start and end as
    // minutes from the usual time.
    let near: Vec<(i64, i64)> = starts
        .iter()
        .map(|&(m, d)| {
            let delta = (m - median + 720).rem_euclid(1440) - 720;
            (delta, delta + d)
        })
        .filter(|(d, _)| d.abs() <= tolerance)
        .collect();
    let lo = near.iter().map(|x| x.0).min()?;
    let hi = near.iter().map(|x| x.1).max()?;
    let (from, to) = (
        (median + lo).div_euclid(5) * 5,
        (median + hi + 1 + 4).div_euclid(5) * 5,
    );
    if to - from > 12 * 60 {
        change.note = Some("its recurring pages last too long for a mute window: fix the job, or add a window by hand".into());
        return None;
    }
    // The window in the day (two ranges when it crosses midnight).
    let (from, to) = (from.rem_euclid(1440), to.rem_euclid(1440));
    let ranges: Vec<(i64, i64)> = if from < to {
        vec![(from, to)]
    } else if to == 0 {
        vec![(from, 1440)]
    } else {
        vec![(from, 1440), (0, to)]
    };
    let inside = |t: i64, clock: &mut LocalClock| {
        minute(t, clock).is_some_and(|m| ranges.iter().any(|&(a, b)| m >= a && m < b))
    };
    // A page that fired and ended inside the window never notifies (one
    // still firing when the window closes notifies then).
    let muted: Vec<&Page> = ps
        .iter()
        .copied()
        .filter(|p| {
            inside(p.triggered, clock)
                && p.resolved()
                    .is_some_and(|r| r - p.triggered < 12 * 3_600_000_000 && inside(r, clock))
        })
        .collect();
    // An actionable page inside the window would not have paged.
    let hidden = ps
        .iter()
        .filter(|p| !p.noise())
        .filter(|p| inside(p.triggered, clock))
        .count();
    if hidden > 0 && !ctx.options.allow_hiding {
        change.note = Some(format!(
            "{hidden} actionable page(s) fired inside {}: not written (rerun with --allow-hiding to write it anyway)",
            ranges.iter().map(|&(a, b)| format!("{}–{}", hhmm(a), hhmm(b))).collect::<Vec<_>>().join(" and ")
        ));
        return None;
    }
    let labels = routing_labels(def);
    let receivers = am.receivers_of(&labels);
    let [receiver] = receivers.as_slice() else {
        change.note = Some(format!(
            "it reaches {} receivers ({}): add the mute to their routes by hand",
            receivers.len(),
            receivers.join(", ")
        ));
        return None;
    };
    let name: String = format!("alertsift-mute-{}", def.alert)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut interval = vec![
        format!("name: {name}"),
        "time_intervals:".into(),
        "  - times:".into(),
    ];
    for (a, b) in &ranges {
        interval.push(format!("      - start_time: \"{}\"", hhmm(*a)));
        interval.push(format!("        end_time: \"{}\"", hhmm(*b)));
    }
    interval.push(format!("    location: {}", edit::quoted(tz.name())));
    let mut route = vec![
        format!("receiver: {}", edit::quoted(receiver)),
        "matchers:".into(),
    ];
    for (k, v) in labels.iter().rev() {
        route.push(matcher_item(k, v));
    }
    // It stands first among the top route's children: the grouping the
    // rule had deeper in the tree comes with it.
    route.extend(inherited_grouping(&am.route, &labels));
    route.push("mute_time_intervals:".into());
    route.push(format!("  - {name}"));
    let window = ranges
        .iter()
        .map(|&(a, b)| format!("{}–{}", hhmm(a), hhmm(b)))
        .collect::<Vec<_>>()
        .join(" and ");
    change.kind = "mute".into();
    change.mute = Some((
        ranges.iter().map(|&(a, b)| (hhmm(a), hhmm(b))).collect(),
        tz.name().to_string(),
    ));
    change.after = Some(format!("{name}: {window} {}", tz.name()));
    change.change = format!(
        "mute {} to {receiver} every day {window} ({}): {} of its pages fired within {} min of {} and ended inside that window; a route of its own with `mute_time_intervals`",
        def.alert,
        tz.name(),
        near.len(),
        tolerance,
        hhmm(median)
    );
    Some((interval, route, muted))
}

/// The grouping keys (`group_by`, `group_wait`, `group_interval`,
/// `repeat_interval`) that the routes below the top one, on the path an
/// alert with `labels` takes, set for it (the deepest setting wins), as
/// `key: value` lines.
fn inherited_grouping(
    top: &super::alertmanager::Route,
    labels: &[(String, String)],
) -> Vec<String> {
    const KEYS: [&str; 4] = [
        "group_by",
        "group_wait",
        "group_interval",
        "repeat_interval",
    ];
    let mut found: Vec<(usize, String)> = Vec::new();
    let mut at = top;
    while let Some(child) = at
        .routes
        .iter()
        .find(|c| c.matchers.iter().all(|m| m.matches(labels)))
    {
        for (k, key) in KEYS.iter().enumerate() {
            let Some(v) = child.node.get(key) else {
                continue;
            };
            let text = match v.str() {
                Some(t) => t.to_string(),
                None => format!(
                    "[{}]",
                    v.items()
                        .iter()
                        .filter_map(|i| i.str())
                        .map(|i| if i == "..." {
                            "'...'".to_string()
                        } else {
                            i.to_string()
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            found.retain(|(f, _)| *f != k);
            found.push((k, text));
        }
        at = child;
    }
    found.sort();
    found
        .into_iter()
        .map(|(k, v)| format!("{}: {v}", KEYS[k]))
        .collect()
}

/// Duplicates: the label(s) that tell a copy from the alert it
/// duplicates, and the change that folds them (in Prometheus' own
/// configuration, which `fix` does not read).
pub(super) fn dedup_advice(
    change: &mut Change,
    ps: &[&Page],
    labels: &[Labels],
) -> Option<Vec<String>> {
    let dup = crate::reasons::bit("DUPLICATE");
    let mut sorted: Vec<&Page> = ps.to_vec();
    sorted.sort_by_key(|p| p.triggered);
    let mut differing: HashMap<Vec<String>, usize> = HashMap::new();
    let mut pairs = 0;
    for (i, p) in sorted.iter().enumerate() {
        if p.reasons & dup == 0 {
            continue;
        }
        // The latest earlier page still open when this one fired.
        let Some(q) = sorted[..i]
            .iter()
            .rev()
            .take(64)
            .find(|q| q.resolved().is_none_or(|r| r > p.triggered))
        else {
            continue;
        };
        let (a, b) = (
            row_labels(labels, p.row as usize),
            row_labels(labels, q.row as usize),
        );
        let mut keys: Vec<String> = a
            .iter()
            .filter(|(k, v)| b.iter().find(|(k2, _)| k2 == k).map(|(_, v2)| v2) != Some(v))
            .map(|(k, _)| k.clone())
            .chain(
                b.iter()
                    .filter(|(k, _)| !a.iter().any(|(k2, _)| k2 == k))
                    .map(|(k, _)| k.clone()),
            )
            .collect();
        keys.sort();
        keys.dedup();
        pairs += 1;
        *differing.entry(keys).or_default() += 1;
    }
    let Some((keys, n)) = differing
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
    else {
        change.note = Some(
            "not written as a patch: make this change by hand (fix.md gives the evidence)".into(),
        );
        return None;
    };
    let name_ok = |k: &String| {
        k.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && k != "alertname"
    };
    if keys.is_empty() || keys.len() > 2 || 2 * n < pairs || !keys.iter().all(name_ok) {
        change.note = Some(format!(
            "its copies differ in no one label ({pairs} copies looked at): fold them by hand (a dedup key, or `group_by` without the labels that differ)"
        ));
        return None;
    }
    change.change = format!(
        "{n} of its {pairs} copies differ from the alert they duplicate only in `{}` (HA Prometheus replicas, say): clear it on this rule's alerts before they leave Prometheus (`alert_relabel_configs` in prometheus.yml), so Alertmanager sees one alert",
        keys.join("`, `"),
    );
    Some(keys)
}

/// The `alert_relabel_configs` entries that clear each label of `drops`
/// (label → the rules whose copies differ in it) on those rules' alerts
/// only: a `replace` with an empty replacement removes a label.
pub(super) fn relabel_items(
    drops: &std::collections::BTreeMap<String, Vec<String>>,
) -> Vec<Vec<String>> {
    drops
        .iter()
        .map(|(label, rules)| {
            let alternatives: Vec<String> = rules.iter().map(|r| regex::escape(r)).collect();
            vec![
                "source_labels: [alertname]".to_string(),
                format!("regex: {}", edit::quoted(&alternatives.join("|"))),
                format!("target_label: {label}"),
                "replacement: \"\"".to_string(),
            ]
        })
        .collect()
}

/// Take a never-actionable rule off the pager: its `severity` label set to
/// a value the route tree sends to a receiver that does not page, else a
/// route for it at the top of the tree.
pub(super) fn route_away(
    change: &mut Change,
    file: &YamlFile,
    def: &RuleDef,
    am: Option<&AmConfig>,
    am_index: usize,
    config: &Config,
) -> Vec<Edit> {
    let Some(am) = am else {
        change.note = Some("no Alertmanager configuration given (--alertmanager): route it away or delete it by hand".into());
        return Vec::new();
    };
    let Some(paging) = config.paging.alertmanager_receivers.as_ref() else {
        change.note = Some("which receivers page is not configured ([paging] alertmanager_receivers): route it away or delete it by hand".into());
        return Vec::new();
    };
    let pages_via =
        |labels: &[(String, String)]| am.receivers_of(labels).iter().any(|r| paging.contains(r));
    let labels = routing_labels(def);
    if !pages_via(&labels) {
        change.note = Some(format!(
            "this configuration already routes it to {} (not a paging receiver): the history predates it",
            am.receivers_of(&labels).join(", ")
        ));
        return Vec::new();
    }
    // Severity values the tree routes on.
    let mut candidates: Vec<String> = Vec::new();
    collect_severities(&am.route, &mut candidates);
    let current = rules::label(def, "severity").map(str::to_string);
    for value in candidates {
        let mut l = labels.clone();
        l.retain(|(k, _)| k != "severity");
        l.push(("severity".into(), value.clone()));
        if pages_via(&l) {
            continue;
        }
        let receivers = am.receivers_of(&l).join(", ");
        let labels_node = def.node.get("labels");
        let edit = match labels_node.and_then(|n| n.get("severity")) {
            Some(v) => Some(edit::replace_scalar(def.file, v, &value)),
            None => labels_node.and_then(|n| {
                edit::add_entry(def.file, &file.text, n, "severity", &value, &[], &[])
                    .or_else(|| first_entry_edit(def.file, &file.text, n, "severity", &value))
            }),
        };
        let Some(edit) = edit else { continue };
        change.kind = "route".into();
        change.before = current.clone().map(|c| format!("severity: {c}"));
        change.after = Some(format!("severity: {value}"));
        change.change = format!(
            "route {} to {receivers} (not a pager): its `severity` label {} → {value}; it never led to work in the history",
            def.alert,
            current.as_deref().unwrap_or("unset"),
        );
        return vec![edit];
    }
    // A route of its own, first among the top route's children.
    let quiet = am.receivers.iter().find(|r| !paging.contains(r));
    let routes = am.route.node.get("routes");
    match (quiet, routes.and_then(|r| r.items().first())) {
        (Some(quiet), Some(first)) if first.is_block_map() => {
            let col = first.col;
            let dash = " ".repeat(col.saturating_sub(2));
            let pad = " ".repeat(col);
            let at = edit::line_start(&am.file.text, first.start);
            change.kind = "route".into();
            change.after = Some(format!("route alertname=\"{}\" → {quiet}", def.alert));
            change.change = format!(
                "route {} to {quiet} (not a pager) with a route of its own; it never led to work in the history",
                def.alert
            );
            vec![Edit {
                file: am_index,
                start: at,
                end: at,
                text: format!(
                    "{dash}- receiver: {quiet}\n{pad}matchers:\n{pad}  - alertname={}\n",
                    edit::quoted(&def.alert)
                ),
            }]
        }
        _ => {
            change.note = Some("no severity value or route the configuration offers takes it off the pager: route it away or delete it by hand".into());
            Vec::new()
        }
    }
}

/// A label added as the first entry of a one-entry-per-line mapping.
fn first_entry_edit(
    file: usize,
    text: &str,
    map: &super::yaml::Node,
    key: &str,
    value: &str,
) -> Option<Edit> {
    let (k, _) = map.entries().first()?;
    let at = edit::line_start(text, k.start);
    Some(Edit {
        file,
        start: at,
        end: at,
        text: format!("{}{key}: {value}\n", " ".repeat(k.col)),
    })
}

/// The `severity` values the route tree matches on (`=`, and the
/// alternatives of a simple `=~`), in tree order.
fn collect_severities(route: &super::alertmanager::Route, out: &mut Vec<String>) {
    for child in &route.routes {
        for m in child.matchers.iter().filter(|m| m.name == "severity") {
            let values: Vec<String> = match m.op {
                Op::Eq => vec![m.value.clone()],
                Op::Re => m
                    .value
                    .split('|')
                    .map(|v| {
                        v.trim_matches(|c| c == '(' || c == ')' || c == '^' || c == '$')
                            .to_string()
                    })
                    .filter(|v| {
                        !v.is_empty()
                            && v.chars()
                                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for v in values {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        collect_severities(child, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_top_route_keeps_the_grouping_the_rule_had_deeper() {
        let text = "route:\n  receiver: pager\n  group_by: [alertname]\n  routes:\n    - matchers: ['team=\"web\"']\n      group_by: [alertname, instance]\n      group_wait: 10s\n      routes:\n        - matchers: ['severity=\"warning\"']\n          repeat_interval: 1h\n          group_wait: 20s\n    - matchers: ['team=\"db\"']\n      group_interval: 9m\nreceivers:\n  - name: pager\n";
        let am = AmConfig::of(YamlFile {
            path: "am.yml".into(),
            text: text.into(),
            docs: super::super::yaml::parse(text).unwrap(),
        })
        .unwrap();
        let l = |pairs: &[(&str, &str)]| -> Labels {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            inherited_grouping(&am.route, &l(&[("team", "web"), ("severity", "warning")])),
            [
                "group_by: [alertname, instance]",
                "group_wait: 20s",
                "repeat_interval: 1h"
            ]
        );
        assert_eq!(
            inherited_grouping(&am.route, &l(&[("team", "db")])),
            ["group_interval: 9m"]
        );
        // Only the top route: nothing to carry (the new route inherits it).
        assert!(inherited_grouping(&am.route, &l(&[("team", "ops")])).is_empty());
    }
}
