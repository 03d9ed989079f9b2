//! Title templates and alert identities.
//!
//! A **template** is the title's first line (what follows is detail) with
//! its variable parts replaced by `<*>`
//! (domain.md, "Grouping"): any word holding a digit (numbers, percentages,
//! durations, hex ids, UUIDs, IP addresses, host names with digits), paths,
//! e-mail addresses and quoted values. `template_id` is a hash of the
//! template text, so it is the same in every run and every week.
//!
//! An alert's **identity** (for DUPLICATE and FLAPPING) is its source,
//! service, `instance` label if any, and title with only the
//! *measurements* masked (words that start with a
//! digit, other than IP addresses): "High CPU on web-12: 93%" and "High CPU
//! on web-12: 97%" are one identity, "… on web-31" another.

/// The title proper: its first line with text on it. What follows is detail
/// (PagerDuty descriptions often carry `Runbook: <url>` on a second line,
/// on some alerts of a rule and not others); a template or identity made
/// of it would split one rule in two.
pub fn first_line(title: &str) -> &str {
    title
        .split(['\n', '\r'])
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

/// The title with its variable parts masked (its first line: [`first_line`]).
pub fn template(title: &str) -> String {
    mask(title, is_variable, true)
}

/// [`template`] into a buffer (cleared first), to spare an allocation.
pub fn template_into(title: &str, out: &mut String) {
    out.clear();
    pieces(title, is_variable, true, &mut |p| out.push_str(p));
}

/// The title with only measurements masked: what names the entity stays.
pub fn entity_key(title: &str) -> String {
    mask(title, is_measurement, false)
}

/// A stable 16-hex-digit id of a template text (FNV-1a 64).
pub fn template_id(template: &str) -> String {
    format!("{:016x}", crate::core::hash::fnv1a(template.as_bytes()))
}

/// The [`template_id`] of each template of a column (null stays null),
/// worked out once per distinct template and gathered: each row's id is a
/// view of its template's one id, not a string per row.
pub fn template_ids(
    templates: &polars::prelude::StringChunked,
) -> polars::prelude::PolarsResult<polars::prelude::StringChunked> {
    use crate::core::intern::{codes, Interner, NO_NAME};
    use polars::prelude::{ChunkTake, IdxCa, IdxSize, StringChunked};
    let mut names = Interner::default();
    let codes = codes(templates, &mut names);
    let ids: StringChunked = names.names.iter().map(|t| Some(template_id(t))).collect();
    let rows: IdxCa = codes
        .into_iter()
        .map(|c| (c != NO_NAME).then_some(c as IdxSize))
        .collect();
    ids.take(&rows)
}

/// The identity hash of an alert: its source, service and title with the
/// measurements masked. Vendor keys are not used: Alertmanager gives each
/// replica of one alert its own fingerprint, and a PagerDuty CSV has none.
pub fn identity(source: &str, service: Option<&str>, title: &str) -> u64 {
    let mut h = crate::core::hash::fnv1a(source.as_bytes());
    h = fnv(service.unwrap_or("").as_bytes(), fnv(&[0xff], h));
    h = fnv(&[0xff], h);
    pieces(title, is_measurement, false, &mut |p| {
        h = fnv(p.as_bytes(), h)
    });
    h
}

/// The value of an `instance` label in the canonical labels JSON text
/// (escapes left as written).
pub fn instance_label(labels: &str) -> Option<&str> {
    label(labels, "instance")
}

/// The vendor's own rule identity, where the export carries one: the
/// Alertmanager `alertname` label (the alerting rule's name), the Opsgenie
/// integration. With the source and the team it keys a **rule**: titles
/// are mined into templates rule by rule, so one title text sent by two
/// rules stays two templates, and one rule firing for many services or
/// hosts is one. PagerDuty exports name no rule: an incident key (and an
/// Opsgenie alias) is one per alert instance, and one monitor may send to
/// many services, so there the team and the title alone key it. Returns
/// the key and the vendor's name for the rule (shown when two rules share a
/// template text).
pub fn rule_of<'a>(
    source: &str,
    team: Option<&'a str>,
    labels: Option<&'a str>,
) -> (u64, Option<&'a str>) {
    let name = match source {
        "alertmanager" => labels.and_then(|l| label(l, "alertname")),
        "opsgenie" => labels.and_then(|l| label(l, "integration")),
        _ => None,
    };
    let mut h = crate::core::hash::fnv1a(source.as_bytes());
    for part in [team, name] {
        h = fnv(&[0xff], h);
        h = fnv(part.unwrap_or("").as_bytes(), h);
    }
    (h, name)
}

