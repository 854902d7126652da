//! The group coordinator: every classic group of this (single-node) broker, their timers, and
//! the durable offset store.
//!
//! Each group gets one tokio task that sleeps until the group's next deadline (a member's
//! session expiry, the end of a rebalance or of the initial rebalance delay) or until the group
//! changes; an idle group's task waits on a `Notify` and costs nothing. Offsets older than
//! `offsets.retention.minutes` are removed by a task that wakes once a minute, for groups with
//! no members.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use bytes::Bytes;
use kalfka_protocol::messages::{ConsumerProtocolSubscription, Message};
use tokio::sync::Notify;

use crate::framed_log::Syncer;
use tokio::time::Instant;

use super::consumer::group::ConsumerSettings;
use super::consumer::ConsumerGroups;
use super::group::{Group, GroupState, JoinOutcome, JoinParams, Pending, SyncOutcome};
use super::offsets::{CommittedOffset, OffsetStore, TopicPartition, MAX_METADATA_BYTES};
use crate::error::BrokerError;

/// Default `offsets.retention.minutes`: 7 days.
pub const DEFAULT_OFFSETS_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

struct Entry {
    group: Group,
    wake: Arc<Notify>,
}

/// Lock order: `groups`, then `offsets`. Neither is held during an fsync: offset-log
/// changes are written under `offsets` and synced after both are released.
struct Inner {
    groups: Mutex<HashMap<String, Entry>>,
    offsets: Mutex<OffsetStore>,
    initial_delay: Duration,
    retention: Duration,
}

/// One member as DescribeGroups shows it.
#[derive(Debug, Clone)]
pub struct MemberDescription {
    /// Member id.
    pub member_id: String,
    /// Static instance id.
    pub instance_id: Option<String>,
    /// Client id.
    pub client_id: String,
    /// Client host (`/ip`).
    pub client_host: String,
    /// Metadata for the chosen protocol.
    pub metadata: Bytes,
    /// Current assignment.
    pub assignment: Bytes,
}

/// A group as DescribeGroups and ListGroups show it.
#[derive(Debug, Clone)]
pub struct GroupDescription {
    /// Group id.
    pub group_id: String,
    /// State name.
    pub state: GroupState,
    /// Protocol type ("" if none).
    pub protocol_type: String,
    /// Chosen assignor ("" if none).
    pub protocol: String,
    /// Members.
    pub members: Vec<MemberDescription>,
    /// Current generation (0 for a group known only by its committed offsets).
    pub generation: i32,
    /// Rebalances completed with members since the broker started.
    pub rebalances: u64,
}

/// Committed offsets of one topic as OffsetFetch returns them: (partition, offset if any).
pub type FetchedTopic = (String, Vec<(i32, Option<CommittedOffset>)>);

/// Per-partition outcomes of a commit or offset delete.
pub type PerPartition = Vec<(TopicPartition, Result<(), BrokerError>)>;

/// Default `group.consumer.session.timeout.ms` (Kafka's).
pub const DEFAULT_CONSUMER_SESSION_TIMEOUT: Duration = Duration::from_secs(45);
/// Default `group.consumer.heartbeat.interval.ms` (Kafka's).
pub const DEFAULT_CONSUMER_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);

/// All groups (classic and consumer-protocol) and their committed offsets.
pub struct GroupCoordinator {
    inner: Arc<Inner>,
    /// Consumer-protocol (KIP-848) groups; a group id is either classic or in here.
    pub consumer: ConsumerGroups,
}

impl std::fmt::Debug for GroupCoordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCoordinator").finish_non_exhaustive()
    }
}

impl GroupCoordinator {
    /// Opens the offset store under `data_dir`. Offset expiry is driven by the server's periodic
    /// task ([`crate::server::offset_expiry`]) through [`expire_offsets`](Self::expire_offsets).
    pub fn open(
        data_dir: Option<&Path>,
        initial_delay: Duration,
        retention: Duration,
    ) -> Result<Self, BrokerError> {
        let consumer = ConsumerSettings {
            session_timeout: DEFAULT_CONSUMER_SESSION_TIMEOUT,
            heartbeat_interval: DEFAULT_CONSUMER_HEARTBEAT_INTERVAL,
        };
        Self::open_with(data_dir, initial_delay, retention, consumer)
    }

