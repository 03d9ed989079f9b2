//! What-if replay: each policy on a small hand-built history with the
//! effect worked out by hand in the comments, and the pause sweep on demo
//! data against its ground truth.

use std::collections::BTreeMap;
use std::time::Duration;

use alertsift::config::Config;
use alertsift::pages::{PageRecord, Pages};
use alertsift::reasons::REASONS;
use alertsift::whatif::{evaluate, knee, replay, Policy, SweepSpec};

use crate::util::*;

const S: i64 = 1_000_000;
const M: i64 = 60;
/// 2026-03-02T00:00:00Z, a Monday.
const MON: i64 = 1_772_409_600;
const H: i64 = 3600;
const D: i64 = 86_400;

fn utc() -> Config {
    Config::parse("timezone = \"UTC\"\n").unwrap()
}

/// A page to Ada at `t` (s), open for `dur` s.
fn page(id: &str, t: i64, dur: i64, noise: bool, auto: bool) -> PageRecord {
    PageRecord {
        alert_id: id.into(),
        team: Some("pay".into()),
        service: Some("api".into()),
        template: Some("CPU high on <*>".into()),
        responders: vec!["Ada".into()],
        triggered: t * S,
        resolved: Some((t + dur) * S),
        noise,
        auto_resolved: auto,
        episode_lead: true,
        ..PageRecord::default()
    }
}

fn bit(code: &str) -> u16 {
    1 << REASONS.iter().position(|r| *r == code).unwrap()
}

fn minutes(x: i64) -> Duration {
    Duration::from_secs((x * M) as u64)
}

#[test]
fn pause_hides_self_resolving_pages_and_delays_the_rest() {
    let mut p5 = page("p5", MON + 2 * D + 3 * H, 10 * M, true, true);
    p5.acknowledged = Some((MON + 2 * D + 3 * H + 2 * M) * S); // ack 03:02
    let pages = vec![
        page("p1", MON + 10 * H, 3 * M, true, true), // Mon 10:00 business, 3m by itself
        page("p2", MON + 23 * H, 4 * M, true, true), // Mon 23:00 sleep, 4m by itself
        page("p3", MON + D + 10 * H, 30 * M, false, false), // Tue 10:00, a person resolved it
        page("p4", MON + D + 12 * H, 2 * M, false, true), // Tue 12:00 actionable, 2m by itself
        p5,                                          // Wed 03:00 sleep, 10m, acked 03:02
    ];
    let o = evaluate(
        &Pages::from_records(&pages),
        &[Policy::Pause(minutes(5))],
        &utc(),
    );
    let e = &o.all;
    // Before: five pages to Ada, far apart: business p1 p3 p4, sleep p2 p5.
    assert_eq!(e.before.pages, 5);
    assert_eq!(
        (
            e.before.interruptions.business,
            e.before.interruptions.off_hours,
            e.before.interruptions.sleep,
            e.before.interruptions.total
        ),
        (3, 0, 2, 5)
    );
    // Toil: p1, p2 never acked: 15 min each; p5 engaged 03:02–03:10, 8 min.
    assert!((e.before.toil_hours - (0.25 + 0.25 + 8.0 / 60.0)).abs() < 1e-9);
    // After: p1, p2, p4 resolved by themselves within 5m: gone. p3 at
    // Tue 10:05 (business), p5 at Wed 03:05 (sleep).
    assert_eq!(e.after.pages, 2);
    assert_eq!(
        (
            e.after.interruptions.business,
            e.after.interruptions.sleep,
            e.after.interruptions.total
        ),
        (1, 1, 2)
    );
    // p5 notified at 03:05, after its ack: engaged 03:05–03:10, 5 min.
    assert!((e.after.toil_hours - 5.0 / 60.0).abs() < 1e-9);
    // p3 (actionable) notifies 5 minutes late; p4 (actionable) is hidden.
    assert_eq!(e.actionable_delayed.count, 1);
    assert_eq!(e.actionable_delayed.p50_seconds, Some(300.0));
    assert_eq!(e.actionable_delayed.max_seconds, Some(300.0));
    assert_eq!(e.actionable_hidden.count, 1);
    assert_eq!(e.actionable_hidden.alert_ids, ["p4"]);
    assert_eq!(o.name, "pause=5m");
    // One team: its figures are the overall ones.
    assert_eq!(o.teams.len(), 1);
    assert_eq!(&o.teams["pay"], e);
    // At the boundary: 3m resolves within a 3m pause; 2m59s does not hide a
    // 3m page.
    let fate = replay(
        &Pages::from_records(&pages[..1]),
        &[Policy::Pause(minutes(3))],
    );
    assert_eq!(fate, [None]);
    let fate = replay(
        &Pages::from_records(&pages[..1]),
        &[Policy::Pause(Duration::from_secs(179))],
    );
    assert_eq!(fate, [Some(179 * S)]);
}