/// `title`'s first line with every whole word equal to one of `names`
/// (the alert's service, its `instance`) written as `<*>`: an entity the
/// alert names is a variable of its rule's template, digits or not.
pub fn mask_names(title: &str, names: &[Option<&str>], out: &mut String) {
    out.clear();
    let line = first_line(title);
    // One-letter names are left alone; a title holding none (most) is
    // copied as it is.
    let names = || names.iter().flatten().filter(|n| n.len() > 1);
    if !names().any(|n| line.contains(n)) {
        out.push_str(line);
        return;
    }
    let word = |c: char| c.is_alphanumeric() || c == '-' || c == '_' || c == '.';
    let mut rest = line;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !word(c)).unwrap_or(rest.len());
        let (w, tail) = rest.split_at(end);
        if !w.is_empty() && names().any(|n| *n == w) {
            out.push_str("<*>");
        } else {
            out.push_str(w);
        }
        let sep = tail.find(word).unwrap_or(tail.len());
        out.push_str(&tail[..sep]);
        rest = &tail[sep..];
    }
}

/// The value of the label `key` in the canonical labels JSON text (escapes
/// left as written).
pub fn label<'a>(labels: &'a str, key: &str) -> Option<&'a str> {
    // `"key":"` without building it: the key, a quote before, `":"` after.
    let start = labels.match_indices(key).find_map(|(i, _)| {
        let after = i + key.len();
        (labels[..i].ends_with('"') && labels[after..].starts_with("\":\"")).then_some(after + 3)
    })?;
    let rest = &labels[start..];
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(&rest[..i]),
            _ => i += 1,
        }
    }
    None
}

/// A hash of a string, for grouping keys.
pub fn hash(text: &str) -> u64 {
    crate::core::hash::fnv1a(text.as_bytes())
}

fn fnv(bytes: &[u8], h: u64) -> u64 {
    crate::core::hash::extend(h, bytes)
}

// Byte classes for the fast path of `pieces`.
const DIGIT: u8 = 1;
const AT: u8 = 2;
const DOT: u8 = 4;
const COLON: u8 = 8;
const SLASH: u8 = 16;
const QUOTE: u8 = 32;
const WRAP: u8 = 64;
/// ASCII whitespace: what separates words.
const SPACE: u8 = 128;

/// The class bits of each byte (non-ASCII bytes have none).
const CLASS: [u8; 256] = {
    let mut c = [0u8; 256];
    let mut b = b'0';
    while b <= b'9' {
        c[b as usize] = DIGIT;
        b += 1;
    }
    c[b'@' as usize] = AT;
    c[b'.' as usize] = DOT;
    c[b':' as usize] = COLON | WRAP;
    c[b'/' as usize] = SLASH;
    c[b'"' as usize] = QUOTE;
    c[b'\'' as usize] = QUOTE;
    let spaces = b" \t\n\x0c\r";
    let mut i = 0;
    while i < spaces.len() {
        c[spaces[i] as usize] = SPACE;
        i += 1;
    }
    let wraps = b",;()[]{}!?=";
    let mut i = 0;
    while i < wraps.len() {
        c[wraps[i] as usize] |= WRAP;
        i += 1;
    }
    c
};

/// Punctuation that wraps a word without being part of it.
fn is_wrap(c: char) -> bool {
    matches!(
        c,
        ',' | ';' | ':' | '(' | ')' | '[' | ']' | '{' | '}' | '!' | '?' | '='
    )
}

fn mask(title: &str, variable: fn(&str) -> bool, quotes: bool) -> String {
    let mut out = String::with_capacity(title.len());
    pieces(title, variable, quotes, &mut |p| out.push_str(p));
    out
}

