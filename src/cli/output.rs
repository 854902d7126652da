//! Printing command results: aligned tables for people, typed JSON (`--json`) for scripts.
//!
//! Invariants: a table cell is a JSON value, printed as is with `--json` (numbers stay numbers,
//! a missing value is `null`, a list is an array) and as text in a table (strings unquoted,
//! `null` as empty, arrays joined with commas). Writes to a closed stdout are ignored
//! (`kalfka ... | head`), reported by [`emit`]'s return value.

use serde_json::{Map, Value};

/// Rows under headers; printed as an aligned table or as a JSON array of objects keyed by the
/// lower-cased headers.
#[derive(Debug, Default)]
pub struct Table {
    /// Column names.
    pub headers: Vec<&'static str>,
    /// Rows, one value per column.
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// A table with these columns and no rows.
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<Value>) {
        self.rows.push(cells);
    }

    /// The rows as JSON objects.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.rows
                .iter()
                .map(|r| {
                    let obj: Map<String, Value> = self
                        .headers
                        .iter()
                        .zip(r)
                        .map(|(h, c)| (h.to_ascii_lowercase(), c.clone()))
                        .collect();
                    Value::Object(obj)
                })
                .collect(),
        )
    }

    /// The aligned text rendering.
    pub fn render(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(text).collect())
            .collect();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.len()).collect();
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: Vec<&str>| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = line(self.headers.clone());
        for r in &rows {
            out.push('\n');
            out.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        out
    }

    /// Prints as text or JSON.
    pub fn print(&self, json: bool) {
        if json {
            emit(&self.to_json().to_string());
        } else {
            emit(&self.render());
        }
    }
}

/// A cell as table text: strings unquoted, `null` empty, arrays comma-joined.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Writes `text` and a newline to stdout and flushes; `false` when stdout is closed
/// (`kalfka ... | head`).
pub fn emit(text: &str) -> bool {
    emit_bytes(text.as_bytes(), true)
}

/// Writes `bytes` (and a newline when `newline`) to stdout and flushes; `false` when stdout
/// is closed.
pub fn emit_bytes(bytes: &[u8], newline: bool) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out.write_all(bytes).is_ok() && (!newline || out.write_all(b"\n").is_ok());
    written && out.flush().is_ok()
}

/// Prints a one-line confirmation, as text or as `{"result": ...}`.
pub fn done(json: bool, message: &str) {
    if json {
        emit(&serde_json::json!({ "result": message }).to_string());
    } else {
        emit(message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_keep_their_json_type_and_render_as_text() {
        let mut t = Table::new(&["NAME", "COUNT", "VALUE", "LIST"]);
        t.row(vec![json!("a"), json!(3), Value::Null, json!([1, 2])]);
        assert_eq!(
            t.to_json(),
            json!([{"name": "a", "count": 3, "value": null, "list": [1, 2]}])
        );
        assert_eq!(
            t.render(),
            "NAME  COUNT  VALUE  LIST\na     3             1,2"
        );
    }
}
