//! The little SQL interface the store's logic is written against, once for
//! both databases: a connection inside a transaction that executes
//! statements with `?1`-style parameters and returns rows of integers and
//! texts.
//!
//! The schema uses only `BIGINT` and `TEXT` columns, so two value kinds
//! cover every column on both databases; statements are written in the SQL
//! both speak (`ON CONFLICT`, `RETURNING`, row values), with two markers
//! the backends rewrite: `{lock}` (a row lock: `FOR UPDATE` on PostgreSQL,
//! nothing on SQLite, whose writer holds the whole database) and `{skip}`
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL).

use std::fmt;

use crate::store::StoreError;

/// A parameter or column value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A `BIGINT` (or its `NULL`).
    Int(Option<i64>),
    /// A `TEXT` (or its `NULL`).
    Text(Option<String>),
    /// A `NULL` of no particular type (SQLite's, as read back; as a
    /// parameter it takes the type the statement expects).
    Null,
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}

/// One row of a result, column by column in the statement's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn get(&self, column: usize) -> Result<&Value, StoreError> {
        self.0
            .get(column)
            .ok_or_else(|| StoreError::data(format!("no column {column} in a row")))
    }

    /// A `BIGINT` that must not be `NULL`.
    pub fn int(&self, column: usize) -> Result<i64, StoreError> {
        self.opt_int(column)?
            .ok_or_else(|| StoreError::data(format!("column {column} is NULL")))
    }

    /// A `BIGINT` or `NULL`.
    pub fn opt_int(&self, column: usize) -> Result<Option<i64>, StoreError> {
        match self.get(column)? {
            Value::Int(v) => Ok(*v),
            Value::Null => Ok(None),
            Value::Text(_) => Err(StoreError::data(format!(
                "column {column} is text, not an integer"
            ))),
        }
    }

    /// A `TEXT` that must not be `NULL`.
    pub fn text(&self, column: usize) -> Result<String, StoreError> {
        self.opt_text(column)?
            .ok_or_else(|| StoreError::data(format!("column {column} is NULL")))
    }

    /// A `TEXT` or `NULL`.
    pub fn opt_text(&self, column: usize) -> Result<Option<String>, StoreError> {
        match self.get(column)? {
            Value::Text(v) => Ok(v.clone()),
            Value::Null => Ok(None),
            Value::Int(_) => Err(StoreError::data(format!(
                "column {column} is an integer, not text"
            ))),
        }
    }
}

/// Which database a statement runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
        })
    }
}

impl Dialect {
    /// `sql` with its markers and placeholders in this dialect.
    pub fn render(self, sql: &str) -> String {
        match self {
            Dialect::Sqlite => sql.replace("{lock}", "").replace("{skip}", ""),
            Dialect::Postgres => {
                let sql = sql
                    .replace("{lock}", " FOR UPDATE")
                    .replace("{skip}", " FOR UPDATE SKIP LOCKED");
                numbered_params(&sql)
            }
        }
    }
}

/// `?N` → `$N`, outside quoted literals and identifiers.
fn numbered_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('$');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

/// A connection inside a transaction. The store's operations take one;
/// an application's own effect, run in the same transaction as an
/// outcome's acknowledgement, takes one too
/// ([`Ledger::acknowledge_with`](crate::Ledger::acknowledge_with)).
///
/// Statements use `?1`, `?2`, … for parameters on both databases (they
/// become `$1`, `$2`, … on PostgreSQL). Columns read back as
/// [`Value::Int`] (integer types) or [`Value::Text`] (text types).
pub trait Conn {
    /// The database it talks to.
    fn dialect(&self) -> Dialect;

    /// Runs a statement; returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;

    /// Runs a query; returns its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;

    /// Runs several statements without parameters (a migration).
    fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError>;
}

/// Milliseconds since the Unix epoch, as stored.
pub fn millis(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Back from milliseconds since the Unix epoch.
pub fn from_millis(ms: i64) -> Result<time::OffsetDateTime, StoreError> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| StoreError::data(format!("{ms} is not a time")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_render_markers_and_placeholders() {
        let sql = "SELECT a FROM t WHERE b = ?1 AND c = ?2{lock}";
        assert_eq!(
            Dialect::Sqlite.render(sql),
            "SELECT a FROM t WHERE b = ?1 AND c = ?2"
        );
        assert_eq!(
            Dialect::Postgres.render(sql),
            "SELECT a FROM t WHERE b = $1 AND c = $2 FOR UPDATE"
        );
        assert!(Dialect::Postgres.render("x{skip}").ends_with("SKIP LOCKED"));
        assert_eq!(
            Dialect::Postgres.render("SELECT '?1', \"a?2\", ?3, b ? c"),
            "SELECT '?1', \"a?2\", $3, b ? c"
        );
    }

    #[test]
    fn rows_say_what_is_wrong() {
        let row = Row(vec![Value::Int(Some(1)), Value::Text(None)]);
        assert_eq!(row.int(0).unwrap(), 1);
        assert_eq!(row.opt_text(1).unwrap(), None);
        assert!(row.text(1).unwrap_err().to_string().contains("NULL"));
        assert!(row.text(0).unwrap_err().to_string().contains("integer"));
        assert!(row.int(7).unwrap_err().to_string().contains("no column"));
        let t = time::macros::datetime!(2026-12-01 12:00:00.123 UTC);
        assert_eq!(from_millis(millis(t)).unwrap(), t);
    }
}
