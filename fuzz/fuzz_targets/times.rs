//! The timestamp and duration parsers on any text: never a panic, and a
//! time they accept lies in the range kept.
#![no_main]

use alertsift::ingest::time::{
    parse_duration_text, parse_instant, parse_instant_or_local, MAX_INSTANT, MIN_INSTANT, NAIVE_ISO,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    for v in [
        parse_instant(text),
        parse_instant_or_local(text, Some(chrono_tz::Europe::London), NAIVE_ISO),
    ]
    .into_iter()
    .flatten()
    {
        assert!((MIN_INSTANT..MAX_INSTANT).contains(&v), "{text:?} -> {v}");
    }
    let _ = parse_duration_text(text);
});
