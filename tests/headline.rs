//! The report's headline figures through the binary, on a nine-alert history
//! (`tests/fixtures/headline/`) whose every figure is worked out by hand
//! below from the file, with domain.md's definitions — not from what the
//! program printed.
//!
//! The history (team `pay` in UTC; Ada in UTC, Priya in Asia/Kolkata,
//! +05:30; times UTC; all paged and critical but a9):
//!
//! | id | title | trigger | ack | resolve | auto | to |
//! |---|---|---|---|---|---|---|
//! | a1 | Database disk almost full | Mon 03-02 10:00 | 10:05 | 11:00 | no | Ada |
//! | a2 | Web CPU saturated | Mon 03-02 23:30 | – | 23:33 | yes | Ada |
//! | a3 | Web CPU saturated | Tue 03-03 23:40 | – | 23:43:30 | yes | Ada |
//! | a4 | Web CPU saturated | Wed 03-04 23:50 | – | 23:52 | yes | Priya |
//! | a5 | Database disk almost full | Thu 03-05 14:00 | 14:02 | 14:20 | no | Ada |
//! | a6 | Replication lag is growing | Thu 03-05 14:00:30 | – | 14:40 | yes | Ada |
//! | a7 | Replication lag is growing | Thu 03-05 15:00 | – | 15:03 | yes | Ada |
//! | a8 | Queue backlog exceeds limit | Fri 03-06 19:00 | 19:10 | 19:30 | yes | Ada |
//! | a9 | Cert expires soon (info, not paged) | Sat 03-07 09:00 | – | – | no | – |

use std::path::Path;

use serde_json::Value;

fn close(v: &Value, want: f64, what: &str) {
    let got = v
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {v}"));
    assert!(
        (got - want).abs() < 1e-9,
        "{what}: got {got}, worked out {want}"
    );
}

fn run_headline(dir: &Path, extra: &[&str]) -> Value {
    crate::util::run_headline(dir, &dir.join("out"), extra)
}

