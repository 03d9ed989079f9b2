//! End to end with a real Prometheus and Alertmanager (Debian's
//! `prometheus` and `prometheus-alertmanager`, which `.ci/run` installs):
//! rules whose firing schedule is known in advance, an Alertmanager route
//! grouping every alert of the team together (so each change re-sends the
//! whole group), short intervals and two webhook receivers, and a small
//! webhook logger here that appends every payload as one JSON line. After
//! about a minute `alertsift run` reads what was captured and the
//! occurrences are checked against the schedule; then `alertsift fix
//! --write` patches the running Prometheus' rule file, Prometheus reloads
//! it, and for the next 42 s the transient rule must not reach the pager.
//! Everything started is stopped by process id. Skipped, with a message,
//! when the binaries are absent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alertsift::schema as s;
use polars::prelude::*;

use crate::util::*;

/// Kills the processes it holds when dropped (also on a failed assertion).
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Serve webhook POSTs on `listener`, appending `{"receivedAt": …,
/// "payload": BODY}` per request to `path`, until `stop`.
fn logger(listener: TcpListener, path: std::path::PathBuf, stop: Arc<AtomicBool>) {
    listener.set_nonblocking(true).unwrap();
    let mut file = std::fs::File::create(path).unwrap();
    while !stop.load(Ordering::Relaxed) {
        let (stream, _) = match listener.accept() {
            Ok(x) => x,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reader = BufReader::new(stream);
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l
                .to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
            {
                len = v.parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            continue;
        }
        let received = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let body = String::from_utf8_lossy(&body);
        writeln!(
            file,
            "{{\"receivedAt\":\"{received}\",\"payload\":{}}}",
            body.trim()
        )
        .unwrap();
        let mut stream = reader.into_inner();
        let _ =
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
}

const RULES: &str = r#"groups:
- name: e2e
  interval: 1s
  rules:
  - alert: ProbeFlapping
    expr: vector(time() % 20) < 6
    labels: {severity: critical, team: e2e, service: probe}
    annotations: {summary: "Probe failing"}
  - alert: DiskAlmostFull
    expr: label_replace(vector(1), "instance", "db-1", "", "") or label_replace(vector(2), "instance", "db-2", "", "")
    labels: {severity: warning, team: e2e, service: disk}
  - alert: SlowBurn
    expr: vector(time() % 30) < 20
    for: 5s
    labels: {severity: error, team: e2e, service: burn}
  - alert: DeployFinished
    expr: vector(time() % 30) < 10
    labels: {severity: info, team: e2e, service: deploy}
"#;

#[test]
fn real_prometheus_and_alertmanager() {
    let (Some(prom), Some(am)) = (which("prometheus"), which("prometheus-alertmanager")) else {
        crate::util::skip(
            "prometheus / prometheus-alertmanager are not installed (.ci/run installs Debian's packages)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (pp, ap, hp) = (free_port(), free_port(), free_port());
    std::fs::write(d.join("rules.yml"), RULES).unwrap();
    std::fs::write(
        d.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yml]\nalerting:\n  alertmanagers:\n  - static_configs:\n    - targets: ['127.0.0.1:{ap}']\n"
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("alertmanager.yml"),
        format!(
            "route:\n  receiver: pager\n  group_by: [team]\n  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 15s\n  routes:\n  - matchers: ['severity=\"info\"']\n    receiver: slack\nreceivers:\n- name: pager\n  webhook_configs: [{{url: 'http://127.0.0.1:{hp}/pager', send_resolved: true}}]\n- name: slack\n  webhook_configs: [{{url: 'http://127.0.0.1:{hp}/slack', send_resolved: true}}]\n"
        ),
    )
    .unwrap();
    let capture = d.join("webhooks.jsonl");
    let stop = Arc::new(AtomicBool::new(false));
    let listener = TcpListener::bind(("127.0.0.1", hp)).unwrap();
    let log_thread = {
        let (stop, capture) = (Arc::clone(&stop), capture.clone());
        std::thread::spawn(move || logger(listener, capture, stop))
    };
    let quiet = || Stdio::null();
    let mut procs = Procs(Vec::new());
    procs.0.push(
        Command::new(&am)
            .arg(format!(
                "--config.file={}",
                d.join("alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", d.join("am").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{ap}"))
            .arg("--cluster.listen-address=")
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .unwrap(),
    );
    // Prometheus sends a new alert once, then again only after a minute: it
    // must not start before Alertmanager listens.
    let deadline = now_s() + 20.0;
    while std::net::TcpStream::connect(("127.0.0.1", ap)).is_err() {
        assert!(now_s() < deadline, "Alertmanager did not start listening");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let started = now_s();
    procs.0.push(
        Command::new(&prom)
            .arg(format!(
                "--config.file={}",
                d.join("prometheus.yml").display()
            ))
            .arg(format!("--storage.tsdb.path={}", d.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{pp}"))
            // Alerts fired before the notifier has found Alertmanager are
            // dropped and re-sent only after this delay (default 1m).
            .arg("--rules.alert.resend-delay=2s")
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_secs(65));
    let stopped = now_s();
    // The history so far (whole lines: the logger may be mid-line).
    let mut history = std::fs::read_to_string(&capture).unwrap();
    history.truncate(history.rfind('\n').map_or(0, |i| i + 1));
    let recorded = d.join("history.jsonl");
    std::fs::write(&recorded, &history).unwrap();

    let out = d.join("out");
    let config = d.join("alertsift.toml");
    std::fs::write(&config, "[paging]\nalertmanager_receivers = [\"pager\"]\n").unwrap();
    let o = alertsift(
        d,
        &[
            "run",
            recorded.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let a = read_parquet(&out.join("alerts.parquet"));
    check(&a, started, stopped, &recorded);

    // `alertsift fix --write` on the running Prometheus' own rule file,
    // then a reload: ProbeFlapping (true 6 s of every 20, no `for:`) gets a
    // `for:` longer than it ever lasts, and stops reaching the pager.
    let o = alertsift(
        d,
        &[
            "fix",
            "history.jsonl",
            "--rules",
            "rules.yml",
            "--alertmanager",
            "alertmanager.yml",
            "--config",
            "alertsift.toml",
            "--out",
            "fixout",
            "--write",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("fixout/fix.json")).unwrap()).unwrap();
    let probe = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "ProbeFlapping")
        .unwrap_or_else(|| panic!("no change for ProbeFlapping: {report}"));
    // Its 6 s blips re-fire 14 s after clearing: either a `for:` longer
    // than a blip, or a `keep_firing_for:` longer than the gap.
    let kind = probe["kind"].as_str().unwrap().to_string();
    let new_for = probe["after"].as_str().unwrap().to_string();
    let new_secs = alertsift::fix::plan::parse_duration(&new_for).unwrap();
    match kind.as_str() {
        "for" => assert!(new_secs > 7, "{probe}"),
        "keep_firing_for" => assert!(new_secs > 15, "{probe}"),
        _ => panic!("{probe}"),
    }
    assert!(d.join("rules.yml.orig").exists());
    let pid = procs.0[1].id().to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    // Reloaded cleanly: Prometheus says so, and serves the new `for:`.
    let deadline = now_s() + 15.0;
    loop {
        let rules = http_get(pp, "/api/v1/rules");
        let metrics = http_get(pp, "/metrics");
        // The rule as Prometheus now holds it.
        let field = if kind == "for" {
            "duration"
        } else {
            "keepFiringFor"
        };
        let loaded = rules
            .split_once("\r\n\r\n")
            .and_then(|(_, body)| serde_json::from_str::<serde_json::Value>(body).ok())
            .is_some_and(|v| {
                v["data"]["groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
                    .any(|r| r["name"] == "ProbeFlapping" && r[field] == new_secs)
            });
        if loaded && metrics.contains("\nprometheus_config_last_reload_successful 1") {
            break;
        }
        assert!(now_s() < deadline, "no clean reload: {rules}\n{metrics}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let reloaded = now_s();
    // Two more of ProbeFlapping's 20 s cycles.
    std::thread::sleep(Duration::from_secs(42));
    drop(procs); // stops both, by process id
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    log_thread.join().unwrap();
    let after: Vec<serde_json::Value> = std::fs::read_to_string(&capture)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| {
            chrono::DateTime::parse_from_rfc3339(v["receivedAt"].as_str().unwrap_or(""))
                .is_ok_and(|t| t.timestamp_millis() as f64 / 1e3 > reloaded)
        })
        .collect();
    // Alertmanager still notifies (the other rules' groups). Without the
    // change, ProbeFlapping would start twice in 42 s and page each time.
    // With a longer `for:` no alert of it that started after the reload
    // reaches the pager; with `keep_firing_for:` at most one does (one
    // that started in a gap), and it never clears again.
    assert!(!after.is_empty(), "nothing notified after the reload");
    let mut starts: Vec<String> = Vec::new();
    for v in &after {
        let p = &v["payload"];
        for x in p["alerts"].as_array().into_iter().flatten() {
            let at = chrono::DateTime::parse_from_rfc3339(x["startsAt"].as_str().unwrap())
                .unwrap()
                .timestamp_millis() as f64
                / 1e3;
            if p["receiver"] == "pager"
                && x["labels"]["alertname"] == "ProbeFlapping"
                && x["status"] == "firing"
                && at > reloaded
            {
                starts.push(x["startsAt"].to_string());
            }
        }
    }
    starts.sort();
    starts.dedup();
    let allowed = if kind == "for" { 0 } else { 1 };
    assert!(
        starts.len() <= allowed,
        "ProbeFlapping reached the pager {} time(s) after `{kind}: {new_for}` was loaded: {starts:?}",
        starts.len()
    );
}

/// The response (head and body) to an HTTP/1.0 GET to 127.0.0.1:`port`
/// (1.0: a body that is not chunked); empty when it fails.
fn http_get(port: u16, path: &str) -> String {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body
}

/// (alertname, instance, start s, end s or None, paged, repeat, reasons)
type Occ = (
    String,
    Option<String>,
    f64,
    Option<f64>,
    bool,
    u32,
    Vec<String>,
);

fn occurrences(a: &DataFrame) -> Vec<Occ> {
    let secs = |name: &str, i: usize| {
        a.column(name)
            .unwrap()
            .cast(&DataType::Int64)
            .unwrap()
            .i64()
            .unwrap()
            .get(i)
            .map(|v| v as f64 / 1e6)
    };
    (0..a.height())
        .map(|i| {
            let labels: serde_json::Value =
                serde_json::from_str(&text(a, s::LABELS, i).unwrap()).unwrap();
            (
                labels["alertname"].as_str().unwrap().to_string(),
                labels["instance"].as_str().map(str::to_string),
                secs(s::TRIGGERED_AT, i).unwrap(),
                secs(s::RESOLVED_AT, i),
                flag(a, s::PAGED, i).unwrap(),
                count(a, s::REPEAT_COUNT, i).unwrap(),
                list(a, s::REASONS, i).unwrap_or_default(),
            )
        })
        .collect()
}

fn check(a: &DataFrame, started: f64, stopped: f64, capture: &Path) {
    let occ = occurrences(a);
    // What each payload held: receiver, then status:alertname per alert.
    let payloads: Vec<String> = std::fs::read_to_string(capture)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
            let p = &v["payload"];
            let alerts: Vec<String> = p["alerts"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| {
                            format!(
                                "{}:{}",
                                x["status"].as_str().unwrap_or("?"),
                                x["labels"]["alertname"].as_str().unwrap_or("?")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("{} {}", p["receiver"], alerts.join(","))
        })
        .collect();
    let lines = payloads.len();
    let named = |n: &str| occ.iter().filter(|o| o.0 == n).collect::<Vec<_>>();
    let ctx = format!(
        "{lines} payloads captured, run {started:.1}..{stopped:.1}: {occ:?}\npayloads: {payloads:#?}"
    );

    // ProbeFlapping fires for 6 s of every 20 (time() % 20 < 6). Windows
    // that begin at least 3 s after Prometheus started and end 5 s before it
    // stopped are each exactly one occurrence, starting within 2 s of the
    // window and lasting 6 s (± one evaluation on each side).
    let probe = named("ProbeFlapping");
    let first = (started / 20.0).ceil() as i64;
    let windows: Vec<f64> = (first..)
        .map(|k| (k * 20) as f64)
        .take_while(|w| w + 6.0 + 5.0 < stopped)
        .filter(|w| *w >= started + 3.0)
        .collect();
    assert!(windows.len() >= 2, "{ctx}");
    for w in &windows {
        let hits: Vec<_> = probe
            .iter()
            .filter(|o| o.2 >= w - 0.5 && o.2 <= w + 2.5)
            .collect();
        assert_eq!(hits.len(), 1, "window {w}: {ctx}");
        let o = hits[0];
        let end =
            o.3.unwrap_or_else(|| panic!("window {w} not resolved: {ctx}"));
        assert!((end - o.2 - 6.0).abs() <= 2.5, "window {w}: {ctx}");
        assert!(o.4, "ProbeFlapping pages: {ctx}");
        // It re-fires 14 s after clearing: flapping.
        if *w > windows[0] {
            assert!(o.6.iter().any(|r| r == "FLAPPING"), "{ctx}");
        }
    }
    // No occurrence that is not one of the windows (edges aside).
    let extras = probe
        .iter()
        .filter(|o| !windows.iter().any(|w| o.2 >= w - 0.5 && o.2 <= w + 2.5))
        .filter(|o| o.2 >= started + 6.0 && o.2 + 12.0 < stopped)
        .count();
    assert_eq!(extras, 0, "{ctx}");

    // DiskAlmostFull: two instances, always firing: one open occurrence
    // each, re-sent every 15 s without new occurrences.
    let disk = named("DiskAlmostFull");
    assert_eq!(disk.len(), 2, "{ctx}");
    for o in &disk {
        assert!(o.3.is_none(), "still firing, so open: {ctx}");
        assert!(o.5 >= 3, "re-sent at least 3 times in a minute: {ctx}");
        assert!(o.2 >= started - 1.0 && o.2 <= started + 5.0, "{ctx}");
    }
    let mut instances: Vec<_> = disk.iter().filter_map(|o| o.1.clone()).collect();
    instances.sort();
    assert_eq!(instances, ["db-1", "db-2"]);

    // SlowBurn: true for 20 s of every 30, `for: 5s`: fires 5 s into each
    // window and resolves at its end, about 15 s later.
    for o in named("SlowBurn") {
        if let Some(end) = o.3 {
            if o.2 > started + 8.0 {
                let phase = o.2.rem_euclid(30.0);
                assert!(
                    (4.0..=7.5).contains(&phase),
                    "SlowBurn fired at {phase}: {ctx}"
                );
                assert!((end - o.2 - 15.0).abs() <= 2.5, "{ctx}");
            }
        }
    }
    assert!(named("SlowBurn").len() >= 2, "{ctx}");

    // DeployFinished is routed to the non-paging receiver: never a page.
    let deploy = named("DeployFinished");
    assert!(deploy.len() >= 2, "{ctx}");
    assert!(deploy.iter().all(|o| !o.4), "{ctx}");
    assert!(
        deploy.iter().all(|o| o.6.iter().any(|r| r == "NON_PAGING")),
        "{ctx}"
    );
}
