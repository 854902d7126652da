//! DeleteRecords (key 21, v0–2): moves partitions' log start offsets forward.
//!
//! An offset of -1 means the high watermark. Closed segments wholly below the new start are
//! deleted at once; fetches below it get OFFSET_OUT_OF_RANGE from then on.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kalfka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};

use super::RequestContext;
use crate::error::BrokerError;

/// Handles a DeleteRecords request, on the blocking pool (it deletes segment files and
/// persists the new log start).
pub async fn handle(ctx: &RequestContext, req: DeleteRecordsRequest) -> DeleteRecordsResponse {
    super::blocking(ctx, move |ctx| delete(ctx, req))
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "DeleteRecords failed");
            DeleteRecordsResponse::default()
        })
}

fn delete(ctx: &RequestContext, req: DeleteRecordsRequest) -> DeleteRecordsResponse {
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let topic = ctx.broker.topics.get(&t.name);
            let partitions = t
                .partitions
                .into_iter()
                .map(|p| {
                    let result = topic
                        .as_ref()
                        .and_then(|topic| topic.partition(p.partition_index))
                        .ok_or(BrokerError::UnknownTopicOrPartition)
                        .and_then(|part| {
                            // Kafka: "Cannot delete records of internal topic" (ReplicaManager).
                            if crate::metadata::is_internal_topic(&t.name) {
                                return Err(BrokerError::InvalidTopic(format!(
                                    "Cannot delete records of internal topic {}",
                                    t.name
                                )));
                            }
                            part.delete_records_before(p.offset)
                        });
                    match result {
                        Ok(low_watermark) => DeleteRecordsPartitionResult {
                            partition_index: p.partition_index,
                            low_watermark,
                            error_code: ErrorCode::None.code(),
                        },
                        Err(e) => {
                            tracing::debug!(topic = %t.name, partition = p.partition_index, error = %e, "delete records rejected");
                            DeleteRecordsPartitionResult {
                                partition_index: p.partition_index,
                                low_watermark: -1,
                                error_code: e.code_i16(),
                            }
                        }
                    }
                })
                .collect();
            DeleteRecordsTopicResult {
                name: t.name,
                partitions,
            }
        })
        .collect();
    DeleteRecordsResponse {
        throttle_time_ms: 0,
        topics,
    }
}
