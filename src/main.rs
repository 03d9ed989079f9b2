//! The `alertsift` command: parse the flags, run the job, print the error
//! chain and map it to an exit code.
//!
//! Exit codes: 0 — done (records that could not be read are listed in the
//! rejects file and counted in the summary); 1 — done, but `--strict` was
//! given and records were rejected; 2 — error (bad input file, bad config,
//! unknown format…): nothing was written to the store.

mod cmd;

/// polars' own advice: a faster allocator for columnar work (see Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cmd::Cli::parse();
    match cmd::run(args) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`alertsift store info | head`) is not a failure.
            // Same as ripgrep's crates/core/main.rs.
            for cause in err.chain() {
                if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                    if io.kind() == std::io::ErrorKind::BrokenPipe {
                        return ExitCode::SUCCESS;
                    }
                }
            }
            eprintln!("alertsift: error: {}", chain(&err));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, `a: b: c`, leaving out a cause whose text the
/// one before it already ends with (typed errors quote their source).
fn chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut last = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if last.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
        last = text;
    }
    out
}
