//! Produce (key 0): validate record batches, then append them to partition logs.
//!
//! Each partition's batch is validated in full — header, CRC, every record, the topic's
//! per-record rules — before any byte of it is written (see [`ValidatedBatch`]), so a
//! rejected batch leaves nothing in the log. Records that break a rule (a keyless record on a
//! compacted topic, a timestamp out of range) are listed in the answer's `record_errors`
//! (KIP-467) so that the client fails only those. The bytes go to the log as the client sent
//! them, with only the base offset and leader epoch patched in (and LogAppendTime stamped on
//! topics that use it).
//!
//! Durability: acks=1 (and acks=0) is answered once the write reached the OS; acks=all is
//! answered only after the data is fsynced (group commit, see [`Partition::sync_to`]) unless
//! the broker runs with `--fsync-on-ack false`. A topic's `flush.messages` forces an fsync
//! once that many records are unsynced, whatever the acks; `flush.ms` is served by the
//! periodic flusher in [`crate::server`].
//!
//! Idempotence: batches carrying a producer id are checked by the partition's producer state
//! ([`crate::log::producer_state`]): a retried batch is answered with its original offset and
//! not written again; a sequence gap answers OUT_OF_ORDER_SEQUENCE_NUMBER and an old producer
//! epoch INVALID_PRODUCER_EPOCH.
//!
//! Transactions: a transactional batch is accepted only for a partition added to its
//! producer's open transaction at the current epoch (INVALID_TXN_STATE or
//! INVALID_PRODUCER_EPOCH otherwise), as Kafka's partition verification does.

use std::sync::Arc;

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::produce_request::PartitionProduceData;
use kalfka_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, PartitionProduceResponse, TopicProduceResponse,
};
use kalfka_protocol::messages::{ProduceRequest, ProduceResponse};
use kalfka_protocol::records::RecordViolation;

use super::RequestContext;
use crate::error::BrokerError;
use crate::metadata::Topic;
use crate::partition::{now_ms, AppendOutcome, Partition, Rejected, ValidatedBatch};

/// First Produce version that carries record batch v2; older ones are answered with
/// UNSUPPORTED_VERSION (as Kafka 4 does).
const FIRST_SERVED_VERSION: i16 = 3;
/// First Produce version whose transactional batches join their transaction implicitly
/// (transaction.version 2, KIP-890 part 2).
const FIRST_IMPLICIT_ADD_VERSION: i16 = 12;

