//! `alertsift whatif`: replay the pages under changed policies.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::{duration, exit_for, prepare, print_inputs, show_paths, warn_rejects};
use super::{Global, InputArgs};
use alertsift::pipeline;

#[derive(Debug, Args)]
pub struct WhatIfArgs {
    #[command(flatten)]
    input: InputArgs,

    /// Output directory for whatif.md, whatif.csv, whatif.json, whatif.svg,
    /// whatif.png and rejects.csv.
    #[arg(long, value_name = "DIR", default_value = "alertsift-whatif")]
    out: PathBuf,

    /// Merge into this store and replay all it holds. [default: a temporary
    /// store holding only these inputs]
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,

    /// Human tags (as for `run --labels`): they decide which pages count as
    /// actionable. [default: the model's labels]
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,

    /// PagerDuty Auto-Pause for DURATION: a page that resolves by itself
    /// within it never notifies, any other notifies that much later.
    /// [default: no pause]
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pause: Option<std::time::Duration>,

    /// PagerDuty time-based grouping: per team and service, a page within
    /// DURATION of the first page of an open group joins it silently.
    /// [default: no grouping]
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    group_window: Option<std::time::Duration>,

    /// A Prometheus `for:` delay on one template, TEMPLATE=DURATION
    /// (template text or template_id, as in templates.csv); repeatable.
    /// [default: none]
    #[arg(long = "for", value_name = "TEMPLATE=DURATION")]
    for_delay: Vec<String>,

    /// Route this template (text or template_id) to a ticket queue instead
    /// of the pager; repeatable. [default: none]
    #[arg(long, value_name = "TEMPLATE")]
    ticket: Vec<String>,

    /// Route pages of these severities (critical, error, warning, info) to
    /// a ticket queue; comma-separated or repeated. [default: none]
    #[arg(long, value_name = "SEVERITY", value_delimiter = ',')]
    ticket_severity: Vec<String>,

    /// Silence pages that fire at their template's usual time of day
    /// (reason RECURRING). [default: off]
    #[arg(long)]
    suppress_recurring: bool,

    /// Inhibit every page of a storm episode but its lead. [default: off]
    #[arg(long)]
    inhibit_secondaries: bool,

    /// Fold copies of an open alert (reason DUPLICATE) into it, as a dedup
    /// key would. [default: off]
    #[arg(long)]
    dedup: bool,

    /// Prometheus `keep_firing_for`: a page that fires again within
    /// DURATION of clearing continues the last occurrence. [default: off]
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    keep_firing_for: Option<std::time::Duration>,

    /// Sweep one parameter, NAME=FROM..TO/STEP with NAME pause,
    /// group-window or keep-firing-for (e.g. pause=0m..15m/1m), on top of
    /// the other policies: a table and a chart of the trade-off with its
    /// knee. [default: no sweep]
    #[arg(long, value_name = "SPEC")]
    sweep: Option<String>,
}

/// Run it.
pub fn run(args: WhatIfArgs, g: &Global) -> Result<ExitCode> {
    let args = &args;
    use alertsift::whatif::{Policy, SweepSpec};
    let mut policies = Vec::new();
    if let Some(d) = args.pause {
        policies.push(Policy::Pause(d));
    }
    for spec in &args.for_delay {
        let Some((template, d)) = spec.rsplit_once('=') else {
            anyhow::bail!(
                "--for {spec:?}: expected TEMPLATE=DURATION, e.g. --for 'Disk on <*> full=10m'"
            );
        };
        let delay = duration(d).map_err(|e| anyhow::anyhow!("--for {spec:?}: {e}"))?;
        policies.push(Policy::For {
            template: template.to_string(),
            delay,
        });
    }
    if !args.ticket.is_empty() || !args.ticket_severity.is_empty() {
        for sev in &args.ticket_severity {
            if !alertsift::schema::SEVERITIES.contains(&sev.as_str()) {
                anyhow::bail!(
                    "--ticket-severity {sev:?}: expected one of {}",
                    alertsift::schema::SEVERITIES.join(", ")
                );
            }
        }
        policies.push(Policy::Ticket {
            templates: args.ticket.clone(),
            severities: args.ticket_severity.clone(),
        });
    }
    if args.suppress_recurring {
        policies.push(Policy::SuppressRecurring);
    }
    if args.inhibit_secondaries {
        policies.push(Policy::InhibitSecondaries);
    }
    if args.dedup {
        policies.push(Policy::Dedup);
    }
    if let Some(d) = args.keep_firing_for {
        policies.push(Policy::KeepFiringFor(d));
    }
    if let Some(d) = args.group_window {
        policies.push(Policy::GroupWindow(d));
    }
    let sweep = args
        .sweep
        .as_deref()
        .map(SweepSpec::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    if policies.is_empty() && sweep.is_none() {
        anyhow::bail!(
            "no policy to replay: give at least one of --pause, --group-window, --for, --ticket, \
             --ticket-severity, --suppress-recurring, --inhibit-secondaries, --dedup, \
             --keep-firing-for, --sweep"
        );
    }
    let prepared = prepare(&args.input, args.labels.as_deref(), g)?;
    let job = prepared.job(&args.out, args.store.as_deref());
    let outcome =
        pipeline::whatif(&job, &policies, sweep.as_ref()).with_context(|| {
            match args.input.inputs.is_empty() {
                true => "replaying the store".to_string(),
                false => format!("replaying {}", show_paths(&args.input.inputs)),
            }
        })?;
    if !g.quiet {
        print_inputs(&outcome.inputs, &prepared.inputs.skipped);
        for o in &outcome.result.policies {
            eprintln!(
                "{}: pages {} -> {}, sleep interruptions {} -> {}, actionable delayed {}, hidden {}",
                o.name,
                o.all.before.pages,
                o.all.after.pages,
                o.all.before.interruptions.sleep,
                o.all.after.interruptions.sleep,
                o.all.actionable_delayed.count,
                o.all.actionable_hidden.count
            );
        }
        eprintln!("written to {}", args.out.display());
        warn_rejects(outcome.rejected, &outcome.rejects_path);
    }
    Ok(exit_for(args.input.strict, outcome.rejected))
}
