//! Streaming reader for vendor JSON exports.
//!
//! A file is one or more JSON values separated by white space (one page, pages
//! concatenated, or pages as JSON lines). Each value is either an envelope
//! object whose record array sits under one of the format's keys
//! (`{"incidents": [...]}`, `{"data": [...]}`), or a bare array of records.
//!
//! A small structural scanner (strings, escapes and brackets; no value
//! parsing) finds where each record starts and ends and hands its bytes over;
//! the adapter parses one record at a time. So a multi-gigabyte page never
//! becomes one big tree, a malformed record is one reject while the records
//! after it still load, and a truncated file keeps every record before the
//! cut.

use std::io::Read;

/// What the reader hands to the adapter.
pub enum JsonEvent<'a> {
    /// A value of the envelope under one of the wanted meta keys
    /// (`time_zone` of a PagerDuty Analytics page); it may follow the records.
    Meta(&'a str, serde_json::Value),
    /// One record: its 1-based number in the file, the line it starts on, and
    /// its JSON text.
    Record(u64, u64, &'a [u8]),
    /// The end of one top-level value (a page).
    EndOfPage,
}

/// Why reading stopped early.
#[derive(Debug)]
pub struct JsonStop {
    /// What is wrong, with the line.
    pub message: String,
    /// Line where it stopped.
    pub line: u64,
    /// True when the input ended inside a value (a truncated file).
    pub truncated: bool,
    /// Records read before the stop.
    pub records: u64,
}

impl JsonStop {
    /// The reject reason for a stream that stopped here.
    pub fn reason(&self) -> String {
        if self.truncated {
            format!(
                "truncated JSON: the file ends inside record {} ({}); the {} record(s) before it were read",
                self.records + 1,
                self.message,
                self.records
            )
        } else {
            format!(
                "invalid JSON after record {} ({}); nothing after this point was read",
                self.records, self.message
            )
        }
    }
}

const CHUNK: usize = 4 << 20;

/// Records' bytes gathered for another thread: one buffer, many spans.
#[derive(Debug, Default)]
pub struct RawBatch {
    bytes: Vec<u8>,
    spans: Vec<(u64, u64, usize, usize)>,
}

impl RawBatch {
    /// Add record `n`, starting on `line`.
    pub fn push(&mut self, n: u64, line: u64, raw: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(raw);
        self.spans.push((n, line, start, self.bytes.len()));
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// No records held.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// `(record number, line, bytes)` in order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64, &[u8])> {
        self.spans
            .iter()
            .map(|&(n, line, s, e)| (n, line, &self.bytes[s..e]))
    }
}

/// Scanner state that survives buffer refills; positions index `buf`.
struct Scan {
    depth: u32,
    in_str: bool,
    esc: bool,
    line: u64,
    /// `{` or `[` of the current top-level value.
    top: Option<u8>,
    found_envelope: bool,
    expect_key: bool,
    key_start: Option<usize>,
    key: Vec<u8>,
    meta_start: Option<usize>,
    meta_key: String,
    in_records: bool,
    rec_depth: u32,
    rec_start: Option<usize>,
    rec_line: u64,
    count: u64,
}

/// Read every record; returns the number of records, or where it stopped.
pub fn read_records<R: Read>(
    mut reader: R,
    envelope_keys: &[&str],
    meta_keys: &[&str],
    on_event: &mut dyn FnMut(JsonEvent<'_>),
) -> Result<u64, JsonStop> {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut st = Scan {
        depth: 0,
        in_str: false,
        esc: false,
        line: 1,
        top: None,
        found_envelope: false,
        expect_key: false,
        key_start: None,
        key: Vec::new(),
        meta_start: None,
        meta_key: String::new(),
        in_records: false,
        rec_depth: 0,
        rec_start: None,
        rec_line: 0,
        count: 0,
    };
    let stop = |st: &Scan, message: String, truncated: bool| JsonStop {
        message,
        line: st.line,
        truncated,
        records: st.count,
    };
    let mut pos = 0usize;
    loop {
        // Keep the bytes of anything still open, drop the rest.
        let keep = [st.rec_start, st.key_start, st.meta_start]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(pos);
        buf.drain(..keep);
        pos -= keep;
        for p in [&mut st.rec_start, &mut st.key_start, &mut st.meta_start]
            .into_iter()
            .flatten()
        {
            *p -= keep;
        }
        let n = match read_more(&mut reader, &mut buf, CHUNK) {
            Ok(n) => n,
            Err(e) => return Err(stop(&st, e.to_string(), false)),
        };
        if n == 0 {
            if st.depth > 0 || st.in_str {
                return Err(stop(&st, format!("input ends at line {}", st.line), true));
            }
            return Ok(st.count);
        }
        while pos < buf.len() {
            if st.in_str && !st.esc {
                // Jump to the next quote or backslash: strings are most of
                // the bytes, and JSON strings hold no raw newlines.
                match memchr::memchr2(b'"', b'\\', &buf[pos..]) {
                    Some(off) => pos += off,
                    None => {
                        pos = buf.len();
                        continue;
                    }
                }
            }
            let b = buf[pos];
            let i = pos;
            pos += 1;
            if st.in_str {
                if st.esc {
                    st.esc = false;
                } else if b == b'\\' {
                    st.esc = true;
                } else if b == b'"' {
                    st.in_str = false;
                    if let Some(k) = st.key_start.take() {
                        st.key.clear();
                        st.key.extend_from_slice(&buf[k..i]);
                    }
                } else if b == b'\n' {
                    st.line += 1;
                }
                continue;
            }
            match b {
                b'\n' => st.line += 1,
                b' ' | b'\t' | b'\r' => {}
                b'"' => {
                    st.in_str = true;
                    if st.depth == 1 && st.top == Some(b'{') && st.expect_key {
                        st.key_start = Some(i + 1);
                        st.expect_key = false;
                    } else {
                        start_record(&mut st, i);
                    }
                }
                b'{' | b'[' => {
                    if st.depth == 0 {
                        st.top = Some(b);
                        st.found_envelope = false;
                        if b == b'[' {
                            st.in_records = true;
                            st.rec_depth = 1;
                        } else {
                            st.expect_key = true;
                        }
                    } else {
                        start_record(&mut st, i);
                        if st.depth == 1 && st.top == Some(b'{') && b == b'[' {
                            let key = String::from_utf8_lossy(&st.key);
                            if envelope_keys.contains(&key.as_ref()) {
                                st.in_records = true;
                                st.rec_depth = 2;
                                st.found_envelope = true;
                            }
                        }
                    }
                    st.depth += 1;
                }
                b'}' | b']' => {
                    if st.depth == 0 {
                        return Err(stop(
                            &st,
                            format!("unexpected `{}` at line {}", b as char, st.line),
                            false,
                        ));
                    }
                    if st.in_records && st.depth == st.rec_depth {
                        // Closing the records array: the last element ends here.
                        emit_record(&mut st, &buf, i, on_event);
                        st.in_records = false;
                    }
                    st.depth -= 1;
                    if st.depth == 0 {
                        if st.top == Some(b'{') {
                            emit_meta(&mut st, &buf, i, on_event);
                            if !st.found_envelope {
                                return Err(stop(
                                    &st,
                                    format!(
                                        "the object ending at line {} has none of the keys {envelope_keys:?} that hold the records",
                                        st.line
                                    ),
                                    false,
                                ));
                            }
                        }
                        st.top = None;
                        on_event(JsonEvent::EndOfPage);
                    }
                }
                b',' => {
                    if st.in_records && st.depth == st.rec_depth {
                        emit_record(&mut st, &buf, i, on_event);
                    }
                    if st.depth == 1 && st.top == Some(b'{') {
                        emit_meta(&mut st, &buf, i, on_event);
                        st.expect_key = true;
                    }
                }
                b':' => {
                    if st.depth == 1 && st.top == Some(b'{') {
                        let key = String::from_utf8_lossy(&st.key);
                        if meta_keys.contains(&key.as_ref()) {
                            st.meta_key = key.into_owned();
                            st.meta_start = Some(i + 1);
                        }
                    }
                }
                _ => {
                    if st.depth == 0 {
                        return Err(stop(
                            &st,
                            format!(
                                "expected `{{` or `[` at line {}, found `{}`",
                                st.line, b as char
                            ),
                            false,
                        ));
                    }
                    start_record(&mut st, i);
                }
            }
        }
    }
}

/// Append up to `chunk` bytes from `reader` to `buf`; returns how many (0 at
/// the end of the input). Reads into the vector's spare capacity (no zeroing
/// of a chunk per call, which cost more than the reading when the reader
/// hands over less than a chunk at a time).
pub fn read_more<R: Read>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    chunk: usize,
) -> std::io::Result<usize> {
    let old = buf.len();
    buf.reserve(chunk);
    match reader.by_ref().take(chunk as u64).read_to_end(buf) {
        Ok(n) => Ok(n),
        Err(e) => {
            buf.truncate(old);
            Err(e)
        }
    }
}

fn start_record(st: &mut Scan, i: usize) {
    if st.in_records && st.depth == st.rec_depth && st.rec_start.is_none() {
        st.rec_start = Some(i);
        st.rec_line = st.line;
    }
}

fn emit_record(st: &mut Scan, buf: &[u8], end: usize, on_event: &mut dyn FnMut(JsonEvent<'_>)) {
    if let Some(start) = st.rec_start.take() {
        let mut e = end;
        while e > start && buf[e - 1].is_ascii_whitespace() {
            e -= 1;
        }
        st.count += 1;
        on_event(JsonEvent::Record(st.count, st.rec_line, &buf[start..e]));
    }
}

fn emit_meta(st: &mut Scan, buf: &[u8], end: usize, on_event: &mut dyn FnMut(JsonEvent<'_>)) {
    if let Some(start) = st.meta_start.take() {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&buf[start..end]) {
            on_event(JsonEvent::Meta(&st.meta_key, v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str, keys: &[&str]) -> (Vec<String>, Result<u64, JsonStop>) {
        let mut out = Vec::new();
        let r = read_records(text.as_bytes(), keys, &["time_zone"], &mut |e| match e {
            JsonEvent::Record(n, line, raw) => {
                out.push(format!("{n}@{line}:{}", String::from_utf8_lossy(raw)))
            }
            JsonEvent::Meta(k, v) => out.push(format!("meta {k}={v}")),
            JsonEvent::EndOfPage => out.push("end".into()),
        });
        (out, r)
    }

    #[test]
    fn pages_and_bare_arrays() {
        let (out, r) = collect(
            "{\"more\":true,\"incidents\":[{\"id\":1},{\"id\":\"a,]}\"}]}\n{\"incidents\":[ {\"id\":3} ]}\n[{\"id\":4}, 5]",
            &["incidents"],
        );
        assert_eq!(r.unwrap(), 5);
        assert_eq!(
            out,
            vec![
                "1@1:{\"id\":1}",
                "2@1:{\"id\":\"a,]}\"}",
                "end",
                "3@2:{\"id\":3}",
                "end",
                "4@3:{\"id\":4}",
                "5@3:5",
                "end"
            ]
        );
    }

    #[test]
    fn nested_arrays_and_other_keys_are_not_records() {
        let (out, r) = collect(
            "{\"paging\":{\"data\":[9]},\"data\":[{\"tags\":[\"a\",\"b\"],\"x\":{\"data\":[1]}}],\"took\":[1,2]}",
            &["data"],
        );
        assert_eq!(r.unwrap(), 1);
        assert_eq!(
            out,
            vec!["1@1:{\"tags\":[\"a\",\"b\"],\"x\":{\"data\":[1]}}", "end"]
        );
    }

    #[test]
    fn meta_after_records_is_seen() {
        let (out, r) = collect(
            "{\"data\":[{\"a\":1}],\"time_zone\":\"Europe/Berlin\"}",
            &["data"],
        );
        assert_eq!(r.unwrap(), 1);
        assert_eq!(
            out,
            vec!["1@1:{\"a\":1}", "meta time_zone=\"Europe/Berlin\"", "end"]
        );
    }

    #[test]
    fn truncation_keeps_earlier_records() {
        let (out, r) = collect("{\"data\":[{\"a\":1},\n{\"a\":2},\n{\"a\":", &["data"]);
        let stop = r.unwrap_err();
        assert!(stop.truncated);
        assert_eq!(stop.records, 2);
        assert_eq!(stop.line, 3);
        assert_eq!(out, vec!["1@1:{\"a\":1}", "2@2:{\"a\":2}"]);
    }

    #[test]
    fn wrong_envelope_and_junk_are_errors() {
        let (_, r) = collect("{\"other\":[1]}", &["data"]);
        let stop = r.unwrap_err();
        assert!(!stop.truncated);
        assert!(stop.message.contains("data"), "{}", stop.message);
        let (_, r) = collect("hello", &["data"]);
        assert!(r.unwrap_err().message.contains("expected `{` or `[`"));
    }

    #[test]
    fn records_split_across_buffer_refills() {
        // Records larger than nothing in particular, many of them: the
        // scanner must carry partial records across 4 MiB reads.
        let rec = format!("{{\"id\":\"{}\"}}", "x".repeat(1000));
        let text = format!("{{\"data\":[{}]}}", vec![rec.as_str(); 10_000].join(","));
        let mut n = 0;
        let r = read_records(text.as_bytes(), &["data"], &[], &mut |e| {
            if let JsonEvent::Record(_, _, raw) = e {
                assert_eq!(raw, rec.as_bytes());
                n += 1;
            }
        });
        assert_eq!(r.unwrap(), 10_000);
        assert_eq!(n, 10_000);
    }
}
