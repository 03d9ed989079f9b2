//! The real tools' verdict on the patched files: `promtool check rules`,
//! `amtool check-config` and `promtool test rules` (Debian's `prometheus`
//! and `prometheus-alertmanager` packages).

use std::path::Path;
use std::process::Command;

use serde::Serialize;

/// One tool run.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What it checked, e.g. `promtool check rules`.
    pub what: String,
    /// `Some(true)`: passed; `Some(false)`: failed; `None`: the tool is not
    /// installed.
    pub passed: Option<bool>,
    /// What it printed (stdout and stderr), trimmed.
    pub output: String,
}

/// Run `tool args…` in `dir`.
pub fn run(what: &str, tool: &str, args: &[&str], dir: &Path) -> Check {
    match Command::new(tool).args(args).current_dir(dir).output() {
        Ok(out) => {
            let mut text = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let err = String::from_utf8_lossy(&out.stderr);
            if !err.trim().is_empty() {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(err.trim());
            }
            Check {
                what: what.into(),
                passed: Some(out.status.success()),
                output: text,
            }
        }
        Err(e) => Check {
            what: what.into(),
            passed: None,
            output: if e.kind() == std::io::ErrorKind::NotFound {
                format!("{tool} is not installed (Debian: apt install prometheus prometheus-alertmanager)")
            } else {
                format!("cannot run {tool}: {e}")
            },
        },
    }
}
