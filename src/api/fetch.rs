//! Fetch (key 1): whole record batches from partition logs, with long polling.
//!
//! A fetch answers as soon as it has `min_bytes`, or when `max_wait_ms` runs out. While it
//! waits it is registered with every partition it reads, and an append to any of them wakes
//! it: there is no polling timer. Batches are served from the mapped segments without being
//! decoded; the first batch found is returned whole even when it exceeds the size limits
//! (KIP-74), so a large batch never stalls a consumer. Besides the client's `max_bytes`, the
//! broker's `fetch.max.bytes` caps every response.
//!
//! Isolation: read_committed fetches (isolation level 1) get only the batches below the
//! partition's last stable offset, and the aborted transactions overlapping what they got,
//! so that the client can drop aborted records; read_uncommitted fetches get everything.
//!
//! Fetch sessions (KIP-227) are answered the way a broker that never creates sessions does:
//! full fetches (session 0, epoch 0 or -1) get session id 0, which every client accepts as "no
//! session"; an incremental fetch names a session that does not exist and gets
//! FETCH_SESSION_ID_NOT_FOUND.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::fetch_request::FetchPartition;
use kalfka_protocol::messages::fetch_response::{
    AbortedTransaction, FetchableTopicResponse, PartitionData,
};
use kalfka_protocol::messages::{FetchRequest, FetchResponse};
use kalfka_protocol::records::RecordBatchHeader;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::metadata::LEADER_EPOCH;
use super::RequestContext;
use crate::error::BrokerError;
use crate::metadata::Topic;

/// First Fetch version whose responses carry record batch v2; older ones get
/// UNSUPPORTED_VERSION per partition.
const FIRST_SERVED_VERSION: i16 = 4;
/// First version that names topics by id.
const FIRST_TOPIC_ID_VERSION: i16 = 13;
/// Isolation level READ_COMMITTED.
const READ_COMMITTED: i8 = 1;

/// Handles a fetch, waiting up to `max_wait_ms` for `min_bytes` of data.
pub async fn handle(ctx: &RequestContext, req: FetchRequest) -> FetchResponse {
    let version = ctx.version();
    if version >= 7 {
        if req.session_id != 0 {
            return session_error(ErrorCode::FetchSessionIdNotFound, req.session_id);
        }
        if req.session_epoch > 0 {
            return session_error(ErrorCode::InvalidFetchSessionEpoch, 0);
        }
    }
    let topics = resolve_topics(ctx, &req);
    let fetch_max_bytes = ctx.broker.config.fetch_max_bytes;
    let deadline = Instant::now() + Duration::from_millis(req.max_wait_ms.max(0) as u64);
    let min_bytes = req.min_bytes.max(0) as usize;
    let waker = Arc::new(Notify::new());
    loop {
        // Register before reading so an append between the read and the wait is not missed.
        let registered = Instant::now() < deadline;
        if registered {
            for (topic, parts) in &topics {
                if let Some(topic) = topic {
                    for p in parts {
                        if let Some(partition) = topic.partition(p.partition) {
                            partition.register_waiter(&waker);
                        }
                    }
                }
            }
        }
        let (responses, bytes, any_error) = read_all(&topics, &req, version, fetch_max_bytes);
        // A fetch naming no partition (a client closing its fetch session) has nothing to
        // wait for: Kafka answers it at once.
        let nothing_asked = req.topics.iter().all(|t| t.partitions.is_empty());
        if bytes >= min_bytes || any_error || !registered || nothing_asked {
            record_fetched(ctx, &topics, &responses);
            return sessionless_response(responses);
        }
        if tokio::time::timeout_at(deadline, waker.notified())
            .await
            .is_err()
        {
            // Timed out: one last read, answered with whatever is there.
            let (responses, _, _) = read_all(&topics, &req, version, fetch_max_bytes);
            record_fetched(ctx, &topics, &responses);
            return sessionless_response(responses);
        }
    }
}

type ResolvedTopic = (Option<Arc<Topic>>, Vec<FetchPartition>);

/// Counts what a fetch answers in each partition's traffic counters (when metrics are on).
fn record_fetched(
    ctx: &RequestContext,
    topics: &[ResolvedTopic],
    responses: &[FetchableTopicResponse],
) {
    if !ctx.broker.metrics.enabled() {
        return;
    }
    for ((topic, _), response) in topics.iter().zip(responses) {
        let Some(topic) = topic else { continue };
        for p in &response.partitions {
            if let (Some(records), Some(partition)) =
                (&p.records, topic.partition(p.partition_index))
            {
                partition.stats().record_out(records);
            }
        }
    }
}

fn resolve_topics(ctx: &RequestContext, req: &FetchRequest) -> Vec<ResolvedTopic> {
    let registry = &ctx.broker.topics;
    req.topics
        .iter()
        .map(|t| {
            let topic = if ctx.version() >= FIRST_TOPIC_ID_VERSION {
                registry.get_by_id(&t.topic_id)
            } else {
                registry.get(&t.topic)
            };
            (topic, t.partitions.clone())
        })
        .collect()
}