#[test]
fn group_window_folds_pages_into_an_open_group() {
    let t = MON + 10 * H;
    let mut g4 = page("g4", t + 15 * M, 5 * M, true, true);
    g4.service = Some("db".into());
    let pages = vec![
        page("g1", t, 30 * M, true, true), // 10:00 opens a group (open till 10:30)
        page("g2", t + 4 * M, 20 * M, false, false), // 10:04 joins it: actionable, hidden
        page("g3", t + 12 * M, M, true, true), // 10:12: 12m after g1, a group of its own
        g4,                                // 10:15: another service, its own group
        page("g5", t + 20 * M, 5 * M, true, true), // 10:20: g3 resolved at 10:13, so a new group
    ];
    let o = evaluate(
        &Pages::from_records(&pages),
        &[Policy::GroupWindow(minutes(10))],
        &utc(),
    );
    let fate = replay(
        &Pages::from_records(&pages),
        &[Policy::GroupWindow(minutes(10))],
    );
    assert_eq!(fate, [Some(0), None, Some(0), Some(0), Some(0)]);
    assert_eq!((o.all.before.pages, o.all.after.pages), (5, 4));
    // All Monday business hours, more than 60 s apart.
    assert_eq!(o.all.before.interruptions.business, 5);
    assert_eq!(o.all.after.interruptions.business, 4);
    assert_eq!(o.all.actionable_hidden.alert_ids, ["g2"]);
    assert_eq!(o.all.actionable_delayed.count, 0);
    // A group whose first page is resolved takes no one: 10:05 after a
    // 10:00 page that cleared at 10:03.
    let pages = vec![
        page("a", t, 3 * M, true, true),
        page("b", t + 5 * M, M, true, true),
    ];
    assert_eq!(
        replay(
            &Pages::from_records(&pages),
            &[Policy::GroupWindow(minutes(10))]
        ),
        [Some(0), Some(0)]
    );
}

#[test]
fn for_delay_applies_to_its_template_only_and_adds_to_a_pause() {
    let t = MON + 10 * H;
    let mut disk = page("disk", t, 4 * M, true, true);
    disk.template = Some("Disk <*> full".into());
    let mut disk8 = page("disk8", t + H, 8 * M, true, true);
    disk8.template = Some("Disk <*> full".into());
    let cpu = page("cpu", t + 2 * H, 4 * M, true, true);
    let cpu8 = page("cpu8", t + 3 * H, 8 * M, false, true);
    let pages = vec![disk, disk8, cpu, cpu8];
    let for5 = Policy::For {
        template: "Disk <*> full".into(),
        delay: minutes(5),
    };
    // `for: 5m` on Disk: disk (4m) gone, disk8 5m late; CPU untouched.
    assert_eq!(
        replay(&Pages::from_records(&pages), std::slice::from_ref(&for5)),
        [None, Some(5 * M * S), Some(0), Some(0)]
    );
    // By template_id too.
    let by_id = Policy::For {
        template: alertsift::classify::template::template_id("Disk <*> full"),
        delay: minutes(5),
    };
    assert_eq!(
        replay(&Pages::from_records(&pages), &[by_id]),
        [None, Some(5 * M * S), Some(0), Some(0)]
    );
    // With a 5m pause: Disk waits 10m (disk8, 8m, now gone); CPU 5m (cpu
    // gone at 4m, cpu8 — actionable — 5m late).
    let both = [for5, Policy::Pause(minutes(5))];
    assert_eq!(
        replay(&Pages::from_records(&pages), &both),
        [None, None, None, Some(5 * M * S)]
    );
    let o = evaluate(&Pages::from_records(&pages), &both, &utc());
    assert_eq!(o.all.after.pages, 1);
    assert_eq!(o.all.actionable_delayed.count, 1);
    assert_eq!(o.all.actionable_hidden.count, 0);
    assert_eq!(o.name, "for=Disk <*> full=5m + pause=5m");
}

