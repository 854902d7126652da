//! DescribeProducers (key 61): the idempotent producers each partition remembers, for
//! `kafka-transactions.sh describe-producers` and the admin clients.
//!
//! `current_txn_start_offset` is the first offset of the producer's open transaction on the
//! partition (-1: none); `coordinator_epoch` is that of the last transaction marker written
//! for the producer there (-1 until there is one), as Kafka reports it.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::describe_producers_response::{
    PartitionResponse, ProducerState, TopicResponse,
};
use kalfka_protocol::messages::{DescribeProducersRequest, DescribeProducersResponse};

use super::RequestContext;
use crate::partition::now_ms;

/// Lists the live producers of every requested partition.
pub async fn describe(
    ctx: &RequestContext,
    req: DescribeProducersRequest,
) -> DescribeProducersResponse {
    let expiration_ms =
        i64::try_from(ctx.broker.config.producer_id_expiration_ms).unwrap_or(i64::MAX);
    let now = now_ms();
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let topic = ctx.broker.topics.get(&t.name);
            let partitions = t
                .partition_indexes
                .iter()
                .map(|&index| {
                    let Some(partition) = topic.as_ref().and_then(|topic| topic.partition(index))
                    else {
                        return PartitionResponse {
                            partition_index: index,
                            error_code: ErrorCode::UnknownTopicOrPartition.code(),
                            ..Default::default()
                        };
                    };
                    let active_producers = partition
                        .active_producers(now, expiration_ms)
                        .into_iter()
                        .map(|p| ProducerState {
                            producer_id: p.producer_id,
                            producer_epoch: i32::from(p.epoch),
                            last_sequence: p.last_sequence,
                            last_timestamp: p.last_update_ms,
                            coordinator_epoch: p.coordinator_epoch,
                            current_txn_start_offset: p.txn_first_offset.unwrap_or(-1),
                        })
                        .collect();
                    PartitionResponse {
                        partition_index: index,
                        error_code: ErrorCode::None.code(),
                        error_message: None,
                        active_producers,
                    }
                })
                .collect();
            TopicResponse {
                name: t.name,
                partitions,
            }
        })
        .collect();
    DescribeProducersResponse {
        throttle_time_ms: 0,
        topics,
    }
}
