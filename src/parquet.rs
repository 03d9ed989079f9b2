//! Parquet as a run writes it: row groups of [`ROW_GROUP_ROWS`] rows,
//! encoded and LZ4-compressed on every core and written in order, so the
//! same frame gives the same bytes. An I/O module at the bottom, like the
//! store: the report writes every analysed table through it.
//!
//! **Why it exists.** Writing `alerts.parquet` with polars' own writer was
//! the longest part of reporting on 10M alerts (see below); this encoder
//! writes the same schema and values, faster, with byte-stable output.
//!
//! **What it depends on.** polars-parquet's and polars-arrow's page-level
//! internals (`array_to_columns`, `CompressedPage`, `DictPage`, the
//! statistics types), which are not a stable API: Cargo.toml pins them
//! with polars to `=0.55.2`. On a polars upgrade, run its tests here
//! (`cargo test parquet::`) and the round trip in `tests/` (every analysed
//! table is read back by polars' reader), and compare the bytes of
//! `alerts.parquet` on the sample data before and after.
//!
//! **Why one file of ~1,300 lines.** It is one encoder: the dictionary
//! decision, the list levels and the page writer share its types and
//! invariants, and its tests sit beside them; split, each part would need
//! the others' internals.
//!
//! polars' own writers decide per column chunk whether to dictionary-encode
//! a string column by estimating its cardinality (a HyperLogLog pass), then
//! cast it to a dictionary through a general hash table; lists of strings
//! they write plain. At 10M alerts that was a quarter of the 20 CPU
//! seconds `alerts.parquet` took. Here every string column, and the strings
//! of every list-of-strings column, gets its row group's table of distinct
//! values in one pass with a small cache in front of the hash table (team,
//! service, severity, reasons: runs of the same few values). A column chunk
//! more than 75% distinct (polars' threshold), or whose distinct values
//! take more than 1 MiB (Arrow's dictionary page limit), is written plain,
//! and without min/max statistics: those are ids and free text (titles,
//! labels), which no reader prunes by, and working them out was most of
//! the statistics' cost. 64-bit integer and time columns get the same
//! decision over their set values ([`int_dictionary`]; polars hashed
//! `clear_gap_s` and the mostly-null `acknowledged_at` into dictionaries no
//! smaller than plain), and without a dictionary are written
//! `DELTA_BINARY_PACKED`, with statistics: times in trigger order are
//! small steps (at 10M alerts the three time columns took 101 MB instead of
//! 171, for the same CPU time). Every other column is encoded as
//! polars encodes it, but for the levels of the lists of strings, worked
//! out here in one pass ([`list_pages`]), and LZ4, run here at a higher
//! acceleration. Readers see the same schema and values: only the encoding
//! differs.

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use polars::io::parquet::write::{get_encodings, ParquetCompression, StatisticsOptions};
use polars::prelude::{
    polars_err, CompatLevel, DataFrame, ParquetWriter, PlHashMap, PolarsResult, SchemaExt,
};
use polars_arrow::array::{Array, DictionaryArray, ListArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField, IntegerType};
use polars_arrow::offset::OffsetsBuffer;
use polars_parquet::parquet::compression::Compression;
use polars_parquet::parquet::metadata::Descriptor;
use polars_parquet::parquet::page::{
    CompressedDataPage, CompressedDictPage, DataPage, DataPageHeader, DataPageHeaderV1, DictPage,
};
use polars_parquet::parquet::schema::Repetition;
use polars_parquet::parquet::statistics::BinaryStatistics;
use polars_parquet::parquet::CowBuffer;
use polars_parquet::write::{
    array_to_columns, CompressedPage, CompressionOptions, Encoding, Page, ParquetType, Version,
    WriteOptions,
};

/// How often (in values) the dictionaries check whether one is still worth
/// finishing.
const CHECK_EVERY: usize = 4096;

/// Rows per row group (polars' default).
pub const ROW_GROUP_ROWS: usize = 512 * 512;

/// A column chunk more distinct than this share is written plain.
const DICTIONARY_MAX_SHARE: f64 = 0.75;

/// A column chunk whose distinct strings take more bytes than this is
/// written plain (Arrow's default dictionary page limit, 1 MiB).
const DICTIONARY_MAX_BYTES: usize = 1 << 20;

/// One row group's pages: one list per leaf column, in schema order.
type Group = Vec<Vec<CompressedPage>>;

/// How pages are encoded: V1 pages with polars' default statistics. The
/// compression named here is what the file declares; [`compress`] does it.
fn write_options() -> WriteOptions {
    WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V1,
        compression: CompressionOptions::Lz4Raw,
        data_page_size: None,
    }
}

/// Write `df` to `out` as Parquet (LZ4 raw).
pub fn write(out: impl Write, df: &DataFrame) -> PolarsResult<()> {
    let options = write_options();
    let mut writer = ParquetWriter::new(out)
        .with_compression(ParquetCompression::Lz4Raw)
        .with_statistics(options.statistics)
        .batched(df.schema())?;
    let fields = writer.parquet_schema().fields().to_vec();
    let encodings = get_encodings(&df.schema().to_arrow(CompatLevel::newest()));
    let rows = df.height();
    let groups = rows.div_ceil(ROW_GROUP_ROWS);
    let group_rows = |g: usize| ROW_GROUP_ROWS.min(rows - g * ROW_GROUP_ROWS);
    let encode = |g: usize| -> PolarsResult<Group> {
        let mut pages = Group::new();
        for ((column, type_), encoding) in df.columns().iter().zip(&fields).zip(encodings.iter()) {
            let chunk = column
                .slice((g * ROW_GROUP_ROWS) as i64, group_rows(g))
                .as_materialized_series()
                .rechunk()
                .to_arrow(0, CompatLevel::newest());
            pages.extend(encode_chunk(chunk, type_, encoding, options)?);
        }
        Ok(pages)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, groups.max(1));
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, PolarsResult<Group>)>(2 * threads);
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (tx, next, encode) = (tx.clone(), &next, &encode);
                scope.spawn(move || loop {
                    let g = next.fetch_add(1, Ordering::Relaxed);
                    if g >= groups {
                        crate::core::timing::since(
                            "parquet: an encoding thread done",
                            std::time::Instant::now(),
                        );
                        break;
                    }
                    let group = encode(g);
                    let failed = group.is_err();
                    if tx.send((g, group)).is_err() || failed {
                        break;
                    }
                })
            })
            .collect();
        drop(tx);
        // Row groups arrive in any order; they are written in table order.
        let mut pending = BTreeMap::new();
        let mut written = 0;
        for (g, group) in rx {
            pending.insert(g, group?);
            while let Some(group) = pending.remove(&written) {
                writer.write_row_group(group_rows(written) as u64, &group)?;
                written += 1;
            }
        }
        for worker in workers {
            worker
                .join()
                .map_err(|_| polars_err!(ComputeError: "a thread encoding row groups stopped"))?;
        }
        if written < groups {
            return Err(polars_err!(ComputeError: "row group {written} was never encoded"));
        }
        Ok(())
    })?;
    writer.finish()?;
    Ok(())
}

