//! Strings numbered once: each distinct value of a string column gets a
//! code (`u32`), in first-seen order, so that the stages counting by team,
//! template, service or person compare and index numbers, not text.

use std::sync::Arc;

use polars::prelude::*;

/// A value's code in an [`Interner`]; [`NO_NAME`] when the value is
/// missing.
pub type Name = u32;
/// No value.
pub const NO_NAME: Name = Name::MAX;

/// Each distinct string numbered once, in first-seen order.
#[derive(Default)]
pub struct Interner {
    /// Each name's code.
    pub index: PlHashMap<Arc<str>, Name>,
    /// Each code's name.
    pub names: Vec<Arc<str>>,
}

impl Interner {
    /// The code of `s`, numbering it if it is new.
    pub fn code(&mut self, s: &str) -> Name {
        if let Some(&k) = self.index.get(s) {
            return k;
        }
        let k = self.names.len() as Name;
        let name: Arc<str> = Arc::from(s);
        self.names.push(name.clone());
        self.index.insert(name, k);
        k
    }

    /// The text of code `n` (`None` for [`NO_NAME`]).
    pub fn name(&self, n: Name) -> Option<&str> {
        self.names.get(n as usize).map(|s| &**s)
    }
}

/// Each value's code (`NO_NAME` for a null), in row order. Two small
/// direct-mapped caches find a repeated value without hashing its text.
/// The first is keyed by the value's whole 16-byte view, which holds a
/// short value (12 bytes or less) itself and a long one's place in the
/// chunk's buffers: the same view is the same value, with no look at the
/// text (a column read from a dictionary-encoded file, or gathered from
/// another, repeats its views). The second keys a long value by its length
/// and first four bytes, checked against the cached name's text.
pub fn codes(ca: &StringChunked, names: &mut Interner) -> Vec<Name> {
    const SLOTS: usize = 256;
    let slot = |key: u128| {
        let mixed = (key as u64 ^ (key >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> 56) as usize % SLOTS
    };
    let mut out = Vec::with_capacity(ca.len());
    // Keys are texts (or checked against them), so they hold across chunks.
    let mut by_head = [(0u128, NO_NAME); SLOTS];
    for arr in ca.downcast_iter() {
        // Views point into their own chunk's buffers: a cache per chunk.
        let mut by_view = [(0u128, NO_NAME); SLOTS];
        let nulls = has_nulls(arr);
        for (j, view) in arr.views().iter().enumerate() {
            if nulls && !is_valid(arr, j) {
                out.push(NO_NAME);
                continue;
            }
            let whole = view.as_u128();
            let at = slot(whole);
            let (seen, n) = by_view[at];
            if n != NO_NAME && seen == whole {
                out.push(n);
                continue;
            }
            let n = if view.is_inline() {
                names.code(arr.value(j))
            } else {
                // Length and prefix only.
                let head = whole as u64 as u128;
                let head_at = slot(head);
                let (seen, n) = by_head[head_at];
                let value = arr.value(j);
                if n != NO_NAME && seen == head && *names.names[n as usize] == *value {
                    n
                } else {
                    let n = names.code(value);
                    by_head[head_at] = (head, n);
                    n
                }
            };
            by_view[at] = (whole, n);
            out.push(n);
        }
    }
    out
}

/// How many times each value occurs (nulls left out), in first-seen
/// order.
pub fn value_counts(ca: &StringChunked) -> Vec<(Arc<str>, u64)> {
    let mut names = Interner::default();
    let mut n: Vec<u64> = Vec::new();
    for c in codes(ca, &mut names) {
        if c != NO_NAME {
            if n.len() <= c as usize {
                n.resize(c as usize + 1, 0);
            }
            n[c as usize] += 1;
        }
    }
    names.names.into_iter().zip(n).collect()
}

/// Does the chunk hold nulls? (The array trait's methods, reached through
/// the bound.)
fn has_nulls<A: StaticArray>(a: &A) -> bool {
    a.null_count() > 0
}

/// Is value `j` of the chunk set?
fn is_valid<A: StaticArray>(a: &A, j: usize) -> bool {
    a.is_valid(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value gets the code of its text: short (inline) and long
    /// values, nulls, two chunks, and more distinct values than the cache
    /// has slots.
    #[test]
    fn codes_name_every_value() {
        let values: Vec<Option<String>> = (0..2_000)
            .map(|i| match i {
                i if i % 7 == 0 => None,
                i if i % 2 == 0 => Some(format!("s{}", i % 300)),
                i => Some(format!("a value over twelve bytes {}", i % 500)),
            })
            .collect();
        let mut ca = StringChunked::new("x".into(), &values[..1_000]);
        ca.append(&StringChunked::new("x".into(), &values[1_000..]))
            .unwrap();
        assert_eq!(ca.chunks().len(), 2);
        let mut names = Interner::default();
        let got = codes(&ca, &mut names);
        assert_eq!(got.len(), values.len());
        for (v, c) in values.iter().zip(&got) {
            match v {
                None => assert_eq!(*c, NO_NAME),
                Some(text) => assert_eq!(&*names.names[*c as usize], text.as_str()),
            }
        }
        // One code per distinct text: 150 even short ones, 250 odd long ones.
        assert_eq!(names.names.len(), 150 + 250);
        // Gathered rows repeat their views (long values: the same place
        // in the same buffer); each still gets its own text's code, and
        // two views of one text in different buffers the same code.
        let rows: IdxCa = (0..3_000u32).map(|i| Some((i * 7) % 2_000)).collect();
        let gathered = ca.take(&rows).unwrap();
        let again = codes(&gathered, &mut names);
        for (row, c) in rows.iter().zip(&again) {
            match &values[row.unwrap_or(0) as usize] {
                None => assert_eq!(*c, NO_NAME),
                Some(text) => assert_eq!(&*names.names[*c as usize], text.as_str()),
            }
        }
        assert_eq!(names.names.len(), 150 + 250);
    }
}
