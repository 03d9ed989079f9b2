//! What `fix` does with rule files beyond reading them (that is
//! [`crate::rule_files`]): a Prometheus configuration told from them,
//! promtool's view of a rule, label lookups and title patterns.

use super::yaml::{self, Node};
use crate::error::Error;
pub use crate::rule_files::{files_of, rules_of, RuleDef, YamlFile};

/// `file` as a Prometheus configuration (`prometheus.yml`): refused, with
/// what it is instead, when it is a rule file or an Alertmanager
/// configuration.
pub fn prometheus_config(file: YamlFile) -> Result<YamlFile, Error> {
    let bad = |message: &str| Error::Input {
        path: file.path.clone(),
        message: message.into(),
    };
    let Some(root) = file.docs.first() else {
        return Err(bad("empty: expected a Prometheus configuration"));
    };
    if root.get("groups").is_some() || root.get("spec").is_some() {
        return Err(bad(
            "a Prometheus rule file, not its configuration: give it with --rules",
        ));
    }
    if root.get("route").is_some() || root.get("receivers").is_some() {
        return Err(bad(
            "an Alertmanager configuration: give it with --alertmanager",
        ));
    }
    let known = [
        "global",
        "scrape_configs",
        "rule_files",
        "alerting",
        "remote_write",
    ];
    if !root.is_map() || !known.iter().any(|k| root.get(k).is_some()) {
        return Err(bad("not a Prometheus configuration (no `global`, `scrape_configs`, `rule_files` or `alerting`)"));
    }
    Ok(file)
}

/// `text` (a rule file, patched or not) as `promtool check rules` reads
/// it: itself when it has top-level `groups`, else one plain rule file per
/// `PrometheusRule` resource in it (its `spec.groups` lines as written, so
/// line numbers in promtool's messages are off but the rules are the same).
pub fn promtool_view(text: &str) -> Vec<String> {
    let Ok(docs) = yaml::parse(text) else {
        return vec![text.to_string()];
    };
    if docs.iter().any(|d| d.get("groups").is_some()) || docs.is_empty() {
        return vec![text.to_string()];
    }
    fn resources<'a>(doc: &'a Node, out: &mut Vec<&'a Node>) {
        if doc.get("kind").and_then(Node::str) == Some("PrometheusRule") {
            if let Some(g) = doc.get("spec").and_then(|s| s.get("groups")) {
                out.push(g);
            }
        }
        for item in doc.get("items").map(Node::items).unwrap_or_default() {
            resources(item, out);
        }
    }
    let mut groups = Vec::new();
    for d in &docs {
        resources(d, &mut groups);
    }
    groups
        .into_iter()
        .map(|g| {
            let start = super::edit::line_start(text, g.start);
            let body = text[start..g.end.min(text.len())].trim_end();
            format!("groups:\n{body}\n")
        })
        .collect()
}

/// A rule's label.
pub fn label<'a>(rule: &'a RuleDef, key: &str) -> Option<&'a str> {
    rule.labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Whether `text` could have come from the template `template` (Go
/// template actions `{{ … }}` stand for any text, the rest is literal).
pub fn fits_template(template: &str, text: &str) -> bool {
    title_pattern(template).is_some_and(|re| re.is_match(text.trim()))
}

/// The pattern of the texts `template` can write (see [`fits_template`]).
pub fn title_pattern(template: &str) -> Option<regex::Regex> {
    let mut pattern = String::from("^");
    let mut rest = template.trim();
    while let Some(open) = rest.find("{{") {
        pattern.push_str(&regex::escape(&rest[..open]));
        pattern.push_str("(?s:.*?)");
        rest = match rest[open..].find("}}") {
            Some(close) => &rest[open + close + 2..],
            None => "",
        };
    }
    pattern.push_str(&regex::escape(rest));
    pattern.push('$');
    regex::Regex::new(&pattern).ok()
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_title_fits_the_annotation_that_wrote_it() {
        let t = "Disk on {{ $labels.instance }} will be full in {{ $value }} hours";
        assert!(fits_template(
            t,
            "Disk on db-1:9100 will be full in 3.5 hours"
        ));
        assert!(!fits_template(t, "Replication lag on db-1:9100 is 3m"));
        // Regex characters in the literal text are literal.
        assert!(fits_template("p99 (ms) > {{ $value }}", "p99 (ms) > 12"));
        assert!(!fits_template("p99 (ms) > {{ $value }}", "p99 ms > 12"));
        // An unclosed action matches the rest.
        assert!(fits_template("x {{ $value", "x anything"));
    }

    use super::*;

    fn file(text: &str) -> YamlFile {
        YamlFile {
            path: "r.yml".into(),
            text: text.into(),
            docs: yaml::parse(text).unwrap(),
        }
    }

    #[test]
    fn plain_files_and_prometheus_rule_resources() {
        let plain = file("groups:\n  - name: g\n    rules:\n      - record: x\n        expr: up\n      - alert: A\n        expr: up == 0\n        for: 1m\n        labels:\n          severity: page\n");
        let r = rules_of(0, &plain).unwrap();
        assert_eq!(r.len(), 1, "the recording rule is skipped");
        assert_eq!(
            (
                r[0].alert.as_str(),
                r[0].expr.as_str(),
                r[0].for_.as_deref()
            ),
            ("A", "up == 0", Some("1m"))
        );
        assert_eq!(label(&r[0], "severity"), Some("page"));
        let k8s = file("apiVersion: v1\nkind: ConfigMap\n---\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: x\nspec:\n  groups:\n  - name: g\n    rules:\n    - alert: B\n      expr: 'rate(x[5m]) > 1'\n");
        let r = rules_of(0, &k8s).unwrap();
        assert_eq!(
            (r[0].alert.as_str(), r[0].expr.as_str(), r[0].group.as_str()),
            ("B", "rate(x[5m]) > 1", "g")
        );
        let list = file("kind: List\nitems:\n- kind: PrometheusRule\n  spec:\n    groups:\n    - name: h\n      rules:\n      - alert: C\n        expr: up\n");
        assert_eq!(rules_of(0, &list).unwrap()[0].alert, "C");
    }

    #[test]
    fn other_files_say_what_they_are() {
        let am = file("route:\n  receiver: a\nreceivers:\n  - name: a\n");
        let e = rules_of(0, &am).unwrap_err().to_string();
        assert!(e.contains("--alertmanager"), "{e}");
        let e = rules_of(0, &file("a: 1\n")).unwrap_err().to_string();
        assert!(e.contains("no rule groups"), "{e}");
    }
}
