//! Runbook coverage (issue #29; the definition is the README's "Runbook
//! coverage"). A page *has a runbook* when its occurrence carried a link
//! to one in any of its notifications ([`crate::schema::RUNBOOK`]). A rule
//! (a template) has a runbook when one of its pages in the period did; it
//! is *tier-1* when one of its pages had a severity `[kpis]
//! tier1_severities` names (default critical). Reported: the share of
//! pages with a runbook (`kpis.runbook_coverage_pages`), of rules and of
//! tier-1 rules with one (against `[targets] runbook_coverage`, default
//! 80%), the share of pages and of sleep interruptions that came from
//! rules without one (a rule's own interruptions: its pages merged among
//! themselves, as the per-template load counts them), per team (a rule's
//! team is the one most of its pages have), and the rules without a
//! runbook ranked by pages.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Load;
use crate::config::Config;
use crate::pages::{Page, Pages};

/// How many rules without a runbook `summary.json` lists (all of them are
/// in `tables/runbooks.csv`).
pub const LISTED: usize = 20;

/// Runbook coverage of the period's pages.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunbookCoverage {
    /// `[targets] runbook_coverage`: the share of tier-1 rules that should
    /// have a runbook.
    pub target: f64,
    /// `[kpis] tier1_severities`.
    pub tier1_severities: Vec<String>,
    /// The figures over every team.
    #[serde(flatten)]
    pub all: Coverage,
    /// Rules with a runbook among tier-1 rules ≥ the target (null without
    /// tier-1 rules).
    pub tier1_on_target: Option<bool>,
    /// Sleep interruptions of all rules (each rule's own).
    pub sleep_interruptions: u64,
    /// Of them, from rules without a runbook.
    pub sleep_interruptions_without: u64,
    /// sleep_interruptions_without / sleep_interruptions (null without
    /// any).
    pub sleep_share_without: Option<f64>,
    /// Per team (`(none)`: rules whose pages have no team).
    pub teams: BTreeMap<String, Coverage>,
    /// The rules without a runbook, most pages first (at most [`LISTED`]).
    pub without: Vec<Rule>,
    /// How many rules have no runbook.
    pub without_total: u64,
}

/// Coverage counts of a set of rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Coverage {
    /// Pages.
    pub pages: u64,
    /// Of them, with a runbook.
    pub pages_with_runbook: u64,
    /// pages_with_runbook / pages (null without pages).
    pub coverage_pages: Option<f64>,
    /// Rules paged.
    pub rules: u64,
    /// Of them, with a runbook.
    pub rules_with_runbook: u64,
    /// rules_with_runbook / rules.
    pub coverage_rules: Option<f64>,
    /// Tier-1 rules.
    pub tier1_rules: u64,
    /// Of them, with a runbook.
    pub tier1_rules_with_runbook: u64,
    /// tier1_rules_with_runbook / tier1_rules (null without tier-1 rules).
    pub coverage_tier1_rules: Option<f64>,
    /// Pages of rules without a runbook.
    pub pages_from_rules_without: u64,
    /// pages_from_rules_without / pages.
    pub share_pages_from_rules_without: Option<f64>,
}

/// One rule's coverage.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rule {
    /// The rule (its template).
    pub rule: String,
    /// The team most of its pages have.
    pub team: String,
    /// A page of it had a tier-1 severity.
    pub tier1: bool,
    /// Its pages in the period.
    pub pages: u64,
    /// Of them, with a runbook.
    pub pages_with_runbook: u64,
    /// Its own sleep interruptions.
    pub sleep_interruptions: u64,
}

impl Rule {
    /// A page of it carried a runbook link.
    pub fn has_runbook(&self) -> bool {
        self.pages_with_runbook > 0
    }
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Coverage {
    fn add(&mut self, r: &Rule) {
        self.pages += r.pages;
        self.pages_with_runbook += r.pages_with_runbook;
        self.rules += 1;
        self.rules_with_runbook += u64::from(r.has_runbook());
        self.tier1_rules += u64::from(r.tier1);
        self.tier1_rules_with_runbook += u64::from(r.tier1 && r.has_runbook());
        if !r.has_runbook() {
            self.pages_from_rules_without += r.pages;
        }
    }

    fn finish(&mut self) {
        self.coverage_pages = share(self.pages_with_runbook, self.pages);
        self.coverage_rules = share(self.rules_with_runbook, self.rules);
        self.coverage_tier1_rules = share(self.tier1_rules_with_runbook, self.tier1_rules);
        self.share_pages_from_rules_without = share(self.pages_from_rules_without, self.pages);
    }
}

/// Every rule paged in the period (`inside`), by name; `templates` are the
/// per-template loads (their own sleep interruptions).
pub fn rules(
    inside: &[&Page],
    pages: &Pages,
    templates: &BTreeMap<String, Load>,
    config: &Config,
) -> Vec<Rule> {
    let tier1 = &config.kpis.tier1_severities;
    // Per rule: (pages, with a runbook, tier-1, pages per team).
    type Tally<'a> = (u64, u64, bool, BTreeMap<&'a str, u64>);
    let mut by: BTreeMap<&str, Tally<'_>> = BTreeMap::new();
    for p in inside {
        let t = by.entry(pages.label(p.template)).or_default();
        t.0 += 1;
        t.1 += u64::from(p.has_runbook());
        t.2 |= pages
            .name(p.severity)
            .is_some_and(|sev| tier1.iter().any(|x| x == sev));
        *t.3.entry(pages.label(p.team)).or_insert(0) += 1;
    }
    by.into_iter()
        .map(|(rule, (n, with, is_tier1, teams))| {
            // The team with most pages; ties: the first by name.
            let team = teams
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map_or("(none)", |(t, _)| t);
            Rule {
                rule: rule.to_string(),
                team: team.to_string(),
                tier1: is_tier1,
                pages: n,
                pages_with_runbook: with,
                sleep_interruptions: templates.get(rule).map_or(0, |l| l.interruptions.sleep),
            }
        })
        .collect()
}

/// The coverage of `rules` ([`rules`]).
pub fn coverage(rules: &[Rule], config: &Config) -> RunbookCoverage {
    let mut out = RunbookCoverage {
        target: config.targets.runbook_coverage,
        tier1_severities: config.kpis.tier1_severities.clone(),
        ..RunbookCoverage::default()
    };
    for r in rules {
        out.all.add(r);
        out.teams.entry(r.team.clone()).or_default().add(r);
        out.sleep_interruptions += r.sleep_interruptions;
        if !r.has_runbook() {
            out.sleep_interruptions_without += r.sleep_interruptions;
        }
    }
    out.all.finish();
    for t in out.teams.values_mut() {
        t.finish();
    }
    out.sleep_share_without = share(out.sleep_interruptions_without, out.sleep_interruptions);
    out.tier1_on_target = out.all.coverage_tier1_rules.map(|c| c + 1e-9 >= out.target);
    let mut without: Vec<&Rule> = rules.iter().filter(|r| !r.has_runbook()).collect();
    without.sort_by(|a, b| b.pages.cmp(&a.pages).then_with(|| a.rule.cmp(&b.rule)));
    out.without_total = without.len() as u64;
    out.without = without.into_iter().take(LISTED).cloned().collect();
    out
}
