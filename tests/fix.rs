//! `alertsift fix` on a small hand-built Alertmanager history: the rule
//! files and the configuration are written here, the values each change
//! must carry are worked out by hand in the comments, and Prometheus' own
//! tools (promtool, amtool: `.ci/run` installs them) check the result.

use std::path::Path;
use std::process::Command;

use crate::util::{alertsift, skip, stderr, which};

/// 2026-03-02T00:00:00Z, a Monday.
const T0: i64 = 1_772_409_600;

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string()
}

/// The two webhook deliveries (firing, resolved) of one occurrence.
fn occurrence(name: &str, severity: &str, instance: &str, start: i64, secs: i64) -> String {
    let labels = serde_json::json!({
        "alertname": name, "instance": instance, "service": "api",
        "severity": severity, "team": "web",
    });
    let one = |status: &str, at: i64, ends: String| {
        serde_json::json!({
            "receiver": "pager", "status": status, "version": "4",
            "groupKey": format!("{{}}:{{alertname=\"{name}\"}}"),
            "groupLabels": {"alertname": name}, "commonLabels": labels,
            "commonAnnotations": {}, "externalURL": "http://am:9093", "truncatedAlerts": 0,
            "receivedAt": iso(at),
            "alerts": [{
                "status": status, "labels": labels, "annotations": {"summary": format!("{name} on {instance}")},
                "startsAt": iso(start), "endsAt": ends, "generatorURL": "http://prom:9090/graph",
                "fingerprint": format!("{:016x}", alertsift::core::hash::fnv1a(format!("{name}{instance}").as_bytes())),
            }],
        })
        .to_string()
    };
    format!(
        "{}\n{}\n",
        one("firing", start, "0001-01-01T00:00:00Z".into()),
        one("resolved", start + secs, iso(start + secs))
    )
}

/// The history: `Blip` fires 33 times, 30 of them for 60, 65, …, 205 s
/// and 3 for 30 min, each resolving by itself; `Orphan` (no definition)
/// 4 times. Occurrences are 7 h 13 min apart, so no two are near each
/// other or at one time of day.
fn history() -> String {
    let mut out = String::new();
    let mut t = T0 + 3_600;
    for i in 0..33 {
        let secs = if i % 11 == 10 {
            1_800
        } else {
            60 + 5 * (i - i / 11)
        };
        out.push_str(&occurrence("Blip", "warning", &format!("web-{i}"), t, secs));
        t += 7 * 3_600 + 13 * 60;
    }
    for i in 0..4 {
        out.push_str(&occurrence(
            "Orphan",
            "critical",
            &format!("db-{i}"),
            t,
            600,
        ));
        t += 7 * 3_600 + 13 * 60;
    }
    // `Chatter`: 6 times for 40 min, resolving by itself, never worked on.
    for i in 0..6 {
        out.push_str(&occurrence(
            "Chatter",
            "error",
            &format!("q-{i}"),
            T0 + 5_400 + i * 86_400 + i * 3_900,
            2_400,
        ));
    }
    out
}

const RULES: &str = "\
# Team web's rules. Comments, quoting and order must survive the patch.
groups:
  - name: web
    interval: 30s
    rules:
      - alert: Blip
        expr: rate(http_errors_total[1m]) > 0.1   # noisy
        for: \"1m\"
        labels:
          severity: warning
          team: web
          service: api
        annotations:
          summary: 'Blip on {{ $labels.instance }}'
      - alert: Quiet
        expr: up == 0
        labels: {severity: critical, team: web}
";

/// `Chatter`, as a Kubernetes PrometheusRule resource beside a ConfigMap.
const K8S_RULES: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: unrelated
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: queue
spec:
  groups:
  - name: queue
    rules:
    - alert: Chatter
      expr: queue_depth > 100
      for: 2m
      labels:
        severity: error
        team: web
";

const ALERTMANAGER: &str = "\
route:
  receiver: pager
  group_by: [alertname]
  routes:
    - receiver: tickets
      matchers:
        - severity=~\"info|ticket\"
receivers:
  - name: pager
  - name: tickets
";

const CONFIG: &str = "timezone = \"UTC\"\n[teams.web]\nservices = [\"api\"]\n[paging]\nalertmanager_receivers = [\"pager\"]\n";

/// Whether promtool and amtool are installed (else the test says it
/// skips; under CI=true that fails).
fn tools() -> bool {
    let here = which("promtool").is_some() && which("amtool").is_some();
    if !here {
        skip("promtool / amtool are not installed (.ci/run installs Debian's packages)");
    }
    here
}

/// `promtool test rules FILE` in `dir`.
fn promtool_test(dir: &Path, file: &str) -> std::process::Output {
    Command::new("promtool")
        .args(["test", "rules", file])
        .current_dir(dir)
        .output()
        .unwrap()
}

