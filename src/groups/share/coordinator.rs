//! All share groups of the broker: membership, share sessions and share-partition state, and
//! the durable store behind the latter.
//!
//! Lock order: `state`, then `store`. Nothing is fsynced under either: a change is written
//! under both and the returned [`Syncer`] is synced after they are released, before the
//! request that caused it is answered. Callers run these methods on the blocking pool
//! (`api::blocking`), since they write files.
//!
//! Session timeouts and acquisition-lock expiry are applied by a periodic tick
//! ([`ShareGroups::expire`], driven by `server::share_expiry`), and again at every call that
//! looks at the group or partition, so no call ever sees an expired lock or member.
//!
//! Every change of share-partition state (acknowledgement, release, lock expiry, a member
//! leaving) wakes the ShareFetches waiting on [`ShareGroups::changed`], since it may have made
//! records available or room in a partition's in-flight window.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use kalfka_protocol::Uuid;

use super::config::{self, GroupConfigs};
use super::group::{ShareGroup, ShareHeartbeat, ShareHeartbeatOutcome};
use super::partition::{AckType, AcquiredRange, Limits, SharePartition};
use super::store::{ShareKey, ShareStore};
use crate::error::BrokerError;
use crate::framed_log::Syncer;
use crate::groups::consumer::group::TopicView;

/// Share-group settings (broker configuration).
#[derive(Debug, Clone, Copy)]
pub struct ShareSettings {
    /// Record locks and delivery limits.
    pub limits: Limits,
    /// Member session timeout.
    pub session_timeout: Duration,
    /// Heartbeat interval given to members.
    pub heartbeat_interval: Duration,
    /// Share sessions held at most (`group.share.max.share.sessions`).
    pub max_sessions: usize,
}

/// A topic partition by id.
pub type TopicIdPartition = (Uuid, i32);

/// One acknowledgement batch of a request.
#[derive(Debug, Clone)]
pub struct AckBatch {
    /// The partition.
    pub tp: TopicIdPartition,
    /// First offset.
    pub first: i64,
    /// Last offset, inclusive.
    pub last: i64,
    /// Wire acknowledge types.
    pub types: Vec<i8>,
}

#[derive(Debug)]
struct Session {
    /// The epoch the next request must carry.
    next_epoch: i32,
    partitions: BTreeSet<TopicIdPartition>,
}

#[derive(Default)]
struct State {
    groups: HashMap<String, ShareGroup>,
    partitions: HashMap<ShareKey, SharePartition>,
    sessions: HashMap<(String, String), Session>,
    dirty: HashSet<ShareKey>,
    configs: HashMap<String, GroupConfigs>,
}

/// A share group as ShareGroupDescribe and ListGroups show it.
#[derive(Debug, Clone)]
pub struct ShareGroupDescription {
    /// Group id.
    pub group_id: String,
    /// "Empty" or "Stable".
    pub state: &'static str,
    /// Group epoch.
    pub epoch: i32,
    /// Members.
    pub members: Vec<ShareMemberDescription>,
}

/// One share-group member as ShareGroupDescribe shows it.
#[derive(Debug, Clone)]
pub struct ShareMemberDescription {
    /// Member id.
    pub member_id: String,
    /// Member epoch.
    pub epoch: i32,
    /// Rack id.
    pub rack_id: Option<String>,
    /// Client id.
    pub client_id: String,
    /// Client host of the member's last heartbeat.
    pub client_host: String,
    /// Subscribed topic names.
    pub topics: Vec<String>,
}

/// Per-partition outcomes of acknowledgements: the first error of each partition, if any.
pub type AckResults = Vec<(TopicIdPartition, Result<(), BrokerError>)>;

/// All share groups.
pub struct ShareGroups {
    state: Mutex<State>,
    store: Mutex<ShareStore>,
    settings: ShareSettings,
    changed: tokio::sync::Notify,
}

