//! alertsift: which pages were worth waking up for.
//!
//! A batch pipeline over the alert and incident exports on-call teams already
//! have: `config → ingest → store → classify → cluster → metrics → whatif →
//! report → chart`, and `fix` beside the report.
//! Data flows one way; a module uses only modules to its left (plus
//! [`core`], [`schema`] and [`error`] at the bottom). Frames stay lazy
//! until the report collects them.
//!
//! * [`config`] — `alertsift.toml`: teams, time zones, paging, thresholds;
//!   [`rule_files`], Prometheus rule files read beside it.
//! * [`schema`] — the canonical column names and types.
//! * [`core`] — shared helpers: time, durations, hashing, statistics,
//!   interning, escaping, atomic writes, timings.
//! * [`ingest`] — one module per vendor export format → canonical frames.
//! * [`store`] — the Parquet store directory: merge, atomic writes.
//! * [`classify`] — actionable or noise, with reason codes and evidence;
//!   title templates (a Drain-style miner) and storm episodes.
//! * [`cluster`] — exact duplicates, episode counts, per-template statistics.
//! * [`metrics`] — paging load, interruptions, MTTA/MTTR, toil over pages.
//! * [`whatif`] — replay the pages under a changed policy: what it saves, what it costs.
//! * [`fix`] — the recommendations as a patch of the team's own Prometheus
//!   rule files and Alertmanager configuration, checked by promtool and amtool.
//! * [`report`] — what a run writes: `alerts.parquet`, `summary.json`.
//! * [`query`] — `alertsift query`: SQL over the analysed tables and the store.
//! * [`chart`] — SVG charts (line, grouped bars) with escaped text.
//! * [`demo`] — a deterministic multi-vendor history with ground truth.
//! * [`pipeline`] — the jobs the command line runs, glued together.

pub mod calendar;
pub mod chart;
pub mod classify;
pub mod cluster;
pub mod config;
pub mod core;
pub mod demo;
pub mod error;
pub mod fix;
pub mod ingest;
pub mod metrics;
pub mod pages;
pub mod parquet;
pub mod pipeline;
pub mod query;
pub mod reasons;
pub mod report;
pub mod roster;
pub mod rule_files;
pub mod schema;
pub mod store;
pub mod whatif;