    /// [`GroupCoordinator::open`] with explicit consumer-protocol group settings.
    pub fn open_with(
        data_dir: Option<&Path>,
        initial_delay: Duration,
        retention: Duration,
        consumer: ConsumerSettings,
    ) -> Result<Self, BrokerError> {
        let offsets = OffsetStore::open(data_dir)
            .map_err(|e| BrokerError::Storage(format!("consumer offsets: {e}")))?;
        let inner = Arc::new(Inner {
            groups: Mutex::new(HashMap::new()),
            offsets: Mutex::new(offsets),
            initial_delay,
            retention,
        });
        Ok(GroupCoordinator {
            inner,
            consumer: ConsumerGroups::new(consumer),
        })
    }

    fn groups(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.inner.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn offsets(&self) -> MutexGuard<'_, OffsetStore> {
        self.inner.offsets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the group (created if absent), then wakes its timer task.
    fn with_group<T>(&self, group_id: &str, f: impl FnOnce(&mut Group) -> T) -> T {
        let mut groups = self.groups();
        let entry = groups.entry(group_id.to_string()).or_insert_with(|| {
            let wake = Arc::new(Notify::new());
            tokio::spawn(group_task(
                Arc::downgrade(&self.inner),
                group_id.to_string(),
                Arc::clone(&wake),
            ));
            Entry {
                group: Group::new(group_id.to_string()),
                wake,
            }
        });
        let out = f(&mut entry.group);
        entry.wake.notify_one();
        out
    }

    /// Runs `f` on an existing group; `None` if it does not exist.
    fn with_existing<T>(&self, group_id: &str, f: impl FnOnce(&mut Group) -> T) -> Option<T> {
        let mut groups = self.groups();
        groups.get_mut(group_id).map(|e| f(&mut e.group))
    }

    /// JoinGroup.
    pub fn join(
        &self,
        group_id: &str,
        params: JoinParams,
    ) -> Result<Pending<JoinOutcome>, BrokerError> {
        if group_id.is_empty() {
            return Err(BrokerError::InvalidGroupId);
        }
        if self.consumer.has_members(group_id) {
            return Err(BrokerError::InconsistentGroupProtocol);
        }
        self.consumer.delete(group_id);
        let delay = self.inner.initial_delay;
        self.with_group(group_id, |g| g.join(params, Instant::now(), delay))
    }

    /// SyncGroup.
    pub fn sync(
        &self,
        group_id: &str,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
        assignments: Vec<(String, Bytes)>,
    ) -> Result<Pending<SyncOutcome>, BrokerError> {
        if group_id.is_empty() {
            return Err(BrokerError::InvalidGroupId);
        }
        self.with_existing(group_id, |g| {
            g.sync(
                member_id,
                instance_id,
                generation,
                assignments,
                Instant::now(),
            )
        })
        .unwrap_or(Err(BrokerError::UnknownMemberId))
    }

    /// Heartbeat.
    pub fn heartbeat(
        &self,
        group_id: &str,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
    ) -> Result<(), BrokerError> {
        if group_id.is_empty() {
            return Err(BrokerError::InvalidGroupId);
        }
        self.with_existing(group_id, |g| {
            g.heartbeat(member_id, instance_id, generation, Instant::now())
        })
        .unwrap_or(Err(BrokerError::UnknownMemberId))
    }

    /// Whether `group_id` is a classic group with members (so not usable as a
    /// consumer-protocol group); an empty classic group is dropped so the id can change type.
    pub fn claim_for_consumer_protocol(&self, group_id: &str) -> Result<(), BrokerError> {
        let mut groups = self.groups();
        match groups.get(group_id).map(|e| e.group.is_empty()) {
            Some(false) => Err(BrokerError::GroupIdNotFound),
            Some(true) => {
                if let Some(mut e) = groups.remove(group_id) {
                    e.group.mark_dead();
                    e.wake.notify_one();
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// LeaveGroup: one result per (member id, instance id).
    pub fn leave(
        &self,
        group_id: &str,
        members: &[(String, Option<String>)],
    ) -> Result<Vec<Result<(), BrokerError>>, BrokerError> {
        if group_id.is_empty() {
            return Err(BrokerError::InvalidGroupId);
        }
        let mut groups = self.groups();
        let Some(entry) = groups.get_mut(group_id) else {
            return Err(BrokerError::UnknownMemberId);
        };
        let now = Instant::now();
        let results = members
            .iter()
            .map(|(id, instance)| entry.group.leave(id, instance.as_deref(), now))
            .collect();
        entry.wake.notify_one();
        Ok(results)
    }

    /// OffsetCommit: validates the member (or a "simple" commit for a memberless group), then
    /// stores the offsets durably (the append and fsync run on the blocking pool). Per-partition
    /// errors (metadata too large) are returned alongside; the other partitions are committed.
    pub async fn commit(
        &self,
        group_id: &str,
        generation: i32,
        member_id: &str,
        instance_id: Option<&str>,
        commits: Vec<(TopicPartition, CommittedOffset)>,
    ) -> Result<PerPartition, BrokerError> {
        self.validate_commit(group_id, generation, member_id, instance_id)?;
        self.store_commits(group_id, commits).await
    }

    /// Checks that the member may commit offsets for the group, whichever protocol it uses.
    fn validate_commit(
        &self,
        group_id: &str,
        generation: i32,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<(), BrokerError> {
        if group_id.is_empty() {
            return Err(BrokerError::InvalidGroupId);
        }
        match self
            .consumer
            .validate_offset_request(group_id, member_id, generation)
        {
            Some(valid) => valid,
            None => self.validate_classic_commit(group_id, generation, member_id, instance_id),
        }
    }

    fn validate_classic_commit(
        &self,
        group_id: &str,
        generation: i32,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<(), BrokerError> {
        self.with_group(group_id, |g| {
            if generation < 0 && member_id.is_empty() && g.is_empty() {
                return Ok(());
            }
            if g.state() == GroupState::CompletingRebalance
                && g.validate(member_id, instance_id, generation).is_ok()
            {
                return Err(BrokerError::RebalanceInProgress);
            }
            g.validate(member_id, instance_id, generation)?;
            g.touch(member_id, Instant::now());
            Ok(())
        })
    }

    /// Checks the member fields of a TxnOffsetCommit (v3+). Commits without member fields
    /// (older versions, or a producer outside the group) are accepted as Kafka does.
    pub fn validate_txn_commit(
        &self,
        group_id: &str,
        generation: i32,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<(), BrokerError> {
        if group_id.is_empty() {
            return Err(BrokerError::InvalidGroupId);
        }
        if member_id.is_empty() && generation < 0 {
            return Ok(());
        }
        self.validate_commit(group_id, generation, member_id, instance_id)
    }

    /// Removes, durably, every group's committed offsets of the topics `doomed` picks: a
    /// deleted topic's (a topic created again under its name starts without them), or at
    /// start every topic that no longer exists (a deletion a crash interrupted). Called from
    /// a blocking thread: it fsyncs.
    pub fn forget_topic_offsets(
        &self,
        doomed: impl Fn(&str) -> bool,
    ) -> Result<usize, BrokerError> {
        let (removed, syncer) = self
            .offsets()
            .delete_topics(doomed)
            .map_err(|e| BrokerError::Storage(format!("offset deletion: {e}")))?;
        syncer
            .map_or(Ok(()), Syncer::sync)
            .map_err(|e| BrokerError::Storage(format!("offset deletion: {e}")))?;
        Ok(removed)
    }

    /// Stores offsets durably from a blocking thread (a committing transaction).
    pub fn commit_offsets_blocking(
        &self,
        group_id: &str,
        commits: Vec<(TopicPartition, CommittedOffset)>,
    ) -> Result<(), BrokerError> {
        let syncer = self.offsets().commit(group_id, commits);
        syncer
            .and_then(Syncer::sync)
            .map_err(|e| BrokerError::Storage(format!("offset commit: {e}")))
    }

    async fn store_commits(
        &self,
        group_id: &str,
        commits: Vec<(TopicPartition, CommittedOffset)>,
    ) -> Result<PerPartition, BrokerError> {
        let mut results = Vec::with_capacity(commits.len());
        let mut accepted = Vec::with_capacity(commits.len());
        for (tp, c) in commits {
            if c.metadata
                .as_ref()
                .is_some_and(|m| m.len() > MAX_METADATA_BYTES)
            {
                results.push((tp, Err(BrokerError::OffsetMetadataTooLarge)));
            } else {
                results.push((tp.clone(), Ok(())));
                accepted.push((tp, c));
            }
        }
        if !accepted.is_empty() {
            let inner = Arc::clone(&self.inner);
            let group = group_id.to_string();
            tokio::task::spawn_blocking(move || {
                // Written under the lock, fsynced after it is released.
                let syncer = inner
                    .offsets
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .commit(&group, accepted);
                syncer.and_then(Syncer::sync)
            })
            .await
            .map_err(|e| BrokerError::Storage(format!("offset commit task: {e}")))?
            .map_err(|e| BrokerError::Storage(format!("offset commit: {e}")))?;
        }
        Ok(results)
    }

    /// OffsetFetch: the requested partitions (or every committed one when `topics` is None).
    pub fn fetch_offsets(
        &self,
        group_id: &str,
        topics: Option<Vec<(String, Vec<i32>)>>,
    ) -> Vec<FetchedTopic> {
        let store = self.offsets();
        match topics {
            Some(topics) => topics
                .into_iter()
                .map(|(topic, parts)| {
                    let parts = parts
                        .into_iter()
                        .map(|p| (p, store.get(group_id, &(topic.clone(), p)).cloned()))
                        .collect();
                    (topic, parts)
                })
                .collect(),
            None => {
                let mut out: Vec<FetchedTopic> = Vec::new();
                for ((topic, p), c) in store.partitions(group_id) {
                    match out.last_mut() {
                        Some((t, parts)) if *t == topic => parts.push((p, Some(c))),
                        _ => out.push((topic, vec![(p, Some(c))])),
                    }
                }
                out
            }
        }
    }

    /// DescribeGroups for one group; `None` if it is unknown.
    pub fn describe(&self, group_id: &str) -> Option<GroupDescription> {
        if self.consumer.contains(group_id) {
            return None;
        }
        let described = self.with_existing(group_id, |g| describe(g));
        if described.is_some() {
            return described;
        }
        self.offsets()
            .partitions(group_id)
            .first()
            .map(|_| empty_description(group_id))
    }

    /// Every known group (including memberless groups that only have committed offsets).
    pub fn list(&self) -> Vec<GroupDescription> {
        let mut out: Vec<GroupDescription> =
            self.groups().values().map(|e| describe(&e.group)).collect();
        for id in self.offsets().groups() {
            if !out.iter().any(|d| d.group_id == id) && !self.consumer.contains(&id) {
                out.push(empty_description(&id));
            }
        }
        out.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        out
    }

    /// Deletes offsets committed more than `offsets.retention` before `now_ms` for groups
    /// without members; returns how many. Blocking (it writes and fsyncs the offsets log).
    pub fn expire_offsets(&self, now_ms: i64) -> usize {
        expire_offsets(&self.inner, now_ms)
    }

    /// DeleteGroups for one group.
    pub fn delete_group(&self, group_id: &str) -> Result<(), BrokerError> {
        if group_id.is_empty() {
            return Err(BrokerError::InvalidGroupId);
        }
        let consumer = self.consumer.delete(group_id);
        if let Some(Err(e)) = consumer {
            return Err(e);
        }
        let mut groups = self.groups();
        let live = groups.get(group_id).map(|e| e.group.is_empty());
        if live == Some(false) {
            return Err(BrokerError::NonEmptyGroup);
        }
        let mut store = self.offsets();
        if live.is_none() && consumer.is_none() && store.partitions(group_id).is_empty() {
            return Err(BrokerError::GroupIdNotFound);
        }
        let syncer = store
            .delete_group(group_id)
            .map_err(|e| BrokerError::Storage(format!("delete group: {e}")))?;
        drop(store);
        if let Some(mut e) = groups.remove(group_id) {
            e.group.mark_dead();
            e.wake.notify_one();
        }
        drop(groups);
        sync(syncer, "delete group")
    }

    /// OffsetDelete: per partition, GROUP_SUBSCRIBED_TO_TOPIC when a live member subscribes to
    /// the topic.
    pub fn delete_offsets(
        &self,
        group_id: &str,
        tps: Vec<TopicPartition>,
    ) -> Result<PerPartition, BrokerError> {
        let subscribed = self
            .consumer
            .subscribed_topics(group_id)
            .or_else(|| self.with_existing(group_id, |g| subscribed_topics(g)));
        let mut store = self.offsets();
        if subscribed.is_none() && store.partitions(group_id).is_empty() {
            return Err(BrokerError::GroupIdNotFound);
        }
        let subscribed = subscribed.unwrap_or_default();
        let mut results = Vec::with_capacity(tps.len());
        let mut deletable = Vec::new();
        for tp in tps {
            if subscribed.contains(&tp.0) {
                results.push((tp, Err(BrokerError::GroupSubscribedToTopic)));
            } else {
                deletable.push(tp.clone());
                results.push((tp, Ok(())));
            }
        }
        let (_, syncer) = store
            .delete(group_id, &deletable)
            .map_err(|e| BrokerError::Storage(format!("offset delete: {e}")))?;
        drop(store);
        sync(syncer, "offset delete")?;
        Ok(results)
    }
}

fn describe(g: &Group) -> GroupDescription {
    GroupDescription {
        group_id: g.id.clone(),
        state: g.state(),
        protocol_type: g.protocol_type().unwrap_or_default().to_string(),
        protocol: g.protocol().unwrap_or_default().to_string(),
        generation: g.generation(),
        rebalances: g.rebalances(),
        members: g
            .members()
            .map(|m| MemberDescription {
                member_id: m.id.clone(),
                instance_id: m.instance_id.clone(),
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                metadata: m.metadata(g.protocol()),
                assignment: m.assignment.clone(),
            })
            .collect(),
    }
}

fn empty_description(group_id: &str) -> GroupDescription {
    GroupDescription {
        group_id: group_id.to_string(),
        state: GroupState::Empty,
        protocol_type: String::new(),
        protocol: String::new(),
        members: Vec::new(),
        generation: 0,
        rebalances: 0,
    }
}

/// Topics the group's live consumer members subscribe to.
fn subscribed_topics(g: &Group) -> Vec<String> {
    if g.protocol_type() != Some("consumer") {
        return Vec::new();
    }
    let mut topics = Vec::new();
    for m in g.members() {
        for (_, metadata) in &m.protocols {
            if metadata.len() < 2 {
                continue;
            }
            let version = i16::from_be_bytes([metadata[0], metadata[1]])
                .clamp(0, ConsumerProtocolSubscription::MAX_VERSION);
            if let Ok(sub) =
                ConsumerProtocolSubscription::decode_from(&metadata.slice(2..), version)
            {
                topics.extend(sub.topics);
            }
        }
    }
    topics
}

pub use crate::clock::now_ms;

async fn group_task(inner: Weak<Inner>, group_id: String, wake: Arc<Notify>) {
    let owned = |e: &Entry| Arc::ptr_eq(&e.wake, &wake);
    super::timer::run_group_timer(
        Arc::clone(&wake),
        || {
            let inner = inner.upgrade()?;
            let groups = inner.groups.lock().unwrap_or_else(|e| e.into_inner());
            let entry = groups.get(&group_id).filter(|e| owned(e))?;
            Some(entry.group.next_deadline())
        },
        || {
            let Some(inner) = inner.upgrade() else {
                return false;
            };
            let mut groups = inner.groups.lock().unwrap_or_else(|e| e.into_inner());
            match groups.get_mut(&group_id) {
                Some(e) if owned(e) => {
                    e.group.tick(Instant::now());
                    true
                }
                _ => false,
            }
        },
    )
    .await;
}

/// Deletes offsets committed more than the retention before `now_ms`, for groups without
/// members; returns how many were deleted.
fn expire_offsets(inner: &Inner, now_ms: i64) -> usize {
    let cutoff = now_ms - inner.retention.as_millis() as i64;
    let groups = inner.groups.lock().unwrap_or_else(|e| e.into_inner());
    let mut store = inner.offsets.lock().unwrap_or_else(|e| e.into_inner());
    let mut deleted = 0;
    let mut syncer = None;
    for id in store.groups() {
        if groups.get(&id).is_some_and(|e| !e.group.is_empty()) {
            continue;
        }
        let old = store.older_than(&id, cutoff);
        if !old.is_empty() {
            match store.delete(&id, &old) {
                Ok((n, s)) => {
                    deleted += n;
                    syncer = s.or(syncer);
                }
                Err(e) => tracing::warn!(group = %id, error = %e, "offset expiry failed"),
            }
        }
    }
    drop(store);
    drop(groups);
    if let Err(e) = sync(syncer, "offset expiry") {
        tracing::warn!(error = %e, "offset expiry not synced");
    }
    if deleted > 0 {
        tracing::info!(deleted, "expired committed offsets of empty groups");
    }
    deleted
}

/// Makes an offsets-log change durable, outside the locks.
fn sync(syncer: Option<Syncer>, what: &str) -> Result<(), BrokerError> {
    syncer
        .map_or(Ok(()), Syncer::sync)
        .map_err(|e| BrokerError::Storage(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn offsets_of_empty_groups_expire_after_retention() {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = GroupCoordinator::open(Some(dir.path()), Duration::ZERO, Duration::from_secs(60))
            .expect("open");
        let commit = CommittedOffset {
            offset: 5,
            leader_epoch: -1,
            metadata: None,
            commit_timestamp_ms: now_ms(),
        };
        c.commit("g", -1, "", None, vec![(("t".into(), 0), commit)])
            .await
            .expect("simple commit");
        assert_eq!(
            expire_offsets(&c.inner, now_ms()),
            0,
            "still within retention"
        );
        assert_eq!(expire_offsets(&c.inner, now_ms() + 61_000), 1);
        let fetched = c.fetch_offsets("g", Some(vec![("t".into(), vec![0])]));
        assert_eq!(fetched[0].1[0].1, None);
    }
}
