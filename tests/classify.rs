//! The classifier on tiny hand-built histories: each reason code at its
//! threshold and one step past it, a DST change, incident linkage, storms,
//! and `explain` on one alert per reason code.

use alertsift::classify::{self, REASONS};
use alertsift::config::Config;
use alertsift::report::explain::explain_row;
use alertsift::schema as s;
use polars::prelude::*;

/// One alert of a hand-built history; times in seconds.
#[derive(Clone)]
struct A {
    id: &'static str,
    source: &'static str,
    key: Option<&'static str>,
    title: &'static str,
    service: Option<&'static str>,
    team: Option<&'static str>,
    severity: Option<&'static str>,
    urgency: Option<&'static str>,
    paged: Option<bool>,
    t: i64,
    ack: Option<i64>,
    res: Option<i64>,
    auto: Option<bool>,
    escalations: Option<u32>,
    notes: Option<u32>,
    repeat: Option<u32>,
    labels: Option<&'static str>,
}

fn a(id: &'static str, t: i64, res: Option<i64>) -> A {
    A {
        id,
        source: "pagerduty",
        key: None,
        title: "Something on web-1",
        service: Some("api"),
        team: Some("web"),
        severity: Some("critical"),
        urgency: Some("high"),
        paged: Some(true),
        t,
        ack: None,
        res,
        auto: res.map(|_| true),
        escalations: None,
        notes: None,
        repeat: None,
        labels: None,
    }
}

fn times(name: &str, v: Vec<Option<i64>>) -> Column {
    Series::new(
        name.into(),
        v.into_iter()
            .map(|x| x.map(|s| s * 1_000_000))
            .collect::<Vec<_>>(),
    )
    .cast(&DataType::Datetime(
        TimeUnit::Microseconds,
        Some(TimeZone::UTC),
    ))
    .unwrap()
    .into_column()
}

fn frame(rows: &[A]) -> DataFrame {
    let n = rows.len();
    let strs = |name: &str, f: &dyn Fn(&A) -> Option<&'static str>| {
        Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into_column()
    };
    let u32s = |name: &str, f: &dyn Fn(&A) -> Option<u32>| {
        Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into_column()
    };
    let bools = |name: &str, f: &dyn Fn(&A) -> Option<bool>| {
        Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into_column()
    };
    DataFrame::new(
        n,
        vec![
            strs(s::ALERT_ID, &|r| Some(r.id)),
            strs(s::SOURCE, &|r| Some(r.source)),
            strs(s::DEDUP_KEY, &|r| r.key),
            strs(s::TITLE, &|r| Some(r.title)),
            strs(s::SERVICE, &|r| r.service),
            strs(s::TEAM, &|r| r.team),
            strs(s::SEVERITY, &|r| r.severity),
            strs(s::URGENCY, &|r| r.urgency),
            bools(s::PAGED, &|r| r.paged),
            times(s::TRIGGERED_AT, rows.iter().map(|r| Some(r.t)).collect()),
            times(s::ACKNOWLEDGED_AT, rows.iter().map(|r| r.ack).collect()),
            times(s::RESOLVED_AT, rows.iter().map(|r| r.res).collect()),
            strs(s::ACKNOWLEDGED_BY, &|r| r.ack.map(|_| "Ada")),
            strs(s::RESOLVED_BY, &|r| {
                (r.auto == Some(false)).then_some("Ada")
            }),
            bools(s::AUTO_RESOLVED, &|r| r.auto),
            u32s(s::ESCALATIONS, &|r| r.escalations),
            u32s(s::NOTES, &|r| r.notes),
            u32s(s::REPEAT_COUNT, &|r| r.repeat),
            Series::full_null(
                s::RESPONDERS.into(),
                n,
                &DataType::List(Box::new(DataType::String)),
            )
            .into_column(),
            strs(s::LABELS, &|r| r.labels),
            times(s::UPDATED_AT, rows.iter().map(|r| Some(r.t)).collect()),
        ],
    )
    .unwrap()
}

