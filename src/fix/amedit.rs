//! Additions to an Alertmanager configuration, each section written once
//! however many rules add to it: routes first among the top route's
//! children, `inhibit_rules` and `time_intervals` entries at the end of
//! their lists (or the list added at the end of the file). Items are given
//! as the lines of a mapping without indentation; each is indented to sit
//! where it goes, so the file's own layout is kept.

use super::alertmanager::AmConfig;
use super::edit::{line_start, Edit};
use super::rules::YamlFile;
use super::yaml::{Kind, Node};

/// What the rules add to the configuration.
#[derive(Debug, Default, Clone)]
pub struct AmAdds {
    /// Routes, first among the top route's children, in this order.
    pub routes: Vec<Vec<String>>,
    /// `inhibit_rules` entries.
    pub inhibit_rules: Vec<Vec<String>>,
    /// `time_intervals` entries.
    pub time_intervals: Vec<Vec<String>>,
}

/// A mapping's lines as a sequence item: the first after `lead` (the
/// dash and what follows it, as the list's first item has them), the
/// others at column `indent`.
fn item(lines: &[String], lead: &str, indent: usize) -> String {
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!("{lead}{l}\n"));
        } else {
            out.push_str(&format!("{}{l}\n", " ".repeat(indent)));
        }
    }
    out
}

/// How a block list's first item starts (`"  - "`, `"-   "`), and the
/// column of its content; `None` when the item does not start its line.
fn lead_of(text: &str, first: &Node) -> Option<(String, usize)> {
    let lead = &text[line_start(text, first.start)..first.start];
    (lead.trim() == "-").then(|| (lead.to_string(), first.col))
}

/// The lead and indentation of a new list's items at column `dash`.
fn fresh(dash: usize) -> (String, usize) {
    (format!("{}- ", " ".repeat(dash)), dash + 2)
}

/// Where a node's own text ends (a block collection's `end` is where the
/// next token starts, maybe lines later).
fn content_end(node: &Node) -> usize {
    match &node.kind {
        Kind::Map {
            entries,
            flow: false,
        } => entries.last().map_or(node.end, |(_, v)| content_end(v)),
        Kind::Seq { items, flow: false } => items.last().map_or(node.end, content_end),
        _ => node.end,
    }
}

/// The byte after the line that holds `byte` (the text's end if it has no
/// newline after it), and whether a newline must be written first.
fn after_line(text: &str, byte: usize) -> (usize, bool) {
    match text[byte.min(text.len())..].find('\n') {
        Some(i) => (byte + i + 1, false),
        None => (text.len(), true),
    }
}

/// The edits that make `adds` in `am` (file index `file`), or the sections
/// that could not be written (a flow-style `{…}` layout, say).
pub fn edits(am: &AmConfig, file: usize, adds: &AmAdds) -> (Vec<Edit>, Vec<&'static str>) {
    let text = &am.file.text;
    let mut out = Vec::new();
    let mut failed = Vec::new();
    if !adds.routes.is_empty() {
        match route_edit(am, file, &adds.routes) {
            Some(e) => out.push(e),
            None => failed.push("routes"),
        }
    }
    let root = am.file.docs.first();
    for (key, items) in [
        ("inhibit_rules", &adds.inhibit_rules),
        ("time_intervals", &adds.time_intervals),
    ] {
        if items.is_empty() {
            continue;
        }
        let edit = root.and_then(|root| section_edit(text, file, root, key, items));
        match edit {
            Some(e) => out.push(e),
            None => failed.push(key),
        }
    }
    (out, failed)
}

/// Routes first among the top route's children (a `routes:` list added
/// to the top route when it has none).
fn route_edit(am: &AmConfig, file: usize, routes: &[Vec<String>]) -> Option<Edit> {
    let text = &am.file.text;
    let top = &am.route.node;
    if !top.is_block_map() {
        return None;
    }
    match top.get("routes") {
        Some(list) => {
            let first = list.items().first()?;
            if !first.is_block_map() || matches!(list.kind, Kind::Seq { flow: true, .. }) {
                return None;
            }
            let (lead, indent) = lead_of(text, first)?;
            let at = line_start(text, first.start);
            Some(Edit {
                file,
                start: at,
                end: at,
                text: routes.iter().map(|r| item(r, &lead, indent)).collect(),
            })
        }
        None => {
            let indent = top.entries().first()?.0.col;
            let (at, newline) = after_line(text, content_end(top));
            let mut add = if newline {
                "\n".to_string()
            } else {
                String::new()
            };
            add.push_str(&format!("{}routes:\n", " ".repeat(indent)));
            let (lead, inner) = fresh(indent + 2);
            for r in routes {
                add.push_str(&item(r, &lead, inner));
            }
            Some(Edit {
                file,
                start: at,
                end: at,
                text: add,
            })
        }
    }
}