/// The masked title as a sequence of pieces, so a hash of it needs no
/// allocation.
fn pieces(title: &str, variable: fn(&str) -> bool, quotes: bool, out: &mut impl FnMut(&str)) {
    let title = first_line(title);
    // Bytes that can make a word variable, or change where its core is:
    // a word with none of them is written as it is (most words are).
    let slow = if quotes {
        DIGIT | AT | COLON | SLASH | QUOTE | WRAP | DOT
    } else {
        // A measurement starts with a digit.
        DIGIT
    };
    // Words split at ASCII whitespace, as `split_ascii_whitespace` does, in
    // one pass that also gathers each word's byte classes.
    let b = title.as_bytes();
    let mut i = 0;
    let mut first = true;
    while i < b.len() {
        if CLASS[usize::from(b[i])] & SPACE != 0 {
            i += 1;
            continue;
        }
        let start = i;
        let mut class = 0u8;
        while i < b.len() {
            let c = CLASS[usize::from(b[i])];
            if c & SPACE != 0 {
                break;
            }
            class |= c;
            i += 1;
        }
        // A key's double-quoted value of several words (`tag="View
        // Lock",`) is one word: it is one value.
        if quotes && class & QUOTE != 0 {
            if let Some(end) = quoted_span(title, start, i) {
                i = end;
            }
        }
        // ASCII whitespace bounds are character boundaries.
        let word = &title[start..i];
        if !first {
            out(" ");
        }
        first = false;
        if class & slow == 0 && !(quotes && is_calendar(word.as_bytes())) {
            out(word);
            continue;
        }
        // Quoted values are variable whatever they hold.
        if quotes
            && word.len() >= 2
            && ((word.starts_with('"') && word.ends_with('"'))
                || (word.starts_with('\'') && word.ends_with('\'')))
        {
            out("<*>");
            continue;
        }
        // So is a quoted value after its key: `tag="RILJ_ACK_WL",`.
        if quotes && class & QUOTE != 0 {
            if let Some((key, tail)) = quoted_value(word) {
                out(key);
                out("<*>");
                out(tail);
                continue;
            }
        }
        // An empty bracketed value, `()` or `[]`: a value that happened to
        // be empty.
        if quotes && matches!(word, "()" | "[]" | "{}") {
            out(&word[..1]);
            out("<*>");
            out(&word[1..]);
            continue;
        }
        // Wrapping punctuation and a sentence's final `.` are not the word.
        // (All ASCII, so byte positions are character boundaries.)
        let b = word.as_bytes();
        let lo = b
            .iter()
            .position(|&c| !is_wrap(c as char))
            .unwrap_or(b.len());
        let hi = b
            .iter()
            .rposition(|&c| !(is_wrap(c as char) || c == b'.'))
            .map_or(lo, |i| (i + 1).max(lo));
        let core = &word[lo..hi];
        if core.is_empty() || !variable(core) {
            out(word);
            continue;
        }
        // `core` is a slice of `word`.
        let start = core.as_ptr() as usize - word.as_ptr() as usize;
        out(&word[..start]);
        // `key=value`, `key:value`: the key is not variable.
        // (`=` and `:` are wrapping punctuation: no such byte, no key.)
        let key_end = (class & WRAP != 0)
            .then(|| core.find(['=', ':']))
            .flatten()
            .filter(|&i| i > 0 && !variable(&core[..i]) && !core[i + 1..].starts_with("//"))
            .filter(|&i| !(quotes && is_host_port(&core[..i], &core[i..])));
        match key_end {
            Some(i) if variable(&core[i + 1..]) => {
                out(&core[..=i]);
                out("<*>");
            }
            _ => out("<*>"),
        }
        out(&word[start + core.len()..]);
    }
}

/// Month and weekday names: parts of a date written in the text.
const CALENDAR: [&str; 19] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Mon",
    "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
];

/// Is this word a month or weekday name (three letters, as in [`CALENDAR`])?
fn is_calendar(w: &[u8]) -> bool {
    // A capital first: most three-letter words are out after one test.
    w.len() == 3 && w[0].is_ascii_uppercase() && CALENDAR.iter().any(|c| c.as_bytes() == w)
}

fn is_variable(w: &str) -> bool {
    // One pass over the bytes: digits, and the marks of e-mails and URLs.
    let (mut at, mut dot, mut colon_slash) = (false, false, false);
    let b = w.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => return true,
            b'@' => at = true,
            b'.' => dot = true,
            b':' => colon_slash |= b[i + 1..].starts_with(b"//"),
            _ => {}
        }
    }
    (at && dot) || colon_slash || (b.len() > 1 && b[0] == b'/') || is_calendar(b)
}

