//! WriteTxnMarkers (key 27): writes COMMIT or ABORT markers for a producer's transaction on
//! the partitions named, as a partition leader does for its coordinator. Clients send it to
//! abort a hanging transaction (`Admin.abortTransaction`, `kafka-transactions.sh abort`).
//!
//! Per partition: UNKNOWN_TOPIC_OR_PARTITION if it does not exist, INVALID_PRODUCER_EPOCH if
//! the marker's epoch is older than the producer's current one there; otherwise the marker is
//! written (where the producer has a transaction open) and fsynced before the answer. Runs on
//! the blocking pool.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::write_txn_markers_request::WritableTxnMarker;
use kalfka_protocol::messages::write_txn_markers_response::{
    WritableTxnMarkerPartitionResult, WritableTxnMarkerResult, WritableTxnMarkerTopicResult,
};
use kalfka_protocol::messages::{WriteTxnMarkersRequest, WriteTxnMarkersResponse};

use super::RequestContext;
use crate::error::BrokerError;

/// Handles WriteTxnMarkers.
pub async fn handle(ctx: &RequestContext, req: WriteTxnMarkersRequest) -> WriteTxnMarkersResponse {
    let fallback = req.markers.clone();
    let markers = super::blocking(ctx, move |ctx| {
        req.markers
            .into_iter()
            .map(|m| write_marker(ctx, m))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "WriteTxnMarkers failed");
        fallback
            .into_iter()
            .map(|m| answer_all(m, e.code_i16()))
            .collect()
    });
    WriteTxnMarkersResponse { markers }
}

fn write_marker(ctx: &RequestContext, m: WritableTxnMarker) -> WritableTxnMarkerResult {
    let topics = m
        .topics
        .iter()
        .map(|t| WritableTxnMarkerTopicResult {
            name: t.name.clone(),
            partitions: t
                .partition_indexes
                .iter()
                .map(|&p| {
                    let result = write_one(ctx, &m, &t.name, p);
                    if let Err(e) = &result {
                        tracing::debug!(topic = %t.name, partition = p, producer_id = m.producer_id, error = %e, "transaction marker refused");
                    }
                    WritableTxnMarkerPartitionResult {
                        partition_index: p,
                        error_code: result.map_or_else(|e| e.code_i16(), |()| ErrorCode::None.code()),
                    }
                })
                .collect(),
        })
        .collect();
    WritableTxnMarkerResult {
        producer_id: m.producer_id,
        topics,
    }
}

fn write_one(
    ctx: &RequestContext,
    m: &WritableTxnMarker,
    topic: &str,
    index: i32,
) -> Result<(), BrokerError> {
    let partition = ctx
        .broker
        .topics
        .get(topic)
        .and_then(|t| t.partition(index).cloned())
        .ok_or(BrokerError::UnknownTopicOrPartition)?;
    if let Some(current) = partition.producer_epoch(m.producer_id) {
        if m.producer_epoch < current {
            return Err(BrokerError::InvalidProducerEpoch(format!(
                "marker epoch {} is older than producer {}'s epoch {current}",
                m.producer_epoch, m.producer_id
            )));
        }
    }
    let written = partition.write_txn_marker(
        m.producer_id,
        m.producer_epoch,
        m.transaction_result,
        m.coordinator_epoch,
    )?;
    if let Some(end) = written {
        tracing::info!(
            topic,
            partition = index,
            producer_id = m.producer_id,
            commit = m.transaction_result,
            "wrote a transaction marker on request"
        );
        partition.sync_blocking(end)?;
    }
    Ok(())
}

fn answer_all(m: WritableTxnMarker, code: i16) -> WritableTxnMarkerResult {
    WritableTxnMarkerResult {
        producer_id: m.producer_id,
        topics: m
            .topics
            .into_iter()
            .map(|t| WritableTxnMarkerTopicResult {
                partitions: t
                    .partition_indexes
                    .into_iter()
                    .map(|p| WritableTxnMarkerPartitionResult {
                        partition_index: p,
                        error_code: code,
                    })
                    .collect(),
                name: t.name,
            })
            .collect(),
    }
}
