//! `kalfka consume --share-group`: a share-group member (KIP-932) subscribed to one topic —
//! membership with ShareGroupHeartbeat (76) at the coordinator, and a share session with
//! ShareFetch (78) / ShareAcknowledge (79) at the partitions' leader (the bootstrap broker).
//!
//! Invariants: the member id is a random UUID chosen here and kept for the whole run (Kafka
//! 4.x wants the client to choose it); heartbeats go out at least every interval the
//! coordinator asks for (every [`UNASSIGNED_HEARTBEAT`] while nothing is assigned, so work
//! is picked up soon), and a fenced or unknown member rejoins with epoch 0; acknowledgements
//! never go in a session-opening fetch (epoch 0), and those of partitions no longer assigned
//! go in a ShareAcknowledge before the next fetch forgets them; [`ShareMember::leave`] sends
//! what is pending with epoch -1 (closing the session gives back every record still acquired)
//! and leaves the group with member epoch -1.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::metadata_request::MetadataRequestTopic;
use kalfka_protocol::messages::share_acknowledge_request::{
    AcknowledgePartition, AcknowledgeTopic, AcknowledgementBatch as AckBatch,
};
use kalfka_protocol::messages::share_fetch_request::{
    AcknowledgementBatch, FetchPartition, FetchTopic, ForgottenTopic,
};
use kalfka_protocol::messages::*;
use kalfka_protocol::Uuid;

use super::client::{CliError, Client};
use super::member::coordinator;

/// Acknowledge type GAP: an acquired offset with no record (a control record, say).
pub const ACK_GAP: i8 = 0;
/// Acknowledge type ACCEPT.
pub const ACK_ACCEPT: i8 = 1;
/// Acknowledge type RELEASE.
pub const ACK_RELEASE: i8 = 2;
/// Acknowledge type REJECT.
pub const ACK_REJECT: i8 = 3;
/// Heartbeat interval while the member has no partition (the coordinator may still be
/// initializing the group's share partitions).
const UNASSIGNED_HEARTBEAT: Duration = Duration::from_millis(500);
/// Heartbeat interval until the coordinator names one.
const DEFAULT_HEARTBEAT: Duration = Duration::from_millis(3_000);
/// Heartbeats tried while the coordinator is loading.
const JOIN_ATTEMPTS: u32 = 100;
/// Pause before retrying a busy coordinator.
const RETRY_BACKOFF: Duration = Duration::from_millis(200);
/// Bytes asked for per ShareFetch.
const FETCH_BYTES: i32 = 4 * 1024 * 1024;

/// One record acquired by this member: where it is and how often it was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acquired {
    /// Partition index.
    pub partition: i32,
    /// First acquired offset.
    pub first: i64,
    /// Last acquired offset (inclusive).
    pub last: i64,
    /// Delivery count of these records.
    pub delivery_count: i16,
}

/// What one ShareFetch brought: per partition the record batches and acquired ranges.
#[derive(Debug, Default)]
pub struct Fetched {
    /// (partition, record batches, acquired ranges).
    pub partitions: Vec<(i32, Bytes, Vec<Acquired>)>,
    /// Warnings to print (acknowledgements the broker refused, a reset session).
    pub warnings: Vec<String>,
}

/// Pending acknowledgements: partition → offset → type.
pub type Acks = BTreeMap<i32, BTreeMap<i64, i8>>;

/// A member of one share group, subscribed to one topic.
pub struct ShareMember {
    coordinator: Client,
    group: String,
    topic: String,
    topic_id: Uuid,
    member_id: String,
    member_epoch: i32,
    heartbeat_interval: Duration,
    last_heartbeat: Option<Instant>,
    assigned: BTreeSet<i32>,
    session_epoch: i32,
    session: BTreeSet<i32>,
}

impl ShareMember {
    /// A member of `group` for `topic` (whose id Metadata gives through `client`), connected
    /// to the group's coordinator, not yet joined.
    pub async fn connect(
        client: &mut Client,
        group: &str,
        topic: &str,
    ) -> Result<ShareMember, CliError> {
        let topic_id = topic_id(client, topic).await?;
        Ok(ShareMember {
            coordinator: coordinator(client, group).await?,
            group: group.to_string(),
            topic: topic.to_string(),
            topic_id,
            member_id: Uuid(*uuid::Uuid::new_v4().as_bytes()).to_base64(),
            member_epoch: 0,
            heartbeat_interval: DEFAULT_HEARTBEAT,
            last_heartbeat: None,
            assigned: BTreeSet::new(),
            session_epoch: 0,
            session: BTreeSet::new(),
        })
    }