/// Entries at the end of `root`'s list `key`, or the list added to
/// `root` (a top-level one at the end of the file).
fn section_edit(
    text: &str,
    file: usize,
    root: &Node,
    key: &str,
    items: &[Vec<String>],
) -> Option<Edit> {
    if !root.is_block_map() {
        return None;
    }
    let empty = |k: &Node, list: &Node| {
        let mut add = String::from(":\n");
        let (lead, indent) = fresh(2);
        add.extend(items.iter().map(|i| item(i, &lead, indent)));
        Some(Edit {
            file,
            start: k.end,
            // Never past the key's line (a null's span may be lines on).
            end: list.end.clamp(
                k.end,
                text[k.end..].find('\n').map_or(text.len(), |i| k.end + i),
            ),
            text: add.trim_end_matches('\n').to_string(),
        })
    };
    match root.entry(key) {
        Some((k, list)) => match &list.kind {
            Kind::Seq {
                items: have,
                flow: false,
            } if !have.is_empty() => {
                let (lead, indent) = lead_of(text, &have[0])?;
                let (at, newline) = after_line(text, content_end(list));
                let mut add = if newline {
                    "\n".to_string()
                } else {
                    String::new()
                };
                add.extend(items.iter().map(|i| item(i, &lead, indent)));
                Some(Edit {
                    file,
                    start: at,
                    end: at,
                    text: add,
                })
            }
            // `key: []` or `key:` (null): the list written out in its place.
            Kind::Seq { items: have, .. } if have.is_empty() => empty(k, list),
            Kind::Scalar { value, .. } if value.is_empty() => empty(k, list),
            _ => None,
        },
        // A new key: at the end of the file (a top-level mapping), else
        // after the mapping's last line, in its indentation.
        None => {
            let indent = root.entries().first().map_or(0, |(k, _)| k.col);
            let (at, newline) = if indent == 0 {
                (text.len(), !text.is_empty() && !text.ends_with('\n'))
            } else {
                after_line(text, content_end(root))
            };
            let mut add = if newline {
                "\n".to_string()
            } else {
                String::new()
            };
            add.push_str(&format!("{}{key}:\n", " ".repeat(indent)));
            let (lead, inner) = fresh(indent + 2);
            add.extend(items.iter().map(|i| item(i, &lead, inner)));
            Some(Edit {
                file,
                start: at,
                end: at,
                text: add,
            })
        }
    }
}

