//! What the demo's Alertmanager-paged teams would have in their
//! repositories: the Prometheus alerting rules that fired the history's
//! Alertmanager alerts ([`RULES_FILE`]) and the Alertmanager configuration
//! that routed them ([`ALERTMANAGER_CONFIG_FILE`]). Both are what
//! `promtool check rules` and `amtool check-config` accept, and they agree
//! with the webhooks written: each rule's `alert` name and labels
//! (`severity`, `team`, `service`) are the ones its alerts carry, its
//! `summary` renders its titles, and the route tree sends every alert to
//! the receiver its webhooks name (`pager`; `slack` for the rules that do
//! not page), grouped by `alertname` and re-sent every 4h as the webhooks
//! are. The rules' expressions are stand-ins (a metric per rule, named
//! after it): the history, not the expression, is what the demo knows.

use std::fmt::Write as _;

use super::{Gen, Pattern, Rule, Vendor};

/// The Prometheus rule file.
pub const RULES_FILE: &str = "prometheus-rules.yml";
/// The Alertmanager configuration.
pub const ALERTMANAGER_CONFIG_FILE: &str = "alertmanager.yml";

/// A rule's stand-in metric: `demo_` and its name in snake case
/// (`IngressDown` → `demo_ingress_down`).
pub fn metric(rule_name: &str) -> String {
    let mut m = String::from("demo_");
    for (i, c) in rule_name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                m.push('_');
            }
            m.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            m.push(c);
        } else {
            m.push('_');
        }
    }
    m
}

/// A title template's slots as Prometheus template text: entities are the
/// series' labels, measurements its value.
fn summary(title: &str) -> String {
    let mut out = String::new();
    let mut rest = title;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        out.push_str(match &rest[open + 1..close] {
            "host" => "{{ $labels.instance }}",
            "pod" => "{{ $labels.pod }}",
            "pct" => "{{ $value | humanize }}%",
            "ms" => "{{ $value | humanize }}ms",
            "dur" => "{{ $value | humanizeDuration }}",
            _ => "{{ $value }}",
        });
        rest = rest.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// A YAML double-quoted scalar.
fn quoted(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// How long a rule's condition holds before it fires: none for the kinds
/// whose noise a `for:` would remove (what `alertsift fix` is to find).
fn for_of(r: &Rule) -> Option<&'static str> {
    match r.pattern {
        Pattern::Transient | Pattern::Flapping => None,
        _ => Some("1m"),
    }
}

/// The Alertmanager-paged rules of the history, by team: `(team, rules)`.
fn alertmanager_rules<'a>(g: &'a Gen<'_>) -> Vec<(&'a str, Vec<&'a Rule>)> {
    g.teams
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            let rules = (0..t.rules.len())
                .filter(|&ri| g.vendor(ti, ri) == Vendor::Alertmanager)
                .map(|ri| &t.rules[ri])
                .collect::<Vec<_>>();
            (t.name, rules)
        })
        .filter(|(_, rules)| !rules.is_empty())
        .collect()
}

/// The rule file's text (`None`: no rule of the history goes through
/// Alertmanager).
pub fn rules_text(g: &Gen<'_>) -> Option<String> {
    let teams = alertmanager_rules(g);
    if teams.is_empty() {
        return None;
    }
    let mut s = String::from(
        "# Prometheus alerting rules behind the demo history's Alertmanager alerts\n\
         # (written by `alertsift demo`; the expressions are stand-ins).\n\
         groups:\n",
    );
    for (team, rules) in teams {
        let _ = writeln!(s, "  - name: {team}\n    rules:");
        for r in rules {
            let _ = writeln!(s, "      - alert: {}", g.alert_name(r));
            let _ = writeln!(
                s,
                "        expr: {}{{service=\"{}\"}} > 0",
                metric(r.name),
                r.service
            );
            if let Some(f) = for_of(r) {
                let _ = writeln!(s, "        for: {f}");
            }
            let _ = writeln!(
                s,
                "        labels:\n          severity: {}\n          team: {team}\n          service: {}",
                r.severity, r.service
            );
            let _ = writeln!(
                s,
                "        annotations:\n          summary: {}",
                quoted(&summary(r.title))
            );
        }
    }
    Some(s)
}

/// The Alertmanager configuration's text (`None` as for [`rules_text`]).
/// Rules that do not page go to `slack` by a route on their `severity`
/// (every such rule of the demo is `info`, every paging one is not).
pub fn alertmanager_text(g: &Gen<'_>) -> Option<String> {
    let teams = alertmanager_rules(g);
    if teams.is_empty() {
        return None;
    }
    let quiet: std::collections::BTreeSet<&str> = teams
        .iter()
        .flat_map(|(_, rules)| rules.iter())
        .filter(|r| r.pattern == Pattern::NonPaging)
        .map(|r| r.severity)
        .collect();
    let mut s = String::from(
        "# Alertmanager configuration behind the demo history's Alertmanager alerts\n\
         # (written by `alertsift demo`).\n\
         route:\n  receiver: pager\n  group_by: [alertname]\n  group_wait: 30s\n  group_interval: 5m\n  repeat_interval: 4h\n",
    );
    if !quiet.is_empty() {
        let severities: Vec<&str> = quiet.into_iter().collect();
        let _ = writeln!(
            s,
            "  routes:\n    - receiver: slack\n      matchers:\n        - severity=~\"{}\"",
            severities.join("|")
        );
    }
    s.push_str(
        "receivers:\n  - name: pager\n    webhook_configs:\n      - url: http://127.0.0.1:9099/pager\n  \
         - name: slack\n    webhook_configs:\n      - url: http://127.0.0.1:9099/slack\n",
    );
    Some(s)
}

/// Write both files into `out` (nothing when no rule goes through
/// Alertmanager).
pub fn write(out: &std::path::Path, g: &Gen<'_>) -> std::io::Result<()> {
    if let (Some(rules), Some(am)) = (rules_text(g), alertmanager_text(g)) {
        std::fs::write(out.join(RULES_FILE), rules)?;
        std::fs::write(out.join(ALERTMANAGER_CONFIG_FILE), am)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_and_summaries() {
        assert_eq!(metric("IngressDown"), "demo_ingress_down");
        assert_eq!(metric("GcPause"), "demo_gc_pause");
        assert_eq!(
            summary("High CPU on {host}: {pct}"),
            "High CPU on {{ $labels.instance }}: {{ $value | humanize }}%"
        );
        assert_eq!(summary("no slots"), "no slots");
        assert_eq!(quoted(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }
}