    /// The partitions of the topic assigned to this member.
    pub fn assigned(&self) -> &BTreeSet<i32> {
        &self.assigned
    }

    /// Heartbeats when one is due (joining with epoch 0 first, rejoining when fenced).
    pub async fn pulse(&mut self) -> Result<(), CliError> {
        let interval = if self.assigned.is_empty() {
            UNASSIGNED_HEARTBEAT.min(self.heartbeat_interval)
        } else {
            self.heartbeat_interval
        };
        if self.last_heartbeat.is_some_and(|t| t.elapsed() < interval) {
            return Ok(());
        }
        for _ in 0..JOIN_ATTEMPTS {
            let joining = self.member_epoch == 0;
            let req = ShareGroupHeartbeatRequest {
                group_id: self.group.clone(),
                member_id: self.member_id.clone(),
                member_epoch: self.member_epoch,
                rack_id: None,
                subscribed_topic_names: joining.then(|| vec![self.topic.clone()]),
            };
            let (_, resp): (_, ShareGroupHeartbeatResponse) = self
                .coordinator
                .call("ShareGroupHeartbeat", 1, &req)
                .await?;
            self.last_heartbeat = Some(Instant::now());
            let code = resp.error_code;
            if (code == ErrorCode::FencedMemberEpoch.code()
                || code == ErrorCode::UnknownMemberId.code())
                && !joining
            {
                self.member_epoch = 0;
                continue;
            }
            if busy(code) {
                tokio::time::sleep(RETRY_BACKOFF).await;
                continue;
            }
            CliError::check(
                format!("heartbeat to share group {}", self.group),
                code,
                resp.error_message,
            )?;
            self.member_epoch = resp.member_epoch;
            if resp.heartbeat_interval_ms > 0 {
                self.heartbeat_interval = Duration::from_millis(resp.heartbeat_interval_ms as u64);
            }
            if let Some(a) = resp.assignment {
                self.assigned = a
                    .topic_partitions
                    .into_iter()
                    .filter(|tp| tp.topic_id == self.topic_id)
                    .flat_map(|tp| tp.partitions)
                    .collect();
            }
            return Ok(());
        }
        Err(CliError::Io(format!(
            "share group {}: the coordinator stayed unavailable",
            self.group
        )))
    }