/// Handles a produce request; `None` for acks=0, which gets no response at all.
pub async fn handle(ctx: &RequestContext, req: ProduceRequest) -> Option<ProduceResponse> {
    let version = ctx.version();
    let acks = req.acks;
    let transactional_id = req.transactional_id.clone();
    let request_error = if version < FIRST_SERVED_VERSION {
        Some(BrokerError::UnsupportedVersion(
            "Produce v0-2 (message format v0/v1)",
        ))
    } else if !matches!(acks, -1..=1) {
        Some(BrokerError::InvalidRequiredAcks(acks))
    } else {
        None
    };
    let mut responses: Vec<TopicProduceResponse> = Vec::with_capacity(req.topic_data.len());
    // Appends that must be fsynced before the answer: (topic slot, partition slot, log, end).
    let mut to_sync: Vec<(usize, usize, Arc<Partition>, i64)> = Vec::new();
    for topic_data in req.topic_data {
        let topic = ctx.broker.topics.get(&topic_data.name);
        let mut partition_responses = Vec::with_capacity(topic_data.partition_data.len());
        for p in topic_data.partition_data {
            let index = p.index;
            let result = match (&request_error, &topic) {
                (Some(e), _) => Err(PartitionError::code(e.code())),
                (None, None) => Err(PartitionError::code(ErrorCode::UnknownTopicOrPartition)),
                // Kafka: "Cannot append to internal topic" (ReplicaManager.appendToLocalLog).
                (None, Some(topic)) if crate::metadata::is_internal_topic(&topic.name) => {
                    Err(PartitionError::code(ErrorCode::InvalidTopicException))
                }
                (None, Some(topic)) => match produce_partition(
                    ctx,
                    topic,
                    p,
                    version,
                    acks,
                    transactional_id.as_deref(),
                ) {
                    Ok(appended) => {
                        if let Some(end) = appended.sync_to {
                            let slot = (responses.len(), partition_responses.len());
                            to_sync.push((slot.0, slot.1, Arc::clone(&appended.partition), end));
                        }
                        Ok(appended)
                    }
                    Err(e) => {
                        tracing::debug!(topic = %topic.name, partition = index, error = ?e, "produce rejected");
                        let mut e = PartitionError::from_rejection(e);
                        // Kafka reports the partition's log start with a validation error,
                        // -1 with a size, CRC, storage or unknown-partition error
                        // (ReplicaManager.appendToLocalLog).
                        if !matches!(
                            e.code,
                            ErrorCode::UnknownTopicOrPartition
                                | ErrorCode::MessageTooLarge
                                | ErrorCode::CorruptMessage
                                | ErrorCode::KafkaStorageError
                        ) {
                            e.log_start_offset =
                                topic.partition(index).map_or(-1, |p| p.offsets().log_start);
                        }
                        Err(e)
                    }
                },
            };
            partition_responses.push(partition_response(index, result));
        }
        responses.push(TopicProduceResponse {
            partition_responses,
            name: topic_data.name,
        });
    }
    // Group commit: concurrent produces to a partition share one fsync (Partition::sync_to);
    // the partitions of one request are synced in parallel.
    let waits: Vec<_> = to_sync
        .into_iter()
        .map(|(t, p, partition, end)| {
            let index = partition.index;
            let wait = tokio::spawn(async move { partition.sync_to(end).await });
            (t, p, index, wait)
        })
        .collect();
    for (t, p, index, wait) in waits {
        let result = wait
            .await
            .unwrap_or_else(|e| Err(BrokerError::Storage(format!("fsync task failed: {e}"))));
        if let Err(e) = result {
            tracing::warn!(partition = index, error = %e, "fsync failed");
            if let Some(r) = responses
                .get_mut(t)
                .and_then(|t| t.partition_responses.get_mut(p))
            {
                *r = partition_response(r.index, Err(PartitionError::code(e.code())));
            }
        }
    }
    if acks == 0 {
        return None;
    }
    Some(ProduceResponse {
        responses,
        throttle_time_ms: 0,
        ..Default::default()
    })
}

/// What a successful append reports back.
struct Appended {
    base_offset: i64,
    /// The LogAppendTime stamped on the batch (`-1`: CreateTime).
    log_append_time_ms: i64,
    log_start_offset: i64,
    partition: Arc<Partition>,
    /// `Some(end)`: answer only once every offset below `end` is fsynced.
    sync_to: Option<i64>,
}

/// Whether an append ending at `end` must be fsynced before it is answered: acks=all with
/// `--fsync-on-ack` (the default), or the topic's `flush.messages` reached.
fn needs_sync(ctx: &RequestContext, topic: &Topic, partition: &Partition, acks: i16) -> bool {
    if acks == -1 && ctx.broker.config.fsync_on_ack {
        return true;
    }
    topic
        .settings
        .flush_messages
        .is_some_and(|n| partition.unsynced_records() >= n)
}

