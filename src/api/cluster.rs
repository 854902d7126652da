//! DescribeCluster (key 60) and DescribeLogDirs (key 35).

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kalfka_protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use kalfka_protocol::messages::{
    DescribeClusterRequest, DescribeClusterResponse, DescribeLogDirsRequest,
    DescribeLogDirsResponse,
};

use super::{RequestContext, OPS_NOT_REQUESTED};
use crate::metadata::Topic;

/// DescribeCluster endpoint type "brokers".
const ENDPOINT_BROKERS: i8 = 1;

/// Describes the cluster: its id, the controller and the one broker.
pub async fn describe_cluster(
    ctx: &RequestContext,
    req: DescribeClusterRequest,
) -> DescribeClusterResponse {
    let broker = &ctx.broker;
    let operations = if req.include_cluster_authorized_operations {
        // No authorizer: every cluster operation is allowed (CREATE, ALTER, DESCRIBE,
        // CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE).
        [5, 7, 8, 9, 10, 11, 12]
            .iter()
            .fold(0, |bits, op| bits | (1 << op))
    } else {
        OPS_NOT_REQUESTED
    };
    DescribeClusterResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None.code(),
        error_message: None,
        endpoint_type: ENDPOINT_BROKERS,
        cluster_id: broker.topics.cluster_id().to_string(),
        controller_id: broker.node_id(),
        brokers: vec![DescribeClusterBroker {
            broker_id: broker.node_id(),
            host: broker.advertised_host().to_string(),
            port: broker.advertised_port(),
            rack: None,
        }],
        cluster_authorized_operations: operations,
    }
}

/// Describes the one log directory with the on-disk size of every requested partition.
pub async fn describe_log_dirs(
    ctx: &RequestContext,
    req: DescribeLogDirsRequest,
) -> DescribeLogDirsResponse {
    let registry = &ctx.broker.topics;
    let wanted: Vec<(std::sync::Arc<Topic>, Vec<i32>)> = match req.topics {
        None => registry
            .list()
            .into_iter()
            .map(|t| {
                let all = (0..t.partitions.len() as i32).collect();
                (t, all)
            })
            .collect(),
        Some(list) => list
            .into_iter()
            .filter_map(|t| {
                let topic = registry.get(&t.topic)?;
                let parts = t
                    .partitions
                    .into_iter()
                    .filter(|p| topic.partition(*p).is_some())
                    .collect();
                Some((topic, parts))
            })
            .collect(),
    };
    let topics = wanted
        .into_iter()
        .map(|(topic, parts)| DescribeLogDirsTopic {
            name: topic.name.clone(),
            partitions: parts
                .into_iter()
                .map(|p| DescribeLogDirsPartition {
                    partition_index: p,
                    partition_size: usize::try_from(p)
                        .ok()
                        .and_then(|i| topic.partitions.get(i))
                        .map_or(0, |part| part.size_bytes())
                        as i64,
                    offset_lag: 0,
                    is_future_key: false,
                })
                .collect(),
        })
        .collect();
    let dir = registry.data_dir();
    let log_dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    // Volume sizes would need statvfs (no libc dependency yet); -1 is Kafka's "unknown".
    let (total_bytes, usable_bytes) = (-1, -1);
    DescribeLogDirsResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None.code(),
        results: vec![DescribeLogDirsResult {
            error_code: ErrorCode::None.code(),
            log_dir: log_dir.display().to_string(),
            topics,
            total_bytes,
            usable_bytes,
        }],
    }
}
