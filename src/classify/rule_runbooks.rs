//! Runbook links from rule files (issue #29): an alert whose notifications
//! carried no runbook link takes its alerting rule's `runbook_url` (or
//! `runbook`) annotation, where the rule files are given (`run --rules`).
//! The alert's rule is the one of its `alertname` whose labels all match
//! the alert's (a label whose value is a template, `{{ … }}`, matches any
//! value); of several, the first in the files' order. A link the alert
//! itself carried always wins.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::ingest::record::RUNBOOK_ANNOTATIONS;
use crate::rule_files::RuleDef;
use crate::schema as s;

/// One rule of an `alertname`: its fixed labels and its runbook, if any.
type Rule = (Vec<(String, String)>, Option<String>);

/// The runbook annotation of each alerting rule, by `alertname`.
#[derive(Debug, Clone, Default)]
pub struct RuleRunbooks {
    /// Per `alertname`: each of its rules.
    by_alert: BTreeMap<String, Vec<Rule>>,
    /// What the files held (`summary.json` `kpis.runbook_rule_files`).
    pub counts: RuleFileCounts,
}

/// What the rule files gave the runbook coverage.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RuleFileCounts {
    /// Rule files read.
    pub files: u64,
    /// Alerting rules in them.
    pub rules: u64,
    /// Of them, rules with a `runbook_url` (or `runbook`) annotation.
    pub rules_with_runbook: u64,
    /// Alerts with no link of their own that took their rule's.
    pub alerts_given_one: u64,
}

impl RuleRunbooks {
    /// From the alerting rules of `files` rule files.
    pub fn of(rules: &[RuleDef], files: usize) -> RuleRunbooks {
        let mut out = RuleRunbooks {
            counts: RuleFileCounts {
                files: files as u64,
                rules: rules.len() as u64,
                ..RuleFileCounts::default()
            },
            ..RuleRunbooks::default()
        };
        for r in rules {
            let runbook = RUNBOOK_ANNOTATIONS.iter().find_map(|key| {
                r.annotations
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.trim())
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            });
            out.counts.rules_with_runbook += u64::from(runbook.is_some());
            let fixed = r
                .labels
                .iter()
                .filter(|(_, v)| !v.contains("{{"))
                .cloned()
                .collect();
            out.by_alert
                .entry(r.alert.clone())
                .or_default()
                .push((fixed, runbook));
        }
        out
    }

    /// The runbook of the rule an alert with `labels` (its labels column,
    /// a JSON object) came from.
    fn runbook_of(&self, labels: &str) -> Option<&str> {
        if !labels.contains("alertname") {
            return None;
        }
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(labels).ok()?;
        let name = map.get("alertname")?.as_str()?;
        let label = |k: &str| map.get(k).and_then(serde_json::Value::as_str);
        self.by_alert
            .get(name)?
            .iter()
            .find(|(fixed, _)| fixed.iter().all(|(k, v)| label(k) == Some(v.as_str())))?
            .1
            .as_deref()
    }
}

/// `alerts` with the runbook of each alert that carried none taken from
/// its rule, and how many took one.
pub fn fill(alerts: DataFrame, rules: &RuleRunbooks) -> Result<(DataFrame, u64), Error> {
    let what = "the runbooks of the rule files";
    let runbook = alerts
        .column(s::RUNBOOK)
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars(what))?;
    let labels = alerts
        .column(s::LABELS)
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars(what))?;
    let mut given = 0u64;
    let filled: StringChunked = runbook
        .iter()
        .zip(labels.iter())
        .map(|(own, labels)| match own {
            Some(own) => Some(own),
            None => {
                let found = labels.and_then(|l| rules.runbook_of(l));
                given += u64::from(found.is_some());
                found
            }
        })
        .collect();
    if given == 0 {
        return Ok((alerts, 0));
    }
    let mut alerts = alerts;
    alerts
        .with_column(filled.with_name(s::RUNBOOK.into()).into_column())
        .map_err(Error::polars(what))?;
    Ok((alerts, given))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(alert: &str, labels: &[(&str, &str)], runbook: Option<&str>) -> RuleDef {
        let pairs = |p: &[(&str, &str)]| {
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        RuleDef {
            file: 0,
            group: "g".into(),
            alert: alert.into(),
            expr: "up == 0".into(),
            for_: None,
            keep_firing_for: None,
            labels: pairs(labels),
            annotations: runbook.map_or_else(Vec::new, |r| pairs(&[("runbook_url", r)])),
            node: crate::core::yaml::parse("a: 1").unwrap().remove(0),
        }
    }

    #[test]
    fn an_alert_takes_the_runbook_of_the_rule_its_labels_match() {
        let rr = RuleRunbooks::of(
            &[
                rule(
                    "Disk",
                    &[("severity", "critical")],
                    Some("https://rb/disk-crit"),
                ),
                rule("Disk", &[("severity", "warning")], None),
                rule(
                    "Cpu",
                    &[("instance", "{{ $labels.host }}")],
                    Some(" https://rb/cpu "),
                ),
            ],
            1,
        );
        assert_eq!(rr.counts.rules, 3);
        assert_eq!(rr.counts.rules_with_runbook, 2);
        let of = |l: &str| rr.runbook_of(l);
        assert_eq!(
            of(r#"{"alertname":"Disk","severity":"critical","instance":"a"}"#),
            Some("https://rb/disk-crit")
        );
        // Its rule (severity warning) has none.
        assert_eq!(of(r#"{"alertname":"Disk","severity":"warning"}"#), None);
        // No rule of that name has these labels.
        assert_eq!(of(r#"{"alertname":"Disk"}"#), None);
        // A templated label matches any value; the link is trimmed.
        assert_eq!(
            of(r#"{"alertname":"Cpu","instance":"b"}"#),
            Some("https://rb/cpu")
        );
        assert_eq!(of(r#"{"alertname":"Other"}"#), None);
        assert_eq!(of("not json, alertname"), None);

        let df = df!(
            s::RUNBOOK => [Some("https://own"), None, None, None],
            s::LABELS => [
                Some(r#"{"alertname":"Disk","severity":"critical"}"#),
                Some(r#"{"alertname":"Disk","severity":"critical"}"#),
                Some(r#"{"alertname":"Disk","severity":"warning"}"#),
                None,
            ],
        )
        .unwrap();
        let (df, given) = fill(df, &rr).unwrap();
        assert_eq!(given, 1);
        let got: Vec<Option<&str>> = df
            .column(s::RUNBOOK)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            got,
            [
                Some("https://own"),
                Some("https://rb/disk-crit"),
                None,
                None
            ]
        );
    }
}