/// (id, start s, end s, service, team)
type Inc = (&'static str, i64, Option<i64>, &'static str, &'static str);

fn incidents(rows: &[Inc]) -> DataFrame {
    let n = rows.len();
    DataFrame::new(
        n,
        vec![
            Series::new(
                s::INCIDENT_ID.into(),
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            )
            .into_column(),
            Series::new(s::SOURCE.into(), vec!["servicenow"; n]).into_column(),
            Series::full_null(s::TITLE.into(), n, &DataType::String).into_column(),
            Series::full_null(s::SEVERITY.into(), n, &DataType::String).into_column(),
            Series::new(
                s::SERVICE.into(),
                rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            )
            .into_column(),
            Series::new(s::TEAM.into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()).into_column(),
            Series::full_null(s::STATUS.into(), n, &DataType::String).into_column(),
            times(s::STARTED_AT, rows.iter().map(|r| Some(r.1)).collect()),
            times(s::RESOLVED_AT, rows.iter().map(|r| r.2).collect()),
            times(s::UPDATED_AT, rows.iter().map(|r| Some(r.1)).collect()),
        ],
    )
    .unwrap()
}

fn run_with(rows: &[A], inc: &[Inc], config: &Config) -> DataFrame {
    classify::classify(frame(rows).lazy(), incidents(inc).lazy(), config)
        .unwrap()
        .collect()
        .unwrap()
}

fn run(rows: &[A]) -> DataFrame {
    run_with(rows, &[], &Config::default())
}

fn idx(df: &DataFrame, id: &str) -> usize {
    crate::util::row(df, s::ALERT_ID, id)
}

fn reasons(df: &DataFrame, id: &str) -> Vec<String> {
    let i = idx(df, id);
    let list = df
        .column(s::REASONS)
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(i)
        .unwrap();
    list.str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect()
}

fn has(df: &DataFrame, id: &str, code: &str) -> bool {
    reasons(df, id).iter().any(|r| r == code)
}

fn label(df: &DataFrame, id: &str) -> String {
    crate::util::text(df, s::LABEL, idx(df, id)).unwrap()
}

const MIN: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
/// 2026-10-20T00:00:00Z.
const T0: i64 = 1_792_454_400;

#[test]
fn transient_at_the_window() {
    let mut acked = a("acked", T0, Some(T0 + 60));
    acked.ack = Some(T0 + 30);
    acked.title = "Other on web-9";
    let mut by_person = a("person", T0 + DAY, Some(T0 + DAY + 60));
    by_person.auto = Some(false);
    by_person.title = "Third on web-7";
    let df = run(&[
        // Exactly 5 min: transient; one second more: not.
        a("at", T0 + 2 * DAY, Some(T0 + 2 * DAY + 5 * MIN)),
        {
            let mut x = a("past", T0 + 3 * DAY, Some(T0 + 3 * DAY + 5 * MIN + 1));
            x.title = "Fourth on db-2";
            x
        },
        acked,
        by_person,
    ]);
    assert!(has(&df, "at", "TRANSIENT"));
    assert!(!has(&df, "past", "TRANSIENT"));
    assert!(!has(&df, "acked", "TRANSIENT"));
    assert!(!has(&df, "person", "TRANSIENT"));
    assert_eq!(label(&df, "at"), "noise");
}

#[test]
fn flapping_refire_at_the_window() {
    let mut rows = vec![
        a("k1", T0, Some(T0 + MIN)),
        // Re-fires exactly 30 min after k1 cleared.
        a("k2", T0 + MIN + 30 * MIN, Some(T0 + 32 * MIN)),
    ];
    let mut x1 = a("x1", T0, Some(T0 + MIN));
    x1.title = "Other on web-2";
    let mut x2 = a("x2", T0 + MIN + 30 * MIN + 1, Some(T0 + 33 * MIN));
    x2.title = "Other on web-2";
    rows.extend([x1, x2]);
    let df = run(&rows);
    assert!(has(&df, "k1", "FLAPPING"), "{:?}", reasons(&df, "k1"));
    assert!(has(&df, "k2", "FLAPPING"));
    assert!(!has(&df, "x1", "FLAPPING"));
    assert!(!has(&df, "x2", "FLAPPING"));
    // The evidence: seconds from the previous clear.
    let i = idx(&df, "k2");
    assert_eq!(
        df.column(s::CLEAR_GAP_S).unwrap().i64().unwrap().get(i),
        Some(30 * MIN)
    );
}

#[test]
fn flapping_state_changes_in_an_hour() {
    // With re-fires counted only within 10 min, three fires (five state
    // changes) within exactly one hour still flap; 1 s more does not.
    let mut config = Config::default();
    config.classify.refire_window = std::time::Duration::from_secs(600);
    let mk = |id: &'static str, key: &'static str, t: i64| {
        let mut x = a(id, t, Some(t + MIN));
        x.title = key;
        x
    };
    let df = run_with(
        &[
            mk("a1", "a", T0),
            mk("a2", "a", T0 + 20 * MIN),
            mk("a3", "a", T0 + HOUR),
            mk("b1", "b", T0),
            mk("b2", "b", T0 + 20 * MIN),
            mk("b3", "b", T0 + HOUR + 1),
        ],
        &[],
        &config,
    );
    assert!(has(&df, "a3", "FLAPPING"));
    assert!(!has(&df, "b3", "FLAPPING"));
}

#[test]
fn flapping_changes_is_the_threshold_it_says() {
    // Four fires of one alert 10 min apart, each cleared after 1 min (gaps
    // of 9 min, over a 1 min re-fire window), all within one hour. The n-th
    // fire ends a run of 2n − 1 state changes within the hour (fire, clear,
    // …, fire): f1 1, f2 3, f3 5, f4 7. "More than N changes" flags the
    // fires with 2n − 1 > N. (Before, N only switched between "three
    // fires" for N < 5 and nothing at all for N ≥ 5.)
    let mk = |id: &'static str, t: i64| {
        let mut x = a(id, t, Some(t + MIN));
        x.title = "Link flaps on sw-3";
        x
    };
    let rows = [
        mk("f1", T0),
        mk("f2", T0 + 10 * MIN),
        mk("f3", T0 + 20 * MIN),
        mk("f4", T0 + 30 * MIN),
    ];
    for (n, want) in [
        (0, vec!["f2", "f3", "f4"]), // f1 has no clear before it
        (1, vec!["f2", "f3", "f4"]),
        (2, vec!["f2", "f3", "f4"]),
        (3, vec!["f3", "f4"]),
        (4, vec!["f3", "f4"]),
        (5, vec!["f4"]),
        (6, vec!["f4"]),
        (7, vec![]),
    ] {
        let mut config = Config::default();
        config.classify.refire_window = std::time::Duration::from_secs(60);
        config.classify.flapping_changes = n;
        let df = run_with(&rows, &[], &config);
        let got: Vec<&str> = ["f1", "f2", "f3", "f4"]
            .into_iter()
            .filter(|id| has(&df, id, "FLAPPING"))
            .collect();
        assert_eq!(got, want, "flapping_changes = {n}");
    }
}

