//! An Alertmanager configuration as `fix` reads it: the route tree (with
//! `matchers`, and the older `match`/`match_re`), `continue`, receivers,
//! and where each part is in the text. Routing follows Alertmanager's: a
//! route's children are tried in order, the first that matches takes the
//! alert (more with `continue: true`), and a route no child takes handles
//! it itself; a child without `receiver` inherits its parent's.

use regex::Regex;

use super::rules::YamlFile;
use super::yaml::Node;
use crate::error::Error;

/// How a matcher compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `=~`
    Re,
    /// `!~`
    NotRe,
}

/// One label matcher.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// The label.
    pub name: String,
    /// How.
    pub op: Op,
    /// The value or pattern, unquoted.
    pub value: String,
    re: Option<Regex>,
}

impl Matcher {
    /// Parse `name op value` (the value bare or in double quotes).
    pub fn parse(text: &str) -> Result<Matcher, String> {
        let t = text.trim();
        let at = t
            .find(['=', '!'])
            .ok_or_else(|| format!("matcher {t:?}: no operator (=, !=, =~, !~)"))?;
        let name = t[..at].trim().trim_matches('"').to_string();
        let rest = &t[at..];
        let (op, value) = if let Some(v) = rest.strip_prefix("=~") {
            (Op::Re, v)
        } else if let Some(v) = rest.strip_prefix("!~") {
            (Op::NotRe, v)
        } else if let Some(v) = rest.strip_prefix("!=") {
            (Op::Ne, v)
        } else if let Some(v) = rest.strip_prefix('=') {
            (Op::Eq, v)
        } else {
            return Err(format!("matcher {t:?}: no operator (=, !=, =~, !~)"));
        };
        let v = value.trim();
        let value = match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
            None => v.to_string(),
        };
        Matcher::new(name, op, value).map_err(|e| format!("matcher {t:?}: {e}"))
    }

    fn new(name: String, op: Op, value: String) -> Result<Matcher, String> {
        let re = match op {
            Op::Re | Op::NotRe => Some(
                Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| format!("not a regular expression: {e}"))?,
            ),
            _ => None,
        };
        Ok(Matcher {
            name,
            op,
            value,
            re,
        })
    }

    /// Whether `labels` satisfy it (a missing label is the empty string).
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let v = labels
            .iter()
            .find(|(k, _)| *k == self.name)
            .map_or("", |(_, v)| v.as_str());
        match (self.op, &self.re) {
            (Op::Eq, _) => v == self.value,
            (Op::Ne, _) => v != self.value,
            (Op::Re, Some(re)) => re.is_match(v),
            (Op::NotRe, Some(re)) => !re.is_match(v),
            _ => false,
        }
    }
}

/// One route.
#[derive(Debug, Clone)]
pub struct Route {
    /// Its receiver (inherited when not written).
    pub receiver: String,
    /// What it matches.
    pub matchers: Vec<Matcher>,
    /// `continue`.
    pub continue_: bool,
    /// Its child routes.
    pub routes: Vec<Route>,
    /// Its mapping in the file.
    pub node: Node,
}

/// The configuration.
#[derive(Debug, Clone)]
pub struct AmConfig {
    /// The file.
    pub file: YamlFile,
    /// The top-level route.
    pub route: Route,
    /// Receiver names, in file order.
    pub receivers: Vec<String>,
}

impl AmConfig {
    /// Read `file` as an Alertmanager configuration.
    pub fn of(file: YamlFile) -> Result<AmConfig, Error> {
        let bad = |message: String| Error::Input {
            path: file.path.clone(),
            message,
        };
        let doc = file
            .docs
            .first()
            .ok_or_else(|| bad("empty: expected an Alertmanager configuration".into()))?;
        if doc.get("groups").is_some() {
            return Err(bad(
                "a Prometheus rule file, not an Alertmanager configuration: give it with --rules"
                    .into(),
            ));
        }
        let root = doc
            .get("route")
            .ok_or_else(|| bad("no `route`: not an Alertmanager configuration".into()))?;
        let receivers: Vec<String> = doc
            .get("receivers")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.get("name").and_then(Node::str).map(str::to_string))
            .collect();
        let route = route_of(root, None).map_err(bad)?;
        Ok(AmConfig {
            file: file.clone(),
            route,
            receivers,
        })
    }

    /// The receivers an alert with `labels` reaches.
    pub fn receivers_of(&self, labels: &[(String, String)]) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.route, labels, &mut out);
        out
    }
}

