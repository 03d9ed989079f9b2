//! The JSON half of the reading layer: every shape real vendor exports come in.
//!
//! A file is one or more JSON values separated by white space: JSON lines,
//! one document over many lines (pretty-printed with tabs or spaces), pages
//! appended one after another, or a top-level array. Each top-level value,
//! and each object element of a top-level array, is one of:
//!
//! - a **page**: an object with one of the format's envelope keys
//!   (`{"incidents": [...]}`, `{"data": [...]}`); the array's elements are the
//!   records. The same key holding an object is a single-record GET response
//!   (`{"data": {...}}`, `{"incident": {...}}`): that object is the record;
//!   holding `null`, a page without records;
//! - a **bare array** (top level): its elements are records, or pages;
//! - any other object: **one record** itself (a bare record, a JSON line).
//!
//! A small structural scanner finds where each record starts and ends and
//! hands its bytes over; the adapter parses one record at a time, so a
//! multi-gigabyte page never becomes one big tree. The scanner checks JSON's
//! grammar outside strings and scalars (brackets, commas, colons, keys), so
//! a trailing comma, a missing comma or a stray bracket is an error that
//! names its line and column; serde_json checks the rest of each record as
//! the adapter parses it ([`explain`] turns its position into the file's).
//!
//! A file that is line-delimited (each top-level value on its own line)
//! loses only the bad line: it becomes a [`JsonEvent::Bad`] record and the
//! lines after it still load. Elsewhere reading stops at the first
//! structural error, keeping every record before it; a truncated file keeps
//! every record before the cut. A UTF-8 byte order mark is skipped.
//!
//! Length: about 900 lines of code and 270 of tests: one grammar-checking
//! reader (its state machine, recovery and error positions are one piece).

use std::io::Read;

/// One record parsed by serde_json, its UTF-8 checked once for the whole
/// record (`from_slice` checks each string again, a tenth of a parse);
/// text that is not UTF-8 gets `from_slice`'s own error.
pub fn from_record<'a, T: serde::Deserialize<'a>>(raw: &'a [u8]) -> serde_json::Result<T> {
    match simdutf8::basic::from_utf8(raw) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(raw),
    }
}

/// Where a record starts in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordAt {
    /// The 1-based number of the record in the file.
    pub n: u64,
    /// The 1-based line it starts on.
    pub line: u64,
    /// The 1-based column (in bytes) it starts at.
    pub col: u64,
}

/// What the reader hands to the adapter.
pub enum JsonEvent<'a> {
    /// A value of the page under one of the wanted meta keys (`time_zone`
    /// of a PagerDuty Analytics page); it may follow the records.
    Meta(&'a str, serde_json::Value),
    /// One record and its JSON text.
    Record(RecordAt, &'a [u8]),
    /// A line of a line-delimited file that is not valid JSON: why, and its
    /// text. Reading goes on with the next line.
    Bad(RecordAt, String, &'a [u8]),
    /// The end of one page (or of one top-level value).
    EndOfPage,
}

/// Why reading stopped early.
#[derive(Debug)]
pub struct JsonStop {
    /// What is wrong, with the line and column.
    pub message: String,
    /// Line where it stopped.
    pub line: u64,
    /// Column where it stopped.
    pub col: u64,
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
                "invalid JSON after record {}: {}; nothing after this point was read",
                self.records, self.message
            )
        }
    }
}

/// Why a record's text did not parse, with serde_json's position turned
/// into the file's line and column: "invalid JSON at line 12 column 7: …"
/// for a syntax error, else `reason` as given.
pub fn explain(raw: &[u8], at: RecordAt, reason: String) -> String {
    match serde_json::from_slice::<serde::de::IgnoredAny>(raw) {
        Ok(_) => in_file(reason, at),
        Err(e) => {
            // Said in the splitter's words ("a trailing comma") where its
            // grammar finds the fault, else in serde_json's.
            let (l, c, message) = grammar_error(raw).unwrap_or_else(|| {
                let mut message = e.to_string();
                if let Some(i) = message.rfind(" at line ") {
                    message.truncate(i);
                }
                (e.line() as u64, e.column() as u64, message)
            });
            let line = at.line + l.saturating_sub(1);
            let col = if l <= 1 {
                at.col + c.saturating_sub(1)
            } else {
                c
            };
            format!("invalid JSON at line {line} column {col}: {message}")
        }
    }
}

/// A field that is text in one export and a number (or a boolean) in
/// another: read as its text. Integers keep every digit (serde_json reads
/// them as 64-bit integers, never through a float).
pub fn opt_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected text or a number, found {other}"
            )))
        }
    })
}

/// A number a field may hold, read from a JSON number or from text.
pub trait Number: Sized + std::str::FromStr {
    /// From a JSON unsigned integer, if it fits.
    fn from_u64(v: u64) -> Option<Self>;
    /// From a JSON negative integer, if it fits.
    fn from_i64(v: i64) -> Option<Self>;
    /// From a JSON float, if it fits.
    fn from_f64(v: f64) -> Option<Self>;
}

impl Number for u32 {
    fn from_u64(v: u64) -> Option<Self> {
        u32::try_from(v).ok()
    }
    fn from_i64(v: i64) -> Option<Self> {
        u32::try_from(v).ok()
    }
    fn from_f64(v: f64) -> Option<Self> {
        (v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v)).then_some(v as u32)
    }
}

impl Number for u64 {
    fn from_u64(v: u64) -> Option<Self> {
        Some(v)
    }
    fn from_i64(v: i64) -> Option<Self> {
        u64::try_from(v).ok()
    }
    fn from_f64(v: f64) -> Option<Self> {
        (v.fract() == 0.0 && (0.0..9.0e15).contains(&v)).then_some(v as u64)
    }
}

impl Number for i64 {
    fn from_u64(v: u64) -> Option<Self> {
        i64::try_from(v).ok()
    }
    fn from_i64(v: i64) -> Option<Self> {
        Some(v)
    }
    fn from_f64(v: f64) -> Option<Self> {
        (v.fract() == 0.0 && (-9.0e15..9.0e15).contains(&v)).then_some(v as i64)
    }
}

impl Number for u8 {
    fn from_u64(v: u64) -> Option<Self> {
        u8::try_from(v).ok()
    }
    fn from_i64(v: i64) -> Option<Self> {
        u8::try_from(v).ok()
    }
    fn from_f64(v: f64) -> Option<Self> {
        (v.fract() == 0.0 && (0.0..=255.0).contains(&v)).then_some(v as u8)
    }
}

