//! The rule file and Alertmanager configuration `alertsift demo` writes
//! for its Alertmanager-paged rules, checked by Prometheus' own tools
//! (`promtool`, `amtool`: Debian's `prometheus` and
//! `prometheus-alertmanager`, which `.ci/run` installs) and against the
//! webhooks the same history holds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::util::{run_demo, skip, which};

/// Each rule block of the file as written: its `alert` name and labels.
fn rule_blocks(text: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut rules: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut in_labels = false;
    for line in text.lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("- alert: ") {
            rules.push((name.to_string(), BTreeMap::new()));
            in_labels = false;
        } else if t == "labels:" {
            in_labels = true;
        } else if t.ends_with(':') || t.starts_with("expr:") || t.starts_with("for:") {
            in_labels = false;
        } else if in_labels {
            let (k, v) = t.split_once(": ").unwrap();
            rules.last_mut().unwrap().1.insert(k.into(), v.into());
        }
    }
    rules
}

/// The distinct `(alertname, severity, team, service, receiver)` of the
/// webhooks of a demo history.
fn webhook_alerts(dir: &Path) -> BTreeSet<[String; 5]> {
    let text = std::fs::read_to_string(dir.join("alertmanager-webhooks.jsonl")).unwrap();
    let mut seen = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let receiver = v["receiver"].as_str().unwrap().to_string();
        for a in v["alerts"].as_array().unwrap() {
            let l = |k: &str| a["labels"][k].as_str().unwrap_or_default().to_string();
            seen.insert([
                l("alertname"),
                l("severity"),
                l("team"),
                l("service"),
                receiver.clone(),
            ]);
        }
    }
    seen
}

/// The mixed history (one Alertmanager team) and an Alertmanager-only one
/// with rules named after their services (two rules of one name): the
/// files pass `promtool check rules` (its duplicate-rule lint too, where
/// no two rules share a name) and `amtool check-config`; every
/// alert of the webhooks has a rule of its name with its labels; and
/// Alertmanager's own routing sends each alert's labels to the receiver
/// its webhooks name (`amtool config routes test`).
#[test]
fn demo_rule_files_pass_the_tools_and_agree_with_the_webhooks() {
    let (Some(promtool), Some(amtool)) = (which("promtool"), which("amtool")) else {
        skip("promtool / amtool are not installed (.ci/run installs Debian's packages)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (name, extra) in [
        ("mixed", vec!["--weeks", "3", "--alerts", "1200"]),
        (
            "am",
            vec![
                "--weeks",
                "3",
                "--alerts",
                "1500",
                "--seed",
                "4",
                "--only",
                "alertmanager",
                "--service-rule-names",
            ],
        ),
    ] {
        let dir = tmp.path().join(name);
        run_demo(tmp.path(), &dir, &extra);
        let rules_file = dir.join("prometheus-rules.yml");
        let am_file = dir.join("alertmanager.yml");
        let text = std::fs::read_to_string(&rules_file).unwrap();
        let blocks = rule_blocks(&text);

        // Rules named after their service are, to promtool's lint,
        // duplicates (one name, one label set, two expressions): the very
        // case that history style is there for. Its syntax is checked.
        let lint = if name == "am" {
            "--lint=none"
        } else {
            "--lint=duplicate-rules"
        };
        let o = Command::new(&promtool)
            .args(["check", "rules", lint])
            .arg(&rules_file)
            .output()
            .unwrap();
        let out =
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{name}: {out}");
        assert!(
            out.contains(&format!("SUCCESS: {} rules found", blocks.len())),
            "{name}: {out}"
        );
        let o = Command::new(&amtool)
            .args(["check-config"])
            .arg(&am_file)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );

        // `run` skips them, saying what they are.
        assert_eq!(
            alertsift::ingest::not_an_export(&rules_file),
            Some("a Prometheus rule file: it says which alerts exist, not when they fired (`run --rules` reads its runbook annotations)")
        );
        assert_eq!(
            alertsift::ingest::not_an_export(&am_file),
            Some("an Alertmanager configuration: it says where alerts go, not when they fired")
        );
        assert_eq!(
            alertsift::ingest::not_an_export(&dir.join("truth.csv")),
            None
        );

        let alerts = webhook_alerts(&dir);
        assert!(alerts.len() >= 5, "{name}: {alerts:?}");
        if name == "am" {
            // Two rules of one name, and both receivers used.
            assert!(blocks.len() > blocks.iter().map(|b| &b.0).collect::<BTreeSet<_>>().len());
            assert!(alerts.iter().any(|a| a[4] == "slack"));
        }
        for [alertname, severity, team, service, receiver] in &alerts {
            let labels: BTreeMap<String, String> =
                [("severity", severity), ("team", team), ("service", service)]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect();
            assert!(
                blocks.iter().any(|(n, l)| n == alertname && *l == labels),
                "{name}: no rule {alertname} with {labels:?}"
            );
            let o = Command::new(&amtool)
                .args(["config", "routes", "test", "--config.file"])
                .arg(&am_file)
                .arg(format!("alertname={alertname}"))
                .arg(format!("severity={severity}"))
                .arg(format!("team={team}"))
                .arg(format!("service={service}"))
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            assert_eq!(
                String::from_utf8_lossy(&o.stdout).trim(),
                receiver,
                "{name}: {alertname} {severity}"
            );
        }
    }
}

/// A YAML file that is neither is not named.
#[test]
fn other_yaml_is_not_named() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("values.yaml");
    std::fs::write(&f, "replicas: 3\nimage: app\n").unwrap();
    assert_eq!(alertsift::ingest::not_an_export(&f), None);
    let f = tmp.path().join("rules.YAML");
    std::fs::write(
        &f,
        "groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up == 0\n",
    )
    .unwrap();
    assert!(alertsift::ingest::not_an_export(&f).is_some());
}