#[test]
fn duplicate_while_open() {
    let mk = |id: &'static str, key: &'static str, t: i64, r: i64| {
        let mut x = a(id, t, Some(r));
        x.title = key;
        x
    };
    let mut og2 = a("og2", T0, Some(T0 + HOUR));
    og2.source = "opsgenie";
    og2.key = Some("alias-2");
    og2.title = "Og on web-2";
    og2.repeat = Some(2);
    let mut og1 = og2.clone();
    og1.id = "og1";
    og1.key = Some("alias-1");
    og1.title = "Og on web-1";
    og1.repeat = Some(1);
    let df = run(&[
        // d2 fires one second before d1 resolves: a duplicate (and d1 has one).
        mk("d1", "d", T0, T0 + 10 * MIN),
        mk("d2", "d", T0 + 10 * MIN - 1, T0 + 20 * MIN),
        // e2 fires the second e1 resolves: not a duplicate.
        mk("e1", "e", T0, T0 + 10 * MIN),
        mk("e2", "e", T0 + 10 * MIN, T0 + 20 * MIN),
        og2,
        og1,
    ]);
    assert!(has(&df, "d2", "DUPLICATE"));
    assert!(has(&df, "d1", "DUPLICATE"));
    assert!(!has(&df, "e1", "DUPLICATE"));
    assert!(!has(&df, "e2", "DUPLICATE"));
    assert!(has(&df, "og2", "DUPLICATE"));
    assert!(!has(&df, "og1", "DUPLICATE"));
}

#[test]
fn unacked_only_where_the_source_records_acks() {
    let mut acked = a("acked", T0, Some(T0 + HOUR));
    acked.ack = Some(T0 + MIN);
    acked.auto = Some(false);
    acked.title = "Acked on web-2";
    let mut am = a("am", T0 + DAY, Some(T0 + DAY + HOUR));
    am.source = "alertmanager";
    am.title = "Am on web-3";
    let mut quiet = a("open", T0 + 2 * DAY, None);
    quiet.title = "Open on web-4";
    let df = run(&[
        a("pd", T0 + 3 * DAY, Some(T0 + 3 * DAY + HOUR)),
        acked,
        am,
        quiet,
    ]);
    assert!(has(&df, "pd", "UNACKED"));
    assert!(!has(&df, "acked", "UNACKED"));
    // Alertmanager has no acknowledgements at all: never UNACKED.
    assert!(!has(&df, "am", "UNACKED"));
    assert_eq!(label(&df, "am"), "actionable");
    // Still open: not (yet) unacknowledged-before-resolve.
    assert!(!has(&df, "open", "UNACKED"));
}

#[test]
fn ack_no_action_and_actionable_evidence() {
    let mut ana = a("ana", T0, Some(T0 + 20 * MIN));
    ana.ack = Some(T0 + 2 * MIN);
    let mut noted = ana.clone();
    noted.id = "noted";
    noted.t += DAY;
    noted.ack = Some(T0 + DAY + 2 * MIN);
    noted.res = Some(T0 + DAY + 20 * MIN);
    noted.notes = Some(1);
    let mut fixed = ana.clone();
    fixed.id = "fixed";
    fixed.t += 2 * DAY;
    fixed.ack = Some(T0 + 2 * DAY + 2 * MIN);
    fixed.res = Some(T0 + 2 * DAY + 90 * MIN);
    fixed.auto = Some(false);
    let df = run(&[ana, noted, fixed]);
    assert!(has(&df, "ana", "ACK_NO_ACTION"));
    assert_eq!(label(&df, "ana"), "noise");
    assert!(!has(&df, "noted", "ACK_NO_ACTION"));
    assert!(!has(&df, "fixed", "ACK_NO_ACTION"));
    assert_eq!(label(&df, "fixed"), "actionable");
}

#[test]
fn recurring_in_local_time_across_dst() {
    // A job at 02:15 Berlin time on 2026-10-23..26: 00:15Z while CEST,
    // 01:15Z on 2026-10-26 (CET; the clocks went back on the 25th). In UTC
    // the fourth is an hour off the others; in Berlin time it is the same
    // minute. Day 4 is the 4th of the
    // last 7 days: RECURRING; day 3 has only 3. The rule of domain.md (the
    // last 7 days, ±30 min: an hour's shift is outside it).
    let config = Config::parse(
        "[teams.pay]\ntimezone = \"Europe/Berlin\"\nservices = [\"batch\"]\n\
         [classify]\nrecurring_lookahead_days = 0\nrecurring_tolerance = \"30m\"\n",
    )
    .unwrap();
    let d23 = 1_792_713_600; // 2026-10-23T00:00:00Z
    let mk = |id: &'static str, t: i64| {
        let mut x = a(id, t, Some(t + 20 * MIN));
        x.title = "Backup slow on batch-01";
        x.team = Some("pay");
        x.service = Some("batch");
        x.ack = Some(t + MIN);
        x.auto = Some(false);
        x
    };
    let nights = [
        mk("r1", d23 + 15 * MIN),
        mk("r2", d23 + DAY + 15 * MIN),
        mk("r3", d23 + 2 * DAY + 15 * MIN),
        mk("r4", d23 + 3 * DAY + HOUR + 15 * MIN),
    ];
    let df = run_with(&nights, &[], &config);
    assert!(!has(&df, "r3", "RECURRING"));
    assert!(has(&df, "r4", "RECURRING"), "{:?}", reasons(&df, "r4"));
    let i = idx(&df, "r4");
    assert_eq!(
        df.column(s::RECURRING_DAYS).unwrap().u32().unwrap().get(i),
        Some(4)
    );
    let text = explain_row(&df, i, &config);
    assert!(
        text.contains("02:15 Europe/Berlin on 4 days of the last 7; threshold 4 days"),
        "{text}"
    );
    // In UTC, r4 at 01:15Z would be an hour off the others: not within
    // 30 minutes. With the defaults (6 days ahead too) day 3 sees day 4.
    let df = run_with(
        &nights,
        &[],
        &Config::parse("[teams.pay]\ntimezone = \"Europe/Berlin\"\nservices = [\"batch\"]\n")
            .unwrap(),
    );
    assert!(has(&df, "r3", "RECURRING"), "{:?}", reasons(&df, "r3"));
}

