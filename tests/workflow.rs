//! The store workflow end to end (ingest, then `run`, `query` and `whatif`
//! on the store alone), the error paths of the commands, and a check that
//! every command-line option is exercised by some test.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::*;

/// The hand-worked history of `headline.rs`.
fn headline(name: &str) -> String {
    fixture("headline").join(name).to_str().unwrap().to_string()
}

fn ok(o: &std::process::Output) {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
}

fn failed(o: &std::process::Output) -> String {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    stderr(o)
}

/// Ingest the headline history into `DIR/store`.
fn headline_store(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    ok(&alertsift(
        dir,
        &[
            "ingest",
            &headline("pages.csv"),
            "--mapping",
            &headline("mapping.toml"),
            "--config",
            &headline("alertsift.toml"),
            "--store",
            store.to_str().unwrap(),
        ],
    ));
    store
}

#[test]
fn run_query_and_whatif_on_the_store_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = headline_store(d);
    let st = store.to_str().unwrap();
    let config = headline("alertsift.toml");

    // run --store with no inputs analyses what the store holds: the
    // hand-worked figures of headline.rs.
    let out = d.join("out");
    ok(&alertsift(
        d,
        &[
            "run",
            "--store",
            st,
            "--config",
            &config,
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["alerts"], 9);
    assert_eq!(s["pages"], 8);
    assert_eq!(s["interruptions"]["total"], 7);
    assert_eq!(s["noise"], 7);

    // query --store over store_alerts (count(*) failed with "casting from
    // UInt32 to UInt128"), with and without a run directory.
    let csv = d.join("n.csv");
    for extra in [vec![], vec!["--out", out.to_str().unwrap()]] {
        let mut args = vec![
            "query",
            "--store",
            st,
            "SELECT count(*) AS n, sum(CAST(paged AS INT)) AS pages FROM store_alerts",
            "-o",
            csv.to_str().unwrap(),
        ];
        args.extend(extra);
        ok(&alertsift(d, &args));
        // csv_rows gives the rows after the header.
        assert_eq!(csv_rows(&csv), vec![vec!["9".to_string(), "8".into()]]);
    }
    // A run's table asked of a store alone names the directory looked in.
    let e = failed(&alertsift(
        d,
        &[
            "query",
            "--store",
            st,
            "--out",
            d.join("no-run").to_str().unwrap(),
            "SELECT count(*) FROM alerts",
        ],
    ));
    assert!(
        e.contains("no table alerts") && e.contains("no-run holds no alerts.parquet"),
        "{e}"
    );

    // whatif --store: routing the CPU template to tickets takes its three
    // sleep-hour pages (a2 a3 a4) and their 0.75 toil hours away.
    let w = d.join("whatif");
    ok(&alertsift(
        d,
        &[
            "whatif",
            "--store",
            st,
            "--config",
            &config,
            "--ticket",
            "Web CPU saturated",
            "--out",
            w.to_str().unwrap(),
        ],
    ));
    let j: Value = serde_json::from_slice(&std::fs::read(w.join("whatif.json")).unwrap()).unwrap();
    let p = &j["policies"][0];
    assert_eq!(p["before"]["pages"], 8);
    assert_eq!(p["after"]["pages"], 5);
    assert_eq!(p["before"]["interruptions"]["sleep"], 3);
    assert_eq!(p["after"]["interruptions"]["sleep"], 0);
    assert_eq!(p["after"]["interruptions"]["total"], 4);
    let toil = p["after"]["toil_hours"].as_f64().unwrap();
    assert!((toil - (1.25 + 1.0 / 3.0 - 0.75)).abs() < 1e-9, "{toil}");
    assert_eq!(p["actionable_hidden"]["count"], 0);
}

#[test]
fn error_paths_name_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // A missing input: named, once.
    let e = failed(&alertsift(d, &["run", "no-such.json", "--out", "o"]));
    assert!(e.contains("cannot read no-such.json"), "{e}");
    assert_eq!(e.matches("No such file or directory").count(), 1, "{e}");
    assert!(!d.join("o").exists());

    // An --out that cannot be a directory.
    std::fs::write(d.join("a-file"), "x").unwrap();
    let e = failed(&alertsift(
        d,
        &[
            "run",
            &headline("pages.csv"),
            "--mapping",
            &headline("mapping.toml"),
            "--out",
            "a-file/out",
        ],
    ));
    assert!(
        e.contains("a-file/out") && e.contains("Not a directory"),
        "{e}"
    );

    // explain before any run.
    let e = failed(&alertsift(d, &["explain", "a1", "--out", "never-ran"]));
    assert!(e.contains("never-ran/alerts.parquet does not exist"), "{e}");
    assert!(e.contains("alertsift run"), "{e}");
    // query before any run and without a store.
    let e = failed(&alertsift(d, &["query", "--out", "never-ran", "SELECT 1"]));
    assert!(e.contains("never-ran holds none of alerts.parquet"), "{e}");

    // A damaged partition: run, query and ingest name the file.
    let store = headline_store(d);
    let month = store.join("alerts/2026-03.parquet");
    let bytes = std::fs::read(&month).unwrap();
    for (what, damaged) in [
        (
            "does not end as Parquet does",
            bytes[..bytes.len() / 2].to_vec(),
        ),
        ("too short for Parquet", b"garbage".to_vec()),
    ] {
        std::fs::write(&month, &damaged).unwrap();
        let st = store.to_str().unwrap();
        for args in [
            vec!["run", "--store", st, "--out", "o"],
            vec!["query", "--store", st, "SELECT count(*) FROM store_alerts"],
        ] {
            let e = failed(&alertsift(d, &args));
            assert!(
                e.contains("alerts/2026-03.parquet is damaged") && e.contains(what),
                "{args:?}: {e}"
            );
        }
        let e = failed(&alertsift(
            d,
            &[
                "ingest",
                &headline("pages.csv"),
                "--mapping",
                &headline("mapping.toml"),
                "--store",
                st,
            ],
        ));
        assert!(e.contains("alerts/2026-03.parquet"), "{e}");
        // Nothing was changed.
        assert_eq!(std::fs::read(&month).unwrap(), damaged);
    }

    // A stale lock (its process is gone) is told apart from a live one.
    let store = d.join("locked");
    std::fs::create_dir_all(&store).unwrap();
    let ingest = |d: &Path| {
        alertsift(
            d,
            &[
                "ingest",
                &headline("pages.csv"),
                "--mapping",
                &headline("mapping.toml"),
                "--store",
                store.to_str().unwrap(),
            ],
        )
    };
    // Process ids stay below 2^22 on Linux.
    std::fs::write(store.join(".lock"), "99999999\n").unwrap();
    let e = failed(&ingest(d));
    assert!(
        e.contains("locked by process 99999999, which is no longer running")
            && e.contains("remove the lock file"),
        "{e}"
    );
    // Held by a live process (this test): locked, not stale.
    std::fs::write(store.join(".lock"), format!("{}\n", std::process::id())).unwrap();
    let e = failed(&ingest(d));
    assert!(
        e.contains("is locked by another alertsift process") && !e.contains("no longer"),
        "{e}"
    );
    std::fs::remove_file(store.join(".lock")).unwrap();
    ok(&ingest(d));
}