impl Number for f64 {
    fn from_u64(v: u64) -> Option<Self> {
        Some(v as f64)
    }
    fn from_i64(v: i64) -> Option<Self> {
        Some(v as f64)
    }
    fn from_f64(v: f64) -> Option<Self> {
        Some(v)
    }
}

/// A number field that some exports write as text (`"1234"`, Splunk
/// On-Call's `incidentNumber`, every number of Zabbix): a JSON number, a
/// string holding one (trimmed; empty is none), or null.
pub fn opt_num<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Number,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Number> serde::de::Visitor<'de> for V<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a number, or text holding one")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            T::from_u64(v)
                .map(Some)
                .ok_or_else(|| E::custom(format!("{v} is out of range")))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            T::from_i64(v)
                .map(Some)
                .ok_or_else(|| E::custom(format!("{v} is out of range")))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            T::from_f64(v)
                .map(Some)
                .ok_or_else(|| E::custom(format!("{v} is out of range")))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<T>()
                .map(Some)
                .map_err(|_| E::custom(format!("{v:?} is not a number")))
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(V(std::marker::PhantomData))
}

/// A reason that ends as serde_json's do, `… at line L column C` (counted
/// in the record), with the position moved to the file's.
fn in_file(reason: String, at: RecordAt) -> String {
    let Some(i) = reason.rfind(" at line ") else {
        return reason;
    };
    let tail = &reason[i + " at line ".len()..];
    let Some((l, c)) = tail.split_once(" column ") else {
        return reason;
    };
    let (Ok(l), Ok(c)) = (l.parse::<u64>(), c.parse::<u64>()) else {
        return reason;
    };
    let line = at.line + l.saturating_sub(1);
    let col = if l <= 1 {
        at.col + c.saturating_sub(1)
    } else {
        c
    };
    format!("{} at line {line} column {col}", &reason[..i])
}

const CHUNK: usize = 4 << 20;

/// Records' bytes gathered for another thread: one buffer, many spans.
#[derive(Debug, Default)]
pub struct RawBatch {
    bytes: Vec<u8>,
    spans: Vec<(RecordAt, Option<String>, usize, usize)>,
}

impl RawBatch {
    /// Add a record.
    pub fn push(&mut self, at: RecordAt, raw: &[u8]) {
        self.push_bad(at, None, raw);
    }

    /// Add a record, or with `bad` the reason it is not one.
    pub fn push_bad(&mut self, at: RecordAt, bad: Option<String>, raw: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(raw);
        self.spans.push((at, bad, start, self.bytes.len()));
    }

    /// An empty batch with room for as much as this one holds: the next
    /// batch of a file is about as big, and growing it from nothing costs
    /// a copy at each doubling and fresh pages for each copy.
    pub fn empty_like(&self) -> RawBatch {
        RawBatch {
            bytes: Vec::with_capacity(self.bytes.len()),
            spans: Vec::with_capacity(self.spans.len()),
        }
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// No records held.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// `(where, why it is bad if it is, bytes)` in order.
    pub fn iter(&self) -> impl Iterator<Item = (RecordAt, Option<&str>, &[u8])> {
        self.spans
            .iter()
            .map(|(at, bad, s, e)| (*at, bad.as_deref(), &self.bytes[*s..*e]))
    }
}

/// What the grammar expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A top-level value (`{` or `[`), or white space.
    Top,
    /// A value (after `:` or `,` in an array).
    Value,
    /// A value or `]` (after `[`).
    ValueOrEnd,
    /// A key (after `,` in an object).
    Key,
    /// A key or `}` (after `{`).
    KeyOrEnd,
    /// `:` after a key.
    Colon,
    /// `,` or the container's end, after a value.
    CommaOrEnd,
}

/// Scanner state that survives buffer refills; positions index `buf`.
struct Scan<'k> {
    envelope_keys: &'k [&'k str],
    meta_keys: &'k [&'k str],
    /// Containers open: `{` or `[`.
    stack: Vec<u8>,
    want: Want,
    in_str: bool,
    esc: bool,
    in_scalar: bool,
    /// The string being read is a key.
    str_is_key: bool,
    line: u64,
    /// Absolute offset of the current line's first byte.
    line_start: u64,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// Start of the current top-level value, its line and column.
    top_start: Option<usize>,
    top_line: u64,
    top_col: u64,
    /// `Some(true)` once a top-level value began and ended on one line,
    /// `Some(false)` once one spanned lines.
    lines_mode: Option<bool>,
    /// After a bad line: skip to the next newline.
    skipping: bool,
    /// Stack depth inside the current page candidate (a top-level object,
    /// or an object element of a top-level array); 0 = none.
    page_len: usize,
    /// The candidate turned out to be a page (an envelope key was seen).
    is_page: bool,
    /// The key just read at page level is an envelope key.
    env_pending: bool,
    key_start: Option<usize>,
    key: Vec<u8>,
    meta_start: Option<usize>,
    meta_key: String,
    /// Elements of the container at this depth are records (0 = none).
    rec_len: usize,
    /// A record object that ends when the stack is back at this depth
    /// (a top-level object, a single-record wrapper); 0 = none.
    close_len: usize,
    rec_start: Option<usize>,
    rec_line: u64,
    rec_col: u64,
    count: u64,
    /// Inside a container deeper than any level the scanner acts on
    /// ([`Scan::acting_depth`]): only strings, brackets and line breaks are
    /// looked at ([`deep_scan`]).
    deep: bool,
    /// Check every value's grammar: never deep.
    full: bool,
    /// With `full`, the first grammar fault: line, column, what
    /// ([`grammar_error`]).
    fault: Option<Fault>,
    /// The envelope and meta keys in quotes, for [`whole_line`].
    quoted_keys: QuotedKeys,
}

/// A grammar fault: line, column, what.
type Fault = (u64, u64, String);

/// Keys in quotes (`"data"`), searched for all at once where the CPU has a
/// vector searcher for a few patterns (one pass over a line instead of one
/// per key), else one by one.
struct QuotedKeys {
    packed: Option<aho_corasick::packed::Searcher>,
    each: Vec<memchr::memmem::Finder<'static>>,
}

impl QuotedKeys {
    fn new<'k>(keys: impl Iterator<Item = &'k &'k str>) -> QuotedKeys {
        let quoted: Vec<String> = keys.map(|k| format!("\"{k}\"")).collect();
        let packed = aho_corasick::packed::Searcher::new(quoted.iter());
        let each = match packed {
            Some(_) => Vec::new(),
            None => quoted
                .iter()
                .map(|k| memchr::memmem::Finder::new(k.as_bytes()).into_owned())
                .collect(),
        };
        QuotedKeys { packed, each }
    }

    /// `text` holds one of the keys in quotes.
    fn any_in(&self, text: &[u8]) -> bool {
        match &self.packed {
            Some(p) => p.find(text).is_some(),
            None => self.each.iter().any(|f| f.find(text).is_some()),
        }
    }
}

