//! Produce (key 0): validate record batches, then append them to partition logs.
//!
//! Each batch is fully validated (magic 2, lengths, CRC-32C, record count, size limit) before
//! any byte of the partition's batches is written, so a rejected request leaves nothing in the
//! log. Records are never decoded: the batch bytes go to the log as the client sent them,
//! with only the base offset and leader epoch patched in (outside the CRC).

use bytes::Bytes;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::produce_request::PartitionProduceData;
use kalfka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kalfka_protocol::messages::{ProduceRequest, ProduceResponse};
use kalfka_protocol::records::{batches, validate_batch, Compression};

use super::RequestContext;
use crate::error::BrokerError;
use crate::metadata::Topic;

/// First Produce version that carries record batch v2; older ones are answered with
/// UNSUPPORTED_VERSION (as Kafka 4 does).
const FIRST_SERVED_VERSION: i16 = 3;
/// First Produce version allowed to carry zstd batches (KIP-110).
const FIRST_ZSTD_VERSION: i16 = 7;

/// Handles a produce request; `None` for acks=0, which gets no response at all.
pub async fn handle(ctx: &RequestContext, req: ProduceRequest) -> Option<ProduceResponse> {
    let version = ctx.version();
    let acks = req.acks;
    let request_error = if version < FIRST_SERVED_VERSION {
        Some(BrokerError::UnsupportedVersion(
            "Produce v0-2 (message format v0/v1)",
        ))
    } else if !matches!(acks, -1..=1) {
        Some(BrokerError::InvalidRequiredAcks(acks))
    } else {
        None
    };
    let responses = req
        .topic_data
        .into_iter()
        .map(|topic_data| {
            let topic = ctx.broker.topics.get(&topic_data.name);
            TopicProduceResponse {
                partition_responses: topic_data
                    .partition_data
                    .into_iter()
                    .map(|p| {
                        let index = p.index;
                        let result = match (&request_error, &topic) {
                            (Some(e), _) => Err(e.code()),
                            (None, None) => Err(ErrorCode::UnknownTopicOrPartition),
                            (None, Some(topic)) => {
                                produce_partition(ctx, topic, p, version).map_err(|e| {
                                    tracing::debug!(topic = %topic.name, partition = index, error = %e, "produce rejected");
                                    e.code()
                                })
                            }
                        };
                        partition_response(index, result)
                    })
                    .collect(),
                name: topic_data.name,
            }
        })
        .collect();
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
    log_start_offset: i64,
}

fn produce_partition(
    ctx: &RequestContext,
    topic: &Topic,
    data: PartitionProduceData,
    version: i16,
) -> Result<Appended, BrokerError> {
    let partition = topic
        .partition(data.index)
        .ok_or(BrokerError::UnknownTopicOrPartition)?;
    let records = data.records.unwrap_or_default();
    let max = ctx.broker.topics.max_message_bytes(topic);
    let mut validated = Vec::new();
    for batch in batches(records.clone()) {
        let batch = batch?;
        let bytes: &Bytes = batch.as_bytes();
        if bytes.len() > max {
            return Err(BrokerError::MessageTooLarge {
                size: bytes.len(),
                max,
            });
        }
        let header = validate_batch(bytes)?;
        if header.compression()? == Compression::Zstd && version < FIRST_ZSTD_VERSION {
            return Err(BrokerError::UnsupportedCompressionType);
        }
        // The one copy between socket and file: the log patches offsets into its own buffer.
        validated.push(bytes.to_vec());
    }
    if validated.is_empty() {
        return Err(BrokerError::InvalidRequest(
            "produce request without record batches".into(),
        ));
    }
    let base_offset = partition.append(&mut validated)?;
    Ok(Appended {
        base_offset,
        log_start_offset: partition.offsets().log_start,
    })
}

fn partition_response(index: i32, result: Result<Appended, ErrorCode>) -> PartitionProduceResponse {
    match result {
        Ok(a) => PartitionProduceResponse {
            index,
            error_code: ErrorCode::None.code(),
            base_offset: a.base_offset,
            log_append_time_ms: -1,
            log_start_offset: a.log_start_offset,
            ..Default::default()
        },
        Err(code) => PartitionProduceResponse {
            index,
            error_code: code.code(),
            base_offset: -1,
            log_append_time_ms: -1,
            log_start_offset: -1,
            ..Default::default()
        },
    }
}
