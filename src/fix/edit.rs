//! Changes as byte edits to a file's text, and the unified diff of them:
//! only the bytes a change needs are rewritten.

use super::yaml::{Kind, Node, Style};

/// Replace `start..end` of a file's text by `text` (an insertion when the
/// range is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Which file (an index into the files read).
    pub file: usize,
    /// First byte replaced.
    pub start: usize,
    /// One past the last byte replaced.
    pub end: usize,
    /// The new text.
    pub text: String,
}

/// `text` with `edits` applied (they must not overlap; insertions at one
/// place keep their order).
pub fn apply(text: &str, edits: &[&Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.to_vec();
    sorted.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for e in sorted {
        let start = e.start.max(at);
        out.push_str(&text[at..start]);
        out.push_str(&e.text);
        at = e.end.max(start);
    }
    out.push_str(&text[at..]);
    out
}

/// The byte offset where the line holding `byte` starts.
pub fn line_start(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

/// A scalar written as `value` in the style `node` was written in (plain
/// values that would need quotes are double-quoted).
pub fn scalar_as(node: &Node, value: &str) -> String {
    let plain_ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:/".contains(c))
        && !value.ends_with(':');
    match &node.kind {
        Kind::Scalar {
            style: Style::Single,
            ..
        } => format!("'{}'", value.replace('\'', "''")),
        Kind::Scalar {
            style: Style::Plain,
            ..
        } if plain_ok => value.to_string(),
        _ => quoted(value),
    }
}

/// `value` double-quoted (YAML escapes).
pub fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Set a scalar in place: the edit that writes `value` over `node`.
pub fn replace_scalar(file: usize, node: &Node, value: &str) -> Edit {
    Edit {
        file,
        start: node.start,
        end: node.end,
        text: scalar_as(node, value),
    }
}

/// Add `key: value` to a block mapping, as a line of its own at the
/// mapping's indentation: before the line of the first of `before` that the
/// mapping holds, else after its line for `after` (a one-line entry), else
/// before the mapping's first key's line... in that order of preference.
pub fn add_entry(
    file: usize,
    text: &str,
    map: &Node,
    key: &str,
    value: &str,
    before: &[&str],
    after: &[&str],
) -> Option<Edit> {
    if !map.is_block_map() {
        return None;
    }
    let first = map.entries().first()?;
    let indent = first.0.col;
    let line = format!("{}{key}: {value}\n", " ".repeat(indent));
    let at = before
        .iter()
        .find_map(|k| map.entry(k).map(|(k, _)| line_start(text, k.start)))
        .or_else(|| {
            after.iter().find_map(|k| {
                let (_, v) = map.entry(k)?;
                // After a value on one line only.
                (!text[v.start..v.end].contains('\n'))
                    .then(|| text[v.end..].find('\n').map(|i| v.end + i + 1))
                    .flatten()
            })
        })?;
    Some(Edit {
        file,
        start: at,
        end: at,
        text: line,
    })
}

/// The unified diff from `old` to `new` of the file at `path` (as `patch
/// -p1` and `git apply` read it: `a/` and `b/` prefixes), empty when
/// nothing changed.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        out.push_str(&hunk.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::yaml::parse;
    use super::*;

    #[test]
    fn edits_touch_only_their_bytes() {
        let text = "- alert: A # keep\n  expr: up == 0\n  labels:\n    severity: 'page'\n  annotations: {}\n";
        let docs = parse(text).unwrap();
        let rule = &docs[0].items()[0];
        let add = add_entry(
            0,
            text,
            rule,
            "for",
            "5m",
            &["labels", "annotations"],
            &["expr"],
        )
        .unwrap();
        let sev = rule.get("labels").unwrap().get("severity").unwrap();
        let set = replace_scalar(0, sev, "info");
        let new = apply(text, &[&add, &set]);
        assert_eq!(
            new,
            "- alert: A # keep\n  expr: up == 0\n  for: 5m\n  labels:\n    severity: 'info'\n  annotations: {}\n"
        );
        let d = unified("r.yml", text, &new);
        assert!(
            d.starts_with("--- a/r.yml\n+++ b/r.yml\n@@ -1,5 +1,6 @@\n"),
            "{d}"
        );
        assert!(
            d.contains("\n+  for: 5m\n")
                && d.contains("\n-    severity: 'page'\n+    severity: 'info'\n"),
            "{d}"
        );
        assert_eq!(unified("r.yml", text, text), "");
    }

    #[test]
    fn entries_go_after_a_one_line_value_when_nothing_follows() {
        let text = "a:\n  alert: A\n  expr: |\n    up\n    == 0\n";
        let docs = parse(text).unwrap();
        let rule = docs[0].get("a").unwrap();
        let add = add_entry(0, text, rule, "for", "1m", &["labels"], &["expr", "alert"]).unwrap();
        // `expr` spans lines: after `alert` instead.
        assert_eq!(
            apply(text, &[&add]),
            "a:\n  alert: A\n  for: 1m\n  expr: |\n    up\n    == 0\n"
        );
        assert_eq!(scalar_as(rule.get("alert").unwrap(), "a b"), "\"a b\"");
    }
}
