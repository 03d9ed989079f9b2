//! Paging-load metrics on a small hand-built history; every expected number
//! is worked out by hand in the comments.

use alertsift::config::Config;
use alertsift::metrics::compute;
use alertsift::pages::{PageRecord, Pages};
use alertsift::roster::Roster;

const S: i64 = 1_000_000;
// 2026-03-27 (Friday) 06:30Z = 07:30 in Berlin (CET, +1).
const A: i64 = 1_774_593_000;
// 2026-03-30 (Monday) 06:30Z = 08:30 in Berlin (CEST, +2: the clocks went
// forward on the 29th; in CET this would be 07:30, sleep hours).
const B: i64 = 1_774_852_200;
// 2026-04-04 (Saturday) 10:00Z = 12:00 in Berlin.
const E: i64 = 1_775_296_800;
// 2026-03-30 (Monday) 03:00Z = 08:30 in Kolkata (+5:30); 05:00 in Berlin.
const F: i64 = 1_774_839_600;

fn page(t: i64, who: &str, ack: Option<i64>, res: i64, noise: bool) -> PageRecord {
    PageRecord {
        team: Some("pay".into()),
        service: Some("api".into()),
        template: Some("t".into()),
        responders: vec![who.into()],
        acknowledged_by: None,
        triggered: t * S,
        acknowledged: ack.map(|a| (t + a) * S),
        resolved: Some((t + res) * S),
        noise,
        ..PageRecord::default()
    }
}

#[test]
fn paging_load_by_hand() {
    let config = Config::parse(
        "[teams.pay]\ntimezone = \"Europe/Berlin\"\n[people.Priya]\ntimezone = \"Asia/Kolkata\"\n",
    )
    .unwrap();
    let pages = vec![
        page(A, "Ada", Some(120), 600, true), // Fri 07:30 Berlin: sleep
        page(B, "Ada", Some(300), 1200, false), // Mon 08:30 CEST: business
        page(B + 45, "Ada", None, 60, true),  // 45 s later: counts once with B
        page(B + 90, "Ada", None, 60, true),  // 90 s after B (the last counted): counts
        page(E, "Ada", None, 1800, true),     // Sat 12:00: off hours
        page(F, "Priya", None, 3600, false),  // Mon 08:30 Kolkata: business
    ];
    let since = 1_774_569_600 * S; // 2026-03-27T00:00Z
    let until = 1_775_347_200 * S; // 2026-04-05T00:00Z: 216 hours
    let m = compute(
        &Pages::from_records(&pages),
        &config,
        since,
        until,
        &Roster::default(),
    );
    let all = &m.all;
    assert_eq!(all.pages, 6);
    assert_eq!(all.noise_pages, 4);
    assert!((all.page_noise_ratio - 4.0 / 6.0).abs() < 1e-12);
    // Ada: A sleep, B business, (C merged), D business, E off; Priya: F
    // business.
    assert_eq!(all.interruptions.business, 3);
    assert_eq!(all.interruptions.off_hours, 1);
    assert_eq!(all.interruptions.sleep, 1);
    assert_eq!(all.interruptions.total, 5);
    // Ada: Fri 07h, Mon 08h (B, C, D), Sat 12h; Priya: Mon 08h.
    assert_eq!(all.disrupted_hours, 4);
    // Acknowledged after 120 and 300 s: p50 = mean = 210; four never.
    assert_eq!(all.mtta_seconds.p50, Some(210.0));
    assert_eq!(all.mtta_seconds.mean, Some(210.0));
    assert_eq!(all.unacknowledged, 4);
    // Resolve times 60, 60, 600, 1200, 1800, 3600: p50 at rank 2.5 = 900,
    // p90 at rank 4.5 = 2700, p95 at rank 4.75 = 3150, mean 7320/6 = 1220.
    assert_eq!(all.mttr_seconds.p50, Some(900.0));
    assert_eq!(all.mttr_seconds.p90, Some(2700.0));
    assert_eq!(all.mttr_seconds.p95, Some(3150.0));
    assert_eq!(all.mttr_seconds.mean, Some(1220.0));
    // Toil: A engaged 600 − 120 = 480 s; C, D, E never acknowledged: 15 min
    // each. 480/3600 + 0.75 = 0.88333 h, over 216 on-call hours.
    let toil = 480.0 / 3600.0 + 0.75;
    assert!((all.toil_hours - toil).abs() < 1e-9);
    assert!((m.toil_share - toil / 216.0).abs() < 1e-12);
    // Shifts (Berlin): Thu night (A), Mon day (B, C, D: 3 > 2), Sat day (E),
    // Sun night (F at 05:00 Berlin).
    assert_eq!(m.shifts_over_target, 1);
    assert_eq!(m.max_pages_per_shift, 3);
    // Per responder.
    assert_eq!(m.responders["Ada"].interruptions.total, 4);
    assert_eq!(m.responders["Priya"].interruptions.business, 1);
    assert_eq!(m.teams["pay"].pages, 6);
    // A page outside the period does not count.
    let m = compute(
        &Pages::from_records(&pages),
        &config,
        B * S,
        until,
        &Roster::default(),
    );
    assert_eq!(m.all.pages, 4);
}