/// One column chunk's compressed pages, a list per leaf column.
fn encode_chunk(
    chunk: Box<dyn Array>,
    type_: &ParquetType,
    encoding: &[Encoding],
    options: WriteOptions,
) -> PolarsResult<Group> {
    let dictionary_encoding = vec![Encoding::RleDictionary; encoding.len()];
    let (chunk, encoding, options) = match with_dictionary(chunk.as_ref()) {
        Encode::Strings(strings, d) => {
            if let Some(pages) = string_pages(strings, &d, type_, options) {
                return Ok(vec![pages?]);
            }
            (
                d.to_array(strings.validity())?.boxed(),
                dictionary_encoding,
                options,
            )
        }
        Encode::List(list) => {
            let (list, items, d) = *list;
            if let Some(pages) = list_pages(list, items.clone(), &d, type_, options) {
                return Ok(vec![pages?]);
            }
            (
                d.to_list(list, items)?.boxed(),
                dictionary_encoding,
                options,
            )
        }
        Encode::Dictionary(d) => (d, dictionary_encoding, options),
        Encode::Numbers => (
            chunk.clone(),
            vec![Encoding::DeltaBinaryPacked; encoding.len()],
            options,
        ),
        Encode::Plain => {
            let mut statistics = options.statistics;
            statistics.min_value = false;
            statistics.max_value = false;
            let plain = WriteOptions {
                statistics,
                ..options
            };
            (chunk.clone(), vec![Encoding::Plain; encoding.len()], plain)
        }
        Encode::None => (chunk.clone(), encoding.to_vec(), options),
    };
    array_to_columns(chunk, type_.clone(), options, &encoding)?
        .into_iter()
        .map(|pages| pages.map(|page| page.and_then(compress)).collect())
        .collect()
}

/// How a column chunk is written.
enum Encode<'a> {
    /// These strings, as keys into their distinct values.
    Strings(&'a Utf8ViewArray, Dict<'a>),
    /// A list chunk whose items (`items`, from the list's first offset to
    /// its last) are keys into their distinct values.
    List(Box<(&'a ListArray<i64>, Items<'a>, Dict<'a>)>),
    /// As this dictionary-encoded chunk (64-bit integers).
    Dictionary(Box<dyn Array>),
    /// Strings plain (too many distinct values), without min/max
    /// statistics.
    Plain,
    /// 64-bit integers (or times) with too many distinct values:
    /// delta-encoded, with statistics.
    Numbers,
    /// Any other column: as polars writes it.
    None,
}

/// The strings of a list chunk: its values array and the range of it the
/// chunk's offsets cover (a slice of a list column keeps all of the
/// column's strings).
type Items<'a> = (&'a Utf8ViewArray, std::ops::Range<usize>);

/// A string chunk as keys into its distinct values.
struct Dict<'a> {
    /// The distinct strings, in order of first appearance (as polars
    /// orders them).
    values: Vec<&'a str>,
    /// The key of each string that is set, in order; a null has none.
    keys: Vec<u32>,
}

impl Dict<'_> {
    /// As an Arrow dictionary array with `validity` (null rows get key 0),
    /// for polars' writer.
    fn to_array(&self, validity: Option<&Bitmap>) -> PolarsResult<DictionaryArray<u32>> {
        let keys: Vec<u32> = match validity {
            None => self.keys.clone(),
            Some(validity) => {
                let mut set = self.keys.iter().copied();
                validity
                    .iter()
                    .map(|ok| if ok { set.next().unwrap_or(0) } else { 0 })
                    .collect()
            }
        };
        let keys =
            PrimitiveArray::<u32>::new(ArrowDataType::UInt32, keys.into(), validity.cloned());
        DictionaryArray::try_new(
            ArrowDataType::Dictionary(
                IntegerType::UInt32,
                Box::new(ArrowDataType::Utf8View),
                false,
            ),
            keys,
            Utf8ViewArray::from_slice_values(&self.values).boxed(),
        )
    }

    /// `list` with its items as this dictionary and offsets from 0, for
    /// polars' writer.
    fn to_list(&self, list: &ListArray<i64>, items: Items<'_>) -> PolarsResult<ListArray<i64>> {
        let (strings, range) = items;
        let strings = strings.clone().sliced(range.start, range.len());
        let d = self.to_array(strings.validity())?;
        let first = *list.offsets().first();
        let offsets = OffsetsBuffer::<i64>::try_from(
            list.offsets()
                .iter()
                .map(|o| o - first)
                .collect::<Vec<i64>>(),
        )?;
        let ArrowDataType::LargeList(field) = list.dtype() else {
            return Err(polars_err!(ComputeError: "a list column that is not a large list"));
        };
        let inner = ArrowField::new(field.name.clone(), d.dtype().clone(), field.is_nullable);
        ListArray::<i64>::try_new(
            ArrowDataType::LargeList(Box::new(inner)),
            offsets,
            d.boxed(),
            list.validity().cloned(),
        )
    }
}

/// How to write a chunk: a string, list-of-strings or 64-bit integer chunk
/// with a dictionary if it is worth one.
fn with_dictionary(chunk: &dyn Array) -> Encode<'_> {
    if let Some(strings) = chunk.as_any().downcast_ref::<Utf8ViewArray>() {
        return match dictionary(strings, 0..strings.len()) {
            Some(d) => Encode::Strings(strings, d),
            None => Encode::Plain,
        };
    }
    if let Some(ints) = chunk.as_any().downcast_ref::<PrimitiveArray<i64>>() {
        return match int_dictionary(ints) {
            Some(d) => Encode::Dictionary(d.boxed()),
            None => Encode::Numbers,
        };
    }
    let Some(list) = chunk.as_any().downcast_ref::<ListArray<i64>>() else {
        return Encode::None;
    };
    let Some(strings) = list.values().as_any().downcast_ref::<Utf8ViewArray>() else {
        return Encode::None;
    };
    let (first, last) = (*list.offsets().first(), *list.offsets().last());
    let (Ok(start), Ok(end)) = (usize::try_from(first), usize::try_from(last)) else {
        return Encode::Plain;
    };
    if end < start || end > strings.len() || !matches!(list.dtype(), ArrowDataType::LargeList(_)) {
        return Encode::Plain;
    }
    match dictionary(strings, start..end) {
        Some(d) => Encode::List(Box::new((list, (strings, start..end), d))),
        None => Encode::Plain,
    }
}

