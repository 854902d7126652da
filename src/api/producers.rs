//! DescribeProducers (key 61): the idempotent producers each partition remembers, for
//! `kafka-transactions.sh describe-producers` and the admin clients.
//!
//! Transactions are not served, so `coordinator_epoch` is always -1 and
//! `current_txn_start_offset` -1.

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
                        .map(|(id, epoch, last_seq, last_ms)| ProducerState {
                            producer_id: id,
                            producer_epoch: i32::from(epoch),
                            last_sequence: last_seq,
                            last_timestamp: last_ms,
                            coordinator_epoch: -1,
                            current_txn_start_offset: -1,
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
