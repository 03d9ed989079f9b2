//! Schedule exports: each format read record for record from its fixture
//! (`tests/fixtures/schedules/`), told apart from every other format, and a
//! hand-worked run where the schedules say who an unnamed page reached and
//! who held a shift no page reached.

use std::path::PathBuf;

use alertsift::ingest::{detect, Format};
use serde_json::Value;

use crate::util::{alertsift, fixture, ingest, stderr, text, time};

fn schedules(name: &str) -> PathBuf {
    fixture("schedules").join(name)
}

/// The shifts of a batch as (schedule, policy, team, person, level, start, end).
type Shift = (
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<u32>,
    String,
    String,
);

fn shifts(path: PathBuf, config: &str) -> (Vec<Shift>, alertsift::ingest::Batch) {
    let batch = ingest(&[path], config);
    let df = &batch.shifts;
    let level = df
        .column("escalation_level")
        .unwrap()
        .u32()
        .unwrap()
        .clone();
    let rows = (0..df.height())
        .map(|i| {
            (
                text(df, "schedule", i),
                text(df, "policy", i),
                text(df, "team", i),
                text(df, "person", i).unwrap(),
                level.get(i),
                time(df, "started_at", i).unwrap(),
                time(df, "ended_at", i).unwrap(),
            )
        })
        .collect();
    (rows, batch)
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// A shift with no policy and no level.
fn plain(schedule: Option<&str>, team: Option<&str>) -> impl Fn(&str, &str, &str) -> Shift {
    let (schedule, team) = (schedule.map(str::to_string), team.map(str::to_string));
    move |person, from, to| {
        (
            schedule.clone(),
            None,
            team.clone(),
            person.to_string(),
            None,
            from.to_string(),
            to.to_string(),
        )
    }
}

#[test]
fn pagerduty_oncalls_references_full_objects_permanent_and_a_bad_span() {
    let (rows, batch) = shifts(
        schedules("pagerduty-oncalls.json"),
        "[teams.search]\nschedules = [\"Search EP\"]\n",
    );
    // The first: references (summary). The second: `include[]=users`
    // objects (name), its times at −05:00. The third: on the policy
    // directly (no schedule), permanent (no start, no end). The fourth
    // ends before it starts: a reject. The policy "Search EP" is listed
    // under `search`.
    let team = some("search");
    assert_eq!(
        rows,
        [
            (
                some("Search primary"),
                some("Search EP"),
                team.clone(),
                "Ann Example".to_string(),
                Some(1),
                "2026-03-02T00:00:00Z".to_string(),
                "2026-03-02T12:00:00Z".to_string()
            ),
            (
                some("Search primary"),
                some("Search EP"),
                team.clone(),
                "Bob Example".to_string(),
                Some(1),
                "2026-03-02T12:00:00Z".to_string(),
                "2026-03-03T00:00:00Z".to_string()
            ),
            (
                None,
                some("Search EP"),
                team,
                "Mia Manager".to_string(),
                Some(2),
                "1970-01-01T00:00:00Z".to_string(),
                "9999-12-31T23:59:59Z".to_string()
            ),
        ]
    );
    assert_eq!(batch.rejects.len(), 1);
    assert!(
        batch.rejects[0]
            .reason
            .contains("ends (2026-03-03T00:00:00Z) before it starts"),
        "{:?}",
        batch.rejects[0]
    );
    assert_eq!(batch.inputs[0].shifts, 3);
    assert_eq!(batch.alerts.height() + batch.incidents.height(), 0);
}

#[test]
fn opsgenie_timeline_reads_the_final_timeline_only() {
    let (rows, batch) = shifts(schedules("opsgenie-timeline.json"), "");
    // Final timeline: ann's period; a `none` period (left out, noted); a
    // team period whose flattened recipients are bob and cid. The base
    // timeline's zed is not read. No team is configured: settled later by
    // name.
    let s = plain(Some("search_schedule"), None);
    assert_eq!(
        rows,
        [
            s(
                "ann@example.com",
                "2026-03-02T00:00:00Z",
                "2026-03-02T12:00:00Z"
            ),
            s(
                "bob@example.com",
                "2026-03-03T00:00:00Z",
                "2026-03-04T00:00:00Z"
            ),
            s(
                "cid@example.com",
                "2026-03-03T00:00:00Z",
                "2026-03-04T00:00:00Z"
            ),
        ]
    );
    let notes = batch.inputs[0].notes.join("\n");
    assert!(notes.contains("1 period(s) reach no user"), "{notes}");
}

#[test]
fn grafana_final_shifts_take_the_schedule_from_the_file_name() {
    let (rows, batch) = shifts(schedules("search-oncall.json"), "");
    let s = plain(Some("search-oncall"), None);
    assert_eq!(
        rows,
        [
            s(
                "UC2CHRT5SD34X",
                "2026-03-02T09:00:00Z",
                "2026-03-02T17:00:00Z"
            ),
            s(
                "U7S8H84ARFTGN",
                "2026-03-04T09:00:00Z",
                "2026-03-04T17:00:00Z"
            ),
        ]
    );
    assert_eq!(batch.rejects.len(), 1);
    assert!(
        batch.rejects[0].reason.contains("shift_start"),
        "{:?}",
        batch.rejects[0]
    );
}

#[test]
fn schedule_csv_with_crlf_blank_lines_and_quotes() {
    let (rows, _) = shifts(schedules("rota.csv"), "");
    let s = plain(None, Some("search"));
    assert_eq!(
        rows,
        [
            s("Ann", "2026-03-02T00:00:00Z", "2026-03-02T12:00:00Z"),
            s("Bob", "2026-03-02T12:00:00Z", "2026-03-03T00:00:00Z"),
            s("Cid", "2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z"),
        ]
    );
}

#[test]
fn schedule_csv_with_naive_times_needs_a_zone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rota.csv");
    std::fs::write(
        &path,
        "team,person,start,end\nsearch,Ann,2026-03-02 08:00:00,2026-03-02 20:00:00\n",
    )
    .unwrap();
    let err = crate::util::try_ingest(std::slice::from_ref(&path), "", None)
        .err()
        .expect("naive times without a zone are refused");
    assert!(err.to_string().contains("[sources.schedule]"), "{err}");
    // With the zone: 08:00 in Berlin (CET, +1) is 07:00 UTC.
    let (rows, _) = shifts(path, "[sources.schedule]\ntimezone = \"Europe/Berlin\"\n");
    assert_eq!(rows[0].5, "2026-03-02T07:00:00Z");
    assert_eq!(rows[0].6, "2026-03-02T19:00:00Z");
}

