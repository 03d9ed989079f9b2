//! `alertsift fix`: the recommendations as a patch to the team's own rule
//! files, checked by promtool and amtool.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::{exit_for, prepare, print_inputs, show_paths, warn_rejects};
use super::{Global, InputArgs};
use alertsift::pipeline;

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    input: InputArgs,

    /// Prometheus rule files (`groups:`), Kubernetes PrometheusRule
    /// resources, or directories of .yml/.yaml files holding them; each
    /// alerting rule of the history is matched to its definition by its
    /// `alertname` and labels. Repeatable.
    #[arg(long, value_name = "PATH", required = true)]
    rules: Vec<PathBuf>,

    /// The Alertmanager configuration: never-actionable rules are routed to
    /// a receiver that does not page (`[paging] alertmanager_receivers`
    /// says which do), storm secondaries get an `inhibit_rules` entry and
    /// nightly rules a `time_intervals` mute window. [default: no changes
    /// to routing, inhibitions or mute windows]
    #[arg(long, value_name = "FILE")]
    alertmanager: Option<PathBuf>,

    /// The Prometheus configuration (prometheus.yml): a rule whose
    /// duplicates differ only in a label such as `replica` gets an
    /// `alert_relabel_configs` entry that clears it on that rule's alerts.
    /// [default: that change is described in fix.md, not written]
    #[arg(long, value_name = "FILE")]
    prometheus: Option<PathBuf>,

    /// Output directory for fix.diff, fix.md, fix.json, replay-rules.yml,
    /// replay-test.yml and rejects.csv.
    #[arg(long, value_name = "DIR", default_value = "alertsift-fix")]
    out: PathBuf,

    /// Merge into this store and work on all it holds. [default: a
    /// temporary store holding only these inputs]
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,

    /// Human tags (as for `run --labels`): they decide which pages count
    /// as actionable. [default: the model's labels]
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,

    /// Apply the patch to the files in place (atomically, keeping each
    /// original as FILE.orig) once promtool and amtool pass it. [default:
    /// only write fix.diff]
    #[arg(long)]
    write: bool,

    /// Allow changes that would have hidden an actionable page of the
    /// history (fix.md says how many). [default: a `for:` or
    /// `keep_firing_for:` is held below the shortest actionable page it
    /// would hide; any other such change is not written]
    #[arg(long)]
    allow_hiding: bool,
}

/// Run it.
pub fn run(args: FixArgs, g: &Global) -> Result<ExitCode> {
    let prepared = prepare(&args.input, args.labels.as_deref(), g)?;
    let job = prepared.job(&args.out, args.store.as_deref());
    let outcome = pipeline::fix(
        &job,
        pipeline::FixInputs {
            rules: &args.rules,
            alertmanager: args.alertmanager.as_deref(),
            prometheus: args.prometheus.as_deref(),
            options: alertsift::fix::plan::Options {
                allow_hiding: args.allow_hiding,
            },
            write: args.write,
        },
    )
    .with_context(|| format!("fixing {}", show_paths(&args.rules)))?;
    let failed = outcome.checks.iter().any(|c| c.passed == Some(false));
    if !g.quiet {
        print_inputs(&outcome.inputs, &prepared.inputs.skipped);
        let written = outcome.plan.changes.iter().filter(|c| c.written).count();
        eprintln!(
            "{} rule(s) with a recommendation, {written} in fix.diff{}",
            outcome.plan.changes.len(),
            if outcome.written_in_place {
                format!(" and applied to {}", outcome.changed_files.join(", "))
            } else {
                String::new()
            }
        );
        let plan = &outcome.plan;
        for (list, what) in [
            (&plan.undefined, "have no definition in the rule files"),
            (
                &plan.ambiguous,
                "match more than one definition and are left unchanged",
            ),
        ] {
            if !list.is_empty() {
                let pages: u64 = list.iter().map(|(_, n)| n).sum();
                eprintln!(
                    "  note: {} rule(s) of the history ({pages} pages) {what}: {} (see fix.md)",
                    list.len(),
                    list.iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        for c in &outcome.checks {
            let verdict = match c.passed {
                Some(true) => "passed",
                Some(false) => "FAILED",
                None => "not run",
            };
            eprintln!("{}: {verdict}", c.what);
            if c.passed != Some(true) {
                eprintln!("  {}", c.output.replace('\n', "\n  "));
            }
        }
        eprintln!("written to {}", args.out.display());
        warn_rejects(outcome.rejected, &outcome.rejects_path);
    }
    if failed {
        return Ok(ExitCode::from(1));
    }
    Ok(exit_for(args.input.strict, outcome.rejected))
}
