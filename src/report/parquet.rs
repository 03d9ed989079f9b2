//! Parquet as a run writes it: row groups of [`ROW_GROUP_ROWS`] rows,
//! encoded and LZ4-compressed on every core and written in order, so the
//! same frame gives the same bytes.
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
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField, IntegerType};
use polars_arrow::offset::OffsetsBuffer;
use polars_parquet::parquet::compression::Compression;
use polars_parquet::parquet::encoding::hybrid_rle;
use polars_parquet::parquet::metadata::Descriptor;
use polars_parquet::parquet::page::{
    CompressedDataPage, CompressedDictPage, DataPage, DataPageHeader, DataPageHeaderV1, DictPage,
};
use polars_parquet::parquet::schema::types::PrimitiveType;
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
                        crate::ingest::timing(
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
    let (chunk, encoding, options) = match with_dictionary(chunk.as_ref()) {
        Encode::Dictionary(d) => (d, vec![Encoding::RleDictionary; encoding.len()], options),
        Encode::List(list) => {
            let (list, d) = *list;
            if let Some(pages) = list_pages(&list, &d, type_, options) {
                return Ok(vec![pages?]);
            }
            (
                list.boxed(),
                vec![Encoding::RleDictionary; encoding.len()],
                options,
            )
        }
        Encode::Numbers => (
            chunk,
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
            (chunk, vec![Encoding::Plain; encoding.len()], plain)
        }
        Encode::None => (chunk, encoding.to_vec(), options),
    };
    array_to_columns(chunk, type_.clone(), options, &encoding)?
        .into_iter()
        .map(|pages| pages.map(|page| page.and_then(compress)).collect())
        .collect()
}

/// How a column chunk is written.
enum Encode {
    /// As this dictionary-encoded chunk.
    Dictionary(Box<dyn Array>),
    /// A list chunk (offsets from 0) of these dictionary-encoded strings.
    List(Box<(ListArray<i64>, DictionaryArray<u32>)>),
    /// Strings plain (too many distinct values), without min/max
    /// statistics.
    Plain,
    /// 64-bit integers (or times) with too many distinct values:
    /// delta-encoded, with statistics.
    Numbers,
    /// Any other column: as polars writes it.
    None,
}

/// How to write a chunk: a string, list-of-strings or 64-bit integer chunk
/// with a dictionary if it is worth one.
fn with_dictionary(chunk: &dyn Array) -> Encode {
    if let Some(strings) = chunk.as_any().downcast_ref::<Utf8ViewArray>() {
        return match dictionary(strings) {
            Some(d) => Encode::Dictionary(d.boxed()),
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
    // A slice of a list column keeps all of the column's strings: take the
    // row group's own, and offsets from 0.
    let (first, last) = (*list.offsets().first(), *list.offsets().last());
    let (Ok(start), Ok(end)) = (usize::try_from(first), usize::try_from(last)) else {
        return Encode::Plain;
    };
    if end < start || end > strings.len() {
        return Encode::Plain;
    }
    let Some(d) = dictionary(&strings.clone().sliced(start, end - start)) else {
        return Encode::Plain;
    };
    let Ok(offsets) = OffsetsBuffer::<i64>::try_from(
        list.offsets()
            .iter()
            .map(|o| o - first)
            .collect::<Vec<i64>>(),
    ) else {
        return Encode::Plain;
    };
    let inner = match list.dtype() {
        ArrowDataType::LargeList(field) => {
            ArrowField::new(field.name.clone(), d.dtype().clone(), field.is_nullable)
        }
        _ => return Encode::Plain,
    };
    match ListArray::<i64>::try_new(
        ArrowDataType::LargeList(Box::new(inner)),
        offsets,
        d.clone().boxed(),
        list.validity().cloned(),
    ) {
        Ok(l) => Encode::List(Box::new((l, d))),
        Err(_) => Encode::Plain,
    }
}

/// The pages of a list-of-strings column chunk (`list`'s offsets start
/// at 0; `strings` are its items as keys into their distinct values): a
/// dictionary page and one data page, as polars writes them, but with the
/// repetition and definition levels worked out in one pass over the
/// offsets. polars' writer walks a general nested-levels iterator three
/// times per page (repetition, definition, count); for `reasons` and
/// `responders` that was a third of the time `alerts.parquet` took.
///
/// `None` when the column is not an optional-or-required list of
/// optional-or-required strings (polars' writer handles it then).
fn list_pages(
    list: &ListArray<i64>,
    strings: &DictionaryArray<u32>,
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
        fields: items,
        ..
    }] = fields.as_slice()
    else {
        return None;
    };
    let [ParquetType::PrimitiveType(leaf)] = items.as_slice() else {
        return None;
    };
    if repeated.repetition != Repetition::Repeated
        || leaf.field_info.repetition == Repetition::Repeated
    {
        return None;
    }
    let list_optional = field_info.repetition == Repetition::Optional;
    let item_optional = leaf.field_info.repetition == Repetition::Optional;
    if (!list_optional && list.null_count() > 0) || (!item_optional && strings.null_count() > 0) {
        return None;
    }
    let values = strings.values().as_any().downcast_ref::<Utf8ViewArray>()?;
    Some(list_pages_of(
        list,
        strings,
        values,
        leaf,
        list_optional,
        item_optional,
        options,
    ))
}