#[test]
fn headline_figures_are_the_hand_worked_ones() {
    let dir = tempfile::tempdir().unwrap();
    let s = run_headline(dir.path(), &[]);

    // Counts: 9 alerts, a9 is not a page.
    assert_eq!(s["alerts"], 9);
    assert_eq!(s["pages"], 8);

    // Labels (classify's default rules, domain.md's reasons):
    // a1, a5: acknowledged and resolved by a person, no reason → actionable.
    // a2, a3, a4: auto-resolved within 5 min, never acknowledged →
    //   TRANSIENT, and UNACKED (the source records acks).
    // a6: re-fires (a7) 20 min after it cleared → FLAPPING; UNACKED; 30 s
    //   after a5 (actionable) in one episode, another template →
    //   STORM_SECONDARY. Resolved after 39.5 min: not TRANSIENT.
    // a7: 20 min (≤ 30 min) after a6 cleared → FLAPPING; 3 min → TRANSIENT;
    //   UNACKED. 59.5 min after a6: an episode of its own.
    // a8: acknowledged, then auto-resolved, no incident/escalation/note →
    //   ACK_NO_ACTION (engaged 20 min: not long engagement).
    // a9: not paged → NON_PAGING.
    assert_eq!(s["actionable"], 2);
    assert_eq!(s["noise"], 7);
    close(&s["noise_ratio"], 7.0 / 9.0, "noise_ratio");
    // Noise pages a2 a3 a4 a6 a7 a8 of 8 pages.
    close(&s["page_noise_ratio"], 6.0 / 8.0, "page_noise_ratio");
    let r = &s["reasons"];
    assert_eq!(r["TRANSIENT"], 4); // a2 a3 a4 a7
    assert_eq!(r["FLAPPING"], 2); // a6 a7
    assert_eq!(r["DUPLICATE"], 0);
    assert_eq!(r["UNACKED"], 5); // a2 a3 a4 a6 a7
    assert_eq!(r["ACK_NO_ACTION"], 1); // a8
    assert_eq!(r["RECURRING"], 0); // CPU on 3 days only (4 needed)
    assert_eq!(r["NON_PAGING"], 1); // a9
    assert_eq!(r["STORM_SECONDARY"], 1); // a6

    // Grouping: five distinct titles with no variable part; episodes (5 min
    // gap, one team): a1 | a2 | a3 | a4 | a5 a6 | a7 | a8 | a9 = 8.
    assert_eq!(s["templates"], 5);
    assert_eq!(s["episodes"], 8);
    close(&s["compression"], 1.0 - 8.0 / 9.0, "compression");
    assert_eq!(s["exact_duplicates"], 0);

    // Period: whole UTC days from the first page's (a1, Mon 03-02) to the
    // last page's (a8, Fri 03-06): 5 days, 120 hours.
    assert_eq!(s["time_range"]["first"], "2026-03-02T10:00:00Z");
    assert_eq!(s["time_range"]["last"], "2026-03-07T09:00:00Z");
    assert_eq!(s["period"]["first"], "2026-03-02T00:00:00Z");
    assert_eq!(s["period"]["last"], "2026-03-07T00:00:00Z");

    // Interruptions (responder's zone; 08–18 Mon–Fri business, 18–22
    // Mon–Fri off, 22–08 sleep; one person within 60 s counts once):
    // Ada: a1 Mon 10:00 business, a2 Mon 23:30 sleep, a3 Tue 23:40 sleep,
    //   a5 Thu 14:00 business (a6 30 s later merges), a7 Thu 15:00 business,
    //   a8 Fri 19:00 off → 3 business, 1 off, 2 sleep = 6.
    // Priya: a4 Wed 23:50Z = Thu 05:20 in Kolkata → sleep.
    let i = &s["interruptions"];
    assert_eq!(i["business"], 3);
    assert_eq!(i["off_hours"], 1);
    assert_eq!(i["sleep"], 3);
    assert_eq!(i["total"], 7);
    let ada = &s["responders"]["Ada"]["interruptions"];
    assert_eq!(
        (&ada["business"], &ada["off_hours"], &ada["sleep"]),
        (&Value::from(3), &Value::from(1), &Value::from(2))
    );
    assert_eq!(s["responders"]["Priya"]["interruptions"]["sleep"], 1);
    // Disrupted hours: Ada Mon 10h, Mon 23h, Tue 23h, Thu 14h (a5 a6),
    // Thu 15h, Fri 19h = 6; Priya Thu 05h (local) = 1.
    assert_eq!(s["disrupted_hours"], 7);
    assert_eq!(s["responders"]["Ada"]["disrupted_hours"], 6);

    // MTTA: a5 120 s, a1 300 s, a8 600 s. Linear between ranks q·(n−1):
    // p50 = 300; p90 at 1.8 = 300 + 0.8·300 = 540; p95 at 1.9 = 570;
    // mean 1020/3 = 340. Five pages never acknowledged.
    let a = &s["mtta_seconds"];
    close(&a["p50"], 300.0, "mtta p50");
    close(&a["p90"], 540.0, "mtta p90");
    close(&a["p95"], 570.0, "mtta p95");
    close(&a["mean"], 340.0, "mtta mean");
    assert_eq!(a["count"], 3);
    assert_eq!(s["unacknowledged_pages"], 5);
    // MTTR, sorted: a4 120, a2 180, a7 180, a3 210, a5 1200, a8 1800,
    // a6 2370, a1 3600. p50 at 3.5 = 210 + 0.5·990 = 705; p90 at 6.3 =
    // 2370 + 0.3·1230 = 2739; p95 at 6.65 = 2370 + 0.65·1230 = 3169.5;
    // mean 9660/8 = 1207.5.
    let m = &s["mttr_seconds"];
    close(&m["p50"], 705.0, "mttr p50");
    close(&m["p90"], 2739.0, "mttr p90");
    assert!((m["p95"].as_f64().unwrap() - 3169.5).abs() < 1e-6);
    close(&m["mean"], 1207.5, "mttr mean");
    assert_eq!(m["count"], 8);

    // Toil: noise pages never acknowledged cost 15 min each (a2 a3 a4 a6
    // a7: 1.25 h); a8 was engaged 19:10 → 19:30 = 1/3 h. Share: over 120
    // on-call hours of one team.
    let toil = 1.25 + 1.0 / 3.0;
    close(&s["toil_hours"], toil, "toil_hours");
    close(&s["toil_share"], toil / 120.0, "toil_share");

    // Fairness over the two people the team's pages reached: interruptions
    // Ada 6, Priya 1 → Gini Σ|xi − xj| / (2·n²·mean) = 10 / 28; sleep
    // interruptions 2 and 1 → 2 / 12. Nights woken: Ada Mon (a2) and Tue
    // (a3) in a row; Priya the night of Wed to Thu (a4 at 05:20 local) →
    // at most 2 in a row. One team: the overall figures are the same.
    for f in [&s["fairness"], &s["teams"]["pay"]["fairness"]] {
        assert_eq!(f["people"], 2, "{f}");
        close(&f["gini"], 10.0 / 28.0, "gini");
        close(&f["sleep_gini"], 2.0 / 12.0, "sleep_gini");
        assert_eq!(f["max_consecutive_sleep_nights"], 2, "{f}");
    }
    assert_eq!(s["schema_version"], 5);

    // Shifts (12 h, team zone UTC; day 08–20, night 20–08): Mon day (a1),
    // Mon night (a2), Tue night (a3), Wed night (a4), Thu day (a5 a6 a7: 3
    // > 2), Fri day (a8).
    assert_eq!(s["shifts_over_target"], 1);
    assert_eq!(s["max_pages_per_shift"], 3);

    // Recommendations, most toil first: CPU 0.75 h, replication 0.5 h,
    // queue 1/3 h.
    let recs = s["recommendations"].as_array().unwrap();
    let names: Vec<&str> = recs
        .iter()
        .map(|r| r["template"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Web CPU saturated",
            "Replication lag is growing",
            "Queue backlog exceeds limit"
        ]
    );
    // CPU: TRANSIENT and UNACKED 3 each, tie → report order → TRANSIENT.
    // p90 of the auto-resolved durations 120, 180, 210 (rank 1.8) is 204 s:
    // `for: 4m`. All three resolve within 4 min: hidden, 3 pages over 5/7
    // of a week = 4.2 per week, all in sleep hours; toil 0.75 h → 1.05 h
    // per week. Nothing actionable in the template.
    let cpu = &recs[0];
    assert_eq!(cpu["diagnosis"], "TRANSIENT");
    assert!(cpu["fix"].as_str().unwrap().contains("`for: 4m`"), "{cpu}");
    close(&cpu["toil_hours"], 0.75, "cpu toil");
    close(&cpu["saved_pages_per_week"], 3.0 * 7.0 / 5.0, "cpu saved");
    close(
        &cpu["saved_sleep_pages_per_week"],
        3.0 * 7.0 / 5.0,
        "cpu sleep saved",
    );
    close(
        &cpu["saved_toil_hours_per_week"],
        0.75 * 7.0 / 5.0,
        "cpu toil",
    );
    assert_eq!(cpu["actionable_delayed"], 0);
    assert_eq!(cpu["actionable_hidden"], 0);
    // Queue: ACK_NO_ACTION → to a ticket queue: its one page (1/3 h) gone.
    let queue = &recs[2];
    assert_eq!(queue["diagnosis"], "ACK_NO_ACTION");
    close(&queue["saved_pages_per_week"], 7.0 / 5.0, "queue saved");
    close(
        &queue["saved_toil_hours_per_week"],
        7.0 / 15.0,
        "queue toil saved",
    );
}