/// The pages of a string column chunk with a dictionary: a dictionary
/// page and one data page, as polars writes them, with the keys and
/// definition levels encoded from slices ([`hybrid_rle`]). polars' writer
/// makes a second pass for the largest key and encodes the keys and levels
/// through iterators.
///
/// `None` when the column is not an optional or required string, or its
/// statistics would need truncating (polars' writer handles it then).
fn string_pages(
    strings: &Utf8ViewArray,
    d: &Dict<'_>,
    type_: &ParquetType,
    options: WriteOptions,
) -> Option<PolarsResult<Vec<CompressedPage>>> {
    let ParquetType::PrimitiveType(leaf) = type_ else {
        return None;
    };
    let optional = match leaf.field_info.repetition {
        Repetition::Optional => true,
        Repetition::Required if strings.null_count() == 0 => false,
        _ => return None,
    };
    let mut levels = Vec::new();
    if optional {
        levels_block(&mut levels, |out| match strings.validity() {
            Some(validity) if validity.unset_bits() > 0 => {
                let def: Vec<u32> = validity.iter().map(u32::from).collect();
                hybrid_rle(out, &def, 1);
            }
            _ => rle_run(out, strings.len(), 1, 1),
        });
    }
    let descriptor = Descriptor {
        primitive_type: leaf.clone(),
        max_def_level: i16::from(optional),
        max_rep_level: 0,
    };
    let rows = strings.len();
    let page = DictionaryPage {
        levels,
        keys: &d.keys,
        values: &d.values,
        null_count: strings.null_count(),
        num_values: rows,
        num_rows: rows,
    };
    page.write(descriptor, options)
}

/// Run `levels` on `out`, with the 4-byte length V1 pages put before each
/// level block.
fn levels_block(out: &mut Vec<u8>, levels: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    levels(out);
    let length = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&length.to_le_bytes());
}

/// A column chunk's dictionary page and data page, to be written.
struct DictionaryPage<'a> {
    /// The data page's levels, encoded (each block with its length).
    levels: Vec<u8>,
    /// Each set value's key into `values`.
    keys: &'a [u32],
    /// The distinct values.
    values: &'a [&'a str],
    null_count: usize,
    /// Levels in the data page (rows, plus the items after the first of
    /// each list).
    num_values: usize,
    num_rows: usize,
}

impl DictionaryPage<'_> {
    /// The two pages, compressed; `None` when a statistic would be
    /// truncated (polars' writer cuts a value longer than its limit, 64
    /// bytes by default, and rounds the maximum up: left to it).
    fn write(
        self,
        descriptor: Descriptor,
        options: WriteOptions,
    ) -> Option<PolarsResult<Vec<CompressedPage>>> {
        let stats = &options.statistics;
        let (min, max) = (
            self.values.iter().min().copied(),
            self.values.iter().max().copied(),
        );
        let limit = stats.binary_statistics_truncate_length_usize();
        let over = |v: Option<&str>| v.is_some_and(|v| limit.is_some_and(|l| v.len() > l));
        if options.has_statistics() && (over(min) || over(max)) {
            return None;
        }
        let statistics = options.has_statistics().then(|| {
            BinaryStatistics {
                primitive_type: descriptor.primitive_type.clone(),
                null_count: stats.null_count.then_some(self.null_count as i64),
                distinct_count: None,
                max_value: stats
                    .max_value
                    .then(|| max.map(|v| v.as_bytes().to_vec()))
                    .flatten(),
                min_value: stats
                    .min_value
                    .then(|| min.map(|v| v.as_bytes().to_vec()))
                    .flatten(),
            }
            .serialize()
        });
        let mut buffer = self.levels;
        let key_bits = bit_width(self.values.len().saturating_sub(1) as u32);
        buffer.push(key_bits as u8);
        hybrid_rle(&mut buffer, self.keys, key_bits);
        let mut dict = Vec::with_capacity(self.values.iter().map(|v| 4 + v.len()).sum());
        for v in self.values {
            dict.extend_from_slice(&(v.len() as u32).to_le_bytes());
            dict.extend_from_slice(v.as_bytes());
        }
        let header = DataPageHeader::V1(DataPageHeaderV1 {
            num_values: self.num_values as i32,
            encoding: Encoding::RleDictionary.into(),
            definition_level_encoding: Encoding::Rle.into(),
            repetition_level_encoding: Encoding::Rle.into(),
            statistics,
        });
        let dict = Page::Dict(DictPage::new(
            CowBuffer::Owned(dict),
            self.values.len(),
            false,
        ));
        let data = Page::Data(DataPage::new(
            header,
            CowBuffer::Owned(buffer),
            descriptor,
            self.num_rows,
        ));
        Some([dict, data].into_iter().map(compress).collect())
    }
}