#[test]
fn routing_silences_inhibition_dedup_and_keep_firing() {
    let t = MON + 10 * H;
    let mut warn = page("warn", t, 30 * M, false, false); // actionable warning
    warn.severity = Some("warning".into());
    let mut crit = page("crit", t + H, 30 * M, false, false);
    crit.severity = Some("critical".into());
    let mut nightly = page("nightly", t + 2 * H, 30 * M, true, true);
    nightly.template = Some("Nightly batch slow".into());
    nightly.reasons = bit("RECURRING");
    let mut second = page("second", t + 3 * H, 30 * M, true, true);
    second.episode_lead = false;
    second.reasons = bit("STORM_SECONDARY");
    let mut dup = page("dup", t + 4 * H, 30 * M, true, true);
    dup.reasons = bit("DUPLICATE");
    let mut flap_fast = page("flap2", t + 5 * H, M, true, true);
    flap_fast.clear_gap_s = Some(120);
    let mut flap_slow = page("flap10", t + 6 * H, M, true, true);
    flap_slow.clear_gap_s = Some(600);
    let pages = vec![warn, crit, nightly, second, dup, flap_fast, flap_slow];
    let cfg = utc();
    let gone = |policy: Policy| -> Vec<String> {
        let fate = replay(&Pages::from_records(&pages), &[policy]);
        pages
            .iter()
            .zip(fate)
            .filter(|(_, f)| f.is_none())
            .map(|(p, _)| p.alert_id.clone())
            .collect()
    };
    assert_eq!(
        gone(Policy::Ticket {
            templates: vec![],
            severities: vec!["warning".into()]
        }),
        ["warn"]
    );
    assert_eq!(
        gone(Policy::Ticket {
            templates: vec!["Nightly batch slow".into()],
            severities: vec![]
        }),
        ["nightly"]
    );
    assert_eq!(gone(Policy::SuppressRecurring), ["nightly"]);
    assert_eq!(gone(Policy::InhibitSecondaries), ["second"]);
    assert_eq!(gone(Policy::Dedup), ["dup"]);
    assert_eq!(gone(Policy::KeepFiringFor(minutes(5))), ["flap2"]);
    assert_eq!(
        gone(Policy::KeepFiringFor(minutes(10))),
        ["flap2", "flap10"]
    );
    // Routing warnings away hides an actionable page: it is reported.
    let o = evaluate(
        &Pages::from_records(&pages),
        &[Policy::Ticket {
            templates: vec![],
            severities: vec!["warning".into()],
        }],
        &cfg,
    );
    assert_eq!(o.all.actionable_hidden.alert_ids, ["warn"]);
    assert_eq!((o.all.before.pages, o.all.after.pages), (7, 6));
    // Toil: five noise pages (nightly, second, dup, flap2, flap10), never
    // acked, 15 min each = 1.25 h; routing warnings away spares none.
    assert!((o.all.before.toil_hours - 1.25).abs() < 1e-9);
    assert!((o.all.after.toil_hours - 1.25).abs() < 1e-9);
}

