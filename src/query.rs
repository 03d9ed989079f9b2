//! `alertsift query`: SQL (polars' SQL engine) over the tables a run
//! writes, and over the store.
//!
//! Tables (each registered only if its file exists):
//! * `alerts`    — `DIR/alerts.parquet`: the classified alerts;
//! * `incidents` — `DIR/incidents.parquet`;
//! * `templates` — `DIR/templates.parquet`: per-template statistics;
//! * `episodes`  — `DIR/episodes.parquet`: one row per storm episode;
//! * `store_alerts`, `store_incidents` — the store's canonical tables, when
//!   a store is given.
//!
//! The columns of every table are listed in the README ("Analysed tables")
//! and by `alertsift query --schema`.

use std::path::Path;

use polars::prelude::*;
use polars::sql::SQLContext;

use crate::error::Error;
use crate::store::Store;

/// The tables of a run's output directory, by name and file.
pub const RUN_TABLES: [(&str, &str); 4] = [
    ("alerts", "alerts.parquet"),
    ("incidents", "incidents.parquet"),
    ("templates", "templates.parquet"),
    ("episodes", "episodes.parquet"),
];

/// A table's name and its columns with their types.
pub type TableSchema = (String, Vec<(String, String)>);

/// The tables a query can name.
pub struct Tables {
    ctx: SQLContext,
    names: Vec<String>,
    /// The run directory looked in.
    dir: std::path::PathBuf,
}

impl Tables {
    /// Register the tables of the run directory `dir` and, if given, of the
    /// store. At least one table must exist.
    pub fn open(dir: &Path, store: Option<&Path>) -> Result<Tables, Error> {
        let ctx = SQLContext::new();
        let mut names = Vec::new();
        for (name, file) in RUN_TABLES {
            let path = dir.join(file);
            if path.is_file() {
                let lf = LazyFrame::scan_parquet(
                    PlRefPath::new(path.to_string_lossy().into_owned()),
                    ScanArgsParquet::default(),
                )
                .map_err(|source| Error::Query {
                    message: format!("reading {}: {source}", path.display()),
                })?;
                ctx.register(name, lf);
                names.push(name.to_string());
            }
        }
        if let Some(store) = store {
            let store = Store::open(store)?;
            ctx.register("store_alerts", store.alerts()?);
            ctx.register("store_incidents", store.incidents()?);
            names.push("store_alerts".into());
            names.push("store_incidents".into());
        }
        if names.is_empty() {
            return Err(Error::Query {
                message: format!(
                    "{} holds none of {}: run `alertsift run ... --out {}` first, \
                     or give --store",
                    dir.display(),
                    RUN_TABLES.map(|(_, f)| f).join(", "),
                    dir.display()
                ),
            });
        }
        Ok(Tables {
            ctx,
            names,
            dir: dir.to_path_buf(),
        })
    }

    /// The registered table names, in the order above.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Each table with its columns and their types.
    pub fn schema(&mut self) -> Result<Vec<TableSchema>, Error> {
        let mut out = Vec::new();
        for name in self.names.clone() {
            let mut lf = self
                .ctx
                .execute(&format!("SELECT * FROM {name}"))
                .map_err(sql_error)?;
            let schema = lf.collect_schema().map_err(sql_error)?;
            let cols = schema
                .iter()
                .map(|(c, t)| (c.to_string(), t.to_string()))
                .collect();
            out.push((name, cols));
        }
        Ok(out)
    }

    /// Run one SQL statement and collect its result.
    pub fn run(&mut self, sql: &str) -> Result<DataFrame, Error> {
        self.ctx
            .execute(sql)
            .and_then(LazyFrame::collect)
            .map_err(|e| self.missing_run_table(e))
    }

    /// A query naming a run's table that the run directory lacks says where
    /// it looked; any other error is polars' own.
    fn missing_run_table(&self, e: PolarsError) -> Error {
        let text = e.to_string();
        let missing = RUN_TABLES.iter().find(|(name, _)| {
            !self.names.iter().any(|n| n == name) && text.contains(&format!("'{name}'"))
        });
        match missing {
            Some((name, file)) => Error::Query {
                message: format!(
                    "no table {name}: {} holds no {file} (give --out DIR of a `run`; \
                     the tables here are {})",
                    self.dir.display(),
                    self.names.join(", ")
                ),
            },
            None => sql_error(e),
        }
    }
}

fn sql_error(e: PolarsError) -> Error {
    Error::Query {
        message: e.to_string(),
    }
}