    /// Sends `acks` and fetches records of the assigned partitions (at most `max_records`,
    /// waiting up to `wait_ms` for some). The acknowledged offsets are taken out of `acks`.
    pub async fn fetch(
        &mut self,
        client: &mut Client,
        acks: &mut Acks,
        max_records: i32,
        wait_ms: i32,
    ) -> Result<Fetched, CliError> {
        let mut fetched = Fetched::default();
        // Acknowledgements of partitions no longer assigned go on their own, before the
        // fetch forgets those partitions.
        let revoked: Vec<i32> = acks
            .keys()
            .copied()
            .filter(|p| !self.assigned.contains(p))
            .collect();
        if !revoked.is_empty() {
            let mut gone: Acks = revoked
                .iter()
                .filter_map(|p| acks.remove_entry(p))
                .collect();
            self.acknowledge(client, &mut gone, &mut fetched.warnings, false)
                .await?;
        }
        if self.session_epoch == 0 && !acks.is_empty() {
            // A new session cannot carry acknowledgements; their records went back to the
            // group when the old session ended.
            acks.clear();
        }
        let forgotten: Vec<i32> = self.session.difference(&self.assigned).copied().collect();
        let req = ShareFetchRequest {
            group_id: Some(self.group.clone()),
            member_id: Some(self.member_id.clone()),
            share_session_epoch: self.session_epoch,
            max_wait_ms: wait_ms,
            min_bytes: 1,
            max_bytes: FETCH_BYTES,
            max_records,
            batch_size: max_records,
            // record_limit: never more than max_records (v2+; ignored before).
            share_acquire_mode: 1,
            is_renew_ack: false,
            topics: vec![FetchTopic {
                topic_id: self.topic_id,
                partitions: self
                    .assigned
                    .iter()
                    .map(|&p| FetchPartition {
                        partition_index: p,
                        partition_max_bytes: FETCH_BYTES,
                        acknowledgement_batches: acks
                            .remove(&p)
                            .map(|a| ack_batches(&a))
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(first_offset, last_offset, acknowledge_types)| {
                                AcknowledgementBatch {
                                    first_offset,
                                    last_offset,
                                    acknowledge_types,
                                }
                            })
                            .collect(),
                    })
                    .collect(),
            }],
            forgotten_topics_data: if forgotten.is_empty() {
                Vec::new()
            } else {
                vec![ForgottenTopic {
                    topic_id: self.topic_id,
                    partitions: forgotten,
                }]
            },
        };
        let (_, resp): (_, ShareFetchResponse) = client.call("ShareFetch", 2, &req).await?;
        if self.session_lost(resp.error_code, &mut fetched.warnings) {
            return Ok(fetched);
        }
        CliError::check(
            format!("share fetch from {}", self.topic),
            resp.error_code,
            resp.error_message,
        )?;
        self.session_epoch = next_epoch(self.session_epoch);
        self.session = self.assigned.clone();
        for p in resp.responses.into_iter().flat_map(|t| t.partitions) {
            if p.acknowledge_error_code != 0 {
                fetched.warnings.push(self.ack_warning(
                    p.partition_index,
                    p.acknowledge_error_code,
                    p.acknowledge_error_message,
                ));
            }
            CliError::check(
                format!("share fetch from {}-{}", self.topic, p.partition_index),
                p.error_code,
                p.error_message,
            )?;
            let ranges: Vec<Acquired> = p
                .acquired_records
                .iter()
                .map(|r| Acquired {
                    partition: p.partition_index,
                    first: r.first_offset,
                    last: r.last_offset,
                    delivery_count: r.delivery_count,
                })
                .collect();
            if !ranges.is_empty() {
                fetched
                    .partitions
                    .push((p.partition_index, p.records.unwrap_or_default(), ranges));
            }
        }
        Ok(fetched)
    }

    /// Sends `acks` in a ShareAcknowledge (closing the session with `close`); warnings for
    /// refused acknowledgements go to `warnings`.
    async fn acknowledge(
        &mut self,
        client: &mut Client,
        acks: &mut Acks,
        warnings: &mut Vec<String>,
        close: bool,
    ) -> Result<(), CliError> {
        if self.session_epoch == 0 {
            // No session: nothing acquired is held, nothing to acknowledge or close.
            acks.clear();
            return Ok(());
        }
        let req = ShareAcknowledgeRequest {
            group_id: Some(self.group.clone()),
            member_id: Some(self.member_id.clone()),
            share_session_epoch: if close { -1 } else { self.session_epoch },
            is_renew_ack: false,
            topics: vec![AcknowledgeTopic {
                topic_id: self.topic_id,
                partitions: std::mem::take(acks)
                    .into_iter()
                    .map(|(p, a)| AcknowledgePartition {
                        partition_index: p,
                        acknowledgement_batches: ack_batches(&a)
                            .into_iter()
                            .map(|(first_offset, last_offset, acknowledge_types)| AckBatch {
                                first_offset,
                                last_offset,
                                acknowledge_types,
                            })
                            .collect(),
                    })
                    .collect(),
            }],
        };
        let (_, resp): (_, ShareAcknowledgeResponse) =
            client.call("ShareAcknowledge", 2, &req).await?;
        if close {
            self.session_epoch = 0;
            self.session.clear();
        } else if self.session_lost(resp.error_code, warnings) {
            return Ok(());
        } else {
            self.session_epoch = next_epoch(self.session_epoch);
        }
        CliError::check(
            format!("share acknowledge to {}", self.topic),
            resp.error_code,
            resp.error_message,
        )?;
        for p in resp.responses.into_iter().flat_map(|t| t.partitions) {
            if p.error_code != 0 {
                warnings.push(self.ack_warning(p.partition_index, p.error_code, p.error_message));
            }
        }
        Ok(())
    }

    /// Sends `acks` now in a ShareAcknowledge (for a member that has nothing to fetch);
    /// returns warnings to print.
    pub async fn flush(
        &mut self,
        client: &mut Client,
        acks: &mut Acks,
    ) -> Result<Vec<String>, CliError> {
        let mut warnings = Vec::new();
        if !acks.is_empty() {
            self.acknowledge(client, acks, &mut warnings, false).await?;
        }
        Ok(warnings)
    }

    /// Whether `code` says the share session is gone; then it is reopened by the next fetch.
    fn session_lost(&mut self, code: i16, warnings: &mut Vec<String>) -> bool {
        let lost = code == ErrorCode::ShareSessionNotFound.code()
            || code == ErrorCode::InvalidShareSessionEpoch.code();
        if lost {
            warnings.push(format!(
                "share session of group {} ended by the broker ({}); opening a new one",
                self.group,
                ErrorCode::from_code(code).map_or("?", |c| c.name())
            ));
            self.session_epoch = 0;
            self.session.clear();
        }
        lost
    }

    fn ack_warning(&self, partition: i32, code: i16, message: Option<String>) -> String {
        let name = ErrorCode::from_code(code)
            .map_or_else(|| format!("error {code}"), |c| c.name().to_string());
        format!(
            "acknowledgement to {}-{partition} refused: {name}{} (those records will be delivered again)",
            self.topic,
            message.map(|m| format!(": {m}")).unwrap_or_default()
        )
    }

    /// Sends the pending `acks` closing the share session (the broker gives back anything
    /// still acquired), then leaves the group. Returns warnings to print.
    pub async fn leave(
        &mut self,
        client: &mut Client,
        acks: &mut Acks,
    ) -> Result<Vec<String>, CliError> {
        let mut warnings = Vec::new();
        self.acknowledge(client, acks, &mut warnings, true).await?;
        if self.last_heartbeat.is_none() {
            return Ok(warnings);
        }
        let req = ShareGroupHeartbeatRequest {
            group_id: self.group.clone(),
            member_id: self.member_id.clone(),
            member_epoch: -1,
            rack_id: None,
            subscribed_topic_names: None,
        };
        let (_, resp): (_, ShareGroupHeartbeatResponse) = self
            .coordinator
            .call("ShareGroupHeartbeat", 1, &req)
            .await?;
        CliError::check(
            format!("leave share group {}", self.group),
            resp.error_code,
            resp.error_message,
        )?;
        Ok(warnings)
    }
}

