//! A borrowing JSON scanner for the hot loop of a line-oriented adapter.
//!
//! It accepts exactly JSON's grammar (RFC 8259: strings with their escapes,
//! numbers, literals, nesting up to serde_json's depth of 128) and hands back
//! strings borrowed from the text when they hold no escape. It says nothing
//! about *why* a text is wrong: on any error it returns [`Bad`], and the
//! caller parses the same text again with serde_json, whose message goes to
//! the rejects file. So this scanner only has to be right when it succeeds,
//! and there it must agree with serde_json (tested on the fixtures, the real
//! capture and hand-made malformed lines in the adapter's tests).
//!
//! Why not serde_json alone: an Alertmanager payload line is ~850 bytes of
//! which the adapter reads a tenth; serde_json's skipping of the rest, plus
//! reading each alert twice (once as a raw value, once as a struct), cost
//! about 5 µs a line, most of a 10M-alert ingest.
//!
//! Length: about 480 lines of code and 150 of tests.

use std::borrow::Cow;

/// The text is not what the caller expected (or not JSON): parse it again
/// with serde_json for the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bad;

/// A scan result.
pub type Res<T> = Result<T, Bad>;

/// serde_json's recursion limit: deeper nesting is an error there too.
const MAX_DEPTH: u32 = 128;

/// Fill a field's slot: a field given twice is [`Bad`] (serde_json's
/// derived structs refuse a duplicate field too).
pub fn once<T>(slot: &mut Option<T>, value: T) -> Res<()> {
    match slot.replace(value) {
        None => Ok(()),
        Some(_) => Err(Bad),
    }
}

/// A cursor over one JSON text.
pub struct Scanner<'a> {
    text: &'a str,
    i: usize,
    depth: u32,
}

