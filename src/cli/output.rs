//! Printing command results: aligned tables for people, JSON (`--json`) for scripts.

use serde_json::{Map, Value};

/// Rows under headers; printed as an aligned table or as a JSON array of objects keyed by the
/// lower-cased headers.
#[derive(Debug, Default)]
pub struct Table {
    /// Column names.
    pub headers: Vec<&'static str>,
    /// Rows, one string per column.
    pub rows: Vec<Vec<String>>,
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
    pub fn row(&mut self, cells: Vec<String>) {
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
                        .map(|(h, c)| (h.to_ascii_lowercase(), Value::String(c.clone())))
                        .collect();
                    Value::Object(obj)
                })
                .collect(),
        )
    }

    /// The aligned text rendering.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.len()).collect();
        for r in &self.rows {
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
        for r in &self.rows {
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

/// Writes `text` and a newline to stdout, ignoring a closed pipe (`kalfka ... | head`).
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

/// Prints a one-line confirmation, as text or as `{"result": ...}`.
pub fn done(json: bool, message: &str) {
    if json {
        emit(&serde_json::json!({ "result": message }).to_string());
    } else {
        emit(message);
    }
}
