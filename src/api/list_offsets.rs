//! ListOffsets (key 2): log start, log end (the last stable offset for read_committed
//! clients), max timestamp and offsets by timestamp.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::list_offsets_request::ListOffsetsPartition;
use kalfka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kalfka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use super::metadata::LEADER_EPOCH;
use super::RequestContext;
use crate::error::BrokerError;
use crate::metadata::Topic;

/// Isolation level READ_COMMITTED: "latest" is the last stable offset.
const READ_COMMITTED: i8 = 1;

/// Special timestamps a client may ask for.
const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;

/// Answers ListOffsets for every requested partition.
pub async fn handle(ctx: &RequestContext, req: ListOffsetsRequest) -> ListOffsetsResponse {
    let version = ctx.version();
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let topic = ctx.broker.topics.get(&t.name);
            ListOffsetsTopicResponse {
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| {
                        let result = match &topic {
                            None => Err(BrokerError::UnknownTopicOrPartition),
                            Some(topic) => lookup(topic, p, version, req.isolation_level),
                        };
                        respond(p.partition_index, version, result)
                    })
                    .collect(),
                name: t.name,
            }
        })
        .collect();
    ListOffsetsResponse {
        throttle_time_ms: 0,
        topics,
    }
}

/// `(offset, timestamp)` for one partition; `(-1, -1)` when no record matches.
fn lookup(
    topic: &Topic,
    p: &ListOffsetsPartition,
    version: i16,
    isolation_level: i8,
) -> Result<(i64, i64), BrokerError> {
    let partition = topic
        .partition(p.partition_index)
        .ok_or(BrokerError::UnknownTopicOrPartition)?;
    if p.current_leader_epoch > LEADER_EPOCH {
        return Err(BrokerError::UnknownLeaderEpoch);
    }
    let offsets = partition.offsets();
    match p.timestamp {
        LATEST if isolation_level == READ_COMMITTED => Ok((partition.last_stable_offset(), -1)),
        LATEST => Ok((offsets.log_end, -1)),
        EARLIEST => Ok((offsets.log_start, -1)),
        MAX_TIMESTAMP if version >= 7 => Ok(partition.max_timestamp()?.unwrap_or((-1, -1))),
        EARLIEST_LOCAL if version >= 8 => Ok((offsets.log_start, -1)),
        LATEST_TIERED if version >= 9 => Ok((-1, -1)),
        ts if ts >= 0 => Ok(partition.offset_for_timestamp(ts)?.unwrap_or((-1, -1))),
        _ => Err(BrokerError::UnsupportedVersion(
            "this special timestamp needs a newer ListOffsets version",
        )),
    }
}

fn respond(
    partition_index: i32,
    version: i16,
    result: Result<(i64, i64), BrokerError>,
) -> ListOffsetsPartitionResponse {
    match result {
        Ok((offset, timestamp)) => ListOffsetsPartitionResponse {
            partition_index,
            error_code: ErrorCode::None.code(),
            old_style_offsets: if version == 0 && offset >= 0 {
                vec![offset]
            } else {
                vec![]
            },
            timestamp,
            offset,
            leader_epoch: LEADER_EPOCH,
        },
        Err(e) => ListOffsetsPartitionResponse {
            partition_index,
            error_code: e.code().code(),
            old_style_offsets: vec![],
            timestamp: -1,
            offset: -1,
            leader_epoch: -1,
        },
    }
}
