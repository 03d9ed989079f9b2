//! Files written whole or not at all: every output and every store file.

use std::fs::{self, File};
use std::path::Path;

pub use crate::error::WriteError;

/// Write `path` by writing a sibling temporary file, syncing it, and renaming
/// it over `path`.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    write_atomic_at(path, |tmp| {
        let mut f = File::create(tmp)?;
        write(&mut f)
    })
}

/// [`write_atomic`] for writers that open the file themselves: `write`
/// gets the temporary file's path; the file is then synced and renamed over
/// `path`.
pub fn write_atomic_at(
    path: &Path,
    write: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let io = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        write(&tmp)?;
        File::open(&tmp)?.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)
}