#[test]
fn non_paging() {
    let mut low = a("low", T0, Some(T0 + HOUR));
    low.urgency = Some("low");
    low.title = "Low on web-5";
    let mut info = a("info", T0 + DAY, Some(T0 + DAY + HOUR));
    info.severity = Some("info");
    info.title = "Info on web-6";
    let mut email = a("email", T0 + 2 * DAY, Some(T0 + 2 * DAY + HOUR));
    email.paged = Some(false);
    email.title = "Email on web-8";
    let mut page = a("page", T0 + 3 * DAY, Some(T0 + 3 * DAY + HOUR));
    page.ack = Some(T0 + 3 * DAY + MIN);
    page.auto = Some(false);
    let df = run(&[low, info, email, page]);
    for id in ["low", "info", "email"] {
        assert!(has(&df, id, "NON_PAGING"), "{id}");
    }
    assert!(!has(&df, "page", "NON_PAGING"));
}

#[test]
fn storm_secondaries_follow_an_actionable_lead() {
    let mut lead = a("lead", T0, Some(T0 + HOUR));
    lead.ack = Some(T0 + MIN);
    lead.auto = Some(false);
    lead.title = "Checkout errors on web-1";
    let mk = |id: &'static str, t: i64, title: &'static str| {
        let mut x = a(id, t, Some(t + 40 * MIN));
        x.source = "alertmanager";
        x.title = title;
        x
    };
    let df = run_with(
        &[
            lead,
            // 5 min after the lead: same episode; 5 min after that: still.
            mk("s1", T0 + 5 * MIN, "Upstream connect error to web-2"),
            mk("s2", T0 + 10 * MIN, "Latency high on web-3"),
            // 5 min 1 s later: a new episode, its own lead.
            mk("new", T0 + 15 * MIN + 1, "Queue depth on web-4"),
        ],
        &[("INC1", T0 + 2 * MIN, Some(T0 + HOUR), "api", "web")],
        &Config::default(),
    );
    assert!(has(&df, "s1", "STORM_SECONDARY"));
    assert!(has(&df, "s2", "STORM_SECONDARY"));
    assert!(!has(&df, "new", "STORM_SECONDARY"));
    assert!(!has(&df, "lead", "STORM_SECONDARY"));
    assert_eq!(label(&df, "s1"), "noise");
    assert_eq!(label(&df, "lead"), "actionable");
    let ep = |id: &str| crate::util::text(&df, s::EPISODE_ID, idx(&df, id));
    assert_eq!(ep("s2").as_deref(), Some("lead"));
    assert_eq!(ep("new").as_deref(), Some("new"));
    // The incident overlaps them all, but only the lead and the new
    // episode count it as evidence.
    assert_eq!(label(&df, "new"), "actionable");
}

#[test]
fn storm_after_a_noise_lead_is_not_secondary() {
    let lead = a("lead", T0, Some(T0 + MIN)); // transient
    let mut s1 = a("s1", T0 + MIN, Some(T0 + HOUR));
    s1.source = "alertmanager";
    s1.title = "Other on web-2";
    let df = run(&[lead, s1]);
    assert!(has(&df, "lead", "TRANSIENT"));
    assert!(!has(&df, "s1", "STORM_SECONDARY"));
}

#[test]
fn incident_linkage_window() {
    let mk = |id: &'static str, t: i64, service: &'static str, team: &'static str| {
        let mut x = a(id, t, Some(t + 10 * MIN));
        x.service = Some(service);
        x.team = Some(team);
        x.title = id;
        x
    };
    let start = T0 + DAY;
    // One acknowledged alert shows the source records acknowledgements.
    let mut acked = mk("acked", T0, "web", "web");
    acked.ack = Some(T0 + MIN);
    let df = run_with(
        &[
            acked,
            mk("before", start - 30 * MIN, "db", "data"),
            mk("early", start - 30 * MIN - 1, "db", "x"),
            mk("by_team", start + HOUR, "other", "data"),
            mk("after", start + 2 * HOUR + 1, "db", "data"),
        ],
        &[("INC9", start, Some(start + 2 * HOUR), "db", "data")],
        &Config::default(),
    );
    let inc = |id: &str| crate::util::text(&df, s::INCIDENT_ID, idx(&df, id));
    assert_eq!(inc("before").as_deref(), Some("INC9"));
    assert_eq!(inc("early"), None);
    assert_eq!(inc("by_team").as_deref(), Some("INC9"));
    assert_eq!(inc("after"), None);
    // Unacknowledged but overlapping an incident: actionable.
    assert!(has(&df, "before", "UNACKED"));
    assert_eq!(label(&df, "before"), "actionable");
}

