//! The console's message browser and record producer.
//!
//! - `GET /api/v1/topics/{name}/messages`: records of one or more partitions. Query:
//!   `partitions=0,2` (default: all), `from=beginning|end|offset|time` (default `end`),
//!   `offset=N` (with `from=offset`), `timestamp=MS` (with `from=time`), `cursor=P:O,P:O`
//!   (explicit start per partition, for paging; overrides `from`), `limit=N` (records per
//!   page over all partitions, default 50, at most 500), `key=TEXT` (records whose key is
//!   exactly TEXT), `contains=TEXT` (records whose key, value or a header value contains it).
//!   The answer lists `messages` (key, value and header values in base64, `null` for null)
//!   and, per partition, the page's `start`, the `next` start to page forward and the `prev`
//!   start to page back.
//! - `POST /api/v1/topics/{name}/messages`: produces one record (`{"partition"?, "key"?,
//!   "value"?, "headers"?: [{"key", "value"}]}`, text) through the Produce handler with
//!   acks=all; without a partition, a keyed record goes where Kafka's default partitioner puts
//!   it (murmur2 of the key), an unkeyed one to partition 0.
//!
//! Invariants: reads go straight to the partition logs (as Fetch does, read-uncommitted, up
//! to the high watermark, control batches skipped) on the blocking pool; a scan stops after
//! [`SCAN_BYTES`] per partition so a filter that matches nothing cannot walk a whole log.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use kalfka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kalfka_protocol::messages::ProduceRequest;
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder, TimestampType};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::error::{parse_body, ApiError};
use super::kafka::{blocking, broker, context};
use super::query::Query;
use super::HttpState;
use crate::cli::encoding::Encoding;
use crate::metadata::Topic;
use crate::partition::Partition;

/// Records per page when the query gives no limit.
const DEFAULT_LIMIT: usize = 50;
/// Most records one page may ask for.
const MAX_LIMIT: usize = 500;
/// Most log bytes one page reads from one partition.
pub const SCAN_BYTES: usize = 32 << 20;
/// Bytes read from the log per step.
const READ_BYTES: usize = 1 << 20;

/// One record as the browser shows it.
#[derive(Debug, Serialize)]
struct Message {
    partition: i32,
    offset: i64,
    timestamp: i64,
    timestamp_type: &'static str,
    /// Base64, `null` for a null key.
    key: Option<String>,
    /// Base64, `null` for a tombstone.
    value: Option<String>,
    headers: Vec<Header>,
    transactional: bool,
}

#[derive(Debug, Serialize)]
struct Header {
    key: String,
    value: Option<String>,
}

/// Where a partition's page starts and what comes before and after it.
#[derive(Debug, Serialize)]
struct Cursor {
    partition: i32,
    log_start_offset: i64,
    high_watermark: i64,
    start: i64,
    next: i64,
    prev: i64,
}

/// What to look for.
struct Filter {
    key: Option<Vec<u8>>,
    contains: Option<Vec<u8>>,
}

impl Filter {
    fn matches(&self, r: &kalfka_protocol::records::Record) -> bool {
        if let Some(k) = &self.key {
            if r.key.as_deref() != Some(k.as_slice()) {
                return false;
            }
        }
        let Some(needle) = &self.contains else {
            return true;
        };
        let has = |b: &[u8]| {
            b.windows(needle.len().max(1))
                .any(|w| w == needle.as_slice())
        };
        r.key.as_deref().is_some_and(has)
            || r.value.as_deref().is_some_and(has)
            || r.headers
                .iter()
                .any(|h| has(h.key.as_bytes()) || h.value.as_deref().is_some_and(has))
    }
}

/// How the first page of each partition starts.
#[derive(Debug, Clone, Copy)]
enum Start {
    Beginning,
    End,
    Offset(i64),
    Time(i64),
}

