//! Helpers the CSV adapters share: the header read and checked, row loops
//! sequential and parallel, cells.

use super::{Ctx, IngestError};

/// A CSV reader over the input with the header read and checked.
pub struct Table {
    /// The reader, positioned after the header.
    pub reader: csv::Reader<Box<dyn std::io::BufRead + Send>>,
    /// Header names, trimmed.
    pub header: Vec<String>,
}

impl Table {
    /// Index of column `name`.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// Open the input as CSV and check that `required` columns are present.
pub fn open(ctx: &Ctx<'_>, required: &[&str]) -> Result<Table, IngestError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(ctx.open_text()?);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ctx.malformed(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let missing: Vec<String> = required
        .iter()
        .filter(|r| !header.iter().any(|h| h == *r))
        .map(|r| r.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(IngestError::MissingColumns {
            path: ctx.path.to_path_buf(),
            format: ctx.format.name(),
            missing,
            found: header,
        });
    }
    Ok(Table { reader, header })
}

/// The raw text of a CSV record, for the rejects file.
pub fn raw(record: &csv::StringRecord) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(record);
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).trim_end().to_string())
        .unwrap_or_default()
}

/// Why a row failed: a reject, or a problem with the whole file.
pub enum RowError {
    /// Reject this row with this reason; go on.
    Reject(String),
    /// Stop: the file as a whole cannot be read.
    Fatal(IngestError),
}

impl From<String> for RowError {
    fn from(s: String) -> Self {
        RowError::Reject(s)
    }
}

impl From<&str> for RowError {
    fn from(s: &str) -> Self {
        RowError::Reject(s.to_string())
    }
}

/// Run `f` over every data row; rows of the wrong width, unreadable rows
/// and rows `f` refuses become rejects. Returns the number of rows.
pub fn for_each_row(
    ctx: &mut Ctx<'_>,
    table: &mut Table,
    mut f: impl FnMut(&mut Ctx<'_>, &csv::StringRecord) -> Result<(), RowError>,
) -> Result<u64, IngestError> {
    let width = table.header.len();
    let mut rec = csv::StringRecord::new();
    let mut n = 0u64;
    let mut headers = 0u64;
    loop {
        match table.reader.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                n += 1;
                if is_header(&rec, &table.header) {
                    headers += 1;
                    continue;
                }
                let line = rec.position().map(|p| p.line());
                let outcome = if rec.len() != width {
                    Err(RowError::Reject(format!(
                        "row has {} fields, the header has {width}",
                        rec.len()
                    )))
                } else {
                    f(ctx, &rec)
                };
                match outcome {
                    Ok(()) => {}
                    Err(RowError::Reject(reason)) => ctx.reject(n, line, reason, &raw(&rec)),
                    Err(RowError::Fatal(e)) => return Err(e),
                }
            }
            Err(e) => {
                n += 1;
                if let csv::ErrorKind::Io(_) = e.kind() {
                    return Err(ctx.malformed(format!("reading failed after {n} rows: {e}")));
                }
                let line = e.position().map(|p| p.line());
                ctx.reject(n, line, format!("unreadable CSV row: {e}"), "");
            }
        }
    }
    ctx.report.records = n;
    note_headers(ctx, headers);
    Ok(n)
}

/// Is this row the header again (exports appended to one file)?
fn is_header(rec: &csv::StringRecord, header: &[String]) -> bool {
    rec.len() == header.len()
        && rec
            .iter()
            .zip(header)
            .all(|(cell, name)| cell.trim().trim_start_matches('\u{feff}') == name)
}

fn note_headers(ctx: &mut Ctx<'_>, headers: u64) {
    if headers > 0 {
        ctx.report.notes.push(format!(
            "{headers} row(s) repeat the header (exports appended to one file): not read as records"
        ));
    }
}

/// Split raw CSV bytes into chunks that end on record boundaries: a
/// newline outside double quotes (RFC 4180 quoting; `""` toggles twice).
/// Returns the chunk's byte length, or `None` if no boundary was seen.
fn last_record_end(bytes: &[u8], in_quote: &mut bool) -> Option<usize> {
    let mut last = None;
    let mut pos = 0;
    while let Some(off) = memchr::memchr2(b'"', b'\n', &bytes[pos..]) {
        let i = pos + off;
        if bytes[i] == b'"' {
            *in_quote = !*in_quote;
        } else if !*in_quote {
            last = Some(i + 1);
        }
        pos = i + 1;
    }
    last
}