/// The pages of a list-of-strings column chunk (its items keys into their
/// distinct values): a dictionary page and one data page, as polars writes
/// them, but with the repetition and definition levels worked out in one
/// pass over the offsets. polars' writer walks a general nested-levels
/// iterator three times per page (repetition, definition, count); for
/// `reasons` and `responders` that was a third of the time
/// `alerts.parquet` took.
///
/// `None` when the column is not an optional-or-required list of
/// optional-or-required strings (polars' writer handles it then).
fn list_pages(
    list: &ListArray<i64>,
    items: Items<'_>,
    d: &Dict<'_>,
    type_: &ParquetType,
    options: WriteOptions,
) -> Option<PolarsResult<Vec<CompressedPage>>> {
    // optional|required group (LIST) { repeated group list { optional|required element } }
    let ParquetType::GroupType {
        field_info, fields, ..
    } = type_
    else {
        return None;
    };
    let [ParquetType::GroupType {
        field_info: repeated,
        fields: leaves,
        ..
    }] = fields.as_slice()
    else {
        return None;
    };
    let [ParquetType::PrimitiveType(leaf)] = leaves.as_slice() else {
        return None;
    };
    if repeated.repetition != Repetition::Repeated
        || leaf.field_info.repetition == Repetition::Repeated
    {
        return None;
    }
    let (strings, range) = items;
    let null_items = range.len() - d.keys.len();
    let list_optional = field_info.repetition == Repetition::Optional;
    let item_optional = leaf.field_info.repetition == Repetition::Optional;
    if (!list_optional && list.null_count() > 0) || (!item_optional && null_items > 0) {
        return None;
    }
    // Definition levels: a null list 0, an empty one `empty`, a null item
    // `empty + 1`, an item `present`; repetition: 1 for an item after the
    // first of its list, else 0.
    let empty = u32::from(list_optional);
    let present = empty + 1 + u32::from(item_optional);
    let mut rep = Vec::with_capacity(range.len() + list.len());
    let mut def = Vec::with_capacity(range.len() + list.len());
    for (row, w) in list.offsets().buffer().windows(2).enumerate() {
        let (start, end) = (w[0] as usize, w[1] as usize);
        if !list.is_valid(row) {
            rep.push(0);
            def.push(0);
        } else if start == end {
            rep.push(0);
            def.push(empty);
        } else {
            for i in start..end {
                rep.push(u32::from(i > start));
                def.push(if strings.is_valid(i) {
                    present
                } else {
                    present - 1
                });
            }
        }
    }
    let mut levels = Vec::new();
    levels_block(&mut levels, |out| hybrid_rle(out, &rep, 1));
    levels_block(&mut levels, |out| hybrid_rle(out, &def, bit_width(present)));
    let descriptor = Descriptor {
        primitive_type: leaf.clone(),
        max_def_level: present as i16,
        max_rep_level: 1,
    };
    let page = DictionaryPage {
        levels,
        keys: &d.keys,
        values: &d.values,
        null_count: null_items,
        num_values: rep.len(),
        num_rows: list.len(),
    };
    page.write(descriptor, options)
}

/// LZ4's acceleration (its default is 1). At 10M alerts, 2 took 1.4 of
/// the 12–14 CPU seconds off and made the file 4% larger (665 to 689 MB);
/// 4 made it 11% larger for little more.
const LZ4_ACCELERATION: i32 = 2;

/// The page compressed with LZ4 (raw blocks, Parquet's `LZ4_RAW`) at
/// [`LZ4_ACCELERATION`]. LZ4 compresses into a buffer of its worst-case size; each thread keeps
/// one, so that a page's worst case is not zeroed (and its fresh memory
/// faulted in) for every page: only the compressed bytes are copied out.
fn compress(page: Page) -> PolarsResult<CompressedPage> {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let lz4 = |raw: &[u8]| -> std::io::Result<Vec<u8>> {
        SCRATCH.with_borrow_mut(|scratch| {
            let bound = lz4::block::compress_bound(raw.len())?;
            if scratch.len() < bound {
                scratch.resize(bound, 0);
            }
            let out = scratch.get_mut(..bound).unwrap_or_default();
            let mode = lz4::block::CompressionMode::FAST(LZ4_ACCELERATION);
            let n = lz4::block::compress_to_buffer(raw, Some(mode), false, out)?;
            Ok(out.get(..n).unwrap_or_default().to_vec())
        })
    };
    Ok(match page {
        Page::Data(p) => {
            let raw = p.buffer();
            CompressedPage::Data(CompressedDataPage::new(
                p.header().clone(),
                CowBuffer::Owned(lz4(raw)?),
                Compression::Lz4Raw,
                raw.len(),
                p.descriptor.clone(),
                p.num_rows.unwrap_or(0),
            ))
        }
        Page::Dict(p) => CompressedPage::Dict(CompressedDictPage::new(
            CowBuffer::Owned(lz4(&p.buffer)?),
            Compression::Lz4Raw,
            p.buffer.len(),
            p.num_values,
            p.is_sorted,
        )),
    })
}

/// Bits to hold `max` (0 for 0), as Parquet's hybrid RLE wants.
fn bit_width(max: u32) -> u32 {
    u32::BITS - max.leading_zeros()
}

/// Values a bit-packed run holds at most (polars' limit).
const MAX_PACKED: usize = 8 * 1024;

/// Parquet's RLE / bit-packing hybrid encoding of `values` (each below
/// 2^`bits`, `bits` at most 32), with runs chosen as polars' encoder
/// chooses them: a run of equal values more than 8 long, once the
/// bit-packed values before it are made up to a multiple of 8 from its
/// start, is run-length encoded; everything else is bit-packed, in runs of
/// up to [`MAX_PACKED`] values, the last group of 8 padded with zeros.
/// polars' encoder takes an iterator and buffers every value before
/// packing it: at 10M alerts it was 1.8 of the writer's 11 CPU seconds.
fn hybrid_rle(out: &mut Vec<u8>, values: &[u32], bits: u32) {
    // Such a run holds a whole group of 8 from the bit-packed values' start
    // and at least one value after it (the values of the run before that
    // group are bit-packed): look at each group of 8 and, when all its
    // values are one, how far that value goes on.
    let n = values.len();
    let (mut packed_from, mut at) = (0, 0);
    while let Some(group) = values.get(at..at + 8) {
        let v = group[0];
        if group.iter().fold(true, |all, &x| all & (x == v)) {
            let end = values[at + 8..]
                .iter()
                .position(|&x| x != v)
                .map_or(n, |k| at + 8 + k);
            if end - at > 8 {
                bit_pack(out, &values[packed_from..at], bits);
                rle_run(out, end - at, v, bits);
                packed_from = end;
                at = end;
                continue;
            }
        }
        at += 8;
    }
    bit_pack(out, &values[packed_from..], bits);
}

/// Bit-packed runs of `values`, `bits` bits each, least significant
/// first.
fn bit_pack(out: &mut Vec<u8>, values: &[u32], bits: u32) {
    for run in values.chunks(MAX_PACKED) {
        let groups = run.len().div_ceil(8);
        uleb128(out, ((groups as u64) << 1) | 1);
        let (mut acc, mut filled) = (0u64, 0u32);
        for &v in run {
            acc |= u64::from(v) << filled;
            filled += bits;
            if filled >= 32 {
                out.extend_from_slice(&(acc as u32).to_le_bytes());
                acc >>= 32;
                filled -= 32;
            }
        }
        // Zeros up to a whole group: a group of 8 takes `bits` bytes.
        filled += (groups * 8 - run.len()) as u32 * bits;
        while filled > 0 {
            out.push(acc as u8);
            acc >>= 8;
            filled = filled.saturating_sub(8);
        }
    }
}

