//! The binary end to end: bad inputs, exit codes, rejects, the demo history
//! against its ground truth, determinism.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::util::*;

fn run(dir: &Path, inputs: &[&Path], extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap().to_string()));
    args.extend([
        "--out".into(),
        dir.join("out").to_str().unwrap().to_string(),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    alertsift(dir, &refs)
}

#[test]
fn unknown_format_names_the_file_and_formats_tried() {
    let dir = tempfile::tempdir().unwrap();
    let bad = fixture("bad/unknown.csv");
    let o = run(dir.path(), &[&bad], &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("unknown.csv") && e.contains("matches no known export format"),
        "{e}"
    );
    assert!(
        e.contains("tried: alertmanager, pagerduty-log-entries"),
        "{e}"
    );
    assert!(e.contains("foo,bar,baz"), "{e}");
    assert!(!dir.path().join("out/summary.json").exists());
}

#[test]
fn empty_and_blank_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["bad/empty.csv", "bad/blank.json"] {
        let f = fixture(name);
        let o = run(dir.path(), &[&f], &[]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(stderr(&o).contains("is empty"), "{}", stderr(&o));
    }
    // Forcing a format does not skip the check.
    let f = fixture("bad/empty.csv");
    let o = run(dir.path(), &[&f], &["--format", "pagerduty-csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is empty"), "{}", stderr(&o));
}

#[test]
fn missing_required_column_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("bad/pagerduty-missing-column.csv");
    let o = run(dir.path(), &[&f], &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("missing required column(s) created_on"), "{e}");
    assert!(e.contains("pagerduty-csv"), "{e}");
}

#[test]
fn naive_timestamps_without_zone_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("servicenow/incidents.csv");
    let o = run(dir.path(), &[&f], &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("timestamps without a time zone") && e.contains("[sources.servicenow]"),
        "{e}"
    );
}

