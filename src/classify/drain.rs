//! Template mining: a Drain-style fixed-depth parse tree (He et al., "Drain:
//! An Online Log Parsing Approach with Fixed Depth Tree", ICWS 2017) over
//! masked text.
//!
//! Each text is first masked ([`super::template::template`]: words with
//! digits, paths, e-mails, URLs and quoted values become `<*>`); identical
//! masked texts are mined once. A masked text is routed by its token count
//! and its first [`Miner::PREFIX`] tokens to a leaf; in the leaf, the
//! template sharing the most tokens position by position is chosen, and the
//! text joins it when at least `[classify] template_similarity` (0.6) of the
//! positions agree
//! (positions where both are `<*>` are left out: they say nothing), and the
//! differing positions become `<*>`; else it starts a template of its own.
//! There are no per-input settings. The result depends only on the texts and
//! their order, so the same input gives the same templates.

use polars::prelude::PlHashMap;

use super::template;

const WILD: u32 = 0;

/// Mines templates from texts, one at a time.
#[derive(Debug)]
pub struct Miner {
    words: Vec<String>,
    ids: PlHashMap<String, u32>,
    leaves: PlHashMap<Vec<u32>, Vec<usize>>,
    /// Clusters by token count (the second chance: [`Miner::add`]).
    by_len: PlHashMap<usize, Vec<usize>>,
    clusters: Vec<Vec<u32>>,
    /// Distinct masked texts: their tokens and the cluster each joined.
    texts: Vec<(Vec<u32>, usize)>,
    /// Each distinct masked text's place in `texts`.
    seen: PlHashMap<String, usize>,
    scratch: String,
    similarity: f64,
    /// A variable taking at most this many plain words is a choice between
    /// kinds ([`Miner::with_choices`]); 0: never.
    choices: usize,
}

impl Default for Miner {
    /// A miner with `[classify] template_similarity`'s default.
    fn default() -> Self {
        Miner::new(crate::config::Thresholds::default().template_similarity)
    }
}

impl Miner {
    /// A miner joining a text to a template when at least `similarity` of
    /// the positions agree (`[classify] template_similarity`).
    pub fn new(similarity: f64) -> Self {
        let mut m = Miner {
            words: Vec::new(),
            ids: PlHashMap::default(),
            leaves: PlHashMap::default(),
            by_len: PlHashMap::default(),
            clusters: Vec::new(),
            texts: Vec::new(),
            seen: PlHashMap::default(),
            scratch: String::new(),
            similarity,
            choices: 0,
        };
        m.intern("<*>");
        m
    }

    /// The miner, where a variable position of a final template whose texts
    /// hold at most `choices` (at least two) different plain words there
    /// (letters only, one trailing `.,:;` allowed) is a choice between kinds
    /// of text, each kind its own template with its word in place
    /// (`Starting TrustedInstaller initialization.` and `… finalization.`;
    /// `Session: <*> initialized by client WindowsUpdateAgent.` and `…
    /// client SPP.`). Log lines name their variables with digits, paths and
    /// addresses; a word alone that varies among two or three values says
    /// which event it is (Loghub's ground truth splits them so, and Drain,
    /// whose similarity counts a template's variables against a text, keeps
    /// them apart). `[classify] template_word_choices`.
    pub fn with_choices(mut self, choices: usize) -> Self {
        self.choices = choices;
        self
    }
}

impl Miner {
    /// Tokens (after the token count) that route a text to its leaf.
    pub const PREFIX: usize = 2;

    fn intern(&mut self, w: &str) -> u32 {
        if let Some(&id) = self.ids.get(w) {
            return id;
        }
        let id = self.words.len() as u32;
        self.words.push(w.to_string());
        self.ids.insert(w.to_string(), id);
        id
    }

