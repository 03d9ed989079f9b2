//! The text decoder on any bytes: never a panic, and what it hands on is
//! UTF-8 whenever it switched to Windows-1252 (and the input itself
//! otherwise).
#![no_main]

use std::io::Read;

use alertsift::ingest::decode::Decoding;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut d = Decoding::new(data);
    let switched = d.switched();
    let mut out = Vec::new();
    d.read_to_end(&mut out).expect("reading from memory cannot fail");
    if switched.load(std::sync::atomic::Ordering::Relaxed) {
        assert!(std::str::from_utf8(&out).is_ok());
    } else {
        assert_eq!(out, data);
    }
});
