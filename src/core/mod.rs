//! The shared core at the bottom: helpers every stage uses and none owns.
//! Nothing here knows a vendor, a stage or a threshold.
//!
//! * [`time`] — instants as RFC 3339 UTC text; local day and minute in a
//!   zone ([`time::LocalClock`]).
//! * [`duration`] — durations as text: exact (config syntax) or rounded.
//! * [`hash`] — FNV-1a 64, and Prometheus' label-set fingerprint.
//! * [`stats`] — percentiles and the p50/p90/p95/mean spread.
//! * [`intern`] — the distinct values of a string column as numbers.
//! * [`text`] — escaping text from the data for SVG and HTML.
//! * [`fs`] — files written whole or not at all.
//! * [`frame`] — small helpers over polars frames.
//! * [`timing`] — phase timings for the benchmarks (`ALERTSIFT_TIMINGS`).

pub mod duration;
pub mod frame;
pub mod fs;
pub mod hash;
pub mod intern;
pub mod stats;
pub mod text;
pub mod time;
pub mod timing;
pub mod yaml;
