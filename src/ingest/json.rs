//! Streaming reader for vendor JSON exports.
//!
//! A file is one or more JSON values separated by white space (one page, pages
//! concatenated, or pages as JSON lines). Each value is either an envelope
//! object whose record array sits under one of the format's keys
//! (`{"incidents": [...]}`, `{"data": [...]}`), or a bare array of records.
//! Records are handed over one at a time as raw JSON, so a multi-gigabyte page
//! never becomes one big tree, and the records before a truncation are kept.

use std::fmt;
use std::io::BufRead;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// What the reader hands to the adapter.
pub enum JsonEvent<'a> {
    /// A scalar or object of the envelope under one of the wanted meta keys
    /// (`time_zone` of a PagerDuty Analytics page).
    Meta(&'a str, serde_json::Value),
    /// One record, as raw JSON text, with its 1-based number in the file.
    Record(u64, Box<RawValue>),
    /// The end of one top-level value (a page).
    EndOfPage,
}

/// Why reading stopped early.
#[derive(Debug)]
pub struct JsonStop {
    /// The parser's message, with line and column.
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

/// Read every record; returns the number of records, or where it stopped.
pub fn read_records<R: BufRead>(
    reader: R,
    envelope_keys: &[&str],
    meta_keys: &[&str],
    on_event: &mut dyn FnMut(JsonEvent<'_>),
) -> Result<u64, JsonStop> {
    let mut count = 0u64;
    let mut reader = LineCount {
        inner: reader,
        newlines: 0,
    };
    loop {
        // Skip white space between top-level values, counting lines.
        loop {
            let line = reader.newlines + 1;
            let buf = match reader.fill_buf() {
                Ok(b) => b,
                Err(e) => {
                    return Err(JsonStop {
                        message: e.to_string(),
                        line,
                        truncated: false,
                        records: count,
                    })
                }
            };
            if buf.is_empty() {
                return Ok(count);
            }
            let ws = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let done = ws < buf.len();
            reader.consume(ws);
            if done {
                break;
            }
        }
        let line = reader.newlines + 1;
        let mut de = serde_json::Deserializer::from_reader(&mut reader);
        let seed = TopSeed {
            envelope_keys,
            meta_keys,
            count: &mut count,
            on_event: &mut *on_event,
        };
        match seed.deserialize(&mut de) {
            Ok(()) => on_event(JsonEvent::EndOfPage),
            Err(e) => {
                return Err(JsonStop {
                    truncated: e.is_eof(),
                    line: line + e.line() as u64 - 1,
                    message: e.to_string(),
                    records: count,
                })
            }
        }
    }
}

/// Counts the newlines the parser consumes, for error positions.
struct LineCount<R> {
    inner: R,
    newlines: u64,
}

impl<R: BufRead> std::io::Read for LineCount<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.newlines += out[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCount<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = n.min(buf.len());
            self.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.inner.consume(n);
    }
}

struct TopSeed<'a, 'b> {
    envelope_keys: &'a [&'a str],
    meta_keys: &'a [&'a str],
    count: &'a mut u64,
    on_event: &'a mut (dyn FnMut(JsonEvent<'_>) + 'b),
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an object with one of the keys {:?}, or an array of records",
            self.envelope_keys
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if self.envelope_keys.contains(&key.as_str()) {
                found = true;
                map.next_value_seed(RecordsSeed {
                    count: &mut *self.count,
                    on_event: &mut *self.on_event,
                })?;
            } else if self.meta_keys.contains(&key.as_str()) {
                let v: serde_json::Value = map.next_value()?;
                (self.on_event)(JsonEvent::Meta(&key, v));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !found {
            return Err(serde::de::Error::custom(format!(
                "the object has none of the keys {:?} that hold the records",
                self.envelope_keys
            )));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        RecordsSeed {
            count: self.count,
            on_event: self.on_event,
        }
        .visit_seq(seq)
    }
}

struct RecordsSeed<'a, 'b> {
    count: &'a mut u64,
    on_event: &'a mut (dyn FnMut(JsonEvent<'_>) + 'b),
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            *self.count += 1;
            (self.on_event)(JsonEvent::Record(*self.count, raw));
        }
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        // `"incidents": null` — an empty page.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str, keys: &[&str]) -> (Vec<String>, Result<u64, JsonStop>) {
        let mut out = Vec::new();
        let r = read_records(text.as_bytes(), keys, &["time_zone"], &mut |e| match e {
            JsonEvent::Record(n, raw) => out.push(format!("{n}:{}", raw.get())),
            JsonEvent::Meta(k, v) => out.push(format!("meta {k}={v}")),
            JsonEvent::EndOfPage => out.push("end".into()),
        });
        (out, r)
    }

    #[test]
    fn pages_and_bare_arrays() {
        let (out, r) = collect(
            "{\"more\":true,\"incidents\":[{\"id\":1},{\"id\":2}]}\n{\"incidents\":[{\"id\":3}]}\n[{\"id\":4}]",
            &["incidents"],
        );
        assert_eq!(r.unwrap(), 4);
        assert_eq!(
            out,
            vec![
                "1:{\"id\":1}",
                "2:{\"id\":2}",
                "end",
                "3:{\"id\":3}",
                "end",
                "4:{\"id\":4}",
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
            vec!["1:{\"a\":1}", "meta time_zone=\"Europe/Berlin\"", "end"]
        );
    }

    #[test]
    fn truncation_keeps_earlier_records() {
        let (out, r) = collect("{\"data\":[{\"a\":1},\n{\"a\":2},\n{\"a\":", &["data"]);
        let stop = r.unwrap_err();
        assert!(stop.truncated);
        assert_eq!(stop.records, 2);
        assert_eq!(stop.line, 3);
        assert_eq!(out, vec!["1:{\"a\":1}", "2:{\"a\":2}"]);
    }

    #[test]
    fn wrong_envelope_is_an_error() {
        let (_, r) = collect("{\"other\":[1]}", &["data"]);
        let stop = r.unwrap_err();
        assert!(!stop.truncated);
        assert!(stop.message.contains("data"), "{}", stop.message);
    }
}