/// A run of `count` times `value`, in the bytes `bits` needs.
fn rle_run(out: &mut Vec<u8>, count: usize, value: u32, bits: u32) {
    uleb128(out, (count as u64) << 1);
    let bytes = bits.div_ceil(8) as usize;
    out.extend_from_slice(&value.to_le_bytes()[..bytes]);
}

/// `x` as an unsigned LEB128 varint.
fn uleb128(out: &mut Vec<u8>, mut x: u64) {
    loop {
        let byte = (x & 0x7f) as u8;
        x >>= 7;
        if x == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The strings of `rows` as keys into their distinct values (in order of
/// first appearance, as polars orders them), or `None` when more than
/// [`DICTIONARY_MAX_SHARE`] of the rows are distinct or the distinct
/// values take more than [`DICTIONARY_MAX_BYTES`].
fn dictionary(strings: &Utf8ViewArray, rows: std::ops::Range<usize>) -> Option<Dict<'_>> {
    let n = rows.len();
    let most = if n > 128 {
        (n as f64 * DICTIONARY_MAX_SHARE) as usize
    } else {
        n
    };
    let views = strings.views().get(rows.clone())?;
    let validity = strings.validity().filter(|v| v.unset_bits() > 0);
    let mut distinct = Distinct {
        index: PlHashMap::default(),
        collided: PlHashMap::default(),
        values: Vec::new(),
        bytes: 0,
        most,
    };
    let mut keys: Vec<u32> = Vec::with_capacity(n);
    // The last view and key seen per cache slot, the slot picked by a
    // view's first 8 bytes (length and prefix). The same view is the same
    // string (the same bytes inline, or the same place in the same
    // buffer).
    let mut cache = [(u128::MAX, 0u32); 256];
    for (k, view) in views.iter().enumerate() {
        let i = rows.start + k;
        if validity.is_none_or(|v| v.get_bit(i)) {
            let whole = view.as_u128();
            let slot = ((whole as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize;
            let (cached, key) = cache[slot];
            let key = if cached == whole {
                key
            } else {
                let same_head = (cached as u64 == whole as u64).then_some(key);
                let key = distinct.key(strings.value(i), same_head)?;
                cache[slot] = (whole, key);
                key
            };
            keys.push(key);
        }
        // Mostly distinct so far (7 in 8): not worth finishing.
        if (k + 1) % CHECK_EVERY == 0 && distinct.values.len() * 8 > (k + 1) * 7 {
            return None;
        }
    }
    Some(Dict {
        values: distinct.values,
        keys,
    })
}

/// The distinct strings of a chunk so far, for [`dictionary`].
struct Distinct<'a> {
    /// Distinct strings by their 64-bit hash (computed once: growing the
    /// table moves hashes, not strings); the rare string whose hash
    /// another one already holds goes to `collided`.
    index: PlHashMap<u64, u32>,
    collided: PlHashMap<&'a str, u32>,
    values: Vec<&'a str>,
    /// The bytes of `values`.
    bytes: usize,
    /// Distinct values allowed.
    most: usize,
}

impl<'a> Distinct<'a> {
    /// The key of `s`, a new one if it is new; `same_head` is the key of a
    /// string with the same length and prefix. `None` once the values
    /// pass a limit.
    #[inline(never)]
    fn key(&mut self, s: &'a str, same_head: Option<u32>) -> Option<u32> {
        let is = |values: &[&str], key: u32| values.get(key as usize).is_some_and(|v| *v == s);
        if let Some(key) = same_head.filter(|&key| is(&self.values, key)) {
            return Some(key);
        }
        let next = self.values.len() as u32;
        let h = self.index.hasher().hash_one(s);
        let key = match self.index.get(&h) {
            Some(&key) if is(&self.values, key) => key,
            Some(_) => *self.collided.entry(s).or_insert(next),
            None => {
                self.index.insert(h, next);
                next
            }
        };
        if key == next {
            self.values.push(s);
            self.bytes += s.len();
            if self.values.len() > self.most || self.bytes > DICTIONARY_MAX_BYTES {
                return None;
            }
        }
        Some(key)
    }
}

/// 64-bit integers (integers, times) as keys into their distinct values
/// (in order of first appearance), or `None` when more than
/// [`DICTIONARY_MAX_SHARE`] of the non-null values are distinct, the
/// distinct values take more than [`DICTIONARY_MAX_BYTES`], or there are
/// none. polars estimates the share over all rows, nulls included, and so
/// dictionary-encoded a column of mostly-null, all-distinct times
/// (`acknowledged_at`) through a general hash table, to a larger file.
///
/// The limit is also judged on the way, by the rate new values come in:
/// times in trigger order are 80–85% distinct in a row group, under the
/// 7-in-8 early exit, and were hashed until half the row group's values
/// filled a mebibyte (`clear_gap_s`, 69% distinct, to its last rows). A
/// chunk whose new values stop coming late (a burst of distinct values
/// and then repeats) may go plain for it.
fn int_dictionary(ints: &PrimitiveArray<i64>) -> Option<DictionaryArray<u32>> {
    let valid = ints.len() - ints.null_count();
    if valid == 0 {
        return None;
    }
    let most = if valid > 128 {
        (valid as f64 * DICTIONARY_MAX_SHARE) as usize
    } else {
        valid
    };
    let most = most.min(DICTIONARY_MAX_BYTES / size_of::<i64>());
    let mut index: PlHashMap<i64, u32> = PlHashMap::default();
    let mut values: Vec<i64> = Vec::new();
    let mut keys: Vec<u32> = Vec::with_capacity(ints.len());
    let mut seen = 0usize;
    // Distinct values at the last check.
    let mut checked = 0usize;
    for v in ints.iter() {
        let Some(&v) = v else {
            keys.push(0);
            continue;
        };
        seen += 1;
        let next = values.len() as u32;
        let key = *index.entry(v).or_insert(next);
        if key == next {
            values.push(v);
            if values.len() > most {
                return None;
            }
        }
        keys.push(key);
        if seen % CHECK_EVERY == 0 {
            let new = values.len() - checked;
            checked = values.len();
            // Mostly distinct so far (7 in 8), or, from the fourth check
            // on, new values still coming as fast as in the last
            // `CHECK_EVERY` would pass the limit by the chunk's end: not
            // worth finishing.
            let projected = values.len() + new * (valid - seen) / CHECK_EVERY;
            if values.len() * 8 > seen * 7 || (seen >= 4 * CHECK_EVERY && projected > most) {
                return None;
            }
        }
    }
    let dtype = ints.dtype().clone();
    let keys =
        PrimitiveArray::<u32>::new(ArrowDataType::UInt32, keys.into(), ints.validity().cloned());
    let values = PrimitiveArray::<i64>::new(dtype.clone(), values.into(), None);
    DictionaryArray::try_new(
        ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(dtype), false),
        keys,
        values.boxed(),
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    /// Rows spanning two row groups, built in two chunks that meet inside
    /// the first one: ids all distinct, a team of three values and nulls,
    /// titles from a few thousand (some hostile, some empty, some long),
    /// reason lists (null, empty, with a null string), counts and times.
    fn table(rows: usize) -> DataFrame {
        let part = |from: usize, to: usize| {
            let id: Vec<String> = (from..to).map(|i| format!("alert-{i:08}")).collect();
            let team: Vec<Option<&str>> = (from..to)
                .map(|i| [Some("a"), Some("payments-platform-team"), None, Some("bb")][i % 4])
                .collect();
            let title: Vec<String> = (from..to)
                .map(|i| match i % 7 {
                    0 => "<script>alert(1)</script> ünïcødé ✓".to_string(),
                    1 => String::new(),
                    _ => format!("Disk usage high on host-{} for a long time", i % 3000),
                })
                .collect();
            // Over 64 bytes: statistics polars' writer truncates.
            let rule: Vec<String> = (from..to)
                .map(|i| {
                    format!(
                        "a rule whose name runs well past the 64 bytes a page statistic keeps: {}",
                        i % 3
                    )
                })
                .collect();
            let reasons: Vec<Option<Series>> = (from..to)
                .map(|i| match i % 4 {
                    0 => None,
                    1 => Some(Series::new("".into(), Vec::<&str>::new())),
                    2 => Some(Series::new("".into(), ["TRANSIENT", "STORM_SECONDARY"])),
                    _ => Some(Series::new("".into(), [Some("FLAPPING"), None])),
                })
                .collect();
            let count: Vec<Option<i64>> = (from..to)
                .map(|i| (i % 5 != 0).then_some(i as i64 % 11))
                .collect();
            let at: Vec<i64> = (from..to)
                .map(|i| 1_700_000_000_000_000 + i as i64)
                .collect();
            DataFrame::new_infer_height(vec![
                Column::new("alert_id".into(), id),
                Column::new("team".into(), team),
                Column::new("title".into(), title),
                Column::new("rule".into(), rule),
                Column::new("reasons".into(), reasons),
                Column::new("count".into(), count),
                Column::new("at".into(), at)
                    .cast(&DataType::Datetime(
                        TimeUnit::Microseconds,
                        Some(TimeZone::UTC),
                    ))
                    .unwrap(),
            ])
            .unwrap()
        };
        let split = rows * 3 / 4;
        let mut df = part(0, split);
        df.vstack_mut(&part(split, rows)).unwrap();
        df
    }

    fn written(df: &DataFrame) -> Vec<u8> {
        let mut bytes = Vec::new();
        write(&mut bytes, df).unwrap();
        bytes
    }

    #[test]
    fn a_table_reads_back_the_same_in_row_groups_of_the_set_size() {
        let rows = ROW_GROUP_ROWS + 1000;
        let df = table(rows);
        assert_eq!(df.column("reasons").unwrap().n_chunks(), 2);
        let bytes = written(&df);
        let back = ParquetReader::new(std::io::Cursor::new(bytes.clone()))
            .finish()
            .unwrap();
        assert_eq!(back.schema(), df.schema());
        assert!(back.equals_missing(&df));
        let meta =
            polars_parquet::parquet::read::read_metadata(&mut std::io::Cursor::new(bytes)).unwrap();
        let sizes: Vec<usize> = meta.row_groups.iter().map(|g| g.num_rows()).collect();
        assert_eq!(sizes, [ROW_GROUP_ROWS, 1000]);
        // Which leaf columns got a dictionary, in each row group: not the
        // ids or the times (all distinct); the team, titles (3,002
        // values), rules (3, long), reasons, counts (11 values).
        for group in &meta.row_groups {
            let with_dictionary: Vec<&str> = group
                .parquet_columns()
                .iter()
                .filter(|c| c.dictionary_page_offset().is_some())
                .map(|c| c.descriptor().path_in_schema[0].as_str())
                .collect();
            assert!(!with_dictionary.contains(&"alert_id"));
            assert!(!with_dictionary.contains(&"at"));
            for name in ["team", "title", "rule", "reasons", "count"] {
                assert!(
                    with_dictionary.contains(&name),
                    "{name}: {with_dictionary:?}"
                );
            }
        }
    }

    #[test]
    fn the_same_table_gives_the_same_bytes() {
        let df = table(ROW_GROUP_ROWS + 10);
        assert_eq!(written(&df), written(&df));
    }

    #[test]
    fn an_empty_table_keeps_its_columns() {
        let df = table(8).slice(0, 0);
        let back = ParquetReader::new(std::io::Cursor::new(written(&df)))
            .finish()
            .unwrap();
        assert_eq!(back.height(), 0);
        assert_eq!(back.schema(), df.schema());
    }

    /// A string chunk's pages: a dictionary page of its 3 values, a data
    /// page of its 400 rows with their statistics (of 400 rows cycling
    /// "a", "payments-platform-team", null, "bb": 100 nulls, least "a",
    /// greatest "payments-platform-team"). Values over 64 bytes are left
    /// to polars' writer, which truncates their statistics.
    #[test]
    fn string_pages_carry_the_dictionary_and_statistics() {
        let df = table(400);
        let chunk = |name: &str| {
            df.column(name)
                .unwrap()
                .as_materialized_series()
                .rechunk()
                .to_arrow(0, CompatLevel::newest())
        };
        let team = chunk("team");
        let field = ArrowField::new("team".into(), team.dtype().clone(), true);
        let type_ = polars_parquet::write::to_parquet_type(&field).unwrap();
        let Encode::Strings(strings, d) = with_dictionary(team.as_ref()) else {
            panic!("team: no dictionary");
        };
        assert_eq!(d.values, ["a", "payments-platform-team", "bb"]);
        assert_eq!(d.keys.len(), 300);
        let pages = string_pages(strings, &d, &type_, write_options())
            .unwrap()
            .unwrap();
        let [CompressedPage::Dict(dict), CompressedPage::Data(data)] = &pages[..] else {
            panic!("not a dictionary page and a data page");
        };
        assert_eq!(dict.compression(), Compression::Lz4Raw);
        assert_eq!(data.num_values(), 400);
        let DataPageHeader::V1(header) = data.header() else {
            panic!("not a V1 page");
        };
        let stats = header.statistics.as_ref().unwrap();
        assert_eq!(stats.null_count, Some(100));
        assert_eq!(stats.min_value.as_deref(), Some(&b"a"[..]));
        assert_eq!(
            stats.max_value.as_deref(),
            Some(&b"payments-platform-team"[..])
        );
        let rule = chunk("rule");
        let field = ArrowField::new("rule".into(), rule.dtype().clone(), true);
        let type_ = polars_parquet::write::to_parquet_type(&field).unwrap();
        let Encode::Strings(strings, d) = with_dictionary(rule.as_ref()) else {
            panic!("rule: no dictionary");
        };
        assert_eq!(d.values.len(), 3);
        assert!(string_pages(strings, &d, &type_, write_options()).is_none());
    }

    /// Keys point back at the strings they encode, one per set string;
    /// more than 75% distinct gives no dictionary.
    #[test]
    fn the_dictionary_gives_back_every_string() {
        let strings: Vec<Option<String>> = (0..5000)
            .map(|i| (i % 9 != 0).then(|| format!("value number {}", i % 1200)))
            .collect();
        let array = Utf8ViewArray::from_slice(&strings);
        let d = dictionary(&array, 0..array.len()).unwrap();
        // Each of the 1,200 values is at some row that isn't null: value v
        // is at rows v, v + 1200 and v + 2400, which are v, v + 3 and v + 6
        // modulo 9, so never all multiples of 9.
        assert_eq!(d.values.len(), 1200);
        let set: Vec<&String> = strings.iter().flatten().collect();
        assert_eq!(d.keys.len(), set.len());
        for (k, s) in d.keys.iter().zip(set) {
            assert_eq!(d.values[*k as usize], s.as_str());
        }
        // The same through the dictionary array handed to polars' writer.
        let a = d.to_array(array.validity()).unwrap();
        let values = a.values().as_any().downcast_ref::<Utf8ViewArray>().unwrap();
        for (i, s) in strings.iter().enumerate() {
            let got = a
                .keys()
                .get(i)
                .map(|k| values.value(k as usize).to_string());
            assert_eq!(&got, s, "row {i}");
        }
        // Rows 1,000..2,000 alone: values 1,000..1,199 and 0..799, less
        // the 800 + 200 multiples of 9 that are null... each value once,
        // so 1,000 rows with 111 nulls (the multiples of 9 from 1,008 to
        // 1,998) and 889 distinct strings: over 75% of 1,000, none.
        assert!(dictionary(&array, 1000..2000).is_none());
        // Rows 1,000..3,400: every value of the 1,200 at least once.
        let d = dictionary(&array, 1000..3400).unwrap();
        assert_eq!(d.values.len(), 1200);
        assert_eq!(d.values[0], "value number 1000");
        let distinct: Vec<String> = (0..1000).map(|i| format!("id-{i}")).collect();
        let distinct = Utf8ViewArray::from_slice_values(&distinct);
        assert!(dictionary(&distinct, 0..1000).is_none());
    }

    /// Arrow's 1 MiB limit: 2,000 distinct strings of 500 bytes, each
    /// twice (4,000 rows, half distinct), make a 1,000,000-byte dictionary;
    /// 2,200 of them (1,100,000 bytes, over 1,048,576) are written plain.
    #[test]
    fn a_dictionary_over_a_mebibyte_is_written_plain() {
        let rows = |distinct: usize| -> Utf8ViewArray {
            let rows: Vec<String> = (0..2 * distinct)
                .map(|i| format!("{:0>500}", i % distinct))
                .collect();
            Utf8ViewArray::from_slice_values(rows)
        };
        let (under, over) = (rows(2000), rows(2200));
        let d = dictionary(&under, 0..4000);
        assert_eq!(d.map(|d| d.values.len()), Some(2000));
        assert!(dictionary(&over, 0..4400).is_none());
    }

    /// The encoding worked by hand, and decoded back by polars' reader.
    /// polars' own tests give the first two: 0, 1, 2, 1, 2, 1, 1, 0, 3 in
    /// 2 bits is one bit-packed run of two groups (header (2 << 1) | 1 = 5)
    /// whose values fill each byte from its lowest bits, the second group
    /// padded with zeros; 3, 3, 0, 3, 2, 3, 3, 3, 3, 1, 3, 3, 3, 0, 3 is
    /// bit-packed too (no run longer than 8).
    #[test]
    fn the_hybrid_encoding_is_parquets() {
        let mut out = Vec::new();
        hybrid_rle(&mut out, &[0, 1, 2, 1, 2, 1, 1, 0, 3], 2);
        assert_eq!(out, [5, 0b01_10_01_00, 0b00_01_01_10, 0b11, 0]);
        out.clear();
        hybrid_rle(&mut out, &[3, 3, 0, 3, 2, 3, 3, 3, 3, 1, 3, 3, 3, 0, 3], 2);
        assert_eq!(out, [5, 207, 254, 247, 51]);
        // Eight 7s are not more than 8: one bit-packed group (header
        // (1 << 1) | 1 = 3, 8 × 3 bits = 3 bytes of ones); nine are a run
        // (header 9 << 1 = 18, the value in one byte).
        out.clear();
        hybrid_rle(&mut out, &[7; 8], 3);
        assert_eq!(out, [3, 255, 255, 255]);
        out.clear();
        hybrid_rle(&mut out, &[7; 9], 3);
        assert_eq!(out, [18, 7]);
        // 2, then 5 twenty times, in 3 bits: 2 and seven 5s bit-packed
        // (header 3; 2 | 5 << 3 | 5 << 6 ..., 3 bytes), then a run of 13
        // (header 13 << 1 = 26, the value in one byte).
        out.clear();
        let mut values = vec![2];
        values.extend([5; 20]);
        hybrid_rle(&mut out, &values, 3);
        assert_eq!(out, [3, 0b0110_1010, 0b1101_1011, 0b1011_0110, 26, 5]);
        // A run over 127 takes a two-byte header: 300 zeros in 1 bit is
        // 600 = 0b100_1011000, as 0xD8 0x04, then the value.
        out.clear();
        hybrid_rle(&mut out, &[0; 300], 1);
        assert_eq!(out, [0xD8, 0x04, 0]);
        // The same bytes as polars' encoder, on runs of every length from
        // 1 to 19 in random order (under its 8,192-value buffer, where
        // the two split long bit-packed runs differently).
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut random = |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below) as u32
        };
        for bits in [1, 3, 9] {
            let mut values = Vec::new();
            while values.len() < 8_000 {
                let (v, run) = (random(1 << bits), 1 + random(19) as usize);
                values.extend(std::iter::repeat_n(v, run));
            }
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            hybrid_rle(&mut ours, &values, bits);
            polars_parquet::parquet::encoding::hybrid_rle::encode::<u32, _, _>(
                &mut theirs,
                values.iter().copied(),
                bits,
            )
            .unwrap();
            assert_eq!(ours, theirs, "{bits} bits");
        }
        // Round trips: short runs, long runs, runs across the bit-packed
        // limit, every width.
        for bits in [0, 1, 2, 5, 8, 13, 17, 31, 32] {
            let max = if bits == 32 {
                u32::MAX
            } else {
                (1u32 << bits) - 1
            };
            let values: Vec<u32> = (0..40_000u32)
                .map(|i| match (i / 1000) % 4 {
                    0 => i.wrapping_mul(2_654_435_761) & max,
                    1 => (i / 7) & max,
                    2 => max,
                    _ => (i % 3) & max,
                })
                .collect();
            let mut out = Vec::new();
            hybrid_rle(&mut out, &values, bits);
            let decoded = polars_parquet::parquet::encoding::hybrid_rle::HybridRleDecoder::new(
                &out,
                bits,
                values.len(),
            )
            .collect()
            .unwrap();
            assert_eq!(decoded, values, "{bits} bits");
        }
    }

    #[test]
    fn integers_get_a_dictionary_of_their_distinct_values_in_first_seen_order() {
        let ints =
            PrimitiveArray::<i64>::from(vec![Some(5), None, Some(-3), Some(5), None, Some(7)]);
        let d = int_dictionary(&ints).unwrap();
        let values = d
            .values()
            .as_any()
            .downcast_ref::<PrimitiveArray<i64>>()
            .unwrap();
        assert_eq!(values.values().as_slice(), &[5, -3, 7]);
        let keys: Vec<Option<u32>> = d.keys().iter().map(|k| k.copied()).collect();
        assert_eq!(keys, [Some(0), None, Some(1), Some(0), None, Some(2)]);
    }

    /// Plain, not a dictionary: times mostly null and all distinct (1,000
    /// set among 10,000 rows: the share is over the set values, not the
    /// rows); 150,000 distinct values each twice (half distinct, but
    /// 1,200,000 bytes of values, over 1 MiB); no value at all. (Values
    /// repeat next to each other: a chunk whose first rows are all
    /// distinct is judged mostly distinct there.)
    #[test]
    fn integers_mostly_distinct_or_over_a_mebibyte_are_written_plain() {
        let sparse: Vec<Option<i64>> = (0..10_000)
            .map(|i| (i % 10 == 0).then_some(1_700_000_000_000_000 + i))
            .collect();
        assert!(int_dictionary(&PrimitiveArray::<i64>::from(sparse)).is_none());
        let halves: Vec<i64> = (0..300_000).map(|i| i / 2).collect();
        assert!(int_dictionary(&PrimitiveArray::<i64>::from_vec(halves)).is_none());
        // 100,000 distinct each three times: 800,000 bytes, a third distinct.
        let thirds: Vec<i64> = (0..300_000).map(|i| i / 3).collect();
        let d = int_dictionary(&PrimitiveArray::<i64>::from_vec(thirds));
        assert_eq!(d.map(|d| d.values().len()), Some(100_000));
        let nulls = PrimitiveArray::<i64>::from(vec![None::<i64>; 300]);
        assert!(int_dictionary(&nulls).is_none());
    }

    /// Judged on the way: 40,000 values, of which the first 32,768 are
    /// 80% distinct (each fifth row repeats the row before) and the rest
    /// repeat value 0. Over the chunk 26,215 distinct values are 66%, under
    /// 75%, but at the fourth check (16,384 values) 3,277 new values per
    /// 4,096 would reach 13,108 + 3,277 × 23,616 / 4,096 = 32,001 by the
    /// end, over 75% of 40,000 (30,000): plain. The same values in the
    /// other order (the repeats first) get their dictionary.
    #[test]
    fn integers_whose_new_values_keep_coming_are_judged_before_the_end() {
        let burst: Vec<i64> = (0..32_768).map(|i| i - i / 5).collect();
        let distinct = burst
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        assert_eq!(distinct, 26_215);
        let late: Vec<i64> = burst.iter().copied().chain([0; 7_232]).collect();
        assert!(int_dictionary(&PrimitiveArray::<i64>::from_vec(late)).is_none());
        let early: Vec<i64> = [0; 7_232].into_iter().chain(burst).collect();
        let d = int_dictionary(&PrimitiveArray::<i64>::from_vec(early));
        assert_eq!(d.map(|d| d.values().len()), Some(26_215));
    }

    /// A list-of-strings chunk takes the one-pass levels: a dictionary
    /// page of its distinct strings and one data page with a level per
    /// item, and one per null or empty list.
    #[test]
    fn lists_of_strings_get_their_levels_in_one_pass() {
        let df = table(400);
        let reasons = df.column("reasons").unwrap().as_materialized_series();
        let chunk = reasons
            .slice(100, 200)
            .rechunk()
            .to_arrow(0, CompatLevel::newest());
        let field = ArrowField::new("reasons".into(), chunk.dtype().clone(), true);
        let type_ = polars_parquet::write::to_parquet_type(&field).unwrap();
        let Encode::List(list) = with_dictionary(chunk.as_ref()) else {
            panic!("reasons: no dictionary");
        };
        let (list, items, d) = *list;
        // Rows 100..300 cycle null, empty, [TRANSIENT, STORM_SECONDARY],
        // [FLAPPING, null]: 50 of each, so 50 + 50 + 100 + 100 levels,
        // three distinct strings and 150 set.
        assert_eq!(d.values, ["TRANSIENT", "STORM_SECONDARY", "FLAPPING"]);
        assert_eq!(d.keys.len(), 150);
        let pages = list_pages(list, items, &d, &type_, write_options())
            .unwrap()
            .unwrap();
        assert_eq!(pages.len(), 2);
        assert!(matches!(pages[0], CompressedPage::Dict(_)));
        let CompressedPage::Data(data) = &pages[1] else {
            panic!("no data page");
        };
        assert_eq!(data.num_values(), 300);
        assert_eq!(data.num_rows, Some(200));
    }
}
