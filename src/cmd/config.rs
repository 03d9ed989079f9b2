//! `alertsift config`: every setting with its default, or what a config
//! file resolves to.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{load_config, Global};

/// `alertsift config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print the built-in defaults, ignoring any config file. [default: the
    /// settings of --config, or of ./alertsift.toml, with defaults filled in]
    #[arg(long)]
    defaults: bool,
}

/// Run it.
pub fn run(args: ConfigArgs, g: &Global) -> Result<ExitCode> {
    let text = if args.defaults {
        alertsift::config::defaults_toml()
    } else {
        let config = load_config(g.config.as_deref(), None, g.quiet)?;
        alertsift::config::settings_toml(&config)
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