impl Scan<'_> {
    fn col(&self, i: usize) -> u64 {
        self.base + i as u64 - self.line_start + 1
    }

    fn at(&self) -> RecordAt {
        RecordAt {
            n: self.count,
            line: self.rec_line,
            col: self.rec_col,
        }
    }

    /// A value starts at `i` (its first byte `b`), before any push.
    fn value_start(&mut self, i: usize, b: u8) {
        let depth = self.stack.len();
        if depth == 0 {
            self.top_start = Some(i);
            self.top_line = self.line;
            self.top_col = self.col(i);
            self.is_page = false;
            if b == b'{' {
                self.page_len = 1;
                self.close_len = 0;
                self.start_record(i);
            } else {
                self.rec_len = 1;
            }
            return;
        }
        if self.env_pending && depth == self.page_len {
            self.env_pending = false;
            // The candidate is a page, not a record.
            self.is_page = true;
            self.rec_start = None;
            match b {
                b'[' => self.rec_len = depth + 1,
                b'{' => {
                    self.close_len = depth;
                    self.start_record(i);
                }
                _ => {}
            }
            return;
        }
        if self.rec_len != 0 && depth == self.rec_len && self.rec_start.is_none() {
            self.start_record(i);
            if b == b'{' && depth == 1 && self.stack[0] == b'[' {
                // An element of a top-level array: a record, or a page.
                self.page_len = 2;
                self.is_page = false;
            }
        }
    }

    fn start_record(&mut self, i: usize) {
        self.rec_start = Some(i);
        self.rec_line = self.line;
        self.rec_col = self.col(i);
    }

    fn stop(&self, i: usize, message: impl std::fmt::Display, truncated: bool) -> JsonStop {
        let col = self.col(i);
        JsonStop {
            message: format!("{message} at line {} column {col}", self.line),
            line: self.line,
            col,
            truncated,
            records: self.count,
        }
    }

    /// Forget everything about the value being read (after a bad line).
    fn reset(&mut self) {
        self.stack.clear();
        self.want = Want::Top;
        self.in_str = false;
        self.esc = false;
        self.in_scalar = false;
        self.str_is_key = false;
        self.top_start = None;
        self.page_len = 0;
        self.is_page = false;
        self.env_pending = false;
        self.key_start = None;
        self.meta_start = None;
        self.rec_len = 0;
        self.close_len = 0;
        self.rec_start = None;
        self.deep = false;
    }

    /// Keep the first fault at `i` (with `full` only: [`grammar_error`]).
    fn note_fault(&mut self, i: usize, what: &str) {
        if self.full && self.fault.is_none() {
            self.fault = Some((self.line, self.col(i), what.to_string()));
        }
    }

    /// The deepest stack depth at which anything is done: records' array
    /// (`rec_len`), a page candidate's keys (`page_len`), a wrapper's
    /// record (`close_len`). A container opened deeper holds only the
    /// inside of a record or of a value nothing reads here: its grammar is
    /// checked by whoever parses the record.
    fn acting_depth(&self) -> usize {
        self.rec_len.max(self.page_len).max(self.close_len)
    }

    /// Can a bad value at `i` be dropped as one bad line?
    fn recoverable(&self) -> bool {
        self.lines_mode != Some(false) && (self.top_start.is_none() || self.top_line == self.line)
    }
}