#[test]
fn a_week_period_covers_that_week_and_compares_with_the_one_before() {
    let dir = tempfile::tempdir().unwrap();
    // ISO week 2026-W10 is Mon 03-02 .. Sun 03-08: every page; the week
    // before holds none.
    let s = run_headline(dir.path(), &["--week", "2026-W10"]);
    assert_eq!(s["period"]["first"], "2026-03-02T00:00:00Z");
    assert_eq!(s["period"]["last"], "2026-03-09T00:00:00Z");
    assert_eq!(s["pages"], 8);
    assert_eq!(s["interruptions"]["total"], 7);
    // Toil over 168 on-call hours.
    close(&s["toil_share"], (1.25 + 1.0 / 3.0) / 168.0, "toil_share");
    assert_eq!(s["previous_period"]["pages"], 0);
    // --since/--until (both days included) cutting Thursday alone: a5 a6
    // a7 (all Ada, business; a6 merged) → 2 interruptions, 3 pages in one
    // shift.
    let dir = tempfile::tempdir().unwrap();
    let s = run_headline(
        dir.path(),
        &["--since", "2026-03-05", "--until", "2026-03-05"],
    );
    assert_eq!(s["pages"], 3);
    assert_eq!(s["interruptions"]["total"], 2);
    assert_eq!(s["interruptions"]["business"], 2);
    assert_eq!(s["max_pages_per_shift"], 3);
    // The day before (Wed) held a4 only.
    assert_eq!(s["previous_period"]["pages"], 1);
}

#[test]
fn a_few_tags_of_one_label_teach_their_rule_and_nothing_else() {
    // Two of the three "Web CPU saturated" pages (a2, a3) tagged actionable,
    // against the rules (TRANSIENT, UNACKED). Tags of one label only (fewer
    // than `fit_min_tags` of each): the score keeps the rules' weights. The
    // third CPU page (a4), untagged, takes its rule's label (2 tags, all
    // agreeing). Actionable: a1 a5 (rules), a2 a3 (tags), a4 (its rule);
    // noise: a6 a7 a8 a9.
    let dir = tempfile::tempdir().unwrap();
    let tags = dir.path().join("tags.csv");
    std::fs::write(&tags, "alert_id,label\na2,actionable\na3,actionable\n").unwrap();
    let out = dir.path().join("out");
    let s = crate::util::run_headline(dir.path(), &out, &["--labels", tags.to_str().unwrap()]);
    assert_eq!(s["actionable"], 5, "{}", s["actionable"]);
    assert_eq!(s["noise"], 4);
    assert_eq!(s["evaluation"]["fitted"], false);
    let alerts = crate::util::read_parquet(&out.join("alerts.parquet"));
    let label = |id: &str| {
        crate::util::text(&alerts, "label", crate::util::row(&alerts, "alert_id", id)).unwrap()
    };
    assert_eq!(label("a4"), "actionable");
    assert_eq!(label("a7"), "noise");
    // One tag does not teach its rule: a3 and a4 keep the rules' noise.
    std::fs::write(&tags, "alert_id,label\na2,actionable\n").unwrap();
    let out = dir.path().join("out1");
    let s = crate::util::run_headline(dir.path(), &out, &["--labels", tags.to_str().unwrap()]);
    assert_eq!(s["actionable"], 3);
}