    /// Add a text; returns the id of its masked text (texts that mask
    /// alike share one; ids count up from 0 as new ones come). Its final
    /// template is known once every text is in: [`Miner::finish`].
    pub fn add(&mut self, text: &str) -> usize {
        let mut masked = std::mem::take(&mut self.scratch);
        template::template_into(text, &mut masked);
        drop_optional_parts(&mut masked);
        if let Some(&id) = self.seen.get(masked.as_str()) {
            self.scratch = masked;
            return id;
        }
        let tokens: Vec<u32> = masked
            .split_ascii_whitespace()
            .map(|w| if w == "<*>" { WILD } else { self.intern(w) })
            .collect();
        let mut key = Vec::with_capacity(Self::PREFIX + 1);
        key.push(tokens.len() as u32);
        key.extend(tokens.iter().take(Self::PREFIX));
        let leaf = self.leaves.entry(key).or_default();
        let clusters = &self.clusters;
        let similar = |candidates: &mut dyn Iterator<Item = usize>| {
            // The most similar template; ties: more wildcards, then the oldest.
            let mut best: Option<(usize, usize, usize)> = None;
            for c in candidates {
                let t = &clusters[c];
                // Positions where both are wildcards say nothing either way.
                let same = t
                    .iter()
                    .zip(&tokens)
                    .filter(|(a, b)| a == b && **a != WILD)
                    .count();
                let wild = t
                    .iter()
                    .zip(&tokens)
                    .filter(|(a, b)| **a == WILD && **b == WILD)
                    .count();
                if best.is_none_or(|(s, w, _)| (same, wild) > (s, w)) {
                    best = Some((same, wild, c));
                }
            }
            best.filter(|&(same, wild, _)| {
                tokens.len() == wild
                    || same as f64 / (tokens.len() - wild) as f64 >= self.similarity
            })
        };
        let mut best = similar(&mut leaf.iter().copied());
        if best.is_none() {
            // Second chance: a template of the same length in another leaf,
            // when the routing words that differ are compound names
            // (`srch-grove`, `db.internal`): a host named without digits
            // leads many titles and must not split a rule by host.
            let words = &self.words;
            let named = |a: u32, b: u32| {
                a == b
                    || [a, b]
                        .iter()
                        .all(|&w| w == WILD || is_compound_name(&words[w as usize]))
            };
            let routed_alike = |c: &usize| {
                clusters[*c]
                    .iter()
                    .zip(&tokens)
                    .take(Self::PREFIX)
                    .all(|(&a, &b)| named(a, b))
            };
            if let Some(same_len) = self.by_len.get(&tokens.len()) {
                best = similar(&mut same_len.iter().copied().filter(routed_alike));
            }
            if let Some((_, _, c)) = best {
                leaf.push(c);
            }
        }
        let chosen = match best {
            Some((_, _, c)) => {
                let t = &mut self.clusters[c];
                for (a, b) in t.iter_mut().zip(&tokens) {
                    if a != b {
                        *a = WILD;
                    }
                }
                c
            }
            None => {
                let c = self.clusters.len();
                self.by_len.entry(tokens.len()).or_default().push(c);
                self.clusters.push(tokens.clone());
                leaf.push(c);
                c
            }
        };
        let id = self.texts.len();
        self.texts.push((tokens, chosen));
        self.seen.insert(masked, id);
        id
    }

    /// The template text of a cluster.
    pub fn template(&self, cluster: usize) -> String {
        self.clusters
            .get(cluster)
            .map(|t| self.text(t))
            .unwrap_or_default()
    }