/// [`list_pages`] once the column's shape is checked.
fn list_pages_of(
    list: &ListArray<i64>,
    strings: &DictionaryArray<u32>,
    values: &Utf8ViewArray,
    leaf: &PrimitiveType,
    list_optional: bool,
    item_optional: bool,
    options: WriteOptions,
) -> PolarsResult<Vec<CompressedPage>> {
    // Definition levels: a null list 0, an empty one `empty`, a null item
    // `empty + 1`, an item `present`; repetition: 1 for an item after the
    // first of its list, else 0.
    let empty = u32::from(list_optional);
    let present = empty + 1 + u32::from(item_optional);
    let mut rep = Vec::with_capacity(strings.len() + list.len());
    let mut def = Vec::with_capacity(strings.len() + list.len());
    let mut keys = Vec::with_capacity(strings.len());
    let offsets = list.offsets().buffer();
    for (row, w) in offsets.windows(2).enumerate() {
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
                if strings.is_valid(i) {
                    def.push(present);
                    keys.push(strings.keys().value(i));
                } else {
                    def.push(present - 1);
                }
            }
        }
    }
    let mut buffer = Vec::new();
    let rle = |buffer: &mut Vec<u8>, levels: &[u32], max: u32| -> PolarsResult<()> {
        let at = buffer.len();
        buffer.extend_from_slice(&[0; 4]);
        hybrid_rle::encode::<u32, _, _>(buffer, levels.iter().copied(), bit_width(max))?;
        let length = (buffer.len() - at - 4) as u32;
        buffer[at..at + 4].copy_from_slice(&length.to_le_bytes());
        Ok(())
    };
    rle(&mut buffer, &rep, 1)?;
    rle(&mut buffer, &def, present)?;
    let key_bits = bit_width(keys.iter().copied().max().unwrap_or(0));
    buffer.push(key_bits as u8);
    hybrid_rle::encode::<u32, _, _>(&mut buffer, keys.iter().copied(), key_bits)?;

    let mut dict = Vec::new();
    for v in values.values_iter() {
        dict.extend_from_slice(&(v.len() as u32).to_le_bytes());
        dict.extend_from_slice(v.as_bytes());
    }
    let statistics = options.has_statistics().then(|| {
        let stats = &options.statistics;
        BinaryStatistics {
            primitive_type: leaf.clone(),
            null_count: stats.null_count.then_some(strings.null_count() as i64),
            distinct_count: None,
            max_value: stats
                .max_value
                .then(|| values.values_iter().max().map(|v| v.as_bytes().to_vec()))
                .flatten(),
            min_value: stats
                .min_value
                .then(|| values.values_iter().min().map(|v| v.as_bytes().to_vec()))
                .flatten(),
        }
        .serialize()
    });
    let header = DataPageHeader::V1(DataPageHeaderV1 {
        num_values: rep.len() as i32,
        encoding: Encoding::RleDictionary.into(),
        definition_level_encoding: Encoding::Rle.into(),
        repetition_level_encoding: Encoding::Rle.into(),
        statistics,
    });
    let descriptor = Descriptor {
        primitive_type: leaf.clone(),
        max_def_level: present as i16,
        max_rep_level: 1,
    };
    let dict = Page::Dict(DictPage::new(CowBuffer::Owned(dict), values.len(), false));
    let data = Page::Data(DataPage::new(
        header,
        CowBuffer::Owned(buffer),
        descriptor,
        list.len(),
    ));
    [dict, data].into_iter().map(compress).collect()
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