#[test]
fn knee_and_sweep_specs() {
    // Scaled: x/4 and y/95; above the diagonal by .276, .342, .197 at
    // points 1, 2, 3: the knee is point 2.
    let curve = [
        (0.0, 0.0),
        (1.0, 50.0),
        (2.0, 80.0),
        (3.0, 90.0),
        (4.0, 95.0),
    ];
    assert_eq!(knee(&curve), Some(2));
    assert_eq!(knee(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]), None);
    assert_eq!(knee(&[(0.0, 0.0), (1.0, 5.0)]), None);
    let s = SweepSpec::parse("pause=0m..15m/1m").unwrap();
    assert_eq!(s.values.len(), 16);
    assert_eq!(s.values[15], minutes(15));
    for bad in [
        "pause",
        "snooze=0m..5m/1m",
        "pause=5m..0m/1m",
        "pause=0m..5m/0s",
        "pause=0m..5m",
        "pause=0x..5m/1m",
    ] {
        assert!(SweepSpec::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn demo_pause_sweep_matches_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    run_demo(
        dir.path(),
        &demo,
        &["--alerts", "3000", "--weeks", "6", "--seed", "11"],
    );
    let out = dir.path().join("w");
    let o = alertsift(
        dir.path(),
        &[
            "whatif",
            demo.to_str().unwrap(),
            "--sweep",
            "pause=0m..15m/1m",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // From truth.csv alone: paged alerts that resolved by themselves within
    // the window (a window of 0 removes nothing).
    let mut r = csv::Reader::from_path(demo.join("truth.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (paged, auto, t0, t1) = (
        col("paged"),
        col("auto_resolved"),
        col("triggered_at"),
        col("resolved_at"),
    );
    let mut self_resolved: Vec<i64> = Vec::new();
    let mut pages = 0u64;
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[paged] != "true" {
            continue;
        }
        pages += 1;
        if &rec[auto] == "true" && !rec[t1].is_empty() {
            let a = chrono::DateTime::parse_from_rfc3339(&rec[t0]).unwrap();
            let b = chrono::DateTime::parse_from_rfc3339(&rec[t1]).unwrap();
            self_resolved.push((b - a).num_seconds());
        }
    }
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("whatif.json")).unwrap()).unwrap();
    let points = v["sweep"]["points"].as_array().unwrap();
    assert_eq!(points.len(), 16);
    let mut saved = BTreeMap::new();
    for (k, p) in points.iter().enumerate() {
        let window = 60 * k as i64;
        let expected = self_resolved
            .iter()
            .filter(|d| window > 0 && **d <= window)
            .count() as u64;
        assert_eq!(p["value_seconds"].as_i64(), Some(window));
        assert_eq!(p["pages_saved"].as_u64(), Some(expected), "pause {k}m");
        saved.insert(k, expected);
    }
    assert!(
        saved[&15] > saved[&1],
        "the sweep should save more as it widens"
    );
    // Each sweep point is also a policy with before and after.
    let policies = v["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 16);
    assert_eq!(policies[5]["name"], "pause=5m");
    assert_eq!(policies[5]["before"]["pages"].as_u64(), Some(pages));
    assert_eq!(
        policies[5]["after"]["pages"].as_u64(),
        Some(pages - saved[&5])
    );
    for f in ["whatif.md", "whatif.csv", "whatif.svg", "whatif.png"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // The PNG copy: twice the SVG's 760 × 420 (IHDR: width and height,
    // big-endian, at bytes 16..24).
    let png = std::fs::read(out.join("whatif.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    assert_eq!((be(16), be(20)), (1520, 840));
    let md = std::fs::read_to_string(out.join("whatif.md")).unwrap();
    assert!(md.contains("(knee)"), "{md}");
}

#[test]
fn whatif_refuses_bad_flags() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let s = sample.to_str().unwrap();
    for (args, says) in [
        (vec!["whatif", s], "no policy to replay"),
        (vec!["whatif", s, "--pause", "5x"], "invalid duration"),
        (
            vec!["whatif", s, "--sweep", "snooze=0m..5m/1m"],
            "unknown parameter",
        ),
        (
            vec!["whatif", s, "--for", "no-duration"],
            "TEMPLATE=DURATION",
        ),
        (
            vec!["whatif", s, "--ticket-severity", "urgent"],
            "expected one of",
        ),
    ] {
        let o = alertsift(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
}
