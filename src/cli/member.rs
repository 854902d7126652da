//! `kalfka consume -g GROUP`: a classic consumer-group member (JoinGroup, SyncGroup,
//! Heartbeat, OffsetCommit, LeaveGroup) speaking Kafka's "consumer" protocol with the range
//! assignor, so it shares partitions with other kalfka, kcat or Java consumers of the group.
//!
//! Invariants: group requests go to the coordinator FindCoordinator names, over a connection
//! of their own (fetches stay on the bootstrap connection, so on a single node); offsets are committed with the member's generation — after records are
//! printed, at most every [`COMMIT_INTERVAL`], before rejoining a rebalance and on leaving —
//! so a restarted member starts after what it printed; heartbeats go out at least every
//! [`HEARTBEAT_INTERVAL`] (well inside [`SESSION_TIMEOUT_MS`]) as long as the caller pulses.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::consumer_protocol_assignment::TopicPartition;
use kalfka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kalfka_protocol::messages::leave_group_request::MemberIdentity;
use kalfka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kalfka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kalfka_protocol::messages::*;

use super::client::{CliError, Client};
use super::records::topic_partitions;

/// Session timeout asked for: the member is evicted after this long without a heartbeat.
pub const SESSION_TIMEOUT_MS: i32 = 10_000;
/// Longest the coordinator waits for members to rejoin a rebalance (below the default
/// request timeout, so a JoinGroup answer always arrives in time).
const REBALANCE_TIMEOUT_MS: i32 = 10_000;
/// Time between heartbeats.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_millis(1_000);
/// Longest printed records stay uncommitted.
pub const COMMIT_INTERVAL: Duration = Duration::from_millis(1_000);
/// JoinGroup/SyncGroup rounds tried before giving up.
const JOIN_ATTEMPTS: u32 = 20;
/// FindCoordinator requests made while the coordinator loads.
const COORDINATOR_ATTEMPTS: u32 = 100;
/// Pause before retrying a coordinator that is not ready.
const RETRY_BACKOFF: Duration = Duration::from_millis(200);
/// The assignor this member offers.
const ASSIGNOR: &str = "range";

/// What the caller does after a [`Member::pulse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pulse {
    /// Keep fetching the same partitions.
    Continue,
    /// The group is rebalancing: call [`Member::join`] and fetch the new assignment.
    Rejoin,
}

/// A member of one consumer group, subscribed to one topic.
pub struct Member {
    coordinator: Client,
    group: String,
    topic: String,
    member_id: String,
    generation: i32,
    last_heartbeat: Instant,
    last_commit: Instant,
    committed: HashMap<i32, i64>,
}

impl Member {
    /// A member of `group` subscribed to `topic`, connected to the group's coordinator (found
    /// through `client`), not yet joined.
    pub async fn connect(
        client: &mut Client,
        group: &str,
        topic: &str,
    ) -> Result<Member, CliError> {
        Ok(Member {
            coordinator: coordinator(client, group).await?,
            group: group.to_string(),
            topic: topic.to_string(),
            member_id: String::new(),
            generation: -1,
            last_heartbeat: Instant::now(),
            last_commit: Instant::now(),
            committed: HashMap::new(),
        })
    }

