//! Prometheus rule files as `fix` and `run --rules` read them:
//! `groups[].rules[]`, the same groups inside a Kubernetes `PrometheusRule`
//! (`spec.groups`, as kube-prometheus and most Helm charts ship them, one
//! or several per file or in a `List`), and directories of either. Read
//! beside the configuration: definitions, not history.

use std::path::{Path, PathBuf};

use crate::core::yaml::{self, Node};
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