/// `GET /api/v1/topics/{name}/messages`.
pub async fn browse(
    State(state): State<Arc<HttpState>>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let broker = broker(&state)?;
    let topic = broker
        .topics
        .get(&name)
        .ok_or_else(|| ApiError::NotFound(format!("unknown topic {name:?}")))?;
    let limit = q
        .num::<usize>("limit")?
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, MAX_LIMIT);
    let start = match q.str("from").unwrap_or("end") {
        "beginning" => Start::Beginning,
        "end" => Start::End,
        "offset" => Start::Offset(
            q.num("offset")?
                .ok_or_else(|| ApiError::BadRequest("from=offset needs offset=N".into()))?,
        ),
        "time" => Start::Time(
            q.num("timestamp")?
                .ok_or_else(|| ApiError::BadRequest("from=time needs timestamp=MS".into()))?,
        ),
        other => {
            return Err(ApiError::BadRequest(format!(
                "from={other:?}: expected beginning, end, offset or time"
            )))
        }
    };
    let partitions = partitions(&topic, q.str("partitions"))?;
    let cursor = explicit_cursor(q.str("cursor"))?;
    let filter = Filter {
        key: q.str("key").map(|k| k.as_bytes().to_vec()),
        contains: q.str("contains").map(|c| c.as_bytes().to_vec()),
    };
    let per_partition = limit.div_ceil(partitions.len().max(1));
    blocking(move || {
        let mut messages = Vec::new();
        let mut cursors = Vec::new();
        for p in partitions {
            let Some(partition) = topic.partition(p) else {
                return Err(ApiError::NotFound(format!("{name} has no partition {p}")));
            };
            let from = match cursor.iter().find(|(cp, _)| *cp == p) {
                Some((_, o)) => Start::Offset(*o),
                None => start,
            };
            let (found, c) = read_page(partition, &from, per_partition, &filter)?;
            messages.extend(found);
            cursors.push(c);
        }
        messages.sort_by_key(|m: &Message| (m.timestamp, m.partition, m.offset));
        Ok(Json(
            json!({ "topic": name, "messages": messages, "cursors": cursors }),
        ))
    })
    .await
}

/// The partitions named by `list` (`0,2`), or all of them.
fn partitions(topic: &Topic, list: Option<&str>) -> Result<Vec<i32>, ApiError> {
    match list {
        None | Some("all") => Ok(topic.partitions.iter().map(|p| p.index).collect()),
        Some(list) => list
            .split(',')
            .map(|p| {
                p.trim().parse::<i32>().map_err(|_| {
                    ApiError::BadRequest(format!("partitions={list:?}: not a list of numbers"))
                })
            })
            .collect(),
    }
}

/// `cursor=P:O,P:O` as (partition, offset) pairs.
fn explicit_cursor(list: Option<&str>) -> Result<Vec<(i32, i64)>, ApiError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(|pair| {
            let bad = || ApiError::BadRequest(format!("cursor={list:?}: expected P:O,P:O"));
            let (p, o) = pair.split_once(':').ok_or_else(bad)?;
            Ok((
                p.trim().parse().map_err(|_| bad())?,
                o.trim().parse().map_err(|_| bad())?,
            ))
        })
        .collect()
}

/// Reads up to `limit` matching records of `partition` from `from`.
fn read_page(
    partition: &Partition,
    from: &Start,
    limit: usize,
    filter: &Filter,
) -> Result<(Vec<Message>, Cursor), ApiError> {
    let o = partition.offsets();
    let (log_start, hw) = (o.log_start, o.log_end);
    let limit_i64 = i64::try_from(limit).unwrap_or(i64::MAX);
    let start = match from {
        Start::Beginning => log_start,
        Start::End => hw.saturating_sub(limit_i64),
        Start::Offset(off) => *off,
        Start::Time(ts) => partition
            .offset_for_timestamp(*ts)?
            .map_or(hw, |(off, _)| off),
    }
    .clamp(log_start, hw.max(log_start));
    let mut found = Vec::new();
    let mut pos = start;
    let mut scanned = 0usize;
    'scan: while found.len() < limit && pos < hw && scanned < SCAN_BYTES {
        let read = partition.read(pos, READ_BYTES)?;
        if read.records.is_empty() {
            break;
        }
        scanned += read.records.len();
        let before = pos;
        for batch in batches(read.records) {
            let Ok(batch) = batch else { break };
            let h = *batch.header();
            if h.next_offset() <= pos {
                continue;
            }
            if !h.is_control() {
                let records = batch
                    .records()
                    .map_err(|e| ApiError::Internal(format!("offset {}: {e}", h.base_offset)))?;
                for r in records {
                    let offset = h.base_offset + i64::from(r.offset_delta);
                    if offset < pos {
                        continue;
                    }
                    if offset >= hw {
                        break 'scan;
                    }
                    if found.len() >= limit {
                        pos = offset;
                        break 'scan;
                    }
                    if filter.matches(&r) {
                        found.push(message(partition.index, offset, &h, &r));
                    }
                }
            }
            pos = h.next_offset();
        }
        if pos == before {
            break;
        }
    }
    let cursor = Cursor {
        partition: partition.index,
        log_start_offset: log_start,
        high_watermark: hw,
        start,
        next: pos.min(hw),
        prev: start.saturating_sub(limit_i64).max(log_start),
    };
    Ok((found, cursor))
}