/// Where a scanner is, to go back to.
#[derive(Clone, Copy)]
pub struct Mark {
    i: usize,
    depth: u32,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`.
    pub fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            i: 0,
            depth: 0,
        }
    }

    /// The whole text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Skip white space and say where the next value starts.
    pub fn mark(&mut self) -> Mark {
        self.ws();
        Mark {
            i: self.i,
            depth: self.depth,
        }
    }

    /// Go back to a mark.
    pub fn reset(&mut self, m: Mark) {
        self.i = m.i;
        self.depth = m.depth;
    }

    /// The text from a mark to here.
    pub fn since(&self, m: Mark) -> Res<&'a str> {
        self.text.get(m.i..self.i).ok_or(Bad)
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn ws(&mut self) {
        let b = self.bytes();
        while let Some(c) = b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// The next byte that is not white space.
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes().get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Res<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(Bad)
        }
    }

    /// Only white space is left.
    pub fn end(&mut self) -> Res<()> {
        self.ws();
        if self.i == self.text.len() {
            Ok(())
        } else {
            Err(Bad)
        }
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(Bad)
        } else {
            Ok(())
        }
    }

    /// An object: `member` is called with each key, the scanner at its
    /// value, and must consume the value. A key with an escape in it is
    /// [`Bad`]: serde_json would match `"\u0073tatus"` to `status`, and no
    /// export writes keys so.
    pub fn object(
        &mut self,
        mut member: impl FnMut(&mut Scanner<'a>, &'a str) -> Res<()>,
    ) -> Res<()> {
        self.items(b'{', b'}', |s| {
            let key = s.key()?;
            s.eat(b':')?;
            member(s, key)
        })
    }

    /// An array: `element` is called with the scanner at each element and
    /// must consume it.
    pub fn array(&mut self, element: impl FnMut(&mut Scanner<'a>) -> Res<()>) -> Res<()> {
        self.items(b'[', b']', element)
    }

    /// `open`, items separated by commas (`item` consumes one), `close`.
    fn items(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Scanner<'a>) -> Res<()>,
    ) -> Res<()> {
        self.eat(open)?;
        self.enter()?;
        if self.peek() != Some(close) {
            loop {
                item(self)?;
                match self.peek() {
                    Some(b',') => self.i += 1,
                    Some(c) if c == close => break,
                    _ => return Err(Bad),
                }
            }
        }
        self.i += 1;
        self.depth -= 1;
        Ok(())
    }

    /// `null`, consumed: true; anything else is left alone: false.
    pub fn null(&mut self) -> bool {
        if self.peek() == Some(b'n') && self.bytes()[self.i..].starts_with(b"null") {
            self.i += 4;
            true
        } else {
            false
        }
    }

    /// A string, borrowed when it holds no escape.
    pub fn string(&mut self) -> Res<Cow<'a, str>> {
        self.eat(b'"')?;
        let b = self.bytes();
        let mut segment = self.i;
        let mut owned: Option<String> = None;
        let mut i = self.i;
        loop {
            i = special(b, i);
            match b.get(i) {
                Some(b'"') => {
                    // Quotes and backslashes are ASCII, so both ends are
                    // character boundaries of the (valid UTF-8) text.
                    let tail = self.text.get(segment..i).ok_or(Bad)?;
                    self.i = i + 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut s) => {
                            s.push_str(tail);
                            Cow::Owned(s)
                        }
                    });
                }
                Some(b'\\') => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.text.get(segment..i).ok_or(Bad)?);
                    i = unescape(b, i + 1, s)?;
                    segment = i;
                }
                // A control character, or the end of the text.
                _ => return Err(Bad),
            }
        }
    }

    /// A key: a string with no escape in it, as text (whole
    /// characters: it lies between two quotes); anything else is [`Bad`].
    fn key(&mut self) -> Res<&'a str> {
        self.eat(b'"')?;
        let b = self.bytes();
        let end = special(b, self.i);
        if b.get(end) != Some(&b'"') {
            return Err(Bad);
        }
        // Quotes are ASCII: both ends are character boundaries.
        let key = self.text.get(self.i..end).ok_or(Bad)?;
        self.i = end + 1;
        Ok(key)
    }

    /// A string, checked (escapes and all): its text between the quotes,
    /// as written, and whether it holds an escape ([`unescaped`] decodes
    /// it).
    pub fn raw_string(&mut self) -> Res<(&'a str, bool)> {
        self.eat(b'"')?;
        let b = self.bytes();
        let start = self.i;
        let mut escaped = false;
        let mut i = self.i;
        loop {
            i = special(b, i);
            match b.get(i) {
                Some(b'"') => {
                    self.i = i + 1;
                    // Quotes are ASCII: both ends are character boundaries.
                    return Ok((self.text.get(start..i).ok_or(Bad)?, escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    i = skip_escape(b, i + 1)?;
                }
                _ => return Err(Bad),
            }
        }
    }

    /// A string, checked (escapes and all) and skipped.
    fn skip_string(&mut self) -> Res<()> {
        self.raw_string().map(drop)
    }

    /// A string or `null`.
    pub fn opt_string(&mut self) -> Res<Option<Cow<'a, str>>> {
        if self.null() {
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }

    /// A non-negative integer written plainly (what serde_json reads as a
    /// `u64`), or `null`. Anything else (a sign, a fraction, an exponent, an
    /// overflow) is [`Bad`], for serde_json to judge.
    pub fn opt_u64(&mut self) -> Res<Option<u64>> {
        if self.null() {
            return Ok(None);
        }
        let b = self.bytes();
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(&c) = b.get(self.i).filter(|c| c.is_ascii_digit()) {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
                .ok_or(Bad)?;
            self.i += 1;
        }
        let digits = self.i - start;
        let leading_zero = digits > 1 && b[start] == b'0';
        if digits == 0 || leading_zero || matches!(b.get(self.i), Some(b'.' | b'e' | b'E')) {
            return Err(Bad);
        }
        Ok(Some(v))
    }

    /// Skip the next value when its text is exactly one of `known`: texts
    /// of complete values already checked (a JSON value ends where its text
    /// does, so an exact match is that value). False, and nothing read,
    /// otherwise.
    pub fn skip_known<'k>(&mut self, known: impl IntoIterator<Item = &'k str>) -> bool {
        self.ws();
        let rest = &self.bytes()[self.i..];
        match known.into_iter().find(|k| rest.starts_with(k.as_bytes())) {
            Some(k) => {
                self.i += k.len();
                true
            }
            None => false,
        }
    }

    /// An object whose values are all strings, skipped; its text.
    pub fn string_object(&mut self) -> Res<&'a str> {
        let m = self.mark();
        self.object(|s, _| s.skip_string())?;
        self.since(m)
    }

    /// Any value, checked and skipped.
    pub fn skip(&mut self) -> Res<()> {
        match self.peek().ok_or(Bad)? {
            b'"' => self.skip_string(),
            b'{' => self.object(|s, _| s.skip()),
            b'[' => self.array(Scanner::skip),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(Bad),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Res<()> {
        if self.bytes()[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Bad)
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Res<()> {
        let b = self.bytes();
        let digits = |i: &mut usize| {
            let start = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - start
        };
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let first = b.get(i).copied();
        let n = digits(&mut i);
        if n == 0 || (first == Some(b'0') && n > 1) {
            return Err(Bad);
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return Err(Bad);
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return Err(Bad);
            }
        }
        self.i = i;
        Ok(())
    }
}

/// The text of a string as [`Scanner::raw_string`] gives it, its escapes
/// decoded (borrowed when it holds none).
pub fn unescaped(raw: &str) -> Res<Cow<'_, str>> {
    let b = raw.as_bytes();
    let mut owned: Option<String> = None;
    let mut segment = 0;
    let mut i = 0;
    loop {
        i = special(b, i);
        match b.get(i) {
            None => {
                return Ok(match owned {
                    None => Cow::Borrowed(raw),
                    Some(mut s) => {
                        s.push_str(raw.get(segment..).ok_or(Bad)?);
                        Cow::Owned(s)
                    }
                })
            }
            Some(b'\\') => {
                let s = owned.get_or_insert_with(|| String::with_capacity(raw.len()));
                s.push_str(raw.get(segment..i).ok_or(Bad)?);
                i = unescape(b, i + 1, s)?;
                segment = i;
            }
            // A quote or a control character: not a string's text.
            _ => return Err(Bad),
        }
    }
}

/// The first byte at or after `i` that ends a plain run of string text: a
/// quote, a backslash or a control character (or `b.len()`). Eight bytes at
/// a time. (Also what a JSON string's writer must escape.)
pub(crate) fn special(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        let quote = w ^ (ONES * u64::from(b'"'));
        let slash = w ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero after the xor (a quote or a
        // backslash) or below 0x20; the lowest flag is exact.
        let hits = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (w.wrapping_sub(ONES * 0x20) & !w);
        let hits = hits & HIGH;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// Decode the escape after a backslash at `i - 1` into `out`; where the
/// text goes on.
fn unescape(b: &[u8], i: usize, out: &mut String) -> Res<usize> {
    let c = match b.get(i).ok_or(Bad)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(b, i + 1)?;
            let (code, next) = if (0xD800..0xDC00).contains(&hi) {
                // A leading surrogate needs its trailing half (serde_json
                // rejects a lone one).
                if b.get(i + 5..i + 7) != Some(b"\\u") {
                    return Err(Bad);
                }
                let lo = hex4(b, i + 7)?;
                if !(0xDC00..0xE000).contains(&lo) {
                    return Err(Bad);
                }
                (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), i + 11)
            } else {
                (hi, i + 5)
            };
            out.push(char::from_u32(code).ok_or(Bad)?);
            return Ok(next);
        }
        _ => return Err(Bad),
    };
    out.push(c);
    Ok(i + 1)
}

/// Check the escape after a backslash at `i - 1`, as [`unescape`] reads
/// it; where the text goes on.
fn skip_escape(b: &[u8], i: usize) -> Res<usize> {
    match b.get(i).ok_or(Bad)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(i + 1),
        b'u' => {
            let hi = hex4(b, i + 1)?;
            if (0xDC00..0xE000).contains(&hi) {
                return Err(Bad);
            }
            if !(0xD800..0xDC00).contains(&hi) {
                return Ok(i + 5);
            }
            if b.get(i + 5..i + 7) != Some(b"\\u") {
                return Err(Bad);
            }
            let lo = hex4(b, i + 7)?;
            if (0xDC00..0xE000).contains(&lo) {
                Ok(i + 11)
            } else {
                Err(Bad)
            }
        }
        _ => Err(Bad),
    }
}

fn hex4(b: &[u8], i: usize) -> Res<u32> {
    let digits = b.get(i..i + 4).ok_or(Bad)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + char::from(d).to_digit(16).ok_or(Bad)?;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What serde_json makes of a text: skipped as any value, or not.
    fn serde_ok(text: &str) -> bool {
        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    }

    fn scan_ok(text: &str) -> bool {
        let mut s = Scanner::new(text);
        s.skip().and_then(|()| s.end()).is_ok()
    }

    #[test]
    fn agrees_with_serde_json_on_what_is_json() {
        let deep_ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
        let too_deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        let cases = [
            r#"{"a":"b","c":[1,-2.5e+3,0,true,false,null,{}],"d":{"e":[]}}"#,
            r#"  {"a" : "b"}  "#,
            r#""\u00e9\ud83d\ude00\n\"\\\/""#,
            "\"caf\u{e9} \u{1F600}\"",
            r#"{"a":"b",}"#,
            r#"{"a":"b""#,
            r#"{"a" "b"}"#,
            r#"[1,]"#,
            r#"01"#,
            r#"1."#,
            r#"1e"#,
            r#"-"#,
            r#".5"#,
            r#"tru"#,
            r#"nul"#,
            r#""\x""#,
            r#""\u12""#,
            "\"tab\there\"",
            "\"unterminated",
            r#"{"a":1} x"#,
            r#"{} {}"#,
            "",
            "   ",
            &deep_ok,
        ];
        for text in cases {
            assert_eq!(scan_ok(text), serde_ok(text), "{text:?}");
        }
        // Nesting past serde_json's limit for values it reads: the scanner
        // refuses it (serde_json skips any depth in a value it ignores).
        assert!(!scan_ok(&too_deep));
        assert!(serde_json::from_str::<serde_json::Value>(&too_deep).is_err());
        // Lone surrogates: serde_json skips them in a value it ignores
        // (and refuses them in a string it reads); the scanner always
        // refuses, leaving the line to serde_json.
        for text in [
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
        ] {
            assert!(!scan_ok(text), "{text}");
            assert!(serde_json::from_str::<String>(text).is_err(), "{text}");
        }
    }

    #[test]
    fn strings_decode_like_serde_json() {
        for text in [
            r#""plain""#,
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            r#""\u0000\u001f\u00e9\u4e2d\ud83d\ude00""#,
            "\"long enough to take the eight-byte path, then \\u00e9 an escape\"",
            "\"\u{202e}rtl and \u{fffe}\"",
        ] {
            let want: String = serde_json::from_str(text).expect("valid");
            let got = Scanner::new(text).string().expect("valid");
            assert_eq!(got, want, "{text:?}");
        }
        // Borrowed when nothing is escaped.
        assert!(matches!(
            Scanner::new(r#""no escapes here at all""#).string(),
            Ok(Cow::Borrowed("no escapes here at all"))
        ));
    }

    /// A string read as written and decoded later is the string read at
    /// once, and both refuse the same texts.
    #[test]
    fn raw_strings_decode_as_strings_read() {
        for text in [
            r#""plain""#,
            r#""""#,
            r#""a\nb\"c\\d\/e\u00e9\ud83d\ude00 f""#,
            r#""\t""#,
            "\"caf\u{e9} \\b\\f\\r\"",
            r#""lone \ud83d""#,
            r#""lone \ude00""#,
            r#""bad \x""#,
            r#""short \u12""#,
            "\"control \u{1} char\"",
            r#""unterminated"#,
        ] {
            let at_once = Scanner::new(text).string();
            let later = Scanner::new(text).raw_string().and_then(|(raw, escaped)| {
                assert_eq!(escaped, raw.contains('\\'), "{text}");
                unescaped(raw)
            });
            assert_eq!(later, at_once, "{text}");
            assert_eq!(
                matches!(later, Ok(Cow::Borrowed(_))),
                !text.contains('\\') && later.is_ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn special_finds_the_first_stop_at_every_offset() {
        for stop in [b'"', b'\\', 0x1f, b'\n'] {
            for at in 0..20 {
                let mut b = vec![b'x'; 24];
                b[at] = stop;
                // A later stop must not hide the first.
                b[23] = b'"';
                assert_eq!(special(&b, 0), at, "{stop} at {at}");
            }
        }
        assert_eq!(special(b"abc", 0), 3);
        // Bytes at and above 0x80 (UTF-8) are plain text.
        assert_eq!(
            special("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\"".as_bytes(), 0),
            10
        );
    }

    #[test]
    fn a_known_value_is_skipped_whole_and_nothing_else() {
        let known = [r#"{"a":"1"}"#];
        let mut s = Scanner::new(r#"[ {"a":"1"} , {"a":"12"}, {"a":"1"}]"#);
        let mut matched = Vec::new();
        s.array(|s| {
            let hit = s.skip_known(known);
            if !hit {
                s.skip()?;
            }
            matched.push(hit);
            Ok(())
        })
        .expect("valid");
        assert_eq!(matched, [true, false, true]);
        assert_eq!(s.end(), Ok(()));
        // A prefix is not a match: the scanner stays where it was.
        let mut s = Scanner::new(r#"{"a":"1"#);
        assert!(!s.skip_known(known));
        assert_eq!(s.skip(), Err(Bad));
    }

    #[test]
    fn integers_like_serde_json_u64() {
        for (text, want) in [
            ("0", Ok(Some(0))),
            ("42", Ok(Some(42))),
            ("null", Ok(None)),
            ("18446744073709551615", Ok(Some(u64::MAX))),
            ("18446744073709551616", Err(Bad)),
            ("-1", Err(Bad)),
            ("1.5", Err(Bad)),
            ("1e3", Err(Bad)),
            ("01", Err(Bad)),
            ("\"1\"", Err(Bad)),
        ] {
            assert_eq!(Scanner::new(text).opt_u64(), want, "{text}");
            if let Ok(v) = want {
                assert_eq!(serde_json::from_str::<Option<u64>>(text).ok(), Some(v));
            }
        }
    }
}
