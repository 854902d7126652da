//! Groups as an operator sees them (the `/api/v1/groups` endpoints and the group metrics):
//! classic, consumer-protocol and share groups alike, with members, assignments, committed
//! offsets (a share group's share-partition start offsets) and the lag of each partition.
//!
//! Invariants: built from the coordinator's describe/list answers and the offset store (each
//! lock held only while copying) plus the partitions' high watermarks (atomics), so it never
//! blocks request handling for long; it is a snapshot, not kept up to date. Lag is the high
//! watermark minus the committed offset, floored at 0; it is absent for a partition that no
//! longer exists.

use kalfka_protocol::messages::{ConsumerProtocolAssignment, Message};

use crate::broker::Broker;
use crate::groups::consumer::group::TopicView;
use crate::groups::share::coordinator::ShareGroupDescription;
use crate::groups::share::group::assignment as share_assignment;

/// One group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupOverview {
    /// Group id.
    pub group_id: String,
    /// `classic` (JoinGroup/SyncGroup), `consumer` (KIP-848) or `share` (KIP-932).
    pub group_type: &'static str,
    /// State name as DescribeGroups / ConsumerGroupDescribe give it.
    pub state: String,
    /// Protocol type (`consumer` for consumers; empty for a memberless group).
    pub protocol_type: String,
    /// Chosen assignor (classic) or the assignor of the target assignment (consumer).
    pub protocol: String,
    /// Generation (classic) or group epoch (consumer).
    pub generation: i32,
    /// Rebalances completed with members since the broker started (classic groups).
    pub rebalances: u64,
    /// Members.
    pub members: Vec<MemberOverview>,
    /// Committed offsets with their lag.
    pub offsets: Vec<OffsetLag>,
}

/// One member.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MemberOverview {
    /// Member id.
    pub member_id: String,
    /// Static instance id.
    pub instance_id: Option<String>,
    /// Client id.
    pub client_id: String,
    /// Client host.
    pub client_host: String,
    /// Partitions assigned, by topic.
    pub assignment: Vec<TopicPartitions>,
}

/// Partitions of one topic.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TopicPartitions {
    /// Topic name.
    pub topic: String,
    /// Partition indexes.
    pub partitions: Vec<i32>,
}

/// A committed offset and how far behind the log end it is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OffsetLag {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
    /// The committed offset (next record to consume).
    pub committed_offset: i64,
    /// The partition's high watermark, if the partition exists.
    pub high_watermark: Option<i64>,
    /// `high_watermark - committed_offset` (at least 0), if the partition exists.
    pub lag: Option<i64>,
    /// Commit metadata.
    pub metadata: Option<String>,
}

/// Every group, sorted by id.
pub fn all(broker: &Broker) -> Vec<GroupOverview> {
    let mut out: Vec<GroupOverview> = broker
        .groups
        .list()
        .into_iter()
        .map(|d| classic(broker, d))
        .collect();
    out.extend(
        broker
            .groups
            .consumer
            .list()
            .into_iter()
            .map(|d| consumer(broker, d)),
    );
    let shares = broker.shares.list();
    if !shares.is_empty() {
        let view = topic_view(broker);
        out.extend(shares.into_iter().map(|d| share(broker, &view, d)));
    }
    out.sort_by(|a, b| a.group_id.cmp(&b.group_id));
    out
}

/// One group; `None` if the broker knows no group of that id.
pub fn one(broker: &Broker, group_id: &str) -> Option<GroupOverview> {
    if let Some(d) = broker.groups.consumer.describe(group_id) {
        return Some(consumer(broker, d));
    }
    if let Some(d) = broker.shares.describe(group_id) {
        return Some(share(broker, &topic_view(broker), d));
    }
    broker.groups.describe(group_id).map(|d| classic(broker, d))
}

/// Every topic's id and partition count by name, as the share assignor takes them.
fn topic_view(broker: &Broker) -> TopicView {
    broker
        .topics
        .list()
        .iter()
        .map(|t| {
            let count = i32::try_from(t.partitions.len()).unwrap_or(i32::MAX);
            (t.name.clone(), (t.id, count))
        })
        .collect()
}