/// Each option of `cmd --help` (long names).
fn options_of(cmd: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut args = cmd.to_vec();
    args.push("--help");
    let o = alertsift(dir.path(), &args);
    ok(&o);
    let help = String::from_utf8_lossy(&o.stdout).to_string();
    let mut names = Vec::new();
    for line in help.lines() {
        let t = line.trim_start();
        let t = t
            .strip_prefix("-q, ")
            .or(t.strip_prefix("-o, "))
            .unwrap_or(t);
        if let Some(rest) = t.strip_prefix("--") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if !["help", "version"].contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    names
}

/// Every command (its words).
const COMMANDS: [&[&str]; 10] = [
    &["run"],
    &["ingest"],
    &["whatif"],
    &["fix"],
    &["query"],
    &["explain"],
    &["templates"],
    &["store", "info"],
    &["demo"],
    &["config"],
];

#[test]
fn help_prints_each_default_once() {
    for cmd in COMMANDS {
        let dir = tempfile::tempdir().unwrap();
        let mut args = cmd.to_vec();
        args.push("--help");
        let o = alertsift(dir.path(), &args);
        let help = String::from_utf8_lossy(&o.stdout).to_string();
        // One block per option: from its line to the next option's.
        let mut block = String::new();
        let check = |b: &str| {
            assert!(
                b.matches("[default").count() <= 1,
                "{cmd:?}: a default printed twice in:\n{b}"
            );
        };
        for line in help.lines() {
            let t = line.trim_start();
            if t.starts_with("--") || t.starts_with("-q,") || t.starts_with("-o,") {
                check(&block);
                block.clear();
            }
            block.push_str(line);
            block.push('\n');
        }
        check(&block);
    }
}

#[test]
fn every_option_is_exercised_by_a_test() {
    // The tests' sources, where each option must appear as a quoted
    // `"--name"` argument at least once.
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut sources = String::new();
    for e in std::fs::read_dir(&tests).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "rs") {
            sources.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    // Options that tests pass by their short name.
    let elsewhere = [("quiet", "\"-q\""), ("output", "\"-o\"")];
    let mut missing = Vec::new();
    for cmd in COMMANDS {
        for name in options_of(cmd) {
            if elsewhere
                .iter()
                .any(|(n, short)| *n == name && sources.contains(short))
            {
                continue;
            }
            if !sources.contains(&format!("\"--{name}\"")) {
                missing.push(format!("{} --{name}", cmd.join(" ")));
            }
        }
    }
    assert!(missing.is_empty(), "options no test passes: {missing:?}");
}

#[test]
fn options_do_what_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (config, pages, mapping) = (
        headline("alertsift.toml"),
        headline("pages.csv"),
        headline("mapping.toml"),
    );
    let run = |extra: &[&str]| -> (PathBuf, Value) {
        let out = tempfile::tempdir_in(d).unwrap().keep();
        let s = run_headline(d, &out, extra);
        (out, s)
    };
    // --review N: N alerts in review.csv.
    let (out, _) = run(&["--review", "2"]);
    assert_eq!(csv_rows(&out.join("review.csv")).len(), 2);
    // --period week: the ISO week of the last page (a8, Fri 2026-03-06);
    // quarter: 2026 Q1.
    let (_, s) = run(&["--period", "week"]);
    assert_eq!(s["period"]["first"], "2026-03-02T00:00:00Z");
    assert_eq!(s["period"]["last"], "2026-03-09T00:00:00Z");
    let (_, s) = run(&["--period", "quarter"]);
    assert_eq!(s["period"]["first"], "2026-01-01T00:00:00Z");
    assert_eq!(s["period"]["last"], "2026-04-01T00:00:00Z");

    // whatif's policies on the same history, each worked out by hand:
    // a 2 min group window folds a6 (30 s after a5) into a5's group; no
    // alert is RECURRING or a duplicate; a6 is the one storm secondary;
    // keeping a6 firing 20 min past its clear covers a7's re-fire.
    for (flag, value, after) in [
        ("--group-window", Some("2m"), 7),
        ("--suppress-recurring", None, 8),
        ("--inhibit-secondaries", None, 7),
        ("--dedup", None, 8),
        ("--keep-firing-for", Some("20m"), 7),
    ] {
        let w = tempfile::tempdir_in(d).unwrap();
        let mut args = vec![
            "whatif",
            &pages,
            "--mapping",
            &mapping,
            "--config",
            &config,
            "--out",
            w.path().to_str().unwrap(),
            flag,
        ];
        args.extend(value);
        ok(&alertsift(d, &args));
        let j: Value =
            serde_json::from_slice(&std::fs::read(w.path().join("whatif.json")).unwrap()).unwrap();
        let p = &j["policies"][0];
        assert_eq!(p["before"]["pages"], 8, "{flag}");
        assert_eq!(p["after"]["pages"], after, "{flag}");
        assert_eq!(p["actionable_hidden"]["count"], 0, "{flag}");
    }

    // query --max-rows: the middle of a longer result is elided.
    let (out, _) = run(&[]);
    let o = alertsift(
        d,
        &[
            "query",
            "--out",
            out.to_str().unwrap(),
            "--max-rows",
            "2",
            "SELECT alert_id FROM alerts ORDER BY alert_id",
        ],
    );
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("a1") && text.contains("a9"), "{text}");
    assert!(!text.contains("a5") && text.contains('…'), "{text}");
    assert!(text.contains("9 rows"), "{text}");

    // demo --start: the history begins that day.
    let demo = d.join("demo");
    ok(&alertsift(
        d,
        &[
            "demo",
            "--out",
            demo.to_str().unwrap(),
            "--start",
            "2026-01-05",
            "--weeks",
            "1",
            "--alerts",
            "60",
        ],
    ));
    let first = truth_rows(&demo)
        .iter()
        .filter_map(|r| r.get("triggered_at").cloned())
        .min()
        .unwrap();
    assert!(first.starts_with("2026-01-0"), "{first}");
    assert!(first.as_str() >= "2026-01-05", "{first}");
}

