//! Each vendor's mapping on any file. `FUZZ_FORMAT=opsgenie` (a format's
//! `--format` name) fuzzes that vendor alone, the whole input being the
//! file; without it the first byte picks the format and the rest is the
//! file. Never a panic; an error is fine.
#![no_main]

use alertsift::config::Config;
use alertsift::ingest::{ingest, Format, IngestOptions, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Generic needs a mapping file; the rest read as they are.
    let formats: Vec<Format> = Format::ALL
        .iter()
        .copied()
        .filter(|f| f.name() != "generic")
        .collect();
    let chosen = std::env::var("FUZZ_FORMAT").ok().filter(|f| !f.is_empty());
    let (format, body) = match chosen.as_deref() {
        Some(name) => match formats.iter().find(|f| f.name() == name) {
            Some(f) => (*f, data),
            None => panic!("FUZZ_FORMAT={name} names no format"),
        },
        None => {
            let Some((&pick, body)) = data.split_first() else {
                return;
            };
            (formats[usize::from(pick) % formats.len()], body)
        }
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("export");
    if std::fs::write(&path, body).is_err() {
        return;
    }
    let Ok(config) = Config::parse(
        "[sources.servicenow]\ntimezone = \"UTC\"\n[sources.pagerduty]\ntimezone = \"UTC\"\n",
    ) else {
        return;
    };
    let _ = ingest(
        &[Input {
            path,
            format: Some(format),
        }],
        &config,
        &IngestOptions::default(),
    );
});