/// The strings as keys into their distinct values (in order of first
/// appearance, as polars orders them), or `None` when more than
/// [`DICTIONARY_MAX_SHARE`] of them are distinct.
fn dictionary(strings: &Utf8ViewArray) -> Option<DictionaryArray<u32>> {
    let n = strings.len();
    let most = if n > 128 {
        (n as f64 * DICTIONARY_MAX_SHARE) as usize
    } else {
        n
    };
    let views = strings.views();
    // Distinct strings by their 64-bit hash (computed once: growing the
    // table moves hashes, not strings); the rare string whose hash another
    // one already holds goes to `collided`.
    let mut index: PlHashMap<u64, u32> = PlHashMap::default();
    let mut collided: PlHashMap<&str, u32> = PlHashMap::default();
    let hasher = index.hasher().clone();
    let mut values: Vec<&str> = Vec::new();
    let mut keys: Vec<u32> = Vec::with_capacity(n);
    let mut bytes = 0;
    // The last view and key seen per cache slot, the slot picked by a
    // view's first 8 bytes (length and prefix).
    let mut cache = [(u128::MAX, 0u32); 256];
    for (i, view) in views.iter().enumerate() {
        if !strings.is_valid(i) {
            keys.push(0);
            continue;
        }
        let whole = view.as_u128();
        let head = whole as u64;
        let slot = (head.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize;
        let s = strings.value(i);
        let (cached, key) = cache[slot];
        let is = |key: u32| values.get(key as usize).is_some_and(|v| *v == s);
        // The same view is the same string (the same bytes inline, or the
        // same place in the same buffer); the same length and prefix
        // needs a look at the strings.
        let key = if cached == whole || (cached as u64 == head && is(key)) {
            key
        } else {
            let next = values.len() as u32;
            let h = hasher.hash_one(s);
            let key = match index.get(&h) {
                Some(&key) if is(key) => key,
                Some(_) => *collided.entry(s).or_insert(next),
                None => {
                    index.insert(h, next);
                    next
                }
            };
            if key == next {
                values.push(s);
                bytes += s.len();
                if values.len() > most || bytes > DICTIONARY_MAX_BYTES {
                    return None;
                }
            }
            cache[slot] = (whole, key);
            key
        };
        keys.push(key);
        // Mostly distinct so far (7 in 8): not worth finishing.
        if (i + 1) % CHECK_EVERY == 0 && values.len() * 8 > (i + 1) * 7 {
            return None;
        }
    }
    let keys = PrimitiveArray::<u32>::new(
        ArrowDataType::UInt32,
        keys.into(),
        strings.validity().cloned(),
    );
    let values = Utf8ViewArray::from_slice_values(&values);
    DictionaryArray::try_new(
        ArrowDataType::Dictionary(
            IntegerType::UInt32,
            Box::new(ArrowDataType::Utf8View),
            false,
        ),
        keys,
        values.boxed(),
    )
    .ok()
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
        // values), reasons, counts (11 values).
        for group in &meta.row_groups {
            let with_dictionary: Vec<&str> = group
                .parquet_columns()
                .iter()
                .filter(|c| c.dictionary_page_offset().is_some())
                .map(|c| c.descriptor().path_in_schema[0].as_str())
                .collect();
            assert!(!with_dictionary.contains(&"alert_id"));
            assert!(!with_dictionary.contains(&"at"));
            for name in ["team", "title", "reasons", "count"] {
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

    /// Keys point back at the strings they encode; nulls stay null; more
    /// than 75% distinct gives no dictionary.
    #[test]
    fn the_dictionary_gives_back_every_string() {
        let strings: Vec<Option<String>> = (0..5000)
            .map(|i| (i % 9 != 0).then(|| format!("value number {}", i % 1200)))
            .collect();
        let array = Utf8ViewArray::from_slice(&strings);
        let d = dictionary(&array).unwrap();
        let values = d.values().as_any().downcast_ref::<Utf8ViewArray>().unwrap();
        // Each of the 1,200 values is at some row that isn't null: value v
        // is at rows v, v + 1200 and v + 2400, which are v, v + 3 and v + 6
        // modulo 9, so never all multiples of 9.
        assert_eq!(values.len(), 1200);
        for (i, s) in strings.iter().enumerate() {
            let got = d
                .keys()
                .get(i)
                .map(|k| values.value(k as usize).to_string());
            assert_eq!(&got, s, "row {i}");
        }
        let distinct: Vec<String> = (0..1000).map(|i| format!("id-{i}")).collect();
        assert!(dictionary(&Utf8ViewArray::from_slice_values(&distinct)).is_none());
    }

    /// Arrow's 1 MiB limit: 2,000 distinct strings of 500 bytes, each
    /// twice (4,000 rows, half distinct), make a 1,000,000-byte dictionary;
    /// 2,200 of them (1,100,000 bytes, over 1,048,576) are written plain.
    #[test]
    fn a_dictionary_over_a_mebibyte_is_written_plain() {
        let rows = |distinct: usize| -> Vec<String> {
            (0..2 * distinct)
                .map(|i| format!("{:0>500}", i % distinct))
                .collect()
        };
        let under = dictionary(&Utf8ViewArray::from_slice_values(rows(2000)));
        assert_eq!(under.map(|d| d.values().len()), Some(2000));
        assert!(dictionary(&Utf8ViewArray::from_slice_values(rows(2200))).is_none());
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
        let (list, strings) = *list;
        // Rows 100..300 cycle null, empty, [TRANSIENT, STORM_SECONDARY],
        // [FLAPPING, null]: 50 of each, so 50 + 50 + 100 + 100 levels and
        // three distinct strings.
        assert_eq!(strings.values().len(), 3);
        let pages = list_pages(&list, &strings, &type_, write_options())
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
