//! The JSON reading layer on any bytes: never a panic; every record it
//! hands on lies inside the input, and record numbers count up by one.
#![no_main]

use alertsift::ingest::json::{read_records, JsonEvent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut next = 1u64;
    let mut check = |n: u64, raw: &[u8]| {
        assert_eq!(n, next, "record numbers count up by one");
        next += 1;
        assert!(raw.len() <= data.len());
    };
    let _ = read_records(data, &["data", "incidents"], &["time_zone"], &mut |ev| match ev {
        JsonEvent::Record(at, raw) => check(at.n, raw),
        JsonEvent::Bad(at, _, raw) => check(at.n, raw),
        _ => {}
    });
});