/// Where a double-quoted value of a key that the word `text[start..end]`
/// opens (`tag="View`) and does not close ends: after the later word that
/// closes it (`Lock",`), within [`QUOTED_WORDS`] words. `None` when the
/// word closes its own quote or nothing closes it. (A quoted text that is
/// no key's value, as a request line `"GET /servers/detail HTTP/1.1"`,
/// keeps its words: its method and path name the kind.)
fn quoted_span(text: &str, start: usize, end: usize) -> Option<usize> {
    let word = &text[start..end];
    let open = word.find("=\"").filter(|&i| i > 0)? + 1;
    if word[open + 1..].contains('"') {
        return None;
    }
    let mut at = end;
    for _ in 0..QUOTED_WORDS {
        let rest = &text[at..];
        let from = at
            + (rest.len()
                - rest
                    .trim_start_matches(|c: char| c.is_ascii_whitespace())
                    .len());
        let to = text[from..]
            .find(|c: char| c.is_ascii_whitespace())
            .map_or(text.len(), |n| from + n);
        if from == to {
            return None;
        }
        let next = &text[from..to];
        if let Some(q) = next.find('"') {
            return next[q + 1..].chars().all(is_wrap).then_some(to);
        }
        at = to;
    }
    None
}

/// The most words after the first that a quoted value spans.
const QUOTED_WORDS: usize = 4;

/// A `key="value"` word (or `key='value'`, wrapping punctuation after it)
/// split as the key with its `=` and what follows the closing quote.
fn quoted_value(word: &str) -> Option<(&str, &str)> {
    let eq = word.find("=\"").or_else(|| word.find("='"))?;
    let quote = word.as_bytes()[eq + 1];
    let close = eq + 2 + word[eq + 2..].find(quote as char)?;
    let tail = &word[close + 1..];
    (eq > 0 && tail.chars().all(is_wrap)).then(|| (&word[..=eq], tail))
}

/// `name` and `rest` (from its `:` on) read as a host and its port:
/// `proxy.example.com` `:5070` (dotted, in lower case: `state.clipTop:180`
/// is a key and its value). The name of a host is as variable as its
/// port, digits or not (it is not the key of a `key:value`).
fn is_host_port(name: &str, rest: &str) -> bool {
    rest.strip_prefix(':')
        .is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
        && name.contains('.')
        && !name.starts_with('.')
        && !name.ends_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

fn is_measurement(w: &str) -> bool {
    let starts_digit = w
        .trim_start_matches(['-', '+', '~', '<', '>'])
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit());
    starts_digit && !is_ipv4(w)
}