fn route_of(node: &Node, parent: Option<&str>) -> Result<Route, String> {
    let receiver = node
        .get("receiver")
        .and_then(Node::str)
        .or(parent)
        .ok_or("a route with no receiver, and none to inherit")?
        .to_string();
    let mut matchers = Vec::new();
    for m in node.get("matchers").map(Node::items).unwrap_or_default() {
        let text = m.str().ok_or("a matcher that is not a string")?;
        // One entry may hold several (`{a="b", c=~"d"}`).
        let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
        for part in split_matchers(inner) {
            matchers.push(Matcher::parse(&part)?);
        }
    }
    for (key, op) in [("match", Op::Eq), ("match_re", Op::Re)] {
        for (k, v) in node.get(key).map(Node::entries).unwrap_or_default() {
            if let (Some(k), Some(v)) = (k.str(), v.str()) {
                matchers.push(Matcher::new(k.to_string(), op, v.to_string())?);
            }
        }
    }
    let routes = node
        .get("routes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|r| route_of(r, Some(&receiver)))
        .collect::<Result<_, _>>()?;
    Ok(Route {
        receiver,
        matchers,
        continue_: node.get("continue").and_then(Node::str) == Some("true"),
        routes,
        node: node.clone(),
    })
}

/// Matchers separated by commas outside double quotes.
fn split_matchers(text: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut escaped) = (Vec::new(), String::new(), false, false);
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// Route `labels` from `route` (which matched): its children, else itself.
fn walk(route: &Route, labels: &[(String, String)], out: &mut Vec<String>) {
    let mut taken = false;
    for child in &route.routes {
        if child.matchers.iter().all(|m| m.matches(labels)) {
            walk(child, labels, out);
            taken = true;
            if !child.continue_ {
                break;
            }
        }
    }
    if !taken && !out.contains(&route.receiver) {
        out.push(route.receiver.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> AmConfig {
        AmConfig::of(YamlFile {
            path: "am.yml".into(),
            text: text.into(),
            docs: super::super::yaml::parse(text).unwrap(),
        })
        .unwrap()
    }

    fn l(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn routes_as_alertmanager_does() {
        let am = config(
            "route:\n  receiver: pager\n  routes:\n    - receiver: slack\n      matchers:\n        - severity=~\"info|warning\"\n    - matchers: ['team = \"db\"', 'alertname!=\"X\"']\n      receiver: db\n      continue: true\n    - match_re:\n        service: ^(a|b)$\n      receiver: ab\n    - match:\n        team: db\n      routes:\n        - receiver: deep\n          matchers: ['{env=\"prod\", tier=~\"1\"}']\nreceivers:\n  - name: pager\n  - name: slack\n",
        );
        assert_eq!(am.receivers, ["pager", "slack"]);
        assert_eq!(am.receivers_of(&l(&[("severity", "info")])), ["slack"]);
        assert_eq!(am.receivers_of(&l(&[("severity", "infos")])), ["pager"]);
        // `continue`: db, then the next matching sibling (its own child).
        assert_eq!(
            am.receivers_of(&l(&[("team", "db"), ("env", "prod"), ("tier", "1")])),
            ["db", "deep"]
        );
        // The inherited receiver where no child takes it.
        assert_eq!(am.receivers_of(&l(&[("team", "db")])), ["db", "pager"]);
        assert_eq!(
            am.receivers_of(&l(&[("team", "db"), ("alertname", "X")])),
            ["pager"]
        );
    }

    #[test]
    fn bad_matchers_say_so() {
        assert!(Matcher::parse("severity").is_err());
        assert!(Matcher::parse("a=~\"(\"")
            .unwrap_err()
            .contains("regular expression"));
        let m = Matcher::parse("a = \"x,\\\"y\"").unwrap();
        assert_eq!(m.value, "x,\"y");
    }
}