/// How to write a result, from the output file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// `.csv`: header and rows; instants in RFC 3339 UTC; lists joined by `;`.
    Csv,
    /// `.json`: an array of objects; instants in RFC 3339 UTC.
    Json,
    /// `.parquet`: the frame as is.
    Parquet,
}

impl OutputFormat {
    /// The format named by a path's extension.
    pub fn of(path: &Path) -> Result<OutputFormat, Error> {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => Ok(OutputFormat::Csv),
            Some(e) if e.eq_ignore_ascii_case("json") => Ok(OutputFormat::Json),
            Some(e) if e.eq_ignore_ascii_case("parquet") => Ok(OutputFormat::Parquet),
            _ => Err(Error::Query {
                message: format!(
                    "--output {}: the name must end in .csv, .json or .parquet",
                    path.display()
                ),
            }),
        }
    }
}

/// Write a result frame to `path` in `format`.
pub fn write(df: &DataFrame, path: &Path, format: OutputFormat) -> Result<(), Error> {
    match format {
        OutputFormat::Parquet => crate::report::write_parquet(path, df),
        OutputFormat::Csv => {
            let rows = text_rows(df);
            crate::core::fs::write_atomic(path, |f| {
                let mut w = csv::Writer::from_writer(f);
                let err = |e: csv::Error| std::io::Error::other(e.to_string());
                w.write_record(df.get_column_names().iter().map(|n| n.as_str()))
                    .map_err(err)?;
                for row in rows {
                    w.write_record(row.iter().map(|c| c.as_deref().unwrap_or("")))
                        .map_err(err)?;
                }
                w.flush()
            })
            .map_err(Error::from)
        }
        OutputFormat::Json => {
            let names: Vec<String> = df
                .get_column_names()
                .iter()
                .map(|n| n.to_string())
                .collect();
            let cols = df.columns();
            let records: Vec<serde_json::Value> = (0..df.height())
                .map(|i| {
                    let obj = names
                        .iter()
                        .zip(cols)
                        .map(|(n, c)| (n.clone(), json_value(c.get(i).unwrap_or(AnyValue::Null))))
                        .collect::<serde_json::Map<_, _>>();
                    serde_json::Value::Object(obj)
                })
                .collect();
            let text = serde_json::to_vec_pretty(&records).unwrap_or_default();
            crate::core::fs::write_atomic(path, |f| {
                use std::io::Write;
                f.write_all(&text)?;
                f.write_all(b"\n")
            })
            .map_err(Error::from)
        }
    }
}

/// Every cell as text (null: `None`).
fn text_rows(df: &DataFrame) -> Vec<Vec<Option<String>>> {
    let cols = df.columns();
    (0..df.height())
        .map(|i| {
            cols.iter()
                .map(|c| text_value(&c.get(i).unwrap_or(AnyValue::Null)))
                .collect()
        })
        .collect()
}

fn text_value(v: &AnyValue) -> Option<String> {
    Some(match v {
        AnyValue::Null => return None,
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Datetime(t, unit, _) | AnyValue::DatetimeOwned(t, unit, _) => instant(*t, *unit),
        AnyValue::List(s) => {
            let parts: Vec<String> = s
                .iter()
                .map(|v| text_value(&v).unwrap_or_default())
                .collect();
            parts.join(";")
        }
        v => v.to_string(),
    })
}

fn json_value(v: AnyValue) -> serde_json::Value {
    use serde_json::Value;
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Int8(n) => n.into(),
        AnyValue::Int16(n) => n.into(),
        AnyValue::Int32(n) => n.into(),
        AnyValue::Int64(n) => n.into(),
        AnyValue::UInt8(n) => n.into(),
        AnyValue::UInt16(n) => n.into(),
        AnyValue::UInt32(n) => n.into(),
        AnyValue::UInt64(n) => n.into(),
        AnyValue::Float32(x) => {
            serde_json::Number::from_f64(f64::from(x)).map_or(Value::Null, Value::Number)
        }
        AnyValue::Float64(x) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
        AnyValue::Datetime(t, unit, _) | AnyValue::DatetimeOwned(t, unit, _) => {
            Value::String(instant(t, unit))
        }
        AnyValue::List(s) => Value::Array(s.iter().map(json_value).collect()),
        v => Value::String(v.to_string()),
    }
}

/// An instant as RFC 3339 UTC with the precision it needs.
fn instant(t: i64, unit: TimeUnit) -> String {
    let us = match unit {
        TimeUnit::Nanoseconds => t.div_euclid(1000),
        TimeUnit::Microseconds => t,
        TimeUnit::Milliseconds => t.saturating_mul(1000),
    };
    chrono::DateTime::from_timestamp_micros(us)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| us.to_string())
}