impl std::fmt::Debug for ShareGroups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareGroups")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ShareGroups {
    /// Opens the share-state log under `data_dir` (`None`: in memory) and reloads every
    /// share partition: acknowledged and archived records stay done, the rest is available.
    pub fn open(data_dir: Option<&Path>, settings: ShareSettings) -> io::Result<Self> {
        let (store, loaded) = ShareStore::open(data_dir)?;
        let mut state = State {
            configs: loaded.configs.into_iter().collect(),
            ..State::default()
        };
        for (key, d) in loaded.partitions {
            state
                .groups
                .entry(key.0.clone())
                .or_insert_with(|| ShareGroup::new(key.0.clone()));
            state
                .partitions
                .insert(key, SharePartition::from_durable(&d));
        }
        Ok(ShareGroups {
            state: Mutex::new(state),
            store: Mutex::new(store),
            settings,
            changed: tokio::sync::Notify::new(),
        })
    }

    /// Notified (`notify_waiters`) after every change of share-partition state: a waiting
    /// ShareFetch creates its `notified()` future before looking for records, then waits on
    /// it, so it misses no change made after it looked.
    pub fn changed(&self) -> &tokio::sync::Notify {
        &self.changed
    }

    /// The settings in force.
    pub fn settings(&self) -> &ShareSettings {
        &self.settings
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The limits of one group: the broker's, with the group's lock duration override.
    fn limits(&self, st: &State, group_id: &str) -> Limits {
        let mut limits = self.settings.limits;
        if let Some(c) = st.configs.get(group_id) {
            limits.lock_duration = config::lock_duration(c, limits.lock_duration);
        }
        limits
    }

    /// The acquisition lock duration of `group_id`, as responses report it.
    pub fn lock_duration(&self, group_id: &str) -> Duration {
        let st = self.lock();
        self.limits(&st, group_id).lock_duration
    }

    /// The config overrides of `group_id` (empty when none, or no such group).
    pub fn group_configs(&self, group_id: &str) -> GroupConfigs {
        self.lock()
            .configs
            .get(group_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Replaces the config overrides of `group_id` (validated first; nothing is stored when
    /// `validate_only`). The returned [`Syncer`] makes them durable.
    pub fn set_group_configs(
        &self,
        group_id: &str,
        configs: GroupConfigs,
        validate_only: bool,
    ) -> Result<Option<Syncer>, BrokerError> {
        if group_id.is_empty() {
            return Err(BrokerError::InvalidGroupId);
        }
        for (k, v) in &configs {
            config::validate(k, v)?;
        }
        if validate_only {
            return Ok(None);
        }
        let mut st = self.lock();
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let syncer = store
            .write_configs(group_id, &configs)
            .map_err(|e| BrokerError::Storage(format!("share-group configs: {e}")))?;
        st.configs.insert(group_id.to_string(), configs);
        Ok(Some(syncer))
    }

    /// DeleteGroups on a share group: `None` if it is not one, NON_EMPTY_GROUP while it has
    /// members, else its share state is forgotten (durably, once the [`Syncer`] synced).
    pub fn delete_group(&self, group_id: &str) -> Option<Result<Syncer, BrokerError>> {
        let mut st = self.lock();
        if !st.groups.contains_key(group_id) {
            return None;
        }
        if let Err(e) = self.check_empty(&mut st, group_id) {
            return Some(Err(e));
        }
        st.groups.remove(group_id);
        st.partitions.retain(|(g, _, _), _| g != group_id);
        st.dirty.retain(|(g, _, _)| g != group_id);
        st.sessions.retain(|(g, _), _| g != group_id);
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        Some(
            store
                .delete_group(group_id)
                .map_err(|e| BrokerError::Storage(format!("share-group state: {e}"))),
        )
    }

    /// Whether `group_id` is a share group.
    pub fn contains(&self, group_id: &str) -> bool {
        self.lock().groups.contains_key(group_id)
    }

    /// ShareGroupHeartbeat on `group_id` (created on a first join). Records held by members
    /// that left or timed out are given back; the returned [`Syncer`] makes that durable.
    pub fn heartbeat(
        &self,
        group_id: &str,
        hb: ShareHeartbeat,
        view: &TopicView,
        now: Instant,
    ) -> Result<(ShareHeartbeatOutcome, Option<Syncer>), BrokerError> {
        let mut st = self.lock();
        if !st.groups.contains_key(group_id) {
            if hb.member_epoch != 0 {
                return Err(BrokerError::GroupIdNotFound);
            }
            st.groups
                .insert(group_id.to_string(), ShareGroup::new(group_id.to_string()));
        }
        let limits = self.limits(&st, group_id);
        let Some(group) = st.groups.get_mut(group_id) else {
            return Err(BrokerError::GroupIdNotFound);
        };
        let mut gone = group.expire(now, self.settings.session_timeout);
        let leaving = hb.member_epoch == -1;
        let member_id = hb.member_id.clone();
        let out = group.heartbeat(hb, view, now);
        if leaving {
            gone.push(member_id);
        }
        for m in &gone {
            release_member(&mut st, group_id, m, &limits);
        }
        let out = out?;
        let syncer = self.persist(&mut st)?;
        Ok((out, syncer))
    }

    /// Describes one group; `None` if it is not a share group.
    pub fn describe(&self, group_id: &str) -> Option<ShareGroupDescription> {
        let mut st = self.lock();
        let timeout = self.settings.session_timeout;
        let limits = self.limits(&st, group_id);
        let gone = st.groups.get_mut(group_id)?.expire(Instant::now(), timeout);
        for m in &gone {
            release_member(&mut st, group_id, m, &limits);
        }
        st.groups.get(group_id).map(describe)
    }

    /// Every share group.
    pub fn list(&self) -> Vec<ShareGroupDescription> {
        self.lock().groups.values().map(describe).collect()
    }

    /// Validates a request's share session epoch and updates the session: 0 opens one
    /// (replacing any; SHARE_SESSION_LIMIT_REACHED when the broker already holds
    /// `max_sessions` others, as Kafka's `ShareSessionCache` answers), -1 ends it after this request (with `close` giving back the member's
    /// records), anything else must be the epoch the session expects next. `add` and `forget`
    /// change its partitions. Returns the session's partitions.
    pub fn session(
        &self,
        group_id: &str,
        member_id: &str,
        epoch: i32,
        add: &[TopicIdPartition],
        forget: &[TopicIdPartition],
    ) -> Result<Vec<TopicIdPartition>, BrokerError> {
        let mut st = self.lock();
        let key = (group_id.to_string(), member_id.to_string());
        if epoch == 0 {
            // As Kafka: the member's old session goes first, then the cache must have room.
            st.sessions.remove(&key);
            if st.sessions.len() >= self.settings.max_sessions {
                return Err(BrokerError::ShareSessionLimitReached);
            }
            st.sessions.insert(
                key.clone(),
                Session {
                    next_epoch: 1,
                    partitions: BTreeSet::new(),
                },
            );
        }
        let session = st
            .sessions
            .get_mut(&key)
            .ok_or(BrokerError::ShareSessionNotFound)?;
        if epoch > 0 {
            if epoch != session.next_epoch {
                return Err(BrokerError::InvalidShareSessionEpoch);
            }
            session.next_epoch = epoch.checked_add(1).unwrap_or(1);
        } else if epoch < -1 {
            return Err(BrokerError::InvalidShareSessionEpoch);
        }
        session.partitions.extend(add.iter().copied());
        for tp in forget {
            session.partitions.remove(tp);
        }
        Ok(session.partitions.iter().copied().collect())
    }

    /// Ends the member's share session and gives back every record it holds in the group.
    pub fn close_session(
        &self,
        group_id: &str,
        member_id: &str,
    ) -> Result<Option<Syncer>, BrokerError> {
        let mut st = self.lock();
        st.sessions
            .remove(&(group_id.to_string(), member_id.to_string()));
        let limits = self.limits(&st, group_id);
        release_member(&mut st, group_id, member_id, &limits);
        self.persist(&mut st)
    }

    /// Applies acknowledgement batches of `member_id`, each all or nothing, and writes what
    /// changed. Returns one result per partition named (its first error, if any) and the
    /// [`Syncer`] to sync before answering.
    pub fn acknowledge(
        &self,
        group_id: &str,
        member_id: &str,
        batches: &[AckBatch],
        now: Instant,
    ) -> Result<(AckResults, Option<Syncer>), BrokerError> {
        let mut st = self.lock();
        let limits = self.limits(&st, group_id);
        let mut results: AckResults = Vec::new();
        for b in batches {
            let outcome = ack_one(&mut st, group_id, member_id, b, now, &limits);
            match results.iter_mut().find(|(tp, _)| *tp == b.tp) {
                Some((_, r)) => {
                    if r.is_ok() {
                        *r = outcome;
                    }
                }
                None => results.push((b.tp, outcome)),
            }
        }
        let syncer = self.persist(&mut st)?;
        Ok((results, syncer))
    }

    /// Prepares a fetch of one partition: initializes its state on first use (delivery
    /// starts at `log_end`, at `log_start` when the group's `share.auto.offset.reset` is
    /// earliest, or at `by_time` for a by_duration reset: the offset the caller looked up by
    /// timestamp), drops what the log no longer holds, gives back expired locks, and says
    /// where to read from (`None`: nothing to acquire now).
    #[allow(clippy::too_many_arguments)]
    pub fn read_from(
        &self,
        group_id: &str,
        tp: TopicIdPartition,
        log_start: i64,
        log_end: i64,
        by_time: Option<i64>,
        now: Instant,
    ) -> Option<i64> {
        let mut st = self.lock();
        let limits = self.limits(&st, group_id);
        let key = (group_id.to_string(), tp.0, tp.1);
        if !st.partitions.contains_key(&key) {
            let earliest = st
                .configs
                .get(group_id)
                .is_some_and(config::starts_at_earliest);
            let start = match by_time {
                _ if earliest => log_start,
                Some(offset) => offset.clamp(log_start, log_end.max(log_start)),
                None => log_end,
            };
            st.partitions
                .insert(key.clone(), SharePartition::new(start));
            st.dirty.insert(key.clone());
        }
        let p = st.partitions.get_mut(&key)?;
        let before = p.start();
        p.skip_to(log_start);
        let changed = p.expire_locks(now, &limits) > 0 || p.start() != before;
        let from = p.read_from(log_end, &limits);
        if changed {
            st.dirty.insert(key);
        }
        from
    }

    /// Acquires for `member_id` what is available in `from..upto` of one partition, archiving
    /// the offsets of `skip` instead (see [`SharePartition::acquire_skipping`]).
    #[allow(clippy::too_many_arguments)]
    pub fn acquire(
        &self,
        group_id: &str,
        member_id: &str,
        tp: TopicIdPartition,
        from: i64,
        upto: i64,
        max_records: usize,
        skip: &[(i64, i64)],
        now: Instant,
    ) -> Vec<AcquiredRange> {
        let mut st = self.lock();
        let limits = self.limits(&st, group_id);
        let key = (group_id.to_string(), tp.0, tp.1);
        let Some(p) = st.partitions.get_mut(&key) else {
            return Vec::new();
        };
        let before = p.start();
        let got = p.acquire_skipping(member_id, from, upto, max_records, skip, now, &limits);
        if p.start() != before {
            st.dirty.insert(key);
        }
        got
    }

    /// The duration of `group_id`'s by_duration `share.auto.offset.reset`, while `tp` has no
    /// share state yet: the caller then looks up where the partition starts (by timestamp,
    /// which reads the log, so not under this lock) and passes it to
    /// [`ShareGroups::read_from`].
    pub fn uninitialized_by_duration(
        &self,
        group_id: &str,
        tp: TopicIdPartition,
    ) -> Option<Duration> {
        let st = self.lock();
        if st
            .partitions
            .contains_key(&(group_id.to_string(), tp.0, tp.1))
        {
            return None;
        }
        st.configs.get(group_id).and_then(config::reset_by_duration)
    }

    /// Whether `group_id` reads committed records only (`share.isolation.level`).
    pub fn read_committed(&self, group_id: &str) -> bool {
        self.lock()
            .configs
            .get(group_id)
            .is_some_and(config::reads_committed)
    }

    /// The periodic tick: removes the members whose session expired by `now` (giving back
    /// their records and ending their share sessions) and gives back every acquisition lock
    /// expired by `now`, as available or, at the delivery-count limit, archived; so the next
    /// fetcher and DescribeShareGroupOffsets see them without waiting for a ShareFetch of the
    /// partition. Returns how many records changed and the [`Syncer`] making it durable.
    pub fn expire(&self, now: Instant) -> Result<(usize, Option<Syncer>), BrokerError> {
        let mut st = self.lock();
        let timeout = self.settings.session_timeout;
        let ids: Vec<String> = st.groups.keys().cloned().collect();
        let mut changed = 0;
        for group_id in &ids {
            let limits = self.limits(&st, group_id);
            let gone = match st.groups.get_mut(group_id) {
                Some(g) => g.expire(now, timeout),
                None => continue,
            };
            for m in &gone {
                changed += release_member(&mut st, group_id, m, &limits);
            }
        }
        let limits: HashMap<String, Limits> = ids
            .iter()
            .map(|g| (g.clone(), self.limits(&st, g)))
            .collect();
        let State {
            partitions, dirty, ..
        } = &mut *st;
        for (key, p) in partitions.iter_mut() {
            let Some(l) = limits.get(&key.0) else {
                continue;
            };
            let n = p.expire_locks(now, l);
            if n > 0 {
                changed += n;
                dirty.insert(key.clone());
            }
        }
        let syncer = self.persist(&mut st)?;
        Ok((changed, syncer))
    }

    /// Writes the states of the partitions initialized on a fetch; the caller syncs.
    pub fn flush(&self) -> Result<Option<Syncer>, BrokerError> {
        let mut st = self.lock();
        self.persist(&mut st)
    }

    /// Start offset and lag (against `log_end`) of one share partition, if it has state.
    pub fn partition_offsets(
        &self,
        group_id: &str,
        tp: TopicIdPartition,
        log_end: i64,
    ) -> Option<(i64, i64)> {
        let st = self.lock();
        st.partitions
            .get(&(group_id.to_string(), tp.0, tp.1))
            .map(|p| (p.start(), p.lag(log_end)))
    }

    /// Every partition of `group_id` that has share state; `None` if it is not a share group.
    pub fn group_partitions(&self, group_id: &str) -> Option<Vec<TopicIdPartition>> {
        let st = self.lock();
        if !st.groups.contains_key(group_id) {
            return None;
        }
        let mut tps: Vec<TopicIdPartition> = st
            .partitions
            .keys()
            .filter(|(g, _, _)| g == group_id)
            .map(|(_, t, p)| (*t, *p))
            .collect();
        tps.sort();
        Some(tps)
    }

    /// Forgets the share state of the topics `gone` says were deleted, in every group
    /// (DeleteTopics, and at start for deletions a crash interrupted). Returns how many
    /// partition states were dropped and the [`Syncer`] making that durable.
    pub fn forget_topics(
        &self,
        gone: impl Fn(&Uuid) -> bool,
    ) -> Result<(usize, Option<Syncer>), BrokerError> {
        let mut st = self.lock();
        let doomed: HashSet<(String, Uuid)> = st
            .partitions
            .keys()
            .filter(|(_, t, _)| gone(t))
            .map(|(g, t, _)| (g.clone(), *t))
            .collect();
        if doomed.is_empty() {
            return Ok((0, None));
        }
        let before = st.partitions.len();
        st.partitions
            .retain(|(g, t, _), _| !doomed.contains(&(g.clone(), *t)));
        st.dirty
            .retain(|(g, t, _)| !doomed.contains(&(g.clone(), *t)));
        for s in st.sessions.values_mut() {
            s.partitions.retain(|(t, _)| !gone(t));
        }
        let dropped = before - st.partitions.len();
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let mut syncer = None;
        for (g, t) in &doomed {
            syncer = Some(
                store
                    .delete_topic(g, *t)
                    .map_err(|e| BrokerError::Storage(format!("share-group state: {e}")))?,
            );
        }
        Ok((dropped, syncer))
    }

    /// Fails with NON_EMPTY_GROUP while `group_id` has members (after session expiry).
    fn check_empty(&self, st: &mut State, group_id: &str) -> Result<(), BrokerError> {
        let timeout = self.settings.session_timeout;
        let limits = self.limits(st, group_id);
        let gone = match st.groups.get_mut(group_id) {
            Some(g) => g.expire(Instant::now(), timeout),
            None => return Ok(()),
        };
        for m in &gone {
            release_member(st, group_id, m, &limits);
        }
        if st
            .groups
            .get(group_id)
            .is_some_and(|g| !g.members.is_empty())
        {
            return Err(BrokerError::NonEmptyGroup);
        }
        Ok(())
    }

    /// AlterShareGroupOffsets: sets the start offsets of an empty group's share partitions
    /// (creating the group), dropping their in-flight records. Durable once synced.
    pub fn alter_offsets(
        &self,
        group_id: &str,
        starts: &[(TopicIdPartition, i64)],
    ) -> Result<Option<Syncer>, BrokerError> {
        let mut st = self.lock();
        self.check_empty(&mut st, group_id)?;
        st.groups
            .entry(group_id.to_string())
            .or_insert_with(|| ShareGroup::new(group_id.to_string()));
        for ((topic_id, index), start) in starts {
            let key = (group_id.to_string(), *topic_id, *index);
            st.partitions
                .insert(key.clone(), SharePartition::new(*start));
            st.dirty.insert(key);
        }
        self.persist(&mut st)
    }

    /// DeleteShareGroupOffsets: forgets the share state of an empty group's topic, so it
    /// starts again by `share.auto.offset.reset`. Durable once synced.
    pub fn delete_offsets(&self, group_id: &str, topic_id: Uuid) -> Result<Syncer, BrokerError> {
        let mut st = self.lock();
        if !st.groups.contains_key(group_id) {
            return Err(BrokerError::GroupIdNotFound);
        }
        self.check_empty(&mut st, group_id)?;
        st.partitions
            .retain(|(g, t, _), _| g != group_id || *t != topic_id);
        st.dirty.retain(|(g, t, _)| g != group_id || *t != topic_id);
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store
            .delete_topic(group_id, topic_id)
            .map_err(|e| BrokerError::Storage(format!("share-group state: {e}")))
    }

    fn persist(&self, st: &mut State) -> Result<Option<Syncer>, BrokerError> {
        if st.dirty.is_empty() {
            return Ok(None);
        }
        let parts: Vec<_> = st
            .dirty
            .drain()
            .filter_map(|k| st.partitions.get(&k).map(|p| (k, p.durable())))
            .collect();
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let written = store
            .write(&parts)
            .map(Some)
            .map_err(|e| BrokerError::Storage(format!("share-group state: {e}")));
        self.changed.notify_waiters();
        written
    }
}

fn ack_one(
    st: &mut State,
    group_id: &str,
    member_id: &str,
    b: &AckBatch,
    now: Instant,
    limits: &Limits,
) -> Result<(), BrokerError> {
    let types = b
        .types
        .iter()
        .map(|t| {
            AckType::from_code(*t)
                .ok_or_else(|| BrokerError::InvalidRequest(format!("acknowledge type {t}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let key = (group_id.to_string(), b.tp.0, b.tp.1);
    let p = st.partitions.get_mut(&key).ok_or_else(|| {
        BrokerError::InvalidRecordState("no record of this partition was acquired".into())
    })?;
    let out = p.acknowledge(member_id, b.first, b.last, &types, now, limits);
    st.dirty.insert(key);
    out
}

/// Gives back every record `member_id` holds in the group and ends its share session (a
/// member that left or timed out starts a new one if it comes back).
/// Returns how many records were given back.
fn release_member(st: &mut State, group_id: &str, member_id: &str, limits: &Limits) -> usize {
    st.sessions
        .remove(&(group_id.to_string(), member_id.to_string()));
    let State {
        partitions, dirty, ..
    } = st;
    let mut released = 0;
    for (key, p) in partitions.iter_mut().filter(|(k, _)| k.0 == group_id) {
        let n = p.release_member(member_id, limits);
        if n > 0 {
            released += n;
            dirty.insert(key.clone());
        }
    }
    released
}

fn describe(g: &ShareGroup) -> ShareGroupDescription {
    ShareGroupDescription {
        group_id: g.id.clone(),
        state: g.state(),
        epoch: g.epoch,
        members: g
            .members
            .iter()
            .map(|(id, m)| ShareMemberDescription {
                member_id: id.clone(),
                epoch: m.epoch,
                rack_id: m.rack_id.clone(),
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                topics: m.topics.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
#[path = "coordinator_tests.rs"]
mod tests;