/// A share group: members with the partitions the share assignor gives them (as
/// ShareGroupDescribe answers), and each share partition's start offset as its offset.
fn share(broker: &Broker, view: &TopicView, d: ShareGroupDescription) -> GroupOverview {
    GroupOverview {
        offsets: share_offsets(broker, &d.group_id),
        group_type: "share",
        state: d.state.to_string(),
        protocol_type: "share".to_string(),
        protocol: "simple".to_string(),
        generation: d.epoch,
        rebalances: 0,
        members: d
            .members
            .into_iter()
            .map(|m| MemberOverview {
                assignment: share_assignment(&m.topics, view)
                    .into_iter()
                    .map(|(topic, parts)| TopicPartitions {
                        topic,
                        partitions: parts.into_iter().collect(),
                    })
                    .collect(),
                member_id: m.member_id,
                instance_id: None,
                client_id: m.client_id,
                client_host: String::new(),
            })
            .collect(),
        group_id: d.group_id,
    }
}

/// A share group's share-partition start offsets, with the lag the share partition counts.
fn share_offsets(broker: &Broker, group_id: &str) -> Vec<OffsetLag> {
    let mut out = Vec::new();
    for (topic_id, partition) in broker.shares.group_partitions(group_id).unwrap_or_default() {
        let Some(topic) = broker.topics.get_by_id(&topic_id) else {
            continue;
        };
        let Some(p) = topic.partition(partition) else {
            continue;
        };
        let hw = p.offsets().log_end;
        if let Some((start, lag)) =
            broker
                .shares
                .partition_offsets(group_id, (topic_id, partition), hw)
        {
            out.push(OffsetLag {
                topic: topic.name.clone(),
                partition,
                committed_offset: start,
                high_watermark: Some(hw),
                lag: Some(lag.max(0)),
                metadata: None,
            });
        }
    }
    out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    out
}

fn classic(broker: &Broker, d: crate::groups::GroupDescription) -> GroupOverview {
    GroupOverview {
        offsets: offsets(broker, &d.group_id),
        group_type: "classic",
        state: d.state.name().to_string(),
        protocol_type: d.protocol_type,
        protocol: d.protocol,
        generation: d.generation,
        rebalances: d.rebalances,
        members: d
            .members
            .into_iter()
            .map(|m| MemberOverview {
                member_id: m.member_id,
                instance_id: m.instance_id,
                client_id: m.client_id,
                client_host: m.client_host,
                assignment: decode_assignment(&m.assignment),
            })
            .collect(),
        group_id: d.group_id,
    }
}

fn consumer(
    broker: &Broker,
    d: crate::groups::consumer::coordinator::ConsumerGroupDescription,
) -> GroupOverview {
    GroupOverview {
        offsets: offsets(broker, &d.group_id),
        group_type: "consumer",
        state: d.state.to_string(),
        protocol_type: "consumer".to_string(),
        protocol: d.assignor,
        generation: d.group_epoch,
        rebalances: 0,
        members: d
            .members
            .into_iter()
            .map(|m| MemberOverview {
                member_id: m.member_id,
                instance_id: m.instance_id,
                client_id: m.client_id,
                client_host: m.client_host,
                assignment: m
                    .assignment
                    .into_iter()
                    .map(|(topic, parts)| TopicPartitions {
                        topic,
                        partitions: parts.into_iter().collect(),
                    })
                    .collect(),
            })
            .collect(),
        group_id: d.group_id,
    }
}

/// The committed offsets of `group_id` with their lag.
fn offsets(broker: &Broker, group_id: &str) -> Vec<OffsetLag> {
    let mut out = Vec::new();
    for (topic, parts) in broker.groups.fetch_offsets(group_id, None) {
        let t = broker.topics.get(&topic);
        for (partition, committed) in parts {
            let Some(c) = committed else { continue };
            let high_watermark = t
                .as_ref()
                .and_then(|t| t.partition(partition))
                .map(|p| p.offsets().log_end);
            out.push(OffsetLag {
                topic: topic.clone(),
                partition,
                committed_offset: c.offset,
                high_watermark,
                lag: high_watermark.map(|hw| (hw - c.offset).max(0)),
                metadata: c.metadata,
            });
        }
    }
    out
}

/// A classic consumer's assignment (`ConsumerProtocolAssignment` after its version); empty
/// for other protocols or undecodable bytes.
fn decode_assignment(bytes: &bytes::Bytes) -> Vec<TopicPartitions> {
    if bytes.len() < 2 {
        return Vec::new();
    }
    let version =
        i16::from_be_bytes([bytes[0], bytes[1]]).clamp(0, ConsumerProtocolAssignment::MAX_VERSION);
    ConsumerProtocolAssignment::decode_from(&bytes.slice(2..), version)
        .map(|a| {
            a.assigned_partitions
                .into_iter()
                .map(|tp| TopicPartitions {
                    topic: tp.topic,
                    partitions: tp.partitions,
                })
                .collect()
        })
        .unwrap_or_default()
}