/// Every schedule fixture is detected as its format, and no other fixture
/// is taken for a schedule (nor for Splunk On-Call, outside its folder).
#[test]
fn schedule_formats_are_told_apart_from_every_other() {
    let want = [
        ("pagerduty-oncalls.json", "pagerduty-oncalls"),
        ("opsgenie-timeline.json", "opsgenie-timeline"),
        ("search-oncall.json", "grafana-oncall-shifts"),
        ("rota.csv", "schedule-csv"),
    ];
    for (file, format) in want {
        let got = detect(&schedules(file), false).unwrap();
        assert_eq!(got, Format::named(format).unwrap(), "{file}");
    }
    let schedule_formats: Vec<Format> = want
        .iter()
        .map(|(_, f)| Format::named(f).unwrap())
        .collect();
    let mut checked = 0;
    let mut stack = vec![fixture("")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("schedules") {
                    stack.push(path);
                }
                continue;
            }
            if let Ok(f) = detect(&path, false) {
                checked += 1;
                assert!(
                    !schedule_formats.contains(&f),
                    "{} taken for {f:?}",
                    path.display()
                );
                // The newer vendors' files are theirs, and only theirs.
                for (format, folder) in [
                    ("splunk-oncall", "splunk-oncall"),
                    ("zabbix", "zabbix"),
                    ("jsm", "jsm"),
                    ("grafana-alerting", "grafana-alerting"),
                    ("elastic", "elastic"),
                    ("newrelic", "newrelic"),
                    ("datadog", "datadog"),
                    ("jira-csv", "jira"),
                ] {
                    let inside = path.parent().is_some_and(|p| p.ends_with(folder));
                    assert_eq!(
                        f == Format::named(format).unwrap(),
                        inside,
                        "{} detected as {f:?}",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} fixtures detected");
}

fn run(extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let f = |name: &str| schedules(name).to_str().unwrap().to_string();
    let mut args = vec![
        "run".to_string(),
        f("pages.csv"),
        f("rota.csv"),
        "--mapping".into(),
        f("mapping.toml"),
        "--config".into(),
        f("alertsift.toml"),
        "--out".into(),
        out.to_str().unwrap().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = alertsift(dir.path(), &refs);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let fairness = std::fs::read_to_string(out.join("tables/fairness.csv")).unwrap();
    assert!(out.join("charts/fairness.svg").exists());
    serde_json::json!({"summary": s, "fairness_csv": fairness})
}

fn close(v: &Value, want: f64, what: &str) {
    let got = v.as_f64().unwrap_or_else(|| panic!("{what}: {v}"));
    assert!(
        (got - want).abs() < 1e-9,
        "{what}: got {got}, worked out {want}"
    );
}

/// The history (`pages.csv`, all UTC, all paged; sleep hours 22–08, business
/// 08–18) and the rota (`rota.csv`: search is Ann's 03-02 00–12, Bob's
/// 12–24, Cid's all of 03-03):
///
/// | id | team | trigger | named | reaches |
/// |---|---|---|---|---|
/// | s1 | search | 03-02 01:00 | – | Ann (on call) |
/// | s2 | search | 03-02 01:00:30 | – | Ann, 30 s later: merged |
/// | d1 | search | 03-02 02:00 | acknowledged by Dee | Dee |
/// | s3 | search | 03-02 13:00 | – | Bob |
/// | s4 | search | 03-02 23:00 | – | Bob |
/// | a1 | api | 03-03 09:00 | responder Eve | Eve |
/// | s5 | search | 03-04 10:00 | – | no one on call: "search on-call" |
///
/// Team `search` is seen before `api`: the teams' fairness must not follow
/// the order the teams were first seen in.
#[test]
fn schedules_attribute_unnamed_pages_and_count_every_shift_holder() {
    let r = run(&[]);
    let s = &r["summary"];
    // s1 s2 s3 s4 attributed; d1 and a1 named their people; s5 fell on no
    // shift.
    assert_eq!(s["schedules"]["pages_attributed"], 4, "{}", s["schedules"]);
    assert_eq!(s["schedules"]["teams"], serde_json::json!(["search"]));
    assert_eq!(s["schedules"]["unplaced_shifts"], 0);
    // Interruptions: Ann 1 (s1, s2 merged; sleep), Bob 2 (s3 business, s4
    // sleep), Dee 1 (sleep), search on-call 1 (business), Eve 1 (business).
    let who = &s["responders"];
    assert_eq!(who["Ann"]["interruptions"]["total"], 1);
    assert_eq!(who["Ann"]["interruptions"]["sleep"], 1);
    assert_eq!(who["Bob"]["interruptions"]["total"], 2);
    assert_eq!(who["Bob"]["interruptions"]["sleep"], 1);
    assert_eq!(who["Dee"]["interruptions"]["total"], 1);
    assert_eq!(who["search on-call"]["interruptions"]["total"], 1);
    assert_eq!(who["Eve"]["interruptions"]["total"], 1);
    assert!(who.get("Cid").is_none(), "no page reached Cid");
    assert_eq!(s["interruptions"]["total"], 6);

    // search: Ann 1, Bob 2, Cid 0 (a shift, no page), Dee 1, on-call 1:
    // n 5, mean 1; Σ over ordered pairs |xi − xj| = 2·(3·1 + 2 + 3·1) = 16
    // → Gini 16 / (2·25·1) = 0.32. Sleep 1, 1, 0, 1, 0: mean 0.6, pairs
    // 2·(3·2) = 12 → 12 / 30 = 0.4. On call in the period (03-02 to
    // 03-04, whole UTC days): Ann 12 h, Bob 12 h, Cid 24 h = 48 h; the
    // team's 5 interruptions → 5/48 per on-call hour.
    let search = &s["teams"]["search"]["fairness"];
    assert_eq!(search["people"], 5, "{search}");
    assert_eq!(search["shift_holders"], 3);
    close(&search["gini"], 0.32, "search gini");
    close(&search["sleep_gini"], 0.4, "search sleep gini");
    close(&search["on_call_hours"], 48.0, "search on-call hours");
    close(
        &search["interruptions_per_on_call_hour"],
        5.0 / 48.0,
        "search rate",
    );
    assert_eq!(search["max_consecutive_sleep_nights"], 1);
    // api: Eve alone; no shifts.
    let api = &s["teams"]["api"]["fairness"];
    assert_eq!(api["people"], 1, "{api}");
    close(&api["gini"], 0.0, "api gini");
    assert!(api.get("on_call_hours").is_none(), "{api}");
    // Everyone: 1, 2, 0, 1, 1, 1 (Eve): mean 1, ordered pairs 2·(4 + 2 +
    // 4) = 20 → 20 / 72. Sleep 1, 1, 0, 1, 0, 0: mean 0.5, 2·9 = 18 → 18 /
    // 36. On-call hours 48 (search's), against search's 5 interruptions.
    let all = &s["fairness"];
    assert_eq!(all["people"], 6, "{all}");
    close(&all["gini"], 20.0 / 72.0, "overall gini");
    close(&all["sleep_gini"], 0.5, "overall sleep gini");
    close(
        &all["interruptions_per_on_call_hour"],
        5.0 / 48.0,
        "overall rate",
    );

    // The table: Cid is there with 0 and 24 h; the team's mean is 1.
    let csv = r["fairness_csv"].as_str().unwrap();
    assert!(
        csv.lines()
            .any(|l| l == "search,Cid,0,0,0,24.00,0.0000,1.00"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l == "search,Bob,2,1,1,12.00,0.1667,1.00"),
        "{csv}"
    );
}

#[test]
fn without_schedules_nothing_is_attributed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let f = |name: &str| schedules(name).to_str().unwrap().to_string();
    let o = alertsift(
        dir.path(),
        &[
            "run",
            &f("pages.csv"),
            "--mapping",
            &f("mapping.toml"),
            "--config",
            &f("alertsift.toml"),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert!(s.get("schedules").is_none());
    // s1 s2 s3 s4 s5 go to the team's unnamed on-call: one person, 4
    // interruptions (s1 and s2 within 60 s).
    assert_eq!(
        s["responders"]["search on-call"]["interruptions"]["total"],
        4
    );
}

/// A schedule export cut anywhere (a truncated download) never panics: it
/// reads what is before the cut, or fails with a message.
#[test]
fn schedule_files_cut_anywhere_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    for (file, format) in [
        ("pagerduty-oncalls.json", "pagerduty-oncalls"),
        ("opsgenie-timeline.json", "opsgenie-timeline"),
        ("search-oncall.json", "grafana-oncall-shifts"),
        ("rota.csv", "schedule-csv"),
    ] {
        let bytes = std::fs::read(schedules(file)).unwrap();
        let cut = dir.path().join(file);
        for at in (1..bytes.len()).step_by(23) {
            std::fs::write(&cut, &bytes[..at]).unwrap();
            let format = Format::named(format);
            match crate::util::try_ingest(std::slice::from_ref(&cut), "", format) {
                Ok(batch) => assert!(
                    batch.shifts.height() as u64 + batch.rejects.len() as u64 > 0
                        || batch.inputs[0]
                            .notes
                            .iter()
                            .any(|n| n.contains("no records")),
                    "{file} cut at {at}: read as nothing, silently"
                ),
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
}

/// The demo's rota covers its whole history: every Alertmanager page (the
/// only pages that name no one; counted from `truth.csv`) is attributed by
/// schedule, and the rota's three people are the platform team's.
#[test]
fn the_demo_rota_attributes_every_alertmanager_page() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = d.join("demo");
    crate::util::run_demo(
        d,
        &demo,
        &["--seed", "5", "--weeks", "3", "--alerts", "900"],
    );
    let paged_am = crate::util::truth_rows(&demo)
        .iter()
        .filter(|r| r["source"] == "alertmanager" && r["paged"] == "true")
        .count() as u64;
    assert!(paged_am > 20, "only {paged_am} Alertmanager pages");
    let out = d.join("out");
    crate::util::run_quietly(d, &demo, &out);
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        s["schedules"]["pages_attributed"], paged_am,
        "{}",
        s["schedules"]
    );
    let platform = &s["teams"]["platform"]["fairness"];
    assert_eq!(platform["shift_holders"], 3, "{platform}");
    assert!(s["responders"].get("platform on-call").is_none());
}
