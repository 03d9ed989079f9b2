//! FNV-1a, 64-bit: the one hash behind every id, key and fold that must be
//! the same in every run and on every machine (template ids, identities,
//! cross-validation folds, Alertmanager fingerprints).

/// FNV-1a 64's offset basis.
pub const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64's prime.
pub const PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a 64 of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    extend(OFFSET, bytes)
}

/// Continue a hash `h` over more bytes.
pub fn extend(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(PRIME))
}

/// A label set's fingerprint as Prometheus computes it
/// (`labelSetToFingerprint` in `common/model/signature.go`): FNV-1a 64
/// over each `name 0xff value 0xff`, the pairs sorted by name.
pub fn label_set<'a>(sorted_pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> u64 {
    sorted_pairs.into_iter().fold(OFFSET, |h, (k, v)| {
        let h = extend(extend(h, k.as_bytes()), &[0xff]);
        extend(extend(h, v.as_bytes()), &[0xff])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published FNV-1a 64 test vectors.
    #[test]
    fn published_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(extend(fnv1a(b"foo"), b"bar"), fnv1a(b"foobar"));
    }
}
