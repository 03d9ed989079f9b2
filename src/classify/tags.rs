//! Human tags: a CSV `alert_id,label[,category]` (`review.csv` filled in is
//! one). `label` is `noise` or `actionable`; a row with an empty label is
//! not tagged yet and is skipped. `category` may be an opsweekly tag
//! (domain.md); it is kept for reference and not needed.

use std::collections::HashMap;
use std::path::Path;

use crate::error::Error;

/// Tags by alert id: `noise` or `actionable`.
#[derive(Debug, Clone, Default)]
pub struct Tags {
    /// Alert id → label.
    pub labels: HashMap<String, String>,
    /// Rows with an empty label (not tagged yet).
    pub untagged_rows: u64,
}

/// Read a tags file; any malformed row is an error naming its line.
pub fn read(path: &Path) -> Result<Tags, Error> {
    let bad = |message: String| Error::Tags {
        path: path.to_path_buf(),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| bad(e.to_string()))?;
    let header = rdr.headers().map_err(|e| bad(e.to_string()))?.clone();
    let find = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(id_col), Some(label_col)) = (find("alert_id"), find("label")) else {
        return Err(bad(format!(
            "the header must name alert_id and label columns (found: {})",
            header.iter().collect::<Vec<_>>().join(",")
        )));
    };
    let mut tags = Tags::default();
    for (i, row) in rdr.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| bad(format!("line {line}: {e}")))?;
        let id = row.get(id_col).unwrap_or("").trim();
        let label = row.get(label_col).unwrap_or("").trim().to_ascii_lowercase();
        if id.is_empty() {
            return Err(bad(format!("line {line}: empty alert_id")));
        }
        match label.as_str() {
            "" => tags.untagged_rows += 1,
            "noise" | "actionable" => {
                if let Some(old) = tags.labels.insert(id.to_string(), label.clone()) {
                    if old != label {
                        return Err(bad(format!(
                            "line {line}: {id} is tagged both {old} and {label}"
                        )));
                    }
                }
            }
            other => {
                return Err(bad(format!(
                    "line {line}: label {other:?} is neither noise nor actionable"
                )))
            }
        }
    }
    Ok(tags)
}
