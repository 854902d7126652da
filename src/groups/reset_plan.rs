//! An offset reset planned for a group without active members, shared by
//! `kalfka group reset-offsets` and the web console: per partition the committed offset and the
//! new one, and the OffsetCommit an admin client sends to apply it (generation -1, no member,
//! as Kafka's `kafka-consumer-groups.sh --reset-offsets --execute` commits).

use std::collections::BTreeMap;

use kalfka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kalfka_protocol::messages::OffsetCommitRequest;

/// One partition of a planned reset.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlannedOffset {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset committed now, if any (shown in the preview).
    pub current: Option<i64>,
    /// The offset the reset commits.
    pub new: i64,
}

/// The OffsetCommit that applies `plan` to `group`, topics in name order.
pub fn commit_request(group: &str, plan: &[PlannedOffset]) -> OffsetCommitRequest {
    let mut topics: BTreeMap<&str, Vec<OffsetCommitRequestPartition>> = BTreeMap::new();
    for p in plan {
        topics
            .entry(p.topic.as_str())
            .or_default()
            .push(OffsetCommitRequestPartition {
                partition_index: p.partition,
                committed_offset: p.new,
                committed_leader_epoch: -1,
                commit_timestamp: -1,
                committed_metadata: None,
            });
    }
    OffsetCommitRequest {
        group_id: group.to_string(),
        generation_id_or_member_epoch: -1,
        member_id: String::new(),
        group_instance_id: None,
        retention_time_ms: -1,
        topics: topics
            .into_iter()
            .map(|(name, partitions)| OffsetCommitRequestTopic {
                name: name.to_string(),
                partitions,
            })
            .collect(),
    }
}
