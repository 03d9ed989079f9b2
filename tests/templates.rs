//! The template miner on Loghub-2k (eight systems with ground-truth
//! templates, `../shared/data/loghub-2k`), scored by grouping accuracy, with
//! one setting for all systems.

use alertsift::classify::drain::grouping_accuracy;
use std::path::{Path, PathBuf};

use crate::util::*;

/// Each system's floor: a little under what the miner scores today, well
/// over Drain's published figure where it was beaten.
const FLOORS: [(&str, f64); 8] = [
    ("HDFS", 0.99),
    ("Hadoop", 0.97),
    ("Zookeeper", 0.99),
    ("BGL", 0.975),
    ("Linux", 0.68),
    ("HealthApp", 0.97),
    ("OpenStack", 0.94),
    ("Apache", 0.99),
];

#[test]
fn loghub_grouping_accuracy() {
    let mut sum = 0.0;
    for (system, floor) in FLOORS {
        let Some(path) = shared(&format!(
            "loghub-2k/{system}/{system}_2k.log_structured.csv"
        )) else {
            return;
        };
        let truth: Vec<String> = {
            let mut r = csv::Reader::from_path(&path).unwrap();
            let h = r.headers().unwrap().clone();
            let i = h.iter().position(|c| c == "EventId").unwrap();
            r.records().map(|rec| rec.unwrap()[i].to_string()).collect()
        };
        let mut out = Vec::new();
        let outcome = alertsift::pipeline::templates(
            &path,
            Some("Content"),
            &alertsift::config::Config::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!(outcome.records, 2000);
        let ga = grouping_accuracy(&outcome.ids, &truth);
        println!("{system:<10} {ga:.4}");
        assert!(ga >= floor, "{system}: {ga:.4} < {floor}");
        sum += ga;
        // The CSV written is line,template_id,template, one row per record.
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("line,template_id,template\n"));
        assert_eq!(text.lines().count(), 2001);
    }
    let mean = sum / FLOORS.len() as f64;
    println!("mean       {mean:.4}");
    assert!(mean >= 0.94, "mean grouping accuracy {mean:.4}");
}