/// Reads every requested partition once. Returns the responses, the bytes of record data
/// gathered, and whether any partition answered with an error.
fn read_all(
    topics: &[ResolvedTopic],
    req: &FetchRequest,
    version: i16,
    fetch_max_bytes: usize,
) -> (Vec<FetchableTopicResponse>, usize, bool) {
    // The broker's `fetch.max.bytes` caps the response whatever the client asks for.
    let mut budget = if version >= 3 {
        (req.max_bytes.max(0) as usize).min(fetch_max_bytes)
    } else {
        fetch_max_bytes
    };
    let mut total = 0usize;
    let mut any_error = false;
    let mut responses = Vec::with_capacity(topics.len());
    for ((topic, parts), requested) in topics.iter().zip(&req.topics) {
        let mut partitions = Vec::with_capacity(parts.len());
        for p in parts {
            let first_data = total == 0;
            let data = read_partition(
                topic.as_deref(),
                p,
                version,
                req.isolation_level,
                budget,
                first_data,
            );
            let size = data.records.as_ref().map_or(0, |r| r.len());
            any_error |= data.error_code != ErrorCode::None.code();
            total += size;
            budget = budget.saturating_sub(size);
            partitions.push(data);
        }
        responses.push(FetchableTopicResponse {
            topic: requested.topic.clone(),
            topic_id: requested.topic_id,
            partitions,
        });
    }
    (responses, total, any_error)
}

fn read_partition(
    topic: Option<&Topic>,
    p: &FetchPartition,
    version: i16,
    isolation_level: i8,
    budget: usize,
    first_data: bool,
) -> PartitionData {
    let unknown = if version >= FIRST_TOPIC_ID_VERSION {
        ErrorCode::UnknownTopicId
    } else {
        ErrorCode::UnknownTopicOrPartition
    };
    let Some(topic) = topic else {
        return error_data(p.partition, unknown);
    };
    let Some(partition) = topic.partition(p.partition) else {
        return error_data(p.partition, ErrorCode::UnknownTopicOrPartition);
    };
    if version < FIRST_SERVED_VERSION {
        return error_data(p.partition, ErrorCode::UnsupportedVersion);
    }
    if p.current_leader_epoch > LEADER_EPOCH {
        return error_data(p.partition, BrokerError::UnknownLeaderEpoch.code());
    }
    let limit = (p.partition_max_bytes.max(0) as usize).min(budget);
    // Before the read: whatever the read returns beyond it is cut for read_committed.
    let lso = partition.last_stable_offset();
    let read = match partition.read(p.fetch_offset, limit.max(1)) {
        Ok(read) => read,
        // Kafka answers read errors (OFFSET_OUT_OF_RANGE included) with -1 watermarks.
        Err(e) => return error_data(p.partition, e.code()),
    };
    // Beyond the first batch of the response, stay inside the limits.
    let records = if !first_data && read.records.len() > limit {
        bytes::Bytes::new()
    } else {
        read.records
    };
    let (records, aborted_transactions) = if isolation_level == READ_COMMITTED {
        let (records, end) = below_offset(records, lso);
        let aborted = partition
            .aborted_txns(p.fetch_offset, end)
            .into_iter()
            .map(|(producer_id, first_offset)| AbortedTransaction {
                producer_id,
                first_offset,
            })
            .collect();
        (records, Some(aborted))
    } else {
        (records, None)
    };
    PartitionData {
        partition_index: p.partition,
        error_code: ErrorCode::None.code(),
        high_watermark: read.offsets.log_end,
        last_stable_offset: lso.min(read.offsets.log_end),
        log_start_offset: read.offsets.log_start,
        aborted_transactions,
        preferred_read_replica: -1,
        records: Some(records),
        ..Default::default()
    }
}

/// The whole batches of `records` that start below `lso`, and the offset after the last one
/// kept (or `lso` when none is): read_committed consumers never see past the last stable
/// offset.
fn below_offset(records: Bytes, lso: i64) -> (Bytes, i64) {
    let mut pos = 0usize;
    let mut end = None;
    while let Some(rest) = records.get(pos..).filter(|r| !r.is_empty()) {
        let Ok(header) = RecordBatchHeader::parse(rest) else {
            break;
        };
        if header.base_offset >= lso || header.total_size() == 0 {
            break;
        }
        end = Some(header.next_offset());
        pos += header.total_size();
    }
    (records.slice(..pos.min(records.len())), end.unwrap_or(lso))
}

fn error_data(partition: i32, code: ErrorCode) -> PartitionData {
    PartitionData {
        partition_index: partition,
        error_code: code.code(),
        high_watermark: -1,
        last_stable_offset: -1,
        log_start_offset: -1,
        aborted_transactions: None,
        preferred_read_replica: -1,
        records: Some(bytes::Bytes::new()),
        ..Default::default()
    }
}

/// A full response outside any fetch session (session id 0).
fn sessionless_response(responses: Vec<FetchableTopicResponse>) -> FetchResponse {
    FetchResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None.code(),
        session_id: 0,
        responses,
        ..Default::default()
    }
}

fn session_error(code: ErrorCode, session_id: i32) -> FetchResponse {
    FetchResponse {
        throttle_time_ms: 0,
        error_code: code.code(),
        session_id,
        responses: vec![],
        ..Default::default()
    }
}
