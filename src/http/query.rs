//! Query strings of the console's GET routes (`a=1&b=x%20y`), without a form-decoding crate.
//!
//! Invariant: decoding never fails; a malformed escape is kept as written and `+` is a space,
//! as browsers encode forms. Typed accessors report a bad value as [`ApiError::BadRequest`].

use std::collections::HashMap;
use std::str::FromStr;

use super::error::ApiError;

/// Decoded query parameters (the last value wins for a repeated name).
#[derive(Debug, Default)]
pub struct Query(HashMap<String, String>);

impl Query {
    /// Parses a raw query string (`None`: no query).
    pub fn parse(raw: Option<&str>) -> Self {
        let mut map = HashMap::new();
        for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            map.insert(decode(k), decode(v));
        }
        Query(map)
    }

    /// The value of `name`, if present and not empty.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The value of `name` parsed as `T`, if present.
    pub fn num<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        self.str(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| ApiError::BadRequest(format!("{name}={v:?} is not a number")))
            })
            .transpose()
    }
}

/// Percent-decodes `s` (and `+` as space); invalid UTF-8 is replaced.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_plus() {
        let q = Query::parse(Some("key=a%20b+c&n=5&bad=%zz&end=%4"));
        assert_eq!(q.str("key"), Some("a b c"));
        assert_eq!(q.num::<i64>("n").unwrap(), Some(5));
        assert_eq!(q.str("bad"), Some("%zz"));
        assert_eq!(q.str("end"), Some("%4"));
        assert!(q.num::<i64>("key").is_err());
        assert_eq!(q.str("missing"), None);
    }
}