#[test]
fn explain_each_reason() {
    let mut flap = a("f2", T0 + 3 * MIN, Some(T0 + 4 * MIN));
    flap.title = "Health check failing on web-9";
    let mut f1 = flap.clone();
    f1.id = "f1";
    f1.t = T0;
    f1.res = Some(T0 + MIN);
    let mut ana = a("ana", T0 + 5 * DAY, Some(T0 + 5 * DAY + 20 * MIN));
    ana.ack = Some(T0 + 5 * DAY + 2 * MIN);
    ana.title = "Ack on web-4";
    let mut dup = a("dup", T0 + 7 * DAY, Some(T0 + 7 * DAY + HOUR));
    dup.source = "opsgenie";
    dup.key = Some("alias");
    dup.repeat = Some(7);
    let mut low = a("low", T0 + 9 * DAY, Some(T0 + 9 * DAY + HOUR));
    low.urgency = Some("low");
    low.title = "Low on web-5";
    let transient = a("tr", T0 + 11 * DAY, Some(T0 + 11 * DAY + 134));
    let config = Config::default();
    let df = run_with(&[f1, flap, ana, dup, low, transient], &[], &config);
    let say = |id: &str| explain_row(&df, idx(&df, id), &config);
    let t = say("tr");
    assert!(
        t.contains("TRANSIENT: resolved by the integration 2m14s after trigger, never acknowledged; threshold 5m"),
        "{t}"
    );
    assert!(
        t.contains("UNACKED: paged, and nobody acknowledged it"),
        "{t}"
    );
    assert!(
        t.starts_with("alert tr (pagerduty): Something on web-1"),
        "{t}"
    );
    assert!(t.contains("label: noise"), "{t}");
    let t = say("f2");
    assert!(
        t.contains("FLAPPING: fired 2m after the previous occurrence of the same alert cleared; threshold 30m"),
        "{t}"
    );
    let t = say("ana");
    assert!(
        t.contains("ACK_NO_ACTION: acknowledged 2m after trigger, then resolved by the integration 18m later"),
        "{t}"
    );
    let t = say("dup");
    assert!(
        t.contains("DUPLICATE: the vendor folded 7 repeats into it (dedup key alias)"),
        "{t}"
    );
    let t = say("low");
    assert!(t.contains("NON_PAGING: low urgency"), "{t}");
    // RECURRING, STORM_SECONDARY and NO_WORK are explained in their own
    // tests.
    assert_eq!(REASONS.len(), 9);
}

#[test]
fn explain_storm_and_incident() {
    let mut lead = a("lead", T0, Some(T0 + HOUR));
    lead.ack = Some(T0 + MIN);
    lead.auto = Some(false);
    lead.notes = Some(2);
    let mut s1 = a("s1", T0 + 2 * MIN, Some(T0 + 40 * MIN));
    s1.source = "alertmanager";
    s1.title = "Upstream connect error to web-2";
    let config = Config::default();
    let df = run_with(
        &[lead, s1],
        &[("INC1", T0 + 3 * MIN, Some(T0 + HOUR), "api", "web")],
        &config,
    );
    let t = explain_row(&df, idx(&df, "s1"), &config);
    assert!(
        t.contains("STORM_SECONDARY: not the first alert of its episode (alerts of the team chaining within 5m); the episode's lead lead is actionable"),
        "{t}"
    );
    assert!(t.contains("overlaps incident INC1"), "{t}");
    assert!(
        t.contains("explained by the storm's lead, not counted"),
        "{t}"
    );
    let t = explain_row(&df, idx(&df, "lead"), &config);
    assert!(t.contains("reasons: none"), "{t}");
    assert!(
        t.contains("resolved by a person after acknowledging"),
        "{t}"
    );
    assert!(t.contains("2 note(s)"), "{t}");
    assert!(t.contains("label: actionable"), "{t}");
}

