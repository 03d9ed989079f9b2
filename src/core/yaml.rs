//! A YAML document as a tree of nodes that know where they are in the text:
//! what rule files and Alertmanager configurations are read with, so that
//! a change touches only the bytes it must (comments, order, quoting and
//! indentation stay as the team wrote them). Parsed by `saphyr-parser`, a
//! YAML 1.2 parser; this module only keeps its events' positions.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A node and where it is: `start..end` are byte offsets into the text;
/// `line` (0-based) and `col` (bytes) are where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What it is.
    pub kind: Kind,
    /// First byte.
    pub start: usize,
    /// One past the last byte (for block collections: where the next token
    /// starts, which may be on a later line).
    pub end: usize,
    /// Line of `start`, 0-based.
    pub line: usize,
    /// Column of `start`, in bytes.
    pub col: usize,
}

/// A node's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A mapping: keys and values in order; `flow` when written `{…}`.
    Map {
        /// Its entries.
        entries: Vec<(Node, Node)>,
        /// Written in flow style.
        flow: bool,
    },
    /// A sequence; `flow` when written `[…]`.
    Seq {
        /// Its items.
        items: Vec<Node>,
        /// Written in flow style.
        flow: bool,
    },
    /// A scalar and how it was written.
    Scalar {
        /// Its value.
        value: String,
        /// Plain, quoted or block.
        style: Style,
    },
    /// An alias (`*name`): not followed.
    Alias,
}

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Plain.
    Plain,
    /// `'…'`.
    Single,
    /// `"…"`.
    Double,
    /// `|` or `>`.
    Block,
}

impl Node {
    /// The value for `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value for `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.kind {
            Kind::Map { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.str() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// A scalar's text.
    pub fn str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// A sequence's items (none for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq { items, .. } => items,
            _ => &[],
        }
    }

    /// A mapping's entries (none for anything else).
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            Kind::Map { entries, .. } => entries,
            _ => &[],
        }
    }

    /// A block (not flow) mapping.
    pub fn is_block_map(&self) -> bool {
        matches!(self.kind, Kind::Map { flow: false, .. })
    }

    /// A mapping (of either style).
    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map { .. })
    }
}

/// A parse error: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based.
    pub col: usize,
    /// What the parser said.
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.col, self.message
        )
    }
}

/// Byte offsets of character indices (the parser counts characters).
struct Offsets {
    /// `None`: the text is ASCII, so characters are bytes.
    of_char: Option<Vec<usize>>,
    /// Byte offset of each line's start.
    lines: Vec<usize>,
}

impl Offsets {
    fn new(text: &str) -> Offsets {
        let of_char = (!text.is_ascii()).then(|| {
            let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            v.push(text.len());
            v
        });
        let mut lines = vec![0];
        lines.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Offsets { of_char, lines }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.of_char {
            Some(v) => v
                .get(char_index)
                .copied()
                .unwrap_or_else(|| *v.last().unwrap_or(&0)),
            None => char_index,
        }
    }

    /// Line (0-based) and byte column of a byte offset.
    fn line_col(&self, byte: usize) -> (usize, usize) {
        let line = self.lines.partition_point(|&s| s <= byte).saturating_sub(1);
        (line, byte - self.lines[line])
    }
}

/// Parse `text` into its documents.
pub fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    let offsets = Offsets::new(text);
    let mut stack: Vec<(Node, Option<Node>)> = Vec::new();
    let mut docs = Vec::new();
    let node = |kind: Kind, span: &Span| {
        let start = offsets.byte(span.start.index());
        let (line, col) = offsets.line_col(start);
        Node {
            kind,
            start,
            end: offsets.byte(span.end.index()),
            line,
            col,
        }
    };
    let flow_at = |span: &Span, open: u8| {
        text.as_bytes()
            .get(offsets.byte(span.start.index()))
            .is_some_and(|b| *b == open)
    };
    for ev in Parser::new_from_str(text) {
        let (ev, span) = ev.map_err(|e| YamlError {
            line: e.marker().line(),
            col: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        let done = match ev {
            Event::MappingStart(..) => {
                let flow = flow_at(&span, b'{');
                stack.push((
                    node(
                        Kind::Map {
                            entries: Vec::new(),
                            flow,
                        },
                        &span,
                    ),
                    None,
                ));
                continue;
            }
            Event::SequenceStart(..) => {
                let flow = flow_at(&span, b'[');
                stack.push((
                    node(
                        Kind::Seq {
                            items: Vec::new(),
                            flow,
                        },
                        &span,
                    ),
                    None,
                ));
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let Some((mut n, _)) = stack.pop() else {
                    continue;
                };
                n.end = n.end.max(offsets.byte(span.end.index()));
                n
            }
            Event::Scalar(value, style, ..) => node(
                Kind::Scalar {
                    value: value.into_owned(),
                    style: match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::SingleQuoted => Style::Single,
                        ScalarStyle::DoubleQuoted => Style::Double,
                        _ => Style::Block,
                    },
                },
                &span,
            ),
            Event::Alias(_) => node(Kind::Alias, &span),
            _ => continue,
        };
        // Hand the finished node to its parent.
        match stack.last_mut() {
            None => docs.push(done),
            Some((parent, pending)) => match &mut parent.kind {
                Kind::Seq { items, .. } => items.push(done),
                Kind::Map { entries, .. } => match pending.take() {
                    None => *pending = Some(done),
                    Some(key) => entries.push((key, done)),
                },
                _ => {}
            },
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_their_place() {
        let text = "# c\ngroups:\n  - name: a # x\n    rules:\n      - alert: \"Hé\"\n        for: 5m\n        labels: {severity: page}\n";
        let docs = parse(text).unwrap();
        assert_eq!(docs.len(), 1);
        let rule = &docs[0].get("groups").unwrap().items()[0]
            .get("rules")
            .unwrap()
            .items()[0];
        assert!(rule.is_block_map());
        assert_eq!((rule.line, rule.col), (4, 8));
        let (k, v) = rule.entry("alert").unwrap();
        assert_eq!((k.line, k.col), (4, 8));
        assert_eq!(&text[v.start..v.end], "\"Hé\"");
        assert_eq!(v.str(), Some("Hé"));
        let f = rule.get("for").unwrap();
        assert_eq!((&text[f.start..f.end], f.line, f.col), ("5m", 5, 13));
        let labels = rule.get("labels").unwrap();
        assert!(matches!(labels.kind, Kind::Map { flow: true, .. }));
        assert_eq!(labels.get("severity").unwrap().str(), Some("page"));
    }

    #[test]
    fn errors_say_where() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.line >= 1, "{e}");
        assert!(parse("").unwrap().is_empty());
        assert_eq!(parse("---\na: 1\n---\nb: 2\n").unwrap().len(), 2);
    }
}