    /// Joins (or rejoins) the group; returns the partitions of the topic assigned to this
    /// member with their committed offsets (if any).
    pub async fn join(&mut self) -> Result<Vec<(i32, Option<i64>)>, CliError> {
        let subscription = encode_subscription(&self.topic)?;
        for _ in 0..JOIN_ATTEMPTS {
            let req = JoinGroupRequest {
                group_id: self.group.clone(),
                session_timeout_ms: SESSION_TIMEOUT_MS,
                rebalance_timeout_ms: REBALANCE_TIMEOUT_MS,
                member_id: self.member_id.clone(),
                group_instance_id: None,
                protocol_type: "consumer".into(),
                protocols: vec![JoinGroupRequestProtocol {
                    name: ASSIGNOR.into(),
                    metadata: subscription.clone(),
                }],
                reason: None,
            };
            let (_, joined): (_, JoinGroupResponse) =
                self.coordinator.call("JoinGroup", 9, &req).await?;
            if joined.error_code == ErrorCode::MemberIdRequired.code()
                || joined.error_code == ErrorCode::UnknownMemberId.code()
            {
                self.member_id = joined.member_id;
                continue;
            }
            if joined.error_code == ErrorCode::RebalanceInProgress.code() {
                continue;
            }
            if coordinator_busy(joined.error_code) {
                tokio::time::sleep(RETRY_BACKOFF).await;
                continue;
            }
            CliError::check(
                format!("join group {}", self.group),
                joined.error_code,
                None,
            )?;
            self.member_id = joined.member_id.clone();
            self.generation = joined.generation_id;
            let assignments = if joined.leader == joined.member_id {
                self.assign(&joined.members).await?
            } else {
                Vec::new()
            };
            let req = SyncGroupRequest {
                group_id: self.group.clone(),
                generation_id: self.generation,
                member_id: self.member_id.clone(),
                group_instance_id: None,
                protocol_type: Some("consumer".into()),
                protocol_name: joined.protocol_name.clone(),
                assignments,
            };
            let (_, synced): (_, SyncGroupResponse) =
                self.coordinator.call("SyncGroup", 5, &req).await?;
            if synced.error_code == ErrorCode::RebalanceInProgress.code() {
                continue;
            }
            CliError::check(
                format!("sync group {}", self.group),
                synced.error_code,
                None,
            )?;
            self.last_heartbeat = Instant::now();
            let mine = decode_assignment(&synced.assignment, &self.topic);
            let committed = self.committed_offsets().await?;
            self.committed = committed.clone();
            return Ok(mine
                .into_iter()
                .map(|p| (p, committed.get(&p).copied()))
                .collect());
        }
        Err(CliError::Io(format!(
            "group {} kept rebalancing; gave up after {JOIN_ATTEMPTS} attempts",
            self.group
        )))
    }

    /// Range assignment of every member's subscription (this member leads the group).
    async fn assign(
        &mut self,
        members: &[join_group_response::JoinGroupResponseMember],
    ) -> Result<Vec<SyncGroupRequestAssignment>, CliError> {
        let mut subscribers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for m in members {
            for topic in decode_subscription(&m.metadata) {
                subscribers
                    .entry(topic)
                    .or_default()
                    .insert(m.member_id.clone());
            }
        }
        let mut plan: BTreeMap<String, BTreeMap<String, Vec<i32>>> = members
            .iter()
            .map(|m| (m.member_id.clone(), BTreeMap::new()))
            .collect();
        for (topic, ids) in &subscribers {
            let Ok(partitions) = topic_partitions(&mut self.coordinator, topic, false).await else {
                continue;
            };
            for (member, share) in ids.iter().zip(range_split(&partitions, ids.len())) {
                if let Some(topics) = plan.get_mut(member) {
                    topics.insert(topic.clone(), share);
                }
            }
        }
        plan.into_iter()
            .map(|(member_id, topics)| {
                let assignment = ConsumerProtocolAssignment {
                    assigned_partitions: topics
                        .into_iter()
                        .map(|(topic, partitions)| TopicPartition { topic, partitions })
                        .collect(),
                    user_data: None,
                };
                let mut buf = BytesMut::new();
                buf.put_i16(0);
                assignment
                    .encode(&mut buf, 0)
                    .map_err(|e| CliError::Protocol(e.to_string()))?;
                Ok(SyncGroupRequestAssignment {
                    member_id,
                    assignment: buf.freeze(),
                })
            })
            .collect()
    }

    /// The group's committed offsets of the topic, by partition.
    async fn committed_offsets(&mut self) -> Result<HashMap<i32, i64>, CliError> {
        Ok(super::groups::committed(&mut self.coordinator, &self.group)
            .await?
            .into_iter()
            .filter(|(t, _, _)| *t == self.topic)
            .map(|(_, p, o)| (p, o))
            .collect())
    }