/// Read every record; returns the number of records (bad lines included),
/// or where it stopped.
pub fn read_records<R: Read>(
    reader: R,
    envelope_keys: &[&str],
    meta_keys: &[&str],
    on_event: &mut dyn FnMut(JsonEvent<'_>),
) -> Result<u64, JsonStop> {
    scan_records(reader, envelope_keys, meta_keys, false, on_event).0
}

/// The first grammar error in a record's text, by the full grammar
/// (values inside the record included, which [`read_records`] leaves to
/// the record's parser): its line and column within `raw`, and what it is
/// ("a trailing comma").
fn grammar_error(raw: &[u8]) -> Option<Fault> {
    scan_records(raw, &[], &[], true, &mut |_| {}).1
}

/// [`read_records`]; with `full`, every value's grammar is checked (no
/// [`deep_scan`]) and the first fault is returned too (line, column, what).
fn scan_records<R: Read>(
    reader: R,
    envelope_keys: &[&str],
    meta_keys: &[&str],
    full: bool,
    on_event: &mut dyn FnMut(JsonEvent<'_>),
) -> (Result<u64, JsonStop>, Option<Fault>) {
    let mut st = Scan {
        envelope_keys,
        meta_keys,
        stack: Vec::new(),
        want: Want::Top,
        in_str: false,
        esc: false,
        in_scalar: false,
        str_is_key: false,
        line: 1,
        line_start: 0,
        base: 0,
        top_start: None,
        top_line: 0,
        top_col: 0,
        lines_mode: None,
        skipping: false,
        page_len: 0,
        is_page: false,
        env_pending: false,
        key_start: None,
        key: Vec::new(),
        meta_start: None,
        meta_key: String::new(),
        rec_len: 0,
        close_len: 0,
        rec_start: None,
        rec_line: 0,
        rec_col: 0,
        count: 0,
        deep: false,
        full,
        fault: None,
        quoted_keys: QuotedKeys::new(envelope_keys.iter().chain(meta_keys)),
    };
    let r = scan_loop(&mut st, reader, on_event);
    (r, st.fault)
}

fn scan_loop<R: Read>(
    st: &mut Scan<'_>,
    mut reader: R,
    on_event: &mut dyn FnMut(JsonEvent<'_>),
) -> Result<u64, JsonStop> {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut pos = 0usize;
    let mut first = true;
    loop {
        // Keep the bytes of anything still open, drop the rest. The start
        // of a top-level value is kept while the file is line-delimited, so
        // a bad line can be handed on whole.
        let top = if st.lines_mode != Some(false) {
            st.top_start
        } else {
            None
        };
        let keep = [st.rec_start, st.key_start, st.meta_start, top]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(pos);
        buf.drain(..keep);
        pos -= keep;
        st.base += keep as u64;
        for p in [
            &mut st.rec_start,
            &mut st.key_start,
            &mut st.meta_start,
            &mut st.top_start,
        ]
        .into_iter()
        .flatten()
        {
            *p = p.saturating_sub(keep);
        }
        let n = match read_more(&mut reader, &mut buf, CHUNK) {
            Ok(n) => n,
            Err(e) => return Err(st.stop(pos, format!("reading failed: {e}"), false)),
        };
        if first {
            first = false;
            if buf.starts_with(b"\xEF\xBB\xBF") {
                pos = 3;
            }
        }
        if n == 0 {
            if st.skipping {
                return Ok(st.count);
            }
            if !st.stack.is_empty() || st.in_str {
                if st.recoverable() {
                    // A last line cut short: one bad record.
                    let what = "the file ends inside a JSON value (a truncated line)";
                    st.note_fault(buf.len(), what);
                    let message = format!(
                        "invalid JSON at line {} column {}: {what}",
                        st.line,
                        st.col(buf.len())
                    );
                    bad_line(st, &buf, buf.len(), &message, on_event);
                    return Ok(st.count);
                }
                st.note_fault(buf.len(), "the file ends inside a value");
                return Err(st.stop(buf.len(), "the file ends inside a value", true));
            }
            return Ok(st.count);
        }
        while pos < buf.len() {
            if st.skipping {
                match memchr::memchr(b'\n', &buf[pos..]) {
                    Some(off) => {
                        pos += off;
                        st.skipping = false;
                    }
                    None => {
                        pos = buf.len();
                        continue;
                    }
                }
            }
            if st.deep {
                pos = deep_scan(st, &buf, pos);
                if pos >= buf.len() {
                    continue;
                }
                // Back at an acting depth, or at something the full
                // grammar must judge: the byte at `pos` is read below.
            }
            if st.in_str && !st.esc {
                // Jump to the next quote or backslash: strings are most of
                // the bytes.
                match string_stop(&buf[pos..]) {
                    Some(off) => pos += off,
                    None => {
                        pos = buf.len();
                        continue;
                    }
                }
            }
            if !st.in_str && st.want == Want::Top && st.lines_mode == Some(true) && !st.full {
                if let Some(len) = whole_line(st, &buf[pos..]) {
                    // One record per line: handed on whole, as the grammar
                    // would have split it (its inside is the parser's).
                    st.count += 1;
                    let at = RecordAt {
                        n: st.count,
                        line: st.line,
                        col: st.col(pos),
                    };
                    on_event(JsonEvent::Record(at, &buf[pos..pos + len]));
                    on_event(JsonEvent::EndOfPage);
                    pos += len;
                    continue;
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
                    if st.str_is_key {
                        st.str_is_key = false;
                        st.want = Want::Colon;
                        if let Some(k) = st.key_start.take() {
                            st.key.clear();
                            st.key.extend_from_slice(&buf[k..i]);
                        }
                    } else {
                        st.want = Want::CommaOrEnd;
                    }
                } else if b == b'\n' {
                    fail(st, &buf, i, "a line break inside a string", on_event)?;
                    pos = i;
                }
                continue;
            }
            if st.in_scalar {
                if is_scalar_byte(b) {
                    continue;
                }
                st.in_scalar = false;
            }
            let outcome: Result<(), &'static str> = match b {
                b'\n' => {
                    if st.lines_mode == Some(true) && !st.stack.is_empty() {
                        Err("the line ends inside a JSON value (a truncated line)")
                    } else {
                        if !st.stack.is_empty() {
                            // A value over many lines: not JSON lines.
                            st.lines_mode = Some(false);
                        }
                        st.line += 1;
                        st.line_start = st.base + i as u64 + 1;
                        Ok(())
                    }
                }
                b' ' | b'\t' | b'\r' => Ok(()),
                b'"' => match st.want {
                    Want::Key | Want::KeyOrEnd => {
                        st.in_str = true;
                        st.str_is_key = true;
                        if st.stack.len() == st.page_len {
                            st.key_start = Some(i + 1);
                        }
                        Ok(())
                    }
                    Want::Value | Want::ValueOrEnd => {
                        st.value_start(i, b);
                        st.in_str = true;
                        Ok(())
                    }
                    w => Err(unexpected(w)),
                },
                b'{' | b'[' => match st.want {
                    Want::Top | Want::Value | Want::ValueOrEnd => {
                        st.value_start(i, b);
                        st.stack.push(b);
                        st.want = if b == b'{' {
                            Want::KeyOrEnd
                        } else {
                            Want::ValueOrEnd
                        };
                        st.deep = !st.full && st.stack.len() > st.acting_depth();
                        Ok(())
                    }
                    w => Err(unexpected(w)),
                },
                b'}' | b']' => {
                    let open = if b == b'}' { b'{' } else { b'[' };
                    let fits = matches!(
                        (b, st.want),
                        (b'}', Want::KeyOrEnd | Want::CommaOrEnd)
                            | (b']', Want::ValueOrEnd | Want::CommaOrEnd)
                    );
                    if st.stack.last() != Some(&open) {
                        Err(if st.stack.is_empty() {
                            "a closing bracket with nothing open"
                        } else {
                            "a closing bracket that does not match the open one"
                        })
                    } else if !fits {
                        Err(match st.want {
                            Want::Key | Want::Value => "a trailing comma",
                            Want::Colon => "a key without a value",
                            _ => "a missing value",
                        })
                    } else {
                        close(st, &buf, i, b, on_event);
                        Ok(())
                    }
                }
                b',' => {
                    if st.want == Want::CommaOrEnd && !st.stack.is_empty() {
                        let depth = st.stack.len();
                        if st.rec_len != 0 && depth == st.rec_len {
                            emit_record(st, &buf, i, on_event);
                        }
                        if depth == st.page_len {
                            emit_meta(st, &buf, i, on_event);
                        }
                        st.want = if st.stack.last() == Some(&b'{') {
                            Want::Key
                        } else {
                            Want::Value
                        };
                        Ok(())
                    } else {
                        Err(match st.want {
                            Want::Top => "a comma between top-level values",
                            Want::Colon => "a comma where `:` belongs",
                            _ => "a comma where a value belongs",
                        })
                    }
                }
                b':' => {
                    if st.want == Want::Colon {
                        st.want = Want::Value;
                        if st.stack.len() == st.page_len {
                            // Compared as bytes: every record's keys pass
                            // here, and a key that is not UTF-8 matches none.
                            let is = |k: &&str| k.as_bytes() == st.key.as_slice();
                            if st.envelope_keys.iter().any(is) {
                                st.env_pending = true;
                            } else if st.meta_keys.iter().any(is) {
                                st.meta_key = String::from_utf8_lossy(&st.key).into_owned();
                                st.meta_start = Some(i + 1);
                            }
                        }
                        Ok(())
                    } else {
                        Err("a `:` out of place")
                    }
                }
                _ if is_scalar_byte(b) => match st.want {
                    Want::Value | Want::ValueOrEnd => {
                        st.value_start(i, b);
                        if st.env_pending {
                            st.env_pending = false;
                        }
                        st.in_scalar = true;
                        st.want = Want::CommaOrEnd;
                        Ok(())
                    }
                    Want::Top => Err("text that is not JSON (expected `{` or `[`)"),
                    w => Err(unexpected(w)),
                },
                _ => Err(if st.want == Want::Top {
                    "text that is not JSON (expected `{` or `[`)"
                } else {
                    "a character that has no place in JSON"
                }),
            };
            if let Err(message) = outcome {
                fail(st, &buf, i, message, on_event)?;
                // The newline that ends a bad line counts as usual.
                pos = i;
            }
        }
    }
}

/// In a file known to be JSON lines, at the start of a top-level value:
/// the length of `rest`'s line (trailing white space left out) when that
/// line is certainly one object that is a record of its own, so that it can
/// be handed on without reading it byte by byte. That is when it starts
/// with `{` and ends with `}`, ends in this buffer, names no envelope or
/// meta key in quotes (it could be a page), and holds no `}` followed by
/// `{` or `[` (it could hold two values). Anything else (`None`) is read
/// by the grammar. A line that is none of these but is not valid JSON
/// either is a record its parser rejects, as one read deep inside is.
fn whole_line(st: &Scan<'_>, rest: &[u8]) -> Option<usize> {
    if rest.first() != Some(&b'{') {
        return None;
    }
    let line = trim_end(&rest[..memchr::memchr(b'\n', rest)?]);
    if line.last() != Some(&b'}') || st.quoted_keys.any_in(line) {
        return None;
    }
    for close in memchr::memchr_iter(b'}', line) {
        let next = line[close + 1..]
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\r'));
        if matches!(next, Some(b'{' | b'[')) {
            return None;
        }
    }
    Some(line.len())
}

/// Inside a string: the offset of the next `"`, `\\` or line break in
/// `rest`, if it holds one. Most strings are short (ids, numbers as text,
/// keys): their first bytes are looked at one by one before the vector
/// search, whose setup costs more than they do.
#[inline]
fn string_stop(rest: &[u8]) -> Option<usize> {
    let head = rest.len().min(16);
    let stop = |c: &u8| matches!(*c, b'"' | b'\\' | b'\n');
    rest[..head]
        .iter()
        .position(stop)
        .or_else(|| memchr::memchr3(b'"', b'\\', b'\n', &rest[head..]).map(|off| head + off))
}

/// Bytes [`deep_scan`] stops at outside strings.
static DEEP_STOPS: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'[' as usize] = true;
    t[b'}' as usize] = true;
    t[b']' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

/// Read on from `pos` inside a container deeper than any acting depth
/// (`st.deep`): strings are skipped, brackets counted and matched, lines
/// counted; nothing else is looked at (the record's parser checks its
/// grammar and says what is wrong with it). Returns where it stopped:
/// the end of `buf` (still deep), or a byte the full grammar must read,
/// with `st.deep` cleared and `st.want` a value's end: the bracket that
/// closes back to the acting depth, a bracket that does not match, a line
/// break inside a string, or one inside a value of a line-delimited file.
fn deep_scan(st: &mut Scan<'_>, buf: &[u8], mut pos: usize) -> usize {
    let floor = st.acting_depth();
    let leave = |st: &mut Scan<'_>| {
        st.deep = false;
        st.want = Want::CommaOrEnd;
    };
    loop {
        while st.in_str {
            if st.esc {
                if pos >= buf.len() {
                    return pos;
                }
                st.esc = false;
                pos += 1;
            }
            let Some(off) = string_stop(&buf[pos..]) else {
                return buf.len();
            };
            pos += off;
            match buf[pos] {
                b'"' => {
                    st.in_str = false;
                    pos += 1;
                }
                b'\\' => {
                    st.esc = true;
                    pos += 1;
                }
                _ => {
                    // A line break inside a string: the full grammar's error.
                    leave(st);
                    st.in_str = true;
                    return pos;
                }
            }
        }
        while pos < buf.len() && !DEEP_STOPS[buf[pos] as usize] {
            pos += 1;
        }
        let Some(&b) = buf.get(pos) else {
            return pos;
        };
        match b {
            b'"' => {
                st.in_str = true;
                st.str_is_key = false;
                pos += 1;
            }
            b'{' | b'[' => {
                st.stack.push(b);
                pos += 1;
            }
            b'}' | b']' => {
                let open = if b == b'}' { b'{' } else { b'[' };
                if st.stack.len() <= floor + 1 || st.stack.last() != Some(&open) {
                    leave(st);
                    return pos;
                }
                st.stack.pop();
                pos += 1;
            }
            _ => {
                // A line break inside a value.
                if st.lines_mode == Some(true) {
                    leave(st);
                    return pos;
                }
                st.lines_mode = Some(false);
                st.line += 1;
                st.line_start = st.base + pos as u64 + 1;
                pos += 1;
            }
        }
    }
}

/// Bytes that may make up a number or a literal.
fn is_scalar_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')
}