/// A file as JSON.
fn json_of(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn setup(dir: &Path) {
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("history.jsonl"), history()).unwrap();
    std::fs::write(dir.join("rules/web.yml"), RULES).unwrap();
    std::fs::write(dir.join("rules/queue.yaml"), K8S_RULES).unwrap();
    std::fs::write(dir.join("alertmanager.yml"), ALERTMANAGER).unwrap();
    std::fs::write(dir.join("alertsift.toml"), CONFIG).unwrap();
}

#[test]
fn fix_raises_for_from_the_rules_own_history_and_prometheus_agrees() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    let o = alertsift(
        dir,
        &[
            "fix",
            "history.jsonl",
            "--rules",
            "rules",
            "--alertmanager",
            "alertmanager.yml",
            "--out",
            "out",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = json_of(&dir.join("out/fix.json"));
    let changes = report["changes"].as_array().unwrap();
    let blip = changes
        .iter()
        .find(|c| c["rule"] == "Blip")
        .expect("a change for Blip");
    // The 33 self-resolved durations: 60, 65, …, 205 s and 3 × 1800 s. Their
    // p90 (rank 0.9 · 32 = 28.8) is 200 + 0.8 · 5 = 204 s: 4 whole minutes
    // on top of the `for: 1m` the history was recorded with, so `5m`.
    assert_eq!(blip["kind"], "for", "{blip}");
    assert_eq!(blip["before"], "1m");
    assert_eq!(blip["after"], "5m");
    assert_eq!(blip["written"], true);
    assert_eq!(blip["evidence"]["pages"], 33);
    // The 30 short ones would have resolved within the added 4 minutes;
    // the period runs from the first page to the last, 36 gaps of 7 h 13 min.
    let weeks = 36.0 * (7.0 * 60.0 + 13.0) / 60.0 / 24.0 / 7.0;
    let saved = blip["evidence"]["saved_pages_per_week"].as_f64().unwrap();
    assert!(
        (saved * weeks - 30.0).abs() < 1e-6,
        "{saved} per week over {weeks} weeks"
    );
    // The diff: one line per file (the directory's files in name order),
    // quoted as it was; comments and order untouched.
    let diff = std::fs::read_to_string(dir.join("out/fix.diff")).unwrap();
    assert!(
        diff.starts_with("--- a/rules/queue.yaml\n+++ b/rules/queue.yaml\n"),
        "{diff}"
    );
    assert!(
        diff.contains("\n--- a/rules/web.yml\n+++ b/rules/web.yml\n"),
        "{diff}"
    );
    let minus: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .collect();
    let plus: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(
        minus,
        ["-        severity: error", "-        for: \"1m\""],
        "{diff}"
    );
    assert_eq!(
        plus,
        ["+        severity: info", "+        for: \"5m\""],
        "{diff}"
    );
    // It applies with patch -p1, and gives the file with that one change.
    let copy = tmp.path().join("applied");
    std::fs::create_dir_all(copy.join("rules")).unwrap();
    std::fs::write(copy.join("rules/web.yml"), RULES).unwrap();
    std::fs::write(copy.join("rules/queue.yaml"), K8S_RULES).unwrap();
    let p = Command::new("patch")
        .args(["-p1", "-i"])
        .arg(dir.join("out/fix.diff"))
        .current_dir(&copy)
        .output()
        .unwrap();
    assert!(p.status.success(), "{}", String::from_utf8_lossy(&p.stderr));
    assert_eq!(
        std::fs::read_to_string(copy.join("rules/web.yml")).unwrap(),
        RULES.replace("for: \"1m\"", "for: \"5m\"")
    );
    assert_eq!(
        std::fs::read_to_string(copy.join("rules/queue.yaml")).unwrap(),
        K8S_RULES.replace("severity: error", "severity: info")
    );
    // `Chatter` never led to work and never self-resolved quickly: off the
    // pager, through the route tree's own `severity=~"info|ticket"`.
    let chatter = changes
        .iter()
        .find(|c| c["rule"] == "Chatter")
        .expect("a change for Chatter");
    assert_eq!(chatter["kind"], "route", "{chatter}");
    assert_eq!(chatter["after"], "severity: info");
    assert!(
        diff.contains("--- a/rules/queue.yaml\n+++ b/rules/queue.yaml\n"),
        "{diff}"
    );
    assert!(
        diff.contains("\n-        severity: error\n+        severity: info\n"),
        "{diff}"
    );
    // Rules without a definition, definitions that never fired.
    assert_eq!(report["undefined"], serde_json::json!([["Orphan", 4]]));
    assert_eq!(
        report["never_fired"],
        serde_json::json!(["rules/web.yml: Quiet"])
    );
    // The real tools: the patched files, and the replay of every page of
    // Blip through Prometheus' evaluator (33 checks: the 3 long ones fire,
    // the 30 short ones never do).
    for c in report["checks"].as_array().unwrap() {
        assert_eq!(c["passed"], true, "{c}");
    }
    assert_eq!(report["checks"].as_array().unwrap().len(), 3);
    assert_eq!(report["replay_checks"], 33);
    let test = std::fs::read_to_string(dir.join("out/replay-test.yml")).unwrap();
    assert_eq!(test.matches("exp_labels:").count(), 3, "{test}");
    assert_eq!(test.matches("exp_alerts: []").count(), 30);
    // The shipped test is the one a reviewer reruns: promtool agrees, and
    // disagrees once one expectation is turned around.
    let rerun = |file: &str| promtool_test(&dir.join("out"), file);
    assert!(rerun("replay-test.yml").status.success());
    let turned = test.replacen("exp_alerts: []", "exp_alerts:\n              - exp_labels:\n                  rule: \"Blip\"\n                  page: \"0\"", 1);
    std::fs::write(dir.join("out/turned.yml"), turned).unwrap();
    assert!(!rerun("turned.yml").status.success());
}

#[test]
fn fix_write_changes_the_files_in_place_and_keeps_the_originals() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    let o = alertsift(
        dir,
        &[
            "fix",
            "history.jsonl",
            "--rules",
            "rules/web.yml",
            "--out",
            "out",
            "--write",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("rules/web.yml.orig")).unwrap(),
        RULES
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("rules/web.yml")).unwrap(),
        RULES.replace("for: \"1m\"", "for: \"5m\"")
    );
}