#[test]
fn cluster_counts_and_template_statistics() {
    use alertsift::cluster;
    let mk = |id: &'static str, t: i64, dur: i64, title: &'static str, svc: &'static str| {
        let mut x = a(id, t, Some(t + dur));
        x.title = title;
        x.service = Some(svc);
        x
    };
    // One template three times: 07:00 (sleep hours), 09:00, 22:00 (sleep:
    // 22:00 starts them) UTC, lasting 60, 300 and 120 s, on two services.
    let mut d1 = mk("d1", T0 + 7 * HOUR, 60, "Disk full on db-1", "db");
    d1.key = Some("k1");
    let mut d2 = mk("d2", T0 + 9 * HOUR, 300, "Disk full on db-2", "api");
    d2.key = Some("k1");
    d2.paged = Some(false);
    let mut d3 = mk("d3", T0 + 22 * HOUR, 120, "Disk full on db-3", "db");
    d3.key = Some("k2");
    // Another template, and one more alert a minute after it (same episode).
    let o1 = mk("o1", T0 + 12 * HOUR, 600, "Queue stuck", "db");
    let o2 = mk("o2", T0 + 12 * HOUR + MIN, 600, "Cache cold", "db");
    let df = run(&[d1, d2, d3, o1, o2]);
    let c = cluster::counts(
        &df,
        &cluster::template_stats(&df, &Config::default()).unwrap(),
        &cluster::episodes(&df).unwrap(),
    )
    .unwrap();
    assert_eq!(c.templates, 3);
    // Five alerts, four episodes: compression 1 − 4/5.
    assert_eq!(c.episodes, 4);
    assert!((c.compression - 0.2).abs() < 1e-12);
    // Keys k1, k1, k2: one exact duplicate.
    assert_eq!(c.exact_duplicates, 1);

    // Out of trigger-time order the rows are sorted first: the same
    // re-fire intervals (2 h and 13 h), not negative ones.
    let reversed = cluster::template_stats(&df.reverse(), &Config::default()).unwrap();
    let refire = reversed.column("median_refire_s").unwrap().get(0).unwrap();
    assert_eq!(refire.extract::<f64>(), Some(27_000.0));
    let stats = cluster::template_stats(&df, &Config::default()).unwrap();
    assert_eq!(stats.height(), 3);
    let get = |name: &str| stats.column(name).unwrap().get(0).unwrap();
    // Most alerts first.
    assert_eq!(get("template").to_string(), "\"Disk full on <*>\"");
    assert_eq!(get("alerts").extract::<u64>(), Some(3));
    assert_eq!(get("pages").extract::<u64>(), Some(2));
    // Durations 60, 120, 300: median 120; p90 at rank 1.8: 120 + 0.8·180.
    assert_eq!(get("median_duration_s").extract::<f64>(), Some(120.0));
    assert!((get("p90_duration_s").extract::<f64>().unwrap() - 264.0).abs() < 1e-9);
    // Re-fires after 2 h and 13 h: median 7.5 h.
    assert_eq!(get("median_refire_s").extract::<f64>(), Some(27_000.0));
    assert!((get("sleep_share").extract::<f64>().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(get("auto_resolve_share").extract::<f64>(), Some(1.0));
    assert_eq!(get("services").to_string(), "\"api, db\"");
}

#[test]
fn alertmanager_instances_are_separate_identities() {
    // Two instances of one rule whose title does not name the instance,
    // overlapping: not duplicates. A replica of db-1 (same instance) is.
    let mk = |id: &'static str, t: i64, labels: &'static str| {
        let mut x = a(id, t, Some(t + HOUR));
        x.source = "alertmanager";
        x.title = "DiskAlmostFull";
        x.labels = Some(labels);
        x
    };
    let df = run(&[
        mk(
            "db1",
            T0,
            r#"{"alertname":"DiskAlmostFull","instance":"db-1"}"#,
        ),
        mk(
            "db2",
            T0 + MIN,
            r#"{"alertname":"DiskAlmostFull","instance":"db-2"}"#,
        ),
        mk(
            "db1r",
            T0 + 2 * MIN,
            r#"{"alertname":"DiskAlmostFull","instance":"db-1","replica":"b"}"#,
        ),
    ]);
    assert!(!has(&df, "db2", "DUPLICATE"), "{:?}", reasons(&df, "db2"));
    assert!(has(&df, "db1r", "DUPLICATE"));
    assert!(has(&df, "db1", "DUPLICATE"));
}

#[test]
fn tags_teach_their_rule() {
    // Three fires of one rule resolving by themselves (TRANSIENT: noise by
    // the rules) and one of another. The rule's tags say actionable: the
    // untagged alerts of that rule take it; the other rule keeps the
    // model's label; an alert's own tag wins over its rule's.
    let mk = |id: &'static str, title: &'static str, t: i64| {
        let mut x = a(id, t, Some(t + MIN));
        x.title = title;
        x
    };
    let rows = [
        mk("r1", "Cache warmup slow on node-1", T0),
        mk("r2", "Cache warmup slow on node-2", T0 + DAY),
        mk("r3", "Cache warmup slow on node-3", T0 + 2 * DAY),
        mk("o1", "Backup lagging on db-9", T0 + 3 * DAY),
    ];
    let config = Config::default();
    let features = classify::features(frame(&rows).lazy(), incidents(&[]).lazy(), &config)
        .unwrap()
        .collect()
        .unwrap();
    let tid = |id: &str| crate::util::text(&features, s::TEMPLATE_ID, idx(&features, id)).unwrap();
    assert_eq!(tid("r1"), tid("r3"));
    let taught: std::collections::HashMap<String, String> =
        [(tid("r1"), "actionable".to_string())].into();
    let tags: std::collections::HashMap<String, String> =
        [("r2".to_string(), "noise".to_string())].into();
    let df = classify::score(
        features.clone().lazy(),
        &classify::Weights::default(),
        Some(&tags),
        Some(&taught),
        0.5,
    )
    .collect()
    .unwrap();
    assert_eq!(label(&df, "r1"), "actionable");
    assert_eq!(label(&df, "r3"), "actionable");
    assert_eq!(label(&df, "r2"), "noise");
    assert_eq!(label(&df, "o1"), "noise");
    // Without the rule's tags, the rules alone: all four noise.
    let df = classify::score(
        features.lazy(),
        &classify::Weights::default(),
        None,
        None,
        0.5,
    )
    .collect()
    .unwrap();
    for id in ["r1", "r2", "r3", "o1"] {
        assert_eq!(label(&df, id), "noise", "{id}");
    }
}

/// The rule's history as evidence, on a source with no acknowledgements
/// (Alertmanager). "Queue slow on q-N": long-lived pages, never an incident,
/// a person, an escalation or a note: at 5 pages (`rule_min_pages`) each
/// is NO_WORK, noise; at 4, nothing says so and they stay actionable.
/// "Disk failing on d-N": 4 of its 5 pages overlap an incident of their
/// service, the fifth is a 2-minute blip (TRANSIENT): 4/5 ≥ 0.5 is
/// RULE_WORK (−4.5), which outweighs TRANSIENT alone (6, bias −2): the
/// blip is actionable, with TRANSIENT still listed.
#[test]
fn a_rule_that_never_led_to_work_and_one_that_usually_does() {
    let am = |id: &'static str, title: &'static str, svc: &'static str, t: i64, dur: i64| {
        let mut x = a(id, t, Some(t + dur));
        x.source = "alertmanager";
        x.title = title;
        x.service = Some(svc);
        x
    };
    // Days 0–4, at 01:00, 04:00, … (no time of day repeats: not RECURRING).
    let queue: Vec<A> = ["q1", "q2", "q3", "q4", "q5"]
        .into_iter()
        .zip([
            "Queue slow on q-1",
            "Queue slow on q-2",
            "Queue slow on q-3",
            "Queue slow on q-4",
            "Queue slow on q-5",
        ])
        .enumerate()
        .map(|(k, (id, title))| {
            am(
                id,
                title,
                "api",
                T0 + k as i64 * (DAY + 3 * HOUR) + HOUR,
                2 * HOUR,
            )
        })
        .collect();
    let disk: Vec<A> = ["b1", "b2", "b3", "b4", "b5"]
        .into_iter()
        .zip([
            "Disk failing on d-1",
            "Disk failing on d-2",
            "Disk failing on d-3",
            "Disk failing on d-4",
            "Disk failing on d-5",
        ])
        .enumerate()
        .map(|(k, (id, title))| {
            let t = T0 + (10 + k as i64) * DAY + (2 + 4 * k as i64) * HOUR;
            am(id, title, "db", t, if id == "b5" { 2 * MIN } else { HOUR })
        })
        .collect();
    let inc: Vec<Inc> = disk[..4]
        .iter()
        .zip(["INC1", "INC2", "INC3", "INC4"])
        .map(|(b, id)| (id, b.t + 5 * MIN, Some(b.t + 2 * HOUR), "db", "web"))
        .collect();
    let config = Config::default();
    let mut all = queue.clone();
    all.extend(disk.iter().cloned());
    let df = run_with(&all, &inc, &config);
    for id in ["q1", "q3", "q5"] {
        assert_eq!(reasons(&df, id), ["NO_WORK"], "{id}");
        assert_eq!(label(&df, id), "noise", "{id}");
    }
    let t = explain_row(&df, idx(&df, "q2"), &config);
    assert!(
        t.contains("NO_WORK: 0 of its rule's 5 pages in the history led to work"),
        "{t}"
    );
    assert!(has(&df, "b5", "TRANSIENT"));
    assert!(!has(&df, "b5", "NO_WORK"));
    assert_eq!(label(&df, "b5"), "actionable");
    let t = explain_row(&df, idx(&df, "b5"), &config);
    assert!(
        t.contains("4 of its rule's 5 pages led to work; threshold 0.5 of at least 5 pages"),
        "{t}"
    );
    for id in ["b1", "b4"] {
        assert_eq!(label(&df, id), "actionable", "{id}");
    }

    // One page fewer of each: under `rule_min_pages`, neither rule counts.
    let mut fewer = queue[..4].to_vec();
    fewer.extend(disk[1..].iter().cloned());
    let df = run_with(&fewer, &inc, &config);
    assert!(reasons(&df, "q1").is_empty());
    assert_eq!(label(&df, "q1"), "actionable");
    assert_eq!(reasons(&df, "b5"), ["TRANSIENT"]);
    assert_eq!(label(&df, "b5"), "noise");
}