fn is_ipv4(w: &str) -> bool {
    let host = w.split(':').next().unwrap_or(w);
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second line (a runbook link, a description) is detail: the rule
    /// keeps one template and one identity with or without it.
    #[test]
    fn the_first_line_is_the_title() {
        let plain = "High CPU on pay-03: 93%";
        for with in [
            "High CPU on pay-03: 93%\nRunbook: https://wiki.example.com/cpu",
            "High CPU on pay-03: 93%\r\n\r\nSee the dashboard",
            "\n  \nHigh CPU on pay-03: 93%\nmore",
        ] {
            assert_eq!(template(with), template(plain), "{with:?}");
            assert_eq!(
                identity("pagerduty", Some("api"), with),
                identity("pagerduty", Some("api"), plain)
            );
        }
        assert_eq!(first_line(""), "");
        assert_eq!(first_line("\n\n"), "");
    }

    /// A dotted host with its port is a variable, name and all; a key
    /// with a value (`state.clipTop:180`, `localhost:8080`) keeps its key.
    #[test]
    fn a_host_and_port_is_a_variable() {
        assert_eq!(
            template("proxy.cse.cuhk.edu.hk:5070 open through proxy a-b.example.org:443 HTTPS"),
            "<*> open through proxy <*> HTTPS"
        );
        assert_eq!(
            template("state.clipTopAmount:180, i:0"),
            "state.clipTopAmount:<*>, i:<*>"
        );
        assert_eq!(
            template("bind localhost:8080 failed"),
            "bind localhost:<*> failed"
        );
        assert_eq!(template("ratio a.b:123456"), "ratio a.b:<*>");
    }

    /// A key's quoted value is a variable whatever it holds, over several
    /// words too; a quoted text that is no key's value keeps its words.
    #[test]
    fn a_keys_quoted_value_is_a_variable() {
        assert_eq!(
            template(r#"release lock=7, tag="RILJ_ACK_WL", ws=null"#),
            "release lock=<*>, tag=<*>, ws=null"
        );
        assert_eq!(
            template(r#"release lock=7, tag="View Lock", ws=null"#),
            "release lock=<*>, tag=<*>, ws=null"
        );
        assert_eq!(template("state='Active' now"), "state=<*> now");
        // Unclosed, or closed too far away: left as it was.
        assert_eq!(template(r#"tag="a b c d e f" x"#), r#"tag="a b c d e f" x"#);
        assert_eq!(
            template(r#"tag="open and never closed"#),
            r#"tag="open and never closed"#
        );
        assert_eq!(
            template(r#"10.1.2.3 "GET /servers/detail HTTP/1.1" status: 200"#),
            r#"<*> "GET <*> <*> status: <*>"#
        );
    }

    #[test]
    fn masks_variable_parts() {
        assert_eq!(template("High CPU on pay-03: 93%"), "High CPU on <*>: <*>");
        assert_eq!(
            template("Disk on pay-03 will be full in 1582 hours"),
            "Disk on <*> will be full in <*> hours"
        );
        assert_eq!(
            template("Payment gateway timeout from 10.1.2.3"),
            "Payment gateway timeout from <*>"
        );
        assert_eq!(
            template("Cannot write /var/log/app.log for ops@example.com"),
            "Cannot write <*> for <*>"
        );
        assert_eq!(
            template("Value 'abc' rejected (id 7f3a)."),
            "Value <*> rejected (id <*>)."
        );
        assert_eq!(template("All good"), "All good");
        assert_eq!(template(""), "");
        assert_eq!(template_id("a <*>"), template_id("a <*>"));
        assert_ne!(template_id("a <*>"), template_id("b <*>"));
    }

    /// One id per row, the id of its template; null stays null. The
    /// FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the published test vector).
    #[test]
    fn template_ids_per_row() {
        use polars::prelude::{NewChunkedArray, StringChunked};
        let rows = ["a", "b <*>", "a", "b <*>", "a"];
        let mut values: Vec<Option<&str>> = rows.iter().map(|r| Some(*r)).collect();
        values.insert(2, None);
        let ids = template_ids(&StringChunked::from_slice_options("t".into(), &values)).unwrap();
        let got: Vec<Option<&str>> = ids.iter().collect();
        let (a, b) = (template_id("a"), template_id("b <*>"));
        assert_eq!(a, "af63dc4c8601ec8c");
        assert_eq!(
            got,
            [
                Some(a.as_str()),
                Some(b.as_str()),
                None,
                Some(a.as_str()),
                Some(b.as_str()),
                Some(a.as_str())
            ]
        );
    }

    #[test]
    fn instance_from_labels() {
        assert_eq!(
            instance_label(r#"{"alertname":"X","instance":"db-1","team":"t"}"#),
            Some("db-1")
        );
        assert_eq!(instance_label(r#"{"instance":"a\"b"}"#), Some(r#"a\"b"#));
        assert_eq!(instance_label(r#"{"alertname":"X"}"#), None);
        assert_eq!(instance_label(r#"{"instance":"unterminated"#), None);
    }

    #[test]
    fn identity_keeps_the_entity() {
        assert_eq!(
            entity_key("High CPU on web-12: 93%"),
            entity_key("High CPU on web-12: 97%")
        );
        assert_ne!(
            entity_key("High CPU on web-12: 93%"),
            entity_key("High CPU on web-31: 93%")
        );
        assert_eq!(entity_key("timeout from 10.1.2.3"), "timeout from 10.1.2.3");
        let a = identity("pagerduty", Some("api"), "CPU on web-1: 90%");
        assert_eq!(a, identity("pagerduty", Some("api"), "CPU on web-1: 95%"));
        assert_ne!(a, identity("pagerduty", Some("db"), "CPU on web-1: 95%"));
        assert_ne!(a, identity("opsgenie", Some("api"), "CPU on web-1: 95%"));
    }
}
