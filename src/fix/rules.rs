//! Prometheus rule files as `fix` reads them: `groups[].rules[]`, the same
//! groups inside a Kubernetes `PrometheusRule` (`spec.groups`, as
//! kube-prometheus and most Helm charts ship them, one or several per file
//! or in a `List`), and directories of either.

use std::path::{Path, PathBuf};

use super::yaml::{self, Node};
use crate::error::Error;

/// A YAML file read whole, with its documents.
#[derive(Debug, Clone)]
pub struct YamlFile {
    /// As given (or found under a given directory).
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// Its documents.
    pub docs: Vec<Node>,
}

impl YamlFile {
    /// Read and parse `path`.
    pub fn read(path: &Path) -> Result<YamlFile, Error> {
        let bad = |message: String| Error::Input {
            path: path.to_path_buf(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            bad(format!(
                "not UTF-8 text (byte {}): YAML files are UTF-8",
                e.utf8_error().valid_up_to()
            ))
        })?;
        let docs = yaml::parse(&text).map_err(|e| bad(format!("not valid YAML: {e}")))?;
        Ok(YamlFile {
            path: path.to_path_buf(),
            text,
            docs,
        })
    }
}

/// One alerting rule as defined in a file.
#[derive(Debug, Clone)]
pub struct RuleDef {
    /// Which file (an index into the files read).
    pub file: usize,
    /// Its group.
    pub group: String,
    /// Its name (`alert`).
    pub alert: String,
    /// Its `expr`.
    pub expr: String,
    /// Its `for`, as written.
    pub for_: Option<String>,
    /// Its `keep_firing_for`, as written.
    pub keep_firing_for: Option<String>,
    /// Its labels (scalar values only), in file order.
    pub labels: Vec<(String, String)>,
    /// Its annotations (scalar values only), in file order.
    pub annotations: Vec<(String, String)>,
    /// The rule's mapping.
    pub node: Node,
}

/// The YAML files of `paths`: files as given, directories searched for
/// `*.yml`/`*.yaml` (sorted, recursively).
pub fn files_of(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            if found.is_empty() {
                return Err(Error::Input {
                    path: p.clone(),
                    message: "a directory with no .yml or .yaml file in it".into(),
                });
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Input {
        path: dir.to_path_buf(),
        message: format!("cannot list it: {e}"),
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The rule groups of one document: top-level `groups`, a
/// `PrometheusRule`'s `spec.groups`, or those of a `List`'s items.
fn groups_of(doc: &Node) -> Vec<&Node> {
    if let Some(g) = doc.get("groups") {
        return g.items().iter().collect();
    }
    if doc.get("kind").and_then(Node::str) == Some("PrometheusRule") {
        return doc
            .get("spec")
            .and_then(|s| s.get("groups"))
            .map(|g| g.items().iter().collect())
            .unwrap_or_default();
    }
    doc.get("items")
        .map(|items| items.items().iter().flat_map(groups_of).collect())
        .unwrap_or_default()
}

/// Whether a document says it is something `fix` reads elsewhere or not at
/// all (an Alertmanager configuration given as a rule file).
fn looks_like_alertmanager(doc: &Node) -> bool {
    doc.get("route").is_some() && doc.get("receivers").is_some()
}

/// The alerting rules of `file` (recording rules are skipped: they never
/// page). A file with no rule group is an error that says what it looks
/// like.
pub fn rules_of(index: usize, file: &YamlFile) -> Result<Vec<RuleDef>, Error> {
    let bad = |message: String| Error::Input {
        path: file.path.clone(),
        message,
    };
    let groups: Vec<&Node> = file.docs.iter().flat_map(groups_of).collect();
    if groups.is_empty() {
        let why = if file.docs.iter().any(looks_like_alertmanager) {
            "an Alertmanager configuration, not a Prometheus rule file: give it with --alertmanager"
        } else if file.docs.is_empty() {
            "empty: no rule groups in it"
        } else {
            "no rule groups in it: expected `groups:` (a Prometheus rule file) or a PrometheusRule resource (`spec.groups`)"
        };
        return Err(bad(why.into()));
    }
    let mut out = Vec::new();
    for g in groups {
        let group = g.get("name").and_then(Node::str).unwrap_or("").to_string();
        for r in g.get("rules").map(Node::items).unwrap_or_default() {
            let Some(alert) = r.get("alert").and_then(Node::str) else {
                continue;
            };
            let text = |k: &str| r.get(k).and_then(Node::str).map(str::to_string);
            let pairs = |key: &str| {
                r.get(key)
                    .map(|l| {
                        l.entries()
                            .iter()
                            .filter_map(|(k, v)| Some((k.str()?.to_string(), v.str()?.to_string())))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (labels, annotations) = (pairs("labels"), pairs("annotations"));
            out.push(RuleDef {
                file: index,
                group: group.clone(),
                alert: alert.to_string(),
                expr: text("expr").unwrap_or_default(),
                for_: text("for"),
                keep_firing_for: text("keep_firing_for"),
                labels,
                annotations,
                node: r.clone(),
            });
        }
    }
    Ok(out)
}

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