/// NO_WORK forgives the incident overlaps chance explains. Both rules on
/// Alertmanager (no acknowledgements), team `web`; the incidents are of
/// team `ops`, so only the service matches. The history spans the first
/// "Cache slow" page (T0) to its last (T0 + 243 h).
///
/// "Cache slow on c-N" (service `api`): 10 pages, one every 27 h (no time
/// of day repeats), 30 minutes each. One `api` incident from T0 + 20.5 h to
/// T0 + 101 h: with the 30-minute lead its window is 20 h … 101 h, 81 of
/// the 243 hours, so chance puts E = 10 × 81/243 = 3.33 of the rule's pages
/// in it; the pages at 27, 54 and 81 h do overlap it: 3 ≤ E + 2√E = 6.99,
/// so all ten are NO_WORK. The three overlapping ones score 6 − 3.5 − 2 =
/// 0.5 (noise): the rule's history says their overlap is chance.
///
/// "Disk failing on d-N" (service `db`): 10 pages, three of them within a
/// 2-hour `db` incident window (50 h … 52 h, 2/243 of the span: E = 0.082,
/// bound 0.66): 3 overlaps are far above chance, so no NO_WORK; its
/// overlapping pages stay actionable (INCIDENT), its others have no
/// evidence either way (actionable). With a flat share the old rule, "no
/// page led to work", would have missed the first rule entirely.
#[test]
fn no_work_forgives_the_overlaps_chance_explains() {
    let am = |id: &'static str, title: &'static str, svc: &'static str, t: i64| {
        let mut x = a(id, t, Some(t + 30 * MIN));
        x.source = "alertmanager";
        x.title = title;
        x.service = Some(svc);
        x
    };
    const CACHE: [(&str, &str); 10] = [
        ("c0", "Cache slow on c-0"),
        ("c1", "Cache slow on c-1"),
        ("c2", "Cache slow on c-2"),
        ("c3", "Cache slow on c-3"),
        ("c4", "Cache slow on c-4"),
        ("c5", "Cache slow on c-5"),
        ("c6", "Cache slow on c-6"),
        ("c7", "Cache slow on c-7"),
        ("c8", "Cache slow on c-8"),
        ("c9", "Cache slow on c-9"),
    ];
    const DISK: [(&str, &str); 10] = [
        ("d0", "Disk failing on d-0"),
        ("d1", "Disk failing on d-1"),
        ("d2", "Disk failing on d-2"),
        ("d3", "Disk failing on d-3"),
        ("d4", "Disk failing on d-4"),
        ("d5", "Disk failing on d-5"),
        ("d6", "Disk failing on d-6"),
        ("d7", "Disk failing on d-7"),
        ("d8", "Disk failing on d-8"),
        ("d9", "Disk failing on d-9"),
    ];
    let mut rows: Vec<A> = CACHE
        .iter()
        .enumerate()
        .map(|(k, (id, title))| am(id, title, "api", T0 + k as i64 * 27 * HOUR))
        .collect();
    let disk_at = [
        50 * HOUR + 10 * MIN,
        50 * HOUR + 40 * MIN,
        51 * HOUR + 10 * MIN,
        110 * HOUR,
        127 * HOUR,
        144 * HOUR,
        161 * HOUR,
        178 * HOUR,
        195 * HOUR,
        212 * HOUR,
    ];
    rows.extend(
        DISK.iter()
            .zip(disk_at)
            .map(|((id, title), at)| am(id, title, "db", T0 + at)),
    );
    let inc: Vec<Inc> = vec![
        (
            "INC-API",
            T0 + 20 * HOUR + 30 * MIN,
            Some(T0 + 101 * HOUR),
            "api",
            "ops",
        ),
        (
            "INC-DB",
            T0 + 50 * HOUR + 30 * MIN,
            Some(T0 + 52 * HOUR),
            "db",
            "ops",
        ),
    ];
    let config = Config::default();
    let df = run_with(&rows, &inc, &config);
    let chance = |id: &str| {
        df.column(s::RULE_CHANCE_PAGES)
            .unwrap()
            .f64()
            .unwrap()
            .get(idx(&df, id))
            .unwrap()
    };
    assert!((chance("c0") - 10.0 / 3.0).abs() < 1e-9, "{}", chance("c0"));
    assert!(
        (chance("d5") - 20.0 / 243.0).abs() < 1e-9,
        "{}",
        chance("d5")
    );
    for (id, _) in CACHE {
        assert!(has(&df, id, "NO_WORK"), "{id}: {:?}", reasons(&df, id));
        assert_eq!(label(&df, id), "noise", "{id}");
    }
    for id in ["c1", "c2", "c3"] {
        let i = idx(&df, id);
        assert_eq!(
            crate::util::text(&df, s::INCIDENT_ID, i).as_deref(),
            Some("INC-API")
        );
    }
    let t = explain_row(&df, idx(&df, "c2"), &config);
    assert!(
        t.contains("3 of its rule's 10 pages in the history led to work")
            && t.contains("3.3 expected")
            && t.contains("threshold 8.8 (3 standard deviations)"),
        "{t}"
    );
    for (id, _) in DISK {
        assert!(!has(&df, id, "NO_WORK"), "{id}");
        assert_eq!(label(&df, id), "actionable", "{id}");
    }

    // A shorter `api` incident (window 27 h … 82 h: E = 10 × 55/243 =
    // 2.26) still holds the three pages: within E + 3√E = 6.77, NO_WORK;
    // with `rule_chance_sigmas = 0` the bound is E itself, 3 > 2.26, and
    // the rule's overlaps count as work.
    let short: Vec<Inc> = vec![
        (
            "INC-API",
            T0 + 27 * HOUR + 30 * MIN,
            Some(T0 + 82 * HOUR),
            "api",
            "ops",
        ),
        inc[1],
    ];
    let df = run_with(&rows, &short, &config);
    assert!(
        (chance("c0") - 10.0 / 3.0).abs() < 1e-9,
        "the first run's frame"
    );
    let chance2 = df
        .column(s::RULE_CHANCE_PAGES)
        .unwrap()
        .f64()
        .unwrap()
        .get(idx(&df, "c0"))
        .unwrap();
    assert!((chance2 - 550.0 / 243.0).abs() < 1e-9, "{chance2}");
    assert!(has(&df, "c2", "NO_WORK"));
    let mut strict = Config::default();
    strict.classify.rule_chance_sigmas = 0.0;
    let df = run_with(&rows, &short, &strict);
    for (id, _) in CACHE {
        assert!(!has(&df, id, "NO_WORK"), "{id}");
        assert_eq!(label(&df, id), "actionable", "{id}");
    }
}

