//! `alertsift demo`: a realistic, deterministic multi-vendor history with
//! its ground truth.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::Global;
use alertsift::demo::{self, DemoOptions};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory to write the exports, config and truth.csv into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Weeks of history.
    #[arg(long, default_value_t = 12)]
    weeks: u32,
    /// Approximate number of alerts over all sources.
    #[arg(long, default_value_t = 5000)]
    alerts: u64,
    /// Random seed; the same seed gives the same bytes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// First day (a Monday is best), YYYY-MM-DD. The default's 12 weeks
    /// cross the Sydney, EU and US clock changes.
    #[arg(long, default_value = "2026-08-31")]
    start: String,
    /// Share of PagerDuty descriptions given a second line `Runbook: <url>`,
    /// as some teams' exports have (a history unlike the default, for
    /// testing the templates on).
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    runbook_lines: f64,
    /// Name hosts with words, not numbers (`pay-amber`, not `pay-03`): a
    /// history unlike the default, for testing the templates on.
    #[arg(long)]
    word_hosts: bool,
    /// Rates of the noise rules times this: 2 doubles the noise against
    /// the real problems, 0.5 halves it (another noise mix to test on).
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    noise_mix: f64,
    /// Name Alertmanager alerts and Opsgenie aliases after their service,
    /// not their rule: one name for a service's several rules, as some
    /// teams write them.
    #[arg(long)]
    service_rule_names: bool,
    /// Write every team's alerts in this one format, for benchmarks.
    /// [default: each team its own vendor]
    #[arg(long, value_enum)]
    only: Option<demo::DemoVendor>,
    /// Spread each team's rules over every vendor alertsift reads alerts
    /// from (PagerDuty, Opsgenie, Alertmanager, Datadog, Splunk On-Call,
    /// JSM, Zabbix, New Relic, Elastic, Grafana Alerting), one file each:
    /// a mixed history to test on. Ignored with --only.
    #[arg(long)]
    all_vendors: bool,
    /// Nightly jobs fire within this many minutes either side of their
    /// time; more than the default is a job whose start wanders (a history
    /// unlike the default, for testing RECURRING on).
    #[arg(long, value_name = "MINUTES", default_value_t = 10)]
    nightly_jitter: u32,
    /// Share of days a nightly job fires; less than the default is a job
    /// that skips days.
    #[arg(long, value_name = "SHARE", default_value_t = 0.85)]
    nightly_days: f64,
}

/// Run it.
pub fn run(args: DemoArgs, g: &Global) -> Result<ExitCode> {
    let start = chrono::NaiveDate::parse_from_str(&args.start, "%Y-%m-%d")
        .with_context(|| format!("--start {:?} is not a date YYYY-MM-DD", args.start))?;
    if args.weeks == 0 || args.alerts == 0 {
        anyhow::bail!("--weeks and --alerts must be at least 1");
    }
    let options = DemoOptions {
        weeks: args.weeks,
        alerts: args.alerts,
        seed: args.seed,
        start,
        only: args.only,
        progress: g.progress,
        runbook_lines: args.runbook_lines,
        word_hosts: args.word_hosts,
        noise_mix: args.noise_mix,
        service_rule_names: args.service_rule_names,
        all_vendors: args.all_vendors,
        nightly_jitter: args.nightly_jitter,
        nightly_days: args.nightly_days,
    };
    if !(args.noise_mix > 0.0 && args.noise_mix <= 100.0) {
        anyhow::bail!(
            "--noise-mix {} is not a factor above 0 (at most 100)",
            args.noise_mix
        );
    }
    if !(args.nightly_days > 0.0 && args.nightly_days <= 1.0) {
        anyhow::bail!(
            "--nightly-days {} is not a share above 0 (at most 1)",
            args.nightly_days
        );
    }
    if args.nightly_jitter > 360 {
        anyhow::bail!(
            "--nightly-jitter {} is more than 360 minutes (a nightly job's time must still mean something)",
            args.nightly_jitter
        );
    }
    if !(0.0..=1.0).contains(&args.runbook_lines) {
        anyhow::bail!(
            "--runbook-lines {} is not a share (0 to 1)",
            args.runbook_lines
        );
    }
    let written = demo::write(&args.out, &options)
        .with_context(|| format!("writing the demo history to {}", args.out.display()))?;
    if !g.quiet {
        let others: String = written
            .others
            .iter()
            .map(|(source, n)| format!(", {n} {source}"))
            .collect();
        eprintln!(
            "demo history in {}: {} alerts ({} PagerDuty, {} Opsgenie, {} Alertmanager{others}), {} incidents",
            args.out.display(),
            written.alerts,
            written.pagerduty,
            written.opsgenie,
            written.alertmanager,
            written.incidents
        );
    }
    Ok(ExitCode::SUCCESS)
}
