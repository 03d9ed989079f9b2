//! Integration tests: one binary, split by theme (ripgrep's layout).

// Test helpers unwrap: a panic there is a failed test, not a crash on input.
#![allow(clippy::unwrap_used)]

mod util;

mod classify;
mod cli;
mod e2e_alertmanager;
mod fix;
mod formats;
mod headline;
mod html;
mod kpis;
mod metrics;
mod quality;
mod query;
mod real_data;
mod real_exports;
mod rule_files;
mod rules;
mod schedules;
mod store;
mod templates;
mod variants;
mod whatif;
mod workflow;