#[test]
fn templates_command_lines_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("titles.txt");
    std::fs::write(
        &text,
        "CPU 93% on web-12\nCPU 97% on web-31\nDeployment of refunds finished\nDeployment of invoices finished\n\
         Deployment of ledger finished\nDeployment of search finished\n\
         Starting TrustedInstaller initialization.\nStarting TrustedInstaller finalization.\n",
    )
    .unwrap();
    let out = dir.path().join("t.csv");
    let o = alertsift(
        dir.path(),
        &[
            "templates",
            text.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[0][0], "1");
    assert_eq!(rows[0][2], "CPU <*> on <*>");
    assert_eq!(rows[0][1], rows[1][1]);
    // Four services: a variable.
    assert_eq!(rows[2][2], "Deployment of <*> finished");
    assert!(rows[2..6].iter().all(|r| r[1] == rows[2][1]));
    // Two plain words at one place: two kinds of line
    // (`[classify] template_word_choices`).
    assert_eq!(rows[6][2], "Starting TrustedInstaller initialization.");
    assert_eq!(rows[7][2], "Starting TrustedInstaller finalization.");
    assert_ne!(rows[6][1], rows[7][1]);
    // Turned off, the two are one template again.
    let off = dir.path().join("off.toml");
    std::fs::write(&off, "[classify]\ntemplate_word_choices = 0\n").unwrap();
    let out_off = dir.path().join("t-off.csv");
    let o = alertsift(
        dir.path(),
        &[
            "templates",
            text.to_str().unwrap(),
            "--config",
            off.to_str().unwrap(),
            "--out",
            out_off.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows_off = csv_rows(&out_off);
    assert_eq!(rows_off[6][2], "Starting TrustedInstaller <*>");
    assert_eq!(rows_off[6][1], rows_off[7][1]);
    // Deterministic: the same input gives the same bytes.
    let again = dir.path().join("t2.csv");
    alertsift(
        dir.path(),
        &[
            "templates",
            text.to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
    // A missing column is named, with the header.
    let csv = dir.path().join("a.csv");
    std::fs::write(&csv, "id,msg\n1,hello\n").unwrap();
    let o = alertsift(
        dir.path(),
        &["templates", csv.to_str().unwrap(), "--column", "title"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no column \"title\"; the header has: id, msg"),
        "{}",
        stderr(&o)
    );
    let o = alertsift(dir.path(), &["templates", "/nonexistent.txt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent.txt"), "{}", stderr(&o));
}

/// A PagerDuty-style description with a second line on some alerts of a
/// rule (`Runbook: <url>`) is one rule: the run finds one template per rule
/// and one identity (the re-fire 10 minutes after a clear is FLAPPING,
/// with or without the second line).
#[test]
fn a_second_line_does_not_split_a_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv_path = d.join("pages.csv");
    let mut w = csv::Writer::from_path(&csv_path).unwrap();
    w.write_record([
        "id",
        "title",
        "team",
        "service",
        "triggered",
        "acked",
        "resolved",
        "auto",
        "paged",
        "severity",
        "responders",
    ])
    .unwrap();
    let rows = [
        (
            "p1",
            "Disk almost full on db-1",
            "2026-03-02 10:00:00",
            "2026-03-02 10:02:00",
        ),
        (
            "p2",
            "Disk almost full on db-2\nRunbook: https://wiki.example.com/disk",
            "2026-03-02 12:00:00",
            "2026-03-02 12:02:00",
        ),
        (
            "p3",
            "Queue stuck on worker-7",
            "2026-03-03 09:00:00",
            "2026-03-03 09:01:00",
        ),
        (
            "p4",
            "Queue stuck on worker-7\r\nRunbook: https://wiki.example.com/queue",
            "2026-03-03 09:11:00",
            "2026-03-03 09:12:00",
        ),
    ];
    for (id, title, t, r) in rows {
        w.write_record([
            id, title, "pay", "api", t, "", r, "yes", "yes", "critical", "Ada",
        ])
        .unwrap();
    }
    w.flush().unwrap();
    let out = d.join("out");
    let h = fixture("headline");
    let o = alertsift(
        d,
        &[
            "run",
            csv_path.to_str().unwrap(),
            "--mapping",
            h.join("mapping.toml").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    // Two rules: "Disk almost full on <*>" and "Queue stuck on <*>".
    assert_eq!(s["templates"], 2, "{}", s["templates"]);
    let alerts = read_parquet(&out.join("alerts.parquet"));
    let template = |id: &str| text(&alerts, "template", row(&alerts, "alert_id", id));
    assert_eq!(template("p1"), template("p2"));
    assert_eq!(template("p3"), template("p4"));
    assert_eq!(template("p3").as_deref(), Some("Queue stuck on <*>"));
    // p4 re-fires 10 minutes after p3 cleared: one identity, FLAPPING.
    let reasons = list(&alerts, "reasons", row(&alerts, "alert_id", "p4")).unwrap();
    assert!(reasons.iter().any(|r| r == "FLAPPING"), "{reasons:?}");
    // The title keeps its detail.
    assert!(text(&alerts, "title", row(&alerts, "alert_id", "p2"))
        .unwrap()
        .contains("Runbook"));
}

/// A demo history in another title style (`--runbook-lines`: a third of
/// PagerDuty descriptions get a `Runbook: <url>` line) groups as the truth
/// does: every true template is exactly one template id (GA 1; before
/// titles were cut to their first line it was about 0.5).
#[test]
fn runbook_lines_keep_every_rule_one_template() {
    let dir = tempfile::tempdir().unwrap();
    let demo = every_rule_one_template(dir.path(), &["--runbook-lines", "0.3"]);
    let pd = std::fs::read_to_string(demo.join("pagerduty-incidents.csv")).unwrap();
    assert!(
        pd.matches("Runbook: https://").count() > 20,
        "few runbook lines"
    );
}

/// Hosts named with words (`srch-grove`), which lead some titles ("Indexer
/// srch-grove behind by …"): still one template per rule.
#[test]
fn word_host_names_keep_every_rule_one_template() {
    let dir = tempfile::tempdir().unwrap();
    let demo = every_rule_one_template(dir.path(), &["--word-hosts"]);
    let pd = std::fs::read_to_string(demo.join("pagerduty-incidents.csv")).unwrap();
    assert!(pd.contains("Indexer srch-"), "no title led by a host");
    assert!(!pd.contains("srch-0"), "a host with digits");
}

/// Alertmanager names after the service (one `alertname` for several
/// rules of a service) and twice the noise: still one template per rule.
#[test]
fn service_rule_names_keep_every_rule_one_template() {
    let dir = tempfile::tempdir().unwrap();
    let demo = every_rule_one_template(dir.path(), &["--service-rule-names", "--noise-mix", "2"]);
    let am = std::fs::read_to_string(demo.join("alertmanager-webhooks.jsonl")).unwrap();
    // The platform team's rules are named after their services now.
    assert!(
        am.contains(r#""alertname":"ingress""#),
        "no alertname after a service"
    );
    assert!(!am.contains(r#""alertname":"IngressDown""#));
}

/// A two-week demo in another style, run: every true template is one
/// template_id, and every template_id one true template. Returns the demo
/// directory.
fn every_rule_one_template(d: &Path, style: &[&str]) -> PathBuf {
    let demo = d.join("demo");
    let mut args = vec!["--seed", "3", "--weeks", "2", "--alerts", "600"];
    args.extend_from_slice(style);
    run_demo(d, &demo, &args);
    let out = d.join("out");
    run_quietly(d, &demo, &out);
    let alerts = read_parquet(&out.join("alerts.parquet"));
    let got: std::collections::HashMap<String, String> = (0..alerts.height())
        .map(|i| {
            (
                text(&alerts, "alert_id", i).unwrap(),
                text(&alerts, "template_id", i).unwrap(),
            )
        })
        .collect();
    let mut ids_of: std::collections::HashMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    let mut truth_of: std::collections::HashMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for row in truth_rows(&demo) {
        let id = &got[&row["alert_id"]];
        ids_of
            .entry(row["template"].clone())
            .or_default()
            .insert(id.clone());
        truth_of
            .entry(id.clone())
            .or_default()
            .insert(row["template"].clone());
    }
    for (template, ids) in &ids_of {
        assert_eq!(ids.len(), 1, "{template:?} split into {ids:?}");
    }
    for (id, templates) in &truth_of {
        assert_eq!(templates.len(), 1, "{id} merges {templates:?}");
    }
    demo
}