#[test]
fn fix_write_refuses_when_promtool_rejects_the_result() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    // A rule file Prometheus would not load (an unclosed bracket).
    let broken = RULES.replace("rate(http_errors_total[1m])", "rate(http_errors_total[1m]");
    std::fs::write(dir.join("rules/web.yml"), &broken).unwrap();
    let o = alertsift(
        dir,
        &[
            "fix",
            "history.jsonl",
            "--rules",
            "rules/web.yml",
            "--out",
            "out",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("promtool check rules (the patched rule files): FAILED"),
        "{}",
        stderr(&o)
    );
    let o = alertsift(
        dir,
        &[
            "fix",
            "history.jsonl",
            "--rules",
            "rules/web.yml",
            "--out",
            "out",
            "--write",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--write refused"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("rules/web.yml")).unwrap(),
        broken
    );
    assert!(!dir.join("rules/web.yml.orig").exists());
}

#[test]
fn fix_says_what_is_wrong_with_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    std::fs::write(dir.join("bad.yml"), "groups:\n  - name: [x\n").unwrap();
    std::fs::write(dir.join("latin1.yml"), b"groups: \xe9\n").unwrap();
    for (args, expect) in [
        (
            vec!["--rules", "alertmanager.yml"],
            "give it with --alertmanager",
        ),
        (vec!["--rules", "empty"], "no .yml or .yaml file"),
        (vec!["--rules", "bad.yml"], "not valid YAML: line"),
        (vec!["--rules", "latin1.yml"], "not UTF-8"),
        (vec!["--rules", "missing.yml"], "cannot read it"),
        (vec!["--rules", "history.jsonl"], "not valid YAML"),
        (
            vec!["--rules", "rules", "--alertmanager", "rules/web.yml"],
            "give it with --rules",
        ),
        (
            vec!["--rules", "rules", "--prometheus", "rules/web.yml"],
            "give it with --rules",
        ),
        (
            vec!["--rules", "rules", "--prometheus", "alertmanager.yml"],
            "give it with --alertmanager",
        ),
        (
            vec!["--rules", "rules", "--prometheus", "alertsift.toml"],
            "not a Prometheus configuration",
        ),
    ] {
        let mut a = vec!["fix", "history.jsonl", "--out", "out"];
        a.extend(args.iter().copied());
        let o = alertsift(dir, &a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{args:?}: {}", stderr(&o));
    }
    // Without --rules: clap's own message.
    let o = alertsift(dir, &["fix", "history.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--rules"), "{}", stderr(&o));
}

/// `Flap`, `for: 2m`: three bursts of 11 occurrences of 10 min each (long
/// enough not to be transient), 7 h apart, on `lb-0`, `lb-1`, `lb-0`. In a
/// burst the gaps from clearing to firing again are 3, 3, 4, 4, 5, 5, 6,
/// 6, 7 and 20 minutes.
fn flapping_history() -> String {
    const GAPS: [i64; 10] = [3, 3, 4, 4, 5, 5, 6, 6, 7, 20];
    let mut out = String::new();
    for (b, instance) in ["lb-0", "lb-1", "lb-0"].iter().enumerate() {
        let mut t = T0 + 3_600 + b as i64 * 7 * 3_600;
        for k in 0..11 {
            out.push_str(&occurrence("Flap", "warning", instance, t, 600));
            t += 600 + GAPS.get(k).copied().unwrap_or(0) * 60;
        }
    }
    out
}

const FLAP_RULES: &str = "\
groups:
  - name: lb
    rules:
      - alert: Flap
        expr: lb_backend_up == 0
        for: 2m
        labels:
          severity: warning
";

#[test]
fn fix_keeps_a_flapping_rule_firing_and_prometheus_agrees() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("history.jsonl"), flapping_history()).unwrap();
    std::fs::write(dir.join("rules.yml"), FLAP_RULES).unwrap();
    std::fs::write(dir.join("alertsift.toml"), CONFIG).unwrap();
    let o = alertsift(
        dir,
        &[
            "fix",
            "history.jsonl",
            "--rules",
            "rules.yml",
            "--out",
            "out",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = json_of(&dir.join("out/fix.json"));
    let flap = &report["changes"][0];
    // The 30 re-fires (each burst's first page follows hours of quiet, no
    // re-fire): sorted, 3 × 6, 4 × 6, 5 × 6, 6 × 6, 7 × 3, 20 × 3 minutes;
    // p90 at rank 0.9 · 29 = 26.1 is 7 + 0.1 · 13 = 8.3 min: continue
    // re-fires within 9 min. Prometheus' expression came back `for: 2m`
    // before each page fired, so `keep_firing_for: 7m` does that.
    assert_eq!(flap["rule"], "Flap", "{report}");
    assert_eq!(flap["kind"], "keep_firing_for", "{flap}");
    assert_eq!(flap["before"], serde_json::Value::Null);
    assert_eq!(flap["after"], "7m");
    let diff = std::fs::read_to_string(dir.join("out/fix.diff")).unwrap();
    assert!(
        diff.contains("         for: 2m\n+        keep_firing_for: 7m\n         labels:\n"),
        "{diff}"
    );
    // 27 re-fires within 9 min are continued; each burst's 20-min re-fire and
    // its first page notify: 6 of 33.
    // The period: from the first page to the last page's end, 14 h and a
    // burst (11 × 10 min and 63 min of gaps); the per-week figures count
    // at least a day.
    let weeks: f64 =
        ((14.0 * 3_600.0 + 11.0 * 600.0 + 63.0 * 60.0) / (7.0 * 86_400.0_f64)).max(1.0 / 7.0);
    let saved = flap["evidence"]["saved_pages_per_week"].as_f64().unwrap();
    assert!((saved * weeks - 27.0).abs() < 1e-6, "{saved}");
    // Prometheus agrees, page by page: 2 alerts (lb-0, lb-1) whose first
    // page fires, 27 re-fires still firing at the last evaluation before
    // their expression came back, 4 pages of their own (resolved by then:
    // three 20-min re-fires and lb-0's third burst).
    for c in report["checks"].as_array().unwrap() {
        assert_eq!(c["passed"], true, "{c}");
    }
    assert_eq!(report["replay_checks"], 33);
    let test = std::fs::read_to_string(dir.join("out/replay-test.yml")).unwrap();
    assert_eq!(test.matches("exp_labels:").count(), 29, "{test}");
    assert_eq!(test.matches("exp_alerts: []").count(), 4, "{test}");
    let rules = std::fs::read_to_string(dir.join("out/replay-rules.yml")).unwrap();
    assert!(
        rules.contains("for: 2m\n        keep_firing_for: 7m\n"),
        "{rules}"
    );
    let rerun = |file: &str| promtool_test(&dir.join("out"), file);
    let ok = rerun("replay-test.yml");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    // The longest continued re-fires come 7 min after clearing: their
    // expression was false for 5 min. With `keep_firing_for: 4m` they
    // would be pages of their own, and promtool says so.
    std::fs::write(
        dir.join("out/replay-rules.yml"),
        rules.replace("keep_firing_for: 7m", "keep_firing_for: 4m"),
    )
    .unwrap();
    assert!(!rerun("replay-test.yml").status.success());
}

/// A Prometheus configuration of an HA pair: each replica adds its
/// `replica` label to every alert.
const PROMETHEUS: &str = "\
global:
  evaluation_interval: 30s
  external_labels:
    replica: prometheus-0 # prometheus-1 on the other
rule_files:
  - prometheus-rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:9093']
";

/// One paged Alertmanager alert of a demo history, from `truth.csv` and the
/// webhook export (its labels).
struct TruthPage {
    fingerprint: String,
    labels: serde_json::Map<String, serde_json::Value>,
    actionable: bool,
    /// A real problem (the demo's `real` pattern: the ones that lead to
    /// incidents), not one that could have waited until morning.
    real: bool,
    pattern: String,
    transient: bool,
    start: i64,
    end: Option<i64>,
}

fn truth_pages(dir: &Path) -> Vec<TruthPage> {
    let secs = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp())
    };
    // Each fingerprint's labels, from the export itself.
    let mut labels = std::collections::HashMap::new();
    for line in std::fs::read_to_string(dir.join("alertmanager-webhooks.jsonl"))
        .unwrap()
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for a in v["alerts"].as_array().unwrap() {
            labels.insert(
                a["fingerprint"].as_str().unwrap().to_string(),
                a["labels"].as_object().unwrap().clone(),
            );
        }
    }
    let mut out = Vec::new();
    let mut r = csv::Reader::from_path(dir.join("truth.csv")).unwrap();
    for row in r.deserialize::<std::collections::HashMap<String, String>>() {
        let row = row.unwrap();
        if row["source"] != "alertmanager" || row["paged"] != "true" {
            continue;
        }
        let fingerprint = row["alert_id"].split('@').next().unwrap().to_string();
        out.push(TruthPage {
            labels: labels[&fingerprint].clone(),
            fingerprint,
            actionable: row["label"] == "actionable",
            real: row["pattern"] == "real",
            pattern: row["pattern"].clone(),
            transient: row["pattern"] == "transient" && row["auto_resolved"] == "true",
            start: secs(&row["triggered_at"]).unwrap(),
            end: secs(&row["resolved_at"]),
        });
    }
    out
}