/// Kibana keeps only an alert's latest workflow change, so on Elastic a
/// close by a named person hides the acknowledgement: it counts as a person
/// resolving (MANUAL_RESOLVE) and is not UNACKED. Elsewhere domain.md's
/// definitions hold: a PagerDuty incident a person resolved without
/// acknowledging is UNACKED, and no MANUAL_RESOLVE. (Each source has one
/// acknowledged alert, so both record acknowledgements.)
#[test]
fn a_close_hides_the_ack_only_where_the_export_keeps_one_change() {
    let mk = |id: &'static str, source: &'static str, t: i64, ack: Option<i64>| {
        let mut x = a(id, t, Some(t + 40 * MIN));
        x.source = source;
        x.ack = ack;
        x.auto = Some(false);
        x.title = if source == "elastic" {
            "Heap pressure on es-1"
        } else {
            "Queue stuck on mq-1"
        };
        x
    };
    let df = run(&[
        mk("e1", "elastic", T0, None),
        mk(
            "e2",
            "elastic",
            T0 + DAY + 3 * HOUR,
            Some(T0 + DAY + 3 * HOUR + MIN),
        ),
        mk("p1", "pagerduty", T0 + 2 * DAY + 5 * HOUR, None),
        mk(
            "p2",
            "pagerduty",
            T0 + 3 * DAY + 7 * HOUR,
            Some(T0 + 3 * DAY + 7 * HOUR + MIN),
        ),
    ]);
    assert!(!has(&df, "e1", "UNACKED"), "{:?}", reasons(&df, "e1"));
    assert_eq!(label(&df, "e1"), "actionable");
    let t = explain_row(&df, idx(&df, "e1"), &Config::default());
    assert!(t.contains("closed by a person the export names"), "{t}");
    assert!(has(&df, "p1", "UNACKED"), "{:?}", reasons(&df, "p1"));
    assert_eq!(label(&df, "p1"), "noise");
    assert_eq!(label(&df, "p2"), "actionable");
}