fn produce_partition(
    ctx: &RequestContext,
    topic: &Topic,
    data: PartitionProduceData,
    version: i16,
    acks: i16,
    transactional_id: Option<&str>,
) -> Result<Appended, Rejected> {
    let partition = topic
        .partition(data.index)
        .ok_or(BrokerError::UnknownTopicOrPartition)?;
    let records = data.records.unwrap_or_default();
    let batch = ValidatedBatch::validate(records, &topic.settings, version, now_ms())?;
    let header = batch.header();
    if header.is_transactional() {
        match transactional_id.filter(|_| version >= FIRST_IMPLICIT_ADD_VERSION) {
            // Transaction version 2 (KIP-890 part 2): the partition joins the transaction
            // here. This is the request's first poll (appends happen in request order), so
            // the coordinator's durable update runs in place, off the worker's other tasks.
            Some(id) => tokio::task::block_in_place(|| {
                ctx.broker.txns.add_partition_implicitly(
                    id,
                    (header.producer_id, header.producer_epoch),
                    &topic.name,
                    data.index,
                )
            })?,
            // Only partitions added to the producer's open transaction (AddPartitionsToTxn)
            // take its batches, so no transaction is ever left open without the coordinator
            // knowing it.
            None => ctx.broker.txns.check_produce(
                header.producer_id,
                header.producer_epoch,
                &topic.name,
                data.index,
            )?,
        }
    }
    let log_append_time_ms = batch.log_append_time().unwrap_or(-1);
    let (batch_bytes, batch_records) = (header.total_size(), header.record_count);
    let mut validated = [batch];
    let expiration_ms =
        i64::try_from(ctx.broker.config.producer_id_expiration_ms).unwrap_or(i64::MAX);
    let offsets = match partition.append_checked(&mut validated, now_ms(), expiration_ms)? {
        AppendOutcome::Appended(offsets) => {
            if ctx.broker.metrics.enabled() {
                let records = u64::try_from(batch_records).unwrap_or(0);
                partition.stats().record_in(batch_bytes, records);
            }
            offsets
        }
        // A retry of a batch already written: answered with its offsets once it is as durable
        // as the acks ask (the first attempt may still be waiting for its fsync).
        AppendOutcome::Duplicate(offsets) => offsets,
    };
    let sync_to = needs_sync(ctx, topic, partition, acks).then_some(offsets.end);
    Ok(Appended {
        base_offset: offsets.start,
        log_append_time_ms,
        log_start_offset: partition.offsets().log_start,
        partition: Arc::clone(partition),
        sync_to,
    })
}

/// Why a partition's produce failed, as the answer reports it.
struct PartitionError {
    code: ErrorCode,
    message: Option<String>,
    record_errors: Vec<BatchIndexAndErrorMessage>,
    /// The partition's log start offset (-1 when the partition does not exist).
    log_start_offset: i64,
}

impl PartitionError {
    fn code(code: ErrorCode) -> Self {
        PartitionError {
            code,
            message: None,
            record_errors: Vec::new(),
            log_start_offset: -1,
        }
    }

    /// Kafka's answer to a rejected batch: the error's code and message, or for records that
    /// break the topic's rules INVALID_TIMESTAMP (if any timestamp is wrong) or INVALID_RECORD,
    /// with every offending record listed.
    fn from_rejection(rejected: Rejected) -> Self {
        match rejected {
            // The reason is logged (debug); Kafka carries a message only with record errors.
            Rejected::Batch(e) => PartitionError::code(e.code()),
            Rejected::Records(violations) => {
                let timestamp = violations.iter().any(|v| v.violation.is_timestamp());
                let message = if timestamp {
                    "One or more records have been rejected due to invalid timestamp".to_string()
                } else {
                    let first: Vec<String> = violations.iter().take(3).map(describe).collect();
                    format!(
                        "One or more records have been rejected due to {} record errors in total, and only showing the first three errors at most: [{}]",
                        violations.len(),
                        first.join(", ")
                    )
                };
                PartitionError {
                    code: if timestamp {
                        ErrorCode::InvalidTimestamp
                    } else {
                        ErrorCode::InvalidRecord
                    },
                    message: Some(message),
                    record_errors: violations
                        .iter()
                        .map(|v| BatchIndexAndErrorMessage {
                            batch_index: v.index,
                            batch_index_error_message: Some(v.violation.to_string()),
                        })
                        .collect(),
                    log_start_offset: -1,
                }
            }
        }
    }
}

fn describe(v: &RecordViolation) -> String {
    format!(
        "RecordError(batchIndex={}, message='{}')",
        v.index, v.violation
    )
}

fn partition_response(
    index: i32,
    result: Result<Appended, PartitionError>,
) -> PartitionProduceResponse {
    match result {
        Ok(a) => PartitionProduceResponse {
            index,
            error_code: ErrorCode::None.code(),
            base_offset: a.base_offset,
            log_append_time_ms: a.log_append_time_ms,
            log_start_offset: a.log_start_offset,
            ..Default::default()
        },
        Err(e) => PartitionProduceResponse {
            index,
            error_code: e.code.code(),
            base_offset: -1,
            log_append_time_ms: -1,
            log_start_offset: e.log_start_offset,
            record_errors: e.record_errors,
            error_message: e.message,
            ..Default::default()
        },
    }
}
