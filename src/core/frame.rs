//! Small helpers over polars frames.

use polars::prelude::*;

use crate::error::Error;

/// Flag `column` as sorted ascending if its values are (nulls first), so
/// polars skips sorting by it again.
pub fn mark_sorted(df: &mut DataFrame, column: &str) -> Result<(), Error> {
    let what = "the trigger-time order";
    let Ok(c) = df.column(column) else {
        return Ok(());
    };
    let t = c.cast(&DataType::Int64).map_err(Error::polars(what))?;
    let t = t.i64().map_err(Error::polars(what))?;
    let mut last = None;
    for v in t.iter() {
        if v < last {
            return Ok(());
        }
        last = v;
    }
    let mut c = c.clone();
    c.set_sorted_flag(polars::series::IsSorted::Ascending);
    df.with_column(c).map_err(Error::polars(what))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flag goes on a column in order (nulls first) and on no other.
    #[test]
    fn only_ordered_trigger_times_are_flagged() {
        use polars::series::IsSorted;
        let flag = |v: Vec<Option<i64>>| {
            let mut df = DataFrame::new_infer_height(vec![Column::new("t".into(), v)]).unwrap();
            mark_sorted(&mut df, "t").unwrap();
            df.column("t").unwrap().is_sorted_flag()
        };
        assert_eq!(
            flag(vec![None, Some(1), Some(1), Some(5)]),
            IsSorted::Ascending
        );
        assert_eq!(flag(vec![Some(1), Some(3), Some(2)]), IsSorted::Not);
        assert_eq!(flag(vec![Some(1), None, Some(2)]), IsSorted::Not);
        assert_eq!(flag(vec![]), IsSorted::Ascending);
    }
}