/// `alertsift fix` on demo histories that nothing was tuned on (other
/// seeds, noise mixes and host names than the sample data's), judged by
/// the demo's ground truth: every rule whose pages are mostly self-resolving
/// noise gets a `for:` at least as long as most of its self-resolved
/// durations; no written `for:` or `keep_firing_for:` hides a page that was
/// actionable, and no rule with real problems is routed off the pager; the
/// diff applies; promtool and amtool pass.
#[test]
fn fix_on_unseen_demo_histories_follows_the_ground_truth() {
    if !tools() {
        return;
    }
    let histories: [&[&str]; 2] = [
        &["--seed", "31", "--noise-mix", "2", "--weeks", "6"],
        &[
            "--seed",
            "57",
            "--noise-mix",
            "0.5",
            "--word-hosts",
            "--weeks",
            "8",
        ],
    ];
    let (mut inhibits, mut mutes, mut relabels) = (0, 0, 0);
    // Whether `t` falls in a mute change's daily windows, in its zone.
    let in_window = |mute: &serde_json::Value, t: i64| {
        let tz: chrono_tz::Tz = mute[1].as_str().unwrap().parse().unwrap();
        let local = chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .with_timezone(&tz)
            .format("%H:%M")
            .to_string();
        mute[0].as_array().unwrap().iter().any(|w| {
            w[0].as_str().unwrap() <= local.as_str() && local.as_str() < w[1].as_str().unwrap()
        })
    };
    for extra in histories {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut args = vec![
            "demo",
            "--out",
            ".",
            "--only",
            "alertmanager",
            "--alerts",
            "3000",
            "-q",
        ];
        args.extend(extra);
        let o = alertsift(dir, &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        // The HA pair behind the demo's `replica` label.
        std::fs::write(dir.join("prometheus.yml"), PROMETHEUS).unwrap();
        let o = alertsift(
            dir,
            &[
                "fix",
                "alertmanager-webhooks.jsonl",
                "servicenow-incidents.csv",
                "--rules",
                "prometheus-rules.yml",
                "--alertmanager",
                "alertmanager.yml",
                "--prometheus",
                "prometheus.yml",
                "--out",
                "out",
                "-q",
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        let report = json_of(&dir.join("out/fix.json"));
        let checks = report["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 4, "{extra:?}");
        for c in checks {
            assert_eq!(c["passed"], true, "{extra:?}: {c}");
        }
        let truth = truth_pages(dir);
        let changes = report["changes"].as_array().unwrap();
        let secs = |d: &serde_json::Value| {
            d.as_str().map_or(0, |d| {
                let (mut total, mut n) = (0i64, 0i64);
                for c in d.chars() {
                    match c {
                        '0'..='9' => n = n * 10 + i64::from(c as u8 - b'0'),
                        'h' => (total, n) = (total + n * 3_600, 0),
                        'm' => (total, n) = (total + n * 60, 0),
                        's' => (total, n) = (total + n, 0),
                        _ => panic!("{d}"),
                    }
                }
                total
            })
        };
        let of = |c: &serde_json::Value| -> Vec<&TruthPage> {
            let matchers = c["matchers"].as_array().unwrap();
            truth
                .iter()
                .filter(|p| {
                    matchers
                        .iter()
                        .all(|m| p.labels.get(m[0].as_str().unwrap()) == Some(&m[1]))
                })
                .collect()
        };
        // No written change hides an actionable page.
        let mut written = 0;
        for c in changes.iter().filter(|c| c["written"] == true) {
            written += 1;
            let ps = of(c);
            let added = match c["kind"].as_str() {
                Some("for" | "keep_firing_for") => secs(&c["after"]) - secs(&c["before"]),
                _ => 0,
            };
            for p in ps.iter().filter(|p| p.actionable) {
                match c["kind"].as_str().unwrap() {
                    // Hidden: resolved by itself within the added delay.
                    "for" => assert!(
                        p.end.is_none_or(|e| e - p.start >= added),
                        "{extra:?}: {c} hides an actionable page of {}s",
                        p.end.unwrap_or(0) - p.start
                    ),
                    // Hidden: fired again within the window of the same
                    // alert clearing (the window in the history's terms
                    // is the added value plus the rule's `for:`).
                    "keep_firing_for" => {
                        let window = added + c["in_force"][0].as_i64().unwrap();
                        let hidden = ps.iter().any(|q| {
                            q.fingerprint == p.fingerprint
                                && q.end.is_some_and(|e| e <= p.start && p.start - e <= window)
                        });
                        assert!(!hidden, "{extra:?}: {c} hides an actionable page");
                    }
                    // Off the pager to a receiver that does not page: right
                    // for a problem that could have waited until morning
                    // (the demo's `wrong_time`: a ticket, no incident),
                    // wrong for a real one.
                    "route" => assert!(
                        !p.real,
                        "{extra:?}: {c} routes away a rule with real problems"
                    ),
                    // Muted while the source fires with equal labels.
                    "inhibit" => {
                        let (source, equal) =
                            (&c["inhibit"][0], c["inhibit"][1].as_array().unwrap());
                        let muted = truth.iter().any(|q| {
                            q.labels["alertname"] == *source
                                && q.start <= p.start
                                && q.end.is_none_or(|e| e > p.start)
                                && equal.iter().all(|k| {
                                    let k = k.as_str().unwrap();
                                    q.labels.get(k) == p.labels.get(k)
                                })
                        });
                        assert!(!muted, "{extra:?}: {c} mutes an actionable page");
                    }
                    // A copy of an alert of the rule still open, but for
                    // the cleared labels.
                    "relabel" => {
                        let cleared: Vec<&str> = c["after"]
                            .as_str()
                            .unwrap()
                            .trim_start_matches("clear ")
                            .split(" on ")
                            .next()
                            .unwrap()
                            .split(", ")
                            .collect();
                        let same = |q: &TruthPage| {
                            let keep = |l: &serde_json::Map<String, serde_json::Value>| {
                                l.iter()
                                    .filter(|(k, _)| !cleared.contains(&k.as_str()))
                                    .map(|(k, v)| (k.clone(), v.clone()))
                                    .collect::<Vec<_>>()
                            };
                            keep(&q.labels) == keep(&p.labels)
                        };
                        let folded = ps.iter().any(|q| {
                            q.start < p.start && q.end.is_none_or(|e| e > p.start) && same(q)
                        });
                        assert!(!folded, "{extra:?}: {c} folds away an actionable page");
                    }
                    // Fired inside the daily window, local time.
                    "mute" => assert!(
                        !in_window(&c["mute"], p.start),
                        "{extra:?}: {c} mutes an actionable page"
                    ),
                    k => panic!("{k}"),
                }
            }
        }
        assert!(written >= 5, "{extra:?}: {written} written changes");
        // The storms' secondaries and the nightly jobs get their inhibition
        // and their mute window, around most of their pages.
        for c in changes.iter().filter(|c| c["written"] == true) {
            let ps = of(c);
            let share = |pattern: &str| {
                ps.iter().filter(|p| p.pattern == pattern).count() as f64 / ps.len() as f64
            };
            match c["kind"].as_str().unwrap() {
                "relabel" => {
                    relabels += 1;
                    assert!(share("duplicate") > 0.3, "{extra:?}: {c}");
                }
                "inhibit" => {
                    inhibits += 1;
                    assert!(share("storm_secondary") > 0.5, "{extra:?}: {c}");
                }
                "mute" => {
                    mutes += 1;
                    assert!(share("recurring") > 0.5, "{extra:?}: {c}");
                    let nightly: Vec<_> = ps.iter().filter(|p| p.pattern == "recurring").collect();
                    let inside = nightly
                        .iter()
                        .filter(|p| in_window(&c["mute"], p.start))
                        .count();
                    assert!(
                        inside * 10 >= nightly.len() * 8,
                        "{extra:?}: {c} covers {inside} of {} nightly pages",
                        nightly.len()
                    );
                }
                _ => {}
            }
        }
        // Every rule of mostly self-resolving noise gets a long enough `for:`.
        let mut names: Vec<&str> = truth
            .iter()
            .filter_map(|p| p.labels["alertname"].as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut self_resolving = 0;
        for name in names {
            let ps: Vec<&TruthPage> = truth
                .iter()
                .filter(|p| p.labels["alertname"] == name)
                .collect();
            let durations: Vec<i64> = ps
                .iter()
                .filter(|p| p.transient)
                .filter_map(|p| p.end.map(|e| e - p.start))
                .collect();
            if (durations.len() as f64) < 0.8 * ps.len() as f64 || ps.len() < 10 {
                continue;
            }
            self_resolving += 1;
            let c = changes
                .iter()
                .find(|c| c["rule"] == name && c["written"] == true)
                .unwrap_or_else(|| panic!("{extra:?}: no written change for {name}"));
            assert_eq!(c["kind"], "for", "{extra:?}: {c}");
            let added = secs(&c["after"]) - secs(&c["before"]);
            let covered = durations.iter().filter(|&&d| d < added).count();
            assert!(
                2 * covered > durations.len(),
                "{extra:?}: {name}: `for` +{added}s covers {covered} of {} self-resolved durations",
                durations.len()
            );
        }
        assert!(self_resolving >= 3, "{extra:?}: {self_resolving} rules");
        // The diff applies to copies of the files.
        let copy = dir.join("copy");
        std::fs::create_dir_all(&copy).unwrap();
        for f in ["prometheus-rules.yml", "alertmanager.yml", "prometheus.yml"] {
            std::fs::copy(dir.join(f), copy.join(f)).unwrap();
        }
        let p = Command::new("patch")
            .args(["-p1", "-i"])
            .arg(dir.join("out/fix.diff"))
            .current_dir(&copy)
            .output()
            .unwrap();
        assert!(p.status.success(), "{}", String::from_utf8_lossy(&p.stderr));
    }
    assert!(
        inhibits >= 2 && mutes >= 2 && relabels >= 2,
        "{inhibits} inhibitions, {mutes} mutes, {relabels} relabels"
    );
}

/// The sample data's PagerDuty and Opsgenie pages have no rule files:
/// `fix.md` says each noisy template's change in the vendor's own terms,
/// with the minutes the template's own auto-resolved durations call for
/// (worked out here from `truth.csv`).
#[test]
fn fix_says_the_change_in_each_vendors_terms() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let s = |f: &str| sample.join(f).to_string_lossy().to_string();
    let o = alertsift(
        tmp.path(),
        &[
            "fix",
            &s("pagerduty-incidents.csv"),
            &s("opsgenie-alerts.json"),
            &s("alertmanager-webhooks.jsonl"),
            &s("servicenow-incidents.csv"),
            "--config",
            &s("alertsift.toml"),
            "--rules",
            &s("prometheus-rules.yml"),
            "--alertmanager",
            &s("alertmanager.yml"),
            "--out",
            "out",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = json_of(&tmp.path().join("out/fix.json"));
    let vendor = report["plan"]["vendor"]
        .as_array()
        .or_else(|| report["vendor"].as_array())
        .expect("vendor changes in fix.json");
    // Each template's auto-resolved durations, from the ground truth.
    let mut durations: std::collections::HashMap<(String, String), Vec<f64>> = Default::default();
    let mut r = csv::Reader::from_path(sample.join("truth.csv")).unwrap();
    for row in r.deserialize::<std::collections::HashMap<String, String>>() {
        let row = row.unwrap();
        if row["paged"] != "true" || row["auto_resolved"] != "true" {
            continue;
        }
        let t = |k: &str| {
            chrono::DateTime::parse_from_rfc3339(&row[k])
                .unwrap()
                .timestamp()
        };
        durations
            .entry((row["source"].clone(), row["template"].clone()))
            .or_default()
            .push((t("resolved_at") - t("triggered_at")) as f64);
    }
    let mut checked = 0;
    for v in vendor {
        let (source, template) = (
            v["source"].as_str().unwrap(),
            v["template"].as_str().unwrap(),
        );
        let change = v["change"].as_str().unwrap();
        assert!(
            ["pagerduty", "opsgenie"].contains(&source),
            "only the vendors without rule files: {v}"
        );
        let fix = v["evidence"]["fix"].as_str().unwrap();
        if !fix.starts_with("delay paging") || fix.contains("held to") {
            continue;
        }
        let Some(d) = durations.get_mut(&(source.to_string(), template.to_string())) else {
            continue;
        };
        // p90, linear between ranks, in whole minutes up.
        d.sort_by(f64::total_cmp);
        let pos = 0.9 * (d.len() - 1) as f64;
        let (lo, hi) = (d[pos.floor() as usize], d[pos.ceil() as usize]);
        let p90 = lo + (hi - lo) * (pos - pos.floor());
        let minutes = ((p90 / 60.0).ceil() as u64).max(1);
        let expected = match source {
            "pagerduty" => format!(
                "Auto-Pause incident notifications on service {} with a {} min pause",
                v["services"][0].as_str().unwrap(),
                minutes.max(2)
            ),
            _ => format!("delaying these alerts' notifications by {minutes} min"),
        };
        assert!(change.contains(&expected), "{change}\nexpected: {expected}");
        checked += 1;
    }
    assert!(checked >= 4, "{checked} vendor changes checked");
    let md = std::fs::read_to_string(tmp.path().join("out/fix.md")).unwrap();
    assert!(md.contains("## Sources without rule files: the change in the vendor's terms"));
}

/// A tagged actionable page holds the `for:` below it; `--allow-hiding`
/// lets the replay's value through and says what it hides.
#[test]
fn fix_holds_for_below_an_actionable_page_unless_allowed() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    // Blip's sixth page (web-5, 60 + 5 · 5 = 85 s) was real work.
    let start = T0 + 3_600 + 5 * (7 * 3_600 + 13 * 60);
    let fingerprint = format!("{:016x}", alertsift::core::hash::fnv1a(b"Blipweb-5"));
    let id = format!(
        "{fingerprint}@{}",
        chrono::DateTime::from_timestamp(start, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
    );
    std::fs::write(
        dir.join("tags.csv"),
        format!("alert_id,label\n{id},actionable\n"),
    )
    .unwrap();
    let fix = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "fix",
            "history.jsonl",
            "--rules",
            "rules/web.yml",
            "--labels",
            "tags.csv",
            "--out",
            "out",
            "-q",
        ];
        args.extend(extra);
        let o = alertsift(dir, &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let report = json_of(&dir.join("out/fix.json"));
        report["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["rule"] == "Blip")
            .cloned()
            .expect("a change for Blip")
    };
    // Held: a `for:` of 2 more minutes would hide the 85 s page, so 1 more
    // minute on top of `for: 1m`.
    let held = fix(&[]);
    assert_eq!(held["after"], "2m", "{held}");
    assert!(
        held["change"].as_str().unwrap().contains("held to 1m"),
        "{held}"
    );
    assert_eq!(held["evidence"]["actionable_hidden"], 0, "{held}");
    // Allowed: the p90's 4 more minutes, and the one page it hides.
    let allowed = fix(&["--allow-hiding"]);
    assert_eq!(allowed["after"], "5m", "{allowed}");
    assert_eq!(allowed["evidence"]["actionable_hidden"], 1, "{allowed}");
}

/// A webhook capture no one here wrote (a real Prometheus and
/// Alertmanager, 70 s; `../shared/data/alertmanager`) with the rules its
/// `generatorURL`s name: ProbeFlapping (`vector(time() % 20) < 6`, no
/// `for:`) fires for 6 s and clears for 14 s, so a `keep_firing_for:`
/// longer than 14 s continues it; promtool agrees on each page.
#[test]
fn fix_on_a_real_capture() {
    if !tools() {
        return;
    }
    let Some(capture) = crate::util::shared("alertmanager/webhook-capture-70s.jsonl") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("rules.yml"),
        "groups:\n  - name: capture\n    rules:\n      - alert: ProbeFlapping\n        expr: vector(time() % 20) < 6\n        labels:\n          severity: critical\n          team: platform\n          service: ingress\n      - alert: DeployFinished\n        expr: vector(time() % 30) < 10\n        labels:\n          severity: info\n          team: data\n          service: warehouse\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("alertsift.toml"),
        "[paging]\nalertmanager_receivers = [\"pager\"]\n",
    )
    .unwrap();
    let o = alertsift(
        dir,
        &[
            "fix",
            capture.to_str().unwrap(),
            "--rules",
            "rules.yml",
            "--out",
            "out",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = json_of(&dir.join("out/fix.json"));
    let probe = &report["changes"][0];
    assert_eq!(probe["rule"], "ProbeFlapping", "{report}");
    let secs = alertsift::fix::plan::parse_duration(probe["after"].as_str().unwrap()).unwrap();
    match probe["kind"].as_str().unwrap() {
        "keep_firing_for" => assert!(secs > 14, "{probe}"),
        "for" => assert!(secs > 6, "{probe}"),
        k => panic!("{k}: {probe}"),
    }
    // DeployFinished went to `slack`, which does not page.
    assert_eq!(
        report["never_fired"],
        serde_json::json!(["rules.yml: DeployFinished"])
    );
    for c in report["checks"].as_array().unwrap() {
        assert_eq!(c["passed"], true, "{c}");
    }
    assert!(report["replay_checks"].as_u64().unwrap() >= 3, "{report}");
}