#[test]
fn config_prints_every_setting_and_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = alertsift(d, &["config", "--defaults"]);
    ok(&o);
    let defaults = String::from_utf8(o.stdout).unwrap();
    // Every section and a few keys with the domain's defaults.
    for line in [
        "[classify]",
        "[load]",
        "[targets]",
        "transient_window = \"5m\"",
        "business_hours = [8, 18]",
        "sleep_hours = [22, 8]",
        "merge_window = \"1m\"",
        "toil_cap = \"4h\"",
        "pages_per_shift = 2",
        "toil_share = 0.5",
        "non_actionable_share = 0.3",
        "score_cut = 0.5",
    ] {
        assert!(defaults.contains(line), "{line} missing:\n{defaults}");
    }
    // Read back by --config: the same settings.
    std::fs::write(d.join("defaults.toml"), &defaults).unwrap();
    let o = alertsift(d, &["config", "--config", "defaults.toml"]);
    ok(&o);
    assert_eq!(String::from_utf8(o.stdout).unwrap(), defaults);
    // A config's own settings, defaults filled in.
    let o = alertsift(d, &["config", "--config", &headline("alertsift.toml")]);
    ok(&o);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("[people.Priya]\ntimezone = \"Asia/Kolkata\""),
        "{text}"
    );
    assert!(text.contains("pages_per_shift = 2"), "{text}");
    // A changed target changes the report: three pages on Thursday's day
    // shift are over a target of 2, not over 3.
    let cfg = format!(
        "{}\n[targets]\npages_per_shift = 3\n",
        std::fs::read_to_string(headline("alertsift.toml")).unwrap()
    );
    std::fs::write(d.join("three.toml"), cfg).unwrap();
    let out = d.join("out3");
    ok(&alertsift(
        d,
        &[
            "run",
            &headline("pages.csv"),
            "--mapping",
            &headline("mapping.toml"),
            "--config",
            "three.toml",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["shifts_over_target"], 0);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("| 12-hour shifts over 3 pages | 0 (most: 3) | at most 3 per shift |"),
        "{md}"
    );
    // Bad settings are named.
    std::fs::write(d.join("bad.toml"), "[load]\nbusiness_hours = [18, 8]\n").unwrap();
    let e = failed(&alertsift(d, &["config", "--config", "bad.toml"]));
    assert!(
        e.contains("business_hours") && e.contains("must start before it ends"),
        "{e}"
    );
}