    fn text(&self, t: &[u32]) -> String {
        t.iter()
            .map(|&w| self.words[w as usize].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Once every text is in, the final templates: the template of each
    /// text id [`Miner::add`] returned, and the template texts. A cluster
    /// whose template is another's with one more word after its last
    /// variable (`lifetime <*> sec` and `lifetime <*>`) joins that one: the
    /// word is an optional unit at the end, which a text-at-a-time pass
    /// cannot tell while the shorter kind has not been seen. (The cluster
    /// joined is never itself joined to another: its last word would have
    /// to be a variable and not.) Then, with [`Miner::with_choices`], a
    /// template splits by the plain words its choice positions hold.
    /// Templates are numbered in the order of their first text.
    pub fn finish(&self) -> (Vec<usize>, Vec<String>) {
        let mut by_tokens: PlHashMap<&[u32], usize> = PlHashMap::default();
        for (c, t) in self.clusters.iter().enumerate() {
            by_tokens.entry(t.as_slice()).or_insert(c);
        }
        let rep: Vec<usize> = self
            .clusters
            .iter()
            .enumerate()
            .map(|(c, t)| match t.as_slice() {
                [.., WILD, last] if *last != WILD => {
                    by_tokens.get(&t[..t.len() - 1]).copied().unwrap_or(c)
                }
                _ => c,
            })
            .collect();
        // Per final cluster, its choice positions.
        let mut choice_at: Vec<Vec<usize>> = vec![Vec::new(); self.clusters.len()];
        if self.choices >= 2 {
            // Per (cluster, variable position): the plain words seen there,
            // `None` once a value is not one or there are too many.
            let mut values: PlHashMap<(usize, usize), Option<Vec<u32>>> = PlHashMap::default();
            for (tokens, c) in &self.texts {
                let r = rep[*c];
                for (j, &w) in self.clusters[r].iter().enumerate() {
                    if w != WILD {
                        continue;
                    }
                    let slot = values.entry((r, j)).or_insert_with(|| Some(Vec::new()));
                    let Some(seen) = slot else { continue };
                    let v = tokens.get(j).copied().unwrap_or(WILD);
                    if v == WILD || !is_plain_word(&self.words[v as usize]) {
                        *slot = None;
                    } else if !seen.contains(&v) {
                        seen.push(v);
                        if seen.len() > self.choices {
                            *slot = None;
                        }
                    }
                }
            }
            let mut at: Vec<(usize, usize)> = values
                .iter()
                .filter(|(_, v)| v.as_ref().is_some_and(|v| v.len() >= 2))
                .map(|(&k, _)| k)
                .collect();
            at.sort_unstable();
            for (r, j) in at {
                choice_at[r].push(j);
            }
        }
        // Each text's final template: its cluster's representative and the
        // words at that one's choice positions.
        let mut index: PlHashMap<(usize, Vec<u32>), usize> = PlHashMap::default();
        let mut templates = Vec::new();
        let of_text = self
            .texts
            .iter()
            .map(|(tokens, c)| {
                let r = rep[*c];
                let words: Vec<u32> = choice_at[r]
                    .iter()
                    .map(|&j| tokens.get(j).copied().unwrap_or(WILD))
                    .collect();
                let next = templates.len();
                *index.entry((r, words)).or_insert_with_key(|(r, words)| {
                    let mut t = self.clusters[*r].clone();
                    for (&j, &w) in choice_at[*r].iter().zip(words) {
                        t[j] = w;
                    }
                    templates.push(self.text(&t));
                    next
                })
            })
            .collect();
        (of_text, templates)
    }

    /// Clusters so far.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    /// No text added yet.
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }
}

/// Drop a bracketed group of one to three words that holds a variable
/// (`(12 KB)`, `[<*>]` once masked): such a group is a detail some
/// messages of a kind carry and others leave out, and left in it would
/// change the word count and split the kind in two.
fn drop_optional_parts(masked: &mut String) {
    if !masked.contains("(<*>") && !masked.contains("[<*>") {
        return;
    }
    let words: Vec<&str> = masked.split(' ').collect();
    let mut keep = vec![true; words.len()];
    let mut i = 0;
    while i < words.len() {
        let open = words[i].starts_with(['(', '[']);
        if open {
            let close = if words[i].starts_with('(') { ')' } else { ']' };
            let end = (i..words.len().min(i + 3)).find(|&j| {
                words[j]
                    .trim_end_matches([',', '.', ';', ':'])
                    .ends_with(close)
            });
            if let Some(end) = end {
                let group = &words[i..=end];
                if group.iter().any(|w| w.contains("<*>")) && end + 1 - i < words.len() {
                    keep[i..=end].iter_mut().for_each(|k| *k = false);
                    i = end + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    if keep.iter().all(|k| *k) {
        return;
    }
    let kept: Vec<&str> = words
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(w, _)| *w)
        .collect();
    *masked = kept.join(" ");
}

/// A word of letters only, with at most one trailing `.`, `,`, `:` or `;`
/// (`initialization.`, `SPP`): not a number, id, path or compound name.
fn is_plain_word(w: &str) -> bool {
    let w = w.strip_suffix(['.', ',', ':', ';']).unwrap_or(w);
    !w.is_empty() && w.chars().all(char::is_alphabetic)
}

/// A word that reads as a compound name (a host, a service id): joined by
/// `-` or `_`, dotted in lower case (`db.internal`), holding a masked
/// variable, or a reverse-DNS name as a label (`com.apple.Foo.daily:`);
/// not a plain label (`Notification:`) or a class name (`org.apache.Foo`).
fn is_compound_name(w: &str) -> bool {
    let w = w.trim_end_matches([',', ';']);
    // A name with a variable part masked (`<*>:`, `pid-<*>`).
    if w.contains("<*>") {
        return true;
    }
    // A reverse-DNS name as a label (`com.apple.CacheDelete.daily:`).
    if let Some(name) = w.strip_suffix(':') {
        return name.matches('.').count() >= 2
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && !name.contains("..");
    }
    w.contains(['-', '_'])
        || (w.contains('.') && !w.starts_with('.') && !w.bytes().any(|b| b.is_ascii_uppercase()))
}

/// Mine templates for a sequence of texts: each text's template (an index
/// into the second), and the templates. `choices`: [`Miner::with_choices`].
pub fn mine<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    similarity: f64,
    choices: usize,
) -> (Vec<usize>, Vec<String>) {
    let mut m = Miner::new(similarity).with_choices(choices);
    let assigned: Vec<usize> = texts.into_iter().map(|t| m.add(t)).collect();
    let (of_text, templates) = m.finish();
    (
        assigned.into_iter().map(|c| of_text[c]).collect(),
        templates,
    )
}

/// The template of every text of a string column (null stays null).
pub fn mine_column(
    texts: &polars::prelude::StringChunked,
    similarity: f64,
) -> polars::prelude::PolarsResult<polars::prelude::StringChunked> {
    use polars::prelude::{ChunkTake, IdxCa, IdxSize, StringChunked};
    let mut m = Miner::new(similarity);
    let assigned: IdxCa = texts
        .iter()
        .map(|t| t.map(|t| m.add(t) as IdxSize))
        .collect();
    let (of_text, templates) = m.finish();
    let templates: StringChunked = of_text
        .iter()
        .map(|&t| Some(templates[t].as_str()))
        .collect();
    // Gathered from the table of templates, each row's value is a view of
    // its template's one copy (not a copy per row): the stages after
    // compare and count them by view.
    templates.take(&assigned)
}

/// One alert as [`mine_rules`] reads it.
pub struct RuleText<'a> {
    /// The rule's key ([`template::rule_of`]).
    pub rule: u64,
    /// The vendor's name of the rule, if the export carries one.
    pub name: Option<&'a str>,
    /// Its team, if any (to tell apart two rules of one name).
    pub team: Option<&'a str>,
    /// The title.
    pub title: Option<&'a str>,
    /// Names that are variables in its title (its service, `instance`).
    pub names: [Option<&'a str>; 2],
}

/// The alert templates of a history, rule by rule: each rule's titles
/// (their first lines, with the names the alert itself carries masked:
/// [`template::mask_names`]) are mined among themselves. Where two rules
/// give one template text, each gets its rule's name after it
/// (`Disk almost full [PaymentsDisk]`), so a template names one rule
/// wherever it is counted. A row without a title has no template.
pub fn mine_rules<'a>(
    rows: impl Iterator<Item = RuleText<'a>>,
    similarity: f64,
) -> polars::prelude::PolarsResult<polars::prelude::StringChunked> {
    use polars::prelude::{ChunkTake, IdxCa, IdxSize, StringChunked};
    // Per rule: its miner, and its masked texts' place in the table.
    let mut miners: PlHashMap<u64, (Miner, Vec<u32>)> = PlHashMap::default();
    // Per masked text of a rule: (rule, its id in the rule's miner, the
    // rule's name, team); texts of one template share its text.
    let mut table: Vec<(u64, usize, Option<&'a str>, Option<&'a str>)> = Vec::new();
    let mut masked = String::new();
    let assigned: IdxCa = rows
        .map(|r| {
            let title = r.title?;
            template::mask_names(title, &r.names, &mut masked);
            let (miner, places) = miners
                .entry(r.rule)
                .or_insert_with(|| (Miner::new(similarity), Vec::new()));
            let c = miner.add(&masked);
            if c == places.len() {
                places.push(table.len() as u32);
                table.push((r.rule, c, r.name, r.team));
            }
            Some(places[c] as IdxSize)
        })
        .collect();
    let finished: PlHashMap<u64, (Vec<usize>, Vec<String>)> = miners
        .iter()
        .map(|(rule, (m, _))| (*rule, m.finish()))
        .collect();
    let texts: Vec<String> = table
        .iter()
        .map(|(rule, c, _, _)| {
            finished
                .get(rule)
                .map_or(String::new(), |(of_text, t)| t[of_text[*c]].clone())
        })
        .collect();
    // Template texts that more than one rule gave (one rule may give a
    // text twice: clusters joined by [`Miner::finish`]).
    let mut rules_of: PlHashMap<&str, Vec<usize>> = PlHashMap::default();
    for (i, text) in texts.iter().enumerate() {
        rules_of.entry(text.as_str()).or_default().push(i);
    }
    let mut named = texts.clone();
    let many_rules = |places: &Vec<usize>| places.iter().any(|&i| table[i].0 != table[places[0]].0);
    for places in rules_of.values().filter(|p| many_rules(p)) {
        let label = |i: usize, with_team: bool| {
            let (_, _, name, team) = table[i];
            match (name, team, with_team) {
                (Some(n), Some(t), true) => format!("{n}, {t}"),
                (Some(n), _, _) => n.to_string(),
                (None, Some(t), _) => t.to_string(),
                (None, None, _) => "?".to_string(),
            }
        };
        let by_name: std::collections::BTreeSet<String> =
            places.iter().map(|&i| label(i, false)).collect();
        let rules: std::collections::BTreeSet<u64> = places.iter().map(|&i| table[i].0).collect();
        let with_team = by_name.len() < rules.len();
        for &i in places {
            named[i] = format!("{} [{}]", texts[i], label(i, with_team));
        }
    }
    let templates: StringChunked = named.into_iter().map(Some).collect();
    templates.take(&assigned)
}

/// A template's family: its text without the rule's name that
/// [`mine_rules`] puts after a text two rules share (`Disk almost full
/// [PaymentsDisk]` → `Disk almost full`): the rules of one family are
/// similar rules (one rule copied across teams, or a service's rules named
/// alike). A text that ends in a bracketed word of its own is cut there
/// too, which only makes its family wider.
pub fn family(template: &str) -> &str {
    match template.strip_suffix(']').and_then(|t| t.rfind(" [")) {
        Some(at) => &template[..at],
        None => template,
    }
}

/// Grouping accuracy (Zhu et al., ICSE-SEIP 2019): the share of texts whose
/// predicted cluster holds exactly the texts of their true group.
pub fn grouping_accuracy<P, T>(predicted: &[P], truth: &[T]) -> f64
where
    P: std::hash::Hash + Eq,
    T: std::hash::Hash + Eq,
{
    use std::collections::HashMap;
    if predicted.is_empty() || predicted.len() != truth.len() {
        return 0.0;
    }
    // For each predicted cluster: its size and the true groups inside it.
    let mut pred_size: HashMap<&P, usize> = HashMap::new();
    let mut true_size: HashMap<&T, usize> = HashMap::new();
    let mut pair: HashMap<(&P, &T), usize> = HashMap::new();
    for (p, t) in predicted.iter().zip(truth) {
        *pred_size.entry(p).or_insert(0) += 1;
        *true_size.entry(t).or_insert(0) += 1;
        *pair.entry((p, t)).or_insert(0) += 1;
    }
    let correct: usize = pair
        .iter()
        .filter(|((p, t), n)| pred_size[p] == **n && true_size[t] == **n)
        .map(|(_, n)| *n)
        .sum();
    correct as f64 / predicted.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lifetime 00:01` and `lifetime <1 sec` are one kind whose value
    /// sometimes carries a unit: the longer template joins the shorter,
    /// whichever came first; two words more, or a word after a literal,
    /// do not.
    #[test]
    fn an_optional_unit_at_the_end_does_not_split_a_kind() {
        let texts = [
            "h:80 close, 403 bytes sent, lifetime <1 sec",
            "h:80 close, 0 bytes sent, lifetime 00:01",
            "h:80 close, 7 bytes sent, lifetime 2 sec",
            "h:80 close, 7 bytes sent, lifetime 2 sec ago now",
            "Disk full on db",
            "Disk full on db now",
        ];
        let (assigned, templates) = mine(texts, 0.6, 0);
        assert_eq!(assigned[0], assigned[1]);
        assert_eq!(assigned[0], assigned[2]);
        assert_ne!(assigned[0], assigned[3]);
        assert_ne!(assigned[4], assigned[5]);
        assert_eq!(
            templates[assigned[0]],
            "h:<*> close, <*> bytes sent, lifetime <*>"
        );
        // Every cluster's template is its final cluster's.
        assert_eq!(templates[0], templates[assigned[1]]);
        assert_eq!(
            grouping_accuracy(&assigned, &["a", "a", "a", "b", "c", "d"]),
            1.0
        );
    }

    /// A reverse-DNS name leading a line as its label (`com.apple.x.y:`),
    /// digits in it or not, is a variable of the kind; plain labels
    /// (`Warning:`, `Notice:`) still name kinds of their own.
    #[test]
    fn reverse_dns_labels_are_names() {
        let texts = [
            "com.apple.icloud.fmfd.heartbeat: told me to run this job; but not for 439 seconds. Ignoring.",
            "com.apple.Safari.SafeBrowsing.Update: told me to run this job; but not for 2450 seconds. Ignoring.",
            "com.apple.xpc.launchd.pid.32442: told me to run this job; but not for 12 seconds. Ignoring.",
            "Warning: told me to run this job; but not for 7 seconds. Ignoring.",
            "Notice: told me to run this job; but not for 9 seconds. Ignoring.",
        ];
        let (assigned, _) = mine(texts, 0.6, 0);
        assert_eq!(assigned[0], assigned[1]);
        assert_eq!(assigned[0], assigned[2]);
        assert_ne!(assigned[0], assigned[3]);
        assert_ne!(assigned[3], assigned[4]);
    }

    /// Rules as Alertmanager names them (`alertname`, team `pay`):
    /// `PaymentsDisk` and `SearchDisk` send one title text; `ErrorRate`
    /// fires for two services that lead its title (different first words:
    /// Drain's prefix routing alone would keep them apart); `Checkout` is
    /// one name for two rules (error rate, latency).
    #[test]
    fn mines_rule_by_rule() {
        let row = |labels: &'static str, title: &'static str, svc: Option<&'static str>| {
            let (key, name) = template::rule_of("alertmanager", Some("pay"), Some(labels));
            RuleText {
                rule: key,
                name,
                team: Some("pay"),
                title: Some(title),
                names: [svc, None],
            }
        };
        let rows = vec![
            row(
                r#"{"alertname":"PaymentsDisk","severity":"page"}"#,
                "Disk almost full",
                None,
            ),
            row(
                r#"{"alertname":"SearchDisk","severity":"page"}"#,
                "Disk almost full",
                None,
            ),
            row(
                r#"{"alertname":"ErrorRate","severity":"page"}"#,
                "checkout error rate above threshold",
                Some("checkout"),
            ),
            row(
                r#"{"alertname":"ErrorRate","severity":"page"}"#,
                "search error rate above threshold",
                Some("search"),
            ),
            row(
                r#"{"alertname":"Checkout","severity":"page"}"#,
                "Checkout error rate high",
                Some("checkout-api"),
            ),
            row(
                r#"{"alertname":"Checkout","severity":"page"}"#,
                "Checkout latency high",
                Some("checkout-api"),
            ),
            row(
                r#"{"alertname":"PaymentsDisk","severity":"page"}"#,
                "Disk almost full",
                None,
            ),
        ];
        let got = mine_rules(rows.into_iter(), 0.6).unwrap();
        let got: Vec<&str> = got.iter().map(|t| t.unwrap_or("-")).collect();
        assert_eq!(
            got,
            [
                "Disk almost full [PaymentsDisk]",
                "Disk almost full [SearchDisk]",
                "<*> error rate above threshold",
                "<*> error rate above threshold",
                "Checkout error rate high",
                "Checkout latency high",
                "Disk almost full [PaymentsDisk]",
            ]
        );
        // A name shared by two teams' rules: the team tells them apart.
        let team_row = |team: &'static str| {
            let labels = "{\"alertname\":\"HostDown\"}";
            let (key, name) = template::rule_of("alertmanager", Some(team), Some(labels));
            RuleText {
                rule: key,
                name,
                team: Some(team),
                title: Some("Host down"),
                names: [None, None],
            }
        };
        let got = mine_rules([team_row("pay"), team_row("data")].into_iter(), 0.6).unwrap();
        let got: Vec<&str> = got.iter().map(|t| t.unwrap_or("-")).collect();
        assert_eq!(
            got,
            ["Host down [HostDown, pay]", "Host down [HostDown, data]"]
        );
    }

    /// An optional bracketed detail holding a value, present on some
    /// messages of a kind only, does not split the kind; a bracketed word
    /// with no value stays.
    #[test]
    fn optional_parts_do_not_split_a_kind() {
        let (c, t) = mine(
            [
                "Received block of size 12 (12 KB) from peer",
                "Received block of size 7 from peer",
                "Received block of size 9 [dn-3] from peer",
                "Lost block (corrupt) from peer",
                "Lost block from peer",
            ],
            0.6,
            0,
        );
        assert_eq!(c[0], c[1]);
        assert_eq!(c[0], c[2]);
        assert_ne!(c[3], c[4]);
        assert_eq!(t[c[0]], "Received block of size <*> from peer");
    }

    #[test]
    fn names_the_alert_carries_are_variables() {
        let mut out = String::new();
        template::mask_names(
            "Node pay-alpha not ready\nsecond line",
            &[Some("pay-alpha")],
            &mut out,
        );
        assert_eq!(out, "Node <*> not ready");
        // Whole words only; a one-letter name is left alone.
        template::mask_names(
            "search-api slow for search (x)",
            &[Some("search"), Some("x")],
            &mut out,
        );
        assert_eq!(out, "search-api slow for <*> (x)");
    }

    #[test]
    fn merges_one_rule_keeps_two_apart() {
        let (c, t) = mine(
            [
                "Deployment of refunds finished",
                "Deployment of invoices finished",
                "Disk on pay-03 will be full in 1582 hours",
                "Disk on pay-07 will be full in 12 hours",
                "Deployment of refunds failed badly today",
            ],
            0.6,
            0,
        );
        assert_eq!(c[0], c[1]);
        assert_eq!(c[2], c[3]);
        assert_ne!(c[0], c[4]);
        assert_eq!(t[c[0]], "Deployment of <*> finished");
        assert_eq!(t[c[2]], "Disk on <*> will be full in <*> hours");
    }

    /// With word choices, a variable that took two or three plain words is
    /// a choice between kinds; four words, or a value with a digit, keep it
    /// a variable; the choice is made once every line is in (the SPP line
    /// comes after the template had widened).
    #[test]
    fn a_variable_of_two_or_three_plain_words_is_a_choice_of_kind() {
        let lines = [
            "Session: 30546173_4261722401 initialized by client WindowsUpdateAgent.",
            "Session: 30546174_4261722402 initialized by client WindowsUpdateAgent.",
            "Session: 30546175_4261722403 initialized by client SPP.",
            "Starting TrustedInstaller initialization.",
            "Starting TrustedInstaller finalization.",
            "Starting TrustedInstaller initialization.",
            "Deployment of refunds finished",
            "Deployment of invoices finished",
            "Deployment of ledger finished",
            "Deployment of search finished",
            "Worker pool w1 idle",
            "Worker pool w2 idle",
            "Worker pool main idle",
        ];
        let (c, t) = mine(lines, 0.6, 3);
        let of = |i: usize| t[c[i]].as_str();
        assert_eq!(
            of(0),
            "Session: <*> initialized by client WindowsUpdateAgent."
        );
        assert_eq!(c[0], c[1]);
        assert_eq!(of(2), "Session: <*> initialized by client SPP.");
        assert_eq!(of(3), "Starting TrustedInstaller initialization.");
        assert_eq!(c[3], c[5]);
        assert_eq!(of(4), "Starting TrustedInstaller finalization.");
        // Four services: a variable.
        assert!(c[6..10].iter().all(|&x| x == c[6]));
        assert_eq!(of(6), "Deployment of <*> finished");
        // `w1`, `w2` hold digits: the position is a variable, `main` too.
        assert!(c[10..13].iter().all(|&x| x == c[10]));
        assert_eq!(of(10), "Worker pool <*> idle");
        assert_eq!(t.len(), 6);
        // Without choices (alert titles), one template per kind as before.
        let (c, t) = mine(lines, 0.6, 0);
        assert_eq!(c[0], c[2]);
        assert_eq!(c[3], c[4]);
        assert_eq!(t[c[0]], "Session: <*> initialized by client <*>");
        assert_eq!(t.len(), 4);
    }

    /// Each row gets its text's template; a null stays null.
    #[test]
    fn mine_column_templates_every_row() {
        use polars::prelude::NewChunkedArray;
        let texts = polars::prelude::StringChunked::from_slice_options(
            "title".into(),
            &[
                Some("Deployment of refunds finished"),
                None,
                Some("Disk on pay-03 will be full in 1582 hours"),
                Some("Deployment of invoices finished"),
            ],
        );
        let got = mine_column(&texts, 0.6).unwrap();
        let got: Vec<Option<&str>> = got.iter().collect();
        assert_eq!(
            got,
            [
                Some("Deployment of <*> finished"),
                None,
                Some("Disk on <*> will be full in <*> hours"),
                Some("Deployment of <*> finished"),
            ]
        );
    }

    #[test]
    fn grouping_accuracy_by_hand() {
        // Truth: {0,1} A, {2} B, {3} C. Predicted: {0,1} x, {2,3} y.
        // Lines 0 and 1 are right; 2 and 3 share a cluster with another
        // group: 2 of 4.
        let ga = grouping_accuracy(&[1, 1, 2, 2], &["A", "A", "B", "C"]);
        assert!((ga - 0.5).abs() < 1e-12);
        assert!((grouping_accuracy(&[5, 6], &["A", "B"]) - 1.0).abs() < 1e-12);
    }
}