fn unexpected(w: Want) -> &'static str {
    match w {
        Want::Top => "text that is not JSON (expected `{` or `[`)",
        Want::Colon => "a missing `:` after a key",
        Want::CommaOrEnd => "a missing comma",
        Want::Key | Want::KeyOrEnd => "a key that is not a string",
        Want::Value | Want::ValueOrEnd => "a missing value",
    }
}

/// A grammar error at `i`: one bad line where the file is line-delimited
/// (reading goes on at the next line), else where reading stops.
fn fail(
    st: &mut Scan<'_>,
    buf: &[u8],
    i: usize,
    message: &str,
    on_event: &mut dyn FnMut(JsonEvent<'_>),
) -> Result<(), JsonStop> {
    st.note_fault(i, message);
    if !st.recoverable() {
        return Err(st.stop(i, format!("invalid JSON: {message}"), false));
    }
    let end = memchr::memchr(b'\n', &buf[i..]).map_or(buf.len(), |off| i + off);
    let message = format!(
        "invalid JSON at line {} column {}: {message}",
        st.line,
        st.col(i)
    );
    bad_line(st, buf, end, &message, on_event);
    // Skip the rest of the line (it may run past this buffer).
    st.skipping = true;
    Ok(())
}

/// Hand on the current line, from its value's start to `end`, as bad.
fn bad_line(
    st: &mut Scan<'_>,
    buf: &[u8],
    end: usize,
    message: &str,
    on_event: &mut dyn FnMut(JsonEvent<'_>),
) {
    let line_start = (st.line_start.saturating_sub(st.base)) as usize;
    let start = st.top_start.unwrap_or(line_start).min(end);
    st.count += 1;
    let at = RecordAt {
        n: st.count,
        line: st.line,
        col: st.col(start),
    };
    let raw = trim_end(&buf[start..end]);
    on_event(JsonEvent::Bad(at, message.to_string(), raw));
    st.reset();
}

fn trim_end(raw: &[u8]) -> &[u8] {
    let mut e = raw.len();
    while e > 0 && raw[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    &raw[..e]
}

/// A `}` or `]` at `i` that matches the open container.
fn close(st: &mut Scan<'_>, buf: &[u8], i: usize, b: u8, on_event: &mut dyn FnMut(JsonEvent<'_>)) {
    let depth = st.stack.len();
    if st.rec_len != 0 && depth == st.rec_len && b == b']' {
        // Closing the records array: the last element ends here.
        emit_record(st, buf, i, on_event);
        st.rec_len = 0;
    }
    if depth == st.page_len && b == b'}' {
        emit_meta(st, buf, i, on_event);
    }
    st.stack.pop();
    st.want = Want::CommaOrEnd;
    let depth = st.stack.len();
    if st.close_len != 0 && depth == st.close_len {
        // A single-record wrapper's record ends here.
        emit_record(st, buf, i + 1, on_event);
        st.close_len = 0;
    }
    if st.page_len != 0 && depth + 1 == st.page_len && b == b'}' {
        // The page candidate ends: a record of its own unless it was a page.
        if st.is_page {
            on_event(JsonEvent::EndOfPage);
        } else if depth == 0 {
            emit_record(st, buf, i + 1, on_event);
            on_event(JsonEvent::EndOfPage);
        }
        st.page_len = 0;
        st.is_page = false;
        if depth == 1 {
            // Back in a top-level array: its elements are records again.
            st.rec_len = 1;
        }
    }
    if depth == 0 {
        if b == b']' {
            on_event(JsonEvent::EndOfPage);
        }
        st.want = Want::Top;
        let one_line = st.top_line == st.line;
        st.lines_mode = match st.lines_mode {
            None => Some(one_line),
            Some(m) => Some(m && one_line),
        };
        st.top_start = None;
        st.rec_len = 0;
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

fn emit_record(st: &mut Scan<'_>, buf: &[u8], end: usize, on_event: &mut dyn FnMut(JsonEvent<'_>)) {
    if let Some(start) = st.rec_start.take() {
        st.count += 1;
        let raw = trim_end(&buf[start..end]);
        on_event(JsonEvent::Record(st.at(), raw));
    }
}

fn emit_meta(st: &mut Scan<'_>, buf: &[u8], end: usize, on_event: &mut dyn FnMut(JsonEvent<'_>)) {
    if let Some(start) = st.meta_start.take() {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&buf[start..end]) {
            on_event(JsonEvent::Meta(&st.meta_key, v));
        }
    }
}

/// `n` seeded mutations of `seeds` in turn (one to three edits each: a
/// byte deleted, a byte of `alphabet` inserted, a run of up to 8 bytes
/// doubled), for the tests that compare two readings on faulty input.
#[cfg(test)]
pub(crate) fn mutations(seeds: &[&str], alphabet: &[u8], seed: u64, n: usize) -> Vec<Vec<u8>> {
    let mut state = seed;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    (0..n)
        .map(|case| {
            let mut text = seeds[case % seeds.len()].as_bytes().to_vec();
            for _ in 0..1 + next(3) {
                let at = next(text.len().max(1));
                match next(3) {
                    0 if !text.is_empty() => {
                        text.remove(at);
                    }
                    1 => text.insert(at.min(text.len()), alphabet[next(alphabet.len())]),
                    _ => {
                        let at = at.min(text.len());
                        let end = (at + 1 + next(8)).min(text.len());
                        let piece = text[at..end].to_vec();
                        text.splice(at..at, piece);
                    }
                }
            }
            text
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str, keys: &[&str]) -> (Vec<String>, Result<u64, JsonStop>) {
        let mut out = Vec::new();
        let r = read_records(text.as_bytes(), keys, &["time_zone"], &mut |e| match e {
            JsonEvent::Record(at, raw) => out.push(format!(
                "{}@{}:{}:{}",
                at.n,
                at.line,
                at.col,
                String::from_utf8_lossy(raw)
            )),
            JsonEvent::Bad(at, why, raw) => out.push(format!(
                "bad {}@{}:{}:{} ({why})",
                at.n,
                at.line,
                at.col,
                String::from_utf8_lossy(raw)
            )),
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
                "1@1:27:{\"id\":1}",
                "2@1:36:{\"id\":\"a,]}\"}",
                "end",
                "3@2:16:{\"id\":3}",
                "end",
                "4@3:2:{\"id\":4}",
                "5@3:12:5",
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
            vec![
                "1@1:32:{\"tags\":[\"a\",\"b\"],\"x\":{\"data\":[1]}}",
                "end"
            ]
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
            vec![
                "1@1:10:{\"a\":1}",
                "meta time_zone=\"Europe/Berlin\"",
                "end"
            ]
        );
    }

    #[test]
    fn pretty_printed_documents_and_bare_records() {
        // One pretty-printed payload with tabs, then a second document
        // appended, then a JSON line: each object without an envelope key
        // is a record of its own.
        let text = "\u{feff}{\n\t\"receiver\": \"pager\",\n\t\"alerts\": [\n\t\t{\"a\": 1}\n\t]\n}\n{\n  \"receiver\": \"b\"\n}\n{\"receiver\":\"c\"}\n";
        let (out, r) = collect(text, &["data"]);
        assert_eq!(r.unwrap(), 3);
        let out: Vec<_> = out.into_iter().filter(|e| e != "end").collect();
        assert_eq!(out.len(), 3);
        assert!(out[0].starts_with("1@1:4:{\n\t\"receiver\""), "{}", out[0]);
        assert!(out[0].ends_with("]\n}"), "{}", out[0]);
        assert_eq!(out[1], "2@7:1:{\n  \"receiver\": \"b\"\n}");
        assert_eq!(out[2], "3@10:1:{\"receiver\":\"c\"}");
    }

    #[test]
    fn single_record_wrappers_and_arrays_of_pages() {
        let (out, r) = collect(
            "{\"data\": {\"id\": \"x\", \"tags\": [1]}, \"took\": 0.1}\n[{\"data\":[{\"id\":1},{\"id\":2}]},{\"data\":[{\"id\":3}]}]\n{\"data\": null}",
            &["data"],
        );
        assert_eq!(r.unwrap(), 4);
        assert_eq!(
            out,
            vec![
                "1@1:10:{\"id\": \"x\", \"tags\": [1]}",
                "end",
                "2@2:11:{\"id\":1}",
                "3@2:20:{\"id\":2}",
                "end",
                "4@2:40:{\"id\":3}",
                "end",
                "end",
                "end"
            ]
        );
    }

    #[test]
    fn truncation_keeps_earlier_records() {
        let (out, r) = collect("{\"data\":[{\"a\":1},\n{\"a\":2},\n{\"a\":", &["data"]);
        let stop = r.unwrap_err();
        assert!(stop.truncated);
        assert_eq!(stop.records, 2);
        assert_eq!(stop.line, 3);
        assert_eq!(out, vec!["1@1:10:{\"a\":1}", "2@2:1:{\"a\":2}"]);
    }

    #[test]
    fn trailing_comma_names_line_and_column() {
        let (out, r) = collect("{\n  \"data\": [\n    {\"a\": 1},\n  ]\n}\n", &["data"]);
        let stop = r.unwrap_err();
        assert!(!stop.truncated);
        assert_eq!((stop.line, stop.col), (4, 3), "{}", stop.message);
        assert!(stop.message.contains("trailing comma"), "{}", stop.message);
        assert_eq!(out, vec!["1@3:5:{\"a\": 1}"]);
        // A missing comma between records, on a line of its own: one bad
        // line.
        let (out, r) = collect("[{\"a\":1} {\"a\":2}]", &[]);
        assert_eq!(r.unwrap(), 1);
        assert_eq!(
            out,
            vec!["bad 1@1:1:[{\"a\":1} {\"a\":2}] (invalid JSON at line 1 column 10: a missing comma)"]
        );
    }

    #[test]
    fn a_bad_json_line_is_one_bad_record() {
        let text = "{\"a\":1}\n{\"a\":2,}\n{\"a\":\n{\"a\":4}\n{\"b\":[1,2\n{\"c\":[";
        let (out, r) = collect(text, &["data"]);
        assert_eq!(r.unwrap(), 6);
        assert_eq!(
            out,
            vec![
                "1@1:1:{\"a\":1}",
                "end",
                // A whole line that looks like one object is handed on; its
                // parser rejects it, said as the grammar would (below).
                "2@2:1:{\"a\":2,}",
                "end",
                "bad 3@3:1:{\"a\": (invalid JSON at line 3 column 6: the line ends inside a JSON value (a truncated line))",
                "4@4:1:{\"a\":4}",
                "end",
                "bad 5@5:1:{\"b\":[1,2 (invalid JSON at line 5 column 10: the line ends inside a JSON value (a truncated line))",
                "bad 6@6:1:{\"c\":[ (invalid JSON at line 6 column 7: the file ends inside a JSON value (a truncated line))",
            ]
        );
        let at = RecordAt {
            n: 2,
            line: 2,
            col: 1,
        };
        assert_eq!(
            explain(b"{\"a\":2,}", at, "a parser's words".into()),
            "invalid JSON at line 2 column 8: a trailing comma"
        );
    }

    #[test]
    fn junk_is_an_error_where_the_file_is_not_line_delimited() {
        let (_, r) = collect("[\n{\"a\":1}\n]\nhello", &["data"]);
        let stop = r.unwrap_err();
        assert!(stop.message.contains("not JSON"), "{}", stop.message);
        assert_eq!((stop.line, stop.col), (4, 1));
    }

    #[test]
    fn explain_gives_the_files_position() {
        let at = RecordAt {
            n: 3,
            line: 10,
            col: 5,
        };
        // serde_json's own position, moved to where the record starts.
        let raw = b"{\"a\": tru}";
        let e = serde_json::from_slice::<serde_json::Value>(raw).unwrap_err();
        let why = explain(raw, at, "x".into());
        let want = format!("invalid JSON at line 10 column {}: ", 5 + e.column() - 1);
        assert!(why.starts_with(&want), "{why} / {want}");
        let raw = b"{\n\"a\": 1,\n\"b\" 2}";
        let e = serde_json::from_slice::<serde_json::Value>(raw).unwrap_err();
        assert_eq!(e.line(), 3);
        let why = explain(raw, at, "x".into());
        let want = format!("invalid JSON at line 12 column {}: ", e.column());
        assert!(why.starts_with(&want), "{why} / {want}");
        assert!(!why.contains(" at line 3"), "{why}");
        assert_eq!(explain(b"{\"a\": 1}", at, "x".into()), "x");
        // A valid record of the wrong shape: serde_json's position too.
        assert_eq!(
            explain(
                b"{\"a\": 1}",
                at,
                "missing field `b` at line 1 column 8".into()
            ),
            "missing field `b` at line 10 column 12"
        );
    }

    #[test]
    fn numbers_as_text_and_ids_as_numbers() {
        #[derive(serde::Deserialize)]
        struct R {
            #[serde(default, deserialize_with = "opt_num")]
            n: Option<u32>,
            #[serde(default, deserialize_with = "opt_num")]
            ms: Option<f64>,
            #[serde(default, deserialize_with = "opt_text")]
            id: Option<String>,
        }
        let r: R = serde_json::from_str(r#"{"n": "12", "ms": "15702", "id": 9007199254740993}"#)
            .expect("reads");
        assert_eq!((r.n, r.ms), (Some(12), Some(15702.0)));
        // 2^53 + 1: a float would make it ...992.
        assert_eq!(r.id.as_deref(), Some("9007199254740993"));
        let r: R = serde_json::from_str(r#"{"n": 7, "ms": null, "id": "a"}"#).expect("reads");
        assert_eq!((r.n, r.ms, r.id.as_deref()), (Some(7), None, Some("a")));
        let r: R = serde_json::from_str(r#"{"n": " "}"#).expect("reads");
        assert_eq!(r.n, None);
        assert!(serde_json::from_str::<R>(r#"{"n": "x"}"#).is_err());
        assert!(serde_json::from_str::<R>(r#"{"n": -1}"#).is_err());
    }

    /// Every event of a scan, as text; with `full`, no deep scanning.
    fn scan_events(text: &[u8], full: bool) -> (Vec<String>, Result<u64, String>) {
        let mut out = Vec::new();
        let r = scan_records(
            text,
            &["data", "incidents"],
            &["time_zone"],
            full,
            &mut |e| {
                out.push(match e {
                    JsonEvent::Record(at, raw) => format!(
                        "rec {}@{}:{} {}",
                        at.n,
                        at.line,
                        at.col,
                        String::from_utf8_lossy(raw)
                    ),
                    JsonEvent::Bad(at, why, raw) => format!(
                        "bad {}@{}:{} {why} {}",
                        at.n,
                        at.line,
                        at.col,
                        String::from_utf8_lossy(raw)
                    ),
                    JsonEvent::Meta(k, v) => format!("meta {k}={v}"),
                    JsonEvent::EndOfPage => "end".into(),
                })
            },
        );
        (out, r.0.map_err(|s| s.message))
    }

    /// Deep scanning (the inside of records by strings and brackets only)
    /// splits every input the full grammar finds no fault in exactly as the
    /// full grammar does (records, their places, pages, meta keys), and
    /// reads every input, faulty or not, without a panic: 20,000 random
    /// mutations (bytes deleted, inserted, doubled) of pages, bare arrays,
    /// JSON lines, wrappers and pretty-printed documents with nested values.
    #[test]
    fn deep_scanning_splits_as_the_full_grammar_does() {
        let docs: [&str; 7] = [
            "{\"time_zone\":\"UTC\",\"data\":[{\"id\":\"a\",\"tags\":[\"x\",{\"k\":[1,2]}],\"n\":{\"m\":\"}]\\\"\"}},{\"id\":2}],\"more\":false}",
            "[{\"id\":1,\"d\":{\"e\":[[],{}]}},{\"incidents\":[{\"id\":3,\"x\":[true,null]}]},7]",
            "{\"id\":1,\"a\":{\"b\":[1]}}\n{\"id\":2,\"a\":{\"b\":\"[\"}}\n{\"data\":[{\"id\":3}]}\n",
            "{\"data\":{\"id\":\"one\",\"nested\":{\"deep\":{\"deeper\":[1,[2,[3]]]}}}}",
            "{\n  \"data\": [\n    {\n      \"id\": \"p1\",\n      \"details\": {\n        \"a\": [1, 2],\n        \"b\": \"x\\ny\"\n      }\n    },\n    {\"id\": \"p2\"}\n  ]\n}\n",
            "[\n  {\n    \"id\": 1,\n    \"v\": {\"w\": {}}\n  },\n  {\n    \"id\": 2\n  }\n]\n",
            // JSON lines (most of them handed on whole: `whole_line`).
            "{\"id\":0}\n{\"id\":1,\"t\":\"[On {h:a}] x\"}\n{\"id\":2,\"b\":\"} {\"}\n{\"id\":3} {\"id\":4}\n{\"id\":5,\"n\":{\"m\":[1,{\"k\":\"v\"}]}}\r\n{\"id\":6,\"time_zone\":\"x\"}\n{\"id\":7,\"s\":\"\\\"data\\\"\"}\n",
        ];
        for doc in docs {
            let (full, r) = scan_events(doc.as_bytes(), true);
            assert!(
                r.is_ok() && !full.iter().any(|e| e.starts_with("bad")),
                "{doc}"
            );
            assert_eq!(scan_events(doc.as_bytes(), false), (full, r), "{doc}");
        }
        let mut agreed = 0;
        for text in mutations(&docs, b"{}[]\",:\n \\a1", 0x9E37_79B9_7F4A_7C15, 20_000) {
            let (full, r) = scan_events(&text, true);
            let deep = scan_events(&text, false);
            if r.is_ok() && !full.iter().any(|e| e.starts_with("bad")) {
                assert_eq!(deep, (full, r), "{}", String::from_utf8_lossy(&text));
                agreed += 1;
            }
        }
        // The comparison ran on a fair share of the cases.
        assert!(agreed > 1_000, "{agreed}");
    }

    #[test]
    fn quoted_keys_are_found_both_ways() {
        let keys = ["data", "meta"];
        let packed = QuotedKeys::new(keys.iter());
        let each = QuotedKeys {
            packed: None,
            ..QuotedKeys::new([].iter())
        };
        let each = QuotedKeys {
            each: keys
                .iter()
                .map(|k| memchr::memmem::Finder::new(format!("\"{k}\"").as_bytes()).into_owned())
                .collect(),
            ..each
        };
        for (text, holds) in [
            (&br#"{"id":1,"meta":{}}"#[..], true),
            (br#"{"data":[]}"#, true),
            (br#"{"x":"data"}"#, true),
            (br#"{"database":1,"metadata":"d"}"#, false),
            (br#"{"id":"da\"ta"}"#, false),
            (b"", false),
        ] {
            assert_eq!(
                packed.any_in(text),
                holds,
                "{}",
                String::from_utf8_lossy(text)
            );
            assert_eq!(
                each.any_in(text),
                holds,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        assert!(!QuotedKeys::new([].iter()).any_in(br#"{"data":1}"#));
    }

    #[test]
    fn records_split_across_buffer_refills() {
        // Many records, so the scanner carries partial records across
        // 4 MiB reads.
        let rec = format!("{{\"id\":\"{}\"}}", "x".repeat(1000));
        let text = format!("{{\"data\":[{}]}}", vec![rec.as_str(); 10_000].join(","));
        let mut n = 0;
        let r = read_records(text.as_bytes(), &["data"], &[], &mut |e| {
            if let JsonEvent::Record(_, raw) = e {
                assert_eq!(raw, rec.as_bytes());
                n += 1;
            }
        });
        assert_eq!(r.unwrap(), 10_000);
        assert_eq!(n, 10_000);
        // And a pretty document larger than a buffer, as one record.
        let big = format!(
            "{{\n\"alerts\": [\n{}\n]\n}}\n",
            vec![rec.as_str(); 10_000].join(",\n")
        );
        let mut got = Vec::new();
        let r = read_records(big.as_bytes(), &["data"], &[], &mut |e| {
            if let JsonEvent::Record(at, raw) = e {
                got.push((at, raw.len()));
            }
        });
        assert_eq!(r.unwrap(), 1);
        assert_eq!(
            got,
            vec![(
                RecordAt {
                    n: 1,
                    line: 1,
                    col: 1
                },
                big.trim_end().len()
            )]
        );
    }
}
