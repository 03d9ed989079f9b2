//! Which change each rule's history supports: rule by rule (the
//! Alertmanager `alertname` and the rule's labels), the recommendation
//! worked out on that rule's own pages, written as edits to its definition
//! or to the Alertmanager configuration's routes.

use serde::Serialize;

use std::collections::HashMap;

use super::alertmanager::{AmConfig, Op};
use super::amedit::{self, AmAdds};
use super::edit::{self, Edit};
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
    /// What kind: `for`, `keep_firing_for`, `route`, `inhibit`, `mute` or
    /// `advice`.
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
fn label_pairs(json: &str) -> Vec<(String, String)> {
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
fn routing_labels(def: &RuleDef) -> Vec<(String, String)> {
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
/// Alertmanager configuration's index is `files.len()`.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    history: History<'_>,
    files: &[YamlFile],
    defs: &[RuleDef],
    am: Option<&AmConfig>,
    config: &Config,
    period: (i64, i64),
    options: Options,
) -> Plan {
    let pages = history.pages;
    let (since, until) = period;
    let weeks = ((until - since) as f64 / (7.0 * 86_400e6)).max(1.0 / 7.0);
    let mut plan = Plan::default();
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
        let labels = history
            .labels
            .get(row)
            .and_then(|l| l.as_deref())
            .map(label_pairs)
            .unwrap_or_default();
        let name = labels
            .iter()
            .find(|(k, _)| k == "alertname")
            .map_or("(no alertname)", |(_, v)| v.as_str());
        let found: Vec<usize> = defs
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                d.alert == name
                    && routing_labels(d)
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
                        title.is_some_and(|t| {
                            ["summary", "title", "message", "description"]
                                .iter()
                                .find_map(|k| defs[i].annotations.iter().find(|(a, _)| a == k))
                                .is_some_and(|(_, tmpl)| rules::fits_template(tmpl, t))
                        })
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
        let edits = match &policy {
            Policy::For { delay, .. } => timing_change(
                &mut change,
                file,
                def,
                "for",
                delay.as_secs(),
                ps,
                history,
                config,
            ),
            Policy::KeepFiringFor(d) => timing_change(
                &mut change,
                file,
                def,
                "keep_firing_for",
                d.as_secs(),
                ps,
                history,
                config,
            ),
            _ if change.evidence.actionable_hidden > 0 && !options.allow_hiding => {
                change.note = Some(format!(
                    "it would hide {} actionable page(s) of the history: not written (rerun with --allow-hiding to write it anyway)",
                    change.evidence.actionable_hidden
                ));
                Vec::new()
            }
            Policy::Ticket { .. } => route_away(&mut change, file, def, am, files.len(), config),
            Policy::InhibitSecondaries => {
                if let Some((lines, muted)) = inhibit_storm(
                    &mut change,
                    def,
                    ps,
                    history,
                    &ids,
                    am,
                    options.allow_hiding,
                ) {
                    restate(
                        &mut change.evidence,
                        &muted,
                        pages,
                        config,
                        weeks,
                        &mut clock,
                    );
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
                if let Some((interval, route, muted)) =
                    mute_recurring(&mut change, def, ps, pages, ctx, &mut clock)
                {
                    restate(
                        &mut change.evidence,
                        &muted,
                        pages,
                        config,
                        weeks,
                        &mut clock,
                    );
                    adds.push((changes.len(), Section::Intervals, interval));
                    adds.push((changes.len(), Section::Routes, route));
                }
                Vec::new()
            }
            Policy::Dedup => {
                dedup_advice(&mut change, ps, history);
                Vec::new()
            }
            _ => {
                change.note = Some(
                    "not written as a patch: make this change by hand (fix.md gives the evidence)"
                        .into(),
                );
                Vec::new()
            }
        };
        change.written = !edits.is_empty();
        changes.push((change.evidence.toil_hours, change, edits));
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
        // A rule whose route could not be written has no use for its
        // interval: both stand or fall together.
        let fell: Vec<usize> = changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.1.kind == "mute" && !c.1.written)
            .map(|(i, _)| i)
            .collect();
        if fell.is_empty() || failed.is_empty() {
            plan.edits.extend(edits);
        } else {
            for i in fell {
                changes[i].1.written = false;
            }
            // Some sections failed: write none of them (a half-applied
            // mute would reference a missing interval).
            for (i, _, _) in &adds {
                if changes[*i].1.written {
                    changes[*i].1.written = false;
                    changes[*i].1.note = Some("another change to the configuration could not be written, and this one goes with it: make it by hand".into());
                }
            }
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
    change.replay = replay_pages(ps, history, key, window, config);
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
    key: &str,
    secs: u64,
    config: &Config,
) -> Vec<ReplayPage> {
    let pages = history.pages;
    let series = |p: &Page| {
        let mut l = history
            .labels
            .get(p.row as usize)
            .and_then(|l| l.as_deref())
            .map(label_pairs)
            .unwrap_or_default();
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

/// A section of the Alertmanager configuration a change adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Routes,
    Inhibit,
    Intervals,
}

impl Section {
    fn key(self) -> &'static str {
        match self {
            Section::Routes => "routes",
            Section::Inhibit => "inhibit_rules",
            Section::Intervals => "time_intervals",
        }
    }
}

/// A matcher as a YAML list item's text (single-quoted: label values may
/// hold `: ` or `#`).
fn matcher_item(name: &str, value: &str) -> String {
    format!("  - '{name}={}'", edit::quoted(value).replace('\'', "''"))
}

/// A label set, as pairs.
type Labels = Vec<(String, String)>;

/// A label set of a row, as pairs.
fn row_labels(history: History<'_>, row: usize) -> Vec<(String, String)> {
    history
        .labels
        .get(row)
        .and_then(|l| l.as_deref())
        .map(label_pairs)
        .unwrap_or_default()
}

/// Storm secondaries: an `inhibit_rules` entry that mutes this rule while
/// the storms' usual lead fires with the same values of the labels they
/// always shared. Returns the entry's lines.
fn inhibit_storm<'p>(
    change: &mut Change,
    def: &RuleDef,
    ps: &[&'p Page],
    history: History<'_>,
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
    let mut pairs: Vec<(Labels, Labels)> = Vec::new();
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
        pairs.push((row_labels(history, lead), row_labels(history, row)));
    }
    let name_of = |l: &[(String, String)]| {
        l.iter()
            .find(|(k, _)| k == "alertname")
            .map(|(_, v)| v.clone())
    };
    let mut leads: HashMap<String, usize> = HashMap::new();
    for (lead, _) in &pairs {
        if let Some(n) = name_of(lead).filter(|n| *n != def.alert) {
            *leads.entry(n).or_default() += 1;
        }
    }
    let Some((lead, n)) = leads
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
    else {
        change.note = Some("its storms' leads are not among the pages read (or are this rule itself): add an inhibition by hand".into());
        return None;
    };
    // The labels every such storm's lead and secondary shared.
    let with_lead: Vec<_> = pairs
        .iter()
        .filter(|(l, _)| name_of(l).as_deref() == Some(lead.as_str()))
        .collect();
    let mut equal: Vec<String> = with_lead[0]
        .0
        .iter()
        .map(|(k, _)| k.clone())
        .filter(|k| k != "alertname")
        .collect();
    equal.retain(|k| {
        with_lead.iter().all(|(l, s)| {
            let v =
                |x: &Vec<(String, String)>| x.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
            v(l).is_some() && v(l) == v(s)
        })
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
    let value =
        |l: &[(String, String)], k: &str| l.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    let lead_pages: Vec<(i64, Option<i64>, Labels)> = history
        .pages
        .list
        .iter()
        .filter_map(|q| {
            let l = row_labels(history, q.row as usize);
            (value(&l, "alertname").as_deref() == Some(lead.as_str()))
                .then(|| (q.triggered, q.resolved(), l))
        })
        .collect();
    let muted: Vec<&Page> = ps
        .iter()
        .copied()
        .filter(|p| {
            let l = row_labels(history, p.row as usize);
            lead_pages.iter().any(|(t, r, ql)| {
                *t <= p.triggered
                    && r.is_none_or(|r| r > p.triggered)
                    && equal.iter().all(|k| value(ql, k) == value(&l, k))
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
        matcher_item("alertname", &lead),
    ];
    lines.push("target_matchers:".into());
    for (k, v) in routing_labels(def).iter().rev() {
        lines.push(matcher_item(k, v));
    }
    lines.push(format!("equal: [{}]", equal.join(", ")));
    let total = pairs.len();
    change.kind = "inhibit".into();
    change.inhibit = Some((lead.clone(), equal.clone()));
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
struct Recurring<'a> {
    am: Option<&'a AmConfig>,
    config: &'a Config,
    options: Options,
}

/// `HH:MM` of a minute of the day (1440 is `24:00`).
fn hhmm(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Recurring at one local time: a `time_intervals` entry around it (every
/// recurring page of the rule from its firing to its end, in whole five
/// minutes, in the team's zone) and a route for the rule that mutes it
/// then. Returns the interval's and the route's lines.
fn mute_recurring<'p>(
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

/// Duplicates: the label(s) that tell a copy from the alert it
/// duplicates, and the change that folds them (in Prometheus' own
/// configuration, which `fix` does not read).
fn dedup_advice(change: &mut Change, ps: &[&Page], history: History<'_>) {
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
            row_labels(history, p.row as usize),
            row_labels(history, q.row as usize),
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
        return;
    };
    if keys.is_empty() || keys.len() > 2 || 2 * n < pairs {
        change.note = Some(format!(
            "its copies differ in no one label ({pairs} copies looked at): fold them by hand (a dedup key, or `group_by` without the labels that differ)"
        ));
        return;
    }
    let regex = keys.join("|");
    change.change = format!(
        "{n} of its {pairs} copies differ from the alert they duplicate only in `{}` (HA Prometheus replicas, say): drop it before alerts leave Prometheus, in prometheus.yml `alerting: {{alert_relabel_configs: [{{action: labeldrop, regex: {regex}}}]}}`, so Alertmanager sees one alert",
        keys.join("`, `"),
    );
    change.note =
        Some("prometheus.yml is not among the files fix reads: make this change there".into());
}

/// Take a never-actionable rule off the pager: its `severity` label set to
/// a value the route tree sends to a receiver that does not page, else a
/// route for it at the top of the tree.
fn route_away(
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