fn message(
    partition: i32,
    offset: i64,
    h: &kalfka_protocol::records::RecordBatchHeader,
    r: &kalfka_protocol::records::Record,
) -> Message {
    let b64 = |b: &[u8]| Encoding::Base64.encode_string(b);
    let (timestamp, timestamp_type) = match h.timestamp_type() {
        TimestampType::LogAppendTime => (h.max_timestamp, "log_append"),
        TimestampType::CreateTime => (h.base_timestamp.saturating_add(r.timestamp_delta), "create"),
    };
    Message {
        partition,
        offset,
        timestamp,
        timestamp_type,
        key: r.key.as_deref().map(b64),
        value: r.value.as_deref().map(b64),
        headers: r
            .headers
            .iter()
            .map(|x| Header {
                key: x.key.clone(),
                value: x.value.as_deref().map(b64),
            })
            .collect(),
        transactional: h.is_transactional(),
    }
}

/// `POST /api/v1/topics/{name}/messages` body.
#[derive(Debug, Deserialize)]
struct Produce {
    partition: Option<i32>,
    key: Option<String>,
    value: Option<String>,
    #[serde(default)]
    headers: Vec<ProduceHeader>,
}

#[derive(Debug, Deserialize)]
struct ProduceHeader {
    key: String,
    value: Option<String>,
}

/// `POST /api/v1/topics/{name}/messages`: produces one record through the Produce handler.
pub async fn produce(
    State(state): State<Arc<HttpState>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: Produce = parse_body(&body)?;
    let ctx = context::<ProduceRequest>(&state, 9)?;
    let partition = match (req.partition, &req.key) {
        (Some(p), _) => p,
        (None, Some(key)) => {
            let count = ctx
                .broker
                .topics
                .get(&name)
                .map_or(1, |t| t.partitions.len());
            crate::cli::records::key_partition(key.as_bytes(), count)
        }
        (None, None) => 0,
    };
    let headers: Vec<(&str, Option<&[u8]>)> = req
        .headers
        .iter()
        .map(|h| (h.key.as_str(), h.value.as_deref().map(str::as_bytes)))
        .collect();
    let records = RecordBatchBuilder::new(Compression::None)
        .append(
            crate::clock::now_ms(),
            req.key.as_deref().map(str::as_bytes),
            req.value.as_deref().map(str::as_bytes),
            &headers,
        )
        .build()
        .map_err(|e| ApiError::BadRequest(format!("record: {e}")))?;
    let request = ProduceRequest {
        acks: -1,
        timeout_ms: 30_000,
        topic_data: vec![TopicProduceData {
            name: name.clone(),
            partition_data: vec![PartitionProduceData {
                index: partition,
                records: Some(records),
            }],
        }],
        ..Default::default()
    };
    let resp = crate::api::produce::handle(&ctx, request)
        .await
        .ok_or_else(|| ApiError::Internal("no Produce response".into()))?;
    let p = resp
        .responses
        .into_iter()
        .flat_map(|t| t.partition_responses)
        .next()
        .ok_or_else(|| ApiError::Internal("empty Produce response".into()))?;
    ApiError::check(
        p.error_code,
        p.error_message,
        &format!("produce to {name}-{partition}"),
    )?;
    Ok(Json(
        json!({ "topic": name, "partition": partition, "offset": p.base_offset }),
    ))
}