#[test]
fn truncated_json_loads_the_good_records_and_writes_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("opsgenie/alerts-truncated.json");
    let o = run(dir.path(), &[&f], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: 1 record(s) could not be read"),
        "{}",
        stderr(&o)
    );
    let rejects = csv_rows(&dir.path().join("out/rejects.csv"));
    assert_eq!(rejects.len(), 1);
    assert!(rejects[0][0].ends_with("alerts-truncated.json"));
    assert_eq!(rejects[0][1], "2");
    assert!(
        rejects[0][3].starts_with("truncated JSON"),
        "{:?}",
        rejects[0]
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["alerts"], 1);
    assert_eq!(summary["rejected"], 1);
    assert_eq!(summary["inputs"][0]["rejected"], 1);
    // --strict turns rejects into exit code 1.
    let o = run(dir.path(), &[&f], &["--strict"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn bad_config_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[paging]\npagerduty_urgency = [\"high\"]\n").unwrap();
    let f = fixture("grafana/alert_groups.json");
    let o = run(dir.path(), &[&f], &["--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pagerduty_urgency"), "{}", stderr(&o));
}

#[test]
fn hostile_titles_survive_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let titles = [
        "<script>alert('x')</script>".to_string(),
        "\"quoted\", with comma".to_string(),
        "two\nlines".to_string(),
        "tab\there".to_string(),
        "rtl \u{202e}gnp.exe".to_string(),
        "=cmd|' /C calc'!A0".to_string(),
        "'; DROP TABLE alerts; --".to_string(),
        "emoji 🔥 and ünïcødé".to_string(),
        "x".repeat(20_000),
    ];
    let path = dir.path().join("hostile.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(PAGERDUTY_CSV_HEADER).unwrap();
    for (i, t) in titles.iter().enumerate() {
        w.write_record([
            format!("P{i}"),
            i.to_string(),
            t.clone(),
            "svc".into(),
            "ep".into(),
            "2024-01-01T00:00:00Z".into(),
            String::new(),
            "0".into(),
            "high".into(),
        ])
        .unwrap();
    }
    w.flush().unwrap();
    let o = run(dir.path(), &[&path], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let df = read_parquet(&dir.path().join("out/alerts.parquet"));
    assert_eq!(df.height(), titles.len());
    for (i, t) in titles.iter().enumerate() {
        let r = row(&df, "alert_id", &format!("P{i}"));
        assert_eq!(text(&df, "title", r).as_deref(), Some(t.as_str()));
    }
}

#[test]
fn help_documents_every_option_and_default() {
    let dir = tempfile::tempdir().unwrap();
    let o = alertsift(dir.path(), &["run", "--help"]);
    let h = String::from_utf8_lossy(&o.stdout);
    for s in [
        "--out",
        "[default: alertsift-out]",
        "--store",
        "--format",
        "--mapping",
        "--strict",
        "--config",
        "pagerduty-csv",
    ] {
        assert!(h.contains(s), "missing {s} in:\n{h}");
    }
    let o = alertsift(dir.path(), &["demo", "--help"]);
    let h = String::from_utf8_lossy(&o.stdout);
    for s in [
        "--weeks",
        "[default: 12]",
        "--alerts",
        "[default: 5000]",
        "--seed",
    ] {
        assert!(h.contains(s), "missing {s} in:\n{h}");
    }
}

#[test]
fn demo_history_round_trips_against_its_truth() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    run_demo(
        dir.path(),
        &demo,
        &["--weeks", "6", "--alerts", "2500", "--seed", "7"],
    );
    let t = truth_rows(&demo);
    // The size asked for, within Poisson noise.
    assert!((2000..3000).contains(&t.len()), "{}", t.len());
    let o = alertsift(
        dir.path(),
        &[
            "run",
            demo.to_str().unwrap(),
            "--out",
            dir.path().join("out").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("out");
    let df = read_parquet(&out.join("alerts.parquet"));
    // Every truth alert is in the table exactly once, with its source, team,
    // paging and resolution as generated.
    assert_eq!(df.height(), t.len());
    let ids = df.column("alert_id").unwrap().str().unwrap().clone();
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, v)| (v.unwrap(), i))
        .collect();
    for rec in &t {
        let i = *index
            .get(rec["alert_id"].as_str())
            .unwrap_or_else(|| panic!("{} missing", rec["alert_id"]));
        assert_eq!(
            text(&df, "source", i).as_deref(),
            Some(rec["source"].as_str())
        );
        assert_eq!(
            text(&df, "team", i).as_deref(),
            Some(rec["team"].as_str()),
            "{}",
            rec["alert_id"]
        );
        assert_eq!(
            flag(&df, "paged", i),
            Some(rec["paged"] == "true"),
            "{}",
            rec["alert_id"]
        );
        assert_eq!(
            time(&df, "triggered_at", i).unwrap(),
            rec["triggered_at"],
            "{}",
            rec["alert_id"]
        );
        let resolved = time(&df, "resolved_at", i).unwrap_or_default();
        assert_eq!(resolved, rec["resolved_at"], "{}", rec["alert_id"]);
        if !rec["resolved_at"].is_empty() {
            assert_eq!(
                flag(&df, "auto_resolved", i),
                Some(rec["auto_resolved"] == "true"),
                "{}",
                rec["alert_id"]
            );
        }
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let mut per_source: BTreeMap<String, u64> = BTreeMap::new();
    for rec in &t {
        *per_source.entry(rec["source"].clone()).or_default() += 1;
    }
    assert_eq!(
        summary["alerts_per_source"],
        serde_json::to_value(&per_source).unwrap()
    );
    assert_eq!(
        summary["pages"],
        t.iter().filter(|r| r["paged"] == "true").count()
    );
    assert_eq!(summary["rejected"], 0);
    assert!(summary["incidents"].as_u64().unwrap() > 0);
    // truth.csv, and the rule file and Alertmanager configuration, named.
    let skipped: Vec<&str> = summary["skipped_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped[0].ends_with("alertmanager.yml: an Alertmanager configuration: it says where alerts go, not when they fired"));
    assert!(skipped[1].ends_with("prometheus-rules.yml: a Prometheus rule file: it says which alerts exist, not when they fired (`run --rules` reads its runbook annotations)"));
    assert!(skipped[2].ends_with("truth.csv: matches no known export format"));

    // Same inputs, same bytes.
    let again = dir.path().join("again");
    let o = alertsift(
        dir.path(),
        &[
            "run",
            demo.to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["alerts.parquet", "incidents.parquet", "summary.json"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
    // And the generator itself is deterministic.
    let demo2 = dir.path().join("demo2");
    run_demo(
        dir.path(),
        &demo2,
        &["--weeks", "6", "--alerts", "2500", "--seed", "7"],
    );
    for f in [
        "pagerduty-incidents.csv",
        "opsgenie-alerts.json",
        "alertmanager-webhooks.jsonl",
        "truth.csv",
    ] {
        assert_eq!(
            std::fs::read(demo.join(f)).unwrap(),
            std::fs::read(demo2.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn bad_tags_files_are_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("opsgenie/alerts.json");
    let cases = [
        ("id,verdict\nx,noise\n", "must name alert_id and label"),
        (
            "alert_id,label\nx,maybe\n",
            "line 2: label \"maybe\" is neither noise nor actionable",
        ),
        (
            "alert_id,label\nx,noise\nx,actionable\n",
            "line 3: x is tagged both noise and actionable",
        ),
        ("alert_id,label\n,noise\n", "line 2: empty alert_id"),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let tags = dir.path().join(format!("tags{i}.csv"));
        std::fs::write(&tags, text).unwrap();
        let o = run(dir.path(), &[&input], &["--labels", tags.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        let e = stderr(&o);
        assert!(
            e.contains(want) && e.contains(&format!("tags{i}.csv")),
            "{e}"
        );
    }
    let o = run(
        dir.path(),
        &[&input],
        &["--labels", "/nonexistent/tags.csv"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/tags.csv"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn explain_prints_the_evidence_and_refuses_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    run_demo(
        dir.path(),
        &demo,
        &["--alerts", "600", "--weeks", "3", "--quiet"],
    );
    let o = run(dir.path(), &[&demo], &["-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A transient alert by the ground truth: its explanation gives the
    // rule, the measured duration and the threshold.
    let truth = truth_rows(&demo);
    let t = truth
        .iter()
        .find(|r| r["pattern"] == "transient")
        .expect("the demo has transient alerts");
    let out = dir.path().join("out");
    let o = alertsift(
        dir.path(),
        &["explain", &t["alert_id"], "--out", out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(&format!("alert {}", t["alert_id"])), "{text}");
    assert!(text.contains("label: noise"), "{text}");
    assert!(
        text.contains("TRANSIENT: resolved by the integration") && text.contains("threshold 5m"),
        "{text}"
    );
    let o = alertsift(
        dir.path(),
        &["explain", "NO-SUCH-ALERT", "--out", out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no alert \"NO-SUCH-ALERT\""),
        "{}",
        stderr(&o)
    );
    // review.csv: the header a tags file needs, and at most 50 rows.
    let rows = csv_rows(&out.join("review.csv"));
    assert!(!rows.is_empty() && rows.len() <= 50);
    let header = std::fs::read_to_string(out.join("review.csv")).unwrap();
    assert!(header.starts_with("alert_id,label,category,"), "{header}");
    // Filled in, it is accepted as --labels (empty labels are skipped).
    let o = run(
        dir.path(),
        &[&demo],
        &["-q", "--labels", out.join("review.csv").to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `reports/sample` is `alertsift run sample-data --out reports/sample`:
/// regenerate it and compare every committed file byte for byte (the run is
/// deterministic). After a change that moves the figures, regenerate it with
/// that command.
#[test]
fn example_report_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let committed = root.join("reports/sample");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample");
    let o = alertsift(
        root,
        &["run", "sample-data", "--out", out.to_str().unwrap(), "-q"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut checked = 0;
    for sub in ["", "tables", "charts"] {
        for entry in std::fs::read_dir(committed.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() || path.extension().is_some_and(|e| e == "parquet") {
                continue;
            }
            let name = path.file_name().unwrap();
            let fresh = std::fs::read(out.join(sub).join(name)).unwrap();
            assert!(
                std::fs::read(&path).unwrap() == fresh,
                "{} is out of date: run `cargo run --release -- run sample-data --out reports/sample`",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} files compared");
    // And nothing the run writes is missing from the committed copy.
    for sub in ["", "tables", "charts"] {
        for entry in std::fs::read_dir(out.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() || path.extension().is_some_and(|e| e == "parquet") {
                continue;
            }
            let name = path.file_name().unwrap();
            assert!(
                committed.join(sub).join(name).exists(),
                "{sub}/{} is not committed: run `cargo run --release -- run sample-data --out reports/sample`",
                name.to_string_lossy()
            );
        }
    }
}

#[test]
fn periods_and_redaction() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    // Three weeks from Monday 2026-08-31: ISO weeks 36, 37, 38.
    run_demo(
        dir.path(),
        &demo,
        &["--alerts", "600", "--weeks", "3", "--quiet"],
    );
    let o = run(
        dir.path(),
        &[&demo],
        &["-q", "--week", "2026-W37", "--redact"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("out");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["period"]["first"], "2026-09-07T00:00:00Z");
    assert_eq!(summary["period"]["last"], "2026-09-14T00:00:00Z");
    // Only that week's alerts, by the ground truth.
    let want = truth_rows(&demo)
        .iter()
        .filter(|r| {
            r["triggered_at"].as_str() >= "2026-09-07" && r["triggered_at"].as_str() < "2026-09-14"
        })
        .count() as u64;
    assert_eq!(summary["alerts"].as_u64(), Some(want));
    // The previous week is there for the deltas.
    assert!(summary["previous_period"]["pages"].as_u64().unwrap() > 0);
    // No person's name anywhere in what travels.
    let names = ["Ada Varga", "Jonas Weber", "Priya Nair"];
    for f in ["summary.json", "report.md", "tables/responders.csv"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        for n in names {
            assert!(!text.contains(n), "{n} in {f}");
        }
        assert!(text.contains("Responder 1"), "{f}");
    }
    for (args, want) in [
        (vec!["--week", "2026-W99"], "is not an ISO week"),
        (
            vec!["--since", "2026-09-10", "--until", "2026-09-01"],
            "--since must be on or before --until",
        ),
        (vec!["--since", "10/09/2026"], "is not a date YYYY-MM-DD"),
    ] {
        let o = run(dir.path(), &[&demo], &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(want), "{}", stderr(&o));
    }
}

#[test]
fn invalid_json_and_files_read_as_nothing_exit_2_with_where_and_why() {
    let dir = tempfile::tempdir().unwrap();
    // A trailing comma: the `}` after it stands at line 8, column 5; the
    // file's one record (from line 3) is rejected, so it read as nothing.
    let f = fixture("variants/opsgenie-trailing-comma.json");
    let o = run(dir.path(), &[&f], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("invalid JSON at line 8 column 5: a trailing comma (line 3)"),
        "{}",
        stderr(&o)
    );
    // Every record rejected: exit 2, the count and the reason with its line.
    let f = fixture("variants/opsgenie-all-rejected.json");
    let o = run(dir.path(), &[&f], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("all 2 record(s) were rejected"), "{e}");
    // The first record starts at column 10 of line 1; serde_json's
    // position (column 37 of the record's text) is given in the file's: 46.
    assert!(
        e.contains("missing field `createdAt` at line 1 column 46"),
        "{e}"
    );
    assert!(e.contains("(line 1)"), "{e}");
    // Nothing was written.
    assert!(!dir.path().join("out/summary.json").exists());
}