    /// Heartbeats and commits when due; `positions` are the next offsets to read.
    pub async fn pulse(&mut self, positions: &[(i32, i64)]) -> Result<Pulse, CliError> {
        if self.last_commit.elapsed() >= COMMIT_INTERVAL
            && self.commit(positions).await? == Pulse::Rejoin
        {
            return Ok(Pulse::Rejoin);
        }
        if self.last_heartbeat.elapsed() < HEARTBEAT_INTERVAL {
            return Ok(Pulse::Continue);
        }
        let req = HeartbeatRequest {
            group_id: self.group.clone(),
            generation_id: self.generation,
            member_id: self.member_id.clone(),
            group_instance_id: None,
        };
        let (_, resp): (_, HeartbeatResponse) = self.coordinator.call("Heartbeat", 4, &req).await?;
        self.last_heartbeat = Instant::now();
        if rebalancing(resp.error_code) {
            // Commit what was printed before the partitions may move to another member.
            self.commit(positions).await?;
            return Ok(Pulse::Rejoin);
        }
        CliError::check(
            format!("heartbeat to group {}", self.group),
            resp.error_code,
            None,
        )?;
        Ok(Pulse::Continue)
    }

    /// Commits the positions that changed since the last commit.
    pub async fn commit(&mut self, positions: &[(i32, i64)]) -> Result<Pulse, CliError> {
        self.last_commit = Instant::now();
        let changed: Vec<(i32, i64)> = positions
            .iter()
            .copied()
            .filter(|(p, o)| self.committed.get(p) != Some(o))
            .collect();
        if changed.is_empty() {
            return Ok(Pulse::Continue);
        }
        let req = OffsetCommitRequest {
            group_id: self.group.clone(),
            generation_id_or_member_epoch: self.generation,
            member_id: self.member_id.clone(),
            group_instance_id: None,
            retention_time_ms: -1,
            topics: vec![OffsetCommitRequestTopic {
                name: self.topic.clone(),
                partitions: changed
                    .iter()
                    .map(
                        |&(partition_index, committed_offset)| OffsetCommitRequestPartition {
                            partition_index,
                            committed_offset,
                            committed_leader_epoch: -1,
                            commit_timestamp: -1,
                            committed_metadata: None,
                        },
                    )
                    .collect(),
            }],
        };
        let (_, resp): (_, OffsetCommitResponse) =
            self.coordinator.call("OffsetCommit", 8, &req).await?;
        for p in resp.topics.into_iter().flat_map(|t| t.partitions) {
            if rebalancing(p.error_code) {
                return Ok(Pulse::Rejoin);
            }
            CliError::check(
                format!(
                    "commit {}-{} for group {}",
                    self.topic, p.partition_index, self.group
                ),
                p.error_code,
                None,
            )?;
        }
        self.committed.extend(changed);
        Ok(Pulse::Continue)
    }

    /// Commits `positions` and leaves the group (so its partitions move at once).
    pub async fn leave(&mut self, positions: &[(i32, i64)]) -> Result<(), CliError> {
        self.commit(positions).await?;
        let req = LeaveGroupRequest {
            group_id: self.group.clone(),
            member_id: self.member_id.clone(),
            members: vec![MemberIdentity {
                member_id: self.member_id.clone(),
                group_instance_id: None,
                reason: Some("kalfka consume stopped".into()),
            }],
        };
        let (_, resp): (_, LeaveGroupResponse) =
            self.coordinator.call("LeaveGroup", 5, &req).await?;
        CliError::check(format!("leave group {}", self.group), resp.error_code, None)
    }
}

/// A connection to `group`'s coordinator, found with FindCoordinator through `client` (which
/// also makes Kafka create `__consumer_offsets` on a fresh cluster); waits while the
/// coordinator is not yet available or still loading.
pub async fn coordinator(client: &mut Client, group: &str) -> Result<Client, CliError> {
    let req = FindCoordinatorRequest {
        key: group.to_string(),
        key_type: 0,
        coordinator_keys: Vec::new(),
    };
    for attempt in 1..=COORDINATOR_ATTEMPTS {
        let (_, resp): (_, FindCoordinatorResponse) =
            client.call("FindCoordinator", 3, &req).await?;
        if coordinator_busy(resp.error_code) && attempt < COORDINATOR_ATTEMPTS {
            tokio::time::sleep(RETRY_BACKOFF).await;
            continue;
        }
        CliError::check(
            format!("find the coordinator of group {group}"),
            resp.error_code,
            resp.error_message,
        )?;
        let addr = format!("{}:{}", resp.host, resp.port);
        let coordinator = Client::connect(&addr, client.timeout()).await;
        // The advertised address may not be reachable from here (a container's name, say);
        // on one node the bootstrap address is the same broker.
        return match coordinator {
            Ok(c) => Ok(c),
            Err(_) => Client::connect(client.bootstrap(), client.timeout()).await,
        };
    }
    Err(CliError::Io(format!("no coordinator for group {group}")))
}

