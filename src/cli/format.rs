//! Printing consumed records: kcat's `--format` tokens, or one JSON object per line.
//!
//! Invariants: a format is parsed once, before anything is fetched, so an unknown token is a
//! usage error and never a failure half-way through a topic; `%k`/`%s` and header values are
//! written in the chosen [`Encoding`] (raw bytes for `text`, so binary values pass through
//! unchanged); a null key or value prints as nothing in a format and as JSON `null`.

use kalfka_protocol::records::{Record, RecordBatchHeader};
use serde_json::{json, Value};

use super::encoding::Encoding;

/// One consumed record, as the printers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord<'a> {
    /// Topic name.
    pub topic: &'a str,
    /// Partition index.
    pub partition: i32,
    /// Offset in the partition.
    pub offset: i64,
    /// Timestamp in milliseconds since the epoch.
    pub timestamp: i64,
    /// Key, if any.
    pub key: Option<&'a [u8]>,
    /// Value, if any (null for a tombstone).
    pub value: Option<&'a [u8]>,
    /// Headers in order: key and value (null allowed).
    pub headers: Vec<(&'a str, Option<&'a [u8]>)>,
    /// How many times the record has been delivered to the share group (share consumption
    /// only; `None` otherwise).
    pub delivery_count: Option<i16>,
}

impl<'a> ConsumedRecord<'a> {
    /// The printers' view of record `r` of a batch with header `batch`, read from
    /// `topic`/`partition` (`delivery_count` for share consumption only).
    pub fn from_record(
        topic: &'a str,
        partition: i32,
        batch: &RecordBatchHeader,
        r: &'a Record,
        delivery_count: Option<i16>,
    ) -> Self {
        ConsumedRecord {
            topic,
            partition,
            offset: r.offset(batch),
            timestamp: r.timestamp(batch),
            key: r.key.as_deref(),
            value: r.value.as_deref(),
            headers: r
                .headers
                .iter()
                .map(|h| (h.key.as_str(), h.value.as_deref()))
                .collect(),
            delivery_count,
        }
    }
}

/// A piece of a parsed `--format`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(Vec<u8>),
    Topic,
    Partition,
    Offset,
    Key,
    Value,
    Headers,
    Timestamp,
    KeyLength,
    ValueLength,
    DeliveryCount,
}

/// A parsed kcat-style format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format(Vec<Piece>);

/// A format string with an unknown `%` token or a trailing `%`/`\`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid --format: {0} (tokens: %t %p %o %k %s %h %T %K %S %d %%, escapes: \\n \\t \\r \\\\)"
)]
pub struct FormatError(String);

