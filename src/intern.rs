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

/// Each value's code (`NO_NAME` for a null), in row order. A small
/// direct-mapped cache finds a repeated value without hashing
/// its text: a short value (12 bytes or less) is keyed by its 16-byte view,
/// which holds the string itself; a long one by its length and first four
/// bytes, checked against the cached name's text.
pub fn codes(ca: &StringChunked, names: &mut Interner) -> Vec<Name> {
    const SLOTS: usize = 256;
    let mut out = Vec::with_capacity(ca.len());
    // Keys are texts (or checked against them), so they hold across chunks.
    let mut cache = [(0u128, NO_NAME); SLOTS];
    for arr in ca.downcast_iter() {
        let nulls = has_nulls(arr);
        for (j, view) in arr.views().iter().enumerate() {
            if nulls && !is_valid(arr, j) {
                out.push(NO_NAME);
                continue;
            }
            let (inline, key) = (view.is_inline(), view.as_u128());
            // Length and prefix only, for a long value.
            let key = if inline { key } else { key as u64 as u128 };
            let mixed = (key as u64 ^ (key >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let slot = (mixed >> 56) as usize % SLOTS;
            let (seen, n) = cache[slot];
            let value = || arr.value(j);
            if n != NO_NAME && seen == key && (inline || *names.names[n as usize] == *value()) {
                out.push(n);
                continue;
            }
            let n = names.code(value());
            cache[slot] = (key, n);
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
    }
}