#[test]
fn team_on_call_when_nobody_is_named() {
    // An Alertmanager page names nobody: the team's on-call is interrupted.
    let config = Config::default();
    let mut p = page(B, "x", None, 60, false);
    p.responders.clear();
    let m = compute(
        &Pages::from_records(&[p]),
        &config,
        0,
        i64::MAX,
        &Roster::default(),
    );
    assert_eq!(m.responders["pay on-call"].interruptions.total, 1);
    // 06:30 UTC on a Monday (default zone UTC): sleep hours.
    assert_eq!(m.all.interruptions.sleep, 1);
}

#[test]
fn recommendation_for_a_transient_template() {
    use alertsift::whatif::recommend::recommend;
    let config = Config::default();
    // Four pages of one template resolved by the integration after 60, 120,
    // 180 and 240 s, never acknowledged, TRANSIENT (bit 0); one actionable
    // page acknowledged and resolved by a person after 600 s.
    // 09:30Z (business hours in UTC, the default zone) on 2026-03-30 (Monday)
    // + k days, but the first at 23:30Z (sleep hours).
    let mut pages = Vec::new();
    for (k, d) in [60, 120, 180, 240].into_iter().enumerate() {
        let mut p = page(B + 3 * 3600 + k as i64 * 86_400, "Ada", None, d, true);
        p.reasons = 1;
        p.auto_resolved = true;
        pages.push(p);
    }
    pages[0].triggered = (B + 17 * 3600) * S; // 23:30Z: sleep hours (UTC)
    pages.push(page(B + 5 * 86_400, "Ada", Some(60), 600, false));
    let since = B * S;
    let until = (B + 14 * 86_400) * S; // two weeks
    let recs = recommend(&Pages::from_records(&pages), &config, since, until, 10);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r.diagnosis, "TRANSIENT");
    assert_eq!(r.pages, 5);
    assert_eq!(r.noise_pages, 4);
    // p90 of 60, 120, 180, 240 at rank 2.7: 180 + 0.7·60 = 222 s = 3m42s,
    // so `for: 4m`, which all four would have waited out.
    assert!(
        r.fix.contains("`for: 4m`") && r.fix.contains("is 3m42s"),
        "{}",
        r.fix
    );
    assert!((r.saved_pages_per_week - 2.0).abs() < 1e-12);
    assert!((r.saved_sleep_pages_per_week - 0.5).abs() < 1e-12);
    // Four unacknowledged noise pages at 15 min: 1 h over two weeks.
    assert!((r.saved_toil_hours_per_week - 0.5).abs() < 1e-12);
    assert!((r.toil_hours - 1.0).abs() < 1e-12);
    assert_eq!(r.actionable_delayed, 1);
    assert_eq!(r.actionable_hidden, 0);
}

#[test]
fn a_page_to_two_people_interrupts_each_once() {
    // One page reached Ada and Bob (UTC, Monday 06:30: sleep hours); a
    // second, 30 s later, reached Ada only (merged into her first).
    let config = Config::default();
    let mut both = page(B, "Ada", None, 60, false);
    both.responders.push("Bob".into());
    let later = page(B + 30, "Ada", None, 60, false);
    let m = compute(
        &Pages::from_records(&[both, later]),
        &config,
        0,
        i64::MAX,
        &Roster::default(),
    );
    // Each person's row is their own interruptions, not their pages'
    // recipients': Ada 1 (the second merged), Bob 1.
    assert_eq!(m.responders["Ada"].interruptions.total, 1);
    assert_eq!(m.responders["Ada"].pages, 2);
    assert_eq!(m.responders["Bob"].interruptions.total, 1);
    assert_eq!(m.responders["Bob"].pages, 1);
    // The team's and the whole: one per person reached.
    assert_eq!(m.teams["pay"].interruptions.total, 2);
    assert_eq!(m.all.interruptions.sleep, 2);
    // Disrupted hours: Ada's 06h and Bob's 06h.
    assert_eq!(m.all.disrupted_hours, 2);
    assert_eq!(m.responders["Ada"].disrupted_hours, 1);
}