impl Format {
    /// Parses kcat's tokens: `%t` topic, `%p` partition, `%o` offset, `%k` key, `%s` value,
    /// `%h` headers (`k=v,k2=v2`), `%T` timestamp (ms), `%K`/`%S` key/value length (-1 for
    /// null), `%d` delivery count (share groups; empty otherwise), `%%`; escapes `\n`, `\t`, `\r`, `\\`.
    pub fn parse(spec: &str) -> Result<Format, FormatError> {
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let mut chars = spec.chars();
        while let Some(c) = chars.next() {
            match c {
                '%' => {
                    let token = chars
                        .next()
                        .ok_or_else(|| FormatError("a trailing %".into()))?;
                    let piece = match token {
                        't' => Piece::Topic,
                        'p' => Piece::Partition,
                        'o' => Piece::Offset,
                        'k' => Piece::Key,
                        's' => Piece::Value,
                        'h' => Piece::Headers,
                        'T' => Piece::Timestamp,
                        'K' => Piece::KeyLength,
                        'S' => Piece::ValueLength,
                        'd' => Piece::DeliveryCount,
                        '%' => {
                            literal.push(b'%');
                            continue;
                        }
                        other => return Err(FormatError(format!("unknown token %{other}"))),
                    };
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(piece);
                }
                '\\' => {
                    let escaped = match chars.next() {
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some('\\') => '\\',
                        Some(other) => {
                            return Err(FormatError(format!("unknown escape \\{other}")))
                        }
                        None => return Err(FormatError("a trailing \\".into())),
                    };
                    literal.push(escaped as u8);
                }
                c => {
                    let mut buf = [0u8; 4];
                    literal.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Format(pieces))
    }

    /// `record` rendered; byte fields in `encoding`.
    pub fn render(&self, record: &ConsumedRecord<'_>, encoding: Encoding) -> Vec<u8> {
        let mut out = Vec::new();
        let len = |b: Option<&[u8]>| b.map_or(-1, |b| b.len() as i64);
        for piece in &self.0 {
            match piece {
                Piece::Literal(l) => out.extend_from_slice(l),
                Piece::Topic => out.extend_from_slice(record.topic.as_bytes()),
                Piece::Partition => out.extend_from_slice(record.partition.to_string().as_bytes()),
                Piece::Offset => out.extend_from_slice(record.offset.to_string().as_bytes()),
                Piece::Timestamp => out.extend_from_slice(record.timestamp.to_string().as_bytes()),
                Piece::Key => {
                    out.extend(record.key.map(|k| encoding.encode(k)).unwrap_or_default())
                }
                Piece::Value => {
                    out.extend(record.value.map(|v| encoding.encode(v)).unwrap_or_default())
                }
                Piece::KeyLength => out.extend_from_slice(len(record.key).to_string().as_bytes()),
                Piece::ValueLength => {
                    out.extend_from_slice(len(record.value).to_string().as_bytes())
                }
                Piece::DeliveryCount => {
                    if let Some(n) = record.delivery_count {
                        out.extend_from_slice(n.to_string().as_bytes())
                    }
                }
                Piece::Headers => {
                    for (i, (k, v)) in record.headers.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(k.as_bytes());
                        out.push(b'=');
                        out.extend(v.map(|v| encoding.encode(v)).unwrap_or_default());
                    }
                }
            }
        }
        out
    }
}

/// `record` as one JSON object: numbers as numbers, a null key or value as `null`, headers as
/// an array of `{key, value}`; `delivery_count` only for a record of a share group.
pub fn record_json(record: &ConsumedRecord<'_>, encoding: Encoding) -> Value {
    let bytes = |b: Option<&[u8]>| b.map(|b| encoding.encode_string(b));
    let mut v = json!({
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "key": bytes(record.key),
        "value": bytes(record.value),
        "headers": record
            .headers
            .iter()
            .map(|(k, v)| json!({ "key": k, "value": bytes(*v) }))
            .collect::<Vec<_>>(),
    });
    if let (Some(n), Some(o)) = (record.delivery_count, v.as_object_mut()) {
        o.insert("delivery_count".into(), json!(n));
    }
    v
}

/// Prints `record` to stdout (one JSON line with `json`, else in `format`) and flushes;
/// `false` when stdout is closed (`| head`), so nobody reads any more.
pub fn print_record(
    record: &ConsumedRecord<'_>,
    format: &Format,
    encoding: Encoding,
    json: bool,
) -> bool {
    if json {
        let line = record_json(record, encoding).to_string();
        super::output::emit_bytes(line.as_bytes(), true)
    } else {
        super::output::emit_bytes(&format.render(record, encoding), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ConsumedRecord<'static> {
        ConsumedRecord {
            topic: "t",
            partition: 2,
            offset: 7,
            timestamp: 1000,
            key: None,
            value: Some(b"v\x00"),
            headers: vec![("a", Some(b"1")), ("b", None)],
            delivery_count: None,
        }
    }

    #[test]
    fn kcat_tokens_render_every_field() {
        let f = Format::parse("%t/%p@%o %T [%k|%K] %s(%S) %h 100%%\\t\\n").expect("parses");
        assert_eq!(
            f.render(&record(), Encoding::Text),
            b"t/2@7 1000 [|-1] v\x00(2) a=1,b= 100%\t\n".to_vec()
        );
        assert_eq!(
            Format::parse("%s")
                .expect("parses")
                .render(&record(), Encoding::Hex),
            b"7600".to_vec()
        );
        let shared = ConsumedRecord {
            delivery_count: Some(3),
            ..record()
        };
        let f = Format::parse("%o:%d").expect("parses");
        assert_eq!(f.render(&shared, Encoding::Text), b"7:3".to_vec());
        assert_eq!(f.render(&record(), Encoding::Text), b"7:".to_vec());
        assert_eq!(record_json(&shared, Encoding::Text)["delivery_count"], 3);
        assert!(record_json(&record(), Encoding::Text)
            .get("delivery_count")
            .is_none());
        assert!(Format::parse("%x").is_err());
        assert!(Format::parse("50%").is_err());
        assert!(Format::parse("\\q").is_err());
    }

    #[test]
    fn json_keeps_types_and_nulls() {
        let v = record_json(&record(), Encoding::Base64);
        assert_eq!(
            v,
            json!({"topic": "t", "partition": 2, "offset": 7, "timestamp": 1000, "key": null,
                   "value": "dgA=", "headers": [{"key": "a", "value": "MQ=="}, {"key": "b", "value": null}]})
        );
    }
}