/// The session epoch after `epoch` (wrapping to 1, never 0 or -1).
fn next_epoch(epoch: i32) -> i32 {
    if epoch == i32::MAX {
        1
    } else {
        epoch + 1
    }
}

/// Whether `code` means the coordinator is not ready yet.
fn busy(code: i16) -> bool {
    [
        ErrorCode::CoordinatorNotAvailable,
        ErrorCode::CoordinatorLoadInProgress,
        ErrorCode::NotCoordinator,
    ]
    .iter()
    .any(|e| e.code() == code)
}

/// `acks` (offset → type) as acknowledgement batches: each run of consecutive offsets is one
/// batch, with one type when all agree, else one type per offset.
pub fn ack_batches(acks: &BTreeMap<i64, i8>) -> Vec<(i64, i64, Vec<i8>)> {
    let mut out: Vec<(i64, i64, Vec<i8>)> = Vec::new();
    for (&offset, &t) in acks {
        match out.last_mut() {
            Some((_, last, types)) if *last + 1 == offset => {
                *last = offset;
                types.push(t);
            }
            _ => out.push((offset, offset, vec![t])),
        }
    }
    for (_, _, types) in &mut out {
        if types.iter().all(|t| *t == types[0]) {
            types.truncate(1);
        }
    }
    out
}

/// The topic id of `topic` (Metadata v10+).
async fn topic_id(client: &mut Client, topic: &str) -> Result<Uuid, CliError> {
    let req = MetadataRequest {
        topics: Some(vec![MetadataRequestTopic {
            name: Some(topic.to_string()),
            ..Default::default()
        }]),
        allow_auto_topic_creation: false,
        ..Default::default()
    };
    let (version, resp): (_, MetadataResponse) = client.call("Metadata", 12, &req).await?;
    if version < 10 {
        return Err(CliError::Unsupported("Metadata with topic ids (v10+)"));
    }
    let t = resp
        .topics
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Protocol("empty Metadata response".into()))?;
    CliError::check(format!("topic {topic}"), t.error_code, None)?;
    Ok(t.topic_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_become_runs_of_consecutive_offsets() {
        let acks: BTreeMap<i64, i8> = [(3, 1), (4, 1), (5, 1), (7, 2), (9, 1), (10, 0)]
            .into_iter()
            .collect();
        assert_eq!(
            ack_batches(&acks),
            vec![(3, 5, vec![1]), (7, 7, vec![2]), (9, 10, vec![1, 0])]
        );
        assert!(ack_batches(&BTreeMap::new()).is_empty());
        assert_eq!(next_epoch(i32::MAX), 1);
        assert_eq!(next_epoch(0), 1);
    }
}