#[test]
fn weeks_merge_and_count_on_their_own() {
    // Sunday 2026-03-29 23:59:40Z and Monday 00:00:20Z, 40 s apart, both to
    // Ada: overall they count once (the 60 s merge), but each ISO week
    // counts its own page. The period starts on Wednesday the 25th, in the
    // week of Monday the 23rd; it ends on Tuesday the 31st: two weeks.
    let config = Config::default();
    let sun = 1_774_828_780;
    let pages = [
        page(sun, "Ada", Some(60), 600, true),
        page(sun + 40, "Ada", None, 60, false),
    ];
    let since = 1_774_396_800 * S; // 2026-03-25T00:00Z
    let until = 1_774_915_200 * S; // 2026-03-31T00:00Z
    let m = compute(
        &Pages::from_records(&pages),
        &config,
        since,
        until,
        &Roster::default(),
    );
    assert_eq!(m.all.interruptions.total, 1);
    let mondays: Vec<i64> = m.weekly.iter().map(|(d, _)| *d / S).collect();
    assert_eq!(mondays, [1_774_224_000, 1_774_828_800]); // 23rd and 30th
    assert_eq!(m.weekly[0].1.pages, 1);
    assert_eq!(m.weekly[0].1.interruptions.total, 1);
    assert_eq!(m.weekly[0].1.noise_pages, 1);
    assert_eq!(m.weekly[1].1.pages, 1);
    assert_eq!(m.weekly[1].1.interruptions.total, 1);
    assert_eq!(m.weekly[1].1.unacknowledged, 1);
    // Sunday 23h and Monday 00h: two clock hours.
    assert_eq!(m.all.disrupted_hours, 2);
}

#[test]
fn disrupted_hours_across_a_fall_back_and_across_zones() {
    let config = Config::parse(
        "[teams.pay]\ntimezone = \"Europe/Berlin\"\n[teams.ops]\ntimezone = \"Asia/Tokyo\"\n[people.Ada]\ntimezone = \"Europe/Berlin\"\n",
    )
    .unwrap();
    // 2026-10-25 00:30Z is 02:30 CEST; 01:10Z is 02:10 CET (the clocks went
    // back at 01:00Z): the same clock hour twice, 40 minutes apart. Two
    // interruptions, one disrupted hour.
    let fall = 1_792_888_200;
    let pages = [
        page(fall, "Ada", None, 60, false),
        page(fall + 2_400, "Ada", None, 60, false),
    ];
    let m = compute(
        &Pages::from_records(&pages),
        &config,
        0,
        i64::MAX,
        &Roster::default(),
    );
    assert_eq!(m.all.interruptions.total, 2);
    assert_eq!(m.all.disrupted_hours, 1);
    // Sam has no zone of their own: each page is read in its team's zone.
    // Monday 2026-03-30 00:10Z (pay: 02:10 Berlin), 00:20Z (ops: 09:20
    // Tokyo), 00:50Z (pay: 02:50 Berlin): three interruptions in two clock
    // hours (02h Berlin twice, 09h Tokyo); pay's own: one hour, ops' one.
    let mon = 1_774_829_400;
    let mut pages = [
        page(mon, "Sam", None, 60, false),
        page(mon + 600, "Sam", None, 60, false),
        page(mon + 2_400, "Sam", None, 60, false),
    ];
    pages[1].team = Some("ops".into());
    let m = compute(
        &Pages::from_records(&pages),
        &config,
        0,
        i64::MAX,
        &Roster::default(),
    );
    assert_eq!(m.all.interruptions.total, 3);
    assert_eq!(m.all.disrupted_hours, 2);
    assert_eq!(m.responders["Sam"].disrupted_hours, 2);
    assert_eq!(m.teams["pay"].disrupted_hours, 1);
    assert_eq!(m.teams["ops"].disrupted_hours, 1);
}

/// A missing template and a template whose text is `(none)` are one group,
/// as they are one key in the report (codes are grouped by their text).
#[test]
fn a_missing_name_and_the_text_none_are_one_group() {
    let config = Config::default();
    let mut missing = page(B, "Ada", None, 60, true);
    missing.template = None;
    let mut literal = page(B + 3600, "Ada", None, 60, true);
    literal.template = Some("(none)".into());
    let other = page(B + 7200, "Ada", None, 60, true);
    let m = compute(
        &Pages::from_records(&[missing, literal, other]),
        &config,
        0,
        i64::MAX,
        &Roster::default(),
    );
    assert_eq!(m.templates.len(), 2);
    assert_eq!(m.templates["(none)"].pages, 2);
    assert_eq!(m.templates["t"].pages, 1);
}