/// `prometheus.yml`'s `alerting: alert_relabel_configs:` with `items`
/// added (the section, or `alerting` itself, added where missing).
pub fn relabel_edit(prom: &YamlFile, file: usize, items: &[Vec<String>]) -> Option<Edit> {
    let text = &prom.text;
    let root = prom.docs.first()?;
    if !root.is_block_map() {
        return None;
    }
    match root.get("alerting") {
        Some(alerting) if alerting.is_block_map() => {
            section_edit(text, file, alerting, "alert_relabel_configs", items)
        }
        Some(_) => None,
        None => {
            let mut add = String::new();
            if !text.is_empty() && !text.ends_with('\n') {
                add.push('\n');
            }
            add.push_str("alerting:\n  alert_relabel_configs:\n");
            let (lead, inner) = fresh(4);
            add.extend(items.iter().map(|i| item(i, &lead, inner)));
            Some(Edit {
                file,
                start: text.len(),
                end: text.len(),
                text: add,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::edit::apply;
    use super::*;

    fn am(text: &str) -> AmConfig {
        AmConfig::of(YamlFile {
            path: "am.yml".into(),
            text: text.to_string(),
            docs: super::super::yaml::parse(text).unwrap(),
        })
        .unwrap()
    }

    fn adds() -> AmAdds {
        AmAdds {
            routes: vec![vec![
                "receiver: pager".into(),
                "matchers:".into(),
                "  - alertname=\"Nightly\"".into(),
                "mute_time_intervals: [alertsift-Nightly]".into(),
            ]],
            inhibit_rules: vec![vec![
                "source_matchers: ['alertname=\"Down\"']".into(),
                "target_matchers: ['alertname=\"Slow\"']".into(),
                "equal: [service]".into(),
            ]],
            time_intervals: vec![vec![
                "name: alertsift-Nightly".into(),
                "time_intervals:".into(),
                "  - times: [{start_time: \"02:00\", end_time: \"03:00\"}]".into(),
            ]],
        }
    }

    #[test]
    fn sections_are_added_where_the_file_has_none() {
        let text = "route:\n  receiver: pager # the pager\nreceivers:\n  - name: pager\n";
        let c = am(text);
        let (e, failed) = edits(&c, 0, &adds());
        assert!(failed.is_empty());
        let new = apply(text, &e.iter().collect::<Vec<_>>());
        assert_eq!(
            new,
            "route:\n  receiver: pager # the pager\n  routes:\n    - receiver: pager\n      matchers:\n        - alertname=\"Nightly\"\n      mute_time_intervals: [alertsift-Nightly]\nreceivers:\n  - name: pager\ninhibit_rules:\n  - source_matchers: ['alertname=\"Down\"']\n    target_matchers: ['alertname=\"Slow\"']\n    equal: [service]\ntime_intervals:\n  - name: alertsift-Nightly\n    time_intervals:\n      - times: [{start_time: \"02:00\", end_time: \"03:00\"}]\n"
        );
    }

    #[test]
    fn sections_the_file_has_are_added_to_in_its_indentation() {
        let text = "route:\n    receiver: pager\n    routes:\n    -   receiver: pager\n        matchers: [x=\"1\"]\nreceivers:\n- name: pager\ninhibit_rules:\n- source_matchers: [a=\"1\"]\n  target_matchers:\n  - b=\"1\"\n# the end\ntime_intervals: []\n";
        let c = am(text);
        let (e, failed) = edits(&c, 0, &adds());
        assert!(failed.is_empty());
        let new = apply(text, &e.iter().collect::<Vec<_>>());
        assert_eq!(
            new,
            "route:\n    receiver: pager\n    routes:\n    -   receiver: pager\n        matchers:\n          - alertname=\"Nightly\"\n        mute_time_intervals: [alertsift-Nightly]\n    -   receiver: pager\n        matchers: [x=\"1\"]\nreceivers:\n- name: pager\ninhibit_rules:\n- source_matchers: [a=\"1\"]\n  target_matchers:\n  - b=\"1\"\n- source_matchers: ['alertname=\"Down\"']\n  target_matchers: ['alertname=\"Slow\"']\n  equal: [service]\n# the end\ntime_intervals:\n  - name: alertsift-Nightly\n    time_intervals:\n      - times: [{start_time: \"02:00\", end_time: \"03:00\"}]\n"
        );
    }

    #[test]
    fn relabel_entries_go_under_alerting() {
        let file = |text: &str| YamlFile {
            path: "prometheus.yml".into(),
            text: text.to_string(),
            docs: super::super::yaml::parse(text).unwrap(),
        };
        let items = vec![vec![
            "target_label: replica".to_string(),
            "replacement: \"\"".to_string(),
        ]];
        for (before, after) in [
            (
                "global:\n  scrape_interval: 15s\n",
                "global:\n  scrape_interval: 15s\nalerting:\n  alert_relabel_configs:\n    - target_label: replica\n      replacement: \"\"\n",
            ),
            (
                "alerting:\n  alertmanagers:\n  - static_configs:\n    - targets: [am:9093]\nrule_files: [r.yml]\n",
                "alerting:\n  alertmanagers:\n  - static_configs:\n    - targets: [am:9093]\n  alert_relabel_configs:\n    - target_label: replica\n      replacement: \"\"\nrule_files: [r.yml]\n",
            ),
            (
                "alerting:\n  alert_relabel_configs:\n  - action: labeldrop\n    regex: x\n",
                "alerting:\n  alert_relabel_configs:\n  - action: labeldrop\n    regex: x\n  - target_label: replica\n    replacement: \"\"\n",
            ),
        ] {
            let p = file(before);
            let e = relabel_edit(&p, 0, &items).unwrap();
            assert_eq!(apply(before, &[&e]), after);
        }
    }
}