/// Like [`for_each_row`], but parallel: one thread cuts the file into
/// chunks of whole records, worker threads parse them with `map`, and
/// `accept` is called here in file order. For RFC 4180 files the rows,
/// numbers and lines are exactly those of a sequential read.
pub fn parallel_rows(
    ctx: &mut Ctx<'_>,
    table: Table,
    map: impl Fn(&csv::StringRecord) -> Result<super::Parsed, String> + Sync,
) -> Result<(u64, super::ParsedCounts), IngestError> {
    let width = table.header.len();
    let start = table.reader.position().clone();
    let header = table.header.clone();
    drop(table);
    // The text after the header, decoded as the header was.
    let mut reader = ctx.open_text()?;
    std::io::copy(
        &mut std::io::Read::take(&mut reader, start.byte()),
        &mut std::io::sink(),
    )
    .map_err(|e| ctx.io(e))?;
    let first_line = start.line();
    const CHUNK: usize = 1 << 20;
    let config = ctx.config;
    let source = ctx.format.source();
    let mut counts = super::ParsedCounts::default();
    let produced = super::parallel::pipeline(
        |emit| -> Result<(), String> {
            let mut buf: Vec<u8> = Vec::with_capacity(2 * CHUNK);
            let mut scanned = 0usize;
            let mut in_quote = false;
            let mut line = first_line;
            loop {
                let n = super::json::read_more(&mut reader, &mut buf, CHUNK)
                    .map_err(|e| format!("reading failed: {e}"))?;
                let end = if n == 0 {
                    (!buf.is_empty()).then_some(buf.len())
                } else {
                    let found =
                        last_record_end(&buf[scanned..], &mut in_quote).map(|e| scanned + e);
                    scanned = buf.len();
                    found
                };
                if let Some(end) = end {
                    let rest = buf.split_off(end);
                    let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
                    emit((line, std::mem::replace(&mut buf, rest)));
                    line += lines;
                    // The tail was scanned already and holds no record
                    // end; `in_quote` is its state at the end.
                    scanned = buf.len();
                }
                if n == 0 {
                    return Ok(());
                }
            }
        },
        |(line, chunk): (u64, Vec<u8>)| {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(chunk.as_slice());
            let mut b = super::ChunkBuilder::new(config, source);
            let mut rec = csv::StringRecord::new();
            loop {
                // Reject ids are 1-based row indexes within the chunk.
                let id = b.chunk.rows + 1;
                match rdr.read_record(&mut rec) {
                    Ok(false) => break,
                    Ok(true) => {
                        let at = rec.position().map(|p| line + p.line() - 1);
                        if is_header(&rec, &header) {
                            b.header_again();
                            continue;
                        }
                        let outcome = if rec.len() != width {
                            Err(format!(
                                "row has {} fields, the header has {width}",
                                rec.len()
                            ))
                        } else {
                            map(&rec)
                        };
                        b.add(id, at, || raw(&rec), outcome);
                    }
                    Err(e) => {
                        let at = e.position().map(|p| line + p.line() - 1);
                        b.add(id, at, String::new, Err(format!("unreadable CSV row: {e}")));
                        if let csv::ErrorKind::Io(_) = e.kind() {
                            break;
                        }
                    }
                }
            }
            b.finish()
        },
        |chunk| {
            let base = ctx.report.records;
            ctx.report.records += chunk.rows;
            let c = ctx.accept_chunk(chunk, base);
            counts.flagged += c.flagged;
            counts.skipped += c.skipped;
            counts.headers += c.headers;
        },
    );
    produced.map_err(|m| ctx.malformed(m))?;
    note_headers(ctx, counts.headers);
    Ok((ctx.report.records, counts))
}

/// A cell, trimmed, `None` if empty.
pub fn cell(record: &csv::StringRecord, idx: Option<usize>) -> Option<&str> {
    idx.and_then(|i| record.get(i))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}