/// Whether `code` means the coordinator is not ready yet (worth retrying).
fn coordinator_busy(code: i16) -> bool {
    [
        ErrorCode::CoordinatorNotAvailable,
        ErrorCode::CoordinatorLoadInProgress,
        ErrorCode::NotCoordinator,
    ]
    .iter()
    .any(|e| e.code() == code)
}

/// Whether `code` means the member must rejoin.
fn rebalancing(code: i16) -> bool {
    [
        ErrorCode::RebalanceInProgress,
        ErrorCode::IllegalGeneration,
        ErrorCode::UnknownMemberId,
    ]
    .iter()
    .any(|e| e.code() == code)
}

/// `partitions` split into `members` contiguous ranges, the first ones one longer (Kafka's
/// RangeAssignor).
pub fn range_split(partitions: &[i32], members: usize) -> Vec<Vec<i32>> {
    let members = members.max(1);
    let base = partitions.len() / members;
    let extra = partitions.len() % members;
    let mut out = Vec::with_capacity(members);
    let mut at = 0;
    for i in 0..members {
        let n = base + usize::from(i < extra);
        out.push(partitions[at..at + n].to_vec());
        at += n;
    }
    out
}

/// ConsumerProtocolSubscription v0 (version prefix included) for one topic.
fn encode_subscription(topic: &str) -> Result<Bytes, CliError> {
    let sub = ConsumerProtocolSubscription {
        topics: vec![topic.to_string()],
        ..Default::default()
    };
    let mut buf = BytesMut::new();
    buf.put_i16(0);
    sub.encode(&mut buf, 0)
        .map_err(|e| CliError::Protocol(e.to_string()))?;
    Ok(buf.freeze())
}

/// The topics of a member's subscription (any version); none if it does not decode.
fn decode_subscription(metadata: &Bytes) -> Vec<String> {
    if metadata.len() < 2 {
        return Vec::new();
    }
    let version = i16::from_be_bytes([metadata[0], metadata[1]])
        .clamp(0, ConsumerProtocolSubscription::MAX_VERSION);
    ConsumerProtocolSubscription::decode_from(&metadata.slice(2..), version)
        .map(|s| s.topics)
        .unwrap_or_default()
}

/// The partitions of `topic` in an assignment (any version); none if it does not decode.
fn decode_assignment(bytes: &Bytes, topic: &str) -> Vec<i32> {
    if bytes.len() < 2 {
        return Vec::new();
    }
    let version =
        i16::from_be_bytes([bytes[0], bytes[1]]).clamp(0, ConsumerProtocolAssignment::MAX_VERSION);
    let mut mine: Vec<i32> = ConsumerProtocolAssignment::decode_from(&bytes.slice(2..), version)
        .map(|a| {
            a.assigned_partitions
                .into_iter()
                .filter(|tp| tp.topic == topic)
                .flat_map(|tp| tp.partitions)
                .collect()
        })
        .unwrap_or_default();
    mine.sort_unstable();
    mine
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_split_matches_kafkas_range_assignor() {
        assert_eq!(
            range_split(&[0, 1, 2, 3, 4], 2),
            vec![vec![0, 1, 2], vec![3, 4]]
        );
        assert_eq!(range_split(&[0], 3), vec![vec![0], vec![], vec![]]);
        assert_eq!(range_split(&[], 1), vec![Vec::<i32>::new()]);
    }

    #[test]
    fn subscription_and_assignment_round_trip() {
        let sub = encode_subscription("t").expect("encodes");
        assert_eq!(decode_subscription(&sub), vec!["t".to_string()]);
        let assignment = ConsumerProtocolAssignment {
            assigned_partitions: vec![
                TopicPartition {
                    topic: "t".into(),
                    partitions: vec![2, 0],
                },
                TopicPartition {
                    topic: "u".into(),
                    partitions: vec![1],
                },
            ],
            user_data: None,
        };
        let mut buf = BytesMut::new();
        buf.put_i16(0);
        assignment.encode(&mut buf, 0).expect("encodes");
        assert_eq!(decode_assignment(&buf.freeze(), "t"), vec![0, 2]);
        assert!(decode_assignment(&Bytes::from_static(b"\x00"), "t").is_empty());
    }
}
