//! Text encodings of exports: UTF-8 (with or without a byte order mark) as
//! it is; UTF-16 with its mark (what Windows PowerShell writes) decoded,
//! for every format; CSV that is not UTF-8 read as Windows-1252.
//!
//! Spreadsheet programs and older help desks save CSV in Windows-1252 (a
//! superset of Latin-1 for the printable range). [`Decoding`] passes UTF-8
//! through untouched, and switches to decoding Windows-1252 at the first
//! byte sequence that is not UTF-8, provided every byte before it was ASCII
//! (which both encodings read alike). A file that held real UTF-8 before a
//! stray byte stays UTF-8: its rows with the bad bytes are rejected as
//! before. Whether it switched is shared through [`Decoding::switched`], for
//! the input's notes.

use std::io::{BufRead, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Windows-1252's 0x80–0x9F (WHATWG's table: the five undefined bytes map
/// to the C1 controls of the same number).
const C1: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// One Windows-1252 byte as a character.
pub fn cp1252(b: u8) -> char {
    match b {
        0x80..=0x9F => C1[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// Append the Windows-1252 text `bytes` to `out` as UTF-8.
pub fn push_cp1252(bytes: &[u8], out: &mut Vec<u8>) {
    let mut tmp = [0u8; 4];
    for &b in bytes {
        if b.is_ascii() {
            out.push(b);
        } else {
            out.extend_from_slice(cp1252(b).encode_utf8(&mut tmp).as_bytes());
        }
    }
}

/// How a [`Blocks`] reader turns raw bytes into UTF-8.
pub trait Decode {
    /// Move what can be decoded from the front of `raw` to `out`, leaving
    /// an incomplete sequence at its end for the next block (unless `eof`).
    fn decode(&mut self, raw: &mut Vec<u8>, eof: bool, out: &mut Vec<u8>);
}

/// A reader of UTF-8 over another reader, decoding a block at a time.
pub struct Blocks<R, D> {
    inner: R,
    decoder: D,
    /// Raw bytes read and not yet decoded.
    raw: Vec<u8>,
    /// Decoded bytes ready to hand on, from `pos`.
    out: Vec<u8>,
    pos: usize,
    eof: bool,
}

const BLOCK: usize = 256 * 1024;

impl<R: Read, D: Decode> Blocks<R, D> {
    fn with(inner: R, decoder: D) -> Self {
        Blocks {
            inner,
            decoder,
            raw: Vec::with_capacity(BLOCK + 4),
            out: Vec::new(),
            pos: 0,
            eof: false,
        }
    }

    /// Read and decode the next block into `out`.
    fn fill(&mut self) -> std::io::Result<()> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() && !self.eof {
            let old = self.raw.len();
            self.raw.resize(old + BLOCK, 0);
            let n = loop {
                match self.inner.read(&mut self.raw[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.raw.truncate(old);
                        return Err(e);
                    }
                }
            };
            self.raw.truncate(old + n);
            self.eof = n == 0;
            self.decoder.decode(&mut self.raw, self.eof, &mut self.out);
        }
        Ok(())
    }
}

impl<R: Read, D: Decode> Read for Blocks<R, D> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read, D: Decode> BufRead for Blocks<R, D> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos >= self.out.len() {
            self.fill()?;
        }
        Ok(&self.out[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.out.len());
    }
}

/// UTF-8 as it is, else Windows-1252 (see the module's docs).
pub struct Utf8OrCp1252 {
    /// A byte above 0x7F was handed on as UTF-8.
    seen_utf8: bool,
    switched: Arc<AtomicBool>,
}

impl Decode for Utf8OrCp1252 {
    fn decode(&mut self, raw: &mut Vec<u8>, eof: bool, out: &mut Vec<u8>) {
        if self.switched.load(Ordering::Relaxed) {
            push_cp1252(raw, out);
            raw.clear();
            return;
        }
        let valid = match std::str::from_utf8(raw) {
            Ok(_) => raw.len(),
            // An incomplete sequence at the end: wait for the rest.
            Err(e) if e.error_len().is_none() && !eof => e.valid_up_to(),
            // Real UTF-8 before the fault: it stays UTF-8.
            Err(e) if !self.seen_utf8 && !raw[..e.valid_up_to()].is_ascii() => raw.len(),
            Err(_) if !self.seen_utf8 => {
                self.switched.store(true, Ordering::Relaxed);
                push_cp1252(raw, out);
                raw.clear();
                return;
            }
            Err(_) => raw.len(),
        };
        if !self.seen_utf8 && !raw[..valid].is_ascii() {
            self.seen_utf8 = true;
        }
        out.extend_from_slice(&raw[..valid]);
        raw.drain(..valid);
    }
}

/// A reader of UTF-8 text over a reader of UTF-8 or Windows-1252 bytes.
pub type Decoding<R> = Blocks<R, Utf8OrCp1252>;

impl<R: Read> Blocks<R, Utf8OrCp1252> {
    /// Decode `inner`.
    pub fn new(inner: R) -> Self {
        Self::with_flag(inner, Arc::new(AtomicBool::new(false)))
    }

    /// Decode `inner`, setting `switched` if it switches to Windows-1252.
    pub fn with_flag(inner: R, switched: Arc<AtomicBool>) -> Self {
        Blocks::with(
            inner,
            Utf8OrCp1252 {
                seen_utf8: false,
                switched,
            },
        )
    }

    /// Set once the reader has switched to Windows-1252.
    pub fn switched(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.decoder.switched)
    }
}

/// UTF-16 code units of one byte order. A lone surrogate becomes U+FFFD.
pub struct Utf16Units {
    big_endian: bool,
}

impl Decode for Utf16Units {
    fn decode(&mut self, raw: &mut Vec<u8>, eof: bool, out: &mut Vec<u8>) {
        let unit = |p: &[u8]| {
            if self.big_endian {
                u16::from_be_bytes([p[0], p[1]])
            } else {
                u16::from_le_bytes([p[0], p[1]])
            }
        };
        let mut take = raw.len() / 2;
        // A trailing high surrogate waits for its pair (an odd byte too).
        if !eof && take > 0 && (0xD800..0xDC00).contains(&unit(&raw[2 * take - 2..])) {
            take -= 1;
        }
        let units = raw[..2 * take].chunks_exact(2).map(unit);
        let mut tmp = [0u8; 4];
        for c in char::decode_utf16(units) {
            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
            out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
        }
        raw.drain(..2 * take);
        if eof && !raw.is_empty() {
            // An odd last byte.
            out.extend_from_slice(char::REPLACEMENT_CHARACTER.encode_utf8(&mut tmp).as_bytes());
            raw.clear();
        }
    }
}

/// A reader of UTF-8 over a reader of UTF-16 (little- or big-endian, as the
/// byte order mark `FF FE` / `FE FF` that must start it says): what
/// Windows PowerShell 5 writes with `>` or `Out-File`.
pub type Utf16<R> = Blocks<R, Utf16Units>;

impl<R: Read> Blocks<R, Utf16Units> {
    /// Decode `inner`, whose first two bytes (the mark) were already read.
    pub fn utf16(inner: R, big_endian: bool) -> Self {
        Blocks::with(inner, Utf16Units { big_endian })
    }
}

/// The UTF-16 byte order a file's first bytes announce: `Some(true)` big-
/// endian, `Some(false)` little-endian, `None` no UTF-16 mark.
pub fn utf16_mark(head: &[u8]) -> Option<bool> {
    match head {
        [0xFF, 0xFE, ..] => Some(false),
        [0xFE, 0xFF, ..] => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (String, bool) {
        let mut d = Decoding::new(bytes);
        let switched = d.switched();
        let mut out = String::new();
        d.read_to_string(&mut out).expect("decodes");
        (out, switched.load(Ordering::Relaxed))
    }

    #[test]
    fn utf8_passes_through() {
        let text = "a,b\n\u{e9}t\u{e9},\u{20ac}5\n";
        assert_eq!(decode(text.as_bytes()), (text.to_string(), false));
    }

    #[test]
    fn windows_1252_is_decoded() {
        // "Café – 5 €" in Windows-1252: é = E9, – = 96, € = 80.
        let bytes = b"name,note\nCaf\xe9,\x96 5 \x80\n";
        let (text, switched) = decode(bytes);
        assert!(switched);
        assert_eq!(text, "name,note\nCaf\u{e9},\u{2013} 5 \u{20ac}\n");
    }

    #[test]
    fn a_stray_byte_after_real_utf8_is_left_alone() {
        let bytes = b"\xc3\xa9\n\xe9\n";
        let mut d = Decoding::new(&bytes[..]);
        let mut out = Vec::new();
        d.read_to_end(&mut out).expect("reads");
        assert_eq!(out, bytes);
        assert!(!d.switched().load(Ordering::Relaxed));
    }

    #[test]
    fn utf16_with_a_mark_becomes_utf8() {
        let text = "{\"title\": \"Caf\u{e9} \u{1F525}\"}\r\n";
        for big in [false, true] {
            let mut bytes = Vec::new();
            for u in text.encode_utf16() {
                bytes.extend_from_slice(&if big {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                });
            }
            let mut out = String::new();
            Utf16::utf16(bytes.as_slice(), big)
                .read_to_string(&mut out)
                .expect("decodes");
            assert_eq!(out, text);
        }
        assert_eq!(utf16_mark(&[0xFF, 0xFE, b'{']), Some(false));
        assert_eq!(utf16_mark(&[0xFE, 0xFF]), Some(true));
        assert_eq!(utf16_mark(b"{}"), None);
    }

    #[test]
    fn sequences_split_across_blocks_stay_whole() {
        // An é (two bytes) straddling the block boundary.
        let mut bytes = vec![b'a'; BLOCK - 1];
        bytes.extend_from_slice("\u{e9}z".as_bytes());
        let (text, switched) = decode(&bytes);
        assert!(!switched);
        assert!(text.ends_with("a\u{e9}z"));
        assert_eq!(text.len(), bytes.len());
    }
}
